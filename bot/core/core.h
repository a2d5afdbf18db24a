/*
 * core.h - the incident domain: commands in, effects out.
 *
 * The functional core. app.c parses a command with core_parse(), loads
 * what the command says it needs (the incident, its recent timeline, the
 * list of open incidents), then calls core_run(), which changes the
 * incident in memory and returns effects: typed timeline entries to
 * record, messages to post, a channel to create. core_run() does no I/O,
 * reads no clock (env->now is the command's own time) and keeps no state.
 */
#ifndef SCRIBE_CORE_H
#define SCRIBE_CORE_H

#include "util/base.h"
#include "config.h"
#include "core/model.h"

/* Kinds of timeline entries. The names are what the store keeps. */
enum entry_kind {
	ENTRY_MESSAGE,    /* someone talked */
	ENTRY_COMMAND,    /* someone typed a command (its text) */
	ENTRY_FILE,       /* a file was shared */
	ENTRY_EDIT,       /* a message was edited (text = the new text) */
	ENTRY_DELETE,     /* a message was deleted */
	ENTRY_REACTION,   /* text = the emoji */
	ENTRY_DECLARED,   /* the incident was declared */
	ENTRY_MARK,       /* a lifecycle mark was set */
	ENTRY_STATUS,     /* status changed */
	ENTRY_SEVERITY,   /* severity changed */
	ENTRY_ROLE,       /* a role was assigned */
	ENTRY_NOTE,       /* note or backdated event */
	ENTRY_HYPOTHESIS, /* raised, confirmed or ruled out */
	ENTRY_FIELD,      /* a postmortem field was set */
	ENTRY_LESSON,     /* learned well/wrong/lucky */
	ENTRY_ACTION,     /* action or fix added, or done */
	ENTRY_PLAYBOOK,   /* playbook started, step done or skipped */
	ENTRY_CLOSED,     /* closed (a postmortem revision written) */
	ENTRY_REOPENED,   /* reopened */
	ENTRY_GAP,        /* history that could not be recovered */
	ENTRY_UPDATE,     /* a status update (`update`) */
	ENTRY_CONTEXT,    /* said before the declare, in its channel (a copy) */
	ENTRY_KIND_COUNT
};
const char *entry_kind_name(enum entry_kind k);
int entry_kind_parse(const char *name);

/* One row of the timeline, as the store returns it. */
struct timeline_row {
	int64_t id;
	enum entry_kind kind;
	int64_t at;       /* when it happened (backdated entries differ) */
	const char *who;  /* display name */
	const char *text; /* may be "" */
	bool deleted;
};

/* A typed timeline entry the core wants recorded. */
struct fx_entry {
	enum entry_kind kind;
	int64_t at;      /* when it happened */
	bool key;        /* belongs on the postmortem's timeline */
	struct user who; /* owned */
	char *text;      /* owned */
};

/* A message to post. room NULL means the incident's own channel. */
struct fx_post {
	char *room;    /* owned, or NULL */
	char *text;    /* owned; Markdown, user text already defused */
	char *to_user; /* owned: only this user sees it (Slack ephemeral) */
	/* An announcement: held until the incident's room exists, then sent
	 * with the room's link appended to text (an "announce" row). */
	bool link;
};

struct effects {
	struct incident *inc;  /* the incident acted on: env->inc, or */
	bool created;          /* a new one (owned here): insert it */
	bool write_postmortem; /* close: write revision inc->revision */
	bool draft_postmortem; /* post a draft of the postmortem */
	struct fx_entry *entries;
	size_t nentries, entries_cap;
	struct fx_post *posts;
	size_t nposts, posts_cap;
};
void effects_release(struct effects *fx);

/* What the command table says a command needs before it can run. */
enum cmd_need {
	NEED_NOTHING = 0,
	NEED_INCIDENT = 1 << 0,  /* the incident of the channel, or INC-<n> */
	NEED_TIMELINE = 1 << 1,  /* rows of the incident's timeline */
	NEED_OPEN_LIST = 1 << 2, /* the open incidents */
};

struct core_cmd;
struct pb_library;

/* A parsed command line. */
struct core_req {
	const struct core_cmd *cmd; /* NULL: unknown; see error */
	const char *args;   /* the words after the command (and INC-n) */
	int64_t inc_ref;    /* INC-<n> given first, else 0 */
	unsigned need;      /* enum cmd_need bits */
	int timeline_count; /* rows wanted with NEED_TIMELINE */
	char *error;        /* owned: why it could not be parsed */
	const char *near;   /* an unknown command's nearest name, or NULL */
	char *line;         /* owned copy of the command line */
};

/* If text is a command ("!inc ...", "!incident ..."), returns the words
 * after the prefix (possibly ""); else NULL. */
const char *core_command_text(const char *text);

/* The command prefix people type on platform: "/incident" on Slack,
 * "!inc" on Matrix and the console. Every hint Scribe gives carries it. */
const char *core_prefix(const char *platform);

/* Parses the words of a command (after any prefix). Never fails: an
 * unknown command leaves req->cmd NULL and an error with usage. */
void core_parse(struct core_req *req, const char *line);
void core_req_release(struct core_req *req);

struct core_env {
	const struct config *cfg;
	int64_t now;          /* when the command was sent */
	int64_t next_id;      /* the INC number a declare would take */
	const char *platform; /* where it was typed */
	const char *room;     /* the room it was typed in */
	struct user speaker;  /* who typed it (borrowed) */
	/* Loaded per req->need; the incident is NULL when none applies.
	 * The core changes *inc in place (and marks what it changed). */
	struct incident *inc;
	const struct timeline_row *rows;
	size_t nrows;
	const struct incident *open;
	size_t nopen;
	const struct pb_library *playbooks; /* may be NULL */
};

/* Runs a parsed command. Always produces at least one post: the result or
 * a clear error with the usage line. Returns 0, or SCRIBE_EINVAL when the
 * command was refused (its reply says why; nothing else was changed). */
int core_run(const struct core_req *req, const struct core_env *env,
	     struct effects *fx);

/* A message said in the incident's channel (env->inc): suggests, once
 * per incident, the playbooks whose keywords it matches. Returns whether
 * it did (then env->inc changed and fx has the suggestion). */
bool core_message(const struct core_env *env, const char *text,
		  struct effects *fx);

/* Whether text matches a playbook of lib that is not in suggested (an
 * incident's ",a,b," list): the cheap test before core_message(). */
bool core_would_suggest(const struct pb_library *lib, const char *suggested,
			const char *text);

/* When the incident's next status update reminder is due, UTC ms (0:
 * none): its interval (`remind`, or the severity's update_every) after
 * the last update (or the declare) or the last reminder, whichever is
 * later, and not before a snooze ends. inc needs its severity, status,
 * marks and remind state, not its children. */
int64_t core_remind_due(const struct config *cfg, const struct incident *inc);

/* Reminds the commander of env->inc (loaded with its roles) in its
 * channel that no update was posted; env->now is the reminder's time,
 * recorded in the incident so the interval is not reminded again. */
void core_remind(const struct core_env *env, struct effects *fx);
/* What inc's postmortem still lacks - summary, root cause, impact,
 * lessons, follow-ups and their owners, open hypotheses, unfinished
 * playbook steps - each with the command that fills it, as a message to
 * post (owned by the caller). Posted at `resolve`, and at `close` when
 * the incident was not resolved before. Its commands are in code spans
 * without a prefix: post it through ctx_add_hints(). */
char *core_checklist(const struct incident *inc);

/* The incident channel's name and topic, e.g. "inc-3-db-errors". */
char *core_channel_name(const struct config *cfg, int64_t id, const char *slug);
char *core_topic(const struct incident *inc);

#endif
