/*
 * base.c - the error strings and the checked allocation wrappers.
 */
#include <stdarg.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

const char *scribe_strerror(int err)
{
	switch (err) {
	case SCRIBE_OK: return "success";
	case SCRIBE_ENOMEM: return "out of memory";
	case SCRIBE_EINVAL: return "invalid input";
	case SCRIBE_EIO: return "input/output error";
	case SCRIBE_ESTORE: return "database error";
	case SCRIBE_ENOTFOUND: return "not found";
	case SCRIBE_ETOOBIG: return "too big";
	case SCRIBE_EVERSION: return "database is newer than this binary";
	case SCRIBE_EDUP: return "already recorded";
	case SCRIBE_EPENDING: return "pending";
	}
	return "unknown error";
}

static void *oom(size_t n)
{
	fprintf(stderr, "scribe: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom(n);
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	return p ? p : oom(nmemb * size);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : oom(n);
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void grow_array(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap;

	if (n <= c)
		return;
	c = c ? c : 8;
	while (c < n)
		c *= 2;
	*arr = xrealloc(*arr, c * sz);
	*cap = c;
}

int64_t backoff_ms(int attempts, int64_t min_ms, int64_t max_ms, bool jitter)
{
	int64_t ms = min_ms > 0 ? min_ms : 1;

	while (attempts-- > 0 && ms < max_ms)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	return jitter ? ms * 3 / 4 + rand() % (ms / 2 + 1) : ms;
}

void random_seed(void)
{
	unsigned seed;

	/* GRND_NONBLOCK: never wait for the entropy pool at boot; the
	 * fallback still differs per process. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (unsigned)wall_ms() ^ (unsigned)getpid() << 16;
	srand(seed);
}

int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
