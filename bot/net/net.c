/*
 * net.c - the lws context and curl multi on the app's libuv loop; see net.h.
 *
 * Start-up follows guides/EVENT-LOOP-AND-STYLE.md 4.2: the lws context takes
 * the uv loop as a foreign loop and creates no vhost by itself; one client
 * vhost that does not listen holds the CA file. Shutdown runs from a 0 ms
 * uv timer, never from inside an lws or curl callback: HTTP calls first
 * (curl_multi_cleanup() closes curl's polls), then lws_context_destroy(),
 * which with a foreign loop only starts closing: the same timer, repeating,
 * then watches for lws's handles to go, finishes the destroy (see
 * on_wait()) and closes; the done callback runs from its close callback.
 */
#include "util/base.h"

#include <uv.h>
#include <libwebsockets.h>

#include "util/log.h"
#include "net/net.h"
#include "net/http.h"
#include "net/ws.h"

/* The lws service buffer: how much one read takes off a socket. */
#define NET_READ_BUF (64 * 1024)

/* How long to wait for lws to finish destroying before giving up on it. */
#define NET_DESTROY_WAIT_MS 10000

static void lws_log(int level, const char *line)
{
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	log_msg(level & LLL_ERR ? LOG_WARN : LOG_DEBUG, "lws: %.*s", (int)len,
		line);
}

int net_max_sockets(const struct net_options *o)
{
	return NET_BASE_SOCKETS +
	       (o && o->max_sockets > 0 ? o->max_sockets : 0);
}

int net_init(struct net *n, uv_loop_t *loop, const struct net_options *o)
{
	struct lws_context_creation_info info;
	void *foreign[1] = {loop};
	int rc;

	memset(n, 0, sizeof(*n));
	if (!loop)
		return SCRIBE_EINVAL;
	n->loop = loop;
	if (o && o->ca_file)
		n->ca_file = xstrdup(o->ca_file);

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(n->ca_file);
		return SCRIBE_EIO;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	/* What one read takes off a socket: a whole batch of frames rather
	 * than 4 KiB (the default) per loop turn. */
	info.pt_serv_buf_size = NET_READ_BUF;
	/* lws sizes two tables by `ulimit -n` (20,000 here: 320 KiB) unless
	 * told how many sockets it will have: a few websockets, and the
	 * HTTP server's connections. Each slot costs 16 bytes (a wsi pointer
	 * and a pollfd), 4 KiB for the base 256; a connection itself costs
	 * its wsi and, while a request is read, a 4 KiB header table. */
	info.fd_limit_per_thread = (unsigned)net_max_sockets(o);
	/* Every connection with a request in flight holds a header table
	 * until it is answered (after the commit): the pool must not make
	 * requests queue behind each other (lws's default is 4). */
	if (o && o->max_sockets > 0)
		info.max_http_header_pool =
		    (unsigned short)(o->max_sockets < 65535 ? o->max_sockets
							    : 65535);
	if (o && o->http_timeout_ms / 1000 + 1 > 5)
		info.timeout_secs = (unsigned)(o->http_timeout_ms / 1000 + 1);
	info.pcontext = &n->ctx;
	info.user = n;
	info.port = CONTEXT_PORT_NO_LISTEN;
	n->ctx = lws_create_context(&info);
	if (!n->ctx) {
		log_error("net: cannot create the lws context (is the package "
			  "libwebsockets-evlib-uv installed?)");
		goto fail_curl;
	}

	/* No client TLS yet: its context (the trusted CAs parsed, a good
	 * part of OpenSSL paged in) is made by net_client_tls() when a wss://
	 * socket first needs it, so a process that never uses one never
	 * pays for it. */
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.vhost_name = "scribe-client";
	info.protocols = ws_protocols();
	info.user = n;
	n->vhost = lws_create_vhost(n->ctx, &info);
	if (!n->vhost) {
		log_error("net: cannot create the lws client vhost");
		goto fail_lws;
	}

	rc = http_multi_init(n);
	if (rc)
		goto fail_lws;
	return 0;

fail_lws:
	/* Not yet used: nothing of lws is pending on the loop but its own
	 * handles, which it closes; the loop must run for them to go. */
	lws_context_destroy(n->ctx);
	n->ctx = NULL;
fail_curl:
	curl_global_cleanup();
	free(n->ca_file);
	n->ca_file = NULL;
	return SCRIBE_EIO;
}

int net_client_tls(struct net *n)
{
	struct lws_context_creation_info info;

	if (n->client_tls)
		return 0;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.vhost_name = "scribe-client";
	info.protocols = ws_protocols();
	info.client_ssl_ca_filepath = n->ca_file;
	info.user = n;
	if (lws_init_vhost_client_ssl(&info, n->vhost)) {
		log_error("net: cannot set up TLS for websockets");
		return SCRIBE_EIO;
	}
	n->client_tls = true;
	return 0;
}

static void net_handle_closed(uv_handle_t *h)
{
	struct net *n = h->data;

	if (--n->handles > 0)
		return;
	free(n->ca_file);
	n->ca_file = NULL;
	curl_global_cleanup();
	if (n->done)
		n->done(n->done_ud);
}

static void net_finish(struct net *n)
{
	n->handles = 1;
	uv_close((uv_handle_t *)&n->close_timer, net_handle_closed);
}

struct lws_walk {
	void *ctx;
	int found;
};

static void find_lws_handle(uv_handle_t *h, void *arg)
{
	struct lws_walk *lw = arg;

	if (h->data == lw->ctx)
		lw->found++;
}

/*
 * Runs every millisecond while the net waits for lws. With a foreign
 * loop, lws 4.1.6 closes its wsi and then its own "static" handles (whose
 * data is the context), but never calls lws_context_destroy2() by itself
 * (lws_uv_close_cb_sa() in lib/event-libs/libuv/libuv.c only does that for
 * internal loops; warmcat/libwebsockets#1969). So once none of those
 * handles is left, a second lws_context_destroy() finishes the job and lws
 * writes NULL to n->ctx through info.pcontext.
 */
static void on_wait(uv_timer_t *t)
{
	struct net *n = t->data;
	struct lws_walk lw = {n->ctx, 0};

	if (n->ctx) {
		uv_walk(n->loop, find_lws_handle, &lw);
		if (!lw.found)
			lws_context_destroy(n->ctx);
	}
	/* Also wait for websockets still resolving in the threadpool. */
	if ((n->ctx || n->sockets) &&
	    uv_now(n->loop) - n->destroy_started < NET_DESTROY_WAIT_MS)
		return;
	if (n->ctx || n->sockets)
		log_error("net: lws or a websocket did not finish closing");
	uv_timer_stop(t);
	net_finish(n);
}

static void on_close_timer(uv_timer_t *t)
{
	struct net *n = t->data;

	/* 1. curl: pending calls fail with "shutting down", the multi is
	 * cleaned up, its polls and timer closed. */
	http_multi_shutdown(n);
	/* 2. websockets that lws does not know yet (still resolving). */
	ws_net_closing(n);
	/* 3. lws: starts closing; finishes over later iterations. */
	n->destroy_started = uv_now(n->loop);
	lws_context_destroy(n->ctx);
	uv_timer_start(&n->close_timer, on_wait, 0, 1);
}

void net_close(struct net *n, void (*done)(void *ud), void *ud)
{
	if (n->closing)
		return;
	n->closing = true;
	n->done = done;
	n->done_ud = ud;
	uv_timer_init(n->loop, &n->close_timer);
	n->close_timer.data = n;
	uv_timer_start(&n->close_timer, on_close_timer, 0, 0);
}
