/*
 * events.h - Matrix client-server JSON into Scribe's chat events.
 *
 * The only place that reads the homeserver's JSON about rooms: a /sync
 * body (mx_sync_read), a /messages page (mx_page_read), and each room
 * event in them (mx_event_parse), which becomes one normalized struct
 * chat_event - or is recognised and ignored (state, the bot's own
 * events, types Scribe does not record), or refused as malformed with a
 * reason. Pure: no I/O. Every field is read with a type check; the
 * homeserver's JSON is untrusted input like any other.
 *
 * Identity: every Matrix event has its own event_id, the same through
 * /sync and /messages, so it is the dedupe key as it is. Edits (m.replace)
 * and redactions name the event they change in ref.
 */
#ifndef SCRIBE_MATRIX_EVENTS_H
#define SCRIBE_MATRIX_EVENTS_H

#include "util/base.h"
#include "chat/chat.h"

struct cJSON;

/* The custom content key Scribe puts on a playbook step it posts
 * ("S2"): a ✅ reaction on that message completes the step. */
#define MX_STEP_KEY "org.scribe.step"

/* ---- a /sync body ---------------------------------------------------------
 */

struct mx_room {
	const char *id;
	const struct cJSON *state;    /* state events before the timeline */
	const struct cJSON *timeline; /* events, oldest first */
	bool limited;                 /* events were left out before these */
	const char *prev_batch;       /* where /messages finds them */
};

struct mx_invite {
	const char *room;
	const char *inviter; /* sender of the invite, or NULL */
};

struct mx_sync {
	void *tree; /* the parsed body; everything points into it */
	const char *next_batch;
	struct mx_room *rooms; /* joined rooms that have events */
	size_t nrooms;
	struct mx_invite *invites;
	size_t ninvites;
};

/* Reads a /sync body. Returns 0, or SCRIBE_EINVAL with why filled when it
 * is not a sync response (not JSON, no next_batch); rooms and invites
 * that are malformed are left out, not fatal. self is the bot's user id,
 * to find its own invites. */
int mx_sync_read(const char *body, size_t len, const char *self,
		 struct mx_sync *s, char *why, size_t whylen);
void mx_sync_release(struct mx_sync *s);

/* A /messages page: its events (newest first with dir=b) and the token of
 * the next page, NULL at the end of the history. */
struct mx_page {
	void *tree;
	const struct cJSON *chunk;
	const struct cJSON *state;
	const char *end;
};
int mx_page_read(const char *body, size_t len, struct mx_page *p, char *why,
		 size_t whylen);
void mx_page_release(struct mx_page *p);

/* ---- display names --------------------------------------------------------
 */

struct mx_name {
	char *id;
	char *name;
};

/* Display names learned from m.room.member events (state and timeline)
 * and profiles. One table for all rooms: Scribe shows a person by one
 * name. learned (may be NULL) hears of each name that is new or changed,
 * so it can be kept; "" marks a user whose name was asked for. */
struct mx_names {
	struct mx_name *v;
	size_t n, cap;
	void (*learned)(void *ud, const char *id, const char *name);
	void *ud;
};

/* Learns from every m.room.member event of a JSON array of events. */
void mx_names_learn(struct mx_names *t, const struct cJSON *events);
/* Sets one name (learned hears of it unless it is ""). */
void mx_names_set(struct mx_names *t, const char *id, const char *name);
const char *mx_names_get(const struct mx_names *t, const char *id);
void mx_names_release(struct mx_names *t);

/* ---- one room event -------------------------------------------------------
 */

enum mx_event_kind {
	MX_EVENT,   /* ev holds a chat event: record it */
	MX_IGNORED, /* understood, nothing to record; reason says what */
	MX_INVALID, /* malformed: reason says why */
};

struct mx_event {
	enum mx_event_kind kind;
	char reason[160];
	bool encrypted;       /* an m.room.encrypted event */
	const char *step;     /* the bot's own step message: its "S<n>" */
	bool evidence;        /* ... and the step asks for evidence */
	const char *reply_to; /* a reply: the event it answers */
	struct chat_event ev; /* points into the event and owned below */
	char *owned[4];
	size_t nowned;
};

/* Parses one event of room (sync timeline events carry no room_id). self
 * is the bot's user id: its own events are MX_IGNORED (a step message
 * still sets step). Release with mx_event_release(). */
void mx_event_parse(const struct cJSON *e, const char *room, const char *self,
		    const struct mx_names *names, struct mx_event *out);
void mx_event_release(struct mx_event *out);

/* The emoji of a reaction key without its variation selectors, so "✅"
 * and "✅️" are one; writes into out (at least strlen(key) + 1 bytes). */
void mx_emoji_plain(const char *key, char *out, size_t outlen);

#endif
