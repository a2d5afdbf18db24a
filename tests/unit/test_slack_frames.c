/*
 * test_slack_frames.c - Socket Mode frames into chat events
 * (bot/chat/slack/frames.c): every envelope type, every event Scribe
 * records, the ones it ignores, and malformed frames. Payload shapes follow
 * ../shared/specs/PROTOCOLS.md part A and Slack's java-slack-sdk samples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "util/base.h"
#include "chat/slack/frames.h"

#define NOW 1795510800000LL

static const struct slack_self self = {"U0BOT", "B0BOT"};

static void parse(const char *json, struct slack_frame *f)
{
	slack_frame_parse(json, strlen(json), &self, NOW, f);
}

/* An events_api envelope around one event. */
static char *envelope(const char *event)
{
	return xasprintf("{\"envelope_id\":\"env-1\",\"type\":\"events_api\","
			 "\"accepts_response_payload\":false,"
			 "\"retry_attempt\":0,\"retry_reason\":\"\","
			 "\"payload\":{\"type\":\"event_callback\","
			 "\"event_id\":\"Ev1\",\"event\":%s}}",
			 event);
}

static void parse_event(const char *event, struct slack_frame *f)
{
	char *json = envelope(event);

	parse(json, f);
	free(json);
}

static void test_ts(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(slack_ts_ms("1355517523.000005", &ms), 0);
	assert_int_equal(ms, 1355517523000LL);
	assert_int_equal(slack_ts_ms("1355517523.123456", &ms), 0);
	assert_int_equal(ms, 1355517523123LL);
	assert_int_equal(slack_ts_ms("1355517523", &ms), 0);
	assert_int_equal(ms, 1355517523000LL);
	assert_int_equal(slack_ts_ms("", &ms), SCRIBE_EINVAL);
	assert_int_equal(slack_ts_ms("abc", &ms), SCRIBE_EINVAL);
	assert_int_equal(slack_ts_ms("12.34x", &ms), SCRIBE_EINVAL);
	assert_int_equal(slack_ts_ms(NULL, &ms), SCRIBE_EINVAL);
}

static void test_hello_and_disconnect(void **state)
{
	struct slack_frame f;

	(void)state;
	parse("{\"type\":\"hello\",\"num_connections\":1}", &f);
	assert_int_equal(f.kind, SLACK_HELLO);
	slack_frame_release(&f);
	parse("{\"type\":\"disconnect\",\"reason\":\"refresh_requested\"}", &f);
	assert_int_equal(f.kind, SLACK_DISCONNECT);
	assert_string_equal(f.reason, "refresh_requested");
	slack_frame_release(&f);
	parse("{\"type\":\"disconnect\"}", &f);
	assert_int_equal(f.kind, SLACK_DISCONNECT);
	assert_string_equal(f.reason, "unknown");
	slack_frame_release(&f);
}

static void test_message(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
		    "\"text\":\"db is down &amp; p99 &gt; 4s\","
		    "\"ts\":\"1795510800.000100\",\"channel_type\":"
		    "\"channel\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_string_equal(f.envelope_id, "env-1");
	assert_int_equal(f.ev.kind, CHAT_MESSAGE);
	assert_string_equal(f.ev.platform, "slack");
	assert_string_equal(f.ev.room, "C1");
	assert_string_equal(f.ev.id, "1795510800.000100");
	assert_string_equal(f.ev.author.id, "U1");
	assert_string_equal(f.ev.text, "db is down & p99 > 4s");
	assert_int_equal(f.ev.len, strlen(f.ev.text));
	assert_int_equal(f.ev.ts, 1795510800000LL);
	assert_null(f.ev.thread);
	slack_frame_release(&f);
}

static void test_thread_reply_and_broadcast(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U2\","
		    "\"text\":\"same here\",\"ts\":\"1795510801.000200\","
		    "\"thread_ts\":\"1795510800.000100\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_MESSAGE);
	assert_string_equal(f.ev.thread, "1795510800.000100");
	slack_frame_release(&f);
	/* A thread's root carries thread_ts == ts: not a reply. */
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U2\","
		    "\"text\":\"root\",\"ts\":\"1795510800.000100\","
		    "\"thread_ts\":\"1795510800.000100\"}",
		    &f);
	assert_null(f.ev.thread);
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"subtype\":\"thread_broadcast\","
		    "\"channel\":\"C1\",\"user\":\"U2\",\"text\":\"also "
		    "here\",\"ts\":\"1795510802.000300\",\"thread_ts\":"
		    "\"1795510800.000100\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_string_equal(f.ev.thread, "1795510800.000100");
	slack_frame_release(&f);
}

static void test_own_messages_ignored(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":"
		    "\"U0BOT\",\"bot_id\":\"B0BOT\",\"text\":\"INC-1 "
		    "declared\",\"ts\":\"1.000001\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"bot_id\":"
		    "\"B0BOT\",\"text\":\"x\",\"ts\":\"1.000001\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
	/* Another bot (an alert) is recorded, under its bot id. */
	parse_event("{\"type\":\"message\",\"subtype\":\"bot_message\","
		    "\"channel\":\"C1\",\"bot_id\":\"BALERT\",\"username\":"
		    "\"pagerduty\",\"text\":\"CPU 99%\",\"ts\":\"2.000001\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_string_equal(f.ev.author.id, "BALERT");
	assert_string_equal(f.ev.author.name, "pagerduty");
	slack_frame_release(&f);
}

static void test_edit_and_delete(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"subtype\":\"message_changed\","
		    "\"channel\":\"C1\",\"hidden\":true,\"event_ts\":"
		    "\"1795510900.000001\",\"ts\":\"1795510900.000001\","
		    "\"message\":{\"user\":\"U1\",\"text\":\"p99 is 8s\","
		    "\"ts\":\"1795510800.000100\",\"edited\":{\"user\":\"U1\","
		    "\"ts\":\"1795510900.000000\"}},\"previous_message\":{"
		    "\"user\":\"U1\",\"text\":\"p99 is 4s\",\"ts\":"
		    "\"1795510800.000100\"}}",
		    &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_int_equal(f.ev.kind, CHAT_EDIT);
	assert_string_equal(f.ev.ref, "1795510800.000100");
	assert_string_equal(f.ev.id, "edit-1795510900.000001");
	assert_string_equal(f.ev.text, "p99 is 8s");
	assert_int_equal(f.ev.ts, 1795510900000LL);
	slack_frame_release(&f);

	parse_event("{\"type\":\"message\",\"subtype\":\"message_deleted\","
		    "\"channel\":\"C1\",\"hidden\":true,\"deleted_ts\":"
		    "\"1795510800.000100\",\"event_ts\":\"1795510950.000001\","
		    "\"ts\":\"1795510950.000001\",\"previous_message\":{"
		    "\"user\":\"U1\",\"text\":\"secret\",\"ts\":"
		    "\"1795510800.000100\"}}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_DELETE);
	assert_string_equal(f.ev.ref, "1795510800.000100");
	assert_string_equal(f.ev.id, "delete-1795510950.000001");
	assert_string_equal(f.ev.author.id, "U1");
	slack_frame_release(&f);

	/* An edit without its message is malformed, still acked. */
	parse_event("{\"type\":\"message\",\"subtype\":\"message_changed\","
		    "\"channel\":\"C1\",\"event_ts\":\"1.0\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_INVALID);
	assert_string_equal(f.envelope_id, "env-1");
	slack_frame_release(&f);
}

static void test_file_and_reaction(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"subtype\":\"file_share\","
		    "\"channel\":\"C1\",\"user\":\"U3\",\"text\":\"the log\","
		    "\"ts\":\"1795510960.000001\",\"files\":[{\"id\":\"F1\","
		    "\"name\":\"error.log\",\"mimetype\":\"text/plain\","
		    "\"permalink\":\"https://x.slack.com/files/F1\"}]}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_FILE);
	assert_string_equal(f.ev.file_name, "error.log");
	assert_string_equal(f.ev.file_type, "text/plain");
	assert_string_equal(f.ev.file_url, "https://x.slack.com/files/F1");
	assert_string_equal(f.ev.text, "the log");
	slack_frame_release(&f);

	parse_event(
	    "{\"type\":\"reaction_added\",\"user\":\"U1\","
	    "\"reaction\":\"pushpin\",\"item_user\":\"U3\",\"item\":"
	    "{\"type\":\"message\",\"channel\":\"C1\",\"ts\":"
	    "\"1795510960.000001\"},\"event_ts\":\"1795510970.000001\"}",
	    &f);
	assert_int_equal(f.ev.kind, CHAT_REACTION);
	assert_string_equal(f.ev.emoji, "pushpin");
	assert_string_equal(f.ev.ref, "1795510960.000001");
	assert_string_equal(f.ev.room, "C1");
	assert_string_equal(f.ev.id, "Ev1");
	/* 📌: the message is pinned in the channel once this is recorded. */
	assert_non_null(f.ev.follow_up);
	assert_string_equal(f.ev.follow_up,
			    "{\"method\":\"pins.add\",\"args\":{\"channel\":"
			    "\"C1\",\"timestamp\":\"1795510960.000001\"}}");
	slack_frame_release(&f);

	parse_event("{\"type\":\"reaction_added\",\"user\":\"U1\","
		    "\"reaction\":\"eyes\",\"item\":{\"type\":\"message\","
		    "\"channel\":\"C1\",\"ts\":\"1795510960.000001\"},"
		    "\"event_ts\":\"1795510970.000002\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_REACTION);
	assert_null(f.ev.follow_up);
	slack_frame_release(&f);

	parse_event("{\"type\":\"reaction_added\",\"user\":\"U1\","
		    "\"reaction\":\"eyes\",\"item\":{\"type\":\"file\"},"
		    "\"event_ts\":\"1.0\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
}

static void test_joins_and_leaves(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_join\","
		    "\"channel\":\"C1\",\"user\":\"U2\",\"inviter\":\"U1\","
		    "\"text\":\"<@U2> has joined the channel\","
		    "\"ts\":\"1795510980.000001\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_int_equal(f.ev.kind, CHAT_MEMBER);
	assert_string_equal(f.ev.room, "C1");
	assert_string_equal(f.ev.id, "1795510980.000001");
	assert_string_equal(f.ev.author.id, "U2");
	/* Said by the one who joined, who is shown by name: not Slack's
	 * "<@U2> has joined", which would show the id. */
	assert_string_equal(f.ev.text, "joined the channel");
	assert_int_equal(f.ev.ts, 1795510980000LL);
	slack_frame_release(&f);
	/* A leave, without text; a join that starts with the bot's own
	 * mention is still a join, never a command. */
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_leave\","
		    "\"channel\":\"C1\",\"user\":\"U2\","
		    "\"ts\":\"1795510990.000001\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_MEMBER);
	assert_string_equal(f.ev.text, "left the channel");
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_join\","
		    "\"channel\":\"C1\",\"user\":\"U3\",\"text\":"
		    "\"<@U0BOT> close\",\"ts\":\"1795510990.000002\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_MEMBER);
	assert_string_equal(f.ev.text, "joined the channel");
	slack_frame_release(&f);
	/* The bot's own join is its own message. */
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_join\","
		    "\"channel\":\"C1\",\"user\":\"U0BOT\","
		    "\"ts\":\"1795510990.000003\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_join\","
		    "\"channel\":\"C1\",\"ts\":\"1795510990.000004\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_INVALID);
	slack_frame_release(&f);
	/* Other bookkeeping is still ignored. */
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_topic\","
		    "\"channel\":\"C1\",\"user\":\"U2\",\"topic\":\"x\","
		    "\"ts\":\"1795510990.000005\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
}

static void test_mentions_are_commands(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_event("{\"type\":\"app_mention\",\"channel\":\"C1\",\"user\":"
		    "\"U1\",\"text\":\"<@U0BOT> declare db down sev1\","
		    "\"ts\":\"1795511000.000001\",\"event_ts\":"
		    "\"1795511000.000001\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_string_equal(f.ev.text, "declare db down sev1");
	/* The same id as the message copy of the mention: one of the two
	 * is a duplicate. */
	assert_string_equal(f.ev.id, "1795511000.000001");
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
		    "\"text\":\"<@U0BOT|scribe>   status identified\","
		    "\"ts\":\"1795511000.000001\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_string_equal(f.ev.text, "status identified");
	slack_frame_release(&f);
	/* Mentioning someone else is a message. */
	parse_event("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
		    "\"text\":\"<@U2> can you look\",\"ts\":\"1.000002\"}",
		    &f);
	assert_int_equal(f.ev.kind, CHAT_MESSAGE);
	slack_frame_release(&f);
}

static void test_slash_commands(void **state)
{
	struct slack_frame f;

	(void)state;
	parse("{\"envelope_id\":\"env-2\",\"type\":\"slash_commands\","
	      "\"accepts_response_payload\":true,\"payload\":{\"team_id\":"
	      "\"T1\",\"channel_id\":\"C9\",\"user_id\":\"U1\",\"user_name\":"
	      "\"maria\",\"command\":\"/incident\",\"text\":\"declare Orders "
	      "down sev1\",\"trigger_id\":\"123.456.abc\"}}",
	      &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_true(f.accepts_response_payload);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_string_equal(f.ev.room, "C9");
	assert_string_equal(f.ev.author.name, "maria");
	assert_string_equal(f.ev.text, "declare Orders down sev1");
	assert_string_equal(f.ev.id, "slash-123.456.abc");
	assert_int_equal(f.ev.ts, NOW);
	slack_frame_release(&f);
	parse("{\"envelope_id\":\"env-3\",\"type\":\"slash_commands\","
	      "\"payload\":{\"channel_id\":\"C9\",\"user_id\":\"U1\","
	      "\"command\":\"/inc\",\"text\":\"\"}}",
	      &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_string_equal(f.ev.text, "");
	assert_string_equal(f.ev.id, "slash-env-3");
	slack_frame_release(&f);
	parse("{\"envelope_id\":\"env-4\",\"type\":\"slash_commands\","
	      "\"payload\":{\"channel_id\":\"C9\",\"user_id\":\"U1\","
	      "\"command\":\"/weather\",\"text\":\"\"}}",
	      &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
}

static void test_step_buttons(void **state)
{
	struct slack_frame f;

	(void)state;
	parse("{\"envelope_id\":\"env-5\",\"type\":\"interactive\","
	      "\"accepts_response_payload\":false,\"payload\":{\"type\":"
	      "\"block_actions\",\"user\":{\"id\":\"U1\",\"username\":"
	      "\"aisha\"},\"channel\":{\"id\":\"C9\"},\"trigger_id\":\"t1\","
	      "\"actions\":[{\"action_id\":\"step_done\",\"value\":\"S2\","
	      "\"type\":\"button\"}]}}",
	      &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_string_equal(f.ev.text, "step done S2");
	assert_string_equal(f.ev.author.name, "aisha");
	assert_string_equal(f.ev.id, "action-t1");
	/* No message in the payload: nothing to rewrite. */
	assert_null(f.ev.follow_up);
	slack_frame_release(&f);
	parse("{\"envelope_id\":\"env-6\",\"type\":\"interactive\","
	      "\"payload\":{\"type\":\"block_actions\",\"user\":{\"id\":"
	      "\"U1\"},\"channel\":{\"id\":\"C9\"},\"actions\":[{"
	      "\"action_id\":\"step_skip\",\"value\":\"S3\"}]}}",
	      &f);
	assert_string_equal(f.ev.text,
			    "step skip S3 (skipped from the button)");
	slack_frame_release(&f);
	parse("{\"envelope_id\":\"env-7\",\"type\":\"interactive\","
	      "\"payload\":{\"type\":\"block_actions\",\"user\":{\"id\":"
	      "\"U1\"},\"channel\":{\"id\":\"C9\"},\"actions\":[{"
	      "\"action_id\":\"step_done\",\"value\":\"S2; rm -rf\"}]}}",
	      &f);
	assert_int_equal(f.kind, SLACK_INVALID);
	slack_frame_release(&f);
}

/* A click on a step message that Slack sends whole: once recorded, the
 * message is updated, its buttons replaced by who did it and when. */
static void test_step_button_update(void **state)
{
	struct slack_frame f;
	cJSON *fu, *args, *blocks;
	const char *line;

	(void)state;
	parse("{\"envelope_id\":\"env-8\",\"type\":\"interactive\","
	      "\"payload\":{\"type\":\"block_actions\",\"user\":{\"id\":"
	      "\"U1\"},\"channel\":{\"id\":\"C9\"},\"container\":{"
	      "\"type\":\"message\",\"message_ts\":\"1795510000.000100\","
	      "\"channel_id\":\"C9\"},\"message\":{\"ts\":"
	      "\"1795510000.000100\",\"text\":\"S2 of 3: Find it\","
	      "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
	      "\"mrkdwn\",\"text\":\"S2 of 3: Find it\"}},{\"type\":"
	      "\"actions\",\"elements\":[]}]},\"actions\":[{\"action_id\":"
	      "\"step_skip\",\"value\":\"S2\"}]}}",
	      &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_non_null(f.ev.follow_up);
	fu = cJSON_Parse(f.ev.follow_up);
	assert_string_equal(cJSON_GetObjectItem(fu, "method")->valuestring,
			    "chat.update");
	args = cJSON_GetObjectItem(fu, "args");
	assert_string_equal(cJSON_GetObjectItem(args, "channel")->valuestring,
			    "C9");
	assert_string_equal(cJSON_GetObjectItem(args, "ts")->valuestring,
			    "1795510000.000100");
	blocks = cJSON_GetObjectItem(args, "blocks");
	/* The section stays, the buttons go, a context line says who. */
	assert_int_equal(cJSON_GetArraySize(blocks), 2);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 0), "type")
		->valuestring,
	    "section");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 1), "type")
		->valuestring,
	    "context");
	line = cJSON_GetObjectItem(
		   cJSON_GetArrayItem(
		       cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 1),
					   "elements"),
		       0),
		   "text")
		   ->valuestring;
	assert_string_equal(line, "\xe2\x8f\xad Skipped by <@U1> at "
				  "<!date^1795510800^{time}|09:00 UTC>");
	assert_non_null(strstr(cJSON_GetObjectItem(args, "text")->valuestring,
			       "Skipped by"));
	cJSON_Delete(fu);
	slack_frame_release(&f);
	/* An id that is not a plain Slack id is not written into mrkdwn. */
	parse("{\"envelope_id\":\"env-9\",\"type\":\"interactive\","
	      "\"payload\":{\"type\":\"block_actions\",\"user\":{\"id\":"
	      "\"U1><!here\"},\"channel\":{\"id\":\"C9\"},\"container\":{"
	      "\"message_ts\":\"1.2\"},\"message\":{\"blocks\":[]},"
	      "\"actions\":[{\"action_id\":\"step_done\",\"value\":"
	      "\"S2\"}]}}",
	      &f);
	assert_int_equal(f.ev.kind, CHAT_COMMAND);
	assert_null(f.ev.follow_up);
	slack_frame_release(&f);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[1,2]",
	    "\"hello\"",
	    "{\"type\":\"events_api\"}",
	    "{\"envelope_id\":\"e\",\"type\":\"events_api\"}",
	    "{\"envelope_id\":\"e\",\"type\":\"events_api\",\"payload\":"
	    "{\"type\":\"event_callback\"}}",
	    "{\"envelope_id\":\"e\",\"type\":\"events_api\",\"payload\":"
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\","
	    "\"channel\":5,\"user\":\"U1\",\"ts\":\"1.0\"}}}",
	    "{\"envelope_id\":\"e\",\"type\":\"events_api\",\"payload\":"
	    "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\","
	    "\"channel\":\"C1\",\"user\":\"U1\",\"ts\":\"yesterday\"}}}",
	    "{\"envelope_id\":\"e\",\"type\":\"slash_commands\","
	    "\"payload\":{\"command\":\"/incident\"}}",
	};
	struct slack_frame f;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i], &f);
		assert_int_equal(f.kind, SLACK_INVALID);
		assert_true(f.reason[0]);
		slack_frame_release(&f);
	}
	/* Unknown but well-formed things are acked and ignored. */
	parse("{\"envelope_id\":\"e\",\"type\":\"something_new\","
	      "\"payload\":{}}",
	      &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
	parse_event("{\"type\":\"message\",\"subtype\":\"channel_name\","
		    "\"channel\":\"C1\",\"user\":\"U1\",\"ts\":\"1.0\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_IGNORED);
	slack_frame_release(&f);
}

/* A bad ts is named as the problem, not reported as a missing field. */
static void test_bad_ts(void **state)
{
	static const char *const bad[] = {"1700000000.1234567", "1.2.3",
					  "-1.000001", "1700000000.", "x"};
	char ev[256];
	struct slack_frame f;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(ev, sizeof(ev),
			 "{\"type\":\"message\",\"channel\":\"C1\","
			 "\"user\":\"U1\",\"ts\":\"%s\"}",
			 bad[i]);
		parse_event(ev, &f);
		if (!strcmp(bad[i], "1700000000.")) {
			/* a dot and no digits is still seconds */
			assert_int_equal(f.kind, SLACK_EVENT);
			slack_frame_release(&f);
			continue;
		}
		assert_int_equal(f.kind, SLACK_INVALID);
		assert_non_null(strstr(f.reason, bad[i]));
		assert_non_null(strstr(f.reason, "is not a Slack timestamp"));
		slack_frame_release(&f);
	}
	parse_event("{\"type\":\"message\",\"channel\":\"C1\","
		    "\"user\":\"U1\"}",
		    &f);
	assert_int_equal(f.kind, SLACK_INVALID);
	assert_string_equal(f.reason, "a message needs channel, ts and user");
	slack_frame_release(&f);
}

static void test_retry_and_ack(void **state)
{
	struct slack_frame f;
	char *ack;

	(void)state;
	parse("{\"envelope_id\":\"env-9\",\"type\":\"events_api\","
	      "\"retry_attempt\":2,\"retry_reason\":\"timeout\",\"payload\":"
	      "{\"type\":\"event_callback\",\"event_id\":\"Ev9\",\"event\":"
	      "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
	      "\"text\":\"x\",\"ts\":\"1.000001\"}}}",
	      &f);
	assert_int_equal(f.retry_attempt, 2);
	assert_int_equal(f.kind, SLACK_EVENT);
	ack = slack_ack(f.envelope_id);
	assert_string_equal(ack, "{\"envelope_id\":\"env-9\"}");
	free(ack);
	ack = slack_ack("c67a03d0-4094-4744-90ca-d286e00a3ab1");
	assert_string_equal(
	    ack, "{\"envelope_id\":\"c67a03d0-4094-4744-90ca-d286e00a3ab1\"}");
	free(ack);
	/* Anything else is escaped, whatever Slack sends. */
	ack = slack_ack("a\"b\\c");
	assert_string_equal(ack, "{\"envelope_id\":\"a\\\"b\\\\c\"}");
	free(ack);
	slack_frame_release(&f);
}

/* The unescaping before its fast path, kept as the reference: the stored
 * text must stay byte-identical. */
static char *unescape_reference(const char *s)
{
	static const struct {
		const char *from;
		char to;
	} map[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
	char *out = xmalloc(strlen(s) + 1), *o = out;
	size_t i;

	while (*s) {
		for (i = 0; i < ARRAY_SIZE(map); i++) {
			size_t n = strlen(map[i].from);

			if (!strncmp(s, map[i].from, n)) {
				*o++ = map[i].to;
				s += n;
				break;
			}
		}
		if (i == ARRAY_SIZE(map))
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static void assert_unescapes_as_reference(const char *text)
{
	struct slack_frame f;
	char *event, *want = unescape_reference(text);

	event = xasprintf("{\"type\":\"message\",\"channel\":\"C1\","
			  "\"user\":\"U1\",\"text\":\"%s\","
			  "\"ts\":\"1795510800.000100\"}",
			  text);
	parse_event(event, &f);
	assert_int_equal(f.kind, SLACK_EVENT);
	assert_string_equal(f.ev.text, want);
	slack_frame_release(&f);
	free(event);
	free(want);
}

static void test_unescape_same_as_reference(void **state)
{
	static const char *const cases[] = {
	    "",
	    "plain",
	    "&",
	    "&&",
	    "&amp",
	    "&amp;",
	    "&amp;amp;",
	    "&amp;lt;",
	    "&lt;&gt;&amp;",
	    "a&gt;b&lt;c&amp;d",
	    "&&amp;&",
	    "x&",
	    "&l",
	    "&lt",
	    "&gt;;",
	    "&AMP;",
	    "caf\xc3\xa9 &amp; th\xc3\xa9",
	};
	/* Pieces that make entities, broken entities and plain runs. */
	static const char *const pieces[] = {
	    "&",    "amp", ";", "lt", "gt", "&amp;",    "&lt;",
	    "&gt;", "x",   " ", "<",  ">",  "\xc3\xa9", "a"};
	char text[256];
	size_t i, len;
	unsigned seed = 12;
	int k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_unescapes_as_reference(cases[i]);
	for (k = 0; k < 2000; k++) {
		text[0] = '\0';
		len = 0;
		while (len < 200) {
			const char *p =
			    pieces[rand_r(&seed) % ARRAY_SIZE(pieces)];

			memcpy(text + len, p, strlen(p) + 1);
			len += strlen(p);
			if (rand_r(&seed) % 40 == 0)
				break;
		}
		assert_unescapes_as_reference(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ts),
	    cmocka_unit_test(test_hello_and_disconnect),
	    cmocka_unit_test(test_message),
	    cmocka_unit_test(test_thread_reply_and_broadcast),
	    cmocka_unit_test(test_own_messages_ignored),
	    cmocka_unit_test(test_edit_and_delete),
	    cmocka_unit_test(test_file_and_reaction),
	    cmocka_unit_test(test_mentions_are_commands),
	    cmocka_unit_test(test_slash_commands),
	    cmocka_unit_test(test_step_buttons),
	    cmocka_unit_test(test_step_button_update),
	    cmocka_unit_test(test_joins_and_leaves),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_bad_ts),
	    cmocka_unit_test(test_retry_and_ack),
	    cmocka_unit_test(test_unescape_same_as_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
