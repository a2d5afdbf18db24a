/*
 * commands.c - the command table, parsing, and the reading commands.
 *
 * One table drives parsing, arity, the "needs an incident" check, the
 * usage lines of error replies and `help`. Each handler reads the parsed
 * words and env (the incident, the speaker, the command's time), changes
 * the incident in memory and appends effects; see core.h. The rules are
 * PRODUCT.md's "Semantics" section.
 */
#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/core.h"
#include "core/text.h"
#include "core/when.h"
#include "core/cmdctx.h"
#include "util/nearest.h"

#define TIMELINE_DEFAULT 10
#define TIMELINE_MAX     200

static const struct core_cmd commands[];
static const char *nearest_cmd(const char *word);

/* ---- reading ------------------------------------------------------------- */

static int cmd_timeline(struct ctx *c)
{
	char when[2 * WHEN_BUFSZ];
	struct buf b;
	size_t i;

	if (c->w.n && c->req->timeline_count <= 0)
		return ctx_refuse(c, "'%s' is not a count from 1 to %d",
				  c->w.w[0], TIMELINE_MAX);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "INC-%lld timeline (last %zu):", (long long)c->inc->id,
		 c->env->nrows);
	for (i = 0; i < c->env->nrows; i++) {
		const struct timeline_row *r = &c->env->rows[i];

		buf_addf(&b, "\n%s %s: %s", ctx_fmt_hm(r->at, when), r->who,
			 r->deleted ? "(deleted)" : r->text);
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_list(struct ctx *c)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	if (!c->env->nopen)
		buf_adds(&b, "No open incidents.");
	else
		buf_addf(&b, "Open incidents (%zu):", c->env->nopen);
	for (i = 0; i < c->env->nopen; i++) {
		const struct incident *o = &c->env->open[i];

		buf_addf(&b, "\nINC-%lld sev%d %s — %s (#%s)", (long long)o->id,
			 o->severity, status_name(o->status), o->title,
			 o->channel);
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_help(struct ctx *c)
{
	const struct core_cmd *cmd;
	const char *near;
	char *usage;
	struct buf b;

	if (c->w.n) {
		cmd = cmd_find(c->w.w[0]);
		near = cmd ? NULL : nearest_cmd(c->w.w[0]);
		if (!cmd && near)
			return ctx_refuse(c,
					  "no command '%s' (did you mean "
					  "`%s %s`?)",
					  c->w.w[0], ctx_prefix(c), near);
		if (!cmd)
			return ctx_refuse(c, "no command '%s'", c->w.w[0]);
		usage = ctx_usage(c, cmd);
		ctx_reply(c, "%s — %s", usage, cmd->help);
		free(usage);
		return 0;
	}
	buf_init(&b, BUF_UNBOUNDED);
	ctx_addf(c, false, &b, "Scribe commands (`help <command>` for one):");
	for (cmd = commands; cmd->name; cmd++) {
		usage = ctx_usage(c, cmd);
		buf_addf(&b, "\n%s — %s", usage, cmd->help);
		free(usage);
	}
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

/* `postmortem update`: after the close, the next revision with what was
 * added since, dated now. */
static int postmortem_update(struct ctx *c)
{
	struct incident *inc = c->inc;

	if (c->w.n > 1)
		return ctx_refuse(c, "unexpected '%s'", c->w.w[1]);
	if (!inc->marks[MARK_CLOSED])
		return ctx_refuse(c,
				  "INC-%lld is not closed: `postmortem` shows "
				  "a draft now, `close` writes the first "
				  "revision",
				  (long long)inc->id);
	inc->revision++;
	inc->dirty = true;
	c->fx->write_postmortem = true;
	ctx_entry(c, ENTRY_CLOSED, c->env->now, "postmortem revision %d",
		  inc->revision);
	/* An update is not part of the incident's story. */
	c->fx->entries[c->fx->nentries - 1].key = false;
	ctx_announce(c,
		     "📄 INC-%lld postmortem revision %d follows, with what "
		     "was added since the close.",
		     (long long)inc->id, inc->revision);
	return 0;
}

static int cmd_postmortem(struct ctx *c)
{
	if (c->w.n && !strcasecmp(c->w.w[0], "update"))
		return postmortem_update(c);
	if (c->w.n)
		return ctx_refuse(c, "'%s' is not update", c->w.w[0]);
	c->fx->draft_postmortem = true;
	ctx_reply(c, "📄 A draft of INC-%lld's postmortem, as of now:",
		  (long long)c->inc->id);
	return 0;
}

/* ---- the table --------------------------------------------------------- */

/* Each row: name, handler, the words it needs at least and at most (-1:
 * any), what it needs loaded, flags, usage (without the prefix), help,
 * and what its required words are, for "`x` needs ...". */
#define I NEED_INCIDENT
static const struct core_cmd commands[] = {
    {"declare", cmd_declare, 1, -1, 0, 0, "declare <title> [sev<N>]",
     "open a new incident with its own channel", "a title"},
    {"sev", cmd_sev, 1, 1, I, CMD_OPEN, "sev <N>", "change the severity",
     "the new severity"},
    {"status", cmd_status, 1, 1, I, CMD_OPEN,
     "status <investigating|identified|monitoring|resolved>",
     "change the status", "the new status"},
    {"lead", cmd_lead, 1, 1, I, 0, "lead <@user>",
     "make someone the incident commander", "the new commander"},
    {"role", cmd_role, 2, 2, I, 0, "role <name> <@user>",
     "assign a role (commander, comms, scribe, ...)",
     "the role and who takes it"},
    {"roles", cmd_roles, 0, 0, I, 0, "roles", "who holds which role", ""},
    {"mark", cmd_mark, 1, 4, I, CMD_OPEN,
     "mark <started|detected|acknowledged|mitigated|resolved> "
     "[at <time>]",
     "set a lifecycle time, now or backdated", "the mark to set"},
    {"note", cmd_note, 1, -1, I, 0, "note <text>",
     "a key entry on the timeline", "the text of the note"},
    {"event", cmd_event, 3, -1, I, 0, "event at <time> <text>",
     "a backdated key entry", "a time and the text of the event"},
    {"hypothesis", cmd_hypothesis, 1, -1, I, CMD_OPEN, "hypothesis <text>",
     "record a hypothesis under investigation (H1, H2, ...)",
     "the text of the hypothesis"},
    {"rule-out", cmd_rule_out, 1, -1, I, 0, "rule-out H<n> [why]",
     "a hypothesis that turned out wrong (a misleading path)",
     "the hypothesis (H<n>)"},
    {"confirm", cmd_confirm, 1, -1, I, 0, "confirm H<n> [why]",
     "a hypothesis that turned out right", "the hypothesis (H<n>)"},
    {"summary", cmd_field, 1, -1, I, 0, "summary <text>",
     "the postmortem's summary", "the text of the summary"},
    {"impact", cmd_field, 1, -1, I, 0, "impact <text>",
     "who and what was affected", "the text of the impact"},
    {"rootcause", cmd_field, 1, -1, I, 0, "rootcause <text>", "the root cause",
     "the text of the root cause"},
    {"resolution", cmd_field, 1, -1, I, 0, "resolution <text>", "what fixed it",
     "the text of the resolution"},
    {"conclusion", cmd_field, 1, -1, I, 0, "conclusion <text>",
     "the postmortem's conclusion", "the text of the conclusion"},
    {"learned", cmd_learned, 2, -1, I, 0, "learned <well|wrong|lucky> <text>",
     "a lesson: what went well, what went wrong, where we got lucky",
     "the kind of lesson and its text"},
    {"action", cmd_action, 1, -1, I, 0, "action <text> [<@owner>]",
     "a follow-up task (A1, A2, ...)", "the text of the task"},
    {"fix", cmd_fix, 1, -1, I, 0, "fix <text> [<@owner>]",
     "a corrective or preventive measure", "the text of the measure"},
    {"owner", cmd_owner, 2, 2, I, 0, "owner A<n> <@user>|none",
     "change who owns a follow-up", "the follow-up (A<n>) and its owner"},
    {"actions", cmd_actions, 0, 0, I, 0, "actions",
     "list the follow-up tasks and measures", ""},
    {"done", cmd_done, 1, 1, I, 0, "done A<n>", "a follow-up is done",
     "the follow-up (A<n>)"},
    {"playbook", cmd_playbook, 1, 2, I, CMD_ANYWHERE,
     "playbook list|start <name>|show [<name>]", "guided triage",
     "what to do: list, start or show"},
    {"step", cmd_step, 1, -1, I, 0,
     "step done|skip|show [S<n>] [evidence, why or --all]",
     "complete, skip or show a playbook step", "done, skip or show"},
    {"update", cmd_update, 1, -1, I, CMD_OPEN, "update <text>",
     "a status update, here and in the announcement channels",
     "the text of the update"},
    {"remind", cmd_remind, 1, 2, I, CMD_OPEN,
     "remind off|<duration>|snooze <duration>",
     "the reminders to post status updates",
     "off, a duration or snooze <duration>"},
    {"timeline", cmd_timeline, 0, 1, I | NEED_TIMELINE, 0, "timeline [<count>]",
     "the last entries of the timeline", ""},
    {"postmortem", cmd_postmortem, 0, 1, I, 0, "postmortem [update]",
     "a draft of the postmortem now; after close, `update` writes the "
     "next revision",
     ""},
    {"resolve", cmd_resolve, 0, 0, I, CMD_OPEN, "resolve",
     "the incident is resolved", ""},
    {"close", cmd_close, 0, 0, I, 0, "close",
     "close the incident and post its postmortem", ""},
    {"reopen", cmd_reopen, 0, 0, I, 0, "reopen",
     "reopen a resolved or closed incident", ""},
    {"list", cmd_list, 0, 0, NEED_OPEN_LIST, 0, "list", "open incidents", ""},
    {"help", cmd_help, 0, 1, 0, 0, "help [<command>]", "this list", ""},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
#undef I

/* Other spellings people type. */
static const struct {
	const char *alias, *name;
} aliases[] = {
    {"ruleout", "rule-out"},
    {"rule_out", "rule-out"},
};

const struct core_cmd *cmd_find(const char *name)
{
	const struct core_cmd *cmd;
	size_t i;

	for (cmd = commands; cmd->name; cmd++)
		if (!strcasecmp(cmd->name, name))
			return cmd;
	for (i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcasecmp(aliases[i].alias, name))
			return cmd_find(aliases[i].name);
	return NULL;
}

bool cmd_known(const char *s, size_t n)
{
	char name[32];

	if (!n || n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = '\0';
	return cmd_find(name) != NULL;
}

/* The nearest command name to word, or NULL. */
static const char *nearest_cmd(const char *word)
{
	const char *names[ARRAY_SIZE(commands)];
	char lower[64];
	size_t n = 0, i;

	for (i = 0; word[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)word[i]);
	lower[i] = '\0';
	for (n = 0; commands[n].name; n++)
		names[n] = commands[n].name;
	return nearest_name(lower, names, n);
}

/* ---- parse and run ----------------------------------------------------- */

const char *core_prefix(const char *platform)
{
	return platform && !strcmp(platform, "slack") ? "/incident" : "!inc";
}

const char *core_command_text(const char *text)
{
	static const char *const prefixes[] = {"!incident", "!inc"};
	size_t i, n;

	while (*text == ' ' || *text == '\t')
		text++;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		n = strlen(prefixes[i]);
		if (!strncasecmp(text, prefixes[i], n) &&
		    (!text[n] || text[n] == ' ' || text[n] == '\t' ||
		     text[n] == '\n'))
			return text + n;
	}
	return NULL;
}

/* A word cut to at most 40 bytes on a character boundary, to quote back
 * (free it). */
static char *quoted(const char *word)
{
	bool cut;
	char *w = text_clean(word, strlen(word), 40, &cut), *q;

	q = xasprintf("%s%s", w, cut ? "…" : "");
	free(w);
	return q;
}

/* Whether word is meant as an incident reference: "INC-" and anything. */
static bool looks_like_ref(const char *word)
{
	return !strncasecmp(word, "INC-", 4);
}

void core_parse(struct core_req *req, const char *line)
{
	struct words w;
	const char *p;
	size_t first = 1;
	int n;

	memset(req, 0, sizeof(*req));
	req->line = xstrdup(line);
	words_split(&w, req->line);
	if (!w.n) {
		req->error = xstrdup("a command is missing");
		goto out;
	}
	req->cmd = cmd_find(w.w[0]);
	if (!req->cmd) {
		char *word = quoted(w.w[0]);

		req->error = xasprintf("unknown command '%s'", word);
		req->near = nearest_cmd(w.w[0]);
		free(word);
		goto out;
	}
	req->need = req->cmd->need;
	/* Only a command that acts on an incident takes INC-<n>: a title
	 * ("declare INC-2 regression") may start with one. A word that looks
	 * like a reference and is not one is refused, never taken as text:
	 * `close INC-0` must not close the channel's incident. */
	if ((req->need & NEED_INCIDENT) && w.n > 1 && looks_like_ref(w.w[1])) {
		n = text_numbered(w.w[1], "INC-");
		if (n <= 0) {
			char *word = quoted(w.w[1]);

			req->error = xasprintf("'%s' is not an incident: use "
					       "INC-<n>, as in INC-3",
					       word);
			req->need = 0;
			free(word);
			goto out;
		}
		req->inc_ref = n;
		first = 2;
	}
	p = first < w.n ? w.rest[first] : "";
	req->args = p;
	if (req->need & NEED_TIMELINE) {
		req->timeline_count = TIMELINE_DEFAULT;
		if (first < w.n) {
			char *end;
			long v = strtol(w.w[first], &end, 10);

			req->timeline_count =
			    *end || v < 1 || v > TIMELINE_MAX ? 0 : (int)v;
		}
	}
out:
	words_release(&w);
}

void core_req_release(struct core_req *req)
{
	free(req->error);
	free(req->line);
	memset(req, 0, sizeof(*req));
}

/* "`hypothesis` needs the text of the hypothesis: `!inc hypothesis
 * <text>`": what is missing and how to type it, in one line. */
static int refuse_missing(struct ctx *c)
{
	const struct core_cmd *cmd = c->req->cmd;
	char *usage = ctx_usage(c, cmd);

	ctx_reply_private(c, "✗ `%s` needs %s: %s", cmd->name, cmd->what,
			  usage);
	free(usage);
	return SCRIBE_EINVAL;
}

/* Something recorded on a closed incident: its first reply says so, and
 * where it goes, so nobody waits for it in the posted postmortem. */
static void note_closed(struct ctx *c)
{
	struct fx_post *p = &c->fx->posts[0];
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "%s\n📕 INC-%lld is closed: this is on its timeline and ",
		 p->text, (long long)c->inc->id);
	ctx_add_hints(c, !p->room, &b,
		      "goes into the next revision of its postmortem "
		      "(`postmortem update` writes it).");
	free(p->text);
	p->text = buf_detach(&b, NULL);
}

/* Checks the words against the table's arity; 0 or a refusal. */
static int check_arity(struct ctx *c)
{
	const struct core_cmd *cmd = c->req->cmd;

	if ((int)c->w.n < cmd->min_args)
		return refuse_missing(c);
	if (cmd->max_args >= 0 && (int)c->w.n > cmd->max_args)
		return cmd->max_args
			   ? ctx_refuse(c, "unexpected '%s'",
					c->w.w[cmd->max_args])
			   : ctx_refuse(c,
					"`%s` takes nothing after it: "
					"'%s' is unexpected",
					cmd->name, c->w.w[0]);
	return 0;
}

int core_run(const struct core_req *req, const struct core_env *env,
	     struct effects *fx)
{
	struct ctx c = {.req = req, .env = env, .fx = fx, .inc = env->inc};
	int rc;

	fx->inc = env->inc;
	if (!req->cmd && req->near)
		return ctx_refuse(&c,
				  "%s: did you mean `%s %s`? `help` lists "
				  "the commands",
				  req->error, ctx_prefix(&c), req->near);
	if (!req->cmd)
		return ctx_refuse(&c, "%s: `help` lists the commands",
				  req->error);
	if (req->error)
		return ctx_refuse(&c, "%s", req->error);
	words_split(&c.w, req->args);
	if ((rc = check_arity(&c))) {
		;
	} else if ((req->need & NEED_INCIDENT) && !env->inc &&
		   (req->inc_ref || !(req->cmd->flags & CMD_ANYWHERE))) {
		rc = req->inc_ref
			 ? ctx_refuse(&c, "there is no INC-%lld",
				      (long long)req->inc_ref)
			 : ctx_refuse(&c,
				      "this is not an incident channel: "
				      "name one first, as in `%s %s INC-3`",
				      ctx_prefix(&c), req->cmd->name);
	} else if ((req->cmd->flags & CMD_OPEN) &&
		   env->inc->marks[MARK_CLOSED]) {
		rc = ctx_refuse(&c, "INC-%lld is closed (`reopen` it first)",
				(long long)env->inc->id);
	} else {
		bool closed = env->inc && env->inc->marks[MARK_CLOSED];

		rc = req->cmd->run(&c);
		if (!rc && closed && fx->nentries && fx->nposts &&
		    env->inc->marks[MARK_CLOSED] && !fx->write_postmortem)
			note_closed(&c);
	}
	words_release(&c.w);
	return rc;
}

static const char *const kind_names[ENTRY_KIND_COUNT] = {
    "message",    "command", "file",   "edit",     "delete",   "reaction",
    "declared",   "mark",    "status", "severity", "role",     "note",
    "hypothesis", "field",   "lesson", "action",   "playbook", "closed",
    "reopened",   "gap",     "update", "context",
};

const char *entry_kind_name(enum entry_kind k)
{
	return kind_names[k];
}

int entry_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < ENTRY_KIND_COUNT; i++)
		if (!strcmp(kind_names[i], name))
			return i;
	return -1;
}
