/* fake_slack.c - the server side of the fake Slack: main(), the lws context
 * and event loop, HTTP request assembly and replies, the Socket Mode
 * websockets (hello, envelopes, acks, pings, disconnect frames, drops) and
 * the redelivery timer. The Web API methods are in fake_slack_api.c and the
 * control endpoints in fake_slack_control.c.
 *
 * Usage: fake_slack [PORT] [--bot-token T] [--app-token T] [--user-token T]
 * PORT 0 (the default) picks a free port; the chosen one is printed as
 * "listening on PORT" on stdout, flushed.
 */
#include "fake_slack.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fs_state fs;

static struct lws_context *g_ctx;
static lws_sorted_usec_list_t g_tick;
static volatile sig_atomic_t g_stop;

#define TICK_US    (5 * LWS_US_PER_MS)
#define WS_MAX_MSG (1024 * 1024)
/* Frames queued on a socket go out together, up to this many bytes per
 * write: Slack's frames are small, and one write per frame would make the
 * fake, not the client under test, the bottleneck of a benchmark. */
#define TX_BATCH (60 * 1024) /* under what lws sends at once: 64 KiB */

/* ---- small helpers ------------------------------------------------------ */

uint64_t fs_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: ids only need to be unique, not secret */
	if (!rng_state)
		rng_state = fs_now_us() ^ ((uint64_t)getpid() << 32) ^
			    0x9E3779B97F4A7C15ull;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

void fs_uuid(char out[37])
{
	uint64_t a = rng(), b = rng();
	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffull));
}

void fs_random_id(char *out, size_t len, const char *prefix)
{
	static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t n = strlen(prefix);
	if (n >= len)
		n = len - 1;
	memcpy(out, prefix, n);
	for (size_t i = n; i + 1 < len; i++)
		out[i] = al[rng() % 36];
	out[len - 1] = '\0';
}

void fs_reply_json(struct fs_reply *r, int status, cJSON *obj)
{
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
	free(r->body);
	r->body = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
}

/* ---- websocket connections ---------------------------------------------- */

struct frame {
	size_t len;
	int is_disconnect;
	uint64_t seq; /* per connection, from 1 */
	struct frame *next;
	char data[]; /* LWS_PRE bytes of headroom, then len bytes and a NUL */
};

struct fs_conn {
	struct lws *wsi;
	int id;
	char ticket[40];
	struct frame *head, *tail;
	size_t queued;
	unsigned char *tx; /* LWS_PRE + TX_BATCH: frames written together */
	int disconnecting; /* sent or queued a disconnect frame */
	int drop;          /* close abruptly at the next writable */
	int want_ping;
	int closing;       /* close cleanly at the next writable */
	uint64_t close_at; /* mono us, 0 = none */
	uint64_t next_ping, last_pong, deadline;
	int close_after_ms;
	char *rx;
	size_t rx_len;
	int rx_fragmented;
	uint64_t next_seq;    /* seq of the last frame queued */
	uint64_t written_seq; /* seq of the last frame written */
	struct fs_conn *next;
};

static struct fs_conn *g_conns;
static int g_rr; /* round-robin cursor over live connections */

static struct fs_conn *conn_by_wsi(struct lws *wsi)
{
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (c->wsi == wsi)
			return c;
	return NULL;
}

static void conn_enqueue(struct fs_conn *c, const char *text, int is_disconnect)
{
	size_t len = strlen(text);
	struct frame *f = malloc(sizeof(*f) + LWS_PRE + len + 1);
	if (!f)
		return;
	memcpy(f->data + LWS_PRE, text, len + 1);
	f->next = NULL;
	f->len = len;
	f->is_disconnect = is_disconnect;
	f->seq = ++c->next_seq;
	if (c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	c->queued++;
	lws_callback_on_writable(c->wsi);
}

static void conn_enqueue_json(struct fs_conn *c, cJSON *obj, int is_disconnect)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (s)
		conn_enqueue(c, s, is_disconnect);
	free(s);
}

int fs_conn_count(void)
{
	int n = 0;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		n++;
	return n;
}

cJSON *fs_conn_list(void)
{
	cJSON *a = cJSON_CreateArray();
	for (struct fs_conn *c = g_conns; c; c = c->next) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", c->id);
		cJSON_AddStringToObject(o, "ticket", c->ticket);
		cJSON_AddBoolToObject(o, "disconnecting", c->disconnecting);
		cJSON_AddNumberToObject(o, "queued_frames", (double)c->queued);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void send_disconnect(struct fs_conn *c, const char *reason,
			    int close_after_ms)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "disconnect");
	cJSON_AddStringToObject(o, "reason", reason);
	cJSON *d = cJSON_AddObjectToObject(o, "debug_info");
	cJSON_AddStringToObject(d, "host", "fake-wss-1");
	c->disconnecting = 1;
	c->close_after_ms = close_after_ms;
	conn_enqueue_json(c, o, 1);
	cJSON_Delete(o);
}

/* conn_id 0 = every connection. Returns the number affected. */
int fs_conn_disconnect(int conn_id, const char *reason, int close_after_ms)
{
	int n = 0;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (!conn_id || c->id == conn_id) {
			send_disconnect(c, reason, close_after_ms);
			n++;
		}
	return n;
}

int fs_conn_drop(int conn_id)
{
	int n = 0;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (!conn_id || c->id == conn_id) {
			c->drop = 1;
			lws_callback_on_writable(c->wsi);
			n++;
		}
	return n;
}

/* A raw text frame (malformed or unknown envelopes for tests); conn_id 0 =
 * every connection. Returns the number of connections it went to. */
int fs_conn_send_raw(int conn_id, const char *text)
{
	int n = 0;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (!conn_id || c->id == conn_id) {
			conn_enqueue(c, text, 0);
			n++;
		}
	return n;
}

static struct fs_conn *pick_conn(void)
{
	int live = 0;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (!c->disconnecting && !c->drop && !c->closing)
			live++;
	if (!live)
		return NULL;
	int want = g_rr++ % live;
	for (struct fs_conn *c = g_conns; c; c = c->next)
		if (!c->disconnecting && !c->drop && !c->closing && want-- == 0)
			return c;
	return NULL;
}

static void conn_free(struct fs_conn *c)
{
	for (struct fs_conn **pp = &g_conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	while (c->head) {
		struct frame *f = c->head;
		c->head = f->next;
		free(f);
	}
	free(c->tx);
	free(c->rx);
	free(c);
}

/* ---- envelopes ---------------------------------------------------------- */

static void record_sent(struct fs_pending *p, struct fs_conn *c,
			int retry_attempt)
{
	char t[32], *eid = p->event_id[0] ? fs_json_str(p->event_id) : NULL;
	char *o = malloc(256 + (eid ? strlen(eid) : 0));
	if (o)
		sprintf(o,
			"{\"envelope_id\":\"%s\",\"type\":\"%s\",\"conn\":%d,"
			"\"retry_attempt\":%d%s%s,\"time\":%s}",
			p->envelope_id, p->type, c->id, retry_attempt,
			eid ? ",\"event_id\":" : "", eid ? eid : "",
			fs_time_json(fs_now_us(), t));
	free(eid);
	fs_log_add(&fs.sent, o);
}

/* An ack record: the fields of the object o (printed), then "time" and
 * "status" (JSON text, malloc'd). */
static char *ack_json(cJSON *o, const char *status)
{
	char t[32];
	cJSON_AddRawToObject(o, "time", fs_time_json(fs_now_us(), t));
	cJSON_AddStringToObject(o, "status", status);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Sends p on some live connection with a fresh envelope id. */
static int deliver(struct fs_pending *p)
{
	struct fs_conn *c = pick_conn();
	if (!c)
		return -1;
	fs_uuid(p->envelope_id);
	int retry = p->deliveries;
	/* The payload was printed once; each delivery wraps it anew. */
	size_t cap = strlen(p->payload) + 256;
	char *env = malloc(cap);
	if (!env)
		return -1;
	int n =
	    snprintf(env, cap,
		     "{\"envelope_id\":\"%s\",\"payload\":%s,\"type\":\"%s\","
		     "\"accepts_response_payload\":%s",
		     p->envelope_id, p->payload, p->type,
		     p->accepts_response_payload ? "true" : "false");
	if (!strcmp(p->type, "events_api"))
		snprintf(env + n, cap - (size_t)n,
			 ",\"retry_attempt\":%d,\"retry_reason\":\"%s\"}",
			 retry, retry ? "timeout" : "");
	else
		snprintf(env + n, cap - (size_t)n, "}");
	conn_enqueue(c, env, 0);
	free(env);
	p->deliveries++;
	p->sent_us = mono_us();
	p->frame_seq = c->next_seq;
	p->conn_id = c->id;
	record_sent(p, c, retry);
	return 0;
}

static void pending_unlink(struct fs_pending *p)
{
	struct fs_pending *prev = NULL;
	for (struct fs_pending *q = fs.pending; q; prev = q, q = q->next)
		if (q == p) {
			if (prev)
				prev->next = p->next;
			else
				fs.pending = p->next;
			if (fs.pending_tail == p)
				fs.pending_tail = prev;
			break;
		}
	free(p->payload);
	free(p);
}

/* Takes ownership of payload. Returns 0 when delivered now, 1 when queued
 * for a later connection (events_api only), -1 when nobody can take it. */
int fs_push_envelope(const char *type, cJSON *payload,
		     int accepts_response_payload, char *envelope_id_out)
{
	cJSON *eid = cJSON_GetObjectItemCaseSensitive(payload, "event_id");
	char id[64] = "";
	if (cJSON_IsString(eid))
		snprintf(id, sizeof(id), "%s", eid->valuestring);
	char *json = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	return fs_push_envelope_json(type, json, id, accepts_response_payload,
				     envelope_id_out);
}

/* The same with the payload already printed (takes it); event_id is its
 * payload.event_id, or "". */
int fs_push_envelope_json(const char *type, char *payload, const char *event_id,
			  int accepts_response_payload, char *envelope_id_out)
{
	/* The Events API: POSTed to the app instead of a socket. */
	if (fs.events_url[0] && payload)
		return fs_http_push(type, payload, event_id, envelope_id_out);
	struct fs_pending *p = payload ? calloc(1, sizeof(*p)) : NULL;
	if (!p) {
		free(payload);
		return -1;
	}
	snprintf(p->type, sizeof(p->type), "%s", type);
	snprintf(p->event_id, sizeof(p->event_id), "%s", event_id);
	p->payload = payload;
	p->accepts_response_payload = accepts_response_payload;
	int rc = deliver(p);
	if (envelope_id_out)
		strcpy(envelope_id_out, p->envelope_id);
	/* only events_api is retried; other kinds are kept until acked so the
	 * ack can be matched, and forgotten after the redelivery timeout */
	if (rc < 0 && strcmp(type, "events_api")) {
		free(p->payload);
		free(p);
		return -1;
	}
	if (fs.pending_tail)
		fs.pending_tail->next = p;
	else
		fs.pending = p;
	fs.pending_tail = p;
	return rc < 0 ? 1 : 0;
}

/* The ack of a pending envelope as Slack's SDKs (and Scribe) send it,
 * exactly {"envelope_id":"<uuid>"}: recorded without parsing. Returns 0
 * when it was that; else the general path reads it. */
static int record_plain_ack(struct fs_conn *c, const char *raw, size_t len)
{
	static const char head[] = "{\"envelope_id\":\"", tail[] = "\"}";
	size_t n = len - (sizeof(head) - 1) - (sizeof(tail) - 1);
	struct fs_pending *p;
	char id[40], t[32];

	if (len < sizeof(head) + sizeof(tail) || n >= sizeof(id) ||
	    memcmp(raw, head, sizeof(head) - 1) ||
	    memcmp(raw + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1))
		return -1;
	memcpy(id, raw + sizeof(head) - 1, n);
	id[n] = '\0';
	if (strspn(id, "0123456789abcdef-") != n)
		return -1;
	for (p = fs.pending; p; p = p->next)
		if (!strcmp(p->envelope_id, id))
			break;
	if (!p)
		return -1;
	char *eid = p->event_id[0] ? fs_json_str(p->event_id) : NULL;
	char *o = malloc(256 + (eid ? strlen(eid) : 0));
	if (o)
		sprintf(o,
			"{\"conn\":%d,\"size\":%zu,\"envelope_id\":\"%s\","
			"\"type\":\"%s\"%s%s,\"time\":%s,\"status\":\"ok\"}",
			c->id, len, id, p->type, eid ? ",\"event_id\":" : "",
			eid ? eid : "", fs_time_json(fs_now_us(), t));
	free(eid);
	fs.acks_ok++;
	fs_log_add(&fs.acks, o);
	pending_unlink(p);
	return 0;
}

static void record_ack(struct fs_conn *c, const char *raw, size_t len,
		       int fragmented)
{
	if (!fragmented && len < FS_ACK_LIMIT && !record_plain_ack(c, raw, len))
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "conn", c->id);
	cJSON_AddNumberToObject(o, "size", (double)len);
	const char *status = "ok";
	cJSON *j = NULL;
	if (len >= FS_ACK_LIMIT)
		status = "dropped_too_large";
	else if (fragmented)
		status = "dropped_fragmented";
	else if (!(j = cJSON_ParseWithLength(raw, len)) || !cJSON_IsObject(j))
		status = "invalid_json";
	if (j && cJSON_IsObject(j)) {
		cJSON *eid = cJSON_GetObjectItemCaseSensitive(j, "envelope_id");
		cJSON *pl = cJSON_GetObjectItemCaseSensitive(j, "payload");
		if (cJSON_IsString(eid))
			cJSON_AddStringToObject(o, "envelope_id",
						eid->valuestring);
		if (pl)
			cJSON_AddItemToObject(o, "payload",
					      cJSON_Duplicate(pl, 1));
		if (!strcmp(status, "ok")) {
			struct fs_pending *p = NULL;
			if (cJSON_IsString(eid))
				for (p = fs.pending; p; p = p->next)
					if (!strcmp(p->envelope_id,
						    eid->valuestring))
						break;
			if (!p) {
				status = cJSON_IsString(eid)
					     ? "unknown_envelope"
					     : "no_envelope_id";
			} else {
				cJSON_AddStringToObject(o, "type", p->type);
				if (p->event_id[0])
					cJSON_AddStringToObject(o, "event_id",
								p->event_id);
				if (cJSON_GetArraySize(pl) > 0 &&
				    !p->accepts_response_payload)
					cJSON_AddBoolToObject(
					    o, "payload_ignored", 1);
				pending_unlink(p);
			}
		}
	} else if (!strcmp(status, "ok")) {
		status = "invalid_json";
	}
	if (strcmp(status, "ok") && len < 4096 && !j) {
		char *copy = strndup(raw, len); /* what could not be read */
		cJSON_AddItemToObject(o, "raw",
				      cJSON_CreateString(copy ? copy : ""));
		free(copy);
	}
	if (!strcmp(status, "ok"))
		fs.acks_ok++;
	fs_log_add(&fs.acks, ack_json(o, status));
	cJSON_Delete(j);
}

/* ---- timer --------------------------------------------------------------- */

static void tick(lws_sorted_usec_list_t *sul)
{
	uint64_t now = mono_us();
	for (struct fs_conn *c = g_conns; c; c = c->next) {
		if (fs.ping_ms > 0 && now >= c->next_ping) {
			c->want_ping = 1;
			c->next_ping = now + (uint64_t)fs.ping_ms * 1000;
			lws_callback_on_writable(c->wsi);
		}
		if (fs.ping_ms > 0 && fs.pong_timeout_ms > 0 &&
		    now - c->last_pong > (uint64_t)fs.pong_timeout_ms * 1000 &&
		    !c->drop) {
			lwsl_user("conn %d: no pong, dropping\n", c->id);
			c->drop = 1;
			lws_callback_on_writable(c->wsi);
		}
		if (c->deadline && now >= c->deadline && !c->disconnecting) {
			send_disconnect(c, "refresh_requested",
					fs.close_after_ms);
		}
		if (c->close_at && now >= c->close_at && !c->closing) {
			c->closing = 1;
			lws_callback_on_writable(c->wsi);
		}
	}
	/* Redeliveries are checked every 50 ms: a walk over every pending
	 * envelope at each 5 ms tick would cost more than the deliveries. */
	static uint64_t last_scan;
	struct fs_pending *p = now - last_scan >= 50000 ? fs.pending : NULL,
			  *next;
	if (p)
		last_scan = now;
	for (; p; p = next) {
		next = p->next;
		int ev = !strcmp(p->type, "events_api");
		if (p->sent_us && p->deliveries) {
			/* the ack timer runs from the write, not the queueing
			 */
			struct fs_conn *pc = g_conns;
			while (pc && pc->id != p->conn_id)
				pc = pc->next;
			if (pc && pc->written_seq < p->frame_seq)
				p->sent_us = now;
		}
		if (p->sent_us &&
		    now - p->sent_us < (uint64_t)fs.redelivery_ms * 1000)
			continue;
		if (!ev) { /* slash / interactive: never retried */
			pending_unlink(p);
			continue;
		}
		if (p->deliveries > fs.max_retries) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "envelope_id",
						p->envelope_id);
			if (p->event_id[0])
				cJSON_AddStringToObject(o, "event_id",
							p->event_id);
			fs_log_add(&fs.acks, ack_json(o, "expired"));
			pending_unlink(p);
			continue;
		}
		deliver(p);
	}
	fs_http_tick();
	lws_sul_schedule(g_ctx, 0, &g_tick, tick, TICK_US);
}

/* ---- HTTP -----------------------------------------------------------------
 */

struct pss {
	int is_ws;
	/* http */
	char path[512];
	char method[8];
	char ctype[128];
	char auth[256];
	char query[4096];
	char *body;
	size_t body_len, body_cap;
	int too_large;
	int have_reply;
	int handled; /* this request was answered (lws may still signal
		      * BODY_COMPLETION for a zero-length body) */
	struct fs_reply reply;
};

static void copy_hdr(struct lws *wsi, enum lws_token_indexes t, char *out,
		     size_t cap)
{
	out[0] = '\0';
	if (lws_hdr_total_length(wsi, t) > 0 &&
	    lws_hdr_copy(wsi, out, (int)cap, t) < 0)
		out[0] = '\0';
}

/* lws splits the query into fragments; join them back with '&'. */
static void copy_query(struct lws *wsi, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0;; i++) {
		char frag[2048];
		int l = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
					      WSI_TOKEN_HTTP_URI_ARGS, i);
		if (l < 0)
			break;
		if (n + (size_t)l + 2 >= cap)
			break;
		if (n)
			out[n++] = '&';
		memcpy(out + n, frag, (size_t)l);
		n += (size_t)l;
		out[n] = '\0';
	}
}

static void handle_request(struct pss *s)
{
	struct fs_reply *r = &s->reply;
	memset(r, 0, sizeof(*r));
	s->handled = 1;
	if (s->too_large) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", 0);
		cJSON_AddStringToObject(o, "error", "request_too_large");
		fs_reply_json(r, 413, o);
	} else if (!strncmp(s->path, "/api/", 5)) {
		fs_api_handle(s->path + 5, s->method, s->ctype, s->auth,
			      s->query, s->body ? s->body : "", s->body_len, r);
	} else if (!strncmp(s->path, "/_control/", 10)) {
		fs_control_handle(s->path + 10, s->method, s->query,
				  s->body ? s->body : "", s->body_len, r);
	} else if (!strncmp(s->path, "/upload/v1/", 11)) {
		fs_upload_handle(s->path + 11, s->ctype, s->body ? s->body : "",
				 s->body_len, r);
	} else {
		r->status = 404;
		r->ctype = "text/plain";
		r->body = strdup("Not Found\n");
	}
	if (!r->status)
		r->status = 200;
	if (!r->body)
		r->body = strdup("");
	if (!r->ctype)
		r->ctype = "application/json; charset=utf-8";
	s->have_reply = 1;
}

static int write_reply(struct lws *wsi, struct pss *s)
{
	unsigned char hdr[LWS_PRE + 1024];
	unsigned char *start = hdr + LWS_PRE, *p = start,
		      *end = hdr + sizeof(hdr) - 1;
	struct fs_reply *r = &s->reply;
	size_t len = strlen(r->body);
	if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype, len,
					&p, end))
		return -1;
	if (r->retry_after > 0) {
		char v[16];
		int n = snprintf(v, sizeof(v), "%d", r->retry_after);
		if (lws_add_http_header_by_name(
			wsi, (const unsigned char *)"Retry-After:",
			(unsigned char *)v, n, &p, end))
			return -1;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	unsigned char *b = malloc(LWS_PRE + len + 1);
	if (!b)
		return -1;
	memcpy(b + LWS_PRE, r->body, len);
	int w = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(b);
	free(r->body);
	r->body = NULL;
	free(s->body);
	s->body = NULL;
	s->body_len = s->body_cap = 0;
	s->have_reply = 0;
	if (w < (int)len)
		return -1;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* ---- the one protocol ------------------------------------------------------
 */

static int ws_writable(struct lws *wsi, struct fs_conn *c)
{
	if (c->drop) {
		/* abrupt: no close frame, just the TCP connection gone */
		shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
		return -1;
	}
	if (c->want_ping) {
		unsigned char b[LWS_PRE + 8];
		c->want_ping = 0;
		memcpy(b + LWS_PRE, "fake", 4);
		if (lws_write(wsi, b + LWS_PRE, 4, LWS_WRITE_PING) < 0)
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->head && c->head->len + 10 > TX_BATCH) {
		/* too big to batch: a frame of its own */
		struct frame *f = c->head;
		c->head = f->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		c->written_seq = f->seq;
		int w = lws_write(wsi, (unsigned char *)f->data + LWS_PRE,
				  f->len, LWS_WRITE_TEXT);
		if (f->is_disconnect)
			c->close_at =
			    mono_us() + (uint64_t)c->close_after_ms * 1000;
		free(f);
		if (w < 0)
			return -1;
		if (c->head)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->head) {
		/* Whole text frames (FIN, opcode 1, unmasked as a server's
		 * are), as many as fit, in one write; lws sends them as they
		 * are (LWS_WRITE_HTTP is its raw write) and keeps what the
		 * socket does not take for the next writable. */
		size_t n = 0;
		if (!c->tx && !(c->tx = malloc(LWS_PRE + TX_BATCH)))
			return -1;
		unsigned char *b = c->tx + LWS_PRE;
		while (c->head && n + c->head->len + 10 <= TX_BATCH) {
			struct frame *f = c->head;
			b[n++] = 0x81;
			if (f->len < 126) {
				b[n++] = (unsigned char)f->len;
			} else if (f->len < 65536) {
				b[n++] = 126;
				b[n++] = (unsigned char)(f->len >> 8);
				b[n++] = (unsigned char)f->len;
			} else {
				b[n++] = 127;
				for (int k = 7; k >= 0; k--)
					b[n++] =
					    (unsigned char)(f->len >> (8 * k));
			}
			memcpy(b + n, f->data + LWS_PRE, f->len);
			n += f->len;
			c->head = f->next;
			if (!c->head)
				c->tail = NULL;
			c->queued--;
			c->written_seq = f->seq;
			int disc = f->is_disconnect;
			free(f);
			if (disc) {
				/* the close timer runs from this write */
				c->close_at =
				    mono_us() +
				    (uint64_t)c->close_after_ms * 1000;
				break;
			}
		}
		if (lws_write(wsi, b, n, LWS_WRITE_HTTP) < (int)n)
			return -1;
		if (c->head)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->closing) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
				 (unsigned char *)"bye", 3);
		return -1;
	}
	return 0;
}

static int consume_ticket(const char *ticket)
{
	int n = cJSON_GetArraySize(fs.tickets);
	for (int i = 0; i < n; i++) {
		cJSON *t = cJSON_GetArrayItem(fs.tickets, i);
		if (cJSON_IsString(t) && !strcmp(t->valuestring, ticket)) {
			cJSON_DeleteItemFromArray(fs.tickets, i);
			return 0;
		}
	}
	return -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct pss *s = user;
	struct fs_conn *c;

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		memset(s, 0, sizeof(*s));
		snprintf(s->path, sizeof(s->path), "%s", (const char *)in);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
			strcpy(s->method, "POST");
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
			strcpy(s->method, "GET");
		else
			strcpy(s->method, "OTHER");
		copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, s->ctype,
			 sizeof(s->ctype));
		copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, s->auth,
			 sizeof(s->auth));
		copy_query(wsi, s->query, sizeof(s->query));
		char cl[32];
		copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
		if (!strcmp(s->method, "POST") && cl[0] && atol(cl) > 0) {
			long max = !strncmp(s->path, "/upload/", 8)
				       ? fs.max_upload
				       : fs.max_body;
			if (atol(cl) > max)
				s->too_large = 1;
			return 0; /* wait for the body */
		}
		handle_request(s);
		lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY: {
		if (s->too_large || !len || !in)
			return 0;
		long max = !strncmp(s->path, "/upload/", 8) ? fs.max_upload
							    : fs.max_body;
		if ((long)(s->body_len + len) > max) {
			s->too_large = 1;
			free(s->body);
			s->body = NULL;
			s->body_len = s->body_cap = 0;
			return 0;
		}
		if (s->body_len + len + 1 > s->body_cap) {
			size_t cap = s->body_cap ? s->body_cap * 2 : 4096;
			while (cap < s->body_len + len + 1)
				cap *= 2;
			char *nb = realloc(s->body, cap);
			if (!nb)
				return -1;
			s->body = nb;
			s->body_cap = cap;
		}
		memcpy(s->body + s->body_len, in, len);
		s->body_len += len;
		s->body[s->body_len] = '\0';
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (s->handled)
			return 0;
		handle_request(s);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!s || !s->have_reply)
			return 0;
		return write_reply(wsi, s);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (s && !s->is_ws) {
			free(s->body);
			s->body = NULL;
			free(s->reply.body);
			s->reply.body = NULL;
		}
		return 0;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		char uri[256], buf[80];
		const char *ticket;
		copy_hdr(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri));
		if (strncmp(uri, "/link", 5))
			return 1;
		/* the buffer gets "ticket=<value>", the result points at the
		 * value */
		ticket =
		    lws_get_urlarg_by_name(wsi, "ticket=", buf, sizeof(buf));
		if (!ticket || consume_ticket(ticket)) {
			lwsl_user(
			    "websocket refused: bad or used ticket (%s)\n",
			    ticket ? ticket : "-");
			return 1;
		}
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED: {
		memset(s, 0, sizeof(*s));
		s->is_ws = 1;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -1;
		c->wsi = wsi;
		c->id = ++fs.conn_seq;
		char buf[80], dbg[40];
		const char *v =
		    lws_get_urlarg_by_name(wsi, "ticket=", buf, sizeof(buf));
		snprintf(c->ticket, sizeof(c->ticket), "%s", v ? v : "");
		uint64_t now = mono_us();
		c->last_pong = now;
		c->next_ping = now + (uint64_t)fs.ping_ms * 1000;
		v = lws_get_urlarg_by_name(wsi, "debug_reconnects=", dbg,
					   sizeof(dbg));
		if (v && !strcmp(v, "true"))
			c->deadline =
			    now + (uint64_t)fs.debug_lifetime_ms * 1000;
		c->next = g_conns;
		g_conns = c;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "hello");
		cJSON_AddNumberToObject(o, "num_connections", fs_conn_count());
		cJSON *d = cJSON_AddObjectToObject(o, "debug_info");
		cJSON_AddStringToObject(d, "host", "fake-applink-1");
		cJSON_AddNumberToObject(d, "build_number", 1);
		cJSON_AddNumberToObject(
		    d, "approximate_connection_time",
		    c->deadline ? fs.debug_lifetime_ms / 1000 : 18060);
		cJSON *ci = cJSON_AddObjectToObject(o, "connection_info");
		cJSON_AddStringToObject(ci, "app_id", FS_APP_ID);
		conn_enqueue_json(c, o, 0);
		cJSON_Delete(o);
		lwsl_user("conn %d open\n", c->id);
		/* events that waited for a socket go out now */
		for (struct fs_pending *p = fs.pending; p; p = p->next)
			if (!p->sent_us)
				deliver(p);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE: {
		c = conn_by_wsi(wsi);
		if (!c)
			return 0;
		if (lws_is_first_fragment(wsi)) {
			c->rx_len = 0;
			c->rx_fragmented = 0;
		}
		if (c->rx_len + len > WS_MAX_MSG) {
			lws_close_reason(
			    wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
			return -1;
		}
		char *nb = realloc(c->rx, c->rx_len + len + 1);
		if (!nb)
			return -1;
		c->rx = nb;
		if (len && in)
			memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		c->rx[c->rx_len] = '\0';
		if (!lws_is_final_fragment(wsi)) {
			/* a frame split only by our rx buffer still has payload
			 * left; a real continuation frame does not */
			if (!lws_remaining_packet_payload(wsi))
				c->rx_fragmented = 1;
			return 0;
		}
		record_ack(c, c->rx, c->rx_len, c->rx_fragmented);
		c->rx_len = 0;
		return 0;
	}
	case LWS_CALLBACK_RECEIVE_PONG:
		c = conn_by_wsi(wsi);
		if (c)
			c->last_pong = mono_us();
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		c = conn_by_wsi(wsi);
		if (!c)
			return 0;
		return ws_writable(wsi, c);
	case LWS_CALLBACK_CLOSED:
		c = conn_by_wsi(wsi);
		if (c) {
			lwsl_user("conn %d closed\n", c->id);
			conn_free(c);
		}
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"fake-slack", callback, sizeof(struct pss), 65536, 0, NULL, 0},
    {"fake-slack-out", (lws_callback_function *)fs_http_callback, 0, 0, 0, NULL,
     0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_ctx)
		lws_cancel_service(g_ctx);
}

int main(int argc, char **argv)
{
	int port = 0;
	memset(&fs, 0, sizeof(fs));
	snprintf(fs.bot_token, sizeof(fs.bot_token), "xoxb-fake-bot-token");
	snprintf(fs.app_token, sizeof(fs.app_token), "xapp-fake-app-token");
	snprintf(fs.user_token, sizeof(fs.user_token), "xoxp-fake-user-token");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--bot-token") && v)
			snprintf(fs.bot_token, sizeof(fs.bot_token), "%s",
				 argv[++i]);
		else if (!strcmp(a, "--app-token") && v)
			snprintf(fs.app_token, sizeof(fs.app_token), "%s",
				 argv[++i]);
		else if (!strcmp(a, "--user-token") && v)
			snprintf(fs.user_token, sizeof(fs.user_token), "%s",
				 argv[++i]);
		else if (a[0] >= '0' && a[0] <= '9')
			port = atoi(a);
		else {
			fprintf(stderr,
				"usage: %s [PORT] [--bot-token xoxb-..] "
				"[--app-token xapp-..] "
				"[--user-token xoxp-..]\n",
				argv[0]);
			return 2;
		}
	}
	fs_state_init();

	int logs = LLL_ERR;
	if (getenv("FAKE_SLACK_VERBOSE"))
		logs |= LLL_WARN | LLL_USER | LLL_NOTICE;
	lws_set_log_level(logs, NULL);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port; /* 0: the kernel picks one */
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.timeout_secs = 30;
	g_ctx = lws_create_context(&info);
	struct lws_vhost *vh =
	    g_ctx ? lws_get_vhost_by_name(g_ctx, "default") : NULL;
	if (!vh || lws_get_vhost_listen_port(vh) <= 0) {
		fprintf(stderr, "fake_slack: cannot listen on 127.0.0.1:%d\n",
			port);
		return 1;
	}
	port = lws_get_vhost_listen_port(vh);
	fs.port = port;
	fs_vhost = vh;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("listening on %d\n", port);
	fflush(stdout);
	lws_sul_schedule(g_ctx, 0, &g_tick, tick, TICK_US);
	while (!g_stop)
		if (lws_service(g_ctx, 0) < 0)
			break;
	fs_http_stop();
	lws_context_destroy(g_ctx);
	while (g_conns) /* normally freed by LWS_CALLBACK_CLOSED */
		conn_free(g_conns);
	fs_http_free();
	fs_state_free();
	return 0;
}
