/*
 * http.c - curl multi on uv_poll/uv_timer, and HTTP calls; see http.h.
 *
 * The glue is curl's docs/examples/multi-uv.c with the fixes of
 * guides/EVENT-LOOP-AND-STYLE.md 4.5: a poll error reaches curl as
 * CURL_CSELECT_ERR (pitfall 9); one uv_poll_t per socket, stopped and closed
 * on CURL_POLL_REMOVE, freed in its close callback (pitfall 10); the timer
 * callback only re-arms a uv timer; finished transfers are collected after
 * curl_multi_socket_action() returns, also when nothing is running any more.
 */
#include "util/base.h"

#include <uv.h>
#include <curl/curl.h>

#include "util/buf.h"
#include "util/log.h"
#include "net/net.h"
#include "net/http.h"

struct http_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct net *n;
	struct http_sock *next; /* in n->socks while curl uses it */
};

struct http_call {
	struct net *n;
	CURL *easy;
	struct curl_slist *headers;
	struct buf body;
	http_done_cb *cb;
	void *ud;
	bool toobig;
	char *what; /* "METHOD url" for debug lines (log_url), or NULL */
	char errbuf[CURL_ERROR_SIZE];
	struct http_call *next, **pprev; /* in n->calls */
};

static void sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static void sock_forget(struct net *n, struct http_sock *s)
{
	struct http_sock **pp;

	for (pp = &n->socks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_closed);
}

static void call_unlink(struct http_call *c)
{
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
}

static void call_free(struct http_call *c)
{
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	buf_release(&c->body);
	free(c->what);
	free(c);
}

/* Reports every finished transfer. Runs only after socket_action has
 * returned, so callbacks may add or cancel requests. */
static void drain_done(struct net *n)
{
	struct curl_header *h;
	struct http_resp r;
	struct http_call *c;
	CURLMsg *msg;
	char detail[CURL_ERROR_SIZE + 64];
	int left;

	while (n->multi && (msg = curl_multi_info_read(n->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		c = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&c);
		memset(&r, 0, sizeof(r));
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE,
					  &r.status);
			if (curl_easy_header(c->easy, "Retry-After", 0,
					     CURLH_HEADER, -1, &h) == CURLHE_OK)
				r.retry_after = h->value;
		} else if (c->toobig) {
			snprintf(detail, sizeof(detail),
				 "response body exceeds %zu bytes",
				 c->body.max);
			r.error = detail;
		} else {
			snprintf(detail, sizeof(detail), "%s%s%s",
				 curl_easy_strerror(msg->data.result),
				 c->errbuf[0] ? ": " : "", c->errbuf);
			r.error = detail;
		}
		r.body = c->body.s;
		r.len = c->body.len;
		if (c->what) {
			curl_off_t us = 0;

			curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &us);
			/* The status and the size, never the body. */
			log_debug(
			    "http: %s -> %ld%s%s, %zu bytes in %.1f ms%s%s",
			    c->what, r.status, r.error ? ": " : "",
			    r.error ? r.error : "", r.len, (double)us / 1000,
			    r.retry_after ? ", Retry-After " : "",
			    r.retry_after ? r.retry_after : "");
		}
		curl_multi_remove_handle(n->multi, c->easy);
		call_unlink(c);
		c->cb(c->ud, &r);
		call_free(c);
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct http_sock *s = p->data;
	struct net *n = s->n;
	int flags, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else
		flags = (events & UV_READABLE ? CURL_CSELECT_IN : 0) |
			(events & UV_WRITABLE ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(n->multi, s->fd, flags, &running);
	drain_done(n);
}

static void on_curl_timer(uv_timer_t *t)
{
	struct net *n = t->data;
	int running;

	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain_done(n);
}

/* CURLMOPT_SOCKETFUNCTION. Never calls back into curl but curl_multi_assign
 * (which is allowed here). */
static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp,
		   void *sockp)
{
	struct net *n = userp;
	struct http_sock *s = sockp;
	int ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(n->multi, fd, NULL);
			sock_forget(n, s);
		}
		return 0;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->n = n;
		if (uv_poll_init_socket(n->loop, &s->poll, fd)) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		s->next = n->socks;
		n->socks = s;
		curl_multi_assign(n->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms the uv timer. */
static int timer_cb(CURLM *m, long ms, void *userp)
{
	struct net *n = userp;

	if (ms < 0)
		uv_timer_stop(&n->curl_timer);
	else
		uv_timer_start(&n->curl_timer, on_curl_timer, (uint64_t)ms, 0);
	return 0;
}

int http_multi_init(struct net *n)
{
	n->multi = curl_multi_init();
	if (!n->multi)
		return SCRIBE_EIO;
	uv_timer_init(n->loop, &n->curl_timer);
	n->curl_timer.data = n;
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return 0;
}

void http_multi_shutdown(struct net *n)
{
	struct http_resp r;
	struct http_call *c;

	if (!n->multi)
		return;
	memset(&r, 0, sizeof(r));
	r.body = "";
	r.error = "shutting down";
	while ((c = n->calls)) {
		curl_multi_remove_handle(n->multi, c->easy);
		call_unlink(c);
		c->cb(c->ud, &r); /* http_request() now fails: n->closing */
		call_free(c);
	}
	curl_multi_cleanup(n->multi); /* CURL_POLL_REMOVE for idle sockets */
	n->multi = NULL;
	while (n->socks)
		sock_forget(n, n->socks);
	uv_close((uv_handle_t *)&n->curl_timer, NULL);
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_call *c = ud;
	size_t len = size * nmemb;

	if (buf_add(&c->body, p, len)) {
		c->toobig = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return len;
}

static int call_setup(struct http_call *c, const struct http_req *req)
{
	CURL *e = c->easy;
	const char *method = req->method ? req->method : "GET";
	size_t i;

	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
		return SCRIBE_EINVAL;
	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"))
		return SCRIBE_EIO;
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms > 0 ? req->timeout_ms
					     : (long)HTTP_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (c->n->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->n->ca_file);

	if (strcmp(method, "GET") != 0 || req->body_len) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
				 req->body ? req->body : "");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") == 0 && req->body_len)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");

	/* No "Expect: 100-continue" round trip for our small bodies. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	for (i = 0; req->headers && req->headers[i]; i++) {
		struct curl_slist *l;

		if (!strchr(req->headers[i], ':'))
			return SCRIBE_EINVAL;
		l = curl_slist_append(c->headers, req->headers[i]);
		if (!l)
			return SCRIBE_ENOMEM;
		c->headers = l;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	return 0;
}

int http_request(struct net *n, const struct http_req *req, http_done_cb *cb,
		 void *ud, struct http_call **call)
{
	struct http_call *c;
	int rc;

	if (!req || !req->url || !cb)
		return SCRIBE_EINVAL;
	if (n->closing || !n->multi)
		return SCRIBE_EIO;
	c = xcalloc(1, sizeof(*c));
	c->n = n;
	c->cb = cb;
	c->ud = ud;
	buf_init(&c->body,
		 req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		return SCRIBE_EIO;
	}
	rc = call_setup(c, req);
	if (rc) {
		call_free(c);
		return rc;
	}
	if (curl_multi_add_handle(n->multi, c->easy) != CURLM_OK) {
		call_free(c);
		return SCRIBE_EIO;
	}
	c->next = n->calls;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &n->calls;
	n->calls = c;
	if (log_on(LOG_DEBUG)) {
		char *url = log_url(req->url);

		/* Method and URL only: headers carry tokens, bodies
		 * passwords. */
		c->what =
		    xasprintf("%s %s", req->method ? req->method : "GET", url);
		free(url);
		log_debug("http: %s (%zu bytes)", c->what, req->body_len);
	}
	if (call)
		*call = c;
	return 0;
}

void http_cancel(struct http_call *c)
{
	if (!c)
		return;
	if (c->n->multi)
		curl_multi_remove_handle(c->n->multi, c->easy);
	call_unlink(c);
	call_free(c);
}
