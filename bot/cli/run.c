/*
 * run.c - `scribe run` and `scribe console`: a session on the one loop.
 *
 * A session is the loop, the app, the playbooks and the transports the
 * config turns on (Slack, Matrix, or the console when none is), and the
 * HTTP server beside them when the config has an http section. It runs
 * until end of input (console, without a server) or a signal, then closes
 * everything in order.
 */
#include <unistd.h>

#include "util/base.h"
#include "util/log.h"
#include "util/secret.h"
#include "app.h"
#include "cli/cli.h"
#include "chat/console.h"
#include "chat/matrix/matrix.h"
#include "chat/slack/slack.h"
#include "metrics.h"
#include "net/loop.h"
#include "net/net.h"
#include "net/notify.h"
#include "store/store.h"
#include "web/routes.h"
#include "web/web.h"

#include <sys/resource.h>

struct session {
	const struct config *cfg;
	struct loop loop;
	struct app app;
	struct pb_library playbooks;
	bool console_on, slack_on, matrix_on, net_on, web_on, failed;
	struct console con;
	struct net net;
	struct web web;
	struct metrics_route metrics_route;
	struct slack_route slack_route;
	struct dashboard dashboard;
	struct slack slack;
	struct matrix matrix;
	struct notify notify; /* systemd: READY=1, STATUS=, the watchdog */
};

/* The shutdown order of guides/EVENT-LOOP-AND-STYLE.md 4.2: no new
 * requests, then the transports, then the network layer (curl, then the
 * lws context, which takes the HTTP connections with it). */
static void session_stop(void *ud)
{
	struct session *s = ud;

	notify_send("STOPPING=1");
	notify_close(&s->notify);
	if (s->web_on) {
		dashboard_close(&s->dashboard);
		web_close(&s->web);
	}
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

/* STATUS= for systemd: each platform, ready or what it still lacks
 * (its chat ops' ready(), as /readyz says). */
static void session_describe(void *ud, char *buf, size_t len)
{
	struct session *s = ud;
	struct chat *platforms[2];
	char why[128];
	size_t n = 0, i, used = 0;

	if (s->slack_on)
		platforms[n++] = &s->slack.chat;
	if (s->matrix_on)
		platforms[n++] = &s->matrix.chat;
	snprintf(buf, len, "%s", s->console_on ? "console" : "");
	used = strlen(buf);
	for (i = 0; i < n && used < len; i++) {
		const struct chat_ops *ops = platforms[i]->ops;

		why[0] = '\0';
		snprintf(buf + used, len - used, "%s%s: %s", used ? "; " : "",
			 ops->name,
			 !ops->ready ||
				 ops->ready(platforms[i], why, sizeof(why))
			     ? "ready"
			     : why);
		used = strlen(buf);
	}
	if (s->web_on && used < len)
		snprintf(buf + used, len - used, "%shttp: listening",
			 used ? "; " : "");
}

/* The store is open (and the HTTP server listens, when there is one):
 * systemd may consider Scribe started. Platforms connecting are not
 * waited for; STATUS= tells how they are doing. */
static void session_ready(struct session *s)
{
	notify_start(&s->notify, &s->loop.uv, session_describe, s);
	notify_send("READY=1");
}

/* Runs the loop until everything on it is done, then takes the session
 * down; returns 1 when the loop did not close cleanly. */
static int session_run(struct session *s)
{
	loop_run(&s->loop);
	notify_close(&s->notify);
	app_release(&s->app);
	if (s->web_on) {
		web_release(&s->web);
		metrics_route_release(&s->metrics_route);
		slack_route_release(&s->slack_route);
		dashboard_release(&s->dashboard);
	}
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

/* lws's socket table must hold every HTTP connection, and so must the
 * process's descriptor limit: the soft limit is raised (up to the hard
 * one) when it is lower than that. */
static void raise_fd_limit(int sockets)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)sockets + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		log_warn("http: the descriptor limit (%llu) is below what "
			 "http.max_connections needs (%llu): raise `ulimit -n`",
			 (unsigned long long)rl.rlim_cur,
			 (unsigned long long)want);
}

/* The network layer: lws and curl on the session's loop. */
static int session_net(struct session *s)
{
	const struct config_http *h = &s->cfg->http;
	struct net_options no = {.ca_file = getenv("SCRIBE_CA_FILE")};

	if (h->enabled) {
		no.max_sockets = h->max_connections;
		no.http_timeout_ms = h->header_timeout_ms > h->read_timeout_ms
					 ? h->header_timeout_ms
					 : h->read_timeout_ms;
		raise_fd_limit(net_max_sockets(&no));
	}
	if (net_init(&s->net, &s->loop.uv, &no)) {
		fprintf(stderr, "scribe: cannot start the network layer "
				"(is libwebsockets-evlib-uv installed?)\n");
		return -1;
	}
	s->net_on = true;
	return 0;
}

/* The HTTP server and its routes, after the transports: /readyz asks
 * them, Slack's routes hand events to Slack's. Once this returns 0 the
 * server listens (web_listening()): the moment for READY=1. */
static int session_web(struct session *s)
{
	const struct config *cfg = s->cfg;
	char *token = NULL, *secret = NULL, *dash = NULL;
	char err[512];
	int rc = -1;

	if (!cfg->http.enabled)
		return 0;
	/* Secrets: a systemd credential, else the environment. */
	if (cfg->http.metrics_token_env) {
		token = secret_get(cfg->http.metrics_token_env);
		if (!token) {
			fprintf(stderr,
				"scribe: set %s in the environment (the bearer "
				"token of /metrics), or remove "
				"http.metrics_token_env\n",
				cfg->http.metrics_token_env);
			goto out;
		}
	}
	if (s->slack_on && cfg->slack.mode == SLACK_EVENTS) {
		secret = secret_get(cfg->slack.signing_secret_env);
		if (!secret) {
			fprintf(stderr,
				"scribe: slack: set %s in the environment (the "
				"app's signing secret: Basic Information, App "
				"Credentials)\n",
				cfg->slack.signing_secret_env);
			goto out;
		}
	}
	if (web_init(&s->web, &s->net, &cfg->http, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		goto out;
	}
	s->web_on = true;
	health_routes(&s->web, &s->app);
	metrics_routes(&s->web, &s->metrics_route, &s->app, token);
	dash = secret_get(cfg->http.dashboard_token_env);
	dashboard_routes(&s->web, &s->dashboard, &s->app, dash);
	if (secret)
		slack_routes(&s->web, &s->slack_route, &s->slack, secret);
	rc = 0;
out:
	free(token);
	free(secret);
	free(dash);
	return rc;
}

/* The console on the loop until end of input or a signal; with an http
 * section, the HTTP server beside it (and then the end of the input does
 * not end Scribe: a signal does). */
static int run_console(const struct config *cfg, struct store *st)
{
	struct session s;
	int rc;

	if (session_begin(&s, cfg, st))
		return 1;
	s.console_on = true;
	console_init(&s.con, &s.app, &s.loop.uv, stdout);
	app_add_transport(&s.app, &s.con.chat);
	if (cfg->http.enabled && (session_net(&s) || session_web(&s))) {
		session_stop(&s);
		session_run(&s);
		return 1;
	}
	rc = console_start(&s.con);
	if (rc) {
		fprintf(stderr, "scribe: console: %s\n", uv_strerror(rc));
		session_stop(&s);
	} else {
		session_ready(&s);
	}
	return session_run(&s) || rc ? 1 : 0;
}

/* The chat platforms of the config on the loop, until a signal: Slack
 * and Matrix may both run, each with its own incidents. */
static int run_platforms(const struct config *cfg, struct store *st)
{
	struct session s;
	char err[512] = "";
	int rc = 0;

	if (session_begin(&s, cfg, st))
		return 1;
	if (session_net(&s)) {
		session_run(&s);
		return 1;
	}
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
	if (rc)
		fprintf(stderr, "scribe: %s\n", err);
	else if (session_web(&s))
		rc = -1;
	if (rc) {
		session_stop(&s);
	} else {
		if (s.slack_on)
			slack_start(&s.slack);
		if (s.matrix_on)
			matrix_start(&s.matrix);
		/* What the last run left in the outbox goes out now, not
		 * with the first event. */
		app_flush(&s.app);
		session_ready(&s);
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
#ifdef SCRIBE_VERSION
	metrics_reset(SCRIBE_VERSION);
#else
	metrics_reset("unknown");
#endif
	if (!console_only && !cfg.slack.enabled && !cfg.matrix.enabled &&
	    !cfg.http.enabled && getenv("INVOCATION_ID") &&
	    !isatty(STDIN_FILENO)) {
		/* A service with no platform would be a console on
		 * /dev/null, done at once: say what is missing, and exit
		 * with EX_CONFIG, which the unit does not restart. */
		fprintf(stderr,
			"scribe: no chat platform is configured in %s: add a "
			"slack: or matrix: section (the console needs a "
			"terminal)\n",
			cfg.path ? cfg.path : "the defaults (no -c FILE)");
		config_release(&cfg);
		return 78;
	}
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
