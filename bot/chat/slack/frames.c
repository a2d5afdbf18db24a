/*
 * frames.c - Slack Socket Mode frames into chat events; see frames.h.
 *
 * Every field is read with a type check (cJSON_IsString and friends):
 * Slack's JSON is untrusted input like any other.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <time.h>
#include <libwebsockets.h>

#include "util/base.h"
#include "chat/json.h"
#include "chat/slack/frames.h"

static void set_reason(struct slack_frame *f, enum slack_frame_kind kind,
		       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(struct slack_frame *f, enum slack_frame_kind kind,
		       const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* Keeps s for ev; returns it. */
static char *own(struct slack_frame *f, char *s)
{
	if (f->nowned == ARRAY_SIZE(f->owned)) {
		free(s);
		return NULL;
	}
	f->owned[f->nowned++] = s;
	return s;
}

/* o as JSON text (a string the caller frees); takes o. */
static char *json_text(cJSON *o)
{
	char *json = cJSON_PrintUnformatted(o), *out;

	cJSON_Delete(o);
	out = xstrdup(json ? json : "{}");
	cJSON_free(json);
	return out;
}

/* A follow-up: the Web API call to make once the event is recorded, as
 * {"method": ..., "args": {...}} (takes args). */
static char *follow_up(const char *method, cJSON *args)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "method", method);
	cJSON_AddItemToObject(o, "args", args);
	return json_text(o);
}

int slack_ts_ms(const char *ts, int64_t *ms)
{
	const char *p = ts;
	int64_t sec = 0, frac = 0;
	int digits = 0;

	if (!ts || !isdigit((unsigned char)*p))
		return SCRIBE_EINVAL;
	while (isdigit((unsigned char)*p) && sec < 100000000000LL)
		sec = sec * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p) && digits < 6) {
			frac = frac * 10 + (*p++ - '0');
			digits++;
		}
		while (digits++ < 6)
			frac *= 10;
	}
	if (*p)
		return SCRIBE_EINVAL;
	*ms = sec * 1000 + frac / 1000;
	return 0;
}

char *slack_ack(const char *envelope_id)
{
	cJSON *o;

	/* Slack's envelope ids are UUIDs: written as they are. */
	if (strspn(envelope_id, "0123456789abcdefABCDEF-") ==
	    strlen(envelope_id))
		return xasprintf("{\"envelope_id\":\"%s\"}", envelope_id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "envelope_id", envelope_id);
	return json_text(o);
}

/* Slack escapes &, < and > in message text; the timeline keeps the text
 * people wrote. Mentions (<@U123>) stay as they are. Runs without an '&'
 * are copied whole (memchr); only an '&' is compared with the entities:
 * comparing every byte with each of them was 11% of the CPU at
 * saturation. */
static char *unescape(const char *s)
{
	static const struct {
		const char *from;
		size_t n;
		char to;
	} map[] = {{"&amp;", 5, '&'}, {"&lt;", 4, '<'}, {"&gt;", 4, '>'}};
	size_t len = strlen(s), run, i;
	char *out = xmalloc(len + 1), *o = out;
	const char *amp;

	while ((amp = memchr(s, '&', len))) {
		run = (size_t)(amp - s);
		memcpy(o, s, run);
		o += run;
		len -= run;
		s = amp;
		for (i = 0; i < ARRAY_SIZE(map); i++)
			if (len >= map[i].n &&
			    !memcmp(s, map[i].from, map[i].n))
				break;
		*o++ = i < ARRAY_SIZE(map) ? map[i].to : '&';
		run = i < ARRAY_SIZE(map) ? map[i].n : 1;
		s += run;
		len -= run;
	}
	memcpy(o, s, len + 1);
	return out;
}

/* If text starts with a mention of the bot, the words after it. */
static const char *after_self_mention(const struct slack_self *self,
				      const char *text)
{
	size_t n;

	if (!self || !self->user_id || strncmp(text, "<@", 2))
		return NULL;
	n = strlen(self->user_id);
	if (strncmp(text + 2, self->user_id, n) ||
	    (text[2 + n] != '>' && text[2 + n] != '|'))
		return NULL;
	text = strchr(text + 2 + n, '>');
	if (!text)
		return NULL;
	text++;
	while (*text == ' ' || *text == '\t' || *text == '\n')
		text++;
	return text;
}

static bool from_self(const struct slack_self *self, const cJSON *m)
{
	const char *user = json_str(m, "user"), *bot = json_str(m, "bot_id");

	return self &&
	       ((bot && self->bot_id && !strcmp(bot, self->bot_id)) ||
		(user && self->user_id && !strcmp(user, self->user_id)));
}

/* A message (no subtype, thread_broadcast, me_message, file_share,
 * bot_message) or an app_mention. */
static void message(struct slack_frame *f, const cJSON *e,
		    const struct slack_self *self)
{
	const char *channel = json_str(e, "channel"), *ts = json_str(e, "ts");
	const char *text = json_str(e, "text"), *user = json_str(e, "user");
	const char *thread = json_str(e, "thread_ts"), *cmd;
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(e, "files");
	const cJSON *file = cJSON_IsArray(files) ? files->child : NULL;
	char *clean;

	if (from_self(self, e)) {
		set_reason(f, SLACK_IGNORED, "the bot's own message");
		return;
	}
	if (!user)
		user = json_str(e, "bot_id"); /* other bots: alerts, webhooks */
	if (!channel || !ts || !user) {
		set_reason(f, SLACK_INVALID,
			   "a message needs channel, ts and user");
		return;
	}
	if (slack_ts_ms(ts, &f->ev.ts)) {
		set_reason(f, SLACK_INVALID,
			   "a message's ts \"%.40s\" is not a Slack timestamp "
			   "(seconds, a dot and at most 6 digits)",
			   ts);
		return;
	}
	clean = own(f, unescape(text ? text : ""));
	if (!clean) {
		set_reason(f, SLACK_INVALID, "too many strings");
		return;
	}
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_MESSAGE;
	f->ev.room = channel;
	f->ev.id = ts;
	f->ev.author.id = (char *)user;
	f->ev.author.name =
	    (char *)(json_str(e, "username") ? json_str(e, "username") : user);
	f->ev.thread = thread && strcmp(thread, ts) ? thread : NULL;
	f->ev.text = clean;
	cmd = after_self_mention(self, clean);
	if (cmd) {
		f->ev.kind = CHAT_COMMAND;
		f->ev.text = cmd;
	} else if (cJSON_IsObject(file) && json_str(file, "name")) {
		f->ev.kind = CHAT_FILE;
		f->ev.file_name = json_str(file, "name");
		f->ev.file_type = json_str(file, "mimetype")
				      ? json_str(file, "mimetype")
				      : json_str(file, "filetype");
		f->ev.file_url = json_str(file, "permalink");
	}
	f->ev.len = strlen(f->ev.text);
}

/* channel_join, channel_leave: who joined or left, on the timeline as
 * "joined the channel" by that person (shown by name: Slack's own text,
 * "<@U1> has joined the channel", would show the id), never a command. */
static void member(struct slack_frame *f, const cJSON *e,
		   const struct slack_self *self, bool joined)
{
	const char *channel = json_str(e, "channel"), *ts = json_str(e, "ts");
	const char *user = json_str(e, "user");

	if (from_self(self, e)) {
		set_reason(f, SLACK_IGNORED, "the bot's own join or leave");
		return;
	}
	if (!channel || !ts || !user || slack_ts_ms(ts, &f->ev.ts)) {
		set_reason(f, SLACK_INVALID,
			   "a join or leave needs channel, ts and user");
		return;
	}
	f->ev.text = joined ? "joined the channel" : "left the channel";
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_MEMBER;
	f->ev.room = channel;
	f->ev.id = ts; /* like any message: history gives the same */
	f->ev.author.id = f->ev.author.name = (char *)user;
	f->ev.len = strlen(f->ev.text);
}

static void edited(struct slack_frame *f, const cJSON *e,
		   const struct slack_self *self)
{
	const cJSON *m = json_obj(e, "message");
	const char *channel = json_str(e, "channel");
	const char *id = json_str(e, "event_ts") ? json_str(e, "event_ts")
						 : json_str(e, "ts");
	const char *ref = m ? json_str(m, "ts") : NULL, *user;
	const cJSON *ed = m ? json_obj(m, "edited") : NULL;

	if (m && from_self(self, m)) {
		set_reason(f, SLACK_IGNORED,
			   "an edit of the bot's own message");
		return;
	}
	user = ed && json_str(ed, "user") ? json_str(ed, "user")
	       : m                        ? json_str(m, "user")
					  : NULL;
	if (!channel || !id || !ref || !user || slack_ts_ms(id, &f->ev.ts)) {
		set_reason(f, SLACK_INVALID,
			   "message_changed needs channel, "
			   "event_ts, message.ts and a user");
		return;
	}
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_EDIT;
	f->ev.room = channel;
	f->ev.id = own(f, xasprintf("edit-%s", id));
	f->ev.ref = ref;
	f->ev.author.id = f->ev.author.name = (char *)user;
	f->ev.text =
	    own(f, unescape(json_str(m, "text") ? json_str(m, "text") : ""));
	f->ev.len = f->ev.text ? strlen(f->ev.text) : 0;
	if (!f->ev.id || !f->ev.text)
		set_reason(f, SLACK_INVALID, "too many strings");
}

static void deleted(struct slack_frame *f, const cJSON *e)
{
	const char *channel = json_str(e, "channel"),
		   *ref = json_str(e, "deleted_ts");
	const char *id = json_str(e, "event_ts") ? json_str(e, "event_ts")
						 : json_str(e, "ts");
	const cJSON *prev = json_obj(e, "previous_message");
	const char *user =
	    prev && json_str(prev, "user") ? json_str(prev, "user") : "someone";

	if (!channel || !ref || !id || slack_ts_ms(id, &f->ev.ts)) {
		set_reason(f, SLACK_INVALID,
			   "message_deleted needs channel, "
			   "deleted_ts and event_ts");
		return;
	}
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_DELETE;
	f->ev.room = channel;
	f->ev.id = own(f, xasprintf("delete-%s", id));
	f->ev.ref = ref;
	f->ev.author.id = f->ev.author.name = (char *)user;
	f->ev.text = "";
}

static void reaction(struct slack_frame *f, const cJSON *e,
		     const char *event_id)
{
	const cJSON *item = json_obj(e, "item");
	const char *user = json_str(e, "user"),
		   *emoji = json_str(e, "reaction");
	const char *ts = json_str(e, "event_ts");

	if (!item || !json_str(item, "type") ||
	    strcmp(json_str(item, "type"), "message")) {
		set_reason(f, SLACK_IGNORED,
			   "a reaction to something else "
			   "than a message");
		return;
	}
	if (!user || !emoji || !event_id || !json_str(item, "channel") ||
	    !json_str(item, "ts") || !ts || slack_ts_ms(ts, &f->ev.ts)) {
		set_reason(f, SLACK_INVALID,
			   "reaction_added needs user, "
			   "reaction, item and event_ts");
		return;
	}
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_REACTION;
	f->ev.room = json_str(item, "channel");
	f->ev.ref = json_str(item, "ts");
	f->ev.id = event_id;
	f->ev.emoji = emoji;
	f->ev.author.id = f->ev.author.name = (char *)user;
	f->ev.text = "";
	if (!strcmp(emoji, "pushpin")) {
		/* A key timeline entry: pinned in the channel too, once the
		 * reaction is recorded. */
		cJSON *args = cJSON_CreateObject();

		cJSON_AddStringToObject(args, "channel", f->ev.room);
		cJSON_AddStringToObject(args, "timestamp", f->ev.ref);
		f->ev.follow_up = own(f, follow_up("pins.add", args));
	}
}

static void events_api(struct slack_frame *f, const cJSON *p,
		       const struct slack_self *self)
{
	const cJSON *e = json_obj(p, "event");
	const char *type = e ? json_str(e, "type") : NULL, *sub;

	if (!json_str(p, "type") ||
	    strcmp(json_str(p, "type"), "event_callback")) {
		set_reason(f, SLACK_IGNORED, "payload of type '%.40s'",
			   json_str(p, "type") ? json_str(p, "type") : "?");
		return;
	}
	if (!type) {
		set_reason(f, SLACK_INVALID, "an event_callback without event");
		return;
	}
	if (!strcmp(type, "app_mention")) {
		message(f, e, self);
		return;
	}
	if (!strcmp(type, "reaction_added")) {
		reaction(f, e, json_str(p, "event_id"));
		return;
	}
	if (strcmp(type, "message")) {
		set_reason(f, SLACK_IGNORED, "event '%.40s'", type);
		return;
	}
	sub = json_str(e, "subtype");
	if (!sub || !strcmp(sub, "thread_broadcast") ||
	    !strcmp(sub, "me_message") || !strcmp(sub, "file_share") ||
	    !strcmp(sub, "bot_message")) {
		message(f, e, self);
		return;
	}
	if (!strcmp(sub, "message_changed")) {
		edited(f, e, self);
		return;
	}
	if (!strcmp(sub, "message_deleted")) {
		deleted(f, e);
		return;
	}
	if (!strcmp(sub, "channel_join") || !strcmp(sub, "channel_leave")) {
		member(f, e, self, !strcmp(sub, "channel_join"));
		return;
	}
	/* channel_topic, message_replied, ...: the channel's own
	 * bookkeeping, not something said. */
	set_reason(f, SLACK_IGNORED, "message subtype '%.40s'", sub);
}

/* /incident and /inc: the words after the command. */
static void slash_command(struct slack_frame *f, const cJSON *p, int64_t now)
{
	const char *cmd = json_str(p, "command"), *text = json_str(p, "text");
	const char *channel = json_str(p, "channel_id"),
		   *user = json_str(p, "user_id");
	const char *trigger = json_str(p, "trigger_id");

	if (!cmd || (strcmp(cmd, "/incident") && strcmp(cmd, "/inc"))) {
		set_reason(f, SLACK_IGNORED, "slash command '%.40s'",
			   cmd ? cmd : "?");
		return;
	}
	if (!channel || !user) {
		set_reason(f, SLACK_INVALID,
			   "a slash command needs channel_id and user_id");
		return;
	}
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_COMMAND;
	f->ev.room = channel;
	f->ev.author.id = (char *)user;
	f->ev.author.name =
	    (char *)(json_str(p, "user_name") ? json_str(p, "user_name")
					      : user);
	f->ev.id =
	    own(f, xasprintf("slash-%s", trigger ? trigger : f->envelope_id));
	f->ev.ts = now;
	f->ev.text = own(f, unescape(text ? text : ""));
	f->ev.len = f->ev.text ? strlen(f->ev.text) : 0;
	if (!f->ev.id || !f->ev.text)
		set_reason(f, SLACK_INVALID, "too many strings");
}

/* A Slack id (U..., W...): letters and digits only, so that it can go
 * into "<@...>" as it is. */
static bool plain_id(const char *id)
{
	size_t n = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	return n > 0 && n < 32 && !id[n];
}

/* Once a step's click is recorded: the step message (container
 * message_ts) again, its buttons replaced by who did it and when. NULL
 * when the payload does not hold the message to rewrite. */
static char *step_update(const cJSON *p, const char *user, bool done,
			 int64_t now)
{
	const cJSON *container = json_obj(p, "container"),
		    *msg = json_obj(p, "message");
	const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(msg, "blocks");
	const char *ts = json_str(container, "message_ts");
	const char *channel = json_str(container, "channel_id"), *text;
	const cJSON *b;
	cJSON *args, *out, *ctx, *el, *said;
	char when[32], line[256];
	time_t sec = (time_t)(now / 1000);
	struct tm tm;

	if (!channel)
		channel = json_str(json_obj(p, "channel"), "id");
	if (!ts || !channel || !msg || !plain_id(user))
		return NULL;
	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M %Z", &tm);
	/* <!date> shows the time in each reader's own zone. */
	snprintf(line, sizeof(line), "%s by <@%s> at <!date^%lld^{time}|%s>",
		 done ? "\xe2\x9c\x85 Done" : "\xe2\x8f\xad Skipped", user,
		 (long long)sec, when);
	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "channel", channel);
	cJSON_AddStringToObject(args, "ts", ts);
	text = json_str(msg, "text");
	if (text) {
		char *t = xasprintf("%s\n%s", text, line);

		cJSON_AddStringToObject(args, "text", t);
		free(t);
	} else {
		cJSON_AddStringToObject(args, "text", line);
	}
	if (cJSON_IsArray(blocks)) {
		out = cJSON_AddArrayToObject(args, "blocks");
		cJSON_ArrayForEach(b, blocks)
		{
			const char *type = json_str(b, "type");

			if (!type || strcmp(type, "actions"))
				cJSON_AddItemToArray(out,
						     cJSON_Duplicate(b, 1));
		}
		ctx = cJSON_CreateObject();
		cJSON_AddStringToObject(ctx, "type", "context");
		el = cJSON_AddArrayToObject(ctx, "elements");
		said = cJSON_CreateObject();
		cJSON_AddStringToObject(said, "type", "mrkdwn");
		cJSON_AddStringToObject(said, "text", line);
		cJSON_AddItemToArray(el, said);
		cJSON_AddItemToArray(out, ctx);
	}
	return follow_up("chat.update", args);
}

/* The Done and Skip buttons of a playbook step: action_id step_done or
 * step_skip, value "S<n>"; recorded exactly like the typed command. Once
 * it is (and the core accepted it), the step message shows who did it
 * instead of its buttons. */
static void block_actions(struct slack_frame *f, const cJSON *p, int64_t now)
{
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(p, "actions");
	const cJSON *a = cJSON_IsArray(actions) ? actions->child : NULL;
	const cJSON *user = json_obj(p, "user"),
		    *channel = json_obj(p, "channel");
	const char *action = a ? json_str(a, "action_id") : NULL;
	const char *value = a ? json_str(a, "value") : NULL;
	const char *trigger = json_str(p, "trigger_id"), *verb;
	char *update;

	if (!action ||
	    (strcmp(action, "step_done") && strcmp(action, "step_skip"))) {
		set_reason(f, SLACK_IGNORED, "action '%.40s'",
			   action ? action : "?");
		return;
	}
	if (!user || !json_str(user, "id") || !channel ||
	    !json_str(channel, "id") || !value || value[0] != 'S' ||
	    strlen(value) > 8) {
		set_reason(f, SLACK_INVALID,
			   "a step button needs user, channel and S<n>");
		return;
	}
	verb = strcmp(action, "step_done") ? "skip" : "done";
	f->kind = SLACK_EVENT;
	f->ev.kind = CHAT_COMMAND;
	f->ev.room = json_str(channel, "id");
	f->ev.author.id = (char *)json_str(user, "id");
	f->ev.author.name =
	    (char *)(json_str(user, "username") ? json_str(user, "username")
						: json_str(user, "id"));
	f->ev.id =
	    own(f, xasprintf("action-%s", trigger ? trigger : f->envelope_id));
	f->ev.ts = now;
	f->ev.text = own(f, xasprintf(strcmp(verb, "skip")
					  ? "step done %s"
					  : "step skip %s (skipped from "
					    "the button)",
				      value));
	f->ev.len = f->ev.text ? strlen(f->ev.text) : 0;
	if (!f->ev.id || !f->ev.text) {
		set_reason(f, SLACK_INVALID, "too many strings");
		return;
	}
	update = step_update(p, f->ev.author.id, !strcmp(verb, "done"), now);
	if (update)
		f->ev.follow_up = own(f, update);
}

/* One envelope's payload, by the envelope's type: the same for Socket
 * Mode frames and for the Events API's HTTP requests. */
static void payload(struct slack_frame *f, const char *type, const cJSON *p,
		    const struct slack_self *self, int64_t now)
{
	if (!strcmp(type, "events_api"))
		events_api(f, p, self);
	else if (!strcmp(type, "slash_commands"))
		slash_command(f, p, now);
	else if (!strcmp(type, "interactive") && json_str(p, "type") &&
		 !strcmp(json_str(p, "type"), "block_actions"))
		block_actions(f, p, now);
	else
		set_reason(f, SLACK_IGNORED, "envelope '%.40s'", type);
}

void slack_frame_parse(const char *data, size_t len,
		       const struct slack_self *self, int64_t now,
		       struct slack_frame *f)
{
	cJSON *root;
	const cJSON *p;
	const char *type, *eid;

	memset(f, 0, sizeof(*f));
	f->ev.platform = "slack";
	root = cJSON_ParseWithLength(data, len);
	f->tree = root;
	if (!cJSON_IsObject(root)) {
		set_reason(f, SLACK_INVALID, "not a JSON object");
		return;
	}
	type = json_str(root, "type");
	eid = json_str(root, "envelope_id");
	if (eid && strlen(eid) < sizeof(f->envelope_id))
		snprintf(f->envelope_id, sizeof(f->envelope_id), "%s", eid);
	if (type && strlen(type) < sizeof(f->type))
		snprintf(f->type, sizeof(f->type), "%s", type);
	if (type && !strcmp(type, "hello")) {
		f->kind = SLACK_HELLO;
		return;
	}
	if (type && !strcmp(type, "disconnect")) {
		const char *why = json_str(root, "reason");

		set_reason(f, SLACK_DISCONNECT, "%.60s",
			   why && *why ? why : "unknown");
		return;
	}
	if (!eid || !f->envelope_id[0]) {
		set_reason(f, SLACK_INVALID, "a frame without envelope_id");
		return;
	}
	if (cJSON_IsNumber(cJSON_GetObjectItem(root, "retry_attempt")))
		f->retry_attempt =
		    cJSON_GetObjectItem(root, "retry_attempt")->valueint;
	f->accepts_response_payload =
	    cJSON_IsTrue(cJSON_GetObjectItem(root, "accepts_response_payload"));
	p = json_obj(root, "payload");
	if (!type || !p) {
		set_reason(f, SLACK_INVALID,
			   "an envelope needs type and payload");
		return;
	}
	payload(f, type, p, self, now);
}

cJSON *slack_form_parse(const char *body, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	const char *p = body, *end = body + len, *amp, *eq;

	while (p < end) {
		char *name, *value;

		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (!eq)
			eq = amp;
		/* lws_urldecode() writes up to len bytes and then a NUL. */
		name = xstrndup(p, (size_t)(eq - p));
		value = xstrndup(eq < amp ? eq + 1 : amp,
				 (size_t)(amp - (eq < amp ? eq + 1 : amp)));
		if (lws_urldecode(name, name, (int)strlen(name)) ||
		    lws_urldecode(value, value, (int)strlen(value)) || !*name) {
			free(name);
			free(value);
			cJSON_Delete(o);
			return NULL;
		}
		/* The first of a repeated field counts. */
		if (!cJSON_GetObjectItemCaseSensitive(o, name))
			cJSON_AddStringToObject(o, name, value);
		free(name);
		free(value);
		p = amp + 1;
	}
	return o;
}

void slack_http_parse(enum slack_http_kind kind, const char *body, size_t len,
		      const struct slack_self *self, int64_t now,
		      struct slack_frame *f)
{
	static const char *const types[] = {
	    [SLACK_HTTP_EVENTS] = "events_api",
	    [SLACK_HTTP_COMMANDS] = "slash_commands",
	    [SLACK_HTTP_INTERACTIVITY] = "interactive",
	};
	cJSON *root, *inner;
	const char *type;

	memset(f, 0, sizeof(*f));
	f->ev.platform = "slack";
	snprintf(f->type, sizeof(f->type), "%s", types[kind]);
	if (kind == SLACK_HTTP_EVENTS)
		root = cJSON_ParseWithLength(body, len);
	else
		root = slack_form_parse(body, len);
	f->tree = root;
	if (!cJSON_IsObject(root)) {
		set_reason(f, SLACK_INVALID, "%s",
			   kind == SLACK_HTTP_EVENTS
			       ? "not a JSON object"
			       : "not a form (application/x-www-form-"
				 "urlencoded)");
		return;
	}
	if (kind == SLACK_HTTP_INTERACTIVITY) {
		/* The interaction is the JSON in the form's payload field. */
		inner = cJSON_Parse(
		    json_str(root, "payload") ? json_str(root, "payload") : "");
		cJSON_Delete(root);
		f->tree = root = inner;
		if (!cJSON_IsObject(root)) {
			set_reason(f, SLACK_INVALID,
				   "an interaction without a JSON payload");
			return;
		}
	}
	type = json_str(root, "type");
	if (kind == SLACK_HTTP_EVENTS && type &&
	    !strcmp(type, "url_verification")) {
		f->kind = SLACK_URL_VERIFICATION;
		f->challenge = json_str(root, "challenge");
		if (!f->challenge || strlen(f->challenge) > 200)
			set_reason(f, SLACK_INVALID,
				   "url_verification without a challenge");
		return;
	}
	payload(f, types[kind], root, self, now);
}

void slack_frame_release(struct slack_frame *f)
{
	size_t i;

	for (i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	cJSON_Delete(f->tree);
	memset(f, 0, sizeof(*f));
}
