/*
 * bench_render.c - times the postmortem renderer in process: the store is
 * opened once, then publish_render() writes the latest revision of an
 * incident to /dev/null, runs times, as Markdown or (FORMAT svg) as the
 * picture. Prints the median and the fastest in milliseconds, the peak
 * RSS, the median CPU time of a render (the wall clock is only as good as
 * the machine is quiet; CPU time is what the render costs), and what the
 * Timeline's key-moment picker costs on its own: moments_pick() over every
 * message of the incident, held in memory (so no SQLite in it), median CPU
 * milliseconds, and the whole story (picker and folding) over the same
 * rows; on stderr, each pass of the source with its rows and CPU time.
 * Used by tests/bench/run.sh; it prints numbers and asserts nothing.
 *
 *   bench_render DB INC_ID RUNS [md|svg]
 */
#include <sys/resource.h>
#include <time.h>

#include "util/base.h"
#include "config.h"
#include "core/moments.h"
#include "core/story.h"
#include "publish.h"
#include "store/store.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The Timeline pass's rows, copied into memory. */
struct rows {
	struct pm_row *v;
	size_t n, cap;
};

static int keep_row(void *ud, const struct pm_row *row)
{
	struct rows *r = ud;
	struct pm_row *c;

	ALLOC_GROW(r->v, r->n + 1, r->cap);
	c = &r->v[r->n++];
	*c = *row;
	c->who = row->who ? xstrdup(row->who) : NULL;
	c->who_id = row->who_id ? xstrdup(row->who_id) : NULL;
	c->text = row->text ? xstrdup(row->text) : NULL;
	c->room = row->room ? xstrdup(row->room) : NULL;
	return 0;
}

static int noop_row(void *ud, const struct pm_row *row)
{
	(void)row;
	++*(size_t *)ud;
	return 0;
}

static int count_moment(void *ud, const struct story_line *m)
{
	(void)m;
	++*(size_t *)ud;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct store *st;
	struct rusage ru;
	char err[512];
	double *t, *c, rss;
	long runs, id, i;
	FILE *out;

	enum publish_format fmt = PUBLISH_MD;

	if (argc == 5 && !strcmp(argv[4], "svg"))
		fmt = PUBLISH_SVG;
	else if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "md"))) {
		fprintf(stderr,
			"usage: bench_render DB INC_ID RUNS [md|svg]\n");
		return 2;
	}
	id = strtol(argv[2], NULL, 10);
	runs = strtol(argv[3], NULL, 10);
	if (runs < 1)
		runs = 1;
	config_defaults(&cfg);
	if (store_open(&st, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	out = fopen("/dev/null", "w");
	t = xcalloc((size_t)runs, sizeof(*t));
	c = xcalloc((size_t)runs, sizeof(*c));
	for (i = 0; i < runs; i++) {
		double t0 = now_ms(), c0 = cpu_ms();

		if (publish_render(st, &cfg, id, 0, fmt, 0, out, err,
				   sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		fflush(out);
		t[i] = now_ms() - t0;
		c[i] = cpu_ms() - c0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	qsort(c, (size_t)runs, sizeof(*c), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	rss = ru.ru_maxrss / 1024.0;
	{
		struct store_pm_rows src = {
		    .st = st, .incident_id = id, .through = INT64_MAX};
		struct pm_source ps;
		struct moments *lex = moments_new(&cfg.moments);
		struct rows rows = {0};
		double *p = xcalloc((size_t)runs, sizeof(*p));
		double *q = xcalloc((size_t)runs, sizeof(*q));
		size_t k, lines = 0, picked = 0;

		store_pm_source(&src, &ps);
		for (enum pm_pass pass = PM_KEY; pass <= PM_TRANSCRIPT;
		     pass++) {
			double c0 = cpu_ms();
			size_t nr = 0;

			ps.each(ps.ud, pass, noop_row, &nr);
			fprintf(stderr, "pass %d: %zu rows, %.1f ms CPU\n",
				(int)pass, nr, cpu_ms() - c0);
		}
		ps.each(ps.ud, PM_KEY, keep_row, &rows);
		for (i = 0; i < runs; i++) {
			double c0 = cpu_ms();

			picked = 0;
			for (k = 0; k < rows.n; k++)
				picked += moments_pick(lex, rows.v[k].who_id,
						       rows.v[k].who,
						       rows.v[k].text) > 0;
			p[i] = cpu_ms() - c0;
			c0 = cpu_ms();
			{
				struct story *sty =
				    story_new(lex, count_moment, &lines);

				lines = 0;
				for (k = 0; k < rows.n; k++)
					story_add(sty, &rows.v[k]);
				story_end(sty);
				story_free(sty);
			}
			q[i] = cpu_ms() - c0;
		}
		qsort(p, (size_t)runs, sizeof(*p), cmp_double);
		qsort(q, (size_t)runs, sizeof(*q), cmp_double);
		printf("%.3f %.3f %.1f %.3f %.3f %.3f %zu %zu %zu\n",
		       t[runs / 2], t[0], rss, c[runs / 2], p[runs / 2],
		       q[runs / 2], rows.n, picked, lines);
		for (k = 0; k < rows.n; k++) {
			free((char *)rows.v[k].who);
			free((char *)rows.v[k].who_id);
			free((char *)rows.v[k].text);
			free((char *)rows.v[k].room);
		}
		free(rows.v);
		free(p);
		free(q);
		moments_free(lex);
	}
	free(t);
	free(c);
	fclose(out);
	store_close(st);
	config_release(&cfg);
	return 0;
}
