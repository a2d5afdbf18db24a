/*
 * test_slack_format.c - Markdown to Slack mrkdwn (bot/chat/slack/format.c):
 * the conversions, and that user text can never ping, link or break out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/base.h"
#include <cjson/cJSON.h>

#include "util/buf.h"
#include "chat/slack/format.h"

static void expect(const char *md, const char *want)
{
	char *got = slack_mrkdwn(md);

	assert_string_equal(got, want);
	free(got);
}

static void test_conversions(void **state)
{
	(void)state;
	expect("# Postmortem: INC-1", "*Postmortem: INC-1*");
	expect("## Issue Summary", "*Issue Summary*");
	expect("- **Duration:** 1 h", "• *Duration:* 1 h");
	expect("_not recorded_ — use `rootcause <text>`",
	       "_not recorded_ — use `rootcause &lt;text&gt;`");
	expect("see [the runbook](https://wiki.example/db)",
	       "see <https://wiki.example/db|the runbook>");
	expect("line one\nline two", "line one\nline two");
	expect("", "");
}

static void test_code_blocks(void **state)
{
	(void)state;
	expect("```sql\nSELECT * FROM t WHERE a < 3 AND b > 2;\n```",
	       "```\nSELECT * FROM t WHERE a &lt; 3 AND b &gt; 2;\n```");
	/* Inside a block, Markdown is not converted. */
	expect("```\n# not a heading\n- not a list\n```",
	       "```\n# not a heading\n- not a list\n```");
}

static void test_user_text_is_inert(void **state)
{
	(void)state;
	/* Slack's control sequences arrive escaped. */
	expect("ping <!channel> and <!here>",
	       "ping &lt;!channel&gt; and &lt;!here&gt;");
	expect("owner <@U123>", "owner &lt;@U123&gt;");
	expect("a <https://evil.example|click> link",
	       "a &lt;https://evil.example|click&gt; link");
	expect("fish & chips", "fish &amp; chips");
	/* Only http(s) links without control characters are written. */
	expect("[x](javascript:alert(1))", "[x](javascript:alert(1))");
	expect("[x](https://a.example/<!here>)",
	       "[x](https://a.example/&lt;!here&gt;)");
	expect("[<!here>](https://a.example)",
	       "<https://a.example|&lt;!here&gt;>");
}

/* Topics and purposes: the incident title, escaped and defused. */
static void test_plain(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"INC-1 <!channel> down",
	     "INC-1 &lt;\xe2\x80\x8b!channel&gt; down"},
	    {"ask @here and @channel", "ask @\xe2\x80\x8bhere and @\xe2\x80\x8b"
				       "channel"},
	    {"owner <@U123>", "owner &lt;@U123&gt;"},
	    {"<https://evil.example|x> & co",
	     "&lt;https://evil.example|x&gt; &amp; co"},
	    {"*not bold* `nor code`", "*not bold* `nor code`"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = slack_plain(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_cut(void **state)
{
	char s[] = "ab\xc3\xa9"
		   "cd";

	(void)state;
	slack_cut(s, 3); /* inside the é: cut before it */
	assert_string_equal(s, "ab");
}

static const char *block_text(cJSON *blocks, int i)
{
	cJSON *b = cJSON_GetArrayItem(blocks, i);

	return cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(b, "text"), "text"));
}

static void test_blocks(void **state)
{
	struct buf b;
	cJSON *blocks, *actions, *el;
	int i, n;

	(void)state;
	/* A short message: one section, no buttons. */
	blocks = slack_blocks("hello");
	assert_int_equal(cJSON_GetArraySize(blocks), 1);
	assert_string_equal(block_text(blocks, 0), "hello");
	cJSON_Delete(blocks);

	/* A playbook step: Done and Skip carry S2. */
	blocks =
	    slack_blocks("\xe2\x96\xb6 db-deadlock \xc2\xb7 S2 of 7: Who is "
			 "blocking?\nRun the query.");
	n = cJSON_GetArraySize(blocks);
	assert_int_equal(n, 2);
	actions = cJSON_GetArrayItem(blocks, 1);
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(actions, "type")),
	    "actions");
	el = cJSON_GetObjectItem(actions, "elements");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				cJSON_GetArrayItem(el, 0), "action_id")),
			    "step_done");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				cJSON_GetArrayItem(el, 1), "value")),
			    "S2");
	cJSON_Delete(blocks);

	/* A long message splits on lines, each section under 3,000, and a
	 * code block cut in two is closed and reopened. */
	buf_init(&b, BUF_UNBOUNDED);
	buf_adds(&b, "```\n");
	for (i = 0; i < 200; i++)
		buf_addf(&b, "SELECT %d FROM a_rather_long_table_name;\n", i);
	buf_adds(&b, "```\n");
	blocks = slack_blocks(b.s);
	n = cJSON_GetArraySize(blocks);
	assert_true(n > 2);
	for (i = 0; i < n; i++) {
		const char *t = block_text(blocks, i);

		assert_true(strlen(t) <= 3000);
		assert_int_equal(strncmp(t, "```", 3), 0);
	}
	cJSON_Delete(blocks);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversions),
	    cmocka_unit_test(test_code_blocks),
	    cmocka_unit_test(test_user_text_is_inert),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
