/*
 * fuzz_text.c - libFuzzer target for the core's text and time parsers.
 *
 * Everything a user types reaches the core through these: text_clean()
 * (bounded UTF-8 out of any bytes), text_slug(), text_user() (mentions in
 * the console, Slack and Matrix forms), words_split(), text_numbered()
 * ("H2", "A10", "INC-3"), text_defuse() (no crowd pings), and the <time>
 * parsers of when.h. The input is used raw (for text_clean) and as a
 * NUL-terminated copy (for the rest). Beyond "no crash, no leak, no
 * sanitizer report" each call's documented contract is checked, and a
 * broken one aborts (FUZZ_CHECK): output of text_clean is valid UTF-8
 * within its cap, slugs are [a-z0-9-] without stray hyphens, defused text
 * cannot ping a crowd, a parsed <time> is not after "now", and a parsed
 * RFC 3339 or local time formats back to itself.
 *
 * The time parsers run twice per input, under UTC and under a POSIX rule
 * for Central European time (DST gaps and folds), which this harness sets
 * in TZ itself: a rule string needs no zoneinfo file, so the result does
 * not depend on the machine or on the TZ the fuzzer was started with.
 */
#include "util/base.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "core/model.h"
#include "core/text.h"
#include "core/when.h"
#include "fuzz.h"

#define NOW_MS    1795529109000LL /* 2026-11-24T14:05:09Z */
#define DST_NOW   1774785600000LL /* 2026-03-29T12:00:00Z, a DST day */
#define CLEAN_CAP 64

static const char *const zones[] = {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3"};

static void check_clean(const char *s, size_t len)
{
	char *out;
	bool cut;
	size_t n;

	out = text_clean(s, len, CLEAN_CAP, &cut);
	n = strlen(out);
	FUZZ_CHECK(n <= CLEAN_CAP);
	FUZZ_CHECK(text_valid_utf8(out, n));
	if (text_valid_utf8(s, len) && len <= CLEAN_CAP)
		FUZZ_CHECK(!cut && n == len && !memcmp(out, s, len));
	free(out);

	/* With room for everything (each bad byte becomes 3), nothing is
	 * cut and valid input comes back unchanged. */
	out = text_clean(s, len, 3 * len + 1, &cut);
	n = strlen(out);
	FUZZ_CHECK(!cut);
	FUZZ_CHECK(text_valid_utf8(out, n));
	if (text_valid_utf8(s, len))
		FUZZ_CHECK(n == len && !memcmp(out, s, len));
	free(out);
}

static void check_slug(const char *s)
{
	char slug[SLUG_MAX + 1];
	size_t n, i;

	memset(slug, 'x', sizeof(slug));
	text_slug(s, slug);
	n = strnlen(slug, sizeof(slug));
	FUZZ_CHECK(n >= 1 && n <= SLUG_MAX);
	FUZZ_CHECK(slug[0] != '-' && slug[n - 1] != '-');
	for (i = 0; i < n; i++) {
		char c = slug[i];

		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-');
		FUZZ_CHECK(!(c == '-' && slug[i + 1] == '-'));
	}
}

static void check_user(const char *s)
{
	struct user me = {.id = "alice", .name = "Alice"}, u;

	if (text_user(s, &me, &u) == 0) {
		FUZZ_CHECK(u.id && *u.id);
		FUZZ_CHECK(u.name && *u.name);
		user_release(&u);
	} else {
		FUZZ_CHECK(!u.id && !u.name);
	}
}

static void check_words(const char *s)
{
	struct words w;
	size_t i, n;

	words_split(&w, s);
	FUZZ_CHECK(w.n <= WORDS_MAX);
	for (i = 0; i < w.n; i++) {
		n = strlen(w.w[i]);
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(w.rest[i] >= s && w.rest[i] + n <= s + strlen(s));
		FUZZ_CHECK(!memcmp(w.rest[i], w.w[i], n));
		FUZZ_CHECK(!strpbrk(w.w[i], " \t\n\r\v\f"));
		if (i)
			FUZZ_CHECK(w.rest[i] > w.rest[i - 1]);
	}
	words_release(&w);
	FUZZ_CHECK(w.n == 0);
}

static void check_numbered(const char *s)
{
	static const char *const prefixes[] = {"H", "A", "S", "INC-", "sev"};
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		n = text_numbered(s, prefixes[i]);
		FUZZ_CHECK(n == -1 || (n >= 1 && n <= 1000000000));
		if (n > 0)
			FUZZ_CHECK(
			    !strncasecmp(s, prefixes[i], strlen(prefixes[i])));
	}
}

/* True when s, at '@', starts a crowd mention such as "@here". */
static bool crowd_ping(const char *s)
{
	static const char *const crowds[] = {"channel", "here", "everyone",
					     "room"};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(crowds); i++) {
		n = strlen(crowds[i]);
		if (!strncasecmp(s + 1, crowds[i], n) &&
		    !isalnum((unsigned char)s[1 + n]))
			return true;
	}
	return false;
}

static void check_defuse(const char *s)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	FUZZ_CHECK(text_defuse(&b, s) == 0);
	FUZZ_CHECK(b.len >= strlen(s));
	for (i = 0; i < b.len; i++) {
		if (b.s[i] == '<')
			FUZZ_CHECK(b.s[i + 1] != '!');
		if (b.s[i] == '@')
			FUZZ_CHECK(!crowd_ping(b.s + i));
	}
	buf_release(&b);

	/* A bounded buffer may fail, but never overruns its cap. */
	buf_init(&b, 16);
	(void)text_defuse(&b, s);
	FUZZ_CHECK(b.len <= 16);
	buf_release(&b);
}

/* Every formatter must cope with any instant a parser returned. */
static void format_all(int64_t ms, int64_t now)
{
	char out[WHEN_BUFSZ];

	when_hm(ms, out);
	FUZZ_CHECK(strlen(out) < WHEN_BUFSZ);
	when_date(ms, out);
	when_datetime(ms, out);
	when_rfc3339(ms, out);
	when_zone_abbr(ms, out);
	FUZZ_CHECK(strlen(out) < WHEN_BUFSZ);
	when_duration(now - ms, out);
	FUZZ_CHECK(strlen(out) < WHEN_BUFSZ);
	(void)when_day(ms);
}

static void check_when(const char *s, int64_t now)
{
	char err[160], out[WHEN_BUFSZ];
	int64_t ms = 0, back = 0;

	memset(err, 'x', sizeof(err));
	if (when_parse(s, now, &ms, err, sizeof(err)) == 0) {
		FUZZ_CHECK(ms <= now);
		format_all(ms, now);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
	}

	/* A tiny error buffer is still NUL-terminated. */
	memset(err, 'x', 8);
	if (when_parse(s, now, &ms, err, 8))
		FUZZ_CHECK(memchr(err, '\0', 8));

	if (when_parse_rfc3339(s, &ms) == 0) {
		format_all(ms, now);
		when_rfc3339(ms, out);
		if (ms % 1000 == 0 && when_parse_rfc3339(out, &back) == 0)
			FUZZ_CHECK(back == ms);
	}
	if (when_parse_local(s, &ms) == 0) {
		format_all(ms, now);
		/* The wall clock shown is the one parsed (the earlier
		 * instant of a fold formats back to the same minute). */
		when_datetime(ms, out);
		if (when_parse_local(out, &back) == 0)
			FUZZ_CHECK(back ==
				   ms - (((ms % 60000) + 60000) % 60000));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t i;

	check_clean((const char *)data, size);
	check_slug(s);
	check_user(s);
	check_words(s);
	check_numbered(s);
	check_defuse(s);
	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		check_when(s, i ? DST_NOW : NOW_MS);
	}
	free(s);
	return 0;
}
