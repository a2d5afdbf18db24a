/*
 * test_util.c - the small helpers of bot/util/base.c that the transports
 * and the app share: backoff_ms().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/base.h"

static void test_backoff_doubles_up_to_its_cap(void **state)
{
	(void)state;
	assert_int_equal(backoff_ms(0, 1000, 300000, false), 1000);
	assert_int_equal(backoff_ms(1, 1000, 300000, false), 2000);
	assert_int_equal(backoff_ms(8, 1000, 300000, false), 256000);
	assert_int_equal(backoff_ms(9, 1000, 300000, false), 300000);
	assert_int_equal(backoff_ms(1000, 1000, 300000, false), 300000);
	assert_int_equal(backoff_ms(3, 0, 100, false), 8); /* min 0 is 1 */
}

static void test_backoff_jitter_stays_within_a_quarter(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		int64_t ms = backoff_ms(i % 12, 500, 30000, true);
		int64_t base = backoff_ms(i % 12, 500, 30000, false);

		assert_true(ms >= base * 3 / 4 && ms <= base * 5 / 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_doubles_up_to_its_cap),
	    cmocka_unit_test(test_backoff_jitter_stays_within_a_quarter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
