/*
 * http.h - asynchronous HTTP(S) requests over the curl multi handle of a
 * struct net, on the one libuv loop.
 *
 * Each request is one curl easy handle added to the multi. curl's sockets
 * are watched with one uv_poll_t each (attached with curl_multi_assign())
 * and its timeout with a uv_timer_t; completed transfers are reported only
 * after curl_multi_socket_action() has returned, so a callback may start new
 * requests or cancel others (curl is never re-entered from its own
 * callbacks, pitfall 8). Responses are collected into a bounded buffer
 * (util/buf.h): a body larger than max_body fails the request, it does not
 * grow memory without limit.
 */
#ifndef SCRIBE_HTTP_H
#define SCRIBE_HTTP_H

#include "util/base.h"

struct net;
struct http_call;

#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_DEFAULT_MAX_BODY   (1024 * 1024)

/* A request. Everything is borrowed and copied by http_request(): the
 * caller may free or reuse it as soon as that returns. */
struct http_req {
	const char *method;         /* "GET" when NULL; "POST", "PUT", ... */
	const char *url;            /* http:// or https:// */
	const char *const *headers; /* "Name: value" strings, NULL-ended;
				     * may be NULL */
	const char *body;           /* may be NULL; sent when body_len > 0 or
				     * the method is not GET */
	size_t body_len;
	long timeout_ms; /* whole transfer; 0: default (30 s) */
	size_t max_body; /* response body cap; 0: default (1 MiB) */
};

/* A response, as the callback sees it. Every pointer is owned by the
 * http layer and valid only during the callback: copy what you keep. */
struct http_resp {
	long status;      /* HTTP status, or 0 on a transport error */
	const char *body; /* never NULL; NUL-terminated */
	size_t len;
	const char *retry_after; /* the Retry-After header value, or NULL */
	const char *error;       /* NULL on a transport success (whatever the
				  * status); else a message such as "timeout
				  * ...", "response body exceeds ...",
				  * "shutting down" */
};

/* Called exactly once per successful http_request(), unless http_cancel()
 * is called first. The struct http_call is freed when it returns. */
typedef void http_done_cb(void *ud, const struct http_resp *r);

/*
 * Starts a request. On success returns 0, sets *call (when call is not
 * NULL) to a handle valid until the callback starts or http_cancel()
 * returns, and cb(ud, ...) will run later from the loop, never from inside
 * this function. On error (SCRIBE_EINVAL for a bad request, SCRIBE_EIO when
 * the net is closing or curl refuses) the callback is never called (libuv's
 * rule).
 */
int http_request(struct net *n, const struct http_req *req, http_done_cb *cb,
		 void *ud, struct http_call **call);

/*
 * Aborts an in-flight request. Its callback is never called: when
 * http_cancel() returns, the call is freed and ud is no longer referenced.
 * Must not be called for a call whose callback has started; may be called
 * from any other callback (including another request's).
 */
void http_cancel(struct http_call *c);

/* For net.c only. */
int http_multi_init(struct net *n);
void http_multi_shutdown(struct net *n);

#endif
