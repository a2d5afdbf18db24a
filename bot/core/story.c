/*
 * story.c - the Timeline picked from the rows as they stream; see story.h.
 *
 * Two things are held back. The candidate: the last human message that
 * is not chatter, which a mark or a decision that follows may take as its
 * explanation; it is written in its place (if it is a moment on its own)
 * or dropped as soon as anything else claims the Timeline, a newer message
 * replaces it, or it is more than STORY_EXPLAINS_MS old. And the pending
 * lines, in time order: a status change and a mark of the same minute
 * meet there to be folded, and suggestions of the same minute to be
 * joined. Pending lines are written once their minute is over and nothing
 * older is still held.
 */
#include "util/base.h"
#include "util/buf.h"
#include "core/story.h"

/* A row copied out of the callback that lent it. */
struct rowcopy {
	struct pm_row row;
	struct buf who, who_id, text, room;
};

struct item {
	struct rowcopy r;
	enum moment_why why;
	bool has_because;
	struct rowcopy because;
	char status[32];
	struct buf sugg; /* "a, b" for a suggestion line */
	bool is_sugg;
};

/* Past this many pending lines, the oldest is written regardless. */
#define PENDING_MAX 64

struct story {
	const struct moments *lex;
	story_cb *cb;
	void *ud;
	struct rowcopy cand;
	bool has_cand, cand_alone;
	enum moment_why cand_why;
	struct item *pending[PENDING_MAX];
	size_t n;
};

static void copy_init(struct rowcopy *c)
{
	buf_init(&c->who, BUF_UNBOUNDED);
	buf_init(&c->who_id, BUF_UNBOUNDED);
	buf_init(&c->text, BUF_UNBOUNDED);
	buf_init(&c->room, BUF_UNBOUNDED);
}

static void copy_release(struct rowcopy *c)
{
	buf_release(&c->who);
	buf_release(&c->who_id);
	buf_release(&c->text);
	buf_release(&c->room);
}

static const char *keep(struct buf *b, const char *s)
{
	if (!s)
		return NULL;
	buf_reset(b);
	buf_adds(b, s);
	return b->s;
}

/* Copies r into c, reusing c's buffers. */
static void copy_set(struct rowcopy *c, const struct pm_row *r)
{
	c->row = *r;
	c->row.who = keep(&c->who, r->who);
	c->row.who_id = keep(&c->who_id, r->who_id);
	c->row.text = keep(&c->text, r->text);
	c->row.room = keep(&c->room, r->room);
	/* Nothing else of a row is read through a moment. */
	c->row.deleted_by = NULL;
	c->row.file_name = c->row.file_type = c->row.file_url = NULL;
}

static struct item *item_new(const struct pm_row *r)
{
	struct item *it = xcalloc(1, sizeof(*it));

	copy_init(&it->r);
	copy_init(&it->because);
	buf_init(&it->sugg, BUF_UNBOUNDED);
	copy_set(&it->r, r);
	return it;
}

static void item_free(struct item *it)
{
	copy_release(&it->r);
	copy_release(&it->because);
	buf_release(&it->sugg);
	free(it);
}

struct story *story_new(const struct moments *lex, story_cb *cb, void *ud)
{
	struct story *s = xcalloc(1, sizeof(*s));

	s->lex = lex;
	s->cb = cb;
	s->ud = ud;
	copy_init(&s->cand);
	return s;
}

void story_free(struct story *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		item_free(s->pending[i]);
	copy_release(&s->cand);
	free(s);
}

static int64_t minute_of(int64_t ms)
{
	return ms / 60000 - (ms % 60000 < 0);
}

static int emit(struct story *s, struct item *it)
{
	struct story_line m = {
	    .row = &it->r.row,
	    .why = it->why,
	    .because = it->has_because ? &it->because.row : NULL,
	    .status = it->status[0] ? it->status : NULL,
	    .suggested = it->is_sugg ? it->sugg.s : NULL,
	};
	int rc = s->cb(s->ud, &m);

	item_free(it);
	return rc;
}

/* Writes the oldest pending line. */
static int emit_first(struct story *s)
{
	struct item *it = s->pending[0];

	memmove(s->pending, s->pending + 1, --s->n * sizeof(*s->pending));
	return emit(s, it);
}

/* Adds a pending line in time order (after those of the same time). */
static int insert(struct story *s, struct item *it)
{
	size_t i = s->n;
	int rc = 0;

	if (s->n == PENDING_MAX)
		rc = emit_first(s);
	i = s->n;
	while (i > 0 && s->pending[i - 1]->r.row.at > it->r.row.at)
		i--;
	memmove(s->pending + i + 1, s->pending + i,
		(s->n - i) * sizeof(*s->pending));
	s->pending[i] = it;
	s->n++;
	return rc;
}

/* The candidate gives up its chance to explain: a moment on its own
 * becomes a pending line, anything else is dropped. */
static int release_cand(struct story *s)
{
	struct item *it;

	if (!s->has_cand)
		return 0;
	s->has_cand = false;
	if (!s->cand_alone)
		return 0;
	it = item_new(&s->cand.row);
	it->why = s->cand_why;
	return insert(s, it);
}

/* Writes the pending lines whose minute is over (before row's) and that
 * nothing held is older than. */
static int flush(struct story *s, int64_t before)
{
	int rc = 0;

	while (!rc && s->n && minute_of(s->pending[0]->r.row.at) < before &&
	       (!s->has_cand || s->pending[0]->r.row.at <= s->cand.row.at))
		rc = emit_first(s);
	return rc;
}

bool story_is_suggestion(const struct pm_row *row)
{
	return row->kind == ENTRY_PLAYBOOK && row->text &&
	       !strncmp(row->text, "suggested ", 10);
}

/* "H3 confirmed: ..." or "H3 ruled out: ...": a decision. */
static bool decision(const struct pm_row *row)
{
	const char *p = row->text;

	if (row->kind != ENTRY_HYPOTHESIS || !p || p[0] != 'H')
		return false;
	p += 1 + strspn(p + 1, "0123456789");
	return !strncmp(p, " confirmed: ", 12) ||
	       !strncmp(p, " ruled out: ", 12);
}

/* A pending line of the same minute as row and of kind k, not folded. */
static struct item *same_minute(struct story *s, const struct pm_row *row,
				enum entry_kind k)
{
	size_t i;

	for (i = s->n; i-- > 0;) {
		struct item *it = s->pending[i];

		if (minute_of(it->r.row.at) != minute_of(row->at))
			continue;
		if (it->r.row.kind == k && !it->status[0] && !it->is_sugg)
			return it;
	}
	return NULL;
}

/* "status a → b": b. */
static const char *new_status(const char *text)
{
	const char *p = text ? strstr(text, "→ ") : NULL;

	return p ? p + strlen("→ ") : "";
}

static void fold_status(struct item *mark, const char *status_text)
{
	const char *st = new_status(status_text);

	/* "resolved" and status resolved say the same thing once. */
	if (!strcmp(st, mark->r.row.text ? mark->r.row.text : ""))
		snprintf(mark->status, sizeof(mark->status), "%s", "=");
	else
		snprintf(mark->status, sizeof(mark->status), "%s", st);
}

/* Whether a and b were said by the same person. */
static bool same_author(const struct pm_row *a, const struct pm_row *b)
{
	if (a->who_id && b->who_id)
		return !strcmp(a->who_id, b->who_id);
	return a->who && b->who && !strcmp(a->who, b->who);
}

static int add_message(struct story *s, const struct pm_row *row)
{
	enum moment_why why;
	int rc;

	if (row->deleted)
		return 0;
	why = moments_pick(s->lex, row->who_id, row->who, row->text);
	if (why == WHY_CHATTER && !row->key)
		return 0;
	rc = release_cand(s);
	if (!rc)
		rc = flush(s, minute_of(row->at));
	if (rc)
		return rc;
	copy_set(&s->cand, row);
	s->has_cand = true;
	s->cand_why = why == WHY_CHATTER ? WHY_NOTHING : why;
	s->cand_alone = row->key || why > WHY_NOTHING;
	return 0;
}

int story_add(struct story *s, const struct pm_row *row)
{
	struct item *it, *other;
	size_t i;
	int rc;

	if (row->kind == ENTRY_COMMAND || row->kind == ENTRY_EDIT ||
	    row->kind == ENTRY_DELETE || row->kind == ENTRY_REACTION)
		return 0; /* what they did is on the Timeline already */
	if (row->kind == ENTRY_MESSAGE || row->kind == ENTRY_FILE ||
	    row->kind == ENTRY_CONTEXT)
		return add_message(s, row);
	/* A candidate too old to explain anything. */
	if (s->has_cand && row->at - s->cand.row.at > STORY_EXPLAINS_MS &&
	    (rc = release_cand(s)))
		return rc;
	if (story_is_suggestion(row)) {
		const char *id = row->text + 10;
		size_t n = strcspn(id, " ");

		other = NULL;
		for (i = s->n; i-- > 0 && !other;)
			if (s->pending[i]->is_sugg &&
			    minute_of(s->pending[i]->r.row.at) ==
				minute_of(row->at))
				other = s->pending[i];
		if (other) {
			buf_addf(&other->sugg, ", %.*s", (int)n, id);
			return 0;
		}
		it = item_new(row);
		it->is_sugg = true;
		buf_addf(&it->sugg, "%.*s", (int)n, id);
		rc = flush(s, minute_of(row->at));
		return rc ? rc : insert(s, it);
	}
	if (row->kind == ENTRY_STATUS) {
		other = same_minute(s, row, ENTRY_MARK);
		if (other) {
			fold_status(other, row->text);
			return 0;
		}
		it = item_new(row);
		rc = flush(s, minute_of(row->at));
		return rc ? rc : insert(s, it);
	}
	it = item_new(row);
	if (row->kind == ENTRY_MARK || decision(row)) {
		/* A pinned message keeps its own line: someone chose it. */
		if (s->has_cand && s->cand.row.at <= row->at &&
		    !s->cand.row.key &&
		    (s->cand_why > WHY_NOTHING ||
		     same_author(&s->cand.row, row))) {
			copy_set(&it->because, &s->cand.row);
			it->has_because = true;
			s->has_cand = false;
		}
		if (row->kind == ENTRY_MARK &&
		    (other = same_minute(s, row, ENTRY_STATUS))) {
			fold_status(it, other->r.row.text);
			for (i = 0; s->pending[i] != other; i++)
				;
			memmove(s->pending + i, s->pending + i + 1,
				(s->n - i - 1) * sizeof(*s->pending));
			s->n--;
			item_free(other);
		}
	} else {
		rc = release_cand(s);
		if (rc) {
			item_free(it);
			return rc;
		}
	}
	rc = flush(s, minute_of(row->at));
	if (rc) {
		item_free(it);
		return rc;
	}
	return insert(s, it);
}

int story_end(struct story *s)
{
	int rc = release_cand(s);

	while (!rc && s->n)
		rc = emit_first(s);
	return rc;
}
