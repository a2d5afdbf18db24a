/*
 * log.h - one-line logs to stderr, with a level; secrets never go here.
 */
#ifndef SCRIBE_LOG_H
#define SCRIBE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_QUIET };

void log_set_level(enum log_level lvl);
/* Whether a line at lvl would be written: for lines that cost something
 * to build. */
bool log_on(enum log_level lvl);
/* url as a log line may show it (owned; free it): no user:password@, no
 * fragment, and the values of query parameters whose names suggest a
 * secret (token, ticket, key, password, secret, signature, code, auth)
 * replaced by "***". Headers and bodies are never logged at all. */
char *log_url(const char *url);
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
