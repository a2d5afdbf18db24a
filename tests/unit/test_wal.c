/*
 * test_wal.c - the WAL checkpointer (store/wal.c) against a real file:
 * the thread folds the WAL back while the store keeps writing, the loop
 * copies only a short tail to restart it, the file stays bounded, an idle
 * moment empties it, and closing joins the thread. Built with
 * -fsanitize=thread it also shows the loop and the thread share nothing
 * outside the mutex (see DESIGN-NOTES: "The WAL checkpoint, off the loop").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/base.h"
#include "store/store.h"
#include "store/wal.h"

#define T0 INT64_C(1700000000000)

static char dir[256];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/scribe-wal-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[512];
	const char *names[] = {"scribe.db", "scribe.db-wal", "scribe.db-shm"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

static int64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (int64_t)sb.st_size;
}

/* One transaction of n rows of about 2 KiB each. */
static void write_batch(struct store *st, int n, int *seq)
{
	struct user who = {"U1", "Alice"};
	char text[2048], source[32];
	struct store_entry e = {
	    .kind = ENTRY_MESSAGE,
	    .platform = "slack",
	    .room = "C1",
	    .who = &who,
	    .text = text,
	    .source_id = source,
	};
	int i;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < n; i++) {
		snprintf(source, sizeof(source), "%d", ++*seq);
		e.at = T0 + *seq;
		assert_int_equal(store_timeline_add(st, &e, NULL), 0);
	}
	assert_int_equal(store_commit(st), 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void test_wal_bounded_and_truncated(void **state)
{
	char path[512], wal_path[520];
	char err[512] = "";
	struct store *st = NULL;
	struct wal_stats s;
	struct wal *w;
	int64_t size, peak = 0;
	int seq = 0, i, tries;

	snprintf(path, sizeof(path), "%s/scribe.db", dir);
	snprintf(wal_path, sizeof(wal_path), "%s-wal", path);
	assert_int_equal(store_open(&st, path, err, sizeof(err)), 0);
	w = wal_open(st);

	/* About 100 MiB of rows, in transactions of about 200 KiB, each
	 * followed by a pause as a loop would have between its batches. */
	for (i = 0; i < 500; i++) {
		write_batch(st, 100, &seq);
		wal_tend(w);
		size = file_size(wal_path);
		if (size > peak)
			peak = size;
		sleep_ms(1);
	}
	wal_stats(w, &s);
	print_message("WAL: peak file %lld bytes, %llu passes, %llu tails "
		      "(longest %llu us), longest pass %llu us\n",
		      (long long)peak, (unsigned long long)s.checkpoints,
		      (unsigned long long)s.tails,
		      (unsigned long long)s.max_tail_us,
		      (unsigned long long)s.max_us);
	/* The thread did the copying; the loop only short tails. */
	assert_true(s.checkpoints > 0);
	assert_true(s.tails > 0);
	assert_int_equal(s.errors, 0);
	/* Without the checkpointer the file would hold every frame: about
	 * 120 MiB. With it, the restart size plus what the passes let
	 * through: the bound is 64 MiB. */
	assert_true(peak <= 64 * 1024 * 1024);
	assert_true(s.peak_bytes >= WAL_RESTART_BYTES);

	/* Idle: the file is emptied, by the thread. */
	wal_idle(w);
	for (tries = 0; tries < 500; tries++) {
		wal_stats(w, &s);
		if (s.truncates)
			break;
		sleep_ms(10);
	}
	assert_int_equal(s.truncates, 1);
	assert_int_equal(file_size(wal_path), 0);

	/* Writes go on after a truncation; closing joins the thread. */
	write_batch(st, 10, &seq);
	wal_tend(w);
	wal_close(w);
	assert_int_equal(store_check(st, err, sizeof(err)), 0);
	store_close(st);
}

/* An in-memory store has no WAL: a checkpointer that does nothing. */
static void test_wal_memory(void **state)
{
	char err[512] = "";
	struct store *st = NULL;
	struct wal_stats s;
	struct wal *w;
	int seq = 0;

	assert_int_equal(store_open(&st, ":memory:", err, sizeof(err)), 0);
	w = wal_open(st);
	write_batch(st, 10, &seq);
	wal_tend(w);
	wal_idle(w);
	wal_stats(w, &s);
	assert_int_equal(s.checkpoints + s.tails + s.truncates, 0);
	wal_close(w);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wal_bounded_and_truncated,
					    setup, teardown),
	    cmocka_unit_test(test_wal_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
