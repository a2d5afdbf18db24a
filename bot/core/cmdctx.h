/*
 * cmdctx.h - what a command handler sees, and the helpers it speaks with.
 *
 * Internal to bot/core: commands.c (the table and most commands) and
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
	unsigned need;
	unsigned flags;
	const char *usage;
	const char *help;
};

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
/* A reply only the speaker sees. */
void ctx_reply_private(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A refusal with the usage line, seen only by the speaker; returns
 * SCRIBE_EINVAL. */
int ctx_refuse(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The rest of the line from argument i, or "" past the end. */
const char *ctx_rest(struct ctx *c, size_t i);
/* "14:05 UTC". */
const char *ctx_fmt_hm(int64_t ms, char buf[2 * WHEN_BUFSZ]);
int ctx_parse_user(struct ctx *c, const char *word, struct user *u);

/* The playbook engine (runs.c). */
int cmd_playbook(struct ctx *c);
int cmd_step(struct ctx *c);
/* Suggests the playbooks matching the new incident (declare). */
void runs_suggest(struct ctx *c, const char *text, int severity);

#endif
