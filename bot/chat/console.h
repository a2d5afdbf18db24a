/*
 * console.h - the local chat: stdin in, the bot's replies on stdout.
 *
 * The console transport lets anyone run the whole incident loop without a
 * chat platform. It reads stdin whatever it is (a terminal, a pipe, a
 * file, /dev/null) on the loop, one line a message, as the current
 * speaker in the current channel; `/as NAME` and `/join #channel` switch
 * them, and `declare` moves the speaker into the new incident channel. A
 * prompt is shown only on a terminal. At end of input it flushes the app
 * (the replies are printed) and stops reading, so the loop ends.
 *
 * Replay (replay.h) uses the same transport, for its platform name and
 * its printing of replies, without reading stdin.
 */
#ifndef SCRIBE_CONSOLE_H
#define SCRIBE_CONSOLE_H

#include <uv.h>

#include "util/base.h"
#include "util/buf.h"
#include "chat/chat.h"

struct app;

struct console {
	struct chat chat;
	struct app *app;
	uv_loop_t *loop;
	FILE *out;  /* where replies go (stdout) */
	bool quiet; /* replies are delivered but not printed */
	char *speaker;
	char *room;
	uint64_t seq;
	/* stdin */
	uv_handle_type in_type;
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
	} in;
	uv_fs_t fs;
	char fsbuf[65536];
	int64_t offset;
	struct buf line;
	bool line_cut;
	bool reading, closed, fs_busy;
};

/* Sets up the transport; out receives the replies. */
void console_init(struct console *c, struct app *app, uv_loop_t *loop,
		  FILE *out);
/* Starts reading stdin on the loop. Returns 0 or a negative error. */
int console_start(struct console *c);
/* Stops reading (SIGINT, SIGTERM); what was read is flushed. */
void console_stop(struct console *c);
void console_release(struct console *c);

/* Prints a reply or notice as the console shows the bot's messages. */
void console_print(struct console *c, const char *room, const char *to,
		   const char *text);

#endif
