/*
 * runs.c - the playbook engine: `playbook list|start|show`, `step
 * done|skip`, and suggestions.
 *
 * A run copies its playbook's step ids and titles when it starts, so a
 * playbook file edited or removed later does not change what was done;
 * instructions and snippets are read from the loaded library when a step
 * is posted. S<n> names step n of the current run: the one most recently
 * started or shown and not finished. Every transition is a typed timeline
 * entry (who, when, evidence or reason, how long the step took), which the
 * postmortem's "Playbook steps" section lists.
 */
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "util/nearest.h"
#include "core/cmdctx.h"
#include "core/playbook.h"

#define SUGGEST_MAX 3

static const struct pb_library *library(struct ctx *c)
{
	return c->env->playbooks && c->env->playbooks->n ? c->env->playbooks
							 : NULL;
}

static int no_playbooks(struct ctx *c)
{
	return ctx_refuse(c, "no playbooks are loaded: add YAML files to the "
			     "playbook folder (see playbooks/README.md)");
}

static int unknown_playbook(struct ctx *c, const char *id)
{
	const struct pb_library *lib = library(c);
	const char **names = xcalloc(lib->n, sizeof(*names)), *near;
	size_t i;
	int rc;

	/* Every id, not the first few: a typo of the last one is as
	 * likely. */
	for (i = 0; i < lib->n; i++)
		names[i] = lib->books[i].id;
	near = nearest_name(id, names, lib->n);
	if (near)
		rc = ctx_refuse(c, "no playbook '%s' (did you mean '%s'?)", id,
				near);
	else
		rc = ctx_refuse(
		    c, "no playbook '%s': `playbook list` shows them", id);
	free(names);
	return rc;
}

/* The first pending step of run, or -1 when none is. */
static int first_pending(const struct pb_run *run)
{
	size_t i;

	for (i = 0; i < run->nsteps; i++)
		if (run->steps[i].state == STEP_PENDING)
			return (int)i;
	return -1;
}

/* The run `step` acts on, or NULL: the current one if unfinished, else the
 * most recently started unfinished one. */
static struct pb_run *current_run(struct incident *inc)
{
	struct pb_run *run = incident_run(inc, inc->current_run);
	size_t i;

	if (run && !run->finished)
		return run;
	for (i = inc->nruns; i-- > 0;)
		if (!inc->runs[i].finished)
			return &inc->runs[i];
	return NULL;
}

static const struct pb_step *step_def(struct ctx *c, const struct pb_run *run,
				      size_t i)
{
	const struct pb_library *lib = library(c);
	const struct playbook *pb =
	    lib ? pb_library_find(lib, run->playbook) : NULL;
	size_t k;

	for (k = 0; pb && k < pb->nsteps; k++)
		if (!strcmp(pb->steps[k].id, run->steps[i].step_id))
			return &pb->steps[k];
	return NULL;
}

static const char *flavor_name(const char *f)
{
	if (!strcmp(f, "postgresql"))
		return "PostgreSQL";
	if (!strcmp(f, "mysql"))
		return "MySQL";
	if (!strcmp(f, "mariadb"))
		return "MariaDB";
	return "Shell";
}

/* Posts step i of run with its instructions, snippets and what to type. */
static void post_step(struct ctx *c, const struct pb_run *run, size_t i)
{
	const struct pb_step *def = step_def(c, run, i);
	struct buf b;
	size_t k;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "▶ %s · S%zu of %zu: %s", run->playbook, i + 1,
		 run->nsteps, run->steps[i].title);
	if (def) {
		buf_addf(&b, "\n%s", def->instructions);
		while (b.len && b.s[b.len - 1] == '\n')
			b.s[--b.len] = '\0';
		if (def->skip_when)
			buf_addf(&b, "\n_Skip when:_ %s", def->skip_when);
		for (k = 0; k < def->ncmds; k++) {
			const struct pb_command *cmd = &def->cmds[k];
			size_t len = strlen(cmd->run);

			buf_addf(
			    &b, "\n%s%s%s:\n```%s\n%.*s\n```",
			    flavor_name(cmd->flavor), cmd->label ? " — " : "",
			    cmd->label ? cmd->label : "",
			    strcmp(cmd->flavor, "shell") ? "sql" : "sh",
			    (int)(len && cmd->run[len - 1] == '\n' ? len - 1
								   : len),
			    cmd->run);
		}
	}
	buf_addf(&b, "\n%s`step done S%zu%s` · `step skip S%zu <why>`",
		 def && def->evidence ? "Evidence required: " : "", i + 1,
		 def && def->evidence ? " <what you found>" : " [evidence]",
		 i + 1);
	ctx_post_incident(c, "%s", b.s);
	buf_release(&b);
}

/* ---- playbook list|start|show ------------------------------------------ */

static int playbook_list(struct ctx *c)
{
	const struct pb_library *lib = library(c);
	struct pb_match m[16];
	struct buf b;
	size_t i, k, n = 0;

	if (!lib)
		return no_playbooks(c);
	if (c->inc)
		n = pb_library_match(lib, c->inc->title, c->inc->severity, m,
				     ARRAY_SIZE(m));
	if (n > ARRAY_SIZE(m))
		n = ARRAY_SIZE(m);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "Playbooks (%zu)%s:", lib->n,
		 n ? ", best match for this incident first" : "");
	for (k = 0; k < n; k++)
		buf_addf(&b, "\n★ %s — %s (%zu step%s)", m[k].pb->id,
			 m[k].pb->title, m[k].pb->nsteps,
			 m[k].pb->nsteps == 1 ? "" : "s");
	for (i = 0; i < lib->n; i++) {
		for (k = 0; k < n && m[k].pb != &lib->books[i]; k++)
			;
		if (k == n)
			buf_addf(&b, "\n• %s — %s (%zu step%s)",
				 lib->books[i].id, lib->books[i].title,
				 lib->books[i].nsteps,
				 lib->books[i].nsteps == 1 ? "" : "s");
	}
	buf_adds(&b, "\n`playbook start <id>` runs one; `playbook show <id>` "
		     "shows its steps.");
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

static int need_incident(struct ctx *c)
{
	return ctx_refuse(c, "this is not an incident channel: name one "
			     "first, as in `playbook INC-3 start db-deadlock`");
}

static int playbook_start(struct ctx *c)
{
	const struct pb_library *lib = library(c);
	const struct playbook *pb;
	struct incident *inc = c->inc;
	struct pb_run *run;
	size_t i;

	if (!lib)
		return no_playbooks(c);
	if (c->w.n < 2)
		return ctx_refuse(c, "which playbook? `playbook list` shows "
				     "them");
	if (!inc)
		return need_incident(c);
	if (inc->marks[MARK_CLOSED])
		return ctx_refuse(c, "INC-%lld is closed (`reopen` it first)",
				  (long long)inc->id);
	pb = pb_library_find(lib, c->w.w[1]);
	if (!pb)
		return unknown_playbook(c, c->w.w[1]);
	for (i = 0; i < inc->nruns; i++)
		if (!inc->runs[i].finished &&
		    !strcmp(inc->runs[i].playbook, pb->id))
			return ctx_refuse(c,
					  "%s is already running: `playbook "
					  "show %s`",
					  pb->id, pb->id);
	ALLOC_GROW(inc->runs, inc->nruns + 1, inc->runs_cap);
	run = &inc->runs[inc->nruns];
	memset(run, 0, sizeof(*run));
	run->n = inc->nruns ? inc->runs[inc->nruns - 1].n + 1 : 1;
	inc->nruns++;
	run->playbook = xstrdup(pb->id);
	run->title = xstrdup(pb->title);
	user_copy(&run->by, &c->env->speaker);
	run->started = c->env->now;
	run->steps = xcalloc(pb->nsteps, sizeof(*run->steps));
	run->nsteps = pb->nsteps;
	for (i = 0; i < pb->nsteps; i++) {
		run->steps[i].step_id = xstrdup(pb->steps[i].id);
		run->steps[i].title = xstrdup(pb->steps[i].title);
	}
	run->dirty = true;
	inc->current_run = run->n;
	inc->dirty = true;
	ctx_entry(c, ENTRY_PLAYBOOK, c->env->now, "started %s: %s (%zu step%s)",
		  pb->id, pb->title, pb->nsteps, pb->nsteps == 1 ? "" : "s");
	post_step(c, run, 0);
	return 0;
}

static int playbook_show(struct ctx *c)
{
	const struct pb_library *lib = library(c);
	const struct playbook *pb;
	struct pb_run *run = NULL;
	struct buf b;
	size_t i;
	int k;

	if (c->w.n < 2) {
		run = c->inc ? current_run(c->inc) : NULL;
		if (!run)
			return ctx_refuse(c, "no playbook is running: "
					     "`playbook list`, then `playbook "
					     "start <id>`");
	} else if (c->inc) {
		for (i = c->inc->nruns; i-- > 0 && !run;)
			if (!c->inc->runs[i].finished &&
			    !strcmp(c->inc->runs[i].playbook, c->w.w[1]))
				run = &c->inc->runs[i];
	}
	if (run) {
		k = first_pending(run);
		if (c->inc->current_run != run->n) {
			c->inc->current_run = run->n;
			c->inc->dirty = true;
		}
		post_step(c, run, k < 0 ? 0 : (size_t)k);
		return 0;
	}
	if (!lib)
		return no_playbooks(c);
	pb = pb_library_find(lib, c->w.w[1]);
	if (!pb)
		return unknown_playbook(c, c->w.w[1]);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "%s — %s", pb->id, pb->title);
	if (pb->description)
		buf_addf(&b, "\n%s", pb->description);
	while (b.len && b.s[b.len - 1] == '\n')
		b.s[--b.len] = '\0';
	for (i = 0; i < pb->nsteps; i++)
		buf_addf(&b, "\nS%zu %s%s", i + 1, pb->steps[i].title,
			 pb->steps[i].evidence ? " (evidence required)" : "");
	buf_addf(&b, "\n`playbook start %s` runs it.", pb->id);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

int cmd_playbook(struct ctx *c)
{
	const char *sub = c->w.w[0];

	if (!strcasecmp(sub, "list"))
		return playbook_list(c);
	if (!strcasecmp(sub, "start"))
		return playbook_start(c);
	if (!strcasecmp(sub, "show"))
		return playbook_show(c);
	return ctx_refuse(c, "'%s' is not list, start or show", sub);
}

/* ---- step done|skip ----------------------------------------------------- */

/* S<digits>: a step number, even when out of range (S0 is not evidence). */
static bool step_ref(const char *w)
{
	return (w[0] == 'S' || w[0] == 's') && w[1] &&
	       strspn(w + 1, "0123456789") == strlen(w + 1);
}

int cmd_step(struct ctx *c)
{
	char took[WHEN_BUFSZ], when[2 * WHEN_BUFSZ];
	bool done = !strcasecmp(c->w.w[0], "done");
	struct incident *inc = c->inc;
	struct pb_run *run;
	struct run_step *st;
	const char *note;
	size_t arg = 1;
	int64_t ready;
	int n, next;

	if (!done && strcasecmp(c->w.w[0], "skip"))
		return ctx_refuse(c, "'%s' is not done or skip", c->w.w[0]);
	run = current_run(inc);
	if (!run)
		return ctx_refuse(c, "no playbook is running: `playbook list`, "
				     "then `playbook start <id>`");
	n = c->w.n > 1 ? text_numbered(c->w.w[1], "S") : -1;
	if (n > 0 || (c->w.n > 1 && step_ref(c->w.w[1]))) {
		arg = 2;
		if (n <= 0 || (size_t)n > run->nsteps)
			return ctx_refuse(c, "%s has steps S1 to S%zu",
					  run->playbook, run->nsteps);
		n--;
	} else {
		n = first_pending(run);
	}
	st = &run->steps[n];
	if (st->state != STEP_PENDING)
		return ctx_refuse(c, "S%d of %s was already %s by %s at %s",
				  n + 1, run->playbook,
				  st->state == STEP_DONE ? "done" : "skipped",
				  st->by.name, ctx_fmt_hm(st->at, when));
	note = arg < c->w.n ? ctx_rest(c, arg) : NULL;
	if (done && !note) {
		const struct pb_step *def = step_def(c, run, (size_t)n);

		if (def && def->evidence)
			return ctx_refuse(c,
					  "S%d needs evidence: `step done S%d "
					  "<what you found>`",
					  n + 1, n + 1);
	}
	if (!done && !note)
		return ctx_refuse(c, "say why: `step skip S%d <why>`", n + 1);
	/* How long it took: since the step before it was finished, or since
	 * the run started. */
	ready = n > 0 && run->steps[n - 1].state != STEP_PENDING
		    ? run->steps[n - 1].at
		    : run->started;
	when_duration(c->env->now > ready ? c->env->now - ready : 0, took);
	st->state = done ? STEP_DONE : STEP_SKIPPED;
	user_copy(&st->by, &c->env->speaker);
	st->at = c->env->now;
	st->note = note ? xstrdup(note) : NULL;
	run->dirty = true;
	inc->current_run = run->n;
	inc->dirty = true;
	ctx_entry(c, ENTRY_PLAYBOOK, c->env->now, "%s S%d %s: %s%s%s (took %s)",
		  run->playbook, n + 1, done ? "done" : "skipped", st->title,
		  note ? " — " : "", note ? note : "", took);
	next = first_pending(run);
	if (next >= 0) {
		ctx_reply(c, "%s S%d of %s %s.", done ? "✅" : "⏭", n + 1,
			  run->playbook, done ? "done" : "skipped");
		post_step(c, run, (size_t)next);
		return 0;
	}
	run->finished = c->env->now;
	ctx_entry(c, ENTRY_PLAYBOOK, c->env->now, "%s finished", run->playbook);
	ctx_announce(c, "🏁 %s finished: every step is done or skipped.",
		     run->playbook);
	return 0;
}

/* ---- suggestions ------------------------------------------------------- */

/* Whether id is in the ",a,b," list. */
static bool listed(const char *list, const char *id)
{
	const char *p = list;
	size_t n = strlen(id);

	while (p && (p = strstr(p, id))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

void runs_suggest(struct ctx *c, const char *text, int severity)
{
	const struct pb_library *lib = library(c);
	struct incident *inc = c->inc;
	const struct playbook *first = NULL;
	struct pb_match *m;
	struct buf b, list;
	size_t n, i, shown = 0;

	if (!lib || !inc)
		return;
	/* Every match: the best ones may all have been suggested already. */
	m = xcalloc(lib->n, sizeof(*m));
	n = pb_library_match(lib, text, severity, m, lib->n);
	buf_init(&b, BUF_UNBOUNDED);
	buf_init(&list, BUF_UNBOUNDED);
	buf_adds(&list,
		 inc->suggested && *inc->suggested ? inc->suggested : ",");
	for (i = 0; i < n && shown < SUGGEST_MAX; i++) {
		if (listed(list.s, m[i].pb->id))
			continue;
		if (m[i].keyword)
			buf_addf(&b, "\n• %s — %s (matched “%s”)", m[i].pb->id,
				 m[i].pb->title, m[i].keyword);
		else
			buf_addf(&b, "\n• %s — %s (for sev%d)", m[i].pb->id,
				 m[i].pb->title, severity);
		ctx_entry(c, ENTRY_PLAYBOOK, c->env->now, "suggested %s%s%s%s",
			  m[i].pb->id, m[i].keyword ? " (matched “" : "",
			  m[i].keyword ? m[i].keyword : "",
			  m[i].keyword ? "”)" : "");
		buf_addf(&list, "%s,", m[i].pb->id);
		if (!shown++)
			first = m[i].pb;
	}
	if (shown) {
		free(inc->suggested);
		inc->suggested = buf_detach(&list, NULL);
		inc->dirty = true;
		ctx_post_incident(c,
				  "💡 Suggested playbook%s, best match first:%s"
				  "\n`playbook start %s` to begin.",
				  shown > 1 ? "s" : "", b.s, first->id);
	}
	buf_release(&b);
	buf_release(&list);
	free(m);
}

bool core_message(const struct core_env *env, const char *text,
		  struct effects *fx)
{
	struct core_req req = {0};
	struct ctx c = {.req = &req, .env = env, .fx = fx, .inc = env->inc};

	fx->inc = env->inc;
	if (!env->inc || env->inc->marks[MARK_CLOSED])
		return false;
	runs_suggest(&c, text, 0);
	return fx->nposts > 0;
}

static bool not_suggested(void *ud, const struct playbook *pb)
{
	return !listed(ud, pb->id);
}

bool core_would_suggest(const struct pb_library *lib, const char *suggested,
			const char *text)
{
	return lib && lib->n &&
	       pb_library_any_where(lib, text, not_suggested,
				    (void *)(suggested ? suggested : ""));
}
