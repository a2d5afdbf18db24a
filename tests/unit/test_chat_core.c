/*
 * test_chat_core.c - the conversation as a responder meets it (issue 11,
 * core side, and issue 12's command items): hints that work as typed on
 * each platform, "did you mean", what a missing argument is, malformed
 * incident references and extra words, bidi controls, records on a closed
 * incident, step messages within a screen, and suggestions that need more
 * than one short word. Driven through core_sim.h as app.c drives the core.
 */
#include "core_sim.h"
#include "playbooks.h"

#define RLO  "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define FFFD "\xef\xbf\xbd"

/* The repository's playbooks (SCRIBE_SOURCE_DIR/playbooks). */
static void repo_library(struct pb_library *lib)
{
	const char *src = getenv("SCRIBE_SOURCE_DIR");
	struct buf err;
	char *dir;

	assert_non_null(src);
	dir = xasprintf("%s/playbooks", src);
	buf_init(&err, BUF_UNBOUNDED);
	pb_library_init(lib);
	if (playbooks_load_dir(dir, lib, &err))
		fail_msg("playbooks: %s", err.s);
	assert_true(lib->n >= 4);
	buf_release(&err);
	free(dir);
}

/* Lines of s. */
static size_t lines_of(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* How often needle occurs in s. */
static size_t count_of(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* ---- hints carry the platform's prefix ---------------------------------- */

static void test_hints_console(void **state)
{
	struct incident *inc = calloc(1, sizeof(*inc));
	struct effects fx;
	struct sim s;

	(void)state;
	sim_init(&s, NULL, T0);
	ok(&s, "declare Database errors spiking", &fx);
	post_in(&fx, NULL, "`!inc help` lists the commands.");
	effects_release(&fx);
	declare(inc, "declare Database errors spiking");
	sim_init(&s, inc, T0 + MIN);
	refused(&s, "hypothesis",
		"`hypothesis` needs the text of the hypothesis: `!inc "
		"hypothesis <text>`");
	ok(&s, "hypothesis the pool is exhausted", &fx);
	post_in(&fx, NULL, "(`!inc confirm H1` or `!inc rule-out H1`)");
	effects_release(&fx);
	/* A code span that is not a command is left alone. */
	refused(&s, "mark started at 13:00 extra", "unexpected 'extra'");
	incident_release(inc);
	free(inc);
}

static void test_hints_slack(void **state)
{
	struct incident *inc = calloc(1, sizeof(*inc));
	struct effects fx;
	struct sim s;

	(void)state;
	sim_init(&s, NULL, T0);
	s.platform = "slack";
	ok(&s, "declare Database errors spiking", &fx);
	post_in(&fx, NULL, "`/incident help` lists the commands.");
	assert_null(strstr(fx.posts[1].text, "!inc"));
	effects_release(&fx);
	ok(&s, "help", &fx);
	post_in(&fx, "#general",
		"Scribe commands (`/incident help <command>` for one):");
	post_in(&fx, "#general", "\n`/incident declare <title> [sev<N>]` — ");
	assert_null(strstr(fx.posts[0].text, "!inc"));
	effects_release(&fx);
	refused(&s, "close",
		"this is not an incident channel: name one first, as in "
		"`/incident close INC-3`");
	refused(&s, "declre x",
		"unknown command 'declre': did you mean `/incident declare`? "
		"`/incident help` lists the commands");

	/* A Slack incident's own channel gets Slack's prefix, wherever the
	 * command came from. */
	declare(inc, "declare Database errors spiking");
	free(inc->platform);
	inc->platform = xstrdup("slack");
	sim_init(&s, inc, T0 + MIN);
	s.platform = "slack";
	ok(&s, "resolve", &fx);
	assert_int_equal(fx.nposts, 2);
	post_in(&fx, NULL, "`/incident close` writes the postmortem");
	/* The close checklist names its commands with Slack's prefix too. */
	post_in(&fx, NULL, "• a summary — `/incident summary <text>`");
	assert_null(strstr(fx.posts[1].text, "!inc"));
	effects_release(&fx);
	refused(&s, "sev", "`sev` needs the new severity: `/incident sev <N>`");
	incident_release(inc);
	free(inc);
}

/* ---- did you mean ------------------------------------------------------- */

static void test_did_you_mean(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, NULL, T0);
	refused(&s, "declre foo",
		"unknown command 'declre': did you mean `!inc declare`?");
	refused(&s, "DECLRE foo", "did you mean `!inc declare`?");
	refused(&s, "hypotesis x", "did you mean `!inc hypothesis`?");
	refused(&s, "xyzzy", "unknown command 'xyzzy': `!inc help` lists");
	refused(&s, "help declre",
		"no command 'declre' (did you mean `!inc declare`?)");

	sim_init(&s, inc, T0 + MIN);
	refused(&s, "status identifed",
		"unknown status 'identifed' (did you mean 'identified'?)");
	refused(&s, "status xyz", "unknown status 'xyz'\n");
	refused(&s, "mark detcted",
		"unknown mark 'detcted' (did you mean "
		"'detected'?)");
	refused(&s, "learned wel it went",
		"'wel' is not well, wrong or lucky "
		"(did you mean 'well'?)");
	refused(&s, "role comm @bob",
		"unknown role 'comm' (did you mean 'comms'?)");
	refused(&s, "playbook strat x",
		"'strat' is not list, start or show "
		"(did you mean 'start'?)");
	refused(&s, "step dne",
		"'dne' is not done, skip or show (did you "
		"mean 'done'?)");
}

/* ---- what is missing, and what is too much ------------------------------ */

static void test_missing_and_extra(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + MIN);
	/* One line: what is missing and how to type it, no usage below. */
	sim_run(&s, "hypothesis", &fx);
	assert_string_equal(fx.posts[0].text,
			    "✗ `hypothesis` needs the text of the hypothesis: "
			    "`!inc hypothesis <text>`");
	effects_release(&fx);
	refused(&s, "confirm",
		"`confirm` needs the hypothesis (H<n>): `!inc "
		"confirm H<n> [why]`");
	refused(&s, "role comms",
		"`role` needs the role and who takes it: `!inc role <name> "
		"<@user>`");

	/* Commands without arguments refuse extra words (issue 12). */
	refused(&s, "close now",
		"`close` takes nothing after it: 'now' is "
		"unexpected");
	refused(&s, "resolve please", "`resolve` takes nothing after it");
	refused(&s, "reopen x", "`reopen` takes nothing after it");
	refused(&s, "roles all", "`roles` takes nothing after it");
	refused(&s, "actions all", "`actions` takes nothing after it");
	refused(&s, "postmortem now", "'now' is not update");
	refused(&s, "postmortem update now", "unexpected 'now'");
	refused(&s, "list all", "`list` takes nothing after it");
	refused(&s, "sev 2 now", "unexpected 'now'");
	refused(&s, "done A1 A2", "unexpected 'A2'");
	refused(&s, "timeline 5 6", "unexpected '6'");
	refused(&s, "help note close", "unexpected 'close'");
	refused(&s, "playbook list x", "unexpected 'x'");
	assert_int_equal(inc->marks[MARK_CLOSED], 0);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
}

/* ---- malformed incident references (issue 12) -------------------------- */

static void test_bad_inc_refs(void **state)
{
	static const char *const lines[] = {
	    "close INC-0",
	    "close INC-x",
	    "close INC-99999999999999999999",
	    "resolve INC-1x",
	    "note INC-0 looks like a reference",
	    "close inc-",
	    "mark INC-2x resolved",
	};
	struct incident *inc = *state;
	struct sim s;
	size_t i;

	/* Typed in the incident's own channel: never acts on it. */
	sim_init(&s, inc, T0 + MIN);
	for (i = 0; i < ARRAY_SIZE(lines); i++)
		refused(&s, lines[i],
			"is not an incident: use INC-<n>, as in "
			"INC-3");
	refused(&s, "close INC-x", "'INC-x' is not an incident");
	assert_int_equal(inc->marks[MARK_CLOSED], 0);
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	/* A valid reference still works, and "INC3" is text. */
	run_ok(&s, "note INC-3 and INC3 are the same");
}

/* ---- bidi controls (issue 12) ------------------------------------------ */

static void test_bidi_neutralised(void **state)
{
	struct incident *inc = calloc(1, sizeof(*inc));
	struct effects fx;
	struct sim s;
	size_t i;

	(void)state;
	declare(inc, "declare Invoice " RLO "fdp.exe upload fails");
	assert_string_equal(inc->title, "Invoice " FFFD "fdp.exe upload fails");
	incident_release(inc);
	memset(inc, 0, sizeof(*inc));
	/* Every Bidi_Control: ALM, LRM, RLM, LRE..RLO, LRI..PDI. */
	declare(inc, "declare a\xd8\x9c"
		     "b\xe2\x80\x8e"
		     "c\xe2\x80\x8f"
		     "d\xe2\x80\xaa"
		     "e\xe2\x81\xa9"
		     "f\xe2\x80\x8b"
		     "g");
	assert_string_equal(inc->title, "a" FFFD "b" FFFD "c" FFFD "d" FFFD
					"e" FFFD "f\xe2\x80\x8b"
					"g");
	incident_release(inc);
	memset(inc, 0, sizeof(*inc));
	declare(inc, "declare Invoice " RLO "fdp.exe upload fails");
	sim_init(&s, inc, T0 + MIN);
	ok(&s, "hypothesis the " RLO "gnihcac layer \xe2\x81\xa6x\xe2\x81\xa9",
	   &fx);
	/* The record keeps what was typed; what Scribe writes does not turn
	 * around. */
	assert_non_null(strstr(fx.entries[0].text, RLO));
	for (i = 0; i < fx.nposts; i++) {
		assert_null(strstr(fx.posts[i].text, RLO));
		assert_null(strstr(fx.posts[i].text, "\xe2\x81\xa6"));
		assert_non_null(strstr(fx.posts[i].text, FFFD "gnihcac"));
	}
	effects_release(&fx);
	incident_release(inc);
	free(inc);
}

/* ---- a closed incident -------------------------------------------------- */

static void test_closed_records(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + HOUR);
	run_ok(&s, "close");
	ok(&s, "note the vendor confirmed the fault", &fx);
	assert_int_equal(fx.nentries, 1);
	assert_one_reply(&fx, inc->room,
			 "📝 noted on INC-3's timeline\n📕 INC-3 is closed: "
			 "this is on its timeline and goes into the next "
			 "revision of its postmortem (`!inc postmortem update` "
			 "writes it).");
	effects_release(&fx);
	/* `postmortem update` writes that revision: nothing waits. */
	ok(&s, "postmortem update", &fx);
	assert_true(fx.write_postmortem);
	assert_null(strstr(fx.posts[0].text, "goes into the next revision"));
	effects_release(&fx);
	ok(&s, "action add an alert", &fx);
	post_in(&fx, inc->room, "INC-3 is closed: this is on its timeline");
	effects_release(&fx);
	/* Reading says nothing of the kind. */
	ok(&s, "roles", &fx);
	assert_null(strstr(fx.posts[0].text, "is closed"));
	effects_release(&fx);
}

/* `close INC-3` typed elsewhere: said in both places, and both say what
 * the postmortem still lacks (core_checklist), with each place's prefix. */
static void test_close_elsewhere(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	const struct fx_post *p;

	free(inc->platform);
	inc->platform = xstrdup("slack");
	sim_init(&s, inc, T0 + HOUR);
	run_ok(&s, "hypothesis the pool is exhausted");
	s.now = T0 + 2 * HOUR;
	s.room = "#ops";
	ok(&s, "close INC-3", &fx);
	post_in(&fx, "#ops", "📕 INC-3 closed.");
	post_in(&fx, NULL, "📕 INC-3 closed.");
	p = post_in(&fx, "#ops", "📋 INC-3's postmortem still lacks:");
	assert_non_null(strstr(p->text, "a decision on H1, still open — `!inc "
					"confirm H1 [why]`"));
	assert_non_null(strstr(p->text, "`!inc postmortem update`"));
	p = post_in(&fx, NULL, "📋 INC-3's postmortem still lacks:");
	assert_non_null(strstr(p->text, "`/incident confirm H1 [why]`"));
	effects_release(&fx);
}

/* ---- step messages ------------------------------------------------------ */

static struct incident *deadlock_incident(struct pb_library *lib, struct sim *s)
{
	struct incident *inc = calloc(1, sizeof(*inc));

	declare(inc, "declare Checkout stalls sev2");
	sim_init(s, inc, T0 + MIN);
	s->playbooks = lib;
	run_ok(s, "playbook start db-deadlock");
	return inc;
}

static void test_step_flavours(void **state)
{
	struct pb_library lib;
	struct incident *inc;
	struct effects fx;
	struct sim s;
	const char *t;

	(void)state;
	repo_library(&lib);

	/* All flavours (the default): the posted step fits a screen, the
	 * first snippet of each flavour first; what did not fit is named,
	 * with how to see it. */
	inc = calloc(1, sizeof(*inc));
	declare(inc, "declare Checkout stalls sev2");
	sim_init(&s, inc, T0 + MIN);
	s.playbooks = &lib;
	ok(&s, "playbook start db-deadlock", &fx);
	t = fx.posts[0].text;
	assert_non_null(strstr(t, "▶ db-deadlock · S1 of "));
	if (lines_of(t) > 40)
		fail_msg("S1 is %zu lines:\n%s", lines_of(t), t);
	assert_non_null(strstr(t, "Shell — Migrations committed"));
	assert_non_null(strstr(t, "PostgreSQL — DDL running now"));
	assert_non_null(strstr(t, "\n2 more snippets (PostgreSQL; MySQL, "
				  "MariaDB): `!inc step show S1`\n"));
	assert_non_null(strstr(t, "`!inc step done S1 <what you found>`"));
	/* The playbook's own hints carry the prefix too. */
	assert_non_null(strstr(t, "`!inc hypothesis Migration"));
	effects_release(&fx);

	/* `step show S1`: the whole step; MySQL and MariaDB share their
	 * query, printed once. */
	ok(&s, "step show S1", &fx);
	t = fx.posts[0].text;
	assert_non_null(strstr(t, "MySQL, MariaDB — DDL running now"));
	assert_int_equal(count_of(t, "information_schema.PROCESSLIST"), 1);
	assert_null(strstr(t, "more snippet"));
	effects_release(&fx);

	/* `step show S1 --all`: every snippet, none cut. */
	ok(&s, "step show S1 --all", &fx);
	t = fx.posts[0].text;
	assert_non_null(strstr(t, "PostgreSQL — Server restarted"));
	assert_null(strstr(t, "more snippet"));
	effects_release(&fx);
	refused(&s, "step show S9", "db-deadlock has steps S1 to S");
	refused(&s, "step show S1 --every", "unexpected '--every'");
	incident_release(inc);
	free(inc);

	/* One flavour configured: only its snippets (and the shell's). */
	free(cfg.sql_flavors[0]);
	free(cfg.sql_flavors[1]);
	free(cfg.sql_flavors[2]);
	cfg.sql_flavors[0] = xstrdup("postgresql");
	cfg.nsql_flavors = 1;
	inc = deadlock_incident(&lib, &s);
	ok(&s, "step show", &fx);
	t = fx.posts[0].text;
	assert_non_null(strstr(t, "▶ db-deadlock · S1 of"));
	assert_non_null(strstr(t, "PostgreSQL — DDL running now"));
	assert_non_null(strstr(t, "Shell — Migrations committed"));
	assert_null(strstr(t, "MySQL"));
	assert_null(strstr(t, "MariaDB"));
	assert_non_null(strstr(t, "for other SQL flavours: `!inc step show S1 "
				  "--all`)"));
	effects_release(&fx);
	ok(&s, "step show S1 --all", &fx);
	assert_non_null(strstr(fx.posts[0].text, "MySQL, MariaDB — "));
	effects_release(&fx);

	/* Confirmation: who, the evidence, how long. */
	s.now = T0 + 9 * MIN;
	ok(&s, "step done S1 migration 0042 altered orders", &fx);
	post_in(&fx, inc->room,
		"✅ S1 of db-deadlock done by alice in 8 min — evidence: "
		"migration 0042 altered orders");
	effects_release(&fx);
	settle(inc);

	/* Done ahead of open steps: refused, with how to go on. */
	refused(&s, "step done S4 killed pid 4242",
		"S2–S3 of db-deadlock are still open: skip each with a reason "
		"first (`!inc step skip S2 <why>`), then `!inc step done S4`");
	run_ok(&s, "step skip S4 not yet");
	incident_release(inc);
	free(inc);
	config_release(&cfg);
	config_defaults(&cfg);
	pb_library_release(&lib);
}

/* Every step of every shipped playbook, posted, fits a screen. */
static void test_steps_fit_a_screen(void **state)
{
	struct pb_library lib;
	struct effects fx;
	struct sim s;
	size_t i, k;
	char line[128];

	(void)state;
	repo_library(&lib);
	for (i = 0; i < lib.n; i++) {
		struct incident *inc = calloc(1, sizeof(*inc));

		declare(inc, "declare Something broke");
		sim_init(&s, inc, T0 + MIN);
		s.playbooks = &lib;
		snprintf(line, sizeof(line), "playbook start %s",
			 lib.books[i].id);
		run_ok(&s, line);
		for (k = 0; k < lib.books[i].nsteps; k++) {
			snprintf(line, sizeof(line), "step show S%zu", k + 1);
			ok(&s, line, &fx);
			/* step show is whole; the posted form is cut. */
			effects_release(&fx);
			snprintf(line, sizeof(line), "step skip S%zu checking",
				 k + 1);
			ok(&s, line, &fx);
			if (fx.nposts > 1 && lines_of(fx.posts[1].text) > 40)
				fail_msg("%s S%zu is %zu lines",
					 lib.books[i].id, k + 2,
					 lines_of(fx.posts[1].text));
			effects_release(&fx);
			settle(inc);
		}
		incident_release(inc);
		free(inc);
	}
	pb_library_release(&lib);
}

/* ---- suggestions -------------------------------------------------------- */

/* What the app does with a message in the incident's channel. */
static bool said(const struct sim *s, const char *text, struct effects *fx)
{
	struct core_env env;

	memset(fx, 0, sizeof(*fx));
	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.now = s->now;
	env.platform = "console";
	env.room = s->room;
	env.speaker = s->speaker;
	env.inc = s->inc;
	env.playbooks = s->playbooks;
	return core_message(&env, text, fx);
}

static void test_suggestions(void **state)
{
	struct pb_library lib;
	struct incident *inc = calloc(1, sizeof(*inc));
	struct effects fx;
	struct sim s;

	(void)state;
	repo_library(&lib);
	declare(inc, "declare Checkout is slow sev3");
	sim_init(&s, inc, T0 + MIN);
	s.playbooks = &lib;

	/* One short common word is chatter. */
	assert_false(said(&s, "db password is hunter2", &fx));
	assert_int_equal(fx.nentries, 0);
	effects_release(&fx);
	assert_false(said(&s, "the dB team is on it", &fx));
	effects_release(&fx);
	/* With a second signal it is a suggestion, both words named. */
	assert_true(said(&s, "db connection refused since 13:40", &fx));
	assert_entry(&fx, 0, ENTRY_PLAYBOOK, s.now,
		     "suggested db-outage-triage (matched “db”, “connection "
		     "refused”)");
	post_in(&fx, NULL, "`!inc playbook start db-outage-triage` to begin");
	effects_release(&fx);
	settle(inc);

	/* A playbook that is running is not suggested again. */
	run_ok(&s, "playbook start db-deadlock");
	assert_false(said(&s, "looks like a deadlock on orders", &fx));
	assert_int_equal(fx.nentries, 0);
	effects_release(&fx);
	/* Nor once it has finished. */
	assert_false(said(&s, "that deadlock again", &fx));
	effects_release(&fx);
	incident_release(inc);
	free(inc);
	pb_library_release(&lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hints_console),
	    cmocka_unit_test(test_hints_slack),
	    cmocka_unit_test_setup_teardown(test_did_you_mean, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_and_extra, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_inc_refs, setup, teardown),
	    cmocka_unit_test(test_bidi_neutralised),
	    cmocka_unit_test_setup_teardown(test_closed_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_elsewhere, setup,
					    teardown),
	    cmocka_unit_test(test_step_flavours),
	    cmocka_unit_test(test_steps_fit_a_screen),
	    cmocka_unit_test(test_suggestions),
	};
	int rc;

	setenv("TZ", "UTC", 1);
	tzset();
	config_defaults(&cfg);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	config_release(&cfg);
	return rc;
}
