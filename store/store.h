/*
 * store.h - the only code that speaks SQL.
 *
 * One SQLite database in WAL mode with synchronous=FULL: a commit survives
 * a crash and a power cut. Writes happen between store_begin() and
 * store_commit() (BEGIN IMMEDIATE), and the app groups everything that
 * arrives in one turn of the loop into one transaction (group commit).
 * Migrations are the SQL files of store/migrations, compiled in and
 * tracked by PRAGMA user_version; a database newer than this binary is
 * refused. Statements are prepared once and cached.
 *
 * Every function returns 0 or a negative enum scribe_err; on
 * SCRIBE_ESTORE, store_errmsg() says what SQLite said.
 */
#ifndef SCRIBE_STORE_H
#define SCRIBE_STORE_H

#include "util/base.h"
#include "core/core.h"
#include "core/model.h"

struct store;

/* Opens (creating if needed) and migrates path. On failure *out is NULL
 * and err says why ("scribe.db: file is not a database", ...). */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
/* Opens without migrating (for `scribe db check` and the tests). */
int store_open_raw(struct store **out, const char *path, char *err,
		   size_t errlen);
void store_close(struct store *st);
const char *store_errmsg(struct store *st);

/* The schema version of the file, and the one this binary brings. */
int store_schema_version(struct store *st);
int store_latest_version(void);
/* Applies the migrations up to version `to` (each in one transaction). */
int store_migrate(struct store *st, int to, char *err, size_t errlen);
/* PRAGMA integrity_check and foreign_key_check; err gets the first
 * problem. */
int store_check(struct store *st, char *err, size_t errlen);
/* A consistent copy of the live database through the online backup API. */
int store_backup(struct store *st, const char *dest, char *err, size_t errlen);
/* ---- the write-ahead log ------------------------------------------------ *
 * The automatic checkpoint is off: store/wal.c folds the WAL back from a
 * thread of its own. After the WAL restarts from its beginning, its file
 * is cut back to STORE_WAL_LIMIT bytes (journal_size_limit). */
#define STORE_WAL_LIMIT (16 * 1024 * 1024)

/* A PASSIVE checkpoint on this connection; *backfilled (may be NULL) gets
 * how many frames of the WAL are now in the database. */
int store_checkpoint(struct store *st, int64_t *backfilled);
/* The frames in the WAL after this connection's last commit (0 after a
 * restart of the WAL that nothing was written to since). */
int64_t store_wal_frames(struct store *st);
/* The size of a WAL file holding that many frames. */
int64_t store_wal_bytes(struct store *st, int64_t frames);
/* The database file, or NULL for an in-memory store. Borrowed. */
const char *store_path(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
bool store_in_transaction(struct store *st);

/* ---- meta --------------------------------------------------------------- */

/* The random id of this database (made at first open), 16 hex digits. */
const char *store_db_id(struct store *st);

/* ---- incidents ---------------------------------------------------------- */

/* The id the next incident will take. */
int store_next_incident_id(struct store *st, int64_t *id);
/* The incident whose channel is (platform, room): SCRIBE_ENOTFOUND else. */
int store_incident_by_room(struct store *st, const char *platform,
			   const char *room, int64_t *id);
/* Loads incident id with its roles, hypotheses, lessons and actions. The
 * caller releases it with incident_release(). */
int store_incident_load(struct store *st, int64_t id, struct incident *inc);
/* Inserts (insert) or updates the incident's row when dirty, and writes its
 * dirty roles, hypotheses, lessons and actions. Clears the dirty flags.
 * Updating an incident that does not exist is SCRIBE_ENOTFOUND. */
int store_incident_save(struct store *st, struct incident *inc, bool insert);
/* The room of incident id exists: its id, and its alias (may be NULL). */
int store_incident_set_room(struct store *st, int64_t id, const char *room,
			    const char *alias);
/* The room of incident id and its alias (each NULL when unknown; the
 * caller frees them). */
int store_incident_room(struct store *st, int64_t id, char **room,
			char **alias);
/* The incidents not closed, with what their reminders need: id, platform,
 * severity, status, the declared and resolved marks and the reminder
 * state. Free with store_incidents_free(). */
int store_reminders_open(struct store *st, struct incident **list, size_t *n);
/* The incidents not closed, oldest first, without their children (with
 * their declared, resolved and closed marks). */
int store_incidents_open(struct store *st, struct incident **list, size_t *n);
/* Every incident declared at or after since_ms (0: all), oldest first,
 * with their declared, resolved and closed marks, without children. */
int store_incidents_list(struct store *st, int64_t since_ms,
			 struct incident **list, size_t *n);
/* A page of the dashboard's list of incidents: open ones first, then the
 * closed ones, newest first, with their marks and their commander (the only
 * role loaded), without other children. */
struct store_page {
	int state;         /* 0: all, 1: open, 2: closed */
	int severity;      /* N of sev<N>, 0: any */
	const char *words; /* in the title, as typed; NULL or "": any */
	int64_t limit, offset;
};
int store_incidents_page(struct store *st, const struct store_page *q,
			 struct incident **list, size_t *n);
void store_incidents_free(struct incident *list, size_t n);

/* ---- timeline ----------------------------------------------------------- */

/* One timeline entry to record. */
struct store_entry {
	int64_t incident_id; /* 0: none (a command outside an incident) */
	enum entry_kind kind;
	int64_t at;
	const char *platform;
	const char *room;      /* "" when none */
	const char *source_id; /* the platform's id; NULL for Scribe's own */
	const struct user *who;
	const char *text;
	const char *thread; /* source id of the thread root, or NULL */
	int64_t ref_id;     /* entry edited, deleted or reacted to, or 0 */
	bool key;
	bool truncated;
};

/* Records e; *id gets the new row's id. SCRIBE_EDUP when its source id was
 * recorded before (nothing is written then). */
int store_timeline_add(struct store *st, const struct store_entry *e,
		       int64_t *id);
/* Sets the incident of an entry (a declare's own command line). */
int store_timeline_set_incident(struct store *st, int64_t entry_id,
				int64_t incident_id);
/* The entry with that source id: its id, its incident (0: none) and
 * whether it is deleted. incident and deleted may be NULL. */
int store_message_find(struct store *st, const char *platform, const char *room,
		       const char *source_id, int64_t *id, int64_t *incident,
		       bool *deleted);
/* Keeps the current text as a revision and sets the new one. */
int store_message_edit(struct store *st, int64_t id, const char *text,
		       bool truncated, int64_t at);
/* Tombstones a message: its text and revisions are cleared, who deleted it
 * and when are kept. */
int store_message_delete(struct store *st, int64_t id, int64_t at,
			 const char *by);
/* Marks an entry as a key entry (📌). */
int store_entry_set_key(struct store *st, int64_t id);
int store_file_add(struct store *st, int64_t entry_id, const char *name,
		   const char *type, const char *url);
/* The last n entries of an incident, oldest first, without the command
 * lines themselves (their typed entries say what they did); free with
 * store_rows_free(). */
int store_timeline_tail(struct store *st, int64_t incident_id, int n,
			struct timeline_row **rows, size_t *nrows);
void store_rows_free(struct timeline_row *rows, size_t n);
/* A user's display name became known (Slack's users.info, a Matrix
 * member event or profile): it is kept (users), and every place that
 * still shows them by their id now shows the name. */
int store_user_named(struct store *st, const char *platform, const char *id,
		     const char *name);
/* The kept display name of a user: *name is allocated, or NULL when none
 * is known. */
int store_user_name(struct store *st, const char *platform, const char *id,
		    char **name);

/* The time of the newest event recorded from a platform's room (0 when
 * none): where a backfill after downtime starts. */
int store_room_last_at(struct store *st, const char *platform, const char *room,
		       int64_t *ms);

/* How many timeline entries an incident has (all kinds). */
int store_timeline_count(struct store *st, int64_t incident_id, int64_t *count);

/* ---- postmortems ------------------------------------------------------- */

struct pm_source;

/* Keeps revision rev of incident id: its snapshot (JSON) and the last
 * timeline row it covers. */
int store_postmortem_add(struct store *st, int64_t id, int rev,
			 int64_t closed_ms, int64_t through_entry,
			 const char *snapshot);
/* Revision rev (0: the latest) of incident id. *snapshot is the caller's to
 * free. SCRIBE_ENOTFOUND when there is none. */
int store_postmortem_get(struct store *st, int64_t id, int *rev,
			 int64_t *closed_ms, int64_t *through_entry,
			 char **snapshot);
/* The id of the newest timeline row. */
int store_timeline_last_id(struct store *st, int64_t *id);

/* The rows of incident id up to timeline row `through`, for the
 * postmortem renderers (postmortem.h). Set src->each and src->ud. */
struct store_pm_rows {
	struct store *st;
	int64_t incident_id;
	int64_t through;
};
void store_pm_source(struct store_pm_rows *rows, struct pm_source *src);

/* ---- outbox ------------------------------------------------------------- */

struct outbox_row {
	int64_t id;
	int64_t incident_id; /* 0: none */
	char *platform;
	char *room;    /* NULL: the incident's room */
	char *to_user; /* NULL: everyone */
	char *kind;    /* "message", "create_room", "postmortem", ... */
	char *body;
	int attempts;
	/* Not stored: set by the app for a postmortem it hands over, the
	 * name of its file ("INC-3-db-errors.md"). */
	const char *file_name;
};

int store_outbox_add(struct store *st, int64_t incident_id,
		     const char *platform, const char *room,
		     const char *to_user, const char *kind, const char *body,
		     int64_t now);
/* Up to max unsent rows of platform due at now, oldest first. */
int store_outbox_due(struct store *st, const char *platform, int64_t now,
		     int max, struct outbox_row **rows, size_t *n);
void store_outbox_free(struct outbox_row *rows, size_t n);
int store_outbox_sent(struct store *st, int64_t id, int64_t now);
int store_outbox_retry(struct store *st, int64_t id, int64_t next_ms,
		       const char *error);
int store_outbox_pending(struct store *st, const char *platform,
			 int64_t *count);
/* When the next unsent row of platform is due (0: none). */
int store_outbox_next_due(struct store *st, const char *platform,
			  int64_t *next_ms);

/* ---- cursors ------------------------------------------------------------ */

/* *value is NULL when the transport has none yet; the caller frees it. */
int store_cursor_get(struct store *st, const char *transport, char **value);
int store_cursor_set(struct store *st, const char *transport, const char *value,
		     int64_t now);

/* ---- gauges (GET /metrics) ---------------------------------------------- */

#define STORE_GAUGE_ROWS 16

/* What the store holds right now: open incidents per severity, and unsent
 * outbox rows per platform with the creation time of the oldest. */
struct store_gauges {
	struct {
		int severity;
		int64_t count;
	} open[STORE_GAUGE_ROWS];
	size_t nopen;
	struct {
		char platform[16];
		int64_t count;
		int64_t oldest_ms;
	} pending[STORE_GAUGE_ROWS];
	size_t npending;
};

/* A cheap read (two grouped counts over indexed rows); also tells that
 * the store answers (GET /readyz). */
int store_gauges(struct store *st, struct store_gauges *g);

#endif
