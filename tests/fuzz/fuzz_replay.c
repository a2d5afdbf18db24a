/*
 * fuzz_replay.c - libFuzzer target for the transcript parser, through
 * the whole pipeline behind it.
 *
 * `scribe replay FILE` is the one way a file of chat history (JSON Lines
 * with every kind of event, or plain "YYYY-MM-DD HH:MM user: text" lines)
 * gets into the store, so the input is written to a scratch file and
 * replayed with replay_file() through a real struct app (no loop: replay
 * flushes itself) with the console transport (quiet, printing to
 * /dev/null) and a real store. Every event the parser accepts goes on to
 * the app, the core and SQLite, so this also fuzzes the app's handling of
 * edits, deletes, reactions, files, threads and commands. Plain lines are
 * read in Central European time (as `--tz` would give), so their DST gaps
 * and folds are reached whatever TZ the process has.
 *
 * The store is a file in the process's scratch folder (WAL needs a file),
 * opened at the first input and kept, as `scribe replay` keeps its
 * database between runs; this is what makes "replaying twice adds
 * nothing" and incidents declared by earlier inputs part of what is
 * fuzzed. To keep runs fast and findings reproducible, the database is
 * deleted and made afresh every STORE_INPUTS inputs: a crash that needs
 * an earlier input's state shows up within that window, and rerunning the
 * corpus in order (as replay_replay does) rebuilds that state.
 *
 * Checked beyond "no crash, no leak, no sanitizer report" (FUZZ_CHECK
 * aborts): replay_file() returns 0 (a malformed line is skipped, never a
 * store error), leaves no transaction open, and counts no more lines
 * recorded, duplicated or ignored than it read.
 */
#include "util/base.h"

#include "app.h"
#include "config.h"
#include "chat/console.h"
#include "chat/replay.h"
#include "store/store.h"
#include "fuzz.h"

#define STORE_INPUTS 256
/* The zone of plain-text lines (`--tz`): a POSIX rule for Central European
 * time, so DST gaps and folds are reachable without a zoneinfo file. */
#define PLAIN_TZ "CET-1CEST,M3.5.0,M10.5.0/3"

static struct config cfg;
static struct store *st;
static FILE *devnull;
static unsigned inputs;

static void store_reset(void)
{
	char err[512];
	const char *db = fuzz_path("scribe.db");
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[700];
	size_t i;

	store_close(st);
	st = NULL;
	for (i = 0; i < ARRAY_SIZE(suffix); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		unlink(path);
	}
	if (store_open(&st, fuzz_path("scribe.db"), err, sizeof(err))) {
		fprintf(stderr, "fuzz_replay: %s\n", err);
		abort();
	}
}

static void teardown(void)
{
	store_close(st);
	st = NULL;
	if (devnull)
		fclose(devnull);
	devnull = NULL;
	config_release(&cfg);
}

static void setup(void)
{
	config_defaults(&cfg);
	/* A close writes its postmortem: into the scratch folder. */
	free(cfg.postmortem_dir);
	cfg.postmortem_dir = xstrdup(fuzz_path("postmortems"));
	devnull = fopen("/dev/null", "w");
	if (!devnull) {
		fprintf(stderr, "fuzz_replay: cannot open /dev/null\n");
		abort();
	}
	(void)fuzz_dir(); /* its atexit runs after teardown's */
	atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_stats stats;
	struct console con;
	struct app app;
	const char *path;
	int rc;

	if (!devnull)
		setup();
	if (inputs++ % STORE_INPUTS == 0)
		store_reset();
	path = fuzz_write_input(data, size);

	app_init(&app, &cfg, st, NULL);
	console_init(&con, &app, NULL, devnull);
	con.quiet = true;
	app_add_transport(&app, &con.chat);
	rc = replay_file(&app, &con, path, PLAIN_TZ, &stats);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(!store_in_transaction(st));
	FUZZ_CHECK(stats.recorded + stats.duplicates + stats.ignored <=
		   stats.lines);
	app_release(&app);
	console_release(&con);
	return 0;
}
