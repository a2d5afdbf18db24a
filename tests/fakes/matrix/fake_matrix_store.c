/* fake_matrix_store.c - the homeserver's model: users, devices and access
 * tokens; rooms with their current state (type/state_key -> event position),
 * membership and power levels; the global event stream (one position per
 * event, fs.evs[pos - 1]); relations (children lists, thread summaries),
 * redaction (room v11 rules); room creation in the spec's order; uploaded
 * media; and the ring of recorded calls.
 */
#include "fake_matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fm_state fs;

static const char ID_CHARS[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char B64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- users, devices, tokens ---------------------------------------------- */

struct fm_user *fm_user_find(const char *id)
{
	return fm_map_get(&fs.users_by_id, id);
}

struct fm_user *fm_user_add(const char *id, const char *password)
{
	struct fm_user *u = fm_user_find(id);
	if (u) {
		if (password) {
			free(u->password);
			u->password = strdup(password);
		}
		return u;
	}
	u = calloc(1, sizeof(*u));
	u->id = strdup(id);
	u->password = fm_strdup(password);
	u->filters = cJSON_CreateArray();
	u->raw_repeat = -1;
	u->next = fs.users;
	fs.users = u;
	fm_map_put(&fs.users_by_id, id, u);
	return u;
}

struct fm_device *fm_device_get(struct fm_user *u, const char *device_id)
{
	char key[512];
	snprintf(key, sizeof(key), "%s\n%s", u->id, device_id);
	struct fm_device *d = fm_map_get(&fs.devices_by_key, key);
	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	d->user = u;
	d->id = strdup(device_id);
	d->next = fs.devices;
	fs.devices = d;
	fm_map_put(&fs.devices_by_key, key, d);
	return d;
}

void fm_token_add(const char *token, struct fm_device *d)
{
	fm_map_put(&fs.tokens, token, d);
}

static void builtin_user(const char *local, const char *password,
			 const char *token, const char *device)
{
	char id[256];
	snprintf(id, sizeof(id), "@%s:%s", local, fs.server_name);
	struct fm_user *u = fm_user_add(id, password);
	if (token)
		fm_token_add(token, fm_device_get(u, device));
}

void fm_state_init(void)
{
	fs.sync_timeout_max_ms = 30000;
	fs.timeline_limit_max = FM_LIMIT_MAX;
	fs.max_body = 1024 * 1024;
	fs.max_upload = 50L * 1024 * 1024;
	fs.calls_max = 100000;
	fs.calls_response_max = 65536;
	builtin_user("scribe", "scribe-pass", "syt-fake-scribe-token",
		     "SCRIBEDEV");
	builtin_user("alice", "alice-pass", "syt-fake-alice-token", "ALICEDEV");
	builtin_user("bob", "bob-pass", "syt-fake-bob-token", "BOBDEV");
	builtin_user("carol", "carol-pass", "syt-fake-carol-token", "CAROLDEV");
}

static void free_call(struct fm_call *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->query);
	free(c->user);
	free(c->device);
	free(c->body);
	free(c->errcode);
	free(c->invalid);
	free(c->warning);
	free(c->response);
	free(c);
}

void fm_state_free(void)
{
	for (int64_t p = 1; p <= fs.pos; p++) {
		struct fm_event *e = fs.evs[p - 1];
		free(e->event_id);
		free(e->type);
		free(e->sender);
		free(e->state_key);
		free(e->content);
		free(e->core);
		free(e->txn_id);
		free(e->rel_type);
		free(e->rel_key);
		free(e);
	}
	free(fs.evs);
	while (fs.rooms) {
		struct fm_room *r = fs.rooms;
		fs.rooms = r->next;
		for (size_t i = 0; i < r->nstate; i++) {
			free(r->state[i].type);
			free(r->state[i].key);
		}
		free(r->state);
		free(r->evpos);
		cJSON_Delete(r->pl);
		cJSON_Delete(r->aliases);
		free(r->id);
		free(r->version);
		free(r->creator);
		free(r);
	}
	while (fs.users) {
		struct fm_user *u = fs.users;
		fs.users = u->next;
		free(u->id);
		free(u->password);
		cJSON_Delete(u->filters);
		free(u->raw_body);
		free(u->raw_ctype);
		free(u->marks);
		free(u);
	}
	while (fs.devices) {
		struct fm_device *d = fs.devices;
		fs.devices = d->next;
		free(d->id);
		free(d);
	}
	while (fs.media) {
		struct fm_media *m = fs.media;
		fs.media = m->next;
		free(m->id);
		free(m->ctype);
		free(m->filename);
		free(m->data);
		free(m->uploader);
		free(m);
	}
	while (fs.limits) {
		struct fm_limit *l = fs.limits;
		fs.limits = l->next;
		free(l);
	}
	fm_calls_clear();
	free(fs.calls);
	fm_map_free(&fs.users_by_id, NULL);
	fm_map_free(&fs.devices_by_key, NULL);
	fm_map_free(&fs.tokens, NULL);
	fm_map_free(&fs.txns, free);
	fm_map_free(&fs.rooms_by_id, NULL);
	fm_map_free(&fs.aliases, NULL);
	fm_map_free(&fs.events_by_id, NULL);
	fm_map_free(&fs.media_by_id, NULL);
}

/* ---- rooms and state ------------------------------------------------------
 */

struct fm_room *fm_room_find(const char *id_or_alias)
{
	if (!id_or_alias)
		return NULL;
	if (id_or_alias[0] == '#')
		return fm_map_get(&fs.aliases, id_or_alias);
	return fm_map_get(&fs.rooms_by_id, id_or_alias);
}

struct fm_room *fm_room_new(const char *room_id, const char *creator,
			    const char *version)
{
	struct fm_room *r = calloc(1, sizeof(*r));
	char id[300];
	if (room_id) {
		snprintf(id, sizeof(id), "%s", room_id);
	} else {
		char rnd[19];
		do {
			fm_random_str(rnd, 18, ID_CHARS);
			snprintf(id, sizeof(id), "!%s:%s", rnd, fs.server_name);
		} while (fm_room_find(id));
	}
	r->id = strdup(id);
	r->creator = strdup(creator);
	r->version = strdup(version ? version : "10");
	r->aliases = cJSON_CreateArray();
	if (fs.rooms_tail)
		fs.rooms_tail->next = r;
	else
		fs.rooms = r;
	fs.rooms_tail = r;
	fm_map_put(&fs.rooms_by_id, r->id, r);
	return r;
}

int64_t fm_state_get(const struct fm_room *r, const char *type, const char *key)
{
	for (size_t i = 0; i < r->nstate; i++)
		if (!strcmp(r->state[i].type, type) &&
		    !strcmp(r->state[i].key, key))
			return r->state[i].pos;
	return 0;
}

static int64_t state_set(struct fm_room *r, const char *type, const char *key,
			 int64_t pos)
{
	for (size_t i = 0; i < r->nstate; i++)
		if (!strcmp(r->state[i].type, type) &&
		    !strcmp(r->state[i].key, key)) {
			int64_t prev = r->state[i].pos;
			r->state[i].pos = pos;
			return prev;
		}
	if (r->nstate == r->capstate) {
		r->capstate = r->capstate ? r->capstate * 2 : 16;
		r->state = realloc(r->state, r->capstate * sizeof(*r->state));
	}
	r->state[r->nstate].type = strdup(type);
	r->state[r->nstate].key = strdup(key);
	r->state[r->nstate].pos = pos;
	r->nstate++;
	return 0;
}

int fm_membership(const struct fm_room *r, const char *user, int64_t *pos)
{
	int64_t p = user ? fm_state_get(r, "m.room.member", user) : 0;
	if (pos)
		*pos = p;
	struct fm_event *e = fm_ev(p);
	return e ? e->membership : FM_NONE;
}

/* Was `user` ever joined? *leave_pos: the position where that membership
 * ended (the next member event after the last join), 0 = still joined. */
int fm_ever_joined(const struct fm_room *r, const char *user,
		   int64_t *leave_pos)
{
	int64_t after = 0;
	for (struct fm_event *e = fm_ev(fm_state_get(r, "m.room.member", user));
	     e; e = fm_ev(e->prev_state)) {
		if (e->membership == FM_JOIN) {
			if (leave_pos)
				*leave_pos = after;
			return 1;
		}
		after = e->pos;
	}
	return 0;
}

int fm_count_members(const struct fm_room *r, int membership)
{
	int n = 0;
	for (size_t i = 0; i < r->nstate; i++)
		if (!strcmp(r->state[i].type, "m.room.member")) {
			struct fm_event *e = fm_ev(r->state[i].pos);
			if (e && e->membership == membership)
				n++;
		}
	return n;
}

long fm_power(const struct fm_room *r, const char *user)
{
	if (!r->pl)
		return user && !strcmp(user, r->creator) ? 100 : 0;
	cJSON *u = fm_get(fm_get(r->pl, "users"), user ? user : "");
	if (cJSON_IsNumber(u))
		return (long)u->valuedouble;
	return (long)fm_gn(r->pl, "users_default", 0);
}

long fm_power_for(const struct fm_room *r, const char *type, int is_state)
{
	if (!r->pl)
		return 0;
	cJSON *e = fm_get(fm_get(r->pl, "events"), type);
	if (cJSON_IsNumber(e))
		return (long)e->valuedouble;
	return is_state ? (long)fm_gn(r->pl, "state_default", 50)
			: (long)fm_gn(r->pl, "events_default", 0);
}

long fm_power_named(const struct fm_room *r, const char *name, long def)
{
	return r->pl ? (long)fm_gn(r->pl, name, (double)def) : 0;
}

char *fm_member_content(const char *membership, const char *user,
			const char *reason, int is_direct)
{
	struct fm_buf b = {0};
	fm_buf_str(&b, "{\"membership\":");
	fm_buf_jstr(&b, membership);
	if (user &&
	    (!strcmp(membership, "join") || !strcmp(membership, "invite"))) {
		char local[256];
		const char *c = strchr(user, ':');
		size_t n = c ? (size_t)(c - user - 1) : strlen(user);
		if (n >= sizeof(local))
			n = sizeof(local) - 1;
		memcpy(local, user + 1, n);
		local[n] = '\0';
		fm_buf_str(&b, ",\"displayname\":");
		fm_buf_jstr(&b, local);
	}
	if (reason) {
		fm_buf_str(&b, ",\"reason\":");
		fm_buf_jstr(&b, reason);
	}
	if (is_direct)
		fm_buf_str(&b, ",\"is_direct\":true");
	fm_buf_str(&b, "}");
	return fm_buf_take(&b);
}

/* ---- events ----------------------------------------------------------------
 */

struct fm_event *fm_event_find(const char *event_id)
{
	return fm_map_get(&fs.events_by_id, event_id);
}

static void build_core(struct fm_event *e, const char *redacts)
{
	struct fm_buf b = {0};
	fm_buf_str(&b, "\"content\":");
	fm_buf_str(&b, e->content);
	fm_buf_str(&b, ",\"event_id\":");
	fm_buf_jstr(&b, e->event_id);
	fm_buf_printf(&b, ",\"origin_server_ts\":%lld", (long long)e->ts);
	fm_buf_str(&b, ",\"sender\":");
	fm_buf_jstr(&b, e->sender);
	if (e->state_key) {
		fm_buf_str(&b, ",\"state_key\":");
		fm_buf_jstr(&b, e->state_key);
	}
	fm_buf_str(&b, ",\"type\":");
	fm_buf_jstr(&b, e->type);
	if (redacts) {
		fm_buf_str(&b, ",\"redacts\":");
		fm_buf_jstr(&b, redacts);
	}
	free(e->core);
	e->core = fm_buf_take(&b);
}

static void push_event(struct fm_room *r, struct fm_event *e)
{
	if ((size_t)fs.pos == fs.capevs) {
		fs.capevs = fs.capevs ? fs.capevs * 2 : 1024;
		fs.evs = realloc(fs.evs, fs.capevs * sizeof(*fs.evs));
		if (!fs.evs)
			abort();
	}
	e->pos = ++fs.pos;
	fs.evs[e->pos - 1] = e;
	if (r->nev == r->capev) {
		r->capev = r->capev ? r->capev * 2 : 64;
		r->evpos = realloc(r->evpos, r->capev * sizeof(*r->evpos));
		if (!r->evpos)
			abort();
	}
	r->evpos[r->nev++] = e->pos;
	e->room = r;
}

static void new_event_id(char out[48])
{
	do {
		out[0] = '$';
		fm_random_str(out + 1, 43, B64URL);
	} while (fm_event_find(out));
}

static int64_t now_ms(void)
{
	return (int64_t)(fm_now_us() / 1000);
}

/* The keys a redaction keeps (room v11 rules). */
static char *redacted_content(const char *type, const char *content)
{
	static const char *keep[][10] = {
	    {"m.room.member", "membership", "join_authorised_via_users_server",
	     "third_party_invite", NULL},
	    {"m.room.join_rules", "join_rule", "allow", NULL},
	    {"m.room.power_levels", "ban", "events", "events_default", "invite",
	     "kick", "redact", "state_default", "users", "users_default"},
	    {"m.room.history_visibility", "history_visibility", NULL},
	    {"m.room.redaction", "redacts", NULL},
	};
	if (type && !strcmp(type, "m.room.create"))
		return strdup(content);
	cJSON *in = cJSON_Parse(content);
	cJSON *out = cJSON_CreateObject();
	for (size_t i = 0; type && i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (strcmp(keep[i][0], type))
			continue;
		for (size_t k = 1; k < 10 && keep[i][k]; k++) {
			cJSON *v = fm_get(in, keep[i][k]);
			if (!v)
				continue;
			if (!strcmp(keep[i][k], "third_party_invite")) {
				cJSON *s = fm_get(v, "signed");
				if (!s)
					continue;
				cJSON *t = cJSON_AddObjectToObject(
				    out, "third_party_invite");
				cJSON_AddItemToObject(t, "signed",
						      cJSON_Duplicate(s, 1));
				continue;
			}
			cJSON_AddItemToObject(out, keep[i][k],
					      cJSON_Duplicate(v, 1));
		}
	}
	char *s = cJSON_PrintUnformatted(out);
	cJSON_Delete(in);
	cJSON_Delete(out);
	return s;
}

static void refresh_pl(struct fm_room *r)
{
	cJSON_Delete(r->pl);
	r->pl = NULL;
	struct fm_event *e = fm_ev(fm_state_get(r, "m.room.power_levels", ""));
	if (e && e->content)
		r->pl = cJSON_Parse(e->content);
}

/* Recounts a thread root's replies after one was redacted. */
static void recount_thread(struct fm_event *root)
{
	root->thread_count = 0;
	root->thread_latest = 0;
	for (struct fm_event *c = fm_ev(root->first_child); c;
	     c = fm_ev(c->next_sibling))
		if (c->rel_type && !strcmp(c->rel_type, "m.thread") &&
		    !c->redacted_by) {
			root->thread_count++;
			root->thread_latest = c->pos;
		}
}

static void apply_redaction(struct fm_event *target, struct fm_event *red)
{
	if (target->raw || target->redacted_by)
		return;
	target->redacted_by = red->pos;
	char *c = redacted_content(target->type, target->content);
	free(target->content);
	target->content = c;
	/* a redacted redaction keeps "redacts" in its content (v11) and at
	 * the top level */
	const char *redacts = NULL;
	cJSON *j = NULL;
	if (!strcmp(target->type, "m.room.redaction")) {
		j = cJSON_Parse(c);
		redacts = fm_gs(j, "redacts", NULL);
	}
	build_core(target, redacts);
	cJSON_Delete(j);
	if (target->state_key && !strcmp(target->type, "m.room.power_levels") &&
	    fm_state_get(target->room, target->type, target->state_key) ==
		target->pos)
		refresh_pl(target->room);
	struct fm_event *parent = fm_ev(target->rel_target);
	if (parent && target->rel_type && !strcmp(target->rel_type, "m.thread"))
		recount_thread(parent);
}

static void link_relation(struct fm_event *e, const cJSON *content)
{
	cJSON *rel = fm_get(content, "m.relates_to");
	const char *rt = fm_gs(rel, "rel_type", NULL);
	const char *target_id = fm_gs(rel, "event_id", NULL);
	if (!rt || !target_id)
		return;
	e->rel_type = strdup(rt);
	const char *key = fm_gs(rel, "key", NULL);
	e->rel_key = fm_strdup(key);
	struct fm_event *t = fm_event_find(target_id);
	if (!t || t->room != e->room || t->pos == e->pos)
		return;
	e->rel_target = t->pos;
	if (t->last_child)
		fm_ev(t->last_child)->next_sibling = e->pos;
	else
		t->first_child = e->pos;
	t->last_child = e->pos;
	if (!strcmp(rt, "m.thread")) {
		t->thread_count++;
		t->thread_latest = e->pos;
	}
}

struct fm_event *fm_append(struct fm_room *r, const char *type,
			   const char *sender, const char *state_key,
			   const char *content, const cJSON *parsed,
			   struct fm_device *txn_dev, const char *txn_id)
{
	struct fm_event *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	char eid[48];
	new_event_id(eid);
	e->event_id = strdup(eid);
	e->type = strdup(type);
	e->sender = strdup(sender);
	e->state_key = fm_strdup(state_key);
	e->content = strdup(content);
	e->ts = now_ms();
	e->txn_dev = txn_dev;
	e->txn_id = fm_strdup(txn_id);
	cJSON *own = NULL;
	if (!parsed && (state_key || !strcmp(type, "m.room.redaction") ||
			strstr(content, "m.relates_to")))
		parsed = own = cJSON_Parse(content);
	const char *redacts = NULL;
	if (!strcmp(type, "m.room.redaction"))
		redacts = fm_gs(parsed, "redacts", NULL);
	if (state_key && !strcmp(type, "m.room.member")) {
		const char *m = fm_gs(parsed, "membership", "");
		e->membership = !strcmp(m, "join")     ? FM_JOIN
				: !strcmp(m, "invite") ? FM_INVITE
				: !strcmp(m, "leave")  ? FM_LEAVE
				: !strcmp(m, "ban")    ? FM_BAN
				: !strcmp(m, "knock")  ? FM_KNOCK
						       : FM_NONE;
	}
	build_core(e, redacts);
	push_event(r, e);
	fm_map_put(&fs.events_by_id, e->event_id, e);
	if (state_key) {
		e->prev_state = state_set(r, type, state_key, e->pos);
		if (!strcmp(type, "m.room.power_levels") && !*state_key)
			refresh_pl(r);
	}
	link_relation(e, parsed);
	if (redacts) {
		struct fm_event *t = fm_event_find(redacts);
		if (t && t->room == r)
			apply_redaction(t, e);
	}
	cJSON_Delete(own);
	fm_notify();
	return e;
}

struct fm_event *fm_append_raw(struct fm_room *r, cJSON *raw)
{
	struct fm_event *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->raw = 1;
	e->ts = now_ms();
	if (cJSON_IsObject(raw)) {
		if (!fm_get(raw, "event_id")) {
			char eid[48];
			new_event_id(eid);
			cJSON_AddStringToObject(raw, "event_id", eid);
		}
		if (!fm_get(raw, "origin_server_ts"))
			cJSON_AddNumberToObject(raw, "origin_server_ts",
						(double)e->ts);
		if (!fm_get(raw, "sender"))
			cJSON_AddStringToObject(raw, "sender", r->creator);
		e->event_id = fm_strdup(fm_gs(raw, "event_id", NULL));
		e->type = fm_strdup(fm_gs(raw, "type", NULL));
		e->sender = fm_strdup(fm_gs(raw, "sender", NULL));
		e->state_key = fm_strdup(fm_gs(raw, "state_key", NULL));
		e->ts = (int64_t)fm_gn(raw, "origin_server_ts", (double)e->ts);
	}
	e->core = cJSON_PrintUnformatted(raw);
	e->content = strdup("{}");
	push_event(r, e);
	if (e->event_id && !fm_event_find(e->event_id))
		fm_map_put(&fs.events_by_id, e->event_id, e);
	fm_notify();
	return e;
}

struct fm_event *fm_append_texts(struct fm_room *r, const char *sender,
				 const char *body, long count)
{
	struct fm_buf c = {0};
	struct fm_event *e = NULL;
	for (long i = 1; i <= count; i++) {
		char n[32];
		c.len = 0;
		fm_buf_str(&c, "{\"msgtype\":\"m.text\",\"body\":");
		char *text = malloc(strlen(body) + 24);
		snprintf(n, sizeof(n), " %ld", i);
		strcpy(text, body);
		if (count > 1)
			strcat(text, n);
		fm_buf_jstr(&c, text);
		free(text);
		fm_buf_str(&c, "}");
		e = fm_append(r, "m.room.message", sender, NULL, c.s, NULL,
			      NULL, NULL);
		e->appended_us = fm_mono_us();
	}
	fm_buf_free(&c);
	return e;
}

/* ---- room creation ----------------------------------------------------------
 */

static int valid_version(const char *v)
{
	static const char *ok[] = {"1", "2", "3", "4",  "5", "6",
				   "7", "8", "9", "10", "11"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(v, ok[i]))
			return 1;
	return 0;
}

static void append_json(struct fm_room *r, const char *type, const char *sender,
			const char *key, cJSON *content)
{
	char *s = cJSON_PrintUnformatted(content);
	fm_append(r, type, sender, key, s, content, NULL, NULL);
	free(s);
	cJSON_Delete(content);
}

static int in_initial_state(const cJSON *init, const char *type)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, init) if (!strcmp(fm_gs(it, "type", ""), type) &&
					 !*fm_gs(it, "state_key", "")) return 1;
	return 0;
}

/* Validates a createRoom body; on success creates the room and emits its
 * state events in the spec's order. */
struct fm_room *fm_create_room(const char *creator, const cJSON *body,
			       const char *room_id, struct fm_reply *er)
{
	const cJSON *v;
	const char *preset = NULL, *alias_local = NULL, *version = "10";
	char alias[300] = "";
	if (!cJSON_IsObject(body)) {
		fm_reply_err(er, 400, "M_BAD_JSON",
			     "Content must be a JSON object");
		return NULL;
	}
	if ((v = fm_get(body, "preset"))) {
		if (!cJSON_IsString(v) ||
		    (strcmp(v->valuestring, "private_chat") &&
		     strcmp(v->valuestring, "trusted_private_chat") &&
		     strcmp(v->valuestring, "public_chat"))) {
			fm_reply_err(er, 400, "M_INVALID_PARAM",
				     "preset must be private_chat, "
				     "trusted_private_chat or public_chat");
			return NULL;
		}
		preset = v->valuestring;
	}
	if ((v = fm_get(body, "visibility"))) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "public") &&
					   strcmp(v->valuestring, "private"))) {
			fm_reply_err(er, 400, "M_INVALID_PARAM",
				     "visibility must be public or private");
			return NULL;
		}
		if (!preset)
			preset = !strcmp(v->valuestring, "public")
				     ? "public_chat"
				     : "private_chat";
	}
	if (!preset)
		preset = "private_chat";
	static const char *strs[] = {"name", "topic", "room_alias_name",
				     "room_version"};
	for (size_t i = 0; i < 4; i++)
		if ((v = fm_get(body, strs[i])) && !cJSON_IsString(v)) {
			fm_reply_err(er, 400, "M_BAD_JSON",
				     "%s must be a string", strs[i]);
			return NULL;
		}
	static const char *objs[] = {"power_level_content_override",
				     "creation_content"};
	for (size_t i = 0; i < 2; i++)
		if ((v = fm_get(body, objs[i])) && !cJSON_IsObject(v)) {
			fm_reply_err(er, 400, "M_BAD_JSON",
				     "%s must be an object", objs[i]);
			return NULL;
		}
	if ((v = fm_get(body, "is_direct")) && !cJSON_IsBool(v)) {
		fm_reply_err(er, 400, "M_BAD_JSON",
			     "is_direct must be a boolean");
		return NULL;
	}
	const cJSON *invite = fm_get(body, "invite");
	if (invite) {
		if (!cJSON_IsArray(invite)) {
			fm_reply_err(er, 400, "M_BAD_JSON",
				     "invite must be an array of user ids");
			return NULL;
		}
		cJSON_ArrayForEach(v, invite)
		{
			if (!cJSON_IsString(v)) {
				fm_reply_err(er, 400, "M_BAD_JSON",
					     "invite must be an array of "
					     "user id strings");
				return NULL;
			}
			if (!fm_is_user_id(v->valuestring)) {
				fm_reply_err(er, 400, "M_INVALID_PARAM",
					     "Invalid user_id: %s",
					     v->valuestring);
				return NULL;
			}
		}
	}
	const cJSON *init = fm_get(body, "initial_state");
	if (init) {
		if (!cJSON_IsArray(init)) {
			fm_reply_err(er, 400, "M_BAD_JSON",
				     "initial_state must be an array");
			return NULL;
		}
		cJSON_ArrayForEach(v, init)
		{
			cJSON *sk = fm_get(v, "state_key");
			if (!cJSON_IsObject(v) || !fm_gs(v, "type", NULL) ||
			    !cJSON_IsObject(fm_get(v, "content")) ||
			    (sk && !cJSON_IsString(sk))) {
				fm_reply_err(er, 400, "M_BAD_JSON",
					     "initial_state entries need a "
					     "string type, an object content "
					     "and a string state_key");
				return NULL;
			}
			if (!strcmp(fm_gs(v, "type", ""), "m.room.create") ||
			    !strcmp(fm_gs(v, "type", ""), "m.room.member")) {
				fm_reply_err(er, 400, "M_INVALID_ROOM_STATE",
					     "initial_state may not set %s",
					     fm_gs(v, "type", ""));
				return NULL;
			}
		}
	}
	if ((v = fm_get(body, "room_version"))) {
		if (!valid_version(v->valuestring)) {
			fm_reply_err(er, 400, "M_UNSUPPORTED_ROOM_VERSION",
				     "Your homeserver does not support this "
				     "room version");
			return NULL;
		}
		version = v->valuestring;
	}
	if ((alias_local = fm_gs(body, "room_alias_name", NULL))) {
		if (!*alias_local || strpbrk(alias_local, ": \t\n#") ||
		    strlen(alias_local) > 200) {
			fm_reply_err(er, 400, "M_INVALID_PARAM",
				     "Invalid characters in room alias");
			return NULL;
		}
		snprintf(alias, sizeof(alias), "#%s:%s", alias_local,
			 fs.server_name);
		if (fm_room_find(alias)) {
			fm_reply_err(er, 400, "M_ROOM_IN_USE",
				     "Room alias already taken");
			return NULL;
		}
	}
	if (room_id && fm_room_find(room_id)) {
		fm_reply_err(er, 400, "M_ROOM_IN_USE", "Room id already taken");
		return NULL;
	}

	struct fm_room *r = fm_room_new(room_id, creator, version);
	int trusted = !strcmp(preset, "trusted_private_chat");
	int public = !strcmp(preset, "public_chat");
	cJSON *c;

	/* 1. create */
	v = fm_get(body, "creation_content");
	c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(c, "room_version");
	cJSON_AddStringToObject(c, "room_version", version);
	if (atoi(version) < 11 && !fm_get(c, "creator"))
		cJSON_AddStringToObject(c, "creator", creator);
	append_json(r, "m.room.create", creator, "", c);
	/* 2. the creator joins */
	char *mc = fm_member_content("join", creator, NULL, 0);
	fm_append(r, "m.room.member", creator, creator, mc, NULL, NULL, NULL);
	free(mc);
	/* 3. power levels: Synapse's defaults, the preset, the override */
	c = cJSON_CreateObject();
	cJSON *users = cJSON_AddObjectToObject(c, "users");
	cJSON_AddNumberToObject(users, creator, 100);
	if (trusted && invite)
		cJSON_ArrayForEach(v,
				   invite) if (!fm_get(users, v->valuestring))
		    cJSON_AddNumberToObject(users, v->valuestring, 100);
	cJSON_AddNumberToObject(c, "users_default", 0);
	cJSON *evs = cJSON_AddObjectToObject(c, "events");
	static const struct {
		const char *t;
		int l;
	} ev_levels[] = {{"m.room.name", 50},
			 {"m.room.power_levels", 100},
			 {"m.room.history_visibility", 100},
			 {"m.room.canonical_alias", 50},
			 {"m.room.avatar", 50},
			 {"m.room.tombstone", 100},
			 {"m.room.server_acl", 100},
			 {"m.room.encryption", 100}};
	for (size_t i = 0; i < sizeof(ev_levels) / sizeof(ev_levels[0]); i++)
		cJSON_AddNumberToObject(evs, ev_levels[i].t, ev_levels[i].l);
	cJSON_AddNumberToObject(c, "events_default", 0);
	cJSON_AddNumberToObject(c, "state_default", 50);
	cJSON_AddNumberToObject(c, "ban", 50);
	cJSON_AddNumberToObject(c, "kick", 50);
	cJSON_AddNumberToObject(c, "redact", 50);
	cJSON_AddNumberToObject(c, "invite", public ? 50 : 0);
	cJSON_AddNumberToObject(c, "historical", 100);
	cJSON *notif = cJSON_AddObjectToObject(c, "notifications");
	cJSON_AddNumberToObject(notif, "room", 50);
	const cJSON *ov = fm_get(body, "power_level_content_override");
	cJSON_ArrayForEach(v, ov)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(c, v->string);
		cJSON_AddItemToObject(c, v->string, cJSON_Duplicate(v, 1));
	}
	append_json(r, "m.room.power_levels", creator, "", c);
	/* 4. canonical alias */
	if (alias[0]) {
		fm_map_put(&fs.aliases, alias, r);
		cJSON_AddItemToArray(r->aliases, cJSON_CreateString(alias));
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "alias", alias);
		append_json(r, "m.room.canonical_alias", creator, "", c);
	}
	/* 5. the preset's state, unless initial_state sets it */
	if (!in_initial_state(init, "m.room.join_rules")) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "join_rule",
					public ? "public" : "invite");
		append_json(r, "m.room.join_rules", creator, "", c);
	}
	if (!in_initial_state(init, "m.room.history_visibility")) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "history_visibility", "shared");
		append_json(r, "m.room.history_visibility", creator, "", c);
	}
	if (!in_initial_state(init, "m.room.guest_access")) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "guest_access",
					public ? "forbidden" : "can_join");
		append_json(r, "m.room.guest_access", creator, "", c);
	}
	/* 6. initial_state */
	cJSON_ArrayForEach(v, init)
	{
		const char *t = fm_gs(v, "type", "");
		if (!strcmp(t, "m.room.power_levels"))
			continue; /* the override is the way to change it */
		append_json(r, t, creator, fm_gs(v, "state_key", ""),
			    cJSON_Duplicate(fm_get(v, "content"), 1));
	}
	/* 7. name and topic */
	const char *name = fm_gs(body, "name", NULL);
	if (name) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", name);
		append_json(r, "m.room.name", creator, "", c);
	}
	const char *topic = fm_gs(body, "topic", NULL);
	if (topic) {
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "topic", topic);
		cJSON *mt = cJSON_AddObjectToObject(c, "m.topic");
		cJSON *arr = cJSON_AddArrayToObject(mt, "m.text");
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "body", topic);
		cJSON_AddStringToObject(t, "mimetype", "text/plain");
		cJSON_AddItemToArray(arr, t);
		append_json(r, "m.room.topic", creator, "", c);
	}
	/* 8. invites */
	int is_direct = fm_gb(body, "is_direct", 0);
	cJSON_ArrayForEach(v, invite)
	{
		if (!strcmp(v->valuestring, creator))
			continue;
		if (!fm_user_find(v->valuestring)) {
			char w[400];
			snprintf(w, sizeof(w), "invited unknown user %s",
				 v->valuestring);
			if (!er->warning)
				er->warning = strdup(w);
		}
		mc = fm_member_content("invite", v->valuestring, NULL,
				       is_direct);
		fm_append(r, "m.room.member", creator, v->valuestring, mc, NULL,
			  NULL, NULL);
		free(mc);
	}
	return r;
}

/* ---- media ------------------------------------------------------------------
 */

struct fm_media *fm_media_add(const char *ctype, const char *filename,
			      const char *data, size_t len,
			      const char *uploader)
{
	struct fm_media *m = calloc(1, sizeof(*m));
	char id[25];
	do
		fm_random_str(id, 24, ID_CHARS);
	while (fm_map_get(&fs.media_by_id, id));
	m->id = strdup(id);
	m->ctype = strdup(ctype && *ctype ? ctype : "application/octet-stream");
	m->filename = fm_strdup(filename);
	m->data = malloc(len ? len : 1);
	if (len)
		memcpy(m->data, data, len);
	m->len = len;
	m->uploader = fm_strdup(uploader);
	m->next = fs.media;
	fs.media = m;
	fm_map_put(&fs.media_by_id, m->id, m);
	return m;
}

/* ---- call records: a ring of at most calls_max ------------------------------
 */

void fm_call_add(struct fm_call *c)
{
	if (fs.calls_max <= 0) {
		free_call(c);
		return;
	}
	if (!fs.calls_cap)
		fm_calls_resize(fs.calls_max);
	if (fs.calls_n == fs.calls_cap) {
		size_t oldest = fs.calls_head;
		free_call(fs.calls[oldest]);
		fs.calls[oldest] = c;
		fs.calls_head = (fs.calls_head + 1) % fs.calls_cap;
		return;
	}
	fs.calls[(fs.calls_head + fs.calls_n) % fs.calls_cap] = c;
	fs.calls_n++;
}

void fm_calls_clear(void)
{
	for (size_t i = 0; i < fs.calls_n; i++)
		free_call(fs.calls[(fs.calls_head + i) % fs.calls_cap]);
	fs.calls_n = 0;
	fs.calls_head = 0;
}

/* Keeps the newest `max` records. */
void fm_calls_resize(long max)
{
	size_t cap = max > 0 ? (size_t)max : 0;
	struct fm_call **n = calloc(cap ? cap : 1, sizeof(*n));
	size_t keep = fs.calls_n < cap ? fs.calls_n : cap;
	for (size_t i = 0; i < fs.calls_n; i++) {
		struct fm_call *c =
		    fs.calls[(fs.calls_head + i) % fs.calls_cap];
		if (i < fs.calls_n - keep)
			free_call(c);
		else
			n[i - (fs.calls_n - keep)] = c;
	}
	free(fs.calls);
	fs.calls = n;
	fs.calls_cap = cap;
	fs.calls_n = keep;
	fs.calls_head = 0;
	fs.calls_max = max;
}
