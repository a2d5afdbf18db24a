/*
 * model.c - names, lookups and lifetimes of the incident model (model.h).
 */
#include <strings.h>

#include "util/base.h"
#include "core/model.h"

static const char *const mark_names[MARK_COUNT] = {
    "declared",  "started",  "detected", "acknowledged",
    "mitigated", "resolved", "closed",
};
static const char *const status_names[STATUS_COUNT] = {
    "investigating",
    "identified",
    "monitoring",
    "resolved",
};
static const char *const field_names[FIELD_COUNT] = {
    "summary", "impact", "rootcause", "resolution", "conclusion",
};
static const char *const lesson_names[LESSON_COUNT] = {
    "well",
    "wrong",
    "lucky",
};

void user_set(struct user *u, const char *id, const char *name)
{
	user_release(u);
	u->id = id ? xstrdup(id) : NULL;
	u->name = name ? xstrdup(name) : (id ? xstrdup(id) : NULL);
}

void user_copy(struct user *dst, const struct user *src)
{
	user_set(dst, src->id, src->name);
}

void user_release(struct user *u)
{
	free(u->id);
	free(u->name);
	u->id = NULL;
	u->name = NULL;
}

void incident_release(struct incident *inc)
{
	size_t i;

	free(inc->title);
	free(inc->slug);
	free(inc->platform);
	free(inc->channel);
	free(inc->room);
	free(inc->origin_room);
	user_release(&inc->declared_by);
	for (i = 0; i < FIELD_COUNT; i++)
		free(inc->fields[i]);
	for (i = 0; i < inc->nroles; i++) {
		free(inc->roles[i].role);
		user_release(&inc->roles[i].who);
	}
	for (i = 0; i < inc->nhyps; i++) {
		free(inc->hyps[i].text);
		free(inc->hyps[i].why);
		user_release(&inc->hyps[i].by);
		user_release(&inc->hyps[i].decided_by);
	}
	for (i = 0; i < inc->nlessons; i++) {
		free(inc->lessons[i].text);
		user_release(&inc->lessons[i].by);
	}
	for (i = 0; i < inc->nactions; i++) {
		free(inc->actions[i].text);
		user_release(&inc->actions[i].owner);
		user_release(&inc->actions[i].by);
		user_release(&inc->actions[i].done_by);
	}
	for (i = 0; i < inc->nruns; i++)
		pb_run_release(&inc->runs[i]);
	free(inc->runs);
	free(inc->suggested);
	free(inc->roles);
	free(inc->hyps);
	free(inc->lessons);
	free(inc->actions);
	memset(inc, 0, sizeof(*inc));
}

static int lookup(const char *const *names, int n, const char *word)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], word))
			return i;
	return -1;
}

static const char *const hyp_state_names[] = {
    [HYP_OPEN] = "open",
    [HYP_CONFIRMED] = "confirmed",
    [HYP_RULED_OUT] = "ruled_out",
};

const char *hyp_state_name(enum hyp_state st)
{
	return hyp_state_names[st];
}

int hyp_state_parse(const char *word)
{
	return lookup(hyp_state_names, (int)ARRAY_SIZE(hyp_state_names),
		      word ? word : "");
}

const char *mark_name(enum mark m)
{
	return mark_names[m];
}

const char *status_name(enum status s)
{
	return status_names[s];
}

const char *field_name(enum field f)
{
	return field_names[f];
}

const char *lesson_name(enum lesson_kind k)
{
	return lesson_names[k];
}

int mark_parse(const char *word)
{
	return lookup(mark_names, MARK_COUNT, word);
}

int status_parse(const char *word)
{
	return lookup(status_names, STATUS_COUNT, word);
}

int field_parse(const char *word)
{
	return lookup(field_names, FIELD_COUNT, word);
}

int lesson_parse(const char *word)
{
	return lookup(lesson_names, LESSON_COUNT, word);
}

struct role *incident_role(struct incident *inc, const char *role)
{
	size_t i;

	for (i = 0; i < inc->nroles; i++)
		if (!strcasecmp(inc->roles[i].role, role))
			return &inc->roles[i];
	return NULL;
}

struct hypothesis *incident_hyp(struct incident *inc, int n)
{
	size_t i;

	for (i = 0; i < inc->nhyps; i++)
		if (inc->hyps[i].n == n)
			return &inc->hyps[i];
	return NULL;
}

struct action *incident_action(struct incident *inc, int n)
{
	size_t i;

	for (i = 0; i < inc->nactions; i++)
		if (inc->actions[i].n == n)
			return &inc->actions[i];
	return NULL;
}

struct pb_run *incident_run(struct incident *inc, int n)
{
	size_t i;

	for (i = 0; i < inc->nruns; i++)
		if (inc->runs[i].n == n)
			return &inc->runs[i];
	return NULL;
}

void pb_run_release(struct pb_run *run)
{
	size_t i;

	free(run->playbook);
	free(run->title);
	user_release(&run->by);
	for (i = 0; i < run->nsteps; i++) {
		free(run->steps[i].step_id);
		free(run->steps[i].title);
		free(run->steps[i].note);
		user_release(&run->steps[i].by);
	}
	free(run->steps);
	memset(run, 0, sizeof(*run));
}

int64_t incident_detected(const struct incident *inc)
{
	return inc->marks[MARK_DETECTED] ? inc->marks[MARK_DETECTED]
					 : inc->marks[MARK_DECLARED];
}

int64_t incident_started(const struct incident *inc)
{
	int64_t d = incident_detected(inc);

	if (inc->marks[MARK_STARTED])
		return inc->marks[MARK_STARTED];
	return d < inc->marks[MARK_DECLARED] ? d : inc->marks[MARK_DECLARED];
}

int64_t incident_identified(const struct incident *inc)
{
	int64_t at = inc->identified;
	size_t i;

	for (i = 0; i < inc->nhyps; i++)
		if (inc->hyps[i].state == HYP_CONFIRMED &&
		    (!at || inc->hyps[i].decided < at))
			at = inc->hyps[i].decided;
	return at;
}
