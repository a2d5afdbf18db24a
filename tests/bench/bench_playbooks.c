/*
 * bench_playbooks.c - the numbers for playbooks: how long start-up
 * takes to load 500 of them, and how long matching a 40 KB message against
 * their triggers takes.
 *
 * 500 distinct playbooks are generated as YAML text in memory, each the
 * size of a real one (about 10 KB, like the shipped ones: 8 steps with
 * Markdown instructions and a PostgreSQL and a MySQL snippet each, 6
 * keywords of which 3 are phrases). Measured, median of RUNS runs (7 by
 * default), in milliseconds with CLOCK_MONOTONIC:
 *
 *   parse     playbook_parse() of all 500 from memory, pb_library_add()
 *             and pb_library_finish() (the index)
 *   load_dir  the same files written to a temporary folder, read back by
 *             playbooks_load_dir(): the real start-up (and SIGHUP) path
 *   match     pb_library_match() of a 40 KB chat message with a few
 *             keyword hits across the 500
 *   any       pb_library_any() of the same message (stops at the first
 *             hit), and of a 40 KB message with no hit (the common case:
 *             the whole message is scanned)
 *
 * The matcher is fast, so each of its runs times LOOPS calls and counts
 * their mean. It prints numbers and asserts nothing.
 *
 *   bench_playbooks [RUNS]
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/playbook.h"
#include "playbooks.h"

#define NBOOKS    500
#define NSTEPS    8
#define MSG_BYTES (40 * 1024)
#define LOOPS     50

static const char *const components[] = {
    "checkout", "payments", "orders",   "inventory", "search",
    "auth",     "billing",  "shipping", "cart",      "catalog",
    "notify",   "gateway",  "ledger",   "reports",   "sessions",
    "uploads",  "media",    "pricing",  "accounts",  "webhooks",
};

static const char *const systems[] = {
    "postgres", "mysql", "mariadb", "redis",     "kafka",
    "rabbitmq", "nginx", "haproxy", "k8s",       "dns",
    "cdn",      "s3",    "elastic", "memcached", "etcd",
    "consul",   "vault", "cron",    "pgbouncer", "envoy",
};

static const char *const symptoms[] = {
    "deadlock",   "timeouts",   "latency",     "outage",     "crashloop",
    "oom",        "throttling", "backlog",     "saturation", "failover",
    "corruption", "leak",       "slowness",    "5xx",        "retries",
    "stalled",    "degraded",   "unreachable", "evictions",  "brownout",
};

static const char *const phrases[] = {
    "lock wait",
    "replication lag",
    "disk full",
    "connection timeouts",
    "high cpu",
    "memory pressure",
    "queue backlog",
    "certificate expiry",
    "schema migration",
    "statement timeout",
    "connection pool exhausted",
    "split brain",
    "packet loss",
    "cache stampede",
    "slow queries",
    "error rate",
    "idle in transaction",
    "too many connections",
    "long running transaction",
    "disk latency",
};

static const char *const step_titles[] = {
    "What changed? Deploys, migrations and config first",
    "Confirm the symptom and its scope",
    "Connections and saturation",
    "Locks and the blocking chain",
    "Long-running transactions",
    "Replication and replicas",
    "Decide: end the blocker, roll back, or fail over",
    "Verify recovery and record the root cause",
};

/* Two snippets per step: PostgreSQL, then MySQL 8. */
static const char *const pg_sql[] = {
    "SELECT pid, usename, application_name, state, query_start,\n"
    "       left(query, 120) AS query\n"
    "FROM pg_stat_activity\n"
    "WHERE query ILIKE 'alter %' OR query ILIKE 'create index%'\n"
    "ORDER BY query_start;\n",
    "SELECT a.pid, pg_blocking_pids(a.pid) AS blocked_by,\n"
    "       a.wait_event_type, a.wait_event, now() - a.query_start AS "
    "waited,\n"
    "       left(a.query, 120) AS query\n"
    "FROM pg_stat_activity a\n"
    "WHERE cardinality(pg_blocking_pids(a.pid)) > 0\n"
    "ORDER BY waited DESC;\n",
    "SELECT pid, state, xact_start, now() - xact_start AS age,\n"
    "       left(query, 120) AS query\n"
    "FROM pg_stat_activity\n"
    "WHERE xact_start IS NOT NULL AND state <> 'idle'\n"
    "ORDER BY xact_start\n"
    "LIMIT 20;\n",
    "SELECT count(*) FILTER (WHERE state = 'active') AS active,\n"
    "       count(*) FILTER (WHERE state = 'idle in transaction') AS "
    "idle_tx,\n"
    "       count(*) AS total,\n"
    "       current_setting('max_connections')::int AS max\n"
    "FROM pg_stat_activity;\n",
};

static const char *const my_sql[] = {
    "SELECT id, user, host, db, command, time, state, left(info, 120)\n"
    "FROM information_schema.PROCESSLIST\n"
    "WHERE command <> 'Sleep'\n"
    "ORDER BY time DESC;\n",
    "SELECT r.trx_mysql_thread_id AS waiting, b.trx_mysql_thread_id AS "
    "blocking,\n"
    "       left(r.trx_query, 120) AS waiting_query\n"
    "FROM performance_schema.data_lock_waits w\n"
    "JOIN information_schema.INNODB_TRX r ON r.trx_id = "
    "w.REQUESTING_ENGINE_TRANSACTION_ID\n"
    "JOIN information_schema.INNODB_TRX b ON b.trx_id = "
    "w.BLOCKING_ENGINE_TRANSACTION_ID;\n",
    "SELECT trx_id, trx_state, trx_started, trx_mysql_thread_id,\n"
    "       TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age_s\n"
    "FROM information_schema.INNODB_TRX\n"
    "ORDER BY trx_started\n"
    "LIMIT 20;\n",
    "SHOW GLOBAL STATUS WHERE Variable_name IN\n"
    "  ('Threads_connected', 'Threads_running', 'Max_used_connections',\n"
    "   'Aborted_connects');\n",
};

/* Chat lines with none of the keywords above. */
static const char *const chat[] = {
    "looking at the dashboards now, give me a minute",
    "p99 on the front page went from 180ms to about 2.4s at 14:02",
    "I can reproduce it from my laptop, the request hangs then fails",
    "who owns the nightly job? it started right before this",
    "rolling restart of the api pods did not change anything",
    "customer support says tickets are piling up, mostly EU users",
    "grafana shows the pool at 100/100 since 14:01",
    "ok, pausing the batch importer to take pressure off",
    "status page updated: we are investigating elevated response times",
    "can someone check whether the release train went out at 13:55?",
    "the on-call phone rang twice, I acked both pages",
    "error budget for this quarter is almost gone after this one",
    "scaling the api from 12 to 20 replicas did not help",
    "traceroute to the primary looks clean, no network issue visible",
    "let's not fail over yet, I want to understand the cause first",
    "here is the query plan, nothing unusual in it as far as I can tell",
    "the table has 40M rows, the new index build is still running",
    "I see a session that has been open for 47 minutes",
    "comms: next update to stakeholders at 14:30",
    "thanks, that matches what I see in the application logs",
};

/* Lines with keyword hits, placed at a quarter, three fifths and nine
 * tenths of the message. */
static const char *const hits[] = {
    "looks like a lock wait on the orders table since the migration",
    "postgres deadlock detected in the checkout logs, twice",
    "and now replication lag on the read replica is 90 s",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Appends s as a YAML literal block indented by indent spaces. */
static void block(struct buf *b, const char *s, int indent)
{
	const char *nl;

	while (*s) {
		nl = strchr(s, '\n');
		buf_addf(b, "%*s%.*s\n", indent, "",
			 (int)(nl ? nl - s : (ptrdiff_t)strlen(s)), s);
		s = nl ? nl + 1 : s + strlen(s);
	}
}

/* Playbook i as YAML, in b (reset first). */
static void generate(struct buf *b, unsigned i)
{
	const char *comp = components[i % ARRAY_SIZE(components)];
	const char *sys =
	    systems[(i / ARRAY_SIZE(components)) % ARRAY_SIZE(systems)];
	unsigned variant =
	    i / (unsigned)(ARRAY_SIZE(components) * ARRAY_SIZE(systems));
	const char *sym = symptoms[pick(ARRAY_SIZE(symptoms))];
	unsigned s, p1 = pick(ARRAY_SIZE(phrases)), p2;

	do
		p2 = pick(ARRAY_SIZE(phrases));
	while (p2 == p1);
	buf_reset(b);
	buf_addf(b, "# Generated by bench_playbooks: %s on %s.\n", comp, sys);
	buf_addf(b, "id: %s-%s%s\n", comp, sys, variant ? "-v2" : "");
	buf_addf(b, "title: \"%s on %s: %s and %s\"\n", comp, sys, sym,
		 phrases[p1]);
	buf_adds(b, "description: |\n");
	buf_addf(b,
		 "  For incidents where **%s** misbehaves on %s: %s,\n"
		 "  %s or %s. Find what changed before scaling anything.\n"
		 "  Snippets are given for PostgreSQL and MySQL 8.\n",
		 comp, sys, sym, phrases[p1], phrases[p2]);
	buf_adds(b, "triggers:\n  keywords:\n");
	buf_addf(b, "    - %s\n", sym);
	buf_addf(b, "    - \"%s\"\n", phrases[p1]);
	buf_addf(b, "    - \"%s\"\n", phrases[p2]);
	buf_addf(b, "    - \"%s %s\"\n", comp, symptoms[pick(20)]);
	buf_addf(b, "    - \"%s %s\"\n", sys, symptoms[pick(20)]);
	buf_addf(b, "    - %s-%s\n", comp, sys);
	buf_addf(b, "  severities: [%u]\n", 1 + i % 3);
	buf_adds(b, "steps:\n");
	for (s = 0; s < NSTEPS; s++) {
		buf_addf(b, "  - id: step-%u\n", s + 1);
		buf_addf(b, "    title: \"%s\"\n", step_titles[s]);
		buf_adds(b, "    instructions: |\n");
		buf_addf(b,
			 "      Check %s's %s first: look at the last 30 "
			 "minutes\n"
			 "      and compare with the same hour yesterday. "
			 "Paste what you\n"
			 "      find in the channel with `step done S%u "
			 "<evidence>`.\n"
			 "\n"
			 "      - if the numbers are normal, say so and move "
			 "on;\n"
			 "      - if they are not, note the first time they "
			 "moved: it\n"
			 "        is the best clue to the cause.\n",
			 comp, sys, s + 1);
		if (s == 0 || s == 3)
			buf_adds(b, "    evidence: required\n");
		if (s == 2 || s == 5)
			buf_addf(b,
				 "    skip_when: %s has no replicas or pools "
				 "here.\n",
				 sys);
		buf_adds(b, "    commands:\n");
		buf_adds(b, "      - flavor: postgresql\n");
		buf_addf(b, "        label: \"%s\"\n", step_titles[s]);
		buf_adds(b, "        run: |\n");
		block(b, pg_sql[s % ARRAY_SIZE(pg_sql)], 10);
		buf_adds(b, "      - flavor: mysql\n");
		buf_adds(b, "        run: |\n");
		block(b, my_sql[s % ARRAY_SIZE(my_sql)], 10);
	}
}

/* A 40 KB chat message: lines from chat, and hits when with_hits. */
static void message(struct buf *b, bool with_hits)
{
	size_t next = 0;

	buf_reset(b);
	while (b->len < MSG_BYTES) {
		if (with_hits && next < ARRAY_SIZE(hits) &&
		    b->len >= (size_t)MSG_BYTES *
				  (next == 0   ? 25
				   : next == 1 ? 60
					       : 90) /
				  100) {
			buf_addf(b, "%s\n", hits[next++]);
			continue;
		}
		buf_addf(b, "%s\n", chat[pick(ARRAY_SIZE(chat))]);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void remove_dir(const char *dir)
{
	struct dirent *de;
	char *path;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char **yaml = xcalloc(NBOOKS, sizeof(*yaml));
	size_t *len = xcalloc(NBOOKS, sizeof(*len)), total = 0, nmatch = 0;
	char dir[] = "/tmp/scribe-bench-playbooks-XXXXXX", name[64], *path;
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7, r, k;
	struct pb_match m[16];
	struct pb_library lib;
	struct playbook pb;
	struct buf b, errors, msg, quiet;
	double *t, t0;
	bool found = false;
	unsigned i;
	FILE *f;

	if (runs < 1)
		runs = 1;
	t = xcalloc((size_t)runs, sizeof(*t));
	buf_init(&b, BUF_UNBOUNDED);
	buf_init(&errors, BUF_UNBOUNDED);
	for (i = 0; i < NBOOKS; i++) {
		generate(&b, i);
		yaml[i] = buf_detach(&b, &len[i]);
		buf_init(&b, BUF_UNBOUNDED);
		total += len[i];
	}
	printf("playbooks: %d generated, %.2f MiB of YAML (%.1f KB each), "
	       "%d steps each; median of %d runs\n",
	       NBOOKS, (double)total / 1048576, (double)total / NBOOKS / 1000,
	       NSTEPS, runs);

	/* (a) parse from memory and build the index. */
	for (r = 0; r < runs; r++) {
		t0 = now_ms();
		pb_library_init(&lib);
		for (i = 0; i < NBOOKS; i++) {
			char file[32];

			snprintf(file, sizeof(file), "pb%03u.yaml", i);
			if (playbook_parse(file, yaml[i], len[i], &pb,
					   &errors) ||
			    pb_library_add(&lib, &pb)) {
				fprintf(stderr, "generated playbook %u: %s\n",
					i, errors.len ? errors.s : "dup id");
				return 1;
			}
		}
		pb_library_finish(&lib);
		t[r] = now_ms() - t0;
		if (r < runs - 1)
			pb_library_release(&lib);
	}
	printf("parse 500 + pb_library_finish        %9.2f ms  (%zu "
	       "keywords indexed)\n",
	       median(t, runs), lib.nkeys);

	/* (b) the start-up path: a folder of files. */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < NBOOKS; i++) {
		snprintf(name, sizeof(name), "pb%03u.yaml", i);
		path = xasprintf("%s/%s", dir, name);
		f = fopen(path, "wb");
		if (!f || fwrite(yaml[i], 1, len[i], f) != len[i] ||
		    fclose(f)) {
			perror(path);
			return 1;
		}
		free(path);
	}
	for (r = 0; r < runs; r++) {
		struct pb_library disk;

		buf_reset(&errors);
		t0 = now_ms();
		k = playbooks_load_dir(dir, &disk, &errors);
		t[r] = now_ms() - t0;
		if (k || disk.n != NBOOKS) {
			fprintf(stderr, "load_dir: %d failed, %zu loaded\n%s",
				k, disk.n, errors.len ? errors.s : "");
			return 1;
		}
		pb_library_release(&disk);
	}
	printf("playbooks_load_dir (500 files)       %9.2f ms\n",
	       median(t, runs));
	remove_dir(dir);

	/* (c) matching a 40 KB message. */
	buf_init(&msg, BUF_UNBOUNDED);
	buf_init(&quiet, BUF_UNBOUNDED);
	message(&msg, true);
	message(&quiet, false);
	for (r = 0; r < runs; r++) {
		t0 = now_ms();
		for (k = 0; k < LOOPS; k++)
			nmatch =
			    pb_library_match(&lib, msg.s, 0, m, ARRAY_SIZE(m));
		t[r] = (now_ms() - t0) / LOOPS;
	}
	printf("pb_library_match (%zu KB message)     %9.3f ms  (%zu "
	       "playbooks matched, best %s with %d)\n",
	       msg.len / 1024, median(t, runs), nmatch,
	       nmatch ? m[0].pb->id : "-", nmatch ? m[0].score : 0);
	for (r = 0; r < runs; r++) {
		t0 = now_ms();
		for (k = 0; k < LOOPS; k++)
			found = pb_library_any(&lib, msg.s);
		t[r] = (now_ms() - t0) / LOOPS;
	}
	printf("pb_library_any (same message)        %9.3f ms  (%s: first "
	       "hit at %zu%% of it)\n",
	       median(t, runs), found ? "true" : "false",
	       (size_t)(strstr(msg.s, hits[0]) - msg.s) * 100 / msg.len);
	for (r = 0; r < runs; r++) {
		t0 = now_ms();
		for (k = 0; k < LOOPS; k++)
			found = pb_library_any(&lib, quiet.s);
		t[r] = (now_ms() - t0) / LOOPS;
	}
	printf("pb_library_any (%zu KB, no hit)       %9.3f ms  (%s)\n",
	       quiet.len / 1024, median(t, runs), found ? "true" : "false");

	pb_library_release(&lib);
	for (i = 0; i < NBOOKS; i++)
		free(yaml[i]);
	free(yaml);
	free(len);
	free(t);
	buf_release(&b);
	buf_release(&errors);
	buf_release(&msg);
	buf_release(&quiet);
	return 0;
}
