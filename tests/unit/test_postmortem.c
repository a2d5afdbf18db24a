/*
 * test_postmortem.c - the postmortem (bot/core/postmortem.c, pm_json.c,
 * pm_html.c) on incidents built in memory: every response metric with
 * PRODUCT.md's defaults and out-of-order marks, hypotheses and the time
 * on misleading paths, file names, every section of the Markdown in its
 * order with its "not recorded" flags, the transcript (dates, threads,
 * deletions, edits, files), escaping of hostile user text (checked in the
 * Markdown and in md4c's HTML of it), the JSON rendering, the incident
 * snapshot round trip, source and write errors, and determinism.
 *
 * Runs in UTC; the zone abbreviation after a DST change is covered by the
 * golden postmortems (tests/golden/dst).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util/base.h"
#include "core/postmortem.h"
#include "core/when.h"

#define MIN 60000LL

static struct config cfg;

/* An instant from its UTC wall clock, computed without when.c. */
static int64_t utc(int y, int mon, int d, int h, int m)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = m;
	return (int64_t)timegm(&tm) * 1000;
}

/* 2026-11-24 at h:m UTC, the day of the incidents below. */
static int64_t at(int h, int m)
{
	return utc(2026, 11, 24, h, m);
}

/* ---- building incidents ------------------------------------------------ */

static void inc_base(struct incident *inc, const char *title)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = 3;
	inc->title = xstrdup(title);
	inc->slug = xstrdup("database-errors-spiking");
	inc->severity = 1;
	inc->status = STATUS_INVESTIGATING;
	inc->platform = xstrdup("console");
	inc->channel = xstrdup("inc-3-database-errors-spiking");
	user_set(&inc->declared_by, "maria", "maria");
	inc->marks[MARK_DECLARED] = at(14, 2);
}

static void add_role(struct incident *inc, const char *role, const char *who)
{
	struct role *r;

	ALLOC_GROW(inc->roles, inc->nroles + 1, inc->roles_cap);
	r = &inc->roles[inc->nroles++];
	memset(r, 0, sizeof(*r));
	r->role = xstrdup(role);
	user_set(&r->who, who, who);
	r->at = at(14, 3);
}

static struct hypothesis *add_hyp(struct incident *inc, const char *text,
				  int64_t raised, enum hyp_state state,
				  int64_t decided, const char *why)
{
	struct hypothesis *h;

	ALLOC_GROW(inc->hyps, inc->nhyps + 1, inc->hyps_cap);
	h = &inc->hyps[inc->nhyps];
	memset(h, 0, sizeof(*h));
	h->n = (int)++inc->nhyps;
	h->text = xstrdup(text);
	user_set(&h->by, "jon", "jon");
	h->raised = raised;
	h->state = state;
	h->decided = decided;
	if (state != HYP_OPEN)
		user_set(&h->decided_by, "aisha", "aisha");
	h->why = why ? xstrdup(why) : NULL;
	return h;
}

static void add_lesson(struct incident *inc, enum lesson_kind kind,
		       const char *text, const char *by)
{
	struct lesson *l;

	ALLOC_GROW(inc->lessons, inc->nlessons + 1, inc->lessons_cap);
	l = &inc->lessons[inc->nlessons];
	memset(l, 0, sizeof(*l));
	l->n = (int)++inc->nlessons;
	l->kind = kind;
	l->text = xstrdup(text);
	user_set(&l->by, by, by);
	l->at = at(15, 13);
}

static void add_action(struct incident *inc, enum action_kind kind,
		       const char *text, const char *owner, int64_t done)
{
	struct action *a;

	ALLOC_GROW(inc->actions, inc->nactions + 1, inc->actions_cap);
	a = &inc->actions[inc->nactions];
	memset(a, 0, sizeof(*a));
	a->n = (int)++inc->nactions;
	a->kind = kind;
	a->text = xstrdup(text);
	if (owner)
		user_set(&a->owner, owner, owner);
	user_set(&a->by, "maria", "maria");
	a->at = at(15, 14);
	a->done = done;
	if (done)
		user_set(&a->done_by, "maria", "maria");
}

static void set_field(struct incident *inc, enum field f, const char *text)
{
	free(inc->fields[f]);
	inc->fields[f] = xstrdup(text);
}

/* The db-outage incident of PRODUCT.md, with every mark and a bit of
 * everything. */
static void inc_full(struct incident *inc)
{
	inc_base(inc, "Database errors spiking");
	inc->marks[MARK_STARTED] = at(13, 55);
	inc->marks[MARK_DETECTED] = at(13, 58);
	inc->marks[MARK_ACKNOWLEDGED] = at(14, 0);
	inc->marks[MARK_MITIGATED] = at(14, 55);
	inc->marks[MARK_RESOLVED] = at(15, 5);
	inc->marks[MARK_CLOSED] = at(15, 16);
	inc->resolved_explicit = true;
	inc->status = STATUS_RESOLVED;
	inc->revision = 1;
	inc->room = xstrdup("C042");
	set_field(inc, FIELD_SUMMARY, "a migration deadlocked the database");
	set_field(inc, FIELD_IMPACT, "31% of checkouts failed");
	set_field(inc, FIELD_ROOTCAUSE, "migration 0042 took a lock");
	set_field(inc, FIELD_RESOLUTION, "rolled the migration back");
	add_role(inc, "commander", "maria");
	add_role(inc, "comms", "jon");
	add_hyp(inc, "load spike", at(14, 5), HYP_RULED_OUT, at(14, 20),
		"traffic is flat");
	add_hyp(inc, "network partition", at(14, 21), HYP_RULED_OUT, at(14, 40),
		NULL);
	add_hyp(inc, "deadlock from the migration", at(14, 42), HYP_CONFIRMED,
		at(14, 52), "blocking chain");
	add_lesson(inc, LESSON_WELL, "alerting fired fast", "jon");
	add_lesson(inc, LESSON_WRONG, "we scaled up first", "jon");
	add_lesson(inc, LESSON_LUCKY, "the migration was reversible", "aisha");
	add_action(inc, ACTION_FIX, "alert on lock waits", NULL, 0);
	add_action(inc, ACTION_TASK, "add deadlock steps", "aisha", 0);
	add_action(inc, ACTION_TASK, "review migration 0043", NULL, 0);
	add_action(inc, ACTION_TASK, "write the runbook", "jon", at(15, 10));
}

/* ---- an in-memory source of rows --------------------------------------- */

struct mem_src {
	const struct pm_row *rows[PM_TRANSCRIPT + 1];
	size_t n[PM_TRANSCRIPT + 1];
	enum pm_pass fail_pass; /* with fail_rc: this pass fails */
	int fail_rc;
	int calls[PM_TRANSCRIPT + 1];
};

static int mem_each(void *ud, enum pm_pass pass, pm_row_cb *cb, void *cbud)
{
	struct mem_src *m = ud;
	size_t i;
	int rc;

	m->calls[pass]++;
	if (m->fail_rc && pass == m->fail_pass)
		return m->fail_rc;
	for (i = 0; i < m->n[pass]; i++) {
		rc = cb(cbud, &m->rows[pass][i]);
		if (rc)
			return rc;
	}
	return 0;
}

#define SET_ROWS(m, pass, arr)                                                 \
	do {                                                                   \
		(m)->rows[pass] = (arr);                                       \
		(m)->n[pass] = ARRAY_SIZE(arr);                                \
	} while (0)

static const struct pm_row full_key[] = {
    {.kind = ENTRY_MARK, .at = 0, .who = "maria", .text = "started"},
    {.kind = ENTRY_DECLARED,
     .at = 0,
     .who = "maria",
     .text = "declared INC-3: Database errors spiking (sev1)"},
    {.kind = ENTRY_MESSAGE,
     .at = 0,
     .who = "aisha",
     .text = "pg_locks: pid 4242 blocks 37 sessions",
     .key = true},
    {.kind = ENTRY_GAP, .at = 0, .who = "scribe", .text = "history lost"},
    {.kind = ENTRY_NOTE, .at = 0, .who = "jon", .text = "follow-up call"},
};
static const struct pm_row full_playbook[] = {
    {.kind = ENTRY_PLAYBOOK,
     .at = 0,
     .who = "jon",
     .text = "db-deadlock S1 done: 37 waiters"},
};
static const struct pm_row full_people[] = {
    {.who = "maria", .count = 17},
    {.who = "jon", .count = 8},
};
static const struct pm_row full_transcript[] = {
    {.kind = ENTRY_COMMAND,
     .at = 0,
     .who = "maria",
     .text = "!inc declare Database errors spiking sev1"},
    {.kind = ENTRY_MESSAGE,
     .at = 0,
     .who = "jon",
     .text = "checkout is failing",
     .edits = 2},
    {.kind = ENTRY_MESSAGE,
     .at = 0,
     .who = "aisha",
     .text = "thread reply",
     .reply = true},
    {.kind = ENTRY_MESSAGE,
     .at = 0,
     .who = "kim",
     .text = "secret password",
     .deleted = 1,
     .deleted_by = "kim"},
    {.kind = ENTRY_FILE,
     .at = 0,
     .who = "ola",
     .text = "nginx error log",
     .file_name = "error.log",
     .file_type = "text/plain",
     .file_url = "https://files.example/error.log"},
    {.kind = ENTRY_MESSAGE,
     .at = 0,
     .who = "ola",
     .text = "a very long paste",
     .truncated = true},
    {.kind = ENTRY_MESSAGE, .at = 0, .who = "maria", .text = "after midnight"},
};

/* The rows above with their times (static initializers cannot call utc). */
static struct pm_row key_rows[ARRAY_SIZE(full_key)];
static struct pm_row pb_rows[ARRAY_SIZE(full_playbook)];
static struct pm_row tr_rows[ARRAY_SIZE(full_transcript)];

static void full_source(struct mem_src *m)
{
	static const int key_at[][3] = {
	    {24, 13, 55}, {24, 14, 2}, {24, 14, 50}, {24, 23, 0}, {25, 9, 0}};
	static const int tr_at[][3] = {{24, 14, 2}, {24, 14, 3}, {24, 14, 4},
				       {24, 14, 5}, {24, 14, 7}, {24, 14, 8},
				       {25, 0, 5}};
	size_t i;

	memset(m, 0, sizeof(*m));
	memcpy(key_rows, full_key, sizeof(key_rows));
	memcpy(pb_rows, full_playbook, sizeof(pb_rows));
	memcpy(tr_rows, full_transcript, sizeof(tr_rows));
	for (i = 0; i < ARRAY_SIZE(key_rows); i++)
		key_rows[i].at =
		    utc(2026, 11, key_at[i][0], key_at[i][1], key_at[i][2]);
	pb_rows[0].at = at(14, 30);
	for (i = 0; i < ARRAY_SIZE(tr_rows); i++)
		tr_rows[i].at =
		    utc(2026, 11, tr_at[i][0], tr_at[i][1], tr_at[i][2]);
	tr_rows[3].deleted = at(14, 6);
	SET_ROWS(m, PM_KEY, key_rows);
	SET_ROWS(m, PM_PLAYBOOK, pb_rows);
	SET_ROWS(m, PM_PARTICIPANTS, full_people);
	SET_ROWS(m, PM_TRANSCRIPT, tr_rows);
}

static struct postmortem pm_of(const struct incident *inc, struct mem_src *m,
			       int revision, int64_t date)
{
	struct postmortem pm = {
	    .cfg = &cfg, .inc = inc, .revision = revision, .at = date};

	pm.src.each = mem_each;
	pm.src.ud = m;
	return pm;
}

/* ---- rendering into memory --------------------------------------------- */

static char *render_md(const struct postmortem *pm)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	assert_int_equal(pm_markdown(pm, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(s), n);
	return s;
}

static char *render_json(const struct postmortem *pm)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	assert_int_equal(pm_json(pm, f), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

static char *render_html(const char *md, const char *title)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	assert_int_equal(pm_html(md, strlen(md), title, NULL, f), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

static char *incident_json(const struct incident *inc)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	assert_int_equal(pm_incident_json(inc, f), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* The text of section `head` ("## Timeline"): up to the next "\n## ". */
static char *section(const char *md, const char *head)
{
	const char *s = strstr(md, head), *e;

	if (!s)
		fail_msg("no section \"%s\" in:\n%s", head, md);
	e = strstr(s + strlen(head), "\n## ");
	return xstrndup(s, e ? (size_t)(e - s) : strlen(s));
}

/* ---- metrics ----------------------------------------------------------- */

static void test_metrics_all_marks(void **state)
{
	struct incident inc;
	struct pm_metrics m;

	inc_full(&inc);
	pm_metrics(&inc, at(15, 16), &m);
	assert_int_equal(m.started, at(13, 55));
	assert_int_equal(m.detected, at(13, 58));
	assert_int_equal(m.end, at(15, 5));
	assert_int_equal(m.duration.state, PM_SPAN_OK);
	assert_int_equal(m.duration.ms, 70 * MIN);
	assert_int_equal(m.to_detect.state, PM_SPAN_OK);
	assert_int_equal(m.to_detect.ms, 3 * MIN);
	/* Acknowledged from detection (13:58 to 14:00), not from start. */
	assert_int_equal(m.to_acknowledge.state, PM_SPAN_OK);
	assert_int_equal(m.to_acknowledge.ms, 2 * MIN);
	/* Identified by the first confirmed hypothesis, H3 at 14:52. */
	assert_int_equal(m.identified, at(14, 52));
	assert_int_equal(m.to_identify.state, PM_SPAN_OK);
	assert_int_equal(m.to_identify.ms, 57 * MIN);
	assert_int_equal(m.to_mitigate.state, PM_SPAN_OK);
	assert_int_equal(m.to_mitigate.ms, 60 * MIN);
	assert_int_equal(m.to_resolve.state, PM_SPAN_OK);
	assert_int_equal(m.to_resolve.ms, 70 * MIN);
	/* H1 stood 15 min, H2 19 min; H3 was confirmed. */
	assert_int_equal(m.ruled_out, 2);
	assert_int_equal(m.misleading_ms, 34 * MIN);
	incident_release(&inc);
}

static void test_metrics_missing(void **state)
{
	struct incident inc;
	struct pm_metrics m;

	inc_base(&inc, "t");
	inc.marks[MARK_STARTED] = at(13, 0);
	inc.marks[MARK_DETECTED] = at(13, 30);
	pm_metrics(&inc, at(16, 0), &m);
	assert_int_equal(m.to_acknowledge.state, PM_SPAN_MISSING);
	assert_int_equal(m.to_identify.state, PM_SPAN_MISSING);
	assert_int_equal(m.to_mitigate.state, PM_SPAN_MISSING);
	/* Not resolved: no duration, no time to resolve. */
	assert_int_equal(m.to_resolve.state, PM_SPAN_MISSING);
	assert_int_equal(m.duration.state, PM_SPAN_MISSING);
	assert_int_equal(m.end, 0);
	assert_int_equal(m.to_detect.state, PM_SPAN_OK);
	assert_int_equal(m.to_detect.ms, 30 * MIN);
	assert_int_equal(m.misleading_ms, 0);
	assert_int_equal(m.ruled_out, 0);

	/* Resolved, still nothing for acknowledged and mitigated. */
	inc.marks[MARK_RESOLVED] = at(14, 0);
	pm_metrics(&inc, at(16, 0), &m);
	assert_int_equal(m.to_acknowledge.state, PM_SPAN_MISSING);
	assert_int_equal(m.to_mitigate.state, PM_SPAN_MISSING);
	assert_int_equal(m.duration.state, PM_SPAN_OK);
	assert_int_equal(m.duration.ms, 60 * MIN);
	incident_release(&inc);
}

static void test_metrics_defaults(void **state)
{
	struct incident inc;
	struct pm_metrics m;

	/* Neither started nor detected: both are declared. */
	inc_base(&inc, "t");
	pm_metrics(&inc, at(15, 0), &m);
	assert_int_equal(m.started, at(14, 2));
	assert_int_equal(m.detected, at(14, 2));
	assert_int_equal(m.to_detect.state, PM_SPAN_OK);
	assert_int_equal(m.to_detect.ms, 0);
	assert_int_equal(incident_started(&inc), at(14, 2));
	assert_int_equal(incident_detected(&inc), at(14, 2));

	/* Detected before declared: impact began at detection. */
	inc.marks[MARK_DETECTED] = at(13, 40);
	pm_metrics(&inc, at(15, 0), &m);
	assert_int_equal(m.started, at(13, 40));
	assert_int_equal(m.detected, at(13, 40));
	assert_int_equal(m.to_detect.ms, 0);

	/* Detected after declared: started is the earlier, declared. */
	inc.marks[MARK_DETECTED] = at(14, 10);
	pm_metrics(&inc, at(15, 0), &m);
	assert_int_equal(m.started, at(14, 2));
	assert_int_equal(m.to_detect.state, PM_SPAN_OK);
	assert_int_equal(m.to_detect.ms, 8 * MIN);

	/* An explicit started wins over both. */
	inc.marks[MARK_STARTED] = at(13, 0);
	pm_metrics(&inc, at(15, 0), &m);
	assert_int_equal(m.started, at(13, 0));
	assert_int_equal(m.to_detect.ms, 70 * MIN);

	/* Measured from the defaulted start. */
	inc.marks[MARK_STARTED] = 0;
	inc.marks[MARK_DETECTED] = 0;
	inc.marks[MARK_ACKNOWLEDGED] = at(14, 7);
	inc.marks[MARK_MITIGATED] = at(14, 32);
	inc.marks[MARK_RESOLVED] = at(16, 2);
	inc.identified = at(14, 22);
	pm_metrics(&inc, at(17, 0), &m);
	assert_int_equal(m.to_acknowledge.ms, 5 * MIN);
	assert_int_equal(m.to_identify.ms, 20 * MIN);
	assert_int_equal(m.to_mitigate.ms, 30 * MIN);
	assert_int_equal(m.to_resolve.ms, 120 * MIN);
	assert_int_equal(m.duration.ms, 120 * MIN);
	incident_release(&inc);
}

static void test_metrics_out_of_order(void **state)
{
	struct incident inc;
	struct pm_metrics m;

	inc_base(&inc, "t");
	inc.marks[MARK_STARTED] = at(14, 0);
	inc.marks[MARK_DETECTED] = at(13, 59);
	inc.marks[MARK_ACKNOWLEDGED] = at(13, 59); /* equal is in order */
	inc.marks[MARK_MITIGATED] = at(13, 50);
	inc.marks[MARK_RESOLVED] = at(13, 30);
	inc.identified = at(13, 40);
	pm_metrics(&inc, at(15, 0), &m);
	assert_int_equal(m.to_detect.state, PM_SPAN_ORDER);
	assert_int_equal(m.to_acknowledge.state, PM_SPAN_OK);
	assert_int_equal(m.to_acknowledge.ms, 0);
	assert_int_equal(m.to_identify.state, PM_SPAN_ORDER);
	assert_int_equal(m.to_mitigate.state, PM_SPAN_ORDER);
	assert_int_equal(m.to_resolve.state, PM_SPAN_ORDER);
	assert_int_equal(m.duration.state, PM_SPAN_ORDER);
	incident_release(&inc);
}

static void test_hyp_stood(void **state)
{
	struct incident inc;
	struct hypothesis *h;

	inc_base(&inc, "t");
	/* Decided: until the decision, whatever else happened. */
	h = add_hyp(&inc, "a", at(14, 5), HYP_RULED_OUT, at(14, 20), NULL);
	assert_int_equal(pm_hyp_stood(&inc, h, at(18, 0)), 15 * MIN);
	h = add_hyp(&inc, "b", at(14, 5), HYP_CONFIRMED, at(14, 45), NULL);
	assert_int_equal(pm_hyp_stood(&inc, h, at(18, 0)), 40 * MIN);

	/* Undecided and open: until the document's date. */
	h = add_hyp(&inc, "c", at(14, 42), HYP_OPEN, 0, NULL);
	assert_int_equal(pm_hyp_stood(&inc, h, at(15, 0)), 18 * MIN);
	assert_int_equal(pm_hyp_stood(&inc, h, at(16, 42)), 120 * MIN);
	/* A date before it was raised is no time, not a negative one. */
	assert_int_equal(pm_hyp_stood(&inc, h, at(14, 0)), 0);

	/* Undecided but resolved: until resolved, not until the date. */
	inc.marks[MARK_RESOLVED] = at(15, 5);
	h = &inc.hyps[2];
	assert_int_equal(pm_hyp_stood(&inc, h, at(18, 0)), 23 * MIN);
	/* Decided ones keep their decision time after resolve. */
	assert_int_equal(pm_hyp_stood(&inc, &inc.hyps[0], at(18, 0)), 15 * MIN);

	/* Decided "before" it was raised (backdated): 0, never negative. */
	h = add_hyp(&inc, "d", at(14, 30), HYP_RULED_OUT, at(14, 10), NULL);
	assert_int_equal(pm_hyp_stood(&inc, h, at(18, 0)), 0);
	incident_release(&inc);
}

static void test_misleading(void **state)
{
	struct incident inc;
	struct pm_metrics m;

	inc_base(&inc, "t");
	add_hyp(&inc, "load", at(14, 5), HYP_RULED_OUT, at(14, 20), NULL);
	add_hyp(&inc, "network", at(14, 21), HYP_RULED_OUT, at(14, 40), NULL);
	add_hyp(&inc, "deadlock", at(14, 42), HYP_CONFIRMED, at(14, 52), NULL);
	add_hyp(&inc, "disk", at(14, 43), HYP_OPEN, 0, NULL);
	add_hyp(&inc, "backdated", at(14, 30), HYP_RULED_OUT, at(14, 10), NULL);
	pm_metrics(&inc, at(16, 0), &m);
	/* Only ruled-out ones count: 15 + 19 + 0 min. */
	assert_int_equal(m.ruled_out, 3);
	assert_int_equal(m.misleading_ms, 34 * MIN);

	/* A wrong path chased inside another adds nothing. */
	add_hyp(&inc, "dns", at(14, 10), HYP_RULED_OUT, at(14, 18), NULL);
	pm_metrics(&inc, at(16, 0), &m);
	assert_int_equal(m.ruled_out, 4);
	assert_int_equal(m.misleading_ms, 34 * MIN);
	/* Two chased at once cost the wall-clock time once: H7 14:35-14:50
	 * overlaps H2 (14:21-14:40), so 15 + 29 min, not 15 + 19 + 15. */
	add_hyp(&inc, "cache", at(14, 35), HYP_RULED_OUT, at(14, 50), NULL);
	pm_metrics(&inc, at(16, 0), &m);
	assert_int_equal(m.ruled_out, 5);
	assert_int_equal(m.misleading_ms, 44 * MIN);
	incident_release(&inc);
}

/* ---- file names -------------------------------------------------------- */

static void test_file_name(void **state)
{
	struct incident inc;
	char *s;

	inc_base(&inc, "t");
	free(inc.slug);
	inc.slug = xstrdup("slug");
	s = pm_file_name(&inc, 1, "md");
	assert_string_equal(s, "INC-3-slug.md");
	free(s);
	s = pm_file_name(&inc, 2, "md");
	assert_string_equal(s, "INC-3-slug.r2.md");
	free(s);
	s = pm_file_name(&inc, 12, "json");
	assert_string_equal(s, "INC-3-slug.r12.json");
	free(s);
	inc.id = 1234567;
	s = pm_file_name(&inc, 3, "html");
	assert_string_equal(s, "INC-1234567-slug.r3.html");
	free(s);
	incident_release(&inc);
}

/* ---- the Markdown ------------------------------------------------------ */

static const char *const sections[] = {
    "\n## Issue Summary\n",
    "\n## Response metrics\n",
    "\n## Timeline\n",
    "\n## Investigation\n",
    "\n## Playbook steps\n",
    "\n## Root Cause and Resolution\n",
    "\n## Lessons learned\n",
    "\n## Corrective and Preventative Measures\n",
    "\n## Tasks to Address the Issue\n",
    "\n## Responders\n",
    "\n## Conclusion\n",
    "\n## Appendix: transcript\n",
};

static void assert_sections(const char *md)
{
	const char *p = md;
	size_t i;

	assert_true(!strncmp(md, "# Postmortem: INC-", 18));
	assert_int_equal(count(md, "\n# "), 0);
	assert_int_equal(count(md, "\n## "), ARRAY_SIZE(sections));
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		const char *s = strstr(p, sections[i]);

		if (!s)
			fail_msg("section %s missing or out of order in:\n%s",
				 sections[i] + 1, md);
		assert_int_equal(count(md, sections[i]), 1);
		p = s + 1;
	}
}

static void test_markdown_full(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *s;

	inc_full(&inc);
	full_source(&src);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	md = render_md(&pm);
	assert_sections(md);
	assert_has(md, "# Postmortem: INC-3 Database errors spiking\n\n"
		       "Closed 2026-11-24 15:16 UTC · revision 1 · times in "
		       "UTC");

	s = section(md, "## Issue Summary");
	assert_has(s, "- **Duration:** 1 h 10 min, from 2026-11-24 13:55 UTC "
		      "to 2026-11-24 15:05 UTC\n");
	assert_has(s, "- **Severity:** sev1 (");
	assert_has(s, "- **Impact:** 31% of checkouts failed\n");
	assert_has(s, "- **Root cause:** migration 0042 took a lock\n");
	assert_has(s, "- **Summary:** a migration deadlocked the database\n");
	assert_lacks(s, "not recorded");
	free(s);

	s = section(md, "## Response metrics");
	assert_has(s, "| Declared | 2026-11-24 14:02 UTC | `declare` |\n");
	assert_has(s, "| Started (impact began) | 2026-11-24 13:55 UTC | "
		      "`mark started` |\n");
	assert_has(s, "| Detected | 2026-11-24 13:58 UTC | `mark detected` |");
	assert_has(s, "| Acknowledged | 2026-11-24 14:00 UTC | "
		      "`mark acknowledged` |");
	assert_has(s,
		   "| Mitigated | 2026-11-24 14:55 UTC | `mark mitigated` |");
	assert_has(s, "| Resolved | 2026-11-24 15:05 UTC | `mark resolved` |");
	assert_has(s, "| Time to detect | 3 min | started to detected |\n");
	assert_has(s, "| Identified | 2026-11-24 14:52 UTC | the first "
		      "`confirm` |\n");
	assert_has(s, "| Time to acknowledge | 2 min | detected to "
		      "acknowledged |\n");
	assert_has(s, "| Time to identify | 57 min | started to identified "
		      "|\n");
	assert_has(s, "| Time to mitigate | 1 h | started to mitigated |\n");
	assert_has(s, "| Time to resolve | 1 h 10 min | started to resolved "
		      "|\n");
	assert_lacks(s, "not recorded");
	assert_lacks(s, "out of order");
	free(s);

	s = section(md, "## Timeline");
	assert_has(s, "Times in UTC.\n\n**2026-11-24**\n\n"
		      "- 13:55 — **started** (marked by maria)\n"
		      "- 14:02 — declared INC-3: Database errors spiking "
		      "(sev1) (maria)\n"
		      "- 14:50 — 📌 pg\\_locks: pid 4242 blocks 37 "
		      "sessions (aisha)\n"
		      "- 23:00 — ⚠ history lost\n"
		      "\n**2026-11-25**\n\n"
		      "- 09:00 — follow-up call (jon)\n");
	free(s);

	s = section(md, "## Investigation");
	assert_has(s, "- **H1** load spike — raised by jon at 2026-11-24 "
		      "14:05 UTC; **ruled out** at 14:20 by aisha after 15 "
		      "min: traffic is flat\n");
	assert_has(s, "- **H2** network partition — raised by jon at "
		      "2026-11-24 14:21 UTC; **ruled out** at 14:40 by aisha "
		      "after 19 min\n");
	assert_has(s, "- **H3** deadlock from the migration — raised by jon "
		      "at 2026-11-24 14:42 UTC; **confirmed** at 14:52 by "
		      "aisha after 10 min: blocking chain\n");
	assert_has(s, "**Time on misleading paths:** 34 min (2 hypotheses "
		      "ruled out)");
	free(s);

	s = section(md, "## Playbook steps");
	assert_has(s, "- 14:30 — db-deadlock S1 done: 37 waiters (jon)\n");
	assert_lacks(s, "No playbook was run");
	free(s);

	s = section(md, "## Root Cause and Resolution");
	assert_has(s, "- **Root cause:** migration 0042 took a lock\n"
		      "- **Resolution:** rolled the migration back\n");
	free(s);

	s = section(md, "## Lessons learned");
	assert_has(s, "### What went well\n\n- alerting fired fast (jon)\n");
	assert_has(s, "### What went wrong\n\n- we scaled up first (jon)\n");
	assert_has(s, "### Where we got lucky\n\n- the migration was "
		      "reversible (aisha)\n");
	assert_lacks(s, "Nothing recorded");
	free(s);

	s = section(md, "## Corrective and Preventative Measures");
	/* A measure without an owner is flagged like an action. */
	assert_has(s, "- [ ] **A1** alert on lock waits — **no owner** (use "
		      "`owner A1 @user`)\n");
	free(s);

	s = section(md, "## Tasks to Address the Issue");
	assert_has(s, "- [ ] **A2** add deadlock steps — owner: aisha\n");
	assert_has(s, "- [ ] **A3** review migration 0043 — **no owner** "
		      "(use `owner A3 @user`)\n");
	assert_has(s, "- [x] **A4** write the runbook — owner: jon — done "
		      "2026-11-24 15:10 UTC\n");
	assert_int_equal(count(s, "no owner"), 1);
	free(s);

	s = section(md, "## Responders");
	/* The roles held; nobody was scribe, and that is no table row. */
	assert_has(s, "| role | who |\n|---|---|\n| commander | maria |\n"
		      "| comms | jon |\n\n");
	assert_lacks(s, "not assigned");
	assert_lacks(s, "scribe");
	/* Counted in the Timeline's pass: here, the one message of its
	 * rows. */
	assert_has(s, "**Participants** (messages said): aisha (1)\n");
	free(s);

	s = section(md, "## Conclusion");
	assert_has(s, "INC-3, a sev1 incident, lasted 1 h 10 min: a migration "
		      "deadlocked the database. The root cause was: migration "
		      "0042 took a lock. It was resolved by: rolled the "
		      "migration back. 34 min went to 2 misleading paths "
		      "(load spike; network partition) before the cause was "
		      "found. 1 corrective measure and 3 action items "
		      "follow up on it; 2 still without an owner.\n\n"
		      "_Scribe wrote this from the record: `conclusion <text>` "
		      "replaces it._\n");
	assert_lacks(s, "..");
	free(s);

	s = section(md, "## Appendix: transcript");
	assert_has(s, "\n**2026-11-24**\n\n"
		      "- 14:02 **maria**: !inc declare Database errors "
		      "spiking sev1\n"
		      "- 14:03 **jon**: checkout is failing _(edited 2×)_\n"
		      "  - 14:04 **aisha**: thread reply\n"
		      "- 14:05 **kim**: _(deleted by kim at 14:06)_\n"
		      "- 14:07 **ola**: 📎 error.log (text/plain) "
		      "https://files.example/error.log — nginx error log\n"
		      "- 14:08 **ola**: a very long paste _(truncated)_\n"
		      "\n**2026-11-25**\n\n"
		      "- 00:05 **maria**: after midnight\n");
	free(s);
	/* A deleted message's text is nowhere. */
	assert_lacks(md, "secret password");
	assert_int_equal(md[strlen(md) - 1], '\n');
	free(md);
	incident_release(&inc);
}

/* Every field empty: every section is there and says what is missing. */
static void test_markdown_not_recorded(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *s;

	inc_base(&inc, "Something odd");
	set_field(&inc, FIELD_IMPACT, ""); /* empty is not recorded */
	memset(&src, 0, sizeof(src));
	pm = pm_of(&inc, &src, 0, at(14, 30));
	md = render_md(&pm);
	assert_sections(md);
	assert_has(md, "**Draft** of 2026-11-24 14:30 UTC · the incident is "
		       "still open");
	assert_has(md, "- **Duration:** still open (started 2026-11-24 14:02 "
		       "UTC)\n");
	assert_has(md, "- **Impact:** _not recorded — use `impact <text>`_\n");
	assert_int_equal(count(md, "- **Root cause:** _not recorded — use "
				   "`rootcause <text>`_\n"),
			 2);
	assert_has(md,
		   "- **Summary:** _not recorded — use `summary <text>`_\n");
	assert_has(md, "- **Resolution:** _not recorded — use `resolution "
		       "<text>`_\n");
	assert_has(md, "| Started (impact began) | 2026-11-24 14:02 UTC | "
		       "default: the earlier of detected and declared |\n");
	assert_has(md, "| Detected | 2026-11-24 14:02 UTC | default: declared "
		       "|\n");
	assert_has(md, "| Acknowledged | not recorded | use `mark "
		       "acknowledged [at <time>]` |\n");
	assert_has(md, "| Mitigated | not recorded | use `mark mitigated [at "
		       "<time>]` |\n");
	assert_has(md, "| Resolved | not recorded | not yet |\n");
	assert_has(md, "| Time to detect | 0 s | started to detected |\n");
	assert_has(md, "| Identified | not recorded | use `confirm H<n>` or "
		       "`status identified` |\n");
	assert_has(md, "| Time to acknowledge | not recorded |");
	assert_has(md, "| Time to identify | not recorded |");
	assert_has(md, "| Time to mitigate | not recorded |");
	assert_has(md, "| Time to resolve | not recorded |");
	assert_has(md, "_Nothing was recorded on the timeline._\n");
	assert_has(md, "_No hypotheses were recorded — use `hypothesis "
		       "<text>`, then `confirm H<n>` or `rule-out H<n>`._\n");
	assert_lacks(md, "misleading paths");
	assert_has(md, "## Playbook steps\n\n_No playbook was run._\n");
	assert_has(md, "### What went well\n\n_Nothing recorded — use `learned "
		       "well <text>`._\n");
	assert_has(md, "### What went wrong\n\n_Nothing recorded — use "
		       "`learned wrong <text>`._\n");
	assert_has(md, "### Where we got lucky\n\n_Nothing recorded — use "
		       "`learned lucky <text>`._\n");
	assert_has(md, "## Corrective and Preventative Measures\n\n_None "
		       "recorded — use `fix <text> [@owner]`._\n");
	assert_has(md, "## Tasks to Address the Issue\n\n_None recorded — use "
		       "`action <text> [@owner]`._\n");
	assert_has(md, "## Responders\n\n_No roles were assigned — use `lead "
		       "@user` or `role <name> @user`._\n");
	assert_lacks(md, "not assigned");
	assert_has(md, "_Nobody spoke in the channel._\n");
	s = section(md, "## Conclusion");
	/* Nothing to count is not "0 corrective measures". */
	assert_has(s, "INC-3, a sev1 incident, has no measurable duration. "
		      "Its root cause was not recorded. No follow-up was "
		      "recorded.\n");
	assert_lacks(s, "0 ");
	assert_lacks(s, "..");
	free(s);
	assert_has(md, "_The channel was silent._\n");
	free(md);

	/* Closed without a resolved mark: the close time, and it says so. */
	inc.marks[MARK_RESOLVED] = at(14, 30);
	inc.marks[MARK_CLOSED] = at(14, 30);
	pm = pm_of(&inc, &src, 1, at(14, 30));
	md = render_md(&pm);
	assert_has(md, "| Resolved | 2026-11-24 14:30 UTC | the close time: "
		       "nothing marked it resolved |\n");
	assert_has(md, "- **Duration:** 28 min, from 2026-11-24 14:02 UTC to "
		       "2026-11-24 14:30 UTC\n");
	free(md);

	/* Resolved by `resolve`, not by `mark resolved`. */
	inc.marks[MARK_RESOLVED] = at(14, 20);
	md = render_md(&pm);
	assert_has(md, "| Resolved | 2026-11-24 14:20 UTC | `resolve` or "
		       "`status resolved` |\n");
	free(md);
	incident_release(&inc);
}

/* A run of playbook with steps in the given states (done at at(14, 40)). */
static void add_run(struct incident *inc, const char *id, int64_t started,
		    const enum step_state *states, size_t n)
{
	static const char *const titles[] = {
	    "What changed?", "Find the blocker", "End the blocker", "Confirm"};
	struct pb_run *r;
	size_t i;

	ALLOC_GROW(inc->runs, inc->nruns + 1, inc->runs_cap);
	r = &inc->runs[inc->nruns++];
	memset(r, 0, sizeof(*r));
	r->n = (int)inc->nruns;
	r->playbook = xstrdup(id);
	r->title = xstrdup(id);
	user_set(&r->by, "jon", "jon");
	r->started = started;
	r->steps = xcalloc(n, sizeof(*r->steps));
	r->nsteps = n;
	for (i = 0; i < n; i++) {
		r->steps[i].step_id = xasprintf("s%zu", i + 1);
		r->steps[i].title = xstrdup(titles[i % ARRAY_SIZE(titles)]);
		r->steps[i].state = states[i];
		if (states[i] != STEP_PENDING) {
			user_set(&r->steps[i].by, "jon", "jon");
			r->steps[i].at = at(14, 40);
		}
	}
}

/* Nobody said what went wrong: Scribe lists what it measured - the
 * misleading paths, a playbook suggested long before it was started (or
 * never), a late acknowledgement, steps skipped or never done - and the
 * Playbook steps section lists the steps never done. */
static void test_markdown_measured(void **state)
{
	static const enum step_state states[] = {STEP_DONE, STEP_SKIPPED,
						 STEP_PENDING, STEP_PENDING};
	struct pm_row key[] = {
	    {.kind = ENTRY_PLAYBOOK,
	     .at = at(14, 3),
	     .who = "maria",
	     .text = "suggested db-deadlock (matched “deadlock”)"},
	    {.kind = ENTRY_PLAYBOOK,
	     .at = at(14, 3),
	     .who = "maria",
	     .text = "suggested db-outage"},
	    {.kind = ENTRY_COMMAND,
	     .at = at(14, 4),
	     .who = "maria",
	     .who_id = "maria",
	     .text = "!inc playbook list"},
	    {.kind = ENTRY_MESSAGE,
	     .at = at(14, 5),
	     .who = "jon",
	     .who_id = "jon",
	     .text = "checking the pool settings"},
	};
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *s;

	inc_full(&inc);
	inc.nlessons = 1; /* only "went well"; the others are freed below */
	free(inc.lessons[1].text);
	free(inc.lessons[2].text);
	user_release(&inc.lessons[1].by);
	user_release(&inc.lessons[2].by);
	inc.marks[MARK_ACKNOWLEDGED] = at(14, 10); /* 12 min after 13:58 */
	add_run(&inc, "db-deadlock", at(14, 30), states, ARRAY_SIZE(states));
	inc.suggested = xstrdup(",db-deadlock,db-outage,");
	memset(&src, 0, sizeof(src));
	SET_ROWS(&src, PM_KEY, key);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	md = render_md(&pm);

	s = section(md, "## Response metrics");
	assert_has(s, "| Time to acknowledge | 12 min (target for sev1: 5 min) "
		      "| detected to acknowledged |\n");
	free(s);
	/* A command is not something said. */
	s = section(md, "## Responders");
	assert_has(s, "**Participants** (messages said): jon (1), maria "
		      "(commands only)\n");
	free(s);
	s = section(md, "## Playbook steps");
	assert_has(s, "- db-deadlock S3 End the blocker — **not done**\n"
		      "- db-deadlock S4 Confirm — **not done**\n");
	assert_lacks(s, "suggested");
	free(s);
	s = section(md, "## Lessons learned");
	assert_has(s,
		   "### What went wrong\n\n_Nothing recorded — use "
		   "`learned wrong <text>`._\n\nWhat Scribe measured:\n\n"
		   "- _measured:_ 34 min on misleading paths: H1 load spike "
		   "(15 min), H2 network partition (19 min)\n"
		   "- _measured:_ db-deadlock was suggested at 14:03 but "
		   "started at 14:30 (27 min later)\n"
		   "- _measured:_ db-outage was suggested at 14:03 and never "
		   "started\n"
		   "- _measured:_ time to acknowledge 12 min, above the sev1 "
		   "target of 5 min\n"
		   "- _measured:_ db-deadlock: S2 skipped; S3, S4 never "
		   "done\n\n### Where we got lucky");
	free(s);
	free(md);

	/* No run at all: the suggestions are named where the steps would
	 * be. */
	pb_run_release(&inc.runs[0]);
	inc.nruns = 0;
	md = render_md(&pm);
	assert_has(md, "## Playbook steps\n\n_No playbook was run; suggested: "
		       "db-deadlock, db-outage._\n");
	free(md);
	incident_release(&inc);
}

static void test_markdown_out_of_order(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *s;

	inc_base(&inc, "t");
	inc.marks[MARK_STARTED] = at(14, 0);
	inc.marks[MARK_MITIGATED] = at(13, 50);
	inc.marks[MARK_RESOLVED] = at(13, 30);
	memset(&src, 0, sizeof(src));
	pm = pm_of(&inc, &src, 1, at(15, 0));
	md = render_md(&pm);
	assert_has(md, "- **Duration:** out of order: resolved 2026-11-24 "
		       "13:30 UTC is before started 2026-11-24 14:00 UTC\n");
	assert_has(md, "| Time to mitigate | out of order | started to "
		       "mitigated |\n");
	assert_has(md, "| Time to resolve | out of order | started to "
		       "resolved |\n");
	assert_has(md, "| Time to detect | 2 min | started to detected |\n");
	assert_has(md, "has no measurable duration.");
	/* Never a negative duration. */
	s = section(md, "## Response metrics");
	assert_lacks(s, "| -");
	assert_lacks(s, "| 0 s | started to mitigated");
	free(s);
	free(md);
	incident_release(&inc);
}

static void test_markdown_conclusion(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *s;

	inc_full(&inc);
	memset(&src, 0, sizeof(src));
	set_field(&inc, FIELD_CONCLUSION,
		  "We found it after an hour.\nNext time: check locks first.");
	pm = pm_of(&inc, &src, 1, at(15, 16));
	md = render_md(&pm);
	s = section(md, "## Conclusion");
	assert_string_equal(s, "## Conclusion\n\nWe found it after an hour.  "
			       "\nNext time: check locks first.\n");
	free(s);
	free(md);

	/* One line, and an empty one falls back to the generated text. */
	set_field(&inc, FIELD_CONCLUSION, "Short and sweet.");
	md = render_md(&pm);
	assert_has(md, "## Conclusion\n\nShort and sweet.\n\n## Appendix");
	free(md);
	set_field(&inc, FIELD_CONCLUSION, "");
	md = render_md(&pm);
	assert_has(md, "_Scribe wrote this from the record: `conclusion "
		       "<text>` replaces it._");
	free(md);

	/* Text that ends its own sentence gets no second full stop. */
	set_field(&inc, FIELD_SUMMARY, "a migration deadlocked orders.");
	set_field(&inc, FIELD_RESOLUTION, "rolled back!");
	md = render_md(&pm);
	assert_has(md, "lasted 1 h 10 min: a migration deadlocked orders. ");
	assert_has(md, "It was resolved by: rolled back! ");
	assert_lacks(md, "..");
	assert_lacks(md, "!.");
	free(md);
	incident_release(&inc);
}

/* Rows of every kind on the key timeline, a thread whose root is deleted,
 * a file without a type or URL, several days. */
static void test_markdown_rows(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	struct pm_row key[] = {
	    {.kind = ENTRY_FILE,
	     .at = at(14, 10),
	     .who = "ola",
	     .text = "gone",
	     .key = true,
	     .deleted = at(14, 11)},
	    {.kind = ENTRY_MARK,
	     .at = utc(2026, 11, 26, 8, 0),
	     .who = "eva",
	     .text = "mitigated"},
	};
	struct pm_row tr[] = {
	    {.kind = ENTRY_MESSAGE,
	     .at = at(23, 59),
	     .who = "eva",
	     .text = "root",
	     .deleted = utc(2026, 11, 25, 0, 1)},
	    /* A reply after midnight: listed under its root, no date line. */
	    {.kind = ENTRY_MESSAGE,
	     .at = utc(2026, 11, 25, 0, 2),
	     .who = "max",
	     .text = "reply\nsecond line",
	     .reply = true},
	    {.kind = ENTRY_FILE,
	     .at = utc(2026, 11, 25, 0, 3),
	     .who = "max",
	     .text = "dump.bin",
	     .file_name = "dump.bin"},
	    {.kind = ENTRY_FILE,
	     .at = utc(2026, 11, 25, 0, 4),
	     .who = "max",
	     .text = "",
	     .deleted = utc(2026, 11, 25, 0, 5)},
	    {.kind = ENTRY_MESSAGE,
	     .at = utc(2026, 11, 27, 9, 0),
	     .who = "eva",
	     .text = "two days later\nline two",
	     .edits = 1},
	};
	char *md, *s;

	inc_base(&inc, "t");
	memset(&src, 0, sizeof(src));
	SET_ROWS(&src, PM_KEY, key);
	SET_ROWS(&src, PM_TRANSCRIPT, tr);
	pm = pm_of(&inc, &src, 1, at(15, 0));
	md = render_md(&pm);
	s = section(md, "## Timeline");
	/* A deleted message is never a moment, not even a pinned one. */
	assert_has(s, "Times in UTC.\n\n**2026-11-26**\n\n- 08:00 — "
		      "**mitigated** (marked by eva)\n");
	assert_lacks(s, "gone");
	assert_lacks(s, "2026-11-24");
	free(s);
	s = section(md, "## Appendix: transcript");
	assert_has(s, "**2026-11-24**\n\n"
		      "- 23:59 **eva**: _(deleted by someone at 00:01)_\n"
		      "  - 00:02 **max**: reply  \n    second line\n"
		      "\n**2026-11-25**\n\n"
		      "- 00:03 **max**: 📎 dump.bin\n"
		      "- 00:04 **max**: _(deleted by someone at 00:05)_\n"
		      "\n**2026-11-27**\n\n"
		      "- 09:00 **eva**: two days later  \n  line two _(edited "
		      "1×)_\n");
	assert_lacks(s, "**root**");
	free(s);
	free(md);
	incident_release(&inc);
}

/* ---- escaping ---------------------------------------------------------- */

static char *escape(const char *s)
{
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	assert_int_equal(pm_md_escape(&b, s), 0);
	return buf_detach(&b, NULL);
}

#define ZW "\xe2\x80\x8b"

static void test_md_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain words, 42% done.", "plain words, 42% done."},
	    {"", ""},
	    {"# * _ [ ] < > | ~ & \\ `",
	     "\\# \\* \\_ \\[ \\] \\< \\> \\| \\~ \\& \\\\ \\`"},
	    {"a\nb\r\nc\td", "a b  c d"},
	    {"# heading\n- list\n1. list", "\\# heading - list 1. list"},
	    {"[link](http://x) ![img](y)",
	     "\\[link\\](http://x) !\\[img\\](y)"},
	    {"<b>bold</b> <script>", "\\<b\\>bold\\</b\\> \\<script\\>"},
	    {"&amp; &#60;", "\\&amp; \\&\\#60;"},
	    {"``code``", "\\`\\`code\\`\\`"},
	    {"| a | b |", "\\| a \\| b \\|"},
	    {"@channel and @here, @Everyone @room!",
	     "@" ZW "channel and @" ZW "here, @" ZW "Everyone @" ZW "room!"},
	    {"<!here> <!channel|x>",
	     "\\<" ZW "!here\\> \\<" ZW "!channel\\|x\\>"},
	    /* Not crowds: left alone. */
	    {"mail me@channelx.org, @hereford",
	     "mail me@channelx.org, @hereford"},
	    {"naïve — 📌 ok", "naïve — 📌 ok"},
	};
	struct buf b;
	size_t i;
	char *s;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		s = escape(cases[i].in);
		if (strcmp(s, cases[i].out))
			fail_msg("escape(\"%s\") = \"%s\", want \"%s\"",
				 cases[i].in, s, cases[i].out);
		free(s);
	}

	/* It appends. */
	buf_init(&b, BUF_UNBOUNDED);
	buf_adds(&b, "x: ");
	assert_int_equal(pm_md_escape(&b, "*y*"), 0);
	assert_string_equal(b.s, "x: \\*y\\*");
	buf_release(&b);

	/* A bounded buffer fails cleanly. */
	buf_init(&b, 4);
	assert_int_not_equal(pm_md_escape(&b, "far too long for it"), 0);
	assert_true(b.len <= 4);
	buf_release(&b);
}

/* The tags of an HTML document, text dropped: its structure. */
static char *tags(const char *html)
{
	struct buf b;
	const char *p = html, *e;

	buf_init(&b, BUF_UNBOUNDED);
	while ((p = strchr(p, '<'))) {
		e = strchr(p, '>');
		assert_non_null(e);
		buf_add(&b, p, (size_t)(e - p + 1));
		buf_addch(&b, '\n');
		p = e + 1;
	}
	return buf_detach(&b, NULL);
}

/* Hostile user text in every place user text goes. One line for
 * single-line places; many for messages and the conclusion, each line a
 * different way to start a block. */
static const char hostile[] =
    "# h1 *em* _em_ **b** [a](http://x) ![i](http://y) <b>b</b> "
    "<script>alert(1)</script> <a href=\"x\">a</a> | cell | ~~del~~ "
    "`code` &lt; &#60; \\* @channel @here <!here> <!channel> "
    "<http://auto.link> https://bare.link";
static const char hostile_lines[] = "- not a list\n"
				    "# not a heading\n"
				    "+ plus\n"
				    "* star\n"
				    "1. one\n"
				    "2) two\n"
				    " - spaced list\n"
				    "   3. spaced ordered\n"
				    "   ---\n"
				    "===\n"
				    "  ===\n"
				    "---\n"
				    "\r---\n"
				    "\t===\n"
				    "> quote\n"
				    "```\n"
				    "~~~\n"
				    "| a | b |\n"
				    "|---|---|\n"
				    "<div>html</div>\n"
				    "<!-- comment -->\n"
				    "[ref]: http://x\n"
				    "@channel <!here>\n"
				    "end";
/* The same shape, harmless. */
static const char tame[] = "tame words";
static const char tame_lines[] =
    "x\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nend";

static void inc_texts(struct incident *inc, const char *one, const char *lines)
{
	size_t i;

	inc_full(inc);
	free(inc->title);
	inc->title = xstrdup(one);
	for (i = 0; i < FIELD_CONCLUSION; i++)
		set_field(inc, (enum field)i, one);
	set_field(inc, FIELD_CONCLUSION, lines);
	for (i = 0; i < inc->nroles; i++)
		user_set(&inc->roles[i].who, "u", one);
	for (i = 0; i < inc->nhyps; i++) {
		free(inc->hyps[i].text);
		inc->hyps[i].text = xstrdup(one);
		user_set(&inc->hyps[i].by, "u", one);
		user_set(&inc->hyps[i].decided_by, "u", one);
		free(inc->hyps[i].why);
		inc->hyps[i].why = xstrdup(one);
	}
	for (i = 0; i < inc->nlessons; i++) {
		free(inc->lessons[i].text);
		inc->lessons[i].text = xstrdup(one);
		user_set(&inc->lessons[i].by, "u", one);
	}
	for (i = 0; i < inc->nactions; i++) {
		free(inc->actions[i].text);
		inc->actions[i].text = xstrdup(one);
		if (inc->actions[i].owner.id)
			user_set(&inc->actions[i].owner, "u", one);
	}
}

/* Renders the full incident and source with user text one and lines. */
static void render_texts(const char *one, const char *lines, char **md,
			 char **html)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	struct pm_row key[ARRAY_SIZE(key_rows)], tr[ARRAY_SIZE(tr_rows)];
	struct pm_row pb[ARRAY_SIZE(pb_rows)], people[ARRAY_SIZE(full_people)];
	size_t i;

	inc_texts(&inc, one, lines);
	full_source(&src);
	memcpy(key, key_rows, sizeof(key));
	memcpy(tr, tr_rows, sizeof(tr));
	memcpy(pb, pb_rows, sizeof(pb));
	memcpy(people, full_people, sizeof(people));
	for (i = 0; i < ARRAY_SIZE(key); i++) {
		key[i].who = one;
		key[i].text = one;
	}
	for (i = 0; i < ARRAY_SIZE(pb); i++) {
		pb[i].who = one;
		pb[i].text = one;
	}
	for (i = 0; i < ARRAY_SIZE(people); i++)
		people[i].who = one;
	for (i = 0; i < ARRAY_SIZE(tr); i++) {
		tr[i].who = one;
		tr[i].text = lines;
		tr[i].deleted_by = one;
		if (tr[i].kind == ENTRY_FILE) {
			tr[i].file_name = one;
			tr[i].file_type = one;
			tr[i].file_url = one;
		}
	}
	SET_ROWS(&src, PM_KEY, key);
	SET_ROWS(&src, PM_PLAYBOOK, pb);
	SET_ROWS(&src, PM_PARTICIPANTS, people);
	SET_ROWS(&src, PM_TRANSCRIPT, tr);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	*md = render_md(&pm);
	*html = render_html(*md, inc.title);
	incident_release(&inc);
}

/* True when s has "@<crowd>" or "<!" that a chat platform would act on. */
static bool pings(const char *s)
{
	static const char *const crowds[] = {"@channel", "@here", "@everyone",
					     "@room", "<!"};
	char *low = xstrdup(s), *p;
	bool found = false;
	size_t i;

	for (p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (i = 0; i < ARRAY_SIZE(crowds); i++)
		found |= strstr(low, crowds[i]) != NULL;
	free(low);
	return found;
}

static void test_escaping_rendered(void **state)
{
	char *md, *html, *md_tame, *html_tame, *t, *t_tame;
	const char *body;

	assert_int_equal(count(hostile_lines, "\n"), count(tame_lines, "\n"));
	render_texts(hostile, hostile_lines, &md, &html);
	render_texts(tame, tame_lines, &md_tame, &html_tame);

	/* The Markdown: no new headings, no pings. */
	assert_sections(md);
	assert_int_equal(count(md, "\n#"), count(md_tame, "\n#"));
	assert_false(pings(md));
	/* The hostile lines are indented and escaped in the transcript. */
	assert_has(md, ": - not a list  \n  \\# not a heading  \n"
		       "  \\+ plus  \n  \\* star  \n  1\\. one  \n  2\\) two"
		       "  \n");

	/* The HTML has exactly the structure of the harmless document. */
	t = tags(html);
	t_tame = tags(html_tame);
	if (strcmp(t, t_tame)) {
		size_t i = 0, from;

		while (t[i] == t_tame[i])
			i++;
		from = i > 300 ? i - 300 : 0;
		fail_msg("hostile text changed the document's structure:\n"
			 "%.400s\n----- instead of:\n%.400s",
			 t + from, t_tame + from);
	}
	body = strstr(html, "<body>");
	assert_non_null(body);
	assert_lacks(body, "<b>");
	assert_lacks(body, "<a ");
	assert_lacks(body, "<a href");
	assert_lacks(body, "<script");
	assert_lacks(body, "<img");
	assert_lacks(body, "<del>");
	assert_lacks(body, "<h1>#");
	assert_lacks(body, "<blockquote>");
	assert_lacks(body, "<div>");
	assert_lacks(body, "<hr");
	assert_int_equal(count(body, "<h1>"), 1);
	assert_int_equal(count(body, "<h2>"), ARRAY_SIZE(sections));
	assert_int_equal(count(body, "<h3>"), 3);
	assert_int_equal(count(body, "<table>"), 3);
	assert_false(pings(body));
	/* The text itself survives, shown as text. */
	assert_has(body, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_has(body, "[a](http://x)");
	/* The title is escaped too. */
	assert_has(html, "<title># h1 *em* _em_ **b** [a](http://x) "
			 "![i](http://y) &lt;b&gt;b&lt;/b&gt; "
			 "&lt;script&gt;");
	free(t);
	free(t_tame);
	free(md);
	free(html);
	free(md_tame);
	free(html_tame);
}

/* Renders inc_base with one lesson of each text, and returns its HTML. */
static char *lessons_html(const char *const *texts, size_t n)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *html;
	size_t i;

	inc_base(&inc, "t");
	for (i = 0; i < n; i++)
		add_lesson(&inc, (enum lesson_kind)(i % LESSON_COUNT), texts[i],
			   "jon");
	memset(&src, 0, sizeof(src));
	pm = pm_of(&inc, &src, 1, at(15, 0));
	md = render_md(&pm);
	html = render_html(md, inc.title);
	free(md);
	incident_release(&inc);
	return html;
}

/* A lesson's text starts its list item: it cannot start a list there. */
static void test_escaping_item_start(void **state)
{
	static const char *const hostile_starts[] = {
	    "1. one",  "- dash", "+ plus",     "---",        "  2) two",
	    "===",     "* star", "[ ] task",   "# head",     "> quote",
	    "\t- tab", "\r+ cr", "12345. big", "- [x] done",
	};
	const char *tame_starts[ARRAY_SIZE(hostile_starts)];
	char *h, *t, *th, *tt;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tame_starts); i++)
		tame_starts[i] = "x";
	h = lessons_html(hostile_starts, ARRAY_SIZE(hostile_starts));
	t = lessons_html(tame_starts, ARRAY_SIZE(tame_starts));
	th = tags(h);
	tt = tags(t);
	if (strcmp(th, tt))
		fail_msg("a lesson changed the structure:\n%s", h);
	assert_has(h, "<li>1. one (jon)</li>");
	assert_has(h, "<li>- dash (jon)</li>");
	assert_has(h, "<li>--- (jon)</li>");
	free(th);
	free(tt);
	free(h);
	free(t);
}

static void test_html_page(void **state)
{
	static const char md[] = "# T\n\n- [ ] a\n- [x] b\n\n| x | y |\n"
				 "|---|---|\n| 1 | 2 |\n\n<b>raw</b>\n";
	char *html = render_html(md, "A & B \"<x>\"");

	assert_true(!strncmp(html, "<!DOCTYPE html>\n", 16));
	assert_has(html, "<title>A &amp; B &quot;&lt;x&gt;&quot;</title>");
	assert_has(html, "<h1>T</h1>");
	assert_has(html, "<table>");
	assert_has(html, "type=\"checkbox\"");
	/* Raw HTML is off: it shows as text. */
	assert_lacks(html, "<b>raw");
	assert_has(html, "&lt;b&gt;raw");
	assert_has(html, "</body>\n</html>\n");
	free(html);
}

static char *md_to_html(const char *md)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	assert_int_equal(html_of_markdown(md, strlen(md), f), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

/* Each Markdown line and the exact HTML paragraph it must give: live
 * schemes and remote images lose their tags, keeping their text. */
static void test_html_links(void **state)
{
	static const struct {
		const char *md, *html;
	} cases[] = {
	    {"[x](javascript:alert(1))", "<p>x</p>\n"},
	    {"[x](JavaScript:alert(1) \"t\")", "<p>x</p>\n"},
	    {"[x](&#106;avascript:alert(1))", "<p>x</p>\n"},
	    {"[x](java\tscript:alert(1))",
	     "<p>[x](java\tscript:alert(1))</p>\n"},
	    {"<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n"},
	    {"[x](vbscript:msgbox)", "<p>x</p>\n"},
	    {"[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>\n"},
	    {"<data:text/html,x>", "<p>data:text/html,x</p>\n"},
	    {"[x](/relative)", "<p>x</p>\n"},
	    {"![pixel](https://tracker.example/p.png)", "<p>pixel</p>\n"},
	    {"![a *b*](https://e.example/x.png \"t\") after",
	     "<p>a b after</p>\n"},
	    {"[![in](https://e.example/i.png)](https://ok.example/)",
	     "<p><a href=\"https://ok.example/\">in</a></p>\n"},
	    {"![m](mxc://hs.example/abc)",
	     "<p><img src=\"mxc://hs.example/abc\" alt=\"m\"></p>\n"},
	    {"[ok](https://e.example/?a=1&b=2 \"t\")",
	     "<p><a href=\"https://e.example/?a=1&amp;b=2\" "
	     "title=\"t\">ok</a></p>\n"},
	    {"[ok](HTTP://e.example/)",
	     "<p><a href=\"HTTP://e.example/\">ok</a></p>\n"},
	    {"<ops@e.example>",
	     "<p><a href=\"mailto:ops@e.example\">ops@e.example</a></p>\n"},
	    {"[f](mxc://hs.example/f)",
	     "<p><a href=\"mxc://hs.example/f\">f</a></p>\n"},
	    {"[a](javascript:x) and [b](https://b.example/)",
	     "<p>a and <a href=\"https://b.example/\">b</a></p>\n"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = md_to_html(cases[i].md);

		if (strcmp(h, cases[i].html))
			fail_msg("%s\n  gave:     %s  expected: %s",
				 cases[i].md, h, cases[i].html);
		free(h);
	}
}

/* ---- JSON -------------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *path)
{
	char *copy = xstrdup(path), *key = copy, *dot;

	while (o && key) {
		dot = strchr(key, '.');
		if (dot)
			*dot = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		key = dot ? dot + 1 : NULL;
	}
	free(copy);
	if (!o)
		fail_msg("no %s in the JSON", path);
	return o;
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void test_json(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	const cJSON *a, *r;
	cJSON *o;
	char *js;

	inc_full(&inc);
	full_source(&src);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	js = render_json(&pm);
	o = cJSON_Parse(js);
	if (!o)
		fail_msg("not JSON:\n%s", js);
	assert_int_equal((int)num(o, "revision"), 1);
	assert_true(num(o, "date") == (double)at(15, 16));
	assert_string_equal(str(o, "zone"), "UTC");
	assert_true(num(o, "incident.id") == 3);
	assert_string_equal(str(o, "incident.title"),
			    "Database errors spiking");
	assert_string_equal(str(o, "incident.status"), "resolved");

	assert_true(num(o, "metrics.started") == (double)at(13, 55));
	assert_true(num(o, "metrics.detected") == (double)at(13, 58));
	assert_true(num(o, "metrics.duration.ms") == (double)(70 * MIN));
	assert_true(num(o, "metrics.time_to_detect.ms") == (double)(3 * MIN));
	assert_true(num(o, "metrics.time_to_acknowledge.ms") ==
		    (double)(2 * MIN));
	assert_true(num(o, "metrics.identified") == (double)at(14, 52));
	assert_true(num(o, "metrics.time_to_identify.ms") ==
		    (double)(57 * MIN));
	assert_true(num(o, "metrics.time_to_mitigate.ms") ==
		    (double)(60 * MIN));
	assert_true(num(o, "metrics.time_to_resolve.ms") == (double)(70 * MIN));
	assert_true(num(o, "metrics.misleading_ms") == (double)(34 * MIN));
	assert_int_equal((int)num(o, "metrics.ruled_out"), 2);

	a = get(o, "timeline");
	assert_int_equal(cJSON_GetArraySize(a), ARRAY_SIZE(key_rows));
	r = cJSON_GetArrayItem(a, 0);
	assert_string_equal(str(r, "kind"), "mark");
	assert_string_equal(str(r, "text"), "started");
	assert_string_equal(str(r, "who"), "maria");
	assert_true(num(r, "at") == (double)at(13, 55));
	a = get(o, "playbook_steps");
	assert_int_equal(cJSON_GetArraySize(a), 1);
	a = get(o, "participants");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_int_equal((int)num(cJSON_GetArrayItem(a, 0), "messages"), 17);
	a = get(o, "transcript");
	assert_int_equal(cJSON_GetArraySize(a), ARRAY_SIZE(tr_rows));
	assert_int_equal((int)num(cJSON_GetArrayItem(a, 1), "edits"), 2);
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(a, 2), "reply")));
	r = cJSON_GetArrayItem(a, 3);
	assert_true(cJSON_IsNull(get(r, "text")));
	assert_true(num(r, "deleted") == (double)at(14, 6));
	assert_string_equal(str(r, "deleted_by"), "kim");
	r = cJSON_GetArrayItem(a, 4);
	assert_string_equal(str(r, "kind"), "file");
	assert_string_equal(str(r, "file.name"), "error.log");
	assert_string_equal(str(r, "file.type"), "text/plain");
	assert_string_equal(str(r, "file.url"),
			    "https://files.example/error.log");
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(a, 5), "truncated")));
	assert_lacks(js, "secret password");
	cJSON_Delete(o);
	free(js);

	/* Missing and out-of-order spans say why, with no number. */
	inc.marks[MARK_ACKNOWLEDGED] = 0;
	inc.marks[MARK_MITIGATED] = at(13, 0);
	js = render_json(&pm);
	o = cJSON_Parse(js);
	assert_non_null(o);
	assert_true(cJSON_IsNull(get(o, "metrics.time_to_acknowledge.ms")));
	assert_string_equal(str(o, "metrics.time_to_acknowledge.why"),
			    "not recorded");
	assert_true(cJSON_IsNull(get(o, "metrics.time_to_mitigate.ms")));
	assert_string_equal(str(o, "metrics.time_to_mitigate.why"),
			    "out of order");
	assert_true(cJSON_IsNull(get(o, "incident.marks.acknowledged")));
	cJSON_Delete(o);
	free(js);
	incident_release(&inc);
}

/* Hostile text, control characters and all, still makes valid JSON that
 * reads back to the same strings. */
static void test_json_hostile(void **state)
{
	static const char weird[] = "quote \" back \\ nl \n cr \r tab \t "
				    "bell \a esc \x1b del \x7f </script> "
				    "\xe2\x80\xa8 ünï 📌";
	char *md, *html, *js;
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	struct pm_row tr[] = {{.kind = ENTRY_MESSAGE,
			       .at = at(14, 3),
			       .who = weird,
			       .text = weird}};
	cJSON *o;

	inc_texts(&inc, weird, weird);
	memset(&src, 0, sizeof(src));
	SET_ROWS(&src, PM_TRANSCRIPT, tr);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	js = render_json(&pm);
	o = cJSON_Parse(js);
	if (!o)
		fail_msg("not JSON:\n%s", js);
	assert_string_equal(str(o, "incident.title"), weird);
	assert_string_equal(str(o, "incident.fields.conclusion"), weird);
	assert_string_equal(
	    str(cJSON_GetArrayItem(get(o, "transcript"), 0), "text"), weird);
	cJSON_Delete(o);
	free(js);
	incident_release(&inc);

	/* And Markdown and HTML take it too. */
	render_texts(weird, weird, &md, &html);
	assert_has(html, "</html>\n");
	assert_lacks(html, "</script>");
	free(md);
	free(html);
}

/* ---- the snapshot ------------------------------------------------------ */

static void assert_str_same(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_user_same(const struct user *a, const struct user *b)
{
	assert_str_same(a->id, b->id);
	assert_str_same(a->name, b->name);
}

static void assert_incident_same(const struct incident *a,
				 const struct incident *b)
{
	size_t i;

	assert_int_equal(a->id, b->id);
	assert_str_same(a->title, b->title);
	assert_str_same(a->slug, b->slug);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->status, b->status);
	assert_str_same(a->platform, b->platform);
	assert_str_same(a->channel, b->channel);
	assert_str_same(a->room, b->room);
	assert_user_same(&a->declared_by, &b->declared_by);
	for (i = 0; i < MARK_COUNT; i++)
		assert_int_equal(a->marks[i], b->marks[i]);
	assert_int_equal(a->resolved_explicit, b->resolved_explicit);
	for (i = 0; i < FIELD_COUNT; i++)
		assert_str_same(a->fields[i], b->fields[i]);
	assert_int_equal(a->revision, b->revision);
	assert_int_equal(a->nroles, b->nroles);
	for (i = 0; i < a->nroles; i++) {
		assert_str_same(a->roles[i].role, b->roles[i].role);
		assert_user_same(&a->roles[i].who, &b->roles[i].who);
		assert_int_equal(a->roles[i].at, b->roles[i].at);
	}
	assert_int_equal(a->nhyps, b->nhyps);
	for (i = 0; i < a->nhyps; i++) {
		const struct hypothesis *x = &a->hyps[i], *y = &b->hyps[i];

		assert_int_equal(x->n, y->n);
		assert_str_same(x->text, y->text);
		assert_user_same(&x->by, &y->by);
		assert_int_equal(x->raised, y->raised);
		assert_int_equal(x->state, y->state);
		assert_int_equal(x->decided, y->decided);
		assert_user_same(&x->decided_by, &y->decided_by);
		assert_str_same(x->why, y->why);
	}
	assert_int_equal(a->nlessons, b->nlessons);
	for (i = 0; i < a->nlessons; i++) {
		assert_int_equal(a->lessons[i].n, b->lessons[i].n);
		assert_int_equal(a->lessons[i].kind, b->lessons[i].kind);
		assert_str_same(a->lessons[i].text, b->lessons[i].text);
		assert_user_same(&a->lessons[i].by, &b->lessons[i].by);
		assert_int_equal(a->lessons[i].at, b->lessons[i].at);
	}
	assert_int_equal(a->nactions, b->nactions);
	for (i = 0; i < a->nactions; i++) {
		const struct action *x = &a->actions[i], *y = &b->actions[i];

		assert_int_equal(x->n, y->n);
		assert_int_equal(x->kind, y->kind);
		assert_str_same(x->text, y->text);
		assert_user_same(&x->owner, &y->owner);
		assert_user_same(&x->by, &y->by);
		assert_int_equal(x->at, y->at);
		assert_int_equal(x->done, y->done);
		assert_user_same(&x->done_by, &y->done_by);
	}
}

static void round_trip(const struct incident *inc)
{
	struct incident back;
	char *a, *b;

	a = incident_json(inc);
	if (pm_incident_parse(a, &back))
		fail_msg("snapshot refused:\n%s", a);
	assert_incident_same(inc, &back);
	b = incident_json(&back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	incident_release(&back);
}

static void test_snapshot_round_trip(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	struct incident back;
	char *a, *md1, *md2;
	size_t i;

	/* Everything set. */
	inc_full(&inc);
	set_field(&inc, FIELD_CONCLUSION, "line one\nline two");
	inc.status = STATUS_MONITORING;
	round_trip(&inc);

	/* A regenerated revision is byte-identical to the original. */
	full_source(&src);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	md1 = render_md(&pm);
	a = incident_json(&inc);
	assert_int_equal(pm_incident_parse(a, &back), 0);
	pm.inc = &back;
	md2 = render_md(&pm);
	assert_string_equal(md1, md2);
	free(md1);
	free(md2);
	free(a);
	incident_release(&back);
	incident_release(&inc);

	/* Hostile and control characters in every string. */
	inc_texts(&inc, hostile, "quote \" back \\ \x01\x1f\t\r\n📌 end");
	round_trip(&inc);
	incident_release(&inc);

	/* The bare minimum: NULL room and fields, no lists, open. */
	inc_base(&inc, "t");
	round_trip(&inc);
	for (i = 0; i < STATUS_COUNT; i++) {
		inc.status = (enum status)i;
		round_trip(&inc);
	}
	incident_release(&inc);
}

static void test_snapshot_rejects(void **state)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "{",
	    "{\"title\":\"t\",\"slug\":\"s\"",
	    "null",
	    "42",
	    "\"a string\"",
	    "[]",
	    "[{\"title\":\"t\"}]",
	    "{}",
	    "{\"title\":5,\"slug\":\"s\",\"platform\":\"p\",\"channel\":\"c\","
	    "\"declared_by\":{\"id\":\"u\"}}",
	    /* Each required string missing in turn. */
	    "{\"title\":\"t\",\"platform\":\"p\",\"channel\":\"c\","
	    "\"declared_by\":{\"id\":\"u\"}}",
	    "{\"title\":\"t\",\"slug\":\"s\",\"channel\":\"c\","
	    "\"declared_by\":{\"id\":\"u\"}}",
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\","
	    "\"declared_by\":{\"id\":\"u\"}}",
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\"}",
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\",\"declared_by\":{\"name\":\"u\"}}",
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\",\"declared_by\":\"u\"}",
	    /* Everything else there (to be freed) but one string. */
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "null,"
	    "\"declared_by\":{\"id\":\"u\",\"name\":\"U\"},\"room\":\"r\","
	    "\"fields\":{\"summary\":\"x\",\"impact\":\"y\"},"
	    "\"roles\":[{\"role\":\"commander\",\"who\":{\"id\":\"a\","
	    "\"name\":\"A\"}}],\"hypotheses\":[{\"n\":1,\"text\":\"h\","
	    "\"by\":{\"id\":\"a\"},\"why\":\"w\"}],\"lessons\":[{\"n\":1,"
	    "\"kind\":\"well\",\"text\":\"l\",\"by\":{\"id\":\"a\"}}],"
	    "\"actions\":[{\"n\":1,\"kind\":\"fix\",\"text\":\"f\","
	    "\"owner\":{\"id\":\"a\"}}]}",
	    /* A role without its name: the responders table needs it. */
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\",\"declared_by\":{\"id\":\"u\"},\"roles\":[{\"who\":"
	    "{\"id\":\"a\"}}]}",
	};
	struct incident inc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&inc, 0x5a, sizeof(inc));
		if (pm_incident_parse(bad[i], &inc) != SCRIBE_EINVAL)
			fail_msg("accepted: %s", bad[i]);
		/* Nothing left to free. */
		assert_null(inc.title);
		assert_null(inc.slug);
		assert_null(inc.roles);
		assert_null(inc.hyps);
		assert_int_equal(inc.nactions, 0);
	}
}

/* What a snapshot may lack, or have odd, and still be read. */
static void test_snapshot_lenient(void **state)
{
	static const char minimal[] =
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\",\"declared_by\":{\"id\":\"u\"}}";
	static const char odd[] =
	    "{\"title\":\"t\",\"slug\":\"s\",\"platform\":\"p\",\"channel\":"
	    "\"c\",\"declared_by\":{\"id\":\"u\"},\"id\":1e300,"
	    "\"severity\":-1e999,\"status\":\"bogus\",\"marks\":{\"started\":"
	    "1e400,\"detected\":\"x\",\"resolved\":-9e18},\"revision\":1e19,"
	    "\"hypotheses\":[{\"state\":\"maybe\",\"raised\":1e30}],"
	    "\"lessons\":[{\"kind\":\"meh\"}],\"actions\":[{\"kind\":7}],"
	    "\"fields\":[1,2],\"roles\":{}}";
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md, *js, *html;
	cJSON *o;
	size_t i;

	assert_int_equal(pm_incident_parse(minimal, &inc), 0);
	assert_int_equal(inc.id, 0);
	assert_string_equal(inc.title, "t");
	assert_null(inc.declared_by.name);
	assert_null(inc.room);
	for (i = 0; i < MARK_COUNT; i++)
		assert_int_equal(inc.marks[i], 0);
	incident_release(&inc);

	/* Numbers out of range read as not recorded, never as garbage (and
	 * not as undefined behaviour). Unknown names take the default. */
	assert_int_equal(pm_incident_parse(odd, &inc), 0);
	assert_int_equal(inc.id, 0);
	assert_int_equal(inc.marks[MARK_STARTED], 0);
	assert_int_equal(inc.marks[MARK_DETECTED], 0);
	assert_int_equal(inc.marks[MARK_RESOLVED], 0);
	assert_int_equal(inc.revision, 0);
	assert_int_equal(inc.status, STATUS_INVESTIGATING);
	assert_int_equal(inc.nhyps, 1);
	assert_int_equal(inc.hyps[0].state, HYP_OPEN);
	assert_int_equal(inc.hyps[0].raised, 0);
	assert_int_equal(inc.lessons[0].kind, LESSON_WELL);
	assert_int_equal(inc.actions[0].kind, ACTION_TASK);

	/* And whatever was read renders. */
	memset(&src, 0, sizeof(src));
	pm = pm_of(&inc, &src, 0, at(15, 0));
	md = render_md(&pm);
	assert_sections(md);
	html = render_html(md, inc.title);
	js = render_json(&pm);
	o = cJSON_Parse(js);
	assert_non_null(o);
	cJSON_Delete(o);
	free(js);
	free(html);
	free(md);
	incident_release(&inc);
}

/* ---- errors and determinism -------------------------------------------- */

/* A source without rows. */
static int empty_each(void *ud, enum pm_pass pass, pm_row_cb *cb, void *cbud)
{
	return 0;
}

static void test_source_errors(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	enum pm_pass pass;
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	inc_full(&inc);
	for (pass = PM_KEY; pass <= PM_TRANSCRIPT; pass++) {
		full_source(&src);
		src.fail_pass = pass;
		src.fail_rc = SCRIBE_ESTORE;
		pm = pm_of(&inc, &src, 1, at(15, 16));
		f = open_memstream(&s, &n);
		/* The Markdown counts the participants in the Timeline's
		 * pass: it never asks for theirs. */
		assert_int_equal(pm_markdown(&pm, f),
				 pass == PM_PARTICIPANTS ? 0 : SCRIBE_ESTORE);
		fclose(f);
		free(s);
		assert_int_equal(src.calls[PM_PARTICIPANTS], 0);
		/* No pass after the failing one was asked for. */
		if (pass < PM_PARTICIPANTS)
			assert_int_equal(src.calls[pass + 1], 0);
		f = open_memstream(&s, &n);
		assert_int_equal(pm_json(&pm, f), SCRIBE_ESTORE);
		fclose(f);
		free(s);
	}
	/* A source with nothing to give is fine. */
	pm.src.each = empty_each;
	pm.src.ud = NULL;
	f = open_memstream(&s, &n);
	assert_int_equal(pm_markdown(&pm, f), 0);
	fclose(f);
	free(s);
	incident_release(&inc);
}

static void test_write_errors(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	inc_full(&inc);
	full_source(&src);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	assert_int_equal(pm_markdown(&pm, f), SCRIBE_EIO);
	clearerr(f);
	assert_int_equal(pm_json(&pm, f), SCRIBE_EIO);
	clearerr(f);
	assert_int_equal(pm_incident_json(&inc, f), SCRIBE_EIO);
	clearerr(f);
	assert_int_equal(pm_html("# x\n", 4, "x", NULL, f), SCRIBE_EIO);
	fclose(f);
	incident_release(&inc);
}

static void test_deterministic(void **state)
{
	struct incident inc;
	struct mem_src src;
	struct postmortem pm;
	char *md1, *md2, *js1, *js2, *h1, *h2;

	inc_full(&inc);
	full_source(&src);
	pm = pm_of(&inc, &src, 1, at(15, 16));
	md1 = render_md(&pm);
	js1 = render_json(&pm);
	md2 = render_md(&pm);
	js2 = render_json(&pm);
	assert_string_equal(md1, md2);
	assert_string_equal(js1, js2);
	h1 = render_html(md1, inc.title);
	h2 = render_html(md2, inc.title);
	assert_string_equal(h1, h2);
	free(h1);
	free(h2);
	free(md2);
	free(js2);

	/* The document's date is the only clock: a revision written later
	 * (`postmortem update`) says when, and nothing else changes. */
	pm.at = at(15, 17);
	md2 = render_md(&pm);
	assert_string_not_equal(md1, md2);
	assert_has(md2, "Closed 2026-11-24 15:16 UTC · revision 1, updated "
			"2026-11-24 15:17 UTC · times in UTC");
	assert_string_equal(strstr(md1, "\n## Issue Summary"),
			    strstr(md2, "\n## Issue Summary"));
	free(md1);
	free(md2);
	free(js1);
	incident_release(&inc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_all_marks),
	    cmocka_unit_test(test_metrics_missing),
	    cmocka_unit_test(test_metrics_defaults),
	    cmocka_unit_test(test_metrics_out_of_order),
	    cmocka_unit_test(test_hyp_stood),
	    cmocka_unit_test(test_misleading),
	    cmocka_unit_test(test_file_name),
	    cmocka_unit_test(test_markdown_full),
	    cmocka_unit_test(test_markdown_not_recorded),
	    cmocka_unit_test(test_markdown_out_of_order),
	    cmocka_unit_test(test_markdown_measured),
	    cmocka_unit_test(test_markdown_conclusion),
	    cmocka_unit_test(test_markdown_rows),
	    cmocka_unit_test(test_md_escape),
	    cmocka_unit_test(test_escaping_rendered),
	    cmocka_unit_test(test_escaping_item_start),
	    cmocka_unit_test(test_html_page),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_hostile),
	    cmocka_unit_test(test_snapshot_round_trip),
	    cmocka_unit_test(test_snapshot_rejects),
	    cmocka_unit_test(test_snapshot_lenient),
	    cmocka_unit_test(test_source_errors),
	    cmocka_unit_test(test_write_errors),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_html_links),
	};
	int rc;

	/* As main() does: one zone, set once. */
	setenv("TZ", "UTC", 1);
	tzset();
	config_defaults(&cfg);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	config_release(&cfg);
	return rc;
}
