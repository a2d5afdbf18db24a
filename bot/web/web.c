/*
 * web.c - the HTTP server on the net's lws context; see web.h.
 *
 * lws parses the request line and the headers (its header table is the
 * only header parser: Scribe has none of its own) and calls back with
 * LWS_CALLBACK_HTTP when they are in; the body comes in
 * LWS_CALLBACK_HTTP_BODY chunks. Each accepted socket gets a struct
 * web_conn (lws's opaque user data, made at WSI_CREATE and dropped at
 * WSI_DESTROY), which holds the request being read and, once the handler
 * was called, a pointer to it while it waits for its answer: a request
 * whose client went away is only freed when its handler answers.
 *
 * Deadlines are the server's own, kept in web_conn and checked by one uv
 * timer: from the accept (or the end of the previous answer) until the
 * request's headers are in (header_timeout), then until its body is in
 * and its answer has been written (read_timeout). lws's own timeouts are
 * per read, so a client sending one byte a second would never meet them.
 * A connection over its deadline is killed synchronously
 * (LWS_TO_KILL_SYNC), as bot/net/ws.c does: the asynchronous kill is not
 * acted on from a uv callback.
 *
 * The connection limit is checked when lws has accepted a socket and
 * before it makes a wsi of it (LWS_CALLBACK_FILTER_NETWORK_CONNECTION):
 * one over the limit gets a fixed 503 written straight to the socket and
 * is closed. lws's socket table is sized for the limit by net.c
 * (net_options.max_sockets).
 */
#include "util/base.h"

#include <uv.h>
#include <libwebsockets.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "net/net.h"
#include "web/web.h"
#include "metrics.h"

/* How often the deadlines are checked. */
#define REAP_MS 100
/* The most of a body written in one writable callback. */
#define WRITE_CHUNK (64 * 1024)

enum conn_state {
	CONN_HEADERS, /* waiting for a request's headers */
	CONN_BODY,    /* reading its body */
	CONN_HANDLER, /* the handler has it: waiting for the answer */
	CONN_WRITING, /* writing the answer */
	CONN_STREAM,  /* a streamed answer (web_stream_start) */
};

struct web_conn {
	struct web *web;
	struct lws *wsi;
	struct web_conn *next, **pprev;
	struct web_conn *unclaimed; /* next made but not yet claimed */
	enum conn_state state;
	uint64_t deadline; /* uv_now() ms */
	struct web_req *req;
	struct buf body;
	bool too_large;
	unsigned served; /* requests answered on this connection */
	/* The answer being written. */
	char *out;         /* LWS_PRE bytes of room, then the body */
	size_t out_len;    /* of the body */
	size_t out_off;    /* written so far */
	const char *ctype; /* static, or in out_ctype */
	char out_ctype[64];
	bool head_sent;
	/* A streamed answer: what waits to be written, and whether its
	 * owner has ended it. */
	struct buf pending;
	bool stream_end;
};

/* ---- requests and answers ------------------------------------------- */

static void req_free(struct web_req *r)
{
	if (!r)
		return;
	free(r->path);
	free(r->body);
	free(r);
}

int web_header_add(struct web_req *r, const char *name, const char *value)
{
	int n = snprintf(r->headers + r->headers_len,
			 sizeof(r->headers) - r->headers_len, "%s: %s\r\n",
			 name, value);

	if (n < 0 || (size_t)n >= sizeof(r->headers) - r->headers_len) {
		r->headers[r->headers_len] = '\0';
		return SCRIBE_ETOOBIG;
	}
	r->headers_len += (size_t)n;
	return 0;
}

static void log_request(const struct web_req *r)
{
	uint64_t ns = uv_hrtime() - r->started_ns;

	log_debug("http: %s %s %s %d %.3f ms", r->peer, r->method,
		  r->path ? r->path : "-", r->status, (double)ns / 1e6);
}

void web_respond_take(struct web_req *r, int status, const char *ctype,
		      char *body, size_t len)
{
	struct web_conn *c = r->conn;
	size_t ct = ctype ? strlen(ctype) : 0;

	r->status = status;
	metrics_http_request(r->route ? r->route->path : "other", status,
			     uv_hrtime() - r->started_ns);
	log_request(r);
	if (!c || !c->wsi || ct >= sizeof(c->out_ctype)) {
		free(body);
		if (c)
			c->req = NULL;
		req_free(r);
		return;
	}
	/* The body goes out from a copy with LWS_PRE bytes of room. */
	c->out = xmalloc(LWS_PRE + len + 1);
	if (len)
		memcpy(c->out + LWS_PRE, body, len);
	free(body);
	c->out_len = len;
	c->out_off = 0;
	memcpy(c->out_ctype, ctype ? ctype : "", ct + 1);
	c->head_sent = false;
	c->state = CONN_WRITING;
	c->deadline = uv_now(c->web->net->loop) + c->web->cfg->read_timeout_ms;
	lws_callback_on_writable(c->wsi);
}

void web_respond(struct web_req *r, int status, const char *ctype,
		 const char *body, size_t len)
{
	char *copy = xmalloc(len + 1);

	if (len)
		memcpy(copy, body, len);
	web_respond_take(r, status, ctype, copy, len);
}

void web_respond_error(struct web_req *r, int status, const char *error)
{
	char *body = xasprintf("{\"ok\":false,\"error\":\"%s\"}\n", error);

	web_respond_take(r, status, "application/json", body, strlen(body));
}

/* The most a stream may have waiting for its client: past it the client
 * is too slow, and the stream is given up. */
#define STREAM_PENDING_MAX (1024 * 1024)

int web_stream_start(struct web_req *r, const char *ctype)
{
	struct web_conn *c = r->conn;
	size_t ct = ctype ? strlen(ctype) : 0;

	r->status = 200;
	r->close = true;
	log_request(r);
	if (!c || !c->wsi || ct >= sizeof(c->out_ctype)) {
		if (c)
			c->req = NULL;
		req_free(r);
		return -1;
	}
	metrics_http_request(r->route ? r->route->path : "other", 200,
			     uv_hrtime() - r->started_ns);
	memcpy(c->out_ctype, ctype ? ctype : "", ct + 1);
	buf_init(&c->pending, STREAM_PENDING_MAX);
	c->head_sent = false;
	c->stream_end = false;
	c->state = CONN_STREAM;
	lws_callback_on_writable(c->wsi);
	return 0;
}

int web_stream_write(struct web_req *r, const char *data, size_t len)
{
	struct web_conn *c = r->conn;

	if (!c || !c->wsi || c->state != CONN_STREAM ||
	    buf_add(&c->pending, data, len))
		return -1;
	lws_callback_on_writable(c->wsi);
	return 0;
}

void web_stream_end(struct web_req *r)
{
	struct web_conn *c = r->conn;

	if (!c || !c->wsi || c->state != CONN_STREAM) {
		if (c)
			c->req = NULL;
		req_free(r);
		return;
	}
	c->stream_end = true;
	lws_callback_on_writable(c->wsi);
}

int web_header(struct web_req *r, const char *name, char *out, size_t len)
{
	static const struct {
		const char *name;
		enum lws_token_indexes token;
	} known[] = {
	    {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
	    {"cookie", WSI_TOKEN_HTTP_COOKIE},
	    {"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
	    {"content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH},
	    {"host", WSI_TOKEN_HOST},
	    {"user-agent", WSI_TOKEN_HTTP_USER_AGENT},
	};
	struct lws *wsi = r->conn ? r->conn->wsi : NULL;
	char custom[64];
	size_t i;
	int n;

	if (!wsi || !len || len > INT32_MAX)
		return -1;
	for (i = 0; i < ARRAY_SIZE(known); i++) {
		if (strcmp(name, known[i].name))
			continue;
		n = lws_hdr_total_length(wsi, known[i].token);
		if (n <= 0 || (size_t)n >= len)
			return -1;
		return lws_hdr_copy(wsi, out, (int)len, known[i].token);
	}
	/* lws keeps the headers it does not know with their names in
	 * lowercase, looked up with the ':'. */
	n = snprintf(custom, sizeof(custom), "%s:", name);
	if (n <= 0 || (size_t)n >= sizeof(custom))
		return -1;
	return lws_hdr_custom_copy(wsi, out, (int)len, custom, n);
}

int web_query(struct web_req *r, const char *name, char *out, size_t len)
{
	struct lws *wsi = r->conn ? r->conn->wsi : NULL;
	char key[64], buf[1024];
	const char *v;
	size_t n;

	if (!wsi || !len ||
	    snprintf(key, sizeof(key), "%s=", name) >= (int)sizeof(key))
		return -1;
	v = lws_get_urlarg_by_name(wsi, key, buf, sizeof(buf));
	if (!v)
		return -1;
	n = strlen(v);
	if (n >= len)
		return -1;
	memcpy(out, v, n + 1);
	return (int)n;
}

/* ---- the connection's state ----------------------------------------- */

static void conn_wait_headers(struct web_conn *c)
{
	c->state = CONN_HEADERS;
	c->deadline =
	    uv_now(c->web->net->loop) + c->web->cfg->header_timeout_ms;
}

/* The answer is out: the connection waits for the next request. */
static void conn_reset(struct web_conn *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	buf_release(&c->body);
	c->too_large = false;
	conn_wait_headers(c);
}

static const struct web_route *find_route(struct web *w, const char *method,
					  const char *path, void **ud,
					  bool *path_known)
{
	size_t t, i;

	*path_known = false;
	for (t = 0; t < w->ntables; t++) {
		for (i = 0; i < w->tables[t].n; i++) {
			const struct web_route *rt = &w->tables[t].routes[i];
			bool match =
			    rt->flags & WEB_PREFIX
				? !strncmp(path, rt->path, strlen(rt->path))
				: !strcmp(path, rt->path);

			if (!match)
				continue;
			*path_known = true;
			if (!strcmp(method, rt->method)) {
				*ud = w->tables[t].ud;
				return rt;
			}
		}
	}
	return NULL;
}

/* The methods a path answers to, for a 405's Allow header. */
static void allowed(struct web *w, const char *path, char *out, size_t len)
{
	size_t t, i, n = 0;

	out[0] = '\0';
	for (t = 0; t < w->ntables; t++)
		for (i = 0; i < w->tables[t].n; i++) {
			const struct web_route *rt = &w->tables[t].routes[i];

			if ((rt->flags & WEB_PREFIX
				 ? strncmp(path, rt->path, strlen(rt->path))
				 : strcmp(path, rt->path)) ||
			    strstr(out, rt->method))
				continue;
			n += (size_t)snprintf(out + n, len - n, "%s%s",
					      n ? ", " : "", rt->method);
			if (n >= len)
				return;
		}
}

static const char *method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes token;
		const char *name;
	} methods[] = {
	    {WSI_TOKEN_GET_URI, "GET"},
	    {WSI_TOKEN_POST_URI, "POST"},
	    {WSI_TOKEN_PUT_URI, "PUT"},
	    {WSI_TOKEN_PATCH_URI, "PATCH"},
	    {WSI_TOKEN_DELETE_URI, "DELETE"},
	    {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
	    {WSI_TOKEN_HEAD_URI, "HEAD"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(methods); i++)
		if (lws_hdr_total_length(wsi, methods[i].token) > 0)
			return methods[i].name;
	return "OTHER";
}

/* The request is whole: to its handler. */
static void dispatch(struct web_conn *c)
{
	struct web_req *r = c->req;

	c->state = CONN_HANDLER;
	if (c->too_large) {
		char limit[32];

		snprintf(limit, sizeof(limit), "%zu",
			 r->route->body_max ? r->route->body_max
					    : c->web->cfg->body_max);
		log_warn(
		    "http: %s %s %s: body over the limit of %s bytes: 413, "
		    "connection closed",
		    r->peer, r->method, r->path, limit);
		r->close = true;
		web_respond_error(r, 413, "body_too_large");
		return;
	}
	r->body_len = c->body.len;
	r->body = buf_detach(&c->body, NULL);
	c->web->requests++;
	r->route->handle(r, r->ud);
}

/* LWS_CALLBACK_HTTP: the request line and headers are in. */
static int on_headers(struct web_conn *c, const char *uri)
{
	struct web *w = c->web;
	struct lws *wsi = c->wsi;
	struct web_req *r = xcalloc(1, sizeof(*r));
	char cl[32] = "";
	bool known, has_body;
	size_t max;

	r->web = w;
	r->conn = c;
	r->started_ns = uv_hrtime();
	r->method = method_of(wsi);
	r->path = xstrdup(uri && *uri ? uri : "/");
	lws_get_peer_simple(wsi, r->peer, sizeof(r->peer));
	if (!r->peer[0])
		snprintf(r->peer, sizeof(r->peer), "local");
	c->req = r;
	c->state = CONN_BODY;
	c->deadline = uv_now(w->net->loop) + w->cfg->read_timeout_ms;
	r->route = find_route(w, r->method, r->path, &r->ud, &known);
	if (!r->route) {
		char allow[64];

		c->state = CONN_HANDLER;
		if (!known) {
			web_respond_error(r, 404, "not_found");
			return 0;
		}
		allowed(w, r->path, allow, sizeof(allow));
		web_header_add(r, "Allow", allow);
		web_respond_error(r, 405, "method_not_allowed");
		return 0;
	}
	max = r->route->body_max ? r->route->body_max : w->cfg->body_max;
	buf_init(&c->body, max);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
		lws_hdr_copy(wsi, cl, sizeof(cl),
			     WSI_TOKEN_HTTP_CONTENT_LENGTH);
	has_body =
	    (cl[0] && strtoull(cl, NULL, 10) > 0) ||
	    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	if (cl[0] && strtoull(cl, NULL, 10) > max) {
		/* Refused before a byte of it is read. */
		c->too_large = true;
		dispatch(c);
		return 0;
	}
	if (!has_body)
		dispatch(c);
	return 0;
}

static int on_body(struct web_conn *c, const void *in, size_t len)
{
	if (c->state != CONN_BODY || c->too_large)
		return 0;
	if (buf_add(&c->body, in, len)) {
		c->too_large = true;
		dispatch(c);
	}
	return 0;
}

/* LWS_CALLBACK_HTTP_WRITEABLE: the head, then the body in chunks. */
/* The answer's head: status, type, length (LWS_ILLEGAL_HTTP_CONTENT_LEN:
 * none, the connection ends with the answer), "connection: close" when it
 * will, "cache-control: no-store" for a stream, and the handler's own. */
static int write_head(struct web_conn *c, lws_filepos_t len)
{
	struct lws *wsi = c->wsi;
	struct web_req *r = c->req;
	unsigned char head[LWS_PRE + 1024];
	unsigned char *start = head + LWS_PRE, *p = start,
		      *end = head + sizeof(head) - 1;

	if (lws_add_http_common_headers(wsi, (unsigned)r->status,
					c->out_ctype[0] ? c->out_ctype : NULL,
					len, &p, end))
		return -1;
	if (r->close &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
					 (unsigned char *)"close", 5, &p, end))
		return -1;
	if (c->state == CONN_STREAM &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (unsigned char *)"no-store", 8, &p,
					 end))
		return -1;
	/* lws_finalize_write_http_header() adds the blank line after
	 * these. */
	if ((size_t)(end - p) < r->headers_len + 4)
		return -1;
	memcpy(p, r->headers, r->headers_len);
	p += r->headers_len;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	c->head_sent = true;
	return 0;
}

/* A streamed answer: its head once (no length: the connection ends with
 * it), then whatever is pending; closed once its owner has ended it. */
static int stream_writable(struct web_conn *c)
{
	struct lws *wsi = c->wsi;
	struct web_req *r = c->req;
	unsigned char *chunk;
	int rc;

	if (!c->head_sent && write_head(c, LWS_ILLEGAL_HTTP_CONTENT_LEN))
		return -1;
	if (c->pending.len) {
		chunk = xmalloc(LWS_PRE + c->pending.len);
		memcpy(chunk + LWS_PRE, c->pending.s, c->pending.len);
		rc = lws_write(wsi, chunk + LWS_PRE, c->pending.len,
			       LWS_WRITE_HTTP);
		free(chunk);
		if (rc < (int)c->pending.len)
			return -1;
		buf_reset(&c->pending);
	}
	if (!c->stream_end)
		return 0;
	c->req = NULL;
	req_free(r);
	return -1;
}

static int on_writable(struct web_conn *c)
{
	struct lws *wsi = c->wsi;
	struct web_req *r = c->req;
	size_t n;
	int final;

	if (c->state == CONN_STREAM)
		return stream_writable(c);
	if (c->state != CONN_WRITING || !c->out)
		return 0;
	/* The body follows the head in the same callback, as h1 allows: lws
	 * keeps what the socket does not take. */
	if (!c->head_sent && write_head(c, c->out_len))
		return -1;
	n = c->out_len - c->out_off;
	if (n > WRITE_CHUNK)
		n = WRITE_CHUNK;
	final = c->out_off + n == c->out_len;
	/* lws may use the LWS_PRE bytes before what it writes: those are
	 * either the room at the start or bytes already sent. */
	if (lws_write(wsi, (unsigned char *)c->out + LWS_PRE + c->out_off, n,
		      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
		return -1;
	c->out_off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	c->req = NULL;
	c->served++;
	if (r->close) {
		req_free(r);
		return -1;
	}
	req_free(r);
	conn_reset(c);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- accepting and closing ------------------------------------------- */

/* Over the connection limit: a fixed answer written straight to the
 * socket (it is new and empty, so the write does not block), then lws
 * closes it. */
static int refuse(struct web *w, int fd)
{
#define BUSY_BODY "{\"ok\":false,\"error\":\"too_many_connections\"}\n"
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 44\r\n"
				   "Connection: close\r\n\r\n" BUSY_BODY;
	_Static_assert(sizeof(BUSY_BODY) - 1 == 44, "Content-Length");
	ssize_t n;

	w->refused++;
	metrics_http_refused();
	if (!w->refusing) {
		w->refusing = true;
		log_warn("http: %d connections open (http.max_connections): "
			 "refusing new ones",
			 w->nconns);
	}
	n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	shutdown(fd, SHUT_WR);
	return 1;
}

static struct web_conn *conn_new(struct web *w, struct lws *wsi)
{
	struct web_conn *c = xcalloc(1, sizeof(*c));

	c->web = w;
	c->wsi = wsi;
	buf_init(&c->body, 0);
	c->next = w->conns;
	if (w->conns)
		w->conns->pprev = &c->next;
	c->pprev = &w->conns;
	w->conns = c;
	w->nconns++;
	conn_wait_headers(c);
	/* lws sets the wsi's opaque user data after WSI_CREATE (to NULL, in
	 * lws_adopt_descriptor_vhost1()): the connection is claimed by the
	 * wsi's next callback. */
	c->unclaimed = w->unclaimed;
	w->unclaimed = c;
	return c;
}

/* The connection made for wsi at WSI_CREATE, now its opaque user data. */
static struct web_conn *conn_claim(struct web *w, struct lws *wsi)
{
	struct web_conn **pp, *c;

	for (pp = &w->unclaimed; *pp; pp = &(*pp)->unclaimed)
		if ((*pp)->wsi == wsi) {
			c = *pp;
			*pp = c->unclaimed;
			c->unclaimed = NULL;
			lws_set_opaque_user_data(wsi, c);
			return c;
		}
	return NULL;
}

static void conn_free(struct web_conn *c)
{
	struct web *w = c->web;

	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	w->nconns--;
	if (c->req) {
		if (c->state == CONN_HANDLER ||
		    (c->state == CONN_STREAM && !c->stream_end))
			c->req->conn = NULL; /* its handler still holds it */
		else
			req_free(c->req);
	}
	buf_release(&c->body);
	buf_release(&c->pending);
	free(c->out);
	free(c);
	if (w->refusing && w->nconns < w->cfg->max_connections) {
		w->refusing = false;
		log_info("http: below the connection limit again (%llu "
			 "refused so far)",
			 (unsigned long long)w->refused);
	}
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct web *w = vh ? lws_get_vhost_user(vh) : NULL;
	struct web_conn *c = lws_get_opaque_user_data(wsi);

	if (!c && w && w->unclaimed && reason != LWS_CALLBACK_WSI_CREATE)
		c = conn_claim(w, wsi);
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
		int fd = (int)(intptr_t)in;

		if (!w || w->closing)
			return 1;
		if (w->nconns >= w->cfg->max_connections)
			return refuse(w, fd);
		return 0;
	}
	case LWS_CALLBACK_WSI_CREATE:
		if (w && !w->closing)
			conn_new(w, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c) {
			lws_set_opaque_user_data(wsi, NULL);
			conn_free(c);
		}
		return 0;
	case LWS_CALLBACK_HTTP:
		if (!c || c->state != CONN_HEADERS)
			return -1; /* a second request before the answer */
		return on_headers(c, in);
	case LWS_CALLBACK_HTTP_BODY: return c ? on_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (c && c->state == CONN_BODY)
			dispatch(c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE: return c ? on_writable(c) : -1;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"scribe-http", callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- deadlines -------------------------------------------------------- */

static void on_reap(uv_timer_t *t)
{
	struct web *w = t->data;
	uint64_t now = uv_now(w->net->loop);
	struct web_conn *c, *next;

	for (c = w->conns; c; c = next) {
		static const char *const what[] = {
		    [CONN_HEADERS] = "request headers",
		    [CONN_BODY] = "request body",
		    [CONN_WRITING] = "answer to be taken",
		};
		char peer[64] = "";

		next = c->next;
		if (c->state == CONN_HANDLER || c->state == CONN_STREAM ||
		    now < c->deadline || !c->wsi)
			continue;
		lws_get_peer_simple(c->wsi, peer, sizeof(peer));
		/* A kept-alive connection going idle is routine; a request
		 * that stalls (or never starts) is worth a line. */
		if (c->state == CONN_HEADERS && c->served)
			log_debug("http: %s: idle for %d ms after %u "
				  "requests: closed",
				  peer, w->cfg->header_timeout_ms, c->served);
		else
			log_warn("http: %s: no %s within %d ms: connection "
				 "closed",
				 peer[0] ? peer : "local", what[c->state],
				 c->state == CONN_HEADERS
				     ? w->cfg->header_timeout_ms
				     : w->cfg->read_timeout_ms);
		w->timeouts++;
		metrics_http_timeout();
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_SYNC);
	}
}

/* ---- life cycle -------------------------------------------------------- */

/* Splits listen into the lws interface and port: "host:port",
 * "[v6]:port", or a unix socket path. */
static int parse_listen(const char *listen, char *iface, size_t len, int *port,
			bool *unix_sock)
{
	const char *colon;
	size_t n;

	*unix_sock = strchr(listen, '/') != NULL;
	*port = 0;
	if (*unix_sock) {
		if (strlen(listen) >= len)
			return SCRIBE_EINVAL;
		memcpy(iface, listen, strlen(listen) + 1);
		return 0;
	}
	colon = strrchr(listen, ':');
	if (!colon)
		return SCRIBE_EINVAL;
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && n >= 2 && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (!n || n >= len)
		return SCRIBE_EINVAL;
	memcpy(iface, listen, n);
	iface[n] = '\0';
	*port = (int)strtol(colon + 1, NULL, 10);
	return 0;
}

int web_init(struct web *w, struct net *net, const struct config_http *cfg,
	     char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	char iface[128];
	bool unix_sock;
	int port;

	memset(w, 0, sizeof(*w));
	w->net = net;
	w->cfg = cfg;
	if (!cfg->listen || parse_listen(cfg->listen, iface, sizeof(iface),
					 &port, &unix_sock)) {
		snprintf(err, errlen, "http.listen: '%s' is not an address",
			 cfg->listen ? cfg->listen : "");
		return SCRIBE_EINVAL;
	}
	if (unix_sock)
		unlink(iface); /* a socket left by an earlier run */
	memset(&info, 0, sizeof(info));
	info.vhost_name = "scribe-http";
	info.port = unix_sock ? 0 : port;
	info.iface = iface;
	info.protocols = protocols;
	info.user = w;
	/* lws's own idle timeout for kept-alive connections; ours (the
	 * reaper's) is the one that normally closes them. */
	info.keepalive_timeout = cfg->header_timeout_ms / 1000 + 1;
	if (unix_sock)
		info.options |= LWS_SERVER_OPTION_UNIX_SOCK;
	w->vhost = lws_create_vhost(net->ctx, &info);
	if (!w->vhost || lws_get_vhost_listen_port(w->vhost) < 0) {
		snprintf(err, errlen,
			 "http.listen: cannot listen on %s (in use, or not an "
			 "address of this host?)",
			 cfg->listen);
		if (w->vhost)
			lws_vhost_destroy(w->vhost);
		w->vhost = NULL;
		return SCRIBE_EIO;
	}
	w->port = unix_sock ? 0 : lws_get_vhost_listen_port(w->vhost);
	if (unix_sock)
		snprintf(w->address, sizeof(w->address), "%s", iface);
	else if (strchr(iface, ':'))
		snprintf(w->address, sizeof(w->address), "[%.100s]:%d", iface,
			 w->port);
	else
		snprintf(w->address, sizeof(w->address), "%.100s:%d", iface,
			 w->port);
	uv_timer_init(net->loop, &w->reaper);
	w->reaper.data = w;
	uv_timer_start(&w->reaper, on_reap, REAP_MS, REAP_MS);
	uv_unref((uv_handle_t *)&w->reaper);
	log_info("http: listening on %s", w->address);
	return 0;
}

int web_add_routes(struct web *w, const struct web_route *routes, size_t n,
		   void *ud)
{
	if (w->ntables == WEB_MAX_TABLES)
		return SCRIBE_EINVAL;
	w->tables[w->ntables].routes = routes;
	w->tables[w->ntables].n = n;
	w->tables[w->ntables].ud = ud;
	w->ntables++;
	return 0;
}

bool web_listening(const struct web *w)
{
	return w->vhost && !w->closing;
}

void web_close(struct web *w)
{
	if (!w->vhost || w->closing)
		return;
	w->closing = true;
	uv_timer_stop(&w->reaper);
	uv_close((uv_handle_t *)&w->reaper, NULL);
	/* The listening socket and the connections go with the lws context
	 * (net_close), which comes next; until then nothing new is taken. */
	log_info("http: stopped taking requests on %s", w->address);
}

void web_release(struct web *w)
{
	/* Connections that lws did not close (it always does when the
	 * context is destroyed) would be freed here. */
	w->unclaimed = NULL;
	while (w->conns) {
		struct web_conn *c = w->conns;

		if (c->wsi)
			lws_set_opaque_user_data(c->wsi, NULL);
		conn_free(c);
	}
	memset(w, 0, sizeof(*w));
}
