/*
 * cmdctx.h - what a command handler sees, and the helpers it speaks with.
 *
 * Internal to bot/core: commands.c (the table, parsing, the reading
 * commands), cmdctx.c (these helpers), cmd_lifecycle.c, cmd_record.c and
 * runs.c (the playbook engine) share it. A handler reads c->w (the words
 * after the command) and c->env, changes c->inc, and speaks only through
 * these helpers, which append to c->fx.
 */
#ifndef SCRIBE_CMDCTX_H
#define SCRIBE_CMDCTX_H

#include "util/base.h"
#include "core/core.h"
#include "core/text.h"
#include "core/when.h"

struct ctx {
	const struct core_req *req;
	const struct core_env *env;
	struct effects *fx;
	struct incident *inc;
	struct words w; /* the arguments */
};

enum cmd_flag {
	CMD_OPEN = 1 << 0,     /* refused once the incident is closed */
	CMD_ANYWHERE = 1 << 1, /* its incident is optional (playbook list) */
};

struct core_cmd {
	const char *name;
	int (*run)(struct ctx *c);
	int min_args; /* words after the command (and INC-n) */
	int max_args; /* -1: any number */
	unsigned need;
	unsigned flags;
	const char *usage; /* without the prefix */
	const char *help;
	const char *what; /* what min_args words are: "the text of ..." */
};

/* Whether s[0..n) names a command (or one of its aliases). */
bool cmd_known(const char *s, size_t n);
/* The command named name (case-insensitive; aliases too), or NULL. */
const struct core_cmd *cmd_find(const char *name);

/* printf into a fresh allocation, from a va_list. */
char *ctx_vformat(const char *fmt, va_list ap);
/* A typed timeline entry by the speaker at time at. */
void ctx_entry(struct ctx *c, enum entry_kind kind, int64_t at, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* Replies where the command was typed. */
void ctx_reply(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Says something in the incident's channel only. */
void ctx_post_incident(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* In the incident's channel, and where the command was typed if elsewhere. */
void ctx_announce(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An announcement to room, held until the incident's room exists; the
 * room's link is appended to the text (see fx_post.link). */
void ctx_post_link(struct ctx *c, const char *room, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A reply only the speaker sees. */
void ctx_reply_private(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A refusal with the usage line, seen only by the speaker; returns
 * SCRIBE_EINVAL. */
int ctx_refuse(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* buf_addf for text that will be posted, with the platform's prefix in
 * its hints as the posting helpers put it: own says whether the text goes
 * to the incident's own channel. */
void ctx_addf(struct ctx *c, bool own, struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The prefix people type where the command was typed ("!inc"). */
const char *ctx_prefix(struct ctx *c);
/* Appends text (not a format: a playbook's instructions) with the
 * prefix in its hints, like ctx_addf. */
void ctx_add_hints(struct ctx *c, bool own, struct buf *b, const char *text);
/* "`!inc <usage>`" for cmd as typed where the command was (free it). */
char *ctx_usage(struct ctx *c, const struct core_cmd *cmd);
/* " (did you mean 'x'?)" for the nearest of names to word, else "";
 * returns buf. */
const char *ctx_did_you_mean(const char *word, const char *const *names,
			     size_t n, char *buf, size_t bufsz);
/* The rest of the line from argument i, or "" past the end. */
const char *ctx_rest(struct ctx *c, size_t i);
/* "14:05 UTC". */
const char *ctx_fmt_hm(int64_t ms, char buf[2 * WHEN_BUFSZ]);
int ctx_parse_user(struct ctx *c, const char *word, struct user *u);

/* Parses "at <time>" at argument i (one word, or two for "YYYY-MM-DD
 * HH:MM"); *used is the words taken (0 without "at": *at is env->now).
 * Returns 0 or a refusal. */
int ctx_parse_at(struct ctx *c, size_t i, int64_t *at, size_t *used);
/* The line's last word (a copy: free it) and where it starts in
 * ctx_rest(c, 0): it may lie past the WORDS_MAX words split. */
char *ctx_last_word(struct ctx *c, size_t *at);
/* len, less the white space that s[0..len) ends with. */
size_t ctx_trim_len(const char *s, size_t len);
/* H<n> of the incident, or NULL after a refusal. */
struct hypothesis *ctx_parse_hyp(struct ctx *c, const char *word);
/* The configured spelling of role, or NULL. */
const char *ctx_role_configured(const struct config *cfg, const char *role);
void ctx_assign_role(struct ctx *c, const char *role, const struct user *u);
/* "sev<N>" (or a bare digit) with N configured: N; else -1. */
int ctx_parse_sev(const struct config *cfg, const char *word);
int ctx_refuse_sev(struct ctx *c, const char *word);

/* The command families: cmd_lifecycle.c, cmd_record.c. */
int cmd_declare(struct ctx *c);
int cmd_sev(struct ctx *c);
int cmd_status(struct ctx *c);
int cmd_resolve(struct ctx *c);
int cmd_mark(struct ctx *c);
int cmd_close(struct ctx *c);
int cmd_reopen(struct ctx *c);
int cmd_lead(struct ctx *c);
int cmd_role(struct ctx *c);
int cmd_roles(struct ctx *c);
int cmd_note(struct ctx *c);
int cmd_event(struct ctx *c);
int cmd_hypothesis(struct ctx *c);
int cmd_confirm(struct ctx *c);
int cmd_rule_out(struct ctx *c);
int cmd_field(struct ctx *c);
int cmd_learned(struct ctx *c);
int cmd_action(struct ctx *c);
int cmd_fix(struct ctx *c);
int cmd_owner(struct ctx *c);
int cmd_actions(struct ctx *c);
int cmd_done(struct ctx *c);

/* Status updates and reminders (updates.c). */
int cmd_update(struct ctx *c);
int cmd_remind(struct ctx *c);
/* In each announcement channel of the incident's platform, with the
 * link of the incident's room appended. */
void updates_announce(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The playbook engine (runs.c). */
int cmd_playbook(struct ctx *c);
int cmd_step(struct ctx *c);
/* Suggests the playbooks matching the new incident (declare). */
void runs_suggest(struct ctx *c, const char *text, int severity);

#endif
