/*
 * updates.c - status updates, announcements and update reminders.
 *
 * `update <text>` posts one standard shape (INC, title, severity, status,
 * the text, commander, when the next update is due) in the incident's
 * channel and in the announcement channels of its platform (config
 * `announce:`), and is a key timeline entry. `declare`, `resolve` and
 * `close` are announced there too. Posts to announcement channels carry a
 * link to the incident's room: they are "announce" outbox rows that the
 * app holds until the room exists and renders with its real id and alias
 * (fx_post.link).
 *
 * Reminders are computed, never scheduled here: core_remind_due() says
 * when the next one is due from the stored times (the last update, the
 * last reminder, a snooze, the interval), and the app calls core_remind()
 * when its clock (the loop's, or the transcript's in a replay) passes it.
 * core_remind() records that reminder in the incident, in the same
 * transaction as its outbox row, so one interval is never reminded twice.
 */
#include <stdarg.h>
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/core.h"
#include "core/cmdctx.h"
#include "core/when.h"

/* The interval between updates that applies now (0: none). */
static int64_t every_of(const struct config *cfg, const struct incident *inc)
{
	if (inc->remind.every < 0)
		return 0;
	if (inc->remind.every > 0)
		return inc->remind.every;
	return config_update_every(cfg, inc->severity);
}

/* The last update, or the declare when there was none. */
static int64_t last_update(const struct incident *inc)
{
	return inc->remind.last_update ? inc->remind.last_update
				       : inc->marks[MARK_DECLARED];
}

int64_t core_remind_due(const struct config *cfg, const struct incident *inc)
{
	int64_t every = every_of(cfg, inc), base, due;

	if (!every || inc->marks[MARK_CLOSED] || inc->marks[MARK_RESOLVED] ||
	    inc->status == STATUS_RESOLVED)
		return 0;
	base = last_update(inc);
	if (inc->remind.reminded > base)
		base = inc->remind.reminded;
	due = base + every;
	return inc->remind.snooze_until > due ? inc->remind.snooze_until : due;
}

static const char *commander_name(const struct incident *inc)
{
	size_t i;

	for (i = 0; i < inc->nroles; i++)
		if (!strcmp(inc->roles[i].role, "commander"))
			return inc->roles[i].who.name;
	return inc->declared_by.name;
}

/* "next update by 15:32 UTC", or why none is expected. */
static void next_due(const struct config *cfg, const struct incident *inc,
		     int64_t now, struct buf *b)
{
	char t[2 * WHEN_BUFSZ];
	int64_t due = core_remind_due(cfg, inc);

	if (!due) {
		buf_adds(b, inc->remind.every < 0 ? "update reminders are off"
						  : "no next update scheduled");
		return;
	}
	if (due < now)
		due = now;
	buf_addf(b, "next update by %s", ctx_fmt_hm(due, t));
}

/* Each announcement channel of the incident's platform (but the room the
 * command was typed in, which has its reply), with the room's link. */
static void announce_out(struct ctx *c, const char *text)
{
	size_t i, n;
	char *const *rooms = config_announce(c->env->cfg, c->inc->platform, &n);

	for (i = 0; i < n; i++)
		if (!c->env->room || strcmp(rooms[i], c->env->room))
			ctx_post_link(c, rooms[i], "%s", text);
}

void updates_announce(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = ctx_vformat(fmt, ap);
	va_end(ap);
	announce_out(c, text);
	free(text);
}

int cmd_update(struct ctx *c)
{
	struct incident *inc = c->inc;
	const char *text = ctx_rest(c, 0);
	struct buf b;

	inc->remind.last_update = c->env->now;
	inc->remind.dirty = true;
	ctx_entry(c, ENTRY_UPDATE, c->env->now, "status update: %s", text);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "📣 INC-%lld status update · sev%d · %s\n%s\n%s\n",
		 (long long)inc->id, inc->severity, status_name(inc->status),
		 inc->title, text);
	buf_addf(&b, "Commander: %s · ", commander_name(inc));
	next_due(c->env->cfg, inc, c->env->now, &b);
	ctx_announce(c, "%s", b.s);
	buf_adds(&b, "\nChannel: ");
	announce_out(c, b.s);
	buf_release(&b);
	return 0;
}

int cmd_remind(struct ctx *c)
{
	struct incident *inc = c->inc;
	struct remind *r = &inc->remind;
	const char *what = c->w.w[0];
	char d[WHEN_BUFSZ], snooze[WHEN_BUFSZ];
	const char *snoozed = NULL;
	struct buf b;
	int64_t ms;

	if (!strcasecmp(what, "off")) {
		if (c->w.n > 1)
			return ctx_refuse(c, "unexpected '%s'", c->w.w[1]);
		r->every = -1;
	} else if (!strcasecmp(what, "snooze")) {
		if (c->w.n < 2 || when_parse_duration(c->w.w[1], &ms))
			return ctx_refuse(c,
					  "`remind snooze` needs a duration, "
					  "like 30m or 2h");
		if (c->w.n > 2)
			return ctx_refuse(c, "unexpected '%s'", c->w.w[2]);
		r->snooze_until = c->env->now + ms;
		when_duration(ms, snooze);
		snoozed = snooze;
	} else if (!when_parse_duration(what, &ms)) {
		if (c->w.n > 1)
			return ctx_refuse(c, "unexpected '%s'", c->w.w[1]);
		if (ms < 60000)
			return ctx_refuse(c, "remind at most once a minute");
		r->every = ms;
		/* The new interval starts now. */
		r->reminded = c->env->now;
	} else {
		return ctx_refuse(c,
				  "'%s' is not off, snooze or a duration "
				  "(like 15m)",
				  what);
	}
	r->dirty = true;
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "⏰ INC-%lld: ", (long long)inc->id);
	if (r->every < 0) {
		buf_adds(&b, "update reminders are off (`remind <duration>` "
			     "turns them on)");
	} else {
		if (snoozed) {
			buf_addf(&b, "reminders snoozed for %s; ", snoozed);
		} else if (r->every > 0) {
			when_duration(r->every, d);
			buf_addf(&b, "a reminder after %s without an update; ",
				 d);
		}
		next_due(c->env->cfg, inc, c->env->now, &b);
	}
	ctx_announce(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

void core_remind(const struct core_env *env, struct effects *fx)
{
	struct core_req req = {0};
	struct ctx c = {.req = &req, .env = env, .fx = fx, .inc = env->inc};
	struct incident *inc = env->inc;
	char since[2 * WHEN_BUFSZ], at[2 * WHEN_BUFSZ], d[WHEN_BUFSZ];
	int64_t last = last_update(inc);

	fx->inc = inc;
	inc->remind.reminded = env->now;
	inc->remind.dirty = true;
	when_duration(env->now - last, d);
	ctx_post_incident(&c,
			  "⏰ %s · INC-%lld has had no status update for %s "
			  "(%s %s). %s (commander): post one with `update "
			  "<text>`, or `remind snooze 1h` / `remind off`.",
			  ctx_fmt_hm(env->now, at), (long long)inc->id, d,
			  inc->remind.last_update ? "the last at"
						  : "declared at",
			  ctx_fmt_hm(last, since), commander_name(inc));
}
