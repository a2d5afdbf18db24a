/*
 * test_commands.c - the pure core as app.c drives it: core_parse(), an
 * environment loaded as the request's needs say, core_run(), and then the
 * incident, the timeline entries, the posts and the return code. Every
 * command of PRODUCT.md's grammar, every way to get its arguments wrong,
 * and every rule of its "Semantics" section that the core decides.
 */
#include "core_sim.h"

/* Becoming resolved: the announcement, then the close checklist, both in
 * the incident's own channel. */
static void assert_resolved_posts(const struct effects *fx, const char *needle)
{
	assert_int_equal(fx->nposts, 2);
	assert_null(fx->posts[0].to_user);
	assert_null(fx->posts[0].room);
	assert_non_null(strstr(fx->posts[0].text, needle));
	assert_null(fx->posts[1].room);
	assert_non_null(
	    strstr(fx->posts[1].text, "INC-3's postmortem still lacks:"));
}

/* ---- the prefix -----------------------------------------------------------
 */

static void test_command_text(void **state)
{
	(void)state;
	assert_string_equal(core_command_text("!inc declare X"), " declare X");
	assert_string_equal(core_command_text("!incident help"), " help");
	assert_string_equal(core_command_text("!INC help"), " help");
	assert_string_equal(core_command_text("!Incident note a"), " note a");
	assert_string_equal(core_command_text("!inc"), "");
	assert_string_equal(core_command_text("!incident"), "");
	assert_string_equal(core_command_text("   !inc note x"), " note x");
	assert_string_equal(core_command_text("\t!inc\tnote"), "\tnote");
	assert_string_equal(core_command_text("!inc\nnote"), "\nnote");
	assert_null(core_command_text("!incx"));
	assert_null(core_command_text("!incx help"));
	assert_null(core_command_text("!incidents help"));
	assert_null(core_command_text("!in help"));
	assert_null(core_command_text("inc help"));
	assert_null(core_command_text("hello !inc help"));
	assert_null(core_command_text(""));
	assert_null(core_command_text("   "));
}

/* ---- parsing ------------------------------------------------------------- */

static void test_parse_needs(void **state)
{
	static const struct {
		const char *line;
		unsigned need;
	} t[] = {
	    {"declare x", 0},
	    {"help", 0},
	    {"list", NEED_OPEN_LIST},
	    {"note x", NEED_INCIDENT},
	    {"close", NEED_INCIDENT},
	    {"timeline", NEED_INCIDENT | NEED_TIMELINE},
	};
	struct core_req req;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		core_parse(&req, t[i].line);
		assert_non_null(req.cmd);
		assert_null(req.error);
		assert_int_equal(req.need, t[i].need);
		core_req_release(&req);
	}
}

static void test_parse_inc_ref(void **state)
{
	struct core_req req;

	(void)state;
	core_parse(&req, "close INC-3");
	assert_non_null(req.cmd);
	assert_int_equal(req.inc_ref, 3);
	assert_string_equal(req.args, "");
	core_req_release(&req);

	core_parse(&req, "note inc-12 db is  back");
	assert_int_equal(req.inc_ref, 12);
	assert_string_equal(req.args, "db is  back");
	core_req_release(&req);

	/* A word that looks like a reference and is not one is an error,
	 * never text nor the channel's incident (issue 12). */
	{
		static const char *const bad[] = {
		    "close INC-0",
		    "close INC-x",
		    "close INC-99999999999999999999",
		    "resolve INC-1x",
		    "note INC- x",
		    "close inc-00"};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			core_parse(&req, bad[i]);
			assert_non_null(req.cmd);
			assert_non_null(req.error);
			assert_non_null(
			    strstr(req.error, "is not an incident"));
			assert_int_equal(req.inc_ref, 0);
			assert_int_equal(req.need, 0);
			core_req_release(&req);
		}
	}
	/* INC3 does not look like a reference: it is text. */
	core_parse(&req, "note INC3 x");
	assert_int_equal(req.inc_ref, 0);
	assert_string_equal(req.args, "INC3 x");
	core_req_release(&req);

	/* Only a command that acts on an incident takes one: a title may
	 * well start with an incident's name. */
	core_parse(&req, "declare INC-2 regression sev2");
	assert_int_equal(req.inc_ref, 0);
	assert_string_equal(req.args, "INC-2 regression sev2");
	core_req_release(&req);
	core_parse(&req, "help INC-2");
	assert_int_equal(req.inc_ref, 0);
	core_req_release(&req);
}

static void test_parse_timeline_count(void **state)
{
	static const struct {
		const char *line;
		int count;
	} t[] = {
	    {"timeline", 10},       {"timeline 5", 5},       {"timeline 1", 1},
	    {"timeline 200", 200},  {"timeline 0", 0},       {"timeline -1", 0},
	    {"timeline 201", 0},    {"timeline abc", 0},     {"timeline 5x", 0},
	    {"timeline INC-3", 10}, {"timeline INC-3 7", 7}, {"TIMELINE 3", 3},
	};
	struct core_req req;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		core_parse(&req, t[i].line);
		if (req.timeline_count != t[i].count)
			fail_msg("'%s': count %d, not %d", t[i].line,
				 req.timeline_count, t[i].count);
		core_req_release(&req);
	}
}

static void test_unknown_and_empty(void **state)
{
	struct incident *inc = *state;
	struct core_req req;
	struct sim s;

	core_parse(&req, "frobnicate the db");
	assert_null(req.cmd);
	assert_non_null(strstr(req.error, "unknown command 'frobnicate'"));
	core_req_release(&req);
	core_parse(&req, "   ");
	assert_null(req.cmd);
	assert_non_null(strstr(req.error, "a command is missing"));
	core_req_release(&req);
	/* A long unknown word is cut on a character boundary: the reply
	 * stays valid UTF-8 (found by fuzz_command). */
	core_parse(&req,
		   "x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		   "\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_null(req.cmd);
	assert_true(text_valid_utf8(req.error, strlen(req.error)));
	assert_non_null(strstr(req.error, "\xc3\xa9…'"));
	core_req_release(&req);

	sim_init(&s, NULL, T0 + MIN);
	refused(&s, "frobnicate the db", "unknown command 'frobnicate'");
	refused(&s, "frobnicate",
		"unknown command 'frobnicate': `!inc help` lists the commands");
	refused(&s, "", "a command is missing: `!inc help` lists the commands");
	refused(&s, " \t ", "a command is missing");
	refused(&s, "!inc help", "unknown command '!inc'");
	sim_init(&s, inc, T0 + MIN);
	refused(&s, "frobnicate", "unknown command 'frobnicate'");
	refused(&s, "", "a command is missing");
}

static void test_case_and_alias(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + MIN);
	ok(&s, "NOTE shouting", &fx);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 + MIN, "shouting");
	effects_release(&fx);
	run_ok(&s, "Hypothesis load");
	run_ok(&s, "ruleout H1");
	assert_int_equal(inc->hyps[0].state, HYP_RULED_OUT);
	run_ok(&s, "hypothesis net");
	run_ok(&s, "rule_out h2");
	assert_int_equal(inc->hyps[1].state, HYP_RULED_OUT);
}

/* ---- declare ---------------------------------------------------------------
 */

static void test_declare(void **state)
{
	struct effects fx;
	struct incident *inc;
	struct sim s;
	const struct fx_post *p;

	(void)state;
	sim_init(&s, NULL, T0);
	ok(&s, "declare Database errors spiking sev1", &fx);
	assert_true(fx.created);
	assert_false(fx.write_postmortem);
	inc = fx.inc;
	assert_non_null(inc);
	assert_int_equal(inc->id, NEXT_ID);
	assert_string_equal(inc->title, "Database errors spiking");
	assert_string_equal(inc->slug, "database-errors-spiking");
	assert_int_equal(inc->severity, 1);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
	assert_string_equal(inc->platform, "console");
	assert_string_equal(inc->channel, "inc-3-database-errors-spiking");
	assert_null(inc->room);
	assert_string_equal(inc->origin_room, "#general");
	assert_string_equal(inc->declared_by.id, "alice");
	assert_string_equal(inc->declared_by.name, "alice");
	assert_int_equal(inc->marks[MARK_DECLARED], T0);
	assert_int_equal(inc->marks[MARK_STARTED], 0);
	assert_int_equal(inc->marks[MARK_DETECTED], 0);
	assert_int_equal(inc->marks[MARK_ACKNOWLEDGED], 0);
	assert_int_equal(inc->marks[MARK_MITIGATED], 0);
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	assert_int_equal(inc->marks[MARK_CLOSED], 0);
	assert_int_equal(incident_detected(inc), T0);
	assert_int_equal(incident_started(inc), T0);
	assert_int_equal(inc->revision, 0);
	assert_true(inc->dirty);
	/* The declarer is the commander. */
	assert_int_equal(inc->nroles, 1);
	assert_string_equal(inc->roles[0].role, "commander");
	assert_string_equal(inc->roles[0].who.id, "alice");
	assert_int_equal(inc->roles[0].at, T0);
	assert_true(inc->roles[0].dirty);

	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 0, ENTRY_DECLARED, T0,
		     "declared INC-3: Database errors spiking (sev1)");
	assert_string_equal(fx.entries[0].who.id, "alice");
	assert_entry(&fx, 1, ENTRY_ROLE, T0, "commander: alice");

	assert_int_equal(fx.nposts, 2);
	/* It names the room: the app appends the room's link once the room
	 * exists. */
	p = post_in(&fx, "#general",
		    "INC-3 declared: Database errors spiking (sev1) → ");
	assert_true(p->link);
	assert_null(p->to_user);
	p = post_in(&fx, NULL,
		    "INC-3 · sev1 · investigating · Database errors spiking");
	assert_null(p->to_user);
	post_in(&fx, NULL, "Declared by alice at 14:00 UTC. Commander: alice.");
	effects_release(&fx);
}

/* Declares line from #general; returns the incident in fx. */
static struct incident *declared(struct effects *fx, const char *line)
{
	struct sim s;

	sim_init(&s, NULL, T0);
	ok(&s, line, fx);
	assert_true(fx->created);
	return fx->inc;
}

static void test_declare_severity(void **state)
{
	struct effects fx;
	struct sim s;

	(void)state;
	assert_int_equal(declared(&fx, "declare Disk full")->severity, 3);
	assert_string_equal(fx.inc->title, "Disk full");
	post_in(&fx, "#general", "(sev3)");
	effects_release(&fx);
	assert_int_equal(declared(&fx, "declare Disk full SEV2")->severity, 2);
	assert_string_equal(fx.inc->title, "Disk full");
	effects_release(&fx);
	assert_int_equal(declared(&fx, "declare Disk full sev4")->severity, 4);
	effects_release(&fx);
	/* Only the last word is a severity. */
	assert_int_equal(declared(&fx, "declare sev1 outage")->severity, 3);
	assert_string_equal(fx.inc->title, "sev1 outage");
	effects_release(&fx);
	/* "sev" alone, or a bare number, is part of the title. */
	assert_int_equal(declared(&fx, "declare Disk full sev")->severity, 3);
	assert_string_equal(fx.inc->title, "Disk full sev");
	effects_release(&fx);
	assert_int_equal(declared(&fx, "declare Outage 2")->severity, 3);
	assert_string_equal(fx.inc->title, "Outage 2");
	effects_release(&fx);

	sim_init(&s, NULL, T0);
	refused_usage(&s, "declare Disk full sev9",
		      "unknown severity 'sev9': use one of sev1, sev2, sev3, "
		      "sev4",
		      "declare <title> [sev<N>]");
	refused(&s, "declare Disk full sev5", "unknown severity 'sev5'");
	refused(&s, "declare sev9", "unknown severity 'sev9'");
}

static void test_declare_title_refused(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, NULL, T0);
	refused(&s, "declare", "`declare` needs ");
	refused(&s, "declare   ", "`declare` needs ");
	refused_usage(&s, "declare sev2", "an incident needs a title",
		      "declare <title> [sev<N>]");
	refused(&s, "declare   sev1  ", "an incident needs a title");
}

static void test_declare_title_text(void **state)
{
	struct effects fx;
	char line[600];

	(void)state;
	/* Spacing inside is kept, around is not. */
	declared(&fx, "declare   Spaces   inside\there   sev2  ");
	assert_string_equal(fx.inc->title, "Spaces   inside\there");
	assert_int_equal(fx.inc->severity, 2);
	effects_release(&fx);
	declared(&fx, "declare Trailing newline\n");
	assert_string_equal(fx.inc->title, "Trailing newline");
	effects_release(&fx);
	declared(&fx, "declare Newline before sev\nsev2");
	assert_string_equal(fx.inc->title, "Newline before sev");
	assert_int_equal(fx.inc->severity, 2);
	effects_release(&fx);
	/* Bad bytes are cleaned. */
	declared(&fx, "declare bad \xff byte");
	assert_string_equal(fx.inc->title, "bad \xef\xbf\xbd byte");
	assert_string_equal(fx.inc->slug, "bad-byte");
	effects_release(&fx);
	/* A title may start with another incident's name. */
	declared(&fx, "declare INC-2 regression sev2");
	assert_string_equal(fx.inc->title, "INC-2 regression");
	assert_string_equal(fx.inc->channel, "inc-3-inc-2-regression");
	assert_int_equal(fx.inc->severity, 2);
	effects_release(&fx);
	/* At most 200 bytes of title. */
	memcpy(line, "declare ", 8);
	memset(line + 8, 'x', 300);
	memcpy(line + 308, " sev1", 6);
	declared(&fx, line);
	assert_int_equal(strlen(fx.inc->title), 200);
	assert_int_equal(fx.inc->severity, 1);
	assert_int_equal(strlen(fx.inc->slug), SLUG_MAX);
	effects_release(&fx);
}

/* More words than the core splits (WORDS_MAX): the severity is still the
 * last word, and the title all the words before it. */
static void test_declare_many_words(void **state)
{
	struct effects fx;
	char line[600];
	size_t i, off;

	(void)state;
	off = (size_t)snprintf(line, sizeof(line), "declare");
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " w%zu",
					i);
	snprintf(line + off, sizeof(line) - off, " sev1");
	declared(&fx, line);
	assert_int_equal(fx.inc->severity, 1);
	assert_non_null(strstr(fx.inc->title, "w38 w39"));
	assert_null(strstr(fx.inc->title, "sev1"));
	assert_int_equal(strncmp(fx.inc->title, "w0 w1 ", 6), 0);
	effects_release(&fx);
}

static void test_declare_slug_and_channel(void **state)
{
	static const struct {
		const char *line, *slug, *channel;
	} t[] = {
	    {"declare DB: 50% errors!! (EU-west)", "db-50-errors-eu-west",
	     "inc-3-db-50-errors-eu-west"},
	    {"declare !!! sev2", "incident", "inc-3-incident"},
	    {"declare \xc3\x9c"
	     "ber-St\xc3\xb6rung im Z\xc3\xa4hler",
	     "ber-st-rung-im-z-hler", "inc-3-ber-st-rung-im-z-hler"},
	    {"declare The quick brown fox jumps over the lazy dog again "
	     "and again",
	     "the-quick-brown-fox-jumps-over-the-lazy",
	     "inc-3-the-quick-brown-fox-jumps-over-the-lazy"},
	    {"declare ---", "incident", "inc-3-incident"},
	};
	struct effects fx;
	size_t i;
	char *name;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		declared(&fx, t[i].line);
		assert_string_equal(fx.inc->slug, t[i].slug);
		assert_string_equal(fx.inc->channel, t[i].channel);
		assert_true(strlen(fx.inc->slug) <= SLUG_MAX);
		effects_release(&fx);
	}
	name = core_channel_name(&cfg, 12, "db-down");
	assert_string_equal(name, "inc-12-db-down");
	free(name);
}

static void test_declare_by_slack_user(void **state)
{
	static const struct user u = {(char *)"U42", (char *)"Alice Smith"};
	struct effects fx;
	struct sim s;

	(void)state;
	sim_init(&s, NULL, T0);
	s.speaker = u;
	s.room = "C0GENERAL";
	ok(&s, "declare Checkout down", &fx);
	assert_string_equal(fx.inc->declared_by.id, "U42");
	assert_string_equal(fx.inc->declared_by.name, "Alice Smith");
	assert_string_equal(fx.inc->roles[0].who.id, "U42");
	assert_string_equal(fx.inc->origin_room, "C0GENERAL");
	assert_entry(&fx, 1, ENTRY_ROLE, T0, "commander: Alice Smith");
	post_in(&fx, "C0GENERAL", "INC-3 declared");
	post_in(&fx, NULL, "Commander: Alice Smith.");
	effects_release(&fx);
	refused(&s, "declare", "`declare` needs a title");
}

/* ---- severity and status --------------------------------------------------
 */

static void test_sev(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 5 * MIN);
	ok(&s, "sev 2", &fx);
	assert_int_equal(inc->severity, 2);
	assert_true(inc->dirty);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_SEVERITY, T0 + 5 * MIN,
		     "severity sev1 → sev2");
	assert_one_own_post(&fx, "INC-3 severity: sev1 → sev2");
	assert_ptr_equal(fx.inc, inc);
	assert_false(fx.created);
	effects_release(&fx);
	settle(inc);

	run_ok(&s, "sev sev3");
	assert_int_equal(inc->severity, 3);
	run_ok(&s, "sev SEV4");
	assert_int_equal(inc->severity, 4);

	refused_usage(&s, "sev 4", "INC-3 is already sev4",
		      "usage: `!inc sev <N>`");
	refused(&s, "sev sev4", "INC-3 is already sev4");
	refused_usage(&s, "sev 5",
		      "unknown severity '5': use one of sev1, sev2, sev3, sev4",
		      "sev <N>");
	refused(&s, "sev sev0", "unknown severity 'sev0'");
	refused(&s, "sev 0", "unknown severity '0'");
	refused(&s, "sev -1", "unknown severity '-1'");
	refused(&s, "sev 12", "unknown severity '12'");
	refused(&s, "sev high", "unknown severity 'high'");
	refused(&s, "sev", "`sev` needs ");
}

static void test_status_each(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	ok(&s, "status identified", &fx);
	assert_int_equal(inc->status, STATUS_IDENTIFIED);
	assert_true(inc->dirty);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_STATUS, T0 + 10 * MIN,
		     "status investigating → identified");
	assert_one_own_post(&fx, "INC-3 status: identified");
	effects_release(&fx);
	settle(inc);

	s.now += MIN;
	ok(&s, "status MONITORING", &fx);
	assert_int_equal(inc->status, STATUS_MONITORING);
	assert_entry(&fx, 0, ENTRY_STATUS, s.now,
		     "status identified → monitoring");
	effects_release(&fx);

	s.now += MIN;
	ok(&s, "status investigating", &fx);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	effects_release(&fx);

	s.now += MIN;
	ok(&s, "status resolved", &fx);
	assert_int_equal(inc->status, STATUS_RESOLVED);
	assert_int_equal(inc->marks[MARK_RESOLVED], s.now);
	assert_false(inc->resolved_explicit);
	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 0, ENTRY_STATUS, s.now,
		     "status investigating → resolved");
	assert_entry(&fx, 1, ENTRY_MARK, s.now, "resolved");
	assert_resolved_posts(&fx, "INC-3 status: resolved");
	effects_release(&fx);
	settle(inc);

	refused(&s, "status resolved", "INC-3 is already resolved");
	refused_usage(&s, "status fixed", "unknown status 'fixed'",
		      "status <investigating|identified|monitoring|resolved>");
	refused(&s, "status", "`status` needs ");
}

/* `status resolved` sets the resolved mark only when it is unset. */
static void test_status_resolved_first_wins(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	int64_t t1 = T0 + 20 * MIN;

	sim_init(&s, inc, t1);
	run_ok(&s, "status resolved");
	assert_int_equal(inc->marks[MARK_RESOLVED], t1);
	s.now = T0 + 30 * MIN;
	run_ok(&s, "status monitoring");
	assert_int_equal(inc->marks[MARK_RESOLVED], t1);
	s.now = T0 + 40 * MIN;
	ok(&s, "status resolved", &fx);
	assert_int_equal(inc->status, STATUS_RESOLVED);
	assert_int_equal(inc->marks[MARK_RESOLVED], t1);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_STATUS, s.now,
		     "status monitoring → resolved");
	effects_release(&fx);
	settle(inc);

	/* ...and so does `resolve`, after a step back. */
	run_ok(&s, "status investigating");
	s.now = T0 + 50 * MIN;
	ok(&s, "resolve", &fx);
	assert_int_equal(inc->marks[MARK_RESOLVED], t1);
	assert_int_equal(fx.nentries, 1);
	effects_release(&fx);
	settle(inc);

	/* An explicit mark is set again. */
	s.now = T0 + 60 * MIN;
	run_ok(&s, "mark resolved at 14:45");
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 45 * MIN);
	assert_true(inc->resolved_explicit);
}

/* ---- people ----------------------------------------------------------------
 */

static void test_lead(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + MIN);
	ok(&s, "lead @bob", &fx);
	assert_int_equal(inc->nroles, 1);
	assert_string_equal(inc->roles[0].role, "commander");
	assert_string_equal(inc->roles[0].who.id, "bob");
	assert_string_equal(inc->roles[0].who.name, "bob");
	assert_int_equal(inc->roles[0].at, T0 + MIN);
	assert_true(inc->roles[0].dirty);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_ROLE, T0 + MIN, "commander: bob");
	assert_one_own_post(&fx, "INC-3 commander: bob");
	effects_release(&fx);
	settle(inc);

	run_ok(&s, "lead @me");
	assert_int_equal(inc->nroles, 1);
	assert_string_equal(inc->roles[0].who.id, "alice");

	run_ok(&s, "lead <@U123|carol>");
	assert_string_equal(inc->roles[0].who.id, "U123");
	assert_string_equal(inc->roles[0].who.name, "carol");

	run_ok(&s, "lead <@U999>");
	assert_string_equal(inc->roles[0].who.id, "U999");
	assert_string_equal(inc->roles[0].who.name, "U999");

	ok(&s, "lead @alice:example.org", &fx);
	assert_string_equal(inc->roles[0].who.id, "@alice:example.org");
	assert_string_equal(inc->roles[0].who.name, "alice");
	assert_entry(&fx, 0, ENTRY_ROLE, T0 + MIN, "commander: alice");
	effects_release(&fx);
	settle(inc);
	assert_int_equal(inc->nroles, 1);

	refused_usage(&s, "lead bob", "'bob' is not a user: use @name or @me",
		      "lead <@user>");
	refused(&s, "lead @", "'@' is not a user");
	refused(&s, "lead <@>", "'<@>' is not a user");
	refused(&s, "lead <!channel>", "is not a user");
	refused(&s, "lead @bob @carol", "unexpected '@carol'");
	refused(&s, "lead", "`lead` needs ");
}

static void test_role(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 2 * MIN);
	ok(&s, "role comms @bob", &fx);
	assert_int_equal(inc->nroles, 2);
	assert_string_equal(inc->roles[1].role, "comms");
	assert_string_equal(inc->roles[1].who.id, "bob");
	assert_entry(&fx, 0, ENTRY_ROLE, T0 + 2 * MIN, "comms: bob");
	assert_one_own_post(&fx, "INC-3 comms: bob");
	effects_release(&fx);
	settle(inc);

	/* The configured spelling is kept. */
	run_ok(&s, "role SCRIBE @me");
	assert_int_equal(inc->nroles, 3);
	assert_string_equal(inc->roles[2].role, "scribe");
	assert_string_equal(inc->roles[2].who.id, "alice");

	/* Reassigning replaces. */
	run_ok(&s, "role comms <@U7|dave>");
	assert_int_equal(inc->nroles, 3);
	assert_string_equal(inc->roles[1].who.name, "dave");
	run_ok(&s, "role commander @alice:example.org");
	assert_string_equal(inc->roles[0].who.id, "@alice:example.org");

	refused_usage(&s, "role janitor @bob", "unknown role 'janitor'",
		      "role <name> <@user>");
	refused(&s, "role comms bob", "'bob' is not a user");
	refused(&s, "role comms @bob @carol", "unexpected '@carol'");
	refused(&s, "role comms", "`role` needs ");
	refused(&s, "role", "`role` needs ");
}

static void test_roles(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 2 * MIN);
	ok(&s, "roles", &fx);
	assert_int_equal(fx.nentries, 0);
	assert_one_reply(&fx, inc->room,
			 "INC-3 roles:\n• commander: alice\n• comms: (nobody)\n"
			 "• scribe: (nobody)");
	effects_release(&fx);
	run_ok(&s, "role scribe @bob");
	ok(&s, "roles", &fx);
	post_in(&fx, inc->room, "• scribe: bob");
	effects_release(&fx);
	assert_false(inc->dirty);
}

/* ---- marks -----------------------------------------------------------------
 */

static void test_mark_each_now(void **state)
{
	static const struct {
		const char *word;
		enum mark m;
	} t[] = {
	    {"started", MARK_STARTED},
	    {"detected", MARK_DETECTED},
	    {"acknowledged", MARK_ACKNOWLEDGED},
	    {"mitigated", MARK_MITIGATED},
	};
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	char line[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		sim_init(&s, inc, T0 + (int64_t)(i + 1) * MIN);
		snprintf(line, sizeof(line), "mark %s", t[i].word);
		ok(&s, line, &fx);
		assert_int_equal(inc->marks[t[i].m], s.now);
		assert_true(inc->dirty);
		assert_int_equal(fx.nentries, 1);
		assert_entry(&fx, 0, ENTRY_MARK, s.now, t[i].word);
		assert_one_own_post(&fx, "INC-3 ");
		post_in(&fx, NULL, t[i].word);
		effects_release(&fx);
		settle(inc);
	}
	/* Nothing else moved. */
	assert_int_equal(inc->marks[MARK_DECLARED], T0);
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);

	sim_init(&s, inc, T0 + 9 * MIN);
	ok(&s, "mark Acknowledged", &fx);
	assert_one_own_post(&fx, "INC-3 acknowledged at 14:09 UTC");
	effects_release(&fx);
}

static void test_mark_resolved(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 30 * MIN);
	ok(&s, "mark resolved", &fx);
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 30 * MIN);
	assert_true(inc->resolved_explicit);
	assert_int_equal(inc->status, STATUS_RESOLVED);
	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 0, ENTRY_STATUS, T0 + 30 * MIN,
		     "status investigating → resolved");
	assert_entry(&fx, 1, ENTRY_MARK, T0 + 30 * MIN, "resolved");
	assert_resolved_posts(&fx, "INC-3 resolved at 14:30 UTC");
	effects_release(&fx);
	settle(inc);

	/* Marked again explicitly: the new time wins, no second status. */
	s.now = T0 + 40 * MIN;
	ok(&s, "mark resolved at 14:25", &fx);
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 25 * MIN);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_MARK, T0 + 25 * MIN, "resolved");
	effects_release(&fx);
	settle(inc);

	refused(&s, "resolve", "INC-3 is already resolved");
}

/* `resolve` first, then an explicit mark: the mark wins. */
static void test_resolve_then_mark(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + 40 * MIN);
	run_ok(&s, "resolve");
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 40 * MIN);
	assert_false(inc->resolved_explicit);
	s.now = T0 + 45 * MIN;
	run_ok(&s, "mark resolved at 14:20");
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 20 * MIN);
	assert_true(inc->resolved_explicit);
	assert_int_equal(inc->status, STATUS_RESOLVED);
}

static void test_mark_at_forms(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	ok(&s, "mark detected at 13:55", &fx);
	assert_int_equal(inc->marks[MARK_DETECTED], T0 - 5 * MIN);
	assert_entry(&fx, 0, ENTRY_MARK, T0 - 5 * MIN, "detected");
	assert_one_own_post(&fx, "INC-3 detected at 13:55 UTC");
	effects_release(&fx);
	settle(inc);
	assert_int_equal(incident_detected(inc), T0 - 5 * MIN);
	assert_int_equal(incident_started(inc), T0 - 5 * MIN);

	run_ok(&s, "mark started at 2026-11-24 13:30");
	assert_int_equal(inc->marks[MARK_STARTED], T0 - 30 * MIN);
	assert_int_equal(incident_started(inc), T0 - 30 * MIN);

	run_ok(&s, "mark acknowledged AT 2026-11-24T13:58:00Z");
	assert_int_equal(inc->marks[MARK_ACKNOWLEDGED], T0 - 2 * MIN);

	run_ok(&s, "mark started at 2026-11-24T13:00:00+01:00");
	assert_int_equal(inc->marks[MARK_STARTED], T0 - 2 * HOUR);

	run_ok(&s, "mark mitigated at 2026-11-24t09:05:30.250-05:00");
	assert_int_equal(inc->marks[MARK_MITIGATED], T0 + 5 * MIN + 30250);

	/* A bare HH:MM never reaches into the future: it would be
	 * yesterday's, 23 h 40 min back, which is more likely a slip than
	 * meant: the date is asked for, and echoed once given. */
	refused(&s, "mark mitigated at 14:30",
		"14:30 would be 2026-11-23 14:30, 23 h 40 min ago: give the "
		"date, as in `at 2026-11-23 14:30`");
	ok(&s, "mark mitigated at 2026-11-23 14:30", &fx);
	assert_int_equal(inc->marks[MARK_MITIGATED], T0 + 30 * MIN - DAY);
	assert_one_own_post(&fx, "INC-3 mitigated at 2026-11-23 14:30 UTC");
	effects_release(&fx);
	settle(inc);

	/* Exactly now is not the future. */
	run_ok(&s, "mark mitigated at 14:10");
	assert_int_equal(inc->marks[MARK_MITIGATED], T0 + 10 * MIN);
}

/* `at 23:50` sent at 00:05 means yesterday. */
static void test_mark_at_yesterday(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	int64_t midnight = T0 + 10 * HOUR; /* 2026-11-25 00:00 */

	sim_init(&s, inc, midnight + 5 * MIN);
	ok(&s, "mark mitigated at 23:50", &fx);
	assert_int_equal(inc->marks[MARK_MITIGATED], midnight - 10 * MIN);
	/* Another day than the command's: the date is echoed. */
	assert_one_own_post(&fx, "INC-3 mitigated at 2026-11-24 23:50 UTC");
	effects_release(&fx);
	settle(inc);
	ok(&s, "mark acknowledged at 00:05", &fx);
	assert_int_equal(inc->marks[MARK_ACKNOWLEDGED], midnight + 5 * MIN);
	assert_one_own_post(&fx, "INC-3 acknowledged at 00:05 UTC");
	effects_release(&fx);
	settle(inc);
	refused(&s, "mark detected at 00:06",
		"00:06 would be 2026-11-24 00:06, 23 h 59 min ago: give the "
		"date, as in `at 2026-11-24 00:06`");
	run_ok(&s, "mark detected at 2026-11-24 00:06");
	assert_int_equal(inc->marks[MARK_DETECTED], midnight + 6 * MIN - DAY);
}

/* 12 hours back is the limit of a bare HH:MM; before 1970 and more than a
 * year back are refused in every form (issue 12: `mark started at
 * 0000-01-01 00:00` gave a duration of 740318 d). */
static void test_mark_at_bounds(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + 12 * HOUR); /* 2026-11-25 02:00 */
	run_ok(&s, "mark detected at 14:00");
	assert_int_equal(inc->marks[MARK_DETECTED], T0);
	refused(&s, "mark started at 13:59",
		"13:59 would be 2026-11-24 13:59, 12 h 1 min ago");
	run_ok(&s, "mark started at 2026-11-24 13:59");
	assert_int_equal(inc->marks[MARK_STARTED], T0 - MIN);

	refused(&s, "mark started at 0000-01-01 00:00",
		"0000-01-01 00:00 is before 1970");
	refused(&s, "mark started at 1969-12-31 23:59",
		"1969-12-31 23:59 is before 1970");
	refused(&s, "mark started at 1969-12-31T23:59:59Z", "before 1970");
	refused(&s, "mark started at 2025-11-24 01:59",
		"2025-11-24 01:59 is more than a year ago");
	run_ok(&s, "mark started at 2025-11-25 02:00");
	assert_int_equal(inc->marks[MARK_STARTED], T0 + 12 * HOUR - 365 * DAY);
	refused(&s, "event at 2020-01-01 00:00 old news",
		"more than a year ago");
}

static void test_mark_refused(void **state)
{
	static const char usage[] =
	    "mark <started|detected|acknowledged|mitigated|resolved> "
	    "[at <time>]";
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	refused_usage(&s, "mark declared", "unknown mark 'declared'", usage);
	refused_usage(&s, "mark closed", "unknown mark 'closed'", usage);
	refused(&s, "mark DECLARED at 13:00", "unknown mark 'DECLARED'");
	refused(&s, "mark fixed", "unknown mark 'fixed'");
	refused(&s, "mark", "`mark` needs ");
	refused_usage(&s, "mark detected at", "'at' needs a time", usage);
	refused(&s, "mark detected yesterday", "unexpected 'yesterday'");
	refused(&s, "mark detected at 13:00 sharp", "unexpected 'sharp'");
	refused(&s, "mark detected at 2026-11-24 13:00 sharp",
		"unexpected 'sharp'");
	/* Invalid times. */
	refused_usage(&s, "mark detected at 25:00",
		      "'25:00' is not a time: the hour must be 00-23", usage);
	refused(&s, "mark detected at 13:60", "is not a time");
	refused(&s, "mark detected at noon", "is not a time");
	refused(&s, "mark detected at 2026-02-30 13:00", "is not a time");
	refused(&s, "mark detected at 2026-11-24T13:00:00", "is not a time");
	refused(&s, "mark detected at 2026-11-24", "is not a time");
	/* Future times. */
	refused(&s, "mark mitigated at 2026-11-24 14:30", "in the future");
	refused(&s, "mark mitigated at 2026-11-25 00:00", "in the future");
	refused(&s, "mark mitigated at 2026-11-24T14:11:00Z", "in the future");
	refused(&s, "mark resolved at 2027-01-01T00:00:00+00:00",
		"in the future");
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
}

/* ---- the record ------------------------------------------------------------
 */

static void test_note(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 3 * MIN);
	ok(&s, "note  failover   started, replica lag 30 s", &fx);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 + 3 * MIN,
		     "failover   started, replica lag 30 s");
	assert_string_equal(fx.entries[0].who.id, "alice");
	assert_one_reply(&fx, inc->room, "noted on INC-3's timeline");
	effects_release(&fx);
	assert_false(inc->dirty);

	refused(&s, "note", "`note` needs ");
	refused(&s, "note    ", "`note` needs ");
}

static void test_event(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	ok(&s, "event at 13:40 pager fired for p99 latency", &fx);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 - 20 * MIN,
		     "pager fired for p99 latency");
	assert_one_reply(&fx, inc->room,
			 "event at 13:40 UTC on INC-3's timeline");
	effects_release(&fx);

	ok(&s, "event at 2026-11-24 13:41 migration 0042 ran", &fx);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 - 19 * MIN, "migration 0042 ran");
	effects_release(&fx);

	ok(&s, "event AT 2026-11-24T13:42:00Z deadlocks begin", &fx);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 - 18 * MIN, "deadlocks begin");
	effects_release(&fx);

	/* The Times rule holds for `event at` too: a bare HH:MM more than 12
	 * hours back asks for the date; another day is echoed with it. */
	refused(&s, "event at 23:59 last night's deploy",
		"23:59 would be 2026-11-23 23:59, 14 h 11 min ago: give the "
		"date, as in `at 2026-11-23 23:59`");
	ok(&s, "event at 2026-11-23 23:59 last night's deploy", &fx);
	assert_entry(&fx, 0, ENTRY_NOTE, T0 - 14 * HOUR - MIN,
		     "last night's deploy");
	assert_one_reply(&fx, inc->room,
			 "event at 2026-11-23 23:59 UTC on INC-3's timeline");
	effects_release(&fx);
	assert_false(inc->dirty);

	static const char usage[] = "usage: `!inc event at <time> <text>`";
	refused_usage(&s, "event 13:40 pager fired",
		      "the time comes first: `!inc event at <time> <text>`",
		      usage);
	refused_usage(&s, "event pager fired at 13:40", "the time comes first",
		      usage);
	refused(&s, "event at 13:40", "`event` needs ");
	refused(&s, "event at", "`event` needs ");
	refused(&s, "event", "`event` needs ");
	refused_usage(&s, "event at 2026-11-24 13:40",
		      "the event needs a text after its time", usage);
	refused(&s, "event at 99:99 pager", "'99:99' is not a time");
	refused(&s, "event at 2026-11-24 15:00 pager", "in the future");
	refused(&s, "event at 2026-11-24T14:30:00Z pager", "in the future");
}

static void test_hypotheses(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 5 * MIN);
	ok(&s, "hypothesis load spike after the campaign", &fx);
	assert_int_equal(inc->nhyps, 1);
	assert_int_equal(inc->hyps[0].n, 1);
	assert_string_equal(inc->hyps[0].text, "load spike after the campaign");
	assert_string_equal(inc->hyps[0].by.id, "alice");
	assert_int_equal(inc->hyps[0].raised, T0 + 5 * MIN);
	assert_int_equal(inc->hyps[0].state, HYP_OPEN);
	assert_true(inc->hyps[0].dirty);
	assert_entry(&fx, 0, ENTRY_HYPOTHESIS, T0 + 5 * MIN,
		     "H1 raised: load spike after the campaign");
	assert_one_own_post(&fx, "H1: load spike after the campaign");
	post_in(&fx, NULL, "`!inc confirm H1` or `!inc rule-out H1`");
	effects_release(&fx);
	settle(inc);

	s.now = T0 + 10 * MIN;
	run_ok(&s, "hypothesis network partition");
	run_ok(&s, "hypothesis deadlock from migration");
	assert_int_equal(inc->nhyps, 3);
	assert_int_equal(inc->hyps[1].n, 2);
	assert_int_equal(inc->hyps[2].n, 3);

	s.now = T0 + 25 * MIN;
	ok(&s, "rule-out H1 CPU was flat all along", &fx);
	assert_int_equal(inc->hyps[0].state, HYP_RULED_OUT);
	assert_int_equal(inc->hyps[0].decided, T0 + 25 * MIN);
	assert_string_equal(inc->hyps[0].decided_by.id, "alice");
	assert_string_equal(inc->hyps[0].why, "CPU was flat all along");
	assert_true(inc->hyps[0].dirty);
	assert_false(inc->hyps[1].dirty);
	assert_entry(&fx, 0, ENTRY_HYPOTHESIS, T0 + 25 * MIN,
		     "H1 ruled out: load spike after the campaign — CPU was "
		     "flat all along");
	assert_one_own_post(&fx, "H1 ruled out after 20 min: load spike after "
				 "the campaign — CPU was flat all along");
	effects_release(&fx);
	settle(inc);

	s.now = T0 + 70 * MIN;
	ok(&s, "confirm h3", &fx);
	assert_int_equal(inc->hyps[2].state, HYP_CONFIRMED);
	assert_null(inc->hyps[2].why);
	assert_entry(&fx, 0, ENTRY_HYPOTHESIS, T0 + 70 * MIN,
		     "H3 confirmed: deadlock from migration");
	assert_one_own_post(&fx, "H3 confirmed after 1 h: deadlock from "
				 "migration");
	effects_release(&fx);
	settle(inc);

	/* Already decided, either way. */
	refused_usage(&s, "confirm H1", "H1 was already ruled out at 14:25 UTC",
		      "confirm H<n> [why]");
	refused(&s, "rule-out H1", "H1 was already ruled out");
	refused_usage(&s, "rule-out H3 no", "H3 was already confirmed at 15:10",
		      "rule-out H<n> [why]");
	/* Unknown or malformed. */
	refused(&s, "confirm H9", "there is no H9 in INC-3");
	refused(&s, "confirm X1", "'X1' is not a hypothesis: use H<n>");
	refused(&s, "confirm H0", "'H0' is not a hypothesis");
	refused(&s, "rule-out 2", "'2' is not a hypothesis");
	refused(&s, "confirm", "`confirm` needs ");
	refused(&s, "rule-out", "`rule-out` needs ");
	refused(&s, "hypothesis", "`hypothesis` needs ");

	/* H2 is still open. */
	run_ok(&s, "rule-out H2");
	assert_int_equal(inc->hyps[1].state, HYP_RULED_OUT);
	assert_null(inc->hyps[1].why);
}

static void test_fields(void **state)
{
	static const struct {
		const char *cmd;
		enum field f;
	} t[] = {
	    {"summary", FIELD_SUMMARY},       {"impact", FIELD_IMPACT},
	    {"rootcause", FIELD_ROOTCAUSE},   {"resolution", FIELD_RESOLUTION},
	    {"conclusion", FIELD_CONCLUSION},
	};
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	char line[128], want[128];
	size_t i;

	sim_init(&s, inc, T0 + 60 * MIN);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		snprintf(line, sizeof(line), "%s first  %s", t[i].cmd,
			 t[i].cmd);
		ok(&s, line, &fx);
		snprintf(want, sizeof(want), "first  %s", t[i].cmd);
		assert_string_equal(inc->fields[t[i].f], want);
		assert_true(inc->dirty);
		snprintf(want, sizeof(want), "%s: first  %s", t[i].cmd,
			 t[i].cmd);
		assert_int_equal(fx.nentries, 1);
		assert_entry(&fx, 0, ENTRY_FIELD, s.now, want);
		snprintf(want, sizeof(want), "INC-3 %s recorded", t[i].cmd);
		assert_one_reply(&fx, inc->room, want);
		effects_release(&fx);
		settle(inc);

		/* The last one given wins; both are timelined. */
		snprintf(line, sizeof(line), "%s second", t[i].cmd);
		ok(&s, line, &fx);
		assert_string_equal(inc->fields[t[i].f], "second");
		snprintf(want, sizeof(want), "%s: second", t[i].cmd);
		assert_entry(&fx, 0, ENTRY_FIELD, s.now, want);
		effects_release(&fx);
		settle(inc);

		snprintf(line, sizeof(line), "%s", t[i].cmd);
		snprintf(want, sizeof(want),
			 "`%s` needs the text of the %s: `!inc %s <text>`",
			 t[i].cmd,
			 t[i].f == FIELD_ROOTCAUSE ? "root cause" : t[i].cmd,
			 t[i].cmd);
		refused(&s, line, want);
	}
	for (i = 0; i < ARRAY_SIZE(t); i++)
		assert_string_equal(inc->fields[t[i].f], "second");
}

static void test_learned(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 60 * MIN);
	ok(&s, "learned well alerts fired within a minute", &fx);
	assert_int_equal(inc->nlessons, 1);
	assert_int_equal(inc->lessons[0].n, 1);
	assert_int_equal(inc->lessons[0].kind, LESSON_WELL);
	assert_string_equal(inc->lessons[0].text,
			    "alerts fired within a minute");
	assert_string_equal(inc->lessons[0].by.id, "alice");
	assert_int_equal(inc->lessons[0].at, s.now);
	assert_true(inc->lessons[0].dirty);
	assert_entry(&fx, 0, ENTRY_LESSON, s.now,
		     "went well: alerts fired within a minute");
	assert_one_reply(&fx, inc->room, "lesson recorded (went well)");
	effects_release(&fx);
	settle(inc);

	ok(&s, "learned WRONG we scaled up first", &fx);
	assert_int_equal(inc->lessons[1].n, 2);
	assert_int_equal(inc->lessons[1].kind, LESSON_WRONG);
	assert_entry(&fx, 0, ENTRY_LESSON, s.now,
		     "went wrong: we scaled up first");
	effects_release(&fx);
	ok(&s, "learned lucky it was a quiet Sunday", &fx);
	assert_int_equal(inc->lessons[2].n, 3);
	assert_int_equal(inc->lessons[2].kind, LESSON_LUCKY);
	assert_entry(&fx, 0, ENTRY_LESSON, s.now,
		     "got lucky: it was a quiet Sunday");
	effects_release(&fx);
	settle(inc);

	static const char usage[] = "learned <well|wrong|lucky> <text>";
	refused_usage(&s, "learned badly the alert was late",
		      "'badly' is not well, wrong or lucky", usage);
	refused(&s, "learned well", "`learned` needs ");
	refused(&s, "learned", "`learned` needs ");
	assert_int_equal(inc->nlessons, 3);
}

static void test_actions(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 60 * MIN);
	ok(&s, "actions", &fx);
	assert_int_equal(fx.nentries, 0);
	assert_one_reply(&fx, inc->room,
			 "INC-3 follow-ups: none yet (`!inc action <text> "
			 "[@owner]`, `!inc fix <text>`)");
	effects_release(&fx);

	ok(&s, "action add a deadlock alert  @bob", &fx);
	assert_int_equal(inc->nactions, 1);
	assert_int_equal(inc->actions[0].n, 1);
	assert_int_equal(inc->actions[0].kind, ACTION_TASK);
	assert_string_equal(inc->actions[0].text, "add a deadlock alert");
	assert_string_equal(inc->actions[0].owner.id, "bob");
	assert_string_equal(inc->actions[0].by.id, "alice");
	assert_int_equal(inc->actions[0].at, s.now);
	assert_int_equal(inc->actions[0].done, 0);
	assert_true(inc->actions[0].dirty);
	assert_entry(&fx, 0, ENTRY_ACTION, s.now,
		     "A1 action: add a deadlock alert — owner bob");
	assert_one_reply(&fx, inc->room,
			 "A1 action item: add a deadlock alert — owner bob");
	effects_release(&fx);
	settle(inc);

	ok(&s, "action write the migration runbook", &fx);
	assert_int_equal(inc->actions[1].n, 2);
	assert_null(inc->actions[1].owner.id);
	assert_string_equal(inc->actions[1].text,
			    "write the migration runbook");
	assert_entry(&fx, 0, ENTRY_ACTION, s.now,
		     "A2 action: write the migration runbook");
	post_in(&fx, inc->room, "— no owner yet");
	effects_release(&fx);

	ok(&s, "fix roll back migration 0042 @bob", &fx);
	assert_int_equal(inc->actions[2].n, 3);
	assert_int_equal(inc->actions[2].kind, ACTION_FIX);
	/* A fix takes its owner like an action. */
	assert_string_equal(inc->actions[2].text, "roll back migration 0042");
	assert_string_equal(inc->actions[2].owner.id, "bob");
	assert_entry(&fx, 0, ENTRY_ACTION, s.now,
		     "A3 fix: roll back migration 0042 — owner bob");
	post_in(&fx, inc->room,
		"A3 corrective measure: roll back migration 0042 — owner bob");
	effects_release(&fx);

	run_ok(&s, "action review the schema <@U123|carol>");
	assert_string_equal(inc->actions[3].owner.id, "U123");
	assert_string_equal(inc->actions[3].owner.name, "carol");
	assert_string_equal(inc->actions[3].text, "review the schema");
	run_ok(&s, "action page the DBA @me");
	assert_string_equal(inc->actions[4].owner.id, "alice");
	run_ok(&s, "action ask @alice:example.org");
	assert_string_equal(inc->actions[5].owner.id, "@alice:example.org");
	assert_string_equal(inc->actions[5].text, "ask");
	/* One word: the text, even when it looks like a user. */
	run_ok(&s, "action @bob");
	assert_string_equal(inc->actions[6].text, "@bob");
	assert_null(inc->actions[6].owner.id);
	assert_int_equal(inc->nactions, 7);

	ok(&s, "actions", &fx);
	post_in(&fx, inc->room,
		"INC-3 follow-ups:\n☐ A1 action: add a "
		"deadlock alert — bob\n☐ A2 action: write the "
		"migration runbook — no owner\n☐ A3 fix: roll "
		"back migration 0042 — bob\n");
	effects_release(&fx);

	/* owner A<n>: given, changed, taken away. */
	ok(&s, "owner A2 @carol", &fx);
	assert_string_equal(inc->actions[1].owner.id, "carol");
	assert_true(inc->actions[1].dirty);
	assert_entry(&fx, 0, ENTRY_ACTION, s.now, "A2 owner: carol");
	assert_one_reply(&fx, inc->room,
			 "A2 is carol's: write the migration runbook");
	effects_release(&fx);
	settle(inc);
	run_ok(&s, "owner a3 @me");
	assert_string_equal(inc->actions[2].owner.id, "alice");
	ok(&s, "owner A3 none", &fx);
	assert_null(inc->actions[2].owner.id);
	assert_entry(&fx, 0, ENTRY_ACTION, s.now, "A3 has no owner");
	assert_one_reply(&fx, inc->room,
			 "A3 has no owner now: roll back migration 0042");
	effects_release(&fx);
	static const char owner_usage[] = "owner A<n> <@user>|none";
	refused(&s, "owner A2", "`owner` needs ");
	refused_usage(&s, "owner 2 @bob", "'2' is not a follow-up: use A<n>",
		      owner_usage);
	refused(&s, "owner A99 @bob", "there is no A99 in INC-3");
	refused(&s, "owner A2 bob", "'bob' is not a user");
	assert_string_equal(inc->actions[1].owner.id, "carol");

	refused(&s, "action", "`action` needs ");
	refused_usage(&s, "action review @", "'@' is not a user",
		      "action <text> [<@owner>]");
	refused(&s, "action review <@>", "'<@>' is not a user");
	refused(&s, "fix", "`fix` needs ");
	assert_int_equal(inc->nactions, 7);
}

/* More words than the core splits: the owner is still the last word. */
static void test_action_many_words(void **state)
{
	struct incident *inc = *state;
	char line[600];
	size_t i, off;
	struct sim s;

	sim_init(&s, inc, T0 + 60 * MIN);
	off = (size_t)snprintf(line, sizeof(line), "action");
	for (i = 0; i < 40; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " w%zu",
					i);
	snprintf(line + off, sizeof(line) - off, " @bob");
	run_ok(&s, line);
	assert_string_equal(inc->actions[0].owner.id, "bob");
	assert_int_equal(strncmp(inc->actions[0].text, "w0 w1 ", 6), 0);
	assert_non_null(strstr(inc->actions[0].text, " w39"));
	assert_null(strstr(inc->actions[0].text, "@bob"));

	/* A mention among the words past the split one is text. */
	off = (size_t)snprintf(line, sizeof(line), "action");
	for (i = 0; i < 31; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " w%zu",
					i);
	snprintf(line + off, sizeof(line) - off, " @carol and more words");
	run_ok(&s, line);
	assert_null(inc->actions[1].owner.id);
	assert_non_null(strstr(inc->actions[1].text, "@carol and more words"));
}

static void test_done(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 60 * MIN);
	run_ok(&s, "action add a deadlock alert @bob");
	run_ok(&s, "fix roll back");
	s.now = T0 + 90 * MIN;
	ok(&s, "done A1", &fx);
	assert_int_equal(inc->actions[0].done, s.now);
	assert_string_equal(inc->actions[0].done_by.id, "alice");
	assert_true(inc->actions[0].dirty);
	assert_false(inc->actions[1].dirty);
	assert_entry(&fx, 0, ENTRY_ACTION, s.now,
		     "A1 done: add a deadlock alert");
	assert_one_reply(&fx, inc->room, "A1 done: add a deadlock alert");
	effects_release(&fx);
	settle(inc);

	run_ok(&s, "done a2");
	assert_int_equal(inc->actions[1].done, s.now);

	ok(&s, "actions", &fx);
	post_in(&fx, inc->room,
		"☑ A1 action (done): add a deadlock alert — bob");
	post_in(&fx, inc->room, "☑ A2 fix (done): roll back — no owner");
	effects_release(&fx);

	refused_usage(&s, "done A1", "A1 is already done", "done A<n>");
	refused(&s, "done A9", "there is no A9 in INC-3");
	refused(&s, "done 1", "'1' is not a follow-up: use A<n>");
	refused(&s, "done H1", "'H1' is not a follow-up");
	refused(&s, "done A0", "'A0' is not a follow-up");
	refused(&s, "done", "`done` needs ");
}

/* A library of one small playbook: S1 needs evidence, S2 does not. */
static const char tiny_playbook[] = "id: db-deadlock\n"
				    "title: Deadlock check\n"
				    "triggers:\n"
				    "  keywords: [deadlock]\n"
				    "steps:\n"
				    "  - id: changes\n"
				    "    title: What changed?\n"
				    "    instructions: List the migrations.\n"
				    "    evidence: required\n"
				    "  - id: locks\n"
				    "    title: Who holds the lock?\n"
				    "    instructions: Query the locks.\n";

static void tiny_library(struct pb_library *lib)
{
	struct playbook pb;
	struct buf err;

	buf_init(&err, BUF_UNBOUNDED);
	if (playbook_parse("tiny.yaml", tiny_playbook, strlen(tiny_playbook),
			   &pb, &err))
		fail_msg("tiny playbook: %s", err.s);
	buf_release(&err);
	pb_library_init(lib);
	assert_int_equal(pb_library_add(lib, &pb), 0);
	pb_library_finish(lib);
}

/* Without playbooks loaded, every playbook command says so. */
static void test_playbook_none_loaded(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + 5 * MIN);
	refused_usage(&s, "playbook list", "no playbooks are loaded",
		      "playbook list|start <name>|show [<name>]");
	refused(&s, "playbook start db-deadlock", "no playbooks are loaded");
	refused(&s, "playbook show db-deadlock", "no playbooks are loaded");
	refused(&s, "playbook show", "no playbook has run in this incident");
	refused(&s, "playbook frob", "'frob' is not list, start or show");
	refused(&s, "playbook", "`playbook` needs ");
	refused_usage(&s, "step done", "no playbook is running",
		      "step done|skip|show [S<n>] [evidence, why or --all]");
	refused(&s, "step skip S1 why", "no playbook is running");
	refused(&s, "step frob", "'frob' is not done, skip or show");
	refused(&s, "step", "`step` needs ");
	/* `playbook` works outside an incident channel too. */
	sim_init(&s, NULL, T0 + 5 * MIN);
	refused(&s, "playbook list", "no playbooks are loaded");
}

static void test_playbook_and_step(void **state)
{
	struct incident *inc = *state;
	struct pb_library lib;
	struct effects fx;
	struct sim s;

	tiny_library(&lib);
	sim_init(&s, inc, T0 + 5 * MIN);
	s.playbooks = &lib;

	ok(&s, "playbook list", &fx);
	assert_one_reply(&fx, inc->room, "db-deadlock — Deadlock check");
	effects_release(&fx);

	refused(&s, "playbook start", "which playbook?");
	refused(&s, "playbook start nope", "no playbook 'nope'");
	refused(&s, "step done", "no playbook is running");

	ok(&s, "playbook start db-deadlock", &fx);
	assert_int_equal(inc->nruns, 1);
	assert_int_equal(inc->current_run, 1);
	assert_int_equal(inc->runs[0].nsteps, 2);
	assert_true(inc->dirty);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_PLAYBOOK, s.now,
		     "started db-deadlock: Deadlock check (2 steps)");
	post_in(&fx, NULL, "db-deadlock · S1 of 2: What changed?");
	post_in(&fx, NULL, "Evidence required");
	effects_release(&fx);
	settle(inc);

	refused(&s, "playbook start db-deadlock",
		"db-deadlock is already "
		"running");
	/* Without S<n>: the current step; evidence is required for S1. */
	refused(&s, "step done", "S1 needs evidence");
	refused(&s, "step done S3 x", "db-deadlock has steps S1 to S2");
	refused(&s, "step skip S2", "say why");

	s.now = T0 + 15 * MIN;
	ok(&s, "step done migration 0042 ran at 13:41", &fx);
	assert_int_equal(inc->runs[0].steps[0].state, STEP_DONE);
	assert_string_equal(inc->runs[0].steps[0].note,
			    "migration 0042 ran at 13:41");
	assert_entry(&fx, 0, ENTRY_PLAYBOOK, s.now,
		     "db-deadlock S1 done: What changed? — migration 0042 "
		     "ran at 13:41 (took 10 min)");
	post_in(&fx, inc->room,
		"✅ S1 of db-deadlock done by alice in 10 min — evidence: "
		"migration 0042 ran at 13:41");
	post_in(&fx, NULL, "S2 of 2: Who holds the lock?");
	effects_release(&fx);
	settle(inc);

	refused(&s, "step done S1 again",
		"S1 of db-deadlock was already done "
		"by alice at 14:15 UTC");

	s.now = T0 + 20 * MIN;
	ok(&s, "step skip S2 the lock is gone", &fx);
	assert_int_equal(inc->runs[0].steps[1].state, STEP_SKIPPED);
	assert_int_equal(inc->runs[0].finished, s.now);
	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 1, ENTRY_PLAYBOOK, s.now, "db-deadlock finished");
	post_in(&fx, NULL, "db-deadlock finished");
	effects_release(&fx);
	settle(inc);
	refused(&s, "step done", "no playbook is running");

	/* Closed: `step` is refused, `playbook list` is not. */
	run_ok(&s, "playbook start db-deadlock");
	run_ok(&s, "close");
	refused(&s, "step done S1 x",
		"INC-3 is closed (`!inc reopen` it first)");
	refused(&s, "playbook start db-deadlock", "INC-3 is closed");
	run_ok(&s, "playbook list");

	/* Outside an incident channel: list works, start needs one. */
	sim_init(&s, NULL, T0 + 3 * HOUR);
	s.playbooks = &lib;
	ok(&s, "playbook list", &fx);
	assert_one_reply(&fx, "#general", "db-deadlock — Deadlock check");
	effects_release(&fx);
	refused(&s, "playbook start db-deadlock",
		"this is not an incident channel: name one first, as in "
		"`!inc playbook INC-3 start db-deadlock`");
	refused(&s, "playbook INC-42 list", "there is no INC-42");
	refused(&s, "step done", "this is not an incident channel");
	pb_library_release(&lib);
}

/* Declaring an incident whose title matches a playbook suggests it. */
static void test_declare_suggests_playbook(void **state)
{
	struct pb_library lib;
	struct effects fx;
	struct sim s;

	(void)state;
	tiny_library(&lib);
	sim_init(&s, NULL, T0);
	s.playbooks = &lib;
	ok(&s, "declare Deadlock in orders DB sev1", &fx);
	assert_int_equal(fx.nposts, 3);
	post_in(&fx, NULL, "Suggested playbook");
	post_in(&fx, NULL, "`!inc playbook start db-deadlock`");
	assert_entry(&fx, 2, ENTRY_PLAYBOOK, T0,
		     "suggested db-deadlock (matched “deadlock”)");
	effects_release(&fx);

	ok(&s, "declare Disk full", &fx);
	assert_int_equal(fx.nposts, 2);
	assert_int_equal(fx.nentries, 2);
	effects_release(&fx);
	pb_library_release(&lib);
}

/* ---- reading ------------------------------------------------------------- */

static void test_timeline(void **state)
{
	static const struct timeline_row rows[] = {
	    {1, ENTRY_DECLARED, T0, "alice", "declared INC-3", false},
	    {2, ENTRY_MESSAGE, T0 + MIN, "bob", "looking", false},
	    {3, ENTRY_MESSAGE, T0 + 2 * MIN, "bob", "oops", true},
	    {4, ENTRY_NOTE, T0 + 3 * MIN, "carol", "", false},
	};
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 5 * MIN);
	s.rows = rows;
	s.nrows = ARRAY_SIZE(rows);
	ok(&s, "timeline", &fx);
	assert_int_equal(last.timeline_count, 10);
	assert_int_equal(fx.nentries, 0);
	assert_one_reply(&fx, inc->room,
			 "INC-3 timeline (last 4):\n"
			 "14:00 UTC alice: declared INC-3\n"
			 "14:01 UTC bob: looking\n"
			 "14:02 UTC bob: (deleted)\n"
			 "14:03 UTC carol: ");
	effects_release(&fx);

	ok(&s, "timeline 2", &fx);
	assert_one_reply(&fx, inc->room,
			 "INC-3 timeline (last 2):\n14:02 UTC bob: (deleted)");
	assert_null(strstr(fx.posts[0].text, "looking"));
	effects_release(&fx);

	run_ok(&s, "timeline 1");
	run_ok(&s, "timeline 200");

	static const char usage[] = "timeline [<count>]";
	refused_usage(&s, "timeline 0", "'0' is not a count from 1 to 200",
		      usage);
	refused(&s, "timeline -1", "'-1' is not a count from 1 to 200");
	refused(&s, "timeline 201", "'201' is not a count from 1 to 200");
	refused(&s, "timeline abc", "'abc' is not a count from 1 to 200");
	refused(&s, "timeline 5x", "'5x' is not a count");

	/* An empty timeline. */
	s.nrows = 0;
	ok(&s, "timeline", &fx);
	assert_one_reply(&fx, inc->room, "INC-3 timeline (last 0):");
	effects_release(&fx);
	assert_false(inc->dirty);
}

static void test_list(void **state)
{
	struct incident *inc = *state;
	struct incident open[2];
	struct effects fx;
	struct sim s;

	sim_init(&s, NULL, T0 + 5 * MIN);
	ok(&s, "list", &fx);
	assert_int_equal(last.need, NEED_OPEN_LIST);
	assert_null(fx.inc);
	assert_int_equal(fx.nentries, 0);
	assert_one_reply(&fx, "#general", "No open incidents.");
	effects_release(&fx);

	memset(open, 0, sizeof(open));
	open[0] = *inc;
	declare(&open[1], "declare Disk full sev2");
	open[1].id = 4;
	open[1].status = STATUS_MONITORING;
	s.open = open;
	s.nopen = 2;
	ok(&s, "list", &fx);
	assert_one_reply(
	    &fx, "#general",
	    "Open incidents (2):\n"
	    "INC-3 sev1 investigating — Database errors spiking "
	    "(#inc-3-database-errors-spiking)\n"
	    "INC-4 sev2 monitoring — Disk full (#inc-3-disk-full)");
	effects_release(&fx);
	incident_release(&open[1]);

	/* Inside an incident channel too. */
	sim_init(&s, inc, T0 + 5 * MIN);
	ok(&s, "LIST", &fx);
	assert_one_reply(&fx, inc->room, "No open incidents.");
	effects_release(&fx);
}

static const char *const all_commands[] = {
    "declare",    "sev",        "status",   "lead",   "role",
    "roles",      "mark",       "note",     "event",  "hypothesis",
    "rule-out",   "confirm",    "summary",  "impact", "rootcause",
    "resolution", "conclusion", "learned",  "action", "fix",
    "actions",    "done",       "playbook", "step",   "timeline",
    "postmortem", "resolve",    "close",    "reopen", "list",
    "help",
};

static void test_help(void **state)
{
	struct effects fx;
	struct sim s;
	char want[64];
	size_t i;

	(void)state;
	sim_init(&s, NULL, T0);
	ok(&s, "help", &fx);
	assert_null(fx.inc);
	assert_int_equal(fx.nentries, 0);
	assert_int_equal(fx.nposts, 1);
	post_in(&fx, "#general",
		"Scribe commands (`!inc help <command>` for one):");
	for (i = 0; i < ARRAY_SIZE(all_commands); i++) {
		snprintf(want, sizeof(want), "\n`!inc %s", all_commands[i]);
		post_in(&fx, "#general", want);
	}
	post_in(&fx, "#general",
		"\n`!inc declare <title> [sev<N>]` — open a new "
		"incident");
	post_in(
	    &fx, "#general",
	    "\n`!inc mark <started|detected|acknowledged|mitigated|resolved> "
	    "[at <time>]` — ");
	effects_release(&fx);

	for (i = 0; i < ARRAY_SIZE(all_commands); i++) {
		snprintf(want, sizeof(want), "help %s", all_commands[i]);
		ok(&s, want, &fx);
		assert_int_equal(fx.nposts, 1);
		snprintf(want, sizeof(want), "`!inc %s", all_commands[i]);
		if (strncmp(fx.posts[0].text, want, strlen(want)))
			fail_msg("help %s: '%s'", all_commands[i],
				 fx.posts[0].text);
		assert_non_null(strstr(fx.posts[0].text, " — "));
		assert_null(strchr(fx.posts[0].text, '\n'));
		effects_release(&fx);
	}
	ok(&s, "help MARK", &fx);
	assert_one_reply(&fx, "#general",
			 "`!inc mark <started|detected|acknowledged|mitigated|"
			 "resolved> [at <time>]` — set a lifecycle time, now "
			 "or backdated");
	effects_release(&fx);
	ok(&s, "help ruleout", &fx);
	post_in(&fx, "#general", "rule-out H<n> [why]");
	effects_release(&fx);

	refused_usage(&s, "help bogus", "no command 'bogus'",
		      "help [<command>]");
	refused(&s, "help !inc", "no command '!inc'");
}

static void test_postmortem_draft(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 5 * MIN);
	ok(&s, "postmortem", &fx);
	assert_false(fx.write_postmortem);
	assert_true(fx.draft_postmortem);
	assert_int_equal(fx.nentries, 0);
	assert_one_reply(&fx, inc->room, "A draft of INC-3's postmortem");
	effects_release(&fx);
	assert_false(inc->dirty);
	assert_int_equal(inc->revision, 0);
}

/* ---- the lifecycle --------------------------------------------------------
 */

static void test_resolve(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 50 * MIN);
	ok(&s, "resolve", &fx);
	assert_int_equal(inc->status, STATUS_RESOLVED);
	assert_int_equal(inc->marks[MARK_RESOLVED], s.now);
	assert_false(inc->resolved_explicit);
	assert_int_equal(inc->marks[MARK_CLOSED], 0);
	assert_true(inc->dirty);
	assert_false(fx.write_postmortem);
	assert_int_equal(fx.nentries, 2);
	assert_entry(&fx, 0, ENTRY_STATUS, s.now,
		     "status investigating → resolved");
	assert_entry(&fx, 1, ENTRY_MARK, s.now, "resolved");
	assert_resolved_posts(&fx, "INC-3 resolved. `!inc close` writes the "
				   "postmortem.");
	effects_release(&fx);
	settle(inc);

	refused_usage(&s, "resolve", "INC-3 is already resolved", "resolve");
}

static void test_close_without_resolved(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;
	char *topic;

	sim_init(&s, inc, T0 + 2 * HOUR);
	ok(&s, "close", &fx);
	assert_true(fx.write_postmortem);
	assert_false(fx.created);
	assert_int_equal(inc->marks[MARK_CLOSED], s.now);
	assert_int_equal(inc->marks[MARK_RESOLVED], s.now);
	assert_int_equal(inc->status, STATUS_RESOLVED);
	assert_int_equal(inc->revision, 1);
	assert_true(inc->dirty);
	assert_int_equal(fx.nentries, 3);
	assert_entry(&fx, 0, ENTRY_STATUS, s.now,
		     "status investigating → resolved");
	assert_entry(&fx, 1, ENTRY_MARK, s.now, "resolved");
	assert_entry(&fx, 2, ENTRY_CLOSED, s.now,
		     "closed; postmortem revision 1");
	assert_resolved_posts(&fx, "INC-3 closed. No resolved mark was set: "
				   "the close time is used as the resolution "
				   "time. Postmortem revision 1 follows.");
	/* Closed: what is missing goes into `postmortem update`. */
	assert_non_null(strstr(fx.posts[1].text,
			       "`!inc postmortem update` writes "
			       "the next revision"));
	effects_release(&fx);
	settle(inc);

	topic = core_topic(inc);
	assert_string_equal(topic,
			    "INC-3 · sev1 · closed · Database errors spiking");
	free(topic);

	refused_usage(&s, "close",
		      "INC-3 is already closed (`!inc reopen` first)",
		      "usage: `!inc close`");
}

static void test_close_with_resolved(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 2 * HOUR);
	run_ok(&s, "mark resolved at 15:30");
	s.now = T0 + 3 * HOUR;
	ok(&s, "close", &fx);
	assert_int_equal(inc->marks[MARK_RESOLVED], T0 + 90 * MIN);
	assert_true(inc->resolved_explicit);
	assert_int_equal(inc->marks[MARK_CLOSED], s.now);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_CLOSED, s.now,
		     "closed; postmortem revision 1");
	assert_one_own_post(&fx, "INC-3 closed. Postmortem revision 1");
	assert_null(strstr(fx.posts[0].text, "No resolved mark"));
	effects_release(&fx);
}

/* The close checklist: each gap with the command that fills it, and
 * nothing once the record is complete. */
static void test_checklist(void **state)
{
	struct incident *inc = *state;
	struct sim s;
	char *list;

	sim_init(&s, inc, T0 + 10 * MIN);
	list = core_checklist(inc);
	assert_string_equal(
	    list, "📋 INC-3's postmortem still lacks:\n"
		  "• a summary — `summary <text>`\n"
		  "• the root cause — `rootcause <text>`\n"
		  "• the impact — `impact <text>`\n"
		  "• lessons — `learned well <text>`, `learned wrong <text>`\n"
		  "• follow-ups — `action <text> <@owner>`, `fix <text> "
		  "<@owner>`\n"
		  "`close` is never blocked by these: what is added after it "
		  "goes into the next revision with `postmortem update`.");
	free(list);

	run_ok(&s, "summary a migration deadlocked orders");
	run_ok(&s, "rootcause migration 0042");
	run_ok(&s, "impact a third of checkouts failed");
	run_ok(&s, "learned well the alert fired at once");
	run_ok(&s, "hypothesis load");
	run_ok(&s, "hypothesis network");
	run_ok(&s, "rule-out H1 flat traffic");
	run_ok(&s, "action add a lock alert");
	run_ok(&s, "fix test migrations on a copy");
	run_ok(&s, "action page the DBA @bob");
	run_ok(&s, "done A1");
	list = core_checklist(inc);
	assert_string_equal(
	    list, "📋 INC-3's postmortem still lacks:\n"
		  "• what went wrong — `learned wrong <text>`\n"
		  "• an owner for A2 — `owner A2 <@user>`\n"
		  "• a decision on H2, still open — `confirm H2 [why]` or "
		  "`rule-out H2 [why]`\n"
		  "`close` is never blocked by these: what is added after it "
		  "goes into the next revision with `postmortem update`.");
	free(list);

	run_ok(&s, "learned wrong we scaled first");
	run_ok(&s, "owner A2 @carol");
	run_ok(&s, "confirm H2 packet loss");
	list = core_checklist(inc);
	assert_string_equal(list, "📋 INC-3's postmortem has everything it "
				  "needs: summary, root cause, impact, "
				  "lessons and owned follow-ups.");
	free(list);

	/* A playbook run with steps never done or skipped. */
	ALLOC_GROW(inc->runs, inc->nruns + 1, inc->runs_cap);
	memset(&inc->runs[inc->nruns], 0, sizeof(inc->runs[0]));
	inc->runs[inc->nruns].playbook = xstrdup("db-deadlock");
	inc->runs[inc->nruns].title = xstrdup("Deadlock");
	inc->runs[inc->nruns].steps = xcalloc(3, sizeof(struct run_step));
	inc->runs[inc->nruns].nsteps = 3;
	inc->runs[inc->nruns].steps[0].state = STEP_DONE;
	inc->nruns++;
	list = core_checklist(inc);
	assert_string_equal(list, "📋 INC-3's postmortem still lacks:\n"
				  "• db-deadlock: S2, S3 not done — `step done "
				  "S2 <evidence>` or `step skip S2 <why>`\n"
				  "`close` is never blocked by these: what is "
				  "added after it goes into the next revision "
				  "with `postmortem update`.");
	free(list);
}

/* `postmortem update`: only after close; the next revision, dated now,
 * and not part of the incident's story. */
static void test_postmortem_update(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + HOUR);
	refused_usage(&s, "postmortem update",
		      "INC-3 is not closed: `!inc postmortem` shows a draft "
		      "now, `!inc close` writes the first revision",
		      "postmortem [update]");
	refused(&s, "postmortem frob", "'frob' is not update");
	run_ok(&s, "close");
	settle(inc);
	s.now = T0 + 2 * HOUR;
	run_ok(&s, "summary written the day after");
	ok(&s, "postmortem update", &fx);
	assert_int_equal(inc->revision, 2);
	assert_true(inc->dirty);
	assert_true(fx.write_postmortem);
	assert_int_equal(fx.nentries, 1);
	assert_int_equal(fx.entries[0].kind, ENTRY_CLOSED);
	assert_string_equal(fx.entries[0].text, "postmortem revision 2");
	assert_false(fx.entries[0].key);
	assert_one_own_post(&fx, "INC-3 postmortem revision 2 follows, with "
				 "what was added since the close.");
	effects_release(&fx);
	/* Still closed: the close time is kept. */
	assert_int_equal(inc->marks[MARK_CLOSED], T0 + HOUR);
	refused(&s, "postmortem update now", "unexpected 'now'");
}

/* `status identified`: its first time is kept for time to identify. */
static void test_identified(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	assert_int_equal(incident_identified(inc), 0);
	run_ok(&s, "hypothesis a lock");
	s.now = T0 + 20 * MIN;
	run_ok(&s, "status identified");
	assert_int_equal(inc->identified, T0 + 20 * MIN);
	s.now = T0 + 25 * MIN;
	run_ok(&s, "status monitoring");
	s.now = T0 + 30 * MIN;
	run_ok(&s, "status identified");
	assert_int_equal(inc->identified, T0 + 20 * MIN);
	assert_int_equal(incident_identified(inc), T0 + 20 * MIN);
	/* A confirmed hypothesis is the other way; the earlier one wins. */
	s.now = T0 + 35 * MIN;
	run_ok(&s, "confirm H1");
	assert_int_equal(incident_identified(inc), T0 + 20 * MIN);
	inc->identified = 0;
	assert_int_equal(incident_identified(inc), T0 + 35 * MIN);
}

/* `close INC-3` typed outside the channel: says so in both places. */
static void test_close_by_reference(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + HOUR);
	s.room = "#general";
	ok(&s, "close INC-3", &fx);
	assert_int_equal(last.inc_ref, 3);
	assert_ptr_equal(fx.inc, inc);
	assert_true(fx.write_postmortem);
	assert_int_equal(inc->marks[MARK_CLOSED], s.now);
	assert_int_equal(fx.nposts, 4);
	post_in(&fx, "#general", "INC-3 closed.");
	post_in(&fx, NULL, "INC-3 closed.");
	post_in(&fx, "#general", "INC-3's postmortem still lacks:");
	post_in(&fx, NULL, "INC-3's postmortem still lacks:");
	effects_release(&fx);
	settle(inc);

	refused(&s, "close INC-3", "INC-3 is already closed");
	refused(&s, "close INC-99", "there is no INC-99");
	/* Other commands by reference, too. */
	ok(&s, "note inc-3 found the script", &fx);
	assert_entry(&fx, 0, ENTRY_NOTE, s.now, "found the script");
	effects_release(&fx);
	ok(&s, "reopen INC-3", &fx);
	assert_int_equal(fx.nposts, 2);
	post_in(&fx, "#general", "INC-3 reopened");
	post_in(&fx, NULL, "INC-3 reopened");
	effects_release(&fx);
	settle(inc);
	ok(&s, "sev INC-3 2", &fx);
	assert_int_equal(inc->severity, 2);
	post_in(&fx, "#general", "INC-3 severity: sev1 → sev2");
	post_in(&fx, NULL, "INC-3 severity: sev1 → sev2");
	effects_release(&fx);
}

static void test_close_reopen_revisions(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	sim_init(&s, inc, T0 + 10 * MIN);
	run_ok(&s, "mark detected at 13:50");
	run_ok(&s, "mark acknowledged at 13:55");
	run_ok(&s, "mark started at 13:45");
	run_ok(&s, "mark mitigated");
	s.now = T0 + HOUR;
	run_ok(&s, "mark resolved at 14:50");
	s.now = T0 + 2 * HOUR;
	run_ok(&s, "close");
	assert_int_equal(inc->revision, 1);

	s.now = T0 + 3 * HOUR;
	ok(&s, "reopen", &fx);
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	assert_int_equal(inc->marks[MARK_CLOSED], 0);
	assert_false(inc->resolved_explicit);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
	/* Every other mark is kept. */
	assert_int_equal(inc->marks[MARK_DECLARED], T0);
	assert_int_equal(inc->marks[MARK_STARTED], T0 - 15 * MIN);
	assert_int_equal(inc->marks[MARK_DETECTED], T0 - 10 * MIN);
	assert_int_equal(inc->marks[MARK_ACKNOWLEDGED], T0 - 5 * MIN);
	assert_int_equal(inc->marks[MARK_MITIGATED], T0 + 10 * MIN);
	assert_int_equal(inc->revision, 1);
	assert_true(inc->dirty);
	assert_false(fx.write_postmortem);
	assert_int_equal(fx.nentries, 1);
	assert_entry(&fx, 0, ENTRY_REOPENED, s.now, "reopened");
	assert_one_own_post(&fx, "INC-3 reopened: investigating again");
	effects_release(&fx);
	settle(inc);

	refused_usage(&s, "reopen", "INC-3 is not resolved or closed",
		      "reopen");

	/* Open again: the CMD_OPEN commands work again. */
	run_ok(&s, "hypothesis the fix did not hold");
	s.now = T0 + 4 * HOUR;
	ok(&s, "close", &fx);
	assert_int_equal(inc->revision, 2);
	assert_true(fx.write_postmortem);
	assert_int_equal(inc->marks[MARK_RESOLVED], s.now);
	assert_int_equal(inc->marks[MARK_CLOSED], s.now);
	assert_entry(&fx, 2, ENTRY_CLOSED, s.now,
		     "closed; postmortem revision 2");
	post_in(&fx, NULL, "No resolved mark was set");
	post_in(&fx, NULL, "Postmortem revision 2 follows.");
	effects_release(&fx);
	settle(inc);

	s.now = T0 + 5 * HOUR;
	run_ok(&s, "reopen");
	run_ok(&s, "close");
	assert_int_equal(inc->revision, 3);
}

/* Reopen after `resolve` alone (never closed). */
static void test_reopen_resolved(void **state)
{
	struct incident *inc = *state;
	struct sim s;

	sim_init(&s, inc, T0 + HOUR);
	run_ok(&s, "mark mitigated at 14:30");
	run_ok(&s, "resolve");
	s.now += MIN;
	run_ok(&s, "reopen");
	assert_int_equal(inc->marks[MARK_RESOLVED], 0);
	assert_int_equal(inc->marks[MARK_MITIGATED], T0 + 30 * MIN);
	assert_int_equal(inc->status, STATUS_INVESTIGATING);
	assert_int_equal(inc->revision, 0);
}

/* On a closed incident the commands that change its course are refused,
 * with the hint to reopen it; the record can still be completed. */
static void test_closed_incident(void **state)
{
	static const char *const refused_lines[] = {
	    "sev 2",
	    "status identified",
	    "status resolved",
	    "mark mitigated",
	    "mark resolved at 14:30",
	    "hypothesis one more idea",
	    "resolve",
	};
	static const char *const allowed[] = {
	    "note a late detail",
	    "event at 14:20 the alert cleared",
	    "summary the migration deadlocked",
	    "rootcause a migration took table locks",
	    "learned wrong we chased the network",
	    "action add a deadlock alert @bob",
	    "fix test migrations",
	    "actions",
	    "done A1",
	    "lead @bob",
	    "role comms @carol",
	    "roles",
	    "confirm H1 the lock graph shows it",
	    "timeline",
	    "postmortem",
	    "list",
	    "help",
	};
	struct incident *inc = *state;
	struct sim s;
	size_t i;

	sim_init(&s, inc, T0 + 30 * MIN);
	run_ok(&s, "hypothesis deadlock");
	s.now = T0 + HOUR;
	run_ok(&s, "close");
	s.now = T0 + 2 * HOUR;
	for (i = 0; i < ARRAY_SIZE(refused_lines); i++)
		refused(&s, refused_lines[i],
			"INC-3 is closed (`!inc reopen` it first)");
	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		run_ok(&s, allowed[i]);
	assert_int_equal(inc->revision, 1);
	assert_int_equal(inc->marks[MARK_CLOSED], T0 + HOUR);
	assert_int_equal(inc->hyps[0].state, HYP_CONFIRMED);
}

/* Outside an incident channel, every command that needs an incident says
 * how to name one. */
static void test_outside_incident(void **state)
{
	static const char *const lines[] = {
	    "sev 2",          "status identified",
	    "lead @bob",      "role comms @bob",
	    "roles",          "mark detected",
	    "note hello",     "event at 13:00 x",
	    "hypothesis h",   "rule-out H1",
	    "confirm H1",     "summary s",
	    "impact i",       "rootcause r",
	    "resolution r",   "conclusion c",
	    "learned well w", "action a",
	    "fix f",          "actions",
	    "done A1",        "step done",
	    "timeline",       "postmortem",
	    "resolve",        "close",
	    "reopen",
	};
	struct sim s;
	char want[128], line[128];
	const char *sp;
	size_t i;

	(void)state;
	sim_init(&s, NULL, T0 + HOUR);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		sp = strchr(lines[i], ' ');
		snprintf(want, sizeof(want),
			 "this is not an incident channel: name one first, as "
			 "in `!inc %.*s INC-3`",
			 sp ? (int)(sp - lines[i]) : (int)strlen(lines[i]),
			 lines[i]);
		refused(&s, lines[i], want);
		/* Named, but there is no such incident. */
		if (sp)
			snprintf(line, sizeof(line), "%.*s INC-42%s",
				 (int)(sp - lines[i]), lines[i], sp);
		else
			snprintf(line, sizeof(line), "%s INC-42", lines[i]);
		refused(&s, line, "there is no INC-42");
	}
}

/* ---- mass mentions ---------------------------------------------------------
 */

static void assert_no_crowd(const struct effects *fx)
{
	static const char *const crowds[] = {"@channel", "@here", "@everyone",
					     "@room", "<!"};
	size_t i, k;

	for (i = 0; i < fx->nposts; i++)
		for (k = 0; k < ARRAY_SIZE(crowds); k++)
			if (strstr(fx->posts[i].text, crowds[k]))
				fail_msg("post %zu pings %s: %s", i, crowds[k],
					 fx->posts[i].text);
}

static void test_mass_mentions_defused(void **state)
{
	struct incident *inc = *state;
	struct effects fx;
	struct sim s;

	(void)state;
	sim_init(&s, NULL, T0);
	ok(&s, "declare DB @channel down <!channel> @here sev2", &fx);
	assert_int_equal(fx.nposts, 2);
	assert_no_crowd(&fx);
	post_in(&fx, "#general",
		"DB @" ZWSP "channel down <" ZWSP "!channel> @" ZWSP "here");
	post_in(&fx, NULL,
		"DB @" ZWSP "channel down <" ZWSP "!channel> @" ZWSP "here");
	/* The record keeps what was typed. */
	assert_string_equal(fx.inc->title, "DB @channel down <!channel> @here");
	effects_release(&fx);

	sim_init(&s, inc, T0 + MIN);
	ok(&s, "hypothesis @everyone is on <!here> and @room", &fx);
	assert_no_crowd(&fx);
	post_in(&fx, NULL,
		"@" ZWSP "everyone is on <" ZWSP "!here> and @" ZWSP "room");
	effects_release(&fx);

	ok(&s, "rule-out H1 @channel was wrong", &fx);
	assert_no_crowd(&fx);
	effects_release(&fx);
	ok(&s, "action tell @here later", &fx);
	assert_no_crowd(&fx);
	effects_release(&fx);
	ok(&s, "note @channel <!channel>", &fx);
	assert_no_crowd(&fx);
	assert_string_equal(fx.entries[0].text, "@channel <!channel>");
	effects_release(&fx);

	/* Echoed in refusals, too. */
	refused(&s, "sev @here", "unknown severity '@" ZWSP "here'");
	refused(&s, "@channel", "unknown command '@" ZWSP "channel'");
	refused(&s, "<!channel> hi", "unknown command '<" ZWSP "!channel>'");
	refused(&s, "lead <!here>", "'<" ZWSP "!here>' is not a user");
	refused(&s, "help @everyone", "no command '@" ZWSP "everyone'");
	refused(&s, "mark detected at @here", "'@" ZWSP "here'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_text),
	    cmocka_unit_test(test_parse_needs),
	    cmocka_unit_test(test_parse_inc_ref),
	    cmocka_unit_test(test_parse_timeline_count),
	    cmocka_unit_test_setup_teardown(test_unknown_and_empty, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_case_and_alias, setup,
					    teardown),
	    cmocka_unit_test(test_declare),
	    cmocka_unit_test(test_declare_severity),
	    cmocka_unit_test(test_declare_title_refused),
	    cmocka_unit_test(test_declare_title_text),
	    cmocka_unit_test(test_declare_many_words),
	    cmocka_unit_test(test_declare_slug_and_channel),
	    cmocka_unit_test(test_declare_by_slack_user),
	    cmocka_unit_test_setup_teardown(test_sev, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_each, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_resolved_first_wins,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lead, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mark_each_now, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mark_resolved, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_then_mark, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mark_at_forms, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mark_at_yesterday, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mark_at_bounds, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mark_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hypotheses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_action_many_words, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_playbook_none_loaded, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_playbook_and_step, setup,
					    teardown),
	    cmocka_unit_test(test_declare_suggests_playbook),
	    cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test_setup_teardown(test_postmortem_draft, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checklist, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_postmortem_update, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_identified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_without_resolved, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_with_resolved, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_by_reference, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_close_reopen_revisions, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_resolved, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_closed_incident, setup,
					    teardown),
	    cmocka_unit_test(test_outside_incident),
	    cmocka_unit_test_setup_teardown(test_mass_mentions_defused, setup,
					    teardown),
	};
	int rc;

	setenv("TZ", "UTC", 1);
	tzset();
	config_defaults(&cfg);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	config_release(&cfg);
	return rc;
}
