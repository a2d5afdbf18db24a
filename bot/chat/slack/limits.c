/*
 * limits.c - token buckets for Slack's rate-limit tiers; see limits.h.
 *
 * Tokens are counted in 60,000ths of a call, so a rate of n calls a minute
 * refills exactly n of them a millisecond: integers, no rounding drift.
 */
#include "util/base.h"
#include "chat/slack/limits.h"

#define CALL 60000 /* a call's tokens: ms in a minute */

/* The tiers, with bursts small enough that a runaway loop is slowed at
 * once and large enough that a declare, a reconnect or a backfill never
 * waits. */
static const struct slack_rate tier1 = {1, 5};
static const struct slack_rate tier2 = {20, 10};
static const struct slack_rate tier3 = {50, 20};
static const struct slack_rate tier4 = {100, 50};
static const struct slack_rate auth = {600, 50}; /* auth.test: special */
static const struct slack_rate paced = {0, 0};   /* per channel, in slack.c */

static const struct {
	const char *method;
	const struct slack_rate *rate;
} methods[] = {
    {"apps.connections.open", &tier1},
    {"auth.test", &auth},
    {"chat.postEphemeral", &tier4},
    {"chat.postMessage", &paced},
    {"chat.update", &tier3},
    {"conversations.archive", &tier2},
    {"conversations.create", &tier2},
    {"conversations.history", &tier3},
    {"conversations.invite", &tier3},
    {"conversations.join", &tier3},
    {"conversations.replies", &tier3},
    {"conversations.setPurpose", &tier2},
    {"conversations.setTopic", &tier2},
    {"files.completeUploadExternal", &tier4},
    {"files.getUploadURLExternal", &tier4},
    {"pins.add", &tier2},
    {"reactions.add", &tier3},
    {"users.info", &tier4},
};

const struct slack_rate *slack_method_rate(const char *method)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(methods); i++)
		if (!strcmp(methods[i].method, method))
			return methods[i].rate;
	return &tier3;
}

void slack_bucket_init(struct slack_bucket *b, const struct slack_rate *r,
		       int64_t now)
{
	b->rate = r;
	b->tokens = (int64_t)r->burst * CALL;
	b->at = now;
	b->blocked_until = 0;
}

int64_t slack_bucket_take(struct slack_bucket *b, int64_t now)
{
	const struct slack_rate *r = b->rate;
	int64_t cap = (int64_t)r->burst * CALL;

	if (now < b->blocked_until)
		return b->blocked_until - now;
	if (r->per_min <= 0)
		return 0;
	if (now > b->at) {
		b->tokens += (now - b->at) * r->per_min;
		if (b->tokens > cap)
			b->tokens = cap;
		b->at = now;
	}
	if (b->tokens >= CALL) {
		b->tokens -= CALL;
		return 0;
	}
	return (CALL - b->tokens + r->per_min - 1) / r->per_min;
}

void slack_bucket_block(struct slack_bucket *b, int64_t until)
{
	if (until > b->blocked_until)
		b->blocked_until = until;
	/* One call when the wait is over, then the steady rate: not a
	 * whole burst into a limit Slack has just said is reached. */
	b->tokens = CALL;
	b->at = b->blocked_until;
}
