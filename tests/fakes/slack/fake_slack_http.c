#define _GNU_SOURCE /* memmem */
/* fake_slack_http.c - the fake Slack delivering by HTTP, as Slack's Events
 * API does: with `events_url` set (/_control/config), every envelope the
 * fake would push over Socket Mode is POSTed instead, signed with the
 * signing secret:
 *
 *   events_api      POST <events_url>/slack/events         JSON (the payload)
 *   slash_commands  POST <events_url>/slack/commands       a form of its fields
 *   interactive     POST <events_url>/slack/interactivity  payload=<JSON>
 *
 * with X-Slack-Request-Timestamp and X-Slack-Signature (v0, HMAC-SHA256
 * of "v0:<ts>:<body>"). An events_api request that is not answered 2xx
 * within `http_timeout_ms` (3000, Slack's 3 seconds) is retried after
 * `http_retry_ms` (Slack: 0, 60000, 300000; shortened for tests), with
 * X-Slack-Retry-Num and X-Slack-Retry-Reason (http_timeout, http_error,
 * connection_failed); slash commands and interactions are not retried.
 * Requests go out on up to `http_lanes` kept-alive connections (8), one
 * request in flight each, like a pool of Slack's senders.
 *
 * The client side is raw sockets adopted into the fake's lws loop: the
 * connect is a plain blocking connect() (the target is on loopback), the
 * requests are written by hand and the answers read just far enough to
 * get the status and the end of the body (Content-Length).
 */
#include "fake_slack.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct delivery {
	char type[24];
	char path[32];
	const char *ctype;
	char *body;
	size_t len;
	char id[64]; /* event_id or trigger_id, for the records */
	int attempt; /* 0 first, then the retry number */
	char reason[24];
	uint64_t due_us;
	struct delivery *next;
};

struct lane {
	struct lws *wsi;
	struct delivery *cur;
	char *req; /* LWS_PRE + the request */
	size_t req_len;
	char rx[8192];
	size_t rx_len;
	uint64_t sent_us;
	int dead; /* being closed */
	struct lane *next;
};

struct lws_vhost *fs_vhost;
static struct delivery *queue, *queue_tail;
static struct lane *lanes;
static int nlanes;
static int stopping;

static uint64_t mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void record(const struct delivery *d, int status, const char *outcome,
		   uint64_t latency_us)
{
	char t[32], *id = fs_json_str(d->id);
	char *o = malloc(512 + strlen(id));
	if (o)
		snprintf(o, 512 + strlen(id),
			 "{\"id\":%s,\"type\":\"%s\",\"path\":\"%s\","
			 "\"attempt\":%d,\"status\":%d,\"outcome\":\"%s\","
			 "\"latency_us\":%llu,\"time\":%s}",
			 id, d->type, d->path, d->attempt, status, outcome,
			 (unsigned long long)latency_us,
			 fs_time_json(fs_now_us(), t));
	free(id);
	fs_log_add(&fs.http_log, o);
}

static void delivery_free(struct delivery *d)
{
	free(d->body);
	free(d);
}

static void enqueue(struct delivery *d, uint64_t due_us)
{
	d->due_us = due_us;
	d->next = NULL;
	if (queue_tail)
		queue_tail->next = d;
	else
		queue = d;
	queue_tail = d;
}

/* The delivery failed (reason): again after http_retry_ms, or given up. */
static void failed(struct delivery *d, int status, const char *reason,
		   uint64_t latency_us)
{
	record(d, status, reason, latency_us);
	if (strcmp(d->type, "events_api") || d->attempt >= fs.http_retries) {
		fs.http_failed++;
		record(d, status, "given_up", 0);
		delivery_free(d);
		return;
	}
	d->attempt++;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	enqueue(d,
		mono_us() + (uint64_t)fs.http_retry_ms[d->attempt - 1] * 1000);
}

/* ---- requests ----------------------------------------------------------- */

static void sign(const char *ts, const char *body, size_t len, char out[68])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	char prefix[40];
	int n = snprintf(prefix, sizeof(prefix), "v0:%s:", ts);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
					     (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;

	strcpy(out, "v0=");
	if (c &&
	    EVP_MAC_init(c, (const unsigned char *)fs.signing_secret,
			 strlen(fs.signing_secret), params) &&
	    EVP_MAC_update(c, (const unsigned char *)prefix, (size_t)n) &&
	    EVP_MAC_update(c, (const unsigned char *)body, len) &&
	    EVP_MAC_final(c, mac, &maclen, sizeof(mac)) && maclen == 32)
		for (int i = 0; i < 32; i++)
			sprintf(out + 3 + 2 * i, "%02x", mac[i]);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
}

/* The whole request for d, signed now. */
static int build(struct lane *l, struct delivery *d)
{
	char ts[24], sig[68], retry[96] = "";
	time_t now = time(NULL) + fs.http_clock_skew_s;
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	sign(ts, d->body, d->len, sig);
	if (d->attempt)
		snprintf(
		    retry, sizeof(retry),
		    "X-Slack-Retry-Num: %d\r\nX-Slack-Retry-Reason: %s\r\n",
		    d->attempt, d->reason);
	size_t cap = LWS_PRE + 512 + strlen(fs.events_prefix) + d->len;
	free(l->req);
	l->req = malloc(cap);
	if (!l->req)
		return -1;
	int n = snprintf(l->req + LWS_PRE, cap - LWS_PRE,
			 "POST %s%s HTTP/1.1\r\n"
			 "Host: %s:%d\r\n"
			 "User-Agent: Slackbot 1.0 (+https://api.slack.com/"
			 "robots)\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "X-Slack-Request-Timestamp: %s\r\n"
			 "X-Slack-Signature: %s\r\n"
			 "%s\r\n",
			 fs.events_prefix, d->path, fs.events_host,
			 fs.events_port, d->ctype, d->len, ts, sig, retry);
	memcpy(l->req + LWS_PRE + n, d->body, d->len);
	l->req_len = (size_t)n + d->len;
	return 0;
}

static struct lane *lane_open(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)fs.events_port);
	inet_pton(AF_INET, fs.events_host, &sa.sin_addr);
	/* Loopback: the connect is done (or refused) at once. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct lane *l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return NULL;
	}
	lws_sock_file_fd_type sock;
	sock.sockfd = fd;
	l->wsi = lws_adopt_descriptor_vhost(fs_vhost, LWS_ADOPT_SOCKET, sock,
					    "fake-slack-out", NULL);
	if (!l->wsi) {
		free(l); /* lws closed the socket */
		return NULL;
	}
	lws_set_opaque_user_data(l->wsi, l);
	l->next = lanes;
	lanes = l;
	nlanes++;
	return l;
}

static void lane_start(struct lane *l, struct delivery *d)
{
	l->cur = d;
	l->rx_len = 0;
	if (build(l, d)) {
		l->cur = NULL;
		failed(d, 0, "unknown_error", 0);
		return;
	}
	l->sent_us = mono_us();
	fs.http_sent++;
	lws_callback_on_writable(l->wsi);
}

/* Sends what is due on free lanes, opening lanes up to http_lanes. */
void fs_http_dispatch(void)
{
	uint64_t now = mono_us();

	if (stopping)
		return;
	struct delivery **pp = &queue, *d, *prev = NULL;

	while ((d = *pp)) {
		if (d->due_us > now) {
			prev = d;
			pp = &d->next;
			continue;
		}
		struct lane *l = lanes;
		while (l && (l->cur || l->dead))
			l = l->next;
		if (!l && nlanes < fs.http_lanes) {
			l = lane_open();
			if (!l) {
				*pp = d->next;
				if (queue_tail == d)
					queue_tail = prev;
				failed(d, 0, "connection_failed", 0);
				continue;
			}
		}
		if (!l)
			return;
		*pp = d->next;
		if (queue_tail == d)
			queue_tail = prev;
		lane_start(l, d);
	}
}

/* ---- answers ------------------------------------------------------------ */

/* 1 when rx holds a whole answer (status and length read), 0 when more
 * is needed, -1 when it is not HTTP. */
static int answer(struct lane *l, int *status, int *close_after)
{
	char *end = memmem(l->rx, l->rx_len, "\r\n\r\n", 4);
	if (!end)
		return l->rx_len == sizeof(l->rx) ? -1 : 0;
	*end = '\0';
	if (strncmp(l->rx, "HTTP/1.1 ", 9) && strncmp(l->rx, "HTTP/1.0 ", 9))
		return -1;
	*status = atoi(l->rx + 9);
	long clen = 0;
	*close_after = 0;
	for (char *h = strstr(l->rx, "\r\n"); h; h = strstr(h + 2, "\r\n")) {
		if (!strncasecmp(h + 2, "content-length:", 15))
			clen = strtol(h + 17, NULL, 10);
		if (!strncasecmp(h + 2, "connection:", 11) &&
		    strstr(h + 13, "close"))
			*close_after = 1;
	}
	*end = '\r';
	size_t head = (size_t)(end + 4 - l->rx);
	return l->rx_len >= head + (size_t)clen ? 1 : 0;
}

static void lane_done(struct lane *l, int status, const char *why)
{
	struct delivery *d = l->cur;
	uint64_t latency = mono_us() - l->sent_us;
	l->cur = NULL;
	if (!d)
		return;
	if (status >= 200 && status < 300) {
		fs.http_ok++;
		record(d, status, "ok", latency);
		delivery_free(d);
	} else {
		failed(d, status, why ? why : "http_error", latency);
	}
}

static void lane_kill(struct lane *l)
{
	if (l->dead)
		return;
	l->dead = 1;
	lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

int fs_http_callback(struct lws *wsi, int reason, void *user, void *in,
		     size_t len)
{
	struct lane *l = lws_get_opaque_user_data(wsi);
	int status = 0, close_after = 0, r;

	switch (reason) {
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (!l || !l->cur || !l->req_len)
			return 0;
		if (lws_write(wsi, (unsigned char *)l->req + LWS_PRE,
			      l->req_len, LWS_WRITE_RAW) < (int)l->req_len)
			return -1;
		l->req_len = 0;
		return 0;
	case LWS_CALLBACK_RAW_RX:
		if (!l)
			return 0;
		if (!l->cur) /* an answer nobody asked for */
			return -1;
		if (len > sizeof(l->rx) - l->rx_len)
			len = sizeof(l->rx) - l->rx_len;
		memcpy(l->rx + l->rx_len, in, len);
		l->rx_len += len;
		r = answer(l, &status, &close_after);
		if (r < 0) {
			lane_done(l, 0, "http_error");
			return -1;
		}
		if (!r)
			return 0;
		lane_done(l, status, NULL);
		if (close_after) {
			l->dead = 1;
			return -1;
		}
		fs_http_dispatch();
		return 0;
	case LWS_CALLBACK_RAW_CLOSE:
		if (!l)
			return 0;
		/* closed under a request: Slack calls that a failed
		 * connection */
		lane_done(l, 0,
			  l->dead == 2 ? "http_timeout" : "connection_failed");
		for (struct lane **pp = &lanes; *pp; pp = &(*pp)->next)
			if (*pp == l) {
				*pp = l->next;
				break;
			}
		nlanes--;
		free(l->req);
		free(l);
		lws_set_opaque_user_data(wsi, NULL);
		fs_http_dispatch();
		return 0;
	default: return 0;
	}
}

/* Every tick: requests past their deadline, and what became due. */
void fs_http_tick(void)
{
	uint64_t now = mono_us();
	for (struct lane *l = lanes; l; l = l->next)
		if (l->cur && !l->dead &&
		    now - l->sent_us > (uint64_t)fs.http_timeout_ms * 1000) {
			lane_kill(l);
			l->dead = 2; /* a timeout, for RAW_CLOSE */
		}
	if (queue)
		fs_http_dispatch();
}

/* ---- what is delivered --------------------------------------------------- */

static void form_add(char **out, size_t *len, size_t *cap, const char *k,
		     const char *v)
{
	size_t need = *len + 3 * (strlen(k) + strlen(v)) + 3;
	if (need > *cap) {
		*cap = need * 2;
		*out = realloc(*out, *cap);
	}
	char *o = *out + *len;
	if (*len)
		*o++ = '&';
	for (int part = 0; part < 2; part++) {
		for (const unsigned char *p =
			 (const unsigned char *)(part ? v : k);
		     *p; p++) {
			if (isalnum(*p) || strchr("-._~", *p))
				*o++ = (char)*p;
			else if (*p == ' ')
				*o++ = '+';
			else
				o += sprintf(o, "%%%02X", *p);
		}
		if (!part)
			*o++ = '=';
	}
	*o = '\0';
	*len = (size_t)(o - *out);
}

int fs_http_push(const char *type, char *payload, const char *event_id,
		 char *envelope_id_out)
{
	struct delivery *d = calloc(1, sizeof(*d));
	if (!d) {
		free(payload);
		return -1;
	}
	snprintf(d->type, sizeof(d->type), "%s", type);
	snprintf(d->id, sizeof(d->id), "%s", event_id);
	if (envelope_id_out)
		strcpy(envelope_id_out, "");
	if (!strcmp(type, "events_api")) {
		strcpy(d->path, "/slack/events");
		d->ctype = "application/json";
		d->body = payload;
		d->len = strlen(payload);
	} else {
		size_t len = 0, cap = 0;
		char *form = NULL;
		cJSON *p = cJSON_Parse(payload), *f;
		d->ctype = "application/x-www-form-urlencoded";
		if (!strcmp(type, "slash_commands")) {
			strcpy(d->path, "/slack/commands");
			cJSON_ArrayForEach(f, p)
			{
				char *v = cJSON_IsString(f)
					      ? strdup(f->valuestring)
					      : cJSON_PrintUnformatted(f);
				form_add(&form, &len, &cap, f->string, v);
				free(v);
			}
		} else {
			strcpy(d->path, "/slack/interactivity");
			form_add(&form, &len, &cap, "payload", payload);
		}
		cJSON *tid = cJSON_GetObjectItemCaseSensitive(p, "trigger_id");
		if (cJSON_IsString(tid))
			snprintf(d->id, sizeof(d->id), "%s", tid->valuestring);
		cJSON_Delete(p);
		free(payload);
		d->body = form ? form : strdup("");
		d->len = strlen(d->body);
	}
	enqueue(d, 0);
	fs_http_dispatch();
	return 0;
}

int fs_http_pending(void)
{
	int n = 0;
	for (struct delivery *d = queue; d; d = d->next)
		n++;
	for (struct lane *l = lanes; l; l = l->next)
		n += l->cur != NULL;
	return n;
}

/* "http://127.0.0.1:PORT[/prefix]": only numeric IPv4 on loopback. */
int fs_http_set_url(const char *url)
{
	char host[64];
	int port = 0, n = 0;
	if (!*url) {
		fs.events_url[0] = '\0';
		return 0;
	}
	if (sscanf(url, "http://%63[0-9.]:%d%n", host, &port, &n) != 2 ||
	    port <= 0 || port > 65535 || (url[n] && url[n] != '/') ||
	    strlen(url) >= sizeof(fs.events_url))
		return -1;
	snprintf(fs.events_url, sizeof(fs.events_url), "%s", url);
	snprintf(fs.events_host, sizeof(fs.events_host), "%s", host);
	snprintf(fs.events_prefix, sizeof(fs.events_prefix), "%s", url + n);
	/* no trailing '/': the paths bring theirs */
	size_t pl = strlen(fs.events_prefix);
	if (pl && fs.events_prefix[pl - 1] == '/')
		fs.events_prefix[pl - 1] = '\0';
	fs.events_port = port;
	return 0;
}

void fs_http_stop(void)
{
	stopping = 1;
}

void fs_http_free(void)
{
	while (queue) {
		struct delivery *d = queue;
		queue = d->next;
		delivery_free(d);
	}
	queue_tail = NULL;
	/* lanes are freed by RAW_CLOSE when the context goes */
	for (struct lane *l = lanes; l; l = l->next)
		if (l->cur) {
			delivery_free(l->cur);
			l->cur = NULL;
		}
}
