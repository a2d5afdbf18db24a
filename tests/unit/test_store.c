/*
 * test_store.c - store.c against real files in a temporary directory:
 * opening and migrating (from every earlier schema version), refusing
 * newer, corrupt and foreign files without touching them, checks and
 * backups, and every read and write of incidents, the timeline, the
 * outbox, the cursors and transactions. WAL needs a real file, so every
 * test works on its own file under one mkdtemp() directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"
#include "store/store.h"

#define T0 INT64_C(1700000000000)

static char dir[256];

/* ---- files and paths ---------------------------------------------------- */

static void tmp_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		fail_msg("cannot read %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot write %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Asserts that path holds exactly the bytes want. */
static void assert_file_is(const char *path, const unsigned char *want,
			   size_t wantlen)
{
	size_t len;
	unsigned char *got = slurp(path, &len);

	assert_int_equal(len, wantlen);
	assert_memory_equal(got, want, len);
	free(got);
}

static int group_setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/scribe-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		return -1;
	}
	return 0;
}

/* Removes the directory and what the tests left in it (flat). */
static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path)) {
			chmod(path, 0700);
			rmdir(path);
		}
	}
	closedir(d);
	return rmdir(dir);
}

/* ---- raw SQLite, to look behind the store's back ----------------------- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL))
		fail_msg("sqlite3_open_v2 %s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_close(sqlite3 *db)
{
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void raw_exec(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void raw_exec(sqlite3 *db, const char *fmt, ...)
{
	char q[8192], *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg ? msg : "error");
}

/* Runs a query that must return a row; s is left on that row. */
static sqlite3_stmt *raw_row(sqlite3 *db, const char *fmt, va_list ap)
{
	char q[1024];
	sqlite3_stmt *s;

	vsnprintf(q, sizeof(q), fmt, ap);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL))
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	if (sqlite3_step(s) != SQLITE_ROW)
		fail_msg("%s: no row (%s)", q, sqlite3_errmsg(db));
	return s;
}

static int64_t raw_int(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int64_t raw_int(sqlite3 *db, const char *fmt, ...)
{
	sqlite3_stmt *s;
	int64_t v;
	va_list ap;

	va_start(ap, fmt);
	s = raw_row(db, fmt, ap);
	va_end(ap);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The first column of the first row, NULL for SQL NULL; free it. */
static char *raw_text(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *raw_text(sqlite3 *db, const char *fmt, ...)
{
	sqlite3_stmt *s;
	const unsigned char *t;
	char *v;
	va_list ap;

	va_start(ap, fmt);
	s = raw_row(db, fmt, ap);
	va_end(ap);
	t = sqlite3_column_text(s, 0);
	v = t ? xstrdup((const char *)t) : NULL;
	sqlite3_finalize(s);
	return v;
}

static void assert_raw_text(sqlite3 *db, const char *want, const char *q)
{
	char *got = raw_text(db, "%s", q);

	if (!want || !got)
		assert_ptr_equal(got, want);
	else
		assert_string_equal(got, want);
	free(got);
}

/* ---- the store's own connection ----------------------------------------
 * Per-connection PRAGMAs (synchronous, foreign_keys) cannot be read from a
 * second connection, and struct store is opaque: an auto-extension sees
 * every connection SQLite opens, so it catches the store's. */

static sqlite3 *last_db;

static int catch_db(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	last_db = db;
	return SQLITE_OK;
}

/* ---- helpers ------------------------------------------------------------ */

static struct store *open_at(const char *path)
{
	struct store *st = NULL;
	char err[512] = "";

	if (store_open(&st, path, err, sizeof(err)))
		fail_msg("store_open %s: %s", path, err);
	assert_non_null(st);
	return st;
}

static struct store *open_new(const char *name, char *path, size_t len)
{
	tmp_path(path, len, name);
	assert_false(exists(path));
	return open_at(path);
}

static void assert_same_str(const char *got, const char *want)
{
	if (!got || !want)
		assert_ptr_equal(got, want);
	else
		assert_string_equal(got, want);
}

static void assert_contains(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		fail_msg("'%s' does not contain '%s'", s, needle);
}

static bool is_hex16(const char *s)
{
	int i;

	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[16] == '\0';
}

static int64_t add_entry(struct store *st, int64_t inc, enum entry_kind kind,
			 int64_t at, const char *room, const char *source,
			 const char *text)
{
	struct user who = {"U1", "Alice"};
	struct store_entry e = {
	    .incident_id = inc,
	    .kind = kind,
	    .at = at,
	    .platform = "slack",
	    .room = room,
	    .source_id = source,
	    .who = &who,
	    .text = text,
	};
	int64_t id = -1;

	assert_int_equal(store_timeline_add(st, &e, &id), 0);
	assert_true(id > 0);
	return id;
}

/* ---- incidents, built by hand ------------------------------------------ */

static void add_role(struct incident *inc, const char *role, const char *id,
		     const char *name, int64_t at)
{
	struct role *r;

	ALLOC_GROW(inc->roles, inc->nroles + 1, inc->roles_cap);
	r = &inc->roles[inc->nroles++];
	memset(r, 0, sizeof(*r));
	r->role = xstrdup(role);
	user_set(&r->who, id, name);
	r->at = at;
	r->dirty = true;
}

static void add_hyp(struct incident *inc, int n, const char *text,
		    enum hyp_state state, int64_t decided, const char *by,
		    const char *why)
{
	struct hypothesis *h;

	ALLOC_GROW(inc->hyps, inc->nhyps + 1, inc->hyps_cap);
	h = &inc->hyps[inc->nhyps++];
	memset(h, 0, sizeof(*h));
	h->n = n;
	h->text = xstrdup(text);
	user_set(&h->by, "U2", "Bob");
	h->raised = T0 + n * 1000;
	h->state = state;
	h->decided = decided;
	if (by)
		user_set(&h->decided_by, by, "Decider");
	h->why = why ? xstrdup(why) : NULL;
	h->dirty = true;
}

static void add_lesson(struct incident *inc, int n, enum lesson_kind kind,
		       const char *text)
{
	struct lesson *l;

	ALLOC_GROW(inc->lessons, inc->nlessons + 1, inc->lessons_cap);
	l = &inc->lessons[inc->nlessons++];
	memset(l, 0, sizeof(*l));
	l->n = n;
	l->kind = kind;
	l->text = xstrdup(text);
	user_set(&l->by, "U3", "Carol");
	l->at = T0 + 50000 + n;
	l->dirty = true;
}

static void add_action(struct incident *inc, int n, enum action_kind kind,
		       const char *text, const char *owner, int64_t done)
{
	struct action *a;

	ALLOC_GROW(inc->actions, inc->nactions + 1, inc->actions_cap);
	a = &inc->actions[inc->nactions++];
	memset(a, 0, sizeof(*a));
	a->n = n;
	a->kind = kind;
	a->text = xstrdup(text);
	if (owner)
		user_set(&a->owner, owner, "Owner Name");
	user_set(&a->by, "U1", "Alice");
	a->at = T0 + 70000 + n;
	a->done = done;
	if (done)
		user_set(&a->done_by, "U4", "Dave");
	a->dirty = true;
}

/* An incident with every field and every kind of child, some marks and
 * fields left unset. */
static void build_full(struct incident *inc, int64_t id)
{
	int m;

	memset(inc, 0, sizeof(*inc));
	inc->id = id;
	inc->title = xstrdup("Database errors on checkout");
	inc->slug = xstrdup("db-errors");
	inc->severity = 2;
	inc->status = STATUS_MONITORING;
	inc->platform = xstrdup("slack");
	inc->channel = xasprintf("inc-%lld-db-errors", (long long)id);
	inc->room = xasprintf("C%lld", (long long)id * 100);
	inc->origin_room = xstrdup("CGENERAL");
	user_set(&inc->declared_by, "U1", "Alice");
	for (m = 0; m < MARK_COUNT; m++)
		inc->marks[m] = T0 + m * 60000;
	inc->marks[MARK_ACKNOWLEDGED] = 0;
	inc->marks[MARK_CLOSED] = 0;
	inc->resolved_explicit = true;
	inc->fields[FIELD_SUMMARY] = xstrdup("A bad deploy");
	inc->fields[FIELD_ROOTCAUSE] = xstrdup("Lock order");
	inc->fields[FIELD_CONCLUSION] =
	    xstrdup("Unicode ✓, 'quotes', \"doubles\", 100%, ; DROP");
	inc->revision = 3;
	add_role(inc, "commander", "U1", "Alice", T0 + 1000);
	add_role(inc, "scribe", "U2", "Bob", T0 + 2000);
	add_hyp(inc, 1, "The cache is cold", HYP_RULED_OUT, T0 + 9000, "U1",
		NULL);
	add_hyp(inc, 2, "The deploy at 14:00", HYP_CONFIRMED, T0 + 9500, "U3",
		"rollback fixed it");
	add_hyp(inc, 3, "A noisy neighbour", HYP_OPEN, 0, NULL, NULL);
	add_lesson(inc, 1, LESSON_WELL, "Paging was fast");
	add_lesson(inc, 2, LESSON_WRONG, "No dashboard");
	add_lesson(inc, 3, LESSON_LUCKY, "Low traffic");
	add_action(inc, 1, ACTION_TASK, "Write the runbook", "U2", T0 + 99000);
	add_action(inc, 2, ACTION_FIX, "Add an index", NULL, 0);
	inc->dirty = true;
}

/* The least an incident has: declared, nothing else. */
static void build_bare(struct incident *inc, int64_t id)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = id;
	inc->title = xstrdup("Bare");
	inc->slug = xstrdup("bare");
	inc->severity = 4;
	inc->status = STATUS_INVESTIGATING;
	inc->platform = xstrdup("console");
	inc->channel = xasprintf("inc-%lld-bare", (long long)id);
	user_set(&inc->declared_by, "alice", "alice");
	inc->marks[MARK_DECLARED] = T0 + id;
	inc->dirty = true;
}

static void assert_user_eq(const struct user *a, const struct user *b)
{
	assert_same_str(a->id, b->id);
	assert_same_str(a->name, b->name);
}

static void assert_incident_eq(const struct incident *a,
			       const struct incident *b)
{
	size_t i;

	assert_int_equal(a->id, b->id);
	assert_same_str(a->title, b->title);
	assert_same_str(a->slug, b->slug);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->status, b->status);
	assert_same_str(a->platform, b->platform);
	assert_same_str(a->channel, b->channel);
	assert_same_str(a->room, b->room);
	assert_same_str(a->origin_room, b->origin_room);
	assert_user_eq(&a->declared_by, &b->declared_by);
	for (i = 0; i < MARK_COUNT; i++)
		assert_int_equal(a->marks[i], b->marks[i]);
	assert_int_equal(a->resolved_explicit, b->resolved_explicit);
	for (i = 0; i < FIELD_COUNT; i++)
		assert_same_str(a->fields[i], b->fields[i]);
	assert_int_equal(a->revision, b->revision);

	assert_int_equal(a->nroles, b->nroles);
	for (i = 0; i < a->nroles; i++) {
		assert_same_str(a->roles[i].role, b->roles[i].role);
		assert_user_eq(&a->roles[i].who, &b->roles[i].who);
		assert_int_equal(a->roles[i].at, b->roles[i].at);
	}
	assert_int_equal(a->nhyps, b->nhyps);
	for (i = 0; i < a->nhyps; i++) {
		const struct hypothesis *x = &a->hyps[i], *y = &b->hyps[i];

		assert_int_equal(x->n, y->n);
		assert_same_str(x->text, y->text);
		assert_user_eq(&x->by, &y->by);
		assert_int_equal(x->raised, y->raised);
		assert_int_equal(x->state, y->state);
		assert_int_equal(x->decided, y->decided);
		assert_user_eq(&x->decided_by, &y->decided_by);
		assert_same_str(x->why, y->why);
	}
	assert_int_equal(a->nlessons, b->nlessons);
	for (i = 0; i < a->nlessons; i++) {
		const struct lesson *x = &a->lessons[i], *y = &b->lessons[i];

		assert_int_equal(x->n, y->n);
		assert_int_equal(x->kind, y->kind);
		assert_same_str(x->text, y->text);
		assert_user_eq(&x->by, &y->by);
		assert_int_equal(x->at, y->at);
	}
	assert_int_equal(a->nactions, b->nactions);
	for (i = 0; i < a->nactions; i++) {
		const struct action *x = &a->actions[i], *y = &b->actions[i];

		assert_int_equal(x->n, y->n);
		assert_int_equal(x->kind, y->kind);
		assert_same_str(x->text, y->text);
		assert_user_eq(&x->owner, &y->owner);
		assert_user_eq(&x->by, &y->by);
		assert_int_equal(x->at, y->at);
		assert_int_equal(x->done, y->done);
		assert_user_eq(&x->done_by, &y->done_by);
	}
}

static void assert_all_clean(const struct incident *inc)
{
	size_t i;

	assert_false(inc->dirty);
	for (i = 0; i < inc->nroles; i++)
		assert_false(inc->roles[i].dirty);
	for (i = 0; i < inc->nhyps; i++)
		assert_false(inc->hyps[i].dirty);
	for (i = 0; i < inc->nlessons; i++)
		assert_false(inc->lessons[i].dirty);
	for (i = 0; i < inc->nactions; i++)
		assert_false(inc->actions[i].dirty);
}

static void save_new(struct store *st, struct incident *inc)
{
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_incident_save(st, inc, true), 0);
	assert_int_equal(store_commit(st), 0);
	assert_all_clean(inc);
}

/* ---- opening ------------------------------------------------------------ */

static void test_open_fresh(void **state)
{
	char path[512], err[512], *mode;
	struct store *st;
	sqlite3 *db, *own;
	static const char *const tables[] = {
	    "meta",    "incidents", "roles",    "hypotheses",
	    "lessons", "actions",   "timeline", "revisions",
	    "files",   "outbox",    "cursors",
	};
	size_t i;

	assert_true(store_latest_version() >= 1);
	last_db = NULL;
	assert_int_equal(sqlite3_auto_extension((void (*)(void))catch_db),
			 SQLITE_OK);
	st = open_new("fresh.db", path, sizeof(path));
	own = last_db;
	sqlite3_reset_auto_extension();
	assert_non_null(own);
	assert_true(exists(path));
	assert_int_equal(store_schema_version(st), store_latest_version());
	assert_false(store_in_transaction(st));

	/* The store's own connection: what DESIGN.md's Runtime asks for. */
	mode = raw_text(own, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(own, "PRAGMA synchronous"), 2);
	assert_int_equal(raw_int(own, "PRAGMA foreign_keys"), 1);
	assert_true(raw_int(own, "PRAGMA busy_timeout") > 0);
	assert_int_equal(raw_int(own, "PRAGMA wal_autocheckpoint"), 0);

	/* A second connection sees the persistent state. */
	db = raw_open(path);
	mode = raw_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(db, "PRAGMA user_version"),
			 store_latest_version());
	for (i = 0; i < ARRAY_SIZE(tables); i++)
		assert_int_equal(raw_int(db,
					 "SELECT count(*) FROM sqlite_schema "
					 "WHERE type = 'table' AND name = '%s'",
					 tables[i]),
				 1);
	assert_int_equal(
	    raw_int(db, "SELECT count(*) FROM meta WHERE key = 'db_id'"), 1);
	raw_close(db);

	/* foreign_keys is on: an entry of no incident is refused. */
	{
		struct user who = {"U1", "Alice"};
		struct store_entry e = {.incident_id = 999,
					.kind = ENTRY_MESSAGE,
					.at = T0,
					.platform = "slack",
					.room = "C1",
					.source_id = "x",
					.who = &who,
					.text = "hi"};
		int64_t id = -1, n = -1;

		assert_int_equal(store_timeline_add(st, &e, &id),
				 SCRIBE_ESTORE);
		assert_int_equal(id, -1);
		assert_int_equal(store_timeline_count(st, 999, &n), 0);
		assert_int_equal(n, 0);
	}
	store_close(st);

	/* Opening again migrates nothing and keeps the version. */
	st = open_at(path);
	assert_int_equal(store_schema_version(st), store_latest_version());
	assert_int_equal(
	    store_migrate(st, store_latest_version(), err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), store_latest_version());
	store_close(st);
}

/* ---- migrations ----------------------------------------------------------
 * seeders[v] writes representative data in the schema of version v, with
 * raw SQL (the store's statements speak only the latest schema), and
 * checkers[v] reads it back through store.h once the file was migrated to
 * the latest version. A database built at version v is seeded with the
 * newest seeder not above v, so a new migration needs no new seeder to be
 * tested; add one when the migration changes what data looks like. */

static void seed_v1(sqlite3 *db)
{
	raw_exec(
	    db,
	    "PRAGMA foreign_keys = ON;"
	    "INSERT INTO meta VALUES ('db_id', '0123456789abcdef');"
	    "INSERT INTO incidents (id, title, slug, severity, status, "
	    "platform, channel, room, origin_room, declared_by_id, "
	    "declared_by_name, declared_ms, started_ms, detected_ms, "
	    "acknowledged_ms, mitigated_ms, resolved_ms, closed_ms, "
	    "resolved_explicit, summary, impact, rootcause, resolution, "
	    "conclusion, revision) VALUES "
	    "(7, 'Checkout down', 'checkout-down', 1, 'identified', "
	    "'slack', 'inc-7-checkout-down', 'C7', 'CGEN', 'U1', 'Alice', "
	    "1000, 900, 950, 1100, NULL, NULL, NULL, 0, 'Summary text', "
	    "NULL, NULL, NULL, NULL, 0), "
	    "(8, 'Old one', 'old-one', 3, 'resolved', 'matrix', "
	    "'inc-8-old-one', '!r8:hs', NULL, '@bob:hs', 'Bob', 2000, NULL, "
	    "NULL, NULL, 2500, 3000, 4000, 1, NULL, 'None', NULL, NULL, "
	    "NULL, 1);"
	    "INSERT INTO roles VALUES (7, 'commander', 'U2', 'Carol', 1200);"
	    "INSERT INTO hypotheses VALUES "
	    "(7, 1, 'The cache', 'U1', 'Alice', 1300, 'ruled_out', 1400, "
	    "'U2', 'Carol', 'hit rate fine'), "
	    "(7, 2, 'The deploy', 'U2', 'Carol', 1350, 'open', NULL, NULL, "
	    "NULL, NULL);"
	    "INSERT INTO lessons VALUES "
	    "(7, 1, 'lucky', 'Low traffic', 'U1', 'Alice', 1500);"
	    "INSERT INTO actions VALUES (7, 1, 'fix', 'Add an index', 'U2', "
	    "'Carol', 'U1', 'Alice', 1600, NULL, NULL, NULL);"
	    "INSERT INTO timeline (id, incident_id, kind, at_ms, platform, "
	    "room, source_id, author_id, author_name, text, thread, ref_id, "
	    "key, truncated, edits, deleted_ms, deleted_by) VALUES "
	    "(1, NULL, 'command', 1000, 'slack', 'CGEN', 'ev-1', 'U1', "
	    "'Alice', 'declare sev1 Checkout down', NULL, NULL, 0, 0, 0, "
	    "NULL, NULL), "
	    "(2, 7, 'declared', 1000, 'slack', 'C7', NULL, 'scribe', "
	    "'Scribe', 'declared', NULL, NULL, 1, 0, 0, NULL, NULL), "
	    "(3, 7, 'message', 1700, 'slack', 'C7', 'ev-3', 'U2', 'Carol', "
	    "'edited text', NULL, NULL, 0, 0, 1, NULL, NULL), "
	    "(4, 7, 'file', 1800, 'slack', 'C7', 'ev-4', 'U2', 'Carol', "
	    "'graph.png', 'ev-3', 3, 0, 0, 0, NULL, NULL);"
	    "INSERT INTO revisions VALUES (3, 1, 'original text', 1750);"
	    "INSERT INTO files VALUES "
	    "(4, 'graph.png', 'image/png', 'https://files/graph.png');"
	    "INSERT INTO outbox (id, incident_id, platform, room, to_user, "
	    "kind, body, created_ms, attempts, next_ms, sent_ms, "
	    "last_error) VALUES "
	    "(1, 7, 'slack', NULL, NULL, 'message', 'sent already', 1000, "
	    "1, 0, 1001, NULL), "
	    "(2, 7, 'slack', 'C7', 'U1', 'message', 'still pending', 1900, "
	    "2, 1950, NULL, 'ratelimited');"
	    "INSERT INTO cursors VALUES ('slack', 'ev-4', 1800);");
}

static void check_v1(struct store *st)
{
	struct incident inc, *open;
	struct timeline_row *rows;
	struct outbox_row *out;
	size_t n;
	int64_t id, incid, count;
	bool deleted;
	char *cur;

	assert_string_equal(store_db_id(st), "0123456789abcdef");
	assert_int_equal(store_next_incident_id(st, &id), 0);
	assert_int_equal(id, 9);

	assert_int_equal(store_incident_load(st, 7, &inc), 0);
	assert_string_equal(inc.title, "Checkout down");
	assert_int_equal(inc.severity, 1);
	assert_int_equal(inc.status, STATUS_IDENTIFIED);
	assert_string_equal(inc.room, "C7");
	assert_string_equal(inc.origin_room, "CGEN");
	assert_string_equal(inc.declared_by.name, "Alice");
	assert_int_equal(inc.marks[MARK_DECLARED], 1000);
	assert_int_equal(inc.marks[MARK_STARTED], 900);
	assert_int_equal(inc.marks[MARK_ACKNOWLEDGED], 1100);
	assert_int_equal(inc.marks[MARK_MITIGATED], 0);
	assert_int_equal(inc.marks[MARK_CLOSED], 0);
	assert_string_equal(inc.fields[FIELD_SUMMARY], "Summary text");
	assert_null(inc.fields[FIELD_IMPACT]);
	assert_int_equal(inc.nroles, 1);
	assert_string_equal(inc.roles[0].role, "commander");
	assert_string_equal(inc.roles[0].who.name, "Carol");
	assert_int_equal(inc.nhyps, 2);
	assert_int_equal(inc.hyps[0].state, HYP_RULED_OUT);
	assert_string_equal(inc.hyps[0].why, "hit rate fine");
	assert_int_equal(inc.hyps[1].state, HYP_OPEN);
	assert_null(inc.hyps[1].decided_by.id);
	assert_int_equal(inc.nlessons, 1);
	assert_int_equal(inc.lessons[0].kind, LESSON_LUCKY);
	assert_int_equal(inc.nactions, 1);
	assert_int_equal(inc.actions[0].kind, ACTION_FIX);
	assert_string_equal(inc.actions[0].owner.name, "Carol");
	assert_int_equal(inc.actions[0].done, 0);
	incident_release(&inc);

	assert_int_equal(store_incident_load(st, 8, &inc), 0);
	assert_int_equal(inc.marks[MARK_CLOSED], 4000);
	assert_true(inc.resolved_explicit);
	assert_int_equal(inc.revision, 1);
	assert_string_equal(inc.fields[FIELD_IMPACT], "None");
	incident_release(&inc);

	assert_int_equal(store_incidents_open(st, &open, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(open[0].id, 7);
	store_incidents_free(open, n);
	/* 0005: no names kept yet. */
	{
		char *name;

		assert_int_equal(store_user_name(st, "slack", "U2", &name), 0);
		assert_null(name);
	}
	/* 0004: no reminder state yet, no alias. */
	assert_int_equal(store_reminders_open(st, &open, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(open[0].id, 7);
	assert_int_equal(open[0].remind.every, 0);
	assert_int_equal(open[0].remind.reminded, 0);
	store_incidents_free(open, n);
	{
		char *room, *alias;

		assert_int_equal(store_incident_room(st, 7, &room, &alias), 0);
		assert_string_equal(room, "C7");
		assert_null(alias);
		free(room);
	}
	assert_int_equal(store_incident_by_room(st, "matrix", "!r8:hs", &id),
			 0);
	assert_int_equal(id, 8);

	assert_int_equal(store_message_find(st, "slack", "C7", "ev-3", &id,
					    &incid, &deleted),
			 0);
	assert_int_equal(id, 3);
	assert_int_equal(incid, 7);
	assert_false(deleted);
	assert_int_equal(
	    store_message_find(st, "slack", "CGEN", "ev-1", &id, &incid, NULL),
	    0);
	assert_int_equal(incid, 0);
	assert_int_equal(store_timeline_count(st, 7, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(store_timeline_tail(st, 7, 10, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].id, 2);
	assert_int_equal(rows[0].kind, ENTRY_DECLARED);
	assert_int_equal(rows[1].id, 3);
	assert_string_equal(rows[1].text, "edited text");
	assert_int_equal(rows[2].kind, ENTRY_FILE);
	store_rows_free(rows, n);

	assert_int_equal(store_outbox_due(st, "slack", 2000, 10, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, 2);
	assert_int_equal(out[0].attempts, 2);
	assert_string_equal(out[0].to_user, "U1");
	store_outbox_free(out, n);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_cursor_get(st, "slack", &cur), 0);
	assert_string_equal(cur, "ev-4");
	free(cur);

	/* The migrated file takes new writes under the old rules. */
	{
		struct user who = {"U2", "Carol"};
		struct store_entry e = {.incident_id = 7,
					.kind = ENTRY_MESSAGE,
					.at = 1900,
					.platform = "slack",
					.room = "C7",
					.source_id = "ev-3",
					.who = &who,
					.text = "again"};

		assert_int_equal(store_timeline_add(st, &e, &id), SCRIBE_EDUP);
		e.source_id = "ev-5";
		assert_int_equal(store_timeline_add(st, &e, &id), 0);
		assert_int_equal(id, 5);
		assert_int_equal(
		    store_message_edit(st, 3, "third", false, 2000), 0);
	}
}

/* Display names kept across restarts (0005). */
static void test_users(void **state)
{
	struct store *st;
	char path[512], *name;

	(void)state;
	st = open_new("users.db", path, sizeof(path));
	assert_int_equal(store_user_name(st, "slack", "U1", &name), 0);
	assert_null(name);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_user_named(st, "slack", "U1", "maria"), 0);
	assert_int_equal(store_user_named(st, "matrix", "U1", "other"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_user_name(st, "slack", "U1", &name), 0);
	assert_string_equal(name, "maria");
	free(name);
	/* A new name replaces the old. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_user_named(st, "slack", "U1", "María"), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_user_name(st, "slack", "U1", &name), 0);
	assert_string_equal(name, "María");
	free(name);
	assert_int_equal(store_user_name(st, "matrix", "U1", &name), 0);
	assert_string_equal(name, "other");
	free(name);
	store_close(st);
	/* Kept across a reopen. */
	st = open_at(path);
	assert_int_equal(store_user_name(st, "slack", "U1", &name), 0);
	assert_string_equal(name, "María");
	free(name);
	store_close(st);
}

/* Reminder state and room aliases (0004). */
static void test_reminders(void **state)
{
	struct incident a, b, got, *list;
	struct store *st;
	char path[512], *room, *alias;
	size_t n;

	(void)state;
	st = open_new("reminders.db", path, sizeof(path));
	build_full(&a, 1);
	build_full(&b, 2);
	b.marks[MARK_CLOSED] = 0;
	a.marks[MARK_CLOSED] = 0;
	free(b.room);
	b.room = NULL;
	save_new(st, &a);
	save_new(st, &b);

	/* Without a row: zeros, for both. */
	assert_int_equal(store_reminders_open(st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[1].id, 2);
	assert_int_equal(list[1].severity, b.severity);
	assert_int_equal(list[1].marks[MARK_DECLARED], b.marks[MARK_DECLARED]);
	assert_int_equal(list[1].remind.last_update, 0);
	store_incidents_free(list, n);

	b.remind = (struct remind){.every = -1,
				   .snooze_until = 5,
				   .last_update = 6,
				   .reminded = 7,
				   .dirty = true};
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_incident_save(st, &b, false), 0);
	assert_false(b.remind.dirty);
	assert_int_equal(store_incident_set_room(st, 2, "!r:hs", "#inc-2:hs"),
			 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_incident_load(st, 2, &got), 0);
	assert_int_equal(got.remind.every, -1);
	assert_int_equal(got.remind.snooze_until, 5);
	assert_int_equal(got.remind.last_update, 6);
	assert_int_equal(got.remind.reminded, 7);
	assert_false(got.remind.dirty);
	incident_release(&got);
	assert_int_equal(store_reminders_open(st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].remind.every, 0);
	assert_int_equal(list[1].remind.reminded, 7);
	store_incidents_free(list, n);
	assert_int_equal(store_incident_room(st, 2, &room, &alias), 0);
	assert_string_equal(room, "!r:hs");
	assert_string_equal(alias, "#inc-2:hs");
	free(room);
	free(alias);
	assert_int_equal(store_incident_room(st, 9, &room, &alias),
			 SCRIBE_ENOTFOUND);

	/* Closed incidents are not reminded. */
	b.marks[MARK_CLOSED] = 99;
	b.dirty = true;
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_incident_save(st, &b, false), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_reminders_open(st, &list, &n), 0);
	assert_int_equal(n, 1);
	store_incidents_free(list, n);
	store_close(st);
	incident_release(&a);
	incident_release(&b);
}

static void (*const seeders[])(sqlite3 *db) = {
    NULL, /* version 0: an empty file */
    seed_v1,
};
static void (*const checkers[])(struct store *st) = {
    NULL,
    check_v1,
};

/* A test migrates a database created at every earlier schema version (and
 * at the latest one, where opening must change nothing). */
static void test_migrate_every_version(void **state)
{
	int latest = store_latest_version(), v, s;
	char path[512], name[64], err[512];
	struct store *st;
	sqlite3 *db;

	assert_int_equal(ARRAY_SIZE(seeders), ARRAY_SIZE(checkers));
	for (v = 0; v <= latest; v++) {
		snprintf(name, sizeof(name), "migrate-from-%d.db", v);
		tmp_path(path, sizeof(path), name);
		s = v < (int)ARRAY_SIZE(seeders) ? v
						 : (int)ARRAY_SIZE(seeders) - 1;
		while (s > 0 && !seeders[s])
			s--;

		/* Built at s, seeded, then brought to v. */
		assert_int_equal(store_open_raw(&st, path, err, sizeof(err)),
				 0);
		assert_int_equal(store_migrate(st, s, err, sizeof(err)), 0);
		assert_int_equal(store_schema_version(st), s);
		store_close(st);
		if (s > 0) {
			db = raw_open(path);
			seeders[s](db);
			raw_close(db);
		}
		assert_int_equal(store_open_raw(&st, path, err, sizeof(err)),
				 0);
		if (store_migrate(st, v, err, sizeof(err)))
			fail_msg("to %d: %s", v, err);
		assert_int_equal(store_schema_version(st), v);
		store_close(st);

		/* store_open brings it to the latest version. */
		st = open_at(path);
		assert_int_equal(store_schema_version(st), latest);
		err[0] = '\0';
		if (store_check(st, err, sizeof(err)))
			fail_msg("from %d: %s", v, err);
		assert_true(is_hex16(store_db_id(st)));
		if (s > 0)
			checkers[s](st);
		store_close(st);

		db = raw_open(path);
		assert_int_equal(raw_int(db, "PRAGMA user_version"), latest);
		raw_close(db);
	}
}

static void test_newer_refused(void **state)
{
	char path[512], err[512], want[64];
	struct store *st;
	unsigned char *before;
	size_t len;
	sqlite3 *db;
	int newer = store_latest_version() + 1;

	st = open_new("newer.db", path, sizeof(path));
	store_close(st);
	db = raw_open(path);
	raw_exec(db, "PRAGMA user_version = %d", newer);
	raw_close(db);
	before = slurp(path, &len);

	st = (struct store *)&st; /* not NULL: store_open must clear it */
	err[0] = '\0';
	assert_int_equal(store_open(&st, path, err, sizeof(err)),
			 SCRIBE_EVERSION);
	assert_null(st);
	assert_contains(err, path);
	assert_contains(err, "newer");
	snprintf(want, sizeof(want), "version %d", newer);
	assert_contains(err, want);
	assert_file_is(path, before, len);

	/* Raw opening works, but checking and migrating say why not. */
	assert_int_equal(store_open_raw(&st, path, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(st), newer);
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), SCRIBE_EVERSION);
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_int_equal(store_migrate(st, newer, err, sizeof(err)),
			 SCRIBE_EVERSION);
	assert_contains(err, "newer");
	store_close(st);
	assert_file_is(path, before, len);
	free(before);
}

/* store_open on a file that must be refused: fails with a message naming
 * the path and containing needle, leaves *out NULL and the file as it
 * was. */
static void assert_refused_untouched(const char *path, const char *needle)
{
	struct store *st = (struct store *)&st;
	char err[512] = "", side[600];
	unsigned char *before;
	size_t len;
	int rc;

	before = slurp(path, &len);
	rc = store_open(&st, path, err, sizeof(err));
	assert_true(rc < 0);
	assert_null(st);
	assert_contains(err, path);
	if (needle)
		assert_contains(err, needle);
	assert_file_is(path, before, len);
	free(before);
	/* Nor is anything left beside it. */
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_false(exists(side));
	snprintf(side, sizeof(side), "%s-shm", path);
	assert_false(exists(side));
}

static void test_corrupt_random(void **state)
{
	char path[512];
	unsigned char buf[8192];
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	tmp_path(path, sizeof(path), "random.db");
	spit(path, buf, sizeof(buf));
	assert_refused_untouched(path, "not a database");
}

static void test_corrupt_truncated(void **state)
{
	char path[512], cut[512], text[300];
	struct store *st;
	unsigned char *bytes;
	size_t len;
	int i;

	st = open_new("whole.db", path, sizeof(path));
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 400; i++)
		add_entry(st, 0, ENTRY_COMMAND, T0 + i, "C1", NULL, text);
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	bytes = slurp(path, &len);
	assert_true(len > 16 * 4096);
	tmp_path(cut, sizeof(cut), "truncated.db");
	spit(cut, bytes, len / 2);
	assert_refused_untouched(cut, NULL);
	/* Only the header left. */
	tmp_path(cut, sizeof(cut), "header-only.db");
	spit(cut, bytes, 100);
	assert_refused_untouched(cut, NULL);
	free(bytes);
}

static void test_foreign_text(void **state)
{
	static const char text[] = "# Notes\n\nThis is a text file, not a "
				   "database. It must stay as it is.\n";
	char path[512];

	tmp_path(path, sizeof(path), "notes.txt");
	spit(path, text, sizeof(text) - 1);
	assert_refused_untouched(path, "not a database");
}

/* A file with the latest version but not Scribe's tables. */
static void test_wrong_schema(void **state)
{
	char path[512], err[512] = "";
	struct store *st = (struct store *)&st;
	sqlite3 *db;

	tmp_path(path, sizeof(path), "empty-at-latest.db");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	raw_exec(db, "PRAGMA user_version = %d", store_latest_version());
	raw_close(db);
	assert_int_equal(store_open(&st, path, err, sizeof(err)),
			 SCRIBE_ESTORE);
	assert_null(st);
	assert_contains(err, path);
	assert_contains(err, "meta");
}

static void test_unwritable_path(void **state)
{
	char path[512], file[512], err[512];
	struct store *st;

	/* A directory that does not exist. */
	tmp_path(path, sizeof(path), "no-such-dir/scribe.db");
	st = (struct store *)&st;
	err[0] = '\0';
	assert_int_equal(store_open(&st, path, err, sizeof(err)),
			 SCRIBE_ESTORE);
	assert_null(st);
	assert_contains(err, path);
	tmp_path(file, sizeof(file), "no-such-dir");
	assert_false(exists(file));

	/* A path through a regular file (refused even to root). */
	tmp_path(file, sizeof(file), "plain-file");
	spit(file, "x", 1);
	tmp_path(path, sizeof(path), "plain-file/scribe.db");
	st = (struct store *)&st;
	err[0] = '\0';
	assert_int_equal(store_open(&st, path, err, sizeof(err)),
			 SCRIBE_ESTORE);
	assert_null(st);
	assert_contains(err, path);
	assert_file_is(file, (const unsigned char *)"x", 1);

	/* A directory without write permission (root may write anyway). */
	if (geteuid() != 0) {
		tmp_path(file, sizeof(file), "read-only-dir");
		assert_int_equal(mkdir(file, 0555), 0);
		tmp_path(path, sizeof(path), "read-only-dir/scribe.db");
		st = (struct store *)&st;
		err[0] = '\0';
		assert_true(store_open(&st, path, err, sizeof(err)) < 0);
		assert_null(st);
		assert_contains(err, path);
		assert_false(exists(path));
		chmod(file, 0700);
	}

	/* A tiny error buffer is not overrun. */
	tmp_path(path, sizeof(path), "no-such-dir/scribe.db");
	memset(err, '#', sizeof(err));
	assert_true(store_open(&st, path, err, 8) < 0);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], '#');
}

/* ---- check and backup --------------------------------------------------- */

static void test_check_and_backup(void **state)
{
	char path[512], copy[512], err[512];
	struct store *st, *bk;
	struct incident inc, a, b;
	int64_t x, y;
	char *cur;
	sqlite3 *db;

	st = open_new("live.db", path, sizeof(path));
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), 0);

	build_full(&inc, 1);
	save_new(st, &inc);
	assert_int_equal(store_begin(st), 0);
	add_entry(st, 1, ENTRY_MESSAGE, T0 + 1, "C100", "m1", "hello");
	add_entry(st, 1, ENTRY_MESSAGE, T0 + 2, "C100", "m2", "world");
	assert_int_equal(
	    store_outbox_add(st, 1, "slack", NULL, NULL, "message", "body", T0),
	    0);
	assert_int_equal(store_cursor_set(st, "slack", "m2", T0), 0);
	assert_int_equal(store_commit(st), 0);
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), 0);

	/* The rows are in the WAL only (no automatic checkpoint): the
	 * backup must still have them. */
	tmp_path(copy, sizeof(copy), "live-backup.db");
	err[0] = '\0';
	if (store_backup(st, copy, err, sizeof(err)))
		fail_msg("backup: %s", err);
	bk = open_at(copy);
	err[0] = '\0';
	assert_int_equal(store_check(bk, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(bk), store_latest_version());
	/* An exact copy but for its own id: a restored backup must never
	 * reuse the original's Matrix transaction ids. */
	assert_int_equal(strlen(store_db_id(bk)), 16);
	assert_string_not_equal(store_db_id(bk), store_db_id(st));
	assert_int_equal(store_incident_load(st, 1, &a), 0);
	assert_int_equal(store_incident_load(bk, 1, &b), 0);
	assert_incident_eq(&a, &b);
	incident_release(&a);
	incident_release(&b);
	assert_int_equal(store_timeline_count(st, 1, &x), 0);
	assert_int_equal(store_timeline_count(bk, 1, &y), 0);
	assert_int_equal(x, 2);
	assert_int_equal(y, 2);
	assert_int_equal(store_outbox_pending(bk, "slack", &y), 0);
	assert_int_equal(y, 1);
	assert_int_equal(store_cursor_get(bk, "slack", &cur), 0);
	assert_string_equal(cur, "m2");
	free(cur);
	store_close(bk);

	/* Inside our own write transaction the source stays locked: the
	 * backup says so at once instead of waiting for ever. */
	tmp_path(copy, sizeof(copy), "in-transaction-backup.db");
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_outbox_add(st, 1, "slack", NULL, NULL, "message",
					  "uncommitted", T0),
			 0);
	err[0] = '\0';
	assert_true(store_backup(st, copy, err, sizeof(err)) < 0);
	assert_contains(err, copy);
	assert_contains(err, "transaction");
	assert_true(store_in_transaction(st));
	store_rollback(st);

	/* A backup to nowhere fails and names where. */
	tmp_path(copy, sizeof(copy), "no-such-dir/b.db");
	err[0] = '\0';
	assert_true(store_backup(st, copy, err, sizeof(err)) < 0);
	assert_contains(err, copy);

	assert_int_equal(store_checkpoint(st, NULL), 0);
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), 0);
	store_close(st);

	/* A broken foreign key is found and named. */
	db = raw_open(path);
	raw_exec(db,
		 "PRAGMA foreign_keys = OFF;"
		 "INSERT INTO roles VALUES (42, 'ghost', 'U9', 'Nobody', 1)");
	raw_close(db);
	st = open_at(path);
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), SCRIBE_ESTORE);
	assert_contains(err, "roles");
	store_close(st);

	/* An old schema version is not "ok". */
	tmp_path(path, sizeof(path), "old.db");
	assert_int_equal(store_open_raw(&st, path, err, sizeof(err)), 0);
	err[0] = '\0';
	assert_int_equal(store_check(st, err, sizeof(err)), SCRIBE_ESTORE);
	assert_contains(err, "migrate");
	store_close(st);
	incident_release(&inc);
}

/* ---- incidents ---------------------------------------------------------- */

static void test_incident_round_trip(void **state)
{
	char path[512];
	struct store *st;
	struct incident full, bare, got;
	int64_t id;

	st = open_new("incidents.db", path, sizeof(path));
	assert_int_equal(store_next_incident_id(st, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(store_incident_load(st, 1, &got), SCRIBE_ENOTFOUND);

	build_full(&full, 1);
	save_new(st, &full);
	assert_int_equal(store_next_incident_id(st, &id), 0);
	assert_int_equal(id, 2);
	build_bare(&bare, 2);
	save_new(st, &bare);
	assert_int_equal(store_next_incident_id(st, &id), 0);
	assert_int_equal(id, 3);

	/* Inserting the same id twice is an error, not a silent overwrite. */
	full.dirty = true;
	assert_int_equal(store_incident_save(st, &full, true), SCRIBE_ESTORE);
	full.dirty = false;

	assert_int_equal(store_incident_load(st, 1, &got), 0);
	assert_incident_eq(&got, &full);
	assert_all_clean(&got);
	incident_release(&got);

	assert_int_equal(store_incident_load(st, 2, &got), 0);
	assert_incident_eq(&got, &bare);
	assert_null(got.room);
	assert_null(got.origin_room);
	assert_int_equal(got.marks[MARK_STARTED], 0);
	assert_null(got.fields[FIELD_SUMMARY]);
	assert_false(got.resolved_explicit);
	assert_int_equal(got.nroles + got.nhyps + got.nlessons + got.nactions,
			 0);
	incident_release(&got);

	/* Survives a reopen. */
	store_close(st);
	st = open_at(path);
	assert_int_equal(store_incident_load(st, 1, &got), 0);
	assert_incident_eq(&got, &full);
	incident_release(&got);
	store_close(st);
	incident_release(&full);
	incident_release(&bare);
}

static void test_incident_dirty_only(void **state)
{
	char path[512];
	struct store *st;
	struct incident inc, got;
	struct action *a;

	st = open_new("dirty.db", path, sizeof(path));
	build_full(&inc, 1);
	save_new(st, &inc);
	incident_release(&inc);

	assert_int_equal(store_incident_load(st, 1, &inc), 0);
	/* Changes that are not marked dirty are not written. */
	free(inc.title);
	inc.title = xstrdup("Not saved");
	inc.severity = 1;
	user_set(&inc.roles[0].who, "U9", "Not saved");
	free(inc.lessons[0].text);
	inc.lessons[0].text = xstrdup("Not saved");
	/* Those that are, are. */
	inc.hyps[2].state = HYP_CONFIRMED;
	inc.hyps[2].decided = T0 + 123;
	user_set(&inc.hyps[2].decided_by, "U5", "Eve");
	inc.hyps[2].why = xstrdup("the graphs");
	inc.hyps[2].dirty = true;
	a = &inc.actions[1];
	user_set(&a->owner, "U5", "Eve");
	a->done = T0 + 456;
	user_set(&a->done_by, "U5", "Eve");
	a->dirty = true;
	add_role(&inc, "comms", "U6", "Frank", T0 + 3000);
	add_lesson(&inc, 4, LESSON_WELL, "New lesson");
	add_hyp(&inc, 4, "New hypothesis", HYP_OPEN, 0, NULL, NULL);
	add_action(&inc, 3, ACTION_FIX, "New fix", NULL, 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_incident_save(st, &inc, false), 0);
	assert_int_equal(store_commit(st), 0);
	assert_all_clean(&inc);

	assert_int_equal(store_incident_load(st, 1, &got), 0);
	assert_string_equal(got.title, "Database errors on checkout");
	assert_int_equal(got.severity, 2);
	assert_string_equal(got.roles[0].who.name, "Alice");
	assert_string_equal(got.lessons[0].text, "Paging was fast");
	assert_int_equal(got.nroles, 3);
	assert_string_equal(got.roles[2].role, "comms");
	assert_int_equal(got.nhyps, 4);
	assert_int_equal(got.hyps[2].state, HYP_CONFIRMED);
	assert_int_equal(got.hyps[2].decided, T0 + 123);
	assert_string_equal(got.hyps[2].decided_by.name, "Eve");
	assert_string_equal(got.hyps[2].why, "the graphs");
	assert_string_equal(got.hyps[3].text, "New hypothesis");
	assert_int_equal(got.nlessons, 4);
	assert_int_equal(got.nactions, 3);
	assert_string_equal(got.actions[1].owner.id, "U5");
	assert_int_equal(got.actions[1].done, T0 + 456);
	assert_string_equal(got.actions[1].done_by.name, "Eve");
	assert_int_equal(got.actions[2].kind, ACTION_FIX);
	incident_release(&got);

	/* Now the row itself: every column, and a mark back to 0. */
	inc.dirty = true;
	inc.status = STATUS_RESOLVED;
	inc.marks[MARK_ACKNOWLEDGED] = T0 + 5;
	inc.marks[MARK_RESOLVED] = 0;
	inc.resolved_explicit = false;
	free(inc.fields[FIELD_SUMMARY]);
	inc.fields[FIELD_SUMMARY] = NULL;
	inc.fields[FIELD_IMPACT] = xstrdup("Checkout failed for 5%");
	inc.revision = 4;
	/* Written now that it is dirty. */
	inc.lessons[0].dirty = true;
	/* The dirty role row is replaced, not duplicated. */
	user_set(&inc.roles[0].who, "U7", "Grace");
	inc.roles[0].at = T0 + 1500;
	inc.roles[0].dirty = true;
	assert_int_equal(store_incident_save(st, &inc, false), 0);
	assert_all_clean(&inc);
	assert_int_equal(store_incident_load(st, 1, &got), 0);
	assert_incident_eq(&got, &inc);
	incident_release(&got);

	store_close(st);
	incident_release(&inc);
}

static void test_incident_rooms_and_open(void **state)
{
	char path[512];
	struct store *st;
	struct incident a, b, c, *list;
	size_t n;
	int64_t id;

	st = open_new("rooms.db", path, sizeof(path));
	build_full(&a, 1); /* slack, room C100 */
	build_bare(&b, 2); /* console, no room yet */
	build_full(&c, 3); /* slack, room C300 */
	c.marks[MARK_CLOSED] = T0 + 999999;
	save_new(st, &a);
	save_new(st, &b);
	save_new(st, &c);

	assert_int_equal(store_incident_by_room(st, "slack", "C100", &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(store_incident_by_room(st, "matrix", "C100", &id),
			 SCRIBE_ENOTFOUND);
	assert_int_equal(store_incident_by_room(st, "console", "C200", &id),
			 SCRIBE_ENOTFOUND);
	assert_int_equal(store_incident_set_room(st, 2, "C200", NULL), 0);
	assert_int_equal(store_incident_by_room(st, "console", "C200", &id), 0);
	assert_int_equal(id, 2);
	/* A closed incident still owns its room. */
	assert_int_equal(store_incident_by_room(st, "slack", "C300", &id), 0);
	assert_int_equal(id, 3);
	/* A room belongs to one incident of a platform. */
	assert_int_equal(store_incident_set_room(st, 3, "C100", NULL),
			 SCRIBE_ESTORE);

	assert_int_equal(store_incidents_open(st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, 1);
	assert_string_equal(list[0].title, a.title);
	assert_int_equal(list[0].severity, 2);
	assert_int_equal(list[0].status, STATUS_MONITORING);
	assert_string_equal(list[0].channel, "inc-1-db-errors");
	assert_string_equal(list[0].room, "C100");
	assert_string_equal(list[0].platform, "slack");
	assert_int_equal(list[0].nroles, 0);
	assert_int_equal(list[1].id, 2);
	assert_string_equal(list[1].room, "C200");
	store_incidents_free(list, n);

	/* Reopened: open again. */
	c.marks[MARK_CLOSED] = 0;
	c.dirty = true;
	assert_int_equal(store_incident_save(st, &c, false), 0);
	assert_int_equal(store_incidents_open(st, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[2].id, 3);
	store_incidents_free(list, n);

	/* Nothing open. */
	store_close(st);
	st = open_new("none-open.db", path, sizeof(path));
	list = (struct incident *)&list;
	assert_int_equal(store_incidents_open(st, &list, &n), 0);
	assert_int_equal(n, 0);
	store_incidents_free(list, n);
	store_close(st);
	incident_release(&a);
	incident_release(&b);
	incident_release(&c);
}

/* ---- timeline ----------------------------------------------------------- */

static void test_timeline_add_and_dup(void **state)
{
	char path[512];
	struct store *st;
	struct incident inc;
	struct user who = {"U2", "Bob"}, noname = {"U3", NULL};
	struct store_entry e = {.incident_id = 1,
				.kind = ENTRY_REACTION,
				.at = T0 + 10,
				.platform = "slack",
				.room = "C100",
				.source_id = "react-1",
				.who = &who,
				.text = "eyes",
				.thread = "m1",
				.key = true,
				.truncated = true};
	int64_t id1, id2, id3, id, n;
	sqlite3 *db;

	st = open_new("timeline.db", path, sizeof(path));
	build_full(&inc, 1);
	save_new(st, &inc);

	id1 = add_entry(st, 1, ENTRY_MESSAGE, T0, "C100", "m1", "hello");
	e.ref_id = id1;
	assert_int_equal(store_timeline_add(st, &e, &id2), 0);
	assert_true(id2 > id1);

	/* Redelivery: refused, nothing written, *id untouched. */
	e.text = "changed";
	id = -7;
	assert_int_equal(store_timeline_add(st, &e, &id), SCRIBE_EDUP);
	assert_int_equal(id, -7);
	assert_int_equal(store_timeline_add(st, &e, NULL), SCRIBE_EDUP);
	assert_int_equal(store_timeline_count(st, 1, &n), 0);
	assert_int_equal(n, 2);
	/* The same source id elsewhere is another event. */
	e.room = "C101";
	assert_int_equal(store_timeline_add(st, &e, &id3), 0);
	e.room = "C100";
	e.platform = "matrix";
	assert_int_equal(store_timeline_add(st, &e, NULL), 0);
	e.platform = "slack";

	/* Scribe's own entries (no source id) never collide. */
	e.source_id = NULL;
	e.room = NULL;
	e.ref_id = 0;
	e.thread = NULL;
	e.key = false;
	e.truncated = false;
	e.who = &noname;
	assert_int_equal(store_timeline_add(st, &e, &id), 0);
	assert_int_equal(store_timeline_add(st, &e, &id3), 0);
	assert_true(id3 > id);
	assert_int_equal(store_timeline_count(st, 1, &n), 0);
	assert_int_equal(n, 6);

	db = raw_open(path);
	assert_raw_text(db, "reaction",
			"SELECT kind FROM timeline WHERE source_id = "
			"'react-1' AND room = 'C100' AND platform = 'slack'");
	assert_raw_text(db, "eyes",
			"SELECT text FROM timeline WHERE source_id = "
			"'react-1' AND room = 'C100' AND platform = 'slack'");
	assert_int_equal(raw_int(db,
				 "SELECT ref_id = %lld AND thread = 'm1' AND "
				 "key = 1 AND truncated = 1 AND at_ms = %lld "
				 "AND author_id = 'U2' AND author_name = 'Bob' "
				 "FROM timeline WHERE id = %lld",
				 (long long)id1, (long long)(T0 + 10),
				 (long long)id2),
			 1);
	/* No room is '', no name is the id, no ref and no thread NULL. */
	assert_int_equal(raw_int(db,
				 "SELECT room = '' AND author_name = 'U3' AND "
				 "ref_id IS NULL AND thread IS NULL AND "
				 "source_id IS NULL AND key = 0 FROM timeline "
				 "WHERE id = %lld",
				 (long long)id3),
			 1);
	raw_close(db);

	/* A command outside any incident, adopted by the one it declared. */
	id = add_entry(st, 0, ENTRY_COMMAND, T0 + 20, "CGEN", "cmd-1",
		       "declare sev2 x");
	assert_int_equal(
	    store_message_find(st, "slack", "CGEN", "cmd-1", &id1, &n, NULL),
	    0);
	assert_int_equal(id1, id);
	assert_int_equal(n, 0);
	assert_int_equal(store_timeline_set_incident(st, id, 1), 0);
	assert_int_equal(
	    store_message_find(st, "slack", "CGEN", "cmd-1", &id1, &n, NULL),
	    0);
	assert_int_equal(n, 1);
	store_close(st);
	incident_release(&inc);
}

static void test_message_edit_delete(void **state)
{
	char path[512];
	struct store *st;
	struct incident inc;
	struct timeline_row *rows;
	size_t nrows;
	int64_t id, other, got, incid;
	bool deleted;
	sqlite3 *db;

	st = open_new("messages.db", path, sizeof(path));
	build_full(&inc, 1);
	save_new(st, &inc);
	id = add_entry(st, 1, ENTRY_MESSAGE, T0, "C100", "m1", "original");
	other = add_entry(st, 1, ENTRY_MESSAGE, T0 + 1, "C100", "m2", "other");

	assert_int_equal(store_message_find(st, "slack", "C100", "nope", &got,
					    &incid, &deleted),
			 SCRIBE_ENOTFOUND);
	assert_int_equal(
	    store_message_find(st, "slack", "C999", "m1", &got, NULL, NULL),
	    SCRIBE_ENOTFOUND);
	deleted = true;
	incid = -1;
	assert_int_equal(store_message_find(st, "slack", "C100", "m1", &got,
					    &incid, &deleted),
			 0);
	assert_int_equal(got, id);
	assert_int_equal(incid, 1);
	assert_false(deleted);

	assert_int_equal(store_message_edit(st, id, "second", false, T0 + 100),
			 0);
	assert_int_equal(store_message_edit(st, id, "third", true, T0 + 200),
			 0);
	db = raw_open(path);
	assert_raw_text(db, "third",
			"SELECT text FROM timeline WHERE source_id = 'm1'");
	assert_int_equal(raw_int(db,
				 "SELECT edits * 10 + truncated FROM timeline "
				 "WHERE id = %lld",
				 (long long)id),
			 21);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM revisions WHERE "
				 "entry_id = %lld",
				 (long long)id),
			 2);
	assert_raw_text(db, "original",
			"SELECT text FROM revisions WHERE rev = 1");
	assert_raw_text(db, "second",
			"SELECT text FROM revisions WHERE rev = 2");
	assert_int_equal(raw_int(db,
				 "SELECT replaced_ms FROM revisions WHERE rev "
				 "= 1"),
			 T0 + 100);
	assert_int_equal(raw_int(db,
				 "SELECT replaced_ms FROM revisions WHERE rev "
				 "= 2"),
			 T0 + 200);

	/* Deleted: a tombstone with who and when, and no text anywhere. */
	assert_int_equal(store_message_delete(st, id, T0 + 300, "U4"), 0);
	assert_int_equal(store_message_find(st, "slack", "C100", "m1", &got,
					    &incid, &deleted),
			 0);
	assert_true(deleted);
	assert_int_equal(raw_int(db,
				 "SELECT text = '' AND deleted_ms = %lld AND "
				 "deleted_by = 'U4' FROM timeline WHERE id = "
				 "%lld",
				 (long long)(T0 + 300), (long long)id),
			 1);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM revisions WHERE "
				 "entry_id = %lld AND text <> ''",
				 (long long)id),
			 0);
	/* The other message is untouched. */
	assert_raw_text(db, "other",
			"SELECT text FROM timeline WHERE source_id = 'm2'");
	assert_int_equal(raw_int(db, "SELECT deleted_ms IS NULL FROM timeline "
				     "WHERE source_id = 'm2'"),
			 1);

	/* Key entries and files. */
	assert_int_equal(store_entry_set_key(st, other), 0);
	assert_int_equal(raw_int(db, "SELECT key FROM timeline WHERE id = %lld",
				 (long long)other),
			 1);
	assert_int_equal(store_file_add(st, other, "graph.png", "image/png",
					"https://x/graph.png"),
			 0);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM files WHERE entry_id = "
				 "%lld AND name = 'graph.png' AND type = "
				 "'image/png' AND url = 'https://x/graph.png'",
				 (long long)other),
			 1);
	assert_int_equal(store_file_add(st, id, "x.txt", NULL, NULL), 0);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM files WHERE entry_id = "
				 "%lld AND type = '' AND url = ''",
				 (long long)id),
			 1);
	raw_close(db);

	assert_int_equal(store_timeline_tail(st, 1, 10, &rows, &nrows), 0);
	assert_int_equal(nrows, 2);
	assert_int_equal(rows[0].id, id);
	assert_true(rows[0].deleted);
	assert_string_equal(rows[0].text, "");
	assert_string_equal(rows[0].who, "Alice");
	assert_false(rows[1].deleted);
	assert_string_equal(rows[1].text, "other");
	store_rows_free(rows, nrows);
	store_close(st);
	incident_release(&inc);
}

static void test_timeline_tail(void **state)
{
	char path[512];
	struct store *st;
	struct incident a, b;
	struct timeline_row *rows;
	size_t n;
	int64_t count, late;
	int i;

	st = open_new("tail.db", path, sizeof(path));
	build_full(&a, 1);
	build_bare(&b, 2);
	save_new(st, &a);
	save_new(st, &b);

	assert_int_equal(store_timeline_count(st, 1, &count), 0);
	assert_int_equal(count, 0);
	rows = (struct timeline_row *)&rows;
	assert_int_equal(store_timeline_tail(st, 1, 5, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_rows_free(rows, n);

	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 10; i++) {
		char text[16];

		snprintf(text, sizeof(text), "a%d", i);
		add_entry(st, 1, ENTRY_MESSAGE, T0 + i * 1000, "C100", NULL,
			  text);
		add_entry(st, 2, ENTRY_NOTE, T0 + i * 1000 + 1, "", NULL, "b");
	}
	add_entry(st, 0, ENTRY_COMMAND, T0 + 99999, "CGEN", NULL, "help");
	/* Backdated: recorded last, happened early. */
	add_entry(st, 1, ENTRY_NOTE, T0 + 500, "C100", NULL, "backdated");
	/* Two at the same instant keep the order they were recorded in. */
	late = T0 + 20000;
	add_entry(st, 1, ENTRY_MARK, late, "C100", NULL, "same-1");
	add_entry(st, 1, ENTRY_STATUS, late, "C100", NULL, "same-2");
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_timeline_count(st, 1, &count), 0);
	assert_int_equal(count, 13);
	assert_int_equal(store_timeline_count(st, 2, &count), 0);
	assert_int_equal(count, 10);

	assert_int_equal(store_timeline_tail(st, 1, 4, &rows, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].text, "a8");
	assert_string_equal(rows[1].text, "a9");
	assert_string_equal(rows[2].text, "same-1");
	assert_int_equal(rows[2].kind, ENTRY_MARK);
	assert_string_equal(rows[3].text, "same-2");
	assert_int_equal(rows[3].kind, ENTRY_STATUS);
	assert_int_equal(rows[3].at, late);
	assert_true(rows[2].id < rows[3].id);
	store_rows_free(rows, n);

	assert_int_equal(store_timeline_tail(st, 1, 100, &rows, &n), 0);
	assert_int_equal(n, 13);
	assert_string_equal(rows[0].text, "a0");
	assert_string_equal(rows[1].text, "backdated");
	assert_int_equal(rows[1].kind, ENTRY_NOTE);
	assert_string_equal(rows[2].text, "a1");
	for (i = 1; i < (int)n; i++)
		assert_true(rows[i - 1].at <= rows[i].at);
	store_rows_free(rows, n);

	assert_int_equal(store_timeline_tail(st, 1, 0, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_rows_free(rows, n);
	store_close(st);
	incident_release(&a);
	incident_release(&b);
}

/* ---- outbox ------------------------------------------------------------- */

static void test_outbox(void **state)
{
	char path[512], *err;
	struct store *st;
	struct incident inc;
	struct outbox_row *rows;
	size_t n;
	int64_t count, first, second;
	sqlite3 *db;

	st = open_new("outbox.db", path, sizeof(path));
	build_full(&inc, 1);
	save_new(st, &inc);

	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 0);
	rows = (struct outbox_row *)&rows;
	assert_int_equal(store_outbox_due(st, "slack", T0, 10, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_outbox_free(rows, n);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
	    store_outbox_add(st, 1, "slack", NULL, NULL, "message", "one", T0),
	    0);
	assert_int_equal(store_outbox_add(st, 0, "slack", "CGEN", "U1",
					  "message", "two", T0 + 1),
			 0);
	assert_int_equal(store_outbox_add(st, 1, "matrix", "!r:hs", NULL,
					  "create_room", "{}", T0 + 2),
			 0);
	assert_int_equal(store_outbox_add(st, 1, "slack", NULL, NULL,
					  "postmortem", "three", T0 + 3),
			 0);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_outbox_due(st, "slack", T0, 10, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_true(rows[0].id < rows[1].id && rows[1].id < rows[2].id);
	assert_int_equal(rows[0].incident_id, 1);
	assert_string_equal(rows[0].platform, "slack");
	assert_null(rows[0].room);
	assert_null(rows[0].to_user);
	assert_string_equal(rows[0].kind, "message");
	assert_string_equal(rows[0].body, "one");
	assert_int_equal(rows[0].attempts, 0);
	assert_int_equal(rows[1].incident_id, 0);
	assert_string_equal(rows[1].room, "CGEN");
	assert_string_equal(rows[1].to_user, "U1");
	assert_string_equal(rows[1].body, "two");
	assert_string_equal(rows[2].kind, "postmortem");
	first = rows[0].id;
	second = rows[1].id;
	store_outbox_free(rows, n);

	/* The limit keeps the oldest. */
	assert_int_equal(store_outbox_due(st, "slack", T0, 2, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, first);
	assert_int_equal(rows[1].id, second);
	store_outbox_free(rows, n);
	/* One platform at a time. */
	assert_int_equal(store_outbox_due(st, "matrix", T0, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].kind, "create_room");
	assert_string_equal(rows[0].room, "!r:hs");
	store_outbox_free(rows, n);
	assert_int_equal(store_outbox_due(st, "console", T0, 10, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_outbox_free(rows, n);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(store_outbox_pending(st, "matrix", &count), 0);
	assert_int_equal(count, 1);

	/* Sent: gone from due and pending. */
	assert_int_equal(store_outbox_sent(st, first, T0 + 10), 0);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_outbox_due(st, "slack", T0 + 10, 10, &rows, &n),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, second);
	store_outbox_free(rows, n);

	/* Retried later: pending, but not due until next_ms. */
	assert_int_equal(store_outbox_retry(st, second, T0 + 5000, "HTTP 429"),
			 0);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_outbox_due(st, "slack", T0 + 10, 10, &rows, &n),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].body, "three");
	store_outbox_free(rows, n);
	assert_int_equal(
	    store_outbox_due(st, "slack", T0 + 4999, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	store_outbox_free(rows, n);
	assert_int_equal(
	    store_outbox_due(st, "slack", T0 + 5000, 10, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, second);
	assert_int_equal(rows[0].attempts, 1);
	store_outbox_free(rows, n);

	db = raw_open(path);
	err = raw_text(db, "SELECT last_error FROM outbox WHERE id = %lld",
		       (long long)second);
	assert_string_equal(err, "HTTP 429");
	free(err);
	assert_int_equal(raw_int(db,
				 "SELECT sent_ms * 10 + attempts FROM outbox "
				 "WHERE id = %lld",
				 (long long)first),
			 (T0 + 10) * 10 + 1);
	raw_close(db);

	/* Survives a restart. */
	store_close(st);
	st = open_at(path);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 2);
	store_close(st);
	incident_release(&inc);
}

/* ---- cursors ------------------------------------------------------------ */

static void test_cursors(void **state)
{
	char path[512], *v;
	struct store *st;

	st = open_new("cursors.db", path, sizeof(path));
	v = (char *)&v;
	assert_int_equal(store_cursor_get(st, "slack", &v), 0);
	assert_null(v);
	assert_int_equal(store_cursor_set(st, "slack", "Ev01", T0), 0);
	assert_int_equal(store_cursor_get(st, "slack", &v), 0);
	assert_string_equal(v, "Ev01");
	free(v);
	assert_int_equal(store_cursor_set(st, "slack", "Ev02", T0 + 1), 0);
	assert_int_equal(
	    store_cursor_set(st, "matrix", "s72594_4483_1934", T0 + 2), 0);
	assert_int_equal(store_cursor_get(st, "slack", &v), 0);
	assert_string_equal(v, "Ev02");
	free(v);
	assert_int_equal(store_cursor_get(st, "matrix", &v), 0);
	assert_string_equal(v, "s72594_4483_1934");
	free(v);
	assert_int_equal(store_cursor_get(st, "console", &v), 0);
	assert_null(v);
	store_close(st);

	st = open_at(path);
	assert_int_equal(store_cursor_get(st, "slack", &v), 0);
	assert_string_equal(v, "Ev02");
	free(v);
	store_close(st);
}

/* ---- transactions and the database id ---------------------------------- */

static void test_transactions(void **state)
{
	char path[512];
	struct store *st;
	int64_t count;

	st = open_new("tx.db", path, sizeof(path));
	assert_false(store_in_transaction(st));
	assert_int_equal(store_begin(st), 0);
	assert_true(store_in_transaction(st));
	assert_int_equal(store_outbox_add(st, 0, "slack", NULL, NULL, "message",
					  "rolled back", T0),
			 0);
	assert_int_equal(store_cursor_set(st, "slack", "gone", T0), 0);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 1);
	store_rollback(st);
	assert_false(store_in_transaction(st));
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 0);
	{
		char *v = NULL;

		assert_int_equal(store_cursor_get(st, "slack", &v), 0);
		assert_null(v);
	}

	/* No nesting; commit and rollback outside one. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), SCRIBE_ESTORE);
	assert_true(store_in_transaction(st));
	assert_int_equal(
	    store_outbox_add(st, 0, "slack", NULL, NULL, "message", "kept", T0),
	    0);
	assert_int_equal(store_commit(st), 0);
	assert_false(store_in_transaction(st));
	assert_int_equal(store_commit(st), SCRIBE_ESTORE);
	store_rollback(st);
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 1);

	/* Closing in the middle of a transaction loses it, not the rest. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_outbox_add(st, 0, "slack", NULL, NULL, "message",
					  "never committed", T0),
			 0);
	store_close(st);
	st = open_at(path);
	assert_false(store_in_transaction(st));
	assert_int_equal(store_outbox_pending(st, "slack", &count), 0);
	assert_int_equal(count, 1);
	store_close(st);
}

static void test_db_id(void **state)
{
	char p1[512], p2[512], id1[17];
	struct store *a, *b;

	a = open_new("id-a.db", p1, sizeof(p1));
	b = open_new("id-b.db", p2, sizeof(p2));
	assert_true(is_hex16(store_db_id(a)));
	assert_true(is_hex16(store_db_id(b)));
	assert_string_not_equal(store_db_id(a), store_db_id(b));
	snprintf(id1, sizeof(id1), "%s", store_db_id(a));
	store_close(a);
	store_close(b);

	a = open_at(p1);
	assert_string_equal(store_db_id(a), id1);
	store_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_fresh),
	    cmocka_unit_test(test_migrate_every_version),
	    cmocka_unit_test(test_reminders),
	    cmocka_unit_test(test_users),
	    cmocka_unit_test(test_newer_refused),
	    cmocka_unit_test(test_corrupt_random),
	    cmocka_unit_test(test_corrupt_truncated),
	    cmocka_unit_test(test_foreign_text),
	    cmocka_unit_test(test_wrong_schema),
	    cmocka_unit_test(test_unwritable_path),
	    cmocka_unit_test(test_check_and_backup),
	    cmocka_unit_test(test_incident_round_trip),
	    cmocka_unit_test(test_incident_dirty_only),
	    cmocka_unit_test(test_incident_rooms_and_open),
	    cmocka_unit_test(test_timeline_add_and_dup),
	    cmocka_unit_test(test_message_edit_delete),
	    cmocka_unit_test(test_timeline_tail),
	    cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_cursors),
	    cmocka_unit_test(test_transactions),
	    cmocka_unit_test(test_db_id),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
