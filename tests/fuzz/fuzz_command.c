/*
 * fuzz_command.c - libFuzzer target for the command line parser and the
 * pure core that runs it.
 *
 * The input is a chat message. It is cleaned as app.c cleans every event
 * (text_clean() to config's message_max), then taken as a command the way
 * the app takes one: core_command_text() finds the words after "!inc" or
 * "!incident", and text without a prefix is used whole, as a Slack slash
 * command's text would be. core_parse() and core_run() then run it with a
 * fixed environment (config_defaults(), a fixed "now", platform "console",
 * room "#inc-1-x", speaker alice), twice: against an in-memory incident
 * INC-1 made per input by running "declare Fuzz incident sev2" through the
 * core itself, and with no incident at all. When the message has several
 * lines, each line then runs in turn against the same incident, a minute
 * apart, so that sequences such as "hypothesis x" then "confirm H1" reach
 * the deeper states.
 *
 * Beyond "no crash, no leak, no sanitizer report", core.h's contract is
 * checked after every run (FUZZ_CHECK aborts): core_run returns 0 or
 * SCRIBE_EINVAL; there is always at least one post; no post can ping a
 * crowd ("@channel", "<!here>"); and a refused command changed nothing
 * (no entries, no new incident, nothing marked dirty). Posts that are not
 * valid UTF-8 are only logged (to the file SCRIBE_FUZZ_UTF8_LOG names),
 * because a known case exists: see README.md.
 */
#include "util/base.h"

#include <ctype.h>
#include <strings.h>

#include "config.h"
#include "core/core.h"
#include "core/model.h"
#include "core/text.h"
#include "fuzz.h"

#define NOW_MS    1795529109000LL /* 2026-11-24T14:05:09Z */
#define LINES_MAX 64

static struct config cfg;
static bool cfg_ready;

/* A few rows for `timeline`, one of them deleted. */
static const struct timeline_row rows[] = {
    {1, ENTRY_DECLARED, NOW_MS - 3600000, "alice",
     "declared INC-1: Fuzz incident (sev2)", false},
    {2, ENTRY_MESSAGE, NOW_MS - 1800000, "bob", "p99 is 4s @here", false},
    {3, ENTRY_MESSAGE, NOW_MS - 900000, "carol", "", true},
    {4, ENTRY_NOTE, NOW_MS - 60000, "alice", "rolled back <!channel>", false},
};

static void env_init(struct core_env *env, struct incident *inc, int64_t now)
{
	memset(env, 0, sizeof(*env));
	env->cfg = &cfg;
	env->now = now;
	env->next_id = 2;
	env->platform = "console";
	env->room = "#inc-1-x";
	env->speaker.id = (char *)"alice";
	env->speaker.name = (char *)"alice";
	env->inc = inc;
}

/* True when s, at '@', starts a crowd mention such as "@here". */
static bool crowd_ping(const char *s)
{
	static const char *const crowds[] = {"channel", "here", "everyone",
					     "room"};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(crowds); i++) {
		n = strlen(crowds[i]);
		if (!strncasecmp(s + 1, crowds[i], n) &&
		    !isalnum((unsigned char)s[1 + n]))
			return true;
	}
	return false;
}

/* Posts that are not valid UTF-8 are logged, not fatal (see README.md):
 * set SCRIBE_FUZZ_UTF8_LOG to a file to collect them. */
static void log_bad_utf8(const char *text)
{
	const char *path = getenv("SCRIBE_FUZZ_UTF8_LOG");
	FILE *f;

	if (!path || !*path || text_valid_utf8(text, strlen(text)))
		return;
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n--\n", text);
		fclose(f);
	}
}

static void check_post(const struct fx_post *p)
{
	const char *s;

	FUZZ_CHECK(p->text);
	log_bad_utf8(p->text);
	for (s = p->text; *s; s++) {
		if (*s == '<')
			FUZZ_CHECK(s[1] != '!');
		if (*s == '@')
			FUZZ_CHECK(!crowd_ping(s));
	}
}

static void clear_dirty(struct incident *inc)
{
	size_t i;

	inc->dirty = false;
	for (i = 0; i < inc->nroles; i++)
		inc->roles[i].dirty = false;
	for (i = 0; i < inc->nhyps; i++)
		inc->hyps[i].dirty = false;
	for (i = 0; i < inc->nlessons; i++)
		inc->lessons[i].dirty = false;
	for (i = 0; i < inc->nactions; i++)
		inc->actions[i].dirty = false;
}

static bool any_dirty(const struct incident *inc)
{
	size_t i;

	if (inc->dirty)
		return true;
	for (i = 0; i < inc->nroles; i++)
		if (inc->roles[i].dirty)
			return true;
	for (i = 0; i < inc->nhyps; i++)
		if (inc->hyps[i].dirty)
			return true;
	for (i = 0; i < inc->nlessons; i++)
		if (inc->lessons[i].dirty)
			return true;
	for (i = 0; i < inc->nactions; i++)
		if (inc->actions[i].dirty)
			return true;
	return false;
}

/* Parses and runs one command against inc (NULL: no incident) and checks
 * what came out. */
static void run_line(const char *text, struct incident *inc, int64_t now)
{
	const char *words = core_command_text(text);
	struct core_req req;
	struct core_env env;
	struct effects fx = {0};
	size_t i, nroles = 0, nhyps = 0, nlessons = 0, nactions = 0;
	int rc;

	core_parse(&req, words ? words : text);
	FUZZ_CHECK(req.line);
	FUZZ_CHECK(req.cmd || req.error);
	env_init(&env, inc, now);
	if (inc && (req.need & NEED_TIMELINE) && req.timeline_count > 0) {
		env.rows = rows;
		env.nrows = (size_t)req.timeline_count < ARRAY_SIZE(rows)
				? (size_t)req.timeline_count
				: ARRAY_SIZE(rows);
	}
	if (req.need & NEED_OPEN_LIST) {
		env.open = inc;
		env.nopen = inc ? 1 : 0;
	}
	if (inc) {
		clear_dirty(inc);
		nroles = inc->nroles;
		nhyps = inc->nhyps;
		nlessons = inc->nlessons;
		nactions = inc->nactions;
	}

	rc = core_run(&req, &env, &fx);
	FUZZ_CHECK(rc == 0 || rc == SCRIBE_EINVAL);
	FUZZ_CHECK(fx.nposts >= 1);
	for (i = 0; i < fx.nposts; i++)
		check_post(&fx.posts[i]);
	for (i = 0; i < fx.nentries; i++)
		FUZZ_CHECK(fx.entries[i].text);
	if (fx.created)
		FUZZ_CHECK(fx.inc && fx.inc != inc);
	else
		FUZZ_CHECK(fx.inc == inc);
	if (rc) {
		FUZZ_CHECK(!fx.created && fx.nentries == 0);
		if (inc) {
			FUZZ_CHECK(!any_dirty(inc));
			FUZZ_CHECK(inc->nroles == nroles &&
				   inc->nhyps == nhyps &&
				   inc->nlessons == nlessons &&
				   inc->nactions == nactions);
		}
	}
	effects_release(&fx);
	core_req_release(&req);
}

/* INC-1, declared through the core itself; the caller owns it. */
static struct incident *fixture(void)
{
	struct core_req req;
	struct core_env env;
	struct effects fx = {0};
	struct incident *inc;

	core_parse(&req, "declare Fuzz incident sev2");
	env_init(&env, NULL, NOW_MS - 3600000);
	env.next_id = 1;
	if (core_run(&req, &env, &fx) || !fx.created) {
		fprintf(stderr, "fuzz_command: the fixture's declare failed\n");
		abort();
	}
	inc = fx.inc;
	fx.created = false; /* keep it */
	effects_release(&fx);
	core_req_release(&req);
	inc->room = xstrdup("#inc-1-fuzz-incident");
	return inc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct incident *inc;
	char *text, *line, *nl;
	int64_t now = NOW_MS;
	size_t n = 0;
	bool cut;

	if (!cfg_ready) {
		config_defaults(&cfg);
		cfg_ready = true;
	}
	text = text_clean((const char *)data, size, cfg.message_max, &cut);
	inc = fixture();

	/* The whole message, with and without an incident. */
	run_line(text, inc, now);
	run_line(text, NULL, now);

	/* Then line by line, in order, against the same incident. */
	if (strchr(text, '\n')) {
		for (line = text; line && n < LINES_MAX; line = nl, n++) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			now += 60000;
			run_line(line, inc, now);
		}
	}

	incident_release(inc);
	free(inc);
	free(text);
	return 0;
}
