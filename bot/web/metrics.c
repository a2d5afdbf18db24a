/*
 * metrics.c - GET /metrics in Prometheus's text exposition format 0.0.4;
 * see routes.h.
 *
 * The metrics are a table like the command table: a name, a type, a help
 * line and the function that prints its samples. The counters come from
 * the process's struct metrics (bot/metrics.h), fed by the app, the
 * transports and this server; the gauges of what is stored (incidents
 * open, outbox rows waiting) are read from the store at scrape time, in
 * two grouped counts. An optional bearer token guards the route.
 */
#include <openssl/crypto.h>

#include "util/base.h"
#include "util/buf.h"
#include "util/log.h"
#include "app.h"
#include "config.h"
#include "metrics.h"
#include "store/store.h"
#include "web/routes.h"

struct scrape {
	struct app *app;
	struct store_gauges gauges;
	bool gauges_ok;
	int64_t now;
};

struct metric {
	const char *name;
	const char *type; /* "counter", "gauge", "histogram" */
	const char *help;
	void (*print)(struct buf *b, const struct metric *m,
		      const struct scrape *sc);
};

static const char *const kinds[METRICS_KINDS] = {
    "message", "command", "file", "edit", "delete", "reaction", "member",
};

/* A platform is shown when it has a transport here, or counts. */
static bool shown(const struct scrape *sc, enum metrics_platform p,
		  uint64_t count)
{
	size_t i;

	if (count)
		return true;
	for (i = 0; i < sc->app->ntransports; i++)
		if (metrics_platform(sc->app->transports[i]->ops->name) == p)
			return true;
	return false;
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(b, '\\');
		if (*v == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addch(b, *v);
	}
}

static void per_platform(struct buf *b, const char *name,
			 const struct scrape *sc, const uint64_t *v)
{
	int p;

	for (p = 0; p < MP_N; p++)
		if (shown(sc, (enum metrics_platform)p, v[p]))
			buf_addf(
			    b, "%s{platform=\"%s\"} %llu\n", name,
			    metrics_platform_name((enum metrics_platform)p),
			    (unsigned long long)v[p]);
}

static uint64_t events(int p, int k, int o)
{
	return metrics.events[p][k][o];
}

/* Events by platform and kind, for outcome o (-1: all outcomes). */
static void print_events(struct buf *b, const char *name,
			 const struct scrape *sc, int o)
{
	int p, k, x;

	for (p = 0; p < MP_N; p++)
		for (k = 0; k < METRICS_KINDS; k++) {
			uint64_t n = 0;

			for (x = 0; x < MO_N; x++)
				if (o < 0 || o == x)
					n += events(p, k, x);
			if (!n && !(shown(sc, (enum metrics_platform)p, 0) &&
				    (k == 0 || k == 1)))
				continue;
			buf_addf(
			    b, "%s{platform=\"%s\",kind=\"%s\"} %llu\n", name,
			    metrics_platform_name((enum metrics_platform)p),
			    kinds[k], (unsigned long long)n);
		}
}

static void p_received(struct buf *b, const struct metric *m,
		       const struct scrape *sc)
{
	print_events(b, m->name, sc, -1);
}

static void p_recorded(struct buf *b, const struct metric *m,
		       const struct scrape *sc)
{
	print_events(b, m->name, sc, MO_RECORDED);
}

static void p_duplicates(struct buf *b, const struct metric *m,
			 const struct scrape *sc)
{
	uint64_t v[MP_N] = {0};
	int p, k;

	for (p = 0; p < MP_N; p++)
		for (k = 0; k < METRICS_KINDS; k++)
			v[p] += events(p, k, MO_DUPLICATE);
	per_platform(b, m->name, sc, v);
}

static void p_skipped(struct buf *b, const struct metric *m,
		      const struct scrape *sc)
{
	static const struct {
		int outcome;
		const char *reason;
	} reasons[] = {{MO_IGNORED, "outside_incident"},
		       {MO_INVALID, "invalid"}};
	size_t r;
	int p, k;

	for (p = 0; p < MP_N; p++)
		for (r = 0; r < ARRAY_SIZE(reasons); r++) {
			uint64_t n = 0;

			for (k = 0; k < METRICS_KINDS; k++)
				n += events(p, k, reasons[r].outcome);
			if (shown(sc, (enum metrics_platform)p, n))
				buf_addf(b,
					 "%s{platform=\"%s\",reason=\"%s\"} "
					 "%llu\n",
					 m->name,
					 metrics_platform_name(
					     (enum metrics_platform)p),
					 reasons[r].reason,
					 (unsigned long long)n);
		}
}

static void p_acks(struct buf *b, const struct metric *m,
		   const struct scrape *sc)
{
	per_platform(b, m->name, sc, metrics.acks);
}

static void p_reconnects(struct buf *b, const struct metric *m,
			 const struct scrape *sc)
{
	per_platform(b, m->name, sc, metrics.reconnects);
}

static void p_gaps(struct buf *b, const struct metric *m,
		   const struct scrape *sc)
{
	per_platform(b, m->name, sc, metrics.gaps);
}

static void p_liveness(struct buf *b, const struct metric *m,
		       const struct scrape *sc)
{
	per_platform(b, m->name, sc, metrics.liveness_reconnects);
}

static void value(struct buf *b, const char *name, uint64_t v)
{
	buf_addf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void p_commits(struct buf *b, const struct metric *m,
		      const struct scrape *sc)
{
	value(b, m->name, metrics.commits);
}

static void p_commit_failures(struct buf *b, const struct metric *m,
			      const struct scrape *sc)
{
	value(b, m->name, metrics.commit_failures);
}

static void histogram(struct buf *b, const char *name,
		      const struct metrics_hist *h)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		sum += h->counts[i];
		buf_addf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
			 h->le ? h->le[i] : 0.0, (unsigned long long)sum);
	}
	buf_addf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
		 (unsigned long long)h->count);
	buf_addf(b, "%s_sum %.9g\n", name, h->sum);
	buf_addf(b, "%s_count %llu\n", name, (unsigned long long)h->count);
}

static void p_commit_seconds(struct buf *b, const struct metric *m,
			     const struct scrape *sc)
{
	histogram(b, m->name, &metrics.commit_seconds);
}

static void p_ack_seconds(struct buf *b, const struct metric *m,
			  const struct scrape *sc)
{
	histogram(b, m->name, &metrics.ack_seconds);
}

static void p_batch(struct buf *b, const struct metric *m,
		    const struct scrape *sc)
{
	histogram(b, m->name, &metrics.batch_events);
}

/* Unsent outbox rows per platform: how many, and how old the oldest. */
static void pending(struct buf *b, const struct metric *m,
		    const struct scrape *sc, bool age)
{
	size_t i;

	for (i = 0; sc->gauges_ok && i < sc->gauges.npending; i++) {
		const typeof(sc->gauges.pending[0]) *p = &sc->gauges.pending[i];

		buf_addf(b, "%s{platform=\"", m->name);
		label(b, p->platform);
		if (age)
			buf_addf(b, "\"} %.3f\n",
				 p->oldest_ms < sc->now
				     ? (double)(sc->now - p->oldest_ms) / 1000
				     : 0.0);
		else
			buf_addf(b, "\"} %lld\n", (long long)p->count);
	}
}

static void p_pending(struct buf *b, const struct metric *m,
		      const struct scrape *sc)
{
	pending(b, m, sc, false);
}

static void p_pending_age(struct buf *b, const struct metric *m,
			  const struct scrape *sc)
{
	pending(b, m, sc, true);
}

static void p_deliveries(struct buf *b, const struct metric *m,
			 const struct scrape *sc)
{
	buf_addf(b, "%s{outcome=\"sent\"} %llu\n", m->name,
		 (unsigned long long)metrics.deliveries[MD_SENT]);
	buf_addf(b, "%s{outcome=\"retry\"} %llu\n", m->name,
		 (unsigned long long)metrics.deliveries[MD_RETRY]);
}

static void p_ratelimited(struct buf *b, const struct metric *m,
			  const struct scrape *sc)
{
	size_t i;

	for (i = 0; i < metrics.nratelimited; i++) {
		const struct metrics_named *n = &metrics.ratelimited[i];
		const char *slash = strchr(n->name, '/');

		buf_addf(b, "%s{platform=\"%.*s\",method=\"", m->name,
			 (int)(slash - n->name), n->name);
		label(b, slash + 1);
		buf_addf(b, "\"} %llu\n", (unsigned long long)n->n);
	}
}

static void p_incidents(struct buf *b, const struct metric *m,
			const struct scrape *sc)
{
	const struct config *cfg = sc->app->cfg;
	size_t i, j;

	/* Every configured severity, 0 when none is open. */
	for (i = 0; i < cfg->nseverities; i++) {
		int64_t n = 0;

		for (j = 0; sc->gauges_ok && j < sc->gauges.nopen; j++)
			if (sc->gauges.open[j].severity ==
			    cfg->severities[i].level)
				n = sc->gauges.open[j].count;
		buf_addf(b, "%s{severity=\"sev%d\"} %lld\n", m->name,
			 cfg->severities[i].level, (long long)n);
	}
}

static void p_build(struct buf *b, const struct metric *m,
		    const struct scrape *sc)
{
	buf_addf(b, "%s{version=\"", m->name);
	label(b, metrics.version ? metrics.version : "unknown");
	buf_adds(b, "\"} 1\n");
}

static void p_started(struct buf *b, const struct metric *m,
		      const struct scrape *sc)
{
	buf_addf(b, "%s %.3f\n", m->name, (double)metrics.started_ms / 1000);
}

static void p_http(struct buf *b, const struct metric *m,
		   const struct scrape *sc)
{
	size_t i;

	for (i = 0; i < metrics.nhttp; i++) {
		buf_addf(b, "%s{route=\"", m->name);
		label(b, metrics.http[i].name);
		buf_addf(b, "\",code=\"%d\"} %llu\n", metrics.http[i].code,
			 (unsigned long long)metrics.http[i].n);
	}
}

static void p_http_refused(struct buf *b, const struct metric *m,
			   const struct scrape *sc)
{
	value(b, m->name, metrics.http_refused);
}

static void p_http_timeouts(struct buf *b, const struct metric *m,
			    const struct scrape *sc)
{
	value(b, m->name, metrics.http_timeouts);
}

static void p_http_bad_signatures(struct buf *b, const struct metric *m,
				  const struct scrape *sc)
{
	value(b, m->name, metrics.http_bad_signatures);
}

static const struct metric table[] = {
    {"scribe_build_info", "gauge", "The running build: its version.", p_build},
    {"scribe_start_time_seconds", "gauge",
     "When the process started, in seconds since the epoch.", p_started},
    {"scribe_events_received_total", "counter",
     "Events the transports handed to the app, by platform and kind.",
     p_received},
    {"scribe_events_recorded_total", "counter",
     "Events written to the timeline, by platform and kind.", p_recorded},
    {"scribe_events_duplicate_total", "counter",
     "Redelivered events absorbed by the unique key, by platform.",
     p_duplicates},
    {"scribe_events_skipped_total", "counter",
     "Events not recorded: outside any incident, or invalid.", p_skipped},
    {"scribe_acks_total", "counter",
     "Acknowledgements sent after the commit (Socket Mode acks, HTTP "
     "answers, sync positions), by platform.",
     p_acks},
    {"scribe_commits_total", "counter", "Batches committed (one fsync each).",
     p_commits},
    {"scribe_commit_failures_total", "counter",
     "Batches whose commit failed (nothing of them was acknowledged).",
     p_commit_failures},
    {"scribe_commit_duration_seconds", "histogram",
     "How long one commit took, its fsync included.", p_commit_seconds},
    {"scribe_ack_latency_seconds", "histogram",
     "From an event reaching the app to its acknowledgement.", p_ack_seconds},
    {"scribe_batch_events", "histogram", "Events per committed batch.",
     p_batch},
    {"scribe_outbox_pending", "gauge",
     "Outbox rows not yet delivered, by platform.", p_pending},
    {"scribe_outbox_oldest_age_seconds", "gauge",
     "Age of the oldest undelivered outbox row, by platform.", p_pending_age},
    {"scribe_outbox_deliveries_total", "counter",
     "Outbox deliveries by outcome: sent, or failed and retried later.",
     p_deliveries},
    {"scribe_ratelimited_total", "counter",
     "HTTP 429 answers from a platform, by platform and method.",
     p_ratelimited},
    {"scribe_reconnects_total", "counter",
     "Reconnects and retries after a lost connection, by platform.",
     p_reconnects},
    {"scribe_gaps_total", "counter",
     "History that could not be recovered, marked as gaps, by platform.",
     p_gaps},
    {"scribe_liveness_reconnects_total", "counter",
     "Reconnects made because a liveness check found a connection dead, "
     "by platform.",
     p_liveness},
    {"scribe_incidents_open", "gauge", "Incidents not closed, by severity.",
     p_incidents},
    {"scribe_http_requests_total", "counter",
     "HTTP requests answered, by route and status code.", p_http},
    {"scribe_http_refused_total", "counter",
     "HTTP connections refused at the connection limit.", p_http_refused},
    {"scribe_http_timeouts_total", "counter",
     "HTTP connections closed for missing a deadline.", p_http_timeouts},
    {"scribe_http_bad_signatures_total", "counter",
     "Requests refused for a bad or missing signature or token.",
     p_http_bad_signatures},
};

char *metrics_render(struct app *app, size_t *len)
{
	struct scrape sc = {.app = app, .now = wall_ms()};
	struct buf b;
	size_t i;

	sc.gauges_ok = !store_gauges(app->st, &sc.gauges);
	buf_init(&b, BUF_UNBOUNDED);
	for (i = 0; i < ARRAY_SIZE(table); i++) {
		buf_addf(&b, "# HELP %s %s\n# TYPE %s %s\n", table[i].name,
			 table[i].help, table[i].name, table[i].type);
		table[i].print(&b, &table[i], &sc);
	}
	return buf_detach(&b, len);
}

/* "Bearer <token>", compared in constant time. */
static bool authorized(struct web_req *r, const char *token)
{
	char auth[512];
	size_t n = strlen(token);
	int len = web_header(r, "authorization", auth, sizeof(auth));

	return len == (int)(7 + n) && !strncmp(auth, "Bearer ", 7) &&
	       !CRYPTO_memcmp(auth + 7, token, n);
}

static void get_metrics(struct web_req *r, void *ud)
{
	struct metrics_route *m = ud;
	size_t len;
	char *text;

	if (m->token && !authorized(r, m->token)) {
		metrics_http_bad_signature();
		log_warn("http: %s GET /metrics without the bearer token: 401",
			 r->peer);
		web_header_add(r, "WWW-Authenticate", "Bearer");
		web_respond_error(r, 401, "unauthorized");
		return;
	}
	text = metrics_render(m->app, &len);
	web_respond_take(r, 200, "text/plain; version=0.0.4; charset=utf-8",
			 text, len);
}

static const struct web_route routes[] = {
    {"GET", "/metrics", get_metrics, 0, 0},
};

int metrics_routes(struct web *w, struct metrics_route *m, struct app *app,
		   const char *token)
{
	m->app = app;
	m->token = token && *token ? xstrdup(token) : NULL;
	return web_add_routes(w, routes, ARRAY_SIZE(routes), m);
}

void metrics_route_release(struct metrics_route *m)
{
	free(m->token);
	m->token = NULL;
}
