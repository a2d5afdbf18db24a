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

#define TIMELINE_DEFAULT 10
#define TIMELINE_MAX     200

static const struct core_cmd commands[];

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

static const struct core_cmd *find_cmd(const char *name);

static int cmd_help(struct ctx *c)
{
	const struct core_cmd *cmd;
	struct buf b;

	if (c->w.n) {
		cmd = find_cmd(c->w.w[0]);
		if (!cmd)
			return ctx_refuse(c, "no command '%s'", c->w.w[0]);
		ctx_reply(c, "%s — %s", cmd->usage, cmd->help);
		return 0;
	}
	buf_init(&b, BUF_UNBOUNDED);
	buf_adds(&b, "Scribe commands (`help <command>` for one):");
	for (cmd = commands; cmd->name; cmd++)
		buf_addf(&b, "\n%s — %s", cmd->usage, cmd->help);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int cmd_postmortem(struct ctx *c)
{
	c->fx->draft_postmortem = true;
	ctx_reply(c, "📄 A draft of INC-%lld's postmortem, as of now:",
		  (long long)c->inc->id);
	return 0;
}

/* ---- the table --------------------------------------------------------- */

#define I NEED_INCIDENT
static const struct core_cmd commands[] = {
    {"declare", cmd_declare, 1, 0, 0, "declare <title> [sev<N>]",
     "open a new incident with its own channel"},
    {"sev", cmd_sev, 1, I, CMD_OPEN, "sev <N>", "change the severity"},
    {"status", cmd_status, 1, I, CMD_OPEN,
     "status <investigating|identified|monitoring|resolved>",
     "change the status"},
    {"lead", cmd_lead, 1, I, 0, "lead <@user>",
     "make someone the incident commander"},
    {"role", cmd_role, 2, I, 0, "role <name> <@user>",
     "assign a role (commander, comms, scribe, ...)"},
    {"roles", cmd_roles, 0, I, 0, "roles", "who holds which role"},
    {"mark", cmd_mark, 1, I, CMD_OPEN,
     "mark <started|detected|acknowledged|mitigated|resolved> "
     "[at <time>]",
     "set a lifecycle time, now or backdated"},
    {"note", cmd_note, 1, I, 0, "note <text>", "a key entry on the timeline"},
    {"event", cmd_event, 3, I, 0, "event at <time> <text>",
     "a backdated key entry"},
    {"hypothesis", cmd_hypothesis, 1, I, CMD_OPEN, "hypothesis <text>",
     "record a hypothesis under investigation (H1, H2, ...)"},
    {"rule-out", cmd_rule_out, 1, I, 0, "rule-out H<n> [why]",
     "a hypothesis that turned out wrong (a misleading path)"},
    {"confirm", cmd_confirm, 1, I, 0, "confirm H<n> [why]",
     "a hypothesis that turned out right"},
    {"summary", cmd_field, 1, I, 0, "summary <text>",
     "the postmortem's summary"},
    {"impact", cmd_field, 1, I, 0, "impact <text>",
     "who and what was affected"},
    {"rootcause", cmd_field, 1, I, 0, "rootcause <text>", "the root cause"},
    {"resolution", cmd_field, 1, I, 0, "resolution <text>", "what fixed it"},
    {"conclusion", cmd_field, 1, I, 0, "conclusion <text>",
     "the postmortem's conclusion"},
    {"learned", cmd_learned, 2, I, 0, "learned <well|wrong|lucky> <text>",
     "a lesson: what went well, what went wrong, where we got lucky"},
    {"action", cmd_action, 1, I, 0, "action <text> [<@owner>]",
     "a follow-up task (A1, A2, ...)"},
    {"fix", cmd_fix, 1, I, 0, "fix <text>",
     "a corrective or preventive measure"},
    {"actions", cmd_actions, 0, I, 0, "actions",
     "list the follow-up tasks and measures"},
    {"done", cmd_done, 1, I, 0, "done A<n>", "a follow-up is done"},
    {"playbook", cmd_playbook, 1, I, CMD_ANYWHERE,
     "playbook list|start <name>|show [<name>]", "guided triage"},
    {"step", cmd_step, 1, I, CMD_OPEN,
     "step done|skip [S<n>] [evidence or why]",
     "complete or skip a playbook step"},
    {"update", cmd_update, 1, I, CMD_OPEN, "update <text>",
     "a status update, here and in the announcement channels"},
    {"remind", cmd_remind, 1, I, CMD_OPEN,
     "remind off|<duration>|snooze <duration>",
     "the reminders to post status updates"},
    {"timeline", cmd_timeline, 0, I | NEED_TIMELINE, 0, "timeline [<count>]",
     "the last entries of the timeline"},
    {"postmortem", cmd_postmortem, 0, I, 0, "postmortem",
     "a draft of the postmortem, now"},
    {"resolve", cmd_resolve, 0, I, CMD_OPEN, "resolve",
     "the incident is resolved"},
    {"close", cmd_close, 0, I, 0, "close",
     "close the incident and post its postmortem"},
    {"reopen", cmd_reopen, 0, I, 0, "reopen",
     "reopen a resolved or closed incident"},
    {"list", cmd_list, 0, NEED_OPEN_LIST, 0, "list", "open incidents"},
    {"help", cmd_help, 0, 0, 0, "help [<command>]", "this list"},
    {NULL, NULL, 0, 0, 0, NULL, NULL},
};
#undef I

static const struct core_cmd *find_cmd(const char *name)
{
	const struct core_cmd *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (!strcasecmp(cmd->name, name))
			return cmd;
	if (!strcasecmp(name, "ruleout") || !strcasecmp(name, "rule_out"))
		return find_cmd("rule-out");
	return NULL;
}

/* ---- parse and run ----------------------------------------------------- */

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
		req->error = xstrdup("a command is missing: `help` lists them");
		goto out;
	}
	req->cmd = find_cmd(w.w[0]);
	if (!req->cmd) {
		bool cut;
		/* At most 40 bytes of it, cut on a character boundary. */
		char *word = text_clean(w.w[0], strlen(w.w[0]), 40, &cut);

		req->error = xasprintf("unknown command '%s%s': `help` lists "
				       "the commands",
				       word, cut ? "…" : "");
		free(word);
		goto out;
	}
	req->need = req->cmd->need;
	/* Only a command that acts on an incident takes INC-<n>: a title
	 * ("declare INC-2 regression") may start with one. */
	if ((req->need & NEED_INCIDENT) && w.n > 1 &&
	    (n = text_numbered(w.w[1], "INC-")) > 0) {
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

int core_run(const struct core_req *req, const struct core_env *env,
	     struct effects *fx)
{
	struct ctx c = {.req = req, .env = env, .fx = fx, .inc = env->inc};
	int rc;

	fx->inc = env->inc;
	if (!req->cmd)
		return ctx_refuse(&c, "%s", req->error);
	words_split(&c.w, req->args);
	if ((int)c.w.n < req->cmd->min_args) {
		rc = ctx_refuse(&c, "`%s` needs more: what is missing?",
				req->cmd->name);
	} else if ((req->need & NEED_INCIDENT) && !env->inc &&
		   (req->inc_ref || !(req->cmd->flags & CMD_ANYWHERE))) {
		rc = req->inc_ref
			 ? ctx_refuse(&c, "there is no INC-%lld",
				      (long long)req->inc_ref)
			 : ctx_refuse(&c,
				      "this is not an incident channel: "
				      "name one first, as in `%s INC-3`",
				      req->cmd->name);
	} else if ((req->cmd->flags & CMD_OPEN) &&
		   env->inc->marks[MARK_CLOSED]) {
		rc = ctx_refuse(&c, "INC-%lld is closed (`reopen` it first)",
				(long long)env->inc->id);
	} else {
		rc = req->cmd->run(&c);
	}
	words_release(&c.w);
	return rc;
}

static const char *const kind_names[ENTRY_KIND_COUNT] = {
    "message",    "command", "file",   "edit",     "delete",   "reaction",
    "declared",   "mark",    "status", "severity", "role",     "note",
    "hypothesis", "field",   "lesson", "action",   "playbook", "closed",
    "reopened",   "gap",     "update",
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
