/*
 * main.c - the scribe command line.
 *
 *   scribe run [-c FILE]            the bot: its platforms, or the console
 *   scribe console [-c FILE]        the local chat on the same store
 *   scribe replay FILE [--tz ZONE] [--quiet]
 *   scribe postmortem INC-<n> [--format md|html|json] [--revision N]
 *   scribe db migrate|check|backup DEST
 *   scribe playbook lint FILE... | snippets FILE --flavor F --out DIR
 *   scribe version
 *
 * Every subcommand takes -c/--config FILE and --db PATH (the store,
 * overriding the config). main() loads the config, fixes the process time
 * zone from it (TZ + tzset, once), opens the store and hands over.
 */
#include <errno.h>
#include <strings.h>

#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "config.h"
#include "chat/console.h"
#include "chat/replay.h"
#include "chat/matrix/matrix.h"
#include "chat/slack/slack.h"
#include "net/loop.h"
#include "net/net.h"
#include "playbooks.h"
#include "publish.h"
#include "store/store.h"

#define SCRIBE_VERSION "0.1.0"

struct opts {
	const char *config;
	const char *db;
	const char *tz;
	const char *format;
	const char *flavor;
	const char *out;
	long revision;
	long batch;
	bool quiet;
	const char *args[64]; /* positional arguments after the subcommand */
	int nargs;
};

static int usage(FILE *to)
{
	fprintf(to, "usage: scribe <command> [-c FILE] [--db PATH]\n"
		    "  run                 start the bot (the console when no "
		    "platform is configured)\n"
		    "  console             chat locally on the same store\n"
		    "  replay FILE [--tz ZONE] [--quiet] [--batch N]\n"
		    "                      feed a transcript through the bot\n"
		    "  db migrate          bring the database to this version\n"
		    "  db check            check the database's integrity\n"
		    "  db backup DEST      copy the live database to DEST\n"
		    "  version             print the version\n");
	return to == stderr ? 2 : 0;
}

/* The value of a numeric option: 1 to max. */
static int number(const char *opt, const char *s, long max, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	if (!*s || *end || *out < 1 || *out > max) {
		fprintf(stderr, "scribe: %s takes a number from 1 to %ld\n",
			opt, max);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "-c") || !strcmp(a, "--config") ||
		     !strcmp(a, "--db") || !strcmp(a, "--tz")) &&
		    i + 1 < argc) {
			if (a[1] == 'c' || a[2] == 'c')
				o->config = argv[++i];
			else if (!strcmp(a, "--db"))
				o->db = argv[++i];
			else
				o->tz = argv[++i];
		} else if (!strcmp(a, "--flavor") && i + 1 < argc) {
			o->flavor = argv[++i];
		} else if (!strcmp(a, "--out") && i + 1 < argc) {
			o->out = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			o->format = argv[++i];
		} else if (!strcmp(a, "--revision") && i + 1 < argc) {
			if (number(a, argv[++i], 100000, &o->revision))
				return -1;
		} else if (!strcmp(a, "--batch") && i + 1 < argc) {
			if (number(a, argv[++i], 1000000, &o->batch))
				return -1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "scribe: unknown option '%s'\n", a);
			return -1;
		} else if (o->nargs < (int)ARRAY_SIZE(o->args)) {
			o->args[o->nargs++] = a;
		} else {
			fprintf(stderr, "scribe: unexpected '%s'\n", a);
			return -1;
		}
	}
	return 0;
}

/* Loads the config and fixes the zone; returns 0 or prints why. */
static int setup(const struct opts *o, struct config *cfg)
{
	char err[1024];
	enum log_level lvl = LOG_INFO;

	if (config_load(cfg, o->config, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		config_release(cfg); /* it holds the defaults */
		return -1;
	}
	if (o->db) {
		free(cfg->store_path);
		cfg->store_path = xstrdup(o->db);
	}
	setenv("TZ", cfg->timezone, 1);
	tzset();
	if (!strcmp(cfg->log_level, "debug"))
		lvl = LOG_DEBUG;
	else if (!strcmp(cfg->log_level, "warning"))
		lvl = LOG_WARN;
	else if (!strcmp(cfg->log_level, "error"))
		lvl = LOG_ERROR;
	log_set_level(lvl);
	return 0;
}

static int open_store(const struct config *cfg, struct store **st)
{
	char err[1024];

	if (store_open(st, cfg->store_path, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		return -1;
	}
	return 0;
}

struct session {
	const struct config *cfg;
	struct loop loop;
	struct app app;
	struct pb_library playbooks;
	bool console_on, slack_on, matrix_on, net_on, failed;
	struct console con;
	struct net net;
	struct slack slack;
	struct matrix matrix;
};

/* Loads the playbook folder into lib; invalid files are reported and
 * skipped. */
static void load_playbooks(const struct config *cfg, struct pb_library *lib)
{
	struct buf errors;
	char *line, *nl;

	buf_init(&errors, BUF_UNBOUNDED);
	playbooks_load_dir(cfg->playbooks_dir, lib, &errors);
	for (line = errors.s; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		log_warn("playbook skipped: %s", line);
	}
	buf_release(&errors);
	if (lib->n)
		log_info("%zu playbook%s loaded from %s", lib->n,
			 lib->n == 1 ? "" : "s", cfg->playbooks_dir);
}

static void session_stop(void *ud)
{
	struct session *s = ud;

	if (s->console_on)
		console_stop(&s->con);
	if (s->slack_on)
		slack_stop(&s->slack);
	if (s->matrix_on)
		matrix_stop(&s->matrix);
	if (s->net_on)
		net_close(&s->net, NULL, NULL);
}

/* A platform refused us (a bad token, a missing scope): stop, exit 1. */
static void session_fatal(void *ud, const char *why)
{
	struct session *s = ud;

	s->failed = true;
	loop_stop(&s->loop);
}

/* SIGHUP: the playbook folder again. Nothing holds the old library
 * between events, so it is swapped and freed at once. */
static void session_reload(void *ud)
{
	struct session *s = ud;
	struct pb_library fresh;

	load_playbooks(s->cfg, &fresh);
	pb_library_release(&s->playbooks);
	s->playbooks = fresh;
	s->app.playbooks = &s->playbooks;
}

/* The loop, the app and the playbooks every session has. */
static int session_begin(struct session *s, const struct config *cfg,
			 struct store *st)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	if (loop_init(&s->loop, session_stop, session_reload, s)) {
		fprintf(stderr, "scribe: cannot start the event loop\n");
		return -1;
	}
	app_init(&s->app, cfg, st, &s->loop.uv);
	load_playbooks(cfg, &s->playbooks);
	s->app.playbooks = &s->playbooks;
	return 0;
}

/* Runs the loop until everything on it is done, then takes the session
 * down; returns 1 when the loop did not close cleanly. */
static int session_run(struct session *s)
{
	loop_run(&s->loop);
	app_release(&s->app);
	if (s->console_on)
		console_release(&s->con);
	if (s->slack_on)
		slack_release(&s->slack);
	if (s->matrix_on)
		matrix_release(&s->matrix);
	pb_library_release(&s->playbooks);
	if (loop_release(&s->loop)) {
		log_error("the event loop did not close cleanly");
		return 1;
	}
	return 0;
}

/* The console on the loop until end of input or a signal. */
static int run_console(const struct config *cfg, struct store *st)
{
	struct session s;
	int rc;

	if (session_begin(&s, cfg, st))
		return 1;
	s.console_on = true;
	console_init(&s.con, &s.app, &s.loop.uv, stdout);
	app_add_transport(&s.app, &s.con.chat);
	rc = console_start(&s.con);
	if (rc) {
		fprintf(stderr, "scribe: console: %s\n", uv_strerror(rc));
		console_stop(&s.con);
	}
	return session_run(&s) || rc ? 1 : 0;
}

/* The chat platforms of the config on the loop, until a signal: Slack
 * and Matrix may both run, each with its own incidents. */
static int run_platforms(const struct config *cfg, struct store *st)
{
	struct net_options no = {.ca_file = getenv("SCRIBE_CA_FILE")};
	struct session s;
	char err[512];
	int rc;

	if (session_begin(&s, cfg, st))
		return 1;
	rc = net_init(&s.net, &s.loop.uv, &no);
	if (rc) {
		fprintf(stderr, "scribe: cannot start the network layer "
				"(is libwebsockets-evlib-uv installed?)\n");
		session_run(&s);
		return 1;
	}
	s.net_on = true;
	if (cfg->slack.enabled) {
		rc = slack_init(&s.slack, &s.app, &s.net, &cfg->slack, err,
				sizeof(err));
		if (!rc) {
			s.slack_on = true;
			s.slack.on_fatal = session_fatal;
			s.slack.fatal_ud = &s;
			app_add_transport(&s.app, &s.slack.chat);
		}
	}
	if (!rc && cfg->matrix.enabled) {
		rc = matrix_init(&s.matrix, &s.app, &s.net, &cfg->matrix, err,
				 sizeof(err));
		if (!rc) {
			s.matrix_on = true;
			s.matrix.on_fatal = session_fatal;
			s.matrix.fatal_ud = &s;
			app_add_transport(&s.app, &s.matrix.chat);
		}
	}
	if (rc) {
		fprintf(stderr, "scribe: %s\n", err);
		session_stop(&s);
	} else {
		if (s.slack_on)
			slack_start(&s.slack);
		if (s.matrix_on)
			matrix_start(&s.matrix);
		/* What the last run left in the outbox goes out now, not
		 * with the first event. */
		app_flush(&s.app);
	}
	return session_run(&s) || rc || s.failed ? 1 : 0;
}

static int cmd_run(const struct opts *o, bool console_only)
{
	struct config cfg;
	struct store *st;
	int rc;

	if (setup(o, &cfg))
		return 1;
	if (open_store(&cfg, &st)) {
		config_release(&cfg);
		return 1;
	}
	rc = !console_only && (cfg.slack.enabled || cfg.matrix.enabled)
		 ? run_platforms(&cfg, st)
		 : run_console(&cfg, st);
	store_close(st);
	config_release(&cfg);
	return rc;
}

static int cmd_replay(const struct opts *o)
{
	struct replay_stats stats;
	struct pb_library playbooks;
	struct console con;
	struct config cfg;
	struct store *st;
	struct app app;
	int rc;

	if (o->nargs != 1) {
		fprintf(stderr, "usage: scribe replay FILE [--tz ZONE] "
				"[--quiet]\n");
		return 2;
	}
	if (setup(o, &cfg))
		return 1;
	if (open_store(&cfg, &st)) {
		config_release(&cfg);
		return 1;
	}
	app_init(&app, &cfg, st, NULL);
	load_playbooks(&cfg, &playbooks);
	app.playbooks = &playbooks;
	console_init(&con, &app, NULL, stdout);
	con.quiet = o->quiet;
	if (o->batch)
		replay_batch = (unsigned)o->batch;
	app_add_transport(&app, &con.chat);
	rc = replay_file(&app, &con, o->args[0], o->tz, &stats);
	app_release(&app);
	console_release(&con);
	pb_library_release(&playbooks);
	fprintf(stderr,
		"replay: %llu lines, %llu recorded, %llu already recorded, "
		"%llu outside incidents, %llu skipped\n",
		(unsigned long long)stats.lines,
		(unsigned long long)stats.recorded,
		(unsigned long long)stats.duplicates,
		(unsigned long long)stats.ignored,
		(unsigned long long)stats.skipped);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}

static int cmd_postmortem(const struct opts *o)
{
	enum publish_format fmt = PUBLISH_MD;
	const char *f = o->format ? o->format : "md";
	struct config cfg;
	struct store *st;
	char err[512] = "", *end;
	long id = -1;
	int rc;

	if (o->nargs == 1 && !strncasecmp(o->args[0], "INC-", 4))
		id = strtol(o->args[0] + 4, &end, 10);
	if (id < 1 || *end) {
		fprintf(stderr, "usage: scribe postmortem INC-<n> [--format "
				"md|html|json] [--revision N]\n");
		return 2;
	}
	if (!strcmp(f, "html"))
		fmt = PUBLISH_HTML;
	else if (!strcmp(f, "json"))
		fmt = PUBLISH_JSON;
	else if (strcmp(f, "md")) {
		fprintf(stderr, "scribe: --format is md, html or json\n");
		return 2;
	}
	if (setup(o, &cfg))
		return 1;
	if (open_store(&cfg, &st)) {
		config_release(&cfg);
		return 1;
	}
	rc = publish_render(st, &cfg, id, (int)o->revision, fmt, 0, stdout, err,
			    sizeof(err));
	if (rc)
		fprintf(stderr, "scribe: %s\n", err);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}

static int cmd_playbook(const struct opts *o)
{
	const char *verb = o->nargs ? o->args[0] : "";

	if (!strcmp(verb, "lint") && o->nargs > 1)
		return playbooks_lint(o->nargs - 1, (char **)o->args + 1,
				      stdout);
	if (!strcmp(verb, "snippets") && o->nargs == 2 && o->flavor && o->out)
		return playbooks_snippets(o->args[1], o->flavor, o->out,
					  stdout);
	fprintf(stderr, "usage: scribe playbook lint FILE...\n"
			"       scribe playbook snippets FILE --flavor "
			"postgresql|mysql|mariadb|shell --out DIR\n");
	return 2;
}

static int cmd_db(const struct opts *o)
{
	const char *verb = o->nargs ? o->args[0] : "";
	struct config cfg;
	struct store *st;
	char err[1024];
	int rc = 0, before;

	if (strcmp(verb, "migrate") && strcmp(verb, "check") &&
	    strcmp(verb, "backup")) {
		fprintf(stderr, "usage: scribe db migrate|check|backup DEST\n");
		return 2;
	}
	if (!strcmp(verb, "backup") && o->nargs != 2) {
		fprintf(stderr, "usage: scribe db backup DEST\n");
		return 2;
	}
	if (setup(o, &cfg))
		return 1;
	if (store_open_raw(&st, cfg.store_path, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		config_release(&cfg);
		return 1;
	}
	before = store_schema_version(st);
	if (!strcmp(verb, "migrate")) {
		rc =
		    store_migrate(st, store_latest_version(), err, sizeof(err));
		if (!rc)
			printf("%s: schema version %d (was %d)\n",
			       cfg.store_path, store_latest_version(), before);
	} else if (!strcmp(verb, "check")) {
		rc = store_check(st, err, sizeof(err));
		if (!rc)
			printf("%s: ok (schema version %d)\n", cfg.store_path,
			       before);
	} else {
		rc = store_check(st, err, sizeof(err));
		if (!rc)
			rc = store_backup(st, o->args[1], err, sizeof(err));
		if (!rc)
			printf("%s: backed up to %s\n", cfg.store_path,
			       o->args[1]);
	}
	if (rc)
		fprintf(stderr, "scribe: %s: %s\n", cfg.store_path, err);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("scribe %s\n", SCRIBE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h"))
		return usage(stdout);
	if (parse_opts(argc, argv, &o))
		return 2;
	if (!strcmp(cmd, "run"))
		return cmd_run(&o, false);
	if (!strcmp(cmd, "console"))
		return cmd_run(&o, true);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(&o);
	if (!strcmp(cmd, "db"))
		return cmd_db(&o);
	if (!strcmp(cmd, "postmortem"))
		return cmd_postmortem(&o);
	if (!strcmp(cmd, "playbook"))
		return cmd_playbook(&o);
	if (*cmd)
		fprintf(stderr, "scribe: unknown command '%s'\n", cmd);
	return usage(stderr);
}
