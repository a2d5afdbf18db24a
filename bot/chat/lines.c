/*
 * lines.c - outbox rows in lines, one per room; see lines.h.
 */
#include "util/base.h"
#include "app.h"
#include "chat/lines.h"
#include "store/store.h"

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct chat_job *chat_lines_add(struct chat_lines *l, void *owner,
				const struct outbox_row *row, const char *room,
				bool loose)
{
	struct chat_job *j = xcalloc(1, sizeof(*j)), **tail;

	j->owner = owner;
	j->row = row->id;
	j->incident = row->incident_id;
	j->kind = xstrdup(row->kind);
	j->room = dup(room);
	j->to_user = dup(row->to_user);
	j->body = xstrdup(row->body);
	j->file_name = dup(row->file_name);
	j->loose = loose;
	for (tail = &l->jobs; *tail; tail = &(*tail)->next)
		;
	*tail = j;
	return j;
}

static void job_free(struct chat_job *j)
{
	free(j->kind);
	free(j->room);
	free(j->to_user);
	free(j->body);
	free(j->file_name);
	free(j->got[0]);
	free(j->got[1]);
	free(j);
}

void chat_lines_done(struct chat_lines *l, struct chat_job *j, int rc)
{
	struct chat_job **p;

	for (p = &l->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	app_delivered(l->app, j->row, rc, 0);
	job_free(j);
}

void chat_lines_hold(struct chat_lines *l, const char *room, int64_t until)
{
	struct chat_job *j;

	for (j = l->jobs; j; j = j->next)
		if (!j->loose && j->room && room && !strcmp(j->room, room) &&
		    j->not_before < until)
			j->not_before = until;
}

/* Whether k and j wait in the same line: the rows of one room (rooms to
 * create are one line); loose rows wait for nothing. */
static bool same_line(const struct chat_job *k, const struct chat_job *j)
{
	if (k->loose || j->loose)
		return false;
	return k->room && j->room ? !strcmp(k->room, j->room)
				  : !k->room && !j->room;
}

int64_t chat_lines_pump(struct chat_lines *l, int64_t now,
			int (*send)(void *owner, struct chat_job *j))
{
	struct chat_job *j, *k, *next;
	int64_t wake = 0;
	bool first;
	int rc;

	for (j = l->jobs; j; j = next) {
		next = j->next;
		first = true;
		for (k = l->jobs; k != j && first; k = k->next)
			if (same_line(k, j))
				first = false;
		if (!first || j->busy)
			continue;
		if (j->not_before > now) {
			if (!wake || j->not_before < wake)
				wake = j->not_before;
			continue;
		}
		j->busy = true;
		rc = send(j->owner, j);
		if (rc) {
			/* Not sent (the net is closing): later. A row that
			 * can never be sent is done with, not retried. */
			j->busy = false;
			chat_lines_done(l, j,
					rc == SCRIBE_EINVAL ? 0 : SCRIBE_EIO);
		}
	}
	return wake;
}

void chat_lines_release(struct chat_lines *l)
{
	struct chat_job *j, *next;

	for (j = l->jobs; j; j = next) {
		next = j->next;
		job_free(j);
	}
	l->jobs = NULL;
}
