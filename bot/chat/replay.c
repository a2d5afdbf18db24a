/*
 * replay.c - transcripts into the pipeline; see replay.h.
 *
 * Lines are taken in file order. There is one current channel for the
 * whole replay: it starts as #general and moves into an incident channel
 * when one is declared; a line's "channel" overrides it for that line. The
 * app commits every REPLAY_BATCH events (group commit), and once more at
 * the end, so nothing is left queued when replay returns.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>

#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "chat/console.h"
#include "chat/replay.h"
#include "core/when.h"

unsigned replay_batch = 4096;

/* Counts of each content hash seen so far, for exact repeats. */
struct seen {
	uint64_t *keys; /* 0 = empty slot */
	uint32_t *counts;
	size_t cap, n;
};

static uint32_t seen_bump(struct seen *s, uint64_t key)
{
	size_t i, old_cap = s->cap;
	uint64_t *old_keys = s->keys;
	uint32_t *old_counts = s->counts;

	key |= 1; /* never 0 */
	if (2 * (s->n + 1) > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->keys = xcalloc(s->cap, sizeof(*s->keys));
		s->counts = xcalloc(s->cap, sizeof(*s->counts));
		s->n = 0;
		for (i = 0; i < old_cap; i++) {
			size_t j = old_keys[i] & (s->cap - 1);

			if (!old_keys[i])
				continue;
			while (s->keys[j])
				j = (j + 1) & (s->cap - 1);
			s->keys[j] = old_keys[i];
			s->counts[j] = old_counts[i];
			s->n++;
		}
		free(old_keys);
		free(old_counts);
	}
	i = key & (s->cap - 1);
	while (s->keys[i] && s->keys[i] != key)
		i = (i + 1) & (s->cap - 1);
	if (!s->keys[i]) {
		s->keys[i] = key;
		s->n++;
	}
	return ++s->counts[i];
}

/* FNV-1a, 64-bit, from a given basis; fields are separated by 0x1f. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0x1f;
	return h * 0x100000001b3ULL;
}

/* The content identity of a line without an "id". */
static void content_id(struct seen *seen, const char *ts, const char *user,
		       const char *channel, const char *text, char *out,
		       size_t outsz)
{
	const char *f[] = {ts, user, channel ? channel : "", text};
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		a = fnv(a, f[i]);
		b = fnv(b ^ 0x5bd1e995, f[i]);
	}
	snprintf(out, outsz, "h:%016llx%016llx:%u", (unsigned long long)a,
		 (unsigned long long)b, seen_bump(seen, a ^ (b << 1)));
}

struct replay {
	struct app *app;
	struct console *con;
	const char *path;
	const char *tz; /* zone of plain lines, or NULL */
	char *saved_tz; /* the process zone, while tz is in force */
	struct replay_stats *stats;
	struct seen seen;
	uint64_t lineno;
	bool line_bad; /* a problem was reported for this line */
	char *room;    /* the current channel */
};

static void warn_line(struct replay *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn_line(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%llu: ", r->path, (unsigned long long)r->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	r->line_bad = true; /* counted once per line, in replay_file() */
}

/* Hands one event to the app and follows a declare into its channel. */
static int replay_event(struct replay *r, struct chat_event *ev)
{
	struct app_result res;
	int rc;

	rc = app_event(r->app, ev, &res);
	if (rc)
		return rc;
	if (res.status == SCRIBE_EDUP) {
		r->stats->duplicates++;
	} else if (res.ignored) {
		r->stats->ignored++;
	} else if (res.status == SCRIBE_EINVAL && res.error &&
		   ev->kind != CHAT_MESSAGE && ev->kind != CHAT_COMMAND) {
		/* A refused command is answered in the chat; a bad edit,
		 * delete or reaction is the transcript's problem. */
		warn_line(r, "%s ignored: %s",
			  ev->kind == CHAT_EDIT     ? "edit"
			  : ev->kind == CHAT_DELETE ? "delete"
						    : "reaction",
			  res.error);
	} else {
		r->stats->recorded++;
	}
	if (res.moved_to) {
		free(r->room);
		r->room = res.moved_to;
		res.moved_to = NULL;
	}
	app_result_release(&res);
	if (r->app->batch >= replay_batch)
		return app_flush(r->app);
	return 0;
}

/* ---- JSON Lines -------------------------------------------------------- */

/* The string member name of o: NULL when absent; "" flags a wrong type. */
static const char *member(struct replay *r, const cJSON *o, const char *name,
			  bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		warn_line(r, "\"%s\" must be a string", name);
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

static int json_line(struct replay *r, const char *line, size_t len)
{
	static const struct {
		const char *name;
		enum chat_kind kind;
	} kinds[] = {
	    {"message", CHAT_MESSAGE}, {"edit", CHAT_EDIT},
	    {"delete", CHAT_DELETE},   {"reaction", CHAT_REACTION},
	    {"file", CHAT_FILE},
	};
	struct chat_event ev = {0};
	const char *ts, *user, *text, *kind, *channel, *id;
	const cJSON *file;
	char idbuf[64];
	cJSON *o;
	bool bad = false;
	size_t i;
	int rc = 0;

	o = cJSON_ParseWithLength(line, len);
	if (!o || !cJSON_IsObject(o)) {
		warn_line(r, "not a JSON object");
		cJSON_Delete(o);
		return 0;
	}
	ts = member(r, o, "ts", &bad);
	user = member(r, o, "user", &bad);
	text = member(r, o, "text", &bad);
	kind = member(r, o, "kind", &bad);
	channel = member(r, o, "channel", &bad);
	id = member(r, o, "id", &bad);
	ev.ref = member(r, o, "ref", &bad);
	ev.thread = member(r, o, "thread", &bad);
	ev.emoji = member(r, o, "emoji", &bad);
	file = cJSON_GetObjectItemCaseSensitive(o, "file");
	if (bad)
		goto out;
	if (!ts || when_parse_rfc3339(ts, &ev.ts)) {
		warn_line(r, "\"ts\" must be an RFC 3339 time with an offset");
		goto out;
	}
	if (!user || !*user) {
		warn_line(r, "\"user\" is missing");
		goto out;
	}
	ev.kind = CHAT_MESSAGE;
	if (kind) {
		for (i = 0; i < ARRAY_SIZE(kinds); i++)
			if (!strcmp(kind, kinds[i].name))
				break;
		if (i == ARRAY_SIZE(kinds)) {
			warn_line(r, "unknown kind '%.40s'", kind);
			goto out;
		}
		ev.kind = kinds[i].kind;
	}
	if (!text && (ev.kind == CHAT_MESSAGE || ev.kind == CHAT_EDIT)) {
		warn_line(r, "\"text\" is missing");
		goto out;
	}
	if (ev.kind == CHAT_FILE) {
		if (!cJSON_IsObject(file) ||
		    !cJSON_IsString(cJSON_GetObjectItem(file, "name"))) {
			warn_line(r, "\"file\" must be an object with a name");
			goto out;
		}
		ev.file_name = cJSON_GetObjectItem(file, "name")->valuestring;
		ev.file_type =
		    cJSON_GetStringValue(cJSON_GetObjectItem(file, "type"));
		ev.file_url =
		    cJSON_GetStringValue(cJSON_GetObjectItem(file, "url"));
	}
	if (!id) {
		content_id(&r->seen, ts, user, channel,
			   text ? text : (ev.emoji ? ev.emoji : ""), idbuf,
			   sizeof(idbuf));
		id = idbuf;
	}
	ev.platform = "console";
	ev.room = channel && *channel ? channel : r->room;
	ev.id = id;
	ev.author.id = (char *)(*user == '@' && user[1] ? user + 1 : user);
	ev.author.name = ev.author.id;
	ev.text = text ? text : "";
	ev.len = strlen(ev.text);
	rc = replay_event(r, &ev);
out:
	cJSON_Delete(o);
	return rc;
}

/* ---- plain text -------------------------------------------------------- */

static void zone_enter(struct replay *r)
{
	const char *cur = getenv("TZ");

	if (!r->tz)
		return;
	r->saved_tz = cur ? xstrdup(cur) : NULL;
	setenv("TZ", r->tz, 1);
	tzset();
}

static void zone_leave(struct replay *r)
{
	if (!r->tz)
		return;
	if (r->saved_tz)
		setenv("TZ", r->saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(r->saved_tz);
	r->saved_tz = NULL;
}

static int plain_line(struct replay *r, char *line, size_t len)
{
	struct chat_event ev = {0};
	char ts[32], idbuf[64], *user, *colon, *text;
	size_t tlen;
	int rc;

	/* "YYYY-MM-DD HH:MM" then ":SS" or not, then a space. */
	tlen = len >= 19 && line[16] == ':' ? 19 : 16;
	if (len < tlen + 2 || line[tlen] != ' ') {
		warn_line(r, "expected 'YYYY-MM-DD HH:MM[:SS] user: text'");
		return 0;
	}
	memcpy(ts, line, tlen);
	ts[tlen] = '\0';
	zone_enter(r);
	rc = when_parse_local(ts, &ev.ts);
	zone_leave(r);
	if (rc) {
		warn_line(r, "'%s' is not a valid local time", ts);
		return 0;
	}
	user = line + tlen + 1;
	colon = strstr(user, ": ");
	if (!colon && len && line[len - 1] == ':')
		colon = line + len - 1;
	if (!colon || colon == user ||
	    memchr(user, ' ', (size_t)(colon - user))) {
		warn_line(r, "expected 'user: text' after the time");
		return 0;
	}
	*colon = '\0';
	text = colon[1] ? colon + 2 : colon + 1;
	if (*user == '@' && user[1])
		user++;
	content_id(&r->seen, ts, user, "", text, idbuf, sizeof(idbuf));
	ev.kind = CHAT_MESSAGE;
	ev.platform = "console";
	ev.room = r->room;
	ev.id = idbuf;
	ev.author.id = user;
	ev.author.name = user;
	ev.text = text;
	ev.len = strlen(text);
	return replay_event(r, &ev);
}

/* ---- the file ---------------------------------------------------------- */

static bool blank(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	return !n;
}

int replay_file(struct app *app, struct console *con, const char *path,
		const char *tz, struct replay_stats *stats)
{
	struct replay r = {.app = app, .con = con, .path = path, .tz = tz};
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int json = -1, rc = 0;

	memset(stats, 0, sizeof(*stats));
	r.stats = stats;
	if (!f) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
		return SCRIBE_EIO;
	}
	r.room = xstrdup("#general");
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		r.lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (blank(line, (size_t)n))
			continue;
		stats->lines++;
		if (json < 0) {
			const char *p = line;

			while (isspace((unsigned char)*p))
				p++;
			json = *p == '{';
		}
		r.line_bad = false;
		rc = json ? json_line(&r, line, (size_t)n)
			  : plain_line(&r, line, (size_t)n);
		if (r.line_bad)
			stats->skipped++;
	}
	if (!rc && ferror(f)) {
		fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
		rc = SCRIBE_EIO;
	}
	if (!rc)
		rc = app_flush(app);
	if (f != stdin)
		fclose(f);
	free(line);
	free(r.room);
	free(r.seen.keys);
	free(r.seen.counts);
	return rc;
}
