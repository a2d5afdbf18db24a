/* fake_matrix.c - the server side of the fake Matrix homeserver: main(), the
 * lws context and event loop, HTTP request assembly (method, decoded path,
 * query fragments, bounded bodies), replies written in chunks from the
 * writeable callback, and parked /sync long-polls: each waits with its own
 * lws timer for its deadline and is looked at again whenever events are
 * appended (one zero-delay timer per loop turn, however many events came).
 * The endpoints are in fake_matrix_api.c and fake_matrix_control.c.
 *
 * Usage: fake_matrix [PORT] [--server-name fake.test]
 * PORT 0 (the default) picks a free port; the chosen one is printed as
 * "listening on PORT" on stdout, flushed.
 */
#include "fake_matrix.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CHUNK (64 * 1024) /* bytes per writeable callback */

static struct lws_context *g_ctx;
static volatile sig_atomic_t g_stop;
static lws_sorted_usec_list_t g_wake;
static int g_wake_pending;

struct pss {
	struct lws *wsi;
	char path[4096];
	char method[8];
	char ctype[256];
	char auth[1024];
	char **args;
	int nargs;
	char *body;
	size_t body_len, body_cap;
	int too_large;
	int handled;
	uint64_t arrived_us;
	struct fm_req req;
	/* the reply and how much of it went out */
	struct fm_reply reply;
	int have_reply;
	int hdr_sent;
	size_t off;
	long long rep_sent;
	size_t tail_off;
	/* a parked /sync */
	int parked;
	int drop;
	lws_sorted_usec_list_t sul;
	struct pss *pnext, *pprev;
};

static struct pss *g_parked;

const char *fm_arg(const struct fm_req *q, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < q->nargs; i++)
		if (!strncmp(q->args[i], name, n) && q->args[i][n] == '=')
			return q->args[i] + n + 1;
	return NULL;
}

static void req_free(struct pss *s)
{
	for (int i = 0; i < s->nargs; i++)
		free(s->args[i]);
	free(s->args);
	s->args = NULL;
	s->nargs = 0;
	free(s->body);
	s->body = NULL;
	s->body_len = s->body_cap = 0;
	fm_reply_clear(&s->reply);
	s->have_reply = 0;
}

/* ---- parked /syncs ----------------------------------------------------------
 */

static void unpark(struct pss *s)
{
	if (!s->parked)
		return;
	lws_sul_cancel(&s->sul);
	if (s->pprev)
		s->pprev->pnext = s->pnext;
	else
		g_parked = s->pnext;
	if (s->pnext)
		s->pnext->pprev = s->pprev;
	s->pnext = s->pprev = NULL;
	s->parked = 0;
}

static void reply_ready(struct pss *s)
{
	if (!s->reply.no_record)
		fm_api_record(&s->req, &s->reply);
	s->have_reply = 1;
	s->hdr_sent = 0;
	s->off = 0;
	s->rep_sent = 0;
	s->tail_off = 0;
	lws_callback_on_writable(s->wsi);
}

static void sync_deadline(lws_sorted_usec_list_t *sul)
{
	struct pss *s = lws_container_of(sul, struct pss, sul);
	unpark(s);
	fm_sync_wake(s->reply.wait, &s->reply, 1);
	reply_ready(s);
}

static void wake_all(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	g_wake_pending = 0;
	struct pss *s = g_parked, *next;
	for (; s; s = next) {
		next = s->pnext;
		if (fm_sync_wake(s->reply.wait, &s->reply, 0)) {
			unpark(s);
			reply_ready(s);
		}
	}
}

void fm_notify(void)
{
	if (!g_ctx || g_wake_pending || !g_parked)
		return;
	g_wake_pending = 1;
	lws_sul_schedule(g_ctx, 0, &g_wake, wake_all, 1);
}

static void park(struct pss *s)
{
	s->parked = 1;
	s->pprev = NULL;
	s->pnext = g_parked;
	if (g_parked)
		g_parked->pprev = s;
	g_parked = s;
	lws_set_timeout(s->wsi, NO_PENDING_TIMEOUT, 0);
	uint64_t now = fm_mono_us(), dl = fm_sync_deadline_us(s->reply.wait);
	lws_sul_schedule(g_ctx, 0, &s->sul, sync_deadline,
			 dl > now ? (lws_usec_t)(dl - now) : 1);
}

cJSON *fm_parked_list(void)
{
	cJSON *a = cJSON_CreateArray();
	uint64_t now = fm_mono_us();
	for (struct pss *s = g_parked; s; s = s->pnext) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "user",
					s->reply.user ? s->reply.user : "");
		cJSON_AddStringToObject(o, "device",
					s->reply.device ? s->reply.device : "");
		const char *since = fm_arg(&s->req, "since");
		cJSON_AddStringToObject(o, "since", since ? since : "");
		cJSON_AddNumberToObject(o, "waited_ms",
					(double)(now - s->arrived_us) / 1000.0);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

int fm_drop_syncs(void)
{
	int n = 0;
	struct pss *s = g_parked, *next;
	for (; s; s = next) {
		next = s->pnext;
		unpark(s);
		s->drop = 1;
		s->reply.status = 0;
		fm_api_record(&s->req, &s->reply);
		lws_callback_on_writable(s->wsi);
		n++;
	}
	return n;
}

/* ---- requests ---------------------------------------------------------------
 */

static void copy_hdr(struct lws *wsi, enum lws_token_indexes t, char *out,
		     size_t cap)
{
	out[0] = '\0';
	if (lws_hdr_total_length(wsi, t) > 0 &&
	    lws_hdr_copy(wsi, out, (int)cap, t) < 0)
		out[0] = '\0';
}

/* lws hands over the query as decoded "k=v" fragments. */
static void copy_args(struct lws *wsi, struct pss *s)
{
	int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	if (total <= 0)
		return;
	char *frag = malloc((size_t)total + 2);
	int cap = 0;
	for (int i = 0; frag && i < 1024; i++) {
		if (lws_hdr_copy_fragment(wsi, frag, total + 1,
					  WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
			break;
		if (s->nargs == cap) {
			cap = cap ? cap * 2 : 8;
			s->args =
			    realloc(s->args, (size_t)cap * sizeof(*s->args));
		}
		s->args[s->nargs++] = strdup(frag);
	}
	free(frag);
}

static int is_media_upload(const char *path)
{
	return !strncmp(path, "/_matrix/media/", 15);
}

static void handle_request(struct pss *s)
{
	s->handled = 1;
	memset(&s->reply, 0, sizeof(s->reply));
	s->req.method = s->method;
	s->req.path = s->path;
	s->req.args = s->args;
	s->req.nargs = s->nargs;
	s->req.auth = s->auth;
	s->req.ctype = s->ctype;
	s->req.body = s->body ? s->body : "";
	s->req.body_len = s->body_len;
	s->req.too_large = s->too_large;
	s->req.arrived_us = s->arrived_us;
	if (!strncmp(s->path, "/_control/", 10)) {
		fm_control_handle(&s->req, &s->reply);
		s->reply.no_record = 1;
	} else {
		fm_api_handle(&s->req, &s->reply);
	}
	if (!s->reply.status)
		s->reply.status = 200;
	if (!s->reply.ctype)
		s->reply.ctype = "application/json";
	if (s->reply.wait) {
		park(s);
		return;
	}
	reply_ready(s);
}

/* ---- replies
 * ------------------------------------------------------------------ */

static int write_headers(struct lws *wsi, struct pss *s, size_t total)
{
	unsigned char hdr[LWS_PRE + 2048];
	unsigned char *start = hdr + LWS_PRE, *p = start,
		      *end = hdr + sizeof(hdr) - 1;
	struct fm_reply *r = &s->reply;
	if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype,
					total, &p, end))
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
	return 0;
}

static int finish(struct lws *wsi, struct pss *s)
{
	req_free(s);
	s->handled = 0;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int write_reply(struct lws *wsi, struct pss *s)
{
	static unsigned char buf[LWS_PRE + CHUNK];
	struct fm_reply *r = &s->reply;
	size_t tail_len = r->tail ? strlen(r->tail) : 0;
	long long rep = r->repeat > 0 ? r->repeat : 0;
	size_t total = r->body.len + (size_t)rep + tail_len;
	int head = !strcmp(s->method, "HEAD");
	if (!s->hdr_sent) {
		if (write_headers(wsi, s, total))
			return -1;
		s->hdr_sent = 1;
		if (!total || head)
			return finish(wsi, s);
		if (total > CHUNK) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	unsigned char *o = buf + LWS_PRE;
	size_t n = 0;
	if (s->off < r->body.len) {
		size_t k = r->body.len - s->off;
		if (k > CHUNK)
			k = CHUNK;
		memcpy(o, r->body.s + s->off, k);
		s->off += k;
		n += k;
	}
	if (n < CHUNK && s->rep_sent < rep) {
		long long k = rep - s->rep_sent;
		if (k > (long long)(CHUNK - n))
			k = (long long)(CHUNK - n);
		memset(o + n, 'x', (size_t)k);
		s->rep_sent += k;
		n += (size_t)k;
	}
	if (n < CHUNK && s->tail_off < tail_len) {
		size_t k = tail_len - s->tail_off;
		if (k > CHUNK - n)
			k = CHUNK - n;
		memcpy(o + n, r->tail + s->tail_off, k);
		s->tail_off += k;
		n += k;
	}
	int final = s->off == r->body.len && s->rep_sent == rep &&
		    s->tail_off == tail_len;
	if (lws_write(wsi, o, n,
		      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
		return -1;
	if (final)
		return finish(wsi, s);
	lws_callback_on_writable(wsi);
	return 0;
}

/* ---- the one protocol
 * ------------------------------------------------------------ */

static const char *method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes t;
		const char *m;
	} ms[] = {
	    {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
	    {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
	    {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
	    {WSI_TOKEN_HEAD_URI, "HEAD"}};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		if (lws_hdr_total_length(wsi, ms[i].t))
			return ms[i].m;
	return "OTHER";
}

static long body_max(const struct pss *s)
{
	return is_media_upload(s->path) ? fs.max_upload : fs.max_body;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct pss *s = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		req_free(s);
		memset(s, 0, sizeof(*s));
		s->wsi = wsi;
		s->arrived_us = fm_mono_us();
		snprintf(s->path, sizeof(s->path), "%s", (const char *)in);
		snprintf(s->method, sizeof(s->method), "%s", method_of(wsi));
		copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, s->ctype,
			 sizeof(s->ctype));
		copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, s->auth,
			 sizeof(s->auth));
		copy_args(wsi, s);
		char cl[32];
		copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
		if (cl[0] && atoll(cl) > 0) {
			if (atoll(cl) > body_max(s))
				s->too_large = 1;
			return 0; /* wait for the body */
		}
		handle_request(s);
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY: {
		if (s->too_large || !len || !in)
			return 0;
		if ((long)(s->body_len + len) > body_max(s)) {
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
		if (!s->handled)
			handle_request(s);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!s)
			return 0;
		if (s->drop) {
			/* abrupt: no response, the TCP connection gone */
			shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
			return -1;
		}
		if (!s->have_reply)
			return 0;
		return write_reply(wsi, s);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (s) {
			if (s->parked) {
				unpark(s);
				s->reply.status = 0;
				fm_api_record(&s->req, &s->reply);
			}
			req_free(s);
		}
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"fake-matrix", callback, sizeof(struct pss), 0, 0, NULL, 0},
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
	snprintf(fs.server_name, sizeof(fs.server_name), "fake.test");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--server-name") && i + 1 < argc)
			snprintf(fs.server_name, sizeof(fs.server_name), "%s",
				 argv[++i]);
		else if (a[0] >= '0' && a[0] <= '9')
			port = atoi(a);
		else {
			fprintf(stderr,
				"usage: %s [PORT] [--server-name fake.test]\n",
				argv[0]);
			return 2;
		}
	}
	fm_state_init();

	int logs = LLL_ERR;
	if (getenv("FAKE_MATRIX_VERBOSE"))
		logs |= LLL_WARN | LLL_USER | LLL_NOTICE;
	lws_set_log_level(logs, NULL);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port; /* 0: the kernel picks one */
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.max_http_header_data = 16384;
	info.timeout_secs = 60;
	info.keepalive_timeout = 30;
	g_ctx = lws_create_context(&info);
	struct lws_vhost *vh =
	    g_ctx ? lws_get_vhost_by_name(g_ctx, "default") : NULL;
	if (!vh || lws_get_vhost_listen_port(vh) <= 0) {
		fprintf(stderr, "fake_matrix: cannot listen on 127.0.0.1:%d\n",
			port);
		if (g_ctx)
			lws_context_destroy(g_ctx);
		fm_state_free();
		return 1;
	}
	port = lws_get_vhost_listen_port(vh);
	fs.port = port;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("listening on %d\n", port);
	fflush(stdout);
	while (!g_stop)
		if (lws_service(g_ctx, 0) < 0)
			break;
	lws_context_destroy(g_ctx);
	g_ctx = NULL;
	while (g_parked) /* normally unparked by LWS_CALLBACK_CLOSED_HTTP */
		unpark(g_parked);
	fm_state_free();
	return 0;
}
