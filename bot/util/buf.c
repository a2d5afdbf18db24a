/*
 * buf.c - bounded growable buffers; see buf.h.
 */
#include <stdarg.h>

#include "buf.h"

static char empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->s = empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->s);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->s[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, c;

	if (extra > b->max || b->len > b->max - extra)
		return SCRIBE_ETOOBIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	c = b->cap ? b->cap : 64;
	while (c < need)
		c *= 2;
	if (b->cap) {
		b->s = xrealloc(b->s, c);
	} else {
		b->s = xmalloc(c);
		b->s[0] = '\0';
	}
	b->cap = c;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SCRIBE_EINVAL;
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s = b->cap ? b->s : xstrdup("");

	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return s;
}
