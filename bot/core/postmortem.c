/*
 * postmortem.c - metrics and the Markdown postmortem; see postmortem.h.
 *
 * Sections come in a fixed order, and a section with nothing recorded says
 * so and how to record it - it never disappears. User text goes through
 * pm_md_escape() (or md_text() for multi-line text) so that it cannot
 * change the document's structure, and through text_defuse() so that the
 * posted document pings nobody.
 */
#include <ctype.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/postmortem.h"
#include "core/story.h"
#include "core/text.h"
#include "core/when.h"

/* ---- metrics ----------------------------------------------------------- */

static struct pm_span span(int64_t from, int64_t to)
{
	struct pm_span s = {PM_SPAN_MISSING, 0};

	if (!from || !to)
		return s;
	s.state = to < from ? PM_SPAN_ORDER : PM_SPAN_OK;
	s.ms = to - from;
	return s;
}

int64_t pm_hyp_stood(const struct incident *inc, const struct hypothesis *h,
		     int64_t at)
{
	int64_t end = h->decided                  ? h->decided
		      : inc->marks[MARK_RESOLVED] ? inc->marks[MARK_RESOLVED]
						  : at;

	return end > h->raised ? end - h->raised : 0;
}

/* An interval a hypothesis stood. */
struct stood {
	int64_t from, to;
};

static int cmp_stood(const void *a, const void *b)
{
	const struct stood *x = a, *y = b;

	return (x->from > y->from) - (x->from < y->from);
}

/* The union of the ruled-out hypotheses' intervals: two wrong paths
 * chased at once cost the wall-clock time once. */
static int64_t misleading(const struct incident *inc, int64_t at, int *count)
{
	struct stood *v = xcalloc(inc->nhyps + 1, sizeof(*v));
	int64_t total = 0, from = 0, to = 0;
	size_t i, n = 0;

	for (i = 0; i < inc->nhyps; i++) {
		const struct hypothesis *h = &inc->hyps[i];

		if (h->state != HYP_RULED_OUT)
			continue;
		v[n].from = h->raised;
		v[n].to = h->raised + pm_hyp_stood(inc, h, at);
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_stood);
	for (i = 0; i < n; i++) {
		if (i && v[i].from <= to) {
			if (v[i].to > to)
				to = v[i].to;
			continue;
		}
		total += to - from;
		from = v[i].from;
		to = v[i].to;
	}
	total += to - from;
	free(v);
	*count = (int)n;
	return total;
}

void pm_metrics(const struct incident *inc, int64_t at, struct pm_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->started = incident_started(inc);
	m->detected = incident_detected(inc);
	m->identified = incident_identified(inc);
	m->end = inc->marks[MARK_RESOLVED];
	m->duration = span(m->started, m->end);
	m->to_detect = span(m->started, m->detected);
	/* How long the page waited for a person: from detection. */
	m->to_acknowledge = span(m->detected, inc->marks[MARK_ACKNOWLEDGED]);
	m->to_identify = span(m->started, m->identified);
	m->to_mitigate = span(m->started, inc->marks[MARK_MITIGATED]);
	m->to_resolve = span(m->started, inc->marks[MARK_RESOLVED]);
	m->misleading_ms = misleading(inc, at, &m->ruled_out);
}

char *pm_file_name(const struct incident *inc, int rev, const char *ext)
{
	if (rev <= 1)
		return xasprintf("INC-%lld-%s.%s", (long long)inc->id,
				 inc->slug, ext);
	return xasprintf("INC-%lld-%s.r%d.%s", (long long)inc->id, inc->slug,
			 rev, ext);
}

/* ---- escaping ---------------------------------------------------------- */

/* Characters that can start or change Markdown structure inside a line
 * ('!' matters only before '[', which is escaped). */
static bool md_special(char c)
{
	return strchr("\\`*_[]<>#|~&", c) != NULL;
}

int pm_md_escape(struct buf *b, const char *s)
{
	struct buf raw;
	const char *p;
	int rc = 0;

	buf_init(&raw, BUF_UNBOUNDED);
	for (p = s; *p && !rc; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			rc = buf_addch(&raw, ' ');
		else if (md_special(*p))
			rc = buf_addf(&raw, "\\%c", *p);
		else
			rc = buf_addch(&raw, *p);
	}
	if (!rc)
		rc = text_defuse(b, raw.s);
	buf_release(&raw);
	return rc;
}

/* Who spoke, counted during the Timeline's pass (which reads every
 * message and command anyway) instead of a pass of its own. */
struct person {
	char *id, *name;
	int64_t said; /* messages and files */
};

struct people {
	struct person *v;
	size_t n, cap;
	int *slot; /* open addressing on id: index + 1, 0 empty */
	size_t nslots;
};

struct render {
	const struct postmortem *pm;
	FILE *out;
	struct buf tmp;
	int32_t day;           /* the last date line written */
	char abbr[WHEN_BUFSZ]; /* the zone abbreviation of the last row */
	int64_t minute;        /* the minute the fields below describe */
	char minute_hm[WHEN_BUFSZ], minute_abbr[WHEN_BUFSZ];
	int32_t minute_day;
	int n; /* rows seen in the current pass */
	/* Playbook suggestions seen on the Timeline, for "what went wrong". */
	struct {
		char id[64];
		int64_t at;
	} sugg[8];
	int nsugg;
	struct people people;
};

/* Writes s escaped for one line. */
/* Bytes that need no escaping and cannot start a crowd ping or a bidi
 * control (0xe2 and 0xd8 lead them all); NUL is not one of them, so a
 * scan stops at the end of the string. */
static bool plain[256];

static void plain_init(void)
{
	int c;

	if (plain['a'])
		return;
	for (c = 1; c < 256; c++)
		plain[c] = !md_special((char)c) && c != '\n' && c != '\r' &&
			   c != '\t' && c != '@' && c != '<' && c != 0xe2 &&
			   c != 0xd8;
}

static void md(struct render *r, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	/* Most text needs nothing: write it as it is. */
	while (plain[*p])
		p++;
	if (!*p) {
		fputs(s ? s : "", r->out);
		return;
	}
	buf_reset(&r->tmp);
	pm_md_escape(&r->tmp, s);
	fputs(r->tmp.s, r->out);
}

/* Neutralizes a line start that Markdown would read as a list, a thematic
 * break or a setext heading underline, after up to any spaces: writes the
 * spaces (and the digits of "1."), then a backslash, and cuts them from
 * one. */
static void line_start(struct render *r, char *one)
{
	size_t lead = strspn(one, " \t\r"); /* md() makes each a space */
	size_t digits = strspn(one + lead, "0123456789");
	size_t cut;

	if (one[lead] && strchr("-+=", one[lead]))
		cut = lead;
	else if (digits && one[lead + digits] &&
		 strchr(".)", one[lead + digits]))
		cut = lead + digits; /* "1." would start a list */
	else
		return;
	fprintf(r->out, "%*s%.*s\\", (int)lead, "", (int)(cut - lead),
		one + lead);
	memmove(one, one + cut, strlen(one + cut) + 1);
}

/* Writes s escaped for one line that starts a block (a list item's first
 * words), where "1." or "- " would start a list. */
static void md_start(struct render *r, const char *s)
{
	char *one = xstrdup(s ? s : "");

	line_start(r, one);
	md(r, one);
	free(one);
}

/* Writes multi-line user text inside a list item: each line escaped, the
 * next ones as hard breaks indented by indent spaces, and a line start
 * that Markdown would read as a list or heading neutralized (the first
 * line's too when it starts a line: at_start). */
static void md_text(struct render *r, const char *s, int indent, bool at_start)
{
	const char *line = s, *nl;
	char *one;
	bool first = true;

	for (;;) {
		nl = strchr(line, '\n');
		one = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
		if (!first)
			fprintf(r->out, "  \n%*s", indent, "");
		if (!first || at_start)
			line_start(r, one);
		md(r, one);
		free(one);
		first = false;
		if (!nl)
			break;
		line = nl + 1;
	}
}

static const char *stamp(int64_t ms, char *out)
{
	char d[WHEN_BUFSZ], z[WHEN_BUFSZ];

	when_datetime(ms, d);
	when_zone_abbr(ms, z);
	snprintf(out, 2 * WHEN_BUFSZ, "%s %s", d, z);
	return out;
}

static const char *hm(int64_t ms, char *out)
{
	when_hm(ms, out);
	return out;
}

/* Rows come in bursts within a minute: convert a row's time to the zone
 * once per minute (zone offsets are whole minutes). */
static void tick(struct render *r, int64_t ms)
{
	int64_t minute = ms / 60000 - (ms % 60000 < 0);

	if (minute == r->minute)
		return;
	r->minute = minute;
	when_hm(ms, r->minute_hm);
	when_zone_abbr(ms, r->minute_abbr);
	r->minute_day = when_day(ms);
}

/* A row's time, "14:05", with the zone abbreviation when it changed since
 * the previous row ("02:30 CET" after a DST change), so that a repeated
 * wall-clock hour is never ambiguous. */
static const char *row_time(struct render *r, int64_t ms, char *out)
{
	char t[WHEN_BUFSZ], z[WHEN_BUFSZ];
	tick(r, ms);
	memcpy(t, r->minute_hm, sizeof(t));
	memcpy(z, r->minute_abbr, sizeof(z));
	if (r->abbr[0] && strcmp(z, r->abbr))
		snprintf(out, 2 * WHEN_BUFSZ, "%s %s", t, z);
	else
		snprintf(out, 2 * WHEN_BUFSZ, "%s", t);
	memcpy(r->abbr, z, sizeof(r->abbr));
	return out;
}

/* A date line whenever the day changes (timeline and transcript). */
static void day_line(struct render *r, int64_t at)
{
	char d[WHEN_BUFSZ];
	int32_t day;

	tick(r, at);
	day = r->minute_day;

	if (day == r->day)
		return;
	r->day = day;
	when_date(at, d);
	fprintf(r->out, "%s**%s**\n\n", r->n ? "\n" : "", d);
}

static const char *not_recorded(const char *cmd)
{
	static char s[96];

	snprintf(s, sizeof(s), "_not recorded — use `%s <text>`_", cmd);
	return s;
}

/* "**Root cause:** text" or the not-recorded flag. */
static void field_line(struct render *r, const char *label, enum field f)
{
	const char *v = r->pm->inc->fields[f];

	fprintf(r->out, "- **%s:** ", label);
	if (v && *v)
		md(r, v);
	else
		fputs(not_recorded(field_name(f)), r->out);
	fputc('\n', r->out);
}

static const char *duration(const struct pm_span *s, char *out)
{
	switch (s->state) {
	case PM_SPAN_OK: when_duration(s->ms, out); break;
	case PM_SPAN_MISSING: snprintf(out, WHEN_BUFSZ, "not recorded"); break;
	case PM_SPAN_ORDER: snprintf(out, WHEN_BUFSZ, "out of order"); break;
	}
	return out;
}

/* ---- sections ---------------------------------------------------------- */

static void title(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	char t[2 * WHEN_BUFSZ];

	fprintf(r->out, "# Postmortem: INC-%lld ", (long long)inc->id);
	md(r, inc->title);
	fputs("\n\n", r->out);
	if (r->pm->revision && inc->marks[MARK_CLOSED] &&
	    inc->marks[MARK_CLOSED] != r->pm->at) {
		char u[2 * WHEN_BUFSZ];

		/* `postmortem update`: dated by the update. */
		fprintf(r->out, "Closed %s · revision %d, updated %s",
			stamp(inc->marks[MARK_CLOSED], u), r->pm->revision,
			stamp(r->pm->at, t));
	} else if (r->pm->revision)
		fprintf(r->out, "Closed %s · revision %d", stamp(r->pm->at, t),
			r->pm->revision);
	else
		fprintf(r->out, "**Draft** of %s · the incident is still %s",
			stamp(r->pm->at, t),
			inc->marks[MARK_CLOSED] ? "closed" : "open");
	fprintf(r->out,
		" · times in %s · written by Scribe from the "
		"incident channel\n\n",
		when_zone_name());
	if (r->pm->revision) {
		char *svg = pm_file_name(inc, r->pm->revision, "svg");

		/* Written beside this file, with the same name. */
		fputs("The incident's picture — marks, hypotheses, playbook "
		      "steps and key moments on one time axis — is ",
		      r->out);
		md(r, svg);
		fprintf(r->out,
			", written with this document (`scribe postmortem "
			"INC-%lld --format svg`).\n\n",
			(long long)inc->id);
		free(svg);
	}
}

static const char *sev_text(const struct config *cfg, int level)
{
	size_t i;

	for (i = 0; i < cfg->nseverities; i++)
		if (cfg->severities[i].level == level)
			return cfg->severities[i].description;
	return NULL;
}

static void summary(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	const char *sev = sev_text(r->pm->cfg, inc->severity);
	char a[2 * WHEN_BUFSZ], b[2 * WHEN_BUFSZ], d[WHEN_BUFSZ];
	const char *rc = inc->fields[FIELD_ROOTCAUSE];

	fputs("## Issue Summary\n\n", r->out);
	if (m->duration.state == PM_SPAN_OK)
		fprintf(r->out, "- **Duration:** %s, from %s to %s\n",
			duration(&m->duration, d), stamp(m->started, a),
			stamp(m->end, b));
	else if (!m->end)
		fprintf(r->out, "- **Duration:** still open (started %s)\n",
			stamp(m->started, a));
	else
		fprintf(r->out,
			"- **Duration:** out of order: resolved %s is before "
			"started %s\n",
			stamp(m->end, b), stamp(m->started, a));
	fprintf(r->out, "- **Severity:** sev%d", inc->severity);
	if (sev) {
		fputs(" (", r->out);
		md(r, sev);
		fputc(')', r->out);
	}
	fputc('\n', r->out);
	field_line(r, "Impact", FIELD_IMPACT);
	fputs("- **Root cause:** ", r->out);
	if (rc && *rc)
		md(r, rc);
	else
		fputs(not_recorded("rootcause"), r->out);
	fputc('\n', r->out);
	field_line(r, "Summary", FIELD_SUMMARY);
	fputc('\n', r->out);
}

static void metric_row(struct render *r, const char *name, int64_t at,
		       const char *how)
{
	char t[2 * WHEN_BUFSZ];

	fprintf(r->out, "| %s | %s | %s |\n", name,
		at ? stamp(at, t) : "not recorded", how);
}

static void span_row(struct render *r, const char *name,
		     const struct pm_span *s, const char *from)
{
	char d[WHEN_BUFSZ];

	fprintf(r->out, "| %s | %s | %s |\n", name, duration(s, d), from);
}

/* The severity's acknowledge target (0: none). */
static int64_t ack_target(const struct config *cfg, int level)
{
	size_t i;

	for (i = 0; i < cfg->nseverities; i++)
		if (cfg->severities[i].level == level)
			return cfg->severities[i].ack_target_ms;
	return 0;
}

static bool ack_late(const struct postmortem *pm, const struct pm_metrics *m)
{
	int64_t target = ack_target(pm->cfg, pm->inc->severity);

	return target && m->to_acknowledge.state == PM_SPAN_OK &&
	       m->to_acknowledge.ms > target;
}

/* Time to acknowledge, with the severity's target when it was missed. */
static void ack_row(struct render *r, const struct pm_metrics *m)
{
	char d[WHEN_BUFSZ], t[WHEN_BUFSZ];

	duration(&m->to_acknowledge, d);
	if (ack_late(r->pm, m)) {
		when_duration(ack_target(r->pm->cfg, r->pm->inc->severity), t);
		fprintf(r->out,
			"| Time to acknowledge | %s (target for sev%d: %s) | "
			"detected to acknowledged |\n",
			d, r->pm->inc->severity, t);
		return;
	}
	fprintf(r->out,
		"| Time to acknowledge | %s | detected to "
		"acknowledged |\n",
		d);
}

static void metrics(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	const int64_t *mk = inc->marks;

	fputs("## Response metrics\n\n| | when | how it was set |\n"
	      "|---|---|---|\n",
	      r->out);
	metric_row(r, "Declared", mk[MARK_DECLARED], "`declare`");
	metric_row(r, "Started (impact began)", m->started,
		   mk[MARK_STARTED] ? "`mark started`"
				    : "default: the earlier of detected and "
				      "declared");
	metric_row(r, "Detected", m->detected,
		   mk[MARK_DETECTED] ? "`mark detected`" : "default: declared");
	metric_row(r, "Acknowledged", mk[MARK_ACKNOWLEDGED],
		   mk[MARK_ACKNOWLEDGED]
		       ? "`mark acknowledged`"
		       : "use `mark acknowledged [at <time>]`");
	metric_row(r, "Identified", m->identified,
		   !m->identified ? "use `confirm H<n>` or `status identified`"
		   : m->identified == inc->identified ? "`status identified`"
						      : "the first `confirm`");
	metric_row(r, "Mitigated", mk[MARK_MITIGATED],
		   mk[MARK_MITIGATED] ? "`mark mitigated`"
				      : "use `mark mitigated [at <time>]`");
	metric_row(r, "Resolved", mk[MARK_RESOLVED],
		   inc->resolved_explicit ? "`mark resolved`"
		   : !mk[MARK_RESOLVED]   ? "not yet"
		   : mk[MARK_RESOLVED] == mk[MARK_CLOSED]
		       ? "the close time: nothing marked it resolved"
		       : "`resolve` or `status resolved`");
	fputs("\n| metric | duration | measured from |\n|---|---|---|\n",
	      r->out);
	span_row(r, "Time to detect", &m->to_detect, "started to detected");
	ack_row(r, m);
	span_row(r, "Time to identify", &m->to_identify,
		 "started to identified");
	span_row(r, "Time to mitigate", &m->to_mitigate,
		 "started to mitigated");
	span_row(r, "Time to resolve", &m->to_resolve, "started to resolved");
	fputc('\n', r->out);
}

/* Remembers the suggested playbooks ("a, b") and their time, for "what
 * went wrong". */
static void note_suggestions(struct render *r, const char *list, int64_t at)
{
	const char *p = list, *e;
	size_t n;

	for (; *p && r->nsugg < (int)ARRAY_SIZE(r->sugg); p = e) {
		while (*p == ',' || *p == ' ')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		if (!n || n >= sizeof(r->sugg[0].id))
			continue;
		memcpy(r->sugg[r->nsugg].id, p, n);
		r->sugg[r->nsugg].id[n] = '\0';
		r->sugg[r->nsugg++].at = at;
	}
}

/* A message on the Timeline: its first MOMENT_TEXT_MAX bytes, and the
 * links of the rest, so the evidence behind it stays one click away. */
#define MOMENT_TEXT_MAX 280
static void moment_text(struct render *r, const char *text)
{
	size_t len = strlen(text), cut = MOMENT_TEXT_MAX;
	const char *p;
	char *head;

	if (len <= MOMENT_TEXT_MAX) {
		md(r, text);
		return;
	}
	while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
		cut--;
	head = xstrndup(text, cut);
	md(r, head);
	free(head);
	fputs("…", r->out);
	for (p = text + cut; (p = strstr(p, "http")) != NULL;) {
		size_t n = strcspn(p, " \t\n<>");

		if (!strncmp(p, "https://", 8) || !strncmp(p, "http://", 7)) {
			head = xstrndup(p, n);
			fputc(' ', r->out);
			md(r, head);
			free(head);
		}
		p += n ? n : 1;
	}
}

/* ", before the declare, in #general" for a context entry. */
static void where(struct render *r, const struct pm_row *row)
{
	if (row->kind != ENTRY_CONTEXT)
		return;
	fputs(", before the declare, in ", r->out);
	md(r, row->room && *row->room ? row->room : "the channel");
}

/* "(dana)", or "(dana; marked by jon)" when someone else set it; the
 * message's own time when it was said in another minute than the mark
 * ("(deploy-bot at 13:50, ...)"). */
static void who_pair(struct render *r, const struct pm_row *said,
		     const char *verb, const struct pm_row *mark)
{
	const char *by = mark->who;
	char t[WHEN_BUFSZ];

	fputs(" (", r->out);
	md(r, said->who);
	if (said->at / 60000 != mark->at / 60000)
		fprintf(r->out, " at %s", hm(said->at, t));
	where(r, said);
	if (by && strcmp(said->who, by)) {
		fprintf(r->out, "; %s by ", verb);
		md(r, by);
	}
	fputc(')', r->out);
}

static int moment_row(void *ud, const struct story_line *mo)
{
	struct render *r = ud;
	const struct pm_row *row = mo->row;
	char t[2 * WHEN_BUFSZ];

	day_line(r, row->at);
	r->n++;
	fprintf(r->out, "- %s — ", row_time(r, row->at, t));
	if (mo->suggested) {
		note_suggestions(r, mo->suggested, row->at);
		fputs("💡 Scribe suggested ", r->out);
		md(r, mo->suggested);
		fputc('\n', r->out);
		return 0;
	}
	switch (row->kind) {
	case ENTRY_MESSAGE:
	case ENTRY_FILE:
	case ENTRY_CONTEXT:
		if (row->key)
			fputs("📌 ", r->out);
		moment_text(r, row->text ? row->text : "");
		fputs(" (", r->out);
		md(r, row->who);
		where(r, row);
		fputc(')', r->out);
		break;
	case ENTRY_MARK:
		fputs("**", r->out);
		md(r, row->text);
		fputs("**", r->out);
		if (mo->status && strcmp(mo->status, "=")) {
			fputs(", status ", r->out);
			md(r, mo->status);
		}
		if (mo->because) {
			fputs(": ", r->out);
			moment_text(r, mo->because->text);
			who_pair(r, mo->because, "marked", row);
		} else {
			fputs(" (marked by ", r->out);
			md(r, row->who);
			fputc(')', r->out);
		}
		break;
	case ENTRY_GAP:
		fputs("⚠ ", r->out);
		md(r, row->text);
		break;
	default:
		md(r, row->text);
		fputs(" (", r->out);
		md(r, row->who);
		fputc(')', r->out);
		if (mo->because) {
			char u[WHEN_BUFSZ];

			fputs(", after ", r->out);
			md(r, mo->because->who);
			if (mo->because->at / 60000 != row->at / 60000)
				fprintf(r->out, " at %s",
					hm(mo->because->at, u));
			where(r, mo->because);
			fputs(": ", r->out);
			moment_text(r, mo->because->text);
		}
	}
	fputc('\n', r->out);
	return 0;
}

static size_t hash_str(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void people_grow(struct people *pp)
{
	size_t i, j, n = pp->nslots ? pp->nslots * 2 : 64;

	free(pp->slot);
	pp->slot = xcalloc(n, sizeof(*pp->slot));
	pp->nslots = n;
	for (i = 0; i < pp->n; i++) {
		for (j = hash_str(pp->v[i].id) & (n - 1); pp->slot[j];
		     j = (j + 1) & (n - 1))
			;
		pp->slot[j] = (int)i + 1;
	}
}

/* Counts row for its author: a message or a file said, a command typed. */
static void people_count(struct people *pp, const struct pm_row *row)
{
	const char *id = row->who_id ? row->who_id : row->who ? row->who : "";
	struct person *p;
	size_t j;

	if (row->kind != ENTRY_MESSAGE && row->kind != ENTRY_FILE &&
	    row->kind != ENTRY_COMMAND)
		return;
	if (2 * (pp->n + 1) > pp->nslots)
		people_grow(pp);
	for (j = hash_str(id) & (pp->nslots - 1); pp->slot[j];
	     j = (j + 1) & (pp->nslots - 1))
		if (!strcmp(pp->v[pp->slot[j] - 1].id, id))
			break;
	if (pp->slot[j]) {
		p = &pp->v[pp->slot[j] - 1];
	} else {
		ALLOC_GROW(pp->v, pp->n + 1, pp->cap);
		p = &pp->v[pp->n];
		p->id = xstrdup(id);
		p->name = xstrdup(row->who ? row->who : id);
		p->said = 0;
		pp->slot[j] = (int)++pp->n;
	}
	p->said += row->kind != ENTRY_COMMAND;
}

static void people_release(struct people *pp)
{
	size_t i;

	for (i = 0; i < pp->n; i++) {
		free(pp->v[i].id);
		free(pp->v[i].name);
	}
	free(pp->v);
	free(pp->slot);
	memset(pp, 0, sizeof(*pp));
}

/* Most said first, then by name. */
static int cmp_person(const void *a, const void *b)
{
	const struct person *x = a, *y = b;

	if (x->said != y->said)
		return x->said > y->said ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct story_pass {
	struct render *r;
	struct story *st;
};

static int story_row(void *ud, const struct pm_row *row)
{
	struct story_pass *sp = ud;

	people_count(&sp->r->people, row);
	if (row->kind == ENTRY_COMMAND)
		return 0;
	return story_add(sp->st, row);
}

static int timeline(struct render *r)
{
	struct moments *lex = moments_new(&r->pm->cfg->moments);
	struct story *st = story_new(lex, moment_row, r);
	struct story_pass sp = {r, st};
	int rc;

	fprintf(r->out, "## Timeline\n\nTimes in %s.\n\n", when_zone_name());
	r->day = 0;
	r->n = 0;
	r->abbr[0] = '\0';
	rc = r->pm->src.each(r->pm->src.ud, PM_KEY, story_row, &sp);
	if (!rc)
		rc = story_end(st);
	story_free(st);
	moments_free(lex);
	if (!rc && !r->n)
		fputs("_Nothing was recorded on the timeline._\n", r->out);
	fputc('\n', r->out);
	return rc;
}

static void investigation(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	char t[2 * WHEN_BUFSZ], d[WHEN_BUFSZ], u[WHEN_BUFSZ];
	size_t i;

	fputs("## Investigation\n\n", r->out);
	if (!inc->nhyps)
		fputs("_No hypotheses were recorded — use `hypothesis "
		      "<text>`, then `confirm H<n>` or `rule-out H<n>`._\n\n",
		      r->out);
	for (i = 0; i < inc->nhyps; i++) {
		const struct hypothesis *h = &inc->hyps[i];

		when_duration(pm_hyp_stood(inc, h, r->pm->at), d);
		fprintf(r->out, "- **H%d** ", h->n);
		md(r, h->text);
		fputs(" — raised by ", r->out);
		md(r, h->by.name);
		fprintf(r->out, " at %s; ", stamp(h->raised, t));
		if (h->state == HYP_OPEN) {
			fprintf(r->out,
				"never confirmed or ruled out (stood %s)", d);
		} else {
			fprintf(r->out, "**%s** at %s by ",
				h->state == HYP_CONFIRMED ? "confirmed"
							  : "ruled out",
				hm(h->decided, u));
			md(r, h->decided_by.name);
			fprintf(r->out, " after %s", d);
			if (h->why) {
				fputs(": ", r->out);
				md(r, h->why);
			}
		}
		fputc('\n', r->out);
	}
	if (inc->nhyps) {
		when_duration(m->misleading_ms, d);
		fprintf(r->out,
			"\n**Time on misleading paths:** %s (%d hypothes%s "
			"ruled out)\n\n",
			d, m->ruled_out, m->ruled_out == 1 ? "is" : "es");
	}
}

/* "a, b" of the ",a,b," list of suggested playbooks, into b. */
static void suggested_list(const struct incident *inc, struct buf *b)
{
	const char *p = inc->suggested ? inc->suggested : "", *e;

	for (; *p; p = e) {
		while (*p == ',')
			p++;
		e = p + strcspn(p, ",");
		if (e > p)
			buf_addf(b, "%s%.*s", b->len ? ", " : "", (int)(e - p),
				 p);
	}
}

static int playbook_row(void *ud, const struct pm_row *row)
{
	struct render *r = ud;
	char t[WHEN_BUFSZ];

	if (story_is_suggestion(row))
		return 0;
	r->n++;
	fprintf(r->out, "- %s — ", hm(row->at, t));
	md(r, row->text);
	fputs(" (", r->out);
	md(r, row->who);
	fputs(")\n", r->out);
	return 0;
}

static int playbooks(struct render *r)
{
	int rc;

	const struct incident *inc = r->pm->inc;
	size_t i, k;

	fputs("## Playbook steps\n\n", r->out);
	r->n = 0;
	rc = r->pm->src.each(r->pm->src.ud, PM_PLAYBOOK, playbook_row, r);
	if (rc)
		return rc;
	/* Steps never done, run by run. */
	for (i = 0; i < inc->nruns; i++)
		for (k = 0; k < inc->runs[i].nsteps; k++) {
			if (inc->runs[i].steps[k].state != STEP_PENDING)
				continue;
			fprintf(r->out, "- %s S%zu ", inc->runs[i].playbook,
				k + 1);
			md(r, inc->runs[i].steps[k].title);
			fputs(" — **not done**\n", r->out);
			r->n++;
		}
	if (!r->n) {
		buf_reset(&r->tmp);
		suggested_list(inc, &r->tmp);
		if (r->tmp.len) {
			char *list = xstrdup(r->tmp.s);

			fputs("_No playbook was run; suggested: ", r->out);
			md(r, list);
			fputs("._\n", r->out);
			free(list);
		} else {
			fputs("_No playbook was run._\n", r->out);
		}
	}
	fputc('\n', r->out);
	return rc;
}

static void root_cause(struct render *r)
{
	fputs("## Root Cause and Resolution\n\n", r->out);
	field_line(r, "Root cause", FIELD_ROOTCAUSE);
	field_line(r, "Resolution", FIELD_RESOLUTION);
	fputc('\n', r->out);
}

/* Starts an item of what Scribe measured (the n-th). */
static void measured_item(struct render *r, int *n)
{
	if (!(*n)++)
		fputs("\nWhat Scribe measured:\n\n", r->out);
	fputs("- _measured:_ ", r->out);
}

/* What Scribe measured that went wrong, for when nobody said. */
static void measured(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	char d[WHEN_BUFSZ], t[WHEN_BUFSZ], u[WHEN_BUFSZ];
	size_t i, k;
	int s, n = 0;

	if (m->ruled_out) {
		measured_item(r, &n);
		when_duration(m->misleading_ms, d);
		fprintf(r->out, "%s on misleading paths: ", d);
		for (i = 0, k = 0; i < inc->nhyps; i++) {
			const struct hypothesis *h = &inc->hyps[i];

			if (h->state != HYP_RULED_OUT)
				continue;
			when_duration(pm_hyp_stood(inc, h, r->pm->at), t);
			fprintf(r->out, "%sH%d ", k++ ? ", " : "", h->n);
			md(r, h->text);
			fprintf(r->out, " (%s)", t);
		}
		fputc('\n', r->out);
	}
	for (s = 0; s < r->nsugg; s++) {
		const struct pb_run *run = NULL;

		for (i = 0; i < inc->nruns && !run; i++)
			if (inc->runs[i].playbook &&
			    !strcmp(inc->runs[i].playbook, r->sugg[s].id))
				run = &inc->runs[i];
		if (run && run->started - r->sugg[s].at < 10 * 60000)
			continue;
		measured_item(r, &n);
		md(r, r->sugg[s].id);
		fprintf(r->out, " was suggested at %s ", hm(r->sugg[s].at, t));
		if (run) {
			when_duration(run->started - r->sugg[s].at, d);
			fprintf(r->out, "but started at %s (%s later)\n",
				hm(run->started, u), d);
		} else {
			fputs("and never started\n", r->out);
		}
	}
	if (ack_late(r->pm, m)) {
		measured_item(r, &n);
		when_duration(m->to_acknowledge.ms, d);
		when_duration(ack_target(r->pm->cfg, inc->severity), t);
		fprintf(r->out,
			"time to acknowledge %s, above the sev%d target of "
			"%s\n",
			d, inc->severity, t);
	}
	for (i = 0; i < inc->nruns; i++) {
		const struct pb_run *run = &inc->runs[i];
		int skipped = 0, open = 0;

		for (k = 0; k < run->nsteps; k++) {
			skipped += run->steps[k].state == STEP_SKIPPED;
			open += run->steps[k].state == STEP_PENDING;
		}
		if (!skipped && !open)
			continue;
		measured_item(r, &n);
		md(r, run->playbook);
		fputs(":", r->out);
		for (k = 0, s = 0; k < run->nsteps; k++)
			if (run->steps[k].state == STEP_SKIPPED)
				fprintf(r->out, "%s S%zu", s++ ? "," : "",
					k + 1);
		if (skipped)
			fputs(" skipped", r->out);
		for (k = 0, s = 0; k < run->nsteps; k++)
			if (run->steps[k].state == STEP_PENDING)
				fprintf(r->out, "%s S%zu",
					s++       ? ","
					: skipped ? ";"
						  : "",
					k + 1);
		if (open)
			fputs(" never done", r->out);
		fputc('\n', r->out);
	}
}

static void lessons(struct render *r, const struct pm_metrics *m)
{
	static const char *const heads[LESSON_COUNT] = {
	    "What went well", "What went wrong", "Where we got lucky"};
	const struct incident *inc = r->pm->inc;
	size_t i;
	int k, n;

	fputs("## Lessons learned\n\n", r->out);
	for (k = 0; k < LESSON_COUNT; k++) {
		fprintf(r->out, "### %s\n\n", heads[k]);
		for (i = 0, n = 0; i < inc->nlessons; i++) {
			if (inc->lessons[i].kind != (enum lesson_kind)k)
				continue;
			fputs("- ", r->out);
			md_start(r, inc->lessons[i].text);
			fputs(" (", r->out);
			md(r, inc->lessons[i].by.name);
			fputs(")\n", r->out);
			n++;
		}
		if (!n)
			fprintf(r->out,
				"_Nothing recorded — use `learned %s "
				"<text>`._\n",
				lesson_name((enum lesson_kind)k));
		if (!n && k == LESSON_WRONG)
			measured(r, m);
		fputc('\n', r->out);
	}
}

static int count_actions(const struct incident *inc, enum action_kind kind)
{
	size_t i;
	int n = 0;

	for (i = 0; i < inc->nactions; i++)
		n += inc->actions[i].kind == kind;
	return n;
}

static void action_list(struct render *r, enum action_kind kind)
{
	const struct incident *inc = r->pm->inc;
	char t[2 * WHEN_BUFSZ];
	size_t i;

	for (i = 0; i < inc->nactions; i++) {
		const struct action *a = &inc->actions[i];

		if (a->kind != kind)
			continue;
		fprintf(r->out, "- [%c] **A%d** ", a->done ? 'x' : ' ', a->n);
		md(r, a->text);
		if (a->owner.id) {
			fputs(" — owner: ", r->out);
			md(r, a->owner.name);
		} else if (!a->done) {
			fprintf(r->out,
				" — **no owner** (use `owner A%d @user`)",
				a->n);
		}
		if (a->done)
			fprintf(r->out, " — done %s", stamp(a->done, t));
		fputc('\n', r->out);
	}
}

static void measures(struct render *r)
{
	fputs("## Corrective and Preventative Measures\n\n", r->out);
	if (!count_actions(r->pm->inc, ACTION_FIX))
		fputs("_None recorded — use `fix <text> [@owner]`._\n", r->out);
	action_list(r, ACTION_FIX);
	fputs("\n## Tasks to Address the Issue\n\n", r->out);
	if (!count_actions(r->pm->inc, ACTION_TASK))
		fputs("_None recorded — use `action <text> [@owner]`._\n",
		      r->out);
	action_list(r, ACTION_TASK);
	fputc('\n', r->out);
}

static void participants(struct render *r)
{
	struct people *pp = &r->people;
	size_t i;

	if (pp->n)
		qsort(pp->v, pp->n, sizeof(*pp->v), cmp_person);
	for (i = 0; i < pp->n; i++) {
		fputs(i ? ", " : "**Participants** (messages said): ", r->out);
		md(r, pp->v[i].name);
		if (pp->v[i].said)
			fprintf(r->out, " (%lld)", (long long)pp->v[i].said);
		else
			fputs(" (commands only)", r->out);
	}
	fputs(pp->n ? "\n\n" : "_Nobody spoke in the channel._\n\n", r->out);
}

static int responders(struct render *r)
{
	const struct incident *inc = r->pm->inc;
	const struct config *cfg = r->pm->cfg;
	size_t i;
	int shown = 0;

	/* The roles held, in the configured order; empty ones are not a
	 * table of "not assigned". */
	fputs("## Responders\n\n", r->out);
	for (i = 0; i < cfg->nroles; i++) {
		const struct role *role = NULL;
		size_t j;

		for (j = 0; j < inc->nroles; j++)
			if (!strcmp(inc->roles[j].role, cfg->roles[i]))
				role = &inc->roles[j];
		if (!role)
			continue;
		if (!shown++)
			fputs("| role | who |\n|---|---|\n", r->out);
		fprintf(r->out, "| %s | ", cfg->roles[i]);
		md(r, role->who.name);
		fputs(" |\n", r->out);
	}
	if (!shown)
		fputs("_No roles were assigned — use `lead @user` or `role "
		      "<name> @user`._\n",
		      r->out);
	fputc('\n', r->out);
	participants(r);
	return 0;
}

/* Writes s as the end of a sentence: a full stop unless it has one. */
static void sentence(struct render *r, const char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	md(r, s);
	if (!n || !strchr(".!?", s[n - 1]))
		fputc('.', r->out);
}

static bool given(const char *s)
{
	return s && *s;
}

/* "1 corrective measure", "2 action items". */
static void counted(struct render *r, int n, const char *what)
{
	fprintf(r->out, "%d %s%s", n, what, n == 1 ? "" : "s");
}

static void conclusion(struct render *r, const struct pm_metrics *m)
{
	const struct incident *inc = r->pm->inc;
	const char *const *f = (const char *const *)inc->fields;
	int fixes = count_actions(inc, ACTION_FIX);
	int tasks = count_actions(inc, ACTION_TASK), ownerless = 0;
	char d[WHEN_BUFSZ];
	size_t i;

	fputs("## Conclusion\n\n", r->out);
	if (given(f[FIELD_CONCLUSION])) {
		md_text(r, f[FIELD_CONCLUSION], 0, true);
		fputs("\n\n", r->out);
		return;
	}
	/* Written from the record, as a person would say it; what is not
	 * recorded is said once, plainly. */
	fprintf(r->out, "INC-%lld, a sev%d incident, ", (long long)inc->id,
		inc->severity);
	if (m->duration.state == PM_SPAN_OK)
		fprintf(r->out, "lasted %s", duration(&m->duration, d));
	else
		fputs("has no measurable duration", r->out);
	if (given(f[FIELD_SUMMARY])) {
		fputs(": ", r->out);
		sentence(r, f[FIELD_SUMMARY]);
	} else {
		fputc('.', r->out);
	}
	if (given(f[FIELD_ROOTCAUSE])) {
		fputs(" The root cause was: ", r->out);
		sentence(r, f[FIELD_ROOTCAUSE]);
	} else {
		fputs(" Its root cause was not recorded.", r->out);
	}
	if (given(f[FIELD_RESOLUTION])) {
		fputs(" It was resolved by: ", r->out);
		sentence(r, f[FIELD_RESOLUTION]);
	}
	if (m->ruled_out) {
		when_duration(m->misleading_ms, d);
		int n = 0;

		if (m->ruled_out == 1)
			fprintf(r->out, " %s went to a misleading path (", d);
		else
			fprintf(r->out, " %s went to %d misleading paths (", d,
				m->ruled_out);
		for (i = 0; i < inc->nhyps; i++)
			if (inc->hyps[i].state == HYP_RULED_OUT) {
				if (n++)
					fputs("; ", r->out);
				md(r, inc->hyps[i].text);
			}
		fputs(") before the cause was found.", r->out);
	}
	for (i = 0; i < inc->nactions; i++)
		ownerless += !inc->actions[i].owner.id && !inc->actions[i].done;
	if (fixes || tasks) {
		fputc(' ', r->out);
		if (fixes)
			counted(r, fixes, "corrective measure");
		if (fixes && tasks)
			fputs(" and ", r->out);
		if (tasks)
			counted(r, tasks, "action item");
		fputs(fixes + tasks == 1 ? " follows up on it"
					 : " follow up on it",
		      r->out);
		if (ownerless)
			fprintf(r->out, "; %d still without an owner",
				ownerless);
		fputc('.', r->out);
	} else {
		fputs(" No follow-up was recorded.", r->out);
	}
	fputs("\n\n_Scribe wrote this from the record: `conclusion <text>` "
	      "replaces it._\n\n",
	      r->out);
}

static int transcript_row(void *ud, const struct pm_row *row)
{
	struct render *r = ud;
	char t[2 * WHEN_BUFSZ], u[WHEN_BUFSZ];
	int indent = row->reply ? 4 : 2;

	if (!row->reply)
		day_line(r, row->at);
	r->n++;
	fprintf(r->out, "%s- %s **", row->reply ? "  " : "",
		row_time(r, row->at, t));
	md(r, row->who);
	fputs("**", r->out);
	if (row->kind == ENTRY_CONTEXT) {
		fputs(" _(before the declare, in ", r->out);
		md(r, row->room && *row->room ? row->room : "the channel");
		fputs(")_", r->out);
	}
	fputs(": ", r->out);
	if (row->deleted) {
		fputs("_(deleted by ", r->out);
		md(r, row->deleted_by ? row->deleted_by : "someone");
		fprintf(r->out, " at %s)_\n", hm(row->deleted, u));
		return 0;
	}
	if (row->kind == ENTRY_FILE) {
		fputs("📎 ", r->out);
		md(r, row->file_name ? row->file_name : "a file");
		if (row->file_type && *row->file_type) {
			fputs(" (", r->out);
			md(r, row->file_type);
			fputc(')', r->out);
		}
		if (row->file_url && *row->file_url) {
			fputs(" ", r->out);
			md(r, row->file_url);
		}
		if (row->text && *row->text && row->file_name &&
		    strcmp(row->text, row->file_name)) {
			fputs(" — ", r->out);
			md_text(r, row->text, indent, false);
		}
	} else {
		md_text(r, row->text, indent, false);
	}
	if (row->edits)
		fprintf(r->out, " _(edited %d×)_", row->edits);
	if (row->truncated)
		fputs(" _(truncated)_", r->out);
	fputc('\n', r->out);
	return 0;
}

static int transcript(struct render *r)
{
	int rc;

	fprintf(r->out,
		"## Appendix: transcript\n\nEvery message in the "
		"channel, times in %s; thread replies are indented "
		"under their first message.\n\n",
		when_zone_name());
	r->day = 0;
	r->n = 0;
	r->abbr[0] = '\0';
	rc = r->pm->src.each(r->pm->src.ud, PM_TRANSCRIPT, transcript_row, r);
	if (!rc && !r->n)
		fputs("_The channel was silent._\n", r->out);
	return rc;
}

int pm_markdown(const struct postmortem *pm, FILE *out)
{
	struct render r = {.pm = pm, .out = out, .minute = INT64_MIN};
	struct pm_metrics m;
	int rc;

	buf_init(&r.tmp, BUF_UNBOUNDED);
	plain_init();
	pm_metrics(pm->inc, pm->at, &m);
	title(&r, &m);
	summary(&r, &m);
	metrics(&r, &m);
	rc = timeline(&r);
	if (!rc) {
		investigation(&r, &m);
		rc = playbooks(&r);
	}
	if (!rc) {
		root_cause(&r);
		lessons(&r, &m);
		measures(&r);
		rc = responders(&r);
	}
	if (!rc) {
		conclusion(&r, &m);
		if (!pm->no_transcript)
			rc = transcript(&r);
	}
	buf_release(&r.tmp);
	people_release(&r.people);
	if (!rc && ferror(out))
		rc = SCRIBE_EIO;
	return rc;
}
