/* fake_matrix_api.c - the Client-Server API of the fake homeserver: routing
 * (/_matrix/client/v3, v1 relations/threads/media, /_matrix/media/v3,
 * discovery), access tokens, armed 429s and failures, transaction-id
 * idempotency per (user, device, path), content validation against the
 * spec's required fields, every endpoint's handler, and the call records
 * read back through /_control/calls.
 */
#include "fake_matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers
 * ----------------------------------------------------------------- */

static void reply_obj(struct fm_reply *r, const char *json)
{
	r->status = 200;
	r->ctype = "application/json";
	r->body.len = 0;
	fm_buf_str(&r->body, json);
}

static void reply_event_id(struct fm_reply *r, const char *event_id)
{
	r->status = 200;
	r->ctype = "application/json";
	r->body.len = 0;
	fm_buf_str(&r->body, "{\"event_id\":");
	fm_buf_jstr(&r->body, event_id);
	fm_buf_str(&r->body, "}");
}

static void set_invalid(struct fm_reply *r, int status, const char *errcode,
			const char *why)
{
	fm_reply_err(r, status, errcode, "%s", why);
	free(r->invalid);
	r->invalid = strdup(why);
}

/* The JSON object body; replies M_NOT_JSON / M_BAD_JSON and returns NULL
 * when it is not one. An empty body is {} when allow_empty. */
static cJSON *json_body(const struct fm_req *q, struct fm_reply *r,
			int allow_empty)
{
	if (!q->body_len && allow_empty)
		return cJSON_CreateObject();
	cJSON *j = cJSON_ParseWithLength(q->body, q->body_len);
	if (!j) {
		fm_reply_err(r, 400, "M_NOT_JSON", "Content not JSON.");
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		fm_reply_err(r, 400, "M_BAD_JSON",
			     "Content must be a JSON object.");
		return NULL;
	}
	return j;
}

static const char *local_of(const char *user_id, char *out, size_t cap)
{
	const char *c = strchr(user_id, ':');
	size_t n = c ? (size_t)(c - user_id - 1) : strlen(user_id);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, user_id + 1, n);
	out[n] = '\0';
	return out;
}

static void not_in_room(struct fm_reply *r, const char *user,
			const struct fm_room *room, const char *room_arg)
{
	fm_reply_err(r, 403, "M_FORBIDDEN", "User %s not in room %s", user,
		     room ? room->id : room_arg);
}

/* ---- login, logout, whoami
 * ---------------------------------------------------- */

static void login_post(const struct fm_req *q, struct fm_reply *r)
{
	cJSON *j = json_body(q, r, 0);
	if (!j)
		return;
	const char *type = fm_gs(j, "type", NULL);
	if (!type || strcmp(type, "m.login.password")) {
		fm_reply_err(r, 400, "M_UNKNOWN", "Unknown login type %s",
			     type ? type : "(none)");
		cJSON_Delete(j);
		return;
	}
	const char *user = NULL;
	cJSON *ident = fm_get(j, "identifier");
	if (ident) {
		if (!cJSON_IsObject(ident) ||
		    strcmp(fm_gs(ident, "type", ""), "m.id.user")) {
			fm_reply_err(r, 400, "M_UNKNOWN",
				     "Unknown login identifier type");
			cJSON_Delete(j);
			return;
		}
		user = fm_gs(ident, "user", NULL);
	} else {
		user = fm_gs(j, "user", NULL); /* deprecated form */
	}
	const char *password = fm_gs(j, "password", NULL);
	cJSON *dev = fm_get(j, "device_id");
	if (!user || !password || (dev && !cJSON_IsString(dev))) {
		fm_reply_err(r, 400, "M_UNKNOWN",
			     "Invalid login submission: identifier.user and "
			     "password must be strings");
		cJSON_Delete(j);
		return;
	}
	char id[300];
	if (user[0] == '@')
		snprintf(id, sizeof(id), "%s", user);
	else
		snprintf(id, sizeof(id), "@%s:%s", user, fs.server_name);
	struct fm_user *u = fm_user_find(id);
	if (!u || !u->password || strcmp(u->password, password)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "Invalid username or password");
		cJSON_Delete(j);
		return;
	}
	char devid[64], rnd[21], token[400], local[256];
	if (dev && *dev->valuestring)
		snprintf(devid, sizeof(devid), "%s", dev->valuestring);
	else
		fm_random_str(devid, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	struct fm_device *d = fm_device_get(u, devid);
	do {
		fm_random_str(
		    rnd, 20,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
		    "yz0123456789");
		snprintf(token, sizeof(token), "syt_%s_%s",
			 local_of(id, local, sizeof(local)), rnd);
	} while (fm_map_get(&fs.tokens, token));
	fm_token_add(token, d);
	free(r->user);
	r->user = strdup(u->id);
	free(r->device);
	r->device = strdup(d->id);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user_id", u->id);
	cJSON_AddStringToObject(o, "access_token", token);
	cJSON_AddStringToObject(o, "device_id", d->id);
	cJSON_AddStringToObject(o, "home_server", fs.server_name);
	cJSON *wk = cJSON_AddObjectToObject(o, "well_known");
	cJSON *hs = cJSON_AddObjectToObject(wk, "m.homeserver");
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fs.port);
	cJSON_AddStringToObject(hs, "base_url", url);
	fm_reply_json(r, 200, o);
	cJSON_Delete(j);
}

/* The access token of a request: the Authorization header, else the
 * deprecated ?access_token=. */
static const char *token_of(const struct fm_req *q)
{
	if (!strncmp(q->auth, "Bearer ", 7))
		return q->auth + 7;
	const char *t = fm_arg(q, "access_token");
	return t && *t ? t : NULL;
}

static void logout(const struct fm_req *q, struct fm_device *d, int all,
		   struct fm_reply *r)
{
	if (!all) {
		fm_map_del(&fs.tokens, token_of(q));
	} else {
		struct fm_map *m = &fs.tokens;
		for (size_t i = 0; i < m->cap; i++) {
			struct fm_device *x = m->vals[i];
			if (x && x->user == d->user) {
				char *k = strdup(m->keys[i]);
				fm_map_del(m, k);
				free(k);
			}
		}
	}
	reply_obj(r, "{}");
}

/* ---- filters
 * ------------------------------------------------------------------ */

static void filter_post(const struct fm_req *q, struct fm_device *d,
			const char *uid, struct fm_reply *r)
{
	if (strcmp(uid, d->user->id)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "Cannot create filters for other users");
		return;
	}
	cJSON *j = json_body(q, r, 0);
	if (!j)
		return;
	cJSON *room = fm_get(j, "room");
	cJSON *lim = fm_get(fm_get(room, "timeline"), "limit");
	if ((room && !cJSON_IsObject(room)) ||
	    (lim && (!cJSON_IsNumber(lim) || lim->valuedouble < 0))) {
		cJSON_Delete(j);
		fm_reply_err(r, 400, "M_BAD_JSON", "Invalid filter");
		return;
	}
	int id = cJSON_GetArraySize(d->user->filters);
	cJSON_AddItemToArray(d->user->filters, j);
	r->status = 200;
	r->body.len = 0;
	fm_buf_printf(&r->body, "{\"filter_id\":\"%d\"}", id);
}

static void filter_get(struct fm_device *d, const char *uid, const char *id,
		       struct fm_reply *r)
{
	if (strcmp(uid, d->user->id)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "Cannot get filters for other users");
		return;
	}
	char *end;
	long n = strtol(id, &end, 10);
	cJSON *f = *end || !*id || n < 0
		       ? NULL
		       : cJSON_GetArrayItem(d->user->filters, (int)n);
	if (!f) {
		fm_reply_err(r, 404, "M_NOT_FOUND", "No such filter");
		return;
	}
	fm_reply_json(r, 200, cJSON_Duplicate(f, 1));
}

/* ---- rooms: create, membership
 * -------------------------------------------------- */

static void create_room(const struct fm_req *q, struct fm_device *d,
			struct fm_reply *r)
{
	cJSON *j = json_body(q, r, 1);
	if (!j)
		return;
	struct fm_room *room = fm_create_room(d->user->id, j, NULL, r);
	cJSON_Delete(j);
	if (!room)
		return;
	r->status = 200;
	r->body.len = 0;
	fm_buf_str(&r->body, "{\"room_id\":");
	fm_buf_jstr(&r->body, room->id);
	fm_buf_str(&r->body, "}");
}

static void member_event(struct fm_room *room, const char *sender,
			 const char *target, const char *membership,
			 const char *reason)
{
	char *c = fm_member_content(membership, target, reason, 0);
	fm_append(room, "m.room.member", sender, target, c, NULL, NULL, NULL);
	free(c);
}

static void invite(const struct fm_req *q, struct fm_device *d,
		   struct fm_room *room, const char *room_arg,
		   struct fm_reply *r)
{
	cJSON *j = json_body(q, r, 0);
	if (!j)
		return;
	const char *me = d->user->id;
	cJSON *uid = fm_get(j, "user_id");
	cJSON *reason = fm_get(j, "reason");
	if (!uid) {
		fm_reply_err(r, 400, "M_MISSING_PARAM", "Missing user_id");
	} else if (!cJSON_IsString(uid) ||
		   (reason && !cJSON_IsString(reason))) {
		fm_reply_err(r, 400, "M_BAD_JSON",
			     "user_id and reason must be strings");
	} else if (!fm_is_user_id(uid->valuestring)) {
		fm_reply_err(r, 400, "M_INVALID_PARAM", "Invalid user_id: %s",
			     uid->valuestring);
	} else if (!room || fm_membership(room, me, NULL) != FM_JOIN) {
		not_in_room(r, me, room, room_arg);
	} else if (fm_power(room, me) < fm_power_named(room, "invite", 0)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "You don't have permission to invite users");
	} else {
		const char *who = uid->valuestring;
		int m = fm_membership(room, who, NULL);
		if (m == FM_JOIN) {
			fm_reply_err(r, 403, "M_FORBIDDEN",
				     "%s is already in the room.", who);
		} else if (m == FM_BAN) {
			fm_reply_err(r, 403, "M_FORBIDDEN",
				     "%s is banned from the room", who);
		} else {
			if (!fm_user_find(who)) {
				char w[400];
				snprintf(w, sizeof(w),
					 "invited unknown user %s", who);
				r->warning = strdup(w);
			}
			if (m != FM_INVITE)
				member_event(room, me, who, "invite",
					     cJSON_IsString(reason)
						 ? reason->valuestring
						 : NULL);
			reply_obj(r, "{}");
		}
	}
	cJSON_Delete(j);
}

static void join(const struct fm_req *q, struct fm_device *d,
		 const char *id_or_alias, struct fm_reply *r)
{
	cJSON *j = json_body(q, r, 1);
	if (!j)
		return;
	const char *me = d->user->id;
	struct fm_room *room = fm_room_find(id_or_alias);
	if (!room) {
		if (id_or_alias[0] == '#')
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "Room alias %s not found", id_or_alias);
		else
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "No known servers for room %s",
				     id_or_alias);
		cJSON_Delete(j);
		return;
	}
	int m = fm_membership(room, me, NULL);
	struct fm_event *jr =
	    fm_ev(fm_state_get(room, "m.room.join_rules", ""));
	cJSON *jrc = jr ? cJSON_Parse(jr->content) : NULL;
	int public = !strcmp(fm_gs(jrc, "join_rule", "invite"), "public");
	cJSON_Delete(jrc);
	if (m == FM_BAN) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "You are banned from this room");
	} else if (m != FM_JOIN && m != FM_INVITE && !public) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "You are not invited to this room.");
	} else {
		if (m != FM_JOIN)
			member_event(room, me, me, "join",
				     fm_gs(j, "reason", NULL));
		r->status = 200;
		r->body.len = 0;
		fm_buf_str(&r->body, "{\"room_id\":");
		fm_buf_jstr(&r->body, room->id);
		fm_buf_str(&r->body, "}");
	}
	cJSON_Delete(j);
}

static void leave(const struct fm_req *q, struct fm_device *d,
		  struct fm_room *room, const char *room_arg,
		  struct fm_reply *r)
{
	cJSON *j = json_body(q, r, 1);
	if (!j)
		return;
	const char *me = d->user->id;
	int m = room ? fm_membership(room, me, NULL) : FM_NONE;
	if (!room) {
		fm_reply_err(r, 404, "M_NOT_FOUND", "Unknown room %s",
			     room_arg);
	} else if (m == FM_JOIN || m == FM_INVITE || m == FM_KNOCK) {
		member_event(room, me, me, "leave", fm_gs(j, "reason", NULL));
		reply_obj(r, "{}");
	} else if (m == FM_LEAVE) {
		reply_obj(r, "{}"); /* already left: nothing to do */
	} else {
		not_in_room(r, me, room, room_arg);
	}
	cJSON_Delete(j);
}

static void members(const struct fm_req *q, struct fm_device *d,
		    struct fm_room *room, const char *room_arg, int joined,
		    struct fm_reply *r)
{
	const char *me = d->user->id;
	if (!room || !fm_ever_joined(room, me, NULL)) {
		not_in_room(r, me, room, room_arg);
		return;
	}
	if (joined && fm_membership(room, me, NULL) != FM_JOIN) {
		not_in_room(r, me, room, room_arg);
		return;
	}
	const char *want = fm_arg(q, "membership");
	const char *not = fm_arg(q, "not_membership");
	static const char *names[] = {"",      "join", "invite",
				      "leave", "ban",  "knock"};
	struct fm_buf *b = &r->body;
	r->status = 200;
	b->len = 0;
	fm_buf_str(b, joined ? "{\"joined\":{" : "{\"chunk\":[");
	int n = 0;
	for (size_t i = 0; i < room->nstate; i++) {
		if (strcmp(room->state[i].type, "m.room.member"))
			continue;
		struct fm_event *e = fm_ev(room->state[i].pos);
		if (!e || e->raw)
			continue;
		const char *mname = names[e->membership];
		if (joined) {
			if (e->membership != FM_JOIN)
				continue;
			char local[256];
			if (n++)
				fm_buf_str(b, ",");
			fm_buf_jstr(b, e->state_key);
			fm_buf_str(b, ":{\"display_name\":");
			fm_buf_jstr(
			    b, local_of(e->state_key, local, sizeof(local)));
			fm_buf_str(b, ",\"avatar_url\":null}");
			continue;
		}
		if ((want && strcmp(want, mname)) ||
		    (not &&!strcmp(not, mname)))
			continue;
		if (n++)
			fm_buf_str(b, ",");
		fm_render(b, e, d->user, d, 1, 0);
	}
	fm_buf_str(b, joined ? "}}" : "]}");
}

/* ---- sending
 * ------------------------------------------------------------------- */

static const char *is_media_msgtype(const char *m)
{
	static const char *t[] = {"m.file", "m.image", "m.audio", "m.video"};
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(m, t[i]))
			return t[i];
	return NULL;
}

/* Checks content against the spec's required fields; on a violation fills
 * the reply (400) with the reason and returns -1. */
static int validate(struct fm_room *room, const char *sender, const char *type,
		    const cJSON *c, struct fm_reply *r)
{
	char why[512];
	if (!strcmp(type, "m.room.message")) {
		const char *mt = fm_gs(c, "msgtype", NULL);
		if (!mt || !fm_gs(c, "body", NULL)) {
			set_invalid(r, 400, "M_BAD_JSON",
				    "m.room.message needs string msgtype and "
				    "body");
			return -1;
		}
		cJSON *fmt = fm_get(c, "format");
		if (fmt && (!cJSON_IsString(fmt) ||
			    !fm_gs(c, "formatted_body", NULL))) {
			set_invalid(r, 400, "M_BAD_JSON",
				    "format needs a string formatted_body");
			return -1;
		}
		const char *media = is_media_msgtype(mt);
		if (media) {
			const char *url = fm_gs(c, "url", NULL);
			cJSON *file = fm_get(c, "file");
			int ok =
			    (url && !strncmp(url, "mxc://", 6)) ||
			    (cJSON_IsObject(file) && fm_gs(file, "url", NULL));
			if (!ok) {
				snprintf(why, sizeof(why),
					 "%s needs url (mxc://) or file",
					 media);
				set_invalid(r, 400, "M_BAD_JSON", why);
				return -1;
			}
		}
	}
	if (!strcmp(type, "m.room.redaction") && !fm_gs(c, "redacts", NULL)) {
		set_invalid(r, 400, "M_BAD_JSON",
			    "m.room.redaction needs string content.redacts");
		return -1;
	}
	cJSON *rel = fm_get(c, "m.relates_to");
	if (!strcmp(type, "m.reaction") &&
	    strcmp(fm_gs(rel, "rel_type", ""), "m.annotation")) {
		set_invalid(r, 400, "M_BAD_JSON",
			    "m.reaction needs m.relates_to with rel_type "
			    "m.annotation");
		return -1;
	}
	if (!rel)
		return 0;
	if (!cJSON_IsObject(rel)) {
		set_invalid(r, 400, "M_BAD_JSON",
			    "m.relates_to must be an object");
		return -1;
	}
	cJSON *rt = fm_get(rel, "rel_type");
	if (!rt || cJSON_IsNull(rt)) {
		cJSON *irt = fm_get(rel, "m.in_reply_to");
		if (!fm_gs(irt, "event_id", NULL)) {
			set_invalid(r, 400, "M_BAD_JSON",
				    "m.relates_to needs rel_type and event_id "
				    "(or m.in_reply_to.event_id for a reply)");
			return -1;
		}
		return 0;
	}
	const char *eid = fm_gs(rel, "event_id", NULL);
	if (!cJSON_IsString(rt) || !eid) {
		set_invalid(r, 400, "M_BAD_JSON",
			    "m.relates_to needs string rel_type and event_id");
		return -1;
	}
	const char *rtype = rt->valuestring;
	struct fm_event *t = fm_event_find(eid);
	if (t && t->room != room)
		t = NULL;
	if (!strcmp(rtype, "m.replace")) {
		if (!cJSON_IsObject(fm_get(c, "m.new_content"))) {
			set_invalid(r, 400, "M_BAD_JSON",
				    "m.replace needs an m.new_content object");
			return -1;
		}
		const char *bad = NULL;
		if (!t)
			bad = "m.replace target is not a known event of "
			      "this room";
		else if (t->raw)
			bad = NULL;
		else if (t->rel_type && !strcmp(t->rel_type, "m.replace"))
			bad = "m.replace must target the original event, not "
			      "an edit";
		else if (strcmp(t->sender, sender))
			bad = "m.replace may only edit the sender's own "
			      "events";
		else if (strcmp(t->type, type))
			bad = "m.replace must have the original event's type";
		else if (t->state_key)
			bad = "m.replace cannot edit a state event";
		if (bad) {
			set_invalid(r, 400, "M_INVALID_PARAM", bad);
			return -1;
		}
	} else if (!strcmp(rtype, "m.annotation")) {
		if (!fm_gs(rel, "key", NULL)) {
			set_invalid(r, 400, "M_BAD_JSON",
				    "m.annotation needs a string key");
			return -1;
		}
		if (t && t->rel_type &&
		    (!strcmp(t->rel_type, "m.replace") ||
		     !strcmp(t->rel_type, "m.annotation"))) {
			set_invalid(r, 400, "M_INVALID_PARAM",
				    "cannot annotate an edit or an annotation");
			return -1;
		}
	} else if (!strcmp(rtype, "m.thread")) {
		if (t && t->rel_type) {
			set_invalid(r, 400, "M_INVALID_PARAM",
				    "a thread root cannot itself have a "
				    "rel_type");
			return -1;
		}
	}
	return 0;
}

static int duplicate_annotation(const char *sender, const cJSON *c)
{
	cJSON *rel = fm_get(c, "m.relates_to");
	if (strcmp(fm_gs(rel, "rel_type", ""), "m.annotation"))
		return 0;
	const char *key = fm_gs(rel, "key", "");
	struct fm_event *t = fm_event_find(fm_gs(rel, "event_id", ""));
	if (!t)
		return 0;
	for (struct fm_event *k = fm_ev(t->first_child); k;
	     k = fm_ev(k->next_sibling))
		if (!k->redacted_by && k->rel_type &&
		    !strcmp(k->rel_type, "m.annotation") && k->rel_key &&
		    !strcmp(k->rel_key, key) && k->sender &&
		    !strcmp(k->sender, sender))
			return 1;
	return 0;
}

/* The transaction cache: "status\nbody" per (user, device, path). */
static char *txn_key(const struct fm_device *d, const char *path)
{
	size_t n = strlen(d->user->id) + strlen(d->id) + strlen(path) + 3;
	char *k = malloc(n);
	snprintf(k, n, "%s\n%s\n%s", d->user->id, d->id, path);
	return k;
}

static int txn_replay(const struct fm_req *q, const struct fm_device *d,
		      struct fm_reply *r)
{
	char *k = txn_key(d, q->path);
	const char *v = fm_map_get(&fs.txns, k);
	free(k);
	if (!v)
		return 0;
	r->status = atoi(v);
	r->body.len = 0;
	fm_buf_str(&r->body, strchr(v, '\n') + 1);
	return 1;
}

static void txn_store(const struct fm_req *q, const struct fm_device *d,
		      const struct fm_reply *r)
{
	if (r->status != 200)
		return; /* failures are not cached: a retry runs again */
	char *k = txn_key(d, q->path);
	size_t n = r->body.len + 16;
	char *v = malloc(n);
	snprintf(v, n, "%d\n%s", r->status, r->body.s ? r->body.s : "");
	free(fm_map_del(&fs.txns, k));
	fm_map_put(&fs.txns, k, v);
	free(k);
}

static size_t event_size(const struct fm_room *room, const char *type,
			 const char *sender, const char *state_key,
			 size_t content_len)
{
	/* the client form: content, event_id, origin_server_ts, room_id,
	 * sender, type, state_key and the punctuation */
	return content_len + strlen(type) + strlen(sender) + strlen(room->id) +
	       (state_key ? strlen(state_key) + 16 : 0) + 150;
}

/* Sends an event; content is the parsed body. txn may be NULL (state). */
static void send_event(const struct fm_req *q, struct fm_device *d,
		       struct fm_room *room, const char *room_arg,
		       const char *type, const char *state_key, cJSON *c,
		       const char *txn, struct fm_reply *r)
{
	const char *me = d->user->id;
	if (!room || fm_membership(room, me, NULL) != FM_JOIN) {
		not_in_room(r, me, room, room_arg);
		return;
	}
	long need = fm_power_for(room, type, state_key != NULL);
	long have = fm_power(room, me);
	if (have < need) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "You don't have permission to post that to the "
			     "room. user_level (%ld) < send_level (%ld)",
			     have, need);
		return;
	}
	if (state_key && !strcmp(type, "m.room.member") &&
	    strcmp(state_key, me)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "use /invite, /join or /leave to change other "
			     "users' membership");
		return;
	}
	if (validate(room, me, type, c, r))
		return;
	if (!strcmp(type, "m.room.redaction")) {
		struct fm_event *t = fm_event_find(fm_gs(c, "redacts", ""));
		if (t && t->room == room && t->sender &&
		    strcmp(t->sender, me) &&
		    have < fm_power_named(room, "redact", 50)) {
			fm_reply_err(r, 403, "M_FORBIDDEN",
				     "You don't have permission to redact "
				     "events");
			return;
		}
	}
	char *s = cJSON_PrintUnformatted(c);
	if (event_size(room, type, me, state_key, strlen(s)) > FM_MAX_EVENT) {
		free(s);
		fm_reply_err(r, 413, "M_TOO_LARGE", "event too large");
		return;
	}
	if (duplicate_annotation(me, c)) {
		free(s);
		fm_reply_err(r, 400, "M_DUPLICATE_ANNOTATION",
			     "Can't send same reaction twice");
		return;
	}
	if (state_key) { /* the same state again is not a new event */
		struct fm_event *cur =
		    fm_ev(fm_state_get(room, type, state_key));
		if (cur && !cur->raw && !strcmp(cur->content, s) &&
		    !strcmp(cur->sender, me)) {
			free(s);
			reply_event_id(r, cur->event_id);
			return;
		}
	}
	struct fm_event *e =
	    fm_append(room, type, me, state_key, s, c, txn ? d : NULL, txn);
	free(s);
	reply_event_id(r, e->event_id);
}

static void send_put(const struct fm_req *q, struct fm_device *d,
		     struct fm_room *room, const char *room_arg,
		     const char *type, const char *txn, struct fm_reply *r)
{
	if (txn_replay(q, d, r))
		return;
	cJSON *c = json_body(q, r, 0);
	if (!c)
		return;
	send_event(q, d, room, room_arg, type, NULL, c, txn, r);
	cJSON_Delete(c);
	txn_store(q, d, r);
}

static void redact_put(const struct fm_req *q, struct fm_device *d,
		       struct fm_room *room, const char *room_arg,
		       const char *event_id, const char *txn,
		       struct fm_reply *r)
{
	if (txn_replay(q, d, r))
		return;
	cJSON *c = json_body(q, r, 1);
	if (!c)
		return;
	cJSON *reason = fm_get(c, "reason");
	if (reason && !cJSON_IsString(reason)) {
		fm_reply_err(r, 400, "M_BAD_JSON", "reason must be a string");
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(c, "redacts");
		cJSON_AddStringToObject(c, "redacts", event_id);
		send_event(q, d, room, room_arg, "m.room.redaction", NULL, c,
			   txn, r);
	}
	cJSON_Delete(c);
	txn_store(q, d, r);
}

/* ---- state
 * --------------------------------------------------------------------- */

static void state_put(const struct fm_req *q, struct fm_device *d,
		      struct fm_room *room, const char *room_arg,
		      const char *type, const char *key, struct fm_reply *r)
{
	cJSON *c = json_body(q, r, 0);
	if (!c)
		return;
	const char *bad = NULL;
	if (!strcmp(type, "m.room.name") && !fm_gs(c, "name", NULL))
		bad = "m.room.name needs a string name";
	else if (!strcmp(type, "m.room.topic") && !fm_gs(c, "topic", NULL))
		bad = "m.room.topic needs a string topic";
	else if (!strcmp(type, "m.room.pinned_events") &&
		 !cJSON_IsArray(fm_get(c, "pinned")))
		bad = "m.room.pinned_events needs a pinned array";
	else if (!strcmp(type, "m.room.member") &&
		 !fm_gs(c, "membership", NULL))
		bad = "m.room.member needs a string membership";
	if (bad)
		set_invalid(r, 400, "M_BAD_JSON", bad);
	else
		send_event(q, d, room, room_arg, type, key, c, NULL, r);
	cJSON_Delete(c);
}

static void state_get(const struct fm_req *q, struct fm_device *d,
		      struct fm_room *room, const char *room_arg,
		      const char *type, const char *key, struct fm_reply *r)
{
	const char *me = d->user->id;
	if (!room || !fm_ever_joined(room, me, NULL)) {
		not_in_room(r, me, room, room_arg);
		return;
	}
	r->status = 200;
	r->body.len = 0;
	if (!type) {
		fm_state_events_json(&r->body, room, 1);
		return;
	}
	struct fm_event *e = fm_ev(fm_state_get(room, type, key));
	if (!e) {
		fm_reply_err(r, 404, "M_NOT_FOUND", "Event not found.");
		return;
	}
	const char *fmt = fm_arg(q, "format");
	if (fmt && !strcmp(fmt, "event"))
		fm_render(&r->body, e, d->user, d, 1, 0);
	else
		fm_buf_str(&r->body, e->raw ? "{}" : e->content);
}

/* ---- media
 * ---------------------------------------------------------------------- */

static void upload(const struct fm_req *q, struct fm_device *d,
		   struct fm_reply *r)
{
	if (fs.fail_uploads > 0) {
		fs.fail_uploads--;
		fm_reply_err(r, 500, "M_UNKNOWN", "upload failed (scripted)");
		return;
	}
	struct fm_media *m = fm_media_add(q->ctype, fm_arg(q, "filename"),
					  q->body, q->body_len, d->user->id);
	r->status = 200;
	r->body.len = 0;
	fm_buf_printf(&r->body, "{\"content_uri\":\"mxc://%s/%s\"}",
		      fs.server_name, m->id);
}

static void download(const char *server, const char *id, struct fm_reply *r)
{
	struct fm_media *m = strcmp(server, fs.server_name)
				 ? NULL
				 : fm_map_get(&fs.media_by_id, id);
	if (!m) {
		fm_reply_err(r, 404, "M_NOT_FOUND", "Not found");
		return;
	}
	r->status = 200;
	r->ctype = m->ctype;
	r->body.len = 0;
	fm_buf_add(&r->body, m->data, m->len);
}

/* ---- fixed answers
 * ------------------------------------------------------------------ */

static void versions(struct fm_reply *r)
{
	reply_obj(r,
		  "{\"versions\":[\"r0.0.1\",\"r0.1.0\",\"r0.2.0\",\"r0.3.0\","
		  "\"r0.4.0\",\"r0.5.0\",\"r0.6.0\",\"r0.6.1\",\"v1.1\",\"v1."
		  "2\",\"v1.3\",\"v1.4\",\"v1.5\",\"v1.6\",\"v1.7\",\"v1.8\","
		  "\"v1.9\",\"v1.10\",\"v1.11\",\"v1.12\"],"
		  "\"unstable_features\":{}}");
}

static void capabilities(struct fm_reply *r)
{
	reply_obj(r,
		  "{\"capabilities\":{\"m.change_password\":{\"enabled\":"
		  "false},\"m.set_displayname\":{\"enabled\":false},\"m.set_"
		  "avatar_url\":{\"enabled\":false},\"m.3pid_changes\":{"
		  "\"enabled\":false},\"m.room_versions\":{\"default\":\"10\","
		  "\"available\":{\"1\":\"stable\",\"2\":\"stable\",\"3\":"
		  "\"stable\",\"4\":\"stable\",\"5\":\"stable\",\"6\":"
		  "\"stable\",\"7\":\"stable\",\"8\":\"stable\",\"9\":"
		  "\"stable\",\"10\":\"stable\",\"11\":\"stable\"}}}}");
}

static void pushrules(struct fm_reply *r)
{
	reply_obj(r, "{\"global\":{\"override\":[],\"content\":[],\"room\":"
		     "[],\"sender\":[],\"underride\":[]}}");
}

/* ---- routing
 * --------------------------------------------------------------------- */

enum auth_kind { NO_AUTH, AUTH };

struct route {
	const char *endpoint;
	int auth;
};

/* Splits path into segments in place (empty segments are kept). */
static int split(char *p, char **seg, int max)
{
	int n = 0;
	if (*p == '/')
		p++;
	seg[n++] = p;
	for (; *p && n < max; p++)
		if (*p == '/') {
			*p = '\0';
			seg[n++] = p + 1;
		}
	return n;
}

/* Joins seg[from..n) back with '/' (txn ids and state keys may hold one). */
static char *rest(char **seg, int from, int n)
{
	struct fm_buf b = {0};
	fm_buf_str(&b, "");
	for (int i = from; i < n; i++) {
		if (i > from)
			fm_buf_str(&b, "/");
		fm_buf_str(&b, seg[i]);
	}
	return fm_buf_take(&b);
}

/* Returns 1 (reply filled) when an armed 429 or failure applies. */
static int scripted(const char *endpoint, struct fm_reply *r)
{
	for (struct fm_limit *l = fs.limits; l; l = l->next) {
		if (l->count <= 0 ||
		    (strcmp(l->endpoint, "*") && strcmp(l->endpoint, endpoint)))
			continue;
		l->count--;
		if (l->is_fail && l->apply) {
			r->fail_after = l->status;
			snprintf(r->fail_errcode, sizeof(r->fail_errcode), "%s",
				 l->errcode);
			return 0;
		}
		if (l->is_fail) {
			fm_reply_err(r, l->status, l->errcode,
				     "scripted failure");
			return 1;
		}
		r->status = 429;
		r->body.len = 0;
		fm_buf_printf(&r->body,
			      "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":"
			      "\"Too many requests\",\"retry_after_ms\":%d}",
			      l->retry_after_ms);
		snprintf(r->errcode, sizeof(r->errcode), "M_LIMIT_EXCEEDED");
		if (l->header)
			r->retry_after = (l->retry_after_ms + 999) / 1000;
		if (l->header && r->retry_after < 1)
			r->retry_after = 1;
		return 1;
	}
	return 0;
}

static int m_is(const struct fm_req *q, const char *m)
{
	return !strcmp(q->method, m);
}

#define MAXSEG 16

static void dispatch(const struct fm_req *q, struct fm_reply *r);

void fm_api_handle(const struct fm_req *q, struct fm_reply *r)
{
	r->ctype = "application/json";
	dispatch(q, r);
}

/* Resolves the caller; replies 401 and returns NULL without a good token. */
static struct fm_device *authed(const struct fm_req *q, struct fm_reply *r)
{
	const char *t = token_of(q);
	if (!t) {
		fm_reply_err(r, 401, "M_MISSING_TOKEN", "Missing access token");
		return NULL;
	}
	struct fm_device *d = fm_map_get(&fs.tokens, t);
	if (!d) {
		r->status = 401;
		r->body.len = 0;
		fm_buf_str(
		    &r->body,
		    "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":\"Invalid "
		    "access token passed.\",\"soft_logout\":false}");
		snprintf(r->errcode, sizeof(r->errcode), "M_UNKNOWN_TOKEN");
		return NULL;
	}
	free(r->user);
	r->user = strdup(d->user->id);
	free(r->device);
	r->device = strdup(d->id);
	return d;
}

/* Every route: which endpoint name, which methods, auth or not. The
 * handlers run after the auth and scripted-failure checks. */
static void dispatch(const struct fm_req *q, struct fm_reply *r)
{
	char *path = strdup(q->path);
	char *seg[MAXSEG + 1];
	int n = split(path, seg, MAXSEG);
	const char *ep = NULL;
	const char *methods = NULL; /* allowed, comma-separated */
	int auth = 1;
	int api = 0; /* 1: client v3, 2: client v1, 3: media v3 */

	if (n >= 3 && !strcmp(seg[0], "_matrix") && !strcmp(seg[1], "client") &&
	    !strcmp(seg[2], "versions") && n == 3) {
		ep = "versions", methods = "GET", auth = 0;
	} else if (n == 3 && !strcmp(seg[0], ".well-known") &&
		   !strcmp(seg[1], "matrix") && !strcmp(seg[2], "client")) {
		ep = "wellknown", methods = "GET", auth = 0;
	} else if (n >= 3 && !strcmp(seg[0], "_matrix") &&
		   !strcmp(seg[1], "client") && !strcmp(seg[2], "v3")) {
		api = 1;
	} else if (n >= 3 && !strcmp(seg[0], "_matrix") &&
		   !strcmp(seg[1], "client") && !strcmp(seg[2], "v1")) {
		api = 2;
	} else if (n >= 3 && !strcmp(seg[0], "_matrix") &&
		   !strcmp(seg[1], "media") && !strcmp(seg[2], "v3")) {
		api = 3;
	}
	char **s = seg + 3;
	int k = n - 3;
#define IS(i, lit) (k > (i) && !strcmp(s[i], lit))
	if (api == 1) {
		if (k == 1 && IS(0, "login"))
			ep = "login", methods = "GET,POST", auth = 0;
		else if (k == 1 && IS(0, "logout"))
			ep = "logout", methods = "POST";
		else if (k == 2 && IS(0, "logout") && IS(1, "all"))
			ep = "logout", methods = "POST";
		else if (k == 2 && IS(0, "account") && IS(1, "whoami"))
			ep = "whoami", methods = "GET";
		else if (k == 3 && IS(0, "user") && IS(2, "filter"))
			ep = "filter", methods = "POST";
		else if (k == 4 && IS(0, "user") && IS(2, "filter"))
			ep = "filter", methods = "GET";
		else if (k == 4 && IS(0, "user") && IS(2, "account_data"))
			ep = "account_data", methods = "GET,PUT";
		else if (k == 6 && IS(0, "user") && IS(2, "rooms") &&
			 IS(4, "account_data"))
			ep = "account_data", methods = "GET,PUT";
		else if (k == 1 && IS(0, "sync"))
			ep = "sync", methods = "GET";
		else if (k == 1 && IS(0, "createRoom"))
			ep = "createRoom", methods = "POST";
		else if (k == 1 && IS(0, "joined_rooms"))
			ep = "joined_rooms", methods = "GET";
		else if (k == 2 && IS(0, "join"))
			ep = "join", methods = "POST";
		else if (k >= 1 && IS(0, "pushrules"))
			ep = "pushrules", methods = "GET,PUT,DELETE";
		else if (k == 1 && IS(0, "capabilities"))
			ep = "capabilities", methods = "GET";
		else if (k == 3 && IS(0, "presence") && IS(2, "status"))
			ep = "presence", methods = "GET,PUT";
		else if ((k == 2 || k == 3) && IS(0, "profile"))
			ep = "profile", methods = "GET";
		else if (k == 2 && IS(0, "voip") && IS(1, "turnServer"))
			ep = "voip", methods = "GET";
		else if (k == 3 && IS(0, "directory") && IS(1, "room"))
			ep = "directory", methods = "GET";
		else if (k >= 2 && IS(0, "rooms")) {
			if (k == 3 && IS(2, "invite"))
				ep = "invite", methods = "POST";
			else if (k == 3 && IS(2, "join"))
				ep = "join", methods = "POST";
			else if (k == 3 && (IS(2, "leave") || IS(2, "forget")))
				ep = "leave", methods = "POST";
			else if (k == 3 && IS(2, "joined_members"))
				ep = "members", methods = "GET";
			else if (k == 3 && IS(2, "members"))
				ep = "members", methods = "GET";
			else if (k >= 5 && IS(2, "send"))
				ep = "send", methods = "PUT";
			else if (k == 3 && IS(2, "state"))
				ep = "state", methods = "GET";
			else if (k >= 4 && IS(2, "state"))
				ep = "state", methods = "GET,PUT";
			else if (k >= 5 && IS(2, "redact"))
				ep = "redact", methods = "PUT";
			else if (k == 3 && IS(2, "messages"))
				ep = "messages", methods = "GET";
			else if (k == 4 && IS(2, "event"))
				ep = "event", methods = "GET";
			else if (k == 4 && IS(2, "typing"))
				ep = "typing", methods = "PUT";
			else if ((k == 5 && IS(2, "receipt")) ||
				 (k == 3 && IS(2, "read_markers")))
				ep = "receipt", methods = "POST";
		}
	} else if (api == 2) {
		if (k >= 4 && k <= 6 && IS(0, "rooms") && IS(2, "relations"))
			ep = "relations", methods = "GET";
		else if (k == 3 && IS(0, "rooms") && IS(2, "threads"))
			ep = "threads", methods = "GET";
		else if (k == 2 && IS(0, "media") && IS(1, "config"))
			ep = "media_config", methods = "GET";
		else if ((k == 4 || k == 5) && IS(0, "media") &&
			 IS(1, "download"))
			ep = "download", methods = "GET";
	} else if (api == 3) {
		if (k == 1 && IS(0, "upload"))
			ep = "upload", methods = "POST";
		else if ((k == 3 || k == 4) && IS(0, "download"))
			ep = "download", methods = "GET", auth = 0;
		else if (k == 1 && IS(0, "config"))
			ep = "media_config", methods = "GET";
	}
	r->endpoint = ep ? ep : "other";
	if (m_is(q, "OPTIONS")) { /* CORS preflight: any path, as Synapse */
		r->endpoint = "options";
		reply_obj(r, "{}");
		goto out;
	}
	if (!ep) {
		fm_reply_err(r, 404, "M_UNRECOGNIZED", "Unrecognized request");
		goto out;
	}
	{
		char m[12];
		snprintf(m, sizeof(m), "%s", q->method);
		int allowed = 0;
		const char *p = methods;
		size_t ml = strlen(m);
		while (p && *p) {
			if (!strncmp(p, m, ml) && (p[ml] == ',' || !p[ml]))
				allowed = 1;
			p = strchr(p, ',');
			if (p)
				p++;
		}
		if (!allowed && !(m_is(q, "HEAD") && strstr(methods, "GET"))) {
			fm_reply_err(r, 405, "M_UNRECOGNIZED",
				     "Unrecognized request");
			goto out;
		}
	}
	if (q->too_large) {
		fm_reply_err(r, 413, "M_TOO_LARGE", "Request body too large");
		goto out;
	}
	struct fm_device *d = NULL;
	if (auth && !(d = authed(q, r)))
		goto out;
	if (scripted(ep, r))
		goto out;

	/* the handlers */
	if (!strcmp(ep, "versions")) {
		versions(r);
	} else if (!strcmp(ep, "wellknown")) {
		r->status = 200;
		fm_buf_printf(&r->body,
			      "{\"m.homeserver\":{\"base_url\":"
			      "\"http://127.0.0.1:%d\"}}",
			      fs.port);
	} else if (!strcmp(ep, "login")) {
		if (m_is(q, "POST"))
			login_post(q, r);
		else
			reply_obj(r, "{\"flows\":[{\"type\":\"m.login."
				     "password\"}]}");
	} else if (!strcmp(ep, "logout")) {
		logout(q, d, k == 2, r);
	} else if (!strcmp(ep, "whoami")) {
		r->status = 200;
		fm_buf_str(&r->body, "{\"user_id\":");
		fm_buf_jstr(&r->body, d->user->id);
		fm_buf_str(&r->body, ",\"device_id\":");
		fm_buf_jstr(&r->body, d->id);
		fm_buf_str(&r->body, ",\"is_guest\":false}");
	} else if (!strcmp(ep, "filter")) {
		if (k == 3)
			filter_post(q, d, s[1], r);
		else
			filter_get(d, s[1], s[3], r);
	} else if (!strcmp(ep, "account_data")) {
		if (m_is(q, "PUT")) {
			cJSON *j = json_body(q, r, 0);
			if (j)
				reply_obj(r, "{}");
			cJSON_Delete(j);
		} else {
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "Account data not found");
		}
	} else if (!strcmp(ep, "sync")) {
		fm_sync_handle(q, d, r);
	} else if (!strcmp(ep, "createRoom")) {
		create_room(q, d, r);
	} else if (!strcmp(ep, "joined_rooms")) {
		r->status = 200;
		fm_buf_str(&r->body, "{\"joined_rooms\":[");
		int first = 1;
		for (struct fm_room *rm = fs.rooms; rm; rm = rm->next)
			if (fm_membership(rm, d->user->id, NULL) == FM_JOIN) {
				if (!first)
					fm_buf_str(&r->body, ",");
				first = 0;
				fm_buf_jstr(&r->body, rm->id);
			}
		fm_buf_str(&r->body, "]}");
	} else if (!strcmp(ep, "join")) {
		join(q, d, k == 2 ? s[1] : s[1], r);
	} else if (!strcmp(ep, "pushrules")) {
		if (k == 1 || (k == 2 && !*s[1]))
			pushrules(r);
		else if (m_is(q, "GET"))
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "Unknown push rule");
		else
			reply_obj(r, "{}");
	} else if (!strcmp(ep, "capabilities")) {
		capabilities(r);
	} else if (!strcmp(ep, "presence")) {
		reply_obj(r,
			  m_is(q, "PUT") ? "{}" : "{\"presence\":\"online\"}");
	} else if (!strcmp(ep, "profile")) {
		if (!fm_user_find(s[1])) {
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "Profile not found");
		} else {
			char local[256];
			r->status = 200;
			fm_buf_str(&r->body, "{\"displayname\":");
			fm_buf_jstr(&r->body,
				    local_of(s[1], local, sizeof(local)));
			fm_buf_str(&r->body, "}");
		}
	} else if (!strcmp(ep, "voip")) {
		reply_obj(r, "{}");
	} else if (!strcmp(ep, "directory")) {
		struct fm_room *rm = fm_room_find(s[2]);
		if (!rm || s[2][0] != '#') {
			fm_reply_err(r, 404, "M_NOT_FOUND",
				     "Room alias %s not found", s[2]);
		} else {
			r->status = 200;
			fm_buf_str(&r->body, "{\"room_id\":");
			fm_buf_jstr(&r->body, rm->id);
			fm_buf_str(&r->body, ",\"servers\":[");
			fm_buf_jstr(&r->body, fs.server_name);
			fm_buf_str(&r->body, "]}");
		}
	} else if (!strcmp(ep, "upload")) {
		upload(q, d, r);
	} else if (!strcmp(ep, "download")) {
		int base = api == 2 ? 2 : 1;
		download(s[base], s[base + 1], r);
	} else if (!strcmp(ep, "media_config")) {
		r->status = 200;
		fm_buf_printf(&r->body, "{\"m.upload.size\":%ld}",
			      fs.max_upload);
	} else if (api == 2 && IS(0, "rooms")) {
		struct fm_room *room = fm_room_find(s[1]);
		if (!strcmp(ep, "relations"))
			fm_relations_handle(q, d, room, s[3],
					    k >= 5 ? s[4] : NULL,
					    k >= 6 ? s[5] : NULL, r);
		else
			fm_threads_handle(q, d, room, r);
	} else if (api == 1 && IS(0, "rooms")) {
		const char *rid = s[1];
		struct fm_room *room = fm_room_find(rid);
		if (room && rid[0] == '#')
			room = NULL; /* rooms/{roomId}: ids only */
		if (!strcmp(ep, "invite")) {
			invite(q, d, room, rid, r);
		} else if (!strcmp(ep, "join")) {
			join(q, d, rid, r);
		} else if (!strcmp(ep, "leave")) {
			leave(q, d, room, rid, r);
		} else if (!strcmp(ep, "members")) {
			members(q, d, room, rid, IS(2, "joined_members"), r);
		} else if (!strcmp(ep, "send")) {
			char *txn = rest(s, 4, k);
			send_put(q, d, room, rid, s[3], txn, r);
			free(txn);
		} else if (!strcmp(ep, "redact")) {
			char *txn = rest(s, 4, k);
			redact_put(q, d, room, rid, s[3], txn, r);
			free(txn);
		} else if (!strcmp(ep, "state")) {
			char *key = k >= 5 ? rest(s, 4, k) : strdup("");
			if (m_is(q, "PUT"))
				state_put(q, d, room, rid, s[3], key, r);
			else
				state_get(q, d, room, rid, k >= 4 ? s[3] : NULL,
					  key, r);
			free(key);
		} else if (!strcmp(ep, "messages")) {
			fm_messages_handle(q, d, room, r);
		} else if (!strcmp(ep, "event")) {
			struct fm_event *e = fm_event_find(s[3]);
			if (!room || !fm_ever_joined(room, d->user->id, NULL))
				not_in_room(r, d->user->id, room, rid);
			else if (!e || e->room != room)
				fm_reply_err(r, 404, "M_NOT_FOUND",
					     "Event not found.");
			else {
				r->status = 200;
				fm_render(&r->body, e, d->user, d, 1, 1);
			}
		} else {
			reply_obj(r, "{}"); /* typing, receipts */
		}
	}
#undef IS
	if (r->fail_after) { /* the request took effect; the answer fails */
		if (r->wait) {
			fm_sync_wait_free(r->wait);
			r->wait = NULL;
		}
		fm_reply_err(r, r->fail_after, r->fail_errcode,
			     "scripted failure (the request was applied)");
	}
out:
	if (!r->status)
		r->status = 200;
	free(path);
}

/* ---- call records
 * ----------------------------------------------------------------- */

void fm_api_record(const struct fm_req *q, const struct fm_reply *r)
{
	struct fm_call *c = calloc(1, sizeof(*c));
	c->endpoint = r->endpoint ? r->endpoint : "other";
	snprintf(c->method, sizeof(c->method), "%s", q->method);
	c->path = strdup(q->path);
	struct fm_buf qs = {0};
	fm_buf_str(&qs, "");
	for (int i = 0; i < q->nargs; i++) {
		if (i)
			fm_buf_str(&qs, "&");
		fm_buf_str(&qs, q->args[i]);
	}
	c->query = fm_buf_take(&qs);
	c->user = fm_strdup(r->user);
	c->device = fm_strdup(r->device);
	c->body_bytes = q->body_len;
	if (q->body_len && q->body_len <= (size_t)fs.calls_response_max &&
	    strcmp(c->endpoint, "upload")) {
		cJSON *j = cJSON_ParseWithLength(q->body, q->body_len);
		if (j)
			c->body = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
	}
	c->status = r->status;
	c->errcode = r->errcode[0] ? strdup(r->errcode) : NULL;
	c->invalid = fm_strdup(r->invalid);
	c->warning = fm_strdup(r->warning);
	size_t rb = r->body.len + (r->repeat > 0 ? (size_t)r->repeat : 0) +
		    (r->tail ? strlen(r->tail) : 0);
	c->response_bytes = rb;
	if (r->body.s && rb <= (size_t)fs.calls_response_max && r->ctype &&
	    strstr(r->ctype, "json") && !r->repeat)
		c->response = strdup(r->body.s);
	c->time_us = q->arrived_us;
	fm_call_add(c);
}
