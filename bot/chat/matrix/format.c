/*
 * format.c - Scribe's messages as Matrix event contents; see format.h.
 */
#include <cjson/cJSON.h>

#include "util/base.h"
#include "util/buf.h"
#include "chat/chat.h"
#include "chat/matrix/events.h"
#include "chat/matrix/format.h"
#include "core/postmortem.h"

/* Cuts s to at most max bytes, on a character boundary. */
static void cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

static char *html(const char *md)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	if (html_of_markdown(md, strlen(md), f)) {
		fclose(f);
		free(out);
		return NULL;
	}
	fclose(f);
	return out;
}

cJSON *mx_notice(const char *markdown, const char *to_user)
{
	cJSON *o = cJSON_CreateObject(), *mentions;
	int step = chat_step_of(markdown);
	struct buf b;
	char *h, label[16];

	buf_init(&b, BUF_UNBOUNDED);
	if (to_user)
		buf_addf(&b, "%s: ", to_user);
	buf_adds(&b, markdown);
	if (step)
		buf_addf(&b, "\n\nReact with \xe2\x9c\x85 when it is done.");
	cut(b.s, MX_BODY_MAX);
	h = html(b.s);
	cJSON_AddStringToObject(o, "msgtype", "m.notice");
	cJSON_AddStringToObject(o, "body", b.s);
	if (h) {
		cJSON_AddStringToObject(o, "format", "org.matrix.custom.html");
		cJSON_AddStringToObject(o, "formatted_body", h);
	}
	mentions = cJSON_AddObjectToObject(o, "m.mentions");
	if (to_user)
		cJSON_AddItemToObject(mentions, "user_ids",
				      cJSON_CreateStringArray(&to_user, 1));
	if (step) {
		snprintf(label, sizeof(label), "S%d", step);
		cJSON_AddStringToObject(o, MX_STEP_KEY, label);
	}
	free(h);
	buf_release(&b);
	return o;
}

/* The localpart of the alias of a room named name, at attempt. */
static void alias_local(const char *name, int attempt, char out[96])
{
	if (attempt > 0)
		snprintf(out, 96, "%.80s-%d", name, attempt + 1);
	else
		snprintf(out, 96, "%.80s", name);
}

char *mx_room_alias(const char *request, const char *self, int attempt)
{
	cJSON *req = cJSON_Parse(request);
	const char *name =
	    cJSON_GetStringValue(cJSON_GetObjectItem(req, "name"));
	const char *server = self ? strchr(self, ':') : NULL;
	char local[96], *out = NULL;

	if (name && server) {
		alias_local(name, attempt, local);
		out = xasprintf("#%s%s", local, server);
	}
	cJSON_Delete(req);
	return out;
}

char *mx_room_link(const char *room, const char *alias)
{
	const char *shown = alias ? alias : room, *p;
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "[%s](https://matrix.to/#/", shown);
	/* RFC 3986 unreserved characters stay; the rest is encoded. */
	for (p = shown; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			buf_addch(&b, (char)ch);
		else
			buf_addf(&b, "%%%02X", ch);
	}
	buf_addch(&b, ')');
	return buf_detach(&b, NULL);
}

cJSON *mx_create_room(const char *request, const char *self, int attempt)
{
	cJSON *req = cJSON_Parse(request), *o, *pl, *users, *invite;
	const cJSON *it;
	const char *name, *title, *topic, *commander;
	char alias[96];

	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return NULL;
	}
	name = cJSON_GetStringValue(cJSON_GetObjectItem(req, "name"));
	title = cJSON_GetStringValue(cJSON_GetObjectItem(req, "title"));
	topic = cJSON_GetStringValue(cJSON_GetObjectItem(req, "topic"));
	commander = cJSON_GetStringValue(cJSON_GetObjectItem(req, "commander"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "preset", "private_chat");
	cJSON_AddStringToObject(o, "visibility", "private");
	cJSON_AddBoolToObject(o, "is_direct", false);
	if (title || name)
		cJSON_AddStringToObject(o, "name", title ? title : name);
	if (topic)
		cJSON_AddStringToObject(o, "topic", topic);
	if (name) {
		alias_local(name, attempt, alias);
		cJSON_AddStringToObject(o, "room_alias_name", alias);
	}
	invite = cJSON_AddArrayToObject(o, "invite");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(req, "invite"))
	{
		/* Only Matrix ids; never the bot itself. */
		if (cJSON_IsString(it) && it->valuestring[0] == '@' &&
		    strchr(it->valuestring, ':') &&
		    (!self || strcmp(it->valuestring, self)))
			cJSON_AddItemToArray(
			    invite, cJSON_CreateString(it->valuestring));
	}
	/* The bot keeps full power; the commander moderates. The override
	 * replaces the default users map, so the bot is named too. */
	pl = cJSON_AddObjectToObject(o, "power_level_content_override");
	users = cJSON_AddObjectToObject(pl, "users");
	if (self)
		cJSON_AddNumberToObject(users, self, 100);
	if (commander && commander[0] == '@' &&
	    (!self || strcmp(commander, self)))
		cJSON_AddNumberToObject(users, commander, 50);
	cJSON_Delete(req);
	return o;
}

cJSON *mx_file(const char *name, const char *mxc, const char *mimetype,
	       size_t size)
{
	cJSON *o = cJSON_CreateObject(), *info;

	cJSON_AddStringToObject(o, "msgtype", "m.file");
	cJSON_AddStringToObject(o, "body", name);
	cJSON_AddStringToObject(o, "filename", name);
	cJSON_AddStringToObject(o, "url", mxc);
	info = cJSON_AddObjectToObject(o, "info");
	cJSON_AddStringToObject(info, "mimetype", mimetype);
	cJSON_AddNumberToObject(info, "size", (double)size);
	cJSON_AddObjectToObject(o, "m.mentions");
	return o;
}
