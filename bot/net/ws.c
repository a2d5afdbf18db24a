/*
 * ws.c - websocket client connections on the net's lws client vhost; see
 * ws.h.
 *
 * A connection goes RESOLVING (uv_getaddrinfo in the threadpool; a 0 ms
 * timer for an address, which needs no lookup) ->
 * CONNECTING (lws handshake) -> OPEN -> CLOSING -> DONE. Every way out ends
 * in ws_finish(), which runs the closed handler once, detaches the struct
 * from the lws wsi (opaque user data NULL, so later lws callbacks ignore
 * it) and closes the uv timer; the struct is freed in that timer's close
 * callback, a safe point outside every lws callback (deferred destruction).
 * Forced closes from uv callbacks use lws_set_timeout(LWS_TO_KILL_ASYNC),
 * the lws way to close a wsi from outside its own callback.
 */
#include "util/base.h"

#include <uv.h>
#include <libwebsockets.h>

#include "util/buf.h"
#include "util/log.h"
#include "net/net.h"
#include "net/ws.h"

/* lws 4.1.6 keeps LWS_WRITE_CLOSE (4) private
 * (lib/roles/ws/private-lib-roles-ws.h); lws_write() handles it. */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)

/* How long to wait for the peer to answer our close frame. */
#define WS_CLOSE_WAIT_MS 2000

/* Queued messages go out together, as whole frames, up to this many
 * bytes per write (lws sends at most the protocol's tx_packet_size per
 * send() and keeps the rest for the next writable). */
#define WS_TX_BATCH (16 * 1024)

enum ws_state { WS_RESOLVING, WS_CONNECTING, WS_OPEN, WS_CLOSING, WS_DONE };

struct ws_out {
	struct ws_out *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of room, then the text */
};

struct ws {
	struct net *n;
	const struct ws_handlers *h;
	void *ud;
	struct ws *next, **pprev; /* in n->sockets until finished */
	enum ws_state state;

	char *url; /* lws_parse_uri() cuts this copy into pieces */
	const char *host;
	char *path; /* with its leading '/' */
	int port;
	bool tls;
	char *subprotocol, *origin;
	char addr[64]; /* the resolved numeric address */
	uv_getaddrinfo_t gai;

	uv_timer_t timer; /* pings and the dead-connection check */
	unsigned ping_ms, dead_ms;
	uint64_t last_rx, last_ping;

	struct lws *wsi;
	struct buf rx; /* reassembly of fragments, capped at max_msg */
	struct ws_out *txq, **txq_tail;
	unsigned char *tx; /* LWS_PRE + WS_TX_BATCH: frames written together */
	bool ping_due;
	bool close_sent; /* our close frame is out; waiting for the peer's */
	unsigned short close_code; /* what our close frame says; 0: 1000 */
	char *reason;              /* why we are closing, once known; owned */
};

static void ws_freed(uv_handle_t *h)
{
	struct ws *w = h->data;
	struct ws_out *o;

	while ((o = w->txq)) {
		w->txq = o->next;
		free(o);
	}
	buf_release(&w->rx);
	free(w->tx);
	free(w->reason);
	free(w->url);
	free(w->path);
	free(w->subprotocol);
	free(w->origin);
	free(w);
}

static void ws_set_reason(struct ws *w, char *reason)
{
	if (w->reason)
		free(reason);
	else
		w->reason = reason;
}

static void ws_finish(struct ws *w, struct lws *wsi, const char *reason)
{
	if (w->state == WS_DONE)
		return;
	w->state = WS_DONE;
	if (wsi)
		lws_set_opaque_user_data(wsi, NULL);
	if (w->wsi && w->wsi != wsi)
		lws_set_opaque_user_data(w->wsi, NULL);
	w->wsi = NULL;
	uv_timer_stop(&w->timer);
	if (w->next)
		w->next->pprev = w->pprev;
	*w->pprev = w->next;
	if (w->reason)
		reason = w->reason;
	log_debug("ws: %s:%d closed: %s", w->host, w->port, reason);
	w->h->closed(w->ud, w, reason);
	uv_close((uv_handle_t *)&w->timer, ws_freed);
}

/*
 * Force-closes the wsi from outside its own callbacks (a uv timer, or the
 * user's code); lws calls us back at once with CLIENT_CLOSED or
 * CONNECTION_ERROR (or WSI_DESTROY), which finishes. LWS_TO_KILL_ASYNC is
 * no good here: it only queues an lws timer event that the foreign uv loop
 * is not woken for, so a silent peer would never be dropped.
 */
static void ws_kill(struct ws *w)
{
	if (w->wsi)
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_SYNC);
}

static void on_timer(uv_timer_t *t)
{
	struct ws *w = t->data;
	uint64_t now = uv_now(w->n->loop);

	if (w->close_sent) {
		/* The peer did not answer our close frame in time. */
		ws_kill(w);
		return;
	}
	if (now - w->last_rx >= w->dead_ms) {
		ws_set_reason(w, xasprintf("dead connection: nothing received "
					   "for %u ms",
					   w->dead_ms));
		w->state = WS_CLOSING;
		uv_timer_stop(t);
		ws_kill(w);
		return;
	}
	if (w->state == WS_OPEN && now - w->last_ping >= w->ping_ms) {
		w->last_ping = now;
		w->ping_due = true;
		lws_callback_on_writable(w->wsi);
	}
}

/*
 * Writes the queued small messages in one go: each one whole text frame
 * (FIN, masked as a client's frames must be, RFC 6455 5.3), as many as fit
 * in WS_TX_BATCH, with a fresh random mask each; lws sends the bytes as
 * they are (LWS_WRITE_HTTP is its raw write, through TLS on wss). Acks
 * come by the hundred after a commit; a write and two epoll_ctl calls
 * for each one cost more than recording the event did.
 */
static int ws_write_batch(struct ws *w, struct lws *wsi)
{
	unsigned char masks[4 * 256], *b;
	size_t n = 0, frames = 0, i;
	struct ws_out *o;

	if (!w->tx)
		w->tx = xmalloc(LWS_PRE + WS_TX_BATCH);
	b = w->tx + LWS_PRE;
	for (o = w->txq;
	     o && frames < sizeof(masks) / 4 && n + o->len + 14 <= WS_TX_BATCH;
	     o = o->next) {
		n += o->len + (o->len < 126 ? 6 : o->len < 65536 ? 8 : 14);
		frames++;
	}
	if (lws_get_random(w->n->ctx, masks, 4 * frames) != 4 * frames)
		return -1;
	n = 0;
	for (i = 0; i < frames; i++) {
		const unsigned char *m = masks + 4 * i;
		unsigned char *p;
		size_t k;

		o = w->txq;
		b[n++] = 0x81; /* FIN, text */
		if (o->len < 126) {
			b[n++] = 0x80 | (unsigned char)o->len;
		} else if (o->len < 65536) {
			b[n++] = 0x80 | 126;
			b[n++] = (unsigned char)(o->len >> 8);
			b[n++] = (unsigned char)o->len;
		} else {
			b[n++] = 0x80 | 127;
			for (k = 8; k-- > 0;)
				b[n++] = (unsigned char)((uint64_t)o->len >>
							 (8 * k));
		}
		memcpy(b + n, m, 4);
		n += 4;
		p = o->data + LWS_PRE;
		for (k = 0; k < o->len; k++)
			b[n + k] = p[k] ^ m[k & 3];
		n += o->len;
		w->txq = o->next;
		free(o);
	}
	if (!w->txq)
		w->txq_tail = &w->txq;
	return lws_write(wsi, b, n, LWS_WRITE_HTTP) < (int)n ? -1 : 0;
}

static int ws_writeable(struct ws *w, struct lws *wsi)
{
	unsigned char ping[LWS_PRE + 1];
	struct ws_out *o;
	int rc;

	if (w->state == WS_CLOSING) {
		/*
		 * Written by hand: the Debian lws is a _DEBUG build, whose
		 * service loop closes a wsi twice under libuv ("close_and_
		 * handled uv repeat test", lib/core-net/service.c), and the
		 * second close drops the connection before the close frame
		 * that lws_close_reason() + return -1 would send. The peer
		 * answers with its close frame; lws then closes the socket.
		 */
		unsigned code = w->close_code ? w->close_code : 1000;
		unsigned char frame[LWS_PRE + 5], *b = frame + LWS_PRE;

		if (w->close_sent)
			return 0;
		b[0] = (unsigned char)(code >> 8);
		b[1] = (unsigned char)code;
		memcpy(b + 2, "bye", 3);
		if (lws_write(wsi, b, 5, WS_WRITE_CLOSE) < 0)
			return -1;
		w->close_sent = true;
		uv_timer_start(&w->timer, on_timer, WS_CLOSE_WAIT_MS, 0);
		return 0;
	}
	if (w->ping_due) {
		w->ping_due = false;
		if (lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0) {
			ws_set_reason(w, xstrdup("ping write failed"));
			return -1;
		}
		if (w->txq)
			lws_callback_on_writable(wsi);
		return 0;
	}
	o = w->txq;
	if (!o)
		return 0;
	if (o->len + 14 > WS_TX_BATCH) {
		/* A large message: a frame of its own, framed by lws. */
		w->txq = o->next;
		if (!w->txq)
			w->txq_tail = &w->txq;
		rc = lws_write(wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT);
		free(o);
	} else {
		rc = ws_write_batch(w, wsi);
	}
	if (rc < 0) {
		ws_set_reason(w, xstrdup("write failed"));
		return -1;
	}
	if (w->txq)
		lws_callback_on_writable(wsi);
	return 0;
}

/*
 * A message over the cap is refused without returning -1: lws 4.1.6 still
 * holds the rest of the frame in its buffer list, and closing the wsi from
 * inside the receive callback then parses that rest on a freed wsi (heap
 * corruption or SIGSEGV for frames over about 4.1 MiB). The rest is read
 * and dropped, and the close goes out through the hand-written close frame
 * of ws_writeable() (status 1009); the peer answers it, or the close timer
 * kills the socket.
 */
static int ws_receive(struct ws *w, struct lws *wsi, const void *in, size_t len)
{
	w->last_rx = uv_now(w->n->loop);
	if (w->state != WS_OPEN)
		return 0; /* closing: what is left of a refused message */
	if (buf_add(&w->rx, in, len)) {
		ws_set_reason(
		    w, xasprintf("message exceeds %zu bytes", w->rx.max));
		buf_release(&w->rx);
		w->state = WS_CLOSING;
		w->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (w->state == WS_OPEN && w->h->message)
		w->h->message(w->ud, w, w->rx.s, w->rx.len);
	buf_reset(&w->rx);
	return 0;
}

static void ws_peer_close(struct ws *w, const unsigned char *in, size_t len)
{
	unsigned code = 0;

	if (len >= 2)
		code = (unsigned)in[0] << 8 | in[1];
	ws_set_reason(w, xasprintf("closed by peer (%u)%s%.*s", code,
				   len > 2 ? ": " : "",
				   len > 2 ? (int)(len - 2) : 0,
				   len > 2 ? (const char *)in + 2 : ""));
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	struct ws *w = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	char *msg;

	if (!w)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		w->wsi = wsi;
		w->state = WS_OPEN;
		log_debug("ws: %s:%d open", w->host, w->port);
		w->last_rx = w->last_ping = uv_now(w->n->loop);
		uv_timer_start(
		    &w->timer, on_timer,
		    w->ping_ms < w->dead_ms ? w->ping_ms : w->dead_ms,
		    w->ping_ms < w->dead_ms ? w->ping_ms : w->dead_ms);
		if (w->h->open)
			w->h->open(w->ud, w);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		msg = xasprintf("cannot connect: %.*s", in ? (int)len : 5,
				in ? (const char *)in : "error");
		ws_finish(w, wsi, w->n->closing ? "shutting down" : msg);
		free(msg);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE: return ws_receive(w, wsi, in, len);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		w->last_rx = uv_now(w->n->loop);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		ws_peer_close(w, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: return ws_writeable(w, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		ws_finish(w, wsi,
			  w->n->closing ? "shutting down"
					: "connection closed");
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		ws_finish(w, wsi,
			  w->n->closing ? "shutting down" : "connection lost");
		break;
	default: break;
	}
	return 0;
}

static const struct lws_protocols ws_protocol_list[] = {
    /* rx_buffer_size 0: the context's service buffer; tx_packet_size: a
     * whole batch of frames per send() */
    {"scribe-ws", ws_callback, 0, 0, 0, NULL, WS_TX_BATCH},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* no LWS_PROTOCOL_LIST_TERM in 4.1 */
};

const struct lws_protocols *ws_protocols(void)
{
	return ws_protocol_list;
}

static void ws_start_lws(struct ws *w)
{
	struct lws_client_connect_info ci;
	struct lws *wsi;

	memset(&ci, 0, sizeof(ci));
	ci.context = w->n->ctx;
	ci.vhost = w->n->vhost;
	ci.address = w->addr; /* numeric: lws must not resolve (pitfall 7) */
	ci.port = w->port;
	ci.path = w->path;
	ci.host = w->host; /* Host header, SNI, certificate name */
	ci.origin = w->origin ? w->origin : w->host;
	ci.protocol = w->subprotocol;
	ci.local_protocol_name = ws_protocol_list[0].name;
	ci.ssl_connection = w->tls ? LCCSCF_USE_SSL : 0;
	ci.opaque_user_data = w;
	w->state = WS_CONNECTING;
	if (w->tls && net_client_tls(w->n)) {
		ws_finish(w, NULL, "cannot connect: no TLS context");
		return;
	}
	wsi = lws_client_connect_via_info(&ci);
	if (w->state == WS_DONE)
		return; /* lws already reported the failure */
	if (!wsi) {
		ws_finish(w, NULL, "cannot connect");
		return;
	}
	if (!w->wsi)
		w->wsi = wsi;
}

/* Starts lws, or finishes when the socket was closed or the net is
 * closing meanwhile. */
static void ws_resolved(struct ws *w, int rc)
{
	char *msg;

	if (w->n->closing) {
		ws_finish(w, NULL, "shutting down");
	} else if (w->state == WS_CLOSING || rc == UV_ECANCELED) {
		ws_finish(w, NULL, "closed");
	} else if (rc) {
		msg = xasprintf("cannot resolve %s: %s", w->host,
				uv_strerror(rc));
		ws_finish(w, NULL, msg);
		free(msg);
	} else {
		ws_start_lws(w);
	}
}

/* An address needs no resolving: lws starts from the loop all the same,
 * never inside ws_connect(). */
static void on_numeric(uv_timer_t *t)
{
	ws_resolved(t->data, 0);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct ws *w = req->data;
	int rc = status;

	if (!status) {
		rc = uv_ip_name(res->ai_addr, w->addr, sizeof(w->addr));
		uv_freeaddrinfo(res);
	}
	ws_resolved(w, rc);
}

static int ws_parse_url(struct ws *w, const char *url)
{
	const char *scheme, *host, *path;
	int port;

	w->url = xstrdup(url);
	if (lws_parse_uri(w->url, &scheme, &host, &port, &path))
		return SCRIBE_EINVAL;
	if (!strcmp(scheme, "wss"))
		w->tls = true;
	else if (strcmp(scheme, "ws"))
		return SCRIBE_EINVAL;
	if (!*host || port <= 0 || port > 65535)
		return SCRIBE_EINVAL;
	w->host = host;
	w->port = port;
	w->path = xasprintf("/%s", path);
	return 0;
}

int ws_connect(struct net *n, const struct ws_options *o,
	       const struct ws_handlers *h, void *ud, struct ws **out)
{
	struct addrinfo hints;
	struct ws *w;
	unsigned char ip[16];
	char port[16];
	int rc;

	if (!o || !o->url || !h || !h->closed)
		return SCRIBE_EINVAL;
	if (n->closing || !n->ctx)
		return SCRIBE_EIO;
	w = xcalloc(1, sizeof(*w));
	w->n = n;
	w->h = h;
	w->ud = ud;
	w->txq_tail = &w->txq;
	buf_init(&w->rx, o->max_msg ? o->max_msg : WS_DEFAULT_MAX_MSG);
	w->ping_ms =
	    o->ping_interval_ms ? o->ping_interval_ms : WS_DEFAULT_PING_MS;
	w->dead_ms =
	    o->dead_timeout_ms ? o->dead_timeout_ms : WS_DEFAULT_DEAD_MS;
	if (o->subprotocol)
		w->subprotocol = xstrdup(o->subprotocol);
	if (o->origin)
		w->origin = xstrdup(o->origin);
	rc = ws_parse_url(w, o->url);
	if (rc)
		goto fail;
	if (log_on(LOG_DEBUG)) {
		char *url = log_url(o->url); /* Slack's has a ticket */

		log_debug("ws: connecting to %s", url);
		free(url);
	}

	w->state = WS_RESOLVING;
	if (uv_inet_pton(AF_INET, w->host, ip) == 0 ||
	    uv_inet_pton(AF_INET6, w->host, ip) == 0) {
		/* An address: no resolver thread, no round trip to it. */
		snprintf(w->addr, sizeof(w->addr), "%s", w->host);
		uv_timer_init(n->loop, &w->timer);
		uv_timer_start(&w->timer, on_numeric, 0, 0);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		snprintf(port, sizeof(port), "%d", w->port);
		w->gai.data = w;
		if (uv_getaddrinfo(n->loop, &w->gai, on_resolved, w->host, port,
				   &hints)) {
			rc = SCRIBE_EIO;
			goto fail;
		}
		uv_timer_init(n->loop, &w->timer);
	}
	w->timer.data = w;
	w->next = n->sockets;
	if (w->next)
		w->next->pprev = &w->next;
	w->pprev = &n->sockets;
	n->sockets = w;
	if (out)
		*out = w;
	return 0;

fail:
	buf_release(&w->rx);
	free(w->url);
	free(w->path);
	free(w->subprotocol);
	free(w->origin);
	free(w);
	return rc;
}

int ws_send(struct ws *w, const char *text, size_t len)
{
	struct ws_out *o;

	if (w->state != WS_OPEN)
		return SCRIBE_EIO;
	if (len > w->rx.max)
		return SCRIBE_ETOOBIG;
	o = xmalloc(sizeof(*o) + LWS_PRE + len);
	o->next = NULL;
	o->len = len;
	memcpy(o->data + LWS_PRE, text, len);
	/* Queued behind others, it is already awaited: the writable
	 * callback asks again while anything is left. */
	if (!w->txq)
		lws_callback_on_writable(w->wsi);
	*w->txq_tail = o;
	w->txq_tail = &o->next;
	return 0;
}

void ws_close(struct ws *w)
{
	switch (w->state) {
	case WS_RESOLVING:
		w->state = WS_CLOSING;
		/* If the lookup is already running, on_resolved() sees the
		 * CLOSING state instead (so does on_numeric() for an address,
		 * which has no lookup to cancel). */
		uv_cancel((uv_req_t *)&w->gai);
		break;
	case WS_CONNECTING:
		ws_set_reason(w, xstrdup("closed"));
		w->state = WS_CLOSING;
		ws_kill(w);
		break;
	case WS_OPEN:
		ws_set_reason(w, xstrdup("closed"));
		w->state = WS_CLOSING;
		lws_callback_on_writable(w->wsi);
		break;
	default: break;
	}
}

bool ws_is_open(const struct ws *w)
{
	return w->state == WS_OPEN;
}

void ws_net_closing(struct net *n)
{
	struct ws *w;

	/* Lookups in flight end with UV_ECANCELED (or finish normally and
	 * see n->closing); lws closes the others in its context destroy. */
	for (w = n->sockets; w; w = w->next)
		if (w->state == WS_RESOLVING ||
		    (w->state == WS_CLOSING && !w->wsi))
			uv_cancel((uv_req_t *)&w->gai);
}
