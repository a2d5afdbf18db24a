/*
 * ws.h - a websocket client (ws:// and wss://) over the lws context of a
 * struct net, on the one libuv loop.
 *
 * The host name is resolved with uv_getaddrinfo() first, because the lws
 * client would block the loop in getaddrinfo() (pitfall 7); lws then gets
 * the numeric address, with the real host name for the Host header, SNI and
 * certificate checks. A uv timer sends pings and closes a connection that
 * has been silent (no frame, no pong) for longer than dead_timeout_ms.
 * Incoming text is reassembled from fragments into a bounded buffer; a
 * message over max_msg closes the connection with an error. Outgoing
 * messages are queued, each one unfragmented text frame, and those queued
 * when the socket is writable go out in one write (many small frames, one
 * send()). There is no reconnect here: the transport decides (and usually
 * needs a fresh URL).
 */
#ifndef SCRIBE_WS_H
#define SCRIBE_WS_H

#include "util/base.h"

struct net;
struct ws;

#define WS_DEFAULT_PING_MS 30000
#define WS_DEFAULT_DEAD_MS 90000
#define WS_DEFAULT_MAX_MSG (1024 * 1024)

/* Borrowed; copied by ws_connect(). */
struct ws_options {
	const char *url;           /* ws://host[:port]/path or wss://... */
	const char *subprotocol;   /* Sec-WebSocket-Protocol, or NULL */
	const char *origin;        /* Origin header, or NULL */
	unsigned ping_interval_ms; /* 0: default (30 s) */
	unsigned dead_timeout_ms;  /* 0: default (90 s) */
	size_t max_msg;            /* 0: default (1 MiB) */
};

/* All handlers are called from the loop with the ud given to ws_connect();
 * open and message may be NULL. Pointers passed to them are valid only
 * during the call. */
struct ws_handlers {
	/* The handshake completed. */
	void (*open)(void *ud, struct ws *w);
	/* One complete text (or binary) message; text is NUL-terminated. */
	void (*message)(void *ud, struct ws *w, const char *text, size_t len);
	/* Exactly once per successful ws_connect(), whatever happened
	 * (failed to resolve or connect, closed by either side, dead,
	 * oversize message, shutting down). reason is never NULL: "closed"
	 * after ws_close(), otherwise what went wrong or what the peer said.
	 * After this returns, w is freed (later, from the loop): do not use
	 * it again. ws_send()/ws_close() inside it are harmless no-ops. */
	void (*closed)(void *ud, struct ws *w, const char *reason);
};

/*
 * Starts connecting. Returns 0 and sets *out (may be NULL) to the
 * connection, valid until its closed handler returns; or SCRIBE_EINVAL (bad
 * URL or options), SCRIBE_EIO (the net is closing, or the resolver refused),
 * in which case no handler is ever called. h is borrowed and must outlive the
 * connection (normally a static const struct).
 */
int ws_connect(struct net *n, const struct ws_options *o,
	       const struct ws_handlers *h, void *ud, struct ws **out);

/*
 * Queues text (copied) to be sent as one text frame. Returns 0,
 * SCRIBE_EIO when the connection is not open (not yet, or closing), or
 * SCRIBE_ETOOBIG when len exceeds max_msg.
 */
int ws_send(struct ws *w, const char *text, size_t len);

/* Begins a clean close (a close frame with status 1000). The closed handler
 * runs later, with "closed". Calling it again, or after the closed
 * handler has started, is a no-op. */
void ws_close(struct ws *w);

/* True between the open handler and the start of closing. */
bool ws_is_open(const struct ws *w);

/* For net.c only: the lws protocol of the client vhost, and the shutdown
 * of connections that have not reached lws yet. */
struct lws_protocols;
const struct lws_protocols *ws_protocols(void);
void ws_net_closing(struct net *n);

#endif
