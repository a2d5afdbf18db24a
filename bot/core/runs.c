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

/* How a step is shown: posted (within one screen, the configured
 * flavours), or again on request (`step show`: every snippet of the
 * configured flavours; `--all`: of every flavour). */
enum step_view { VIEW_SCREEN, VIEW_FULL, VIEW_ALL };

/* Lines of a posted step at most: one screen of a laptop's chat. */
#define STEP_SCREEN_LINES 40

/* Whether the deployment uses flavor (shell always). */
static bool flavor_used(struct ctx *c, const char *flavor)
{
	const struct config *cfg = c->env->cfg;
	size_t i;

	if (!strcmp(flavor, "shell"))
		return true;
	for (i = 0; i < cfg->nsql_flavors; i++)
		if (!strcmp(cfg->sql_flavors[i], flavor))
			return true;
	return false;
}

static size_t count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n' && s[1];
	return n;
}

/* A snippet's text without its last newline: its length. */
static int run_len(const struct pb_command *cmd)
{
	size_t len = strlen(cmd->run);

	return (int)(len && cmd->run[len - 1] == '\n' ? len - 1 : len);
}

static bool same_run(const struct pb_command *a, const struct pb_command *b)
{
	return run_len(a) == run_len(b) &&
	       !memcmp(a->run, b->run, (size_t)run_len(a));
}

/* A snippet as shown: the flavours sharing its text, rendered. */
struct shown {
	char *names; /* "MySQL, MariaDB" */
	char *text;  /* "\nMySQL, MariaDB — label:\n```sql ... ```" */
	size_t lines;
	bool first; /* the first snippet of its flavours */
	bool in;    /* selected */
};

/*
 * Appends the snippets of def that view shows to b, each query once: the
 * flavours that share one text are named together ("MySQL, MariaDB").
 * With a budget of lines (> 0), the first snippet of each flavour is taken
 * first, then the others in order while they fit; the ones left out are
 * named in *left (a fresh string, or NULL), and stay in file order.
 */
static void add_snippets(struct ctx *c, const struct pb_step *def,
			 enum step_view view, size_t budget, struct buf *b,
			 char **left)
{
	unsigned char *done = xcalloc(def->ncmds + 1, 1);
	struct shown *sh = xcalloc(def->ncmds + 1, sizeof(*sh));
	size_t k, j, n = 0, used = 0, pass, nleft = 0;
	struct buf names, one, out;

	*left = NULL;
	buf_init(&names, BUF_UNBOUNDED);
	buf_init(&one, BUF_UNBOUNDED);
	for (k = 0; k < def->ncmds; k++) {
		const struct pb_command *cmd = &def->cmds[k];

		if (done[k] ||
		    (view != VIEW_ALL && !flavor_used(c, cmd->flavor)))
			continue;
		buf_reset(&names);
		buf_adds(&names, flavor_name(cmd->flavor));
		for (j = k + 1; j < def->ncmds; j++) {
			const struct pb_command *o = &def->cmds[j];

			if (!done[j] && strcmp(o->flavor, "shell") &&
			    strcmp(cmd->flavor, "shell") && same_run(cmd, o) &&
			    (view == VIEW_ALL || flavor_used(c, o->flavor))) {
				done[j] = 1;
				buf_addf(&names, ", %s",
					 flavor_name(o->flavor));
			}
		}
		buf_reset(&one);
		buf_addf(&one, "\n%s%s%s:\n```%s\n%.*s\n```", names.s,
			 cmd->label ? " — " : "", cmd->label ? cmd->label : "",
			 strcmp(cmd->flavor, "shell") ? "sql" : "sh",
			 run_len(cmd), cmd->run);
		sh[n].names = xstrdup(names.s);
		sh[n].text = xstrdup(one.s);
		sh[n].lines = count_lines(one.s + 1) + 1;
		sh[n].first = true;
		for (j = 0; j < n; j++)
			if (!strcmp(sh[j].names, sh[n].names))
				sh[n].first = false;
		n++;
	}
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < n; k++)
			if (!sh[k].in && sh[k].first == !pass &&
			    (!budget || used + sh[k].lines <= budget)) {
				sh[k].in = true;
				used += sh[k].lines;
			}
	buf_init(&out, BUF_UNBOUNDED);
	for (k = 0; k < n; k++) {
		if (sh[k].in) {
			buf_adds(b, sh[k].text);
		} else {
			buf_addf(&out, "%s%s", nleft ? "; " : "", sh[k].names);
			nleft++;
		}
		free(sh[k].names);
		free(sh[k].text);
	}
	if (nleft)
		*left = xasprintf("%zu more snippet%s (%s)", nleft,
				  nleft == 1 ? "" : "s", out.s);
	buf_release(&out);
	buf_release(&names);
	buf_release(&one);
	free(sh);
	free(done);
}

/* Step i of run with its instructions, snippets and what to type, as view
 * says; a fresh string. */
static char *step_text(struct ctx *c, const struct pb_run *run, size_t i,
		       enum step_view view)
{
	const struct pb_step *def = step_def(c, run, i);
	struct buf b;
	size_t used, budget = 0;
	char *left = NULL;

	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b, "▶ %s · S%zu of %zu: %s", run->playbook, i + 1,
		 run->nsteps, run->steps[i].title);
	if (def) {
		/* Playbook files are reviewed text: their hints get the
		 * prefix too. */
		buf_adds(&b, "\n");
		ctx_add_hints(c, true, &b, def->instructions);
		while (b.len && b.s[b.len - 1] == '\n')
			b.s[--b.len] = '\0';
		if (def->skip_when)
			buf_addf(&b, "\n_Skip when:_ %s", def->skip_when);
		used = count_lines(b.s) + 2; /* and the lines below */
		if (view == VIEW_SCREEN)
			budget = used < STEP_SCREEN_LINES
				     ? STEP_SCREEN_LINES - used
				     : 1;
		add_snippets(c, def, view, budget, &b, &left);
		if (left)
			ctx_addf(c, true, &b, "\n%s: `step show S%zu`", left,
				 i + 1);
		free(left);
		if (view == VIEW_SCREEN || view == VIEW_FULL) {
			size_t k, other = 0;

			for (k = 0; k < def->ncmds; k++)
				other += !flavor_used(c, def->cmds[k].flavor);
			if (other)
				ctx_addf(c, true, &b,
					 "\n(%zu snippet%s for other SQL "
					 "flavours: `step show S%zu --all`)",
					 other, other == 1 ? "" : "s", i + 1);
		}
	}
	if (run->steps[i].state == STEP_PENDING)
		ctx_addf(
		    c, true, &b,
		    "\n%s`step done S%zu%s` · `step skip S%zu <why>`",
		    def && def->evidence ? "Evidence required: " : "", i + 1,
		    def && def->evidence ? " <what you found>" : " [evidence]",
		    i + 1);
	else
		buf_addf(&b, "\n(%s by %s)",
			 run->steps[i].state == STEP_DONE ? "done" : "skipped",
			 run->steps[i].by.name);
	return buf_detach(&b, NULL);
}

/* Posts step i of run in the incident's channel. */
static void post_step(struct ctx *c, const struct pb_run *run, size_t i)
{
	char *t = step_text(c, run, i, VIEW_SCREEN);

	ctx_post_incident(c, "%s", t);
	free(t);
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
	ctx_addf(c, false, &b,
		 "\n`playbook start <id>` runs one; `playbook show <id>` "
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

/* The last run of inc, finished or not, or NULL. */
static struct pb_run *last_run(struct incident *inc)
{
	return inc && inc->nruns ? &inc->runs[inc->nruns - 1] : NULL;
}

/* A finished run, step by step: who did what, with what evidence. */
static void show_finished(struct ctx *c, const struct pb_run *run)
{
	char when[2 * WHEN_BUFSZ], took[WHEN_BUFSZ], hm[WHEN_BUFSZ];
	struct buf b;
	size_t i;

	when_duration(run->finished - run->started, took);
	buf_init(&b, BUF_UNBOUNDED);
	buf_addf(&b,
		 "🏁 %s finished at %s, %s after %s started it:", run->playbook,
		 ctx_fmt_hm(run->finished, when), took,
		 run->by.name ? run->by.name : "?");
	for (i = 0; i < run->nsteps; i++) {
		const struct run_step *st = &run->steps[i];

		when_hm(st->at, hm);
		buf_addf(&b, "\n%s S%zu %s — %s by %s at %s%s%s",
			 st->state == STEP_DONE ? "✅" : "⏭", i + 1, st->title,
			 st->state == STEP_DONE ? "done" : "skipped",
			 st->by.name ? st->by.name : "?", hm,
			 st->note ? ": " : "", st->note ? st->note : "");
	}
	ctx_addf(c, false, &b,
		 "\n`playbook start %s` runs it again; `playbook list` shows "
		 "the others.",
		 run->playbook);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
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
		if (!run && last_run(c->inc)) {
			show_finished(c, last_run(c->inc));
			return 0;
		}
		if (!run)
			return ctx_refuse(c, "no playbook has run in this "
					     "incident: `playbook list`, then "
					     "`playbook start <id>`");
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
	ctx_addf(c, false, &b, "\n`playbook start %s` runs it.", pb->id);
	ctx_reply(c, "%s", b.s);
	buf_release(&b);
	return 0;
}

/* "'x' is not A, B or C (did you mean 'b'?)". */
static int refuse_sub(struct ctx *c, const char *word, const char *const *subs,
		      size_t n, const char *list)
{
	char near[80];

	return ctx_refuse(c, "'%s' is not %s%s", word, list,
			  ctx_did_you_mean(word, subs, n, near, sizeof(near)));
}

int cmd_playbook(struct ctx *c)
{
	const char *sub = c->w.w[0];

	if (c->w.n > 2 || (c->w.n > 1 && !strcasecmp(sub, "list")))
		return ctx_refuse(c, "unexpected '%s'", c->w.w[c->w.n - 1]);
	if (!strcasecmp(sub, "list"))
		return playbook_list(c);
	if (!strcasecmp(sub, "start"))
		return playbook_start(c);
	if (!strcasecmp(sub, "show"))
		return playbook_show(c);
	{
		static const char *const subs[] = {"list", "start", "show"};

		return refuse_sub(c, sub, subs, ARRAY_SIZE(subs),
				  "list, start or show");
	}
}

/* ---- step done|skip ----------------------------------------------------- */

/* S<digits>: a step number, even when out of range (S0 is not evidence). */
static bool step_ref(const char *w)
{
	return (w[0] == 'S' || w[0] == 's') && w[1] &&
	       strspn(w + 1, "0123456789") == strlen(w + 1);
}

/* `step show [S<n>] [--all]`: a step again, in full. */
static int step_show(struct ctx *c, struct pb_run *run)
{
	enum step_view view = VIEW_FULL;
	size_t i;
	int n = -1;
	char *t;

	for (i = 1; i < c->w.n; i++) {
		if (!strcmp(c->w.w[i], "--all"))
			view = VIEW_ALL;
		else if (n < 0 && step_ref(c->w.w[i]))
			n = text_numbered(c->w.w[i], "S");
		else
			return ctx_refuse(c, "unexpected '%s'", c->w.w[i]);
	}
	if (n == 0 || (n > 0 && (size_t)n > run->nsteps))
		return ctx_refuse(c, "%s has steps S1 to S%zu", run->playbook,
				  run->nsteps);
	if (n < 0)
		n = first_pending(run) + 1;
	t = step_text(c, run, (size_t)(n > 0 ? n - 1 : 0), view);
	ctx_reply(c, "%s", t);
	free(t);
	return 0;
}

/* "S1" or "S1–S3". */
static void step_range(int from, int to, char *out, size_t outsz)
{
	if (from == to)
		snprintf(out, outsz, "S%d", from);
	else
		snprintf(out, outsz, "S%d–S%d", from, to);
}

int cmd_step(struct ctx *c)
{
	static const char *const subs[] = {"done", "skip", "show"};
	char took[WHEN_BUFSZ], when[2 * WHEN_BUFSZ], open[32];
	bool done = !strcasecmp(c->w.w[0], "done");
	struct incident *inc = c->inc;
	struct pb_run *run;
	struct run_step *st;
	const char *note;
	size_t arg = 1, k;
	int64_t ready;
	int n, next, first;

	if (!done && strcasecmp(c->w.w[0], "skip") &&
	    strcasecmp(c->w.w[0], "show"))
		return refuse_sub(c, c->w.w[0], subs, ARRAY_SIZE(subs),
				  "done, skip or show");
	run = current_run(inc);
	if (!strcasecmp(c->w.w[0], "show")) {
		if (!run)
			run = last_run(inc);
		if (!run)
			return ctx_refuse(c, "no playbook has run in this "
					     "incident: `playbook list`, then "
					     "`playbook start <id>`");
		return step_show(c, run);
	}
	if (inc->marks[MARK_CLOSED])
		return ctx_refuse(c, "INC-%lld is closed (`reopen` it first)",
				  (long long)inc->id);
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
	/* Done ahead of open steps: the record would say they were
	 * passed over silently. They are skipped, with a reason, first. */
	first = first_pending(run);
	if (done && first < n) {
		step_range(first + 1, n, open, sizeof(open));
		return ctx_refuse(
		    c,
		    "%s of %s %s still open: skip %s with a "
		    "reason first (`step skip S%d <why>`), then "
		    "`step done S%d`",
		    open, run->playbook, first + 1 == n ? "is" : "are",
		    first + 1 == n ? "it" : "each", first + 1, n + 1);
	}
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
	/* How long it took: since it became current, when the run started
	 * or the last of the steps before it was finished. A skip takes no
	 * time, and a step done ahead of its turn was never current. */
	ready = run->started;
	for (k = 0; k < (size_t)n; k++) {
		if (run->steps[k].state == STEP_PENDING)
			ready = -1;
		if (ready >= 0 && run->steps[k].at > ready)
			ready = run->steps[k].at;
	}
	took[0] = '\0';
	if (done && ready >= 0)
		when_duration(c->env->now > ready ? c->env->now - ready : 0,
			      took);
	st->state = done ? STEP_DONE : STEP_SKIPPED;
	user_copy(&st->by, &c->env->speaker);
	st->at = c->env->now;
	st->note = note ? xstrdup(note) : NULL;
	run->dirty = true;
	inc->current_run = run->n;
	inc->dirty = true;
	ctx_entry(c, ENTRY_PLAYBOOK, c->env->now, "%s S%d %s: %s%s%s%s%s%s",
		  run->playbook, n + 1, done ? "done" : "skipped", st->title,
		  note ? " — " : "", note ? note : "", took[0] ? " (took " : "",
		  took, took[0] ? ")" : "");
	/* The confirmation says who, what they found (or why they skipped)
	 * and how long it took, so the channel reads as the record does. */
	ctx_reply(c, "%s S%d of %s %s by %s%s%s%s%s", done ? "✅" : "⏭", n + 1,
		  run->playbook, done ? "done" : "skipped",
		  c->env->speaker.name, took[0] ? " in " : "", took,
		  note ? (done ? " — evidence: " : " — why: ") : "",
		  note ? note : "");
	next = first_pending(run);
	if (next >= 0) {
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

/* Whether inc has run (or is running) the playbook id. */
static bool has_run(const struct incident *inc, const char *id)
{
	size_t i;

	for (i = 0; i < inc->nruns; i++)
		if (!strcmp(inc->runs[i].playbook, id))
			return true;
	return false;
}

/* "“db”, “connection refused”": the words a match was made by. */
static void matched_words(const struct pb_match *m, char *out, size_t outsz)
{
	if (m->also)
		snprintf(out, outsz, "“%s”, “%s”", m->keyword, m->also);
	else
		snprintf(out, outsz, "“%s”", m->keyword);
}

void runs_suggest(struct ctx *c, const char *text, int severity)
{
	const struct pb_library *lib = library(c);
	struct incident *inc = c->inc;
	const struct playbook *first = NULL;
	struct pb_match *m;
	struct buf b, list;
	size_t n, i, shown = 0;
	char words[200];

	if (!lib || !inc)
		return;
	/* Every match: the best ones may all have been suggested already.
	 * A title (severity given) is deliberate; a message is chatter,
	 * where a short common keyword needs a second signal. */
	m = xcalloc(lib->n, sizeof(*m));
	n = severity > 0 ? pb_library_match(lib, text, severity, m, lib->n)
			 : pb_library_match_chatter(lib, text, m, lib->n);
	buf_init(&b, BUF_UNBOUNDED);
	buf_init(&list, BUF_UNBOUNDED);
	buf_adds(&list,
		 inc->suggested && *inc->suggested ? inc->suggested : ",");
	for (i = 0; i < n && shown < SUGGEST_MAX; i++) {
		if (listed(list.s, m[i].pb->id) || has_run(inc, m[i].pb->id))
			continue;
		if (m[i].keyword) {
			matched_words(&m[i], words, sizeof(words));
			buf_addf(&b, "\n• %s — %s (matched %s)", m[i].pb->id,
				 m[i].pb->title, words);
			ctx_entry(c, ENTRY_PLAYBOOK, c->env->now,
				  "suggested %s (matched %s)", m[i].pb->id,
				  words);
		} else {
			buf_addf(&b, "\n• %s — %s (for sev%d)", m[i].pb->id,
				 m[i].pb->title, severity);
			ctx_entry(c, ENTRY_PLAYBOOK, c->env->now,
				  "suggested %s", m[i].pb->id);
		}
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
