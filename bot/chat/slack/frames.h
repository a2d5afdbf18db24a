/*
 * frames.h - Slack Socket Mode frames into Scribe's chat events.
 *
 * The only place that reads Slack's inbound JSON. A text frame from the
 * Socket Mode websocket is parsed into one struct slack_frame: `hello`, a
 * `disconnect` with its reason, or an envelope (events_api,
 * slash_commands, interactive) whose payload became a normalized struct
 * chat_event - or was recognised and ignored (the bot's own messages,
 * joins), or refused as malformed. Pure: no I/O, the time is passed in.
 *
 * Identity: a message is its channel and `ts` (Slack's message id, the
 * same across redeliveries and across the `message` and `app_mention`
 * copies of one mention); an edit or a delete is its `event_ts`; a
 * reaction, a slash command and a button press have no ts, so they are
 * their `event_id` or `trigger_id`.
 */
#ifndef SCRIBE_SLACK_FRAMES_H
#define SCRIBE_SLACK_FRAMES_H

#include "util/base.h"
#include "chat/chat.h"

enum slack_frame_kind {
	SLACK_HELLO,      /* the socket is ready */
	SLACK_DISCONNECT, /* reason says why; open a new socket first */
	SLACK_EVENT,      /* ev holds a chat event: record it, then ack */
	SLACK_IGNORED,    /* an envelope to ack, with nothing to record */
	SLACK_INVALID,    /* not a frame Scribe understands: reason says */
	SLACK_URL_VERIFICATION, /* Events API: answer with the challenge */
};

/* The three request URLs of Slack's Events API over HTTP. */
enum slack_http_kind {
	SLACK_HTTP_EVENTS,        /* JSON: event_callback, url_verification */
	SLACK_HTTP_COMMANDS,      /* a form: a slash command's fields */
	SLACK_HTTP_INTERACTIVITY, /* a form whose payload field is JSON */
};

/* Who the bot is (from auth.test), to recognise its own messages. */
struct slack_self {
	const char *user_id; /* "U0BOT" */
	const char *bot_id;  /* "B0BOT" */
};

struct slack_frame {
	enum slack_frame_kind kind;
	char envelope_id[128];         /* to ack; "" when there is none */
	char type[32];                 /* events_api, slash_commands, ... */
	char reason[160];              /* disconnect, ignored or invalid */
	int retry_attempt;             /* 0 on the first delivery */
	bool accepts_response_payload; /* slash commands, interactions */
	struct chat_event ev;          /* points into the storage below */
	const char *challenge;         /* url_verification's, in tree */
	/* Storage that ev points into (owned). */
	void *tree;     /* the parsed cJSON tree */
	char *owned[6]; /* strings made for ev */
	size_t nowned;
};

/* Parses one text frame. Never fails: malformed input is SLACK_INVALID
 * with a reason (and an envelope_id when one could be read, so that it is
 * still acked). now is the receipt time, used for slash commands and
 * button presses, which carry none. Release with slack_frame_release(). */
void slack_frame_parse(const char *data, size_t len,
		       const struct slack_self *self, int64_t now,
		       struct slack_frame *f);
void slack_frame_release(struct slack_frame *f);

/*
 * The body of a request Slack POSTed to the Events API (already verified
 * by its signature), parsed as the payload of the envelope Socket Mode
 * would have sent: the same events, the same identities (so a message
 * seen both ways, or redelivered, is one row). Never fails: as
 * slack_frame_parse(), plus SLACK_URL_VERIFICATION with its challenge.
 * Release with slack_frame_release().
 */
void slack_http_parse(enum slack_http_kind kind, const char *body, size_t len,
		      const struct slack_self *self, int64_t now,
		      struct slack_frame *f);

/* An application/x-www-form-urlencoded body as a cJSON object of strings
 * (the first of a repeated name counts); NULL when it is not one (a bad
 * %-escape, an empty name). */
struct cJSON;
struct cJSON *slack_form_parse(const char *body, size_t len);

/* "1355517523.000005" to UTC milliseconds; SCRIBE_EINVAL when it is not
 * a Slack ts. */
int slack_ts_ms(const char *ts, int64_t *ms);

/* The ack frame for an envelope: {"envelope_id":"..."}. */
char *slack_ack(const char *envelope_id);

#endif
