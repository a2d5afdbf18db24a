/* fake_matrix_control.c - the /_control/ JSON API of the fake homeserver.
 *
 * Tests script the fake through it: add users, create rooms directly, move
 * members, append events as anyone (bursts of N messages, raw malformed
 * events), redact, answer the next /sync with raw bytes, arm 429s and
 * failures, tune limits, drop parked long-polls, and read back the call
 * records, the rooms, their events and state, and when each appended event
 * was confirmed by a /sync asking for what comes after it. README.md
 * documents every endpoint.
 */
#include "fake_matrix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ok_reply(struct fm_reply *r, cJSON *o)
{
	cJSON_AddBoolToObject(o, "ok", 1);
	fm_reply_json(r, 200, o);
}

static void err_reply(struct fm_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_reply(struct fm_reply *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", msg);
	fm_reply_json(r, status, o);
}

/* The room a control request names (an id or #alias:server). */
static struct fm_room *room_arg(const cJSON *in, const char *q,
				struct fm_reply *r)
{
	const char *id = q ? q : fm_gs(in, "room", NULL);
	if (!id) {
		err_reply(r, 400, "missing room");
		return NULL;
	}
	struct fm_room *room = fm_room_find(id);
	if (!room)
		err_reply(r, 404, "unknown room %s", id);
	return room;
}

static void event_reply(struct fm_reply *r, struct fm_event *e)
{
	cJSON *o = cJSON_CreateObject();
	if (e->event_id)
		cJSON_AddStringToObject(o, "event_id", e->event_id);
	cJSON_AddNumberToObject(o, "pos", (double)e->pos);
	ok_reply(r, o);
}

/* ---- users, rooms, membership
 * ------------------------------------------------ */

static void ctl_users(const cJSON *in, struct fm_reply *r)
{
	const char *id = fm_gs(in, "user_id", NULL);
	if (!fm_is_user_id(id)) {
		err_reply(r, 400, "user_id must be a user id (@local:server)");
		return;
	}
	struct fm_user *u = fm_user_add(id, fm_gs(in, "password", NULL));
	const char *tok = fm_gs(in, "access_token", NULL);
	const char *dev = fm_gs(in, "device_id", NULL);
	struct fm_device *d = NULL;
	if (tok || dev) {
		char gen[16];
		if (!dev) {
			fm_random_str(gen, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			dev = gen;
		}
		d = fm_device_get(u, dev);
		if (tok)
			fm_token_add(tok, d);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user_id", u->id);
	if (d)
		cJSON_AddStringToObject(o, "device_id", d->id);
	if (tok)
		cJSON_AddStringToObject(o, "access_token", tok);
	ok_reply(r, o);
}

static void ctl_room(const cJSON *in, struct fm_reply *r)
{
	const char *creator = fm_gs(in, "creator", NULL);
	if (!fm_is_user_id(creator)) {
		err_reply(r, 400, "creator must be a user id");
		return;
	}
	const cJSON *members = fm_get(in, "members");
	const cJSON *invite = fm_get(in, "invite");
	const cJSON *it;
	if ((members && !cJSON_IsArray(members)) ||
	    (invite && !cJSON_IsArray(invite))) {
		err_reply(r, 400, "members and invite must be arrays");
		return;
	}
	cJSON_ArrayForEach(it, members) if (!fm_is_user_id(it->valuestring))
	{
		err_reply(r, 400, "members must be user ids");
		return;
	}
	cJSON *body = cJSON_CreateObject();
	static const char *copy[] = {
	    "name",          "topic",
	    "preset",        "room_version",
	    "visibility",    "power_level_content_override",
	    "initial_state", "creation_content",
	    "is_direct"};
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (fm_get(in, copy[i]))
			cJSON_AddItemToObject(
			    body, copy[i],
			    cJSON_Duplicate(fm_get(in, copy[i]), 1));
	const char *alias = fm_gs(in, "alias", NULL);
	if (alias) {
		char local[256];
		const char *a = alias[0] == '#' ? alias + 1 : alias;
		const char *c = strchr(a, ':');
		size_t n = c ? (size_t)(c - a) : strlen(a);
		if (n >= sizeof(local))
			n = sizeof(local) - 1;
		memcpy(local, a, n);
		local[n] = '\0';
		cJSON_AddStringToObject(body, "room_alias_name", local);
	}
	if (invite)
		cJSON_AddItemToObject(body, "invite",
				      cJSON_Duplicate(invite, 1));
	if (fm_gb(in, "encrypted", 0)) {
		cJSON *init = fm_get(body, "initial_state");
		if (!init)
			init = cJSON_AddArrayToObject(body, "initial_state");
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", "m.room.encryption");
		cJSON_AddStringToObject(e, "state_key", "");
		cJSON *c = cJSON_AddObjectToObject(e, "content");
		cJSON_AddStringToObject(c, "algorithm", "m.megolm.v1.aes-sha2");
		cJSON_AddItemToArray(init, e);
	}
	struct fm_reply er = {0};
	struct fm_room *room =
	    fm_create_room(creator, body, fm_gs(in, "room_id", NULL), &er);
	cJSON_Delete(body);
	if (!room) {
		err_reply(r, 400, "%s: %s", er.errcode,
			  er.body.s ? er.body.s : "");
		fm_reply_clear(&er);
		return;
	}
	fm_reply_clear(&er);
	cJSON_ArrayForEach(it, members)
	{
		if (!strcmp(it->valuestring, creator) ||
		    fm_membership(room, it->valuestring, NULL) == FM_JOIN)
			continue;
		char *c = fm_member_content("join", it->valuestring, NULL, 0);
		fm_append(room, "m.room.member", it->valuestring,
			  it->valuestring, c, NULL, NULL, NULL);
		free(c);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", room->id);
	if (cJSON_GetArraySize(room->aliases))
		cJSON_AddStringToObject(
		    o, "alias",
		    cJSON_GetArrayItem(room->aliases, 0)->valuestring);
	ok_reply(r, o);
}

static void ctl_member(const cJSON *in, const char *membership,
		       struct fm_reply *r)
{
	struct fm_room *room = room_arg(in, NULL, r);
	if (!room)
		return;
	const char *user = fm_gs(in, "user", NULL);
	const char *sender = fm_gs(in, "sender", user);
	if (!fm_is_user_id(user) || !fm_is_user_id(sender)) {
		err_reply(r, 400, "user (and sender) must be user ids");
		return;
	}
	char *c = fm_member_content(membership, user, fm_gs(in, "reason", NULL),
				    fm_gb(in, "is_direct", 0));
	struct fm_event *e =
	    fm_append(room, "m.room.member", sender, user, c, NULL, NULL, NULL);
	free(c);
	e->appended_us = fm_mono_us();
	event_reply(r, e);
}

/* ---- events
 * ---------------------------------------------------------------------- */

static void ctl_send(const cJSON *in, struct fm_reply *r)
{
	struct fm_room *room = room_arg(in, NULL, r);
	if (!room)
		return;
	const char *sender = fm_gs(in, "sender", NULL);
	cJSON *raw = fm_get(in, "raw");
	if (raw) {
		cJSON *copy = cJSON_Duplicate(raw, 1);
		if (cJSON_IsObject(copy) && sender && !fm_get(copy, "sender"))
			cJSON_AddStringToObject(copy, "sender", sender);
		struct fm_event *e = fm_append_raw(room, copy);
		cJSON_Delete(copy);
		e->appended_us = fm_mono_us();
		event_reply(r, e);
		return;
	}
	if (!fm_is_user_id(sender)) {
		err_reply(r, 400, "sender must be a user id");
		return;
	}
	const char *type = fm_gs(in, "type", "m.room.message");
	cJSON *content = fm_get(in, "content");
	const char *body = fm_gs(in, "body", NULL);
	if (content && !cJSON_IsObject(content)) {
		err_reply(r, 400, "content must be an object");
		return;
	}
	cJSON *sk = fm_get(in, "state_key");
	if (sk && !cJSON_IsString(sk)) {
		err_reply(r, 400, "state_key must be a string");
		return;
	}
	double count = fm_gn(in, "count", 1);
	if (count > 1) {
		if (count > 10000000) {
			err_reply(r, 400, "count too large");
			return;
		}
		if (!body)
			body = fm_gs(content, "body", "message");
		long n = (long)count;
		struct fm_event *last = fm_append_texts(room, sender, body, n);
		int64_t first = last->pos - n + 1;
		cJSON *o = cJSON_CreateObject();
		if (n <= 1000) {
			cJSON *ids = cJSON_AddArrayToObject(o, "event_ids");
			for (int64_t p = first; p <= last->pos; p++)
				cJSON_AddItemToArray(
				    ids,
				    cJSON_CreateString(fm_ev(p)->event_id));
		}
		cJSON_AddNumberToObject(o, "first_pos", (double)first);
		cJSON_AddNumberToObject(o, "last_pos", (double)last->pos);
		cJSON_AddNumberToObject(o, "count", (double)n);
		ok_reply(r, o);
		return;
	}
	cJSON *c = content ? cJSON_Duplicate(content, 1) : cJSON_CreateObject();
	if (!content || body) {
		if (!fm_get(c, "msgtype"))
			cJSON_AddStringToObject(c, "msgtype", "m.text");
		cJSON_DeleteItemFromObjectCaseSensitive(c, "body");
		cJSON_AddStringToObject(c, "body", body ? body : "");
	}
	char *s = cJSON_PrintUnformatted(c);
	struct fm_event *e = fm_append(
	    room, type, sender, sk ? sk->valuestring : NULL, s, c, NULL, NULL);
	free(s);
	cJSON_Delete(c);
	e->appended_us = fm_mono_us();
	event_reply(r, e);
}

static void ctl_redact(const cJSON *in, struct fm_reply *r)
{
	struct fm_room *room = room_arg(in, NULL, r);
	if (!room)
		return;
	const char *sender = fm_gs(in, "sender", NULL);
	const char *eid = fm_gs(in, "event_id", NULL);
	if (!fm_is_user_id(sender) || !eid) {
		err_reply(r, 400, "sender (a user id) and event_id needed");
		return;
	}
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "redacts", eid);
	const char *reason = fm_gs(in, "reason", NULL);
	if (reason)
		cJSON_AddStringToObject(c, "reason", reason);
	char *s = cJSON_PrintUnformatted(c);
	struct fm_event *e =
	    fm_append(room, "m.room.redaction", sender, NULL, s, c, NULL, NULL);
	free(s);
	cJSON_Delete(c);
	e->appended_us = fm_mono_us();
	event_reply(r, e);
}

/* ---- scripting
 * ------------------------------------------------------------------ */

static struct fm_user *user_arg(const cJSON *in, const char *q,
				struct fm_reply *r)
{
	char def[300];
	snprintf(def, sizeof(def), "@scribe:%s", fs.server_name);
	const char *id = q ? q : fm_gs(in, "user", def);
	struct fm_user *u = fm_user_find(id);
	if (!u)
		err_reply(r, 404, "unknown user %s", id);
	return u;
}

static void ctl_sync_raw(const cJSON *in, struct fm_reply *r)
{
	struct fm_user *u = user_arg(in, NULL, r);
	if (!u)
		return;
	cJSON *rep = fm_get(in, "repeat_bytes");
	const char *body = fm_gs(in, "body", NULL);
	if (!body && !cJSON_IsNumber(rep)) {
		err_reply(r, 400, "body (a string) or repeat_bytes needed");
		return;
	}
	free(u->raw_body);
	free(u->raw_ctype);
	u->raw_body = fm_strdup(body);
	u->raw_ctype = fm_strdup(fm_gs(in, "content_type", NULL));
	u->raw_status = (int)fm_gn(in, "status", 200);
	u->raw_repeat = cJSON_IsNumber(rep) ? (long long)rep->valuedouble : -1;
	u->raw_armed = 1;
	ok_reply(r, cJSON_CreateObject());
}

static void ctl_limit(const cJSON *in, int is_fail, struct fm_reply *r)
{
	const char *ep = fm_gs(in, "endpoint", NULL);
	if (!ep || strlen(ep) >= sizeof(((struct fm_limit *)0)->endpoint)) {
		err_reply(r, 400, "endpoint needed");
		return;
	}
	int count = (int)fm_gn(in, "count", 1);
	/* a new arming replaces the previous one of the same kind */
	for (struct fm_limit **pp = &fs.limits; *pp;) {
		struct fm_limit *l = *pp;
		if (l->is_fail == is_fail && !strcmp(l->endpoint, ep)) {
			*pp = l->next;
			free(l);
		} else {
			pp = &l->next;
		}
	}
	if (count > 0) {
		struct fm_limit *l = calloc(1, sizeof(*l));
		snprintf(l->endpoint, sizeof(l->endpoint), "%s", ep);
		l->count = count;
		l->is_fail = is_fail;
		l->apply = is_fail && fm_gb(in, "apply", 0);
		l->retry_after_ms = (int)fm_gn(in, "retry_after_ms", 1000);
		l->header = fm_gb(in, "header", 1);
		l->status = (int)fm_gn(in, "status", 500);
		snprintf(l->errcode, sizeof(l->errcode), "%s",
			 fm_gs(in, "errcode", "M_UNKNOWN"));
		struct fm_limit **pp = &fs.limits;
		while (*pp)
			pp = &(*pp)->next;
		*pp = l;
	}
	ok_reply(r, cJSON_CreateObject());
}

static void ctl_config(const cJSON *in, struct fm_reply *r)
{
	struct {
		const char *name;
		long *v;
	} longs[] = {{"sync_timeout_max_ms", &fs.sync_timeout_max_ms},
		     {"timeline_limit_max", &fs.timeline_limit_max},
		     {"max_body", &fs.max_body},
		     {"max_upload", &fs.max_upload},
		     {"calls_response_max", &fs.calls_response_max}};
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		cJSON *v = fm_get(in, longs[i].name);
		if (cJSON_IsNumber(v))
			*longs[i].v = (long)v->valuedouble;
	}
	cJSON *v = fm_get(in, "calls_max");
	if (cJSON_IsNumber(v))
		fm_calls_resize((long)v->valuedouble);
	v = fm_get(in, "fail_uploads");
	if (cJSON_IsNumber(v))
		fs.fail_uploads = (int)v->valuedouble;
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		cJSON_AddNumberToObject(o, longs[i].name, (double)*longs[i].v);
	cJSON_AddNumberToObject(o, "calls_max", (double)fs.calls_max);
	cJSON_AddNumberToObject(o, "fail_uploads", fs.fail_uploads);
	ok_reply(r, o);
}

/* ---- reading back
 * ------------------------------------------------------------------ */

static cJSON *parsed_or_null(const char *s)
{
	cJSON *j = s ? cJSON_Parse(s) : NULL;
	return j ? j : cJSON_CreateNull();
}

static void ctl_calls(const struct fm_req *q, struct fm_reply *r)
{
	const char *ep = fm_arg(q, "endpoint");
	const char *user = fm_arg(q, "user");
	cJSON *o = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < fs.calls_n; i++) {
		struct fm_call *c =
		    fs.calls[(fs.calls_head + i) % fs.calls_cap];
		if (ep && strcmp(ep, c->endpoint))
			continue;
		if (user && (!c->user || strcmp(user, c->user)))
			continue;
		cJSON *it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "endpoint", c->endpoint);
		cJSON_AddStringToObject(it, "method", c->method);
		cJSON_AddStringToObject(it, "path", c->path);
		cJSON_AddStringToObject(it, "query", c->query);
		if (c->user)
			cJSON_AddStringToObject(it, "user", c->user);
		else
			cJSON_AddNullToObject(it, "user");
		if (c->device)
			cJSON_AddStringToObject(it, "device", c->device);
		else
			cJSON_AddNullToObject(it, "device");
		if (c->body)
			cJSON_AddItemToObject(it, "body",
					      parsed_or_null(c->body));
		else
			cJSON_AddNumberToObject(it, "body",
						(double)c->body_bytes);
		cJSON_AddNumberToObject(it, "status", c->status);
		if (c->errcode)
			cJSON_AddStringToObject(it, "errcode", c->errcode);
		if (c->invalid)
			cJSON_AddStringToObject(it, "invalid", c->invalid);
		if (c->warning)
			cJSON_AddStringToObject(it, "warning", c->warning);
		if (c->response) {
			cJSON_AddItemToObject(it, "response",
					      parsed_or_null(c->response));
		} else {
			cJSON *s = cJSON_AddObjectToObject(it, "response");
			cJSON_AddBoolToObject(s, "truncated", 1);
			cJSON_AddNumberToObject(s, "bytes",
						(double)c->response_bytes);
		}
		cJSON_AddNumberToObject(it, "time_us", (double)c->time_us);
		cJSON_AddItemToArray(items, it);
	}
	ok_reply(r, o);
}

static void ctl_events(const struct fm_req *q, struct fm_reply *r)
{
	struct fm_room *room = room_arg(NULL, fm_arg(q, "room"), r);
	if (!room)
		return;
	struct fm_buf ev = {0};
	fm_buf_str(&ev, "[");
	for (size_t i = 0; i < room->nev; i++) {
		if (i)
			fm_buf_str(&ev, ",");
		fm_render(&ev, fm_ev(room->evpos[i]), NULL, NULL, 1, 1);
	}
	fm_buf_str(&ev, "]");
	r->status = 200;
	r->body.len = 0;
	fm_buf_str(&r->body, "{\"ok\":true,\"room_id\":");
	fm_buf_jstr(&r->body, room->id);
	fm_buf_str(&r->body, ",\"events\":");
	fm_buf_add(&r->body, ev.s, ev.len);
	fm_buf_str(&r->body, ",\"items\":");
	fm_buf_add(&r->body, ev.s, ev.len);
	fm_buf_str(&r->body, "}");
	fm_buf_free(&ev);
}

static void ctl_state(const struct fm_req *q, struct fm_reply *r)
{
	struct fm_room *room = room_arg(NULL, fm_arg(q, "room"), r);
	if (!room)
		return;
	struct fm_buf ev = {0};
	fm_state_events_json(&ev, room, 1);
	r->status = 200;
	r->body.len = 0;
	fm_buf_str(&r->body, "{\"ok\":true,\"room_id\":");
	fm_buf_jstr(&r->body, room->id);
	fm_buf_str(&r->body, ",\"events\":");
	fm_buf_add(&r->body, ev.s, ev.len);
	fm_buf_str(&r->body, ",\"items\":");
	fm_buf_add(&r->body, ev.s, ev.len);
	fm_buf_str(&r->body, "}");
	fm_buf_free(&ev);
}

static void ctl_rooms(struct fm_reply *r)
{
	static const char *names[] = {"",      "join", "invite",
				      "leave", "ban",  "knock"};
	cJSON *o = cJSON_CreateObject();
	cJSON *rooms = cJSON_AddArrayToObject(o, "rooms");
	for (struct fm_room *rm = fs.rooms; rm; rm = rm->next) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "room_id", rm->id);
		cJSON_AddItemToObject(it, "aliases",
				      cJSON_Duplicate(rm->aliases, 1));
		cJSON_AddStringToObject(it, "version", rm->version);
		cJSON_AddStringToObject(it, "creator", rm->creator);
		cJSON *flat = cJSON_AddObjectToObject(it, "state");
		cJSON *by_type = cJSON_AddObjectToObject(it, "state_by_type");
		cJSON *mem = cJSON_AddObjectToObject(it, "members");
		for (size_t i = 0; i < rm->nstate; i++) {
			struct fm_event *e = fm_ev(rm->state[i].pos);
			char key[1024];
			snprintf(key, sizeof(key), "%s/%s", rm->state[i].type,
				 rm->state[i].key);
			cJSON_AddItemToObject(flat, key,
					      parsed_or_null(e->content));
			cJSON *t = fm_get(by_type, rm->state[i].type);
			if (!t)
				t = cJSON_AddObjectToObject(by_type,
							    rm->state[i].type);
			cJSON_AddItemToObject(t, rm->state[i].key,
					      parsed_or_null(e->content));
			if (!strcmp(rm->state[i].type, "m.room.member") &&
			    !e->raw)
				cJSON_AddStringToObject(mem, rm->state[i].key,
							names[e->membership]);
		}
		cJSON_AddNumberToObject(it, "event_count", (double)rm->nev);
		cJSON_AddNumberToObject(it, "last_pos",
					rm->nev ? (double)rm->evpos[rm->nev - 1]
						: 0);
		cJSON_AddItemToArray(rooms, it);
	}
	cJSON_AddNumberToObject(o, "pos", (double)fs.pos);
	ok_reply(r, o);
}

static void ctl_confirmed(const struct fm_req *q, struct fm_reply *r)
{
	struct fm_user *u = user_arg(NULL, fm_arg(q, "user"), r);
	if (!u)
		return;
	struct fm_room *only = NULL;
	if (fm_arg(q, "room") && !(only = room_arg(NULL, fm_arg(q, "room"), r)))
		return;
	int64_t from = 0;
	if (fm_arg(q, "from_pos"))
		from = atoll(fm_arg(q, "from_pos"));
	struct fm_buf *b = &r->body;
	r->status = 200;
	b->len = 0;
	fm_buf_str(b, "{\"ok\":true,\"items\":[");
	size_t m = 0; /* marks are ascending in pos and time */
	int first = 1;
	for (int64_t p = from > 0 ? from : 1; p <= fs.pos; p++) {
		struct fm_event *e = fm_ev(p);
		if (!e->appended_us || (only && e->room != only))
			continue;
		while (m < u->nmarks && u->marks[m].pos < p)
			m++;
		if (!first)
			fm_buf_str(b, ",");
		first = 0;
		fm_buf_str(b, "{\"event_id\":");
		if (e->event_id)
			fm_buf_jstr(b, e->event_id);
		else
			fm_buf_str(b, "null");
		fm_buf_printf(b, ",\"pos\":%lld,\"appended_us\":%llu",
			      (long long)p, (unsigned long long)e->appended_us);
		if (m < u->nmarks)
			fm_buf_printf(b, ",\"confirmed_us\":%llu}",
				      (unsigned long long)u->marks[m].us);
		else
			fm_buf_str(b, ",\"confirmed_us\":null}");
	}
	fm_buf_str(b, "]}");
}

/* ---- routing
 * ---------------------------------------------------------------------- */

void fm_control_handle(const struct fm_req *q, struct fm_reply *r)
{
	const char *p = q->path + strlen("/_control/");
	int get = !strcmp(q->method, "GET"), post = !strcmp(q->method, "POST");
	cJSON *in = NULL;
	r->endpoint = "control";
	if (post) {
		if (q->too_large) {
			err_reply(r, 413, "body too large");
			return;
		}
		in = q->body_len ? cJSON_ParseWithLength(q->body, q->body_len)
				 : cJSON_CreateObject();
		if (!cJSON_IsObject(in)) {
			cJSON_Delete(in);
			err_reply(r, 400, "body must be a JSON object");
			return;
		}
	}
	if (get && !strcmp(p, "health"))
		ok_reply(r, cJSON_CreateObject());
	else if (post && !strcmp(p, "users"))
		ctl_users(in, r);
	else if (post && !strcmp(p, "room"))
		ctl_room(in, r);
	else if (post && !strcmp(p, "invite"))
		ctl_member(in, "invite", r);
	else if (post && !strcmp(p, "join"))
		ctl_member(in, "join", r);
	else if (post && !strcmp(p, "leave"))
		ctl_member(in, "leave", r);
	else if (post && !strcmp(p, "send"))
		ctl_send(in, r);
	else if (post && !strcmp(p, "redact"))
		ctl_redact(in, r);
	else if (post && !strcmp(p, "sync_raw"))
		ctl_sync_raw(in, r);
	else if (post && !strcmp(p, "ratelimit"))
		ctl_limit(in, 0, r);
	else if (post && !strcmp(p, "fail"))
		ctl_limit(in, 1, r);
	else if ((get || post) && !strcmp(p, "config"))
		ctl_config(in, r);
	else if (get && !strcmp(p, "calls"))
		ctl_calls(q, r);
	else if (get && !strcmp(p, "events"))
		ctl_events(q, r);
	else if (get && !strcmp(p, "rooms"))
		ctl_rooms(r);
	else if (get && !strcmp(p, "state"))
		ctl_state(q, r);
	else if (get && !strcmp(p, "confirmed"))
		ctl_confirmed(q, r);
	else if (get && !strcmp(p, "parked")) {
		cJSON *o = cJSON_CreateObject();
		cJSON *items = fm_parked_list();
		cJSON_AddNumberToObject(o, "parked", cJSON_GetArraySize(items));
		cJSON_AddItemToObject(o, "items", items);
		ok_reply(r, o);
	} else if (post && !strcmp(p, "drop_syncs")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "dropped", fm_drop_syncs());
		ok_reply(r, o);
	} else if (post && !strcmp(p, "clear")) {
		fm_calls_clear();
		ok_reply(r, cJSON_CreateObject());
	} else
		err_reply(r, 404, "unknown control endpoint %s %s", q->method,
			  p);
	cJSON_Delete(in);
}
