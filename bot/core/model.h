/*
 * model.h - the incident as the core sees it: plain values, no I/O.
 *
 * The store loads a struct incident (with its roles, hypotheses, lessons
 * and actions) before a command runs; the core changes it and marks what it
 * changed dirty; the store writes back only the dirty parts. Times are UTC
 * epoch milliseconds, 0 meaning "not recorded".
 */
#ifndef SCRIBE_MODEL_H
#define SCRIBE_MODEL_H

#include "util/base.h"

/* Who did something: the platform's user id and a display name. */
struct user {
	char *id;   /* owned; "alice" on the console, "U123" on Slack */
	char *name; /* owned; display name, never a ping */
};

enum mark {
	MARK_DECLARED,
	MARK_STARTED,
	MARK_DETECTED,
	MARK_ACKNOWLEDGED,
	MARK_MITIGATED,
	MARK_RESOLVED,
	MARK_CLOSED,
	MARK_COUNT
};

enum status {
	STATUS_INVESTIGATING,
	STATUS_IDENTIFIED,
	STATUS_MONITORING,
	STATUS_RESOLVED,
	STATUS_COUNT
};

/* Postmortem fields set with `summary <text>` and friends. */
enum field {
	FIELD_SUMMARY,
	FIELD_IMPACT,
	FIELD_ROOTCAUSE,
	FIELD_RESOLUTION,
	FIELD_CONCLUSION,
	FIELD_COUNT
};

enum hyp_state { HYP_OPEN, HYP_CONFIRMED, HYP_RULED_OUT };
enum lesson_kind { LESSON_WELL, LESSON_WRONG, LESSON_LUCKY, LESSON_COUNT };
enum action_kind { ACTION_TASK, ACTION_FIX };

struct role {
	char *role; /* owned; a configured role name */
	struct user who;
	int64_t at;
	bool dirty;
};

struct hypothesis {
	int n; /* H<n> */
	char *text;
	struct user by;
	int64_t raised;
	enum hyp_state state;
	int64_t decided; /* when confirmed or ruled out */
	struct user decided_by;
	char *why; /* owned, may be NULL */
	bool dirty;
};

struct lesson {
	int n;
	enum lesson_kind kind;
	char *text;
	struct user by;
	int64_t at;
	bool dirty;
};

struct action {
	int n; /* A<n>, one sequence for tasks and fixes */
	enum action_kind kind;
	char *text;
	struct user owner; /* id NULL when nobody owns it yet */
	struct user by;
	int64_t at;
	int64_t done; /* 0 while open */
	struct user done_by;
	bool dirty;
};

enum step_state { STEP_PENDING, STEP_DONE, STEP_SKIPPED };

/* One step of a playbook run, as it was when the run started. */
struct run_step {
	char *step_id;
	char *title;
	enum step_state state;
	struct user by; /* who did or skipped it */
	int64_t at;
	char *note; /* the evidence, or why it was skipped; may be NULL */
};

/* A playbook started in an incident (runs are numbered 1, 2, ...). */
struct pb_run {
	int n;
	char *playbook; /* its id */
	char *title;
	struct user by;
	int64_t started;
	int64_t finished; /* 0 while steps are pending */
	struct run_step *steps;
	size_t nsteps;
	bool dirty;
};

/* Status updates and their reminders (PRODUCT.md: `update`, `remind`). */
struct remind {
	int64_t every;        /* 0: the severity's update_every; -1: off */
	int64_t snooze_until; /* no reminder is due before this */
	int64_t last_update;  /* the last status update, 0: none yet */
	int64_t reminded;     /* when the last reminder was due */
	bool dirty;
};

struct incident {
	int64_t id; /* INC-<id> */
	char *title;
	char *slug;
	int severity; /* N of sev<N> */
	enum status status;
	char *platform;    /* where it was declared: "console", "slack", ... */
	char *channel;     /* channel name, "inc-3-db-errors" */
	char *room;        /* the platform's room id, NULL until created */
	char *origin_room; /* the room declare was typed in */
	struct user declared_by;
	int64_t marks[MARK_COUNT];
	bool resolved_explicit; /* `mark resolved` set the resolved time */
	int64_t identified;     /* the first `status identified`, or 0 */
	char *fields[FIELD_COUNT];
	int revision; /* postmortems written so far (closes) */

	struct role *roles;
	size_t nroles, roles_cap;
	struct hypothesis *hyps;
	size_t nhyps, hyps_cap;
	struct lesson *lessons;
	size_t nlessons, lessons_cap;
	struct action *actions;
	size_t nactions, actions_cap;
	struct pb_run *runs;
	size_t nruns, runs_cap;
	int current_run; /* the run `step` acts on: most recently started or
			    shown and not finished; 0 when none */
	char *suggested; /* playbook ids already suggested, ",a,b," */
	struct remind remind;

	bool dirty; /* the incident row itself changed */
};

void user_set(struct user *u, const char *id, const char *name);
void user_copy(struct user *dst, const struct user *src);
void user_release(struct user *u);

void incident_release(struct incident *inc);
const char *mark_name(enum mark m);
const char *status_name(enum status s);
const char *field_name(enum field f);
const char *lesson_name(enum lesson_kind k);
const char *hyp_state_name(enum hyp_state st); /* "open", "ruled_out", ... */
/* Name lookups: return the index, or -1 when the word is not one. */
int mark_parse(const char *word);
int status_parse(const char *word);
int field_parse(const char *word);
int lesson_parse(const char *word);
int hyp_state_parse(const char *word);

/* Lookups within an incident; NULL when absent. */
struct role *incident_role(struct incident *inc, const char *role);
struct hypothesis *incident_hyp(struct incident *inc, int n);
struct action *incident_action(struct incident *inc, int n);
struct pb_run *incident_run(struct incident *inc, int n);
void pb_run_release(struct pb_run *run);

/* Effective lifecycle times, with PRODUCT.md's defaults applied:
 * started defaults to min(detected, declared), detected to declared. */
int64_t incident_started(const struct incident *inc);
int64_t incident_detected(const struct incident *inc);
/* When the cause was identified: the first confirmed hypothesis or the
 * first `status identified`, whichever came first; 0 when neither. */
int64_t incident_identified(const struct incident *inc);

#endif
