/*
 * commands.c - the command table and every command's rules.
 *
 * One table drives parsing, arity, the "needs an incident" check, the
 * usage lines of error replies and `help`. Each handler reads the parsed
 * words and env (the incident, the speaker, the command's time), changes
 * the incident in memory and appends effects; see core.h. The rules are
 * PRODUCT.md's "Semantics" section.
 */
#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/core.h"
#include "core/text.h"
#include "core/when.h"
#include "core/cmdctx.h"

#define TIMELINE_DEFAULT 10
#define TIMELINE_MAX     200
#define TITLE_MAX        200

static const struct core_cmd commands[];

/* ---- effects ---------------------------------------------------------- */

void effects_release(struct effects *fx)
{
	size_t i;

	for (i = 0; i < fx->nentries; i++) {
		user_release(&fx->entries[i].who);
		free(fx->entries[i].text);
	}
	for (i = 0; i < fx->nposts; i++) {
		free(fx->posts[i].room);
		free(fx->posts[i].text);
		free(fx->posts[i].to_user);
	}
	free(fx->entries);
	free(fx->posts);
	if (fx->created) {
		incident_release(fx->inc);
		free(fx->inc);
	}
	memset(fx, 0, sizeof(*fx));
}

char *ctx_vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	s = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	return s;
}

/* Records a typed, key timeline entry at time at. */
void ctx_entry(struct ctx *c, enum entry_kind kind, int64_t at, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
void ctx_entry(struct ctx *c, enum entry_kind kind, int64_t at, const char *fmt,
	       ...)
{
	struct fx_entry *e;
	va_list ap;

	ALLOC_GROW(c->fx->entries, c->fx->nentries + 1, c->fx->entries_cap);
	e = &c->fx->entries[c->fx->nentries++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->at = at;
	/* The postmortem's timeline: lifecycle, state, notes, hypotheses,
	 * playbook steps. Roles, fields, lessons and follow-ups have their
	 * own sections. */
	e->key = kind != ENTRY_ROLE && kind != ENTRY_FIELD &&
		 kind != ENTRY_LESSON && kind != ENTRY_ACTION;
	va_start(ap, fmt);
	e->text = ctx_vformat(fmt, ap);
	va_end(ap);
	user_copy(&e->who, &c->env->speaker);
}

/* Queues a post. Everything the bot says is defused here, in one place,
 * so no user text it echoes can ping a crowd. */
static void vpost(struct ctx *c, const char *room, const char *to_user,
		  const char *fmt, va_list ap)
{
	struct fx_post *p;
	struct buf b;
	char *raw = ctx_vformat(fmt, ap);

	buf_init(&b, BUF_UNBOUNDED);
	text_defuse(&b, raw);
	free(raw);
	ALLOC_GROW(c->fx->posts, c->fx->nposts + 1, c->fx->posts_cap);
	p = &c->fx->posts[c->fx->nposts++];
	p->room = room ? xstrdup(room) : NULL;
	p->to_user = to_user ? xstrdup(to_user) : NULL;
	p->text = buf_detach(&b, NULL);
}

/* Replies where the command was typed. */
void ctx_reply(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctx_reply(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpost(c, c->env->room, NULL, fmt, ap);
	va_end(ap);
}

/* Says something in the incident's channel only. */
void ctx_post_incident(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctx_post_incident(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpost(c, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* Says something in the incident's channel, and also where the command
 * was typed when that is another room. */
void ctx_announce(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctx_announce(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->env->room &&
	    (!c->inc->room || strcmp(c->inc->room, c->env->room))) {
		va_start(ap, fmt);
		vpost(c, c->env->room, NULL, fmt, ap);
		va_end(ap);
	}
	va_start(ap, fmt);
	vpost(c, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* A reply only the speaker sees (Slack: ephemeral). */
void ctx_reply_private(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctx_reply_private(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpost(c, c->env->room, c->env->speaker.id, fmt, ap);
	va_end(ap);
}

/* A refusal with the usage line, seen only by the speaker. */
int ctx_refuse(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctx_refuse(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = ctx_vformat(fmt, ap);
	va_end(ap);
	if (c->req->cmd)
		ctx_reply_private(c, "✗ %s\nusage: %s", why,
				  c->req->cmd->usage);
	else
		ctx_reply_private(c, "✗ %s", why);
	free(why);
	return SCRIBE_EINVAL;
}

/* ---- argument helpers -------------------------------------------------- */

/* The rest of the line from argument i, or "" past the end. */
const char *ctx_rest(struct ctx *c, size_t i)
{
	return i < c->w.n ? c->w.rest[i] : "";
}

/* "14:05 UTC": a time as the channel reads it. fmt_hm returns buf. */
const char *ctx_fmt_hm(int64_t ms, char buf[2 * WHEN_BUFSZ])
{
	char t[WHEN_BUFSZ], z[WHEN_BUFSZ];

	when_hm(ms, t);
	when_zone_abbr(ms, z);
	snprintf(buf, 2 * WHEN_BUFSZ, "%s %s", t, z);
	return buf;
}

/*
 * Parses "at <time>" starting at argument i: the time is one word, or two
 * for "YYYY-MM-DD HH:MM". Sets *used to the words consumed (0 without
 * "at", and *at is env->now then). Returns 0 or a refusal.
 */
static int parse_at(struct ctx *c, size_t i, int64_t *at, size_t *used)
{
	char err[200], both[64];
	const char *t;
	size_t n = 1;

	*at = c->env->now;
	*used = 0;
	if (i >= c->w.n || strcasecmp(c->w.w[i], "at"))
		return 0;
	if (i + 1 >= c->w.n)
		return ctx_refuse(c, "'at' needs a time");
	t = c->w.w[i + 1];
	if (strlen(t) == 10 && t[4] == '-' && i + 2 < c->w.n &&
	    strlen(c->w.w[i + 2]) <= 8) {
		snprintf(both, sizeof(both), "%s %s", t, c->w.w[i + 2]);
		t = both;
		n = 2;
	}
	if (when_parse(t, c->env->now, at, err, sizeof(err)))
		return ctx_refuse(c, "%s", err);
	*used = 1 + n;
	return 0;
}

/*
 * The last word of the arguments (a copy: free it), found in the line
 * itself because it may lie past the WORDS_MAX words split; *at is where
 * it starts in ctx_rest(c, 0).
 */
static char *last_word(struct ctx *c, size_t *at)
{
	const char *s = ctx_rest(c, 0), *end = s + strlen(s), *p;

	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	for (p = end; p > s && !isspace((unsigned char)p[-1]); p--)
		;
	*at = (size_t)(p - s);
	return xstrndup(p, (size_t)(end - p));
}

/* len, less the white space (newlines too) that s[0..len) ends with. */
static size_t trim_len(const char *s, size_t len)
{
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return len;
}

int ctx_parse_user(struct ctx *c, const char *word, struct user *u)
{
	if (text_user(word, &c->env->speaker, u))
		return ctx_refuse(c, "'%s' is not a user: use @name or @me",
				  word);
	return 0;
}

/* H<n> of this incident, or a refusal (NULL). */
static struct hypothesis *parse_hyp(struct ctx *c, const char *word)
{
	int n = text_numbered(word, "H");
	struct hypothesis *h = n > 0 ? incident_hyp(c->inc, n) : NULL;

	if (n < 0)
		ctx_refuse(c, "'%s' is not a hypothesis: use H<n>", word);
	else if (!h)
		ctx_refuse(c, "there is no H%d in INC-%lld", n,
			   (long long)c->inc->id);
	return h;
}

static const char *role_configured(const struct config *cfg, const char *role)
{
	size_t i;

	for (i = 0; i < cfg->nroles; i++)
		if (!strcasecmp(cfg->roles[i], role))
			return cfg->roles[i];
	return NULL;
}

static void assign_role(struct ctx *c, const char *role, const struct user *u)
{
	struct role *r = incident_role(c->inc, role);

	if (!r) {
		ALLOC_GROW(c->inc->roles, c->inc->nroles + 1,
			   c->inc->roles_cap);
		r = &c->inc->roles[c->inc->nroles++];
		memset(r, 0, sizeof(*r));
		r->role = xstrdup(role);
	}
	user_copy(&r->who, u);
	r->at = c->env->now;
	r->dirty = true;
	ctx_entry(c, ENTRY_ROLE, c->env->now, "%s: %s", role, u->name);
}

/* "sev<N>" (or a bare digit) with N configured: N; else -1. */
static int parse_sev(const struct config *cfg, const char *word)
{
	int n = text_numbered(word, "sev");

	if (n < 0 && word[0] >= '1' && word[0] <= '9' && !word[1])
		n = word[0] - '0';
	return n > 0 && config_has_severity(cfg, n) ? n : -1;
}

static int refuse_sev(struct ctx *c, const char *word)
{
	const struct config *cfg = c->env->cfg;
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, BUF_UNBOUNDED);
	for (i = 0; i < cfg->nseverities; i++)
		buf_addf(&b, "%ssev%d", i ? ", " : "",
			 cfg->severities[i].level);
	rc = ctx_refuse(c, "unknown severity '%s': use one of %s", word, b.s);
	buf_release(&b);
	return rc;
}

/* ---- declare and the lifecycle ------------------------------------------ */

char *core_channel_name(const struct config *cfg, int64_t id, const char *slug)
{
	return xasprintf("%s-%lld-%s", cfg->channel_prefix, (long long)id,
			 slug);
}

char *core_topic(const struct incident *inc)
{
	return xasprintf(
	    "INC-%lld · sev%d · %s · %s", (long long)inc->id, inc->severity,
	    inc->marks[MARK_CLOSED] ? "closed" : status_name(inc->status),
	    inc->title);
}

static int cmd_declare(struct ctx *c)
{
	const struct config *cfg = c->env->cfg;
	struct incident *inc;
	char slug[SLUG_MAX + 1], when[2 * WHEN_BUFSZ];
	char *last;
	size_t len = strlen(c->w.rest[0]), at;
	int sev = cfg->default_severity, rc;
	bool cut;

	/* The severity is the line's last word, not the last one split. */
	last = last_word(c, &at);
	if (text_numbered(last, "sev") > 0) {
		sev = parse_sev(cfg, last);
		if (sev < 0) {
			rc = refuse_sev(c, last);
			free(last);
			return rc;
		}
		len = at;
	}
	free(last);
	len = trim_len(c->w.rest[0], len);
	if (!len)
		return ctx_refuse(c, "an incident needs a title");

	inc = xcalloc(1, sizeof(*inc));
	inc->id = c->env->next_id;
	inc->title = text_clean(c->w.rest[0], len, TITLE_MAX, &cut);
	text_slug(inc->title, slug);
	inc->slug = xstrdup(slug);
	inc->severity = sev;
	inc->status = STATUS_INVESTIGATING;
	inc->platform = xstrdup(c->env->platform);
	inc->channel = core_channel_name(cfg, inc->id, slug);
	inc->origin_room = c->env->room ? xstrdup(c->env->room) : NULL;
	user_copy(&inc->declared_by, &c->env->speaker);
	inc->marks[MARK_DECLARED] = c->env->now;
	inc->dirty = true;
	c->inc = inc;
	c->fx->inc = inc;
	c->fx->created = true;

	ctx_entry(c, ENTRY_DECLARED, c->env->now,
		  "declared INC-%lld: %s (sev%d)", (long long)inc->id,
		  inc->title, sev);
	assign_role(c, "commander", &c->env->speaker);
	ctx_reply(c, "🚨 INC-%lld declared: %s (sev%d) → #%s",
		  (long long)inc->id, inc->title, sev, inc->channel);
	{
		char *topic = core_topic(inc);

		ctx_post_incident(
		    c,
		    "%s\nDeclared by %s at %s. Commander: %s.\n"
		    "Talk here: every message is on the timeline. "
		    "`help` lists the commands.",
		    topic, c->env->speaker.name, ctx_fmt_hm(c->env->now, when),
		    c->env->speaker.name);
		free(topic);
	}
	runs_suggest(c, inc->title, sev);
	return 0;
}

static int cmd_sev(struct ctx *c)
{
	int sev = parse_sev(c->env->cfg, c->w.w[0]);
	int old = c->inc->severity;

	if (sev < 0)
		return refuse_sev(c, c->w.w[0]);
	if (sev == old)
		return ctx_refuse(c, "INC-%lld is already sev%d",
				  (long long)c->inc->id, sev);
	c->inc->severity = sev;
	c->inc->dirty = true;
	ctx_entry(c, ENTRY_SEVERITY, c->env->now, "severity sev%d → sev%d", old,
		  sev);
	ctx_announce(c, "INC-%lld severity: sev%d → sev%d",
		     (long long)c->inc->id, old, sev);
	return 0;
}

/* Sets resolved at `at` unless already set (the first setting wins). */
static void resolve_at(struct ctx *c, int64_t at)
{
	if (!c->inc->marks[MARK_RESOLVED]) {
		c->inc->marks[MARK_RESOLVED] = at;
		ctx_entry(c, ENTRY_MARK, at, "resolved");
	}
}

static void set_status(struct ctx *c, enum status st)
{
	enum status old = c->inc->status;

	c->inc->status = st;
	c->inc->dirty = true;
	ctx_entry(c, ENTRY_STATUS, c->env->now, "status %s → %s",
		  status_name(old), status_name(st));
	if (st == STATUS_RESOLVED)
		resolve_at(c, c->env->now);
}

static int cmd_status(struct ctx *c)
{
	int st = status_parse(c->w.w[0]);

	if (st < 0)
		return ctx_refuse(c, "unknown status '%s'", c->w.w[0]);
	if ((enum status)st == c->inc->status)
		return ctx_refuse(c, "INC-%lld is already %s",
				  (long long)c->inc->id, status_name(st));
	set_status(c, (enum status)st);
	ctx_announce(c, "INC-%lld status: %s", (long long)c->inc->id,
		     status_name(st));
	return 0;
}

static int cmd_resolve(struct ctx *c)
{
	if (c->inc->status == STATUS_RESOLVED && c->inc->marks[MARK_RESOLVED])
		return ctx_refuse(c, "INC-%lld is already resolved",
				  (long long)c->inc->id);
	set_status(c, STATUS_RESOLVED);
	ctx_announce(c, "✅ INC-%lld resolved. `close` writes the postmortem.",
		     (long long)c->inc->id);
	return 0;
}

static int cmd_mark(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	int m = mark_parse(c->w.w[0]);
	int64_t at;
	size_t used;
	int rc;

	if (m < 0 || m == MARK_DECLARED || m == MARK_CLOSED)
		return ctx_refuse(c, "unknown mark '%s'", c->w.w[0]);
	rc = parse_at(c, 1, &at, &used);
	if (rc)
		return rc;
	if (1 + used < c->w.n)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[1 + used]);
	c->inc->marks[m] = at;
	c->inc->dirty = true;
	if (m == MARK_RESOLVED) {
		c->inc->resolved_explicit = true;
		if (c->inc->status != STATUS_RESOLVED)
			set_status(c, STATUS_RESOLVED);
	}
	ctx_entry(c, ENTRY_MARK, at, "%s", mark_name(m));
	ctx_announce(c, "INC-%lld %s at %s", (long long)c->inc->id,
		     mark_name(m), ctx_fmt_hm(at, when));
	return 0;
}

static int cmd_close(struct ctx *c)
{
	struct incident *inc = c->inc;
	bool defaulted = !inc->marks[MARK_RESOLVED];

	if (inc->marks[MARK_CLOSED])
		return ctx_refuse(c,
				  "INC-%lld is already closed (`reopen` first)",
				  (long long)inc->id);
	if (inc->status != STATUS_RESOLVED)
		set_status(c, STATUS_RESOLVED); /* also resolves, if unset */
	resolve_at(c, c->env->now);
	inc->marks[MARK_CLOSED] = c->env->now;
	inc->revision++;
	inc->dirty = true;
	c->fx->write_postmortem = true;
	ctx_entry(c, ENTRY_CLOSED, c->env->now,
		  "closed; postmortem revision %d", inc->revision);
	ctx_announce(c, "📕 INC-%lld closed.%s Postmortem revision %d follows.",
		     (long long)inc->id,
		     defaulted ? " No resolved mark was set: the close time is "
				 "used as the resolution time."
			       : "",
		     inc->revision);
	return 0;
}

static int cmd_reopen(struct ctx *c)
{
	struct incident *inc = c->inc;

	if (!inc->marks[MARK_CLOSED] && !inc->marks[MARK_RESOLVED])
		return ctx_refuse(c, "INC-%lld is not resolved or closed",
				  (long long)inc->id);
	inc->marks[MARK_CLOSED] = 0;
	inc->marks[MARK_RESOLVED] = 0;
	inc->resolved_explicit = false;
	inc->status = STATUS_INVESTIGATING;
	inc->dirty = true;
	ctx_entry(c, ENTRY_REOPENED, c->env->now, "reopened");
	ctx_announce(c, "🔁 INC-%lld reopened: investigating again",
		     (long long)inc->id);
	return 0;
}

/* ---- people ------------------------------------------------------------- */

static int cmd_lead(struct ctx *c)
{
	struct user u = {0};

	if (c->w.n > 1)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[1]);
	if (ctx_parse_user(c, c->w.w[0], &u))
		return SCRIBE_EINVAL;
	assign_role(c, "commander", &u);
	ctx_announce(c, "INC-%lld commander: %s", (long long)c->inc->id,
		     u.name);
	user_release(&u);
	return 0;
}

static int cmd_role(struct ctx *c)
{
	const char *role = role_configured(c->env->cfg, c->w.w[0]);
	struct user u = {0};

	if (!role)
		return ctx_refuse(c, "unknown role '%s' (see `roles`)",
				  c->w.w[0]);
	if (c->w.n > 2)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[2]);
	if (ctx_parse_user(c, c->w.w[1], &u))
		return SCRIBE_EINVAL;
	assign_role(c, role, &u);
	ctx_announce(c, "INC-%lld %s: %s", (long long)c->inc->id, role, u.name);
	user_release(&u);
	return 0;
}

static int cmd_roles(struct ctx *c)
{
	const struct config *cfg = c->env->cfg;
	struct buf b;
	struct role *r;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "INC-%lld roles:", (long long)c->inc->id);
	for (i = 0; i < cfg->nroles; i++) {
		r = incident_role(c->inc, cfg->roles[i]);
		buf_addf(&b, "\n• %s: %s", cfg->roles[i],
			 r ? r->who.name : "(nobody)");
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

/* ---- the record ------------------------------------------------------- */

static int cmd_note(struct ctx *c)
{
	ctx_entry(c, ENTRY_NOTE, c->env->now, "%s", ctx_rest(c, 0));
	ctx_reply(c, "📝 noted on INC-%lld's timeline", (long long)c->inc->id);
	return 0;
}

static int cmd_event(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	int64_t at;
	size_t used;
	int rc;

	if (strcasecmp(c->w.w[0], "at"))
		return ctx_refuse(c,
				  "`event` needs a time first: event at <time> "
				  "<text>");
	rc = parse_at(c, 0, &at, &used);
	if (rc)
		return rc;
	if (used >= c->w.n)
		return ctx_refuse(c, "the event needs a text after its time");
	ctx_entry(c, ENTRY_NOTE, at, "%s", ctx_rest(c, used));
	ctx_reply(c, "📝 event at %s on INC-%lld's timeline",
		  ctx_fmt_hm(at, when), (long long)c->inc->id);
	return 0;
}

static int cmd_hypothesis(struct ctx *c)
{
	struct hypothesis *h;
	struct incident *inc = c->inc;

	ALLOC_GROW(inc->hyps, inc->nhyps + 1, inc->hyps_cap);
	h = &inc->hyps[inc->nhyps];
	memset(h, 0, sizeof(*h));
	h->n = inc->nhyps ? inc->hyps[inc->nhyps - 1].n + 1 : 1;
	inc->nhyps++;
	h->text = xstrdup(ctx_rest(c, 0));
	user_copy(&h->by, &c->env->speaker);
	h->raised = c->env->now;
	h->state = HYP_OPEN;
	h->dirty = true;
	ctx_entry(c, ENTRY_HYPOTHESIS, c->env->now, "H%d raised: %s", h->n,
		  h->text);
	ctx_announce(c, "🔎 H%d: %s (`confirm H%d` or `rule-out H%d`)", h->n,
		     h->text, h->n, h->n);
	return 0;
}

static int decide(struct ctx *c, enum hyp_state st)
{
	struct hypothesis *h = parse_hyp(c, c->w.w[0]);
	const char *verb = st == HYP_CONFIRMED ? "confirmed" : "ruled out";
	char when[2 * WHEN_BUFSZ], stood[WHEN_BUFSZ];

	if (!h)
		return SCRIBE_EINVAL;
	if (h->state != HYP_OPEN)
		return ctx_refuse(c, "H%d was already %s at %s", h->n,
				  h->state == HYP_CONFIRMED ? "confirmed"
							    : "ruled out",
				  ctx_fmt_hm(h->decided, when));
	h->state = st;
	h->decided = c->env->now;
	user_copy(&h->decided_by, &c->env->speaker);
	free(h->why);
	h->why = c->w.n > 1 ? xstrdup(ctx_rest(c, 1)) : NULL;
	h->dirty = true;
	when_duration(h->decided - h->raised, stood);
	ctx_entry(c, ENTRY_HYPOTHESIS, c->env->now, "H%d %s: %s%s%s", h->n,
		  verb, h->text, h->why ? " — " : "", h->why ? h->why : "");
	ctx_announce(c, "%s H%d %s after %s: %s%s%s",
		     st == HYP_CONFIRMED ? "✅" : "🚫", h->n, verb, stood,
		     h->text, h->why ? " — " : "", h->why ? h->why : "");
	return 0;
}

static int cmd_confirm(struct ctx *c)
{
	return decide(c, HYP_CONFIRMED);
}

static int cmd_rule_out(struct ctx *c)
{
	return decide(c, HYP_RULED_OUT);
}

/* summary, impact, rootcause, resolution, conclusion: the command's name
 * is the field's. */
static int cmd_field(struct ctx *c)
{
	int f = field_parse(c->req->cmd->name);

	free(c->inc->fields[f]);
	c->inc->fields[f] = xstrdup(ctx_rest(c, 0));
	c->inc->dirty = true;
	ctx_entry(c, ENTRY_FIELD, c->env->now, "%s: %s", field_name(f),
		  c->inc->fields[f]);
	ctx_reply(c, "📝 INC-%lld %s recorded", (long long)c->inc->id,
		  field_name(f));
	return 0;
}

static int cmd_learned(struct ctx *c)
{
	static const char *const said[] = {"went well", "went wrong",
					   "got lucky"};
	struct incident *inc = c->inc;
	int k = lesson_parse(c->w.w[0]);
	struct lesson *l;

	if (k < 0)
		return ctx_refuse(c, "'%s' is not well, wrong or lucky",
				  c->w.w[0]);
	if (c->w.n < 2)
		return ctx_refuse(c, "what was learned?");
	ALLOC_GROW(inc->lessons, inc->nlessons + 1, inc->lessons_cap);
	l = &inc->lessons[inc->nlessons];
	memset(l, 0, sizeof(*l));
	l->n = inc->nlessons ? inc->lessons[inc->nlessons - 1].n + 1 : 1;
	inc->nlessons++;
	l->kind = (enum lesson_kind)k;
	l->text = xstrdup(ctx_rest(c, 1));
	user_copy(&l->by, &c->env->speaker);
	l->at = c->env->now;
	l->dirty = true;
	ctx_entry(c, ENTRY_LESSON, c->env->now, "%s: %s", said[k], l->text);
	ctx_reply(c, "📚 lesson recorded (%s)", said[k]);
	return 0;
}

static int add_action(struct ctx *c, enum action_kind kind)
{
	struct incident *inc = c->inc;
	struct user owner = {0};
	struct action *a;
	size_t len = strlen(ctx_rest(c, 0)), at;
	char *last = last_word(c, &at);

	/* The owner is the line's last word, not the last one split. */
	if (kind == ACTION_TASK && at > 0 &&
	    (last[0] == '@' || !strncmp(last, "<@", 2))) {
		if (ctx_parse_user(c, last, &owner)) {
			free(last);
			return SCRIBE_EINVAL;
		}
		len = at;
	}
	free(last);
	len = trim_len(ctx_rest(c, 0), len);
	ALLOC_GROW(inc->actions, inc->nactions + 1, inc->actions_cap);
	a = &inc->actions[inc->nactions];
	memset(a, 0, sizeof(*a));
	a->n = inc->nactions ? inc->actions[inc->nactions - 1].n + 1 : 1;
	inc->nactions++;
	a->kind = kind;
	a->text = xstrndup(ctx_rest(c, 0), len);
	a->owner = owner;
	user_copy(&a->by, &c->env->speaker);
	a->at = c->env->now;
	a->dirty = true;
	ctx_entry(c, ENTRY_ACTION, c->env->now, "A%d %s: %s%s%s", a->n,
		  kind == ACTION_FIX ? "fix" : "action", a->text,
		  owner.id ? " — owner " : "", owner.id ? owner.name : "");
	ctx_reply(c, "📌 A%d %s: %s%s%s", a->n,
		  kind == ACTION_FIX ? "corrective measure" : "action item",
		  a->text, owner.id ? " — owner " : " — no owner yet",
		  owner.id ? owner.name : "");
	return 0;
}

static int cmd_action(struct ctx *c)
{
	return add_action(c, ACTION_TASK);
}

static int cmd_fix(struct ctx *c)
{
	return add_action(c, ACTION_FIX);
}

static int cmd_actions(struct ctx *c)
{
	struct buf b;
	size_t i;
	const struct action *a;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "INC-%lld follow-ups:", (long long)c->inc->id);
	if (!c->inc->nactions)
		buf_adds(&b, " none yet (`action <text> [@owner]`, "
			     "`fix <text>`)");
	for (i = 0; i < c->inc->nactions; i++) {
		a = &c->inc->actions[i];
		buf_addf(&b, "\n%s A%d %s%s: %s — %s", a->done ? "☑" : "☐",
			 a->n, a->kind == ACTION_FIX ? "fix" : "action",
			 a->done ? " (done)" : "", a->text,
			 a->owner.id ? a->owner.name : "no owner");
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_done(struct ctx *c)
{
	int n = text_numbered(c->w.w[0], "A");
	struct action *a = n > 0 ? incident_action(c->inc, n) : NULL;

	if (n < 0)
		return ctx_refuse(c, "'%s' is not a follow-up: use A<n>",
				  c->w.w[0]);
	if (!a)
		return ctx_refuse(c, "there is no A%d in INC-%lld", n,
				  (long long)c->inc->id);
	if (a->done)
		return ctx_refuse(c, "A%d is already done", n);
	a->done = c->env->now;
	user_copy(&a->done_by, &c->env->speaker);
	a->dirty = true;
	ctx_entry(c, ENTRY_ACTION, c->env->now, "A%d done: %s", n, a->text);
	ctx_reply(c, "☑ A%d done: %s", n, a->text);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int cmd_timeline(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	struct buf b;
	size_t i;

	if (c->w.n && c->req->timeline_count <= 0)
		return ctx_refuse(c, "'%s' is not a count from 1 to %d",
				  c->w.w[0], TIMELINE_MAX);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "INC-%lld timeline (last %zu):", (long long)c->inc->id,
		 c->env->nrows);
	for (i = 0; i < c->env->nrows; i++) {
		const struct timeline_row *r = &c->env->rows[i];

		buf_addf(&b, "\n%s %s: %s", ctx_fmt_hm(r->at, when), r->who,
			 r->deleted ? "(deleted)" : r->text);
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_list(struct ctx *c)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	if (!c->env->nopen)
		buf_adds(&b, "No open incidents.");
	else
		buf_addf(&b, "Open incidents (%zu):", c->env->nopen);
	for (i = 0; i < c->env->nopen; i++) {
		const struct incident *o = &c->env->open[i];

		buf_addf(&b, "\nINC-%lld sev%d %s — %s (#%s)", (long long)o->id,
			 o->severity, status_name(o->status), o->title,
			 o->channel);
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static const struct core_cmd *find_cmd(const char *name);

static int cmd_help(struct ctx *c)
{
	const struct core_cmd *cmd;
	struct buf b;

	if (c->w.n) {
		cmd = find_cmd(c->w.w[0]);
		if (!cmd)
			return ctx_refuse(c, "no command '%s'", c->w.w[0]);
		ctx_reply(c, "%s — %s", cmd->usage, cmd->help);
		return 0;
	}
	buf_init(&b, BUF_UNBOUNDED);
	buf_adds(&b, "Scribe commands (`help <command>` for one):");
	for (cmd = commands; cmd->name; cmd++)
		buf_addf(&b, "\n%s — %s", cmd->usage, cmd->help);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_postmortem(struct ctx *c)
{
	c->fx->draft_postmortem = true;
	ctx_reply(c, "📄 A draft of INC-%lld's postmortem, as of now:",
		  (long long)c->inc->id);
	return 0;
}

/* ---- the table --------------------------------------------------------- */

#define I NEED_INCIDENT
static const struct core_cmd commands[] = {
    {"declare", cmd_declare, 1, 0, 0, "declare <title> [sev<N>]",
     "open a new incident with its own channel"},
    {"sev", cmd_sev, 1, I, CMD_OPEN, "sev <N>", "change the severity"},
    {"status", cmd_status, 1, I, CMD_OPEN,
     "status <investigating|identified|monitoring|resolved>",
     "change the status"},
    {"lead", cmd_lead, 1, I, 0, "lead <@user>",
     "make someone the incident commander"},
    {"role", cmd_role, 2, I, 0, "role <name> <@user>",
     "assign a role (commander, comms, scribe, ...)"},
    {"roles", cmd_roles, 0, I, 0, "roles", "who holds which role"},
    {"mark", cmd_mark, 1, I, CMD_OPEN,
     "mark <started|detected|acknowledged|mitigated|resolved> "
     "[at <time>]",
     "set a lifecycle time, now or backdated"},
    {"note", cmd_note, 1, I, 0, "note <text>", "a key entry on the timeline"},
    {"event", cmd_event, 3, I, 0, "event at <time> <text>",
     "a backdated key entry"},
    {"hypothesis", cmd_hypothesis, 1, I, CMD_OPEN, "hypothesis <text>",
     "record a hypothesis under investigation (H1, H2, ...)"},
    {"rule-out", cmd_rule_out, 1, I, 0, "rule-out H<n> [why]",
     "a hypothesis that turned out wrong (a misleading path)"},
    {"confirm", cmd_confirm, 1, I, 0, "confirm H<n> [why]",
     "a hypothesis that turned out right"},
    {"summary", cmd_field, 1, I, 0, "summary <text>",
     "the postmortem's summary"},
    {"impact", cmd_field, 1, I, 0, "impact <text>",
     "who and what was affected"},
    {"rootcause", cmd_field, 1, I, 0, "rootcause <text>", "the root cause"},
    {"resolution", cmd_field, 1, I, 0, "resolution <text>", "what fixed it"},
    {"conclusion", cmd_field, 1, I, 0, "conclusion <text>",
     "the postmortem's conclusion"},
    {"learned", cmd_learned, 2, I, 0, "learned <well|wrong|lucky> <text>",
     "a lesson: what went well, what went wrong, where we got lucky"},
    {"action", cmd_action, 1, I, 0, "action <text> [<@owner>]",
     "a follow-up task (A1, A2, ...)"},
    {"fix", cmd_fix, 1, I, 0, "fix <text>",
     "a corrective or preventive measure"},
    {"actions", cmd_actions, 0, I, 0, "actions",
     "list the follow-up tasks and measures"},
    {"done", cmd_done, 1, I, 0, "done A<n>", "a follow-up is done"},
    {"playbook", cmd_playbook, 1, I, CMD_ANYWHERE,
     "playbook list|start <name>|show [<name>]", "guided triage"},
    {"step", cmd_step, 1, I, CMD_OPEN,
     "step done|skip [S<n>] [evidence or why]",
     "complete or skip a playbook step"},
    {"timeline", cmd_timeline, 0, I | NEED_TIMELINE, 0, "timeline [<count>]",
     "the last entries of the timeline"},
    {"postmortem", cmd_postmortem, 0, I, 0, "postmortem",
     "a draft of the postmortem, now"},
    {"resolve", cmd_resolve, 0, I, CMD_OPEN, "resolve",
     "the incident is resolved"},
    {"close", cmd_close, 0, I, 0, "close",
     "close the incident and post its postmortem"},
    {"reopen", cmd_reopen, 0, I, 0, "reopen",
     "reopen a resolved or closed incident"},
    {"list", cmd_list, 0, NEED_OPEN_LIST, 0, "list", "open incidents"},
    {"help", cmd_help, 0, 0, 0, "help [<command>]", "this list"},
    {NULL, NULL, 0, 0, 0, NULL, NULL},
};
#undef I

static const struct core_cmd *find_cmd(const char *name)
{
	const struct core_cmd *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (!strcasecmp(cmd->name, name))
			return cmd;
	if (!strcasecmp(name, "ruleout") || !strcasecmp(name, "rule_out"))
		return find_cmd("rule-out");
	return NULL;
}

/* ---- parse and run ----------------------------------------------------- */

const char *core_command_text(const char *text)
{
	static const char *const prefixes[] = {"!incident", "!inc"};
	size_t i, n;

	while (*text == ' ' || *text == '\t')
		text++;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		n = strlen(prefixes[i]);
		if (!strncasecmp(text, prefixes[i], n) &&
		    (!text[n] || text[n] == ' ' || text[n] == '\t' ||
		     text[n] == '\n'))
			return text + n;
	}
	return NULL;
}

void core_parse(struct core_req *req, const char *line)
{
	struct words w;
	const char *p;
	size_t first = 1;
	int n;

	memset(req, 0, sizeof(*req));
	req->line = xstrdup(line);
	words_split(&w, req->line);
	if (!w.n) {
		req->error = xstrdup("a command is missing: `help` lists them");
		goto out;
	}
	req->cmd = find_cmd(w.w[0]);
	if (!req->cmd) {
		bool cut;
		/* At most 40 bytes of it, cut on a character boundary. */
		char *word = text_clean(w.w[0], strlen(w.w[0]), 40, &cut);

		req->error = xasprintf("unknown command '%s%s': `help` lists "
				       "the commands",
				       word, cut ? "…" : "");
		free(word);
		goto out;
	}
	req->need = req->cmd->need;
	/* Only a command that acts on an incident takes INC-<n>: a title
	 * ("declare INC-2 regression") may start with one. */
	if ((req->need & NEED_INCIDENT) && w.n > 1 &&
	    (n = text_numbered(w.w[1], "INC-")) > 0) {
		req->inc_ref = n;
		first = 2;
	}
	p = first < w.n ? w.rest[first] : "";
	req->args = p;
	if (req->need & NEED_TIMELINE) {
		req->timeline_count = TIMELINE_DEFAULT;
		if (first < w.n) {
			char *end;
			long v = strtol(w.w[first], &end, 10);

			req->timeline_count =
			    *end || v < 1 || v > TIMELINE_MAX ? 0 : (int)v;
		}
	}
out:
	words_release(&w);
}

void core_req_release(struct core_req *req)
{
	free(req->error);
	free(req->line);
	memset(req, 0, sizeof(*req));
}

int core_run(const struct core_req *req, const struct core_env *env,
	     struct effects *fx)
{
	struct ctx c = {.req = req, .env = env, .fx = fx, .inc = env->inc};
	int rc;

	fx->inc = env->inc;
	if (!req->cmd)
		return ctx_refuse(&c, "%s", req->error);
	words_split(&c.w, req->args);
	if ((int)c.w.n < req->cmd->min_args) {
		rc = ctx_refuse(&c, "`%s` needs more: what is missing?",
				req->cmd->name);
	} else if ((req->need & NEED_INCIDENT) && !env->inc &&
		   (req->inc_ref || !(req->cmd->flags & CMD_ANYWHERE))) {
		rc = req->inc_ref
			 ? ctx_refuse(&c, "there is no INC-%lld",
				      (long long)req->inc_ref)
			 : ctx_refuse(&c,
				      "this is not an incident channel: "
				      "name one first, as in `%s INC-3`",
				      req->cmd->name);
	} else if ((req->cmd->flags & CMD_OPEN) &&
		   env->inc->marks[MARK_CLOSED]) {
		rc = ctx_refuse(&c, "INC-%lld is closed (`reopen` it first)",
				(long long)env->inc->id);
	} else {
		rc = req->cmd->run(&c);
	}
	words_release(&c.w);
	return rc;
}

static const char *const kind_names[ENTRY_KIND_COUNT] = {
    "message",  "command",  "file",       "edit",     "delete",
    "reaction", "declared", "mark",       "status",   "severity",
    "role",     "note",     "hypothesis", "field",    "lesson",
    "action",   "playbook", "closed",     "reopened", "gap",
};

const char *entry_kind_name(enum entry_kind k)
{
	return kind_names[k];
}

int entry_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < ENTRY_KIND_COUNT; i++)
		if (!strcmp(kind_names[i], name))
			return i;
	return -1;
}
