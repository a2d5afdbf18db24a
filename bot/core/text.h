/*
 * text.h - the core's text helpers: cleaning untrusted text, slugs,
 * mentions, and splitting a command line into words.
 *
 * Pure functions over strings; they allocate with xmalloc and never fail
 * on bad bytes: invalid UTF-8 becomes U+FFFD, oversize text is cut at a
 * character boundary and reported as truncated.
 */
#ifndef SCRIBE_TEXT_H
#define SCRIBE_TEXT_H

#include "util/base.h"
#include "util/buf.h"
#include "core/model.h"

/* A copy of s[0..len) that is valid UTF-8 without NUL bytes (each NUL,
 * and each maximal ill-formed subpart, becomes one U+FFFD) and at most cap
 * bytes long. *truncated says whether anything was cut. The caller frees the
 * result. */
char *text_clean(const char *s, size_t len, size_t cap, bool *truncated);

/* True when s[0..len) is valid UTF-8 with no NUL. */
bool text_valid_utf8(const char *s, size_t len);

/* The slug of a title: lowercase ASCII letters, digits and single hyphens,
 * at most 40 characters, never empty ("incident" then). out holds 41. */
#define SLUG_MAX 40
void text_slug(const char *title, char *out);

/*
 * Parses a user reference: "@me" (the speaker), "@alice" (console),
 * "<@U123>" or "<@U123|alice>" (Slack), "@alice:example.org" (Matrix).
 * Returns 0 and fills *out (caller releases), or SCRIBE_EINVAL.
 */
int text_user(const char *word, const struct user *speaker, struct user *out);

/* Appends s to b so that it cannot ping a crowd: "@channel", "@here",
 * "@everyone", "@room" and Slack's "<!...>" get a zero-width space after
 * the '@' or '<', which shows the same and notifies nobody. Nor can it turn
 * text around: every bidi control (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) becomes U+FFFD, as in text_unbidi(). */
int text_defuse(struct buf *b, const char *s);

/* A copy of s (valid UTF-8) with every bidi control replaced by U+FFFD,
 * visibly: a right-to-left override in a title would make "gpj.exe" read
 * "exe.jpg". The caller frees it. */
char *text_unbidi(const char *s);

/* Words of a command line. Each word is a copy; rest[i] points into the
 * original line at word i, so "the rest of the line" keeps its spacing. */
#define WORDS_MAX 32
struct words {
	size_t n;
	char *w[WORDS_MAX];
	const char *rest[WORDS_MAX];
};
void words_split(struct words *w, const char *line);
void words_release(struct words *w);

/* Parses "<prefix><n>" case-insensitively (e.g. "H2", "A10", "INC-3",
 * "S1"); returns n > 0, or -1. */
int text_numbered(const char *word, const char *prefix);

#endif
