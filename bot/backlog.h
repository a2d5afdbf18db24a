/*
 * backlog.h - what was said lately in the channels outside incidents, so
 * that a declare can take it as the incident's context.
 *
 * Messages outside incident channels are never recorded (PRODUCT.md); the
 * app keeps the last ones of each channel here, in memory, at most `keep`
 * milliseconds older than the channel's newest and at most `max` of them
 * (config `context_before`, CONTEXT_MAX). When an incident is declared in
 * a channel, the app copies that channel's messages of the window before
 * the declare into the incident as context entries (entry kind
 * "context", source id "ctx:<incident>:<message id>", so a replay adds
 * nothing twice and one message may be context of two incidents). This is
 * how the console and replay have context; a platform that delivers the
 * messages of the channel the declare was typed in has it the same way.
 */
#ifndef SCRIBE_BACKLOG_H
#define SCRIBE_BACKLOG_H

#include "util/base.h"
#include "core/model.h"

/* One message remembered; borrowed for a callback. */
struct backlog_msg {
	const char *id; /* the platform's message id */
	struct user who;
	int64_t ts;
	const char *text;
};

struct backlog_room;

struct backlog {
	int64_t keep; /* ms; 0: nothing is kept */
	size_t max;   /* messages per channel */
	struct backlog_room *rooms;
	size_t n, cap;
};

void backlog_init(struct backlog *b, int64_t keep_ms, size_t max);
void backlog_release(struct backlog *b);

/* Remembers a message said in (platform, room). Copies everything. */
void backlog_note(struct backlog *b, const char *platform, const char *room,
		  const char *id, const struct user *who, int64_t ts,
		  const char *text);

/* Calls cb for each message of (platform, room) said from `from` to `to`
 * (both included), oldest first; stops at and returns cb's value when not
 * 0. */
int backlog_each(const struct backlog *b, const char *platform,
		 const char *room, int64_t from, int64_t to,
		 int (*cb)(void *ud, const struct backlog_msg *m), void *ud);

#endif
