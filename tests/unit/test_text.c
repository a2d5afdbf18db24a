/*
 * test_text.c - text.c: cleaning untrusted bytes into bounded UTF-8, slugs,
 * user references, mass-mention defusing, words and numbered names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/model.h"
#include "core/text.h"

#define FFFD "\xef\xbf\xbd"
#define ZWSP "\xe2\x80\x8b"

/* text_clean of a string literal (which may hold NULs: pass its size). */
static void assert_clean(const char *in, size_t len, size_t cap,
			 const char *want, bool want_cut)
{
	bool cut = !want_cut;
	char *got = text_clean(in, len, cap, &cut);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(cut, want_cut);
	assert_true(text_valid_utf8(got, strlen(got)));
	assert_true(strlen(got) <= cap);
	free(got);
}

#define CLEAN(lit, want) assert_clean(lit, sizeof(lit) - 1, 1000, want, false)

/* ---- text_clean --------------------------------------------------------- */

static void test_clean_valid_is_unchanged(void **state)
{
	(void)state;
	CLEAN("", "");
	CLEAN("plain ASCII, with punctuation!",
	      "plain ASCII, with punctuation!");
	CLEAN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* The edges of each length that are still valid. */
	CLEAN("\xc2\x80", "\xc2\x80");                 /* U+0080 */
	CLEAN("\xdf\xbf", "\xdf\xbf");                 /* U+07FF */
	CLEAN("\xe0\xa0\x80", "\xe0\xa0\x80");         /* U+0800 */
	CLEAN("\xed\x9f\xbf", "\xed\x9f\xbf");         /* U+D7FF */
	CLEAN("\xee\x80\x80", "\xee\x80\x80");         /* U+E000 */
	CLEAN("\xef\xbf\xbf", "\xef\xbf\xbf");         /* U+FFFF */
	CLEAN("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"); /* U+10000 */
	CLEAN("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	CLEAN("tab\tand\nnewline", "tab\tand\nnewline");
}

static void test_clean_invalid_bytes(void **state)
{
	(void)state;
	CLEAN("\xff", FFFD);
	CLEAN("\xfe", FFFD);
	CLEAN("a\xff"
	      "b",
	      "a" FFFD "b");
	/* A continuation byte with no lead. */
	CLEAN("\x80", FFFD);
	CLEAN("x\xbfy", "x" FFFD "y");
	/* A lead byte followed by something that is not a continuation. */
	CLEAN("\xc3(", FFFD "(");
	CLEAN("\xe2(\xa1", FFFD "(" FFFD);
	/* Leads that can never start a sequence. */
	CLEAN("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CLEAN("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
}

static void test_clean_overlongs(void **state)
{
	(void)state;
	/* '/' as 2, 3 and 4 bytes, and the 2-byte NUL. */
	CLEAN("\xc0\xaf", FFFD FFFD);
	CLEAN("\xc1\xbf", FFFD FFFD);
	CLEAN("\xc0\x80", FFFD FFFD);
	CLEAN("\xe0\x80\xaf", FFFD FFFD FFFD);
	CLEAN("\xe0\x9f\xbf", FFFD FFFD FFFD); /* U+07FF as 3 bytes */
	CLEAN("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	CLEAN("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD); /* U+FFFF as 4 */
}

static void test_clean_surrogates_and_range(void **state)
{
	(void)state;
	CLEAN("\xed\xa0\x80", FFFD FFFD FFFD); /* U+D800 */
	CLEAN("\xed\xbf\xbf", FFFD FFFD FFFD); /* U+DFFF */
	/* A CESU-8 pair is two surrogates, not one character. */
	CLEAN("\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD);
	CLEAN("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
}

static void test_clean_nul(void **state)
{
	static const char in[] = {'a', '\0', 'b', '\0'};

	(void)state;
	assert_clean(in, sizeof(in), 1000, "a" FFFD "b" FFFD, false);
	assert_clean("\0", 1, 1000, FFFD, false);
}

/* A sequence cut short (the message ended mid-character). */
static void test_clean_truncated_sequence(void **state)
{
	static const char *const cut[] = {"ab\xe2\x82", "ab\xf0\x9f\x98",
					  "ab\xc3", "ab\xf0"};
	size_t i;
	bool t;
	char *got;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cut); i++) {
		got = text_clean(cut[i], strlen(cut[i]), 1000, &t);
		assert_false(t);
		assert_true(text_valid_utf8(got, strlen(got)));
		/* A cut-off character is one replacement, not one per
		 * byte (Unicode's maximal subpart). */
		assert_string_equal(got, "ab" FFFD);
		free(got);
	}
	/* ...and then text goes on: the text is kept. */
	got = text_clean("\xe2\x82"
			 "after",
			 7, 1000, &t);
	assert_true(text_valid_utf8(got, strlen(got)));
	assert_string_equal(got, FFFD "after");
	free(got);
	/* An invalid second byte ends the subpart: it is kept or replaced on
	 * its own. */
	got = text_clean("\xe0\x80x", 3, 1000, &t);
	assert_string_equal(got, FFFD FFFD "x");
	free(got);
}

static void test_clean_cap(void **state)
{
	(void)state;
	assert_clean("abcdef", 6, 6, "abcdef", false);
	assert_clean("abcdef", 6, 4, "abcd", true);
	assert_clean("abcdef", 6, 0, "", true);
	assert_clean("", 0, 0, "", false);
	/* Only len bytes are read, even when more follow. */
	assert_clean("abcdef", 3, 100, "abc", false);
}

static void test_clean_cap_on_char_boundary(void **state)
{
	/* a (1) é (2) € (3) 😀 (4): 10 bytes. */
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	size_t len = sizeof(s) - 1;

	(void)state;
	assert_clean(s, len, 10, s, false);
	assert_clean(s, len, 9, "a\xc3\xa9\xe2\x82\xac", true);
	assert_clean(s, len, 6, "a\xc3\xa9\xe2\x82\xac", true);
	assert_clean(s, len, 5, "a\xc3\xa9", true);
	assert_clean(s, len, 4, "a\xc3\xa9", true);
	assert_clean(s, len, 3, "a\xc3\xa9", true);
	assert_clean(s, len, 2, "a", true);
	assert_clean(s, len, 1, "a", true);
	/* A replacement that does not fit is not half-written either. */
	assert_clean("ab\xff", 3, 4, "ab", true);
	assert_clean("ab\xff", 3, 5, "ab" FFFD, false);
}

static void test_clean_one_mebibyte(void **state)
{
	const size_t n = 1024 * 1024;
	char *in = malloc(n), *got;
	size_t i, len;
	uint32_t x = 2463534242u;
	bool cut;

	(void)state;
	assert_non_null(in);
	/* Noise: every byte value, NULs included. */
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		in[i] = (char)(x & 0xff);
	}
	got = text_clean(in, n, 40000, &cut);
	len = strlen(got);
	assert_true(cut);
	assert_true(len <= 40000);
	assert_true(len > 40000 - 4);
	assert_true(text_valid_utf8(got, len));
	free(got);

	/* Without a cap worth the name, everything is kept; each bad byte
	 * becomes three. */
	got = text_clean(in, n, 4 * n, &cut);
	len = strlen(got);
	assert_false(cut);
	assert_true(len >= n);
	assert_true(text_valid_utf8(got, len));
	free(got);

	/* A mebibyte of 0xff: a cap that holds the output exactly. */
	memset(in, 0xff, n);
	got = text_clean(in, n, 3 * n, &cut);
	assert_false(cut);
	assert_int_equal(strlen(got), 3 * n);
	assert_memory_equal(got + 3 * n - 3, FFFD, 3);
	free(got);

	/* Valid multi-byte text cut at a cap that falls inside a character. */
	for (i = 0; i + 3 <= n; i += 3)
		memcpy(in + i, "\xe2\x82\xac", 3);
	len = i;
	got = text_clean(in, len, 40000, &cut);
	assert_true(cut);
	assert_int_equal(strlen(got), 39999);
	assert_true(text_valid_utf8(got, strlen(got)));
	free(got);
	free(in);
}

static void test_valid_utf8(void **state)
{
	(void)state;
	assert_true(text_valid_utf8("", 0));
	assert_true(text_valid_utf8("abc \xc3\xa9", 6));
	assert_false(text_valid_utf8("a\0b", 3));
	assert_false(text_valid_utf8("\xff", 1));
	assert_false(text_valid_utf8("\xc0\xaf", 2));
	assert_false(text_valid_utf8("\xed\xa0\x80", 3));
	assert_false(text_valid_utf8("\xe2\x82", 2));
	/* len is honoured: a valid prefix of a longer buffer. */
	assert_true(text_valid_utf8("ab\xff", 2));
}

/* ---- text_slug ---------------------------------------------------------- */

static void assert_slug(const char *title, const char *want)
{
	char out[SLUG_MAX + 1];

	memset(out, 'X', sizeof(out));
	text_slug(title, out);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= SLUG_MAX);
}

static void test_slug(void **state)
{
	(void)state;
	assert_slug("Database errors spiking", "database-errors-spiking");
	assert_slug("DB: 50% errors!! (EU-west)", "db-50-errors-eu-west");
	assert_slug("  --leading and trailing--  ", "leading-and-trailing");
	assert_slug("a   b\t\tc", "a-b-c");
	assert_slug("UPPER lower 123", "upper-lower-123");
	assert_slug("x", "x");
	assert_slug("under_score.dot/slash", "under-score-dot-slash");
}

static void test_slug_non_ascii(void **state)
{
	(void)state;
	assert_slug("caf\xc3\xa9 down", "caf-down");
	assert_slug("\xc3\x9c"
		    "ber-St\xc3\xb6rung",
		    "ber-st-rung");
	assert_slug("\xf0\x9f\x94\xa5 fire \xf0\x9f\x94\xa5", "fire");
	/* Invalid bytes are just separators too. */
	assert_slug("a\xff\xfe"
		    "b",
		    "a-b");
}

static void test_slug_empty(void **state)
{
	(void)state;
	assert_slug("", "incident");
	assert_slug("!!!", "incident");
	assert_slug("   ", "incident");
	assert_slug("\xe6\x97\xa5\xe6\x9c\xac", "incident");
}

static void test_slug_max(void **state)
{
	char title[200], want[SLUG_MAX + 1];

	(void)state;
	/* 50 letters: cut at 40. */
	memset(title, 'a', 50);
	title[50] = '\0';
	memset(want, 'a', SLUG_MAX);
	want[SLUG_MAX] = '\0';
	assert_slug(title, want);

	/* Exactly 40. */
	title[40] = '\0';
	assert_slug(title, want);

	/* 39 letters and another word: the hyphen would be the 40th
	 * character and is dropped with the word. */
	memset(title, 'b', 39);
	memcpy(title + 39, " cde", 5);
	memset(want, 'b', 39);
	want[39] = '\0';
	assert_slug(title, want);

	/* 38 letters, a word: "b...b-c" is 40. */
	memset(title, 'b', 38);
	memcpy(title + 38, " cde", 5);
	memset(want, 'b', 38);
	memcpy(want + 38, "-c", 3);
	assert_slug(title, want);

	/* Many short words. */
	assert_slug("one two three four five six seven eight nine ten",
		    "one-two-three-four-five-six-seven-eight");
}

/* ---- text_user ---------------------------------------------------------- */

static const struct user speaker = {(char *)"U42", (char *)"Alice"};

static void assert_user(const char *word, const char *id, const char *name)
{
	struct user u = {0};

	if (text_user(word, &speaker, &u))
		fail_msg("'%s' is not a user", word);
	assert_string_equal(u.id, id);
	assert_string_equal(u.name, name);
	user_release(&u);
}

static void assert_not_user(const char *word)
{
	struct user u = {(char *)"junk", (char *)"junk"};

	if (text_user(word, &speaker, &u) != SCRIBE_EINVAL)
		fail_msg("'%s' taken as a user", word);
	assert_null(u.id);
	assert_null(u.name);
}

static void test_user_forms(void **state)
{
	(void)state;
	assert_user("@me", "U42", "Alice");
	assert_user("@ME", "U42", "Alice");
	assert_user("@bob", "bob", "bob");
	assert_user("<@U123>", "U123", "U123");
	assert_user("<@U123|carol>", "U123", "carol");
	assert_user("<@U123|>", "U123", "U123");
	assert_user("@alice:example.org", "@alice:example.org", "alice");
	assert_user("@bob.smith", "bob.smith", "bob.smith");
}

static void test_user_refused(void **state)
{
	char longname[300];

	(void)state;
	assert_not_user("");
	assert_not_user("@");
	assert_not_user("bob");
	assert_not_user("me");
	assert_not_user("<@>");
	assert_not_user("<@|x>");
	assert_not_user("<@U1@x>");
	assert_not_user("<@U1<x>");
	assert_not_user("<!channel>");
	assert_not_user("@:example.org");
	assert_not_user("@bo<b");
	assert_not_user("@bob>");
	assert_not_user("@bo b");
	/* Crowds are not people. */
	assert_not_user("@channel");
	assert_not_user("@HERE");
	assert_not_user("@everyone");
	assert_not_user("@room");
	longname[0] = '@';
	memset(longname + 1, 'x', 260);
	longname[261] = '\0';
	assert_not_user(longname);
	longname[255] = '\0';
	assert_user(longname, longname + 1, longname + 1);
}

/* ---- text_defuse -------------------------------------------------------- */

static void assert_defused(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	assert_int_equal(text_defuse(&b, in), 0);
	assert_string_equal(b.s, want);
	buf_release(&b);
}

static void test_defuse(void **state)
{
	(void)state;
	assert_defused("", "");
	assert_defused("hello @bob", "hello @bob");
	assert_defused("@channel", "@" ZWSP "channel");
	assert_defused("hey @here!", "hey @" ZWSP "here!");
	assert_defused("@Everyone look", "@" ZWSP "Everyone look");
	assert_defused("@room", "@" ZWSP "room");
	assert_defused("<!channel>", "<" ZWSP "!channel>");
	assert_defused("<!here|here>", "<" ZWSP "!here|here>");
	assert_defused("<!subteam^S1>", "<" ZWSP "!subteam^S1>");
	assert_defused("<@U123>", "<@U123>");
	/* A longer word is somebody's name, not a crowd. */
	assert_defused("@channels @herewego", "@channels @herewego");
	assert_defused("@here@channel", "@" ZWSP "here@" ZWSP "channel");
}

static void test_defuse_bounded(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(text_defuse(&b, "@channel"), SCRIBE_ETOOBIG);
	assert_true(b.len <= 4);
	buf_release(&b);
}

/* ---- words -------------------------------------------------------------- */

static void test_words_split(void **state)
{
	const char *line = "  declare  DB\terrors   sev1  ";
	struct words w;

	(void)state;
	words_split(&w, line);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.w[0], "declare");
	assert_string_equal(w.w[1], "DB");
	assert_string_equal(w.w[2], "errors");
	assert_string_equal(w.w[3], "sev1");
	/* rest points into the line and keeps its spacing. */
	assert_ptr_equal(w.rest[0], line + 2);
	assert_string_equal(w.rest[1], "DB\terrors   sev1  ");
	assert_string_equal(w.rest[3], "sev1  ");
	words_release(&w);
	assert_int_equal(w.n, 0);

	words_split(&w, "");
	assert_int_equal(w.n, 0);
	words_release(&w);
	words_split(&w, " \t\n ");
	assert_int_equal(w.n, 0);
	words_release(&w);
	words_split(&w, "one");
	assert_int_equal(w.n, 1);
	assert_string_equal(w.w[0], "one");
	assert_string_equal(w.rest[0], "one");
	words_release(&w);
	words_split(&w, "a\nb\r\nc");
	assert_int_equal(w.n, 3);
	assert_string_equal(w.w[2], "c");
	words_release(&w);
}

static void test_words_max(void **state)
{
	char line[400];
	struct words w;
	size_t i, off = 0;

	(void)state;
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					"%sw%zu", i ? " " : "", i);
	words_split(&w, line);
	assert_int_equal(w.n, WORDS_MAX);
	assert_string_equal(w.w[WORDS_MAX - 1], "w31");
	/* The rest of the line past the last word kept is still there. */
	assert_string_equal(w.rest[WORDS_MAX - 1],
			    "w31 w32 w33 w34 w35 w36 w37 w38 w39");
	words_release(&w);
}

/* ---- text_numbered ------------------------------------------------------ */

static void test_numbered(void **state)
{
	(void)state;
	assert_int_equal(text_numbered("H2", "H"), 2);
	assert_int_equal(text_numbered("h2", "H"), 2);
	assert_int_equal(text_numbered("A10", "A"), 10);
	assert_int_equal(text_numbered("INC-3", "INC-"), 3);
	assert_int_equal(text_numbered("inc-42", "INC-"), 42);
	assert_int_equal(text_numbered("S1", "S"), 1);
	assert_int_equal(text_numbered("sev4", "sev"), 4);
	assert_int_equal(text_numbered("H007", "H"), 7);
	assert_int_equal(text_numbered("H1000000000", "H"), 1000000000);

	assert_int_equal(text_numbered("H0", "H"), -1);
	assert_int_equal(text_numbered("H", "H"), -1);
	assert_int_equal(text_numbered("", "H"), -1);
	assert_int_equal(text_numbered("2", "H"), -1);
	assert_int_equal(text_numbered("H-1", "H"), -1);
	assert_int_equal(text_numbered("H+1", "H"), -1);
	assert_int_equal(text_numbered("H 1", "H"), -1);
	assert_int_equal(text_numbered("H2x", "H"), -1);
	assert_int_equal(text_numbered("X2", "H"), -1);
	assert_int_equal(text_numbered("INC3", "INC-"), -1);
	assert_int_equal(text_numbered("H1000000001", "H"), -1);
	assert_int_equal(text_numbered("H99999999999999999999999", "H"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_valid_is_unchanged),
	    cmocka_unit_test(test_clean_invalid_bytes),
	    cmocka_unit_test(test_clean_overlongs),
	    cmocka_unit_test(test_clean_surrogates_and_range),
	    cmocka_unit_test(test_clean_nul),
	    cmocka_unit_test(test_clean_truncated_sequence),
	    cmocka_unit_test(test_clean_cap),
	    cmocka_unit_test(test_clean_cap_on_char_boundary),
	    cmocka_unit_test(test_clean_one_mebibyte),
	    cmocka_unit_test(test_valid_utf8),
	    cmocka_unit_test(test_slug),
	    cmocka_unit_test(test_slug_non_ascii),
	    cmocka_unit_test(test_slug_empty),
	    cmocka_unit_test(test_slug_max),
	    cmocka_unit_test(test_user_forms),
	    cmocka_unit_test(test_user_refused),
	    cmocka_unit_test(test_defuse),
	    cmocka_unit_test(test_defuse_bounded),
	    cmocka_unit_test(test_words_split),
	    cmocka_unit_test(test_words_max),
	    cmocka_unit_test(test_numbered),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
