/*
 * metrics.h - the process's counters and histograms, for GET /metrics.
 *
 * One struct per process (the shell's, never the core's): the app, the
 * transports and the HTTP server bump it through these functions, and
 * web/metrics.c prints it in Prometheus's text format, together with
 * what it reads from the store at scrape time (incidents open, outbox
 * rows pending). Everything runs on the loop thread: plain integers.
 * Platforms are "console", "slack", "matrix"; anything else counts as
 * "other".
 */
#ifndef SCRIBE_METRICS_H
#define SCRIBE_METRICS_H

#include "util/base.h"

enum metrics_platform { MP_CONSOLE, MP_SLACK, MP_MATRIX, MP_OTHER, MP_N };
#define METRICS_KINDS 7 /* enum chat_kind */

enum metrics_outcome {
	MO_RECORDED,  /* written to the timeline */
	MO_DUPLICATE, /* seen before: absorbed by the unique key */
	MO_IGNORED,   /* outside any incident, not a command */
	MO_INVALID,   /* refused (malformed, about an unknown message) */
	MO_N,
};

enum metrics_delivery { MD_SENT, MD_RETRY, MD_N };

#define METRICS_BUCKETS 14

/* A histogram over fixed upper bounds (le), cumulative when printed. */
struct metrics_hist {
	const double *le; /* METRICS_BUCKETS bounds, increasing */
	uint64_t counts[METRICS_BUCKETS + 1]; /* the last: above them all */
	uint64_t count;
	double sum;
};

#define METRICS_NAMED 32

/* A counter per name (Web API methods, HTTP routes), first come. */
struct metrics_named {
	char name[48];
	int code; /* an HTTP status, or 0 */
	uint64_t n;
};

struct metrics {
	const char *version;
	int64_t started_ms;
	uint64_t events[MP_N][METRICS_KINDS][MO_N];
	uint64_t acks[MP_N];
	uint64_t commits, commit_failures;
	struct metrics_hist commit_seconds; /* one fsynced commit */
	struct metrics_hist ack_seconds;    /* event received -> acked */
	struct metrics_hist batch_events;   /* events per commit */
	uint64_t deliveries[MD_N];
	uint64_t reconnects[MP_N];
	uint64_t gaps[MP_N];
	uint64_t liveness_reconnects[MP_N]; /* the liveness canary's */
	struct metrics_named ratelimited[METRICS_NAMED]; /* 429s by method */
	size_t nratelimited;
	struct metrics_named http[METRICS_NAMED]; /* by route and status */
	size_t nhttp;
	uint64_t http_refused, http_timeouts, http_bad_signatures;
};

extern struct metrics metrics;

/* Sets the histograms' bounds and zeroes everything (tests too). */
void metrics_reset(const char *version);

enum metrics_platform metrics_platform(const char *name);
const char *metrics_platform_name(enum metrics_platform p);

void metrics_event(const char *platform, int kind, enum metrics_outcome o);
/* A batch committed (ok) or failed, with how long the commit took. */
void metrics_commit(bool ok, uint64_t ns, size_t events);
/* An event's ack ran, ns after the app received it. */
void metrics_ack(enum metrics_platform p, uint64_t ns);
void metrics_delivery(enum metrics_delivery d);
void metrics_ratelimited(const char *platform, const char *method);
void metrics_reconnect(const char *platform);
void metrics_gap(const char *platform);
/* A liveness check (a canary) found a connection dead and reconnected. */
void metrics_liveness_reconnect(const char *platform);
void metrics_http_request(const char *route, int status, uint64_t ns);
void metrics_http_refused(void);
void metrics_http_timeout(void);
void metrics_http_bad_signature(void);

void metrics_hist_add(struct metrics_hist *h, double v);

#endif
