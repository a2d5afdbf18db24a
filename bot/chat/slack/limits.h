/*
 * limits.h - Slack's Web API rate limits: one token bucket per method.
 *
 * Slack limits every Web API method on its own, per workspace, in tiers
 * (../shared/specs/PROTOCOLS.md A2): Tier 1 about one call a minute, Tier
 * 2 twenty, Tier 3 fifty, Tier 4 a hundred; chat.postMessage is special
 * (one message a second per channel, which slack.c paces per channel and
 * which has no bucket here). A method's bucket holds a small burst and
 * refills at its tier's rate: normal work never waits for it, and a loop
 * that calls too often is slowed before Slack has to answer 429. A 429
 * blocks its own method, and no other, until Retry-After. Pure: the time
 * (ms) is passed in.
 */
#ifndef SCRIBE_SLACK_LIMITS_H
#define SCRIBE_SLACK_LIMITS_H

#include "util/base.h"

/* A tier: calls a minute, and how many may go at once after a pause. */
struct slack_rate {
	int per_min; /* 0: no limit here */
	int burst;
};

/* The rate of a method (a tier; Tier 3 for one this table lacks). */
const struct slack_rate *slack_method_rate(const char *method);

struct slack_bucket {
	const struct slack_rate *rate;
	int64_t tokens;        /* 60,000 per call: refilled by per_min a ms */
	int64_t at;            /* when tokens was counted, ms */
	int64_t blocked_until; /* a 429's Retry-After, ms; 0: none */
};

/* A full bucket at now. */
void slack_bucket_init(struct slack_bucket *b, const struct slack_rate *r,
		       int64_t now);
/* 0 when a call may go at now (it takes its token); else the ms to wait
 * before asking again. */
int64_t slack_bucket_take(struct slack_bucket *b, int64_t now);
/* A 429: no call before until; then one, and the steady rate after it. */
void slack_bucket_block(struct slack_bucket *b, int64_t until);

#endif
