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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversions),
	    cmocka_unit_test(test_code_blocks),
	    cmocka_unit_test(test_user_text_is_inert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
