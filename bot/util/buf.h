/*
 * buf.h - a growable byte buffer with a hard cap (curl's dynbuf idea).
 *
 * Every buffer that grows from untrusted input has a maximum; growing past
 * it fails with SCRIBE_ETOOBIG and leaves the buffer as it was. The data is
 * always NUL-terminated, and b->s is never NULL after buf_init().
 */
#ifndef SCRIBE_BUF_H
#define SCRIBE_BUF_H

#include "base.h"

struct buf {
	char *s;    /* the bytes, NUL-terminated; owned */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard limit on len */
};

#define BUF_UNBOUNDED ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (free() them) and re-init the buffer. */
char *buf_detach(struct buf *b, size_t *len);

#endif
