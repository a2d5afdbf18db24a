/*
 * store.c - SQLite behind store.h: opening, migrations, checks, backup,
 * and the reads and writes of incidents, the timeline, the outbox and the
 * transport cursors.
 *
 * Statements are prepared on first use and kept in st->stmt[], indexed by
 * enum stmt_id; each use resets and clears its bindings. Nothing here
 * decides anything: the rules live in bot/core.
 */
#include <sqlite3.h>
#include <strings.h>

#include "util/base.h"
#include "util/log.h"
#include "store/store.h"
#include "core/postmortem.h"

extern const char *const store_migrations[];
extern const size_t store_migration_count;

enum stmt_id {
	Q_NEXT_ID,
	Q_INC_BY_ROOM,
	Q_INC_LOAD,
	Q_INC_INSERT,
	Q_INC_UPDATE,
	Q_INC_SET_ROOM,
	Q_INC_OPEN,
	Q_INC_LIST,
	Q_INC_PAGE,
	Q_ROLES_LOAD,
	Q_ROLE_SAVE,
	Q_HYPS_LOAD,
	Q_HYP_SAVE,
	Q_LESSONS_LOAD,
	Q_LESSON_SAVE,
	Q_ACTIONS_LOAD,
	Q_ACTION_SAVE,
	Q_RUNS_LOAD,
	Q_RUN_STEPS_LOAD,
	Q_RUN_SAVE,
	Q_RUN_STEP_SAVE,
	Q_TL_ADD,
	Q_TL_SET_INC,
	Q_MSG_FIND,
	Q_MSG_REV_ADD,
	Q_MSG_SET_TEXT,
	Q_MSG_DELETE,
	Q_MSG_DELETE_REVS,
	Q_TL_KEY,
	Q_FILE_ADD,
	Q_TL_TAIL,
	Q_TL_COUNT,
	Q_ROOM_LAST,
	Q_OUT_ADD,
	Q_OUT_DUE,
	Q_OUT_SENT,
	Q_OUT_RETRY,
	Q_OUT_PENDING,
	Q_OUT_NEXT,
	Q_PM_ADD,
	Q_PM_GET,
	Q_TL_LAST,
	Q_PM_KEY,
	Q_PM_PLAYBOOK,
	Q_PM_PEOPLE,
	Q_PM_TRANSCRIPT,
	Q_CUR_GET,
	Q_CUR_SET,
	Q_INC_ROOM,
	Q_REMIND_LOAD,
	Q_REMIND_SAVE,
	Q_REMIND_OPEN,
	Q_USER_GET,
	Q_USER_SET,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM incidents",
    [Q_INC_BY_ROOM] = "SELECT id FROM incidents WHERE platform = ? AND "
		      "room = ?",
    [Q_INC_LOAD] =
	"SELECT id, title, slug, severity, status, platform, channel, "
	"room, origin_room, declared_by_id, declared_by_name, "
	"declared_ms, started_ms, detected_ms, acknowledged_ms, "
	"mitigated_ms, resolved_ms, closed_ms, resolved_explicit, "
	"summary, impact, rootcause, resolution, conclusion, revision, "
	"current_run, suggested, identified_ms FROM incidents WHERE id = ?",
    [Q_INC_INSERT] =
	"INSERT INTO incidents (id, title, slug, severity, status, "
	"platform, channel, room, origin_room, declared_by_id, "
	"declared_by_name, declared_ms, started_ms, detected_ms, "
	"acknowledged_ms, mitigated_ms, resolved_ms, closed_ms, "
	"resolved_explicit, summary, impact, rootcause, resolution, "
	"conclusion, revision, current_run, suggested, identified_ms) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	"?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
	"?27, ?28)",
    [Q_INC_UPDATE] =
	"UPDATE incidents SET title = ?2, slug = ?3, severity = ?4, "
	"status = ?5, platform = ?6, channel = ?7, room = ?8, "
	"origin_room = ?9, declared_by_id = ?10, declared_by_name = "
	"?11, declared_ms = ?12, started_ms = ?13, detected_ms = ?14, "
	"acknowledged_ms = ?15, mitigated_ms = ?16, resolved_ms = ?17, "
	"closed_ms = ?18, resolved_explicit = ?19, summary = ?20, "
	"impact = ?21, rootcause = ?22, resolution = ?23, conclusion = "
	"?24, revision = ?25, current_run = ?26, suggested = ?27, "
	"identified_ms = ?28 WHERE id = ?1",
    [Q_INC_SET_ROOM] = "UPDATE incidents SET room = ?, room_alias = ? "
		       "WHERE id = ?",
    [Q_INC_OPEN] = "SELECT id, title, severity, status, channel, room, "
		   "platform, declared_ms, resolved_ms, closed_ms FROM "
		   "incidents WHERE closed_ms IS NULL ORDER BY id",
    [Q_INC_LIST] = "SELECT id, title, severity, status, channel, room, "
		   "platform, declared_ms, resolved_ms, closed_ms FROM "
		   "incidents WHERE declared_ms >= ? ORDER BY id",
    /* A part of the dashboard's list, newest first: the open (?1 = 1) or
     * the closed (?1 = 2) incidents of severity ?2 (0: any) with words ?3
     * in their title (a LIKE pattern, NULL: any). */
    [Q_INC_PAGE] =
	"SELECT id, title, severity, status, channel, room, platform, "
	"declared_ms, resolved_ms, closed_ms, started_ms, detected_ms, "
	"(SELECT user_name FROM roles WHERE incident_id = incidents.id AND "
	"role = 'commander') FROM incidents WHERE (?1 = 1) = (closed_ms IS "
	"NULL) AND (?2 = 0 OR severity = ?2) AND (?3 IS NULL OR title LIKE ?3 "
	"ESCAPE '\\') ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    [Q_ROLES_LOAD] = "SELECT role, user_id, user_name, at_ms FROM roles "
		     "WHERE incident_id = ? ORDER BY at_ms, role",
    [Q_ROLE_SAVE] = "INSERT OR REPLACE INTO roles VALUES (?, ?, ?, ?, ?)",
    [Q_HYPS_LOAD] = "SELECT n, text, by_id, by_name, raised_ms, state, "
		    "decided_ms, decided_by_id, decided_by_name, why FROM "
		    "hypotheses WHERE incident_id = ? ORDER BY n",
    [Q_HYP_SAVE] = "INSERT OR REPLACE INTO hypotheses VALUES (?, ?, ?, ?, "
		   "?, ?, ?, ?, ?, ?, ?)",
    [Q_LESSONS_LOAD] = "SELECT n, kind, text, by_id, by_name, at_ms FROM "
		       "lessons WHERE incident_id = ? ORDER BY n",
    [Q_LESSON_SAVE] = "INSERT OR REPLACE INTO lessons VALUES (?, ?, ?, ?, "
		      "?, ?, ?)",
    [Q_ACTIONS_LOAD] = "SELECT n, kind, text, owner_id, owner_name, "
		       "by_id, by_name, at_ms, done_ms, done_by_id, "
		       "done_by_name FROM actions WHERE incident_id = ? "
		       "ORDER BY n",
    [Q_ACTION_SAVE] = "INSERT OR REPLACE INTO actions VALUES (?, ?, ?, ?, "
		      "?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_RUNS_LOAD] = "SELECT run, playbook, title, by_id, by_name, "
		    "started_ms, finished_ms FROM playbook_runs WHERE "
		    "incident_id = ? ORDER BY run",
    [Q_RUN_STEPS_LOAD] = "SELECT n, step_id, title, state, by_id, by_name, "
			 "at_ms, note FROM playbook_steps WHERE "
			 "incident_id = ? AND run = ? ORDER BY n",
    [Q_RUN_SAVE] = "INSERT OR REPLACE INTO playbook_runs VALUES (?, ?, ?, "
		   "?, ?, ?, ?, ?)",
    [Q_RUN_STEP_SAVE] = "INSERT OR REPLACE INTO playbook_steps VALUES (?, "
			"?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_TL_ADD] = "INSERT INTO timeline (incident_id, kind, at_ms, "
		 "platform, room, source_id, author_id, author_name, "
		 "text, thread, ref_id, key, truncated) VALUES (?, ?, ?, "
		 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [Q_TL_SET_INC] = "UPDATE timeline SET incident_id = ? WHERE id = ?",
    [Q_MSG_FIND] = "SELECT id, deleted_ms IS NOT NULL, incident_id FROM "
		   "timeline "
		   "WHERE platform = ? AND room = ? AND source_id = ?",
    [Q_MSG_REV_ADD] = "INSERT INTO revisions SELECT id, edits + 1, text, "
		      "? FROM timeline WHERE id = ?",
    [Q_MSG_SET_TEXT] = "UPDATE timeline SET text = ?, truncated = ?, "
		       "edits = edits + 1 WHERE id = ?",
    [Q_MSG_DELETE] = "UPDATE timeline SET text = '', deleted_ms = ?, "
		     "deleted_by = ? WHERE id = ?",
    [Q_MSG_DELETE_REVS] = "UPDATE revisions SET text = '' WHERE "
			  "entry_id = ?",
    [Q_TL_KEY] = "UPDATE timeline SET key = 1 WHERE id = ?",
    [Q_FILE_ADD] = "INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?)",
    [Q_TL_TAIL] = "SELECT id, kind, at_ms, author_name, text, deleted_ms "
		  "IS NOT NULL FROM (SELECT * FROM timeline WHERE "
		  "incident_id = ? AND kind != 'command' ORDER BY at_ms "
		  "DESC, id DESC LIMIT ?) "
		  "ORDER BY at_ms, id",
    [Q_ROOM_LAST] = "SELECT coalesce(max(at_ms), 0) FROM timeline WHERE "
		    "platform = ? AND room = ? AND source_id IS NOT NULL "
		    "AND kind IN ('message', 'file', 'command')",
    [Q_TL_COUNT] = "SELECT count(*) FROM timeline WHERE incident_id = ?",
    [Q_OUT_ADD] = "INSERT INTO outbox (incident_id, platform, room, "
		  "to_user, kind, body, created_ms) VALUES (?, ?, ?, ?, "
		  "?, ?, ?)",
    [Q_OUT_DUE] = "SELECT id, incident_id, platform, room, to_user, kind, "
		  "body, attempts FROM outbox WHERE platform = ? AND "
		  "sent_ms IS NULL AND next_ms <= ? ORDER BY id LIMIT ?",
    [Q_OUT_SENT] = "UPDATE outbox SET sent_ms = ?, attempts = attempts + "
		   "1 WHERE id = ?",
    [Q_OUT_RETRY] = "UPDATE outbox SET next_ms = ?, attempts = attempts "
		    "+ 1, last_error = ? WHERE id = ?",
    [Q_OUT_PENDING] = "SELECT count(*) FROM outbox WHERE platform = ? AND "
		      "sent_ms IS NULL",
    [Q_PM_ADD] = "INSERT INTO postmortems VALUES (?, ?, ?, ?, ?)",
    [Q_PM_GET] = "SELECT revision, closed_ms, through_entry, snapshot FROM "
		 "postmortems WHERE incident_id = ?1 AND (revision = ?2 "
		 "OR ?2 = 0) ORDER BY revision DESC LIMIT 1",
    [Q_TL_LAST] = "SELECT coalesce(max(id), 0) FROM timeline",
    /* The postmortem's passes: see enum pm_pass. */
    /* The story is picked from these (core/story.h): every entry on
     * the postmortem's timeline and every message it may pick; the
     * commands too, so that the same pass counts the participants. */
    [Q_PM_KEY] = "SELECT kind, at_ms, author_name, text, deleted_ms, "
		 "author_id, room, key FROM timeline WHERE incident_id = ? "
		 "AND id <= ? AND (key = 1 OR kind IN ('message', 'file', "
		 "'context', 'command')) ORDER BY at_ms, id",
    /* Playbook entries are key entries: the partial index finds them. */
    [Q_PM_PLAYBOOK] = "SELECT kind, at_ms, author_name, text FROM "
		      "timeline WHERE incident_id = ? AND id <= ? AND "
		      "key = 1 AND kind = 'playbook' ORDER BY at_ms, id",
    /* What people said; someone who only typed commands counts 0. */
    [Q_PM_PEOPLE] = "SELECT author_name, sum(kind != 'command') AS n "
		    "FROM timeline WHERE incident_id = ? AND id <= ? AND "
		    "kind IN ('message', 'file', 'command') GROUP BY "
		    "author_id ORDER BY n DESC, author_name",
    [Q_PM_TRANSCRIPT] =
	"SELECT t.kind, t.at_ms, t.author_name, t.text, t.edits, "
	"t.deleted_ms, t.deleted_by, t.truncated, f.name, f.type, "
	"f.url, r.id IS NOT NULL, t.room FROM timeline t LEFT JOIN files f ON "
	"f.entry_id = t.id LEFT JOIN timeline r ON t.thread IS NOT "
	"NULL AND r.platform = t.platform AND r.room = t.room AND "
	"r.source_id = t.thread AND r.id != t.id AND r.incident_id = "
	"t.incident_id WHERE t.incident_id = ?1 AND t.id <= ?2 AND "
	"t.kind IN ('message', 'file', 'command', 'context') ORDER BY "
	"coalesce(r.at_ms, t.at_ms), coalesce(r.id, t.id), r.id IS "
	"NOT NULL, t.at_ms, t.id",
    [Q_OUT_NEXT] = "SELECT coalesce(min(next_ms), 0) FROM outbox WHERE "
		   "platform = ? AND sent_ms IS NULL",
    [Q_CUR_GET] = "SELECT value FROM cursors WHERE transport = ?",
    [Q_CUR_SET] = "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)",
    [Q_INC_ROOM] = "SELECT room, room_alias FROM incidents WHERE id = ?",
    [Q_REMIND_LOAD] = "SELECT every_ms, snooze_until_ms, last_update_ms, "
		      "reminded_ms FROM reminders WHERE incident_id = ?",
    [Q_REMIND_SAVE] = "INSERT OR REPLACE INTO reminders VALUES (?, ?, ?, "
		      "?, ?)",
    [Q_REMIND_OPEN] =
	"SELECT i.id, i.platform, i.severity, i.status, i.declared_ms, "
	"i.resolved_ms, coalesce(r.every_ms, 0), "
	"coalesce(r.snooze_until_ms, 0), coalesce(r.last_update_ms, 0), "
	"coalesce(r.reminded_ms, 0) FROM incidents i LEFT JOIN reminders r "
	"ON r.incident_id = i.id WHERE i.closed_ms IS NULL ORDER BY i.id",
    [Q_USER_GET] = "SELECT name FROM users WHERE platform = ? AND id = ?",
    [Q_USER_SET] = "INSERT OR REPLACE INTO users VALUES (?, ?, ?)",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	char db_id[17];
	int64_t wal_frames; /* in the WAL after the last commit (wal hook) */
	int page_size;
};

const char *store_errmsg(struct store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

static int fail(struct store *st, const char *what)
{
	log_error("store: %s: %s", what, store_errmsg(st));
	return SCRIBE_ESTORE;
}

/* The cached statement q, reset and ready to bind; NULL on error. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id q)
{
	sqlite3_stmt *s = st->stmt[q];

	if (!s) {
		if (sqlite3_prepare_v3(st->db, sql[q], -1,
				       SQLITE_PREPARE_PERSISTENT, &s, NULL)) {
			fail(st, sql[q]);
			return NULL;
		}
		st->stmt[q] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* 0 binds NULL: "not recorded". */
static void bind_ms(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? xstrdup((const char *)v) : NULL;
}

static void col_user(sqlite3_stmt *s, int i, struct user *u)
{
	u->id = col_dup(s, i);
	u->name = col_dup(s, i + 1);
}

/* Runs a statement that returns no rows. */
static int run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(st, what);
	return 0;
}

static int exec(struct store *st, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, q, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("store: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return SCRIBE_ESTORE;
	}
	return 0;
}

/* ---- opening and migrations ------------------------------------------ */

int store_latest_version(void)
{
	return (int)store_migration_count;
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store_migrate(struct store *st, int to, char *err, size_t errlen)
{
	int v = store_schema_version(st);
	char *msg = NULL, pragma[64];

	if (v < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return SCRIBE_ESTORE;
	}
	if (v > store_latest_version()) {
		snprintf(err, errlen,
			 "the database has schema version %d, newer than "
			 "this scribe (%d): use a newer scribe",
			 v, store_latest_version());
		return SCRIBE_EVERSION;
	}
	for (; v < to && v < store_latest_version(); v++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 v + 1);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
		    sqlite3_exec(st->db, store_migrations[v], NULL, NULL,
				 &msg) ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg)) {
			snprintf(err, errlen, "migration %d failed: %s", v + 1,
				 msg ? msg : store_errmsg(st));
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return SCRIBE_ESTORE;
		}
	}
	return 0;
}

static int load_db_id(struct store *st)
{
	sqlite3_stmt *s;
	unsigned char rnd[8];
	int rc = SCRIBE_ESTORE;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT value FROM meta WHERE key = 'db_id'", -1,
			       &s, NULL))
		return fail(st, "meta");
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(st->db_id, sizeof(st->db_id), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		rc = 0;
	}
	sqlite3_finalize(s);
	if (!rc)
		return 0;
	sqlite3_randomness(sizeof(rnd), rnd);
	snprintf(st->db_id, sizeof(st->db_id),
		 "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (sqlite3_prepare_v2(st->db, "INSERT INTO meta VALUES ('db_id', ?)",
			       -1, &s, NULL))
		return fail(st, "meta");
	bind_text(s, 1, st->db_id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : fail(st, "meta");
	sqlite3_finalize(s);
	return rc;
}

/* Another application's SQLite database (tables, but no Scribe schema
 * version) is refused before anything is written to it. The first read
 * also tells a file that is no database at all. */
static int refuse_foreign(struct store *st, const char *path, char *err,
			  size_t errlen)
{
	sqlite3_stmt *s;
	int rc, tables = 0, version = 0;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT count(*), (SELECT user_version FROM "
				"pragma_user_version) FROM sqlite_master",
				-1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		tables = sqlite3_column_int(s, 0);
		version = sqlite3_column_int(s, 1);
	} else {
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s: %s", path, store_errmsg(st));
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return SCRIBE_ESTORE;
	if (tables && !version) {
		snprintf(err, errlen,
			 "%s: not a Scribe database (it holds another "
			 "application's tables)",
			 path);
		return SCRIBE_ESTORE;
	}
	return 0;
}

/* SQLite calls this after every commit in WAL mode with the frames the
 * WAL now holds; it replaces the automatic checkpoint (wal/wal.c decides
 * when to fold the WAL back). */
static int on_wal_commit(void *ud, sqlite3 *db, const char *name, int frames)
{
	struct store *st = ud;

	st->wal_frames = frames;
	return SQLITE_OK;
}

int store_open_raw(struct store **out, const char *path, char *err,
		   size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(st->db, 1);
		sqlite3_busy_timeout(st->db, 5000);
		rc = refuse_foreign(st, path, err, errlen);
		if (rc) {
			store_close(st);
			return rc;
		}
		/* WAL and FULL: an acknowledged event survives a power cut.
		 * The first read also tells a foreign file from a database.
		 * A page cache of 512 KiB, not SQLite's 2 MiB: appends touch
		 * the right edge of each b-tree, and what is read back comes
		 * from the OS's cache as fast (ingest, replay and rendering
		 * measured the same; the peak RSS 2 MiB lower). */
		rc = sqlite3_exec(st->db,
				  "PRAGMA journal_mode = WAL;"
				  "PRAGMA synchronous = FULL;"
				  "PRAGMA foreign_keys = ON;"
				  "PRAGMA cache_size = -512;",
				  NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		char limit[64];

		/* After the WAL restarts from its beginning, its file is cut
		 * back to this size at the next commit. */
		snprintf(limit, sizeof(limit),
			 "PRAGMA journal_size_limit = %lld",
			 (long long)STORE_WAL_LIMIT);
		rc = sqlite3_exec(st->db, limit, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		/* The hook turns SQLite's automatic checkpoint off. */
		sqlite3_wal_hook(st->db, on_wal_commit, st);
		st->page_size = 4096;
		if (!sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s,
					NULL) &&
		    sqlite3_step(s) == SQLITE_ROW)
			st->page_size = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, store_errmsg(st));
		store_close(st);
		return SCRIBE_ESTORE;
	}
	*out = st;
	return 0;
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st;
	char why[512] = "";
	int rc;

	*out = NULL;
	rc = store_open_raw(&st, path, err, errlen);
	if (rc)
		return rc;
	rc = store_migrate(st, store_latest_version(), why, sizeof(why));
	if (!rc)
		rc = load_db_id(st);
	if (rc) {
		if (rc == SCRIBE_ESTORE && !why[0])
			snprintf(why, sizeof(why), "%s", store_errmsg(st));
		snprintf(err, errlen, "%s: %s", path, why);
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		/* A clean close folds the WAL back into the database. */
		sqlite3_wal_checkpoint_v2(
		    st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		sqlite3_close(st->db);
	}
	free(st);
}

int store_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	const char *r;
	int rc = 0, v = store_schema_version(st);

	if (v < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return SCRIBE_ESTORE;
	}
	if (v != store_latest_version()) {
		snprintf(
		    err, errlen, "schema version %d, this scribe expects %d%s",
		    v, store_latest_version(),
		    v < store_latest_version() ? " (run `scribe db migrate`)"
					       : "");
		return v > store_latest_version() ? SCRIBE_EVERSION
						  : SCRIBE_ESTORE;
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
			       NULL)) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return SCRIBE_ESTORE;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(s, 0);
		if (!r || strcmp(r, "ok")) {
			snprintf(err, errlen, "integrity check: %s",
				 r ? r : "failed");
			rc = SCRIBE_ESTORE;
		}
	} else {
		snprintf(err, errlen, "%s", store_errmsg(st));
		rc = SCRIBE_ESTORE;
	}
	sqlite3_finalize(s);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s,
			       NULL)) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return SCRIBE_ESTORE;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(err, errlen, "foreign key check: table %s",
			 sqlite3_column_text(s, 0));
		rc = SCRIBE_ESTORE;
	}
	sqlite3_finalize(s);
	return rc;
}

int store_backup(struct store *st, const char *dest, char *err, size_t errlen)
{
	sqlite3 *to;
	sqlite3_backup *b;
	int rc, waits = 0;

	/* Our own write transaction would lock the source for good. */
	if (store_in_transaction(st)) {
		snprintf(err, errlen, "%s: cannot back up inside a transaction",
			 dest);
		return SCRIBE_ESTORE;
	}
	if (sqlite3_open(dest, &to) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(to));
		sqlite3_close(to);
		return SCRIBE_EIO;
	}
	b = sqlite3_backup_init(to, "main", st->db, "main");
	if (!b) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(to));
		sqlite3_close(to);
		return SCRIBE_EIO;
	}
	/* Another connection's lock is waited out, for 5 s at most. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waits++ < 500)
			sqlite3_sleep(10);
		else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			break;
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", dest,
			 rc == SQLITE_BUSY || rc == SQLITE_LOCKED
			     ? sqlite3_errstr(rc)
			     : sqlite3_errmsg(to));
		sqlite3_close(to);
		return SCRIBE_EIO;
	}
	/* A copy is another database: give it its own id, so that a restored
	 * backup never reuses the Matrix transaction ids of the original. */
	if (sqlite3_exec(to,
			 "UPDATE meta SET value = lower(hex(randomblob(8))) "
			 "WHERE key = 'db_id'",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(to));
		sqlite3_close(to);
		return SCRIBE_EIO;
	}
	sqlite3_close(to);
	return 0;
}

int store_checkpoint(struct store *st, int64_t *backfilled)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(
	    st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);

	if (backfilled)
		*backfilled = done > 0 ? done : 0;
	return rc == SQLITE_OK ? 0 : SCRIBE_ESTORE;
}

int64_t store_wal_frames(struct store *st)
{
	return st->wal_frames;
}

int64_t store_wal_bytes(struct store *st, int64_t frames)
{
	return frames > 0 ? 32 + frames * (st->page_size + 24) : 0;
}

const char *store_path(struct store *st)
{
	const char *p = sqlite3_db_filename(st->db, "main");

	return p && *p ? p : NULL;
}

int store_begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return exec(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec(st, "ROLLBACK");
}

bool store_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

const char *store_db_id(struct store *st)
{
	return st->db_id;
}

/* ---- incidents --------------------------------------------------------- */

/* Runs s, which returns one integer; *v gets it. */
static int scalar(struct store *st, sqlite3_stmt *s, int64_t *v)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SCRIBE_ENOTFOUND : fail(st, "query");
}

int store_next_incident_id(struct store *st, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_NEXT_ID);

	return s ? scalar(st, s, id) : SCRIBE_ESTORE;
}

int store_incident_by_room(struct store *st, const char *platform,
			   const char *room, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_INC_BY_ROOM);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	bind_text(s, 2, room);
	return scalar(st, s, id);
}

static const char *const step_states[] = {"pending", "done", "skipped"};

static int load_runs(struct store *st, struct incident *inc)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if (!(s = stmt(st, Q_RUNS_LOAD)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct pb_run *r;

		ALLOC_GROW(inc->runs, inc->nruns + 1, inc->runs_cap);
		r = &inc->runs[inc->nruns++];
		memset(r, 0, sizeof(*r));
		r->n = sqlite3_column_int(s, 0);
		r->playbook = col_dup(s, 1);
		r->title = col_dup(s, 2);
		col_user(s, 3, &r->by);
		r->started = sqlite3_column_int64(s, 5);
		r->finished = sqlite3_column_int64(s, 6);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(st, "playbook runs");
	for (i = 0; i < inc->nruns; i++) {
		struct pb_run *r = &inc->runs[i];

		if (!(s = stmt(st, Q_RUN_STEPS_LOAD)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		sqlite3_bind_int(s, 2, r->n);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct run_step *rs;
			const char *state =
			    (const char *)sqlite3_column_text(s, 3);

			r->steps = xrealloc(r->steps, (r->nsteps + 1) *
							  sizeof(*r->steps));
			rs = &r->steps[r->nsteps++];
			memset(rs, 0, sizeof(*rs));
			rs->step_id = col_dup(s, 1);
			rs->title = col_dup(s, 2);
			rs->state = !strcmp(state, "done")      ? STEP_DONE
				    : !strcmp(state, "skipped") ? STEP_SKIPPED
								: STEP_PENDING;
			col_user(s, 4, &rs->by);
			rs->at = sqlite3_column_int64(s, 6);
			rs->note = col_dup(s, 7);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return fail(st, "playbook steps");
	}
	return 0;
}

static int save_runs(struct store *st, struct incident *inc)
{
	sqlite3_stmt *s;
	size_t i, k;
	int rc;

	for (i = 0; i < inc->nruns; i++) {
		struct pb_run *r = &inc->runs[i];

		if (!r->dirty)
			continue;
		if (!(s = stmt(st, Q_RUN_SAVE)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		sqlite3_bind_int(s, 2, r->n);
		bind_text(s, 3, r->playbook);
		bind_text(s, 4, r->title);
		bind_text(s, 5, r->by.id);
		bind_text(s, 6, r->by.name);
		sqlite3_bind_int64(s, 7, r->started);
		bind_ms(s, 8, r->finished);
		if ((rc = run(st, s, "playbook run")))
			return rc;
		for (k = 0; k < r->nsteps; k++) {
			const struct run_step *rs = &r->steps[k];

			if (!(s = stmt(st, Q_RUN_STEP_SAVE)))
				return SCRIBE_ESTORE;
			sqlite3_bind_int64(s, 1, inc->id);
			sqlite3_bind_int(s, 2, r->n);
			sqlite3_bind_int(s, 3, (int)k + 1);
			bind_text(s, 4, rs->step_id);
			bind_text(s, 5, rs->title);
			bind_text(s, 6, step_states[rs->state]);
			bind_text(s, 7, rs->by.id);
			bind_text(s, 8, rs->by.name);
			bind_ms(s, 9, rs->at);
			bind_text(s, 10, rs->note);
			if ((rc = run(st, s, "playbook step")))
				return rc;
		}
		r->dirty = false;
	}
	return 0;
}

static int load_children(struct store *st, struct incident *inc)
{
	sqlite3_stmt *s;
	int rc;

	if (!(s = stmt(st, Q_ROLES_LOAD)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct role *r;

		ALLOC_GROW(inc->roles, inc->nroles + 1, inc->roles_cap);
		r = &inc->roles[inc->nroles++];
		memset(r, 0, sizeof(*r));
		r->role = col_dup(s, 0);
		col_user(s, 1, &r->who);
		r->at = sqlite3_column_int64(s, 3);
	}
	if (rc != SQLITE_DONE)
		return fail(st, "roles");

	if (!(s = stmt(st, Q_HYPS_LOAD)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct hypothesis *h;
		const char *state = (const char *)sqlite3_column_text(s, 5);

		ALLOC_GROW(inc->hyps, inc->nhyps + 1, inc->hyps_cap);
		h = &inc->hyps[inc->nhyps++];
		memset(h, 0, sizeof(*h));
		h->n = sqlite3_column_int(s, 0);
		h->text = col_dup(s, 1);
		col_user(s, 2, &h->by);
		h->raised = sqlite3_column_int64(s, 4);
		h->state = hyp_state_parse(state) < 0
			       ? HYP_OPEN
			       : (enum hyp_state)hyp_state_parse(state);
		h->decided = sqlite3_column_int64(s, 6);
		col_user(s, 7, &h->decided_by);
		h->why = col_dup(s, 9);
	}
	if (rc != SQLITE_DONE)
		return fail(st, "hypotheses");

	if (!(s = stmt(st, Q_LESSONS_LOAD)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lesson *l;

		ALLOC_GROW(inc->lessons, inc->nlessons + 1, inc->lessons_cap);
		l = &inc->lessons[inc->nlessons++];
		memset(l, 0, sizeof(*l));
		l->n = sqlite3_column_int(s, 0);
		l->kind = (enum lesson_kind)lesson_parse(
		    (const char *)sqlite3_column_text(s, 1));
		l->text = col_dup(s, 2);
		col_user(s, 3, &l->by);
		l->at = sqlite3_column_int64(s, 5);
	}
	if (rc != SQLITE_DONE)
		return fail(st, "lessons");

	if (!(s = stmt(st, Q_ACTIONS_LOAD)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct action *a;

		ALLOC_GROW(inc->actions, inc->nactions + 1, inc->actions_cap);
		a = &inc->actions[inc->nactions++];
		memset(a, 0, sizeof(*a));
		a->n = sqlite3_column_int(s, 0);
		a->kind = strcmp((const char *)sqlite3_column_text(s, 1), "fix")
			      ? ACTION_TASK
			      : ACTION_FIX;
		a->text = col_dup(s, 2);
		col_user(s, 3, &a->owner);
		col_user(s, 5, &a->by);
		a->at = sqlite3_column_int64(s, 7);
		a->done = sqlite3_column_int64(s, 8);
		col_user(s, 9, &a->done_by);
	}
	if (rc != SQLITE_DONE)
		return fail(st, "actions");
	return load_runs(st, inc);
}

static void col_remind(sqlite3_stmt *s, int i, struct remind *r)
{
	r->every = sqlite3_column_int64(s, i);
	r->snooze_until = sqlite3_column_int64(s, i + 1);
	r->last_update = sqlite3_column_int64(s, i + 2);
	r->reminded = sqlite3_column_int64(s, i + 3);
}

static int load_remind(struct store *st, struct incident *inc)
{
	sqlite3_stmt *s = stmt(st, Q_REMIND_LOAD);
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_remind(s, 0, &inc->remind);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
						     : fail(st, "reminders");
}

static int save_remind(struct store *st, struct incident *inc)
{
	struct remind *r = &inc->remind;
	sqlite3_stmt *s;
	int rc;

	if (!r->dirty)
		return 0;
	if (!(s = stmt(st, Q_REMIND_SAVE)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, inc->id);
	sqlite3_bind_int64(s, 2, r->every);
	sqlite3_bind_int64(s, 3, r->snooze_until);
	sqlite3_bind_int64(s, 4, r->last_update);
	sqlite3_bind_int64(s, 5, r->reminded);
	rc = run(st, s, "reminders");
	if (!rc)
		r->dirty = false;
	return rc;
}

int store_incident_load(struct store *st, int64_t id, struct incident *inc)
{
	sqlite3_stmt *s = stmt(st, Q_INC_LOAD);
	int rc, i;

	memset(inc, 0, sizeof(*inc));
	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? SCRIBE_ENOTFOUND
					 : fail(st, "incident");
	}
	inc->id = sqlite3_column_int64(s, 0);
	inc->title = col_dup(s, 1);
	inc->slug = col_dup(s, 2);
	inc->severity = sqlite3_column_int(s, 3);
	i = status_parse((const char *)sqlite3_column_text(s, 4));
	inc->status = i < 0 ? STATUS_INVESTIGATING : (enum status)i;
	inc->platform = col_dup(s, 5);
	inc->channel = col_dup(s, 6);
	inc->room = col_dup(s, 7);
	inc->origin_room = col_dup(s, 8);
	col_user(s, 9, &inc->declared_by);
	for (i = 0; i < MARK_COUNT; i++)
		inc->marks[i] = sqlite3_column_int64(s, 11 + i);
	inc->resolved_explicit = sqlite3_column_int(s, 18);
	for (i = 0; i < FIELD_COUNT; i++)
		inc->fields[i] = col_dup(s, 19 + i);
	inc->revision = sqlite3_column_int(s, 24);
	inc->current_run = sqlite3_column_int(s, 25);
	inc->suggested = col_dup(s, 26);
	inc->identified = sqlite3_column_int64(s, 27);
	sqlite3_reset(s);
	rc = load_children(st, inc);
	if (!rc)
		rc = load_remind(st, inc);
	if (rc)
		incident_release(inc);
	return rc;
}

static int save_children(struct store *st, struct incident *inc)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	for (i = 0; i < inc->nroles; i++) {
		struct role *r = &inc->roles[i];

		if (!r->dirty)
			continue;
		if (!(s = stmt(st, Q_ROLE_SAVE)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		bind_text(s, 2, r->role);
		bind_text(s, 3, r->who.id);
		bind_text(s, 4, r->who.name);
		sqlite3_bind_int64(s, 5, r->at);
		if ((rc = run(st, s, "role")))
			return rc;
		r->dirty = false;
	}
	for (i = 0; i < inc->nhyps; i++) {
		struct hypothesis *h = &inc->hyps[i];

		if (!h->dirty)
			continue;
		if (!(s = stmt(st, Q_HYP_SAVE)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		sqlite3_bind_int(s, 2, h->n);
		bind_text(s, 3, h->text);
		bind_text(s, 4, h->by.id);
		bind_text(s, 5, h->by.name);
		sqlite3_bind_int64(s, 6, h->raised);
		bind_text(s, 7, hyp_state_name(h->state));
		bind_ms(s, 8, h->decided);
		bind_text(s, 9, h->decided_by.id);
		bind_text(s, 10, h->decided_by.name);
		bind_text(s, 11, h->why);
		if ((rc = run(st, s, "hypothesis")))
			return rc;
		h->dirty = false;
	}
	for (i = 0; i < inc->nlessons; i++) {
		struct lesson *l = &inc->lessons[i];

		if (!l->dirty)
			continue;
		if (!(s = stmt(st, Q_LESSON_SAVE)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		sqlite3_bind_int(s, 2, l->n);
		bind_text(s, 3, lesson_name(l->kind));
		bind_text(s, 4, l->text);
		bind_text(s, 5, l->by.id);
		bind_text(s, 6, l->by.name);
		sqlite3_bind_int64(s, 7, l->at);
		if ((rc = run(st, s, "lesson")))
			return rc;
		l->dirty = false;
	}
	for (i = 0; i < inc->nactions; i++) {
		struct action *a = &inc->actions[i];

		if (!a->dirty)
			continue;
		if (!(s = stmt(st, Q_ACTION_SAVE)))
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		sqlite3_bind_int(s, 2, a->n);
		bind_text(s, 3, a->kind == ACTION_FIX ? "fix" : "action");
		bind_text(s, 4, a->text);
		bind_text(s, 5, a->owner.id);
		bind_text(s, 6, a->owner.name);
		bind_text(s, 7, a->by.id);
		bind_text(s, 8, a->by.name);
		sqlite3_bind_int64(s, 9, a->at);
		bind_ms(s, 10, a->done);
		bind_text(s, 11, a->done_by.id);
		bind_text(s, 12, a->done_by.name);
		if ((rc = run(st, s, "action")))
			return rc;
		a->dirty = false;
	}
	return save_runs(st, inc);
}

int store_incident_save(struct store *st, struct incident *inc, bool insert)
{
	sqlite3_stmt *s;
	int i, rc;

	if (inc->dirty || insert) {
		s = stmt(st, insert ? Q_INC_INSERT : Q_INC_UPDATE);
		if (!s)
			return SCRIBE_ESTORE;
		sqlite3_bind_int64(s, 1, inc->id);
		bind_text(s, 2, inc->title);
		bind_text(s, 3, inc->slug);
		sqlite3_bind_int(s, 4, inc->severity);
		bind_text(s, 5, status_name(inc->status));
		bind_text(s, 6, inc->platform);
		bind_text(s, 7, inc->channel);
		bind_text(s, 8, inc->room);
		bind_text(s, 9, inc->origin_room);
		bind_text(s, 10, inc->declared_by.id);
		bind_text(s, 11, inc->declared_by.name);
		for (i = 0; i < MARK_COUNT; i++)
			bind_ms(s, 12 + i, inc->marks[i]);
		sqlite3_bind_int(s, 19, inc->resolved_explicit);
		for (i = 0; i < FIELD_COUNT; i++)
			bind_text(s, 20 + i, inc->fields[i]);
		sqlite3_bind_int(s, 25, inc->revision);
		sqlite3_bind_int(s, 26, inc->current_run);
		bind_text(s, 27, inc->suggested ? inc->suggested : "");
		bind_ms(s, 28, inc->identified);
		if ((rc = run(st, s, "incident")))
			return rc;
		if (!insert && !sqlite3_changes(st->db))
			return SCRIBE_ENOTFOUND;
		inc->dirty = false;
	}
	rc = save_children(st, inc);
	return rc ? rc : save_remind(st, inc);
}

int store_incident_set_room(struct store *st, int64_t id, const char *room,
			    const char *alias)
{
	sqlite3_stmt *s = stmt(st, Q_INC_SET_ROOM);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, room);
	bind_text(s, 2, alias);
	sqlite3_bind_int64(s, 3, id);
	return run(st, s, "incident room");
}

int store_incident_room(struct store *st, int64_t id, char **room, char **alias)
{
	sqlite3_stmt *s = stmt(st, Q_INC_ROOM);
	int rc;

	*room = *alias = NULL;
	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*room = col_dup(s, 0);
		*alias = col_dup(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? SCRIBE_ENOTFOUND : fail(st, "incident room");
}

int store_reminders_open(struct store *st, struct incident **list, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_REMIND_OPEN);
	size_t cap = 0;
	int rc, k;

	*list = NULL;
	*n = 0;
	if (!s)
		return SCRIBE_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident *inc;

		ALLOC_GROW(*list, *n + 1, cap);
		inc = &(*list)[(*n)++];
		memset(inc, 0, sizeof(*inc));
		inc->id = sqlite3_column_int64(s, 0);
		inc->platform = col_dup(s, 1);
		inc->severity = sqlite3_column_int(s, 2);
		k = status_parse((const char *)sqlite3_column_text(s, 3));
		inc->status = k < 0 ? STATUS_INVESTIGATING : (enum status)k;
		inc->marks[MARK_DECLARED] = sqlite3_column_int64(s, 4);
		inc->marks[MARK_RESOLVED] = sqlite3_column_int64(s, 5);
		col_remind(s, 6, &inc->remind);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_incidents_free(*list, *n);
		*list = NULL;
		*n = 0;
		return fail(st, "reminders");
	}
	return 0;
}

/* The rows of Q_INC_OPEN, Q_INC_LIST or Q_INC_PAGE, without their
 * children (Q_INC_PAGE: with the commander as the only role). */
static int incident_rows(struct store *st, sqlite3_stmt *s,
			 struct incident **list, size_t *n)
{
	size_t cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!s)
		return SCRIBE_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct incident *inc;
		int status;

		ALLOC_GROW(*list, *n + 1, cap);
		inc = &(*list)[(*n)++];
		memset(inc, 0, sizeof(*inc));
		inc->id = sqlite3_column_int64(s, 0);
		inc->title = col_dup(s, 1);
		inc->severity = sqlite3_column_int(s, 2);
		status = status_parse((const char *)sqlite3_column_text(s, 3));
		inc->status =
		    status < 0 ? STATUS_INVESTIGATING : (enum status)status;
		inc->channel = col_dup(s, 4);
		inc->room = col_dup(s, 5);
		inc->platform = col_dup(s, 6);
		inc->marks[MARK_DECLARED] = sqlite3_column_int64(s, 7);
		inc->marks[MARK_RESOLVED] = sqlite3_column_int64(s, 8);
		inc->marks[MARK_CLOSED] = sqlite3_column_int64(s, 9);
		if (sqlite3_column_count(s) < 13)
			continue;
		/* Q_INC_PAGE: the marks a duration needs, and who leads. */
		inc->marks[MARK_STARTED] = sqlite3_column_int64(s, 10);
		inc->marks[MARK_DETECTED] = sqlite3_column_int64(s, 11);
		if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
			inc->roles = xcalloc(1, sizeof(*inc->roles));
			inc->nroles = inc->roles_cap = 1;
			inc->roles[0].role = xstrdup("commander");
			inc->roles[0].who.name = col_dup(s, 12);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_incidents_free(*list, *n);
		*list = NULL;
		*n = 0;
		return fail(st, "incidents");
	}
	return 0;
}

int store_incidents_open(struct store *st, struct incident **list, size_t *n)
{
	return incident_rows(st, stmt(st, Q_INC_OPEN), list, n);
}

int store_incidents_list(struct store *st, int64_t since_ms,
			 struct incident **list, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_INC_LIST);

	if (s)
		sqlite3_bind_int64(s, 1, since_ms);
	return incident_rows(st, s, list, n);
}

void store_incidents_free(struct incident *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		incident_release(&list[i]);
	free(list);
}

/* One part of a page: the open (state 1) or the closed (2) incidents that
 * match, newest first, from offset, at most limit (-1: all). */
static int page_part(struct store *st, const struct store_page *q,
		     const struct buf *like, int state, int64_t limit,
		     int64_t offset, struct incident **list, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_INC_PAGE);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int(s, 2, q->severity);
	if (like->len)
		sqlite3_bind_text(s, 3, like->s, (int)like->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, limit);
	sqlite3_bind_int64(s, 5, offset);
	return incident_rows(st, s, list, n);
}

int store_incidents_page(struct store *st, const struct store_page *q,
			 struct incident **list, size_t *n)
{
	struct incident *open = NULL, *closed = NULL;
	size_t nopen = 0, nclosed = 0, skip;
	struct buf like;
	const char *p;
	int64_t want = q->limit;
	int rc = 0;

	*list = NULL;
	*n = 0;
	/* Words of the title: a LIKE pattern with its own wildcards
	 * escaped. */
	buf_init(&like, 1024);
	if (q->words && *q->words) {
		buf_addch(&like, '%');
		for (p = q->words; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_addch(&like, '\\');
			buf_addch(&like, *p);
		}
		buf_addch(&like, '%');
	}
	/* Open ones first: they are few, so they are read whole and the
	 * page cut from them; the closed ones are a walk down the rowid from
	 * what the open ones left of the offset (no sort of the table). */
	if (q->state != 2)
		rc = page_part(st, q, &like, 1, -1, 0, &open, &nopen);
	skip = (size_t)q->offset < nopen ? (size_t)q->offset : nopen;
	if (!rc && q->state != 1 && want > (int64_t)(nopen - skip))
		rc = page_part(st, q, &like, 2, want - (int64_t)(nopen - skip),
			       q->offset - (int64_t)skip, &closed, &nclosed);
	buf_release(&like);
	if (rc) {
		store_incidents_free(open, nopen);
		store_incidents_free(closed, nclosed);
		return rc;
	}
	/* The page: open[skip .. skip + want), then the closed ones. */
	*list = xcalloc(nopen - skip + nclosed + 1, sizeof(**list));
	for (; skip < nopen && (int64_t)*n < want; skip++)
		(*list)[(*n)++] = open[skip];
	while (skip < nopen)
		incident_release(&open[skip++]);
	free(open);
	if (nclosed)
		memcpy(*list + *n, closed, nclosed * sizeof(*closed));
	*n += nclosed;
	free(closed);
	return 0;
}

/* ---- timeline ---------------------------------------------------------- */

int store_timeline_add(struct store *st, const struct store_entry *e,
		       int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_TL_ADD);
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	if (e->incident_id)
		sqlite3_bind_int64(s, 1, e->incident_id);
	sqlite3_bind_text(s, 2, entry_kind_name(e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, e->at);
	bind_text(s, 4, e->platform);
	bind_text(s, 5, e->room ? e->room : "");
	bind_text(s, 6, e->source_id);
	bind_text(s, 7, e->who->id);
	bind_text(s, 8, e->who->name ? e->who->name : e->who->id);
	bind_text(s, 9, e->text ? e->text : "");
	bind_text(s, 10, e->thread);
	if (e->ref_id)
		sqlite3_bind_int64(s, 11, e->ref_id);
	sqlite3_bind_int(s, 12, e->key);
	sqlite3_bind_int(s, 13, e->truncated);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(st, "timeline");
	if (!sqlite3_changes(st->db))
		return SCRIBE_EDUP;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_timeline_set_incident(struct store *st, int64_t entry_id,
				int64_t incident_id)
{
	sqlite3_stmt *s = stmt(st, Q_TL_SET_INC);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, entry_id);
	return run(st, s, "timeline incident");
}

int store_message_find(struct store *st, const char *platform, const char *room,
		       const char *source_id, int64_t *id, int64_t *incident,
		       bool *deleted)
{
	sqlite3_stmt *s = stmt(st, Q_MSG_FIND);
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	bind_text(s, 2, room ? room : "");
	bind_text(s, 3, source_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		if (deleted)
			*deleted = sqlite3_column_int(s, 1);
		if (incident)
			*incident = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? SCRIBE_ENOTFOUND : fail(st, "message");
}

int store_message_edit(struct store *st, int64_t id, const char *text,
		       bool truncated, int64_t at)
{
	sqlite3_stmt *s = stmt(st, Q_MSG_REV_ADD);
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_int64(s, 2, id);
	if ((rc = run(st, s, "revision")))
		return rc;
	if (!(s = stmt(st, Q_MSG_SET_TEXT)))
		return SCRIBE_ESTORE;
	bind_text(s, 1, text);
	sqlite3_bind_int(s, 2, truncated);
	sqlite3_bind_int64(s, 3, id);
	return run(st, s, "edit");
}

int store_message_delete(struct store *st, int64_t id, int64_t at,
			 const char *by)
{
	sqlite3_stmt *s = stmt(st, Q_MSG_DELETE);
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, at);
	bind_text(s, 2, by);
	sqlite3_bind_int64(s, 3, id);
	if ((rc = run(st, s, "delete")))
		return rc;
	if (!(s = stmt(st, Q_MSG_DELETE_REVS)))
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, "delete revisions");
}

int store_entry_set_key(struct store *st, int64_t id)
{
	sqlite3_stmt *s = stmt(st, Q_TL_KEY);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	return run(st, s, "key");
}

int store_file_add(struct store *st, int64_t entry_id, const char *name,
		   const char *type, const char *url)
{
	sqlite3_stmt *s = stmt(st, Q_FILE_ADD);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, entry_id);
	bind_text(s, 2, name ? name : "");
	bind_text(s, 3, type ? type : "");
	bind_text(s, 4, url ? url : "");
	return run(st, s, "file");
}

int store_timeline_tail(struct store *st, int64_t incident_id, int n,
			struct timeline_row **rows, size_t *nrows)
{
	sqlite3_stmt *s = stmt(st, Q_TL_TAIL);
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*nrows = 0;
	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int(s, 2, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct timeline_row *r;
		int k =
		    entry_kind_parse((const char *)sqlite3_column_text(s, 1));

		ALLOC_GROW(*rows, *nrows + 1, cap);
		r = &(*rows)[(*nrows)++];
		r->id = sqlite3_column_int64(s, 0);
		r->kind = k < 0 ? ENTRY_MESSAGE : (enum entry_kind)k;
		r->at = sqlite3_column_int64(s, 2);
		r->who = col_dup(s, 3);
		r->text = col_dup(s, 4);
		r->deleted = sqlite3_column_int(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_rows_free(*rows, *nrows);
		*rows = NULL;
		*nrows = 0;
		return fail(st, "timeline");
	}
	return 0;
}

void store_rows_free(struct timeline_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)rows[i].who);
		free((char *)rows[i].text);
	}
	free(rows);
}

int store_user_name(struct store *st, const char *platform, const char *id,
		    char **name)
{
	sqlite3_stmt *s = stmt(st, Q_USER_GET);
	int rc;

	*name = NULL;
	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	bind_text(s, 2, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*name = col_dup(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "users");
}

int store_user_named(struct store *st, const char *platform, const char *id,
		     const char *name)
{
	/* Only names that are still the bare id are replaced: a name a
	 * platform gave is kept. */
	static const char *const updates[] = {
	    "UPDATE timeline SET author_name = ?3 WHERE platform = ?1 AND "
	    "author_id = ?2 AND author_name = ?2",
	    "UPDATE incidents SET declared_by_name = ?3 WHERE platform = ?1 "
	    "AND declared_by_id = ?2 AND declared_by_name = ?2",
	    "UPDATE roles SET user_name = ?3 WHERE user_id = ?2 AND "
	    "user_name = ?2",
	    "UPDATE hypotheses SET by_name = ?3 WHERE by_id = ?2 AND "
	    "by_name = ?2",
	    "UPDATE hypotheses SET decided_by_name = ?3 WHERE "
	    "decided_by_id = ?2 AND decided_by_name = ?2",
	    "UPDATE lessons SET by_name = ?3 WHERE by_id = ?2 AND by_name = ?2",
	    "UPDATE actions SET by_name = ?3 WHERE by_id = ?2 AND by_name = ?2",
	    "UPDATE actions SET owner_name = ?3 WHERE owner_id = ?2 AND "
	    "owner_name = ?2",
	    "UPDATE actions SET done_by_name = ?3 WHERE done_by_id = ?2 AND "
	    "done_by_name = ?2",
	    "UPDATE playbook_runs SET by_name = ?3 WHERE by_id = ?2 AND "
	    "by_name = ?2",
	    "UPDATE playbook_steps SET by_name = ?3 WHERE by_id = ?2 AND "
	    "by_name = ?2",
	};
	sqlite3_stmt *s = stmt(st, Q_USER_SET);
	size_t i;
	int rc;

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	bind_text(s, 2, id);
	bind_text(s, 3, name);
	rc = run(st, s, "users");
	for (i = 0; i < ARRAY_SIZE(updates) && !rc; i++) {
		if (sqlite3_prepare_v2(st->db, updates[i], -1, &s, NULL))
			return fail(st, "user name");
		bind_text(s, 1, platform);
		bind_text(s, 2, id);
		bind_text(s, 3, name);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : fail(st, "user name");
		sqlite3_finalize(s);
	}
	return rc;
}

int store_room_last_at(struct store *st, const char *platform, const char *room,
		       int64_t *ms)
{
	sqlite3_stmt *s = stmt(st, Q_ROOM_LAST);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	bind_text(s, 2, room);
	return scalar(st, s, ms);
}

int store_timeline_count(struct store *st, int64_t incident_id, int64_t *count)
{
	sqlite3_stmt *s = stmt(st, Q_TL_COUNT);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, incident_id);
	return scalar(st, s, count);
}

/* ---- postmortems ------------------------------------------------------ */

int store_postmortem_add(struct store *st, int64_t id, int rev,
			 int64_t closed_ms, int64_t through_entry,
			 const char *snapshot)
{
	sqlite3_stmt *s = stmt(st, Q_PM_ADD);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, rev);
	sqlite3_bind_int64(s, 3, closed_ms);
	sqlite3_bind_int64(s, 4, through_entry);
	bind_text(s, 5, snapshot);
	return run(st, s, "postmortem");
}

int store_postmortem_get(struct store *st, int64_t id, int *rev,
			 int64_t *closed_ms, int64_t *through_entry,
			 char **snapshot)
{
	sqlite3_stmt *s = stmt(st, Q_PM_GET);
	int rc;

	*snapshot = NULL;
	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, *rev);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*rev = sqlite3_column_int(s, 0);
		*closed_ms = sqlite3_column_int64(s, 1);
		*through_entry = sqlite3_column_int64(s, 2);
		*snapshot = col_dup(s, 3);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? SCRIBE_ENOTFOUND : fail(st, "postmortem");
}

int store_timeline_last_id(struct store *st, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, Q_TL_LAST);

	return s ? scalar(st, s, id) : SCRIBE_ESTORE;
}

static const char *col_str(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int pm_each(void *ud, enum pm_pass pass, pm_row_cb *cb, void *cbud)
{
	static const enum stmt_id queries[] = {
	    [PM_KEY] = Q_PM_KEY,
	    [PM_PLAYBOOK] = Q_PM_PLAYBOOK,
	    [PM_PARTICIPANTS] = Q_PM_PEOPLE,
	    [PM_TRANSCRIPT] = Q_PM_TRANSCRIPT,
	};
	struct store_pm_rows *rows = ud;
	struct store *st = rows->st;
	sqlite3_stmt *s;
	struct pm_row row;
	int rc, k, stop = 0;

	/* A renderer may read other statements inside cb, never this one:
	 * each pass has its own. */
	s = stmt(st, queries[pass]);
	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, rows->incident_id);
	sqlite3_bind_int64(s, 2, rows->through);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (pass == PM_PARTICIPANTS) {
			row.who = col_str(s, 0);
			row.count = sqlite3_column_int64(s, 1);
		} else {
			k = entry_kind_parse(col_str(s, 0));
			row.kind = k < 0 ? ENTRY_MESSAGE : (enum entry_kind)k;
			row.at = sqlite3_column_int64(s, 1);
			row.who = col_str(s, 2);
			row.text = col_str(s, 3);
		}
		if (pass == PM_KEY) {
			row.deleted = sqlite3_column_int64(s, 4);
			row.who_id = col_str(s, 5);
			row.room = col_str(s, 6);
			row.key = sqlite3_column_int(s, 7);
		}
		if (pass == PM_TRANSCRIPT) {
			row.edits = sqlite3_column_int(s, 4);
			row.deleted = sqlite3_column_int64(s, 5);
			row.deleted_by = col_str(s, 6);
			row.truncated = sqlite3_column_int(s, 7);
			row.file_name = col_str(s, 8);
			row.file_type = col_str(s, 9);
			row.file_url = col_str(s, 10);
			row.reply = sqlite3_column_int(s, 11);
			row.room = col_str(s, 12);
		}
		stop = cb(cbud, &row);
	}
	sqlite3_reset(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : fail(st, "postmortem rows");
}

void store_pm_source(struct store_pm_rows *rows, struct pm_source *src)
{
	src->each = pm_each;
	src->ud = rows;
}

/* ---- outbox ------------------------------------------------------------ */

int store_outbox_add(struct store *st, int64_t incident_id,
		     const char *platform, const char *room,
		     const char *to_user, const char *kind, const char *body,
		     int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_ADD);

	if (!s)
		return SCRIBE_ESTORE;
	if (incident_id)
		sqlite3_bind_int64(s, 1, incident_id);
	bind_text(s, 2, platform);
	bind_text(s, 3, room);
	bind_text(s, 4, to_user);
	bind_text(s, 5, kind);
	bind_text(s, 6, body);
	sqlite3_bind_int64(s, 7, now);
	return run(st, s, "outbox");
}

int store_outbox_due(struct store *st, const char *platform, int64_t now,
		     int max, struct outbox_row **rows, size_t *n)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_DUE);
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct outbox_row *r;

		ALLOC_GROW(*rows, *n + 1, cap);
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(s, 0);
		r->incident_id = sqlite3_column_int64(s, 1);
		r->platform = col_dup(s, 2);
		r->room = col_dup(s, 3);
		r->to_user = col_dup(s, 4);
		r->kind = col_dup(s, 5);
		r->body = col_dup(s, 6);
		r->attempts = sqlite3_column_int(s, 7);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_outbox_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return fail(st, "outbox");
	}
	return 0;
}

void store_outbox_free(struct outbox_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].platform);
		free(rows[i].room);
		free(rows[i].to_user);
		free(rows[i].kind);
		free(rows[i].body);
	}
	free(rows);
}

int store_outbox_sent(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_SENT);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	return run(st, s, "outbox sent");
}

int store_outbox_retry(struct store *st, int64_t id, int64_t next_ms,
		       const char *error)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_RETRY);

	if (!s)
		return SCRIBE_ESTORE;
	sqlite3_bind_int64(s, 1, next_ms);
	bind_text(s, 2, error);
	sqlite3_bind_int64(s, 3, id);
	return run(st, s, "outbox retry");
}

int store_outbox_pending(struct store *st, const char *platform, int64_t *count)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_PENDING);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	return scalar(st, s, count);
}

int store_outbox_next_due(struct store *st, const char *platform,
			  int64_t *next_ms)
{
	sqlite3_stmt *s = stmt(st, Q_OUT_NEXT);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, platform);
	return scalar(st, s, next_ms);
}

/* ---- cursors ----------------------------------------------------------- */

int store_cursor_get(struct store *st, const char *transport, char **value)
{
	sqlite3_stmt *s = stmt(st, Q_CUR_GET);
	int rc;

	*value = NULL;
	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, transport);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = col_dup(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "cursor");
}

int store_cursor_set(struct store *st, const char *transport, const char *value,
		     int64_t now)
{
	sqlite3_stmt *s = stmt(st, Q_CUR_SET);

	if (!s)
		return SCRIBE_ESTORE;
	bind_text(s, 1, transport);
	bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, now);
	return run(st, s, "cursor");
}

/* ---- gauges ------------------------------------------------------------ */

int store_gauges(struct store *st, struct store_gauges *g)
{
	static const char *const queries[] = {
	    "SELECT severity, count(*) FROM incidents WHERE closed_ms IS NULL "
	    "GROUP BY severity ORDER BY severity",
	    "SELECT platform, count(*), min(created_ms) FROM outbox WHERE "
	    "sent_ms IS NULL GROUP BY platform ORDER BY platform",
	};
	sqlite3_stmt *s;
	size_t q;
	int rc = SQLITE_OK;

	memset(g, 0, sizeof(*g));
	for (q = 0; q < ARRAY_SIZE(queries) && rc == SQLITE_OK; q++) {
		if (sqlite3_prepare_v2(st->db, queries[q], -1, &s, NULL))
			return fail(st, "gauges");
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (q == 0 && g->nopen < STORE_GAUGE_ROWS) {
				g->open[g->nopen].severity =
				    sqlite3_column_int(s, 0);
				g->open[g->nopen++].count =
				    sqlite3_column_int64(s, 1);
			} else if (q == 1 && g->npending < STORE_GAUGE_ROWS) {
				const char *p =
				    (const char *)sqlite3_column_text(s, 0);

				snprintf(g->pending[g->npending].platform,
					 sizeof(g->pending[0].platform), "%s",
					 p ? p : "");
				g->pending[g->npending].count =
				    sqlite3_column_int64(s, 1);
				g->pending[g->npending++].oldest_ms =
				    sqlite3_column_int64(s, 2);
			}
		}
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	return rc == SQLITE_OK ? 0 : fail(st, "gauges");
}
