/*
 * core_sim.h - drives the pure core as app.c does, for the unit tests of
 * the commands (test_commands.c, test_chat_core.c): a simulated room with
 * its incident, core_parse() and core_run() with the environment the
 * request's needs say, and assertions on the effects. Each test binary
 * includes it once and sets up `cfg` (config_defaults) in main().
 */
#ifndef SCRIBE_TEST_CORE_SIM_H
#define SCRIBE_TEST_CORE_SIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "util/base.h"
#include "util/buf.h"
#include "config.h"
#include "core/core.h"
#include "core/model.h"
#include "core/text.h"
#include "core/playbook.h"

#define MIN  ((int64_t)60 * 1000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)
/* 2026-11-24 14:00:00 UTC: every incident here is declared then. */
#define T0   ((int64_t)1795528800 * 1000)
#define ZWSP "\xe2\x80\x8b"
/* The INC number the next declare takes. */
#define NEXT_ID 3

static struct config cfg;

static const struct user alice = {(char *)"alice", (char *)"alice"};

/* ---- driving the core as app.c does ------------------------------------ */

/* What app.c would have at hand when a command arrives. */
struct sim {
	struct incident *inc; /* the room's incident (or INC-n's), or NULL */
	const char *room;     /* where the command is typed */
	const char *platform; /* "console" unless a test says otherwise */
	int64_t now;
	struct user speaker;
	const struct timeline_row *rows; /* the whole timeline */
	size_t nrows;
	const struct incident *open;
	size_t nopen;
	const struct pb_library *playbooks;
};

/* What the last core_parse() said, for assertions. */
static struct {
	unsigned need;
	int64_t inc_ref;
	int timeline_count;
} last;

static inline void sim_init(struct sim *s, struct incident *inc, int64_t now)
{
	memset(s, 0, sizeof(*s));
	s->inc = inc;
	s->room = inc ? inc->room : "#general";
	s->now = now;
	s->speaker = alice;
}

/* Parses line, loads what it needs from s, runs it into *fx. */
static inline int sim_run(const struct sim *s, const char *line,
			  struct effects *fx)
{
	struct core_req req;
	struct core_env env;
	size_t n;
	int rc;

	memset(fx, 0, sizeof(*fx));
	core_parse(&req, line);
	last.need = req.need;
	last.inc_ref = req.inc_ref;
	last.timeline_count = req.timeline_count;
	memset(&env, 0, sizeof(env));
	env.cfg = &cfg;
	env.now = s->now;
	env.next_id = NEXT_ID;
	env.platform = s->platform ? s->platform : "console";
	env.room = s->room;
	env.speaker = s->speaker;
	env.playbooks = s->playbooks;
	if (req.need & NEED_INCIDENT) {
		/* app.c loads INC-n, or the room's incident; a reference to
		 * another number finds nothing here. */
		if (s->inc && (!req.inc_ref || req.inc_ref == s->inc->id))
			env.inc = s->inc;
	}
	if ((req.need & NEED_TIMELINE) && env.inc && req.timeline_count > 0 &&
	    s->nrows) {
		n = s->nrows < (size_t)req.timeline_count
			? s->nrows
			: (size_t)req.timeline_count;
		env.rows = s->rows + (s->nrows - n);
		env.nrows = n;
	}
	if (req.need & NEED_OPEN_LIST) {
		env.open = s->open;
		env.nopen = s->nopen;
	}
	rc = core_run(&req, &env, fx);
	core_req_release(&req);
	return rc;
}

/* Forgets what the last command changed, as the store does once written. */
static inline void settle(struct incident *inc)
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

/* Declares an incident from #general at T0 and takes it over from fx,
 * with its room made as the console makes it ("#" + channel). */
static inline void declare(struct incident *inc, const char *line)
{
	struct effects fx;
	struct sim s;

	sim_init(&s, NULL, T0);
	if (sim_run(&s, line, &fx))
		fail_msg("'%s' refused: %s", line,
			 fx.nposts ? fx.posts[0].text : "");
	assert_true(fx.created);
	*inc = *fx.inc;
	free(fx.inc);
	fx.inc = NULL;
	fx.created = false;
	effects_release(&fx);
	inc->room = xasprintf("#%s", inc->channel);
	settle(inc);
}

/* Everything about an incident that a command may change, as text. */
static inline char *digest(const struct incident *inc)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "%lld|%s|%s|%d|%d|%s|%s|%s|%d|%d|%d|", (long long)inc->id,
		 inc->title, inc->slug, inc->severity, inc->status,
		 inc->channel, inc->room ? inc->room : "-", inc->declared_by.id,
		 inc->resolved_explicit, inc->revision, inc->dirty);
	for (i = 0; i < MARK_COUNT; i++)
		buf_addf(&b, "m%lld|", (long long)inc->marks[i]);
	for (i = 0; i < FIELD_COUNT; i++)
		buf_addf(&b, "f%s|", inc->fields[i] ? inc->fields[i] : "-");
	for (i = 0; i < inc->nroles; i++)
		buf_addf(&b, "r%s=%s,%lld,%d|", inc->roles[i].role,
			 inc->roles[i].who.id, (long long)inc->roles[i].at,
			 inc->roles[i].dirty);
	for (i = 0; i < inc->nhyps; i++)
		buf_addf(&b, "h%d,%s,%d,%lld,%s,%d|", inc->hyps[i].n,
			 inc->hyps[i].text, inc->hyps[i].state,
			 (long long)inc->hyps[i].decided,
			 inc->hyps[i].why ? inc->hyps[i].why : "-",
			 inc->hyps[i].dirty);
	for (i = 0; i < inc->nlessons; i++)
		buf_addf(&b, "l%d,%d,%s,%d|", inc->lessons[i].n,
			 inc->lessons[i].kind, inc->lessons[i].text,
			 inc->lessons[i].dirty);
	for (i = 0; i < inc->nactions; i++)
		buf_addf(
		    &b, "a%d,%d,%s,%s,%lld,%d|", inc->actions[i].n,
		    inc->actions[i].kind, inc->actions[i].text,
		    inc->actions[i].owner.id ? inc->actions[i].owner.id : "-",
		    (long long)inc->actions[i].done, inc->actions[i].dirty);
	buf_addf(&b, "c%d|%s|", inc->current_run,
		 inc->suggested ? inc->suggested : "-");
	for (i = 0; i < inc->nruns; i++) {
		size_t k;

		buf_addf(&b, "p%d,%s,%lld,%d", inc->runs[i].n,
			 inc->runs[i].playbook,
			 (long long)inc->runs[i].finished, inc->runs[i].dirty);
		for (k = 0; k < inc->runs[i].nsteps; k++)
			buf_addf(&b, ",%d", inc->runs[i].steps[k].state);
		buf_adds(&b, "|");
	}
	return buf_detach(&b, NULL);
}

/* Runs a command that must succeed; the caller releases *fx. */
static inline void ok(const struct sim *s, const char *line, struct effects *fx)
{
	if (sim_run(s, line, fx))
		fail_msg("'%s' refused: %s", line,
			 fx->nposts ? fx->posts[0].text : "(no reply)");
	assert_true(fx->nposts >= 1);
}

/* Runs a command that succeeds, then forgets its effects. */
static inline void run_ok(const struct sim *s, const char *line)
{
	struct effects fx;

	ok(s, line, &fx);
	effects_release(&fx);
	if (s->inc)
		settle(s->inc);
}

/*
 * Runs a command that must be refused: SCRIBE_EINVAL, one reply that only
 * the speaker sees, in the room typed in, saying needle (and the usage line
 * when given); nothing recorded and the incident untouched.
 */
static inline void refused_usage(const struct sim *s, const char *line,
				 const char *needle, const char *usage)
{
	struct effects fx;
	char *before = s->inc ? digest(s->inc) : NULL, *after;
	const char *text;
	int rc;

	rc = sim_run(s, line, &fx);
	if (rc != SCRIBE_EINVAL)
		fail_msg("'%s' returned %d, not refused", line, rc);
	assert_int_equal(fx.nposts, 1);
	text = fx.posts[0].text;
	if (!strstr(text, needle))
		fail_msg("'%s': refusal '%s' does not say '%s'", line, text,
			 needle);
	assert_non_null(strstr(text, "✗ "));
	if (usage) {
		if (!strstr(text, "\nusage: ") || !strstr(text, usage))
			fail_msg("'%s': refusal '%s' lacks usage '%s'", line,
				 text, usage);
	}
	assert_non_null(fx.posts[0].to_user);
	assert_string_equal(fx.posts[0].to_user, s->speaker.id);
	assert_non_null(fx.posts[0].room);
	assert_string_equal(fx.posts[0].room, s->room);
	assert_int_equal(fx.nentries, 0);
	assert_false(fx.created);
	assert_false(fx.write_postmortem);
	assert_ptr_equal(fx.inc,
			 s->inc && (last.need & NEED_INCIDENT) &&
				 (!last.inc_ref || last.inc_ref == s->inc->id)
			     ? s->inc
			     : NULL);
	if (before) {
		after = digest(s->inc);
		assert_string_equal(after, before);
		free(after);
		free(before);
	}
	effects_release(&fx);
}

static inline void refused(const struct sim *s, const char *line,
			   const char *needle)
{
	refused_usage(s, line, needle, NULL);
}

/* The i-th entry is of kind, at at, saying text, key, by the speaker. */
static inline void assert_entry(const struct effects *fx, size_t i,
				enum entry_kind kind, int64_t at,
				const char *text)
{
	const struct fx_entry *e;

	if (i >= fx->nentries)
		fail_msg("no entry %zu (there are %zu)", i, fx->nentries);
	e = &fx->entries[i];
	if (e->kind != kind)
		fail_msg("entry %zu is a %s, not a %s ('%s')", i,
			 entry_kind_name(e->kind), entry_kind_name(kind),
			 e->text);
	assert_int_equal(e->at, at);
	assert_string_equal(e->text, text);
	/* Roles, fields, lessons and follow-ups have their own postmortem
	 * sections; everything else is on its timeline. */
	assert_int_equal(e->key, kind != ENTRY_ROLE && kind != ENTRY_FIELD &&
				     kind != ENTRY_LESSON &&
				     kind != ENTRY_ACTION);
	assert_non_null(e->who.id);
}

/* The first post in room (NULL: the incident's own channel) containing
 * needle; fails when there is none. */
static inline const struct fx_post *
post_in(const struct effects *fx, const char *room, const char *needle)
{
	size_t i;
	const struct fx_post *p;

	for (i = 0; i < fx->nposts; i++) {
		p = &fx->posts[i];
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

/* A command typed in the incident's own channel says so there, once. */
static inline void assert_one_own_post(const struct effects *fx,
				       const char *needle)
{
	assert_int_equal(fx->nposts, 1);
	assert_null(fx->posts[0].to_user);
	post_in(fx, NULL, needle);
}

/* A reply where it was typed (which is the incident's room here). */
static inline void assert_one_reply(const struct effects *fx, const char *room,
				    const char *needle)
{
	assert_int_equal(fx->nposts, 1);
	assert_null(fx->posts[0].to_user);
	post_in(fx, room, needle);
}

/* ---- fixtures ------------------------------------------------------------ */

static inline int setup(void **state)
{
	struct incident *inc = calloc(1, sizeof(*inc));

	declare(inc, "declare Database errors spiking sev1");
	*state = inc;
	return 0;
}

static inline int teardown(void **state)
{
	struct incident *inc = *state;

	incident_release(inc);
	free(inc);
	return 0;
}

#endif
