/*
 * checklist.c - what an incident's postmortem still lacks, and the command
 * that fills each gap.
 *
 * Posted in the channel when the incident is resolved (or closed without
 * being resolved first), so the people who know the answers fill them in
 * while they are still there. Pure: it reads the incident and writes text.
 * `close` is never blocked by it; what is added after the close goes into
 * the next revision with `postmortem update`.
 */
#include "util/base.h"
#include "util/buf.h"
#include "core/core.h"

static bool missing(const char *s)
{
	return !s || !*s;
}

/* "H2, H4" of the open hypotheses; returns how many. */
static int open_hyps(const struct incident *inc, struct buf *ids, int *first)
{
	size_t i;
	int n = 0;

	for (i = 0; i < inc->nhyps; i++) {
		if (inc->hyps[i].state != HYP_OPEN)
			continue;
		if (!n++)
			*first = inc->hyps[i].n;
		buf_addf(ids, "%sH%d", n > 1 ? ", " : "", inc->hyps[i].n);
	}
	return n;
}

static int ownerless(const struct incident *inc, struct buf *ids, int *first)
{
	size_t i;
	int n = 0;

	for (i = 0; i < inc->nactions; i++) {
		const struct action *a = &inc->actions[i];

		if (a->owner.id || a->done)
			continue;
		if (!n++)
			*first = a->n;
		buf_addf(ids, "%sA%d", n > 1 ? ", " : "", a->n);
	}
	return n;
}

/* One line per run with steps never done or skipped. */
static int unfinished(const struct incident *inc, struct buf *out)
{
	size_t i, k;
	int lines = 0;

	for (i = 0; i < inc->nruns; i++) {
		const struct pb_run *r = &inc->runs[i];
		int n = 0, first = 0;
		struct buf ids;

		buf_init(&ids, BUF_UNBOUNDED);
		for (k = 0; k < r->nsteps; k++) {
			if (r->steps[k].state != STEP_PENDING)
				continue;
			if (!n++)
				first = (int)k + 1;
			buf_addf(&ids, "%sS%zu", n > 1 ? ", " : "", k + 1);
		}
		if (n) {
			buf_addf(out,
				 "\n• %s: %s not done — `step done S%d "
				 "<evidence>` or `step skip S%d <why>`",
				 r->playbook ? r->playbook : "a playbook",
				 ids.s, first, first);
			lines++;
		}
		buf_release(&ids);
	}
	return lines;
}

char *core_checklist(const struct incident *inc)
{
	struct buf b, ids;
	char *s;
	int n = 0, first = 0;
	bool lesson[LESSON_COUNT] = {false};
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_init(&ids, BUF_UNBOUNDED);
	if (missing(inc->fields[FIELD_SUMMARY]) && ++n)
		buf_adds(&b, "\n• a summary — `summary <text>`");
	if (missing(inc->fields[FIELD_ROOTCAUSE]) && ++n)
		buf_adds(&b, "\n• the root cause — `rootcause <text>`");
	if (missing(inc->fields[FIELD_IMPACT]) && ++n)
		buf_adds(&b, "\n• the impact — `impact <text>`");
	for (i = 0; i < inc->nlessons; i++)
		lesson[inc->lessons[i].kind] = true;
	if (!lesson[LESSON_WELL] && !lesson[LESSON_WRONG] && ++n)
		buf_adds(&b, "\n• lessons — `learned well <text>`, `learned "
			     "wrong <text>`");
	else if (!lesson[LESSON_WRONG] && ++n)
		buf_adds(&b, "\n• what went wrong — `learned wrong <text>`");
	if (!inc->nactions && ++n)
		buf_adds(&b, "\n• follow-ups — `action <text> <@owner>`, `fix "
			     "<text> <@owner>`");
	if (ownerless(inc, &ids, &first) && ++n)
		buf_addf(&b, "\n• an owner for %s — `owner A%d <@user>`", ids.s,
			 first);
	buf_reset(&ids);
	if (open_hyps(inc, &ids, &first) && ++n)
		buf_addf(&b,
			 "\n• a decision on %s, still open — `confirm H%d "
			 "[why]` or `rule-out H%d [why]`",
			 ids.s, first, first);
	n += unfinished(inc, &b);
	buf_release(&ids);
	if (!n) {
		buf_release(&b);
		return xasprintf("📋 INC-%lld's postmortem has everything it "
				 "needs: summary, root cause, impact, lessons "
				 "and owned follow-ups.",
				 (long long)inc->id);
	}
	s = xasprintf("📋 INC-%lld's postmortem still lacks:%s\n%s",
		      (long long)inc->id, b.s,
		      inc->marks[MARK_CLOSED]
			  ? "Add them now: `postmortem update` writes the next "
			    "revision with them."
			  : "`close` is never blocked by these: what is added "
			    "after it goes into the next revision with "
			    "`postmortem update`.");
	buf_release(&b);
	return s;
}
