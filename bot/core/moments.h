/*
 * moments.h - the key-moment picker: which human messages carry an
 * incident forward, and so belong on the postmortem's Timeline.
 *
 * The rules are few so that anyone can tell why a line is there:
 *  - a message from a configured alert bot or deploy bot is a moment;
 *  - chatter never is: a question, a deleted message, "thanks", "brb",
 *    "joining", "+1", an emoji alone, anything under three words that no
 *    phrase matched;
 *  - a message with a phrase of the lexicon is a moment of that kind:
 *    an action ("rolling back", "restarted", "escalating"), a finding
 *    ("found it", "root cause", "has expired"), a recovery ("back to
 *    baseline", "recovered"), a change ("deployed", "migration") or an
 *    alert ("firing", "paged"). Phrases match whole words, case aside;
 *    a phrase ending in '*' matches any word that starts with it
 *    ("restart*": restarts, restarted, restarting);
 *  - any other message that is not chatter may still explain the mark or
 *    hypothesis decision that follows it (see story.h).
 * The shipped English phrases (moments_default_phrases) are extended by
 * the team's own in the config (`moments:`), or replaced with
 * `english: false`.
 *
 * Pure: the lexicon is compiled once per render into a small hash of
 * phrases by their first three bytes; picking is one pass over the
 * message's words with no allocation.
 */
#ifndef SCRIBE_MOMENTS_H
#define SCRIBE_MOMENTS_H

#include "util/base.h"
#include "config.h"

/* Why a message is (or is not) a key moment. */
enum moment_why {
	WHY_CHATTER = -1, /* never on the Timeline, never an explanation */
	WHY_NOTHING = 0,  /* not a moment alone; may explain what follows */
	WHY_ACTION,       /* = MOMENT_ACTION + 1, and so on */
	WHY_FINDING,
	WHY_RECOVERY,
	WHY_CHANGE,
	WHY_ALERT,
	WHY_ALERT_BOT,  /* said by a configured alert bot */
	WHY_DEPLOY_BOT, /* said by a configured deploy bot */
	WHY_COUNT
};

/* "action", "finding", ..., "alert bot"; "" for the others. */
const char *moments_why_name(enum moment_why why);

/* The shipped English phrases of kind k, NULL-terminated. */
const char *const *moments_default_phrases(enum moment_kind k);

struct moments;

/* Compiles the lexicon of cfg (the defaults unless cfg->english is
 * false, and the team's phrases). Never fails; free with moments_free. */
struct moments *moments_new(const struct config_moments *cfg);
void moments_free(struct moments *m);

/* Why text, said by who (id and display name; either may be NULL), is a
 * key moment: a kind, WHY_NOTHING, or WHY_CHATTER. */
enum moment_why moments_pick(const struct moments *m, const char *who_id,
			     const char *who, const char *text);

#endif
