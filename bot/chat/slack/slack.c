/*
 * slack.c - the Slack transport; see slack.h.
 *
 * Three parts: the Web API call (one HTTP POST with a JSON body, the
 * answer parsed into ok/error), the socket (connect, frames, acks,
 * refresh, reconnect), and the delivery queue (outbox rows per channel).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "util/base.h"
#include "util/secret.h"
#include "util/buf.h"
#include "util/log.h"
#include "app.h"
#include "chat/lines.h"
#include "chat/slack/format.h"
#include "chat/slack/limits.h"
#include "chat/slack/slack.h"
#include "metrics.h"
#include "net/http.h"
#include "net/net.h"
#include "net/ws.h"
#include "store/store.h"

#define POST_INTERVAL_MS 1000 /* one message a second per channel */
#define MAX_TEXT         3500 /* a section of mrkdwn Slack shows whole */

/* ---- Web API calls ------------------------------------------------------ */

typedef void api_cb(struct slack *s, void *ud, long status, const cJSON *body,
		    const char *error, const char *retry_after);

/* One Web API request, from the moment it is asked for until its answer:
 * it may wait for its method's bucket first, and after a 429 it waits
 * again and is sent again, transparently. */
struct api_call {
	struct slack *s;
	struct api_call *next; /* in s->waiting */
	const char *method;    /* for the logs */
	struct slack_limit *limit;
	char *url;
	char *json; /* the POST body; NULL: a GET */
	const char *token;
	api_cb *cb;
	void *ud;
	int retries; /* 5xx and network errors it may still retry */
};

/* Transient failures (5xx, network) of a call nobody else retries: sent
 * again after 1, 2, 4, 8 and 16 s. */
#define AGAIN 5

static void api_call_free(struct api_call *c)
{
	free(c->url);
	free(c->json);
	free(c);
}

/* The rate limit of a method, made on its first call. */
static struct slack_limit *limit_of(struct slack *s, const char *method)
{
	struct slack_limit *l;

	for (l = s->limits; l; l = l->next)
		if (!strcmp(l->method, method))
			return l;
	l = xcalloc(1, sizeof(*l));
	l->method = xstrdup(method);
	slack_bucket_init(&l->bucket, slack_method_rate(method), wall_ms());
	l->next = s->limits;
	s->limits = l;
	return l;
}

static void api_wait(struct slack *s, struct api_call *c, bool first);
static void api_pump(struct slack *s);

static void api_done(void *ud, const struct http_resp *r)
{
	struct api_call *c = ud;
	struct slack *s = c->s;
	cJSON *body = NULL;
	const char *error = r->error, *needed;
	int64_t wait;

	if (!s->stopping &&
	    ((!error && r->status == 429) ||
	     (c->retries > 0 && (r->status >= 500 || r->status == 0)))) {
		/* Rate limited: this method waits for Retry-After, the others
		 * go on; the call goes again, first in its method's line. A
		 * call nobody else retries waits out Slack's or the network's
		 * trouble the same way, a few times. */
		if (r->status == 429) {
			metrics_ratelimited("slack", c->method);
			wait = r->retry_after ? strtol(r->retry_after, NULL, 10)
					      : 0;
			wait = (wait > 0 && wait < 3600 ? wait : 1) * 1000;
		} else {
			wait = 1000LL << (AGAIN - c->retries--);
		}
		log_warn("slack: %s: %s, again in %lld ms", c->method,
			 error              ? error
			 : r->status == 429 ? "rate limited"
					    : "HTTP error",
			 (long long)wait);
		slack_bucket_block(&c->limit->bucket, wall_ms() + wait);
		api_wait(s, c, true);
		api_pump(s);
		return;
	}
	if (!error && r->status == 200) {
		body = cJSON_ParseWithLength(r->body, r->len);
		if (!cJSON_IsObject(body))
			error = "not a JSON object";
		else if (!cJSON_IsTrue(cJSON_GetObjectItem(body, "ok")))
			error = cJSON_GetStringValue(
				    cJSON_GetObjectItem(body, "error"))
				    ? cJSON_GetStringValue(
					  cJSON_GetObjectItem(body, "error"))
				    : "not ok";
	} else if (!error) {
		error = r->status == 429 ? "ratelimited" : "HTTP error";
	}
	needed = cJSON_GetStringValue(cJSON_GetObjectItem(body, "needed"));
	if (error && !strcmp(error, "missing_scope") && needed)
		log_error("slack: %s needs the scope '%s': add it in the "
			  "app's settings (OAuth & Permissions) and reinstall",
			  c->method, needed);
	c->cb(s, c->ud, r->status, body, error, r->retry_after);
	cJSON_Delete(body);
	api_call_free(c);
}

/* Hands the request to curl. */
static int api_start(struct slack *s, struct api_call *c)
{
	char *auth = xasprintf("Authorization: Bearer %s", c->token);
	const char *headers[] = {auth,
				 "Content-Type: application/json; "
				 "charset=utf-8",
				 NULL};
	struct http_req req = {
	    .method = c->json ? "POST" : "GET",
	    .url = c->url,
	    .headers = headers,
	    .body = c->json,
	    .body_len = c->json ? strlen(c->json) : 0,
	};
	int rc;

	if (!c->json)
		headers[1] = NULL;
	rc = http_request(s->net, &req, api_done, c, NULL);
	free(auth);
	return rc;
}

/* Queues c behind the calls already waiting (first: ahead of them). */
static void api_wait(struct slack *s, struct api_call *c, bool first)
{
	struct api_call **p = &s->waiting;

	while (!first && *p)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
}

static bool api_waiting(const struct slack *s, const struct slack_limit *l)
{
	const struct api_call *c;

	for (c = s->waiting; c; c = c->next)
		if (c->limit == l)
			return true;
	return false;
}

static void on_api_timer(uv_timer_t *h)
{
	api_pump(h->data);
}

/* Sends every waiting call whose bucket allows it, oldest first per
 * method; arms the timer for the earliest of the others. */
static void api_pump(struct slack *s)
{
	struct api_call *c, **p, *ready = NULL, **tail = &ready;
	struct slack_limit *l;
	int64_t now = wall_ms(), wake = 0, wait;

	if (s->stopping)
		return;
	for (l = s->limits; l; l = l->next)
		l->stalled = false;
	for (p = &s->waiting; (c = *p);) {
		l = c->limit;
		wait = l->stalled ? 1 : slack_bucket_take(&l->bucket, now);
		if (wait) {
			/* Its method waits; so do its later calls. */
			if (!l->stalled && (!wake || wait < wake))
				wake = wait;
			l->stalled = true;
			p = &c->next;
			continue;
		}
		*p = c->next;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	if (wake)
		uv_timer_start(&s->api_timer, on_api_timer, (uint64_t)wake, 0);
	/* Started after the walk: a failure calls back, which may queue. */
	while ((c = ready)) {
		ready = c->next;
		if (api_start(s, c)) {
			c->cb(s, c->ud, 0, NULL, "not sent", NULL);
			api_call_free(c);
		}
	}
}

/* Sends one Web API request to method: a POST with a JSON body when json
 * is not NULL, else a GET of url as it is. When the method's bucket is
 * empty, or calls of it are already waiting, it waits its turn. A 429 is
 * always waited out and sent again; 5xx and network errors only retries
 * times (0 for callers that retry by themselves). Returns 0 (cb will
 * run), or an error (it never will). */
static int api_send(struct slack *s, const char *method, const char *url,
		    const char *token, const char *json, int retries,
		    api_cb *cb, void *ud)
{
	struct api_call *c;
	int rc;

	if (s->stopping)
		return SCRIBE_EIO;
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->method = method;
	c->limit = limit_of(s, method);
	c->url = xstrdup(url);
	c->json = json ? xstrdup(json) : NULL;
	c->token = token;
	c->cb = cb;
	c->ud = ud;
	c->retries = retries;
	if (api_waiting(s, c->limit) ||
	    slack_bucket_take(&c->limit->bucket, wall_ms())) {
		api_wait(s, c, false);
		api_pump(s);
		return 0;
	}
	rc = api_start(s, c);
	if (rc)
		api_call_free(c);
	return rc;
}

/* POSTs body (JSON; takes it over) to the method with token; retries is
 * 0 or AGAIN (see api_send()). */
static int api(struct slack *s, const char *method, const char *token,
	       cJSON *body, int retries, api_cb *cb, void *ud)
{
	char *url = xasprintf("%s%s", s->api_url, method);
	char *json = body ? cJSON_PrintUnformatted(body) : NULL;
	int rc = api_send(s, method, url, token, json ? json : "{}", retries,
			  cb, ud);

	cJSON_free(json);
	cJSON_Delete(body);
	free(url);
	return rc;
}

/* A GET with a query (the read methods take no JSON body). Each value is
 * URL-encoded; pairs is a NULL-ended list of names and values. Transient
 * failures are retried (AGAIN). */
static int api_get(struct slack *s, const char *method,
		   const char *const *pairs, api_cb *cb, void *ud)
{
	struct buf url;
	size_t i;
	int rc;

	buf_init(&url, 16 * 1024);
	buf_addf(&url, "%s%s", s->api_url, method);
	for (i = 0; pairs[i] && pairs[i + 1]; i += 2) {
		char *v = curl_easy_escape(NULL, pairs[i + 1], 0);

		buf_addf(&url, "%c%s=%s", i ? '&' : '?', pairs[i], v ? v : "");
		curl_free(v);
	}
	rc = api_send(s, method, url.s, s->bot_token, NULL, AGAIN, cb, ud);
	buf_release(&url);
	return rc;
}

/* At stop: the calls still waiting are answered "shutting down". */
static void api_stop(struct slack *s)
{
	struct api_call *c;

	while ((c = s->waiting)) {
		s->waiting = c->next;
		c->cb(s, c->ud, 0, NULL, "shutting down", NULL);
		api_call_free(c);
	}
}

/* ---- the socket -----------------------------------------------------------
 */

static void open_socket(struct slack *s);
static void auth_then_socket(struct slack *s);
static void start_backfill(struct slack *s);

static void fatal(struct slack *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fatal(struct slack *s, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_error("slack: %s", why);
	if (s->on_fatal)
		s->on_fatal(s->fatal_ud, why);
}

static void on_reconnect(uv_timer_t *h)
{
	struct slack *s = h->data;

	if (s->stopping || s->ws || s->opening)
		return;
	if (!s->self_user)
		auth_then_socket(s); /* who we are first */
	else
		open_socket(s);
}

/* Reconnects after min..max ms, doubling per attempt, with +-25% jitter. */
static void schedule_reconnect(struct slack *s)
{
	uint64_t ms;

	if (s->stopping)
		return;
	ms = (uint64_t)backoff_ms(s->attempts++, s->cfg->reconnect_min_ms,
				  s->cfg->reconnect_max_ms, true);
	metrics_reconnect("slack");
	log_info("slack: reconnecting in %llu ms", (unsigned long long)ms);
	uv_timer_start(&s->reconnect, on_reconnect, ms, 0);
}

/* An ack waiting for the commit of its event. */
struct ack {
	struct slack *s;
	uint64_t socket; /* the id of the socket it came on */
	char envelope_id[128];
};

/* The socket with that id, while it is open; else NULL. Ids, not
 * pointers: a freed socket's address may be reused by a new one. */
static struct ws *socket_by_id(struct slack *s, uint64_t id)
{
	if (id && id == s->ws_id)
		return s->ws;
	if (id && id == s->next_id)
		return s->next_ws;
	return NULL;
}

static uint64_t socket_id(struct slack *s, struct ws *w)
{
	return w == s->ws ? s->ws_id : w == s->next_ws ? s->next_id : 0;
}

static void send_ack(struct slack *s, uint64_t socket, const char *envelope_id)
{
	struct ws *w = socket_by_id(s, socket);
	char *frame = slack_ack(envelope_id);

	/* On the socket it came from, while that is still open; an event
	 * whose socket is gone is redelivered by Slack and deduplicated. */
	if (w && !ws_send(w, frame, strlen(frame)))
		s->acks++;
	free(frame);
}

static void on_committed(void *ud, int status)
{
	struct ack *a = ud;

	if (!status)
		send_ack(a->s, a->socket, a->envelope_id);
	free(a);
}

/* ---- display names ------------------------------------------------------ */

static struct slack_name *name_of(struct slack *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (!strcmp(s->names[i].id, id))
			return &s->names[i];
	return NULL;
}

static void on_user_info(struct slack *s, void *ud, long status,
			 const cJSON *body, const char *error,
			 const char *retry_after)
{
	char *id = ud;
	const cJSON *user = cJSON_GetObjectItem(body, "user");
	const cJSON *profile = cJSON_GetObjectItem(user, "profile");
	const char *fields[] = {"display_name", "real_name"};
	const char *name = NULL;
	struct slack_name *n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields) && !name; i++) {
		name = cJSON_GetStringValue(
		    cJSON_GetObjectItem(profile, fields[i]));
		if (name && !*name)
			name = NULL;
	}
	if (!name)
		name = cJSON_GetStringValue(cJSON_GetObjectItem(user, "name"));
	n = s->stopping ? NULL : name_of(s, id);
	if (n && !error && name && *name) {
		free(n->name);
		n->name = xstrdup(name);
		app_user_named(s->app, "slack", id, name);
	} else if (n && error) {
		log_warn("slack: users.info %s: %s", id, error);
	}
	free(id);
}

/* The name to record for a user id: known (this run, or kept in the
 * store from an earlier one), or NULL while users.info is asked (once)
 * and the app records the id; those rows are renamed when it answers. */
static const char *display_name(struct slack *s, const char *id)
{
	struct slack_name *n = name_of(s, id);
	const char *pairs[] = {"user", id, NULL};

	if (n)
		return n->name;
	ALLOC_GROW(s->names, s->nnames + 1, s->names_cap);
	n = &s->names[s->nnames++];
	n->id = xstrdup(id);
	n->name = app_user_name(s->app, "slack", id);
	if (!n->name && (id[0] == 'U' || id[0] == 'W')) {
		char *ud = xstrdup(id);

		if (api_get(s, "users.info", pairs, on_user_info, ud))
			free(ud);
	}
	return n->name;
}

static void on_frame(void *ud, struct ws *w, const char *text, size_t len)
{
	struct slack *s = ud;
	struct slack_frame f;
	struct ack *a;

	slack_frame_parse(text, len, &s->self, wall_ms(), &f);
	switch (f.kind) {
	case SLACK_HELLO:
		log_info("slack: connected");
		s->attempts = 0;
		s->connected = true;
		if (w == s->ws)
			start_backfill(s);
		if (w == s->next_ws) {
			/* The refresh is up: retire the old socket. */
			struct ws *old = s->ws;

			s->ws = w;
			s->ws_id = s->next_id;
			s->next_ws = NULL;
			s->next_id = 0;
			if (old)
				ws_close(old);
		}
		break;
	case SLACK_DISCONNECT:
		log_info("slack: disconnect requested (%s)", f.reason);
		if (!strcmp(f.reason, "link_disabled"))
			fatal(s, "Socket Mode was turned off for the app: "
				 "turn it on in the app's settings");
		else if (w == s->ws && !s->next_ws && !s->opening)
			open_socket(s); /* new socket first, then the old */
		break;
	case SLACK_EVENT:
		s->events++;
		a = xcalloc(1, sizeof(*a));
		a->s = s;
		a->socket = socket_id(s, w);
		snprintf(a->envelope_id, sizeof(a->envelope_id), "%s",
			 f.envelope_id);
		f.ev.ack = on_committed;
		f.ev.ack_ud = a;
		if (f.ev.author.name == f.ev.author.id)
			f.ev.author.name =
			    (char *)display_name(s, f.ev.author.id);
		if (app_event(s->app, &f.ev, NULL)) {
			/* Not durable: no ack, Slack delivers it again. */
			log_error("slack: could not record an event");
			free(a);
		}
		break;
	case SLACK_URL_VERIFICATION: /* not a Socket Mode frame */
	case SLACK_INVALID:
		s->invalid++;
		log_warn("slack: %s envelope skipped: %s",
			 f.type[0] ? f.type : "a", f.reason);
		/* Acked all the same, or it would come back forever. */
		__attribute__((fallthrough));
	case SLACK_IGNORED:
		if (f.envelope_id[0])
			send_ack(s, socket_id(s, w), f.envelope_id);
		break;
	}
	slack_frame_release(&f);
}

static void on_closed(void *ud, struct ws *w, const char *reason)
{
	struct slack *s = ud;

	if (w == s->next_ws) {
		s->next_ws = NULL;
		s->next_id = 0;
		if (!s->stopping)
			log_warn("slack: refresh socket closed: %s", reason);
		return;
	}
	if (w != s->ws)
		return; /* an old socket, retired after a refresh */
	s->ws = NULL;
	s->ws_id = 0;
	s->connected = false;
	if (s->stopping)
		return;
	log_warn("slack: socket closed: %s", reason);
	if (s->next_ws) {
		/* The refresh already connected: it takes over. */
		s->ws = s->next_ws;
		s->ws_id = s->next_id;
		s->next_ws = NULL;
		s->next_id = 0;
		return;
	}
	schedule_reconnect(s);
}

static const struct ws_handlers socket_handlers = {
    .open = NULL,
    .message = on_frame,
    .closed = on_closed,
};

static void on_connections_open(struct slack *s, void *ud, long status,
				const cJSON *body, const char *error,
				const char *retry_after)
{
	const char *url =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "url"));
	struct ws_options o = {
	    .ping_interval_ms = (unsigned)s->cfg->ping_interval_ms,
	    .dead_timeout_ms = (unsigned)s->cfg->ping_interval_ms * 3,
	    .max_msg = 4u << 20,
	};
	struct ws *w;

	s->opening = false;
	if (s->stopping)
		return;
	if (error || !url) {
		if (error && (!strcmp(error, "invalid_auth") ||
			      !strcmp(error, "not_authed") ||
			      !strcmp(error, "not_allowed_token_type")))
			fatal(s,
			      "apps.connections.open: %s: %s must hold an "
			      "app-level token (xapp-) with connections:write",
			      error, s->cfg->app_token_env);
		else
			log_warn("slack: apps.connections.open: %s",
				 error ? error : "no url");
		schedule_reconnect(s);
		return;
	}
	o.url = s->cfg->socket_url ? s->cfg->socket_url : url;
	if (ws_connect(s->net, &o, &socket_handlers, s, &w)) {
		char *shown = log_url(o.url); /* the ticket is a secret */

		log_warn("slack: cannot open the socket at %s", shown);
		free(shown);
		schedule_reconnect(s);
		return;
	}
	if (s->ws) {
		s->next_ws = w; /* a refresh */
		s->next_id = ++s->ids;
	} else {
		s->ws = w;
		s->ws_id = ++s->ids;
	}
}

static void open_socket(struct slack *s)
{
	if (s->cfg->mode == SLACK_EVENTS) {
		/* Slack comes to us (slack_http()): signed in is connected;
		 * what was said while Scribe was away is read back now. */
		s->attempts = 0;
		start_backfill(s);
		return;
	}
	s->opening = true;
	if (api(s, "apps.connections.open", s->app_token, NULL, 0,
		on_connections_open, NULL)) {
		s->opening = false;
		schedule_reconnect(s);
	}
}

static void on_auth_test(struct slack *s, void *ud, long status,
			 const cJSON *body, const char *error,
			 const char *retry_after)
{
	const char *user, *bot;

	if (s->stopping)
		return;
	if (error) {
		if (!strcmp(error, "invalid_auth") ||
		    !strcmp(error, "not_authed") ||
		    !strcmp(error, "account_inactive") ||
		    !strcmp(error, "token_revoked"))
			fatal(s,
			      "auth.test: %s: set %s to the bot token "
			      "(xoxb-) of an installed app",
			      error, s->cfg->bot_token_env);
		else if (!strcmp(error, "missing_scope"))
			fatal(s,
			      "auth.test: missing_scope: add the scope "
			      "'%s' in the app's settings and reinstall",
			      cJSON_GetStringValue(
				  cJSON_GetObjectItem(body, "needed"))
				  ?: "?");
		else {
			log_warn("slack: auth.test: %s", error);
			schedule_reconnect(s);
		}
		return;
	}
	user = cJSON_GetStringValue(cJSON_GetObjectItem(body, "user_id"));
	bot = cJSON_GetStringValue(cJSON_GetObjectItem(body, "bot_id"));
	free(s->self_user);
	free(s->self_bot);
	s->self_user = user ? xstrdup(user) : NULL;
	s->self_bot = bot ? xstrdup(bot) : NULL;
	s->self.user_id = s->self_user;
	s->self.bot_id = s->self_bot;
	log_info("slack: signed in as %s", user ? user : "?");
	open_socket(s);
}

static void auth_then_socket(struct slack *s)
{
	if (api(s, "auth.test", s->bot_token, NULL, 0, on_auth_test, NULL))
		schedule_reconnect(s);
}

/* ---- backfill ------------------------------------------------------------ */

#define BACKFILL_PAGE      "200"
#define BACKFILL_MAX_PAGES 50 /* 10,000 messages a room */

struct slack_backfill {
	char **rooms;
	size_t nrooms, next;
	char *room;        /* the room being read */
	char oldest[32];   /* its last stored message, as a Slack ts */
	char lookback[32]; /* a day before it: threads whose roots are older
			    * may have new replies */
	char *cursor;      /* the next page, or NULL */
	int pages;
	cJSON *messages; /* what history returned, newest first */
	cJSON *parents;  /* thread roots to read replies of */
	int thread;      /* the next of parents */
};

static void backfill_room(struct slack *s);

/* Feeds one message of history through the parser, as if it had come
 * over the socket (it takes the same dedupe: seen ones add nothing). */
static void backfill_message(struct slack *s, const char *room,
			     const cJSON *msg)
{
	cJSON *env = cJSON_CreateObject(), *payload, *event;
	struct slack_frame f;
	char *json;

	cJSON_AddStringToObject(env, "envelope_id", "backfill");
	cJSON_AddStringToObject(env, "type", "events_api");
	payload = cJSON_AddObjectToObject(env, "payload");
	cJSON_AddStringToObject(payload, "type", "event_callback");
	event = cJSON_Duplicate(msg, 1);
	cJSON_DeleteItemFromObject(event, "channel");
	cJSON_AddStringToObject(event, "channel", room);
	cJSON_DeleteItemFromObject(event, "type");
	cJSON_AddStringToObject(event, "type", "message");
	cJSON_AddItemToObject(payload, "event", event);
	json = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	slack_frame_parse(json, strlen(json), &s->self, wall_ms(), &f);
	if (f.kind == SLACK_EVENT && f.ev.author.name == f.ev.author.id)
		f.ev.author.name = (char *)display_name(s, f.ev.author.id);
	if (f.kind == SLACK_EVENT && !app_event(s->app, &f.ev, NULL))
		s->backfilled++;
	slack_frame_release(&f);
	cJSON_free(json);
}

static void backfill_next_room(struct slack *s)
{
	struct slack_backfill *b = s->backfill;

	free(b->room);
	free(b->cursor);
	b->room = NULL;
	b->cursor = NULL;
	cJSON_Delete(b->messages);
	cJSON_Delete(b->parents);
	b->messages = b->parents = NULL;
	b->pages = b->thread = 0;
	if (b->next < b->nrooms) {
		backfill_room(s);
		return;
	}
	app_flush(s->app);
	log_info("slack: backfill done (%llu events)",
		 (unsigned long long)s->backfilled);
	while (b->nrooms)
		free(b->rooms[--b->nrooms]);
	free(b->rooms);
	free(b);
	s->backfill = NULL;
}

static void backfill_fail(struct slack *s, const char *method,
			  const char *error)
{
	struct slack_backfill *b = s->backfill;
	char why[256];

	snprintf(why, sizeof(why),
		 "history after a disconnection could not be read "
		 "(%s: %s): messages may be missing here",
		 method, error);
	app_gap(s->app, "slack", b->room, wall_ms(), why);
	backfill_next_room(s);
}

static void read_replies(struct slack *s);

static void on_replies(struct slack *s, void *ud, long status,
		       const cJSON *body, const char *error,
		       const char *retry_after)
{
	struct slack_backfill *b = s->backfill;
	const cJSON *m;

	if (s->stopping || !b)
		return;
	if (error) {
		backfill_fail(s, "conversations.replies", error);
		return;
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(body, "messages"))
	{
		const char *ts =
		    cJSON_GetStringValue(cJSON_GetObjectItem(m, "ts"));
		const char *root =
		    cJSON_GetStringValue(cJSON_GetObjectItem(m, "thread_ts"));

		if (ts && root && strcmp(ts, root)) /* the root came already */
			backfill_message(s, b->room, m);
	}
	b->thread++;
	read_replies(s);
}

/* The replies of each thread root seen, one request at a time. */
static void read_replies(struct slack *s)
{
	struct slack_backfill *b = s->backfill;
	const cJSON *p = cJSON_GetArrayItem(b->parents, b->thread);
	const char *pairs[] = {
	    "channel", b->room,   "ts",    cJSON_GetStringValue(p),
	    "oldest",  b->oldest, "limit", BACKFILL_PAGE,
	    NULL};

	if (!p) {
		backfill_next_room(s);
		return;
	}
	if (api_get(s, "conversations.replies", pairs, on_replies, NULL))
		backfill_fail(s, "conversations.replies", "not sent");
}

static void read_history(struct slack *s);

static void on_history(struct slack *s, void *ud, long status,
		       const cJSON *body, const char *error,
		       const char *retry_after)
{
	struct slack_backfill *b = s->backfill;
	const cJSON *m, *msgs = cJSON_GetObjectItem(body, "messages");
	const char *next;
	int i;

	if (s->stopping || !b)
		return;
	if (error) {
		backfill_fail(s, "conversations.history", error);
		return;
	}
	cJSON_ArrayForEach(m, msgs)
	    cJSON_AddItemToArray(b->messages, cJSON_Duplicate(m, 1));
	next = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(body, "response_metadata"), "next_cursor"));
	free(b->cursor);
	b->cursor = next && *next ? xstrdup(next) : NULL;
	if (b->cursor && ++b->pages < BACKFILL_MAX_PAGES) {
		read_history(s);
		return;
	}
	if (b->cursor)
		app_gap(s->app, "slack", b->room, wall_ms(),
			"more history was missed than a backfill reads "
			"(10,000 messages): older messages may be missing");
	/* Oldest first, as they were said; thread roots with replies are
	 * read next. */
	for (i = cJSON_GetArraySize(b->messages) - 1; i >= 0; i--) {
		m = cJSON_GetArrayItem(b->messages, i);
		const char *latest = cJSON_GetStringValue(
		    cJSON_GetObjectItem(m, "latest_reply"));

		backfill_message(s, b->room, m); /* seen ones add nothing */
		if (cJSON_GetNumberValue(
			cJSON_GetObjectItem(m, "reply_count")) > 0 &&
		    (!latest || strcmp(latest, b->oldest) > 0))
			cJSON_AddItemToArray(
			    b->parents,
			    cJSON_Duplicate(cJSON_GetObjectItem(m, "ts"), 1));
	}
	read_replies(s);
}

static void read_history(struct slack *s)
{
	struct slack_backfill *b = s->backfill;
	const char *pairs[] = {"channel",
			       b->room,
			       "oldest",
			       b->lookback,
			       "limit",
			       BACKFILL_PAGE,
			       b->cursor ? "cursor" : NULL,
			       b->cursor,
			       NULL};

	if (api_get(s, "conversations.history", pairs, on_history, NULL))
		backfill_fail(s, "conversations.history", "not sent");
}

static void backfill_room(struct slack *s)
{
	struct slack_backfill *b = s->backfill;
	int64_t last;

	b->room = xstrdup(b->rooms[b->next++]);
	last = app_room_last_at(s->app, "slack", b->room);
	snprintf(b->oldest, sizeof(b->oldest), "%lld.%06lld",
		 (long long)(last / 1000), (long long)(last % 1000) * 1000);
	last = last > 86400000 ? last - 86400000 : 0;
	snprintf(b->lookback, sizeof(b->lookback), "%lld.%06lld",
		 (long long)(last / 1000), (long long)(last % 1000) * 1000);
	b->messages = cJSON_CreateArray();
	b->parents = cJSON_CreateArray();
	read_history(s);
}

/* After a (re)connect: what was said in the open incidents' channels
 * while Scribe was not listening. */
static void start_backfill(struct slack *s)
{
	struct slack_backfill *b;

	if (s->backfill)
		return;
	b = xcalloc(1, sizeof(*b));
	if (app_open_rooms(s->app, "slack", &b->rooms, &b->nrooms) ||
	    !b->nrooms) {
		free(b->rooms);
		free(b);
		return;
	}
	s->backfill = b;
	log_info("slack: backfilling %zu incident channel%s", b->nrooms,
		 b->nrooms == 1 ? "" : "s");
	backfill_room(s);
}

/* ---- delivery ------------------------------------------------------------ */

static void pump(struct slack *s);
static int send_upload_step(struct slack *s, struct chat_job *j);

/* Whether j puts a message in its channel (one a second per channel). */
static bool posts(const struct chat_job *j)
{
	return !strcmp(j->kind, "message") || !strcmp(j->kind, "postmortem") ||
	       !strcmp(j->kind, "draft");
}

static void on_follow_up(struct slack *s, void *ud, long status,
			 const cJSON *body, const char *error,
			 const char *retry_after)
{
	if (error && strcmp(error, "already_in_channel") && !s->stopping)
		log_warn("slack: %s: %s", (const char *)ud, error);
}

/* Sets the channel's topic or purpose (at most 250 characters), defused:
 * the incident's title is user text. */
static void room_text(struct slack *s, const char *method, const char *field,
		      const char *channel, const char *text)
{
	cJSON *o = cJSON_CreateObject();
	char *cut = slack_plain(text);

	/* Cut after escaping, on a character boundary: an entity cut in
	 * half shows as text, never as markup. */
	slack_cut(cut, 250);
	cJSON_AddStringToObject(o, "channel", channel);
	cJSON_AddStringToObject(o, field, cut);
	api(s, method, s->bot_token, o, AGAIN, on_follow_up, (void *)method);
	free(cut);
}

/* A new incident channel: its topic and purpose, and the people to
 * invite. Best effort: a failure is logged, the incident goes on. */
static void room_follow_up(struct slack *s, const char *channel,
			   const char *request)
{
	cJSON *req = cJSON_Parse(request), *o;
	const cJSON *it;
	const char *topic =
	    cJSON_GetStringValue(cJSON_GetObjectItem(req, "topic"));
	const char *title =
	    cJSON_GetStringValue(cJSON_GetObjectItem(req, "title"));
	struct buf users;

	if (topic)
		room_text(s, "conversations.setTopic", "topic", channel, topic);
	if (title) {
		char *purpose = xasprintf("%s. Scribe keeps this channel's "
					  "timeline: every message is on it.",
					  title);

		room_text(s, "conversations.setPurpose", "purpose", channel,
			  purpose);
		free(purpose);
	}
	buf_init(&users, 64 * 1024);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(req, "invite"))
	{
		if (!cJSON_IsString(it) ||
		    (s->self.user_id &&
		     !strcmp(it->valuestring, s->self.user_id)))
			continue;
		buf_addf(&users, "%s%s", users.len ? "," : "", it->valuestring);
	}
	if (users.len) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "channel", channel);
		cJSON_AddStringToObject(o, "users", users.s);
		api(s, "conversations.invite", s->bot_token, o, AGAIN,
		    on_follow_up, "conversations.invite");
	}
	buf_release(&users);
	cJSON_Delete(req);
}

static void on_sent(struct slack *s, void *ud, long status, const cJSON *body,
		    const char *error, const char *retry_after);

static void on_uploaded(void *ud, const struct http_resp *r)
{
	struct chat_job *j = ud;

	/* The upload URL answers plain text; only its status matters. */
	on_sent(j->owner, j, r->status, NULL,
		r->error           ? r->error
		: r->status == 200 ? NULL
				   : "upload failed",
		r->retry_after);
}

/* Step 1 of an upload: the document's bytes to the URL Slack gave. */
static int upload_bytes(struct slack *s, struct chat_job *j)
{
	const char *headers[] = {"Content-Type: text/markdown; charset=utf-8",
				 NULL};
	struct http_req req = {
	    .method = "POST",
	    .url = j->got[0],
	    .headers = headers,
	    .body = j->body,
	    .body_len = strlen(j->body),
	};

	return http_request(s->net, &req, on_uploaded, j, NULL);
}

/* An upload step succeeded: the next one, or done. Returns true when the
 * job has more steps (it was sent on). */
static bool upload_next(struct slack *s, struct chat_job *j, const cJSON *body)
{
	const char *v;

	if (j->step == 0) {
		v = cJSON_GetStringValue(
		    cJSON_GetObjectItem(body, "upload_url"));
		free(j->got[0]);
		j->got[0] = v ? xstrdup(v) : NULL;
		v = cJSON_GetStringValue(cJSON_GetObjectItem(body, "file_id"));
		free(j->got[1]);
		j->got[1] = v ? xstrdup(v) : NULL;
		if (!j->got[0] || !j->got[1])
			return false;
	}
	if (j->step >= 2)
		return false;
	j->step++;
	j->busy = true;
	if (send_upload_step(s, j)) {
		j->busy = false;
		return false;
	}
	return true;
}

static void on_sent(struct slack *s, void *ud, long status, const cJSON *body,
		    const char *error, const char *retry_after)
{
	struct chat_job *j = ud;
	int64_t now = wall_ms(), wait;

	j->busy = false;
	if (s->stopping)
		return;
	if (!error && j->file_name && j->step < 2 && upload_next(s, j, body))
		return;
	if (error && j->file_name)
		j->step = 0; /* an upload starts again from its URL */
	if (!error) {
		const cJSON *ch = cJSON_GetObjectItem(body, "channel");
		const char *id =
		    cJSON_GetStringValue(cJSON_GetObjectItem(ch, "id"));
		bool created = !strcmp(j->kind, "create_room") && id;
		bool posted = posts(j);
		int64_t incident = j->incident;
		char *room = created   ? xstrdup(id)
			     : j->room ? xstrdup(j->room)
				       : NULL;
		char *request = created ? xstrdup(j->body) : NULL;
		const char *cname =
		    cJSON_GetStringValue(cJSON_GetObjectItem(ch, "name"));
		char *name = created && cname ? xstrdup(cname) : NULL;
		bool closed = !strcmp(j->kind, "postmortem") && j->room;

		/* Done first: the room's creation flushes the outbox, which
		 * must not find this job still queued. */
		chat_lines_done(&s->lines, j, 0);
		if (room && posted)
			chat_lines_hold(&s->lines, room,
					now + POST_INTERVAL_MS);
		if (created) {
			room_follow_up(s, room, request);
			app_room_created(s->app, incident, room, name);
		}
		if (closed && s->cfg->archive_on_close) {
			/* The postmortem is in: the channel can rest. */
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "channel", room);
			api(s, "conversations.archive", s->bot_token, o, AGAIN,
			    on_follow_up, "conversations.archive");
		}
		free(request);
		free(name);
		free(room);
		pump(s);
		return;
	}
	if (status == 429 || status >= 500 || status == 0) {
		/* An upload URL rate limited (the Web API's 429s are waited
		 * out by api_done()), or Slack or the network failed: wait,
		 * and keep the room's order. */
		wait = retry_after ? strtol(retry_after, NULL, 10) * 1000 : 0;
		if (wait <= 0)
			wait = backoff_ms(j->tries, 1000, 256000, false);
		j->tries++;
		log_warn("slack: %s: %s, again in %lld ms", j->kind, error,
			 (long long)wait);
		if (!j->loose)
			chat_lines_hold(&s->lines, j->room, now + wait);
		j->not_before = now + wait;
		pump(s);
		return;
	}
	if (j->loose) {
		/* Slack said no for good (a message deleted meanwhile, one
		 * too old to edit) or it was done already (already_pinned):
		 * either way, nothing to try again. */
		if (strcmp(error, "already_pinned"))
			log_warn("slack: follow-up in %s: %s",
				 j->room ? j->room : "-", error);
		chat_lines_done(&s->lines, j, 0);
		pump(s);
		return;
	}
	if (!strcmp(j->kind, "create_room") && !strcmp(error, "name_taken") &&
	    j->tries < 9) {
		/* Taken, maybe by an archived channel: a suffix. */
		j->tries++;
		pump(s);
		return;
	}
	log_error("slack: %s in %s: %s", j->kind, j->room ? j->room : "-",
		  error);
	chat_lines_done(&s->lines, j, SCRIBE_EIO);
	pump(s);
}

static cJSON *message_body(const struct chat_job *j)
{
	cJSON *o = cJSON_CreateObject();
	char *text = slack_mrkdwn(j->body);

	cJSON_AddStringToObject(o, "channel", j->room);
	cJSON_AddItemToObject(o, "blocks", slack_blocks(text));
	/* The text is the notification's fallback: Slack takes 40,000. */
	slack_cut(text, MAX_TEXT * 10);
	cJSON_AddStringToObject(o, "text", text);
	if (j->to_user)
		cJSON_AddStringToObject(o, "user", j->to_user);
	free(text);
	return o;
}

/* The upload's current step: 0 asks for a URL, 1 sends the bytes, 2
 * shares the file in the channel. */
static int send_upload_step(struct slack *s, struct chat_job *j)
{
	cJSON *o = cJSON_CreateObject(), *files, *f;

	if (j->step == 1) {
		cJSON_Delete(o);
		return upload_bytes(s, j);
	}
	if (j->step == 0) {
		cJSON_AddStringToObject(o, "filename", j->file_name);
		cJSON_AddNumberToObject(o, "length", (double)strlen(j->body));
		return api(s, "files.getUploadURLExternal", s->bot_token, o, 0,
			   on_sent, j);
	}
	files = cJSON_AddArrayToObject(o, "files");
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "id", j->got[1]);
	cJSON_AddStringToObject(f, "title", j->file_name);
	cJSON_AddItemToArray(files, f);
	cJSON_AddStringToObject(o, "channel_id", j->room);
	cJSON_AddStringToObject(o, "initial_comment",
				strcmp(j->kind, "draft")
				    ? "The postmortem, as written at close:"
				    : "A draft of the postmortem, as of now:");
	return api(s, "files.completeUploadExternal", s->bot_token, o, 0,
		   on_sent, j);
}

/* A follow-up row: {"method": ..., "args": {...}} from frames.c, for
 * the methods a follow-up may call. */
static int send_follow_up(struct slack *s, struct chat_job *j)
{
	static const char *const allowed[] = {"pins.add", "chat.update"};
	cJSON *req = cJSON_Parse(j->body);
	const char *method =
	    cJSON_GetStringValue(cJSON_GetObjectItem(req, "method"));
	cJSON *args = cJSON_DetachItemFromObject(req, "args");
	size_t i;
	int rc = SCRIBE_EINVAL;

	for (i = 0; method && i < ARRAY_SIZE(allowed); i++)
		if (!strcmp(method, allowed[i]) && cJSON_IsObject(args)) {
			rc = api(s, allowed[i], s->bot_token, args, 0, on_sent,
				 j);
			args = NULL;
			break;
		}
	if (rc == SCRIBE_EINVAL)
		log_warn("slack: a follow-up that is not a known call");
	cJSON_Delete(args);
	cJSON_Delete(req);
	return rc;
}

static int send_job(void *owner, struct chat_job *j)
{
	struct slack *s = owner;
	cJSON *o, *req;
	const char *base;
	char name[96];

	if (j->file_name)
		return send_upload_step(s, j);
	if (!strcmp(j->kind, "create_room")) {
		req = cJSON_Parse(j->body);
		base = cJSON_GetStringValue(cJSON_GetObjectItem(req, "name"));
		if (!base)
			base = j->body;
		o = cJSON_CreateObject();
		if (j->tries)
			snprintf(name, sizeof(name), "%.78s-%d", base,
				 j->tries + 1);
		else
			snprintf(name, sizeof(name), "%.80s", base);
		cJSON_Delete(req);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddBoolToObject(o, "is_private",
				      s->cfg->private_channels);
		return api(s, "conversations.create", s->bot_token, o, 0,
			   on_sent, j);
	}
	if (posts(j))
		return api(
		    s, j->to_user ? "chat.postEphemeral" : "chat.postMessage",
		    s->bot_token, message_body(j), 0, on_sent, j);
	if (j->loose)
		return send_follow_up(s, j);
	log_warn("slack: outbox kind '%s' is not sent to Slack", j->kind);
	return SCRIBE_EINVAL;
}

static void on_pump(uv_timer_t *h)
{
	pump(h->data);
}

/* Sends what may go now; wakes again when the next row is due. */
static void pump(struct slack *s)
{
	int64_t now = wall_ms(), wake;

	if (s->stopping)
		return;
	wake = chat_lines_pump(&s->lines, now, send_job);
	if (wake)
		uv_timer_start(&s->pump, on_pump, (uint64_t)(wake - now), 0);
}

static int slack_deliver(struct chat *c, const struct outbox_row *row,
			 const char *room)
{
	struct slack *s = c->impl;

	if (s->stopping)
		return SCRIBE_EIO;
	/* A follow-up (pins.add, chat.update) goes beside its room's line of
	 * posts: nothing it does depends on their order. */
	chat_lines_add(&s->lines, s, row, room,
		       !strcmp(row->kind, "follow_up"));
	pump(s);
	return SCRIBE_EPENDING;
}

/* Slack's deep link into a channel (app_redirect), shown as its name:
 * the formatter turns it into <url|#name>. */
static char *slack_room_link(struct chat *c, const char *room,
			     const char *alias)
{
	return xasprintf("[#%s](https://slack.com/app_redirect?channel=%s)",
			 alias ? alias : room, room);
}

/* Signed in (auth.test) and, in Socket Mode, connected (hello). */
static bool slack_ready(struct chat *c, char *why, size_t len)
{
	struct slack *s = c->impl;

	if (!s->self_user)
		snprintf(why, len, "not signed in (auth.test)");
	else if (s->cfg->mode == SLACK_SOCKET && !s->connected)
		snprintf(why, len, "no Socket Mode connection");
	else
		return true;
	return false;
}

static const struct chat_ops slack_ops = {
    .name = "slack",              /* platform name */
    .room_for_channel = NULL,     /* channels are created through the API */
    .deliver = slack_deliver,     /* queued per channel, answered later */
    .room_link = slack_room_link, /* app_redirect, shown as #name */
    .ready = slack_ready,         /* signed in and connected */
};

/* ---- the Events API over HTTP -------------------------------------------
 */

int slack_http(struct slack *s, enum slack_http_kind kind, const char *body,
	       size_t len, void (*done)(void *ud, int status), void *ud,
	       char *challenge, size_t clen)
{
	struct slack_frame f;
	int rc = SLACK_ANSWER_OK;

	slack_http_parse(kind, body, len, &s->self, wall_ms(), &f);
	switch (f.kind) {
	case SLACK_EVENT:
		s->events++;
		f.ev.ack = done;
		f.ev.ack_ud = ud;
		if (f.ev.author.name == f.ev.author.id)
			f.ev.author.name =
			    (char *)display_name(s, f.ev.author.id);
		if (app_event(s->app, &f.ev, NULL)) {
			/* Not durable: an error answer, Slack sends it
			 * again. */
			log_error("slack: could not record an event");
			rc = SCRIBE_ESTORE;
		} else {
			rc = SLACK_ANSWER_LATER;
		}
		break;
	case SLACK_URL_VERIFICATION:
		snprintf(challenge, clen, "%s", f.challenge);
		log_info("slack: request URL verified (url_verification)");
		rc = SLACK_ANSWER_CHALLENGE;
		break;
	case SLACK_INVALID:
		s->invalid++;
		log_warn("slack: a %s request skipped: %s", f.type, f.reason);
		rc = SLACK_ANSWER_BAD;
		break;
	default: /* ignored: nothing to record */ break;
	}
	slack_frame_release(&f);
	return rc;
}

/* ---- lifecycle ------------------------------------------------------------
 */

static char *token(const char *env, char *err, size_t errlen)
{
	char *v = secret_get(env);

	if (!v)
		snprintf(err, errlen,
			 "slack: set %s in the environment (or as a systemd "
			 "credential of that name)",
			 env ? env : "the token variable");
	return v;
}

int slack_init(struct slack *s, struct app *app, struct net *net,
	       const struct config_slack *cfg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->chat.ops = &slack_ops;
	s->chat.impl = s;
	s->app = app;
	s->lines.app = app;
	s->net = net;
	s->cfg = cfg;
	s->bot_token = token(cfg->bot_token_env, err, errlen);
	/* The Events API needs no app token: Slack comes to us. */
	s->app_token = !s->bot_token ? NULL
		       : cfg->mode == SLACK_EVENTS
			   ? xstrdup("")
			   : token(cfg->app_token_env, err, errlen);
	if (!s->app_token) {
		free(s->bot_token);
		s->bot_token = NULL;
		return SCRIBE_EINVAL;
	}
	s->api_url =
	    xasprintf("%s%s", cfg->api_url,
		      cfg->api_url[strlen(cfg->api_url) - 1] == '/' ? "" : "/");
	uv_timer_init(net->loop, &s->reconnect);
	uv_timer_init(net->loop, &s->pump);
	uv_timer_init(net->loop, &s->api_timer);
	s->reconnect.data = s->pump.data = s->api_timer.data = s;
	return 0;
}

int slack_start(struct slack *s)
{
	auth_then_socket(s);
	return 0;
}

void slack_stop(struct slack *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	uv_timer_stop(&s->reconnect);
	uv_timer_stop(&s->pump);
	uv_timer_stop(&s->api_timer);
	uv_close((uv_handle_t *)&s->reconnect, NULL);
	uv_close((uv_handle_t *)&s->pump, NULL);
	uv_close((uv_handle_t *)&s->api_timer, NULL);
	api_stop(s);
	if (s->next_ws)
		ws_close(s->next_ws);
	if (s->ws)
		ws_close(s->ws);
}

void slack_release(struct slack *s)
{
	struct slack_backfill *b = s->backfill;

	if (b) {
		free(b->room);
		free(b->cursor);
		cJSON_Delete(b->messages);
		cJSON_Delete(b->parents);
		while (b->nrooms)
			free(b->rooms[--b->nrooms]);
		free(b->rooms);
		free(b);
	}

	chat_lines_release(&s->lines);
	while (s->limits) {
		struct slack_limit *l = s->limits;

		s->limits = l->next;
		free(l->method);
		free(l);
	}
	for (size_t i = 0; i < s->nnames; i++) {
		free(s->names[i].id);
		free(s->names[i].name);
	}
	free(s->names);
	free(s->bot_token);
	free(s->app_token);
	free(s->api_url);
	free(s->self_user);
	free(s->self_bot);
	memset(s, 0, sizeof(*s));
}
