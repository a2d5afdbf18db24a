/*
 * cmd_record.c - what the postmortem is made of: notes and backdated
 * events, hypotheses, its fields, lessons and follow-ups.
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

/* ---- the record ------------------------------------------------------- */

int cmd_note(struct ctx *c)
{
	ctx_entry(c, ENTRY_NOTE, c->env->now, "%s", ctx_rest(c, 0));
	ctx_reply(c, "📝 noted on INC-%lld's timeline", (long long)c->inc->id);
	return 0;
}

int cmd_event(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	int64_t at;
	size_t used;
	int rc;

	if (strcasecmp(c->w.w[0], "at"))
		return ctx_refuse(c, "the time comes first: `event at <time> "
				     "<text>`");
	rc = ctx_parse_at(c, 0, &at, &used);
	if (rc)
		return rc;
	if (used >= c->w.n)
		return ctx_refuse(c, "the event needs a text after its time");
	ctx_entry(c, ENTRY_NOTE, at, "%s", ctx_rest(c, used));
	when_echo(at, c->env->now, when);
	ctx_reply(c, "📝 event at %s on INC-%lld's timeline", when,
		  (long long)c->inc->id);
	return 0;
}

int cmd_hypothesis(struct ctx *c)
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
	struct hypothesis *h = ctx_parse_hyp(c, c->w.w[0]);
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

int cmd_confirm(struct ctx *c)
{
	return decide(c, HYP_CONFIRMED);
}

int cmd_rule_out(struct ctx *c)
{
	return decide(c, HYP_RULED_OUT);
}

/* summary, impact, rootcause, resolution, conclusion: the command's name
 * is the field's. */
int cmd_field(struct ctx *c)
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

int cmd_learned(struct ctx *c)
{
	static const char *const said[] = {"went well", "went wrong",
					   "got lucky"};
	struct incident *inc = c->inc;
	int k = lesson_parse(c->w.w[0]);
	struct lesson *l;

	if (k < 0) {
		const char *names[LESSON_COUNT];
		char near[80];
		size_t i;

		for (i = 0; i < LESSON_COUNT; i++)
			names[i] = lesson_name((enum lesson_kind)i);
		return ctx_refuse(
		    c, "'%s' is not well, wrong or lucky%s", c->w.w[0],
		    ctx_did_you_mean(c->w.w[0], names, LESSON_COUNT, near,
				     sizeof(near)));
	}
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
	char *last = ctx_last_word(c, &at);

	/* The owner is the line's last word, not the last one split. */
	if (at > 0 && (last[0] == '@' || !strncmp(last, "<@", 2))) {
		if (ctx_parse_user(c, last, &owner)) {
			free(last);
			return SCRIBE_EINVAL;
		}
		len = at;
	}
	free(last);
	len = ctx_trim_len(ctx_rest(c, 0), len);
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

int cmd_action(struct ctx *c)
{
	return add_action(c, ACTION_TASK);
}

int cmd_fix(struct ctx *c)
{
	return add_action(c, ACTION_FIX);
}

/* owner A<n> <@user>|none */
int cmd_owner(struct ctx *c)
{
	int n = text_numbered(c->w.w[0], "A");
	struct action *a = n > 0 ? incident_action(c->inc, n) : NULL;
	struct user u = {0};

	if (n < 0)
		return ctx_refuse(c, "'%s' is not a follow-up: use A<n>",
				  c->w.w[0]);
	if (!a)
		return ctx_refuse(c, "there is no A%d in INC-%lld", n,
				  (long long)c->inc->id);
	if (c->w.n > 2)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[2]);
	if (strcasecmp(c->w.w[1], "none") && ctx_parse_user(c, c->w.w[1], &u))
		return SCRIBE_EINVAL;
	user_release(&a->owner);
	a->owner = u;
	a->dirty = true;
	if (u.id) {
		ctx_entry(c, ENTRY_ACTION, c->env->now, "A%d owner: %s", n,
			  u.name);
		ctx_reply(c, "📌 A%d is %s's: %s", n, u.name, a->text);
	} else {
		ctx_entry(c, ENTRY_ACTION, c->env->now, "A%d has no owner", n);
		ctx_reply(c, "📌 A%d has no owner now: %s", n, a->text);
	}
	return 0;
}

int cmd_actions(struct ctx *c)
{
	struct buf b;
	size_t i;
	const struct action *a;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "INC-%lld follow-ups:", (long long)c->inc->id);
	if (!c->inc->nactions)
		ctx_addf(c, false, &b,
			 " none yet (`action <text> [@owner]`, `fix <text>`)");
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

int cmd_done(struct ctx *c)
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
