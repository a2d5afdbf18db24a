/*
 * fuzz.h - what the fuzz harnesses share: the libFuzzer entry point and a
 * scratch folder for the parsers that only read files.
 *
 * Every tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput(). Linked
 * with -fsanitize=fuzzer it is a libFuzzer binary (fuzz_<name>); linked
 * with driver.c it is a plain program (replay_<name>) that runs the inputs
 * named on its command line once each, which is how ctest replays the
 * corpora with any compiler. The helpers here are static so that every
 * harness stays one translation unit plus the driver.
 */
#ifndef SCRIBE_FUZZ_H
#define SCRIBE_FUZZ_H

#include <errno.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's scratch folder, made on first use in $TMPDIR, else in
 * /dev/shm (cheap fsyncs for the store), else in /tmp, and removed with
 * everything in it at exit. Aborts when none can be made: a harness that cannot
 * write its input would test nothing. */
static char fuzz_dir_path[512] __attribute__((unused));

/* Removes path and, for a folder, everything in it (best effort). */
static inline void fuzz_rm_tree(const char *path)
{
	struct dirent *e;
	char *sub;
	DIR *d = opendir(path);

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			sub = xasprintf("%s/%s", path, e->d_name);
			fuzz_rm_tree(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static inline void fuzz_dir_remove(void)
{
	if (!fuzz_dir_path[0])
		return;
	fuzz_rm_tree(fuzz_dir_path);
	fuzz_dir_path[0] = '\0';
}

static inline const char *fuzz_dir(void)
{
	const char *base = getenv("TMPDIR");
	struct stat st;

	if (fuzz_dir_path[0])
		return fuzz_dir_path;
	if (!base || !*base)
		base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			       access("/dev/shm", W_OK) == 0
			   ? "/dev/shm"
			   : "/tmp";
	snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/scribe-fuzz-XXXXXX",
		 base);
	if (!mkdtemp(fuzz_dir_path)) {
		fprintf(stderr, "fuzz: cannot make a folder in %s: %s\n", base,
			strerror(errno));
		abort();
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir_path;
}

/* A path in the scratch folder; the string is static. */
static inline const char *fuzz_path(const char *name)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	return path;
}

/* Writes data to the scratch file "input" and returns its path. */
static inline const char *fuzz_write_input(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path("input");
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path,
			strerror(errno));
		abort();
	}
	return path;
}

/* A NUL-terminated copy of the input (which may hold NULs itself). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An invariant of the code under test was broken: say which, and crash so
 * that libFuzzer (or ctest) keeps the input. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
