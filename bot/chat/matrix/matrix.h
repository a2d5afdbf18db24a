/*
 * matrix.h - the Matrix transport: the client-server API, /sync in, the
 * outbox out.
 *
 * At start: whoami with the access token from the environment, or a
 * password login that keeps its device id in the store (so restarts are
 * the same device, and transaction ids keep their meaning). Then /sync
 * long-polls on the loop with a filter of the event types Scribe records.
 * Each response's events go to the app and its next_batch is written in
 * the same transaction (app_cursor); the next /sync starts only after
 * that commit, so a crash resumes exactly where the store ends - no gap,
 * no duplicate. A `limited` timeline is filled from /messages (back to
 * the previous since) before anything of that response is recorded; a
 * page that fails is read again (chat_reread: 429, 5xx and network errors,
 * with backoff, for a bounded time), and only what cannot be read is
 * marked as a gap on the timeline.
 *
 * Rooms: `declare` creates a private room (name, topic, invites, the
 * commander as moderator); invites from allowed users or servers are
 * accepted. Outbound, outbox rows are queued per room, one request in
 * flight per room, in order; every send is PUT with the transaction id
 * "<database id>.<outbox row>", so a resend after a crash is one event.
 * 429 waits for Retry-After, else retry_after_ms; 5xx and network errors
 * back off. A ✅ reaction on a playbook step message completes the step.
 */
#ifndef SCRIBE_MATRIX_H
#define SCRIBE_MATRIX_H

#include <uv.h>

#include "util/base.h"
#include "config.h"
#include "chat/chat.h"
#include "chat/lines.h"
#include "chat/reread.h"
#include "chat/matrix/events.h"

struct app;
struct net;
struct mx_pending;

struct matrix {
	struct chat chat;
	struct app *app;
	struct net *net;
	const struct config_matrix *cfg;
	char *hs;       /* the homeserver's base URL, without a final '/' */
	char *token;    /* the access token; never logged */
	char *password; /* for a login, when there is no token */
	char *user_id, *device_id;
	char *txn_prefix; /* the database id: transaction ids */
	char *since;      /* next_batch of the last committed sync */
	char *next_batch; /* of the sync being committed */
	int limit;        /* timeline events per room in a sync */
	bool initial;     /* the first sync ever: history is not replayed */
	bool syncing;     /* a /sync is on its way */
	struct mx_pending *pending; /* a sync response being completed */
	uv_timer_t retry;           /* sign-in or sync again after a failure */
	uv_timer_t pump;            /* sends the next due request */
	int attempts;               /* failures in a row */
	struct chat_reread reread;  /* a failed /messages page: again */
	struct chat_lines lines;    /* queued outbox rows, per room */
	struct mx_names names;
	char **answered; /* invites answered (joined or refused) */
	size_t nanswered, answered_cap;
	bool stopping;
	uint64_t syncs, events, ignored, invalid, backfilled;
	void (*on_fatal)(void *ud, const char *why); /* e.g. a bad token */
	void *fatal_ud;
};

/* Reads the access token or the password from the environment variables
 * the config names. On error (neither set, or a password without user_id)
 * err says what to set. */
int matrix_init(struct matrix *m, struct app *app, struct net *net,
		const struct config_matrix *cfg, char *err, size_t errlen);
/* Signs in, then syncs. Errors that need a person (a refused token or
 * password) go to on_fatal with the fix named. */
int matrix_start(struct matrix *m);
/* Stops syncing and retrying; queued rows stay in the outbox. */
void matrix_stop(struct matrix *m);
/* After the loop has ended. */
void matrix_release(struct matrix *m);

#endif
