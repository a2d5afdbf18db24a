/* fake_matrix_util.c - small helpers of the fake Matrix homeserver: growable
 * string buffers with JSON string escaping, an open-addressing string map,
 * clocks, random ids, stream tokens, '*' globs and the error replies
 * ({"errcode","error"} with the HTTP status).
 */
#include "fake_matrix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- buffers ------------------------------------------------------------- */

static void buf_grow(struct fm_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		fprintf(stderr, "fake_matrix: out of memory\n");
		abort();
	}
	b->s = s;
	b->cap = cap;
}

void fm_buf_add(struct fm_buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void fm_buf_str(struct fm_buf *b, const char *s)
{
	fm_buf_add(b, s, strlen(s));
}

void fm_buf_printf(struct fm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void fm_buf_jstr(struct fm_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);
	buf_grow(b, n + 2);
	b->s[b->len++] = '"';
	const char *run = s;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c && c >= 0x20 && c != '"' && c != '\\')
			continue;
		fm_buf_add(b, run, (size_t)(p - run));
		if (!c)
			break;
		char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
		size_t el = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			el = 6;
		}
		fm_buf_add(b, e, el);
		run = p + 1;
	}
	fm_buf_add(b, "\"", 1);
}

void fm_buf_free(struct fm_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *fm_buf_take(struct fm_buf *b)
{
	char *s = b->s ? b->s : strdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/* ---- map ------------------------------------------------------------------
 */

static char tombstone[1];

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void map_rehash(struct fm_map *m, size_t cap)
{
	char **ok = m->keys;
	void **ov = m->vals;
	size_t ocap = m->cap;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	if (!m->keys || !m->vals)
		abort();
	m->cap = cap;
	m->n = m->used = 0;
	for (size_t i = 0; i < ocap; i++) {
		if (!ok[i] || ok[i] == tombstone)
			continue;
		size_t j = hash(ok[i]) & (cap - 1);
		while (m->keys[j])
			j = (j + 1) & (cap - 1);
		m->keys[j] = ok[i];
		m->vals[j] = ov[i];
		m->n++;
		m->used++;
	}
	free(ok);
	free(ov);
}

static size_t map_slot(const struct fm_map *m, const char *key, int *found)
{
	size_t j = hash(key) & (m->cap - 1);
	size_t free_slot = (size_t)-1;
	while (m->keys[j]) {
		if (m->keys[j] == tombstone) {
			if (free_slot == (size_t)-1)
				free_slot = j;
		} else if (!strcmp(m->keys[j], key)) {
			*found = 1;
			return j;
		}
		j = (j + 1) & (m->cap - 1);
	}
	*found = 0;
	return free_slot != (size_t)-1 ? free_slot : j;
}

void *fm_map_get(const struct fm_map *m, const char *key)
{
	if (!m->cap || !key)
		return NULL;
	int found;
	size_t j = map_slot(m, key, &found);
	return found ? m->vals[j] : NULL;
}

void fm_map_put(struct fm_map *m, const char *key, void *val)
{
	if ((m->used + 1) * 2 > m->cap)
		map_rehash(m, m->cap ? (m->n * 4 > m->cap ? m->cap * 2 : m->cap)
				     : 64);
	int found;
	size_t j = map_slot(m, key, &found);
	if (found) {
		m->vals[j] = val;
		return;
	}
	if (!m->keys[j])
		m->used++;
	m->keys[j] = strdup(key);
	if (!m->keys[j])
		abort();
	m->vals[j] = val;
	m->n++;
}

void *fm_map_del(struct fm_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	int found;
	size_t j = map_slot(m, key, &found);
	if (!found)
		return NULL;
	void *v = m->vals[j];
	free(m->keys[j]);
	m->keys[j] = tombstone;
	m->vals[j] = NULL;
	m->n--;
	return v;
}

void fm_map_free(struct fm_map *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i] || m->keys[i] == tombstone)
			continue;
		free(m->keys[i]);
		if (free_val)
			free_val(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- clocks, ids, tokens ------------------------------------------------ */

uint64_t fm_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

uint64_t fm_mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t rng_state;

uint64_t fm_rng(void)
{
	/* xorshift64*: ids only need to be unique, not secret */
	if (!rng_state)
		rng_state = fm_now_us() ^ ((uint64_t)getpid() << 32) ^
			    0x9E3779B97F4A7C15ull;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

void fm_random_str(char *out, size_t n, const char *alphabet)
{
	size_t al = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[(fm_rng() >> 17) % al];
	out[n] = '\0';
}

int fm_parse_token(const char *s, int64_t *pos)
{
	if (!s || !*s)
		return -1;
	if (*s == 's' || *s == 't')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	int64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	/* tolerate Synapse-like suffixes ("t12-3_0_0") */
	if (*s && *s != '_' && *s != '-')
		return -1;
	*pos = v;
	return 0;
}

int fm_glob(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			if (!p[1])
				return 1;
			for (; *s; s++)
				if (fm_glob(p + 1, s))
					return 1;
			return 0;
		}
		if (*p != *s)
			return 0;
	}
	return !*s;
}

int fm_is_user_id(const char *s)
{
	if (!s || s[0] != '@' || !s[1] || s[1] == ':')
		return 0;
	const char *c = strchr(s, ':');
	return c && c[1] && strlen(s) <= 255 && !strpbrk(s, " \t\n");
}

char *fm_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- cJSON getters ---------------------------------------------------------
 */

cJSON *fm_get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k)
				 : NULL;
}

const char *fm_gs(const cJSON *o, const char *k, const char *def)
{
	cJSON *v = fm_get(o, k);
	return cJSON_IsString(v) ? v->valuestring : def;
}

double fm_gn(const cJSON *o, const char *k, double def)
{
	cJSON *v = fm_get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int fm_gb(const cJSON *o, const char *k, int def)
{
	cJSON *v = fm_get(o, k);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* ---- replies
 * ----------------------------------------------------------------- */

void fm_reply_json(struct fm_reply *r, int status, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	r->status = status;
	r->ctype = "application/json";
	r->body.len = 0;
	fm_buf_str(&r->body, s ? s : "{}");
	free(s);
}

void fm_reply_err(struct fm_reply *r, int status, const char *errcode,
		  const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->status = status;
	r->ctype = "application/json";
	r->body.len = 0;
	fm_buf_str(&r->body, "{\"errcode\":");
	fm_buf_jstr(&r->body, errcode);
	fm_buf_str(&r->body, ",\"error\":");
	fm_buf_jstr(&r->body, msg);
	fm_buf_str(&r->body, "}");
	snprintf(r->errcode, sizeof(r->errcode), "%s", errcode);
}

void fm_reply_clear(struct fm_reply *r)
{
	fm_buf_free(&r->body);
	free(r->tail);
	free(r->user);
	free(r->device);
	free(r->invalid);
	free(r->warning);
	if (r->wait)
		fm_sync_wait_free(r->wait);
	memset(r, 0, sizeof(*r));
}
