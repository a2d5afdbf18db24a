/* fake_matrix_sync.c - the read side of the fake homeserver: rendering
 * events in the client format (unsigned.age, transaction_id for the sending
 * device, redacted_because, prev_content, bundled m.relations), event and
 * sync filters, /sync (initial, incremental, limited timelines, invites,
 * leaves, lazy-loaded members, long-poll bookkeeping), /messages, the
 * relations and threads listings.
 *
 * Everything works from stream positions: a room keeps the ascending
 * positions of its events, so "the events after since" is a binary search
 * and a 1,000-event response costs 1,000 renders, whatever the history.
 */
#include "fake_matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rendering -------------------------------------------------------------
 */

static int participated(const struct fm_event *root, const char *user)
{
	if (!user)
		return 0;
	if (root->sender && !strcmp(root->sender, user))
		return 1;
	for (struct fm_event *c = fm_ev(root->first_child); c;
	     c = fm_ev(c->next_sibling))
		if (c->rel_type && !strcmp(c->rel_type, "m.thread") &&
		    !c->redacted_by && c->sender && !strcmp(c->sender, user))
			return 1;
	return 0;
}

static struct fm_event *latest_edit(const struct fm_event *e)
{
	struct fm_event *best = NULL;
	for (struct fm_event *c = fm_ev(e->first_child); c;
	     c = fm_ev(c->next_sibling))
		if (c->rel_type && !strcmp(c->rel_type, "m.replace") &&
		    !c->redacted_by && c->sender && e->sender &&
		    !strcmp(c->sender, e->sender) && c->type && e->type &&
		    !strcmp(c->type, e->type))
			best = c;
	return best;
}

void fm_render(struct fm_buf *b, const struct fm_event *e,
	       const struct fm_user *viewer, const struct fm_device *dev,
	       int with_room_id, int bundle)
{
	if (e->raw) {
		fm_buf_str(b, e->core);
		return;
	}
	fm_buf_add(b, "{", 1);
	fm_buf_str(b, e->core);
	if (with_room_id) {
		fm_buf_str(b, ",\"room_id\":");
		fm_buf_jstr(b, e->room->id);
	}
	int64_t age = (int64_t)(fm_now_us() / 1000) - e->ts;
	fm_buf_printf(b, ",\"unsigned\":{\"age\":%lld",
		      (long long)(age > 0 ? age : 0));
	if (dev && e->txn_dev == dev && e->txn_id) {
		fm_buf_str(b, ",\"transaction_id\":");
		fm_buf_jstr(b, e->txn_id);
	}
	struct fm_event *red = fm_ev(e->redacted_by);
	if (red) {
		fm_buf_str(b, ",\"redacted_because\":");
		fm_render(b, red, viewer, dev, with_room_id, 0);
	}
	struct fm_event *prev = fm_ev(e->prev_state);
	if (prev && !prev->raw) {
		fm_buf_str(b, ",\"prev_content\":");
		fm_buf_str(b, prev->content);
		fm_buf_str(b, ",\"replaces_state\":");
		fm_buf_jstr(b, prev->event_id);
	}
	if (bundle && !red && e->first_child) {
		struct fm_event *edit = latest_edit(e);
		struct fm_event *latest = fm_ev(e->thread_latest);
		if (edit || (e->thread_count > 0 && latest)) {
			fm_buf_str(b, ",\"m.relations\":{");
			if (e->thread_count > 0 && latest) {
				fm_buf_str(b,
					   "\"m.thread\":{\"latest_event\":");
				fm_render(b, latest, viewer, dev, with_room_id,
					  0);
				fm_buf_printf(
				    b,
				    ",\"count\":%d,"
				    "\"current_user_participated\":%s}",
				    e->thread_count,
				    participated(e, viewer ? viewer->id : NULL)
					? "true"
					: "false");
				if (edit)
					fm_buf_str(b, ",");
			}
			if (edit) {
				fm_buf_str(b, "\"m.replace\":");
				fm_render(b, edit, viewer, dev, with_room_id,
					  0);
			}
			fm_buf_str(b, "}");
		}
	}
	fm_buf_str(b, "}}");
}

void fm_state_events_json(struct fm_buf *b, const struct fm_room *r,
			  int with_room_id)
{
	fm_buf_str(b, "[");
	for (size_t i = 0; i < r->nstate; i++) {
		if (i)
			fm_buf_str(b, ",");
		fm_render(b, fm_ev(r->state[i].pos), NULL, NULL, with_room_id,
			  0);
	}
	fm_buf_str(b, "]");
}

/* ---- filters
 * ----------------------------------------------------------------- */

struct evfilter {
	long limit; /* -1 = not given */
	const cJSON *types, *not_types, *senders, *not_senders;
	int lazy;
};

struct filter {
	cJSON *root; /* owned */
	struct evfilter timeline, state;
	const cJSON *rooms, *not_rooms;
	int include_leave;
};

static void evfilter_read(struct evfilter *f, const cJSON *o)
{
	memset(f, 0, sizeof(*f));
	cJSON *l = fm_get(o, "limit");
	f->limit = cJSON_IsNumber(l) ? (long)l->valuedouble : -1;
	f->types =
	    cJSON_IsArray(fm_get(o, "types")) ? fm_get(o, "types") : NULL;
	f->not_types = fm_get(o, "not_types");
	f->senders =
	    cJSON_IsArray(fm_get(o, "senders")) ? fm_get(o, "senders") : NULL;
	f->not_senders = fm_get(o, "not_senders");
	f->lazy = fm_gb(o, "lazy_load_members", 0);
}

static int list_match(const cJSON *list, const char *s)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, list) if (cJSON_IsString(it) &&
					 fm_glob(it->valuestring, s)) return 1;
	return 0;
}

static int evfilter_match(const struct evfilter *f, const struct fm_event *e)
{
	const char *type = e->type ? e->type : "";
	const char *sender = e->sender ? e->sender : "";
	if (list_match(f->not_types, type) ||
	    list_match(f->not_senders, sender))
		return 0;
	if (f->types && !list_match(f->types, type))
		return 0;
	if (f->senders && !list_match(f->senders, sender))
		return 0;
	return 1;
}

static int room_allowed(const struct filter *f, const struct fm_room *r)
{
	if (list_match(f->not_rooms, r->id))
		return 0;
	if (cJSON_IsArray(f->rooms) && !list_match(f->rooms, r->id))
		return 0;
	return 1;
}

/* Reads `filter` (inline JSON or an id of the user's). */
static int filter_load(struct filter *f, const char *arg, struct fm_user *u,
		       struct fm_reply *r)
{
	memset(f, 0, sizeof(*f));
	if (arg && *arg) {
		if (arg[0] == '{') {
			f->root = cJSON_Parse(arg);
			if (!cJSON_IsObject(f->root)) {
				cJSON_Delete(f->root);
				f->root = NULL;
				fm_reply_err(r, 400, "M_INVALID_PARAM",
					     "filter is not valid JSON");
				return -1;
			}
		} else {
			char *end;
			long id = strtol(arg, &end, 10);
			cJSON *j =
			    *end || id < 0
				? NULL
				: cJSON_GetArrayItem(u->filters, (int)id);
			if (!j) {
				fm_reply_err(r, 404, "M_NOT_FOUND",
					     "No such filter");
				return -1;
			}
			f->root = cJSON_Duplicate(j, 1);
		}
	}
	const cJSON *room = fm_get(f->root, "room");
	evfilter_read(&f->timeline, fm_get(room, "timeline"));
	evfilter_read(&f->state, fm_get(room, "state"));
	f->rooms = fm_get(room, "rooms");
	f->not_rooms = fm_get(room, "not_rooms");
	f->include_leave = fm_gb(room, "include_leave", 0);
	return 0;
}

static long clamp_limit(long want, long def)
{
	long max = fs.timeline_limit_max < FM_LIMIT_MAX ? fs.timeline_limit_max
							: FM_LIMIT_MAX;
	if (want < 0)
		want = def;
	if (want > max)
		want = max;
	return want;
}

/* ---- positions
 * ----------------------------------------------------------------- */

/* The index of the first event of r with pos > p. */
static size_t first_after(const struct fm_room *r, int64_t p)
{
	size_t lo = 0, hi = r->nev;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->evpos[mid] > p)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The state event for (type, key) as it was just before position t. */
static struct fm_event *state_before(const struct fm_state_entry *s, int64_t t)
{
	struct fm_event *e = fm_ev(s->pos);
	while (e && e->pos >= t)
		e = fm_ev(e->prev_state);
	return e;
}

/* ---- /sync ------------------------------------------------------------------
 */

struct fm_sync_wait {
	struct fm_device *dev;
	int64_t since;
	int has_since;
	int full_state;
	struct filter f;
	uint64_t deadline_us;
};

void fm_sync_wait_free(struct fm_sync_wait *w)
{
	if (!w)
		return;
	cJSON_Delete(w->f.root);
	free(w);
}

uint64_t fm_sync_deadline_us(const struct fm_sync_wait *w)
{
	return w->deadline_us;
}

struct senders {
	const char **v;
	size_t n, cap;
};

static void senders_add(struct senders *s, const char *id)
{
	if (!id)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], id))
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = id;
}

static int senders_has(const struct senders *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], id))
			return 1;
	return 0;
}

/* The timeline of one room: the newest `limit` matching events with
 * lo < pos <= hi. Fills idx (indexes into r->evpos, ascending). */
static size_t pick_timeline(const struct fm_room *r, const struct evfilter *f,
			    long limit, int64_t lo, int64_t hi, size_t *idx,
			    int *limited)
{
	size_t start = first_after(r, lo), end = first_after(r, hi);
	size_t n = 0;
	*limited = 0;
	for (size_t i = end; i > start; i--) {
		struct fm_event *e = fm_ev(r->evpos[i - 1]);
		if (!evfilter_match(f, e))
			continue;
		if ((long)n == limit) {
			*limited = 1;
			break;
		}
		idx[n++] = i - 1;
	}
	for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		size_t t = idx[a];
		idx[a] = idx[b];
		idx[b] = t;
	}
	return n;
}

static void stripped(struct fm_buf *b, const struct fm_event *e, int *first)
{
	if (!e || e->raw)
		return;
	if (!*first)
		fm_buf_str(b, ",");
	*first = 0;
	fm_buf_str(b, "{\"content\":");
	fm_buf_str(b, e->content);
	fm_buf_str(b, ",\"sender\":");
	fm_buf_jstr(b, e->sender);
	fm_buf_str(b, ",\"state_key\":");
	fm_buf_jstr(b, e->state_key);
	fm_buf_str(b, ",\"type\":");
	fm_buf_jstr(b, e->type);
	fm_buf_str(b, "}");
}

static void invite_entry(struct fm_buf *b, const struct fm_room *r,
			 int64_t member_pos)
{
	static const char *types[] = {
	    "m.room.create",          "m.room.join_rules", "m.room.name",
	    "m.room.canonical_alias", "m.room.topic",      "m.room.avatar",
	    "m.room.encryption"};
	int first = 1;
	fm_buf_jstr(b, r->id);
	fm_buf_str(b, ":{\"invite_state\":{\"events\":[");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		stripped(b, fm_ev(fm_state_get(r, types[i], "")), &first);
	stripped(b, fm_ev(member_pos), &first);
	fm_buf_str(b, "]}}");
}

/* One room under join (is_leave 0) or leave: state, timeline, extras.
 * Returns 0 (and writes nothing) when there is nothing to say. */
static int room_entry(struct fm_buf *b, const struct fm_sync_wait *w,
		      const struct fm_room *r, int is_leave, int64_t hi,
		      int whole)
{
	const struct fm_user *u = w->dev->user;
	int64_t lo = w->has_since ? w->since : 0;
	long limit = clamp_limit(w->f.timeline.limit, FM_DEFAULT_LIMIT);
	size_t *idx = malloc((size_t)(limit + 1) * sizeof(*idx));
	int limited;
	size_t n =
	    pick_timeline(r, &w->f.timeline, limit, lo, hi, idx, &limited);
	int64_t t = n ? r->evpos[idx[0]] : hi + 1; /* timeline start */
	struct senders snd = {0};
	if (w->f.state.lazy || w->f.timeline.lazy) {
		for (size_t i = 0; i < n; i++)
			senders_add(&snd, fm_ev(r->evpos[idx[i]])->sender);
		senders_add(&snd, u->id);
	}
	int lazy = w->f.state.lazy || w->f.timeline.lazy;
	/* the state at the start of the timeline: all of it for a new
	 * room, else what changed between since and there */
	struct fm_buf st = {0};
	int nst = 0;
	for (size_t i = 0; i < r->nstate; i++) {
		struct fm_event *e = state_before(&r->state[i], t);
		if (!e || e->raw)
			continue;
		if (!whole && e->pos <= lo)
			continue;
		if (!evfilter_match(&w->f.state, e))
			continue;
		if (lazy && !strcmp(e->type, "m.room.member") &&
		    !senders_has(&snd, e->state_key))
			continue;
		if (nst++)
			fm_buf_str(&st, ",");
		fm_render(&st, e, u, w->dev, 0, 0);
	}
	free(snd.v);
	if (!n && !nst && !whole) {
		free(idx);
		fm_buf_free(&st);
		return 0;
	}
	fm_buf_jstr(b, r->id);
	fm_buf_str(b, ":{");
	if (!is_leave) {
		const char *heroes[5];
		int nh = 0;
		for (size_t i = 0; i < r->nstate && nh < 5; i++) {
			if (strcmp(r->state[i].type, "m.room.member") ||
			    !strcmp(r->state[i].key, u->id))
				continue;
			struct fm_event *e = fm_ev(r->state[i].pos);
			if (e->membership == FM_JOIN ||
			    e->membership == FM_INVITE)
				heroes[nh++] = r->state[i].key;
		}
		fm_buf_str(b, "\"summary\":{\"m.heroes\":[");
		for (int i = 0; i < nh; i++) {
			if (i)
				fm_buf_str(b, ",");
			fm_buf_jstr(b, heroes[i]);
		}
		fm_buf_printf(b,
			      "],\"m.joined_member_count\":%d,"
			      "\"m.invited_member_count\":%d},",
			      fm_count_members(r, FM_JOIN),
			      fm_count_members(r, FM_INVITE));
	}
	fm_buf_str(b, "\"state\":{\"events\":[");
	if (st.s)
		fm_buf_add(b, st.s, st.len);
	fm_buf_free(&st);
	fm_buf_str(b, "]},\"timeline\":{\"events\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			fm_buf_str(b, ",");
		fm_render(b, fm_ev(r->evpos[idx[i]]), u, w->dev, 0, 1);
	}
	fm_buf_printf(b, "],\"limited\":%s,\"prev_batch\":\"t%lld\"}",
		      limited ? "true" : "false", (long long)(t - 1));
	if (!is_leave)
		fm_buf_str(b, ",\"ephemeral\":{\"events\":[]}");
	fm_buf_str(b, ",\"account_data\":{\"events\":[]}");
	if (!is_leave)
		fm_buf_str(b, ",\"unread_notifications\":{\"highlight_count\":"
			      "0,\"notification_count\":0},"
			      "\"unread_thread_notifications\":{}");
	fm_buf_str(b, "}");
	free(idx);
	return 1;
}

/* Builds the /sync body; returns the number of rooms in it. */
static int build_sync(struct fm_sync_wait *w, struct fm_buf *b)
{
	const struct fm_user *u = w->dev->user;
	if (w->has_since && w->since > fs.pos)
		w->since = fs.pos; /* a token from the future: now */
	int64_t s = w->has_since ? w->since : 0;
	struct fm_buf join = {0}, invite = {0}, leave = {0};
	int nj = 0, ni = 0, nl = 0;
	for (struct fm_room *r = fs.rooms; r; r = r->next) {
		if (!r->nev)
			continue;
		if (w->has_since && !w->full_state && r->evpos[r->nev - 1] <= s)
			continue;
		if (!room_allowed(&w->f, r))
			continue;
		int64_t mpos;
		int m = fm_membership(r, u->id, &mpos);
		if (m == FM_JOIN) {
			int whole = !w->has_since || w->full_state || mpos > s;
			struct fm_buf *t = &join;
			size_t before = t->len;
			if (nj)
				fm_buf_str(t, ",");
			if (room_entry(t, w, r, 0, fs.pos, whole))
				nj++;
			else
				t->len = before;
		} else if (m == FM_INVITE) {
			if (w->has_since && mpos <= s && !w->full_state)
				continue;
			if (ni++)
				fm_buf_str(&invite, ",");
			invite_entry(&invite, r, mpos);
		} else if (m == FM_LEAVE || m == FM_BAN) {
			if (w->has_since ? mpos <= s : !w->f.include_leave)
				continue;
			struct fm_buf *t = &leave;
			size_t before = t->len;
			if (nl)
				fm_buf_str(t, ",");
			if (room_entry(t, w, r, 1, mpos, !w->has_since))
				nl++;
			else
				t->len = before;
		}
	}
	fm_buf_printf(b, "{\"next_batch\":\"s%lld\",\"rooms\":{\"join\":{",
		      (long long)fs.pos);
	if (join.s)
		fm_buf_add(b, join.s, join.len);
	fm_buf_str(b, "},\"invite\":{");
	if (invite.s)
		fm_buf_add(b, invite.s, invite.len);
	fm_buf_str(b, "},\"leave\":{");
	if (leave.s)
		fm_buf_add(b, leave.s, leave.len);
	fm_buf_str(b, "},\"knock\":{}},\"account_data\":{\"events\":[]},"
		      "\"presence\":{\"events\":[]},"
		      "\"to_device\":{\"events\":[]},"
		      "\"device_lists\":{\"changed\":[],\"left\":[]},"
		      "\"device_one_time_keys_count\":{}}");
	fm_buf_free(&join);
	fm_buf_free(&invite);
	fm_buf_free(&leave);
	return nj + ni + nl;
}

static void mark_since(struct fm_user *u, int64_t since, uint64_t us)
{
	if (u->nmarks && u->marks[u->nmarks - 1].pos >= since)
		return;
	if (u->nmarks == u->capmarks) {
		u->capmarks = u->capmarks ? u->capmarks * 2 : 64;
		u->marks = realloc(u->marks, u->capmarks * sizeof(*u->marks));
	}
	u->marks[u->nmarks].pos = since;
	u->marks[u->nmarks].us = us;
	u->nmarks++;
}

static void raw_reply(struct fm_user *u, struct fm_reply *r)
{
	r->status = u->raw_status;
	r->ctype = u->raw_ctype ? u->raw_ctype : "application/json";
	r->body.len = 0;
	if (u->raw_repeat >= 0) {
		fm_buf_printf(&r->body,
			      "{\"next_batch\":\"s%lld\",\"rooms\":{\"join\":"
			      "{}},\"padding\":\"",
			      (long long)fs.pos);
		r->repeat = u->raw_repeat;
		r->tail = strdup("\"}");
	} else {
		fm_buf_str(&r->body, u->raw_body ? u->raw_body : "");
	}
	u->raw_armed = 0;
}

void fm_sync_handle(const struct fm_req *q, struct fm_device *d,
		    struct fm_reply *r)
{
	struct fm_user *u = d->user;
	struct fm_sync_wait *w = calloc(1, sizeof(*w));
	w->dev = d;
	const char *since = fm_arg(q, "since");
	if (since && *since) {
		if (fm_parse_token(since, &w->since)) {
			fm_reply_err(r, 400, "M_INVALID_PARAM",
				     "Invalid stream token: %s", since);
			free(w);
			return;
		}
		w->has_since = 1;
		mark_since(u, w->since, q->arrived_us);
	}
	const char *fsv = fm_arg(q, "full_state");
	w->full_state = fsv && !strcmp(fsv, "true");
	long timeout = 0;
	const char *to = fm_arg(q, "timeout");
	if (to && *to) {
		char *end;
		timeout = strtol(to, &end, 10);
		if (*end || timeout < 0) {
			fm_reply_err(r, 400, "M_INVALID_PARAM",
				     "timeout must be a non-negative integer");
			free(w);
			return;
		}
	}
	if (timeout > fs.sync_timeout_max_ms)
		timeout = fs.sync_timeout_max_ms;
	if (filter_load(&w->f, fm_arg(q, "filter"), u, r)) {
		free(w);
		return;
	}
	if (u->raw_armed) {
		raw_reply(u, r);
		fm_sync_wait_free(w);
		return;
	}
	r->status = 200;
	r->ctype = "application/json";
	int n = build_sync(w, &r->body);
	if (n || !w->has_since || w->full_state || timeout <= 0) {
		fm_sync_wait_free(w);
		return;
	}
	fm_buf_free(&r->body);
	w->deadline_us = q->arrived_us + (uint64_t)timeout * 1000;
	r->wait = w;
}

int fm_sync_wake(struct fm_sync_wait *w, struct fm_reply *r, int timed_out)
{
	struct fm_buf b = {0};
	int n = build_sync(w, &b);
	if (!n && !timed_out) {
		fm_buf_free(&b);
		return 0;
	}
	fm_buf_free(&r->body);
	r->body = b;
	r->status = 200;
	r->ctype = "application/json";
	return 1;
}

/* ---- /messages
 * ----------------------------------------------------------------- */

static long limit_arg(const struct fm_req *q, long def, struct fm_reply *r)
{
	const char *l = fm_arg(q, "limit");
	if (!l || !*l)
		return def;
	char *end;
	long v = strtol(l, &end, 10);
	if (*end || v < 0) {
		fm_reply_err(r, 400, "M_INVALID_PARAM",
			     "limit must be a non-negative integer");
		return -1;
	}
	return v > FM_LIMIT_MAX ? FM_LIMIT_MAX : v;
}

static int token_arg(const struct fm_req *q, const char *name, int64_t *pos,
		     int *has, struct fm_reply *r)
{
	const char *t = fm_arg(q, name);
	*has = 0;
	if (!t || !*t)
		return 0;
	if (fm_parse_token(t, pos)) {
		fm_reply_err(r, 400, "M_INVALID_PARAM", "Invalid %s token: %s",
			     name, t);
		return -1;
	}
	*has = 1;
	return 0;
}

/* Paginates over ascending positions pos[0..n): dir b from `from`
 * (pos <= from) down to `to` (pos > to), dir f from `from` (pos > from)
 * up to `to` (pos <= to); appends the picked positions to out (in
 * response order); returns the end token or -1 (no more). */
static int64_t paginate(const int64_t *pos, size_t n, int back, int64_t from,
			int has_to, int64_t to, long limit,
			const struct evfilter *f, int64_t *out, size_t *nout)
{
	size_t examined = 0;
	*nout = 0;
	if (back) {
		size_t lo = 0, hi = n; /* first index with pos > from */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (pos[mid] > from)
				hi = mid;
			else
				lo = mid + 1;
		}
		int64_t edge = from + 1; /* the lowest position examined */
		for (size_t i = lo; i > 0; i--) {
			int64_t p = pos[i - 1];
			if (has_to && p <= to)
				return -1;
			if ((long)*nout == limit || examined++ >= 10000)
				return edge - 1;
			edge = p;
			if (!f || evfilter_match(f, fm_ev(p)))
				out[(*nout)++] = p;
		}
		return -1;
	}
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pos[mid] > from)
			hi = mid;
		else
			lo = mid + 1;
	}
	int64_t edge = from; /* the highest position examined */
	for (size_t i = lo; i < n; i++) {
		int64_t p = pos[i];
		if (has_to && p > to)
			return -1;
		if ((long)*nout == limit || examined++ >= 10000)
			return edge;
		edge = p;
		if (!f || evfilter_match(f, fm_ev(p)))
			out[(*nout)++] = p;
	}
	return -1;
}

void fm_messages_handle(const struct fm_req *q, struct fm_device *d,
			struct fm_room *room, struct fm_reply *r)
{
	struct fm_user *u = d->user;
	int64_t leave_pos = 0;
	if (!room || !fm_ever_joined(room, u->id, &leave_pos)) {
		fm_reply_err(r, 403, "M_FORBIDDEN",
			     "User %s not in room %s, and room previews are "
			     "disabled",
			     u->id, room ? room->id : "");
		return;
	}
	const char *dir = fm_arg(q, "dir");
	if (!dir || !*dir) {
		fm_reply_err(r, 400, "M_MISSING_PARAM",
			     "Missing string query parameter: dir");
		return;
	}
	if (strcmp(dir, "b") && strcmp(dir, "f")) {
		fm_reply_err(r, 400, "M_INVALID_PARAM",
			     "dir must be one of b, f");
		return;
	}
	int back = dir[0] == 'b';
	int64_t from = 0, to = 0;
	int has_from, has_to;
	if (token_arg(q, "from", &from, &has_from, r) ||
	    token_arg(q, "to", &to, &has_to, r))
		return;
	long limit = limit_arg(q, FM_DEFAULT_LIMIT, r);
	if (limit < 0)
		return;
	struct filter f;
	memset(&f, 0, sizeof(f));
	const char *fa = fm_arg(q, "filter");
	struct evfilter ef;
	evfilter_read(&ef, NULL);
	cJSON *froot = NULL;
	if (fa && *fa) {
		froot = cJSON_Parse(fa);
		if (!cJSON_IsObject(froot)) {
			cJSON_Delete(froot);
			fm_reply_err(r, 400, "M_INVALID_PARAM",
				     "filter is not a JSON object");
			return;
		}
		evfilter_read(&ef, froot);
		if (ef.limit >= 0 && ef.limit < limit)
			limit = ef.limit;
	}
	if (!has_from)
		from = back ? fs.pos : 0;
	int64_t start_tok = from;
	/* a user who left sees nothing after leaving */
	if (leave_pos) {
		if (back && from >= leave_pos)
			from = leave_pos;
		if (!back && (!has_to || to > leave_pos)) {
			to = leave_pos;
			has_to = 1;
		}
	}
	int64_t *out = malloc((size_t)(limit + 1) * sizeof(*out));
	size_t nout;
	int64_t end = paginate(room->evpos, room->nev, back, from, has_to, to,
			       limit, &ef, out, &nout);
	struct fm_buf *b = &r->body;
	r->status = 200;
	r->ctype = "application/json";
	b->len = 0;
	fm_buf_str(b, "{\"chunk\":[");
	struct senders snd = {0};
	for (size_t i = 0; i < nout; i++) {
		struct fm_event *e = fm_ev(out[i]);
		if (i)
			fm_buf_str(b, ",");
		fm_render(b, e, u, d, 1, 1);
		senders_add(&snd, e->sender);
	}
	fm_buf_str(b, "],\"start\":");
	const char *fromarg = fm_arg(q, "from");
	if (has_from) {
		fm_buf_jstr(b, fromarg);
	} else {
		fm_buf_printf(b, "\"t%lld\"", (long long)start_tok);
	}
	if (end >= 0)
		fm_buf_printf(b, ",\"end\":\"t%lld\"", (long long)end);
	if (ef.lazy) {
		fm_buf_str(b, ",\"state\":[");
		int first = 1;
		for (size_t i = 0; i < snd.n; i++) {
			struct fm_event *m = fm_ev(
			    fm_state_get(room, "m.room.member", snd.v[i]));
			if (!m)
				continue;
			if (!first)
				fm_buf_str(b, ",");
			first = 0;
			fm_render(b, m, u, d, 1, 0);
		}
		fm_buf_str(b, "]");
	}
	fm_buf_str(b, "}");
	free(snd.v);
	free(out);
	cJSON_Delete(froot);
}

/* ---- relations and threads
 * --------------------------------------------------- */

struct posv {
	int64_t *v;
	size_t n, cap;
};

static void posv_add(struct posv *p, int64_t x)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = x;
}

static int cmp_pos(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void collect_children(const struct fm_event *e, const char *rel_type,
			     const char *event_type, int depth, int max_depth,
			     struct posv *out, int *depth_seen)
{
	for (struct fm_event *c = fm_ev(e->first_child); c;
	     c = fm_ev(c->next_sibling)) {
		if (c->redacted_by)
			continue;
		if ((!rel_type ||
		     (c->rel_type && !strcmp(c->rel_type, rel_type))) &&
		    (!event_type ||
		     (c->type && !strcmp(c->type, event_type)))) {
			posv_add(out, c->pos);
			if (depth > *depth_seen)
				*depth_seen = depth;
		}
		if (depth < max_depth)
			collect_children(c, rel_type, event_type, depth + 1,
					 max_depth, out, depth_seen);
	}
}

void fm_relations_handle(const struct fm_req *q, struct fm_device *d,
			 struct fm_room *room, const char *event_id,
			 const char *rel_type, const char *event_type,
			 struct fm_reply *r)
{
	struct fm_user *u = d->user;
	if (!room || !fm_ever_joined(room, u->id, NULL)) {
		fm_reply_err(r, 403, "M_FORBIDDEN", "User %s not in room",
			     u->id);
		return;
	}
	struct fm_event *parent = fm_event_find(event_id);
	if (!parent || parent->room != room) {
		fm_reply_err(r, 404, "M_NOT_FOUND", "Event not found");
		return;
	}
	const char *dir = fm_arg(q, "dir");
	int back = !dir || strcmp(dir, "f");
	int64_t from = 0, to = 0;
	int has_from, has_to;
	if (token_arg(q, "from", &from, &has_from, r) ||
	    token_arg(q, "to", &to, &has_to, r))
		return;
	long limit = limit_arg(q, 5, r);
	if (limit < 0)
		return;
	const char *rec = fm_arg(q, "recurse");
	int recurse = rec && !strcmp(rec, "true");
	struct posv kids = {0};
	int depth_seen = 0;
	collect_children(parent, rel_type, event_type, 1, recurse ? 3 : 1,
			 &kids, &depth_seen);
	if (recurse)
		qsort(kids.v, kids.n, sizeof(*kids.v), cmp_pos);
	if (!has_from)
		from = back ? fs.pos : 0;
	int64_t *out = malloc((size_t)(limit + 1) * sizeof(*out));
	size_t nout;
	int64_t end = paginate(kids.v, kids.n, back, from, has_to, to, limit,
			       NULL, out, &nout);
	struct fm_buf *b = &r->body;
	r->status = 200;
	r->ctype = "application/json";
	b->len = 0;
	fm_buf_str(b, "{\"chunk\":[");
	for (size_t i = 0; i < nout; i++) {
		if (i)
			fm_buf_str(b, ",");
		fm_render(b, fm_ev(out[i]), u, d, 1, 1);
	}
	fm_buf_str(b, "]");
	if (end >= 0)
		fm_buf_printf(b, ",\"next_batch\":\"t%lld\"", (long long)end);
	if (has_from) {
		fm_buf_str(b, ",\"prev_batch\":");
		fm_buf_jstr(b, fm_arg(q, "from"));
	}
	if (recurse)
		fm_buf_printf(b, ",\"recursion_depth\":%d",
			      depth_seen ? depth_seen : 1);
	fm_buf_str(b, "}");
	free(out);
	free(kids.v);
}

static int cmp_latest_desc(const void *a, const void *b)
{
	const struct fm_event *x = fm_ev(*(const int64_t *)a);
	const struct fm_event *y = fm_ev(*(const int64_t *)b);
	return x->thread_latest > y->thread_latest   ? -1
	       : x->thread_latest < y->thread_latest ? 1
						     : 0;
}

void fm_threads_handle(const struct fm_req *q, struct fm_device *d,
		       struct fm_room *room, struct fm_reply *r)
{
	struct fm_user *u = d->user;
	if (!room || !fm_ever_joined(room, u->id, NULL)) {
		fm_reply_err(r, 403, "M_FORBIDDEN", "User %s not in room",
			     u->id);
		return;
	}
	const char *inc = fm_arg(q, "include");
	if (inc && strcmp(inc, "all") && strcmp(inc, "participated")) {
		fm_reply_err(r, 400, "M_INVALID_PARAM",
			     "include must be all or participated");
		return;
	}
	int only_mine = inc && !strcmp(inc, "participated");
	int64_t from = 0;
	int has_from;
	if (token_arg(q, "from", &from, &has_from, r))
		return;
	long limit = limit_arg(q, 10, r);
	if (limit < 0)
		return;
	struct posv roots = {0};
	for (size_t i = 0; i < room->nev; i++) {
		struct fm_event *e = fm_ev(room->evpos[i]);
		if (e->thread_count <= 0 || e->redacted_by)
			continue;
		if (has_from && e->thread_latest > from)
			continue;
		if (only_mine && !participated(e, u->id))
			continue;
		posv_add(&roots, e->pos);
	}
	qsort(roots.v, roots.n, sizeof(*roots.v), cmp_latest_desc);
	struct fm_buf *b = &r->body;
	r->status = 200;
	r->ctype = "application/json";
	b->len = 0;
	fm_buf_str(b, "{\"chunk\":[");
	size_t n = roots.n < (size_t)limit ? roots.n : (size_t)limit;
	for (size_t i = 0; i < n; i++) {
		if (i)
			fm_buf_str(b, ",");
		fm_render(b, fm_ev(roots.v[i]), u, d, 1, 1);
	}
	fm_buf_str(b, "]");
	if (n < roots.n && n > 0)
		fm_buf_printf(b, ",\"next_batch\":\"t%lld\"",
			      (long long)fm_ev(roots.v[n - 1])->thread_latest -
				  1);
	fm_buf_str(b, "}");
	free(roots.v);
}
