/*
 * reread.h - a read of history that failed: again later, or a gap.
 *
 * A transport reads back what was said while it was not listening (Matrix
 * /messages, Slack conversations.history and .replies). One failed request
 * must not become a permanent hole: a failure that may pass (a 429, a 5xx,
 * no answer at all) is tried again with jittered backoff, or after the
 * server's own Retry-After, for a bounded time. Only when that time is
 * spent, or the failure is one that will not pass (another 4xx), does the
 * caller mark a gap on the timeline. Every transport's backfill uses this
 * one helper, so they all decide the same way.
 *
 * Usage: embed a struct chat_reread in the transport's struct (its timer
 * lives as long as the transport); chat_reread_init() once. On each failed
 * read, chat_reread_failed(): >= 0 means again() will be called after that
 * many ms (issue the read again from there); -1 means give up now: mark
 * the gap and go on. On a successful read, chat_reread_ok(). At stop,
 * chat_reread_close() before the loop ends.
 */
#ifndef SCRIBE_CHAT_REREAD_H
#define SCRIBE_CHAT_REREAD_H

#include <uv.h>

#include "util/base.h"

struct chat_reread {
	uv_timer_t timer;
	int64_t min_ms, max_ms; /* backoff between tries: min doubling */
	int64_t budget_ms;      /* how long one read may keep failing */
	int attempts;           /* failures of the read in hand */
	int64_t first_ms;       /* when it first failed; 0: it has not */
	void (*again)(void *ud);
	void *ud;
	uint64_t retries, gaps; /* reads tried again; reads given up */
};

/* Whether a failed request may succeed if sent again: 429, 5xx, or no
 * answer at all (status 0: the network, a timeout). */
bool chat_retryable(long status);

/* The wait before the next try of a read that has failed attempts times
 * already (0 for the first failure), first failing at first_ms, now
 * failing again at now: the server's retry_ms when it gave one (> 0), else
 * min_ms doubling up to max_ms with jitter. -1 when the read should be
 * given up: not retryable, or the wait would end past first_ms +
 * budget_ms. Pure apart from the jitter. */
int64_t chat_reread_wait(const struct chat_reread *r, bool retryable,
			 int64_t retry_ms, int64_t now);

/* again(ud) is what reads again. Never fails. */
void chat_reread_init(struct chat_reread *r, uv_loop_t *loop, int64_t min_ms,
		      int64_t max_ms, int64_t budget_ms,
		      void (*again)(void *ud), void *ud);

/* A read failed with status (0: no answer) after the server asked for
 * retry_ms (0: it did not). Returns the wait before again() is called, or
 * -1: give up now and mark the gap (the next failure starts afresh). */
int64_t chat_reread_failed(struct chat_reread *r, long status, int64_t retry_ms,
			   int64_t now);

/* A read succeeded: the next failure is a new read's, with a new budget. */
void chat_reread_ok(struct chat_reread *r);

/* Cancels a pending again() and closes the timer (before the loop ends). */
void chat_reread_close(struct chat_reread *r);

#endif
