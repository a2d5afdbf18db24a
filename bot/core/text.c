/*
 * text.c - cleaning untrusted text, slugs, mentions, words (text.h).
 */
#include <ctype.h>
#include <strings.h>

#include "util/base.h"
#include "core/text.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. Rejects
 * overlongs, surrogates, code points past U+10FFFF and NUL. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* How many bytes one U+FFFD replaces at s, where utf8_seq() failed: the
 * maximal subpart of an ill-formed sequence (Unicode 3.9, U+FFFD
 * substitution), so a cut-off character becomes one replacement. */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

bool text_valid_utf8(const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

char *text_clean(const char *s, size_t len, size_t cap, bool *truncated)
{
	static const char repl[] = "\xef\xbf\xbd";
	struct buf b;
	size_t i = 0, k;
	const char *piece;

	buf_init(&b, cap);
	*truncated = false;
	while (i < len) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		piece = k ? s + i : repl;
		if (buf_add(&b, piece, k ? k : 3)) {
			*truncated = true;
			break;
		}
		i += k ? k : utf8_bad((const unsigned char *)s + i, len - i);
	}
	return buf_detach(&b, NULL);
}

void text_slug(const char *title, char *out)
{
	size_t n = 0;
	bool hyphen = false;
	const unsigned char *p;

	for (p = (const unsigned char *)title; *p && n < SLUG_MAX; p++) {
		if (isalnum(*p) && *p < 0x80) {
			if (hyphen && n)
				out[n++] = '-';
			hyphen = false;
			if (n < SLUG_MAX)
				out[n++] = (char)tolower(*p);
		} else {
			hyphen = true;
		}
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (!n)
		snprintf(out, SLUG_MAX + 1, "incident");
}

int text_user(const char *word, const struct user *speaker, struct user *out)
{
	const char *bar, *end;
	char *id, *name;
	size_t len = strlen(word);

	memset(out, 0, sizeof(*out));
	if (!strcasecmp(word, "@me")) {
		user_copy(out, speaker);
		return 0;
	}
	if (len > 3 && !strncmp(word, "<@", 2) && word[len - 1] == '>') {
		end = word + len - 1;
		bar = memchr(word, '|', (size_t)(end - word));
		id = xstrndup(word + 2, (size_t)((bar ? bar : end) - word - 2));
		name = bar ? xstrndup(bar + 1, (size_t)(end - bar - 1)) : NULL;
		if (!*id || strpbrk(id, " <>@")) {
			free(id);
			free(name);
			return SCRIBE_EINVAL;
		}
		user_set(out, id, name && *name ? name : id);
		free(id);
		free(name);
		return 0;
	}
	if (word[0] != '@' || len < 2 || len > 255 || strpbrk(word, " <>"))
		return SCRIBE_EINVAL;
	/* "@channel" and friends are crowds, not people. */
	if (!strcasecmp(word, "@channel") || !strcasecmp(word, "@here") ||
	    !strcasecmp(word, "@everyone") || !strcasecmp(word, "@room"))
		return SCRIBE_EINVAL;
	/* "@alice:example.org": shown as "alice". */
	end = strchr(word, ':');
	name =
	    xstrndup(word + 1, (size_t)((end ? end : word + len) - word - 1));
	if (!*name) {
		free(name);
		return SCRIBE_EINVAL;
	}
	user_set(out, end ? word : word + 1, name);
	free(name);
	return 0;
}

/* The bytes of a bidi control at s (Unicode's Bidi_Control: U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), or 0. */
static size_t bidi_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == 0xd8 && u[1] == 0x9c)
		return 2;
	if (u[0] != 0xe2)
		return 0;
	if (u[1] == 0x80 &&
	    (u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae)))
		return 3;
	if (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9)
		return 3;
	return 0;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

char *text_unbidi(const char *s)
{
	struct buf b;
	size_t k;

	buf_init(&b, BUF_UNBOUNDED);
	for (; *s; s++) {
		if ((k = bidi_len(s))) {
			buf_adds(&b, replacement);
			s += k - 1;
		} else {
			buf_addch(&b, *s);
		}
	}
	return buf_detach(&b, NULL);
}

int text_defuse(struct buf *b, const char *s)
{
	static const char *const crowds[] = {"channel", "here", "everyone",
					     "room"};
	static const char zwj[] = "\xe2\x80\x8b"; /* zero-width space */
	const char *p;
	size_t i, k;
	int rc = 0;

	for (p = s; *p && !rc; p++) {
		if ((k = bidi_len(p))) {
			rc = buf_adds(b, replacement);
			p += k - 1;
			continue;
		}
		rc = buf_addch(b, *p);
		if (rc)
			break;
		if (*p == '<' && p[1] == '!') {
			rc = buf_adds(b, zwj);
		} else if (*p == '@') {
			for (i = 0; i < ARRAY_SIZE(crowds); i++) {
				size_t n = strlen(crowds[i]);

				if (!strncasecmp(p + 1, crowds[i], n) &&
				    !isalnum((unsigned char)p[1 + n]))
					rc = buf_adds(b, zwj);
			}
		}
	}
	return rc;
}

void words_split(struct words *w, const char *line)
{
	const char *p = line, *start;

	w->n = 0;
	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || w->n == WORDS_MAX)
			break;
		start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		w->rest[w->n] = start;
		w->w[w->n] = xstrndup(start, (size_t)(p - start));
		w->n++;
	}
}

void words_release(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->w[i]);
	w->n = 0;
}

int text_numbered(const char *word, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long v;

	if (strncasecmp(word, prefix, n) || !isdigit((unsigned char)word[n]))
		return -1;
	v = strtol(word + n, &end, 10);
	if (*end || v <= 0 || v > 1000000000)
		return -1;
	return (int)v;
}
