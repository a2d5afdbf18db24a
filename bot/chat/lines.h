/*
 * lines.h - a transport's outbox rows waiting in lines, one line per room.
 *
 * Slack and Matrix take outbox rows with SCRIBE_EPENDING and send them
 * later. Rows of one room go out in order, one request in flight per room
 * (a "line"); rows marked loose (Slack's follow-ups: a pin, an update) wait
 * in no line. A row waits until its not_before (rate limits, Retry-After,
 * backoff). When a row is done, the app hears of it (app_delivered). The
 * transport decides what one row's request is; this decides when.
 */
#ifndef SCRIBE_CHAT_LINES_H
#define SCRIBE_CHAT_LINES_H

#include "util/base.h"

struct app;
struct outbox_row;

struct chat_job {
	struct chat_job *next;
	void *owner; /* the transport */
	int64_t row;
	int64_t incident;
	char *kind;
	char *room;
	char *to_user;
	char *body;
	char *file_name;    /* documents: sent as this file */
	char *got[2];       /* what earlier steps returned (owned) */
	int64_t not_before; /* rate limits and retries */
	bool busy;          /* its request is in flight */
	bool loose;         /* in no line: waits for no other row */
	int tries;          /* retries, name suffixes */
	int step;           /* multi-request rows: the current one */
};

struct chat_lines {
	struct chat_job *jobs; /* oldest first */
	struct app *app;
};

/* Queues row (to room, NULL for a room to create) at the end. */
struct chat_job *chat_lines_add(struct chat_lines *l, void *owner,
				const struct outbox_row *row, const char *room,
				bool loose);
/* j is finished: out of its line, and the app is told rc. */
void chat_lines_done(struct chat_lines *l, struct chat_job *j, int rc);
/* No row of room's line goes before until. */
void chat_lines_hold(struct chat_lines *l, const char *room, int64_t until);
/* Sends every row that may go now: the first of each line (and every
 * loose one) that is not busy and whose time has come. send returns 0
 * when the request is on its way; else the row is done with (an error
 * retried by the app later, SCRIBE_EINVAL: a row that can never be sent,
 * done for good). Returns when the next waiting row is due, 0 if none. */
int64_t chat_lines_pump(struct chat_lines *l, int64_t now,
			int (*send)(void *owner, struct chat_job *j));
/* Frees every row (they stay in the outbox). */
void chat_lines_release(struct chat_lines *l);

#endif
