/*
 * replay.h - feeds a transcript through the very same pipeline.
 *
 * `scribe replay FILE` reads JSON Lines (the first non-blank line starts
 * with '{') or plain "YYYY-MM-DD HH:MM[:SS] <user>: <text>" lines, turns
 * each into a chat_event with the file's own times and a stable identity
 * (its "id", or a hash of time, user, channel as written and text plus an
 * occurrence count), and hands it to the app as the console platform.
 * Replaying a file twice adds nothing. Malformed lines are reported with
 * their line number and skipped; the rest is replayed.
 */
#ifndef SCRIBE_REPLAY_H
#define SCRIBE_REPLAY_H

#include "util/base.h"

struct app;
struct console;

struct replay_stats {
	uint64_t lines;      /* non-blank lines read */
	uint64_t recorded;   /* events handed to the app */
	uint64_t duplicates; /* seen before: nothing added */
	uint64_t ignored;    /* outside incident channels: not kept */
	uint64_t skipped;    /* malformed or refused lines */
};

/*
 * Replays path (or stdin for "-") through app, whose console transport
 * con prints the replies. tz, when not NULL, is the zone of plain-text
 * lines. Problems with single lines go to stderr as "FILE:LINE: why".
 * Returns 0, SCRIBE_EIO when the file cannot be read, or a store error.
 */
int replay_file(struct app *app, struct console *con, const char *path,
		const char *tz, struct replay_stats *stats);

/* Events per transaction (group commit); 1 makes every event its own
 * fsynced transaction, for comparison in the benchmark. */
extern unsigned replay_batch;

#endif
