/*
 * playbook.h - playbooks: parsed from YAML, gathered in a library, and
 * matched against what people write.
 *
 * Pure: playbook_parse() reads bytes (the folder is read by
 * bot/playbooks.c), and the matcher runs on every message of an incident
 * channel, so it is one pass over the message's words with a binary search
 * of a sorted keyword index - no allocation unless something matches.
 * The format is documented in playbooks/README.md.
 */
#ifndef SCRIBE_PLAYBOOK_H
#define SCRIBE_PLAYBOOK_H

#include "util/base.h"
#include "util/buf.h"

#define PLAYBOOK_MAX_BYTES (1u << 20)

struct pb_command {
	char *flavor; /* postgresql, mysql, mariadb, shell */
	char *label;  /* may be NULL */
	char *run;
};

struct pb_step {
	char *id;
	char *title;
	char *instructions; /* Markdown */
	bool evidence;      /* evidence is required to mark it done */
	char *skip_when;    /* a condition in words, or NULL */
	struct pb_command *cmds;
	size_t ncmds;
};

struct playbook {
	char *id;
	char *title;
	char *description; /* may be NULL */
	char *file;        /* where it came from */
	char **keywords;   /* lowercase */
	size_t nkeywords;
	int *severities;
	size_t nseverities;
	struct pb_step *steps;
	size_t nsteps;
};

/*
 * Parses one playbook from data (len bytes, YAML or JSON) named file in
 * messages. On error returns SCRIBE_EINVAL with every problem found, one
 * per line, as "FILE:LINE:COL: what" in *errors (a buffer the caller
 * owns, appended to), and pb is empty.
 */
int playbook_parse(const char *file, const char *data, size_t len,
		   struct playbook *pb, struct buf *errors);
void playbook_release(struct playbook *pb);

/* A keyword's first word, for the index. */
struct pb_key {
	const char *first; /* points into words */
	char *words;       /* the keyword's words, NUL-separated, lowercase */
	size_t nwords;
	size_t book, keyword;
	bool weak; /* one short word: needs a second signal in chatter */
};

/* Letters in a weak keyword at most. */
#define PB_WEAK_MAX 3

/* The loaded playbooks, in id order, and their keyword index. */
struct pb_library {
	struct playbook *books;
	size_t n, cap;
	struct pb_key *keys;
	size_t nkeys;
};

void pb_library_init(struct pb_library *lib);
/* Takes pb over. SCRIBE_EDUP (and pb released) when its id is taken. */
int pb_library_add(struct pb_library *lib, struct playbook *pb);
/* Sorts the playbooks and builds the keyword index; call after adding. */
void pb_library_finish(struct pb_library *lib);
void pb_library_release(struct pb_library *lib);
const struct playbook *pb_library_find(const struct pb_library *lib,
				       const char *id);

struct pb_match {
	const struct playbook *pb;
	int score;           /* keywords matched, plus 1 for the severity */
	const char *keyword; /* the first keyword that matched, or NULL */
	const char *also;    /* a second one, or NULL */
};

/*
 * The playbooks whose triggers match text (and severity, when > 0), best
 * first: more keywords matched, then a severity match, then id order. At
 * most max are written to out; returns how many matched in all.
 */
size_t pb_library_match(const struct pb_library *lib, const char *text,
			int severity, struct pb_match *out, size_t max);

/*
 * The same for a message of the channel (chatter), severity aside: a weak
 * keyword (one word of at most PB_WEAK_MAX letters, like "db") counts only
 * beside a second keyword of the same playbook, so "db password is
 * hunter2" suggests nothing while "db connection refused" does.
 */
size_t pb_library_match_chatter(const struct pb_library *lib, const char *text,
				struct pb_match *out, size_t max);

/* True when any keyword occurs in text: the cheap test for every message
 * (a superset of what the matchers accept). */
bool pb_library_any(const struct pb_library *lib, const char *text);
/* The same, counting only the playbooks accept() takes. */
bool pb_library_any_where(const struct pb_library *lib, const char *text,
			  bool (*accept)(void *ud, const struct playbook *pb),
			  void *ud);

#endif
