/*
 * run.c - `scribe run` and `scribe console`: a session on the one loop.
 *
 * A session is the loop, the app, the playbooks and the transports the
 * config turns on (Slack, Matrix, or the console when none is). It runs
 * until end of input (console) or a signal, then closes everything in
 * order.
 */
#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "cli/cli.h"
#include "chat/console.h"
#include "chat/matrix/matrix.h"
#include "chat/slack/slack.h"
#include "net/loop.h"
#include "net/net.h"
#include "store/store.h"

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

	cli_load_playbooks(s->cfg, &fresh);
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
	cli_log_start(cfg);
	app_init(&s->app, cfg, st, &s->loop.uv);
	cli_load_playbooks(cfg, &s->playbooks);
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

static int run_or_console(const struct opts *o, bool console_only)
{
	struct config cfg;
	struct store *st;
	int rc;

	if (cli_setup(o, &cfg))
		return 1;
	if (cli_open_store(&cfg, CLI_STORE_CREATE, &st)) {
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

int cli_run(const struct opts *o)
{
	return run_or_console(o, false);
}

int cli_console(const struct opts *o)
{
	return run_or_console(o, true);
}
