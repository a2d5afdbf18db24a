/*
 * net.h - the shared network layer: libwebsockets and libcurl on the one
 * libuv loop.
 *
 * struct net owns an lws context that joins the application's uv loop as a
 * foreign loop (LWS_SERVER_OPTION_LIBUV), with one client vhost that does
 * not listen, and a curl multi handle driven by uv_poll/uv_timer. The HTTP
 * client (http.h) and the websocket client (ws.h) are built on it; the
 * Slack and Matrix transports use those two. Everything runs on the loop
 * thread; nothing here is thread safe.
 *
 * Life cycle: net_init() on a running-or-not loop, any number of
 * http_request()/ws_connect(), then net_close(), which shuts everything down
 * in the order of guides/EVENT-LOOP-AND-STYLE.md section 4.2 and calls its
 * done callback when the last handle it owns has closed. After that the loop
 * ends by itself (if nothing else is on it) and uv_loop_close() returns 0.
 */
#ifndef SCRIBE_NET_H
#define SCRIBE_NET_H

#include "util/base.h"

#include <uv.h> /* before libwebsockets.h (pitfall 3) */
#include <curl/curl.h>

struct lws_context;
struct lws_vhost;
struct http_call;
struct ws;

struct net_options {
	/* PEM file of trusted CAs for both curl and lws; NULL uses the
	 * system trust store. Borrowed: only read during net_init(). */
	const char *ca_file;
	/* HTTP server connections to make room for (http.max_connections);
	 * 0 without a server. */
	int max_sockets;
	/* The server's longest deadline (ms): lws's own per-read timeouts
	 * (5 s by default) are made no shorter, so that the server's
	 * deadlines (web.c) are the ones that apply. */
	int http_timeout_ms;
};

/* The size of lws's socket table for o: NET_BASE_SOCKETS for the
 * websockets, curl and the process's own files, plus the HTTP server's
 * connections. lws indexes the table by descriptor number, so it is also
 * the highest descriptor lws can take. */
#define NET_BASE_SOCKETS 256
int net_max_sockets(const struct net_options *o);

/* All fields are private to bot/net, except that tests may use ctx to add
 * a server vhost on the same context. */
struct net {
	uv_loop_t *loop;          /* borrowed; must outlive the net */
	struct lws_context *ctx;  /* lws writes NULL here once destroyed */
	struct lws_vhost *vhost;  /* the client vhost */
	CURLM *multi;             /* NULL once cleaned up */
	uv_timer_t curl_timer;    /* curl's CURLMOPT_TIMERFUNCTION */
	uv_timer_t close_timer;   /* runs the shutdown outside callbacks */
	struct http_call *calls;  /* in-flight requests */
	struct http_sock *socks;  /* curl sockets with a uv_poll */
	struct ws *sockets;       /* websockets not yet closed */
	char *ca_file;            /* owned copy, or NULL */
	bool closing;             /* net_close() was called */
	bool client_tls;          /* the client vhost's TLS context exists */
	int handles;              /* own uv handles not yet closed */
	uint64_t destroy_started; /* uv_now() at lws_context_destroy() */
	void (*done)(void *ud);
	void *done_ud;
};

/*
 * Creates the lws context on loop, the client vhost and the curl multi
 * handle. Calls curl_global_init() (reference counted by curl; the matching
 * cleanup happens at the end of net_close()). Returns 0, SCRIBE_EIO when lws
 * or curl refuse (for instance, the evlib plugin libwebsockets-evlib-uv is
 * not installed), or SCRIBE_EINVAL. On an error after the lws context was
 * created, lws may still have handles closing on the loop: run the loop
 * until it ends before uv_loop_close().
 */
int net_init(struct net *n, uv_loop_t *loop, const struct net_options *o);

/*
 * Begins the shutdown and returns at once. From a 0 ms uv timer (so it is
 * safe to call from any callback, including http and ws ones): pending HTTP
 * calls get their callback with status 0 and the error "shutting down";
 * the curl multi is cleaned up; websockets get their closed handler with
 * "shutting down"; lws_context_destroy() runs and the net waits until lws
 * has finished (n->ctx == NULL); its own handles close; then done(ud) runs
 * (done may be NULL). The struct net memory must stay valid until then, and
 * may be freed inside done. Calling it twice is a no-op. While closing,
 * http_request() and ws_connect() fail with SCRIBE_EIO.
 */
void net_close(struct net *n, void (*done)(void *ud), void *ud);

/* For ws.c: makes the client vhost's TLS context, once (at the first
 * wss:// connection). Returns 0 or SCRIBE_EIO. */
int net_client_tls(struct net *n);

#endif
