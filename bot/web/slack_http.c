/*
 * slack_http.c - Slack's Events API over HTTP; see routes.h.
 *
 * POST /slack/events, /slack/commands and /slack/interactivity. Every
 * request is verified as Slack specifies before anything else is read:
 * "v0:" + X-Slack-Request-Timestamp + ":" + the raw body, HMAC-SHA256
 * with the signing secret, compared in constant time with the hex after
 * "v0=" in X-Slack-Signature; a timestamp more than 5 minutes from now is
 * refused (a replay). A refused request gets 401, a log line saying why,
 * and nothing is recorded. A verified one goes to the Slack transport
 * (slack_http(), the same frame parser as Socket Mode), and its answer
 * waits for the commit: durable before ack. Slack's retries
 * (X-Slack-Retry-Num) are absorbed by the store's unique key, like
 * redelivered Socket Mode envelopes.
 */
#include <ctype.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "util/base.h"
#include "util/log.h"
#include "chat/slack/slack.h"
#include "metrics.h"
#include "web/routes.h"

#define SKEW_MS (5 * 60 * 1000)

int slack_signature_check(const char *secret, const char *timestamp,
			  const char *signature, const char *body, size_t len,
			  int64_t now_ms, int64_t skew_ms, char *why,
			  size_t whylen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[32];
	size_t maclen = 0;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
					     (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx;
	char prefix[48];
	long long ts;
	char *end;
	size_t i;
	int n, ok;

	if (!timestamp || !signature) {
		snprintf(why, whylen, "no %s header",
			 timestamp ? "X-Slack-Signature"
				   : "X-Slack-Request-Timestamp");
		return SCRIBE_EINVAL;
	}
	ts = strtoll(timestamp, &end, 10);
	if (!isdigit((unsigned char)timestamp[0]) || *end ||
	    end - timestamp > 12) {
		snprintf(why, whylen,
			 "X-Slack-Request-Timestamp is not a "
			 "number of seconds");
		return SCRIBE_EINVAL;
	}
	if (ts * 1000 < now_ms - skew_ms || ts * 1000 > now_ms + skew_ms) {
		snprintf(why, whylen,
			 "timestamp %lld is %lld s from now (at most %lld s): "
			 "a replay or a wrong clock",
			 ts, (long long)(ts - now_ms / 1000),
			 (long long)(skew_ms / 1000));
		return SCRIBE_EINVAL;
	}
	/* "v0=" and 64 hex digits. */
	if (strncmp(signature, "v0=", 3) || strlen(signature) != 3 + 64) {
		snprintf(why, whylen, "X-Slack-Signature is not v0=<64 hex>");
		return SCRIBE_EINVAL;
	}
	for (i = 0; i < 32; i++) {
		unsigned hi, lo;
		const char *h = signature + 3 + 2 * i;

		if (!isxdigit((unsigned char)h[0]) ||
		    !isxdigit((unsigned char)h[1])) {
			snprintf(why, whylen,
				 "X-Slack-Signature is not v0=<64 hex>");
			return SCRIBE_EINVAL;
		}
		hi = (unsigned)(isdigit((unsigned char)h[0])
				    ? h[0] - '0'
				    : tolower((unsigned char)h[0]) - 'a' + 10);
		lo = (unsigned)(isdigit((unsigned char)h[1])
				    ? h[1] - '0'
				    : tolower((unsigned char)h[1]) - 'a' + 10);
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	n = snprintf(prefix, sizeof(prefix), "v0:%s:", timestamp);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	ok = ctx &&
	     EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
			  params) &&
	     EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) &&
	     EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
	     EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) &&
	     maclen == sizeof(want);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	if (!ok) {
		snprintf(why, whylen, "HMAC failed");
		return SCRIBE_EIO;
	}
	if (CRYPTO_memcmp(mac, want, sizeof(want))) {
		snprintf(why, whylen,
			 "the signature does not match the body "
			 "(another signing secret?)");
		return SCRIBE_EINVAL;
	}
	return 0;
}

/* After the commit: the answer Slack waits for. */
static void on_committed(void *ud, int status)
{
	struct web_req *r = ud;

	if (status)
		web_respond_error(r, 500, "not_recorded");
	else
		web_respond(r, 200, "text/plain", NULL, 0);
}

static void handle(struct web_req *r, struct slack_route *sr,
		   enum slack_http_kind kind)
{
	char ts[32], sig[128], retry[16], reason[64], why[160], challenge[256];
	bool has_ts, has_sig;
	int rc;

	has_ts =
	    web_header(r, "x-slack-request-timestamp", ts, sizeof(ts)) >= 0;
	has_sig = web_header(r, "x-slack-signature", sig, sizeof(sig)) >= 0;
	if (slack_signature_check(sr->secret, has_ts ? ts : NULL,
				  has_sig ? sig : NULL, r->body, r->body_len,
				  wall_ms(), sr->skew_ms, why, sizeof(why))) {
		metrics_http_bad_signature();
		log_warn(
		    "slack: %s POST %s refused (401), nothing recorded: %s",
		    r->peer, r->path, why);
		web_respond_error(r, 401, "invalid_signature");
		return;
	}
	if (web_header(r, "x-slack-retry-num", retry, sizeof(retry)) >= 0) {
		if (web_header(r, "x-slack-retry-reason", reason,
			       sizeof(reason)) < 0)
			snprintf(reason, sizeof(reason), "?");
		log_debug("slack: %s is Slack's retry %s (%s)", r->path, retry,
			  reason);
	}
	rc = slack_http(sr->slack, kind, r->body, r->body_len, on_committed, r,
			challenge, sizeof(challenge));
	switch (rc) {
	case SLACK_ANSWER_LATER: return; /* on_committed() answers */
	case SLACK_ANSWER_OK:
		web_respond(r, 200, "text/plain", NULL, 0);
		return;
	case SLACK_ANSWER_CHALLENGE:
		web_respond(r, 200, "text/plain", challenge, strlen(challenge));
		return;
	case SLACK_ANSWER_BAD:
		web_respond_error(r, 400, "invalid_payload");
		return;
	default: web_respond_error(r, 500, "not_recorded"); return;
	}
}

static void events(struct web_req *r, void *ud)
{
	handle(r, ud, SLACK_HTTP_EVENTS);
}

static void commands(struct web_req *r, void *ud)
{
	handle(r, ud, SLACK_HTTP_COMMANDS);
}

static void interactivity(struct web_req *r, void *ud)
{
	handle(r, ud, SLACK_HTTP_INTERACTIVITY);
}

static const struct web_route routes[] = {
    {"POST", "/slack/events", events, 0, 0},
    {"POST", "/slack/commands", commands, 0, 0},
    {"POST", "/slack/interactivity", interactivity, 0, 0},
};

int slack_routes(struct web *w, struct slack_route *r, struct slack *s,
		 const char *secret)
{
	r->slack = s;
	r->secret = xstrdup(secret);
	r->skew_ms = SKEW_MS;
	return web_add_routes(w, routes, ARRAY_SIZE(routes), r);
}

void slack_route_release(struct slack_route *r)
{
	if (r->secret)
		OPENSSL_cleanse(r->secret, strlen(r->secret));
	free(r->secret);
	r->secret = NULL;
}
