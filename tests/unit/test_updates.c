/*
 * test_updates.c - status updates, announcements and update reminders in
 * the pure core (bot/core/updates.c): `update`, `remind`, the
 * announcements of declare, resolve and close, and when a reminder is due.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "util/base.h"
#include "config.h"
#include "core/core.h"
#include "core/model.h"
#include "core/when.h"

#define MIN  ((int64_t)60 * 1000)
#define HOUR (60 * MIN)
/* 2026-11-24 14:00:00 UTC. */
#define T0 ((int64_t)1795528800 * 1000)

static struct config cfg;
static const struct user maria = {(char *)"U1", (char *)"maria"};

/* Runs line typed in room by maria at now, on the incident inc (NULL for
 * a declare), on Slack. */
static int run(struct incident *inc, const char *room, int64_t now,
	       const char *line, struct effects *fx)
{
	struct core_req req;
	struct core_env env = {
	    .cfg = &cfg,
	    .now = now,
	    .next_id = 7,
	    .platform = "slack",
	    .room = room,
	    .speaker = maria,
	};
	int rc;

	memset(fx, 0, sizeof(*fx));
	core_parse(&req, line);
	if (req.need & NEED_INCIDENT)
		env.inc = inc;
	rc = core_run(&req, &env, fx);
	core_req_release(&req);
	return rc;
}

/* The post to room (NULL: the incident's channel) containing needle. */
static const struct fx_post *post(const struct effects *fx, const char *room,
				  const char *needle)
{
	size_t i;

	for (i = 0; i < fx->nposts; i++) {
		const struct fx_post *p = &fx->posts[i];

		if ((room ? p->room && !strcmp(p->room, room) : !p->room) &&
		    strstr(p->text, needle))
			return p;
	}
	for (i = 0; i < fx->nposts; i++)
		print_message("post %zu in %s: %s\n", i,
			      fx->posts[i].room ? fx->posts[i].room : "(own)",
			      fx->posts[i].text);
	fail_msg("no post in %s says '%s'", room ? room : "(own)", needle);
	return NULL;
}

static size_t posts_to(const struct effects *fx, const char *room)
{
	size_t i, n = 0;

	for (i = 0; i < fx->nposts; i++)
		if (fx->posts[i].room && !strcmp(fx->posts[i].room, room))
			n++;
	return n;
}

/* A sev1 incident INC-7 declared at T0 from C0GENERAL, in room C7. */
static struct incident *declare(void)
{
	struct effects fx;
	struct incident *inc;

	assert_int_equal(run(NULL, "C0GENERAL", T0,
			     "declare Orders database errors sev1", &fx),
			 0);
	inc = fx.inc;
	fx.created = false; /* taken over */
	effects_release(&fx);
	inc->room = xstrdup("C7");
	return inc;
}

static void drop(struct incident *inc)
{
	incident_release(inc);
	free(inc);
}

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	cfg.slack.nannounce = 2;
	cfg.slack.announce = xcalloc(2, sizeof(char *));
	cfg.slack.announce[0] = xstrdup("#incidents");
	cfg.slack.announce[1] = xstrdup("#status");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_release(&cfg);
	return 0;
}

static void test_declare_announced(void **state)
{
	struct effects fx;
	const struct fx_post *p;

	(void)state;
	assert_int_equal(run(NULL, "C0GENERAL", T0,
			     "declare Orders database errors sev1", &fx),
			 0);
	/* Where it was typed, and in each announcement channel: each names
	 * the room, so each waits for it (link). */
	p = post(&fx, "C0GENERAL",
		 "🚨 INC-7 declared: Orders database errors (sev1) → ");
	assert_true(p->link);
	p = post(&fx, "#incidents", "commander maria → ");
	assert_true(p->link);
	p = post(&fx, "#status", "INC-7 declared");
	assert_true(p->link);
	/* In the new channel itself, no link is needed. */
	assert_false(post(&fx, NULL, "INC-7 · sev1")->link);
	effects_release(&fx);
}

static void test_update_shape(void **state)
{
	struct incident *inc = declare();
	struct effects fx;
	const struct fx_post *p;
	const char *shape = "📣 INC-7 status update · sev1 · investigating\n"
			    "Orders database errors\n"
			    "Failover to the replica started\n"
			    "Commander: maria · next update by 14:50 UTC";

	(void)state;
	assert_int_equal(run(inc, "C7", T0 + 20 * MIN,
			     "update Failover to the replica started", &fx),
			 0);
	/* The key timeline entry. */
	assert_int_equal(fx.nentries, 1);
	assert_int_equal(fx.entries[0].kind, ENTRY_UPDATE);
	assert_true(fx.entries[0].key);
	assert_string_equal(fx.entries[0].text,
			    "status update: Failover to the replica started");
	/* One shape: in the channel, and with the link in each
	 * announcement channel. */
	p = post(&fx, NULL, "📣");
	assert_string_equal(p->text, shape);
	assert_false(p->link);
	p = post(&fx, "#incidents", shape);
	assert_true(p->link);
	assert_true(strstr(p->text, "\nChannel: ") != NULL);
	post(&fx, "#status", shape);
	assert_int_equal(fx.nposts, 3);
	assert_int_equal(inc->remind.last_update, T0 + 20 * MIN);
	assert_true(inc->remind.dirty);
	effects_release(&fx);

	/* Typed in an announcement channel (naming the incident): the
	 * reply is there once, without a second announcement. */
	assert_int_equal(
	    run(inc, "#incidents", T0 + 30 * MIN, "update INC-7 all good", &fx),
	    0);
	assert_int_equal(posts_to(&fx, "#incidents"), 1);
	assert_int_equal(posts_to(&fx, "#status"), 1);
	effects_release(&fx);
	drop(inc);
}

static void test_update_refused(void **state)
{
	struct incident *inc = declare();
	struct effects fx;

	(void)state;
	assert_int_equal(run(inc, "C7", T0, "update", &fx), SCRIBE_EINVAL);
	assert_int_equal(fx.nentries, 0);
	effects_release(&fx);
	inc->marks[MARK_CLOSED] = T0 + HOUR;
	assert_int_equal(run(inc, "C7", T0 + 2 * HOUR, "update late", &fx),
			 SCRIBE_EINVAL);
	assert_int_equal(fx.nentries, 0);
	assert_int_equal(inc->remind.last_update, 0);
	effects_release(&fx);
	drop(inc);
}

static void test_due(void **state)
{
	struct incident *inc = declare();
	struct effects fx;

	(void)state;
	/* sev1 is every 30 minutes by default, from the declare. */
	assert_true(cfg.severities[0].update_every == 30 * MIN);
	assert_true(core_remind_due(&cfg, inc) == T0 + 30 * MIN);
	/* An update moves it. */
	inc->remind.last_update = T0 + 20 * MIN;
	assert_true(core_remind_due(&cfg, inc) == T0 + 50 * MIN);
	/* A reminder sent moves it by one interval. */
	inc->remind.reminded = T0 + 50 * MIN;
	assert_true(core_remind_due(&cfg, inc) == T0 + 80 * MIN);
	/* Severity changes change the interval: sev2 is 1 h, sev3 none. */
	inc->severity = 2;
	assert_true(core_remind_due(&cfg, inc) == T0 + 110 * MIN);
	inc->severity = 3;
	assert_true(core_remind_due(&cfg, inc) == 0);
	/* remind 15m overrides it, and starts a new interval. */
	assert_int_equal(run(inc, "C7", T0 + 2 * HOUR, "remind 15m", &fx), 0);
	post(&fx, NULL, "a reminder after 15 min without an update");
	post(&fx, NULL, "next update by 16:15 UTC");
	effects_release(&fx);
	assert_true(core_remind_due(&cfg, inc) == T0 + 2 * HOUR + 15 * MIN);
	/* A snooze holds it until the snooze ends. */
	assert_int_equal(
	    run(inc, "C7", T0 + 2 * HOUR + 5 * MIN, "remind snooze 1h", &fx),
	    0);
	post(&fx, NULL, "reminders snoozed for 1 h; next update by 17:05 UTC");
	effects_release(&fx);
	assert_true(core_remind_due(&cfg, inc) == T0 + 3 * HOUR + 5 * MIN);
	/* Off is off, whatever the severity. */
	assert_int_equal(run(inc, "C7", T0 + 2 * HOUR, "remind off", &fx), 0);
	post(&fx, NULL, "update reminders are off");
	effects_release(&fx);
	inc->severity = 1;
	assert_true(core_remind_due(&cfg, inc) == 0);
	/* And back on; resolved incidents are not reminded. */
	assert_int_equal(run(inc, "C7", T0 + 4 * HOUR, "remind 30m", &fx), 0);
	effects_release(&fx);
	assert_true(core_remind_due(&cfg, inc) == T0 + 4 * HOUR + 30 * MIN);
	inc->marks[MARK_RESOLVED] = T0 + 4 * HOUR;
	assert_true(core_remind_due(&cfg, inc) == 0);
	drop(inc);
}

static void test_remind_refused(void **state)
{
	static const char *const bad[] = {
	    "remind soon",        "remind snooze",  "remind snooze x",
	    "remind 10s",         "remind off now", "remind 15m later",
	    "remind snooze 1h x", "remind 400d",
	};
	struct incident *inc = declare();
	struct effects fx;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(run(inc, "C7", T0, bad[i], &fx),
				 SCRIBE_EINVAL);
		assert_non_null(fx.posts[0].to_user);
		assert_false(inc->remind.dirty);
		effects_release(&fx);
	}
	drop(inc);
}

static void test_remind_text(void **state)
{
	struct incident *inc = declare();
	struct user scribe = {(char *)"scribe", (char *)"Scribe"};
	struct core_env env = {.cfg = &cfg,
			       .now = T0 + 30 * MIN,
			       .platform = "slack",
			       .room = "C7",
			       .speaker = scribe,
			       .inc = inc};
	struct effects fx = {0};

	(void)state;
	core_remind(&env, &fx);
	assert_int_equal(fx.nposts, 1);
	assert_null(fx.posts[0].room);
	assert_false(fx.posts[0].link);
	assert_string_equal(
	    fx.posts[0].text,
	    "⏰ 14:30 UTC · INC-7 has had no status update for 30 min "
	    "(declared at 14:00 UTC). maria (commander): post one with "
	    "`/incident update <text>`, or `/incident remind snooze 1h` / "
	    "`/incident remind off`.");
	assert_true(inc->remind.reminded == T0 + 30 * MIN);
	assert_true(inc->remind.dirty);
	assert_true(core_remind_due(&cfg, inc) == T0 + HOUR);
	effects_release(&fx);
	drop(inc);
}

static void test_resolve_close_announced(void **state)
{
	struct incident *inc = declare();
	struct effects fx;
	const struct fx_post *p;

	(void)state;
	assert_int_equal(run(inc, "C7", T0 + 72 * MIN, "resolve", &fx), 0);
	p = post(&fx, "#incidents",
		 "✅ INC-7 resolved: Orders database errors (sev1), after "
		 "1 h 12 min → ");
	assert_true(p->link);
	post(&fx, "#status", "INC-7 resolved");
	effects_release(&fx);
	assert_int_equal(run(inc, "C7", T0 + 80 * MIN, "close", &fx), 0);
	p = post(&fx, "#incidents",
		 "📕 INC-7 closed: Orders database errors. The postmortem is "
		 "in → ");
	assert_true(p->link);
	effects_release(&fx);
	drop(inc);
}

static void test_duration_parse(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(when_parse_duration("30s", &ms), 0);
	assert_true(ms == 30000);
	assert_int_equal(when_parse_duration("15m", &ms), 0);
	assert_true(ms == 15 * MIN);
	assert_int_equal(when_parse_duration("2h", &ms), 0);
	assert_true(ms == 2 * HOUR);
	assert_int_equal(when_parse_duration("1d", &ms), 0);
	assert_true(ms == 24 * HOUR);
	assert_int_equal(when_parse_duration("1h30m", &ms), 0);
	assert_true(ms == 90 * MIN);
	assert_int_equal(when_parse_duration("", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("0m", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("15", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("m", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("15min", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("-5m", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("367d", &ms), SCRIBE_EINVAL);
	assert_int_equal(when_parse_duration("99999999999h", &ms),
			 SCRIBE_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_declare_announced),
	    cmocka_unit_test(test_update_shape),
	    cmocka_unit_test(test_update_refused),
	    cmocka_unit_test(test_due),
	    cmocka_unit_test(test_remind_refused),
	    cmocka_unit_test(test_remind_text),
	    cmocka_unit_test(test_resolve_close_announced),
	    cmocka_unit_test(test_duration_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
