/*
 * when.h - times as responders type them, and as Scribe shows them.
 *
 * All times are UTC epoch milliseconds (int64_t). The deployment has one
 * zone: main() sets TZ from the config and calls tzset() once, so the
 * local-time functions here are deterministic and pure enough for the core.
 * Nothing here reads the clock: "now" is always passed in.
 */
#ifndef SCRIBE_WHEN_H
#define SCRIBE_WHEN_H

#include "util/base.h"

/*
 * Parses a <time> of the command grammar, typed at now_ms:
 *   "HH:MM"             the most recent occurrence of that wall-clock time
 *                       in the zone at or before now_ms (23:50 typed at
 *                       00:05 is yesterday);
 *   "YYYY-MM-DD HH:MM"  in the zone;
 *   RFC 3339 with an offset ("2026-03-29T01:30:00+01:00", "...Z",
 *                       optional seconds fraction).
 * A time after now_ms is refused; a local time that does not exist (DST gap)
 * is refused; a repeated one (DST fold) takes the earlier instant.
 * Returns 0 and sets *out_ms, or SCRIBE_EINVAL with a one-line reason in err
 * ("'25:00' is not a time: use HH:MM, YYYY-MM-DD HH:MM or RFC 3339",
 *  "13:00 is in the future", "02:30 does not exist on 2026-03-29 in
 *  Europe/Berlin (clocks moved forward)").
 */
int when_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *err,
	       size_t errlen);

/*
 * when_parse() with the bounds of PRODUCT.md's Times rule, for a <time>
 * typed in a command: a bare "HH:MM" more than WHEN_HM_BACK_MAX back is
 * refused with a request for the date ("13:55 would be 2026-12-02 13:55,
 * 17 h 9 min ago: give the date, as in `at 2026-12-02 13:55`"); any time
 * before 1970 or more than WHEN_BACK_MAX back is refused.
 */
int when_parse_cmd(const char *s, int64_t now_ms, int64_t *out_ms, char *err,
		   size_t errlen);
#define WHEN_HM_BACK_MAX ((int64_t)12 * 3600 * 1000)
#define WHEN_BACK_MAX    ((int64_t)365 * 24 * 3600 * 1000)

/* RFC 3339 with a mandatory offset (Z or +hh:mm), optional fraction. */
int when_parse_rfc3339(const char *s, int64_t *out_ms);

/* "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" in the process zone, with the
 * same gap (refused) and fold (earlier) rules. */
int when_parse_local(const char *s, int64_t *out_ms);

/* Local wall-clock formats in the process zone. Each writes a NUL-terminated
 * string into out (which must hold at least WHEN_BUFSZ bytes). */
#define WHEN_BUFSZ 48
void when_hm(int64_t ms, char *out);        /* "14:05" */
void when_date(int64_t ms, char *out);      /* "2026-11-24" */
void when_datetime(int64_t ms, char *out);  /* "2026-11-24 14:05" */
void when_rfc3339(int64_t ms, char *out);   /* "2026-11-24T14:05:09+01:00" */
void when_zone_abbr(int64_t ms, char *out); /* "CET" at that instant */

/* A time echoed back to the channel: "14:05 UTC" on the day of now_ms,
 * "2026-11-23 14:05 UTC" on another day. out holds WHEN_ECHO_BUFSZ. */
#define WHEN_ECHO_BUFSZ (2 * WHEN_BUFSZ)
void when_echo(int64_t ms, int64_t now_ms, char *out);

/* The zone's name as configured ("Europe/Berlin"; "UTC" when TZ is unset). */
const char *when_zone_name(void);

/* A duration as people write it: "45 s", "3 min", "1 h 45 min", "2 d 3 h".
 * Rounds down to whole units; under a minute it is seconds ("0 s"). */
void when_duration(int64_t ms, char *out);

/* A duration as commands and new config keys write it: "30s", "15m",
 * "2h", "1d", or several of those in a row ("1h30m"). Returns 0 and sets
 * *ms (more than 0, at most 366 days), or SCRIBE_EINVAL. */
int when_parse_duration(const char *s, int64_t *ms);

/* The local calendar day of ms, as a number that changes exactly when the
 * date does (for "a date line whenever the day changes"). */
int32_t when_day(int64_t ms);

#endif
