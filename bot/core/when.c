/*
 * when.c - times as responders type them, and as Scribe shows them; see
 * when.h.
 *
 * The command layer hands every <time> argument to when_parse() together
 * with the moment the command was sent, and every renderer (timeline,
 * summary, export) formats instants with the when_* formatters, so this file
 * is the one place that knows about wall clocks, the zone and DST. Instants
 * are UTC epoch milliseconds; local time is the process zone (TZ, with
 * tzset() called once by main()), reached only through localtime_r, mktime
 * and timegm.
 *
 * Accepted input (no surrounding whitespace, nothing after the time):
 *   H:MM or HH:MM                  the most recent occurrence at or before
 *                                  "now": today's if it is not in the
 *                                  future, else yesterday's;
 *   YYYY-MM-DD HH:MM[:SS]          local wall clock in the zone;
 *   YYYY-MM-DD(T|t| )HH:MM:SS[.f](Z|z|+hh:mm|-hh:mm)
 *                                  RFC 3339: seconds are mandatory, the
 *                                  fraction is truncated to milliseconds,
 *                                  a leap second (:60) counts as the next
 *                                  second.
 * Ranges are checked strictly: hour 00-23, minute 00-59, second 00-60,
 * month 01-12, a day that exists in that month, offset hour 00-23 and
 * offset minute 00-59.
 *
 * Local wall clock to instant: every candidate instant is tried (mktime
 * with tm_isdst -1, 0 and 1, and the zone's UTC offsets a day either side)
 * and kept only if localtime_r turns it back into the same wall clock. No
 * candidate means a DST gap (refused); two mean a DST fold (the earlier is
 * taken). For HH:MM, a gap on the chosen day is refused rather than
 * silently moved to another day; today's time is "in the future" (so
 * yesterday's is meant) when its instant, or for a gap its wall clock, is
 * after now.
 *
 * Durations (when_duration), rounded down to whole units:
 *   under 1 minute     "N s"           (0 ms is "0 s")
 *   under 1 hour       "N min"
 *   under 1 day        "N h M min", or "N h" when M is 0
 *   1 day or more      "N d M h", or "N d" when M is 0 (minutes dropped)
 * A negative duration is not a duration; it is shown as "0 s".
 */
#include <ctype.h>
#include <time.h>

#include "when.h"

#define USAGE    "use HH:MM, YYYY-MM-DD HH:MM or RFC 3339"
#define ECHO_MAX 40 /* bytes of the user's input quoted back in an error */

/* What the parser found in the string. */
enum stamp_kind {
	STAMP_HM,    /* H:MM or HH:MM */
	STAMP_LOCAL, /* YYYY-MM-DD HH:MM[:SS] */
	STAMP_RFC,   /* YYYY-MM-DDTHH:MM:SS[.f]offset */
};

struct stamp {
	enum stamp_kind kind;
	int year, mon, mday; /* mon is 1-12; unset for STAMP_HM */
	int hour, min, sec;
	int ms;      /* fraction of a second, truncated */
	int off_min; /* UTC offset in minutes, STAMP_RFC only */
};

/* ms since the epoch to whole seconds, rounding towards minus infinity. */
static time_t secs_of(int64_t ms)
{
	int64_t s = ms / 1000;

	if (ms % 1000 < 0)
		s--;
	return (time_t)s;
}

static bool local_tm(int64_t ms, struct tm *tm)
{
	time_t t = secs_of(ms);

	return localtime_r(&t, tm) != NULL;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};

	if (mon == 2 && is_leap(y))
		return 29;
	return days[mon - 1];
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p into *out and advances *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/*
 * Copies s into out for quoting in a one-line message: control characters
 * become '?', and a long string is cut (at a UTF-8 boundary) with "...".
 */
static void echo(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s), i;
	bool cut = n > ECHO_MAX;

	if (cut) {
		n = ECHO_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	if (n > outlen - 4)
		n = outlen - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
	if (cut)
		memcpy(out + i, "...", 4);
}

/* Parses the time part "HH:MM[:SS[.f]]" (hour already read). */
static int parse_clock(const char **p, struct stamp *st, bool *has_sec,
		       bool *has_frac)
{
	*has_sec = false;
	*has_frac = false;
	if (!expect(p, ':') || !digits(p, 2, &st->min))
		return SCRIBE_EINVAL;
	if (**p != ':')
		return 0;
	(*p)++;
	if (!digits(p, 2, &st->sec))
		return SCRIBE_EINVAL;
	*has_sec = true;
	if (**p != '.')
		return 0;
	(*p)++;
	if (!is_digit(**p))
		return SCRIBE_EINVAL;
	*has_frac = true;
	for (int scale = 100; is_digit(**p); (*p)++, scale /= 10)
		st->ms += (**p - '0') * scale;
	return 0;
}

/* Parses "Z", "z" or "+hh:mm"/"-hh:mm"; false if there is none. */
static bool parse_offset(const char **p, struct stamp *st, int *oh, int *om)
{
	int sign;

	*oh = 0;
	*om = 0;
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		st->off_min = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!digits(p, 2, oh) || !expect(p, ':') || !digits(p, 2, om))
		return false;
	st->off_min = sign * (*oh * 60 + *om);
	return true;
}

/*
 * Parses any accepted form into st. On failure returns SCRIBE_EINVAL and
 * writes what was wrong (the part after "... is not a time: ") into why.
 */
static int parse_stamp(const char *s, struct stamp *st, char *why,
		       size_t whylen)
{
	const char *p = s;
	char rest[ECHO_MAX + 4];
	bool has_sec = false, has_frac = false, has_off = false, tsep = false;
	int nd = 0, oh = 0, om = 0;

	memset(st, 0, sizeof(*st));
	while (is_digit(p[nd]))
		nd++;

	if ((nd == 1 || nd == 2) && p[nd] == ':') {
		st->kind = STAMP_HM;
		digits(&p, nd, &st->hour);
		if (!expect(&p, ':') || !digits(&p, 2, &st->min))
			goto usage;
	} else if (nd == 4 && p[4] == '-') {
		digits(&p, 4, &st->year);
		if (!expect(&p, '-') || !digits(&p, 2, &st->mon) ||
		    !expect(&p, '-') || !digits(&p, 2, &st->mday))
			goto usage;
		if (*p == 'T' || *p == 't')
			tsep = true;
		else if (*p != ' ')
			goto usage;
		p++;
		if (!digits(&p, 2, &st->hour) ||
		    parse_clock(&p, st, &has_sec, &has_frac))
			goto usage;
		if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
			if (!parse_offset(&p, st, &oh, &om)) {
				snprintf(why, whylen,
					 "the offset must be Z or +hh:mm");
				return SCRIBE_EINVAL;
			}
			has_off = true;
		}
		st->kind = has_off ? STAMP_RFC : STAMP_LOCAL;
	} else {
		goto usage;
	}

	if (*p) {
		echo(p, rest, sizeof(rest));
		snprintf(why, whylen, "unexpected '%s' after the time", rest);
		return SCRIBE_EINVAL;
	}

	if (st->kind != STAMP_HM) {
		if (st->mon < 1 || st->mon > 12) {
			snprintf(why, whylen, "the month must be 01-12");
			return SCRIBE_EINVAL;
		}
		if (st->mday < 1) {
			snprintf(why, whylen, "the day must be 01-31");
			return SCRIBE_EINVAL;
		}
		if (st->mday > days_in_month(st->year, st->mon)) {
			snprintf(why, whylen, "%04d-%02d has only %d days",
				 st->year, st->mon,
				 days_in_month(st->year, st->mon));
			return SCRIBE_EINVAL;
		}
	}
	if (st->hour > 23) {
		snprintf(why, whylen, "the hour must be 00-23");
		return SCRIBE_EINVAL;
	}
	if (st->min > 59) {
		snprintf(why, whylen, "the minute must be 00-59");
		return SCRIBE_EINVAL;
	}
	if (st->sec > 60) {
		snprintf(why, whylen, "the second must be 00-60");
		return SCRIBE_EINVAL;
	}
	if (has_off && (oh > 23 || om > 59)) {
		snprintf(why, whylen,
			 "the offset must be within -23:59..+23:59");
		return SCRIBE_EINVAL;
	}
	if (has_off && !has_sec) {
		snprintf(why, whylen,
			 "an RFC 3339 time needs seconds (HH:MM:SS)");
		return SCRIBE_EINVAL;
	}
	if (!has_off && tsep) {
		snprintf(why, whylen,
			 "an RFC 3339 time needs an offset (Z or +hh:mm)");
		return SCRIBE_EINVAL;
	}
	if (!has_off && has_frac) {
		snprintf(why, whylen,
			 "a fraction of a second needs an offset (RFC 3339)");
		return SCRIBE_EINVAL;
	}
	return 0;

usage:
	snprintf(why, whylen, USAGE);
	return SCRIBE_EINVAL;
}

/* The wall clock y-m-d h:m:s as if it were UTC, in seconds. */
static int64_t naive_secs(int y, int mon, int mday, int h, int m, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* Keeps t in *best if localtime_r maps it back to the wall clock naive. */
static void try_candidate(time_t t, int64_t naive, bool *found, time_t *best)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return;
	if ((int64_t)timegm(&tm) != naive)
		return;
	if (!*found || t < *best)
		*best = t;
	*found = true;
}

/*
 * The instant of a local wall clock, in seconds. Returns false if that wall
 * clock does not exist in the zone (a DST gap); of two (a DST fold) it gives
 * the earlier.
 */
static bool resolve_local(int y, int mon, int mday, int h, int m, int s,
			  time_t *out)
{
	static const int isdst[3] = {-1, 0, 1};
	int64_t naive = naive_secs(y, mon, mday, h, m, s);
	bool found = false;
	struct tm tm;
	time_t best = 0;

	for (size_t i = 0; i < ARRAY_SIZE(isdst); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mon - 1;
		tm.tm_mday = mday;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = s;
		tm.tm_isdst = isdst[i];
		try_candidate(mktime(&tm), naive, &found, &best);
	}
	/* Zones whose offset changes without a DST flag defeat tm_isdst:
	 * also try the offsets in force a day either side. */
	for (int d = -1; d <= 1; d++) {
		time_t probe = (time_t)(naive + d * 86400);

		if (localtime_r(&probe, &tm))
			try_candidate((time_t)(naive - tm.tm_gmtoff), naive,
				      &found, &best);
	}
	*out = best;
	return found;
}

static void gap_message(const struct stamp *st, char *err, size_t errlen)
{
	char clock[16];

	if (st->sec)
		snprintf(clock, sizeof(clock), "%02d:%02d:%02d", st->hour,
			 st->min, st->sec);
	else
		snprintf(clock, sizeof(clock), "%02d:%02d", st->hour, st->min);
	snprintf(err, errlen,
		 "%s does not exist on %04d-%02d-%02d in %s (clocks moved "
		 "forward)",
		 clock, st->year, st->mon, st->mday, when_zone_name());
}

/*
 * HH:MM typed at now_ms: today's if it is not after now, else yesterday's.
 * Fills in st's date and *out_ms, or writes the refusal into err.
 */
static int resolve_hm(struct stamp *st, int64_t now_ms, int64_t *out_ms,
		      char *err, size_t errlen)
{
	struct tm now_tm, day;
	int64_t naive, now_naive;
	time_t t, d;

	if (!local_tm(now_ms, &now_tm)) {
		snprintf(err, errlen, "the current time is out of range");
		return SCRIBE_EINVAL;
	}
	now_naive = (int64_t)timegm(&now_tm);
	for (int back = 0; back <= 1; back++) {
		/* The calendar date "back" days before now's local date. */
		d = (time_t)naive_secs(now_tm.tm_year + 1900, now_tm.tm_mon + 1,
				       now_tm.tm_mday - back, 12, 0, 0);
		gmtime_r(&d, &day);
		st->year = day.tm_year + 1900;
		st->mon = day.tm_mon + 1;
		st->mday = day.tm_mday;
		naive = naive_secs(st->year, st->mon, st->mday, st->hour,
				   st->min, 0);
		if (!resolve_local(st->year, st->mon, st->mday, st->hour,
				   st->min, 0, &t)) {
			/* A gap still ahead today means yesterday's. */
			if (back == 0 && naive > now_naive)
				continue;
			gap_message(st, err, errlen);
			return SCRIBE_EINVAL;
		}
		if ((int64_t)t * 1000 <= now_ms) {
			*out_ms = (int64_t)t * 1000;
			return 0;
		}
	}
	snprintf(err, errlen, "%02d:%02d is in the future", st->hour, st->min);
	return SCRIBE_EINVAL;
}

/* The instant of a parsed STAMP_LOCAL or STAMP_RFC, or false for a gap. */
static bool stamp_instant(const struct stamp *st, int64_t *out_ms)
{
	int64_t secs;
	time_t t;

	if (st->kind == STAMP_RFC) {
		secs = naive_secs(st->year, st->mon, st->mday, st->hour,
				  st->min, st->sec) -
		       (int64_t)st->off_min * 60;
		*out_ms = secs * 1000 + st->ms;
		return true;
	}
	if (!resolve_local(st->year, st->mon, st->mday, st->hour, st->min,
			   st->sec, &t))
		return false;
	*out_ms = (int64_t)t * 1000;
	return true;
}

/* when_parse(), and whether s was a bare HH:MM. */
static int parse(const char *s, int64_t now_ms, int64_t *out_ms, char *err,
		 size_t errlen, bool *bare)
{
	char why[96], shown[ECHO_MAX + 4], scratch[1];
	char now[WHEN_BUFSZ], abbr[WHEN_BUFSZ];
	struct stamp st;
	int64_t ms;
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (!s || !*s) {
		snprintf(err, errlen, "no time given: " USAGE);
		return SCRIBE_EINVAL;
	}
	echo(s, shown, sizeof(shown));
	if (parse_stamp(s, &st, why, sizeof(why))) {
		snprintf(err, errlen, "'%s' is not a time: %s", shown, why);
		return SCRIBE_EINVAL;
	}
	if (st.kind == STAMP_HM) {
		rc = resolve_hm(&st, now_ms, &ms, err, errlen);
		if (rc)
			return rc;
	} else {
		if (!stamp_instant(&st, &ms)) {
			gap_message(&st, err, errlen);
			return SCRIBE_EINVAL;
		}
		if (ms > now_ms) {
			when_datetime(now_ms, now);
			when_zone_abbr(now_ms, abbr);
			snprintf(err, errlen,
				 "%s is in the future (it is now %s %s)", shown,
				 now, abbr);
			return SCRIBE_EINVAL;
		}
	}
	*bare = st.kind == STAMP_HM;
	*out_ms = ms;
	return 0;
}

int when_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *err,
	       size_t errlen)
{
	bool bare;

	return parse(s, now_ms, out_ms, err, errlen, &bare);
}

int when_parse_cmd(const char *s, int64_t now_ms, int64_t *out_ms, char *err,
		   size_t errlen)
{
	char shown[ECHO_MAX + 4], now[WHEN_BUFSZ], day[WHEN_BUFSZ];
	char ago[WHEN_BUFSZ], scratch[1];
	bool bare;
	int64_t ms;
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	rc = parse(s, now_ms, &ms, err, errlen, &bare);
	if (rc)
		return rc;
	echo(s, shown, sizeof(shown));
	/* 13:55 typed at 07:04 is yesterday, 17 hours back: more likely a
	 * slip than meant, so the date is asked for. */
	if (bare && now_ms - ms > WHEN_HM_BACK_MAX) {
		when_date(ms, day);
		when_duration(now_ms - ms, ago);
		snprintf(err, errlen,
			 "%s would be %s %s, %s ago: give the date, as in `at "
			 "%s %s`",
			 shown, day, shown, ago, day, shown);
		return SCRIBE_EINVAL;
	}
	if (ms < 0 || now_ms - ms > WHEN_BACK_MAX) {
		when_datetime(now_ms, now);
		snprintf(err, errlen,
			 "%s is %s: a time must be after 1970 and at most a "
			 "year before now (%s)",
			 shown, ms < 0 ? "before 1970" : "more than a year ago",
			 now);
		return SCRIBE_EINVAL;
	}
	*out_ms = ms;
	return 0;
}

void when_echo(int64_t ms, int64_t now_ms, char *out)
{
	char t[WHEN_BUFSZ], z[WHEN_BUFSZ];

	if (when_day(ms) == when_day(now_ms))
		when_hm(ms, t);
	else
		when_datetime(ms, t);
	when_zone_abbr(ms, z);
	snprintf(out, WHEN_ECHO_BUFSZ, "%s %s", t, z);
}

int when_parse_rfc3339(const char *s, int64_t *out_ms)
{
	char why[96];
	struct stamp st;

	if (!s || parse_stamp(s, &st, why, sizeof(why)) || st.kind != STAMP_RFC)
		return SCRIBE_EINVAL;
	return stamp_instant(&st, out_ms) ? 0 : SCRIBE_EINVAL;
}

int when_parse_local(const char *s, int64_t *out_ms)
{
	char why[96];
	struct stamp st;

	/* STAMP_LOCAL is only ever "YYYY-MM-DD HH:MM[:SS]". */
	if (!s || parse_stamp(s, &st, why, sizeof(why)) ||
	    st.kind != STAMP_LOCAL)
		return SCRIBE_EINVAL;
	return stamp_instant(&st, out_ms) ? 0 : SCRIBE_EINVAL;
}

void when_hm(int64_t ms, char *out)
{
	struct tm tm;

	if (!local_tm(ms, &tm)) {
		snprintf(out, WHEN_BUFSZ, "?");
		return;
	}
	snprintf(out, WHEN_BUFSZ, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void when_date(int64_t ms, char *out)
{
	struct tm tm;

	if (!local_tm(ms, &tm)) {
		snprintf(out, WHEN_BUFSZ, "?");
		return;
	}
	snprintf(out, WHEN_BUFSZ, "%04d-%02d-%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
}

void when_datetime(int64_t ms, char *out)
{
	struct tm tm;

	if (!local_tm(ms, &tm)) {
		snprintf(out, WHEN_BUFSZ, "?");
		return;
	}
	snprintf(out, WHEN_BUFSZ, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

void when_rfc3339(int64_t ms, char *out)
{
	time_t t = secs_of(ms);
	struct tm tm;
	long off;
	char zone[8];

	if (!localtime_r(&t, &tm)) {
		snprintf(out, WHEN_BUFSZ, "?");
		return;
	}
	off = tm.tm_gmtoff;
	/* An offset that is not whole minutes (old local mean time) cannot
	 * be written as +hh:mm: give the instant in UTC instead. */
	if (off % 60 != 0) {
		if (!gmtime_r(&t, &tm)) {
			snprintf(out, WHEN_BUFSZ, "?");
			return;
		}
		off = 0;
	}
	if (off == 0)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+',
			 (int)(labs(off) / 3600 % 100),
			 (int)(labs(off) / 60 % 60));
	snprintf(out, WHEN_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d%s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, zone);
}

void when_zone_abbr(int64_t ms, char *out)
{
	struct tm tm;

	if (!local_tm(ms, &tm) || !strftime(out, WHEN_BUFSZ, "%Z", &tm))
		snprintf(out, WHEN_BUFSZ, "?");
}

const char *when_zone_name(void)
{
	const char *tz = getenv("TZ");

	if (tz && *tz == ':')
		tz++;
	return tz && *tz ? tz : "UTC";
}

void when_duration(int64_t ms, char *out)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (s < 60)
		snprintf(out, WHEN_BUFSZ, "%lld s", (long long)s);
	else if (s < 3600)
		snprintf(out, WHEN_BUFSZ, "%lld min", m);
	else if (s < 86400 && m)
		snprintf(out, WHEN_BUFSZ, "%lld h %lld min", h, m);
	else if (s < 86400)
		snprintf(out, WHEN_BUFSZ, "%lld h", h);
	else if (h)
		snprintf(out, WHEN_BUFSZ, "%lld d %lld h", d, h);
	else
		snprintf(out, WHEN_BUFSZ, "%lld d", d);
}

int when_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
	    {'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	int64_t total = 0, n;
	size_t i;

	if (!s || !*s)
		return SCRIBE_EINVAL;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return SCRIBE_EINVAL;
		for (n = 0; isdigit((unsigned char)*s); s++) {
			n = n * 10 + (*s - '0');
			if (n > 1000000)
				return SCRIBE_EINVAL;
		}
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (units[i].unit == *s)
				break;
		if (i == ARRAY_SIZE(units))
			return SCRIBE_EINVAL;
		s++;
		total += n * units[i].ms;
		if (total > 366 * 86400000LL)
			return SCRIBE_EINVAL;
	}
	if (total <= 0)
		return SCRIBE_EINVAL;
	*ms = total;
	return 0;
}

int32_t when_day(int64_t ms)
{
	struct tm tm;

	if (!local_tm(ms, &tm))
		return 0;
	return (int32_t)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	       tm.tm_mday;
}
