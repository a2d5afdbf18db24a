/*
 * routes.h - the route tables Scribe's HTTP server (web.h) is given.
 *
 * Each *_routes() adds one table; its state is a struct the caller owns
 * and keeps until web_release(). Handlers run on the loop and read only
 * what the request holds.
 */
#ifndef SCRIBE_WEB_ROUTES_H
#define SCRIBE_WEB_ROUTES_H

#include <uv.h>

#include "util/base.h"
#include "web/web.h"

struct app;
struct slack;

/* GET /healthz: 200 while the loop runs. GET /readyz: 200 when the store
 * answers and every transport is signed in and connected; else 503 with
 * a JSON body naming what is not ready. */
int health_routes(struct web *w, struct app *app);

/* GET /metrics: Prometheus's text format 0.0.4. token (copied; NULL or
 * "" for none) is the bearer token it requires. */
struct metrics_route {
	struct app *app;
	char *token;
};
int metrics_routes(struct web *w, struct metrics_route *m, struct app *app,
		   const char *token);
void metrics_route_release(struct metrics_route *m);
/* The exposition text (malloc'd, *len bytes), as GET /metrics sends it. */
char *metrics_render(struct app *app, size_t *len);

/* POST /slack/events, /slack/commands, /slack/interactivity: Slack's
 * Events API, each request's signature checked with secret (copied). */
struct slack_route {
	struct slack *slack;
	char *secret;
	int64_t skew_ms; /* how far off a timestamp may be: 5 minutes */
};
int slack_routes(struct web *w, struct slack_route *r, struct slack *s,
		 const char *secret);
void slack_route_release(struct slack_route *r);

/* The read-only dashboard (web/dashboard.c): GET / (the incidents),
 * GET /incidents/INC-<n> (one incident), its downloads and its live
 * updates (/incidents/INC-<n>/events), GET /static/scribe.css and
 * /static/live.js. token (copied; NULL or "" for none) is the shared token
 * of http.dashboard_auth: token. It becomes the app's on_commit listener.
 * dashboard_close() ends the live streams (before the server closes). */
struct dashboard {
	struct app *app;
	char *token;
	/* Live pages: one server-sent event stream per open incident page,
	 * told when the incident's timeline grew (checked at most every
	 * 250 ms after a commit; a comment every 15 s keeps it open). */
	struct dashboard_stream {
		struct web_req *req;
		int64_t incident_id;
		int64_t entries; /* the timeline's length last told */
	} * streams;
	size_t nstreams, streams_cap;
	uv_timer_t tick;
	bool tick_on, tick_init;
};
int dashboard_routes(struct web *w, struct dashboard *d, struct app *app,
		     const char *token);
void dashboard_close(struct dashboard *d);
void dashboard_release(struct dashboard *d);

/*
 * Slack's request signature, v0: HMAC-SHA256 of "v0:<timestamp>:<body>"
 * with secret, as the hex after "v0=" in signature; timestamp (seconds)
 * within skew_ms of now_ms. A NULL header is a missing one. Returns 0, or
 * SCRIBE_EINVAL with why saying what is wrong.
 */
int slack_signature_check(const char *secret, const char *timestamp,
			  const char *signature, const char *body, size_t len,
			  int64_t now_ms, int64_t skew_ms, char *why,
			  size_t whylen);

#endif
