/*
 * cmd_lifecycle.c - declare, severity, status, marks, resolve, close,
 * reopen, and the people (lead, role, roles): the commands that move an
 * incident through its life. The rules are PRODUCT.md's "Semantics"
 * ("Lifecycle marks", "Times").
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

#define TITLE_MAX 200

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

int cmd_declare(struct ctx *c)
{
	const struct config *cfg = c->env->cfg;
	struct incident *inc;
	char slug[SLUG_MAX + 1], when[2 * WHEN_BUFSZ];
	char *last, *raw;
	size_t len = strlen(c->w.rest[0]), at;
	int sev = cfg->default_severity, rc;
	bool cut;

	/* The severity is the line's last word, not the last one split. */
	last = ctx_last_word(c, &at);
	if (text_numbered(last, "sev") > 0) {
		sev = ctx_parse_sev(cfg, last);
		if (sev < 0) {
			rc = ctx_refuse_sev(c, last);
			free(last);
			return rc;
		}
		len = at;
	}
	free(last);
	len = ctx_trim_len(c->w.rest[0], len);
	if (!len)
		return ctx_refuse(c, "an incident needs a title");

	inc = xcalloc(1, sizeof(*inc));
	inc->id = c->env->next_id;
	raw = text_clean(c->w.rest[0], len, TITLE_MAX, &cut);
	inc->title = text_unbidi(raw);
	free(raw);
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
	ctx_assign_role(c, "commander", &c->env->speaker);
	/* It names the room: it waits for the room to exist. */
	ctx_post_link(c, c->env->room, "🚨 INC-%lld declared: %s (sev%d) → ",
		      (long long)inc->id, inc->title, sev);
	updates_announce(c, "🚨 INC-%lld declared: %s (sev%d), commander %s → ",
			 (long long)inc->id, inc->title, sev,
			 c->env->speaker.name);
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

int cmd_sev(struct ctx *c)
{
	int sev = ctx_parse_sev(c->env->cfg, c->w.w[0]);
	int old = c->inc->severity;

	if (sev < 0)
		return ctx_refuse_sev(c, c->w.w[0]);
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

/* Returns whether the incident became resolved. */
static bool set_status(struct ctx *c, enum status st)
{
	enum status old = c->inc->status;

	c->inc->status = st;
	c->inc->dirty = true;
	if (st == STATUS_IDENTIFIED && !c->inc->identified)
		c->inc->identified = c->env->now;
	ctx_entry(c, ENTRY_STATUS, c->env->now, "status %s → %s",
		  status_name(old), status_name(st));
	if (st == STATUS_RESOLVED)
		resolve_at(c, c->env->now);
	return st == STATUS_RESOLVED && old != STATUS_RESOLVED;
}

/* What the postmortem still lacks, said in the channel, its commands with
 * the channel's prefix. */
static void post_checklist(struct ctx *c)
{
	char *list = core_checklist(c->inc);
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	ctx_add_hints(c, true, &b, list);
	ctx_post_incident(c, "%s", b.s);
	buf_release(&b);
	free(list);
}

/* The same where the command was typed, with that platform's prefix. */
static void reply_checklist(struct ctx *c)
{
	char *list = core_checklist(c->inc);
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	ctx_add_hints(c, false, &b, list);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	free(list);
}

/* Whether the command was typed outside the incident's own channel. */
static bool elsewhere(struct ctx *c)
{
	return c->env->room &&
	       (!c->inc->room || strcmp(c->inc->room, c->env->room));
}

/* Resolved, in the announcement channels. */
static void announce_resolved(struct ctx *c)
{
	char d[WHEN_BUFSZ];

	when_duration(c->env->now - incident_started(c->inc), d);
	updates_announce(c, "✅ INC-%lld resolved: %s (sev%d), after %s → ",
			 (long long)c->inc->id, c->inc->title, c->inc->severity,
			 d);
}

int cmd_status(struct ctx *c)
{
	int st = status_parse(c->w.w[0]);
	bool resolved;

	if (st < 0) {
		const char *names[STATUS_COUNT];
		char near[80];
		size_t i;

		for (i = 0; i < STATUS_COUNT; i++)
			names[i] = status_name((enum status)i);
		return ctx_refuse(c, "unknown status '%s'%s", c->w.w[0],
				  ctx_did_you_mean(c->w.w[0], names,
						   STATUS_COUNT, near,
						   sizeof(near)));
	}
	if ((enum status)st == c->inc->status)
		return ctx_refuse(c, "INC-%lld is already %s",
				  (long long)c->inc->id, status_name(st));
	resolved = set_status(c, (enum status)st);

	ctx_announce(c, "INC-%lld status: %s", (long long)c->inc->id,
		     status_name(st));
	if (st == STATUS_RESOLVED)
		announce_resolved(c);
	if (resolved)
		post_checklist(c);
	return 0;
}

int cmd_resolve(struct ctx *c)
{
	if (c->inc->status == STATUS_RESOLVED && c->inc->marks[MARK_RESOLVED])
		return ctx_refuse(c, "INC-%lld is already resolved",
				  (long long)c->inc->id);
	set_status(c, STATUS_RESOLVED);
	ctx_announce(c, "✅ INC-%lld resolved. `close` writes the postmortem.",
		     (long long)c->inc->id);
	announce_resolved(c);
	post_checklist(c);
	return 0;
}

int cmd_mark(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	int m = mark_parse(c->w.w[0]);
	bool resolved = false;
	int64_t at;
	size_t used;
	int rc;

	if (m < 0 || m == MARK_DECLARED || m == MARK_CLOSED) {
		const char *names[MARK_COUNT];
		char near[80];
		size_t i, n = 0;

		for (i = 0; i < MARK_COUNT; i++)
			if (i != MARK_DECLARED && i != MARK_CLOSED)
				names[n++] = mark_name((enum mark)i);
		return ctx_refuse(
		    c, "unknown mark '%s'%s", c->w.w[0],
		    ctx_did_you_mean(c->w.w[0], names, n, near, sizeof(near)));
	}
	rc = ctx_parse_at(c, 1, &at, &used);
	if (rc)
		return rc;
	if (1 + used < c->w.n)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[1 + used]);
	c->inc->marks[m] = at;
	c->inc->dirty = true;
	if (m == MARK_RESOLVED) {
		c->inc->resolved_explicit = true;
		if (c->inc->status != STATUS_RESOLVED)
			resolved = set_status(c, STATUS_RESOLVED);
	}
	ctx_entry(c, ENTRY_MARK, at, "%s", mark_name(m));
	when_echo(at, c->env->now, when);
	ctx_announce(c, "INC-%lld %s at %s", (long long)c->inc->id,
		     mark_name(m), when);
	if (resolved)
		post_checklist(c);
	return 0;
}

int cmd_close(struct ctx *c)
{
	struct incident *inc = c->inc;
	bool defaulted = !inc->marks[MARK_RESOLVED], resolved = false;

	if (inc->marks[MARK_CLOSED])
		return ctx_refuse(c,
				  "INC-%lld is already closed (`reopen` first)",
				  (long long)inc->id);
	if (inc->status != STATUS_RESOLVED) /* also resolves, if unset */
		resolved = set_status(c, STATUS_RESOLVED);
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
	updates_announce(c, "📕 INC-%lld closed: %s. The postmortem is in → ",
			 (long long)inc->id, inc->title);
	/* Closed from another channel: the closer reads, there, what the
	 * postmortem still lacks, and so does the channel. Else the
	 * checklist comes once, when it was never posted (not resolved
	 * before). */
	if (elsewhere(c))
		reply_checklist(c);
	if (resolved || elsewhere(c))
		post_checklist(c);
	return 0;
}

int cmd_reopen(struct ctx *c)
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

int cmd_lead(struct ctx *c)
{
	struct user u = {0};

	if (c->w.n > 1)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[1]);
	if (ctx_parse_user(c, c->w.w[0], &u))
		return SCRIBE_EINVAL;
	ctx_assign_role(c, "commander", &u);
	ctx_announce(c, "INC-%lld commander: %s", (long long)c->inc->id,
		     u.name);
	user_release(&u);
	return 0;
}

int cmd_role(struct ctx *c)
{
	const char *role = ctx_role_configured(c->env->cfg, c->w.w[0]);
	struct user u = {0};

	if (!role) {
		char near[80];

		return ctx_refuse(
		    c, "unknown role '%s'%s (see `roles`)", c->w.w[0],
		    ctx_did_you_mean(c->w.w[0],
				     (const char *const *)c->env->cfg->roles,
				     c->env->cfg->nroles, near, sizeof(near)));
	}
	if (c->w.n > 2)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[2]);
	if (ctx_parse_user(c, c->w.w[1], &u))
		return SCRIBE_EINVAL;
	ctx_assign_role(c, role, &u);
	ctx_announce(c, "INC-%lld %s: %s", (long long)c->inc->id, role, u.name);
	user_release(&u);
	return 0;
}

int cmd_roles(struct ctx *c)
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
