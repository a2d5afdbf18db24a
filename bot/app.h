/*
 * app.h - the shell: transports -> core -> store -> outbox -> transports.
 *
 * app_event() records one event and runs the command in it, inside the
 * current batch's transaction (opened on the first event). app_flush()
 * commits the batch with one fsync (group commit), acknowledges its events
 * to their transports, then delivers the outbox. On a loop, the app
 * flushes by itself at the end of every loop turn that brought events.
 */
#ifndef SCRIBE_APP_H
#define SCRIBE_APP_H

#include <uv.h>

#include "util/base.h"
#include "config.h"
#include "backlog.h"
#include "chat/chat.h"
#include "store/store.h"

#define APP_MAX_TRANSPORTS 4

struct app_ack {
	void (*ack)(void *ud, int status);
	void *ud;
	int platform;         /* enum metrics_platform */
	uint64_t received_ns; /* uv_hrtime() when the app got it */
};

struct app {
	const struct config *cfg;
	struct store *st;
	uv_loop_t *loop; /* NULL: the caller flushes (replay) */
	uv_check_t flusher;
	bool flusher_on;
	uv_idle_t linger; /* keeps the loop turning while a batch lingers */
	bool linger_on;
	uint64_t batch_started; /* uv_hrtime() when the batch opened */
	size_t batch_seen;      /* events in it at the previous turn */
	const struct pb_library *playbooks; /* borrowed; may be NULL */
	struct chat *transports[APP_MAX_TRANSPORTS];
	size_t ntransports;
	uv_timer_t retry;  /* delivers the outbox again when a retry is due */
	int64_t retry_due; /* when the retry timer fires (UTC ms), 0: idle */
	int64_t *inflight; /* outbox rows a transport is delivering */
	size_t ninflight, inflight_cap;
	struct app_ack *acks; /* waiting for the batch's commit */
	size_t nacks, acks_cap;
	size_t batch;         /* events in the open transaction */
	struct wal *wal;      /* the store's checkpointer (store/wal.h) */
	uv_timer_t wal_quiet; /* empties the WAL once the loop is idle */
	/* The last room looked up, and its incident (0: none). */
	char *cache_platform, *cache_room;
	int64_t cache_incident;
	char *cache_suggested; /* its suggested playbooks; NULL: not read */
	uint64_t events, duplicates, refused;
	uv_timer_t remind;        /* wakes app_remind() at the next due time */
	int64_t remind_next;      /* the next due time; 0: none; -1: unknown */
	struct backlog backlog;   /* channels outside incidents: context */
	uint64_t commit_failures; /* batches the store could not commit */
	bool store_failing;       /* the last commit failed */
	/* Called after each commit that worked: what readers show may have
	 * changed (the dashboard's live pages). One listener; may be NULL. */
	void (*on_commit)(void *ud);
	void *on_commit_ud;
};

/* What became of one event, for the console and replay. */
struct app_result {
	int status;     /* 0, SCRIBE_EDUP (seen before), SCRIBE_EINVAL */
	bool ignored;   /* outside any incident and not a command: not kept */
	char *error;    /* owned: why it was not recorded, or NULL */
	char *moved_to; /* owned: the room of an incident it declared */
};
void app_result_release(struct app_result *r);

int app_init(struct app *a, const struct config *cfg, struct store *st,
	     uv_loop_t *loop);
void app_add_transport(struct app *a, struct chat *c);
/* Records ev and runs its command. res may be NULL. Returns 0, or a store
 * error (the batch is rolled back and its events are not acknowledged). */
int app_event(struct app *a, const struct chat_event *ev,
	      struct app_result *res);
/* Commits the batch, acknowledges it and delivers the outbox. */
int app_flush(struct app *a);
/* Closes the loop handles; the loop must run once more to finish them. */
void app_release(struct app *a);

/* A transport's outcome for a row it took with SCRIBE_EPENDING: 0 (sent),
 * or an error, retried after retry_ms (0: the app's backoff). */
void app_delivered(struct app *a, int64_t row_id, int rc, int64_t retry_ms);

/* The rooms of platform's open incidents (*rooms and each string are the
 * caller's to free), and the time of the newest event recorded in one:
 * what a transport backfills after downtime, and from when. */
int app_open_rooms(struct app *a, const char *platform, char ***rooms,
		   size_t *n);
int64_t app_room_last_at(struct app *a, const char *platform, const char *room);

/* A transport learned a user's display name: kept, and recorded wherever
 * the user still shows as an id (in the current batch). An event whose
 * author has no name (NULL) is recorded with the kept one, or the id. */
int app_user_named(struct app *a, const char *platform, const char *id,
		   const char *name);
/* The kept display name of a user (allocated), or NULL when none is. */
char *app_user_name(struct app *a, const char *platform, const char *id);

/* History of a room that could not be recovered (a backfill that failed
 * or stopped short): recorded as a gap on the incident's timeline, in the
 * current batch. */
int app_gap(struct app *a, const char *platform, const char *room, int64_t at,
	    const char *why);

/* A transport's resume point (Matrix: the /sync next_batch), written in
 * the current batch, so it is durable together with the events it
 * follows; ack (may be NULL) runs after that commit, with its status. */
int app_cursor(struct app *a, const char *key, const char *value,
	       void (*ack)(void *ud, int status), void *ud);

/* A transport's own notice to a room (e.g. "this room is encrypted"),
 * queued in the outbox in the current batch. */
int app_post(struct app *a, const char *platform, const char *room,
	     const char *text);

/* A transport created the channel of an incident, with its id and its
 * alias or name (may be NULL): its rows waiting for a room, announcements
 * too (they link to it), can go now. */
int app_room_created(struct app *a, int64_t incident_id, const char *room,
		     const char *alias);

/* Update reminders that are due at now (UTC ms) are queued, each in the
 * incident's channel, in the current batch. In a replay (no loop) the
 * transcript's clock passes every due time in turn and each reminder
 * carries its own; on a loop a timer calls it, and a reminder missed
 * while Scribe was down is sent once, now. */
int app_remind(struct app *a, int64_t now);

#endif
