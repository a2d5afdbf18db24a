/*
 * test_reread.c - the retry-then-gap helper every backfill uses
 * (bot/chat/reread.c): which failures are tried again, the waits, the
 * bounded time before a gap, and again() called on a real libuv loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <uv.h>

#include "util/base.h"
#include "chat/reread.h"

static void test_retryable_statuses(void **state)
{
	(void)state;
	assert_true(chat_retryable(0)); /* no answer: the network */
	assert_true(chat_retryable(429));
	assert_true(chat_retryable(500));
	assert_true(chat_retryable(502));
	assert_true(chat_retryable(599));
	assert_false(chat_retryable(400));
	assert_false(chat_retryable(401));
	assert_false(chat_retryable(403));
	assert_false(chat_retryable(404));
	assert_false(chat_retryable(413));
	assert_false(chat_retryable(200));
}

static void never(void *ud)
{
	(void)ud;
	fail();
}

static void test_waits_back_off_within_the_budget(void **state)
{
	uv_loop_t loop;
	struct chat_reread r;
	int64_t now = 1000000, w, total = 0;
	int tries = 0;

	(void)state;
	uv_loop_init(&loop);
	chat_reread_init(&r, &loop, 100, 1000, 5000, never, NULL);
	/* A permanent error is a gap at once. */
	assert_int_equal(chat_reread_failed(&r, 404, 0, now), -1);
	assert_int_equal(r.gaps, 1);
	/* The server's own wait is kept. */
	assert_int_equal(chat_reread_wait(&r, true, 1234, now), 1234);
	/* Transient ones: jittered backoff until the budget is spent. */
	while ((w = chat_reread_failed(&r, 503, 0, now + total)) >= 0) {

		assert_true(w >= 75 && w <= 1250);
		total += w;
		tries++;
		assert_true(tries < 100);
	}
	assert_true(total <= 5000);
	assert_true(tries >= 5); /* 100, 200, 400, 800, 1000, ... */
	assert_int_equal(r.gaps, 2);
	assert_int_equal(r.retries, (uint64_t)tries);
	/* The next read starts with a whole budget again. */
	assert_true(chat_reread_failed(&r, 0, 0, now + 100000) >= 0);
	chat_reread_ok(&r);
	assert_int_equal(r.attempts, 0);
	/* A Retry-After past the budget is a gap now. */
	assert_int_equal(chat_reread_failed(&r, 429, 6000, now), -1);
	chat_reread_close(&r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct reader {
	struct chat_reread r;
	int reads; /* reads made */
	int fail;  /* how many of them fail */
	int gaps;
	bool done;
};

static void read_once(void *ud)
{
	struct reader *x = ud;

	x->reads++;
	if (x->reads <= x->fail) {
		if (chat_reread_failed(&x->r, 500, 0, wall_ms()) < 0) {
			x->gaps++;
			x->done = true;
		}
		return;
	}
	chat_reread_ok(&x->r);
	x->done = true;
}

static void run_reader(struct reader *x, int fail, int64_t budget)
{
	uv_loop_t loop;

	uv_loop_init(&loop);
	memset(x, 0, sizeof(*x));
	x->fail = fail;
	chat_reread_init(&x->r, &loop, 1, 4, budget, read_once, x);
	read_once(x);
	while (!x->done)
		uv_run(&loop, UV_RUN_ONCE);
	chat_reread_close(&x->r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_again_is_called_on_the_loop(void **state)
{
	struct reader x;

	(void)state;
	/* Two failures, then the read works: no gap. */
	run_reader(&x, 2, 10000);
	assert_int_equal(x.reads, 3);
	assert_int_equal(x.gaps, 0);
	assert_int_equal(x.r.retries, 2);
	/* It never works: a gap once the budget is spent, not a loop. */
	run_reader(&x, 1000000, 30);
	assert_int_equal(x.gaps, 1);
	assert_true(x.reads > 3 && x.reads < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retryable_statuses),
	    cmocka_unit_test(test_waits_back_off_within_the_budget),
	    cmocka_unit_test(test_again_is_called_on_the_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
