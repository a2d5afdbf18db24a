/*
 * test_matrix_events.c - Matrix JSON into chat events
 * (bot/chat/matrix/events.c) and Scribe's outgoing contents
 * (bot/chat/matrix/format.c): sync and /messages bodies, every event
 * Scribe records, the ones it ignores, malformed ones; notices, rooms,
 * files. Shapes follow ../shared/specs/PROTOCOLS.md part B and the spec's
 * event examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "util/base.h"
#include "chat/matrix/events.h"
#include "chat/matrix/format.h"

#define SELF "@scribe:example.org"
#define ROOM "!inc1:example.org"

static struct mx_names names;
static cJSON *tree; /* the last event parsed: x points into it */

/* Parses one event given as JSON text. */
static void parse(const char *json, struct mx_event *x)
{
	cJSON_Delete(tree);
	tree = cJSON_Parse(json);
	assert_non_null(tree);
	mx_event_parse(tree, ROOM, SELF, &names, x);
}

static void test_sync_read(void **state)
{
	const char *body =
	    "{\"next_batch\":\"s72\",\"rooms\":{"
	    "\"join\":{\"!a:x\":{\"state\":{\"events\":[]},"
	    "\"timeline\":{\"events\":[{\"type\":\"m.room.message\"}],"
	    "\"limited\":true,\"prev_batch\":\"t34\"}},"
	    "\"!b:x\":{\"timeline\":{\"events\":[]}},\"!bad:x\":7},"
	    "\"invite\":{\"!c:x\":{\"invite_state\":{\"events\":["
	    "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@a:x\","
	    "\"content\":{\"name\":\"N\"}},"
	    "{\"type\":\"m.room.member\",\"state_key\":\"" SELF "\","
	    "\"sender\":\"@alice:x\",\"content\":{\"membership\":\"invite\"}}"
	    "]}}}}}";
	struct mx_sync s;
	char why[160];

	(void)state;
	assert_int_equal(
	    mx_sync_read(body, strlen(body), SELF, &s, why, sizeof(why)), 0);
	assert_string_equal(s.next_batch, "s72");
	assert_int_equal(s.nrooms, 2); /* "!bad:x" is not an object */
	assert_string_equal(s.rooms[0].id, "!a:x");
	assert_true(s.rooms[0].limited);
	assert_string_equal(s.rooms[0].prev_batch, "t34");
	assert_int_equal(cJSON_GetArraySize(s.rooms[0].timeline), 1);
	assert_false(s.rooms[1].limited);
	assert_int_equal(s.ninvites, 1);
	assert_string_equal(s.invites[0].room, "!c:x");
	assert_string_equal(s.invites[0].inviter, "@alice:x");
	mx_sync_release(&s);
}

static void test_sync_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[1,2]",
	    "{\"rooms\":{}}",
	    "{\"next_batch\":7}",
	    "{\"next_batch\":\"\"}",
	    "{\"next_batch\":\"s1\",\"rooms\":",
	};
	struct mx_sync s;
	char why[160];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(mx_sync_read(bad[i], strlen(bad[i]), SELF, &s,
					      why, sizeof(why)),
				 SCRIBE_EINVAL);
		assert_true(why[0] != '\0');
	}
	/* Wrong types inside are left out, not fatal. */
	const char *odd = "{\"next_batch\":\"s2\",\"rooms\":{\"join\":[1],"
			  "\"invite\":\"x\"}}";
	assert_int_equal(
	    mx_sync_read(odd, strlen(odd), SELF, &s, why, sizeof(why)), 0);
	assert_int_equal(s.nrooms, 0);
	assert_int_equal(s.ninvites, 0);
	mx_sync_release(&s);
}

static void test_page_read(void **state)
{
	const char *body = "{\"start\":\"t9\",\"end\":\"t5\",\"chunk\":[{},{}],"
			   "\"state\":[]}";
	const char *last = "{\"start\":\"t5\",\"chunk\":[]}";
	struct mx_page p;
	char why[160];

	(void)state;
	assert_int_equal(mx_page_read(body, strlen(body), &p, why, sizeof(why)),
			 0);
	assert_string_equal(p.end, "t5");
	assert_int_equal(cJSON_GetArraySize(p.chunk), 2);
	mx_page_release(&p);
	assert_int_equal(mx_page_read(last, strlen(last), &p, why, sizeof(why)),
			 0);
	assert_null(p.end); /* the start of the history */
	mx_page_release(&p);
	assert_int_equal(mx_page_read("{}", 2, &p, why, sizeof(why)),
			 SCRIBE_EINVAL);
}

#define EV(type, content)                                                      \
	"{\"type\":\"" type "\",\"event_id\":\"$e1\",\"sender\":\"@alice:x\"," \
	"\"origin_server_ts\":1432735824653,\"content\":" content "}"

static void test_text_and_names(void **state)
{
	struct mx_event x;
	cJSON *members = cJSON_Parse(
	    "[{\"type\":\"m.room.member\",\"state_key\":\"@alice:x\","
	    "\"sender\":\"@alice:x\",\"content\":{\"membership\":\"join\","
	    "\"displayname\":\"Alice A\"}},"
	    "{\"type\":\"m.room.member\",\"state_key\":\"@bob:x\","
	    "\"content\":{\"membership\":\"join\",\"displayname\":7}}]");

	(void)state;
	parse(EV("m.room.message", "{\"msgtype\":\"m.text\",\"body\":\"db "
				   "is down\"}"),
	      &x);
	assert_int_equal(x.kind, MX_EVENT);
	assert_int_equal(x.ev.kind, CHAT_MESSAGE);
	assert_string_equal(x.ev.platform, "matrix");
	assert_string_equal(x.ev.room, ROOM);
	assert_string_equal(x.ev.id, "$e1");
	assert_string_equal(x.ev.text, "db is down");
	assert_int_equal(x.ev.len, 10);
	assert_int_equal(x.ev.ts, 1432735824653LL);
	assert_string_equal(x.ev.author.id, "@alice:x");
	assert_string_equal(x.ev.author.name, "@alice:x"); /* not known yet */
	assert_null(x.ev.thread);
	mx_event_release(&x);

	mx_names_learn(&names, members);
	assert_string_equal(mx_names_get(&names, "@alice:x"), "Alice A");
	assert_null(mx_names_get(&names, "@bob:x")); /* not a string */
	parse(EV("m.room.message", "{\"msgtype\":\"m.notice\",\"body\":\"n\"}"),
	      &x);
	assert_string_equal(x.ev.author.name, "Alice A");
	mx_event_release(&x);
	cJSON_Delete(members);
}

static void test_kinds(void **state)
{
	struct mx_event x;

	(void)state;
	/* m.emote */
	parse(EV("m.room.message",
		 "{\"msgtype\":\"m.emote\",\"body\":\"rolls back\"}"),
	      &x);
	assert_string_equal(x.ev.text, "* rolls back");
	mx_event_release(&x);

	/* A file with a caption (Matrix 1.10: filename differs from body). */
	parse(EV("m.room.message",
		 "{\"msgtype\":\"m.file\",\"body\":\"the plan\","
		 "\"filename\":\"plan.pdf\",\"url\":\"mxc://x/abc\","
		 "\"info\":{\"mimetype\":\"application/pdf\",\"size\":3}}"),
	      &x);
	assert_int_equal(x.ev.kind, CHAT_FILE);
	assert_string_equal(x.ev.file_name, "plan.pdf");
	assert_string_equal(x.ev.file_type, "application/pdf");
	assert_string_equal(x.ev.file_url, "mxc://x/abc");
	assert_string_equal(x.ev.text, "the plan");
	mx_event_release(&x);

	/* An image without filename or info: the body is its name. */
	parse(EV("m.room.message", "{\"msgtype\":\"m.image\",\"body\":"
				   "\"graph.png\",\"url\":\"mxc://x/g\"}"),
	      &x);
	assert_int_equal(x.ev.kind, CHAT_FILE);
	assert_string_equal(x.ev.file_name, "graph.png");
	assert_string_equal(x.ev.file_type, "image");
	assert_string_equal(x.ev.text, "");
	mx_event_release(&x);

	/* An edit names the original and carries the new text. */
	parse(
	    EV("m.room.message",
	       "{\"msgtype\":\"m.text\",\"body\":\"* fixed\","
	       "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"fixed\"},"
	       "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":"
	       "\"$orig\"}}"),
	    &x);
	assert_int_equal(x.ev.kind, CHAT_EDIT);
	assert_string_equal(x.ev.ref, "$orig");
	assert_string_equal(x.ev.text, "fixed");
	mx_event_release(&x);

	/* A thread reply names its root. */
	parse(EV("m.room.message",
		 "{\"msgtype\":\"m.text\",\"body\":\"in thread\","
		 "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":"
		 "\"$root\",\"is_falling_back\":true,\"m.in_reply_to\":{"
		 "\"event_id\":\"$root\"}}}"),
	      &x);
	assert_string_equal(x.ev.thread, "$root");
	assert_string_equal(x.ev.text, "in thread");
	mx_event_release(&x);

	/* A reply's quoted fallback is left out. */
	parse(EV("m.room.message",
		 "{\"msgtype\":\"m.text\",\"body\":\"> <@bob:x> is it "
		 "up?\\n> really?\\n\\nyes, since 10:02\","
		 "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}"),
	      &x);
	assert_string_equal(x.ev.text, "yes, since 10:02");
	mx_event_release(&x);

	/* Redactions: content.redacts (v11) and the older top level. */
	parse(EV("m.room.redaction", "{\"redacts\":\"$gone\"}"), &x);
	assert_int_equal(x.ev.kind, CHAT_DELETE);
	assert_string_equal(x.ev.ref, "$gone");
	mx_event_release(&x);
	parse("{\"type\":\"m.room.redaction\",\"event_id\":\"$r\",\"sender\":"
	      "\"@a:x\",\"origin_server_ts\":1,\"redacts\":\"$old\","
	      "\"content\":{}}",
	      &x);
	assert_int_equal(x.kind, MX_EVENT);
	assert_string_equal(x.ev.ref, "$old");
	mx_event_release(&x);

	/* Reactions: the emoji without its variation selector. */
	parse(EV("m.reaction", "{\"m.relates_to\":{\"rel_type\":\"m."
			       "annotation\",\"event_id\":\"$t\",\"key\":"
			       "\"\xe2\x9c\x85\xef\xb8\x8f\"}}"),
	      &x);
	assert_int_equal(x.ev.kind, CHAT_REACTION);
	assert_string_equal(x.ev.ref, "$t");
	assert_string_equal(x.ev.emoji, "\xe2\x9c\x85");
	mx_event_release(&x);

	/* Encrypted: recorded as unreadable, and flagged. */
	parse(EV("m.room.encrypted", "{\"algorithm\":\"m.megolm.v1.aes-sha2\","
				     "\"ciphertext\":\"AwgA\"}"),
	      &x);
	assert_int_equal(x.kind, MX_EVENT);
	assert_true(x.encrypted);
	assert_non_null(strstr(x.ev.text, "not readable"));
	mx_event_release(&x);
}

static void test_members(void **state)
{
	struct mx_event x;

	(void)state;
	parse("{\"type\":\"m.room.member\",\"state_key\":\"@carol:x\","
	      "\"event_id\":\"$j\",\"sender\":\"@carol:x\","
	      "\"origin_server_ts\":5,\"content\":{\"membership\":\"join\"}}",
	      &x);
	assert_int_equal(x.kind, MX_EVENT);
	assert_int_equal(x.ev.kind, CHAT_MEMBER);
	assert_string_equal(x.ev.author.id, "@carol:x");
	assert_string_equal(x.ev.text, "joined the room");
	mx_event_release(&x);
	/* A profile change is a join after a join: not a coming. */
	parse("{\"type\":\"m.room.member\",\"state_key\":\"@carol:x\","
	      "\"event_id\":\"$p\",\"sender\":\"@carol:x\","
	      "\"origin_server_ts\":6,\"content\":{\"membership\":\"join\","
	      "\"displayname\":\"C\"},\"unsigned\":{\"prev_content\":{"
	      "\"membership\":\"join\"}}}",
	      &x);
	assert_int_equal(x.kind, MX_IGNORED);
	mx_event_release(&x);
	parse("{\"type\":\"m.room.member\",\"state_key\":\"@carol:x\","
	      "\"event_id\":\"$k\",\"sender\":\"@alice:x\","
	      "\"origin_server_ts\":7,\"content\":{\"membership\":\"leave\"}}",
	      &x);
	assert_string_equal(x.ev.text, "was removed from the room");
	mx_event_release(&x);
	parse("{\"type\":\"m.room.topic\",\"state_key\":\"\","
	      "\"event_id\":\"$t\",\"sender\":\"@alice:x\","
	      "\"origin_server_ts\":7,\"content\":{\"topic\":\"x\"}}",
	      &x);
	assert_int_equal(x.kind, MX_IGNORED);
	mx_event_release(&x);
}

static void test_own_and_ignored(void **state)
{
	struct mx_event x;

	(void)state;
	parse("{\"type\":\"m.room.message\",\"event_id\":\"$s\",\"sender\":"
	      "\"" SELF "\",\"origin_server_ts\":1,\"content\":{\"msgtype\":"
	      "\"m.notice\",\"body\":\"step\",\"" MX_STEP_KEY "\":\"S2\"}}",
	      &x);
	assert_int_equal(x.kind, MX_IGNORED);
	assert_string_equal(x.step, "S2");
	assert_string_equal(x.ev.id, "$s");
	mx_event_release(&x);
	parse(EV("m.sticker", "{\"body\":\"cat\"}"), &x);
	assert_int_equal(x.kind, MX_IGNORED);
	assert_non_null(strstr(x.reason, "m.sticker"));
	mx_event_release(&x);
	/* A message without content (not marked redacted) says nothing. */
	parse(EV("m.room.message", "{}"), &x);
	assert_int_equal(x.kind, MX_IGNORED);
	mx_event_release(&x);
	/* One redacted before Scribe saw it is kept, without its text. */
	parse("{\"type\":\"m.room.message\",\"event_id\":\"$gone\",\"sender\":"
	      "\"@a:x\",\"origin_server_ts\":1,\"content\":{},\"unsigned\":{"
	      "\"redacted_because\":{\"type\":\"m.room.redaction\"}}}",
	      &x);
	assert_int_equal(x.kind, MX_EVENT);
	assert_int_equal(x.ev.kind, CHAT_MESSAGE);
	assert_string_equal(x.ev.text, "");
	mx_event_release(&x);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "{}",
	    "[]",
	    "{\"type\":\"m.room.message\",\"sender\":\"@a:x\","
	    "\"origin_server_ts\":1,\"content\":{}}",
	    "{\"type\":\"m.room.message\",\"event_id\":7,\"sender\":\"@a:x\","
	    "\"origin_server_ts\":1,\"content\":{}}",
	    "{\"type\":\"m.room.message\",\"event_id\":\"$x\",\"sender\":"
	    "\"@a:x\",\"origin_server_ts\":\"1\",\"content\":{}}",
	    "{\"type\":\"m.room.message\",\"event_id\":\"$x\",\"sender\":"
	    "\"@a:x\",\"origin_server_ts\":-5,\"content\":{}}",
	    "{\"type\":\"m.room.message\",\"event_id\":\"$x\",\"sender\":"
	    "\"@a:x\",\"origin_server_ts\":1e300,\"content\":{}}",
	    "{\"type\":\"m.room.message\",\"event_id\":\"$x\",\"sender\":"
	    "\"@a:x\",\"origin_server_ts\":1,\"content\":[]}",
	    EV("m.room.message",
	       "{\"msgtype\":\"m.text\",\"body\":\"*x\",\"m.relates_to\":{"
	       "\"rel_type\":\"m.replace\",\"event_id\":\"$o\"}}"),
	    EV("m.reaction", "{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
			     "\"event_id\":\"$t\"}}"),
	    EV("m.reaction", "{\"m.relates_to\":{\"rel_type\":\"m.reference\","
			     "\"event_id\":\"$t\",\"key\":\"x\"}}"),
	    EV("m.room.redaction", "{\"redacts\":5}"),
	};
	struct mx_event x;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i], &x);
		assert_int_equal(x.kind, MX_INVALID);
		assert_true(x.reason[0] != '\0');
		mx_event_release(&x);
	}
}

static void test_notice(void **state)
{
	cJSON *o = mx_notice("**Sev1** <script>alert(1)</script> & more", NULL);
	const char *html;

	(void)state;
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "msgtype")),
	    "m.notice");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "body")),
	    "**Sev1** <script>alert(1)</script> & more");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "format")),
	    "org.matrix.custom.html");
	html = cJSON_GetStringValue(cJSON_GetObjectItem(o, "formatted_body"));
	assert_non_null(strstr(html, "<strong>Sev1</strong>"));
	assert_null(strstr(html, "<script>")); /* raw HTML is text */
	assert_non_null(strstr(html, "&lt;script&gt;"));
	/* Nobody is notified by what Scribe repeats. */
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(o, "m.mentions")), 0);
	assert_null(cJSON_GetObjectItem(o, MX_STEP_KEY));
	cJSON_Delete(o);

	o = mx_notice("unknown command 'decalre'", "@alice:x");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "body")),
	    "@alice:x: unknown command 'decalre'");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(o, "m.mentions"),
				    "user_ids"),
		0)),
	    "@alice:x");
	cJSON_Delete(o);

	o = mx_notice("\xe2\x96\xb6 db-deadlock \xc2\xb7 S2 of 7: Find the "
		      "blocker",
		      NULL);
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, MX_STEP_KEY)), "S2");
	assert_non_null(
	    strstr(cJSON_GetStringValue(cJSON_GetObjectItem(o, "body")),
		   "\xe2\x9c\x85"));
	cJSON_Delete(o);
}

static void test_notice_cut(void **state)
{
	char *big = xmalloc(100001);
	cJSON *o;
	const char *body;
	size_t i;

	(void)state;
	/* Three-byte characters, so a cut in the middle would show. */
	for (i = 0; i + 3 <= 100000; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);
	big[i] = '\0';
	o = mx_notice(big, NULL);
	body = cJSON_GetStringValue(cJSON_GetObjectItem(o, "body"));
	assert_true(strlen(body) <= MX_BODY_MAX);
	assert_int_equal(strlen(body) % 3, 0);
	cJSON_Delete(o);
	free(big);
}

static void test_create_room(void **state)
{
	const char *req = "{\"name\":\"inc-4-orders-db\",\"title\":\"INC-4 "
			  "Orders db\",\"topic\":\"sev1 · investigating\","
			  "\"commander\":\"@alice:x\",\"invite\":[\"@alice:x\","
			  "\"" SELF "\",\"console-user\",\"@bob:x\",7]}";
	cJSON *o = mx_create_room(req, SELF, 0), *pl;

	(void)state;
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "preset")),
	    "private_chat");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")),
	    "INC-4 Orders db");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "topic")),
	    "sev1 · investigating");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "room_alias_name")),
	    "inc-4-orders-db");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "invite")),
			 2);
	pl = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "power_level_content_override"), "users");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(pl, SELF)),
			 100);
	assert_int_equal(
	    cJSON_GetNumberValue(cJSON_GetObjectItem(pl, "@alice:x")), 50);
	cJSON_Delete(o);

	o = mx_create_room(req, SELF, 1); /* after M_ROOM_IN_USE */
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "room_alias_name")),
	    "inc-4-orders-db-2");
	cJSON_Delete(o);
	assert_null(mx_create_room("not json", SELF, 0));
}

static void test_file(void **state)
{
	cJSON *o =
	    mx_file("INC-4-orders-db.md", "mxc://x/pm", "text/markdown", 1234);

	(void)state;
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "msgtype")), "m.file");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "url")),
			    "mxc://x/pm");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(
			     cJSON_GetObjectItem(o, "info"), "size")),
			 1234);
	cJSON_Delete(o);
}

static int teardown(void **state)
{
	(void)state;
	mx_names_release(&names);
	cJSON_Delete(tree);
	tree = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_read),
	    cmocka_unit_test(test_sync_refused),
	    cmocka_unit_test(test_page_read),
	    cmocka_unit_test(test_text_and_names),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_own_and_ignored),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_notice),
	    cmocka_unit_test(test_notice_cut),
	    cmocka_unit_test(test_create_room),
	    cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
