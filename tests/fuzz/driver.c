/*
 * driver.c - a main() for the fuzz harnesses without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c it makes replay_<name>, which
 * runs LLVMFuzzerTestOneInput() once on every file named on its command
 * line, and on every file of every folder named there (in name order,
 * hidden files skipped). ctest runs it over tests/fuzz/corpus/<name>, so
 * that every compiler (gcc too, which has no libFuzzer) replays the
 * corpora, under the sanitizers when the build has them. Arguments that
 * start with '-' are ignored, so a libFuzzer command line works too.
 *
 * Exits 0 when at least one input ran (a crash ends the process, as in
 * libFuzzer), 1 when a file could not be read or nothing was found.
 */
#include "util/base.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX (64u << 20)

static size_t ran;

/* Reads path whole and runs the harness on it. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ALLOC_GROW(data, len + 65536, cap);
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0 || len > INPUT_MAX)
			break;
	}
	if (ferror(f) || len > INPUT_MAX) {
		fprintf(stderr, "replay: %s: %s\n", path,
			ferror(f) ? "read error" : "too large");
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	/* A copy of exactly len bytes, so ASan sees reads past the end. */
	{
		uint8_t *exact = xmalloc(len ? len : 1);

		if (len)
			memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	ran++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, *path;
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, n + 1, cap);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    run_file(path))
			rc = -1;
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i]))
				rc = -1;
		} else if (run_file(argv[i])) {
			rc = -1;
		}
	}
	printf("replay: %zu input%s run\n", ran, ran == 1 ? "" : "s");
	if (!ran) {
		fprintf(stderr, "replay: no inputs (name files or folders)\n");
		rc = -1;
	}
	return rc ? 1 : 0;
}
