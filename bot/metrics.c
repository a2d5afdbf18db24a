/*
 * metrics.c - the process's counters; see metrics.h.
 */
#include "util/base.h"
#include "metrics.h"

struct metrics metrics;

static const double seconds_le[METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,   1,     2.5,
};

static const double batch_le[METRICS_BUCKETS] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4096, 10000, 100000,
};

static const char *const platforms[MP_N] = {
    [MP_CONSOLE] = "console",
    [MP_SLACK] = "slack",
    [MP_MATRIX] = "matrix",
    [MP_OTHER] = "other",
};

void metrics_reset(const char *version)
{
	memset(&metrics, 0, sizeof(metrics));
	metrics.version = version;
	metrics.started_ms = wall_ms();
	metrics.commit_seconds.le = seconds_le;
	metrics.ack_seconds.le = seconds_le;
	metrics.batch_events.le = batch_le;
}

enum metrics_platform metrics_platform(const char *name)
{
	int i;

	for (i = 0; name && i < MP_OTHER; i++)
		if (!strcmp(name, platforms[i]))
			return (enum metrics_platform)i;
	return MP_OTHER;
}

const char *metrics_platform_name(enum metrics_platform p)
{
	return p < MP_N ? platforms[p] : "other";
}

void metrics_hist_add(struct metrics_hist *h, double v)
{
	size_t i = 0;

	if (!h->le)
		return; /* metrics_reset() was not called */
	while (i < METRICS_BUCKETS && v > h->le[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

void metrics_event(const char *platform, int kind, enum metrics_outcome o)
{
	if (kind < 0 || kind >= METRICS_KINDS || o >= MO_N)
		return;
	metrics.events[metrics_platform(platform)][kind][o]++;
}

void metrics_commit(bool ok, uint64_t ns, size_t events)
{
	if (!ok) {
		metrics.commit_failures++;
		return;
	}
	metrics.commits++;
	metrics_hist_add(&metrics.commit_seconds, (double)ns / 1e9);
	metrics_hist_add(&metrics.batch_events, (double)events);
}

void metrics_ack(enum metrics_platform p, uint64_t ns)
{
	metrics.acks[p < MP_N ? p : MP_OTHER]++;
	metrics_hist_add(&metrics.ack_seconds, (double)ns / 1e9);
}

void metrics_delivery(enum metrics_delivery d)
{
	if (d < MD_N)
		metrics.deliveries[d]++;
}

/* The counter for (prefix/name, code), made on first use; NULL when the
 * table is full (the rest are not counted: names come from code, not
 * from peers, so that means a new method or route). */
static struct metrics_named *named(struct metrics_named *t, size_t *n,
				   const char *prefix, const char *name,
				   int code)
{
	char key[48];
	size_t i;

	snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "/" : "", name);
	for (i = 0; i < *n; i++)
		if (t[i].code == code && !strcmp(t[i].name, key))
			return &t[i];
	if (*n == METRICS_NAMED)
		return NULL;
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", key);
	t[*n].code = code;
	return &t[(*n)++];
}

void metrics_ratelimited(const char *platform, const char *method)
{
	struct metrics_named *m =
	    named(metrics.ratelimited, &metrics.nratelimited,
		  metrics_platform_name(metrics_platform(platform)),
		  method ? method : "?", 0);

	if (m)
		m->n++;
}

void metrics_reconnect(const char *platform)
{
	metrics.reconnects[metrics_platform(platform)]++;
}

void metrics_gap(const char *platform)
{
	metrics.gaps[metrics_platform(platform)]++;
}

void metrics_liveness_reconnect(const char *platform)
{
	metrics.liveness_reconnects[metrics_platform(platform)]++;
}

void metrics_http_request(const char *route, int status, uint64_t ns)
{
	struct metrics_named *m =
	    named(metrics.http, &metrics.nhttp, "", route, status);

	(void)ns;
	if (m)
		m->n++;
}

void metrics_http_refused(void)
{
	metrics.http_refused++;
}

void metrics_http_timeout(void)
{
	metrics.http_timeouts++;
}

void metrics_http_bad_signature(void)
{
	metrics.http_bad_signatures++;
}
