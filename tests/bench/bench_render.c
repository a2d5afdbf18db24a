/*
 * bench_render.c - times the postmortem renderer in process: the store is
 * opened once, then publish_render() writes the latest revision of an
 * incident to /dev/null, runs times, as Markdown or (FORMAT svg) as the
 * picture. Prints the median and the fastest in milliseconds, and the peak
 * RSS. Used by tests/bench/run.sh; it prints numbers and asserts nothing.
 *
 *   bench_render DB INC_ID RUNS [md|svg]
 */
#include <sys/resource.h>
#include <time.h>

#include "util/base.h"
#include "config.h"
#include "publish.h"
#include "store/store.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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
	double *t;
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
	for (i = 0; i < runs; i++) {
		double t0 = now_ms();

		if (publish_render(st, &cfg, id, 0, fmt, 0, out, err,
				   sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		fflush(out);
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.3f %.3f %.1f\n", t[runs / 2], t[0], ru.ru_maxrss / 1024.0);
	free(t);
	fclose(out);
	store_close(st);
	config_release(&cfg);
	return 0;
}
