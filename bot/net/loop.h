/*
 * loop.h - the one event loop that owns all of Scribe's I/O.
 *
 * A libuv loop with SIGINT, SIGTERM and SIGHUP handlers. A signal calls the
 * stop callback once (which begins closing the transports); the loop then ends
 * by itself when nothing is left on it, and loop_release() checks that it
 * closed cleanly. libwebsockets (foreign loop) and libcurl's multi handle
 * join this same loop when the Slack and Matrix transports arrive.
 */
#ifndef SCRIBE_LOOP_H
#define SCRIBE_LOOP_H

#include <uv.h>

#include "util/base.h"

struct loop {
	uv_loop_t uv;
	uv_signal_t sigint, sigterm, sighup;
	void (*on_stop)(void *ud);
	void (*on_reload)(void *ud); /* SIGHUP; may be NULL */
	void *ud;
	bool stopping;
};

/* on_stop runs once, on SIGINT or SIGTERM; on_reload on every SIGHUP. */
int loop_init(struct loop *l, void (*on_stop)(void *ud),
	      void (*on_reload)(void *ud), void *ud);
/* Runs until nothing is left on the loop. */
int loop_run(struct loop *l);
/* Asks everything to stop, as a signal would. */
void loop_stop(struct loop *l);
/* Closes the signal handles, drains the loop and closes it. Returns 0, or
 * UV_EBUSY when a handle was left open (a bug). */
int loop_release(struct loop *l);

#endif
