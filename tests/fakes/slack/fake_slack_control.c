/* fake_slack_control.c - the /_control/ JSON API of the fake Slack.
 *
 * Tests script the fake through it: push Events API events, slash commands,
 * block_actions and raw envelopes or frames to the Socket Mode connections;
 * send disconnect frames or drop sockets; arm 429s; tune timeouts; seed
 * users, channels and messages; and read back every recorded Web API call,
 * envelope sent, ack received and upload. README.md documents each endpoint.
 */
#include "fake_slack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *gs(const cJSON *o, const char *k, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

static double gn(const cJSON *o, const char *k, double def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int gb(const cJSON *o, const char *k, int def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* copies every key of `from` not in `skip` (comma list) into `to` */
static void merge_extra(cJSON *to, const cJSON *from, const char *skip)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, from)
	{
		char key[80];
		snprintf(key, sizeof(key), ",%s,", it->string);
		if (strstr(skip, key))
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(to, it->string);
		cJSON_AddItemToObject(to, it->string, cJSON_Duplicate(it, 1));
	}
}

/* The Events API wrapper around an event (A5). */
static cJSON *event_wrap(cJSON *event, const char *event_id_in,
			 char *event_id_out)
{
	char eid[16];
	if (event_id_in)
		snprintf(eid, sizeof(eid), "%s", event_id_in);
	else
		fs_random_id(eid, 12, "Ev");
	if (event_id_out)
		strcpy(event_id_out, eid);
	cJSON *w = cJSON_CreateObject();
	cJSON_AddStringToObject(w, "token", "fake-verification-token");
	cJSON_AddStringToObject(w, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(w, "context_team_id", FS_TEAM_ID);
	cJSON_AddNullToObject(w, "context_enterprise_id");
	cJSON_AddStringToObject(w, "api_app_id", FS_APP_ID);
	cJSON_AddItemToObject(w, "event", event);
	cJSON_AddStringToObject(w, "type", "event_callback");
	cJSON_AddStringToObject(w, "event_id", eid);
	cJSON_AddNumberToObject(w, "event_time",
				(double)(fs_now_us() / 1000000u));
	cJSON *auths = cJSON_AddArrayToObject(w, "authorizations");
	cJSON *a = cJSON_CreateObject();
	cJSON_AddNullToObject(a, "enterprise_id");
	cJSON_AddStringToObject(a, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(a, "user_id", FS_BOT_USER);
	cJSON_AddBoolToObject(a, "is_bot", 1);
	cJSON_AddBoolToObject(a, "is_enterprise_install", 0);
	cJSON_AddItemToArray(auths, a);
	cJSON_AddBoolToObject(w, "is_ext_shared_channel", 0);
	cJSON_AddStringToObject(w, "event_context",
				"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMEZBS0UifQ");
	return w;
}

/* Pushes an event; returns the control reply. */
static cJSON *push_event(cJSON *event, const char *event_id)
{
	char eid[16], env[40] = "";
	cJSON *ets = cJSON_GetObjectItemCaseSensitive(event, "event_ts");
	char ts[24] = "";
	if (cJSON_IsString(ets))
		snprintf(ts, sizeof(ts), "%s", ets->valuestring);
	int rc = fs_push_envelope("events_api",
				  event_wrap(event, event_id, eid), 0, env);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "event_id", eid);
	cJSON_AddStringToObject(o, "envelope_id", env);
	cJSON_AddBoolToObject(o, "delivered", rc == 0);
	if (ts[0])
		cJSON_AddStringToObject(o, "event_ts", ts);
	return o;
}

void fs_echo_bot_message(struct fs_channel *ch, cJSON *msg)
{
	cJSON *e = cJSON_Duplicate(msg, 1);
	cJSON_AddStringToObject(e, "channel", ch->id);
	cJSON_AddStringToObject(e, "event_ts", gs(msg, "ts", ""));
	cJSON_AddStringToObject(e, "channel_type",
				ch->is_private ? "group" : "channel");
	cJSON_Delete(push_event(e, NULL));
}

static cJSON *file_obj(const cJSON *f, const char *user)
{
	char id[16], url[256];
	const char *name = gs(f, "name", "screenshot.png");
	fs_random_id(id, 12, "F");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", gs(f, "id", id));
	cJSON_AddNumberToObject(o, "created", (double)(fs_now_us() / 1000000u));
	cJSON_AddNumberToObject(o, "timestamp",
				(double)(fs_now_us() / 1000000u));
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "title", gs(f, "title", name));
	cJSON_AddStringToObject(o, "mimetype", gs(f, "mimetype", "image/png"));
	cJSON_AddStringToObject(o, "filetype", gs(f, "filetype", "png"));
	cJSON_AddStringToObject(o, "pretty_type", gs(f, "pretty_type", "PNG"));
	cJSON_AddStringToObject(o, "user", user);
	cJSON_AddStringToObject(o, "user_team", FS_TEAM_ID);
	cJSON_AddBoolToObject(o, "editable", 0);
	cJSON_AddNumberToObject(o, "size", gn(f, "size", 1234));
	cJSON_AddStringToObject(o, "mode", "hosted");
	cJSON_AddBoolToObject(o, "is_external", 0);
	cJSON_AddStringToObject(o, "external_type", "");
	cJSON_AddBoolToObject(o, "is_public", 1);
	snprintf(url, sizeof(url), "https://files.slack.com/files-pri/%s-%s/%s",
		 FS_TEAM_ID, gs(f, "id", id), name);
	cJSON_AddStringToObject(o, "url_private", url);
	cJSON_AddStringToObject(o, "url_private_download", url);
	snprintf(url, sizeof(url), "https://%s.slack.com/files/%s/%s/%s",
		 FS_TEAM_DOMAIN, user, gs(f, "id", id), name);
	cJSON_AddStringToObject(o, "permalink", gs(f, "permalink", url));
	cJSON_AddStringToObject(o, "permalink_public", url);
	cJSON_AddBoolToObject(o, "has_rich_preview", 0);
	cJSON_AddStringToObject(o, "file_access", "visible");
	return o;
}

/* Builds the stored message and the event for a "message"-like push. */
static cJSON *make_message(struct fs_channel *ch, const cJSON *in, int index,
			   int count, int store)
{
	const char *user = gs(in, "user", "U0FAKEALICE");
	const char *type = gs(in, "type", "message");
	cJSON *m = cJSON_CreateObject();
	char uuid[37];
	fs_uuid(uuid);
	if (!strcmp(type, "message"))
		cJSON_AddStringToObject(m, "client_msg_id", uuid);
	cJSON_AddStringToObject(m, "type", type);
	const char *sub = gs(in, "subtype", NULL);
	if (sub)
		cJSON_AddStringToObject(m, "subtype", sub);
	const char *text = gs(in, "text", "");
	if (count > 1) {
		char *t = malloc(strlen(text) + 24);
		sprintf(t, "%s %d", text, index + 1);
		cJSON_AddStringToObject(m, "text", t);
		free(t);
	} else {
		cJSON_AddStringToObject(m, "text", text);
	}
	cJSON_AddStringToObject(m, "user", user);
	cJSON_AddStringToObject(m, "team", FS_TEAM_ID);
	const char *tts = gs(in, "thread_ts", NULL);
	if (tts) {
		cJSON_AddStringToObject(m, "thread_ts", tts);
		cJSON *p = fs_message_find(ch, tts);
		cJSON_AddStringToObject(m, "parent_user_id",
					p ? gs(p, "user", "") : user);
		if (sub && !strcmp(sub, "thread_broadcast") && p) {
			cJSON *root = cJSON_Duplicate(p, 1);
			cJSON_AddItemToObject(m, "root", root);
		}
	}
	cJSON *files = cJSON_GetObjectItemCaseSensitive(in, "files");
	cJSON *file = cJSON_GetObjectItemCaseSensitive(in, "file");
	if ((sub && !strcmp(sub, "file_share")) || files || file) {
		cJSON *arr = cJSON_AddArrayToObject(m, "files");
		cJSON *f;
		if (cJSON_IsArray(files)) {
			cJSON_ArrayForEach(f, files)
			    cJSON_AddItemToArray(arr, file_obj(f, user));
		} else {
			cJSON_AddItemToArray(arr, file_obj(file, user));
		}
		cJSON_AddBoolToObject(m, "upload", 0);
		cJSON_AddBoolToObject(m, "display_as_bot", 0);
	}
	merge_extra(m, in,
		    ",type,subtype,text,user,thread_ts,files,file,channel,"
		    "count,store,event_id,ts,");
	const char *ts = count == 1 ? gs(in, "ts", NULL) : NULL;
	cJSON *stored;
	if (store) {
		stored = fs_message_add(ch, ts, m);
	} else {
		char buf[24];
		if (!ts) {
			fs_next_ts(ch, buf);
			ts = buf;
		}
		cJSON_AddStringToObject(m, "ts", ts);
		stored = m;
	}
	cJSON *e = cJSON_Duplicate(stored, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(e, "reply_count");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "reply_users");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "reply_users_count");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "latest_reply");
	cJSON_AddStringToObject(e, "channel", ch->id);
	cJSON_AddStringToObject(e, "event_ts", gs(stored, "ts", ""));
	cJSON_AddStringToObject(e, "channel_type",
				ch->is_private ? "group" : "channel");
	if (!store)
		cJSON_Delete(m);
	return e;
}

/* The answer to a burst of count messages (takes ids). */
static cJSON *burst_reply(int count, int delivered, cJSON *ids)
{
	cJSON *o = ok_obj();
	cJSON_AddNumberToObject(o, "count", count);
	cJSON_AddNumberToObject(o, "delivered", delivered);
	cJSON_AddItemToObject(o, "event_ids", ids);
	return o;
}

/* count messages that are not stored (a benchmark's burst): the first is
 * made and printed the usual way, with markers where messages differ
 * (client_msg_id, text, ts, event_id); each message is that text with
 * the markers filled in: the same JSON, without a tree per message.
 * NULL when the markers are not where they should be (then the slow
 * way). */
static cJSON *burst_unstored(struct fs_channel *ch, const cJSON *in, int count)
{
	static const char *const mark[] = {"@@U@@", "@@X@@", "@@T@@", "@@E@@"};
	static const int times[] = {1, 1, 2, 1};
	cJSON *t = cJSON_Duplicate(in, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(t, "text");
	cJSON_AddStringToObject(t, "text", mark[1]);
	cJSON_DeleteItemFromObjectCaseSensitive(t, "ts");
	cJSON_AddStringToObject(t, "ts", mark[2]);
	cJSON_DeleteItemFromObjectCaseSensitive(t, "client_msg_id");
	cJSON_AddStringToObject(t, "client_msg_id", mark[0]);
	cJSON *w = event_wrap(make_message(ch, t, 0, 1, 0), mark[3], NULL);
	char *tpl = cJSON_PrintUnformatted(w);
	cJSON_Delete(w);
	cJSON_Delete(t);
	/* the template, cut at its markers */
	const char *seg[8];
	size_t seglen[8];
	int which[8], nseg = 0, found[4] = {0};
	const char *p = tpl;
	while (tpl && nseg < 7) {
		const char *best = NULL;
		int k = -1;
		for (int m = 0; m < 4; m++) {
			const char *q = strstr(p, mark[m]);
			if (q && (!best || q < best)) {
				best = q;
				k = m;
			}
		}
		seg[nseg] = p;
		seglen[nseg] = best ? (size_t)(best - p) : strlen(p);
		which[nseg++] = k;
		if (!best)
			break;
		found[k]++;
		p = best + strlen(mark[k]);
	}
	for (int m = 0; m < 4; m++)
		if (found[m] != times[m] || !tpl || which[nseg - 1] != -1) {
			free(tpl);
			return NULL;
		}
	char *quoted = fs_json_str(gs(in, "text", ""));
	size_t textlen = quoted ? strlen(quoted) - 2 : 0;
	int delivered = 0;
	cJSON *ids = cJSON_CreateArray();
	for (int i = 0; i < count && quoted; i++) {
		char uuid[37], ts[24], eid[16], num[16];
		size_t len = 0;
		fs_uuid(uuid);
		fs_next_ts(ch, ts);
		fs_random_id(eid, 12, "Ev");
		int nl = snprintf(num, sizeof(num), " %d", i + 1);
		const char *val[4] = {uuid, NULL, ts, eid};
		for (int s = 0; s < nseg; s++)
			len += seglen[s] + 64 + textlen;
		char *out = malloc(len + 1), *o = out;
		if (!out)
			break;
		for (int s = 0; s < nseg; s++) {
			memcpy(o, seg[s], seglen[s]);
			o += seglen[s];
			if (which[s] == 1) {
				memcpy(o, quoted + 1, textlen);
				o += textlen;
				memcpy(o, num, (size_t)nl);
				o += nl;
			} else if (which[s] >= 0) {
				size_t vl = strlen(val[which[s]]);
				memcpy(o, val[which[s]], vl);
				o += vl;
			}
		}
		*o = '\0';
		delivered +=
		    fs_push_envelope_json("events_api", out, eid, 0, NULL) == 0;
		if (count <= 1000)
			cJSON_AddItemToArray(ids, cJSON_CreateString(eid));
	}
	free(quoted);
	free(tpl);
	return burst_reply(count, delivered, ids);
}

static cJSON *ctl_event(cJSON *in)
{
	const char *type = gs(in, "type", NULL);
	cJSON *raw = cJSON_GetObjectItemCaseSensitive(in, "event");
	const char *event_id = gs(in, "event_id", NULL);
	if (cJSON_IsObject(raw)) /* a whole event, sent as given */
		return push_event(cJSON_Duplicate(raw, 1), event_id);
	if (!type)
		return err_obj("missing type");
	struct fs_channel *ch = fs_channel_find(gs(in, "channel", NULL));
	int store = gb(in, "store", 1);
	char ts[24];

	if (!strcmp(type, "message") || !strcmp(type, "app_mention")) {
		if (!ch)
			return err_obj("channel_not_found");
		int count = (int)gn(in, "count", 1);
		if (count < 1)
			count = 1;
		if (count == 1)
			return push_event(make_message(ch, in, 0, 1, store),
					  event_id);
		cJSON *fast = store ? NULL : burst_unstored(ch, in, count);
		if (fast)
			return fast;
		cJSON *ids = cJSON_CreateArray();
		int delivered = 0;
		for (int i = 0; i < count; i++) {
			cJSON *r = push_event(
			    make_message(ch, in, i, count, store), NULL);
			delivered += cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(r, "delivered"));
			if (count <= 1000)
				cJSON_AddItemToArray(
				    ids,
				    cJSON_CreateString(gs(r, "event_id", "")));
			cJSON_Delete(r);
		}
		return burst_reply(count, delivered, ids);
	}
	if (!strcmp(type, "message_changed")) {
		if (!ch)
			return err_obj("channel_not_found");
		cJSON *m = fs_message_find(ch, gs(in, "ts", NULL));
		if (!m)
			return err_obj("message_not_found");
		cJSON *prev = cJSON_Duplicate(m, 1);
		fs_next_ts(ch, ts);
		cJSON_DeleteItemFromObjectCaseSensitive(m, "text");
		cJSON_AddStringToObject(m, "text", gs(in, "text", ""));
		cJSON_DeleteItemFromObjectCaseSensitive(m, "edited");
		cJSON *ed = cJSON_AddObjectToObject(m, "edited");
		cJSON_AddStringToObject(ed, "user", gs(m, "user", ""));
		cJSON_AddStringToObject(ed, "ts", ts);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", "message");
		cJSON_AddStringToObject(e, "subtype", "message_changed");
		cJSON_AddBoolToObject(e, "hidden", 1);
		cJSON_AddItemToObject(e, "message", cJSON_Duplicate(m, 1));
		cJSON_AddStringToObject(e, "channel", ch->id);
		cJSON_AddItemToObject(e, "previous_message", prev);
		cJSON_AddStringToObject(e, "event_ts", ts);
		cJSON_AddStringToObject(e, "ts", ts);
		cJSON_AddStringToObject(e, "channel_type",
					ch->is_private ? "group" : "channel");
		return push_event(e, event_id);
	}
	if (!strcmp(type, "message_deleted")) {
		if (!ch)
			return err_obj("channel_not_found");
		const char *dts = gs(in, "ts", NULL);
		cJSON *m = fs_message_find(ch, dts);
		if (!m)
			return err_obj("message_not_found");
		char dcopy[24];
		snprintf(dcopy, sizeof(dcopy), "%s", dts);
		cJSON *prev = cJSON_Duplicate(m, 1);
		fs_message_delete(ch, dcopy);
		fs_next_ts(ch, ts);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", "message");
		cJSON_AddStringToObject(e, "subtype", "message_deleted");
		cJSON_AddBoolToObject(e, "hidden", 1);
		cJSON_AddStringToObject(e, "deleted_ts", dcopy);
		cJSON_AddStringToObject(e, "channel", ch->id);
		cJSON_AddItemToObject(e, "previous_message", prev);
		cJSON_AddStringToObject(e, "event_ts", ts);
		cJSON_AddStringToObject(e, "ts", ts);
		cJSON_AddStringToObject(e, "channel_type",
					ch->is_private ? "group" : "channel");
		return push_event(e, event_id);
	}
	if (!strcmp(type, "reaction_added") ||
	    !strcmp(type, "reaction_removed")) {
		if (!ch)
			return err_obj("channel_not_found");
		cJSON *m = fs_message_find(ch, gs(in, "ts", NULL));
		if (!m)
			return err_obj("message_not_found");
		char now[24];
		fs_next_ts(ch, now);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "type", type);
		cJSON_AddStringToObject(e, "user",
					gs(in, "user", "U0FAKEALICE"));
		cJSON_AddStringToObject(e, "reaction",
					gs(in, "reaction", "pushpin"));
		cJSON_AddStringToObject(e, "item_user", gs(m, "user", ""));
		cJSON *item = cJSON_AddObjectToObject(e, "item");
		cJSON_AddStringToObject(item, "type", "message");
		cJSON_AddStringToObject(item, "channel", ch->id);
		cJSON_AddStringToObject(item, "ts", gs(m, "ts", ""));
		cJSON_AddStringToObject(e, "event_ts", now);
		return push_event(e, event_id);
	}
	/* anything else: the fields as given, plus event_ts */
	cJSON *e = cJSON_CreateObject();
	merge_extra(e, in, ",count,store,event_id,");
	if (!cJSON_GetObjectItemCaseSensitive(e, "event_ts")) {
		char now[24];
		snprintf(now, sizeof(now), "%llu.%06llu",
			 (unsigned long long)(fs_now_us() / 1000000u),
			 (unsigned long long)(fs_now_us() % 1000000u));
		cJSON_AddStringToObject(e, "event_ts", now);
	}
	return push_event(e, event_id);
}

static cJSON *push_reply(int rc, const char *env)
{
	if (rc < 0)
		return err_obj("no_connection");
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "envelope_id", env);
	cJSON_AddBoolToObject(o, "delivered", rc == 0);
	return o;
}

static cJSON *ctl_slash(cJSON *in)
{
	struct fs_channel *ch =
	    fs_channel_find(gs(in, "channel_id", gs(in, "channel", NULL)));
	const char *uid = gs(in, "user_id", gs(in, "user", "U0FAKEALICE"));
	cJSON *u = fs_user_find(uid);
	char trig[64], rid[16];
	fs_random_id(rid, 12, "");
	snprintf(trig, sizeof(trig), "%s.%s.fake", rid, "1234567890");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "token", "fake-verification-token");
	cJSON_AddStringToObject(p, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(p, "team_domain", FS_TEAM_DOMAIN);
	cJSON_AddStringToObject(
	    p, "channel_id", ch ? ch->id : gs(in, "channel_id", "C0FAKEGEN"));
	cJSON_AddStringToObject(p, "channel_name", ch ? ch->name : "general");
	cJSON_AddStringToObject(p, "user_id", uid);
	cJSON_AddStringToObject(p, "user_name", u ? gs(u, "name", uid) : uid);
	cJSON_AddStringToObject(p, "command", gs(in, "command", "/incident"));
	cJSON_AddStringToObject(p, "text", gs(in, "text", ""));
	cJSON_AddStringToObject(p, "api_app_id", FS_APP_ID);
	cJSON_AddStringToObject(p, "is_enterprise_install", "false");
	char url[160];
	snprintf(url, sizeof(url),
		 "http://127.0.0.1:%d/_control/response_url/%s", fs.port, rid);
	cJSON_AddStringToObject(p, "response_url", url);
	cJSON_AddStringToObject(p, "trigger_id", trig);
	char env[40] = "";
	int rc = fs_push_envelope("slash_commands", p, 1, env);
	return push_reply(rc, env);
}

static cJSON *ctl_block_actions(cJSON *in)
{
	struct fs_channel *ch = fs_channel_find(gs(in, "channel", NULL));
	if (!ch)
		return err_obj("channel_not_found");
	const char *mts = gs(in, "message_ts", NULL);
	cJSON *msg = mts ? fs_message_find(ch, mts) : NULL;
	const char *uid = gs(in, "user", "U0FAKEALICE");
	cJSON *u = fs_user_find(uid);
	char rid[16], trig[64], now[24];
	fs_random_id(rid, 12, "");
	snprintf(trig, sizeof(trig), "%s.1234567890.fake", rid);
	snprintf(now, sizeof(now), "%llu.%06llu",
		 (unsigned long long)(fs_now_us() / 1000000u),
		 (unsigned long long)(fs_now_us() % 1000000u));
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "type", "block_actions");
	cJSON *t = cJSON_AddObjectToObject(p, "team");
	cJSON_AddStringToObject(t, "id", FS_TEAM_ID);
	cJSON_AddStringToObject(t, "domain", FS_TEAM_DOMAIN);
	cJSON *uo = cJSON_AddObjectToObject(p, "user");
	cJSON_AddStringToObject(uo, "id", uid);
	cJSON_AddStringToObject(uo, "username", u ? gs(u, "name", uid) : uid);
	cJSON_AddStringToObject(uo, "name", u ? gs(u, "name", uid) : uid);
	cJSON_AddStringToObject(uo, "team_id", FS_TEAM_ID);
	cJSON_AddStringToObject(p, "api_app_id", FS_APP_ID);
	cJSON_AddStringToObject(p, "token", "fake-verification-token");
	cJSON *c = cJSON_AddObjectToObject(p, "container");
	cJSON_AddStringToObject(c, "type", "message");
	cJSON_AddStringToObject(c, "message_ts", mts ? mts : "");
	cJSON_AddStringToObject(c, "channel_id", ch->id);
	cJSON_AddBoolToObject(c, "is_ephemeral", 0);
	if (msg && gs(msg, "thread_ts", NULL))
		cJSON_AddStringToObject(c, "thread_ts",
					gs(msg, "thread_ts", ""));
	cJSON_AddStringToObject(p, "trigger_id", trig);
	cJSON *cc = cJSON_AddObjectToObject(p, "channel");
	cJSON_AddStringToObject(cc, "id", ch->id);
	cJSON_AddStringToObject(cc, "name", ch->name);
	if (msg)
		cJSON_AddItemToObject(p, "message", cJSON_Duplicate(msg, 1));
	cJSON *st = cJSON_AddObjectToObject(p, "state");
	cJSON_AddObjectToObject(st, "values");
	char url[160];
	snprintf(url, sizeof(url),
		 "http://127.0.0.1:%d/_control/response_url/%s", fs.port, rid);
	cJSON_AddStringToObject(p, "response_url", url);
	cJSON *acts = cJSON_AddArrayToObject(p, "actions");
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", "button");
	cJSON_AddStringToObject(a, "action_id", gs(in, "action_id", "done"));
	cJSON_AddStringToObject(a, "block_id", gs(in, "block_id", "fakeblk"));
	cJSON_AddStringToObject(a, "value", gs(in, "value", ""));
	cJSON *tx = cJSON_AddObjectToObject(a, "text");
	cJSON_AddStringToObject(tx, "type", "plain_text");
	cJSON_AddStringToObject(tx, "text", gs(in, "label", "Done"));
	cJSON_AddBoolToObject(tx, "emoji", 1);
	cJSON_AddStringToObject(a, "action_ts", now);
	cJSON_AddItemToArray(acts, a);
	char env[40] = "";
	int rc = fs_push_envelope("interactive", p, 0, env);
	return push_reply(rc, env);
}

static cJSON *ctl_envelope(cJSON *in)
{
	cJSON *pl = cJSON_GetObjectItemCaseSensitive(in, "payload");
	const char *type = gs(in, "type", "events_api");
	int acc =
	    gb(in, "accepts_response_payload", strcmp(type, "events_api") != 0);
	char env[40] = "";
	int rc = fs_push_envelope(
	    type, pl ? cJSON_Duplicate(pl, 1) : cJSON_CreateObject(), acc, env);
	return push_reply(rc, env);
}

static cJSON *ctl_channels(cJSON *in)
{
	const char *name = gs(in, "name", NULL);
	if (!name)
		return err_obj("missing name");
	if (fs_channel_find(name))
		return err_obj("name_taken");
	struct fs_channel *c = fs_channel_new(name, gb(in, "is_private", 0),
					      gs(in, "creator", "U0FAKEALICE"));
	if (!c)
		return err_obj("oom");
	if (gs(in, "id", NULL))
		snprintf(c->id, sizeof(c->id), "%s", gs(in, "id", ""));
	if (gb(in, "bot_member", 1))
		cJSON_AddItemToArray(c->members,
				     cJSON_CreateString(FS_BOT_USER));
	cJSON *m, *mem = cJSON_GetObjectItemCaseSensitive(in, "members");
	cJSON_ArrayForEach(m, mem) if (cJSON_IsString(m)) cJSON_AddItemToArray(
	    c->members, cJSON_CreateString(m->valuestring));
	c->is_archived = gb(in, "is_archived", 0);
	cJSON *o = ok_obj();
	cJSON_AddItemToObject(o, "channel", fs_channel_json(c));
	return o;
}

static cJSON *ctl_messages(cJSON *in)
{
	struct fs_channel *ch = fs_channel_find(gs(in, "channel", NULL));
	if (!ch)
		return err_obj("channel_not_found");
	cJSON *e = make_message(ch, in, 0, 1, 1);
	cJSON *o = ok_obj();
	cJSON_AddStringToObject(o, "ts", gs(e, "ts", ""));
	cJSON_AddStringToObject(o, "channel", ch->id);
	cJSON_Delete(e);
	return o;
}

static cJSON *ctl_config(cJSON *in)
{
	struct {
		const char *k;
		int *v;
	} ints[] = {
	    {"redelivery_ms", &fs.redelivery_ms},
	    {"max_retries", &fs.max_retries},
	    {"ping_ms", &fs.ping_ms},
	    {"pong_timeout_ms", &fs.pong_timeout_ms},
	    {"debug_lifetime_ms", &fs.debug_lifetime_ms},
	    {"close_after_ms", &fs.close_after_ms},
	    {"fail_uploads", &fs.fail_uploads},
	    {"echo_bot_messages", &fs.echo_bot_messages},
	};
	cJSON *o = ok_obj();
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(in, ints[i].k);
		if (cJSON_IsNumber(v))
			*ints[i].v = v->valueint;
		else if (cJSON_IsBool(v))
			*ints[i].v = cJSON_IsTrue(v);
		cJSON_AddNumberToObject(o, ints[i].k, *ints[i].v);
	}
	fs.calls.max = (long)gn(in, "calls_max", (double)fs.calls.max);
	fs.acks.max = (long)gn(in, "acks_max", (double)fs.acks.max);
	fs.sent.max = fs.acks.max;
	fs.max_body = (long)gn(in, "max_body", (double)fs.max_body);
	fs.max_upload = (long)gn(in, "max_upload", (double)fs.max_upload);
	cJSON_AddNumberToObject(o, "calls_max", (double)fs.calls.max);
	cJSON_AddNumberToObject(o, "acks_max", (double)fs.acks.max);
	cJSON_AddNumberToObject(o, "max_body", (double)fs.max_body);
	cJSON_AddNumberToObject(o, "max_upload", (double)fs.max_upload);
	/* The Events API over HTTP (fake_slack_http.c). */
	struct {
		const char *k;
		int *v;
	} http_ints[] = {
	    {"http_retries", &fs.http_retries},
	    {"http_timeout_ms", &fs.http_timeout_ms},
	    {"http_lanes", &fs.http_lanes},
	    {"http_clock_skew_s", &fs.http_clock_skew_s},
	};
	for (size_t i = 0; i < sizeof(http_ints) / sizeof(http_ints[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(in, http_ints[i].k);
		if (cJSON_IsNumber(v))
			*http_ints[i].v = v->valueint;
		cJSON_AddNumberToObject(o, http_ints[i].k, *http_ints[i].v);
	}
	if (fs.http_retries > 3)
		fs.http_retries = 3;
	cJSON *rm = cJSON_GetObjectItemCaseSensitive(in, "http_retry_ms");
	for (int i = 0; i < 3 && cJSON_IsArray(rm); i++) {
		cJSON *v = cJSON_GetArrayItem(rm, i);
		if (cJSON_IsNumber(v))
			fs.http_retry_ms[i] = v->valueint;
	}
	cJSON *ra = cJSON_AddArrayToObject(o, "http_retry_ms");
	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(ra,
				     cJSON_CreateNumber(fs.http_retry_ms[i]));
	cJSON *url = cJSON_GetObjectItemCaseSensitive(in, "events_url");
	if (cJSON_IsString(url) && fs_http_set_url(url->valuestring)) {
		cJSON_Delete(o);
		return err_obj(
		    "events_url must be http://127.0.0.1:PORT[/path]");
	}
	cJSON *sec = cJSON_GetObjectItemCaseSensitive(in, "signing_secret");
	if (cJSON_IsString(sec))
		snprintf(fs.signing_secret, sizeof(fs.signing_secret), "%s",
			 sec->valuestring);
	cJSON_AddStringToObject(o, "events_url", fs.events_url);
	return o;
}

static cJSON *ctl_ratelimit(cJSON *in)
{
	const char *m = gs(in, "method", NULL);
	if (!m)
		return err_obj("missing method");
	int count = (int)gn(in, "count", 1);
	/* replace an armed limit for the same method */
	for (struct fs_limit **pp = &fs.limits; *pp;)
		if (!strcmp((*pp)->method, m)) {
			struct fs_limit *x = *pp;
			*pp = x->next;
			free(x);
		} else {
			pp = &(*pp)->next;
		}
	if (count > 0) {
		struct fs_limit *l = calloc(1, sizeof(*l));
		if (!l)
			return err_obj("oom");
		snprintf(l->method, sizeof(l->method), "%s", m);
		l->count = count;
		l->retry_after = (int)gn(in, "retry_after", 1);
		l->status = (int)gn(in, "status", 429);
		struct fs_limit **pp = &fs.limits;
		while (*pp)
			pp = &(*pp)->next;
		*pp = l;
	}
	return ok_obj();
}

static cJSON *filtered(cJSON *arr, const char *key, const char *want)
{
	cJSON *o = ok_obj(), *out = cJSON_AddArrayToObject(o, "items"), *x;
	cJSON_ArrayForEach(x, arr) if (!want || !strcmp(gs(x, key, ""), want))
	    cJSON_AddItemToArray(out, cJSON_Duplicate(x, 1));
	return o;
}

/* Counts only, for polling while thousands of records pile up: reading
 * them whole would load the fake more than the bot under test. */
static cJSON *ctl_stats(void)
{
	cJSON *o = ok_obj();
	long pending = 0, queued = 0, conns = 0;
	for (struct fs_pending *p = fs.pending; p; p = p->next)
		pending++;
	cJSON *list = fs_conn_list(), *c;
	cJSON_ArrayForEach(c, list)
	{
		conns++;
		queued += (long)gn(c, "queued_frames", 0);
	}
	cJSON_Delete(list);
	cJSON_AddNumberToObject(o, "sent", (double)fs.sent.n);
	cJSON_AddNumberToObject(o, "http_sent", (double)fs.http_sent);
	cJSON_AddNumberToObject(o, "http_ok", (double)fs.http_ok);
	cJSON_AddNumberToObject(o, "http_failed", (double)fs.http_failed);
	cJSON_AddNumberToObject(o, "http_pending", (double)fs_http_pending());
	cJSON_AddNumberToObject(o, "acks", (double)fs.acks.n);
	cJSON_AddNumberToObject(o, "acks_ok", (double)fs.acks_ok);
	cJSON_AddNumberToObject(o, "calls", (double)fs.calls.n);
	cJSON_AddNumberToObject(o, "pending_envelopes", (double)pending);
	cJSON_AddNumberToObject(o, "connections", (double)conns);
	cJSON_AddNumberToObject(o, "queued_frames", (double)queued);
	return o;
}

static cJSON *ctl_state(void)
{
	cJSON *o = ok_obj(), *chans = cJSON_AddArrayToObject(o, "channels");
	for (struct fs_channel *c = fs.channels; c; c = c->next) {
		cJSON *j = fs_channel_json(c);
		cJSON_AddItemToObject(j, "members",
				      cJSON_Duplicate(c->members, 1));
		cJSON_AddItemToObject(j, "messages",
				      cJSON_Duplicate(c->messages, 1));
		cJSON_AddItemToObject(j, "pins", cJSON_Duplicate(c->pins, 1));
		cJSON_AddItemToArray(chans, j);
	}
	cJSON_AddItemToObject(o, "users", cJSON_Duplicate(fs.users, 1));
	cJSON *files = cJSON_AddArrayToObject(o, "files");
	for (struct fs_file *f = fs.files; f; f = f->next) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", f->id);
		cJSON_AddStringToObject(j, "name", f->name);
		cJSON_AddStringToObject(j, "title", f->title ? f->title : "");
		cJSON_AddNumberToObject(j, "length", (double)f->length);
		cJSON_AddNumberToObject(j, "uploaded", (double)f->uploaded);
		cJSON_AddBoolToObject(j, "completed", f->completed);
		cJSON_AddItemToArray(files, j);
	}
	int pending = 0;
	for (struct fs_pending *p = fs.pending; p; p = p->next)
		pending++;
	cJSON_AddNumberToObject(o, "pending_envelopes", pending);
	cJSON_AddItemToObject(o, "connections", fs_conn_list());
	return o;
}

void fs_control_handle(const char *path, const char *http_method,
		       const char *query, const char *body, size_t body_len,
		       struct fs_reply *r)
{
	cJSON *q = fs_parse_form(query, strlen(query));
	cJSON *in = NULL;
	cJSON *out = NULL;
	int status = 200;
	if (body_len) {
		in = cJSON_ParseWithLength(body, body_len);
		if (!cJSON_IsObject(in)) {
			cJSON_Delete(in);
			cJSON_Delete(q);
			fs_reply_json(r, 400, err_obj("invalid_json"));
			return;
		}
	} else {
		in = cJSON_CreateObject();
	}
	const char *qs = NULL;
	cJSON *qv = cJSON_GetObjectItemCaseSensitive(q, "method");
	if (cJSON_IsString(qv))
		qs = qv->valuestring;
	int get = !strcmp(http_method, "GET");

	if (!strcmp(path, "health"))
		out = ok_obj();
	else if (!strcmp(path, "event") && !get)
		out = ctl_event(in);
	else if (!strcmp(path, "slash") && !get)
		out = ctl_slash(in);
	else if (!strcmp(path, "block_actions") && !get)
		out = ctl_block_actions(in);
	else if (!strcmp(path, "envelope") && !get)
		out = ctl_envelope(in);
	else if (!strcmp(path, "frame") && !get) {
		const char *t = gs(in, "text", NULL);
		int n = t ? fs_conn_send_raw((int)gn(in, "conn", 0), t) : -1;
		out = n < 0 ? err_obj("missing text") : ok_obj();
		if (n >= 0)
			cJSON_AddNumberToObject(out, "connections", n);
	} else if (!strcmp(path, "disconnect") && !get) {
		int n = fs_conn_disconnect(
		    (int)gn(in, "conn", 0),
		    gs(in, "reason", "refresh_requested"),
		    (int)gn(in, "close_after_ms", fs.close_after_ms));
		out = ok_obj();
		cJSON_AddNumberToObject(out, "connections", n);
	} else if (!strcmp(path, "drop") && !get) {
		int n = fs_conn_drop((int)gn(in, "conn", 0));
		out = ok_obj();
		cJSON_AddNumberToObject(out, "connections", n);
	} else if (!strcmp(path, "ratelimit") && !get)
		out = ctl_ratelimit(in);
	else if (!strcmp(path, "config"))
		out = ctl_config(in);
	else if (!strcmp(path, "users") && !get) {
		cJSON *u = fs_user_add(in);
		out = ok_obj();
		cJSON_AddItemToObject(out, "user", cJSON_Duplicate(u, 1));
	} else if (!strcmp(path, "channels") && !get)
		out = ctl_channels(in);
	else if (!strcmp(path, "messages") && !get)
		out = ctl_messages(in);
	else if (!strcmp(path, "calls"))
		out = filtered(fs.calls.items, "method", qs);
	else if (!strcmp(path, "http")) {
		cJSON_Delete(in);
		cJSON_Delete(q);
		r->status = 200;
		r->ctype = "application/json; charset=utf-8";
		free(r->body);
		r->body = fs_log_json(&fs.http_log);
		return;
	} else if (!strcmp(path, "acks") || !strcmp(path, "sent")) {
		/* kept as JSON text: sent as it is */
		cJSON_Delete(in);
		cJSON_Delete(q);
		r->status = 200;
		r->ctype = "application/json; charset=utf-8";
		free(r->body);
		r->body =
		    fs_log_json(!strcmp(path, "acks") ? &fs.acks : &fs.sent);
		return;
	} else if (!strcmp(path, "uploads"))
		out = filtered(fs.uploads.items, "file_id", NULL);
	else if (!strcmp(path, "connections")) {
		out = ok_obj();
		cJSON_AddItemToObject(out, "connections", fs_conn_list());
	} else if (!strcmp(path, "state"))
		out = ctl_state();
	else if (!strcmp(path, "stats"))
		out = ctl_stats();
	else if (!strcmp(path, "clear") && !get) {
		fs_record_clear(&fs.calls);
		fs_log_clear(&fs.acks);
		fs.acks_ok = 0;
		fs_log_clear(&fs.sent);
		fs_log_clear(&fs.http_log);
		fs.http_sent = fs.http_ok = fs.http_failed = 0;
		fs_record_clear(&fs.uploads);
		out = ok_obj();
	} else if (!strncmp(path, "response_url/", 13) && !get) {
		/* slash command / block_actions response_url: recorded as a
		 * call */
		cJSON *rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "method", "response_url");
		cJSON_AddStringToObject(rec, "http_method", http_method);
		cJSON_AddStringToObject(rec, "token_kind", "none");
		cJSON_AddItemToObject(rec, "params", cJSON_Duplicate(in, 1));
		cJSON_AddNumberToObject(rec, "time", (double)fs_now_us() / 1e6);
		fs_record_add(&fs.calls, rec);
		out = ok_obj();
	} else {
		status = 404;
		out = err_obj("unknown_control_endpoint");
	}
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(out, "ok")) &&
	    status == 200)
		status = 400;
	cJSON_Delete(in);
	cJSON_Delete(q);
	fs_reply_json(r, status, out);
}
