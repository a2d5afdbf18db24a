/*
 * events.c - Matrix JSON into chat events; see events.h.
 */
#include <cjson/cJSON.h>

#include "util/base.h"
#include "chat/json.h"
#include "chat/matrix/events.h"

#define MAX_TS 100000000000000.0 /* ms: the year 5138 */

/* ---- /sync and /messages -------------------------------------------------
 */

static cJSON *parse_object(const char *body, size_t len, char *why,
			   size_t whylen)
{
	cJSON *root = cJSON_ParseWithLength(body, len);

	if (!cJSON_IsObject(root)) {
		snprintf(why, whylen, "%s",
			 root ? "not a JSON object" : "not JSON");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Who invited self: the sender of self's invite member event. */
static const char *inviter(const cJSON *room, const char *self)
{
	const cJSON *e;

	cJSON_ArrayForEach(e,
			   json_arr(json_obj(room, "invite_state"), "events"))
	{
		const char *type = json_str(e, "type"),
			   *key = json_str(e, "state_key");

		if (type && key && self && !strcmp(type, "m.room.member") &&
		    !strcmp(key, self))
			return json_str(e, "sender");
	}
	return NULL;
}

int mx_sync_read(const char *body, size_t len, const char *self,
		 struct mx_sync *s, char *why, size_t whylen)
{
	const cJSON *rooms, *r;
	size_t cap = 0, icap = 0;
	cJSON *root;

	memset(s, 0, sizeof(*s));
	root = parse_object(body, len, why, whylen);
	if (!root)
		return SCRIBE_EINVAL;
	s->tree = root;
	s->next_batch = json_str(root, "next_batch");
	if (!s->next_batch || !*s->next_batch) {
		snprintf(why, whylen, "no next_batch");
		mx_sync_release(s);
		return SCRIBE_EINVAL;
	}
	rooms = json_obj(root, "rooms");
	cJSON_ArrayForEach(r, json_obj(rooms, "join"))
	{
		const cJSON *tl = json_obj(r, "timeline");
		struct mx_room *m;

		if (!cJSON_IsObject(r) || !r->string || !*r->string)
			continue;
		ALLOC_GROW(s->rooms, s->nrooms + 1, cap);
		m = &s->rooms[s->nrooms++];
		m->id = r->string;
		m->state = json_arr(json_obj(r, "state"), "events");
		m->timeline = json_arr(tl, "events");
		m->limited = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(tl, "limited"));
		m->prev_batch = json_str(tl, "prev_batch");
	}
	cJSON_ArrayForEach(r, json_obj(rooms, "invite"))
	{
		if (!cJSON_IsObject(r) || !r->string || !*r->string)
			continue;
		ALLOC_GROW(s->invites, s->ninvites + 1, icap);
		s->invites[s->ninvites].room = r->string;
		s->invites[s->ninvites].inviter = inviter(r, self);
		s->ninvites++;
	}
	return 0;
}

void mx_sync_release(struct mx_sync *s)
{
	cJSON_Delete(s->tree);
	free(s->rooms);
	free(s->invites);
	memset(s, 0, sizeof(*s));
}

int mx_page_read(const char *body, size_t len, struct mx_page *p, char *why,
		 size_t whylen)
{
	cJSON *root;

	memset(p, 0, sizeof(*p));
	root = parse_object(body, len, why, whylen);
	if (!root)
		return SCRIBE_EINVAL;
	p->tree = root;
	p->chunk = json_arr(root, "chunk");
	if (!p->chunk) {
		snprintf(why, whylen, "no chunk");
		mx_page_release(p);
		return SCRIBE_EINVAL;
	}
	p->state = json_arr(root, "state");
	p->end = json_str(root, "end");
	return 0;
}

void mx_page_release(struct mx_page *p)
{
	cJSON_Delete(p->tree);
	memset(p, 0, sizeof(*p));
}

/* ---- names ---------------------------------------------------------------
 */

const char *mx_names_get(const struct mx_names *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].id, id))
			return t->v[i].name;
	return NULL;
}

void mx_names_set(struct mx_names *t, const char *id, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].id, id)) {
			if (!strcmp(t->v[i].name, name))
				return;
			free(t->v[i].name);
			t->v[i].name = xstrdup(name);
			break;
		}
	if (i == t->n) {
		ALLOC_GROW(t->v, t->n + 1, t->cap);
		t->v[t->n].id = xstrdup(id);
		t->v[t->n].name = xstrdup(name);
		t->n++;
	}
	if (*name && t->learned)
		t->learned(t->ud, id, name);
}

void mx_names_learn(struct mx_names *t, const cJSON *events)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, events)
	{
		const char *type = json_str(e, "type"),
			   *key = json_str(e, "state_key");
		const char *name =
		    json_str(json_obj(e, "content"), "displayname");

		/* A display name is shown, never pinged: keep it short. */
		if (type && key && name && *name && *key == '@' &&
		    strlen(name) <= 256 && !strcmp(type, "m.room.member"))
			mx_names_set(t, key, name);
	}
}

void mx_names_release(struct mx_names *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].id);
		free(t->v[i].name);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- one event -----------------------------------------------------------
 */

static void set_reason(struct mx_event *out, enum mx_event_kind kind,
		       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(struct mx_event *out, enum mx_event_kind kind,
		       const char *fmt, ...)
{
	va_list ap;

	out->kind = kind;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static char *own(struct mx_event *out, char *s)
{
	if (out->nowned == ARRAY_SIZE(out->owned)) {
		free(s);
		return NULL;
	}
	out->owned[out->nowned++] = s;
	return s;
}

void mx_emoji_plain(const char *key, char *out, size_t outlen)
{
	static const char vs16[] = "\xef\xb8\x8f"; /* U+FE0F */
	static const char vs15[] = "\xef\xb8\x8e"; /* U+FE0E */
	size_t o = 0;

	while (*key && o + 1 < outlen) {
		if (!strncmp(key, vs16, 3) || !strncmp(key, vs15, 3)) {
			key += 3;
			continue;
		}
		out[o++] = *key++;
	}
	out[o] = '\0';
}

/* A reply's body quotes what it replies to ("> <@a:b> text" lines and a
 * blank line, before Matrix 1.13): the timeline keeps only the answer. */
static const char *strip_reply_fallback(const char *body)
{
	const char *p = body, *nl;

	if (strncmp(p, "> <", 3))
		return body;
	while (*p == '>') {
		nl = strchr(p, '\n');
		if (!nl)
			return body; /* all quote: keep it whole */
		p = nl + 1;
	}
	if (*p == '\n')
		p++;
	return p;
}

static void file_message(struct mx_event *out, const cJSON *c,
			 const char *msgtype, const char *body)
{
	const char *name = json_str(c, "filename");
	const char *type = json_str(json_obj(c, "info"), "mimetype");
	const char *url = json_str(c, "url");

	if (!url)
		url = json_str(json_obj(c, "file"),
			       "url"); /* an encrypted file */
	out->ev.kind = CHAT_FILE;
	out->ev.file_name = name ? name : body;
	out->ev.file_type = type ? type : msgtype + 2; /* "file", "image" */
	out->ev.file_url = url;
	/* With a filename, the body is a caption (Matrix 1.10). */
	out->ev.text = name && strcmp(name, body) ? body : "";
}

static void room_message(struct mx_event *out, const cJSON *c)
{
	const cJSON *rel = json_obj(c, "m.relates_to");
	const char *rel_type = json_str(rel, "rel_type");
	const char *msgtype = json_str(c, "msgtype"),
		   *body = json_str(c, "body");

	if (rel_type && !strcmp(rel_type, "m.replace")) {
		const cJSON *nc = json_obj(c, "m.new_content");
		const char *ref = json_str(rel, "event_id");

		body = json_str(nc, "body");
		if (!ref || !body) {
			set_reason(out, MX_INVALID,
				   "an edit needs m.relates_to.event_id and "
				   "m.new_content.body");
			return;
		}
		out->ev.kind = CHAT_EDIT;
		out->ev.ref = ref;
		out->ev.text = body;
		return;
	}
	if (!msgtype || !body) {
		/* A redacted message keeps no content: nothing to say. */
		set_reason(out, MX_IGNORED,
			   "a message without msgtype and body");
		return;
	}
	if (rel_type && !strcmp(rel_type, "m.thread"))
		out->ev.thread = json_str(rel, "event_id");
	out->ev.kind = CHAT_MESSAGE;
	if (!strcmp(msgtype, "m.file") || !strcmp(msgtype, "m.image") ||
	    !strcmp(msgtype, "m.video") || !strcmp(msgtype, "m.audio")) {
		file_message(out, c, msgtype, body);
	} else if (!strcmp(msgtype, "m.emote")) {
		out->ev.text = own(out, xasprintf("* %s", body));
	} else {
		out->ev.text = json_obj(rel, "m.in_reply_to")
				   ? strip_reply_fallback(body)
				   : body;
		out->reply_to =
		    json_str(json_obj(rel, "m.in_reply_to"), "event_id");
	}
}

static void reaction(struct mx_event *out, const cJSON *c)
{
	const cJSON *rel = json_obj(c, "m.relates_to");
	const char *type = json_str(rel, "rel_type"),
		   *ref = json_str(rel, "event_id");
	const char *key = json_str(rel, "key");
	char *plain;

	if (!type || strcmp(type, "m.annotation") || !ref || !key || !*key ||
	    strlen(key) > 64) {
		set_reason(out, MX_INVALID,
			   "a reaction needs an m.annotation with event_id "
			   "and a key");
		return;
	}
	plain = own(out, xmalloc(strlen(key) + 1));
	if (!plain) {
		set_reason(out, MX_INVALID, "too many strings");
		return;
	}
	mx_emoji_plain(key, plain, strlen(key) + 1);
	out->ev.kind = CHAT_REACTION;
	out->ev.ref = ref;
	out->ev.emoji = plain;
}

/* A state event in the timeline: a join or a leave is recorded (who came
 * and went during the incident); other state, and profile changes, are
 * not. */
static void membership(struct mx_event *out, const cJSON *e, const char *type,
		       const char *sender, const struct mx_names *names)
{
	const char *key = json_str(e, "state_key");
	const char *now = json_str(json_obj(e, "content"), "membership");
	const char *before = json_str(
	    json_obj(json_obj(e, "unsigned"), "prev_content"), "membership");
	const char *name;

	if (strcmp(type, "m.room.member") || !key || *key != '@' || !now ||
	    (strcmp(now, "join") && strcmp(now, "leave")) ||
	    (before && !strcmp(before, now))) {
		set_reason(out, MX_IGNORED, "state %.60s", type);
		return;
	}
	out->kind = MX_EVENT;
	out->ev.kind = CHAT_MEMBER;
	out->ev.ts = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(e, "origin_server_ts"));
	name = names ? mx_names_get(names, key) : NULL;
	out->ev.author.id = (char *)key;
	out->ev.author.name = (char *)(name ? name : key);
	if (!strcmp(now, "join"))
		out->ev.text = "joined the room";
	else if (!strcmp(sender, key))
		out->ev.text = "left the room";
	else
		out->ev.text = "was removed from the room";
	out->ev.len = strlen(out->ev.text);
}

void mx_event_parse(const cJSON *e, const char *room, const char *self,
		    const struct mx_names *names, struct mx_event *out)
{
	const char *type = json_str(e, "type"), *id = json_str(e, "event_id");
	const char *sender = json_str(e, "sender");
	const cJSON *ts =
	    cJSON_GetObjectItemCaseSensitive(e, "origin_server_ts");
	const cJSON *c = json_obj(e, "content");
	const char *name;

	memset(out, 0, sizeof(*out));
	out->ev.platform = "matrix";
	out->ev.room = room;
	if (!cJSON_IsObject(e) || !type || !id || !*id || !sender || !*sender) {
		set_reason(out, MX_INVALID,
			   "an event needs type, event_id and sender");
		return;
	}
	if (!cJSON_IsNumber(ts) || ts->valuedouble < 0 ||
	    ts->valuedouble > MAX_TS || !c) {
		set_reason(out, MX_INVALID,
			   "%.60s %.80s: no origin_server_ts or content", type,
			   id);
		return;
	}
	out->ev.id = id;
	if (self && !strcmp(sender, self)) {
		out->step = json_str(c, MX_STEP_KEY);
		out->evidence =
		    out->step && json_str(c, "body") &&
		    strstr(json_str(c, "body"), "Evidence required");
		set_reason(out, MX_IGNORED, "the bot's own event");
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(e, "state_key")) {
		membership(out, e, type, sender, names);
		return;
	}
	out->kind = MX_EVENT;
	out->ev.ts = (int64_t)ts->valuedouble;
	out->ev.author.id = (char *)sender;
	name = names ? mx_names_get(names, sender) : NULL;
	out->ev.author.name = (char *)(name ? name : sender);
	if (!strcmp(type, "m.room.message") &&
	    json_obj(json_obj(e, "unsigned"), "redacted_because")) {
		/* Redacted before Scribe saw it: on the timeline without
		 * its text; the redaction that follows marks who and when. */
		out->ev.kind = CHAT_MESSAGE;
		out->ev.text = "";
	} else if (!strcmp(type, "m.room.message")) {
		room_message(out, c);
	} else if (!strcmp(type, "m.reaction")) {
		reaction(out, c);
	} else if (!strcmp(type, "m.room.redaction")) {
		const char *ref = json_str(c, "redacts");

		if (!ref)
			ref = json_str(e, "redacts"); /* rooms before v11 */
		if (!ref)
			set_reason(out, MX_INVALID,
				   "a redaction needs redacts");
		out->ev.kind = CHAT_DELETE;
		out->ev.ref = ref;
	} else if (!strcmp(type, "m.room.encrypted")) {
		out->ev.kind = CHAT_MESSAGE;
		out->ev.text = "(encrypted message, not readable by Scribe)";
		out->encrypted = true;
	} else {
		set_reason(out, MX_IGNORED, "event type %.60s", type);
	}
	if (out->kind == MX_EVENT)
		out->ev.len = out->ev.text ? strlen(out->ev.text) : 0;
}

void mx_event_release(struct mx_event *out)
{
	size_t i;

	for (i = 0; i < out->nowned; i++)
		free(out->owned[i]);
	memset(out, 0, sizeof(*out));
}
