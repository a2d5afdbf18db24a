/*
 * postmortem.h - the postmortem: a model built from the stored incident,
 * and its renderers (Markdown, the canonical form; HTML; JSON).
 *
 * Pure and deterministic: the same incident snapshot, rows and close time
 * give the same bytes. The incident (with its roles, hypotheses, lessons
 * and actions) is in memory; the timeline is not: the renderer asks its
 * caller for the rows of each section, one at a time, through struct
 * pm_source, and writes straight into a FILE, so a 100,000-entry incident
 * is never held in memory, let alone twice.
 */
#ifndef SCRIBE_POSTMORTEM_H
#define SCRIBE_POSTMORTEM_H

#include "util/base.h"
#include "config.h"
#include "core/core.h"
#include "core/model.h"
#include "util/buf.h"

/* One timeline row as the postmortem reads it. Borrowed for a callback. */
struct pm_row {
	enum entry_kind kind;
	int64_t at;
	const char *who;
	const char *who_id; /* PM_KEY: the author's platform id */
	const char *room;   /* PM_KEY, PM_TRANSCRIPT: where a context entry
			       was said ("#general") */
	bool key;           /* PM_KEY: typed or pinned (📌) */
	const char *text;
	bool reply;      /* a thread reply, listed under its root */
	int edits;       /* times the message was edited */
	int64_t deleted; /* when it was deleted, or 0 */
	const char *deleted_by;
	bool truncated;
	const char *file_name, *file_type, *file_url; /* kind file */
	int64_t count; /* PM_PARTICIPANTS: messages by who */
};

/* The sections that read rows, in the order the rows must come. */
enum pm_pass {
	PM_KEY,          /* key entries (typed and pinned), messages,
			    context and commands, by time: the story is
			    picked from them, the participants counted */
	PM_PLAYBOOK,     /* playbook entries, by time */
	PM_PARTICIPANTS, /* one row per author with count, most first (the
			    JSON; the Markdown counts during PM_KEY) */
	PM_TRANSCRIPT,   /* messages, files, commands; replies under roots */
};

typedef int pm_row_cb(void *cbud, const struct pm_row *row);

struct pm_source {
	/* Calls cb for each row of the pass, in order; stops and returns
	 * cb's value when it is not 0. */
	int (*each)(void *ud, enum pm_pass pass, pm_row_cb *cb, void *cbud);
	void *ud;
};

struct postmortem {
	const struct config *cfg;
	const struct incident *inc; /* a snapshot taken at close */
	int revision;               /* 0: a draft */
	int64_t at;                 /* the document's date: its close time */
	struct pm_source src;
	bool no_transcript; /* leave the appendix out (the dashboard's page) */
};

/* A measured interval: from..to, or why it cannot be given. */
enum pm_span_state { PM_SPAN_OK, PM_SPAN_MISSING, PM_SPAN_ORDER };
struct pm_span {
	enum pm_span_state state;
	int64_t ms;
};

struct pm_metrics {
	int64_t started, detected; /* with the Semantics defaults */
	int64_t identified;        /* incident_identified(); 0: not yet */
	int64_t end;               /* resolved; 0 while still open */
	struct pm_span duration, to_detect, to_acknowledge, to_identify,
	    to_mitigate, to_resolve;
	/* Wall-clock time during which at least one later ruled-out
	 * hypothesis stood (the union of their intervals). */
	int64_t misleading_ms;
	int ruled_out;
};

/* The response metrics of PRODUCT.md's Semantics, measured at `at`. */
void pm_metrics(const struct incident *inc, int64_t at, struct pm_metrics *m);

/* How long hypothesis h stood, by the Semantics (until decided, else until
 * resolved, else until at). */
int64_t pm_hyp_stood(const struct incident *inc, const struct hypothesis *h,
		     int64_t at);

/* The file name of revision rev: "INC-3-db-errors.md", "....r2.md". */
char *pm_file_name(const struct incident *inc, int rev, const char *ext);

/* Renderers. Each returns 0, or SCRIBE_EIO when out failed, or a source
 * error. */
int pm_markdown(const struct postmortem *pm, FILE *out);
int pm_json(const struct postmortem *pm, FILE *out);
/* The incident picture (pm_svg.c): an SVG of where the time went. */
int pm_svg(const struct postmortem *pm, FILE *out);
/* HTML through md4c from the Markdown in md (len bytes), with the
 * incident's picture (an SVG document from pm_svg(), or NULL) inlined at
 * the top of the page. */
int pm_html(const char *md, size_t len, const char *title, const char *picture,
	    FILE *out);
/* The same HTML without the page: an HTML fragment of md. */
int html_of_markdown(const char *md, size_t len, FILE *out);
/* Writes s as HTML text or attribute value: < > & " ' escaped. */
void html_escape(FILE *out, const char *s);

/* Appends s to b with Markdown's structure characters escaped and crowds
 * defused (text_defuse), newlines as spaces: safe in one line. */
int pm_md_escape(struct buf *b, const char *s);

/* The incident as a JSON object (the snapshot kept at close, and the
 * "incident" member of the JSON rendering), and back. */
int pm_incident_json(const struct incident *inc, FILE *out);
int pm_incident_parse(const char *json, struct incident *inc);

#endif
