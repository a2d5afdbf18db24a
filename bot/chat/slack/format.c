/*
 * format.c - Markdown to Slack mrkdwn; see format.h.
 *
 * Line by line: fenced code blocks pass through (escaped); outside them a
 * heading becomes a bold line, a "- " item a bullet, "**x**" becomes "*x*",
 * and "[text](http...)" becomes "<url|text>". Everything else is escaped.
 */
#include <cjson/cJSON.h>

#include "util/base.h"
#include "util/buf.h"
#include "chat/chat.h"
#include "chat/slack/format.h"
#include "core/text.h"

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

char *slack_plain(const char *text)
{
	struct buf d, b;

	buf_init(&d, BUF_UNBOUNDED);
	buf_init(&b, BUF_UNBOUNDED);
	text_defuse(&d, text);
	escape(&b, d.s, d.len);
	buf_release(&d);
	return buf_detach(&b, NULL);
}

void slack_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

#define SECTION_MAX 2900 /* Slack: 3,000 characters a section */

static void add_section(cJSON *blocks, const char *text)
{
	cJSON *sec = cJSON_CreateObject(), *t = cJSON_CreateObject();

	cJSON_AddStringToObject(sec, "type", "section");
	cJSON_AddStringToObject(t, "type", "mrkdwn");
	cJSON_AddStringToObject(t, "text", text);
	cJSON_AddItemToObject(sec, "text", t);
	cJSON_AddItemToArray(blocks, sec);
}

static void add_button(cJSON *elements, const char *label, const char *action,
		       const char *value, const char *style)
{
	cJSON *b = cJSON_CreateObject(), *t = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "type", "button");
	cJSON_AddStringToObject(t, "type", "plain_text");
	cJSON_AddStringToObject(t, "text", label);
	cJSON_AddItemToObject(b, "text", t);
	cJSON_AddStringToObject(b, "action_id", action);
	cJSON_AddStringToObject(b, "value", value);
	if (style)
		cJSON_AddStringToObject(b, "style", style);
	cJSON_AddItemToArray(elements, b);
}

cJSON *slack_blocks(const char *mrkdwn)
{
	cJSON *blocks = cJSON_CreateArray(), *actions, *elements;
	const char *line = mrkdwn, *nl;
	struct buf sec;
	bool fenced = false;
	char step[16];
	size_t n;
	int k;

	buf_init(&sec, BUF_UNBOUNDED);
	while (*line && cJSON_GetArraySize(blocks) < 45) {
		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (sec.len && sec.len + n + 4 > SECTION_MAX) {
			if (fenced)
				buf_adds(&sec, "```");
			add_section(blocks, sec.s);
			buf_reset(&sec);
			if (fenced)
				buf_adds(&sec, "```\n");
		}
		if (n > SECTION_MAX) /* one enormous line */
			n = SECTION_MAX;
		buf_add(&sec, line, n);
		if (n >= 3 && !strncmp(line, "```", 3))
			fenced = !fenced;
		line += n;
	}
	if (sec.len) {
		slack_cut(sec.s, SECTION_MAX);
		add_section(blocks, sec.s);
	}
	buf_release(&sec);
	/* A playbook step: "▶ db-deadlock · S2 of 7: ..." */
	k = chat_step_of(mrkdwn);
	if (k > 0) {
		snprintf(step, sizeof(step), "S%d", k);
		actions = cJSON_CreateObject();
		cJSON_AddStringToObject(actions, "type", "actions");
		elements = cJSON_AddArrayToObject(actions, "elements");
		add_button(elements, "Done", "step_done", step, "primary");
		add_button(elements, "Skip", "step_skip", step, NULL);
		cJSON_AddItemToArray(blocks, actions);
	}
	return blocks;
}
