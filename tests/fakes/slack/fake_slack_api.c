/* fake_slack_api.c - the Web API of the fake Slack and its workspace model.
 *
 * fs_api_handle() takes one /api/<method> request as received (HTTP method,
 * content type, Authorization header, query, body), checks the token kind,
 * the body encoding and the required parameters the way Slack does, runs
 * the method against the in-memory workspace (users, channels, messages,
 * files) and records the call for the control API. Errors are HTTP 200 with
 * {"ok":false,"error":...}, except rate limits (429 + Retry-After). Field
 * names and error strings follow shared/specs (OpenAPI + java-slack-sdk
 * samples) and shared/specs/PROTOCOLS.md part A.
 */
#define _GNU_SOURCE /* memmem */
#include "fake_slack.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- records ---------------------------------------------------------------
 */

void fs_record_add(struct fs_record *r, cJSON *item)
{
	cJSON_AddItemToArray(r->items, item);
	r->n++;
	while (r->n > r->max && r->n > 0) {
		cJSON_DeleteItemFromArray(r->items, 0);
		r->n--;
	}
}

void fs_record_clear(struct fs_record *r)
{
	cJSON_Delete(r->items);
	r->items = cJSON_CreateArray();
	r->n = 0;
}

/* Takes json (malloc'd). */
void fs_log_add(struct fs_log *l, char *json)
{
	if (!json)
		return;
	if (l->first + l->n == l->cap) {
		if (l->first > l->cap / 2) {
			memmove(l->items, l->items + l->first,
				(size_t)l->n * sizeof(*l->items));
			l->first = 0;
		} else {
			long cap = l->cap ? l->cap * 2 : 1024;
			char **items =
			    realloc(l->items, (size_t)cap * sizeof(*items));
			if (!items) {
				free(json);
				return;
			}
			l->items = items;
			l->cap = cap;
		}
	}
	l->items[l->first + l->n++] = json;
	while (l->n > l->max && l->n > 0) {
		free(l->items[l->first++]);
		l->n--;
	}
}

void fs_log_clear(struct fs_log *l)
{
	for (long i = 0; i < l->n; i++)
		free(l->items[l->first + i]);
	free(l->items);
	l->items = NULL;
	l->first = l->n = l->cap = 0;
}

/* {"ok":true,"items":[...]} */
char *fs_log_json(const struct fs_log *l)
{
	size_t len = 32;
	for (long i = 0; i < l->n; i++)
		len += strlen(l->items[l->first + i]) + 1;
	char *out = malloc(len), *p = out;
	if (!out)
		return NULL;
	p += sprintf(p, "{\"ok\":true,\"items\":[");
	for (long i = 0; i < l->n; i++) {
		size_t n = strlen(l->items[l->first + i]);
		if (i)
			*p++ = ',';
		memcpy(p, l->items[l->first + i], n);
		p += n;
	}
	strcpy(p, "]}");
	return out;
}

/* A JSON string literal for s, quotes included (malloc'd). */
char *fs_json_str(const char *s)
{
	cJSON *v = cJSON_CreateString(s ? s : "");
	char *out = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	return out;
}

/* Unix seconds with microseconds, as a JSON number. */
char *fs_time_json(uint64_t us, char out[32])
{
	snprintf(out, 32, "%llu.%06llu", (unsigned long long)(us / 1000000u),
		 (unsigned long long)(us % 1000000u));
	return out;
}

/* ---- form decoding ------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *urldecode(const char *s, size_t len)
{
	char *o = malloc(len + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+')
			*p++ = ' ';
		else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
			 hexval(s[i + 2]) >= 0) {
			*p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return o;
}

/* "a=1&b=x%20y" -> {"a":"1","b":"x y"}; the last of repeated keys wins. */
cJSON *fs_parse_form(const char *s, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '&')
			j++;
		if (j > i) {
			size_t eq = i;
			while (eq < j && s[eq] != '=')
				eq++;
			char *k = urldecode(s + i, eq - i);
			char *v = eq < j ? urldecode(s + eq + 1, j - eq - 1)
					 : strdup("");
			if (k && v && k[0]) {
				cJSON_DeleteItemFromObjectCaseSensitive(o, k);
				cJSON_AddStringToObject(o, k, v);
			}
			free(k);
			free(v);
		}
		i = j + 1;
	}
	return o;
}

/* ---- parameters ------------------------------------------------------------
 */

/* Normalises params to strings: numbers and booleans as text, arrays and
 * objects as their JSON text (what a form body carries for them). */
static cJSON *normalise(const cJSON *in)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *it;
	cJSON_ArrayForEach(it, in)
	{
		char buf[64];
		if (cJSON_IsString(it))
			cJSON_AddStringToObject(o, it->string, it->valuestring);
		else if (cJSON_IsBool(it))
			cJSON_AddStringToObject(
			    o, it->string, cJSON_IsTrue(it) ? "true" : "false");
		else if (cJSON_IsNumber(it)) {
			if (it->valuedouble ==
			    (double)(long long)it->valuedouble)
				snprintf(buf, sizeof(buf), "%lld",
					 (long long)it->valuedouble);
			else
				snprintf(buf, sizeof(buf), "%.17g",
					 it->valuedouble);
			cJSON_AddStringToObject(o, it->string, buf);
		} else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
			char *t = cJSON_PrintUnformatted(it);
			if (t)
				cJSON_AddStringToObject(o, it->string, t);
			free(t);
		}
	}
	return o;
}

static const char *P(cJSON *p, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(p, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* present and not empty */
static const char *PN(cJSON *p, const char *k)
{
	const char *v = P(p, k);
	return v && v[0] ? v : NULL;
}

static int truthy(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

/* ---- replies --------------------------------------------------------------
 */

static cJSON *ok_obj(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

static cJSON *err_obj(const char *error)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", error);
	return o;
}

static cJSON *missing(const char *field)
{
	cJSON *o = err_obj("invalid_arguments");
	cJSON *md = cJSON_AddObjectToObject(o, "response_metadata");
	cJSON *m = cJSON_AddArrayToObject(md, "messages");
	char buf[128];
	snprintf(buf, sizeof(buf), "[ERROR] missing required field: %s", field);
	cJSON_AddItemToArray(m, cJSON_CreateString(buf));
	return o;
}

/* ---- ts --------------------------------------------------------------------
 */

static int ts_parse(const char *ts, uint64_t *out)
{
	if (!ts || !*ts)
		return -1;
	uint64_t sec = 0, us = 0;
	const char *p = ts;
	int digits = 0;
	for (; *p && *p != '.'; p++, digits++) {
		if (!isdigit((unsigned char)*p) || digits > 12)
			return -1;
		sec = sec * 10 + (uint64_t)(*p - '0');
	}
	if (!digits)
		return -1;
	if (*p == '.') {
		int n = 0;
		for (p++; *p; p++, n++) {
			if (!isdigit((unsigned char)*p) || n >= 6)
				return -1;
			us = us * 10 + (uint64_t)(*p - '0');
		}
		for (; n < 6; n++)
			us *= 10;
	}
	*out = sec * 1000000u + us;
	return 0;
}

static void ts_format(uint64_t us, char out[24])
{
	snprintf(out, 24, "%llu.%06llu", (unsigned long long)(us / 1000000u),
		 (unsigned long long)(us % 1000000u));
}

void fs_next_ts(struct fs_channel *c, char out[24])
{
	uint64_t now = fs_now_us();
	if (now <= c->last_ts_us)
		now = c->last_ts_us + 1;
	c->last_ts_us = now;
	ts_format(now, out);
}

static uint64_t msg_us(const cJSON *m)
{
	uint64_t v = 0;
	cJSON *ts = cJSON_GetObjectItemCaseSensitive(m, "ts");
	if (cJSON_IsString(ts))
		ts_parse(ts->valuestring, &v);
	return v;
}

/* ---- users
 * ------------------------------------------------------------------- */

cJSON *fs_user_find(const char *id)
{
	cJSON *u;
	if (!id)
		return NULL;
	cJSON_ArrayForEach(u, fs.users)
	{
		cJSON *i = cJSON_GetObjectItemCaseSensitive(u, "id");
		if (cJSON_IsString(i) && !strcmp(i->valuestring, id))
			return u;
	}
	return NULL;
}

static const char *fstr(cJSON *f, const char *k, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(f, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

/* Builds a full users.info user from {id?, name, real_name?, display_name?,
 * email?, is_bot?, tz?, deleted?}; replaces a user with the same id. */
cJSON *fs_user_add(cJSON *f)
{
	char id[16];
	const char *given = fstr(f, "id", NULL);
	if (given)
		snprintf(id, sizeof(id), "%s", given);
	else
		fs_random_id(id, 12, "U");
	const char *name = fstr(f, "name", id);
	const char *real = fstr(f, "real_name", name);
	const char *disp = fstr(f, "display_name", name);
	const char *tz = fstr(f, "tz", "Europe/London");
	int is_bot =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "is_bot"));
	int deleted =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "deleted"));
	cJSON *u = cJSON_CreateObject();
	cJSON_AddStringToObject(u, "id", id);
	cJSON_AddStringToObject(u, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(u, "name", name);
	cJSON_AddBoolToObject(u, "deleted", deleted);
	cJSON_AddStringToObject(u, "color", "9f69e7");
	cJSON_AddStringToObject(u, "real_name", real);
	cJSON_AddStringToObject(u, "tz", tz);
	cJSON_AddStringToObject(u, "tz_label", "Greenwich Mean Time");
	cJSON_AddNumberToObject(u, "tz_offset", 0);
	cJSON *p = cJSON_AddObjectToObject(u, "profile");
	cJSON_AddStringToObject(p, "title", "");
	cJSON_AddStringToObject(p, "phone", "");
	cJSON_AddStringToObject(p, "skype", "");
	cJSON_AddStringToObject(p, "real_name", real);
	cJSON_AddStringToObject(p, "real_name_normalized", real);
	cJSON_AddStringToObject(p, "display_name", disp);
	cJSON_AddStringToObject(p, "display_name_normalized", disp);
	cJSON_AddStringToObject(p, "status_text", "");
	cJSON_AddStringToObject(p, "status_emoji", "");
	cJSON_AddNumberToObject(p, "status_expiration", 0);
	cJSON_AddStringToObject(p, "avatar_hash", "g0000000000");
	if (fstr(f, "email", NULL))
		cJSON_AddStringToObject(p, "email", fstr(f, "email", ""));
	if (is_bot) {
		cJSON_AddStringToObject(p, "bot_id", FS_BOT_ID);
		cJSON_AddStringToObject(p, "api_app_id", FS_APP_ID);
		cJSON_AddBoolToObject(p, "always_active", 1);
	}
	cJSON_AddStringToObject(p, "image_24",
				"https://fake.slack.com/avatar_24.png");
	cJSON_AddStringToObject(p, "image_48",
				"https://fake.slack.com/avatar_48.png");
	cJSON_AddStringToObject(p, "image_72",
				"https://fake.slack.com/avatar_72.png");
	cJSON_AddStringToObject(p, "team", FS_TEAM_ID);
	cJSON_AddBoolToObject(u, "is_admin", 0);
	cJSON_AddBoolToObject(u, "is_owner", 0);
	cJSON_AddBoolToObject(u, "is_primary_owner", 0);
	cJSON_AddBoolToObject(u, "is_restricted", 0);
	cJSON_AddBoolToObject(u, "is_ultra_restricted", 0);
	cJSON_AddBoolToObject(u, "is_bot", is_bot);
	cJSON_AddBoolToObject(u, "is_app_user", 0);
	cJSON_AddNumberToObject(u, "updated", (double)(fs_now_us() / 1000000u));
	cJSON_AddBoolToObject(u, "is_email_confirmed", 1);
	/* replace any user with this id */
	int n = cJSON_GetArraySize(fs.users);
	for (int i = 0; i < n; i++) {
		cJSON *x = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetArrayItem(fs.users, i), "id");
		if (cJSON_IsString(x) && !strcmp(x->valuestring, id)) {
			cJSON_ReplaceItemInArray(fs.users, i, u);
			return u;
		}
	}
	cJSON_AddItemToArray(fs.users, u);
	return u;
}

/* ---- channels and messages
 * ---------------------------------------------------- */

struct fs_channel *fs_channel_find(const char *s)
{
	if (!s || !*s)
		return NULL;
	if (*s == '#')
		s++;
	for (struct fs_channel *c = fs.channels; c; c = c->next)
		if (!strcmp(c->id, s))
			return c;
	for (struct fs_channel *c = fs.channels; c; c = c->next)
		if (!strcmp(c->name, s))
			return c;
	return NULL;
}

static cJSON *topic_obj(const char *v, const char *creator, long last_set)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "value", v);
	cJSON_AddStringToObject(t, "creator", creator);
	cJSON_AddNumberToObject(t, "last_set", (double)last_set);
	return t;
}

struct fs_channel *fs_channel_new(const char *name, int is_private,
				  const char *creator)
{
	struct fs_channel *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	fs_random_id(c->id, 12, "C");
	c->name = strdup(name);
	c->is_private = is_private;
	c->created = (long)(fs_now_us() / 1000000u);
	snprintf(c->creator, sizeof(c->creator), "%s", creator);
	c->topic = topic_obj("", "", 0);
	c->purpose = topic_obj("", "", 0);
	c->members = cJSON_CreateArray();
	c->messages = cJSON_CreateArray();
	c->pins = cJSON_CreateArray();
	/* append, so listings keep creation order */
	struct fs_channel **pp = &fs.channels;
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	return c;
}

static int is_member(struct fs_channel *c, const char *user)
{
	cJSON *m;
	cJSON_ArrayForEach(
	    m, c->members) if (cJSON_IsString(m) &&
			       !strcmp(m->valuestring, user)) return 1;
	return 0;
}

cJSON *fs_channel_json(const struct fs_channel *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", c->id);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddBoolToObject(o, "is_channel", 1);
	cJSON_AddBoolToObject(o, "is_group", 0);
	cJSON_AddBoolToObject(o, "is_im", 0);
	cJSON_AddBoolToObject(o, "is_mpim", 0);
	cJSON_AddBoolToObject(o, "is_private", c->is_private);
	cJSON_AddNumberToObject(o, "created", (double)c->created);
	cJSON_AddBoolToObject(o, "is_archived", c->is_archived);
	cJSON_AddBoolToObject(o, "is_general", 0);
	cJSON_AddNumberToObject(o, "unlinked", 0);
	cJSON_AddStringToObject(o, "name_normalized", c->name);
	cJSON_AddBoolToObject(o, "is_shared", 0);
	cJSON_AddBoolToObject(o, "is_org_shared", 0);
	cJSON_AddBoolToObject(o, "is_pending_ext_shared", 0);
	cJSON_AddItemToObject(o, "pending_shared", cJSON_CreateArray());
	cJSON_AddStringToObject(o, "context_team_id", FS_TEAM_ID);
	cJSON_AddNumberToObject(o, "updated", (double)c->created * 1000);
	cJSON_AddStringToObject(o, "creator", c->creator);
	cJSON_AddBoolToObject(o, "is_ext_shared", 0);
	cJSON *st = cJSON_AddArrayToObject(o, "shared_team_ids");
	cJSON_AddItemToArray(st, cJSON_CreateString(FS_TEAM_ID));
	cJSON_AddItemToObject(o, "pending_connected_team_ids",
			      cJSON_CreateArray());
	cJSON_AddBoolToObject(o, "is_member",
			      is_member((struct fs_channel *)c, FS_BOT_USER));
	cJSON_AddStringToObject(o, "last_read", "0000000000.000000");
	cJSON_AddItemToObject(o, "topic", cJSON_Duplicate(c->topic, 1));
	cJSON_AddItemToObject(o, "purpose", cJSON_Duplicate(c->purpose, 1));
	cJSON_AddItemToObject(o, "previous_names", cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "priority", 0);
	return o;
}

cJSON *fs_message_find(struct fs_channel *c, const char *ts)
{
	cJSON *m;
	if (!ts)
		return NULL;
	cJSON_ArrayForEach(m, c->messages)
	{
		cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "ts");
		if (cJSON_IsString(t) && !strcmp(t->valuestring, ts))
			return m;
	}
	return NULL;
}

void fs_message_delete(struct fs_channel *c, const char *ts)
{
	int n = cJSON_GetArraySize(c->messages);
	for (int i = 0; i < n; i++) {
		cJSON *t = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetArrayItem(c->messages, i), "ts");
		if (cJSON_IsString(t) && !strcmp(t->valuestring, ts)) {
			cJSON_DeleteItemFromArray(c->messages, i);
			return;
		}
	}
}

static void thread_bump(struct fs_channel *c, const char *thread_ts,
			const char *reply_ts, const char *user)
{
	cJSON *p = fs_message_find(c, thread_ts);
	if (!p)
		return;
	cJSON *rc = cJSON_GetObjectItemCaseSensitive(p, "reply_count");
	int n = cJSON_IsNumber(rc) ? rc->valueint + 1 : 1;
	cJSON_DeleteItemFromObjectCaseSensitive(p, "reply_count");
	cJSON_AddNumberToObject(p, "reply_count", n);
	if (!cJSON_GetObjectItemCaseSensitive(p, "thread_ts"))
		cJSON_AddStringToObject(p, "thread_ts", thread_ts);
	cJSON *ru = cJSON_GetObjectItemCaseSensitive(p, "reply_users");
	if (!ru)
		ru = cJSON_AddArrayToObject(p, "reply_users");
	int seen = 0;
	cJSON *x;
	cJSON_ArrayForEach(x, ru) if (cJSON_IsString(x) && user &&
				      !strcmp(x->valuestring, user)) seen = 1;
	if (!seen && user)
		cJSON_AddItemToArray(ru, cJSON_CreateString(user));
	cJSON_DeleteItemFromObjectCaseSensitive(p, "reply_users_count");
	cJSON_AddNumberToObject(p, "reply_users_count", cJSON_GetArraySize(ru));
	cJSON_DeleteItemFromObjectCaseSensitive(p, "latest_reply");
	cJSON_AddStringToObject(p, "latest_reply", reply_ts);
}

/* Takes ownership of msg; ts NULL = a fresh one. Keeps ts order, updates
 * the thread parent of a reply. Returns msg (now owned by the channel). */
cJSON *fs_message_add(struct fs_channel *c, const char *ts, cJSON *msg)
{
	char buf[24];
	uint64_t us = 0;
	if (!ts || ts_parse(ts, &us)) {
		fs_next_ts(c, buf);
		ts = buf;
		ts_parse(ts, &us);
	} else if (us > c->last_ts_us) {
		c->last_ts_us = us;
	}
	char tsc[24];
	snprintf(tsc, sizeof(tsc), "%s", ts);
	cJSON_DeleteItemFromObjectCaseSensitive(msg, "ts");
	cJSON_AddStringToObject(msg, "ts", tsc);
	/* new messages are the newest almost always: walk back from the tail
	 * (cJSON keeps the tail in child->prev) */
	cJSON *first = c->messages->child, *after = first ? first->prev : NULL;
	while (after && msg_us(after) > us)
		after = after == first ? NULL : after->prev;
	if (!first || (after && after == first->prev)) {
		cJSON_AddItemToArray(c->messages, msg);
	} else if (!after) {
		cJSON_InsertItemInArray(c->messages, 0, msg);
	} else {
		/* after `after`: link by hand (cJSON only inserts by index) */
		msg->prev = after;
		msg->next = after->next;
		after->next->prev = msg;
		after->next = msg;
	}
	const char *tts = fstr(msg, "thread_ts", NULL);
	if (tts && strcmp(tts, tsc))
		thread_bump(c, tts, tsc, fstr(msg, "user", NULL));
	return msg;
}

static cJSON *system_message(const char *subtype, const char *user,
			     const char *text)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "message");
	cJSON_AddStringToObject(m, "subtype", subtype);
	cJSON_AddStringToObject(m, "user", user);
	cJSON_AddStringToObject(m, "text", text);
	return m;
}

/* ---- state
 * ------------------------------------------------------------------- */

void fs_state_init(void)
{
	fs.redelivery_ms = 3000;
	fs.max_retries = 3;
	fs.ping_ms = 5000;
	fs.pong_timeout_ms = 15000;
	fs.debug_lifetime_ms = 360000;
	fs.close_after_ms = 100;
	fs.max_body = 1024 * 1024;
	fs.max_upload = 16 * 1024 * 1024;
	fs.calls.max = 100000;
	fs.acks.max = 100000;
	fs.sent.max = 100000;
	fs.uploads.max = 1000;
	snprintf(fs.signing_secret, sizeof(fs.signing_secret),
		 "fake-signing-secret");
	fs.http_retry_ms[0] = 0;
	fs.http_retry_ms[1] = 60000;
	fs.http_retry_ms[2] = 300000;
	fs.http_retries = 3;
	fs.http_timeout_ms = 3000;
	fs.http_lanes = 8;
	fs.http_log.max = 100000;
	fs.users = cJSON_CreateArray();
	fs.tickets = cJSON_CreateArray();
	fs.calls.items = cJSON_CreateArray();
	fs.uploads.items = cJSON_CreateArray();
	cJSON *f =
	    cJSON_Parse("{\"id\":\"" FS_BOT_USER "\",\"name\":\"" FS_BOT_NAME
			"\",\"real_name\":\"Scribe\",\"is_bot\":true}");
	fs_user_add(f);
	cJSON_Delete(f);
	f = cJSON_Parse(
	    "{\"id\":\"U0FAKEALICE\",\"name\":\"alice\",\"real_name\":\"Alice "
	    "Example\",\"display_name\":\"alice\",\"email\":\"alice@example."
	    "com\"}");
	fs_user_add(f);
	cJSON_Delete(f);
	f = cJSON_Parse(
	    "{\"id\":\"U0FAKEBOB\",\"name\":\"bob\",\"real_name\":\"Bob "
	    "Example\",\"display_name\":\"bob\",\"email\":\"bob@example."
	    "com\"}");
	fs_user_add(f);
	cJSON_Delete(f);
}

void fs_state_free(void)
{
	while (fs.channels) {
		struct fs_channel *c = fs.channels;
		fs.channels = c->next;
		free(c->name);
		cJSON_Delete(c->topic);
		cJSON_Delete(c->purpose);
		cJSON_Delete(c->members);
		cJSON_Delete(c->messages);
		cJSON_Delete(c->pins);
		free(c);
	}
	while (fs.files) {
		struct fs_file *f = fs.files;
		fs.files = f->next;
		free(f->name);
		free(f->title);
		free(f);
	}
	while (fs.limits) {
		struct fs_limit *l = fs.limits;
		fs.limits = l->next;
		free(l);
	}
	while (fs.pending) {
		struct fs_pending *p = fs.pending;
		fs.pending = p->next;
		free(p->payload);
		free(p);
	}
	fs.pending_tail = NULL;
	cJSON *arrs[] = {fs.users, fs.tickets, fs.calls.items,
			 fs.uploads.items};
	for (size_t i = 0; i < sizeof(arrs) / sizeof(arrs[0]); i++)
		cJSON_Delete(arrs[i]);
	fs.users = fs.tickets = NULL;
	fs.calls.items = fs.uploads.items = NULL;
	fs_log_clear(&fs.acks);
	fs_log_clear(&fs.sent);
	fs_log_clear(&fs.http_log);
}

/* ---- methods
 * -------------------------------------------------------------------- */

struct call {
	cJSON *p;           /* normalised string params */
	const char *kind;   /* bot | user | app */
	struct fs_reply *r; /* for upload URLs etc. */
};

static cJSON *m_auth_test(struct call *c)
{
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "url",
				"https://" FS_TEAM_DOMAIN ".slack.com/");
	cJSON_AddStringToObject(o, "team", FS_TEAM_NAME);
	cJSON_AddStringToObject(o, "user", FS_BOT_NAME);
	cJSON_AddStringToObject(o, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(o, "user_id", FS_BOT_USER);
	if (!strcmp(c->kind, "bot"))
		cJSON_AddStringToObject(o, "bot_id", FS_BOT_ID);
	cJSON_AddBoolToObject(o, "is_enterprise_install", 0);
	return o;
}

static cJSON *m_connections_open(struct call *c)
{
	char ticket[37], url[200];
	fs_uuid(ticket);
	cJSON_AddItemToArray(fs.tickets, cJSON_CreateString(ticket));
	snprintf(url, sizeof(url),
		 "ws://127.0.0.1:%d/link/?ticket=%s&app_id=%s", fs.port, ticket,
		 FS_APP_ID);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "url", url);
	return o;
}

static int utf8_len(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static cJSON *m_create(struct call *c)
{
	const char *name = PN(c->p, "name");
	if (!name)
		return err_obj("invalid_name_required");
	if (utf8_len(name) > 80)
		return err_obj("invalid_name_maxlength");
	int only_punct = 1;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (*s >= 0x80 || islower(*s) || isdigit(*s)) {
			only_punct = 0;
			continue;
		}
		if (*s == '-' || *s == '_')
			continue;
		return err_obj("invalid_name_specials");
	}
	if (only_punct)
		return err_obj("invalid_name_punctuation");
	for (struct fs_channel *ch = fs.channels; ch; ch = ch->next)
		if (!strcmp(ch->name, name))
			return err_obj("name_taken"); /* archived ones too */
	struct fs_channel *ch =
	    fs_channel_new(name, truthy(P(c->p, "is_private")), FS_BOT_USER);
	if (!ch)
		return err_obj("internal_error");
	cJSON_AddItemToArray(ch->members, cJSON_CreateString(FS_BOT_USER));
	fs_message_add(ch, NULL,
		       system_message("channel_join", FS_BOT_USER,
				      "<@" FS_BOT_USER
				      "> has joined the channel"));
	cJSON *o = ok_obj();
	cJSON_AddItemToObject(o, "channel", fs_channel_json(ch));
	return o;
}

/* Looks up the channel in param `key`; sets *err when missing or not
 * visible to the bot. need_member: the bot must be in it. */
static struct fs_channel *chan_arg(struct call *c, const char *key,
				   int need_member, cJSON **err)
{
	struct fs_channel *ch = fs_channel_find(PN(c->p, key));
	if (!ch || (ch->is_private && !is_member(ch, FS_BOT_USER))) {
		*err = err_obj("channel_not_found");
		return NULL;
	}
	if (need_member && !is_member(ch, FS_BOT_USER)) {
		*err = err_obj("not_in_channel");
		return NULL;
	}
	return ch;
}

static cJSON *m_invite(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *users = PN(c->p, "users");
	if (!users)
		return err_obj("no_user");
	if (ch->is_archived)
		return err_obj("is_archived");
	if (!is_member(ch, FS_BOT_USER))
		return err_obj("not_in_channel");
	int force = truthy(P(c->p, "force"));
	cJSON *errors = cJSON_CreateArray(), *ok_ids = cJSON_CreateArray();
	char *dup = strdup(users), *save = NULL;
	int count = 0;
	for (char *t = strtok_r(dup, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		count++;
		const char *why = NULL;
		cJSON *u = fs_user_find(t);
		if (!strcmp(t, FS_BOT_USER))
			why = "cant_invite_self";
		else if (!u || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				   u, "deleted")))
			why = "user_not_found";
		else if (is_member(ch, t))
			why = "already_in_channel";
		if (why) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "user", t);
			cJSON_AddBoolToObject(x, "ok", 0);
			cJSON_AddStringToObject(x, "error", why);
			cJSON_AddItemToArray(errors, x);
		} else {
			cJSON_AddItemToArray(ok_ids, cJSON_CreateString(t));
		}
	}
	free(dup);
	if (count > 1000) {
		cJSON_Delete(errors);
		cJSON_Delete(ok_ids);
		return err_obj("too_many_users");
	}
	int nerr = cJSON_GetArraySize(errors);
	cJSON *o;
	if (nerr && !force) {
		const char *first =
		    fstr(cJSON_GetArrayItem(errors, 0), "error", "cant_invite");
		o = err_obj(first);
		if (count > 1)
			cJSON_AddItemToObject(o, "errors", errors);
		else
			cJSON_Delete(errors);
		cJSON_Delete(ok_ids);
		return o;
	}
	cJSON *u;
	cJSON_ArrayForEach(u, ok_ids)
	{
		char text[96];
		cJSON_AddItemToArray(ch->members,
				     cJSON_CreateString(u->valuestring));
		snprintf(text, sizeof(text), "<@%s> has joined the channel",
			 u->valuestring);
		cJSON *m = system_message("channel_join", u->valuestring, text);
		cJSON_AddStringToObject(m, "inviter", FS_BOT_USER);
		fs_message_add(ch, NULL, m);
	}
	cJSON_Delete(ok_ids);
	o = ok_obj();
	cJSON_AddItemToObject(o, "channel", fs_channel_json(ch));
	if (nerr)
		cJSON_AddItemToObject(o, "errors", errors);
	else
		cJSON_Delete(errors);
	return o;
}

static cJSON *set_topic_or_purpose(struct call *c, int purpose)
{
	const char *key = purpose ? "purpose" : "topic";
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *v = P(c->p, key);
	if (!v)
		return missing(key);
	if (ch->is_archived)
		return err_obj("is_archived");
	if (!is_member(ch, FS_BOT_USER))
		return err_obj("not_in_channel");
	if (utf8_len(v) > 250)
		return err_obj("too_long");
	cJSON *t = topic_obj(v, FS_BOT_USER, (long)(fs_now_us() / 1000000u));
	if (purpose) {
		cJSON_Delete(ch->purpose);
		ch->purpose = t;
	} else {
		cJSON_Delete(ch->topic);
		ch->topic = t;
	}
	char *text = malloc(strlen(v) + 64);
	if (text) {
		sprintf(text, "set the channel %s: %s", key, v);
		cJSON *m = system_message(purpose ? "channel_purpose"
						  : "channel_topic",
					  FS_BOT_USER, text);
		cJSON_AddStringToObject(m, key, v);
		fs_message_add(ch, NULL, m);
		free(text);
	}
	cJSON *o = ok_obj();
	cJSON_AddItemToObject(o, "channel", fs_channel_json(ch));
	return o;
}

static cJSON *m_set_topic(struct call *c)
{
	return set_topic_or_purpose(c, 0);
}

static cJSON *m_set_purpose(struct call *c)
{
	return set_topic_or_purpose(c, 1);
}

static cJSON *m_archive(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	if (ch->is_archived)
		return err_obj("already_archived");
	if (!is_member(ch, FS_BOT_USER))
		return err_obj("not_in_channel");
	fs_message_add(ch, NULL,
		       system_message("channel_archive", FS_BOT_USER,
				      "archived the channel"));
	ch->is_archived = 1;
	return ok_obj();
}

static cJSON *m_info(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	cJSON *o = ok_obj(), *j = fs_channel_json(ch);
	if (truthy(P(c->p, "include_num_members")))
		cJSON_AddNumberToObject(j, "num_members",
					cJSON_GetArraySize(ch->members));
	cJSON_AddItemToObject(o, "channel", j);
	return o;
}

/* cursor = base64("next_ts:<ts>"), like Slack's */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void cursor_make(const char *ts, char *out, size_t cap)
{
	char in[64];
	int n = snprintf(in, sizeof(in), "next_ts:%s", ts);
	size_t o = 0;
	for (int i = 0; i < n && o + 5 < cap; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

static int cursor_parse(const char *cur, uint64_t *us)
{
	char out[64];
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (const char *s = cur; *s && *s != '='; s++) {
		const char *k = strchr(b64, *s);
		if (!k || o + 1 >= sizeof(out))
			return -1;
		v = (v << 6) | (unsigned)(k - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (strncmp(out, "next_ts:", 8))
		return -1;
	return ts_parse(out + 8, us);
}

static int is_top_level(cJSON *m)
{
	const char *tts = fstr(m, "thread_ts", NULL), *ts = fstr(m, "ts", "");
	const char *st = fstr(m, "subtype", "");
	return !tts || !strcmp(tts, ts) || !strcmp(st, "thread_broadcast");
}

static int limit_arg(struct call *c)
{
	const char *l = PN(c->p, "limit");
	int n = l ? atoi(l) : 100;
	if (n <= 0)
		n = 100;
	if (n > 999)
		n = 999;
	return n;
}

static cJSON *range_args(struct call *c, uint64_t *oldest, uint64_t *latest,
			 int *incl)
{
	const char *o = PN(c->p, "oldest"), *l = PN(c->p, "latest");
	*oldest = 0;
	*latest = UINT64_MAX;
	if (o && ts_parse(o, oldest))
		return err_obj("invalid_ts_oldest");
	if (l && ts_parse(l, latest))
		return err_obj("invalid_ts_latest");
	*incl = truthy(P(c->p, "inclusive"));
	return NULL;
}

static int in_range(uint64_t us, uint64_t oldest, uint64_t latest, int incl)
{
	if (incl)
		return us >= oldest && us <= latest;
	return us > oldest && us < latest;
}

static cJSON *m_history(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	uint64_t oldest, latest, cur = UINT64_MAX;
	int incl;
	if ((e = range_args(c, &oldest, &latest, &incl)))
		return e;
	const char *cs = PN(c->p, "cursor");
	if (cs && cursor_parse(cs, &cur))
		return err_obj("invalid_cursor");
	int limit = limit_arg(c), n = 0, more = 0;
	cJSON *o = ok_obj(), *msgs = cJSON_AddArrayToObject(o, "messages");
	char next[24] = "";
	int total = cJSON_GetArraySize(ch->messages);
	cJSON *first = ch->messages->child;
	for (cJSON *m = total ? cJSON_GetArrayItem(ch->messages, total - 1)
			      : NULL;
	     m; m = m == first ? NULL : m->prev) {
		uint64_t us = msg_us(m);
		if (!is_top_level(m) || us > cur ||
		    !in_range(us, oldest, latest, incl))
			continue;
		if (n == limit) {
			more = 1;
			snprintf(next, sizeof(next), "%s", fstr(m, "ts", ""));
			break;
		}
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
		n++;
	}
	cJSON_AddBoolToObject(o, "has_more", more);
	cJSON_AddNumberToObject(o, "pin_count", cJSON_GetArraySize(ch->pins));
	cJSON_AddNullToObject(o, "channel_actions_ts");
	cJSON_AddNumberToObject(o, "channel_actions_count", 0);
	if (more) {
		char cb[128];
		cursor_make(next, cb, sizeof(cb));
		cJSON *md = cJSON_AddObjectToObject(o, "response_metadata");
		cJSON_AddStringToObject(md, "next_cursor", cb);
	}
	return o;
}

static cJSON *m_replies(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *ts = PN(c->p, "ts");
	if (!ts)
		return missing("ts");
	cJSON *parent = fs_message_find(ch, ts);
	if (!parent)
		return err_obj("thread_not_found");
	const char *tts = fstr(parent, "thread_ts", NULL);
	if (tts && strcmp(tts, ts)) {
		parent = fs_message_find(ch, tts);
		if (!parent)
			return err_obj("thread_not_found");
	}
	const char *pts = fstr(parent, "ts", "");
	uint64_t oldest, latest, cur = 0;
	int incl;
	if ((e = range_args(c, &oldest, &latest, &incl)))
		return e;
	const char *cs = PN(c->p, "cursor");
	if (cs && cursor_parse(cs, &cur))
		return err_obj("invalid_cursor");
	int limit = limit_arg(c), n = 0, more = 0;
	char next[24] = "";
	cJSON *o = ok_obj(), *msgs = cJSON_AddArrayToObject(o, "messages");
	if (!cs) {
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(parent, 1));
		n++;
	}
	cJSON *m;
	cJSON_ArrayForEach(m, ch->messages)
	{
		const char *mt = fstr(m, "thread_ts", NULL),
			   *mts = fstr(m, "ts", "");
		if (!mt || strcmp(mt, pts) || !strcmp(mts, pts))
			continue;
		uint64_t us = msg_us(m);
		if (us < cur || !in_range(us, oldest, latest, incl))
			continue;
		if (n >= limit) {
			more = 1;
			snprintf(next, sizeof(next), "%s", mts);
			break;
		}
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));
		n++;
	}
	cJSON_AddBoolToObject(o, "has_more", more);
	if (more) {
		char cb[128];
		cursor_make(next, cb, sizeof(cb));
		cJSON *md = cJSON_AddObjectToObject(o, "response_metadata");
		cJSON_AddStringToObject(md, "next_cursor", cb);
	}
	return o;
}

/* blocks: a JSON array of at most 50 objects, each with a type */
static cJSON *blocks_arg(struct call *c, cJSON **err)
{
	const char *b = P(c->p, "blocks");
	*err = NULL;
	if (!b)
		return NULL;
	cJSON *j = cJSON_Parse(b);
	if (!j || !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		*err = err_obj("invalid_blocks_format");
		return NULL;
	}
	if (cJSON_GetArraySize(j) > 50) {
		cJSON_Delete(j);
		*err = err_obj("invalid_blocks");
		return NULL;
	}
	cJSON *x;
	cJSON_ArrayForEach(x, j)
	{
		if (!cJSON_IsObject(x) ||
		    !cJSON_IsString(
			cJSON_GetObjectItemCaseSensitive(x, "type"))) {
			cJSON_Delete(j);
			*err = err_obj("invalid_blocks");
			return NULL;
		}
	}
	return j;
}

static cJSON *bot_profile(void)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "id", FS_BOT_ID);
	cJSON_AddBoolToObject(b, "deleted", 0);
	cJSON_AddStringToObject(b, "name", FS_BOT_NAME);
	cJSON_AddNumberToObject(b, "updated", 1700000000);
	cJSON_AddStringToObject(b, "app_id", FS_APP_ID);
	cJSON_AddStringToObject(b, "team_id", FS_TEAM_ID);
	return b;
}

static cJSON *m_post_message(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	if (ch->is_archived)
		return err_obj("is_archived");
	if (ch->is_private && !is_member(ch, FS_BOT_USER))
		return err_obj("not_in_channel");
	const char *text = P(c->p, "text");
	cJSON *blocks = blocks_arg(c, &e);
	if (e)
		return e;
	const char *att = PN(c->p, "attachments");
	if ((!text || !*text) && !cJSON_GetArraySize(blocks) && !att) {
		cJSON_Delete(blocks);
		return err_obj("no_text");
	}
	if (text && strlen(text) > 40000) {
		cJSON_Delete(blocks);
		return err_obj("msg_too_long");
	}
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "user", FS_BOT_USER);
	cJSON_AddStringToObject(m, "type", "message");
	cJSON_AddStringToObject(m, "bot_id", FS_BOT_ID);
	cJSON_AddStringToObject(m, "app_id", FS_APP_ID);
	cJSON_AddStringToObject(m, "text", text ? text : "");
	cJSON_AddStringToObject(m, "team", FS_TEAM_ID);
	cJSON_AddItemToObject(m, "bot_profile", bot_profile());
	if (blocks)
		cJSON_AddItemToObject(m, "blocks", blocks);
	if (att) {
		cJSON *a = cJSON_Parse(att);
		if (a)
			cJSON_AddItemToObject(m, "attachments", a);
	}
	const char *md = PN(c->p, "metadata");
	if (md) {
		cJSON *a = cJSON_Parse(md);
		if (a)
			cJSON_AddItemToObject(m, "metadata", a);
	}
	const char *tts = PN(c->p, "thread_ts");
	if (tts) {
		cJSON *parent = fs_message_find(ch, tts);
		const char *root =
		    parent ? fstr(parent, "thread_ts", tts) : tts;
		char rootc[24];
		snprintf(rootc, sizeof(rootc), "%s", root);
		cJSON_AddStringToObject(m, "thread_ts", rootc);
		cJSON *rp = fs_message_find(ch, rootc);
		if (rp)
			cJSON_AddStringToObject(m, "parent_user_id",
						fstr(rp, "user", ""));
		if (truthy(P(c->p, "reply_broadcast")))
			cJSON_AddStringToObject(m, "subtype",
						"thread_broadcast");
	}
	fs_message_add(ch, NULL, m);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "channel", ch->id);
	cJSON_AddStringToObject(o, "ts", fstr(m, "ts", ""));
	cJSON_AddItemToObject(o, "message", cJSON_Duplicate(m, 1));
	if (fs.echo_bot_messages)
		fs_echo_bot_message(ch, m);
	return o;
}

static cJSON *m_update(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *ts = PN(c->p, "ts");
	cJSON *m = ts ? fs_message_find(ch, ts) : NULL;
	if (!m)
		return err_obj("message_not_found");
	if (ch->is_archived)
		return err_obj("is_archived");
	if (strcmp(fstr(m, "user", ""), FS_BOT_USER))
		return err_obj("cant_update_message");
	const char *text = P(c->p, "text");
	cJSON *blocks = blocks_arg(c, &e);
	if (e)
		return e;
	const char *att = PN(c->p, "attachments");
	if (!text && !blocks && !att)
		return err_obj("no_text");
	if (text && strlen(text) > 40000) {
		cJSON_Delete(blocks);
		return err_obj("msg_too_long");
	}
	if (text) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "text");
		cJSON_AddStringToObject(m, "text", text);
	}
	if (blocks) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "blocks");
		if (cJSON_GetArraySize(blocks))
			cJSON_AddItemToObject(m, "blocks", blocks);
		else
			cJSON_Delete(blocks);
	}
	char now[24];
	ts_format(fs_now_us(), now);
	cJSON_DeleteItemFromObjectCaseSensitive(m, "edited");
	cJSON *ed = cJSON_AddObjectToObject(m, "edited");
	cJSON_AddStringToObject(ed, "user", FS_BOT_USER);
	cJSON_AddStringToObject(ed, "ts", now);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "channel", ch->id);
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "text", fstr(m, "text", ""));
	cJSON_AddItemToObject(o, "message", cJSON_Duplicate(m, 1));
	return o;
}

static cJSON *m_post_ephemeral(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *user = PN(c->p, "user");
	if (!user)
		return missing("user");
	if (ch->is_archived)
		return err_obj("is_archived");
	if (!fs_user_find(user) || !is_member(ch, user))
		return err_obj("user_not_in_channel");
	const char *text = P(c->p, "text");
	cJSON *blocks = blocks_arg(c, &e);
	if (e)
		return e;
	int has_blocks = cJSON_GetArraySize(blocks) > 0;
	cJSON_Delete(blocks);
	if ((!text || !*text) && !has_blocks && !PN(c->p, "attachments"))
		return err_obj("no_text");
	if (text && strlen(text) > 40000)
		return err_obj("msg_too_long");
	char ts[24];
	ts_format(fs_now_us(), ts);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "message_ts", ts);
	return o;
}

static cJSON *m_pins_add(struct call *c)
{
	cJSON *e = NULL;
	struct fs_channel *ch = chan_arg(c, "channel", 0, &e);
	if (!ch)
		return e;
	const char *ts = PN(c->p, "timestamp");
	uint64_t us;
	if (!ts)
		return err_obj("no_item_specified");
	if (ts_parse(ts, &us))
		return err_obj("bad_timestamp");
	cJSON *m = fs_message_find(ch, ts);
	if (!m)
		return err_obj("message_not_found");
	cJSON *x;
	cJSON_ArrayForEach(
	    x, ch->pins) if (!strcmp(x->valuestring,
				     ts)) return err_obj("already_pinned");
	cJSON_AddItemToArray(ch->pins, cJSON_CreateString(ts));
	cJSON *pt = cJSON_GetObjectItemCaseSensitive(m, "pinned_to");
	if (!pt)
		pt = cJSON_AddArrayToObject(m, "pinned_to");
	cJSON_AddItemToArray(pt, cJSON_CreateString(ch->id));
	return ok_obj();
}

static cJSON *m_users_info(struct call *c)
{
	cJSON *u = fs_user_find(PN(c->p, "user"));
	if (!u)
		return err_obj("user_not_found");
	cJSON *o = ok_obj();
	cJSON_AddItemToObject(o, "user", cJSON_Duplicate(u, 1));
	return o;
}

static struct fs_file *file_find(const char *id)
{
	for (struct fs_file *f = fs.files; f; f = f->next)
		if (id && !strcmp(f->id, id))
			return f;
	return NULL;
}

static cJSON *m_get_upload_url(struct call *c)
{
	const char *name = PN(c->p, "filename"), *len = PN(c->p, "length");
	if (!name)
		return missing("filename");
	if (!len)
		return missing("length");
	char *end;
	long n = strtol(len, &end, 10);
	if (*end || n < 0)
		return err_obj("invalid_arguments");
	if (n == 0)
		return err_obj("missing_argument");
	const char *alt = P(c->p, "alt_txt");
	if (alt && strlen(alt) > 1000)
		return err_obj("alt_txt_too_large");
	if (n > fs.max_upload)
		return err_obj("file_upload_size_restricted");
	struct fs_file *f = calloc(1, sizeof(*f));
	if (!f)
		return err_obj("internal_error");
	fs_random_id(f->id, 12, "F");
	fs_random_id(f->token, 33, "");
	f->name = strdup(name);
	f->length = n;
	f->uploaded = -1;
	f->next = fs.files;
	fs.files = f;
	char url[160];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/upload/v1/%s", fs.port,
		 f->token);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "upload_url", url);
	cJSON_AddStringToObject(o, "file_id", f->id);
	return o;
}

/* The file part of a multipart/form-data body (what @slack/web-api sends
 * to the upload URL): sets *out and *out_len, returns 0; -1 if malformed. */
static int multipart_file(const char *ctype, const char *body, size_t len,
			  const char **out, size_t *out_len)
{
	const char *b = strstr(ctype, "boundary=");
	if (!b)
		return -1;
	char delim[200];
	b += 9;
	size_t bl = strcspn(b, "\";, ");
	if (*b == '"') {
		b++;
		bl = strcspn(b, "\"");
	}
	if (bl == 0 || bl > 150)
		return -1;
	int dl = snprintf(delim, sizeof(delim), "--%.*s", (int)bl, b);
	const char *part = memmem(body, len, delim, (size_t)dl),
		   *end = body + len;
	const char *first = NULL;
	size_t first_len = 0;
	while (part) {
		const char *h = part + dl;
		if (end - h >= 2 && h[0] == '-' && h[1] == '-')
			break; /* closing delimiter */
		const char *hdr_end =
		    memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
		if (!hdr_end)
			return -1;
		const char *data = hdr_end + 4;
		char nd[210];
		int nl = snprintf(nd, sizeof(nd), "\r\n%s", delim);
		const char *next =
		    memmem(data, (size_t)(end - data), nd, (size_t)nl);
		if (!next)
			return -1;
		int has_filename =
		    memmem(h, (size_t)(hdr_end - h), "filename=", 9) != NULL;
		if (has_filename || !first) {
			first = data;
			first_len = (size_t)(next - data);
			if (has_filename)
				break;
		}
		part = next + 2;
	}
	if (!first)
		return -1;
	*out = first;
	*out_len = first_len;
	return 0;
}

void fs_upload_handle(const char *token, const char *ctype, const char *body,
		      size_t len, struct fs_reply *r)
{
	struct fs_file *f = NULL;
	for (f = fs.files; f; f = f->next)
		if (!strcmp(f->token, token))
			break;
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "token", token);
	cJSON_AddNumberToObject(rec, "bytes", (double)len);
	cJSON_AddNumberToObject(rec, "time", (double)fs_now_us() / 1e6);
	r->ctype = "text/plain; charset=utf-8";
	if (!strncasecmp(ctype, "multipart/form-data", 19)) {
		cJSON_AddBoolToObject(rec, "multipart", 1);
		cJSON_AddNumberToObject(rec, "body_bytes", (double)len);
		if (multipart_file(ctype, body, len, &body, &len)) {
			r->status = 400;
			r->body = strdup("invalid multipart body");
			cJSON_AddNumberToObject(rec, "status", r->status);
			fs_record_add(&fs.uploads, rec);
			return;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(
		    rec, "bytes", cJSON_CreateNumber((double)len));
	}
	if (!f) {
		r->status = 404;
		r->body = strdup("Not Found");
	} else if (fs.fail_uploads > 0) {
		fs.fail_uploads--;
		r->status = 500;
		r->body = strdup("Internal Server Error");
		cJSON_AddStringToObject(rec, "file_id", f->id);
	} else {
		f->uploaded = (long)len;
		char b[64];
		snprintf(b, sizeof(b), "OK - %zu", len);
		r->status = 200;
		r->body = strdup(b);
		cJSON_AddStringToObject(rec, "file_id", f->id);
		/* keep the first 64 KiB so tests can check what arrived */
		char *head = strndup(body, len < 65536 ? len : 65536);
		cJSON_AddItemToObject(rec, "head",
				      cJSON_CreateString(head ? head : ""));
		free(head);
	}
	cJSON_AddNumberToObject(rec, "status", r->status);
	fs_record_add(&fs.uploads, rec);
}

static void mime_of(const char *name, const char **mime, const char **ft,
		    const char **pretty)
{
	const char *dot = strrchr(name, '.');
	*mime = "application/octet-stream";
	*ft = "binary";
	*pretty = "Binary";
	if (!dot)
		return;
	if (!strcmp(dot, ".md"))
		*mime = "text/markdown", *ft = "markdown",
		*pretty = "Markdown (raw)";
	else if (!strcmp(dot, ".txt"))
		*mime = "text/plain", *ft = "text", *pretty = "Plain Text";
	else if (!strcmp(dot, ".json"))
		*mime = "application/json", *ft = "json", *pretty = "JSON";
	else if (!strcmp(dot, ".pdf"))
		*mime = "application/pdf", *ft = "pdf", *pretty = "PDF";
	else if (!strcmp(dot, ".png"))
		*mime = "image/png", *ft = "png", *pretty = "PNG";
	else if (!strcmp(dot, ".html"))
		*mime = "text/html", *ft = "html", *pretty = "HTML";
}

static cJSON *file_json(struct fs_file *f, struct fs_channel *ch,
			const char *share_ts)
{
	const char *mime, *ft, *pretty;
	mime_of(f->name, &mime, &ft, &pretty);
	char url[256];
	long now = (long)(fs_now_us() / 1000000u);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", f->id);
	cJSON_AddNumberToObject(o, "created", (double)now);
	cJSON_AddNumberToObject(o, "timestamp", (double)now);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "title", f->title ? f->title : f->name);
	cJSON_AddStringToObject(o, "mimetype", mime);
	cJSON_AddStringToObject(o, "filetype", ft);
	cJSON_AddStringToObject(o, "pretty_type", pretty);
	cJSON_AddStringToObject(o, "user", FS_BOT_USER);
	cJSON_AddStringToObject(o, "user_team", FS_TEAM_ID);
	cJSON_AddBoolToObject(o, "editable", 0);
	cJSON_AddNumberToObject(
	    o, "size", (double)(f->uploaded >= 0 ? f->uploaded : f->length));
	cJSON_AddStringToObject(o, "mode", "hosted");
	cJSON_AddBoolToObject(o, "is_external", 0);
	cJSON_AddStringToObject(o, "external_type", "");
	cJSON_AddBoolToObject(o, "is_public", ch && !ch->is_private);
	cJSON_AddBoolToObject(o, "public_url_shared", 0);
	cJSON_AddBoolToObject(o, "display_as_bot", 0);
	cJSON_AddStringToObject(o, "username", "");
	snprintf(url, sizeof(url), "https://files.slack.com/files-pri/%s-%s/%s",
		 FS_TEAM_ID, f->id, f->name);
	cJSON_AddStringToObject(o, "url_private", url);
	cJSON_AddStringToObject(o, "url_private_download", url);
	snprintf(url, sizeof(url), "https://%s.slack.com/files/%s/%s/%s",
		 FS_TEAM_DOMAIN, FS_BOT_USER, f->id, f->name);
	cJSON_AddStringToObject(o, "permalink", url);
	cJSON_AddStringToObject(o, "permalink_public", url);
	cJSON_AddNumberToObject(o, "comments_count", 0);
	cJSON_AddBoolToObject(o, "is_starred", 0);
	cJSON *shares = cJSON_AddObjectToObject(o, "shares");
	cJSON *chans = cJSON_AddArrayToObject(o, "channels");
	cJSON_AddItemToObject(o, "groups", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "ims", cJSON_CreateArray());
	if (ch && share_ts) {
		cJSON *kind = cJSON_AddObjectToObject(
		    shares, ch->is_private ? "private" : "public");
		cJSON *list = cJSON_AddArrayToObject(kind, ch->id);
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "ts", share_ts);
		cJSON_AddStringToObject(s, "channel_name", ch->name);
		cJSON_AddStringToObject(s, "team_id", FS_TEAM_ID);
		cJSON_AddStringToObject(s, "share_user_id", FS_BOT_USER);
		cJSON_AddStringToObject(s, "source", "UNKNOWN");
		cJSON_AddItemToArray(list, s);
		cJSON_AddItemToArray(chans, cJSON_CreateString(ch->id));
	}
	cJSON_AddBoolToObject(o, "has_rich_preview", 0);
	cJSON_AddStringToObject(o, "file_access", "visible");
	return o;
}

static cJSON *m_complete_upload(struct call *c)
{
	const char *fl = PN(c->p, "files");
	if (!fl)
		return missing("files");
	cJSON *arr = cJSON_Parse(fl);
	if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr)) {
		cJSON_Delete(arr);
		return err_obj("invalid_arguments");
	}
	cJSON *x;
	cJSON_ArrayForEach(x, arr)
	{
		struct fs_file *f = file_find(fstr(x, "id", NULL));
		if (!f || f->completed || f->uploaded < 0) {
			cJSON_Delete(arr);
			return err_obj("file_not_found");
		}
	}
	struct fs_channel *ch = NULL;
	const char *cid = PN(c->p, "channel_id");
	if (!cid)
		cid = PN(c->p, "channels");
	if (cid) {
		cJSON *e = NULL;
		ch = chan_arg(
		    c, PN(c->p, "channel_id") ? "channel_id" : "channels", 0,
		    &e);
		if (!ch) {
			cJSON_Delete(arr);
			return e;
		}
		if (ch->is_archived) {
			cJSON_Delete(arr);
			return err_obj("is_archived");
		}
		if (ch->is_private && !is_member(ch, FS_BOT_USER)) {
			cJSON_Delete(arr);
			return err_obj("not_in_channel");
		}
	}
	char share_ts[24] = "";
	if (ch)
		fs_next_ts(ch, share_ts);
	cJSON *o = ok_obj(), *files = cJSON_AddArrayToObject(o, "files");
	cJSON *msgfiles = cJSON_CreateArray();
	cJSON_ArrayForEach(x, arr)
	{
		struct fs_file *f = file_find(fstr(x, "id", NULL));
		free(f->title);
		f->title = strdup(fstr(x, "title", f->name));
		f->completed = 1;
		cJSON_AddItemToArray(files,
				     file_json(f, ch, ch ? share_ts : NULL));
		cJSON_AddItemToArray(msgfiles,
				     file_json(f, ch, ch ? share_ts : NULL));
	}
	cJSON_Delete(arr);
	if (ch) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "type", "message");
		cJSON_AddStringToObject(m, "text",
					P(c->p, "initial_comment")
					    ? P(c->p, "initial_comment")
					    : "");
		cJSON_AddItemToObject(m, "files", msgfiles);
		cJSON_AddBoolToObject(m, "upload", 1);
		cJSON_AddStringToObject(m, "user", FS_BOT_USER);
		cJSON_AddBoolToObject(m, "display_as_bot", 0);
		cJSON_AddStringToObject(m, "bot_id", FS_BOT_ID);
		cJSON_AddStringToObject(m, "app_id", FS_APP_ID);
		const char *tts = PN(c->p, "thread_ts");
		if (tts)
			cJSON_AddStringToObject(m, "thread_ts", tts);
		fs_message_add(ch, share_ts, m);
	} else {
		cJSON_Delete(msgfiles);
	}
	return o;
}

/* ---- dispatch
 * -------------------------------------------------------------------- */

enum { K_BOT = 1, K_USER = 2, K_APP = 4 };

struct method {
	const char *name;
	cJSON *(*fn)(struct call *);
	int read;  /* GET-style: a JSON body is not read */
	int kinds; /* token kinds allowed */
};

static const struct method methods[] = {
    {"auth.test", m_auth_test, 1, K_BOT | K_USER},
    {"apps.connections.open", m_connections_open, 0, K_APP},
    {"conversations.create", m_create, 0, K_BOT | K_USER},
    {"conversations.invite", m_invite, 0, K_BOT | K_USER},
    {"conversations.setTopic", m_set_topic, 0, K_BOT | K_USER},
    {"conversations.setPurpose", m_set_purpose, 0, K_BOT | K_USER},
    {"conversations.archive", m_archive, 0, K_BOT | K_USER},
    {"conversations.history", m_history, 1, K_BOT | K_USER},
    {"conversations.replies", m_replies, 1, K_BOT | K_USER},
    {"conversations.info", m_info, 1, K_BOT | K_USER},
    {"chat.postMessage", m_post_message, 0, K_BOT | K_USER},
    {"chat.update", m_update, 0, K_BOT | K_USER},
    {"chat.postEphemeral", m_post_ephemeral, 0, K_BOT | K_USER},
    {"pins.add", m_pins_add, 0, K_BOT | K_USER},
    {"users.info", m_users_info, 1, K_BOT | K_USER},
    {"files.getUploadURLExternal", m_get_upload_url, 0, K_BOT | K_USER},
    {"files.completeUploadExternal", m_complete_upload, 0, K_BOT | K_USER},
};

static const char *token_kind(const char *tok, int *mask)
{
	*mask = 0;
	if (!tok || !*tok)
		return "none";
	if (!strcmp(tok, fs.bot_token))
		return *mask = K_BOT, "bot";
	if (!strcmp(tok, fs.app_token))
		return *mask = K_APP, "app";
	if (!strcmp(tok, fs.user_token))
		return *mask = K_USER, "user";
	return "invalid";
}

static int starts_with_ci(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

void fs_api_handle(const char *method, const char *http_method,
		   const char *ctype, const char *auth, const char *query,
		   const char *body, size_t body_len, struct fs_reply *r)
{
	const struct method *m = NULL;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, method))
			m = &methods[i];

	/* params as received: query first, then the body on top */
	cJSON *received = fs_parse_form(query, strlen(query));
	const char *body_error = NULL;
	const char *warning = NULL;
	int body_is_json = 0;
	if (body_len) {
		if (starts_with_ci(ctype,
				   "application/x-www-form-urlencoded")) {
			cJSON *b = fs_parse_form(body, body_len);
			cJSON *it = b->child;
			while (it) {
				cJSON *nx = it->next;
				cJSON_DetachItemViaPointer(b, it);
				cJSON_DeleteItemFromObjectCaseSensitive(
				    received, it->string);
				cJSON_AddItemToObject(received, it->string, it);
				it = nx;
			}
			cJSON_Delete(b);
		} else if (starts_with_ci(ctype, "application/json")) {
			body_is_json = 1;
			if (!strstr(ctype, "charset"))
				warning = "missing_charset";
			cJSON *j = cJSON_ParseWithLength(body, body_len);
			if (!j)
				body_error = "invalid_json";
			else if (!cJSON_IsObject(j))
				body_error = "json_not_object";
			else if (m && !m->read) {
				cJSON *it = j->child;
				while (it) {
					cJSON *nx = it->next;
					cJSON_DetachItemViaPointer(j, it);
					cJSON_DeleteItemFromObjectCaseSensitive(
					    received, it->string);
					cJSON_AddItemToObject(received,
							      it->string, it);
					it = nx;
				}
			}
			cJSON_Delete(j);
		} else if (starts_with_ci(ctype, "multipart/form-data")) {
			body_error =
			    "invalid_form_data"; /* not supported by the fake */
		} else if (!ctype[0]) {
			body_error = "missing_post_type";
		} else {
			body_error = "invalid_post_type";
		}
	}
	(void)body_is_json;

	/* the token: Authorization header, else a form-body token param */
	const char *tok = NULL;
	if (starts_with_ci(auth, "Bearer "))
		tok = auth + 7;
	else if (!strcmp(http_method, "POST") &&
		 starts_with_ci(ctype, "application/x-www-form"))
		tok = P(received, "token");
	int mask;
	const char *kind = token_kind(tok, &mask);

	cJSON *out = NULL;
	int status = 200, retry_after = 0;
	struct fs_limit *lim = NULL, **lp;
	for (lp = &fs.limits; *lp; lp = &(*lp)->next)
		if (!strcmp((*lp)->method, method) ||
		    !strcmp((*lp)->method, "*")) {
			lim = *lp;
			break;
		}

	if (!m) {
		out = err_obj("unknown_method");
		cJSON_AddStringToObject(out, "req_method", method);
	} else if (!strcmp(kind, "none")) {
		out = err_obj("not_authed");
	} else if (!strcmp(kind, "invalid")) {
		out = err_obj("invalid_auth");
	} else if (lim) {
		status = lim->status;
		retry_after = status == 429 ? lim->retry_after : 0;
		out = err_obj(status == 429 ? "ratelimited" : "fatal_error");
		if (--lim->count <= 0) {
			*lp = lim->next;
			free(lim);
		}
	} else if (body_error) {
		out = err_obj(body_error);
	} else if (!(mask & m->kinds)) {
		out = err_obj("not_allowed_token_type");
	} else {
		cJSON *norm = normalise(received);
		struct call c = {norm, kind, r};
		out = m->fn(&c);
		cJSON_Delete(norm);
	}
	if (warning && out) {
		cJSON_AddStringToObject(out, "warning", warning);
		cJSON *md =
		    cJSON_GetObjectItemCaseSensitive(out, "response_metadata");
		if (!md)
			md = cJSON_AddObjectToObject(out, "response_metadata");
		cJSON *w = cJSON_AddArrayToObject(md, "warnings");
		cJSON_AddItemToArray(w, cJSON_CreateString(warning));
	}

	/* the record */
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "method", method);
	cJSON_AddStringToObject(rec, "http_method", http_method);
	cJSON_AddStringToObject(rec, "content_type", ctype);
	cJSON_AddStringToObject(rec, "token_kind", kind);
	cJSON_AddItemToObject(rec, "params", received);
	cJSON_AddNumberToObject(rec, "time", (double)fs_now_us() / 1e6);
	cJSON_AddNumberToObject(rec, "status", status);
	cJSON *okv = cJSON_GetObjectItemCaseSensitive(out, "ok");
	cJSON_AddBoolToObject(rec, "ok", cJSON_IsTrue(okv));
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(out, "error");
	if (cJSON_IsString(ev))
		cJSON_AddStringToObject(rec, "error", ev->valuestring);
	cJSON_AddItemToObject(rec, "response", cJSON_Duplicate(out, 1));
	fs_record_add(&fs.calls, rec);

	fs_reply_json(r, status, out);
	r->retry_after = retry_after;
}
