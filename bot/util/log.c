/*
 * log.c - see log.h. Messages go to stderr so that stdout stays the chat.
 */
#include <stdarg.h>

#include "base.h"
#include "log.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
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
