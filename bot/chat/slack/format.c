/*
 * format.c - Markdown to Slack mrkdwn; see format.h.
 *
 * Line by line: fenced code blocks pass through (escaped); outside them a
 * heading becomes a bold line, a "- " item a bullet, "**x**" becomes "*x*",
 * and "[text](http...)" becomes "<url|text>". Everything else is escaped.
 */
#include "util/base.h"
#include "util/buf.h"
#include "chat/slack/format.h"

static void escape(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		default: buf_addch(b, s[i]);
		}
	}
}

/* A URL that may go into <url|text>: http(s), no spaces, no mrkdwn
 * control characters. */
static bool safe_url(const char *s, size_t n)
{
	size_t i;

	if (!(n > 7 && !strncmp(s, "http://", 7)) &&
	    !(n > 8 && !strncmp(s, "https://", 8)))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || strchr("<>|&", s[i]))
			return false;
	return true;
}

/* One line of prose: **bold** and [text](url) converted, the rest
 * escaped. */
static void inline_text(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j, k;

	while (i < n) {
		if (i + 1 < n && s[i] == '*' && s[i + 1] == '*') {
			buf_addch(b, '*');
			i += 2;
			continue;
		}
		if (s[i] == '[') {
			/* [text](url) */
			for (j = i + 1; j < n && s[j] != ']'; j++)
				;
			if (j + 1 < n && s[j + 1] == '(') {
				for (k = j + 2; k < n && s[k] != ')'; k++)
					;
				if (k < n && safe_url(s + j + 2, k - j - 2)) {
					buf_addch(b, '<');
					buf_add(b, s + j + 2, k - j - 2);
					buf_addch(b, '|');
					escape(b, s + i + 1, j - i - 1);
					buf_addch(b, '>');
					i = k + 1;
					continue;
				}
			}
		}
		escape(b, s + i, 1);
		i++;
	}
}

char *slack_mrkdwn(const char *markdown)
{
	struct buf b;
	const char *line = markdown, *nl;
	bool fenced = false;
	size_t n, h;

	buf_init(&b, BUF_UNBOUNDED);
	while (*line) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		if (n >= 3 && !strncmp(line, "```", 3)) {
			/* Slack fences take no language tag. */
			buf_adds(&b, "```");
			fenced = !fenced;
		} else if (fenced) {
			escape(&b, line, n);
		} else if (line[0] == '#') {
			for (h = 0; h < n && line[h] == '#'; h++)
				;
			while (h < n && line[h] == ' ')
				h++;
			buf_addch(&b, '*');
			inline_text(&b, line + h, n - h);
			buf_addch(&b, '*');
		} else if (n >= 2 && (line[0] == '-' || line[0] == '*') &&
			   line[1] == ' ') {
			buf_adds(&b, "• ");
			inline_text(&b, line + 2, n - 2);
		} else {
			inline_text(&b, line, n);
		}
		if (!nl)
			break;
		buf_addch(&b, '\n');
		line = nl + 1;
	}
	return buf_detach(&b, NULL);
}
