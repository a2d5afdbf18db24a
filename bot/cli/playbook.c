/*
 * playbook.c - `scribe playbook lint FILE...`, `scribe playbook snippets
 * FILE --flavor F --out DIR` (see playbooks.h) and `scribe playbook
 * backtest FILE...`.
 *
 * The backtest replays each transcript through the very same pipeline as
 * `scribe replay` - same parsing, same channel moves, same suggestion rule
 * - into a scratch store in a temporary folder that is removed afterwards,
 * so nothing is recorded anywhere. It then reads the incidents' timelines:
 * "suggested <id> (matched ...)" and "started <id>" entries, and the
 * message or title that fired each suggestion.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <strings.h>

#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "cli/cli.h"
#include "chat/console.h"
#include "chat/replay.h"
#include "core/core.h"
#include "core/when.h"
#include "playbooks.h"
#include "store/store.h"

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The playbook id of a "suggested <id> ..." or "started <id>: ..." entry
 * whose prefix is verb, in out; false when text is not one. */
static bool entry_of(const char *text, const char *verb, char *out,
		     size_t outsz)
{
	size_t n = strlen(verb), k;

	if (strncmp(text, verb, n) || text[n] != ' ')
		return false;
	text += n + 1;
	k = strcspn(text, " :");
	if (!k || k >= outsz)
		return false;
	memcpy(out, text, k);
	out[k] = '\0';
	return true;
}

/* When id was first started in rows, or -1. */
static int64_t started_at(const struct timeline_row *rows, size_t n,
			  const char *id)
{
	char pb[128];
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].kind == ENTRY_PLAYBOOK &&
		    entry_of(rows[i].text, "started", pb, sizeof(pb)) &&
		    !strcmp(pb, id))
			return rows[i].at;
	return -1;
}

/* One incident's suggestions, as the backtest prints them. */
static void report_incident(FILE *out, const struct incident *inc,
			    const struct timeline_row *rows, size_t n,
			    unsigned *chatter)
{
	int64_t declared = inc->marks[MARK_DECLARED], start;
	char pb[128], when[WHEN_BUFSZ], zone[WHEN_BUFSZ];
	struct buf noise;
	size_t i, k, shown = 0;

	when_datetime(declared, when);
	when_zone_abbr(declared, zone);
	fprintf(out, "  INC-%lld %s (sev%d), declared %s %s\n",
		(long long)inc->id, inc->title, inc->severity, when, zone);
	buf_init(&noise, BUF_UNBOUNDED);
	for (i = 0; i < n; i++) {
		const struct timeline_row *r = &rows[i], *from = NULL;
		const char *words;
		char line[512], by[256], at[32];

		if (r->kind != ENTRY_PLAYBOOK ||
		    !entry_of(r->text, "suggested", pb, sizeof(pb)))
			continue;
		words = strstr(r->text, "(matched ");
		/* What fired it: the message just before it, or the title. */
		for (k = i; k-- > 0 && !from;)
			if (rows[k].kind == ENTRY_MESSAGE ||
			    rows[k].kind == ENTRY_DECLARED)
				from = &rows[k];
		start = started_at(rows, n, pb);
		if (words)
			snprintf(by, sizeof(by), "%.*s",
				 (int)strlen(words + 9) - 1, words + 9);
		else
			snprintf(by, sizeof(by), "sev%d", inc->severity);
		snprintf(at, sizeof(at), "+%lld min",
			 (long long)((r->at - declared) / 60000));
		snprintf(line, sizeof(line), "    %-8s  %-20s by %s", at, pb,
			 by);
		if (from && from->kind == ENTRY_MESSAGE) {
			fprintf(out, "%s  — %s: %.80s", line, from->who,
				from->text);
			if (start < 0)
				buf_addf(&noise, "%s  — %s: %.80s\n", line,
					 from->who, from->text);
		} else {
			fprintf(out, "%s  — the declare", line);
		}
		if (start >= 0)
			fprintf(out, "; started +%lld min\n",
				(long long)((start - declared) / 60000));
		else
			fprintf(out, "; never started\n");
		shown++;
	}
	if (!shown)
		fprintf(out, "    no suggestions\n");
	if (noise.len) {
		fprintf(out,
			"  on chatter (suggested from a message, never "
			"started):\n%s",
			noise.s);
		for (i = 0; i < noise.len; i++)
			*chatter += noise.s[i] == '\n';
	}
	buf_release(&noise);
}

/* Replays path into a scratch store under dir and reports on out. */
static int backtest_one(const struct opts *o, const struct config *base,
			const struct pb_library *lib, const char *dir,
			const char *path, FILE *out, unsigned *chatter)
{
	struct replay_stats stats;
	struct incident *list = NULL;
	struct console con;
	struct config cfg = *base;
	struct store *st;
	struct app app;
	FILE *devnull;
	char err[512];
	size_t n = 0, i;
	int rc;

	/* The base config's strings are shared, not copied: only the two
	 * paths change, and they are freed here. */
	cfg.store_path = xasprintf("%s/backtest.db", dir);
	cfg.postmortem_dir = xasprintf("%s/postmortems", dir);
	rc = store_open(&st, cfg.store_path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "scribe: %s\n", err);
		goto out;
	}
	devnull = fopen("/dev/null", "w");
	app_init(&app, &cfg, st, NULL);
	app.playbooks = lib;
	console_init(&con, &app, NULL, devnull ? devnull : stdout);
	con.quiet = true;
	app_add_transport(&app, &con.chat);
	rc = replay_file(&app, &con, path, o->tz, &stats);
	app_release(&app);
	console_release(&con);
	if (devnull)
		fclose(devnull);
	if (!rc)
		fprintf(out, "%s: %llu lines\n", path,
			(unsigned long long)stats.lines);
	if (!rc)
		rc = store_incidents_list(st, 0, &list, &n);
	if (!rc && !n)
		fprintf(out, "  no incident declared\n");
	for (i = 0; !rc && i < n; i++) {
		struct timeline_row *rows = NULL;
		size_t nrows = 0;
		int64_t count = 0;

		rc = store_timeline_count(st, list[i].id, &count);
		if (!rc)
			rc = store_timeline_tail(st, list[i].id,
						 count > 0 ? (int)count : 1,
						 &rows, &nrows);
		if (!rc)
			report_incident(out, &list[i], rows, nrows, chatter);
		store_rows_free(rows, nrows);
	}
	store_incidents_free(list, n);
	store_close(st);
out:
	free(cfg.store_path);
	free(cfg.postmortem_dir);
	return rc;
}

/* `scribe playbook backtest FILE...`. */
static int backtest(const struct opts *o)
{
	struct pb_library lib;
	struct config cfg;
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], sub[PATH_MAX + 16];
	unsigned chatter = 0;
	int i, rc = 0;

	if (cli_setup(o, &cfg))
		return 1;
	cli_load_playbooks(&cfg, &lib);
	snprintf(dir, sizeof(dir), "%s/scribe-backtest-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "scribe: cannot make a scratch folder %s: %s\n",
			dir, strerror(errno));
		rc = -1;
	}
	for (i = 1; !rc && i < o->nargs; i++) {
		/* A fresh store per transcript: INC numbers and suggestions
		 * of one never leak into the next. */
		snprintf(sub, sizeof(sub), "%s/%d", dir, i);
		if (mkdir(sub, 0700)) {
			fprintf(stderr, "scribe: %s: %s\n", sub,
				strerror(errno));
			rc = -1;
			break;
		}
		rc = backtest_one(o, &cfg, &lib, sub, o->args[i], stdout,
				  &chatter);
	}
	if (!rc)
		printf("%u suggestion%s fired on chatter\n", chatter,
		       chatter == 1 ? "" : "s");
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	pb_library_release(&lib);
	config_release(&cfg);
	return rc ? 1 : 0;
}

int cli_playbook(const struct opts *o)
{
	const char *verb = o->nargs ? o->args[0] : "";

	if (!strcmp(verb, "lint") && o->nargs > 1)
		return playbooks_lint(o->nargs - 1, (char **)o->args + 1,
				      stdout);
	if (!strcmp(verb, "snippets") && o->nargs == 2 && o->flavor && o->out)
		return playbooks_snippets(o->args[1], o->flavor, o->out,
					  stdout);
	if (!strcmp(verb, "backtest") && o->nargs > 1)
		return backtest(o);
	return cli_usage_error(cli_find("playbook"));
}
