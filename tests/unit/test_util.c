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
#include "util/log.h"

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

static void assert_logged_as(const char *url, const char *want)
{
	char *got = log_url(url);

	assert_string_equal(got, want);
	free(got);
}

/* URLs in log lines keep what tells requests apart and lose secrets. */
static void test_log_url_hides_secrets(void **state)
{
	(void)state;
	assert_logged_as("https://slack.com/api/auth.test",
			 "https://slack.com/api/auth.test");
	assert_logged_as(
	    "wss://wss-primary.slack.com/link/"
	    "?ticket=1234-abcd&app_id=A1",
	    "wss://wss-primary.slack.com/link/?ticket=***&app_id=A1");
	assert_logged_as("https://hs/_matrix/client/v3/sync?since=s1&"
			 "access_token=syt_x&timeout=30000",
			 "https://hs/_matrix/client/v3/sync?since=s1&"
			 "access_token=***&timeout=30000");
	assert_logged_as(
	    "https://bob:hunter2@example.org:8448/p?Api_Key=k#frag",
	    "https://example.org:8448/p?Api_Key=***");
	assert_logged_as(
	    "https://a/b?password=x&sig=y&code=z&auth=w&q",
	    "https://a/b?password=***&sig=***&code=***&auth=***&q");
	assert_logged_as("not a url", "not a url");
	assert_logged_as("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_doubles_up_to_its_cap),
	    cmocka_unit_test(test_backoff_jitter_stays_within_a_quarter),
	    cmocka_unit_test(test_log_url_hides_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
