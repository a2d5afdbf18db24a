/*
 * chat.h - what a chat transport gives the app, and what it does for it.
 *
 * A transport (console, replay, and later Slack and Matrix) turns what its
 * platform sends into struct chat_event values, hands them to the app, and
 * acknowledges them to its platform only when the app calls ack (after the
 * commit). The other way, the app hands it outbox rows to deliver. The core
 * never sees a platform's JSON: only these normalized events.
 */
#ifndef SCRIBE_CHAT_H
#define SCRIBE_CHAT_H

#include "util/base.h"
#include "core/model.h"

struct outbox_row;

enum chat_kind {
	CHAT_MESSAGE,  /* text said in a room (a "!inc ..." is a command) */
	CHAT_COMMAND,  /* a slash command: text is the words after it */
	CHAT_FILE,     /* a file shared, with an optional text */
	CHAT_EDIT,     /* ref's text is now text */
	CHAT_DELETE,   /* ref was deleted */
	CHAT_REACTION, /* emoji on ref */
	CHAT_MEMBER,   /* someone joined or left the room; text says who. A
			* message on the timeline, never a command */
};

/* One normalized event. Everything is borrowed for the call. */
struct chat_event {
	enum chat_kind kind;
	const char *platform; /* "console", "slack", "matrix" */
	const char *room;     /* the platform's room id */
	const char *id;       /* the platform's event id: the dedupe key */
	const char *ref;      /* edit, delete, reaction: the message's id */
	const char *thread;   /* id of the thread root, or NULL */
	struct user author;   /* name NULL: the transport does not know it */
	int64_t ts;           /* when it was sent, UTC ms */
	const char *text;
	size_t len;
	const char *emoji;
	const char *file_name, *file_type, *file_url;
	/* Called once the event is durable (status 0) or was refused. */
	void (*ack)(void *ud, int status);
	void *ack_ud;
	/* What the transport does once the event is recorded (and, for a
	 * command, accepted), or NULL: written in the event's transaction
	 * as an outbox row of kind "follow_up" with this body, for the
	 * event's room, and handed back to the transport's deliver() after
	 * the commit (Slack: pins.add for a 📌, chat.update of a clicked
	 * step). A duplicate or a refused command has none. */
	const char *follow_up;
};

struct chat;

/* A transport's operations: a const table, one slot per line. */
struct chat_ops {
	const char *name; /* the platform: "console", "slack", "matrix" */
	/* The room id of a new incident channel when the platform names rooms
	 * itself (console: "#inc-3-db"); NULL when rooms are created through
	 * the outbox ("create_room" rows). Returns an allocated string. */
	char *(*room_for_channel)(struct chat *c, const char *channel);
	/* Delivers one outbox row to room (the row's own, or its
	 * incident's; NULL only for "create_room"). Returns 0 when it was
	 * delivered; SCRIBE_EPENDING when it was accepted and the transport
	 * will call app_delivered() with the outcome (the row is not offered
	 * again meanwhile); or a negative error (retried later). A transport
	 * keeps the order of rows per room. */
	int (*deliver)(struct chat *c, const struct outbox_row *row,
		       const char *room);
	/* A link to a room, as Markdown this transport's formatter turns
	 * into a link (Slack "<#C123>", Matrix a matrix.to link), from its
	 * id and its alias (may be NULL). Returns an allocated string; NULL
	 * slot: the room id as it is. */
	char *(*room_link)(struct chat *c, const char *room, const char *alias);
	/* Whether the transport is signed in and connected, for GET
	 * /readyz; when not, why says what is missing. NULL: always. */
	bool (*ready)(struct chat *c, char *why, size_t len);
};

struct chat {
	const struct chat_ops *ops;
	void *impl; /* the transport's own state */
};

/* The step number of a playbook step message the core posts ("▶
 * db-deadlock · S2 of 7: ..."), or 0 for any other text: transports put
 * Done/Skip buttons (Slack) or a ✅ reaction (Matrix) on those. */
int chat_step_of(const char *text);

/* Whether room is a direct conversation on platform, where what is said
 * is never taken as an incident's context: Slack's direct messages (ids
 * starting with 'D'). The console and replay have none; Matrix marks its
 * direct rooms in account data only, which Scribe does not read, so none
 * is known there. */
bool chat_room_is_direct(const char *platform, const char *room);

#endif
