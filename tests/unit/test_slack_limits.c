/*
 * test_slack_limits.c - Slack's rate-limit tiers as token buckets
 * (bot/chat/slack/limits.c): a burst goes at once, then the tier's
 * steady rate; a 429 blocks its method for Retry-After and then lets one
 * call through; methods map to the tiers of PROTOCOLS.md A2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/base.h"
#include "chat/slack/limits.h"

#define T0 1795510800000LL

static void test_tiers(void **state)
{
	(void)state;
	assert_int_equal(slack_method_rate("apps.connections.open")->per_min,
			 1);
	assert_int_equal(slack_method_rate("conversations.setTopic")->per_min,
			 20);
	assert_int_equal(slack_method_rate("pins.add")->per_min, 20);
	assert_int_equal(slack_method_rate("chat.update")->per_min, 50);
	assert_int_equal(slack_method_rate("conversations.history")->per_min,
			 50);
	assert_int_equal(slack_method_rate("users.info")->per_min, 100);
	/* Paced per channel elsewhere: no bucket limit. */
	assert_int_equal(slack_method_rate("chat.postMessage")->per_min, 0);
	/* Unknown: Tier 3. */
	assert_int_equal(slack_method_rate("bookmarks.whatever")->per_min, 50);
}

/* Tier 2: a burst of 10 at once, then one every 3 s (20 a minute). */
static void test_burst_then_rate(void **state)
{
	const struct slack_rate *r = slack_method_rate("conversations.create");
	struct slack_bucket b;
	int i;

	(void)state;
	slack_bucket_init(&b, r, T0);
	for (i = 0; i < r->burst; i++)
		assert_int_equal(slack_bucket_take(&b, T0), 0);
	assert_int_equal(slack_bucket_take(&b, T0), 3000);
	assert_int_equal(slack_bucket_take(&b, T0 + 1000), 2000);
	assert_int_equal(slack_bucket_take(&b, T0 + 3000), 0);
	assert_int_equal(slack_bucket_take(&b, T0 + 3000), 3000);
	/* A minute later: 20 more were earned, but only a burst is kept. */
	for (i = 0; i < r->burst; i++)
		assert_int_equal(slack_bucket_take(&b, T0 + 63000), 0);
	assert_true(slack_bucket_take(&b, T0 + 63000) > 0);
}

/* Tier 1: one a minute after a burst of 5. */
static void test_tier1(void **state)
{
	struct slack_bucket b;
	int i;

	(void)state;
	slack_bucket_init(&b, slack_method_rate("apps.connections.open"), T0);
	for (i = 0; i < 5; i++)
		assert_int_equal(slack_bucket_take(&b, T0 + i), 0);
	assert_int_equal(slack_bucket_take(&b, T0 + 5), 60000 - 5);
}

/* A 429: nothing until Retry-After, then one call, then the steady rate;
 * another method's bucket is untouched. */
static void test_429_blocks_its_method(void **state)
{
	struct slack_bucket topic, update;

	(void)state;
	slack_bucket_init(&topic, slack_method_rate("conversations.setTopic"),
			  T0);
	slack_bucket_init(&update, slack_method_rate("chat.update"), T0);
	assert_int_equal(slack_bucket_take(&topic, T0), 0);
	slack_bucket_block(&topic, T0 + 30000);
	assert_int_equal(slack_bucket_take(&topic, T0 + 1), 29999);
	assert_int_equal(slack_bucket_take(&update, T0 + 1), 0);
	assert_int_equal(slack_bucket_take(&topic, T0 + 30000), 0);
	assert_int_equal(slack_bucket_take(&topic, T0 + 30000), 3000);
	/* A block never shortens a longer one. */
	slack_bucket_block(&topic, T0 + 90000);
	slack_bucket_block(&topic, T0 + 40000);
	assert_int_equal(slack_bucket_take(&topic, T0 + 40000), 50000);
}

/* chat.postMessage: no bucket, but a 429 still holds it. */
static void test_unlimited_but_blockable(void **state)
{
	struct slack_bucket b;
	int i;

	(void)state;
	slack_bucket_init(&b, slack_method_rate("chat.postMessage"), T0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(slack_bucket_take(&b, T0), 0);
	slack_bucket_block(&b, T0 + 1000);
	assert_int_equal(slack_bucket_take(&b, T0 + 10), 990);
	assert_int_equal(slack_bucket_take(&b, T0 + 1000), 0);
	assert_int_equal(slack_bucket_take(&b, T0 + 1000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tiers),
	    cmocka_unit_test(test_burst_then_rate),
	    cmocka_unit_test(test_tier1),
	    cmocka_unit_test(test_429_blocks_its_method),
	    cmocka_unit_test(test_unlimited_but_blockable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
