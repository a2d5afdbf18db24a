/*
 * backlog.c - the recent messages of channels outside incidents; see
 * backlog.h. Each channel is a ring of at most `max` messages.
 */
#include "util/base.h"
#include "backlog.h"

struct entry {
	char *id, *text;
	struct user who;
	int64_t ts;
};

struct backlog_room {
	char *platform, *room;
	struct entry *ring; /* max slots */
	size_t head;        /* the oldest */
	size_t count;
};

void backlog_init(struct backlog *b, int64_t keep_ms, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->keep = keep_ms;
	b->max = max;
}

static void entry_release(struct entry *e)
{
	free(e->id);
	free(e->text);
	user_release(&e->who);
	memset(e, 0, sizeof(*e));
}

void backlog_release(struct backlog *b)
{
	size_t i, k;

	for (i = 0; i < b->n; i++) {
		struct backlog_room *r = &b->rooms[i];

		for (k = 0; k < r->count; k++)
			entry_release(&r->ring[(r->head + k) % b->max]);
		free(r->ring);
		free(r->platform);
		free(r->room);
	}
	free(b->rooms);
	memset(b, 0, sizeof(*b));
}

static struct backlog_room *find(const struct backlog *b, const char *platform,
				 const char *room)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->rooms[i].room, room) &&
		    !strcmp(b->rooms[i].platform, platform))
			return &b->rooms[i];
	return NULL;
}

/* Drops the oldest message of r. */
static void drop_oldest(const struct backlog *b, struct backlog_room *r)
{
	entry_release(&r->ring[r->head]);
	r->head = (r->head + 1) % b->max;
	r->count--;
}

void backlog_note(struct backlog *b, const char *platform, const char *room,
		  const char *id, const struct user *who, int64_t ts,
		  const char *text)
{
	struct backlog_room *r;
	struct entry *e;

	if (!b->keep || !b->max || !platform || !room || !id)
		return;
	r = find(b, platform, room);
	if (!r) {
		ALLOC_GROW(b->rooms, b->n + 1, b->cap);
		r = &b->rooms[b->n++];
		memset(r, 0, sizeof(*r));
		r->platform = xstrdup(platform);
		r->room = xstrdup(room);
		r->ring = xcalloc(b->max, sizeof(*r->ring));
	}
	/* Older than the window of the newest: gone. */
	while (r->count && r->ring[r->head].ts < ts - b->keep)
		drop_oldest(b, r);
	if (r->count == b->max)
		drop_oldest(b, r);
	e = &r->ring[(r->head + r->count) % b->max];
	e->id = xstrdup(id);
	e->text = xstrdup(text ? text : "");
	user_copy(&e->who, who);
	e->ts = ts;
	r->count++;
}

int backlog_each(const struct backlog *b, const char *platform,
		 const char *room, int64_t from, int64_t to,
		 int (*cb)(void *ud, const struct backlog_msg *m), void *ud)
{
	const struct backlog_room *r = find(b, platform, room);
	size_t k;
	int rc;

	for (k = 0; r && k < r->count; k++) {
		const struct entry *e = &r->ring[(r->head + k) % b->max];
		struct backlog_msg m = {e->id, e->who, e->ts, e->text};

		if (e->ts < from || e->ts > to)
			continue;
		rc = cb(ud, &m);
		if (rc)
			return rc;
	}
	return 0;
}
