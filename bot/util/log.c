/*
 * log.c - see log.h. Messages go to stderr so that stdout stays the chat.
 */
#include <ctype.h>
#include <stdarg.h>

#include "base.h"
#include "buf.h"
#include "log.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

bool log_on(enum log_level lvl)
{
	return lvl >= min_level && lvl < LOG_QUIET;
}

/* Whether a query parameter's name suggests its value is a secret. */
static bool secret_name(const char *name, size_t n)
{
	static const char *const words[] = {"token",  "ticket", "key",  "pass",
					    "secret", "sig",    "code", "auth"};
	char low[64];
	size_t i;

	if (n >= sizeof(low))
		return true;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

char *log_url(const char *url)
{
	const char *p = url, *scheme = strstr(url, "://"), *end, *at, *eq;
	struct buf b;

	buf_init(&b, 2048);
	if (scheme) {
		/* The authority: what follows its last '@' only. */
		end = scheme + 3 + strcspn(scheme + 3, "/?#");
		buf_add(&b, url, (size_t)(scheme + 3 - url));
		for (at = scheme + 3, p = at; at < end; at++)
			if (*at == '@')
				p = at + 1;
		buf_add(&b, p, (size_t)(end - p));
		p = end;
	}
	end = p + strcspn(p, "?#");
	buf_add(&b, p, (size_t)(end - p));
	while (*end == '?' || *end == '&') {
		buf_addch(&b, *end);
		p = end + 1;
		end = p + strcspn(p, "&#");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq && secret_name(p, (size_t)(eq - p))) {
			buf_add(&b, p, (size_t)(eq - p));
			buf_adds(&b, "=***");
		} else {
			buf_add(&b, p, (size_t)(end - p));
		}
	}
	return buf_detach(&b, NULL);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warning", "error"};
	va_list ap;

	if (lvl < min_level || lvl >= LOG_QUIET)
		return;
	fprintf(stderr, "scribe: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
