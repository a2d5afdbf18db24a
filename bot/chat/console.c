/*
 * console.c - the console transport; see console.h.
 *
 * stdin is read with the handle libuv says it is: a uv_tty_t for a
 * terminal, a uv_pipe_t for a pipe or socket, and uv_fs_read() for a
 * regular file or a device such as /dev/null (epoll refuses those).
 */
#include <unistd.h>

#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "chat/console.h"
#include "store/store.h"

#define LINE_MAX_BYTES (16u << 20)
#define DEFAULT_ROOM   "#general"

static char *console_room_for_channel(struct chat *ch, const char *channel)
{
	return xasprintf("#%s", channel);
}

void console_print(struct console *c, const char *room, const char *to,
		   const char *text)
{
	const char *p = text, *nl;

	if (c->quiet)
		return;
	if (to)
		fprintf(c->out, "[%s] scribe → %s: ", room, to);
	else
		fprintf(c->out, "[%s] scribe: ", room);
	/* Continuation lines are indented so one message reads as one. */
	while ((nl = strchr(p, '\n'))) {
		fprintf(c->out, "%.*s\n    ", (int)(nl - p), p);
		p = nl + 1;
	}
	fprintf(c->out, "%s\n", p);
	fflush(c->out);
}

static int console_deliver(struct chat *ch, const struct outbox_row *row,
			   const char *room)
{
	struct console *c = ch->impl;

	if (!strcmp(row->kind, "create_room"))
		return 0; /* console rooms exist as soon as they are named */
	console_print(c, room ? room : "?", row->to_user, row->body);
	return 0;
}

static const struct chat_ops console_ops = {
    .name = "console",                            /* platform name */
    .room_for_channel = console_room_for_channel, /* "#" + channel */
    .deliver = console_deliver,                   /* print it */
    .room_link = NULL,                            /* the room: "#inc-3-db" */
};

void console_init(struct console *c, struct app *app, uv_loop_t *loop,
		  FILE *out)
{
	const char *user = getenv("USER");

	memset(c, 0, sizeof(*c));
	c->chat.ops = &console_ops;
	c->chat.impl = c;
	c->app = app;
	c->loop = loop;
	c->out = out;
	c->speaker = xstrdup(user && *user ? user : "responder");
	c->room = xstrdup(DEFAULT_ROOM);
	buf_init(&c->line, LINE_MAX_BYTES);
}

void console_release(struct console *c)
{
	free(c->speaker);
	free(c->room);
	buf_release(&c->line);
	c->speaker = c->room = NULL;
}

static void prompt(struct console *c)
{
	if (c->in_type == UV_TTY && !c->closed) {
		fprintf(c->out, "%s %s> ", c->room, c->speaker);
		fflush(c->out);
	}
}

/* The argument of the console command name typed as line ("/as" alone
 * too: it answers with its usage, it is not chat), or NULL. */
static const char *local_arg(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) ||
	    (line[n] && line[n] != ' ' && line[n] != '\t'))
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* "/as alice", "/join #ops", "/help": the console's own commands. */
static bool local_command(struct console *c, const char *line)
{
	const char *arg;

	if ((arg = local_arg(line, "/as"))) {
		while (*arg == ' ' || *arg == '@')
			arg++;
		if (!*arg || strpbrk(arg, " \t<>")) {
			fprintf(c->out, "usage: /as <name>\n");
			return true;
		}
		free(c->speaker);
		c->speaker = xstrdup(arg);
		return true;
	}
	if ((arg = local_arg(line, "/join"))) {
		if (!*arg || strpbrk(arg, " \t")) {
			fprintf(c->out, "usage: /join #channel\n");
			return true;
		}
		free(c->room);
		c->room = *arg == '#' ? xstrdup(arg) : xasprintf("#%s", arg);
		return true;
	}
	if (!strcmp(line, "/help")) {
		fprintf(c->out, "Type as a responder would. `!inc help` (or "
				"`/incident help`) lists Scribe's commands.\n"
				"/as <name>       speak as someone else\n"
				"/join #channel   move to another channel\n");
		return true;
	}
	return false;
}

/* One line typed: a message (or command) from the speaker. */
static void console_line(struct console *c, const char *line, size_t len)
{
	struct chat_event ev = {0};
	struct app_result res;
	char id[64];
	const char *text = line;

	while (len && (line[len - 1] == '\r'))
		len--;
	if (!len)
		return;
	if (len == strlen(line) && local_command(c, line))
		return;
	ev.kind = CHAT_MESSAGE;
	/* "/incident ..." and "/inc ..." work as Slack's slash command. */
	if (!strncmp(line, "/incident ", 10) || !strcmp(line, "/incident")) {
		ev.kind = CHAT_COMMAND;
		text = line + 9;
	} else if (!strncmp(line, "/inc ", 5) || !strcmp(line, "/inc")) {
		ev.kind = CHAT_COMMAND;
		text = line + 4;
	}
	ev.ts = wall_ms();
	snprintf(id, sizeof(id), "console-%lld-%llu", (long long)ev.ts,
		 (unsigned long long)++c->seq);
	ev.platform = "console";
	ev.room = c->room;
	ev.id = id;
	ev.author.id = c->speaker;
	ev.author.name = c->speaker;
	ev.text = text;
	ev.len = len - (size_t)(text - line);
	if (app_event(c->app, &ev, &res)) {
		log_error("console: could not record the message: %s",
			  store_errmsg(c->app->st));
	} else if (res.moved_to) {
		free(c->room);
		c->room = res.moved_to;
		res.moved_to = NULL;
	}
	app_result_release(&res);
}

/* Splits what was read into lines; an over-long line is cut and the rest
 * of it dropped (the message cap applies later anyway). */
static void console_feed(struct console *c, const char *p, size_t n)
{
	const char *nl;
	size_t k;

	while (n) {
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) : n;
		if (!c->line_cut && buf_add(&c->line, p, k)) {
			buf_add(&c->line, p, c->line.max - c->line.len);
			c->line_cut = true;
		}
		if (!nl)
			return;
		console_line(c, c->line.s, c->line.len);
		buf_reset(&c->line);
		c->line_cut = false;
		p = nl + 1;
		n -= k + 1;
	}
}

static void console_eof(struct console *c)
{
	if (c->line.len)
		console_line(c, c->line.s, c->line.len);
	buf_reset(&c->line);
	console_stop(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct console *c = h->data;

	b->base = c->fsbuf;
	b->len = sizeof(c->fsbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct console *c = s->data;

	if (n > 0) {
		console_feed(c, b->base, (size_t)n);
		app_flush(c->app);
		prompt(c);
	} else if (n < 0) {
		if (n != UV_EOF)
			log_error("console: stdin: %s", uv_strerror((int)n));
		console_eof(c);
	}
}

static void read_file(struct console *c);

static void on_fs_read(uv_fs_t *req)
{
	struct console *c = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	c->fs_busy = false;
	if (n > 0) {
		c->offset += n;
		console_feed(c, c->fsbuf, (size_t)n);
		if (c->reading)
			read_file(c);
		return;
	}
	if (n < 0 && n != UV_ECANCELED)
		log_error("console: stdin: %s", uv_strerror((int)n));
	console_eof(c);
}

static void read_file(struct console *c)
{
	uv_buf_t b = uv_buf_init(c->fsbuf, sizeof(c->fsbuf));
	int rc;

	c->fs.data = c;
	/* offset -1 reads at the file position, which also suits devices. */
	rc = uv_fs_read(c->loop, &c->fs, 0, &b, 1, -1, on_fs_read);
	c->fs_busy = !rc;
	if (rc) {
		log_error("console: stdin: %s", uv_strerror(rc));
		console_eof(c);
	}
}

int console_start(struct console *c)
{
	int rc = 0;

	c->in_type = uv_guess_handle(0);
	c->reading = true;
	switch (c->in_type) {
	case UV_TTY: rc = uv_tty_init(c->loop, &c->in.tty, 0, 1); break;
	case UV_NAMED_PIPE:
	case UV_TCP:
		rc = uv_pipe_init(c->loop, &c->in.pipe, 0);
		if (!rc)
			rc = uv_pipe_open(&c->in.pipe, 0);
		break;
	default:
		/* A regular file, a device, or stdin closed. */
		c->in_type = UV_FILE;
		read_file(c);
		return 0;
	}
	if (rc)
		return rc;
	c->in.tty.data = c;
	rc = uv_read_start((uv_stream_t *)&c->in, on_alloc, on_read);
	if (rc)
		return rc;
	if (c->in_type == UV_TTY)
		fprintf(c->out, "Scribe console. Type `/help`, or `!inc help` "
				"for the incident commands. Ctrl-D ends.\n");
	prompt(c);
	return 0;
}

void console_stop(struct console *c)
{
	if (!c->reading)
		return;
	c->reading = false;
	c->closed = true;
	app_flush(c->app);
	if (c->in_type == UV_FILE) {
		if (c->fs_busy)
			uv_cancel((uv_req_t *)&c->fs);
	} else {
		if (c->in_type == UV_TTY)
			fputc('\n', c->out);
		uv_close((uv_handle_t *)&c->in, NULL);
	}
}
