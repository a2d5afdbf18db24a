/*
 * test_app_outbox.c - the transactional outbox with a transport that
 * answers later, as Slack and Matrix do (bot/app.c): rows for a channel
 * that does not exist yet wait for app_room_created(); a row taken with
 * SCRIBE_EPENDING is not offered twice; a failed delivery is retried after
 * the delay the transport asks for; rows of one room are offered in order;
 * and everything is marked sent in the end; and the transports' side of
 * it, their lines per room (bot/chat/lines.c). A real libuv loop and a
 * real SQLite store in a temp folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "util/base.h"
#include "app.h"
#include "chat/lines.h"
#include "store/store.h"

#define MAX_SEEN 64

/* A transport whose deliveries complete on the next loop turn. */
struct later {
	struct chat chat;
	struct app *app;
	uv_loop_t *loop;
	uv_timer_t tick;
	int64_t pending[MAX_SEEN]; /* rows taken, not answered yet */
	char *pending_kind[MAX_SEEN];
	int64_t pending_incident[MAX_SEEN];
	size_t npending;
	int64_t offered[MAX_SEEN]; /* every row id offered, in order */
	char *offered_room[MAX_SEEN];
	size_t noffered;
	int fail_first; /* rows to fail once before succeeding */
	int failed;
};

static void answer(uv_timer_t *h)
{
	struct later *t = h->data;
	size_t n = t->npending, i;
	int64_t ids[MAX_SEEN], incs[MAX_SEEN];
	char *kinds[MAX_SEEN];

	memcpy(ids, t->pending, n * sizeof(*ids));
	memcpy(incs, t->pending_incident, n * sizeof(*incs));
	memcpy(kinds, t->pending_kind, n * sizeof(*kinds));
	t->npending = 0;
	for (i = 0; i < n; i++) {
		if (!strcmp(kinds[i], "create_room"))
			assert_int_equal(
			    app_room_created(t->app, incs[i], "C42", "inc-1-x"),
			    0);
		if (t->failed < t->fail_first &&
		    strcmp(kinds[i], "create_room")) {
			t->failed++;
			app_delivered(t->app, ids[i], SCRIBE_EIO, 5);
		} else {
			app_delivered(t->app, ids[i], 0, 0);
		}
		free(kinds[i]);
	}
}

static int later_deliver(struct chat *c, const struct outbox_row *row,
			 const char *room)
{
	struct later *t = c->impl;

	assert_true(t->noffered < MAX_SEEN && t->npending < MAX_SEEN);
	t->offered[t->noffered] = row->id;
	t->offered_room[t->noffered++] = room ? xstrdup(room) : NULL;
	t->pending[t->npending] = row->id;
	t->pending_incident[t->npending] = row->incident_id;
	t->pending_kind[t->npending++] = xstrdup(row->kind);
	uv_timer_start(&t->tick, answer, 0, 0);
	return SCRIBE_EPENDING;
}

static const struct chat_ops later_ops = {
    .name = "later",
    .room_for_channel = NULL,
    .deliver = later_deliver,
};

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	struct store *st;
	uv_loop_t loop;
	struct app app;
	struct later t;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/scribe-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.db", f->dir);
	config_defaults(&f->cfg);
	assert_int_equal(store_open(&f->st, f->path, err, sizeof(err)), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	app_init(&f->app, &f->cfg, f->st, &f->loop);
	/* The app does not let retries keep a loop alive (a transport's
	 * socket does); here nothing else would, so the test lets them. */
	uv_ref((uv_handle_t *)&f->app.retry);
	f->t.chat.ops = &later_ops;
	f->t.chat.impl = &f->t;
	f->t.app = &f->app;
	f->t.loop = &f->loop;
	uv_timer_init(&f->loop, &f->t.tick);
	f->t.tick.data = &f->t;
	app_add_transport(&f->app, &f->t.chat);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	size_t i;

	app_release(&f->app);
	uv_close((uv_handle_t *)&f->t.tick, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	store_close(f->st);
	config_release(&f->cfg);
	for (i = 0; i < f->t.noffered; i++)
		free(f->t.offered_room[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void say(struct fixture *f, const char *room, const char *id,
		const char *text)
{
	struct chat_event ev = {
	    .kind = CHAT_MESSAGE,
	    .platform = "later",
	    .room = room,
	    .id = id,
	    .author = {.id = "U1", .name = "maria"},
	    .ts = 1795510800000LL,
	    .text = text,
	    .len = strlen(text),
	};
	struct app_result res;

	assert_int_equal(app_event(&f->app, &ev, &res), 0);
	app_result_release(&res);
}

static int64_t pending(struct fixture *f)
{
	int64_t n = -1;

	assert_int_equal(store_outbox_pending(f->st, "later", &n), 0);
	return n;
}

/* Runs the loop until the outbox is empty (bounded by turns, not time). */
static void drain(struct fixture *f)
{
	int turns;

	for (turns = 0; turns < 100000 && pending(f); turns++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(pending(f), 0);
}

static void test_rooms_wait_for_their_channel(void **state)
{
	struct fixture *f = *state;
	struct incident inc;
	size_t i;

	say(f, "C1", "m1", "!inc declare Orders down sev2");
	assert_int_equal(app_flush(&f->app), 0);
	/* Only the channel is asked for at first; the declare reply in C1
	 * goes too; the incident channel's posts wait. */
	assert_true(f->t.noffered >= 1);
	for (i = 0; i < f->t.noffered; i++)
		assert_true(f->t.offered_room[i] == NULL ||
			    !strcmp(f->t.offered_room[i], "C1"));
	drain(f);
	assert_int_equal(store_incident_load(f->st, 1, &inc), 0);
	assert_string_equal(inc.room, "C42");
	incident_release(&inc);
	/* The welcome post went to the new channel. */
	for (i = 0; i < f->t.noffered; i++)
		if (f->t.offered_room[i] &&
		    !strcmp(f->t.offered_room[i], "C42"))
			break;
	assert_true(i < f->t.noffered);
	/* Every row offered exactly once. */
	for (i = 1; i < f->t.noffered; i++)
		assert_true(f->t.offered[i] != f->t.offered[i - 1]);
}

static void test_failures_are_retried_in_order(void **state)
{
	struct fixture *f = *state;
	size_t i, first;

	say(f, "C1", "m1", "!inc declare Orders down sev2");
	assert_int_equal(app_flush(&f->app), 0);
	drain(f);
	first = f->t.noffered;
	f->t.fail_first = 2;
	say(f, "C42", "m2", "!inc note one");
	say(f, "C42", "m3", "!inc note two");
	assert_int_equal(app_flush(&f->app), 0);
	drain(f);
	assert_int_equal(f->t.failed, 2);
	/* Two rows, each failed once and offered again: four offers, and
	 * each row's retry comes after its first offer. */
	assert_int_equal(f->t.noffered - first, 4);
	for (i = first; i < f->t.noffered; i++)
		assert_string_equal(f->t.offered_room[i], "C42");
}

static void on_cursor(void *ud, int status)
{
	int *calls = ud;

	assert_int_equal(status, 0);
	(*calls)++;
}

/* A transport's resume point is written in the batch of the events it
 * follows and acknowledged only after that commit (Matrix next_batch);
 * its own notice goes through the outbox like any post. */
static void test_cursor_commits_with_its_events(void **state)
{
	struct fixture *f = *state;
	int calls = 0;
	char *v = NULL;

	say(f, "C1", "m1", "!inc declare Orders down sev2");
	assert_int_equal(app_cursor(&f->app, "later", "s42", on_cursor, &calls),
			 0);
	assert_int_equal(app_post(&f->app, "later", "C9",
				  "this room is "
				  "encrypted"),
			 0);
	assert_true(store_in_transaction(f->st));
	assert_int_equal(calls, 0); /* not before the commit */
	assert_int_equal(app_flush(&f->app), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(store_cursor_get(f->st, "later", &v), 0);
	assert_string_equal(v, "s42");
	free(v);
	drain(f);
	assert_int_equal(f->t.noffered >= 1, 1);
	bool told = false;
	for (size_t i = 0; i < f->t.noffered; i++)
		if (f->t.offered_room[i] && !strcmp(f->t.offered_room[i], "C9"))
			told = true;
	assert_true(told);
}

/* The create_room request names the incident's title and commander (who
 * gets moderator rights in Matrix). */
static void test_room_request_names_the_commander(void **state)
{
	struct fixture *f = *state;
	char cmd[256], out[512] = "";
	FILE *p;

	say(f, "C1", "m1", "!inc declare Orders down sev2");
	assert_int_equal(app_flush(&f->app), 0);
	snprintf(cmd, sizeof(cmd),
		 "sqlite3 %s \"select body from outbox where kind = "
		 "'create_room'\"",
		 f->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	assert_non_null(strstr(out, "\"title\":\"INC-1 Orders down\""));
	assert_non_null(strstr(out, "\"commander\":\"U1\""));
	drain(f);
}

/* ---- the lines of a transport (bot/chat/lines.c) ---------------------- */

struct sent {
	int64_t rows[16];
	size_t n;
	int answer; /* what send returns */
};

static int record_send(void *owner, struct chat_job *j)
{
	struct sent *s = owner;

	assert_true(s->n < ARRAY_SIZE(s->rows));
	s->rows[s->n++] = j->row;
	return s->answer;
}

static void add(struct chat_lines *l, struct sent *s, int64_t id,
		const char *room, bool loose)
{
	struct outbox_row row = {.id = id, .kind = "message", .body = "x"};

	chat_lines_add(l, s, &row, room, loose);
}

static struct chat_job *job(struct chat_lines *l, int64_t row)
{
	struct chat_job *j;

	for (j = l->jobs; j; j = j->next)
		if (j->row == row)
			return j;
	return NULL;
}

/* One request in flight per room, in order; loose rows wait for nothing;
 * a hold delays a room's line; a row that cannot be sent is done. */
static void test_lines_keep_rooms_in_order(void **state)
{
	struct fixture *f = *state;
	struct chat_lines l = {.app = &f->app};
	struct sent s = {0};

	add(&l, &s, 1, "C1", false);
	add(&l, &s, 2, "C1", false);
	add(&l, &s, 3, "C2", false);
	add(&l, &s, 4, "C1", true);
	assert_int_equal(chat_lines_pump(&l, 1000, record_send), 0);
	assert_int_equal(s.n, 3); /* 1 and 3 lead their lines; 4 is loose */
	assert_int_equal(s.rows[0], 1);
	assert_int_equal(s.rows[1], 3);
	assert_int_equal(s.rows[2], 4);
	/* Nothing more while they are in flight. */
	assert_int_equal(chat_lines_pump(&l, 1000, record_send), 0);
	assert_int_equal(s.n, 3);
	/* 1 is answered; C1 is held (a 429): 2 waits for the hold. */
	chat_lines_done(&l, job(&l, 1), 0);
	chat_lines_hold(&l, "C1", 5000);
	assert_int_equal(chat_lines_pump(&l, 1000, record_send), 5000);
	assert_int_equal(s.n, 3);
	assert_int_equal(chat_lines_pump(&l, 5000, record_send), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.rows[3], 2);
	/* A row that can never be sent is done with. */
	s.answer = SCRIBE_EINVAL;
	add(&l, &s, 5, "C3", false);
	chat_lines_pump(&l, 5000, record_send);
	assert_null(job(&l, 5));
	chat_lines_release(&l);
	assert_null(l.jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rooms_wait_for_their_channel,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines_keep_rooms_in_order,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cursor_commits_with_its_events,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_room_request_names_the_commander, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failures_are_retried_in_order,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
