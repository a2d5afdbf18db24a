/*
 * matrix.c - the Matrix transport; see matrix.h.
 *
 * Four parts: the API call (one HTTP request, the answer's errcode and
 * Retry-After read), signing in, the sync loop (sync, complete a limited
 * timeline from /messages, record, commit the cursor, sync again), and
 * the delivery queue (outbox rows per room).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "util/base.h"
#include "util/secret.h"
#include "util/buf.h"
#include "util/log.h"
#include "app.h"
#include "chat/lines.h"
#include "core/core.h"
#include "core/text.h"
#include "chat/matrix/format.h"
#include "chat/matrix/matrix.h"
#include "chat/reread.h"
#include "metrics.h"
#include "net/http.h"
#include "net/net.h"
#include "store/store.h"

#define CURSOR        "matrix"
#define CURSOR_DEVICE "matrix.device"
#define SYNC_LIMIT    250            /* timeline events per room and sync */
#define SYNC_MAX_BODY (32u << 20)    /* a sync body Scribe reads */
#define PAGE_LIMIT    "250"          /* events per /messages page */
#define BACKFILL_MAX  10000          /* events read back per room */
#define CHECK_MARK    "\xe2\x9c\x85" /* ✅ */
#define API           "/_matrix/client/v3"

/* ---- API calls ------------------------------------------------------------
 */

/* An answer. body is the parsed JSON (NULL for raw calls, and when it is
 * not JSON); errcode is the Matrix errcode of a failure, "M_NETWORK" when
 * the homeserver could not be reached. */
struct mx_resp {
	long status;
	const cJSON *body;
	const char *raw;
	size_t len;
	const char *errcode; /* NULL on success */
	const char *error;   /* a readable reason, NULL on success */
	int64_t retry_ms;    /* Retry-After, else retry_after_ms; else 0 */
};

typedef void mx_cb(struct matrix *m, void *ud, const struct mx_resp *r);

struct mx_call {
	struct matrix *m;
	mx_cb *cb;
	void *ud;
	bool raw; /* the caller parses a 200 body itself */
};

static void call_done(void *ud, const struct http_resp *h)
{
	struct mx_call *c = ud;
	struct mx_resp r = {.status = h->status, .raw = h->body, .len = h->len};
	cJSON *body = NULL;
	const char *after = h->retry_after;

	if (!(c->raw && h->status == 200 && !h->error)) {
		body = cJSON_ParseWithLength(h->body, h->len);
		if (!cJSON_IsObject(body)) {
			cJSON_Delete(body);
			body = NULL;
		}
	}
	r.body = body;
	if (h->error) {
		r.errcode = "M_NETWORK";
		r.error = h->error;
	} else if (h->status < 200 || h->status > 299) {
		r.errcode =
		    cJSON_GetStringValue(cJSON_GetObjectItem(body, "errcode"));
		r.error =
		    cJSON_GetStringValue(cJSON_GetObjectItem(body, "error"));
		if (!r.errcode)
			r.errcode =
			    h->status == 429 ? "M_LIMIT_EXCEEDED" : "M_UNKNOWN";
		if (h->status == 429)
			metrics_ratelimited("matrix", "client-server API");
		if (!r.error)
			r.error = "no reason given";
	} else if (!c->raw && !body) {
		r.errcode = "M_NOT_JSON";
		r.error = "the answer is not a JSON object";
	}
	if (after && strtol(after, NULL, 10) > 0)
		r.retry_ms = strtol(after, NULL, 10) * 1000;
	else if (cJSON_IsNumber(cJSON_GetObjectItem(body, "retry_after_ms")))
		r.retry_ms = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(body, "retry_after_ms"));
	if (r.retry_ms < 0 || r.retry_ms > 3600000)
		r.retry_ms = 0;
	c->cb(c->m, c->ud, &r);
	cJSON_Delete(body);
	free(c);
}

struct call_opts {
	const char *content_type; /* for a raw body; JSON otherwise */
	long timeout_ms;
	size_t max_body;
	bool raw;
};

/* One request to the homeserver: method on hs + path (already escaped),
 * with a JSON body (taken over; may be NULL) or the raw bytes of o. */
static int call(struct matrix *m, const char *method, const char *path,
		cJSON *json, const char *bytes, size_t nbytes,
		const struct call_opts *o, mx_cb *cb, void *ud)
{
	static const struct call_opts none;
	struct mx_call *c = xcalloc(1, sizeof(*c));
	char *url = xasprintf("%s%s", m->hs, path);
	char *auth =
	    m->token ? xasprintf("Authorization: Bearer %s", m->token) : NULL;
	char *type = NULL, *text = NULL;
	const char *headers[3] = {NULL, NULL, NULL};
	struct http_req req = {.method = method, .url = url};
	int rc, h = 0;

	if (!o)
		o = &none;
	if (auth)
		headers[h++] = auth;
	if (json) {
		text = cJSON_PrintUnformatted(json);
		req.body = text;
		req.body_len = text ? strlen(text) : 0;
		headers[h++] = "Content-Type: application/json";
	} else if (bytes) {
		type = xasprintf("Content-Type: %s", o->content_type);
		headers[h++] = type;
		req.body = bytes;
		req.body_len = nbytes;
	}
	req.headers = headers;
	req.timeout_ms = o->timeout_ms;
	req.max_body = o->max_body;
	c->m = m;
	c->cb = cb;
	c->ud = ud;
	c->raw = o->raw;
	rc = http_request(m->net, &req, call_done, c, NULL);
	if (rc)
		free(c);
	cJSON_free(text);
	cJSON_Delete(json);
	free(type);
	free(auth);
	free(url);
	return rc;
}

/* An id as one URL path segment ("!a:b" -> "%21a%3Ab"). */
static char *esc(const char *id)
{
	char *e = curl_easy_escape(NULL, id, 0);
	char *out = xstrdup(e ? e : "");

	curl_free(e);
	return out;
}

static void fatal(struct matrix *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fatal(struct matrix *m, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_error("matrix: %s", why);
	if (m->on_fatal)
		m->on_fatal(m->fatal_ud, why);
}

/* The next wait after a failure in a row: the configured min..max,
 * doubling, with jitter. */
static uint64_t backoff(struct matrix *m)
{
	return (uint64_t)backoff_ms(m->attempts++, m->cfg->reconnect_min_ms,
				    m->cfg->reconnect_max_ms, true);
}

/* ---- signing in -----------------------------------------------------------
 */

static void sign_in(struct matrix *m);
static void sync_now(struct matrix *m);
static void pump(struct matrix *m);

static void on_retry(uv_timer_t *h)
{
	struct matrix *m = h->data;

	if (m->stopping)
		return;
	if (!m->user_id)
		sign_in(m);
	else
		sync_now(m);
}

/* Tries again later: after the server's Retry-After, or the backoff. */
static void retry_later(struct matrix *m, const struct mx_resp *r,
			const char *what)
{
	uint64_t ms = r && r->retry_ms ? (uint64_t)r->retry_ms : backoff(m);

	if (m->stopping)
		return;
	metrics_reconnect("matrix");
	if (r && r->errcode && !strcmp(r->errcode, "M_NETWORK"))
		log_warn("matrix: %s: cannot reach the homeserver at %s (%s); "
			 "again in %llu ms",
			 what, m->hs, r->error, (unsigned long long)ms);
	else
		log_warn("matrix: %s: %s (%s); again in %llu ms", what,
			 r && r->errcode ? r->errcode : "failed",
			 r && r->error ? r->error : "-",
			 (unsigned long long)ms);
	uv_timer_start(&m->retry, on_retry, ms, 0);
}

static bool refused_token(const struct mx_resp *r)
{
	return r->errcode && (!strcmp(r->errcode, "M_UNKNOWN_TOKEN") ||
			      !strcmp(r->errcode, "M_MISSING_TOKEN"));
}

static void set_identity(struct matrix *m, const cJSON *body)
{
	const char *user =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "user_id"));
	const char *device =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "device_id"));

	free(m->user_id);
	free(m->device_id);
	m->user_id = xstrdup(user);
	m->device_id = device ? xstrdup(device) : NULL;
	log_info("matrix: signed in as %s (device %s)", m->user_id,
		 m->device_id ? m->device_id : "?");
	if (m->cfg->user_id && strcmp(m->cfg->user_id, m->user_id))
		log_warn("matrix: the token is %s's, not %s's as configured",
			 m->user_id, m->cfg->user_id);
}

/* Where the last run stopped, then the first sync. */
static void start_syncing(struct matrix *m)
{
	char *since = NULL;

	if (store_cursor_get(m->app->st, CURSOR, &since)) {
		fatal(m, "cannot read the sync position from the store");
		return;
	}
	free(m->since);
	m->since = since;
	m->initial = !since;
	if (m->initial)
		log_info("matrix: first sync: earlier history is not replayed");
	sync_now(m);
	pump(m); /* rows queued while signing in */
}

static void on_whoami(struct matrix *m, void *ud, const struct mx_resp *r)
{
	if (m->stopping)
		return;
	if (refused_token(r)) {
		fatal(m,
		      "the homeserver refused the access token in %s (%s): "
		      "set it to a valid token of Scribe's account",
		      m->cfg->access_token_env, r->errcode);
		return;
	}
	if (r->errcode ||
	    !cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "user_id"))) {
		retry_later(m, r, "whoami");
		return;
	}
	m->attempts = 0;
	set_identity(m, r->body);
	start_syncing(m);
}

static void on_login(struct matrix *m, void *ud, const struct mx_resp *r)
{
	const char *token =
	    cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "access_token"));

	if (m->stopping)
		return;
	if (r->errcode && (!strcmp(r->errcode, "M_FORBIDDEN") ||
			   !strcmp(r->errcode, "M_USER_DEACTIVATED"))) {
		fatal(m,
		      "the homeserver refused the login of %s (%s: %s): "
		      "check %s",
		      m->cfg->user_id, r->errcode, r->error,
		      m->cfg->password_env);
		return;
	}
	if (r->errcode || !token ||
	    !cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "user_id"))) {
		retry_later(m, r, "login");
		return;
	}
	m->attempts = 0;
	free(m->token);
	m->token = xstrdup(token);
	set_identity(m, r->body);
	/* The same device next time: its transaction ids stay its own. */
	if (m->device_id)
		app_cursor(m->app, CURSOR_DEVICE, m->device_id, NULL, NULL);
	start_syncing(m);
}

static void sign_in(struct matrix *m)
{
	cJSON *o, *id;
	char *device = NULL;
	int rc;

	if (!m->password) {
		rc = call(m, "GET", API "/account/whoami", NULL, NULL, 0, NULL,
			  on_whoami, NULL);
	} else {
		store_cursor_get(m->app->st, CURSOR_DEVICE, &device);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "m.login.password");
		id = cJSON_AddObjectToObject(o, "identifier");
		cJSON_AddStringToObject(id, "type", "m.id.user");
		cJSON_AddStringToObject(id, "user", m->cfg->user_id);
		cJSON_AddStringToObject(o, "password", m->password);
		if (device)
			cJSON_AddStringToObject(o, "device_id", device);
		cJSON_AddStringToObject(o, "initial_device_display_name",
					m->cfg->device_name);
		free(m->token); /* a login carries none */
		m->token = NULL;
		rc = call(m, "POST", API "/login", o, NULL, 0, NULL, on_login,
			  NULL);
		free(device);
	}
	if (rc)
		retry_later(m, NULL, m->password ? "login" : "whoami");
}

/* ---- the sync loop --------------------------------------------------------
 */

/* A sync response waiting for the history its limited rooms left out. */
struct mx_pending {
	struct mx_sync sync;
	size_t room; /* the room being completed */
	char *from;  /* its next /messages page */
	/* What /messages returned, as it came: kept as text (a parsed page
	 * takes several times the memory) and parsed again to record. */
	struct mx_raw {
		char *body;
		size_t len;
	} * pages;
	size_t npages, pages_cap;
	size_t read; /* events in those pages */
	/* Per room of sync: its pages (from, to) and whether all was read. */
	struct mx_fill {
		size_t first, n;
		bool gap;
		char why[160];
	} * fills;
};

static void pending_free(struct mx_pending *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->npages; i++)
		free(p->pages[i].body);
	free(p->pages);
	free(p->fills);
	free(p->from);
	mx_sync_release(&p->sync);
	free(p);
}

static const char *const timeline_types =
    "[\"m.room.message\",\"m.reaction\",\"m.room.redaction\","
    "\"m.room.encrypted\",\"m.room.member\"]";

static char *sync_filter(int limit)
{
	return xasprintf(
	    "{\"room\":{\"timeline\":{\"limit\":%d,\"types\":%s},"
	    "\"state\":{\"lazy_load_members\":true,\"types\":[\"m.room."
	    "member\"]},\"ephemeral\":{\"not_types\":[\"*\"]},"
	    "\"account_data\":{\"not_types\":[\"*\"]}},"
	    "\"presence\":{\"not_types\":[\"*\"]},"
	    "\"account_data\":{\"not_types\":[\"*\"]}}",
	    limit, timeline_types);
}

static void on_sync(struct matrix *m, void *ud, const struct mx_resp *r);

static void sync_now(struct matrix *m)
{
	struct call_opts o = {.raw = true, .max_body = SYNC_MAX_BODY};
	char *filter = sync_filter(m->limit), *f = esc(filter), *path;
	int wait = m->initial ? 0 : m->cfg->sync_timeout_ms;
	char *since = m->since ? esc(m->since) : NULL;

	if (m->stopping || m->syncing || m->pending)
		goto out;
	o.timeout_ms = wait + 30000;
	path = xasprintf(API "/sync?filter=%s&timeout=%d&set_presence=offline"
			     "%s%s",
			 f, wait, since ? "&since=" : "", since ? since : "");
	if (call(m, "GET", path, NULL, NULL, 0, &o, on_sync, NULL))
		retry_later(m, NULL, "sync");
	else
		m->syncing = true;
	free(path);
out:
	free(since);
	free(f);
	free(filter);
}

static void on_cursor(void *ud, int status)
{
	struct matrix *m = ud;

	if (m->stopping)
		return;
	if (status) {
		/* Nothing of that response is stored: ask for it again. */
		log_error("matrix: a sync could not be stored; again from %s",
			  m->since ? m->since : "the start");
		free(m->next_batch);
		m->next_batch = NULL;
		retry_later(m, NULL, "sync");
		return;
	}
	free(m->since);
	m->since = m->next_batch;
	m->next_batch = NULL;
	m->initial = false;
	sync_now(m);
}

/* ✅ on a step message Scribe posted: the step is done, as if typed. The
 * step is found in the store (MX_STEP_KEY, remembered when the bot's own
 * message came back through /sync), so it works across restarts. */
/* The step a cursor value names ("S2", or "S2+" when it asks for
 * evidence); false when there is none. */
static bool step_mark(struct matrix *m, const char *prefix, const char *id,
		      char step[16], bool *evidence)
{
	char key[320], *v = NULL;
	size_t n;

	if (strlen(id) > 256)
		return false;
	snprintf(key, sizeof(key), "%s %s", prefix, id);
	if (store_cursor_get(m->app->st, key, &v) || !v || !*v ||
	    strlen(v) >= 16) {
		free(v);
		return false;
	}
	n = strlen(v);
	*evidence = v[n - 1] == '+';
	snprintf(step, 16, "%.*s", (int)(n - *evidence), v);
	free(v);
	return true;
}

/* ✅ on a step message: `step done S<n>`. A step that needs evidence
 * cannot take it from an emoji: the room is asked for it in a reply to
 * the step message, and that reply completes the step (see
 * step_reply). The reaction itself stays a reaction on the timeline. */
static int step_reaction(struct matrix *m, struct mx_event *e)
{
	char step[16], key[320], *ask;
	bool evidence;
	int rc;

	if (e->ev.kind != CHAT_REACTION || strcmp(e->ev.emoji, CHECK_MARK) ||
	    !step_mark(m, "matrix.step", e->ev.ref, step, &evidence) ||
	    e->nowned >= ARRAY_SIZE(e->owned))
		return 0;
	if (!evidence) {
		e->ev.kind = CHAT_COMMAND;
		e->ev.text = e->owned[e->nowned++] =
		    xasprintf("step done %s", step);
		e->ev.len = strlen(e->ev.text);
		return 0;
	}
	snprintf(key, sizeof(key), "matrix.ask %s", e->ev.ref);
	rc = app_cursor(m->app, key, step, NULL, NULL);
	if (rc)
		return rc;
	ask = xasprintf("%s needs evidence: reply to its message with what "
			"you found, and the reply completes it (or type `!inc "
			"step done %s <what you found>`).",
			step, step);
	rc = app_post(m->app, "matrix", e->ev.room, ask);
	free(ask);
	return rc;
}

/* A reply to a step message whose ✅ asked for evidence: `step done
 * S<n> <the reply>`, recorded like the typed command. */
static void step_reply(struct matrix *m, struct mx_event *e)
{
	char step[16], key[320];
	bool evidence;

	if (e->ev.kind != CHAT_MESSAGE || !e->reply_to || !e->ev.text ||
	    !*e->ev.text || core_command_text(e->ev.text) ||
	    e->nowned >= ARRAY_SIZE(e->owned) ||
	    !step_mark(m, "matrix.ask", e->reply_to, step, &evidence))
		return;
	snprintf(key, sizeof(key), "matrix.ask %s", e->reply_to);
	if (app_cursor(m->app, key, "", NULL, NULL))
		return;
	e->ev.kind = CHAT_COMMAND;
	e->ev.text = e->owned[e->nowned++] =
	    xasprintf("step done %s %s", step, e->ev.text);
	e->ev.len = strlen(e->ev.text);
}

/* A room where an encrypted message arrived is told once (the mark is in
 * the store) who sent it and that Scribe cannot read it. The sender's
 * name is theirs to choose: it is defused and its Markdown escaped. */
static int tell_encrypted(struct matrix *m, const char *room,
			  const struct user *sender)
{
	const char *who =
	    sender->name && *sender->name ? sender->name : sender->id;
	char key[320], *told = NULL, *text;
	struct buf name, safe;
	int rc;

	if (strlen(room) > 256)
		return 0;
	snprintf(key, sizeof(key), "matrix.e2e %s", room);
	rc = store_cursor_get(m->app->st, key, &told);
	if (rc || told) {
		free(told);
		return rc;
	}
	/* Say what was seen: one message that one sender's client
	 * encrypted, not that the room is encrypted (it may well not be). */
	buf_init(&name, 1024);
	for (; *who && name.len < 512; who++) {
		if (strchr("\\`*_[]<>#!|~", *who))
			buf_addch(&name, '\\');
		buf_addch(&name, *who);
	}
	buf_init(&safe, BUF_UNBOUNDED);
	text_defuse(&safe, name.s ? name.s : "");
	text = xasprintf("Scribe received an end-to-end encrypted message "
			 "from %s (their client encrypted it) and cannot "
			 "read it: it is on the timeline only as \"encrypted "
			 "message, not readable\". If it matters, please say "
			 "it again unencrypted.",
			 safe.s ? safe.s : "");
	buf_release(&name);
	buf_release(&safe);
	rc = app_cursor(m->app, key, "told", NULL, NULL);
	if (!rc)
		rc = app_post(m->app, "matrix", room, text);
	free(text);
	return rc;
}

/* ---- display names -------------------------------------------------------
 * A homeserver sends a member event once to a device, so the names it
 * taught are kept in the store (app_user_named); after a restart, a
 * sender whose member event is not seen again is named from the store,
 * or else its profile is asked for, once.
 */

/* A name from a member event or a profile that is new to this run: kept
 * unless the store has it already. */
static void name_learned(void *ud, const char *id, const char *name)
{
	struct matrix *m = ud;
	char *kept = app_user_name(m->app, "matrix", id);

	if (!kept || strcmp(kept, name))
		if (app_user_named(m->app, "matrix", id, name))
			log_error("matrix: could not keep the name of %s", id);
	free(kept);
}

static void on_profile(struct matrix *m, void *ud, const struct mx_resp *r)
{
	char *id = ud;
	const char *name =
	    cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "displayname"));

	const char *now = mx_names_get(&m->names, id);

	if (!m->stopping && !r->errcode && name && *name &&
	    strlen(name) <= 256 && (!now || !*now))
		mx_names_set(&m->names, id, name);
	else if (r->errcode && !m->stopping)
		log_info("matrix: no profile for %s: %s", id, r->errcode);
	free(id);
}

/* A sender this run has no name for: the kept one, or its profile is
 * asked for (once; "" marks the question) and the app records the id
 * until the answer renames those rows. */
static void name_unknown(struct matrix *m, struct mx_event *x)
{
	const char *id = x->ev.author.id;
	char *kept, *path, *who;

	x->ev.author.name = NULL;
	if (mx_names_get(&m->names, id) || id[0] != '@')
		return;
	kept = app_user_name(m->app, "matrix", id);
	if (kept) {
		/* Known already: no need to keep it again. */
		void (*learned)(void *, const char *, const char *) =
		    m->names.learned;

		m->names.learned = NULL;
		mx_names_set(&m->names, id, kept);
		m->names.learned = learned;
		free(kept);
		return;
	}
	mx_names_set(&m->names, id, "");
	who = esc(id);
	path = xasprintf(API "/profile/%s/displayname", who);
	kept = xstrdup(id);
	if (call(m, "GET", path, NULL, NULL, 0, NULL, on_profile, kept)) {
		log_warn("matrix: could not ask for the profile of %s", id);
		free(kept);
	}
	free(path);
	free(who);
}

/* Records one event. Returns 0, or a store error (the batch is gone). */
static int feed(struct matrix *m, const cJSON *e, const char *room)
{
	struct mx_event x;
	char key[320];
	int rc = 0;

	mx_event_parse(e, room, m->user_id, &m->names, &x);
	if (x.kind == MX_EVENT && (!x.ev.author.name || !*x.ev.author.name ||
				   x.ev.author.name == x.ev.author.id))
		name_unknown(m, &x);
	switch (x.kind) {
	case MX_EVENT:
		rc = step_reaction(m, &x);
		step_reply(m, &x);
		if (!rc && x.encrypted)
			rc = tell_encrypted(m, room, &x.ev.author);
		if (!rc)
			rc = app_event(m->app, &x.ev, NULL);
		if (!rc)
			m->events++;
		break;
	case MX_IGNORED:
		m->ignored++;
		if (x.step && strlen(x.step) < 15 && strlen(x.ev.id) <= 256) {
			char v[16];

			snprintf(key, sizeof(key), "matrix.step %s", x.ev.id);
			snprintf(v, sizeof(v), "%s%s", x.step,
				 x.evidence ? "+" : "");
			rc = app_cursor(m->app, key, v, NULL, NULL);
		}
		break;
	case MX_INVALID:
		m->invalid++;
		log_warn("matrix: an event in %s skipped: %s", room, x.reason);
		break;
	}
	mx_event_release(&x);
	return rc;
}

static bool allowed_inviter(const struct matrix *m, const char *who)
{
	const struct config_matrix *c = m->cfg;
	size_t i, n = who ? strlen(who) : 0, k;

	for (i = 0; who && i < c->nallowed_inviters; i++) {
		const char *a = c->allowed_inviters[i];

		k = strlen(a);
		if (a[0] == ':' ? n > k && !strcmp(who + n - k, a)
				: !strcmp(who, a))
			return true;
	}
	return false;
}

struct answer {
	char *room;
	char *what;
};

static void on_answered(struct matrix *m, void *ud, const struct mx_resp *r)
{
	struct answer *a = ud;
	size_t i;

	if (!m->stopping && r->errcode) {
		log_warn("matrix: %s: %s (%s)", a->what, r->errcode, r->error);
		/* Not answered after all: the next sync tries again. */
		for (i = 0; i < m->nanswered; i++)
			if (!strcmp(m->answered[i], a->room)) {
				free(m->answered[i]);
				m->answered[i] = m->answered[--m->nanswered];
				break;
			}
	} else if (!m->stopping) {
		log_info("matrix: %s", a->what);
	}
	free(a->room);
	free(a->what);
	free(a);
}

/* An invite: joined when an allowed user or server sent it, else
 * declined. Once per room, unless the answer failed. */
static void answer_invite(struct matrix *m, const struct mx_invite *inv)
{
	bool yes = allowed_inviter(m, inv->inviter);
	char *room, *path;
	struct answer *a;
	size_t i;

	for (i = 0; i < m->nanswered; i++)
		if (!strcmp(m->answered[i], inv->room))
			return;
	ALLOC_GROW(m->answered, m->nanswered + 1, m->answered_cap);
	m->answered[m->nanswered++] = xstrdup(inv->room);
	room = esc(inv->room);
	path = yes ? xasprintf(API "/join/%s", room)
		   : xasprintf(API "/rooms/%s/leave", room);
	a = xcalloc(1, sizeof(*a));
	a->room = xstrdup(inv->room);
	a->what = xasprintf("%s %s, invited by %s", yes ? "joined" : "declined",
			    inv->room, inv->inviter ? inv->inviter : "?");
	if (call(m, "POST", path, cJSON_CreateObject(), NULL, 0, NULL,
		 on_answered, a)) {
		free(a->room);
		free(a->what);
		free(a);
	}
	free(path);
	free(room);
}

/* What /messages recovered for room i of the sync, oldest first: the
 * pages are newest first, each page's events too. */
static int record_pages(struct matrix *m, const struct mx_pending *p, size_t i)
{
	const char *room = p->sync.rooms[i].id;
	const cJSON *first, *e;
	struct mx_page pg;
	char why[160];
	size_t k;
	int rc = 0;

	for (k = p->fills[i].n; k-- > 0 && !rc;) {
		const struct mx_raw *raw = &p->pages[p->fills[i].first + k];

		if (mx_page_read(raw->body, raw->len, &pg, why, sizeof(why)))
			continue; /* it was read once already */
		mx_names_learn(&m->names, pg.state);
		/* Last to first: cJSON keeps the last item in the first
		 * one's prev. */
		first = pg.chunk->child;
		for (e = first ? first->prev : NULL; e && !rc;
		     e = e == first ? NULL : e->prev) {
			rc = feed(m, e, room);
			m->backfilled++;
		}
		mx_page_release(&pg);
	}
	return rc;
}

/* Records a completed sync response and commits its next_batch with it. */
static void record_sync(struct matrix *m)
{
	struct mx_pending *p = m->pending;
	struct mx_sync *s = &p->sync;
	const cJSON *e;
	size_t i;
	int rc = 0;

	m->pending = NULL;
	for (i = 0; i < s->ninvites; i++)
		answer_invite(m, &s->invites[i]);
	for (i = 0; i < s->nrooms && !rc; i++) {
		const struct mx_room *room = &s->rooms[i];

		mx_names_learn(&m->names, room->state);
		mx_names_learn(&m->names, room->timeline);
		if (m->initial)
			continue; /* history from before Scribe's first start */
		rc = record_pages(m, p, i);
		if (!rc && p->fills[i].gap)
			rc = app_gap(m->app, "matrix", room->id, wall_ms(),
				     p->fills[i].why);
		cJSON_ArrayForEach(e, room->timeline)
		{
			if (rc)
				break;
			rc = feed(m, e, room->id);
		}
	}
	m->syncs++;
	if (!rc && m->since && !strcmp(m->since, s->next_batch)) {
		pending_free(p); /* nothing new: no write */
		sync_now(m);
		return;
	}
	m->next_batch = xstrdup(s->next_batch);
	if (!rc)
		rc = app_cursor(m->app, CURSOR, s->next_batch, on_cursor, m);
	pending_free(p);
	if (rc)
		on_cursor(m, rc);
}

static void fill_room(struct matrix *m);

/* The room being completed is done: the next limited one, or record. */
static void fill_next(struct matrix *m)
{
	struct mx_pending *p = m->pending;

	free(p->from);
	p->from = NULL;
	p->read = 0;
	p->room++;
	fill_room(m);
}

static void fill_gap(struct matrix *m, const char *fmt, const char *detail)
{
	struct mx_fill *f = &m->pending->fills[m->pending->room];

	f->gap = true;
	snprintf(f->why, sizeof(f->why), fmt, detail);
	fill_next(m);
}

static void on_messages(struct matrix *m, void *ud, const struct mx_resp *r)
{
	struct mx_pending *p = m->pending;
	struct mx_page pg;
	char why[160];

	if (m->stopping || !p)
		return;
	if (r->errcode) {
		int64_t wait = chat_reread_failed(&m->reread, r->status,
						  r->retry_ms, wall_ms());

		if (wait >= 0) {
			log_warn("matrix: /messages in %s: %s (%s); again in "
				 "%lld ms",
				 p->sync.rooms[p->room].id, r->errcode,
				 r->error, (long long)wait);
			return;
		}
		fill_gap(m,
			 "history missed while Scribe was behind could not be "
			 "read (/messages: %s): messages may be missing here",
			 r->errcode);
		return;
	}
	chat_reread_ok(&m->reread);
	if (mx_page_read(r->raw, r->len, &pg, why, sizeof(why))) {
		fill_gap(m,
			 "history missed while Scribe was behind could not be "
			 "read (/messages: %s): messages may be missing here",
			 why);
		return;
	}
	ALLOC_GROW(p->pages, p->npages + 1, p->pages_cap);
	p->pages[p->npages].body = xmalloc(r->len + 1);
	memcpy(p->pages[p->npages].body, r->raw, r->len + 1);
	p->pages[p->npages++].len = r->len;
	p->fills[p->room].n++;
	p->read += (size_t)cJSON_GetArraySize(pg.chunk);
	free(p->from);
	p->from =
	    pg.end && cJSON_GetArraySize(pg.chunk) ? xstrdup(pg.end) : NULL;
	mx_page_release(&pg);
	if (!p->from) {
		fill_next(m);
		return;
	}
	if (p->read >= BACKFILL_MAX) {
		fill_gap(m, "%s",
			 "more history was missed than Scribe reads back "
			 "(10,000 events): older messages may be missing");
		return;
	}
	fill_room(m);
}

/* Reads the next /messages page of the first limited room from
 * p->room on; when none is left, records the response. */
static void fill_room(struct matrix *m)
{
	struct mx_pending *p = m->pending;
	const struct mx_room *r;
	char *room, *from, *to, *filter, *path;
	struct call_opts o = {.raw = true, .max_body = SYNC_MAX_BODY};

	while (p->room < p->sync.nrooms && !(p->sync.rooms[p->room].limited &&
					     p->sync.rooms[p->room].prev_batch))
		p->room++;
	if (p->room >= p->sync.nrooms) {
		record_sync(m);
		return;
	}
	r = &p->sync.rooms[p->room];
	if (!p->from) {
		p->from = xstrdup(r->prev_batch);
		p->fills[p->room].first = p->npages;
	}
	room = esc(r->id);
	from = esc(p->from);
	to = esc(m->since);
	filter = xasprintf("{\"types\":%s,\"lazy_load_members\":true}",
			   timeline_types);
	{
		char *f = esc(filter);

		path = xasprintf(API "/rooms/%s/messages?dir=b&from=%s&to=%s"
				     "&limit=" PAGE_LIMIT "&filter=%s",
				 room, from, to, f);
		free(f);
	}
	if (call(m, "GET", path, NULL, NULL, 0, &o, on_messages, NULL))
		fill_gap(m, "%s",
			 "history missed while Scribe was behind could not be "
			 "requested: messages may be missing here");
	free(path);
	free(filter);
	free(to);
	free(from);
	free(room);
}

/* A /messages page that failed is asked for again (chat_reread). */
static void on_reread(void *ud)
{
	struct matrix *m = ud;

	if (!m->stopping && m->pending)
		fill_room(m);
}

static void on_sync(struct matrix *m, void *ud, const struct mx_resp *r)
{
	struct mx_pending *p;
	char why[160];

	m->syncing = false;
	if (m->stopping)
		return;
	if (refused_token(r)) {
		if (m->password) {
			log_warn("matrix: the session ended (%s): signing in "
				 "again",
				 r->errcode);
			free(m->user_id);
			m->user_id = NULL;
			sign_in(m);
		} else {
			fatal(m,
			      "the homeserver refused the access token in %s "
			      "(%s): set it to a valid token",
			      m->cfg->access_token_env, r->errcode);
		}
		return;
	}
	if (r->errcode && r->error && strstr(r->error, "exceeds") &&
	    m->limit > 1) {
		/* Too big to read: smaller syncs; /messages fills in. */
		m->limit = m->limit > 20 ? m->limit / 4 : 1;
		log_warn("matrix: a sync response was too large; now %d "
			 "events per room",
			 m->limit);
		sync_now(m);
		return;
	}
	if (r->errcode) {
		retry_later(m, r, "sync");
		return;
	}
	p = xcalloc(1, sizeof(*p));
	if (mx_sync_read(r->raw, r->len, m->user_id, &p->sync, why,
			 sizeof(why))) {
		free(p);
		m->invalid++;
		log_warn("matrix: a sync response skipped: %s", why);
		retry_later(m, NULL, "sync");
		return;
	}
	m->attempts = 0;
	m->limit = SYNC_LIMIT;
	p->fills = xcalloc(p->sync.nrooms + 1, sizeof(*p->fills));
	m->pending = p;
	if (m->initial || !m->since)
		record_sync(m); /* nothing before it to fill in */
	else
		fill_room(m);
}

/* ---- delivery -------------------------------------------------------------
 */

static int send_job(void *owner, struct chat_job *j);

static void on_sent(struct matrix *m, void *ud, const struct mx_resp *r)
{
	struct chat_job *j = ud;
	int64_t now = wall_ms(), wait;
	const char *v;

	if (m->stopping)
		return;
	j->busy = false;
	if (!r->errcode) {
		if (!strcmp(j->kind, "create_room")) {
			v = cJSON_GetStringValue(
			    cJSON_GetObjectItem(r->body, "room_id"));
			if (v) {
				char *room = xstrdup(v);
				char *alias = mx_room_alias(j->body, m->user_id,
							    j->tries);
				int64_t incident = j->incident;

				log_info(
				    "matrix: INC-%lld: room %s (%s) created",
				    (long long)incident, room,
				    alias ? alias : "no alias");
				chat_lines_done(&m->lines, j, 0);
				app_room_created(m->app, incident, room, alias);
				free(alias);
				free(room);
				pump(m);
				return;
			}
		} else if (j->file_name && j->step == 0) {
			v = cJSON_GetStringValue(
			    cJSON_GetObjectItem(r->body, "content_uri"));
			if (v) {
				j->got[0] = xstrdup(v);
				j->step = 1;
				pump(m);
				return;
			}
		} else if (j->file_name && j->step == 1) {
			j->step = 2;
			pump(m);
			return;
		} else {
			chat_lines_done(&m->lines, j, 0);
			pump(m);
			return;
		}
	}
	if (r->errcode && !strcmp(r->errcode, "M_ROOM_IN_USE") &&
	    j->tries < 9) {
		j->tries++; /* the alias is taken: a suffix */
		pump(m);
		return;
	}
	if (r->status == 429 || r->status >= 500 || r->status == 0 ||
	    !r->errcode) {
		wait = r->retry_ms ? r->retry_ms
				   : backoff_ms(j->tries, 1000, 256000, false);
		j->tries++;
		log_warn("matrix: %s: %s (%s), again in %lld ms", j->kind,
			 r->errcode ? r->errcode : "no room id",
			 r->error ? r->error : "-", (long long)wait);
		chat_lines_hold(&m->lines, j->room, now + wait);
		j->not_before = now + wait;
		pump(m);
		return;
	}
	log_error("matrix: %s in %s: %s (%s)", j->kind, j->room ? j->room : "-",
		  r->errcode, r->error);
	chat_lines_done(&m->lines, j, SCRIBE_EIO);
	pump(m);
}

/* PUT an event into j's room with a transaction id made of the
 * database's id, the outbox row and the part of the row: the same row
 * sent again after a crash is the same transaction. */
static int send_event(struct matrix *m, struct chat_job *j, const char *type,
		      cJSON *content, int part)
{
	/* A room named by its alias (an announcement room) is sent to by
	 * the id its join answered. */
	char txn[160], *room = esc(j->got[1] ? j->got[1] : j->room), *t, *path;
	int rc;

	snprintf(txn, sizeof(txn), "%s.%lld.%d", m->txn_prefix,
		 (long long)j->row, part);
	t = esc(txn);
	path = xasprintf(API "/rooms/%s/send/%s/%s", room, type, t);
	rc = call(m, "PUT", path, content, NULL, 0, NULL, on_sent, j);
	free(path);
	free(t);
	free(room);
	return rc;
}

static int send_document(struct matrix *m, struct chat_job *j)
{
	char *name, *path;
	int rc;

	if (j->step == 0) {
		struct call_opts o = {
		    .content_type = "text/markdown; charset=utf-8",
		    .timeout_ms = 120000,
		};

		name = esc(j->file_name);
		path = xasprintf("/_matrix/media/v3/upload?filename=%s", name);
		rc = call(m, "POST", path, NULL, j->body, strlen(j->body), &o,
			  on_sent, j);
		free(path);
		free(name);
		return rc;
	}
	if (j->step == 1)
		return send_event(
		    m, j, "m.room.message",
		    mx_notice(strcmp(j->kind, "draft")
				  ? "The postmortem, as written at close:"
				  : "A draft of the postmortem, as of now:",
			      NULL),
		    1);
	return send_event(
	    m, j, "m.room.message",
	    mx_file(j->file_name, j->got[0], "text/markdown", strlen(j->body)),
	    2);
}

/* An alias (a configured announcement room) joined: the answer's room id
 * is where its rows are sent. Joining a room Scribe is in changes
 * nothing; one it may not join is an error like a refused send. */
static void on_alias_joined(struct matrix *m, void *ud, const struct mx_resp *r)
{
	struct chat_job *j = ud;
	const char *id =
	    cJSON_GetStringValue(cJSON_GetObjectItem(r->body, "room_id"));

	if (m->stopping)
		return;
	if (r->errcode) {
		on_sent(m, ud, r);
		return;
	}
	j->busy = false;
	if (!id) {
		log_warn("matrix: joining %s: no room id in the answer",
			 j->room);
		chat_lines_done(&m->lines, j, SCRIBE_EIO);
		pump(m);
		return;
	}
	j->got[1] = xstrdup(id);
	pump(m);
}

static int send_job(void *owner, struct chat_job *j)
{
	struct matrix *m = owner;
	cJSON *o;

	if (j->room && j->room[0] == '#' && !j->got[1]) {
		char *alias = esc(j->room), *path;
		int rc;

		path = xasprintf(API "/join/%s", alias);
		rc = call(m, "POST", path, cJSON_CreateObject(), NULL, 0, NULL,
			  on_alias_joined, j);
		free(path);
		free(alias);
		return rc;
	}

	if (!strcmp(j->kind, "create_room")) {
		o = mx_create_room(j->body, m->user_id, j->tries);
		if (!o)
			return SCRIBE_EINVAL;
		return call(m, "POST", API "/createRoom", o, NULL, 0, NULL,
			    on_sent, j);
	}
	if (j->file_name)
		return send_document(m, j);
	if (!strcmp(j->kind, "message"))
		return send_event(m, j, "m.room.message",
				  mx_notice(j->body, j->to_user), 0);
	log_warn("matrix: outbox kind '%s' is not sent to Matrix", j->kind);
	return SCRIBE_EINVAL;
}

static void on_pump(uv_timer_t *h)
{
	pump(h->data);
}

/* Sends what may go now; wakes again when the next row is due. */
static void pump(struct matrix *m)
{
	int64_t now = wall_ms(), wake;

	if (m->stopping || !m->user_id)
		return;
	wake = chat_lines_pump(&m->lines, now, send_job);
	if (wake)
		uv_timer_start(&m->pump, on_pump, (uint64_t)(wake - now), 0);
}

static int matrix_deliver(struct chat *c, const struct outbox_row *row,
			  const char *room)
{
	struct matrix *m = c->impl;

	if (m->stopping)
		return SCRIBE_EIO;
	chat_lines_add(&m->lines, m, row, room, false);
	pump(m);
	return SCRIBE_EPENDING;
}

static char *matrix_room_link(struct chat *c, const char *room,
			      const char *alias)
{
	return mx_room_link(room, alias);
}

/* Signed in, and the last /sync answered. */
static bool matrix_ready(struct chat *c, char *why, size_t len)
{
	struct matrix *m = c->impl;

	if (!m->user_id)
		snprintf(why, len, "not signed in to %s", m->hs);
	else if (!m->syncs || m->attempts)
		snprintf(why, len, "no /sync answered by %s", m->hs);
	else
		return true;
	return false;
}

static const struct chat_ops matrix_ops = {
    .name = "matrix",              /* platform name */
    .room_for_channel = NULL,      /* rooms are created through the API */
    .deliver = matrix_deliver,     /* queued per room, answered later */
    .room_link = matrix_room_link, /* a matrix.to link */
    .ready = matrix_ready,         /* signed in and syncing */
};

/* ---- lifecycle ------------------------------------------------------------
 */

int matrix_init(struct matrix *m, struct app *app, struct net *net,
		const struct config_matrix *cfg, char *err, size_t errlen)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	m->chat.ops = &matrix_ops;
	m->chat.impl = m;
	m->app = app;
	m->net = net;
	m->cfg = cfg;
	m->token = secret_get(cfg->access_token_env);
	if (!m->token) {
		m->password = secret_get(cfg->password_env);
		if (!m->password) {
			snprintf(err, errlen,
				 "matrix: set %s (an access token) or %s (a "
				 "password) in the environment",
				 cfg->access_token_env, cfg->password_env);
			return SCRIBE_EINVAL;
		}
		if (!cfg->user_id) {
			snprintf(
			    err, errlen,
			    "matrix: a password login needs matrix.user_id "
			    "in the config");
			free(m->password);
			m->password = NULL;
			return SCRIBE_EINVAL;
		}
	}
	m->hs = xstrdup(cfg->homeserver);
	n = strlen(m->hs);
	while (n > 0 && m->hs[n - 1] == '/')
		m->hs[--n] = '\0';
	m->txn_prefix = xstrdup(store_db_id(app->st));
	m->limit = SYNC_LIMIT;
	m->names.learned = name_learned;
	m->names.ud = m;
	m->lines.app = app;
	uv_timer_init(net->loop, &m->retry);
	uv_timer_init(net->loop, &m->pump);
	m->retry.data = m->pump.data = m;
	/* A failed /messages page is read again for up to four of the
	 * longest reconnect waits (2 min by default) before it is a gap. */
	chat_reread_init(&m->reread, net->loop, cfg->reconnect_min_ms,
			 cfg->reconnect_max_ms,
			 4 * (int64_t)cfg->reconnect_max_ms, on_reread, m);
	return 0;
}

int matrix_start(struct matrix *m)
{
	sign_in(m);
	return 0;
}

void matrix_stop(struct matrix *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	/* The long-poll in flight ends with the net's shutdown ("shutting
	 * down"), which frees its call like any answer. */
	uv_timer_stop(&m->retry);
	uv_timer_stop(&m->pump);
	uv_close((uv_handle_t *)&m->retry, NULL);
	uv_close((uv_handle_t *)&m->pump, NULL);
	chat_reread_close(&m->reread);
}

void matrix_release(struct matrix *m)
{
	size_t i;

	pending_free(m->pending);
	chat_lines_release(&m->lines);
	for (i = 0; i < m->nanswered; i++)
		free(m->answered[i]);
	free(m->answered);
	mx_names_release(&m->names);
	free(m->hs);
	free(m->token);
	free(m->password);
	free(m->user_id);
	free(m->device_id);
	free(m->txn_prefix);
	free(m->since);
	free(m->next_batch);
	memset(m, 0, sizeof(*m));
}
