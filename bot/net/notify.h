/*
 * notify.h - systemd's service notifications, a few lines over the
 * datagram socket named by $NOTIFY_SOCKET (sd_notify(3)'s protocol;
 * no libsystemd).
 *
 * `scribe run` under Type=notify says READY=1 once the store is open
 * (and the HTTP server listens, when there is one), STATUS= with how the
 * platforms are doing (connecting is not a failure: READY never waits for
 * a platform), WATCHDOG=1 from a timer on the loop at half of
 * $WATCHDOG_USEC (a blocked loop stops feeding it, and systemd restarts
 * Scribe), and STOPPING=1 on the way out. Outside systemd every call is
 * a no-op.
 */
#ifndef SCRIBE_NOTIFY_H
#define SCRIBE_NOTIFY_H

#include <uv.h>

#include "util/base.h"

struct notify {
	uv_timer_t timer; /* the watchdog and the STATUS= refresh */
	bool timer_on;
	uint64_t every_ms; /* the timer's period */
	bool watchdog;     /* systemd asked for WATCHDOG=1 */
	char status[256];  /* the last STATUS= sent */
	/* Called on every tick to write the current status into buf; may
	 * be NULL. */
	void (*describe)(void *ud, char *buf, size_t len);
	void *ud;
};

/* Sends state ("READY=1", "STATUS=...", ...) when $NOTIFY_SOCKET is set.
 * 0 when sent or not under systemd; a negative errno when the send
 * failed (which is logged once and otherwise ignored). */
int notify_send(const char *state);

/* Starts the timer on loop when $WATCHDOG_USEC asks for a watchdog (and
 * $WATCHDOG_PID, if set, is this process) or describe is set under
 * systemd. The timer never keeps the loop alive. */
void notify_start(struct notify *n, uv_loop_t *loop,
		  void (*describe)(void *ud, char *buf, size_t len), void *ud);
/* Sends the status now if it changed. */
void notify_status(struct notify *n);
/* Closes the timer (the loop must run once more to finish closing). */
void notify_close(struct notify *n);

#endif
