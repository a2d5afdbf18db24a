/*
 * test_backlog.c - the recent messages of channels outside incidents
 * (bot/backlog.c): per channel, at most `max` messages and none older than
 * the window before the newest; a range read oldest first; nothing kept
 * when context is off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/base.h"
#include "util/buf.h"
#include "backlog.h"

#define MIN 60000LL

static int collect(void *ud, const struct backlog_msg *m)
{
	buf_addf(ud, "%s:%s:%lld:%s;", m->id, m->who.name,
		 (long long)(m->ts / MIN), m->text);
	return 0;
}

static char *range(const struct backlog *b, const char *room, int64_t from,
		   int64_t to)
{
	struct buf out;

	buf_init(&out, BUF_UNBOUNDED);
	assert_int_equal(
	    backlog_each(b, "console", room, from, to, collect, &out), 0);
	return buf_detach(&out, NULL);
}

static void note(struct backlog *b, const char *room, const char *id,
		 const char *who, int64_t minute, const char *text)
{
	struct user u = {(char *)who, (char *)who};

	backlog_note(b, "console", room, id, &u, minute * MIN, text);
}

static void test_window(void **state)
{
	struct backlog b;
	char *s;

	(void)state;
	backlog_init(&b, 30 * MIN, 3);
	note(&b, "#general", "m1", "lee", 0, "lunch?");
	note(&b, "#general", "m2", "deploy-bot", 10, "deployed v2");
	note(&b, "#ops", "o1", "kim", 11, "other room");
	/* 35 minutes on: m1 is out of the window of the newest. */
	note(&b, "#general", "m3", "pd", 35, "ALERT: errors");
	s = range(&b, "#general", 0, 100 * MIN);
	assert_string_equal(s, "m2:deploy-bot:10:deployed v2;m3:pd:35:ALERT: "
			       "errors;");
	free(s);
	/* At most 3 per room: the oldest goes. */
	note(&b, "#general", "m4", "ana", 36, "a");
	note(&b, "#general", "m5", "ana", 37, "b");
	s = range(&b, "#general", 0, 100 * MIN);
	assert_string_equal(s, "m3:pd:35:ALERT: errors;m4:ana:36:a;m5:ana:37:"
			       "b;");
	free(s);
	/* A range, both ends included; other rooms apart. */
	s = range(&b, "#general", 36 * MIN, 36 * MIN);
	assert_string_equal(s, "m4:ana:36:a;");
	free(s);
	s = range(&b, "#ops", 0, 100 * MIN);
	assert_string_equal(s, "o1:kim:11:other room;");
	free(s);
	s = range(&b, "#nowhere", 0, 100 * MIN);
	assert_string_equal(s, "");
	free(s);
	backlog_release(&b);
}

static void test_off(void **state)
{
	struct backlog b;
	char *s;

	(void)state;
	backlog_init(&b, 0, 200);
	note(&b, "#general", "m1", "lee", 0, "kept?");
	s = range(&b, "#general", 0, 100 * MIN);
	assert_string_equal(s, "");
	free(s);
	backlog_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
