/*
 * base.h - what every Scribe source file includes first.
 *
 * The one error convention (0 or a negative enum scribe_err), the checked
 * allocation wrappers that every module (and cJSON, later) goes through, a
 * few size helpers, and the list of banned unsafe functions, included last
 * so that a use anywhere fails to compile.
 */
#ifndef SCRIBE_BASE_H
#define SCRIBE_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdarg.h>

/* Every fallible function returns 0, or one of these (all negative). */
enum scribe_err {
	SCRIBE_OK = 0,
	SCRIBE_ENOMEM = -1,    /* an allocation failed */
	SCRIBE_EINVAL = -2,    /* bad input from a user, a file or a peer */
	SCRIBE_EIO = -3,       /* a read or write failed */
	SCRIBE_ESTORE = -4,    /* SQLite said no */
	SCRIBE_ENOTFOUND = -5, /* the thing named does not exist */
	SCRIBE_ETOOBIG =
	    -6, /* a bounded buffer would have grown past its cap */
	SCRIBE_EVERSION = -7, /* the database is newer than this binary */
	SCRIBE_EDUP = -8,     /* already recorded (idempotent redelivery) */
	SCRIBE_EPENDING =
	    -9, /* accepted: the result comes later, by callback */
};

/* A short English description of an enum scribe_err value. */
const char *scribe_strerror(int err);

/* Allocation that never returns NULL: on failure it logs and aborts.
 * Out-of-memory in a bot of a few megabytes is not a state to limp on in;
 * the store is transactional, so aborting loses nothing acknowledged. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh allocation. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The wall clock, UTC milliseconds: only the shell reads it (the core is
 * given the time). */
int64_t wall_ms(void);

/* How long to wait before retry number attempts (0, 1, ...): min_ms
 * doubling each time, at most max_ms; with jitter, spread over +-25% so
 * that many clients do not retry in step. */
int64_t backoff_ms(int attempts, int64_t min_ms, int64_t max_ms, bool jitter);

/* Seeds rand() (the jitter above) from the OS (getrandom), once at start:
 * unseeded, every process drew the same delays, and a fleet restarted
 * together reconnected in lockstep. */
void random_seed(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Grow *arr (of *cap elements of size sz) so that it holds at least n. */
void grow_array(void **arr, size_t *cap, size_t n, size_t sz);
#define ALLOC_GROW(arr, n, cap)                                                \
	grow_array((void **)&(arr), &(cap), (n), sizeof(*(arr)))

#include "banned.h"

#endif
