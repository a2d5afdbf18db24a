/*
 * test_when.c - when.c in UTC: every input form, every way to get one
 * wrong, the "most recent HH:MM" rule, the formatters and durations.
 * The DST rules are in test_when_dst.c, which runs in Europe/Berlin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "core/when.h"

/* An instant from its UTC wall clock, computed without when.c. */
static int64_t utc(int y, int mon, int d, int h, int m, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * 1000;
}

/* A moment well after every valid input below. */
#define LATE utc(2030, 1, 1, 0, 0, 0)

static void assert_parses(const char *s, int64_t now, int64_t want)
{
	char err[256] = "untouched";
	int64_t got = -1;

	if (when_parse(s, now, &got, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", s, err);
	assert_int_equal(got, want);
}

/* Refused, with a one-line message that contains needle. */
static void assert_refused(const char *s, int64_t now, const char *needle)
{
	char err[256] = "";
	int64_t got = 12345;

	assert_int_equal(when_parse(s, now, &got, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_int_equal(got, 12345);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\r'));
}

static void test_hm_today(void **state)
{
	int64_t now = utc(2026, 11, 24, 15, 0, 0);

	assert_parses("14:05", now, utc(2026, 11, 24, 14, 5, 0));
	assert_parses("00:00", now, utc(2026, 11, 24, 0, 0, 0));
	assert_parses("9:05", now, utc(2026, 11, 24, 9, 5, 0));
	assert_parses("09:05", now, utc(2026, 11, 24, 9, 5, 0));
	/* "At or before": exactly now is today. */
	assert_parses("15:00", now, now);
	assert_parses("15:00", now + 999, now);
}

static void test_hm_yesterday(void **state)
{
	/* 23:50 typed at 00:05 is yesterday. */
	assert_parses("23:50", utc(2026, 11, 24, 0, 5, 0),
		      utc(2026, 11, 23, 23, 50, 0));
	/* A millisecond short of the time is still yesterday's. */
	assert_parses("15:00", utc(2026, 11, 24, 15, 0, 0) - 1,
		      utc(2026, 11, 23, 15, 0, 0));
	assert_parses("00:01", utc(2026, 11, 24, 0, 0, 0),
		      utc(2026, 11, 23, 0, 1, 0));
	/* Across a month, a year and a leap day. */
	assert_parses("23:50", utc(2026, 1, 1, 0, 5, 0),
		      utc(2025, 12, 31, 23, 50, 0));
	assert_parses("12:00", utc(2026, 3, 1, 11, 0, 0),
		      utc(2026, 2, 28, 12, 0, 0));
	assert_parses("23:00", utc(2028, 3, 1, 0, 30, 0),
		      utc(2028, 2, 29, 23, 0, 0));
}

static void test_local(void **state)
{
	int64_t ms;

	assert_parses("2026-11-24 14:05", LATE, utc(2026, 11, 24, 14, 5, 0));
	assert_parses("2026-11-24 14:05:09", LATE, utc(2026, 11, 24, 14, 5, 9));
	assert_parses("2028-02-29 12:00", LATE, utc(2028, 2, 29, 12, 0, 0));
	assert_parses("2000-02-29 00:00", LATE, utc(2000, 2, 29, 0, 0, 0));
	assert_parses("2026-12-31 23:59:59", LATE,
		      utc(2026, 12, 31, 23, 59, 59));
	assert_parses("1999-01-01 00:00", LATE, utc(1999, 1, 1, 0, 0, 0));

	assert_int_equal(when_parse_local("2026-11-24 14:05", &ms), 0);
	assert_int_equal(ms, utc(2026, 11, 24, 14, 5, 0));
	assert_int_equal(when_parse_local("2026-11-24 14:05:09", &ms), 0);
	assert_int_equal(ms, utc(2026, 11, 24, 14, 5, 9));
	/* when_parse_local does not judge the future. */
	assert_int_equal(when_parse_local("2099-01-01 00:00", &ms), 0);
	assert_int_equal(ms, utc(2099, 1, 1, 0, 0, 0));
}

static void test_local_rejects_other_forms(void **state)
{
	int64_t ms = 7;

	assert_int_equal(when_parse_local("14:05", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-11-24T14:05:00Z", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-11-24 14:05:00+01:00", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-11-24T14:05", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-11-24 14:05:00.5", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-02-30 14:05", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-11-24 14:05 ", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_local(NULL, &ms), SCRIBE_EINVAL);
	assert_int_equal(ms, 7);
}

static void test_rfc3339(void **state)
{
	int64_t base = utc(2026, 3, 29, 0, 30, 0);

	assert_parses("2026-03-29T01:30:00+01:00", LATE, base);
	assert_parses("2026-03-29T00:30:00Z", LATE, base);
	assert_parses("2026-03-29t00:30:00z", LATE, base);
	assert_parses("2026-03-29 00:30:00Z", LATE, base);
	assert_parses("2026-03-29T00:30:00+00:00", LATE, base);
	assert_parses("2026-03-29T00:30:00-00:00", LATE, base);
	assert_parses("2026-03-28T19:00:00-05:30", LATE, base);
	assert_parses("2026-03-30T00:29:00+23:59", LATE, base);
	assert_parses("2026-03-28T00:31:00-23:59", LATE, base);
	/* Fractions are truncated to milliseconds. */
	assert_parses("2026-03-29T00:30:00.5Z", LATE, base + 500);
	assert_parses("2026-03-29T00:30:00.05Z", LATE, base + 50);
	assert_parses("2026-03-29T00:30:00.123Z", LATE, base + 123);
	assert_parses("2026-03-29T00:30:00.123999999Z", LATE, base + 123);
	assert_parses("2026-03-29T00:30:00.000000000001Z", LATE, base);
	/* A leap second is the next second. */
	assert_parses("2016-12-31T23:59:60Z", LATE, utc(2017, 1, 1, 0, 0, 0));
	/* Before the epoch. */
	assert_parses("1969-12-31T23:59:59.999Z", LATE, -1);
}

static void test_rfc3339_direct(void **state)
{
	int64_t ms = 7;

	assert_int_equal(when_parse_rfc3339("2026-03-29T01:30:00+01:00", &ms),
			 0);
	assert_int_equal(ms, utc(2026, 3, 29, 0, 30, 0));
	/* No "now": the future is fine here. */
	assert_int_equal(when_parse_rfc3339("2099-01-01T00:00:00.25Z", &ms), 0);
	assert_int_equal(ms, utc(2099, 1, 1, 0, 0, 0) + 250);

	ms = 7;
	assert_int_equal(when_parse_rfc3339("2026-03-29 01:30", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339("2026-03-29T01:30:00", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339("01:30", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339("2026-03-29T01:30+01:00", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339("2026-03-29T01:30:00+01:00x", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339("", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_rfc3339(NULL, &ms), SCRIBE_EINVAL);
	assert_int_equal(ms, 7);
}

static void test_future_refused(void **state)
{
	int64_t now = utc(2026, 11, 24, 14, 5, 0);
	char err[256];
	int64_t ms;

	assert_refused("2026-11-24 14:06", now, "is in the future");
	assert_refused("2026-11-24 14:05:01", now, "is in the future");
	assert_refused("2026-11-24T14:05:00.001Z", now, "is in the future");
	assert_refused("2026-11-24T15:05:00+00:59", now, "is in the future");
	assert_refused("2027-01-01 00:00", now, "is in the future");
	/* The message says what "now" is. */
	assert_int_equal(
	    when_parse("2026-11-24 14:06", now, &ms, err, sizeof(err)),
	    SCRIBE_EINVAL);
	assert_string_equal(err, "2026-11-24 14:06 is in the future (it is "
				 "now 2026-11-24 14:05 UTC)");
	/* Exactly now is not the future. */
	assert_parses("2026-11-24 14:05", now, now);
	assert_parses("2026-11-24T14:05:00Z", now, now);
	assert_parses("2026-11-24T15:05:00+01:00", now, now);
}

static void test_messages(void **state)
{
	char err[256];
	int64_t ms;
	int64_t now = LATE;

	assert_int_equal(when_parse("25:00", now, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_string_equal(err, "'25:00' is not a time: the hour must be "
				 "00-23");
	assert_int_equal(when_parse("noon", now, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_string_equal(err, "'noon' is not a time: use HH:MM, "
				 "YYYY-MM-DD HH:MM or RFC 3339");
	assert_int_equal(when_parse("", now, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_string_equal(err, "no time given: use HH:MM, YYYY-MM-DD HH:MM "
				 "or RFC 3339");
	assert_int_equal(
	    when_parse("2026-02-30 10:00", now, &ms, err, sizeof(err)),
	    SCRIBE_EINVAL);
	assert_string_equal(err, "'2026-02-30 10:00' is not a time: 2026-02 "
				 "has only 28 days");
	assert_int_equal(when_parse("12:00pm", now, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_string_equal(err, "'12:00pm' is not a time: unexpected 'pm' "
				 "after the time");
	assert_int_equal(
	    when_parse("2026-03-29T01:30:00", now, &ms, err, sizeof(err)),
	    SCRIBE_EINVAL);
	assert_string_equal(err, "'2026-03-29T01:30:00' is not a time: an RFC "
				 "3339 time needs an offset (Z or +hh:mm)");
}

static void test_out_of_range(void **state)
{
	int64_t now = LATE;

	assert_refused("24:00", now, "the hour must be 00-23");
	assert_refused("99:00", now, "the hour must be 00-23");
	assert_refused("12:60", now, "the minute must be 00-59");
	assert_refused("12:99", now, "the minute must be 00-59");
	assert_refused("2026-11-24 24:00", now, "the hour must be 00-23");
	assert_refused("2026-11-24 23:60", now, "the minute must be 00-59");
	assert_refused("2026-11-24 23:59:61", now, "the second must be 00-60");
	assert_refused("2026-11-24T23:59:61Z", now, "the second must be 00-60");
	assert_refused("2026-11-24T24:00:00Z", now, "the hour must be 00-23");
	assert_refused("2026-13-01 00:00", now, "the month must be 01-12");
	assert_refused("2026-00-10 00:00", now, "the month must be 01-12");
	assert_refused("2026-01-00 00:00", now, "the day must be 01-31");
	assert_refused("2026-01-32 00:00", now, "2026-01 has only 31 days");
	assert_refused("2026-02-29 00:00", now, "2026-02 has only 28 days");
	assert_refused("2026-02-30 00:00", now, "2026-02 has only 28 days");
	assert_refused("2026-04-31 00:00", now, "2026-04 has only 30 days");
	assert_refused("1900-02-29 00:00", now, "1900-02 has only 28 days");
	assert_refused("2028-02-30T00:00:00Z", now, "2028-02 has only 29 days");
	assert_refused("2026-11-24T10:00:00+24:00", now, "the offset must be");
	assert_refused("2026-11-24T10:00:00-24:00", now, "the offset must be");
	assert_refused("2026-11-24T10:00:00+01:60", now, "the offset must be");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "12",
	    "12:",
	    "12:0",
	    "1:5",
	    "123:00",
	    "12:345",
	    "12:00:00",
	    "12.00",
	    "12h00",
	    "-1:00",
	    "+1:00",
	    " 12:00",
	    "12:00 ",
	    "12:00\t",
	    "12:3a",
	    ":30",
	    "1 2:00",
	    "１２:００", /* full-width digits */
	    "2026-11-24",
	    "2026-11-24 ",
	    "2026-11-24  14:05",
	    "2026-11-24 1:05",
	    "2026-11-24 14:5",
	    "2026-11-24 14:05:5",
	    "2026/11/24 14:05",
	    "26-11-24 14:05",
	    "2026-1-24 14:05",
	    "2026-11-4 14:05",
	    "02026-11-24 14:05",
	    "2026-11-24_14:05",
	    "2026-11-24x14:05:00Z",
	    "2026-11-24T14:05",
	    "2026-11-24T14:05:00",
	    "2026-11-24T14:05+01:00",
	    "2026-11-24T14:05Z",
	    "2026-11-24T14:05:00.Z",
	    "2026-11-24T14:05:00.5",
	    "2026-11-24 14:05:00.5",
	    "2026-11-24T14:05:00+01",
	    "2026-11-24T14:05:00+0100",
	    "2026-11-24T14:05:00+1:00",
	    "2026-11-24T14:05:00+01:0",
	    "2026-11-24T14:05:00 +01:00",
	    "2026-11-24T14:05:00ZZ",
	    "2026-11-24T14:05:00Z ",
	    "2026-11-24T14:05:00+01:00:00",
	    "2026-11-24T14:05:00UTC",
	    "now",
	    "yesterday 12:00",
	    "0x10:00",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		int64_t ms = 12345;

		if (when_parse(bad[i], LATE, &ms, err, sizeof(err)) !=
		    SCRIBE_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(ms, 12345);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
		assert_non_null(strstr(err, "is not a time"));
	}
}

static void test_empty_and_null(void **state)
{
	char err[256];
	int64_t ms = 12345;

	assert_refused("", LATE, "no time given");
	assert_int_equal(when_parse(NULL, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_non_null(strstr(err, "no time given"));
	/* No err buffer, or a zero-length one, is fine. */
	assert_int_equal(when_parse("25:00", LATE, &ms, NULL, 0),
			 SCRIBE_EINVAL);
	err[0] = 'x';
	assert_int_equal(when_parse("25:00", LATE, &ms, err, 0), SCRIBE_EINVAL);
	assert_int_equal(err[0], 'x');
	assert_int_equal(ms, 12345);
}

static void test_long_and_odd_input(void **state)
{
	static char big[10000];
	char err[256], small[8];
	int64_t ms = 12345;

	/* A long string is quoted back cut short. */
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_true(strlen(err) < 200);
	assert_non_null(strstr(err, "...' is not a time"));

	/* A valid time followed by a long tail. */
	memcpy(big, "12:00", 5);
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_non_null(strstr(err, "unexpected"));
	assert_true(strlen(err) < 200);

	/* Endless digits. */
	memset(big, '1', sizeof(big) - 1);
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	big[sizeof(big) - 4] = ':';
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);

	/* An endless fraction is still one time, truncated. */
	memcpy(big, "2026-03-29T00:30:00.", 20);
	memset(big + 20, '9', sizeof(big) - 22);
	big[sizeof(big) - 2] = 'Z';
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, utc(2026, 3, 29, 0, 30, 0) + 999);
	ms = 12345;

	/* Control characters never reach the message. */
	assert_int_equal(
	    when_parse("12:00\n/kill", LATE, &ms, err, sizeof(err)),
	    SCRIBE_EINVAL);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "'12:00?/kill'"));

	/* A cut at a UTF-8 boundary: 20 two-byte characters then one more. */
	memset(big, 0, sizeof(big));
	memcpy(big, "x", 1);
	for (int i = 0; i < 25; i++)
		memcpy(big + 1 + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(when_parse(big, LATE, &ms, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_non_null(strstr(err, "\xc3\xa9...'"));

	/* A short buffer is still a terminated string. */
	assert_int_equal(when_parse("25:00", LATE, &ms, small, sizeof(small)),
			 SCRIBE_EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(ms, 12345);
}

static void test_format(void **state)
{
	char out[WHEN_BUFSZ];
	int64_t ms = utc(2026, 11, 24, 14, 5, 9) + 999;

	when_hm(ms, out);
	assert_string_equal(out, "14:05");
	when_date(ms, out);
	assert_string_equal(out, "2026-11-24");
	when_datetime(ms, out);
	assert_string_equal(out, "2026-11-24 14:05");
	when_rfc3339(ms, out);
	assert_string_equal(out, "2026-11-24T14:05:09Z");
	when_zone_abbr(ms, out);
	assert_string_equal(out, "UTC");

	when_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	/* Before the epoch, milliseconds round down, not towards zero. */
	when_rfc3339(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	when_hm(-1, out);
	assert_string_equal(out, "23:59");
	when_date(-1, out);
	assert_string_equal(out, "1969-12-31");
}

static void test_format_round_trip(void **state)
{
	static const int64_t samples[] = {
	    0, 1767225600000, 1774744200000, 1803000000000, -86400000,
	};
	char out[WHEN_BUFSZ];
	int64_t ms;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		when_rfc3339(samples[i], out);
		assert_int_equal(when_parse_rfc3339(out, &ms), 0);
		assert_int_equal(ms, samples[i]);
		when_datetime(samples[i], out);
		assert_int_equal(when_parse_local(out, &ms), 0);
		assert_int_equal(ms, samples[i] - samples[i] % 60000);
	}
}

static void test_zone_name(void **state)
{
	char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	assert_string_equal(when_zone_name(), "UTC");
	setenv("TZ", ":Europe/Berlin", 1);
	assert_string_equal(when_zone_name(), "Europe/Berlin");
	setenv("TZ", "America/New_York", 1);
	assert_string_equal(when_zone_name(), "America/New_York");
	setenv("TZ", "", 1);
	assert_string_equal(when_zone_name(), "UTC");
	setenv("TZ", ":", 1);
	assert_string_equal(when_zone_name(), "UTC");
	unsetenv("TZ");
	assert_string_equal(when_zone_name(), "UTC");

	if (saved)
		setenv("TZ", saved, 1);
	free(saved);
	tzset();
}

static void assert_duration(int64_t ms, const char *want)
{
	char out[WHEN_BUFSZ];

	when_duration(ms, out);
	assert_string_equal(out, want);
}

static void test_duration(void **state)
{
	const int64_t s = 1000, min = 60 * s, h = 60 * min, d = 24 * h;

	assert_duration(0, "0 s");
	assert_duration(999, "0 s");
	assert_duration(1 * s, "1 s");
	assert_duration(45 * s, "45 s");
	assert_duration(45 * s + 999, "45 s");
	assert_duration(min - 1, "59 s");
	assert_duration(min, "1 min");
	assert_duration(3 * min + 59 * s, "3 min");
	assert_duration(h - 1, "59 min");
	assert_duration(h, "1 h");
	assert_duration(2 * h + 30 * s, "2 h");
	assert_duration(h + 45 * min, "1 h 45 min");
	assert_duration(d - 1, "23 h 59 min");
	assert_duration(d, "1 d");
	assert_duration(d + 59 * min, "1 d");
	assert_duration(2 * d + 3 * h, "2 d 3 h");
	assert_duration(2 * d + 3 * h + 59 * min + 59 * s, "2 d 3 h");
	assert_duration(400 * d + 23 * h, "400 d 23 h");
	/* Negative is not a duration. */
	assert_duration(-1, "0 s");
	assert_duration(-5 * h, "0 s");
	assert_duration(INT64_MIN, "0 s");
	assert_duration(INT64_MAX, "106751991167 d 7 h");
}

static void test_day(void **state)
{
	int64_t midnight = utc(2026, 11, 25, 0, 0, 0);

	assert_int_equal(when_day(midnight), 20261125);
	assert_int_equal(when_day(midnight - 1), 20261124);
	assert_int_equal(when_day(midnight + 24 * 3600000LL - 1), 20261125);
	assert_int_equal(when_day(utc(2026, 12, 31, 23, 59, 59)), 20261231);
	assert_int_equal(when_day(utc(2027, 1, 1, 0, 0, 0)), 20270101);
	assert_int_equal(when_day(-1), 19691231);
	/* Increasing, and changing exactly at each midnight. */
	for (int64_t t = utc(2026, 12, 25, 0, 0, 0);
	     t < utc(2027, 1, 10, 0, 0, 0); t += 3600000) {
		assert_true(when_day(t) >= when_day(t - 3600000));
		if (t % 86400000 == 0)
			assert_int_not_equal(when_day(t), when_day(t - 1));
		else
			assert_int_equal(when_day(t), when_day(t - 1));
	}
}

/* The Times rule's bounds for a <time> typed in a command. */
static void test_cmd_bounds(void **state)
{
	int64_t now = utc(2026, 12, 3, 7, 4, 0), got = 12345;
	char err[256], out[WHEN_ECHO_BUFSZ];

	(void)state;
	/* Issue 11: 13:55 typed at 07:04 silently meant yesterday. */
	assert_int_equal(when_parse_cmd("13:55", now, &got, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_int_equal(got, 12345);
	assert_string_equal(err, "13:55 would be 2026-12-02 13:55, 17 h 9 min "
				 "ago: give the date, as in `at 2026-12-02 "
				 "13:55`");
	assert_int_equal(
	    when_parse_cmd("2026-12-02 13:55", now, &got, err, sizeof(err)), 0);
	assert_int_equal(got, utc(2026, 12, 2, 13, 55, 0));
	/* 12 hours back is the limit, and 23:50 at 00:05 stays yesterday. */
	assert_int_equal(when_parse_cmd("19:04", now, &got, NULL, 0), 0);
	assert_int_equal(got, utc(2026, 12, 2, 19, 4, 0));
	assert_int_equal(when_parse_cmd("19:03", now, &got, NULL, 0),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_cmd("23:50", utc(2026, 12, 3, 0, 5, 0),
					&got, err, sizeof(err)),
			 0);
	assert_int_equal(got, utc(2026, 12, 2, 23, 50, 0));
	/* Implausible years (issue 12). */
	assert_int_equal(
	    when_parse_cmd("0000-01-01 00:00", now, &got, err, sizeof(err)),
	    SCRIBE_EINVAL);
	assert_non_null(strstr(err, "0000-01-01 00:00 is before 1970"));
	assert_int_equal(
	    when_parse_cmd("1970-01-01T00:00:00Z", now, &got, err, sizeof(err)),
	    SCRIBE_EINVAL); /* more than a year ago, not before */
	assert_non_null(strstr(err, "more than a year ago"));
	assert_int_equal(
	    when_parse_cmd("2025-12-03 07:04", now, &got, err, sizeof(err)), 0);
	assert_int_equal(
	    when_parse_cmd("2025-12-03 07:03", now, &got, err, sizeof(err)),
	    SCRIBE_EINVAL);
	/* when_parse() itself keeps only the grammar's rules. */
	assert_int_equal(when_parse("1999-01-01 00:00", now, &got, NULL, 0), 0);

	/* The echo: the date when another day. */
	when_echo(utc(2026, 12, 3, 6, 0, 0), now, out);
	assert_string_equal(out, "06:00 UTC");
	when_echo(utc(2026, 12, 2, 23, 50, 0), now, out);
	assert_string_equal(out, "2026-12-02 23:50 UTC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmd_bounds),
	    cmocka_unit_test(test_hm_today),
	    cmocka_unit_test(test_hm_yesterday),
	    cmocka_unit_test(test_local),
	    cmocka_unit_test(test_local_rejects_other_forms),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_rfc3339_direct),
	    cmocka_unit_test(test_future_refused),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_long_and_odd_input),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_zone_name),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_day),
	};

	/* As main() does: one zone, set once. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
