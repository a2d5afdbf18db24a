/*
 * cmdctx.c - what every command handler speaks with: the effects it
 * appends (entries and posts, each post defused here, in one place) and the
 * argument helpers shared by the command families (times, users, H<n>,
 * roles, severities). See cmdctx.h.
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
#include "util/nearest.h"

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

/* The prefix of the platform a post is shown on: the incident's own
 * channel's (own) or the one the command was typed on. */
static const char *prefix_for(struct ctx *c, bool own)
{
	return core_prefix(own && c->inc && c->inc->platform
			       ? c->inc->platform
			       : c->env->platform);
}

/*
 * fmt with prefix before every code span that starts with a command:
 * "`help` lists them" becomes "`!inc help` lists them" on the console and
 * "`/incident help` lists them" on Slack, so every hint works as typed.
 * Only Scribe's own words (the format) are rewritten, never the user text
 * in its arguments. The prefix has no '%'. Returns a fresh string.
 */
static char *with_prefix(const char *fmt, const char *prefix)
{
	struct buf b;
	bool code = false;
	const char *p, *end;
	size_t n;

	buf_init(&b, BUF_UNBOUNDED);
	for (p = fmt; *p; p++) {
		if (!strncmp(p, "```", 3)) { /* a fence: copied as it is */
			end = strstr(p + 3, "```");
			n = end ? (size_t)(end + 3 - p) : strlen(p);
			buf_add(&b, p, n);
			p += n - 1;
			continue;
		}
		buf_addch(&b, *p);
		if (*p != '`')
			continue;
		code = !code;
		n = strcspn(p + 1, " `\n");
		if (code && cmd_known(p + 1, n)) {
			buf_adds(&b, prefix);
			buf_addch(&b, ' ');
		}
	}
	return buf_detach(&b, NULL);
}

void ctx_add_hints(struct ctx *c, bool own, struct buf *b, const char *text)
{
	char *t = with_prefix(text, prefix_for(c, own));

	buf_adds(b, t);
	free(t);
}

void ctx_addf(struct ctx *c, bool own, struct buf *b, const char *fmt, ...)
{
	char *f = with_prefix(fmt, prefix_for(c, own)), *s;
	va_list ap;

	va_start(ap, fmt);
	s = ctx_vformat(f, ap);
	va_end(ap);
	buf_adds(b, s);
	free(s);
	free(f);
}

/* Queues a post. Everything the bot says is defused here, in one place,
 * so no user text it echoes can ping a crowd or turn text around, and
 * every hint in it carries the platform's prefix. */
static struct fx_post *vpost(struct ctx *c, const char *room,
			     const char *to_user, const char *fmt, va_list ap)
{
	struct fx_post *p;
	struct buf b;
	char *f = with_prefix(fmt, prefix_for(c, !room));
	char *raw = ctx_vformat(f, ap);

	buf_init(&b, BUF_UNBOUNDED);
	text_defuse(&b, raw);
	free(raw);
	free(f);
	ALLOC_GROW(c->fx->posts, c->fx->nposts + 1, c->fx->posts_cap);
	p = &c->fx->posts[c->fx->nposts++];
	memset(p, 0, sizeof(*p));
	p->room = room ? xstrdup(room) : NULL;
	p->to_user = to_user ? xstrdup(to_user) : NULL;
	p->text = buf_detach(&b, NULL);
	return p;
}

void ctx_post_link(struct ctx *c, const char *room, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpost(c, room, NULL, fmt, ap)->link = true;
	va_end(ap);
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
	char *why, *f;

	f = with_prefix(fmt, prefix_for(c, false));
	va_start(ap, fmt);
	why = ctx_vformat(f, ap);
	va_end(ap);
	free(f);
	if (c->req->cmd)
		ctx_reply_private(c, "✗ %s\nusage: `%s %s`", why,
				  prefix_for(c, false), c->req->cmd->usage);
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

const char *ctx_prefix(struct ctx *c)
{
	return prefix_for(c, false);
}

/* A command's usage as typed on the platform, in a code span: a fresh
 * string. */
char *ctx_usage(struct ctx *c, const struct core_cmd *cmd)
{
	return xasprintf("`%s %s`", prefix_for(c, false), cmd->usage);
}

/* The nearest of names to word as " (did you mean 'x'?)", or "". */
const char *ctx_did_you_mean(const char *word, const char *const *names,
			     size_t n, char *buf, size_t bufsz)
{
	const char *near = nearest_name(word, names, n);

	buf[0] = '\0';
	if (near && strcasecmp(near, word))
		snprintf(buf, bufsz, " (did you mean '%s'?)", near);
	return buf;
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
int ctx_parse_at(struct ctx *c, size_t i, int64_t *at, size_t *used)
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
	if (when_parse_cmd(t, c->env->now, at, err, sizeof(err)))
		return ctx_refuse(c, "%s", err);
	*used = 1 + n;
	return 0;
}

/*
 * The last word of the arguments (a copy: free it), found in the line
 * itself because it may lie past the WORDS_MAX words split; *at is where
 * it starts in ctx_rest(c, 0).
 */
char *ctx_last_word(struct ctx *c, size_t *at)
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
size_t ctx_trim_len(const char *s, size_t len)
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
struct hypothesis *ctx_parse_hyp(struct ctx *c, const char *word)
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

const char *ctx_role_configured(const struct config *cfg, const char *role)
{
	size_t i;

	for (i = 0; i < cfg->nroles; i++)
		if (!strcasecmp(cfg->roles[i], role))
			return cfg->roles[i];
	return NULL;
}

void ctx_assign_role(struct ctx *c, const char *role, const struct user *u)
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
int ctx_parse_sev(const struct config *cfg, const char *word)
{
	int n = text_numbered(word, "sev");

	if (n < 0 && word[0] >= '1' && word[0] <= '9' && !word[1])
		n = word[0] - '0';
	return n > 0 && config_has_severity(cfg, n) ? n : -1;
}

int ctx_refuse_sev(struct ctx *c, const char *word)
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
