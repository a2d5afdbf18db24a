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

#endif
