/*
 * test_moments.c - the key-moment picker (bot/core/moments.c) and the
 * Timeline's story (bot/core/story.c): each rule of the picker, chatter
 * refused, bots, stems and whole words, a team's lexicon from the config
 * (added to the English one, or instead of it); and the story: the
 * message that explains a mark or a decision, a pinned message kept on
 * its own line, a status folded into a same-minute mark, suggestions
 * joined, deleted messages dropped, order kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/base.h"
#include "util/buf.h"
#include "config.h"
#include "core/moments.h"
#include "core/story.h"

#define MIN 60000LL
#define T0  ((int64_t)1795528800 * 1000) /* a whole minute */

static struct config cfg;
static struct moments *lex;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	lex = moments_new(&cfg.moments);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	moments_free(lex);
	config_release(&cfg);
	return 0;
}

static enum moment_why pick(const char *text)
{
	return moments_pick(lex, "u1", "dana", text);
}

/* ---- the picker ---------------------------------------------------------- */

static void test_lexicon_kinds(void **state)
{
	(void)state;
	assert_int_equal(pick("rolling back the migration script now"),
			 WHY_ACTION);
	assert_int_equal(pick("Restarted the api pods"), WHY_ACTION);
	assert_int_equal(pick("escalating to the DBA on call"), WHY_ACTION);
	assert_int_equal(pick("scaling orders-db from 8 to 16 cores"),
			 WHY_ACTION);
	assert_int_equal(pick("found it: the cert on the LB has expired"),
			 WHY_FINDING);
	assert_int_equal(pick("the root cause is migration 0042"), WHY_FINDING);
	assert_int_equal(pick("error rate back to baseline"), WHY_RECOVERY);
	assert_int_equal(pick("we are in normal operations again"),
			 WHY_RECOVERY);
	assert_int_equal(pick("deployed api v2.3.1 to prod"), WHY_CHANGE);
	assert_int_equal(pick("migration 0042 started on orders"), WHY_CHANGE);
	assert_int_equal(pick("ALERT: orders-db error rate 38%"), WHY_ALERT);
	/* The first phrase in the text decides. */
	assert_int_equal(pick("found it, rolling back"), WHY_FINDING);
	assert_string_equal(moments_why_name(WHY_ACTION), "action");
	assert_string_equal(moments_why_name(WHY_ALERT_BOT), "alert bot");
	assert_string_equal(moments_why_name(WHY_NOTHING), "");
}

static void test_whole_words_and_stems(void **state)
{
	(void)state;
	/* "restart*" is a stem: restarts, restarting, restarted. */
	assert_int_equal(pick("restarting the workers one by one"), WHY_ACTION);
	/* Whole words otherwise: "expired" is not "expiredness", "rollout"
	 * not "rollouts". */
	assert_int_equal(pick("the expiredness flag is set on it"),
			 WHY_NOTHING);
	assert_int_equal(pick("two rollouts queued for tomorrow morning"),
			 WHY_NOTHING);
	/* Words are split on punctuation, and case does not matter. */
	assert_int_equal(pick("ok, ROLLED-BACK the flag and waiting"),
			 WHY_CHATTER); /* "ok" first: chatter */
	assert_int_equal(pick("so: rolled-back the flag, waiting"), WHY_ACTION);
	assert_int_equal(pick("cert (has expired) on the edge"), WHY_FINDING);
}

static void test_chatter(void **state)
{
	static const char *const said[] = {
	    "brb",
	    "joining",
	    "👍",
	    "thanks all!",
	    "thanks, rolling back worked",
	    "anyone have the link?",
	    "should we roll back?",
	    "did the deploy finish ?  ",
	    "+1",
	    "lol",
	    "ok",
	    "on it",
	    "<@U042> has joined the channel",
	    "dana joined the room",
	    "",
	    "   ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(said); i++)
		if (pick(said[i]) != WHY_CHATTER)
			fail_msg("'%s' is not chatter (%d)", said[i],
				 pick(said[i]));
	/* Three words or more that no phrase matches: not a moment, but it
	 * may explain one. */
	assert_int_equal(pick("checking the pool settings"), WHY_NOTHING);
	/* Two words that a phrase matches: a moment. */
	assert_int_equal(pick("rolled back"), WHY_ACTION);
}

static void test_bots(void **state)
{
	struct config c;
	struct moments *m;

	(void)state;
	config_defaults(&c);
	c.moments.alert_bots = xcalloc(2, sizeof(char *));
	c.moments.alert_bots[0] = xstrdup("PagerDuty-Bot");
	c.moments.nalert_bots = 1;
	c.moments.deploy_bots = xcalloc(2, sizeof(char *));
	c.moments.deploy_bots[0] = xstrdup("B042");
	c.moments.ndeploy_bots = 1;
	m = moments_new(&c.moments);
	/* By name (any case) or by id; even a question or one word. */
	assert_int_equal(moments_pick(m, "U9", "pagerduty-bot", "resolved?"),
			 WHY_ALERT_BOT);
	assert_int_equal(moments_pick(m, "B042", "argo", "synced"),
			 WHY_DEPLOY_BOT);
	assert_int_equal(moments_pick(m, NULL, NULL, "synced"), WHY_CHATTER);
	moments_free(m);
	config_release(&c);
}

static void test_lexicon_from_config(void **state)
{
	struct config c;
	struct moments *m;
	char err[512];
	const char *path = "moments.yaml";
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fputs("moments:\n"
	      "  actions: [\"bounced the*\", \"kicked\"]\n"
	      "  findings: [\"aha\"]\n"
	      "  alert_bots: [grafana]\n",
	      f);
	fclose(f);
	if (config_load(&c, path, err, sizeof(err)))
		fail_msg("%s", err);
	m = moments_new(&c.moments);
	/* The team's phrases, stems included... */
	assert_int_equal(moments_pick(m, "u", "x", "bounced the ingress pods"),
			 WHY_ACTION);
	assert_int_equal(moments_pick(m, "u", "x", "bounced thermostat too"),
			 WHY_ACTION);
	assert_int_equal(moments_pick(m, "u", "x", "kicked the cache node"),
			 WHY_ACTION);
	assert_int_equal(moments_pick(m, "u", "x", "aha, it is the pool"),
			 WHY_FINDING);
	assert_int_equal(moments_pick(m, "g", "grafana", "p99 > 2 s"),
			 WHY_ALERT_BOT);
	/* ... and the English ones still. */
	assert_int_equal(moments_pick(m, "u", "x", "rolling back now then"),
			 WHY_ACTION);
	moments_free(m);
	config_release(&c);

	/* english: false keeps only the team's. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("moments:\n  english: false\n  recoveries: [\"tout va bien\"]\n",
	      f);
	fclose(f);
	if (config_load(&c, path, err, sizeof(err)))
		fail_msg("%s", err);
	m = moments_new(&c.moments);
	assert_int_equal(moments_pick(m, "u", "x", "rolling back now then"),
			 WHY_NOTHING);
	assert_int_equal(moments_pick(m, "u", "x", "Tout va bien maintenant"),
			 WHY_RECOVERY);
	moments_free(m);
	config_release(&c);
	remove(path);
}

/* ---- the story ----------------------------------------------------------- */

struct lines {
	struct buf b;
};

static int collect(void *ud, const struct story_line *mo)
{
	struct lines *l = ud;

	buf_addf(&l->b, "%lld ", (long long)((mo->row->at - T0) / MIN));
	if (mo->suggested) {
		buf_addf(&l->b, "suggested %s\n", mo->suggested);
		return 0;
	}
	buf_addf(&l->b, "%s:%s", mo->row->who, mo->row->text);
	if (mo->why > WHY_NOTHING)
		buf_addf(&l->b, " [%s]", moments_why_name(mo->why));
	if (mo->status)
		buf_addf(&l->b, " +status %s", mo->status);
	if (mo->because)
		buf_addf(&l->b, " <= %s:%s", mo->because->who,
			 mo->because->text);
	buf_addch(&l->b, '\n');
	return 0;
}

#define MSG(m, w, t)                                                           \
	{                                                                      \
		.kind = ENTRY_MESSAGE, .at = T0 + (m)*MIN, .who = w,           \
		.who_id = w, .text = t                                         \
	}
#define ROW(k, m, w, t)                                                        \
	{                                                                      \
		.kind = k, .at = T0 + (m)*MIN, .who = w, .who_id = w,          \
		.text = t                                                      \
	}

static char *tell(const struct pm_row *rows, size_t n)
{
	struct lines l;
	struct story *s;
	size_t i;

	buf_init(&l.b, BUF_UNBOUNDED);
	s = story_new(lex, collect, &l);
	for (i = 0; i < n; i++)
		assert_int_equal(story_add(s, &rows[i]), 0);
	assert_int_equal(story_end(s), 0);
	story_free(s);
	return buf_detach(&l.b, NULL);
}

static void test_story_explains(void **state)
{
	struct pm_row rows[] = {
	    MSG(0, "ann", "joining"),
	    MSG(1, "dana", "checking the locks on orders"),
	    /* Said by the one who marks: it explains the mark. */
	    MSG(2, "dana", "killed pid 4242, deadlock cleared"),
	    ROW(ENTRY_MARK, 3, "dana", "mitigated"),
	    /* Someone else's plain message does not explain a mark... */
	    MSG(5, "ann", "graphs look a bit calmer now"),
	    ROW(ENTRY_MARK, 6, "dana", "resolved"),
	    /* ... but a moment of the lexicon does, whoever said it. */
	    MSG(8, "ann", "found the cause: retry storm from the app"),
	    ROW(ENTRY_HYPOTHESIS, 9, "dana", "H2 confirmed: retries — storm"),
	    /* Too old (over 10 minutes) to explain anything: its own line. */
	    MSG(10, "dana", "restarted the app tier"),
	    ROW(ENTRY_MARK, 21, "dana", "acknowledged"),
	};
	char *s = tell(rows, ARRAY_SIZE(rows));

	(void)state;
	assert_string_equal(
	    s, "3 dana:mitigated <= dana:killed pid 4242, deadlock cleared\n"
	       "6 dana:resolved\n"
	       "9 dana:H2 confirmed: retries — storm <= ann:found the cause: "
	       "retry storm from the app\n"
	       "10 dana:restarted the app tier [action]\n"
	       "21 dana:acknowledged\n");
	free(s);
}

static void test_story_pinned_and_deleted(void **state)
{
	struct pm_row rows[] = {
	    MSG(1, "aisha", "pg_locks: pid 4242 blocks 37 sessions"),
	    ROW(ENTRY_HYPOTHESIS, 2, "aisha", "H3 confirmed: deadlock — chain"),
	    MSG(3, "kim", "rolling back, here is the token abc"),
	    MSG(4, "ola", "a plain remark of some length"),
	};
	char *s;

	(void)state;
	rows[0].key = true;  /* 📌: its own line, never folded */
	rows[2].deleted = 1; /* deleted: never a moment */
	rows[3].key = true;  /* pinned: a moment without a phrase */
	s = tell(rows, ARRAY_SIZE(rows));
	assert_string_equal(s, "1 aisha:pg_locks: pid 4242 blocks 37 sessions\n"
			       "2 aisha:H3 confirmed: deadlock — chain\n"
			       "4 ola:a plain remark of some length\n");
	free(s);
}

static void test_story_status_and_suggestions(void **state)
{
	struct pm_row rows[] = {
	    ROW(ENTRY_DECLARED, 0, "maria", "declared INC-1: x (sev2)"),
	    ROW(ENTRY_PLAYBOOK, 0, "maria",
		"suggested db-deadlock (matched "
		"“deadlock”)"),
	    ROW(ENTRY_PLAYBOOK, 0, "maria", "suggested db-outage"),
	    ROW(ENTRY_PLAYBOOK, 4, "jon", "suggested lock-check"),
	    /* `resolve`: the status first, then the mark, same minute. */
	    ROW(ENTRY_STATUS, 30, "maria", "status investigating → resolved"),
	    ROW(ENTRY_MARK, 30, "maria", "resolved"),
	    /* A mark, then a status of the same minute. */
	    ROW(ENTRY_MARK, 40, "jon", "mitigated"),
	    ROW(ENTRY_STATUS, 40, "jon", "status resolved → monitoring"),
	    /* A status alone stays. */
	    ROW(ENTRY_STATUS, 50, "jon", "status monitoring → identified"),
	    ROW(ENTRY_CLOSED, 51, "maria", "closed; postmortem revision 1"),
	};
	char *s = tell(rows, ARRAY_SIZE(rows));

	(void)state;
	assert_string_equal(s, "0 maria:declared INC-1: x (sev2)\n"
			       "0 suggested db-deadlock, db-outage\n"
			       "4 suggested lock-check\n"
			       "30 maria:resolved +status =\n"
			       "40 jon:mitigated +status monitoring\n"
			       "50 jon:status monitoring → identified\n"
			       "51 maria:closed; postmortem revision 1\n");
	free(s);
}

static void test_story_context_and_order(void **state)
{
	struct pm_row rows[] = {
	    ROW(ENTRY_CONTEXT, -9, "deploy-bot", "api v2.3.1 deployed to prod"),
	    ROW(ENTRY_CONTEXT, -8, "lee", "lunch anyone?"),
	    ROW(ENTRY_CONTEXT, -4, "pd", "ALERT: api 5xx at 12%"),
	    ROW(ENTRY_MARK, -4, "maria", "detected"),
	    ROW(ENTRY_DECLARED, 0, "maria", "declared INC-2: api errors"),
	    MSG(1, "jon", "rolling back v2.3.1"),
	    ROW(ENTRY_NOTE, 1, "jon", "paged the api team"),
	    MSG(2, "jon", "error rate back to baseline"),
	};
	char *s = tell(rows, ARRAY_SIZE(rows));

	(void)state;
	/* The alert explains the (backdated) detection; the note comes
	 * after the message it follows; chatter before the declare is not
	 * a moment either. */
	assert_string_equal(
	    s, "-9 deploy-bot:api v2.3.1 deployed to prod [change]\n"
	       "-4 maria:detected <= pd:ALERT: api 5xx at 12%\n"
	       "0 maria:declared INC-2: api errors\n"
	       "1 jon:rolling back v2.3.1 [action]\n"
	       "1 jon:paged the api team\n"
	       "2 jon:error rate back to baseline [recovery]\n");
	free(s);
}

/* A stream of chatter with a few moments: the story stays short, and
 * holds nothing back for long (pending lines are few). */
static void test_story_noise(void **state)
{
	static const char *const noise[] = {
	    "joining", "brb",     "anyone have the dashboard link?",
	    "👍",       "thanks!", "looking at the graphs over here",
	    "same",    "+1",
	};
	struct pm_row rows[400];
	char *s, *p;
	size_t i, lines = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pm_row r = MSG((int64_t)i / 4, i % 2 ? "ann" : "bob",
				      noise[i % ARRAY_SIZE(noise)]);

		if (i == 100)
			r.text = "restarted the cache nodes";
		if (i == 300)
			r.text = "back to normal operations";
		rows[i] = r;
	}
	s = tell(rows, ARRAY_SIZE(rows));
	for (p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	assert_non_null(strstr(s, "25 bob:restarted the cache nodes [action]"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lexicon_kinds),
	    cmocka_unit_test(test_whole_words_and_stems),
	    cmocka_unit_test(test_chatter),
	    cmocka_unit_test(test_bots),
	    cmocka_unit_test(test_lexicon_from_config),
	    cmocka_unit_test(test_story_explains),
	    cmocka_unit_test(test_story_pinned_and_deleted),
	    cmocka_unit_test(test_story_status_and_suggestions),
	    cmocka_unit_test(test_story_context_and_order),
	    cmocka_unit_test(test_story_noise),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
