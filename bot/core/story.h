/*
 * story.h - the postmortem's Timeline: the story of the incident, picked
 * from its rows as they stream by.
 *
 * Rows come in time order (struct pm_row, pass PM_KEY: the typed entries,
 * pinned messages, every message and every context entry). Out come the
 * lines of the Timeline, in the same order:
 *  - lifecycle marks, hypotheses, severity and status changes, notes,
 *    playbook starts and steps, closes, gaps: always;
 *  - a mark or a hypothesis decision takes the human message said just
 *    before it (within 10 minutes, nothing else on the Timeline between)
 *    as its explanation, when that message is a moment on its own or was
 *    said by whoever set the mark: "14:55 — mitigated: rolled back 0042
 *    (jon)"; a pinned message keeps its own line;
 *  - a status change in the same minute as a mark is folded into it;
 *  - playbook suggestions are the bot's: one line per minute, "Scribe
 *    suggested a, b";
 *  - messages and context entries: pinned ones, and those the picker
 *    (moments.h) says are moments; never chatter, never deleted ones.
 * At most a few rows are held back (the last message, the lines of the
 * current minute), so a 100,000-entry incident streams in constant memory.
 */
#ifndef SCRIBE_STORY_H
#define SCRIBE_STORY_H

#include "util/base.h"
#include "core/moments.h"
#include "core/postmortem.h"

/* How long before a mark its explanation may have been said. */
#define STORY_EXPLAINS_MS (10 * 60000)

/* One line of the Timeline; everything is borrowed for the callback. */
struct story_line {
	const struct pm_row *row;     /* the entry */
	enum moment_why why;          /* a message's reason (0: pinned only) */
	const struct pm_row *because; /* the message that explains a mark or
					 a decision, or NULL */
	const char *status;    /* a folded status change: the new status */
	const char *suggested; /* a suggestion line: "a, b" */
};

typedef int story_cb(void *ud, const struct story_line *m);

struct story;

/* lex is borrowed and must outlive the story. */
struct story *story_new(const struct moments *lex, story_cb *cb, void *ud);
/* Feeds the next row; returns 0, or what cb returned when not 0. */
int story_add(struct story *s, const struct pm_row *row);
/* Emits what is held back; returns 0 or cb's value. */
int story_end(struct story *s);
void story_free(struct story *s);

/* Whether a row is a playbook suggestion (the bot's). */
bool story_is_suggestion(const struct pm_row *row);

#endif
