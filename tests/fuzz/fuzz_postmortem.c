/*
 * fuzz_postmortem.c - libFuzzer target for the postmortem renderers
 * (bot/core/postmortem.c, pm_json.c, pm_html.c).
 *
 * The input is split on NUL bytes into fields. Field 0 is a stream of
 * control bytes (0 once it runs out) that choose the shape: the zone (UTC
 * or a Central European DST rule), every lifecycle mark (0, "not
 * recorded", or a time around a DST change, so marks come out of order,
 * across days and zone changes, and now and then centuries away), the
 * status, severity, revision and document date, how many roles,
 * hypotheses (open, confirmed, ruled out, decided before being raised),
 * lessons and actions (with or without owners, done or not) there are,
 * and the rows of every pass of the source (every entry kind, thread
 * replies, edits, deletions, truncation, files with and without name,
 * type and URL), and whether one pass of the source fails. The other
 * fields are the texts, used in turn ("" once they run out): title, slug,
 * user names, postmortem fields, hypothesis and row texts.
 *
 * Each input is rendered as Markdown, as JSON and (from the Markdown) as
 * HTML into open_memstream buffers, and the incident goes through its
 * snapshot and back. Beyond "no crash, no leak, no sanitizer report" the
 * documented contracts are checked (FUZZ_CHECK aborts): a failing source's
 * error is returned; otherwise the Markdown has exactly its own headings
 * whatever the user text, and no crowd ping; its HTML has exactly the
 * document's headings and tables and no link, image, quote, rule,
 * ordered list or strikethrough; the JSON parses (cJSON) with one element
 * per row; and a snapshot reads back to the same bytes.
 *
 * Every field is also given to pm_incident_parse() as a snapshot; the
 * first one it accepts is rendered the same way, and its snapshot must be
 * stable after one read (read, write, read, write gives the same bytes).
 */
#include "util/base.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "core/postmortem.h"
#include "core/when.h"
#include "fuzz.h"

#define BASE_MS  1792890000000LL /* 2026-10-25T01:00:00Z, CEST ends */
#define MAX_ROWS 12
#define SECTIONS 12 /* "## " headings of every postmortem */
#define SUBHEADS 3  /* "### " headings (lessons) */
#define TABLES   2  /* of metrics; one more of responders when held */

static const char *const zones[] = {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3"};

/* The input, cut into control bytes and texts. */
struct input {
	const uint8_t *ctl;
	size_t nctl, ictl;
	char **texts;
	size_t ntexts, itext;
};

static unsigned byte(struct input *in)
{
	return in->ictl < in->nctl ? in->ctl[in->ictl++] : 0;
}

static const char *text(struct input *in)
{
	return in->itext < in->ntexts ? in->texts[in->itext++] : "";
}

/* A time: 0 (not recorded), or one around BASE_MS give or take a day and
 * a half in quarter hours plus minutes, or now and then centuries away. */
static int64_t when(struct input *in)
{
	unsigned a = byte(in), b = byte(in);

	if (!a)
		return 0;
	if (a == 0x80)
		return BASE_MS + (int64_t)(int8_t)b * 1000000000000LL;
	return BASE_MS + (int64_t)(int8_t)a * 900000 + (int64_t)b * 61001;
}

static void user(struct input *in, struct user *u, bool may_be_nobody)
{
	const char *id = text(in);

	if (may_be_nobody && (byte(in) & 3) == 0)
		return; /* nobody: id and name NULL */
	user_set(u, id, text(in));
}

static char *maybe_text(struct input *in)
{
	return byte(in) & 1 ? xstrdup(text(in)) : NULL;
}

static void build_incident(struct input *in, const struct config *cfg,
			   struct incident *inc)
{
	size_t i, n;

	memset(inc, 0, sizeof(*inc));
	inc->id = (int64_t)byte(in) * 1000 + byte(in);
	inc->title = xstrdup(text(in));
	inc->slug = xstrdup(text(in));
	inc->severity = (int)(byte(in) % 6);
	inc->status = (enum status)(byte(in) % STATUS_COUNT);
	inc->platform = xstrdup(text(in));
	inc->channel = xstrdup(text(in));
	inc->room = maybe_text(in);
	user(in, &inc->declared_by, false);
	for (i = 0; i < MARK_COUNT; i++)
		inc->marks[i] = when(in);
	inc->resolved_explicit = byte(in) & 1;
	for (i = 0; i < FIELD_COUNT; i++)
		inc->fields[i] = maybe_text(in);
	inc->revision = (int)(byte(in) % 4);

	n = byte(in) % 5;
	for (i = 0; i < n; i++) {
		struct role *r;
		unsigned k = byte(in);

		ALLOC_GROW(inc->roles, inc->nroles + 1, inc->roles_cap);
		r = &inc->roles[inc->nroles++];
		memset(r, 0, sizeof(*r));
		r->role = xstrdup(k < cfg->nroles ? cfg->roles[k] : text(in));
		user(in, &r->who, false);
		r->at = when(in);
	}
	n = byte(in) % 7;
	for (i = 0; i < n; i++) {
		struct hypothesis *h;

		ALLOC_GROW(inc->hyps, inc->nhyps + 1, inc->hyps_cap);
		h = &inc->hyps[inc->nhyps++];
		memset(h, 0, sizeof(*h));
		h->n = (int)inc->nhyps;
		h->text = xstrdup(text(in));
		user(in, &h->by, false);
		h->raised = when(in);
		h->state = (enum hyp_state)(byte(in) % 3);
		h->decided = when(in);
		if (h->state != HYP_OPEN)
			user(in, &h->decided_by, true);
		h->why = maybe_text(in);
	}
	n = byte(in) % 5;
	for (i = 0; i < n; i++) {
		struct lesson *l;

		ALLOC_GROW(inc->lessons, inc->nlessons + 1, inc->lessons_cap);
		l = &inc->lessons[inc->nlessons++];
		memset(l, 0, sizeof(*l));
		l->n = (int)inc->nlessons;
		l->kind = (enum lesson_kind)(byte(in) % LESSON_COUNT);
		l->text = xstrdup(text(in));
		user(in, &l->by, false);
		l->at = when(in);
	}
	n = byte(in) % 6;
	for (i = 0; i < n; i++) {
		struct action *a;

		ALLOC_GROW(inc->actions, inc->nactions + 1, inc->actions_cap);
		a = &inc->actions[inc->nactions++];
		memset(a, 0, sizeof(*a));
		a->n = (int)inc->nactions;
		a->kind = byte(in) & 1 ? ACTION_FIX : ACTION_TASK;
		a->text = xstrdup(text(in));
		user(in, &a->owner, true);
		user(in, &a->by, false);
		a->at = when(in);
		a->done = when(in);
		if (a->done)
			user(in, &a->done_by, false);
	}
}

/* ---- the rows: an in-memory source ------------------------------------- */

struct rows {
	struct pm_row row[PM_TRANSCRIPT + 1][MAX_ROWS];
	size_t n[PM_TRANSCRIPT + 1];
	int fail_pass; /* -1: none */
};

static int rows_each(void *ud, enum pm_pass pass, pm_row_cb *cb, void *cbud)
{
	struct rows *rs = ud;
	size_t i;
	int rc;

	if ((int)pass == rs->fail_pass)
		return SCRIBE_ESTORE;
	for (i = 0; i < rs->n[pass]; i++) {
		rc = cb(cbud, &rs->row[pass][i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Texts of the input are borrowed: they live until the input is done. */
static void build_rows(struct input *in, struct rows *rs)
{
	int pass;
	size_t i;
	unsigned f = byte(in);

	memset(rs, 0, sizeof(*rs));
	rs->fail_pass = f % 8 < 4 && f >= 0xe0 ? (int)(f % 4) : -1;
	for (pass = PM_KEY; pass <= PM_TRANSCRIPT; pass++) {
		rs->n[pass] = byte(in) % (MAX_ROWS + 1);
		for (i = 0; i < rs->n[pass]; i++) {
			struct pm_row *r = &rs->row[pass][i];
			unsigned flags;

			r->who = text(in);
			if (pass == PM_PARTICIPANTS) {
				r->count = 1 + byte(in);
				continue;
			}
			r->kind =
			    (enum entry_kind)(byte(in) % ENTRY_KIND_COUNT);
			r->at = when(in);
			r->text = text(in);
			if (pass != PM_TRANSCRIPT && pass != PM_KEY)
				continue;
			flags = byte(in);
			r->reply = pass == PM_TRANSCRIPT && (flags & 1);
			if (pass == PM_KEY) {
				r->key = flags & 1;
				r->who_id = flags & 8 ? NULL : r->who;
				r->room = flags & 64 ? text(in) : NULL;
			}
			r->edits = flags & 2 ? (int)byte(in) : 0;
			if (flags & 4) {
				r->deleted = when(in);
				r->deleted_by = flags & 8 ? text(in) : NULL;
			}
			r->truncated = flags & 16;
			if (flags & 32 || r->kind == ENTRY_FILE) {
				r->kind = ENTRY_FILE;
				r->file_name = flags & 64 ? text(in) : NULL;
				r->file_type = flags & 128 ? text(in) : NULL;
				r->file_url = byte(in) & 1 ? text(in) : NULL;
			}
		}
	}
}

/* ---- rendering and checking -------------------------------------------- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* True when s has a crowd mention a chat platform would act on. */
static bool pings(const char *s)
{
	static const char *const crowds[] = {"channel", "here", "everyone",
					     "room"};
	const char *p;
	size_t i, n;

	if (strstr(s, "<!"))
		return true;
	for (p = strchr(s, '@'); p; p = strchr(p + 1, '@')) {
		for (i = 0; i < ARRAY_SIZE(crowds); i++) {
			n = strlen(crowds[i]);
			if (!strncasecmp(p + 1, crowds[i], n) &&
			    !isalnum((unsigned char)p[1 + n]))
				return true;
		}
	}
	return false;
}

static void check_html(const char *html, size_t tables)
{
	const char *body = strstr(html, "<body>");

	FUZZ_CHECK(body);
	FUZZ_CHECK(count(body, "<h1>") == 1);
	FUZZ_CHECK(count(body, "<h2>") == SECTIONS);
	FUZZ_CHECK(count(body, "<h3>") == SUBHEADS);
	FUZZ_CHECK(!strstr(body, "<h4") && !strstr(body, "<h5") &&
		   !strstr(body, "<h6"));
	FUZZ_CHECK(count(body, "<table>") == tables);
	FUZZ_CHECK(!strstr(body, "<a "));
	FUZZ_CHECK(!strstr(body, "<img"));
	FUZZ_CHECK(!strstr(body, "<ol"));
	FUZZ_CHECK(!strstr(body, "<blockquote"));
	FUZZ_CHECK(!strstr(body, "<hr"));
	FUZZ_CHECK(!strstr(body, "<del"));
	FUZZ_CHECK(!strstr(body, "<script"));
	FUZZ_CHECK(!strstr(body, "<b>"));
}

static void check_json(const char *json, const struct rows *rs)
{
	static const char *const names[] = {"timeline", "playbook_steps",
					    "participants", "transcript"};
	cJSON *o = cJSON_Parse(json);
	size_t i;

	FUZZ_CHECK(cJSON_IsObject(o));
	FUZZ_CHECK(cJSON_IsObject(cJSON_GetObjectItem(o, "incident")));
	FUZZ_CHECK(cJSON_IsObject(cJSON_GetObjectItem(o, "metrics")));
	/* The timeline is the story picked from its rows: never more. */
	FUZZ_CHECK((size_t)cJSON_GetArraySize(
		       cJSON_GetObjectItem(o, names[0])) <= rs->n[0]);
	for (i = 1; rs && i < ARRAY_SIZE(names); i++)
		FUZZ_CHECK((size_t)cJSON_GetArraySize(
			       cJSON_GetObjectItem(o, names[i])) == rs->n[i]);
	cJSON_Delete(o);
}

/* Whether the Responders section has a table: a configured role held. */
static bool roles_held(const struct config *cfg, const struct incident *inc)
{
	size_t i, j;

	for (i = 0; i < cfg->nroles; i++)
		for (j = 0; j < inc->nroles; j++)
			if (inc->roles[j].role &&
			    !strcmp(inc->roles[j].role, cfg->roles[i]))
				return true;
	return false;
}

/* Renders inc with rows rs (or none) in every form and checks each. */
static void render(const struct config *cfg, const struct incident *inc,
		   struct rows *rs, int revision, int64_t at)
{
	static struct rows none = {.fail_pass = -1};
	struct postmortem pm = {
	    .cfg = cfg, .inc = inc, .revision = revision, .at = at};
	char *md = NULL, *json = NULL, *html = NULL;
	size_t mdlen = 0, jsonlen = 0, htmllen = 0;
	FILE *f;
	int rc, want;

	if (!rs)
		rs = &none;
	want = rs->fail_pass >= 0 ? SCRIBE_ESTORE : 0;
	pm.src.each = rows_each;
	pm.src.ud = rs;

	f = open_memstream(&md, &mdlen);
	FUZZ_CHECK(f);
	rc = pm_markdown(&pm, f);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(rc == want);

	f = open_memstream(&json, &jsonlen);
	FUZZ_CHECK(f);
	rc = pm_json(&pm, f);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(rc == want);

	f = open_memstream(&html, &htmllen);
	FUZZ_CHECK(f);
	rc = pm_html(md, mdlen, inc->title ? inc->title : "", NULL, f);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(rc == 0);

	if (!want) {
		FUZZ_CHECK(!strncmp(md, "# Postmortem: INC-", 18));
		FUZZ_CHECK(count(md, "\n#") == SECTIONS + SUBHEADS);
		FUZZ_CHECK(!pings(md));
		check_html(html, TABLES + roles_held(cfg, inc));
		check_json(json, rs);
	}
	free(md);
	free(json);
	free(html);
}

static char *snapshot(const struct incident *inc)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	FUZZ_CHECK(f);
	FUZZ_CHECK(pm_incident_json(inc, f) == 0);
	FUZZ_CHECK(fclose(f) == 0);
	return s;
}

/* Writes inc's snapshot, reads it back and writes that: same bytes. When
 * exact, the first snapshot must already be a fixed point. */
static void check_snapshot(const struct incident *inc, bool exact)
{
	struct incident back, again;
	char *a = snapshot(inc), *b, *c;

	FUZZ_CHECK(pm_incident_parse(a, &back) == 0);
	b = snapshot(&back);
	if (exact)
		FUZZ_CHECK(!strcmp(a, b));
	FUZZ_CHECK(pm_incident_parse(b, &again) == 0);
	c = snapshot(&again);
	FUZZ_CHECK(!strcmp(b, c));
	incident_release(&back);
	incident_release(&again);
	free(a);
	free(b);
	free(c);
}

static struct config *config(void)
{
	static struct config cfg;
	static bool ready;

	if (!ready) {
		config_defaults(&cfg);
		ready = true;
	}
	return &cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config *cfg = config();
	char *copy = fuzz_cstr(data, size), *p, *end = copy + size;
	struct input in = {0};
	struct incident inc, parsed;
	struct rows rs;
	int revision;
	int64_t at;
	size_t i, n = 0, cap = 0;
	bool rendered = false;

	/* Field 0 is control; the rest are texts. Every field is also a
	 * snapshot to read. */
	for (p = copy;; p += strlen(p) + 1) {
		ALLOC_GROW(in.texts, n + 1, cap);
		in.texts[n++] = p;
		if (p + strlen(p) >= end)
			break;
	}
	in.ctl = (const uint8_t *)in.texts[0];
	in.nctl = strlen(in.texts[0]);
	in.ntexts = n;
	in.itext = 1;

	setenv("TZ", zones[byte(&in) & 1], 1);
	tzset();
	build_incident(&in, cfg, &inc);
	build_rows(&in, &rs);
	revision = (int)(byte(&in) % 4);
	at = when(&in);
	if (!at)
		at = BASE_MS;
	render(cfg, &inc, &rs, revision, at);
	free(pm_file_name(&inc, revision, "md"));
	check_snapshot(&inc, true);
	incident_release(&inc);

	for (i = 0; i < n; i++) {
		if (pm_incident_parse(in.texts[i], &parsed))
			continue;
		if (!rendered) {
			render(cfg, &parsed, i ? &rs : NULL, revision, at);
			free(pm_file_name(&parsed, revision, "md"));
			check_snapshot(&parsed, false);
			rendered = true;
		}
		incident_release(&parsed);
	}
	free(in.texts);
	free(copy);
	return 0;
}
