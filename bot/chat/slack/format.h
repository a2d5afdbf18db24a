/*
 * format.h - what Scribe says, in Slack's mrkdwn.
 *
 * The core writes its messages in a small Markdown (headings, **bold**,
 * _italics_, `code`, fenced blocks, "- " lists, [text](url) links). Slack
 * reads mrkdwn, where "&", "<" and ">" are control characters: "<!here>"
 * pings a channel and "<@U1>" a person. slack_mrkdwn() converts, and
 * escapes those three everywhere but in the links it writes itself, so no
 * user text that the bot repeats can ping anyone, link anywhere, or break
 * the layout. Pure.
 */
#ifndef SCRIBE_SLACK_FORMAT_H
#define SCRIBE_SLACK_FORMAT_H

#include "util/base.h"

/* A fresh mrkdwn string for markdown (the caller frees it). */
char *slack_mrkdwn(const char *markdown);

/* A fresh copy of plain text (a channel topic or purpose) that mentions
 * nobody: "&", "<" and ">" escaped, "@here", "@channel", ... defused
 * (text_defuse). The caller frees it. */
char *slack_plain(const char *text);

/* Cuts s to at most max bytes, on a character boundary. */
void slack_cut(char *s, size_t max);

struct cJSON;

/*
 * Block Kit for a message in mrkdwn: sections of at most 3,000 characters
 * (split on line boundaries, a code block closed and reopened across a
 * split), and, for a playbook step ("▶ <playbook> · S<n> of <m>: ..."),
 * Done and Skip buttons that send step_done / step_skip with value S<n>.
 * Returns a cJSON array the caller owns.
 */
struct cJSON *slack_blocks(const char *mrkdwn);

#endif
