/* TZ=Europe/Berlin */
/*
 * test_when_dst.c - when.c in a zone with DST. In 2026 Europe/Berlin
 * springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST, 01:00Z: 02:00-02:59
 * does not exist) and falls back on 2026-10-25 (03:00 CEST -> 02:00 CET,
 * 01:00Z: 02:00-02:59 happens twice, first at +02:00 then at +01:00).
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

#define LATE utc(2030, 1, 1, 0, 0, 0)

static void assert_parses(const char *s, int64_t now, int64_t want)
{
	char err[256] = "untouched";
	int64_t got = -1;

	if (when_parse(s, now, &got, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", s, err);
	assert_int_equal(got, want);
}

/* Refused with exactly the message want. */
static void assert_refused(const char *s, int64_t now, const char *want)
{
	char err[256] = "";
	int64_t got = 12345;

	assert_int_equal(when_parse(s, now, &got, err, sizeof(err)),
			 SCRIBE_EINVAL);
	assert_int_equal(got, 12345);
	assert_string_equal(err, want);
}

#define GAP_0329                                                               \
	" does not exist on 2026-03-29 in Europe/Berlin (clocks "              \
	"moved forward)"

static void test_zone_name(void **state)
{
	assert_string_equal(when_zone_name(), "Europe/Berlin");
}

static void test_hm_plain(void **state)
{
	/* Winter (+01:00) and summer (+02:00). */
	assert_parses("14:05", utc(2026, 1, 15, 15, 0, 0),
		      utc(2026, 1, 15, 13, 5, 0));
	assert_parses("14:05", utc(2026, 7, 15, 15, 0, 0),
		      utc(2026, 7, 15, 12, 5, 0));
	/* Local "today" differs from the UTC date: 00:30 CEST is 22:30Z. */
	assert_parses("00:10", utc(2026, 7, 15, 22, 30, 0),
		      utc(2026, 7, 15, 22, 10, 0));
	/* 23:50 typed at 00:05 local is yesterday, local. */
	assert_parses("23:50", utc(2026, 7, 15, 22, 5, 0),
		      utc(2026, 7, 15, 21, 50, 0));
	assert_parses("23:50", utc(2026, 1, 15, 23, 5, 0),
		      utc(2026, 1, 15, 22, 50, 0));
}

static void test_gap_refused(void **state)
{
	int64_t noon = utc(2026, 3, 29, 10, 0, 0); /* 12:00 CEST */
	int64_t ms = 7;

	assert_refused("02:30", noon, "02:30" GAP_0329);
	assert_refused("2:30", noon, "02:30" GAP_0329);
	assert_refused("02:00", noon, "02:00" GAP_0329);
	assert_refused("02:59", noon, "02:59" GAP_0329);
	assert_refused("2026-03-29 02:30", noon, "02:30" GAP_0329);
	assert_refused("2026-03-29 02:00", noon, "02:00" GAP_0329);
	assert_refused("2026-03-29 02:59:59", noon, "02:59:59" GAP_0329);
	assert_int_equal(when_parse_local("2026-03-29 02:30", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(when_parse_local("2026-03-29 02:00:00", &ms),
			 SCRIBE_EINVAL);
	assert_int_equal(ms, 7);

	/* Either side of the gap exists. */
	assert_parses("01:59", noon, utc(2026, 3, 29, 0, 59, 0));
	assert_parses("03:00", noon, utc(2026, 3, 29, 1, 0, 0));
	assert_parses("2026-03-29 01:59:59", noon, utc(2026, 3, 29, 0, 59, 59));
	assert_parses("2026-03-29 03:00", noon, utc(2026, 3, 29, 1, 0, 0));
	/* An explicit offset names an instant, gap or not. */
	assert_parses("2026-03-29T02:30:00+01:00", noon,
		      utc(2026, 3, 29, 1, 30, 0));
	assert_int_equal(when_parse_rfc3339("2026-03-29T02:30:00+02:00", &ms),
			 0);
	assert_int_equal(ms, utc(2026, 3, 29, 0, 30, 0));
}

static void test_gap_on_yesterday(void **state)
{
	/* 01:00 CEST on the 30th: 02:30 today is ahead, and yesterday's
	 * did not exist. Refused, not moved to the 28th. */
	assert_refused("02:30", utc(2026, 3, 29, 23, 0, 0), "02:30" GAP_0329);
}

static void test_gap_still_ahead(void **state)
{
	/* 01:00 CET on the 29th, before the change: 02:30 today has not
	 * come yet (and will not), so the most recent 02:30 is the 28th's. */
	assert_parses("02:30", utc(2026, 3, 29, 0, 0, 0),
		      utc(2026, 3, 28, 1, 30, 0));
}

static void test_fold_earlier(void **state)
{
	int64_t noon = utc(2026, 10, 25, 11, 0, 0);  /* 12:00 CET */
	int64_t first = utc(2026, 10, 25, 0, 30, 0); /* 02:30 CEST */
	int64_t ms;
	char out[WHEN_BUFSZ];

	assert_parses("02:30", noon, first);
	assert_parses("2026-10-25 02:30", noon, first);
	assert_parses("2026-10-25 02:00", noon, utc(2026, 10, 25, 0, 0, 0));
	assert_parses("2026-10-25 02:59:59", noon,
		      utc(2026, 10, 25, 0, 59, 59));
	assert_int_equal(when_parse_local("2026-10-25 02:30", &ms), 0);
	assert_int_equal(ms, first);
	when_rfc3339(first, out);
	assert_string_equal(out, "2026-10-25T02:30:00+02:00");

	/* Either side of the fold is unambiguous. */
	assert_parses("2026-10-25 01:59", noon, utc(2026, 10, 24, 23, 59, 0));
	assert_parses("2026-10-25 03:00", noon, utc(2026, 10, 25, 2, 0, 0));
	/* The later 02:30 can be named with its offset. */
	assert_parses("2026-10-25T02:30:00+01:00", noon,
		      utc(2026, 10, 25, 1, 30, 0));
}

static void test_fold_around_now(void **state)
{
	int64_t first = utc(2026, 10, 25, 0, 30, 0);

	/* Typed at 02:45 CEST (first pass): the earlier 02:30. */
	assert_parses("02:30", utc(2026, 10, 25, 0, 45, 0), first);
	/* Typed at 02:10 CET (second pass): the wall clock has not reached
	 * 02:30 again, but the earlier 02:30 is past, and is the one. */
	assert_parses("02:30", utc(2026, 10, 25, 1, 10, 0), first);
	/* Typed at 02:45 CET (second pass): still the earlier one. */
	assert_parses("02:30", utc(2026, 10, 25, 1, 45, 0), first);
	/* Typed at 02:20 CEST, before either: yesterday's 02:30. */
	assert_parses("02:30", utc(2026, 10, 25, 0, 20, 0),
		      utc(2026, 10, 24, 0, 30, 0));
	/* A dated fold time whose earlier instant is ahead is the future. */
	assert_refused("2026-10-25 02:30", utc(2026, 10, 25, 0, 20, 0),
		       "2026-10-25 02:30 is in the future (it is now "
		       "2026-10-25 02:20 CEST)");
}

static void test_hm_back_across_spring(void **state)
{
	/* 03:05 CEST, five minutes after the change: 01:55 was ten real
	 * minutes ago, at +01:00. */
	assert_parses("01:55", utc(2026, 3, 29, 1, 5, 0),
		      utc(2026, 3, 29, 0, 55, 0));
	/* The morning after the change, times before it. */
	assert_parses("01:30", utc(2026, 3, 29, 7, 0, 0),
		      utc(2026, 3, 29, 0, 30, 0));
	assert_parses("00:00", utc(2026, 3, 29, 7, 0, 0),
		      utc(2026, 3, 28, 23, 0, 0));
	/* 08:00 typed at 07:00 CEST: yesterday, at +01:00. */
	assert_parses("08:00", utc(2026, 3, 29, 5, 0, 0),
		      utc(2026, 3, 28, 7, 0, 0));
	/* Just after midnight on the 30th, back into the 29th. */
	assert_parses("23:50", utc(2026, 3, 29, 22, 5, 0),
		      utc(2026, 3, 29, 21, 50, 0));
	assert_parses("03:30", utc(2026, 3, 29, 22, 30, 0),
		      utc(2026, 3, 29, 1, 30, 0));
}

static void test_hm_back_across_autumn(void **state)
{
	/* 03:05 CET on the 25th: 01:55 was at +02:00. */
	assert_parses("01:55", utc(2026, 10, 25, 2, 5, 0),
		      utc(2026, 10, 24, 23, 55, 0));
	/* The morning after the change. */
	assert_parses("01:30", utc(2026, 10, 25, 7, 0, 0),
		      utc(2026, 10, 24, 23, 30, 0));
	/* 08:00 typed at 07:00 CET: yesterday, at +02:00. */
	assert_parses("08:00", utc(2026, 10, 25, 6, 0, 0),
		      utc(2026, 10, 24, 6, 0, 0));
	/* Just after midnight on the 26th, back into the 25th. */
	assert_parses("23:50", utc(2026, 10, 25, 23, 5, 0),
		      utc(2026, 10, 25, 22, 50, 0));
	/* ... and further back into its fold. */
	assert_parses("02:30", utc(2026, 10, 26, 0, 0, 0),
		      utc(2026, 10, 25, 0, 30, 0));
}

static void test_future_refused(void **state)
{
	int64_t now = utc(2026, 7, 15, 12, 5, 0); /* 14:05 CEST */

	assert_refused("2026-07-15 14:06", now,
		       "2026-07-15 14:06 is in the future (it is now "
		       "2026-07-15 14:05 CEST)");
	assert_refused("2026-07-15T12:06:00Z", now,
		       "2026-07-15T12:06:00Z is in the future (it is now "
		       "2026-07-15 14:05 CEST)");
	assert_parses("2026-07-15 14:05", now, now);
	assert_parses("2026-07-15T12:05:00Z", now, now);
}

static void test_format(void **state)
{
	char out[WHEN_BUFSZ];
	int64_t winter = utc(2026, 1, 15, 12, 0, 0) + 500;
	int64_t summer = utc(2026, 7, 15, 12, 0, 0);

	when_hm(winter, out);
	assert_string_equal(out, "13:00");
	when_datetime(winter, out);
	assert_string_equal(out, "2026-01-15 13:00");
	when_rfc3339(winter, out);
	assert_string_equal(out, "2026-01-15T13:00:00+01:00");
	when_zone_abbr(winter, out);
	assert_string_equal(out, "CET");

	when_hm(summer, out);
	assert_string_equal(out, "14:00");
	when_rfc3339(summer, out);
	assert_string_equal(out, "2026-07-15T14:00:00+02:00");
	when_zone_abbr(summer, out);
	assert_string_equal(out, "CEST");

	/* The local date runs ahead of UTC's in the evening. */
	when_date(utc(2026, 7, 15, 22, 30, 0), out);
	assert_string_equal(out, "2026-07-16");
	when_date(utc(2026, 7, 15, 21, 59, 59), out);
	assert_string_equal(out, "2026-07-15");

	/* Both 02:30s of the fold look alike but for the zone. */
	when_hm(utc(2026, 10, 25, 0, 30, 0), out);
	assert_string_equal(out, "02:30");
	when_zone_abbr(utc(2026, 10, 25, 0, 30, 0), out);
	assert_string_equal(out, "CEST");
	when_hm(utc(2026, 10, 25, 1, 30, 0), out);
	assert_string_equal(out, "02:30");
	when_zone_abbr(utc(2026, 10, 25, 1, 30, 0), out);
	assert_string_equal(out, "CET");
	when_rfc3339(utc(2026, 10, 25, 1, 30, 0), out);
	assert_string_equal(out, "2026-10-25T02:30:00+01:00");

	/* The gap is jumped: 01:59:59 CET, then 03:00:00 CEST. */
	when_rfc3339(utc(2026, 3, 29, 0, 59, 59), out);
	assert_string_equal(out, "2026-03-29T01:59:59+01:00");
	when_rfc3339(utc(2026, 3, 29, 1, 0, 0), out);
	assert_string_equal(out, "2026-03-29T03:00:00+02:00");
}

static void test_rfc3339_round_trip(void **state)
{
	char out[WHEN_BUFSZ];
	int64_t ms;

	/* Every 15 minutes across both changes. */
	for (int64_t t = utc(2026, 3, 28, 20, 0, 0);
	     t < utc(2026, 3, 29, 6, 0, 0); t += 900000) {
		when_rfc3339(t, out);
		assert_int_equal(when_parse_rfc3339(out, &ms), 0);
		assert_int_equal(ms, t);
	}
	for (int64_t t = utc(2026, 10, 24, 20, 0, 0);
	     t < utc(2026, 10, 25, 6, 0, 0); t += 900000) {
		when_rfc3339(t, out);
		assert_int_equal(when_parse_rfc3339(out, &ms), 0);
		assert_int_equal(ms, t);
	}
}

static void test_day(void **state)
{
	/* Local midnight in summer is 22:00Z. */
	assert_int_equal(when_day(utc(2026, 7, 15, 21, 59, 59)), 20260715);
	assert_int_equal(when_day(utc(2026, 7, 15, 22, 0, 0)), 20260716);
	assert_int_equal(when_day(utc(2026, 7, 15, 23, 30, 0)),
			 when_day(utc(2026, 7, 16, 0, 30, 0)));
	/* In winter, 23:00Z. */
	assert_int_equal(when_day(utc(2026, 12, 31, 22, 59, 59)), 20261231);
	assert_int_equal(when_day(utc(2026, 12, 31, 23, 0, 0)), 20270101);
	/* A 23-hour and a 25-hour day are one day each. */
	assert_int_equal(when_day(utc(2026, 3, 28, 23, 0, 0)), 20260329);
	assert_int_equal(when_day(utc(2026, 3, 29, 21, 59, 59)), 20260329);
	assert_int_equal(when_day(utc(2026, 3, 29, 22, 0, 0)), 20260330);
	assert_int_equal(when_day(utc(2026, 10, 24, 22, 0, 0)), 20261025);
	assert_int_equal(when_day(utc(2026, 10, 25, 22, 59, 59)), 20261025);
	assert_int_equal(when_day(utc(2026, 10, 25, 23, 0, 0)), 20261026);

	/* Minute by minute across the spring-forward night: the day
	 * changes exactly when the local date does. */
	for (int64_t t = utc(2026, 3, 28, 20, 0, 0);
	     t < utc(2026, 3, 30, 2, 0, 0); t += 60000) {
		char a[WHEN_BUFSZ], b[WHEN_BUFSZ];

		when_date(t, a);
		when_date(t - 60000, b);
		assert_int_equal(strcmp(a, b) != 0,
				 when_day(t) != when_day(t - 60000));
	}
}

static void test_duration_is_not_wall_clock(void **state)
{
	char out[WHEN_BUFSZ];

	/* 01:30 CET to 03:30 CEST is one real hour. */
	when_duration(utc(2026, 3, 29, 1, 30, 0) - utc(2026, 3, 29, 0, 30, 0),
		      out);
	assert_string_equal(out, "1 h");
	/* Midnight to midnight on the fall-back day is 25 hours. */
	when_duration(utc(2026, 10, 25, 23, 0, 0) - utc(2026, 10, 24, 22, 0, 0),
		      out);
	assert_string_equal(out, "1 d 1 h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zone_name),
	    cmocka_unit_test(test_hm_plain),
	    cmocka_unit_test(test_gap_refused),
	    cmocka_unit_test(test_gap_on_yesterday),
	    cmocka_unit_test(test_gap_still_ahead),
	    cmocka_unit_test(test_fold_earlier),
	    cmocka_unit_test(test_fold_around_now),
	    cmocka_unit_test(test_hm_back_across_spring),
	    cmocka_unit_test(test_hm_back_across_autumn),
	    cmocka_unit_test(test_future_refused),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_rfc3339_round_trip),
	    cmocka_unit_test(test_day),
	    cmocka_unit_test(test_duration_is_not_wall_clock),
	};

	/* As main() does: one zone, set once (the first line of this file
	 * also has ctest run it with this TZ). */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
