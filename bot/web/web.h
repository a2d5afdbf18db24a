/*
 * web.h - Scribe's one HTTP server, on the one loop.
 *
 * A listening libwebsockets vhost on the net's lws context (so on the
 * app's libuv loop: no second loop, no thread). Requests are dispatched
 * through route tables like the command table: a method, a path, a
 * handler and a body limit per route. The server reads the whole request
 * (headers, then a body of at most the route's limit) before it calls the
 * handler; the handler answers at once or later (after a commit) with
 * web_respond(). HTTP/1.1 keep-alive; a connection limit; a deadline for
 * the headers and one for the body and the answer, enforced by the server's
 * own timer; requests logged at debug (method, path, status, duration:
 * never a query string, a header or a body).
 *
 * bot/net/http.c is the HTTP client; this is the server. Its routes today:
 * health (web/health.c), metrics (web/metrics.c), Slack's Events API
 * (web/slack_http.c); later, webhooks and the dashboard add their tables.
 *
 * Life cycle: web_init() after net_init() (it binds and listens before it
 * returns: READY=1 may be sent then), web_add_routes(), then at shutdown
 * web_close() before net_close() (the order of guides/EVENT-LOOP-AND-
 * STYLE.md 4.2: stop taking requests, then the transports, then lws), and
 * web_release() after the loop has ended.
 */
#ifndef SCRIBE_WEB_H
#define SCRIBE_WEB_H

#include <uv.h>

#include "util/base.h"
#include "config.h"

struct net;
struct lws;
struct lws_vhost;
struct web;
struct web_conn;

/*
 * One request, owned by the server until it is answered. Everything is
 * read-only for handlers. Headers (web_header) and query arguments
 * (web_query) can be read only during the handler's call; the rest stays
 * valid until web_respond().
 */
struct web_req {
	struct web *web;
	struct web_conn *conn; /* NULL once the client is gone */
	const struct web_route *route;
	void *ud;           /* the route table's */
	const char *method; /* "GET", "POST", ... */
	char *path;         /* decoded, without the query */
	char *body;         /* NUL-terminated; "" without a body */
	size_t body_len;
	char peer[64];       /* the client's address, for logs */
	uint64_t started_ns; /* uv_hrtime() when the headers were in */
	/* The answer, made by web_respond(). */
	int status;
	char headers[512]; /* extra "name: value\r\n" lines */
	size_t headers_len;
	bool close; /* close the connection after the answer */
};

/* A handler answers r with web_respond() exactly once, now or later
 * (from any callback); until then the request and its body are valid. */
typedef void web_handler(struct web_req *r, void *ud);

enum web_route_flags {
	WEB_PREFIX = 1, /* path is a prefix (ending in '/'), not exact */
};

/* One line of a route table. */
struct web_route {
	const char *method;  /* "GET", "POST" */
	const char *path;    /* "/healthz" */
	web_handler *handle; /* called with the whole request */
	size_t body_max;     /* largest body taken; 0: http.body_max */
	unsigned flags;      /* enum web_route_flags */
};

#define WEB_MAX_TABLES 8

struct web_table {
	const struct web_route *routes; /* borrowed: a static table */
	size_t n;
	void *ud;
};

struct web {
	struct net *net; /* borrowed */
	const struct config_http *cfg;
	struct lws_vhost *vhost;
	char address[128]; /* what it listens on, port resolved */
	int port;          /* the TCP port, or 0 on a unix socket */
	struct web_table tables[WEB_MAX_TABLES];
	size_t ntables;
	struct web_conn *conns;     /* every open connection */
	struct web_conn *unclaimed; /* made, not yet the wsi's user data */
	int nconns;
	bool refusing; /* at the connection limit */
	uint64_t refused, timeouts, requests;
	uv_timer_t reaper; /* enforces the deadlines */
	bool closing;
};

/*
 * Creates the listening vhost on net's lws context and starts the
 * deadline timer. Returns 0 once the socket is bound and listening (so a
 * READY=1 to systemd may follow), or SCRIBE_EIO with err saying why (the
 * address is in use, the path cannot be bound, ...).
 */
int web_init(struct web *w, struct net *net, const struct config_http *cfg,
	     char *err, size_t errlen);

/* Adds a route table (a static array, borrowed), searched after the ones
 * added before; ud is handed to its handlers. Returns SCRIBE_EINVAL when
 * WEB_MAX_TABLES are in. */
int web_add_routes(struct web *w, const struct web_route *routes, size_t n,
		   void *ud);

/* True once web_init() succeeded and until web_close(): the server takes
 * connections at w->address. For the service manager (READY=1). */
bool web_listening(const struct web *w);

/*
 * Answers r: status, a content type and a body (copied; may be NULL with
 * len 0), with the headers added by web_header_add(). The answer goes out
 * when the socket is writable; r is freed here (or at once when the client
 * is gone). Safe from any callback.
 */
void web_respond(struct web_req *r, int status, const char *ctype,
		 const char *body, size_t len);
/* The same, taking body (malloc'd; freed by the server). */
void web_respond_take(struct web_req *r, int status, const char *ctype,
		      char *body, size_t len);
/* {"ok":false,"error":"<error>"} with status; error is plain ASCII. */
void web_respond_error(struct web_req *r, int status, const char *error);

/*
 * A streamed answer (server-sent events): status 200 and ctype, no length
 * (the connection ends with the stream), the headers added before. Then
 * web_stream_write() any number of times, and web_stream_end() exactly
 * once, which frees r. The deadlines do not apply to a stream. Returns 0,
 * or -1 when the client is already gone (r is then freed).
 */
int web_stream_start(struct web_req *r, const char *ctype);
/* Queues len bytes for the client. Returns 0, or -1 when the client is
 * gone or too slow (more than 1 MiB waiting): end the stream then. */
int web_stream_write(struct web_req *r, const char *data, size_t len);
/* Ends the stream once what is queued is out, and frees r. */
void web_stream_end(struct web_req *r);

/* Adds "name: value" to r's answer (before web_respond). Returns 0, or
 * SCRIBE_ETOOBIG when the header space is full. */
int web_header_add(struct web_req *r, const char *name, const char *value);

/* Copies the value of request header name (lowercase, without ':') into
 * out. Returns its length, or -1 when it is absent or longer than
 * len - 1. Only during the handler's call. */
int web_header(struct web_req *r, const char *name, char *out, size_t len);

/* Copies the value of query argument name into out (decoded). Returns its
 * length or -1. Only during the handler's call. */
int web_query(struct web_req *r, const char *name, char *out, size_t len);

/* Stops listening and closes every connection (requests waiting for an
 * answer are dropped; their handlers' later web_respond() only frees
 * them). Before net_close(). */
void web_close(struct web *w);
/* After the loop has ended. */
void web_release(struct web *w);

#endif
