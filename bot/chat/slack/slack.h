/*
 * slack.h - the Slack transport: Socket Mode (or the Events API over HTTP)
 * in, the Web API out.
 *
 * With `mode: events` there is no socket: Slack POSTs events, slash
 * commands and interactions to the HTTP server (web/slack_http.c checks
 * their signatures), which hands them to slack_http(); the answer waits
 * for the commit, as a Socket Mode ack does.
 * At start: auth.test with the bot token (who the bot is), then
 * apps.connections.open with the app token for a single-use websocket URL.
 * Every frame is parsed (frames.h) and handed to the app; its ack is sent
 * only when the app's commit calls back - durable before ack. A
 * `disconnect` asking for a refresh opens the new socket before the old one
 * closes; a lost socket reconnects with backoff and jitter.
 *
 * Outbound, the app's outbox rows are queued per channel, one request in
 * flight per channel and at most one message a second per channel, in
 * order; follow-ups (pins.add for a 📌, chat.update of a clicked step)
 * go beside that line, as soon as their event is committed. Every Web
 * API call is paced by its method's rate-limit tier (limits.h); HTTP 429
 * holds that method alone for Retry-After and sends the call again;
 * 5xx and network errors back off.
 * After every (re)connect, the open incidents' channels are backfilled with
 * conversations.history and conversations.replies from the last stored
 * message on, through the same parser and the same dedupe; what cannot be
 * read is marked as a gap on the timeline.
 * Nothing is dropped. Text goes out as mrkdwn with user text escaped
 * (format.h).
 */
#ifndef SCRIBE_SLACK_H
#define SCRIBE_SLACK_H

#include <uv.h>

#include "util/base.h"
#include "config.h"
#include "chat/chat.h"
#include "chat/lines.h"
#include "chat/slack/frames.h"
#include "chat/slack/limits.h"

struct app;
struct net;
struct ws;
struct slack_backfill;
struct api_call;

/* A Web API method's rate limit (limits.h), made on its first call. */
struct slack_limit {
	struct slack_limit *next;
	char *method;
	struct slack_bucket bucket;
	bool stalled; /* while the queue is walked: its calls wait */
};

/* A user's display name, or NULL while users.info is on its way. */
struct slack_name {
	char *id;
	char *name;
};

struct slack {
	struct chat chat;
	struct app *app;
	struct net *net;
	const struct config_slack *cfg;
	char *bot_token; /* from the environment; never logged */
	char *app_token;
	char *api_url; /* ends with '/' */
	struct slack_self self;
	char *self_user, *self_bot; /* owned strings behind self */
	struct ws *ws;              /* the socket events arrive on */
	struct ws *next_ws; /* a refresh: open before the old one closes */
	uint64_t ws_id, next_id, ids; /* which socket an ack belongs to */
	bool opening;                 /* apps.connections.open in flight */
	uv_timer_t reconnect;
	uv_timer_t pump;                 /* sends the next due request */
	uv_timer_t api_timer;            /* a method's bucket refilled */
	struct slack_limit *limits;      /* per Web API method */
	struct api_call *waiting;        /* calls waiting for their bucket */
	int attempts;                    /* reconnects since the last hello */
	struct chat_lines lines;         /* queued outbox rows, per channel */
	struct slack_backfill *backfill; /* catching up, after a (re)connect */
	struct slack_name *names;        /* display names from users.info */
	size_t nnames, names_cap;
	uint64_t backfilled;
	bool stopping;
	bool connected; /* Socket Mode: hello received on s->ws */
	uint64_t events, acks, invalid;
	void (*on_fatal)(void *ud, const char *why); /* e.g. invalid_auth */
	void *fatal_ud;
};

/* Reads the tokens from the environment variables the config names. On
 * error (a token missing) err says which variable to set. */
int slack_init(struct slack *s, struct app *app, struct net *net,
	       const struct config_slack *cfg, char *err, size_t errlen);
/* auth.test, then the socket. Errors that need a person (invalid_auth,
 * missing_scope, ...) go to on_fatal with the fix named. */
int slack_start(struct slack *s);
/* Closes the sockets and stops retrying; queued rows stay in the outbox. */
void slack_stop(struct slack *s);
/* After the loop has ended. */
void slack_release(struct slack *s);

/* What slack_http() asks its caller to answer. */
enum slack_answer {
	SLACK_ANSWER_OK = 0,    /* 200 now: nothing to record */
	SLACK_ANSWER_LATER = 1, /* done(ud, status) will run after the commit */
	SLACK_ANSWER_CHALLENGE = 2, /* 200 with the challenge */
	SLACK_ANSWER_BAD = 3,       /* 400: not a payload Scribe understands */
};

/*
 * A request from Slack's Events API (kind: which URL), whose signature
 * the caller has checked: parsed by the same frame parser as Socket Mode
 * and handed to the app. Returns an enum slack_answer, or SCRIBE_ESTORE
 * when the app could not take the event (answer 500: Slack retries). With
 * SLACK_ANSWER_LATER, done runs once, after the commit (status 0: durable;
 * else the commit failed); the challenge of a url_verification is copied
 * into challenge.
 */
int slack_http(struct slack *s, enum slack_http_kind kind, const char *body,
	       size_t len, void (*done)(void *ud, int status), void *ud,
	       char *challenge, size_t clen);

#endif
