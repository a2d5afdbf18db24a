/*
 * app.c - the shell around the core; see app.h.
 *
 * For every event: clean its text, find the incident of its room, write it
 * to the timeline (the unique source id absorbs redelivery), and if it is
 * a command, load what the command needs, run the core, and write the
 * effects - incident changes, typed timeline entries and outbox rows - in
 * the same transaction. Acks wait for the commit; the outbox is delivered
 * after it.
 */
#include <cjson/cJSON.h>
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "util/log.h"
#include "app.h"
#include "core/core.h"
#include "core/text.h"
#include "core/playbook.h"
#include "publish.h"
#include "store/wal.h"
#include "metrics.h"

#define PIN_EMOJI    "\xf0\x9f\x93\x8c" /* 📌 */
#define OUTBOX_BATCH 256

void app_result_release(struct app_result *r)
{
	free(r->error);
	free(r->moved_to);
	memset(r, 0, sizeof(*r));
}

static void forget_room(struct app *a);

/* Group commit: a batch stays open while every turn of the loop brings
 * more events (the socket has more to read), for at most LINGER_NS and
 * LINGER_EVENTS; the first turn that brings nothing, commits. While it
 * lingers, an idle handle keeps the loop from sleeping in its poll, so a
 * quiet moment costs one extra turn, not a wait. 4 ms, not 1: under a
 * sustained stream the fsync is paid by 4 times as many events (Slack
 * ingest +15%), and an event that comes alone is committed as soon. */
#define LINGER_NS     4000000ull /* 4 ms */
#define LINGER_EVENTS 4096
/* A loop this long without a commit is idle: the WAL file is emptied. */
#define WAL_IDLE_MS 1000

static void on_idle(uv_idle_t *h)
{
	(void)h; /* only there to keep the poll from blocking */
}

static void on_wal_idle(uv_timer_t *h)
{
	struct app *a = h->data;

	wal_idle(a->wal);
}

static void on_check(uv_check_t *h)
{
	struct app *a = h->data;

	if (a->batch > a->batch_seen && a->batch < LINGER_EVENTS &&
	    uv_hrtime() - a->batch_started < LINGER_NS) {
		a->batch_seen = a->batch;
		if (!a->linger_on) {
			uv_idle_start(&a->linger, on_idle);
			a->linger_on = true;
		}
		return;
	}
	app_flush(a);
}

int app_init(struct app *a, const struct config *cfg, struct store *st,
	     uv_loop_t *loop)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->st = st;
	a->loop = loop;
	if (loop) {
		uv_check_init(loop, &a->flusher);
		a->flusher.data = a;
		uv_idle_init(loop, &a->linger);
		a->linger.data = a;
		uv_timer_init(loop, &a->retry);
		a->retry.data = a;
		/* Retries must not keep the loop alive on their own. */
		uv_unref((uv_handle_t *)&a->retry);
		uv_timer_init(loop, &a->remind);
		a->remind.data = a;
		uv_unref((uv_handle_t *)&a->remind);
		uv_timer_init(loop, &a->wal_quiet);
		a->wal_quiet.data = a;
		uv_unref((uv_handle_t *)&a->wal_quiet);
	}
	a->remind_next = -1;
	a->wal = wal_open(st);
	backlog_init(&a->backlog, cfg->context_before_ms, CONTEXT_MAX);
	return 0;
}

void app_add_transport(struct app *a, struct chat *c)
{
	if (a->ntransports < APP_MAX_TRANSPORTS)
		a->transports[a->ntransports++] = c;
}

void app_release(struct app *a)
{
	if (store_in_transaction(a->st))
		app_flush(a);
	if (a->loop) {
		uv_close((uv_handle_t *)&a->flusher, NULL);
		uv_close((uv_handle_t *)&a->linger, NULL);
		uv_close((uv_handle_t *)&a->retry, NULL);
		uv_close((uv_handle_t *)&a->remind, NULL);
		uv_close((uv_handle_t *)&a->wal_quiet, NULL);
	}
	wal_close(a->wal);
	a->wal = NULL;
	backlog_release(&a->backlog);
	free(a->inflight);
	free(a->acks);
	forget_room(a);
	a->acks = NULL;
}

static struct chat *transport(struct app *a, const char *platform)
{
	size_t i;

	for (i = 0; i < a->ntransports; i++)
		if (!strcmp(a->transports[i]->ops->name, platform))
			return a->transports[i];
	return NULL;
}

/* Opens the batch's transaction on its first event. */
static int batch_open(struct app *a)
{
	int rc;

	if (store_in_transaction(a->st))
		return 0;
	rc = store_begin(a->st);
	if (rc)
		return rc;
	a->batch = 0;
	a->batch_seen = 0;
	if (a->loop && !a->flusher_on) {
		a->batch_started = uv_hrtime();
		uv_check_start(&a->flusher, on_check);
		a->flusher_on = true;
	}
	/* The check runs after the poll: a batch opened outside an I/O
	 * callback (a timer, curl's timeout) must not let the poll block
	 * before its commit. */
	if (a->loop && !a->linger_on) {
		uv_idle_start(&a->linger, on_idle);
		a->linger_on = true;
	}
	return 0;
}

static void forget_room(struct app *a)
{
	free(a->cache_platform);
	free(a->cache_room);
	free(a->cache_suggested);
	a->cache_platform = a->cache_room = a->cache_suggested = NULL;
}

/* The incident whose channel is the event's room, or 0. */
static int room_incident(struct app *a, const char *platform, const char *room,
			 int64_t *id)
{
	int rc;

	if (a->cache_room && !strcmp(a->cache_room, room) &&
	    !strcmp(a->cache_platform, platform)) {
		*id = a->cache_incident;
		return 0;
	}
	rc = store_incident_by_room(a->st, platform, room, id);
	if (rc == SCRIBE_ENOTFOUND) {
		*id = 0;
		rc = 0;
	}
	if (rc)
		return rc;
	forget_room(a);
	a->cache_platform = xstrdup(platform);
	a->cache_room = xstrdup(room);
	a->cache_incident = *id;
	return 0;
}

static void set_error(struct app_result *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct app_result *res, int status, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (!res)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->status = status;
	free(res->error);
	res->error = xstrdup(msg);
}

/* What the core is told about an event: who, where, when, and with which
 * configuration and playbooks. The caller adds what a command needs. */
static struct core_env core_env_for(const struct app *a,
				    const struct chat_event *ev)
{
	struct core_env env = {
	    .cfg = a->cfg,
	    .now = ev->ts,
	    .platform = ev->platform,
	    .room = ev->room,
	    .speaker = ev->author,
	    .playbooks = a->playbooks,
	};

	return env;
}

/* ---- commands ---------------------------------------------------------- */

/* Queues the core's posts. A post to the incident's channel goes to the
 * incident's platform; a reply goes where the command was typed. */
static int queue_posts(struct app *a, const struct chat_event *ev,
		       const struct effects *fx)
{
	size_t i;
	int rc;

	for (i = 0; i < fx->nposts; i++) {
		const struct fx_post *p = &fx->posts[i];
		const struct incident *inc = fx->inc;
		bool own = !p->room;

		rc = store_outbox_add(a->st, inc ? inc->id : 0,
				      own ? inc->platform : ev->platform,
				      own ? inc->room : p->room, p->to_user,
				      p->link && inc ? "announce" : "message",
				      p->text, ev->ts);
		if (rc)
			return rc;
	}
	return 0;
}

/* What a platform needs to make an incident's channel: its name (a
 * slug), its title ("INC-3 Orders db"), its topic, its commander (who
 * gets moderator rights where a platform has them) and who to invite
 * (the declarer and the platform's configured responders), as JSON for
 * the "create_room" outbox row. */
static char *room_request(const struct app *a, const struct incident *inc)
{
	cJSON *o = cJSON_CreateObject(), *who = cJSON_CreateArray();
	char *topic = core_topic(inc), *json, *out;
	char **responders = NULL;
	size_t n = 0, i;

	if (!strcmp(inc->platform, "slack")) {
		responders = a->cfg->slack.responders;
		n = a->cfg->slack.nresponders;
	} else if (!strcmp(inc->platform, "matrix")) {
		responders = a->cfg->matrix.responders;
		n = a->cfg->matrix.nresponders;
	}
	const char *commander = inc->declared_by.id;
	char title[512];

	for (i = 0; i < inc->nroles; i++)
		if (!strcmp(inc->roles[i].role, "commander"))
			commander = inc->roles[i].who.id;
	snprintf(title, sizeof(title), "INC-%lld %s", (long long)inc->id,
		 inc->title);
	cJSON_AddStringToObject(o, "name", inc->channel);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "topic", topic);
	cJSON_AddStringToObject(o, "commander", commander);
	cJSON_AddItemToArray(who, cJSON_CreateString(inc->declared_by.id));
	for (i = 0; i < n; i++)
		if (strcmp(responders[i], inc->declared_by.id))
			cJSON_AddItemToArray(who,
					     cJSON_CreateString(responders[i]));
	cJSON_AddItemToObject(o, "invite", who);
	json = cJSON_PrintUnformatted(o);
	out = xstrdup(json ? json : "{}");
	cJSON_free(json);
	cJSON_Delete(o);
	free(topic);
	return out;
}

static int record_context(struct app *a, const struct chat_event *ev,
			  const struct incident *inc);

static int record_effects(struct app *a, const struct chat_event *ev,
			  struct effects *fx, int64_t command_entry,
			  struct app_result *res)
{
	struct incident *inc = fx->inc;
	struct chat *t;
	size_t i;
	int rc;

	if (fx->created) {
		t = transport(a, inc->platform);
		if (t && t->ops->room_for_channel)
			inc->room = t->ops->room_for_channel(t, inc->channel);
		rc = store_incident_save(a->st, inc, true);
		if (rc)
			return rc;
		if (command_entry) {
			rc = store_timeline_set_incident(a->st, command_entry,
							 inc->id);
			if (rc)
				return rc;
		}
		if (!inc->room) {
			char *body = room_request(a, inc);

			rc = store_outbox_add(a->st, inc->id, inc->platform,
					      NULL, NULL, "create_room", body,
					      ev->ts);
			free(body);
			if (rc)
				return rc;
		}
		forget_room(a);
		if (res && inc->room)
			res->moved_to = xstrdup(inc->room);
	} else if (inc) {
		rc = store_incident_save(a->st, inc, false);
		if (rc)
			return rc;
		/* A command may have changed what was suggested. */
		free(a->cache_suggested);
		a->cache_suggested = NULL;
	}
	/* The entries before the postmortem snapshot, which covers them. */
	for (i = 0; i < fx->nentries; i++) {
		const struct fx_entry *e = &fx->entries[i];
		struct store_entry se = {
		    .incident_id = inc ? inc->id : 0,
		    .kind = e->kind,
		    .at = e->at,
		    .platform = ev->platform,
		    .room = inc && inc->room ? inc->room : ev->room,
		    .who = &e->who,
		    .text = e->text,
		    .key = e->key,
		};

		rc = store_timeline_add(a->st, &se, NULL);
		if (rc)
			return rc;
	}
	/* A new incident's context, before the snapshot and the posts. */
	if (fx->created) {
		rc = record_context(a, ev, inc);
		if (rc)
			return rc;
	}
	rc = queue_posts(a, ev, fx);
	if (!rc && fx->write_postmortem) {
		char rev[16];

		snprintf(rev, sizeof(rev), "%d", inc->revision);
		rc = publish_snapshot(a->st, inc, ev->ts);
		if (!rc)
			rc = store_outbox_add(a->st, inc->id, inc->platform,
					      NULL, NULL, "postmortem", rev,
					      ev->ts);
	}
	if (!rc && fx->draft_postmortem)
		rc = store_outbox_add(a->st, inc->id, ev->platform, ev->room,
				      NULL, "draft", "", ev->ts);
	return rc;
}

/* The transport's follow-up of an event that was recorded (and, for a
 * command, accepted): an outbox row it gets back after the commit. */
static int queue_follow_up(struct app *a, const struct chat_event *ev,
			   int64_t incident)
{
	if (!ev->follow_up)
		return 0;
	return store_outbox_add(a->st, incident, ev->platform, ev->room, NULL,
				"follow_up", ev->follow_up, ev->ts);
}

static int run_command(struct app *a, const struct chat_event *ev,
		       const char *line, int64_t room_inc,
		       int64_t command_entry, struct app_result *res)
{
	struct core_req req;
	struct core_env env = core_env_for(a, ev);
	struct effects fx = {0};
	struct incident inc = {0}, *open = NULL;
	struct timeline_row *rows = NULL;
	size_t nrows = 0, nopen = 0;
	int64_t id;
	int rc = 0;

	core_parse(&req, line);
	id = req.inc_ref ? req.inc_ref : room_inc;
	if ((req.need & NEED_INCIDENT) && id) {
		rc = store_incident_load(a->st, id, &inc);
		if (rc == 0)
			env.inc = &inc;
		else if (rc != SCRIBE_ENOTFOUND)
			goto out;
	}
	if ((req.need & NEED_TIMELINE) && env.inc && req.timeline_count > 0) {
		rc = store_timeline_tail(a->st, id, req.timeline_count, &rows,
					 &nrows);
		if (rc)
			goto out;
		env.rows = rows;
		env.nrows = nrows;
	}
	if (req.need & NEED_OPEN_LIST) {
		rc = store_incidents_open(a->st, &open, &nopen);
		if (rc)
			goto out;
		env.open = open;
		env.nopen = nopen;
	}
	rc = store_next_incident_id(a->st, &env.next_id);
	if (rc)
		goto out;

	if (core_run(&req, &env, &fx)) {
		/* Refused: the core changed nothing; only its reply that
		 * says why is kept. */
		a->refused++;
		rc = queue_posts(a, ev, &fx);
		set_error(res, SCRIBE_EINVAL, "%s",
			  fx.nposts ? fx.posts[0].text : "refused");
	} else {
		rc = record_effects(a, ev, &fx, command_entry, res);
		if (!rc)
			rc = queue_follow_up(a, ev, fx.inc ? fx.inc->id : id);
		if (fx.inc)
			a->remind_next = -1; /* its reminders may have moved */
	}
out:
	effects_release(&fx);
	incident_release(&inc);
	store_rows_free(rows, nrows);
	store_incidents_free(open, nopen);
	core_req_release(&req);
	return rc;
}

/* A message in an incident channel that matches a playbook's keywords:
 * the core suggests the playbooks not suggested yet. The keyword scan is
 * cheap; the incident is loaded only when it finds something. */
static int message_suggest(struct app *a, const struct chat_event *ev,
			   int64_t incident, const char *text)
{
	struct core_env env = core_env_for(a, ev);
	struct effects fx = {0};
	struct incident inc;
	int rc;

	/* One scan of the words; the incident is loaded only when there is
	 * something new to suggest: in a long incident, most matches were
	 * suggested long ago. */
	if (!core_would_suggest(a->playbooks,
				a->cache_suggested ? a->cache_suggested : "",
				text))
		return 0;
	rc = store_incident_load(a->st, incident, &inc);
	if (rc)
		return rc;
	env.inc = &inc;
	if (core_message(&env, text, &fx))
		rc = record_effects(a, ev, &fx, 0, NULL);
	free(a->cache_suggested);
	a->cache_suggested = xstrdup(inc.suggested ? inc.suggested : "");
	effects_release(&fx);
	incident_release(&inc);
	return rc;
}

/* ---- events ------------------------------------------------------------ */

/* Finds the message an edit, delete or reaction is about. */
static int find_ref(struct app *a, const struct chat_event *ev, int64_t *id,
		    bool *deleted, struct app_result *res)
{
	int rc;

	if (!ev->ref || !*ev->ref) {
		set_error(res, SCRIBE_EINVAL, "it does not say which message");
		return SCRIBE_EINVAL;
	}
	rc = store_message_find(a->st, ev->platform, ev->room, ev->ref, id,
				NULL, deleted);
	if (rc == SCRIBE_ENOTFOUND)
		set_error(res, SCRIBE_EINVAL,
			  "there is no message '%.80s' here", ev->ref);
	return rc == SCRIBE_ENOTFOUND ? SCRIBE_EINVAL : rc;
}

static int record_change(struct app *a, const struct chat_event *ev,
			 int64_t incident, const char *text, bool cut,
			 struct app_result *res)
{
	static const enum entry_kind kinds[] = {
	    [CHAT_EDIT] = ENTRY_EDIT,
	    [CHAT_DELETE] = ENTRY_DELETE,
	    [CHAT_REACTION] = ENTRY_REACTION,
	};
	struct store_entry se = {
	    .incident_id = incident,
	    .kind = kinds[ev->kind],
	    .at = ev->ts,
	    .platform = ev->platform,
	    .room = ev->room,
	    .source_id = ev->id,
	    .who = &ev->author,
	    .text = ev->kind == CHAT_REACTION ? ev->emoji : text,
	    .truncated = cut,
	};
	bool deleted = false;
	int64_t target;
	int rc;

	/* A redelivered change is a duplicate before it is anything else. */
	if (ev->id && !store_message_find(a->st, ev->platform, ev->room, ev->id,
					  &target, NULL, NULL))
		return SCRIBE_EDUP;
	if (ev->kind == CHAT_REACTION && (!ev->emoji || !*ev->emoji)) {
		set_error(res, SCRIBE_EINVAL, "a reaction needs an emoji");
		return SCRIBE_EINVAL;
	}
	rc = find_ref(a, ev, &target, &deleted, res);
	if (rc)
		return rc;
	if (deleted && ev->kind != CHAT_REACTION) {
		set_error(res, SCRIBE_EINVAL, "message '%.80s' was deleted",
			  ev->ref);
		return SCRIBE_EINVAL;
	}
	se.ref_id = target;
	rc = store_timeline_add(a->st, &se, NULL);
	if (!rc)
		rc = queue_follow_up(a, ev, incident);
	if (rc)
		return rc;
	switch (ev->kind) {
	case CHAT_EDIT:
		return store_message_edit(a->st, target, text, cut, ev->ts);
	case CHAT_DELETE:
		return store_message_delete(a->st, target, ev->ts,
					    ev->author.name);
	default:
		if (!strcmp(ev->emoji, PIN_EMOJI) ||
		    !strcasecmp(ev->emoji, "pushpin") ||
		    !strcasecmp(ev->emoji, ":pushpin:"))
			return store_entry_set_key(a->st, target);
		return 0;
	}
}

/* A command seen before is not run again; but if it declared an incident,
 * whoever replays it still moves into that incident's channel. */
static void moved_by_duplicate(struct app *a, const struct chat_event *ev,
			       struct app_result *res)
{
	struct incident inc;
	int64_t entry, id;

	if (!res ||
	    store_message_find(a->st, ev->platform, ev->room, ev->id, &entry,
			       &id, NULL) ||
	    !id || store_incident_load(a->st, id, &inc))
		return;
	if (inc.room && inc.origin_room && !strcmp(inc.origin_room, ev->room) &&
	    inc.marks[MARK_DECLARED] == ev->ts)
		res->moved_to = xstrdup(inc.room);
	incident_release(&inc);
}

/* A message outside incident channels: not recorded, only remembered for
 * a while as the context of a declare that may follow (backlog.h). */
static void not_kept(struct app *a, const struct chat_event *ev,
		     const char *text, struct app_result *res)
{
	if (res)
		res->ignored = true;
	if (ev->kind == CHAT_MESSAGE || ev->kind == CHAT_FILE)
		backlog_note(&a->backlog, ev->platform, ev->room, ev->id,
			     &ev->author, ev->ts,
			     *text || !ev->file_name ? text : ev->file_name);
}

struct context_copy {
	struct app *a;
	const struct chat_event *ev;
	const struct incident *inc;
};

static int copy_context(void *ud, const struct backlog_msg *m)
{
	struct context_copy *cc = ud;
	char *source = xasprintf("ctx:%lld:%s", (long long)cc->inc->id, m->id);
	struct store_entry se = {
	    .incident_id = cc->inc->id,
	    .kind = ENTRY_CONTEXT,
	    .at = m->ts,
	    .platform = cc->ev->platform,
	    .room = cc->inc->origin_room,
	    .source_id = source,
	    .who = &m->who,
	    .text = m->text,
	};
	int rc = store_timeline_add(cc->a->st, &se, NULL);

	free(source);
	return rc == SCRIBE_EDUP ? 0 : rc;
}

/* A new incident takes what was said in its origin channel during the
 * context_before window before the declare, as context entries. Never
 * from a direct message: what was said there was not said in public. */
static int record_context(struct app *a, const struct chat_event *ev,
			  const struct incident *inc)
{
	struct context_copy cc = {a, ev, inc};

	if (!a->cfg->context_before_ms || !inc->origin_room ||
	    chat_room_is_direct(ev->platform, inc->origin_room))
		return 0;
	return backlog_each(&a->backlog, ev->platform, inc->origin_room,
			    ev->ts - a->cfg->context_before_ms, ev->ts,
			    copy_context, &cc);
}

static int handle(struct app *a, const struct chat_event *ev,
		  struct app_result *res)
{
	const char *line = NULL;
	int64_t incident, entry_id = 0;
	struct chat_event named;
	char *text, *kept = NULL;
	bool cut;
	int rc;

	if (!ev->author.id || !*ev->author.id || !ev->room || !*ev->room) {
		set_error(res, SCRIBE_EINVAL,
			  "an event needs a room and an "
			  "author");
		return SCRIBE_EINVAL;
	}
	if (!ev->author.name || !*ev->author.name) {
		/* The transport does not know the name (yet): the one kept
		 * from earlier, or the id until it is learned. */
		rc = store_user_name(a->st, ev->platform, ev->author.id, &kept);
		if (rc)
			return rc;
		named = *ev;
		named.author.name = kept ? kept : ev->author.id;
		ev = &named;
	}
	text = text_clean(ev->text ? ev->text : "", ev->text ? ev->len : 0,
			  a->cfg->message_max, &cut);
	rc = room_incident(a, ev->platform, ev->room, &incident);
	if (rc)
		goto out;
	if (ev->kind == CHAT_EDIT || ev->kind == CHAT_DELETE ||
	    ev->kind == CHAT_REACTION) {
		if (incident)
			rc = record_change(a, ev, incident, text, cut, res);
		else if (res)
			res->ignored = true;
		goto out;
	}
	if (ev->kind == CHAT_COMMAND)
		line = text;
	else if (ev->kind == CHAT_MESSAGE)
		line = core_command_text(text);
	if (incident || line) {
		struct store_entry se = {
		    .incident_id = incident,
		    .kind = line                    ? ENTRY_COMMAND
			    : ev->kind == CHAT_FILE ? ENTRY_FILE
						    : ENTRY_MESSAGE,
		    .at = ev->ts,
		    .platform = ev->platform,
		    .room = ev->room,
		    .source_id = ev->id,
		    .who = &ev->author,
		    .text = text,
		    .thread = ev->thread,
		    .truncated = cut,
		};

		if (ev->kind == CHAT_FILE && !*text && ev->file_name)
			se.text = ev->file_name;
		rc = store_timeline_add(a->st, &se, &entry_id);
		if (rc == SCRIBE_EDUP && line)
			moved_by_duplicate(a, ev, res);
		if (rc)
			goto out;
		if (ev->kind == CHAT_FILE) {
			rc = store_file_add(a->st, entry_id, ev->file_name,
					    ev->file_type, ev->file_url);
			if (rc)
				goto out;
		}
		if (!line) {
			rc = queue_follow_up(a, ev, incident);
			if (rc)
				goto out;
		}
	}
	if (line)
		rc = run_command(a, ev, line, incident, entry_id, res);
	else if (!incident)
		not_kept(a, ev, text, res);
	else if (incident && ev->kind != CHAT_MEMBER)
		rc = message_suggest(a, ev, incident, text);
out:
	free(text);
	free(kept);
	return rc;
}

/* Queues an ack for the batch's commit. */
static void add_ack(struct app *a, void (*ack)(void *ud, int status), void *ud,
		    enum metrics_platform platform)
{
	ALLOC_GROW(a->acks, a->nacks + 1, a->acks_cap);
	a->acks[a->nacks].ack = ack;
	a->acks[a->nacks].ud = ud;
	a->acks[a->nacks].platform = platform;
	a->acks[a->nacks].received_ns = a->loop ? uv_hrtime() : 0;
	a->nacks++;
}

int app_event(struct app *a, const struct chat_event *ev,
	      struct app_result *res)
{
	struct app_result local;
	enum metrics_outcome o = MO_RECORDED;
	int rc;

	/* The outcome is counted for /metrics even when the caller does
	 * not ask for it. */
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	rc = batch_open(a);
	if (rc)
		goto out;
	/* Without a loop (a replay), time is the transcript's: what was due
	 * before this event is reminded first. */
	if (!a->loop)
		rc = app_remind(a, ev->ts);
	if (!rc)
		rc = handle(a, ev, res);
	if (rc == SCRIBE_EDUP) {
		a->duplicates++;
		res->status = SCRIBE_EDUP;
		o = MO_DUPLICATE;
		rc = 0;
	} else if (rc == SCRIBE_EINVAL) {
		o = MO_INVALID;
		rc = 0; /* res says why; nothing was written */
	} else if (rc) {
		/* The store failed: drop the batch; nothing was acked. */
		store_rollback(a->st);
		forget_room(a);
		a->nacks = 0;
		goto out;
	} else if (res->ignored) {
		o = MO_IGNORED;
	}
	metrics_event(ev->platform, (int)ev->kind, o);
	a->events++;
	a->batch++;
	if (ev->ack)
		add_ack(a, ev->ack, ev->ack_ud, metrics_platform(ev->platform));
out:
	if (res == &local)
		app_result_release(&local);
	return rc;
}

/* ---- after the commit -------------------------------------------------- */

/* The room of an outbox row: its own, or its incident's. NULL while the
 * incident's room does not exist yet. */
static char *row_room(struct app *a, const struct outbox_row *row)
{
	struct incident inc;
	char *room = NULL;

	if (row->room)
		return xstrdup(row->room);
	if (row->incident_id &&
	    !store_incident_load(a->st, row->incident_id, &inc)) {
		room = inc.room ? xstrdup(inc.room) : NULL;
		incident_release(&inc);
	}
	return room;
}

/* An announcement's text with the link of its incident's room appended,
 * or NULL while that room does not exist yet. */
static char *announce_text(struct app *a, struct chat *t,
			   const struct outbox_row *row)
{
	char *room = NULL, *alias = NULL, *link, *text = NULL;

	if (store_incident_room(a->st, row->incident_id, &room, &alias) ||
	    !room) {
		free(room);
		free(alias);
		return NULL;
	}
	link = t->ops->room_link ? t->ops->room_link(t, room, alias)
				 : xstrdup(room);
	text = xasprintf("%s%s", row->body, link);
	free(link);
	free(room);
	free(alias);
	return text;
}

/* Renders a postmortem row ("postmortem": revision N, written to its
 * file first; "draft": the live incident) and hands the document to the
 * transport as the row's body. */
static int deliver_postmortem(struct app *a, struct chat *t,
			      const struct outbox_row *row, const char *room,
			      int64_t now)
{
	struct outbox_row doc = *row;
	char err[512] = "", *path = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc, rev = 0;

	if (!strcmp(row->kind, "postmortem")) {
		rev = (int)strtol(row->body, NULL, 10);
		rc = publish_write(a->st, a->cfg, row->incident_id, rev, &path,
				   err, sizeof(err));
		if (rc) {
			log_error("postmortem of INC-%lld: %s",
				  (long long)row->incident_id, err);
			return rc;
		}
		log_info("INC-%lld: postmortem written to %s",
			 (long long)row->incident_id, path);
	}
	if (path) {
		/* The document is the file just written: read it back rather
		 * than render the whole incident a second time. */
		f = fopen(path, "rb");
		rc = f ? 0 : SCRIBE_EIO;
		if (f) {
			struct buf b;
			char chunk[65536];
			size_t n;

			buf_init(&b, BUF_UNBOUNDED);
			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
				buf_add(&b, chunk, n);
			if (ferror(f))
				rc = SCRIBE_EIO;
			fclose(f);
			text = buf_detach(&b, &len);
		}
		if (rc)
			snprintf(err, sizeof(err), "%s: cannot read it back",
				 path);
	} else {
		f = open_memstream(&text, &len);
		if (!f)
			return SCRIBE_ENOMEM;
		rc = publish_render(a->st, a->cfg, row->incident_id,
				    PUBLISH_DRAFT, PUBLISH_MD, now, f, err,
				    sizeof(err));
		fclose(f);
	}
	if (!rc) {
		doc.body = text;
		doc.file_name = path ? strrchr(path, '/') + 1 : "draft.md";
		rc = t->ops->deliver(t, &doc, room);
	} else {
		log_error("postmortem of INC-%lld: %s",
			  (long long)row->incident_id, err);
	}
	free(text);
	free(path);
	return rc;
}

static bool inflight(const struct app *a, int64_t id)
{
	size_t i;

	for (i = 0; i < a->ninflight; i++)
		if (a->inflight[i] == id)
			return true;
	return false;
}

static void inflight_remove(struct app *a, int64_t id)
{
	size_t i;

	for (i = 0; i < a->ninflight; i++)
		if (a->inflight[i] == id) {
			a->inflight[i] = a->inflight[--a->ninflight];
			return;
		}
}

/* Retries wait 1 s, 2 s, 4 s, ... up to 5 minutes. */

/* Writes outcomes: inside the open batch when there is one (it commits
 * with it), else in a transaction of their own. */
static void arm_retry(struct app *a, int64_t due, int64_t now);

static int outcome(struct app *a, int64_t id, int rc, int attempts,
		   int64_t retry_ms, int64_t now)
{
	bool own = !store_in_transaction(a->st);
	int64_t due =
	    now + (retry_ms > 0 ? retry_ms
				: backoff_ms(attempts, 1000, 300000, false));
	int err;

	if (own && (err = store_begin(a->st)))
		return err;
	metrics_delivery(rc ? MD_RETRY : MD_SENT);
	if (!rc) {
		err = store_outbox_sent(a->st, id, now);
	} else {
		err = store_outbox_retry(a->st, id, due, scribe_strerror(rc));
		arm_retry(a, due, now);
	}
	if (own) {
		if (!err)
			err = store_commit(a->st);
		else
			store_rollback(a->st);
	}
	return err;
}

static void on_retry(uv_timer_t *h)
{
	struct app *a = h->data;

	a->retry_due = 0;
	app_flush(a);
}

/* Delivers the outbox again at due (UTC ms), unless it is armed sooner. */
static void arm_retry(struct app *a, int64_t due, int64_t now)
{
	if (!a->loop || (a->retry_due && a->retry_due <= due))
		return;
	a->retry_due = due;
	uv_timer_start(&a->retry, on_retry,
		       (uint64_t)(due > now ? due - now : 0), 0);
}

/* After a start: rows left waiting by an earlier run get their timer. */
static void schedule_retry(struct app *a, int64_t now)
{
	int64_t due;
	size_t i;

	for (i = 0; i < a->ntransports; i++)
		if (!store_outbox_next_due(a->st, a->transports[i]->ops->name,
					   &due) &&
		    due > now)
			arm_retry(a, due, now);
}

static int deliver(struct app *a, struct chat *t, int64_t now)
{
	struct outbox_row *rows;
	size_t n, i, offered = 0;
	bool own;
	char *room;
	int rc;

	rc =
	    store_outbox_due(a->st, t->ops->name, now, OUTBOX_BATCH, &rows, &n);
	if (rc || !n)
		return rc;
	/* One transaction for the outcomes of the whole batch. */
	own = !store_in_transaction(a->st);
	if (own && (rc = store_begin(a->st))) {
		store_outbox_free(rows, n);
		return rc;
	}
	for (i = 0; i < n && !rc; i++) {
		const struct outbox_row *row = &rows[i];

		if (inflight(a, row->id))
			continue;
		room = row_room(a, row);
		/* Rows for a channel that does not exist yet wait for
		 * app_room_created(). */
		if (!room && strcmp(row->kind, "create_room")) {
			free(room);
			continue;
		}
		if (!strcmp(row->kind, "announce")) {
			struct outbox_row msg = *row;

			/* It links to the incident's room: it waits for it. */
			msg.body = announce_text(a, t, row);
			if (!msg.body) {
				free(room);
				continue;
			}
			msg.kind = "message";
			offered++;
			rc = t->ops->deliver(t, &msg, room);
			free(msg.body);
		} else if (!strcmp(row->kind, "postmortem") ||
			   !strcmp(row->kind, "draft")) {
			offered++;
			rc = deliver_postmortem(a, t, row, room, now);
		} else {
			offered++;
			rc = t->ops->deliver(t, row, room);
		}
		free(room);
		if (rc == SCRIBE_EPENDING) {
			ALLOC_GROW(a->inflight, a->ninflight + 1,
				   a->inflight_cap);
			a->inflight[a->ninflight++] = row->id;
			rc = 0;
		} else {
			rc = outcome(a, row->id, rc, row->attempts, 0, now);
		}
	}
	store_outbox_free(rows, n);
	if (own) {
		if (!rc)
			rc = store_commit(a->st);
		else
			store_rollback(a->st);
	}
	if (!rc && n == OUTBOX_BATCH && offered)
		return deliver(a, t, now);
	return rc;
}

void app_delivered(struct app *a, int64_t row_id, int rc, int64_t retry_ms)
{
	int64_t now = wall_ms();

	inflight_remove(a, row_id);
	if (outcome(a, row_id, rc, 0, retry_ms, now))
		log_error("outbox row %lld: %s", (long long)row_id,
			  store_errmsg(a->st));
}

int app_open_rooms(struct app *a, const char *platform, char ***rooms,
		   size_t *n)
{
	struct incident *open;
	size_t nopen, i, cap = 0;
	int rc;

	*rooms = NULL;
	*n = 0;
	rc = store_incidents_open(a->st, &open, &nopen);
	if (rc)
		return rc;
	for (i = 0; i < nopen; i++) {
		if (!open[i].room || strcmp(open[i].platform, platform))
			continue;
		ALLOC_GROW(*rooms, *n + 1, cap);
		(*rooms)[(*n)++] = xstrdup(open[i].room);
	}
	store_incidents_free(open, nopen);
	return 0;
}

int64_t app_room_last_at(struct app *a, const char *platform, const char *room)
{
	int64_t ms = 0;

	if (store_room_last_at(a->st, platform, room, &ms))
		return 0;
	return ms;
}

int app_user_named(struct app *a, const char *platform, const char *id,
		   const char *name)
{
	int rc = batch_open(a);

	return rc ? rc : store_user_named(a->st, platform, id, name);
}

char *app_user_name(struct app *a, const char *platform, const char *id)
{
	char *name = NULL;

	if (store_user_name(a->st, platform, id, &name))
		return NULL;
	return name;
}

int app_gap(struct app *a, const char *platform, const char *room, int64_t at,
	    const char *why)
{
	struct user scribe = {.id = "scribe", .name = "Scribe"};
	struct store_entry se = {
	    .kind = ENTRY_GAP,
	    .at = at,
	    .platform = platform,
	    .room = room,
	    .who = &scribe,
	    .text = why,
	    .key = true,
	};
	int64_t incident;
	int rc;

	rc = batch_open(a);
	if (!rc)
		rc = room_incident(a, platform, room, &incident);
	if (rc || !incident)
		return rc;
	se.incident_id = incident;
	metrics_gap(platform);
	log_warn("%s %s: %s", platform, room, why);
	return store_timeline_add(a->st, &se, NULL);
}

int app_cursor(struct app *a, const char *key, const char *value,
	       void (*ack)(void *ud, int status), void *ud)
{
	int rc = batch_open(a);

	if (!rc)
		rc = store_cursor_set(a->st, key, value, wall_ms());
	if (rc)
		return rc;
	if (ack) {
		/* A cursor's key starts with its platform ("matrix.since"). */
		char platform[16];

		snprintf(platform, sizeof(platform), "%.*s",
			 (int)strcspn(key, "."), key);
		add_ack(a, ack, ud, metrics_platform(platform));
	}
	return 0;
}

int app_post(struct app *a, const char *platform, const char *room,
	     const char *text)
{
	int rc = batch_open(a);

	return rc ? rc
		  : store_outbox_add(a->st, 0, platform, room, NULL, "message",
				     text, wall_ms());
}

int app_room_created(struct app *a, int64_t incident_id, const char *room,
		     const char *alias)
{
	bool own = !store_in_transaction(a->st);
	int rc;

	if (own && (rc = store_begin(a->st)))
		return rc;
	rc = store_incident_set_room(a->st, incident_id, room, alias);
	if (own) {
		if (!rc)
			rc = store_commit(a->st);
		else
			store_rollback(a->st);
	}
	forget_room(a);
	if (!rc)
		rc = app_flush(a);
	return rc;
}

/* Reminds one incident, at `at`, in the current batch. */
static int remind_one(struct app *a, int64_t id, int64_t at)
{
	struct user scribe = {.id = "scribe", .name = "Scribe"};
	struct core_env env = {.cfg = a->cfg, .now = at, .speaker = scribe};
	struct chat_event ev = {.ts = at};
	struct effects fx = {0};
	struct incident inc;
	int rc = store_incident_load(a->st, id, &inc);

	if (rc)
		return rc;
	env.inc = &inc;
	env.platform = ev.platform = inc.platform;
	env.room = ev.room = inc.room ? inc.room : "";
	core_remind(&env, &fx);
	rc = record_effects(a, &ev, &fx, 0, NULL);
	effects_release(&fx);
	incident_release(&inc);
	return rc;
}

/* A reminder storm after a long pause in a transcript stops here. */
#define REMIND_MAX 1000

int app_remind(struct app *a, int64_t now)
{
	struct incident *list;
	size_t n, i, sent = 0;
	int64_t due, next = 0;
	int rc;

	if (!a->remind_next || (a->remind_next > 0 && a->remind_next > now))
		return 0;
	rc = store_reminders_open(a->st, &list, &n);
	for (i = 0; i < n && !rc; i++) {
		struct incident *inc = &list[i];

		while ((due = core_remind_due(a->cfg, inc)) && due <= now &&
		       sent < REMIND_MAX && !rc) {
			/* On a loop, one reminder now for what was missed;
			 * a transcript shows each at its time. */
			int64_t at = a->loop ? now : due;

			rc = batch_open(a);
			if (!rc)
				rc = remind_one(a, inc->id, at);
			inc->remind.reminded = at;
			sent++;
		}
		if (due && (!next || due < next))
			next = due;
	}
	store_incidents_free(list, n);
	a->remind_next = rc ? -1 : next;
	return rc;
}

static void on_remind(uv_timer_t *h)
{
	app_flush(h->data);
}

/* On a loop: reminders due now join the batch, and the timer is set for
 * the next one. */
static int remind_tick(struct app *a)
{
	int64_t now = wall_ms();
	int rc = 0;

	if (a->remind_next < 0 || (a->remind_next && a->remind_next <= now)) {
		rc = app_remind(a, now);
		uv_timer_stop(&a->remind);
	}
	/* The timer counts from the loop's cached time, which may lag the
	 * clock: one that fired a little early is set again. */
	if (a->remind_next > 0 && !uv_is_active((uv_handle_t *)&a->remind))
		uv_timer_start(
		    &a->remind, on_remind,
		    (uint64_t)(a->remind_next > now ? a->remind_next - now : 0),
		    0);
	return rc;
}

int app_flush(struct app *a)
{
	int64_t now;
	size_t i;
	int rc = 0;

	if (a->loop && (rc = remind_tick(a))) {
		/* Half a reminder is not committed: the batch goes. */
		log_error("reminders: %s", store_errmsg(a->st));
		if (store_in_transaction(a->st))
			store_rollback(a->st);
		forget_room(a);
		for (i = 0; i < a->nacks; i++)
			a->acks[i].ack(a->acks[i].ud, rc);
		a->nacks = 0;
		a->batch = 0;
		return rc;
	}

	if (a->flusher_on) {
		uv_check_stop(&a->flusher);
		a->flusher_on = false;
	}
	if (a->linger_on) {
		uv_idle_stop(&a->linger);
		a->linger_on = false;
	}
	if (store_in_transaction(a->st)) {
		uint64_t t0 = uv_hrtime(), t1;

		rc = store_commit(a->st);
		t1 = uv_hrtime();
		metrics_commit(!rc, t1 - t0, a->batch);
		if (rc) {
			/* Its events are not acked: the platform sends them
			 * again, and the first commit that works resumes. */
			if (!a->store_failing)
				log_error("store: cannot commit (%s): events "
					  "are not acknowledged until it can",
					  store_errmsg(a->st));
			a->store_failing = true;
			a->commit_failures++;
			store_rollback(a->st);
			forget_room(a);
		} else if (a->store_failing) {
			log_info("store: commits work again after %llu "
				 "failed",
				 (unsigned long long)a->commit_failures);
			a->store_failing = false;
		}
		for (i = 0; i < a->nacks; i++) {
			if (!rc && a->acks[i].received_ns)
				metrics_ack(
				    (enum metrics_platform)a->acks[i].platform,
				    t1 - a->acks[i].received_ns);
			a->acks[i].ack(a->acks[i].ud, rc);
		}
		a->nacks = 0;
		a->batch = 0;
		if (rc)
			return rc;
		/* After the acks: the WAL's size decides whether the
		 * checkpointer thread is woken (see store/wal.h). */
		wal_tend(a->wal);
		if (a->loop)
			uv_timer_start(&a->wal_quiet, on_wal_idle, WAL_IDLE_MS,
				       0);
		if (a->on_commit)
			a->on_commit(a->on_commit_ud);
	}
	now = wall_ms();
	for (i = 0; i < a->ntransports && !rc; i++)
		rc = deliver(a, a->transports[i], now);
	if (!rc && !a->retry_due)
		schedule_retry(a, now);
	return rc;
}
