/*
 * wal.c - the WAL checkpointer thread; see wal.h.
 *
 * The loop and the thread share one small struct under a mutex: the job
 * the loop asked for, whether the thread is busy, and what its last pass
 * copied back. Results are tagged with the WAL's generation (the loop
 * counts a restart whenever the frames after a commit are fewer than
 * before), so a pass over an older WAL never passes for one over the
 * current one. The thread never touches the loop's connection, and the
 * loop never waits for the thread except to join it.
 */
#include <sqlite3.h>
#include <time.h>
#include <uv.h>

#include "util/log.h"
#include "store/wal.h"

enum wal_job { WAL_NONE, WAL_PASSIVE, WAL_TRUNCATE };

struct wal {
	struct store *st;    /* the loop's connection; loop side only */
	sqlite3 *db;         /* the thread's; NULL: checkpoints on the caller */
	int64_t frame_bytes; /* a page and its frame header */
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cv;
	/* Under mu. */
	enum wal_job job;
	uint64_t job_gen; /* the generation the job was asked in */
	bool job_restart; /* the WAL is due to restart: chase its tail */
	bool busy, quit;
	uint64_t done_gen;   /* the generation of the last pass... */
	int64_t done_frames; /* ...and the frames it left in the database */
	struct wal_stats stats;
	/* The loop's side only. */
	uint64_t gen;        /* restarts of the WAL seen so far */
	int64_t last_frames; /* after the previous commit */
	bool dirty;          /* written to since the last truncation */
	uint64_t tail_gen;   /* the generation of the last tail copied... */
	int64_t tail_frames; /* ...and the WAL's frames then */
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One job on the thread's connection; returns SQLite's code. When the
 * WAL is due to restart, a short tail left by commits that came during
 * the pass is chased a few times: a pass that ends between two commits
 * lets the loop's next transaction restart the WAL with no work on the
 * loop. A TRUNCATE copies what it can without blocking first, so the
 * write lock it takes is held only for what came since. */
static int run_job(struct wal *w, enum wal_job job, bool restart, int64_t *done,
		   bool *truncated)
{
	int log = 0, ckpt = 0, rc, chase;

	*truncated = false;
	for (chase = 0; chase < 8; chase++) {
		rc = sqlite3_wal_checkpoint_v2(
		    w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
		if (rc != SQLITE_OK || !restart || ckpt >= log ||
		    (log - ckpt) * w->frame_bytes > WAL_TAIL_BYTES)
			break;
	}
	if (rc == SQLITE_OK && job == WAL_TRUNCATE) {
		rc = sqlite3_wal_checkpoint_v2(
		    w->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt);
		/* Busy: the loop began writing again; it was not idle. */
		if (rc == SQLITE_BUSY)
			rc = SQLITE_OK;
		else
			*truncated = rc == SQLITE_OK;
	}
	*done = ckpt > 0 ? ckpt : 0;
	return rc;
}

static void wal_main(void *arg)
{
	struct wal *w = arg;
	enum wal_job job;
	uint64_t gen, t0, us;
	int64_t done;
	bool truncated, restart;
	int rc;

	uv_mutex_lock(&w->mu);
	for (;;) {
		while (w->job == WAL_NONE && !w->quit)
			uv_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		job = w->job;
		gen = w->job_gen;
		restart = w->job_restart;
		w->job = WAL_NONE;
		w->busy = true;
		uv_mutex_unlock(&w->mu);

		t0 = now_us();
		rc = run_job(w, job, restart, &done, &truncated);
		us = now_us() - t0;
		if (rc != SQLITE_OK)
			log_warn("store: checkpoint: %s",
				 sqlite3_errmsg(w->db));
		else
			log_debug("store: checkpoint%s: %lld frames in the "
				  "database, %llu us",
				  truncated ? " (WAL truncated)" : "",
				  (long long)done, (unsigned long long)us);

		uv_mutex_lock(&w->mu);
		w->busy = false;
		if (rc == SQLITE_OK) {
			w->done_gen = truncated ? 0 : gen;
			w->done_frames = done;
		} else {
			w->stats.errors++;
		}
		w->stats.checkpoints++;
		w->stats.truncates += truncated;
		w->stats.last_us = us;
		if (us > w->stats.max_us)
			w->stats.max_us = us;
	}
	uv_mutex_unlock(&w->mu);
}

/* Opens the thread's own connection to st's file; NULL if it cannot. */
static sqlite3 *open_own(const char *path)
{
	sqlite3 *db = NULL;

	/* synchronous = FULL: a checkpoint syncs the WAL before copying and
	 * the database after, so frames are never overwritten before the
	 * copy of them is durable. */
	if (sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA synchronous = FULL;"
			 "PRAGMA journal_size_limit = 0;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		log_warn("store: no checkpoint thread (%s): checkpoints run on "
			 "the loop",
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	/* A TRUNCATE waits this long for the loop's transaction to end,
	 * then gives up: the loop was not idle after all. */
	sqlite3_busy_timeout(db, 20);
	return db;
}

struct wal *wal_open(struct store *st)
{
	struct wal *w = xcalloc(1, sizeof(*w));
	const char *path = store_path(st);

	w->st = st;
	w->frame_bytes = store_wal_bytes(st, 2) - store_wal_bytes(st, 1);
	uv_mutex_init(&w->mu);
	uv_cond_init(&w->cv);
	if (path)
		w->db = open_own(path);
	if (w->db && uv_thread_create(&w->thread, wal_main, w)) {
		log_warn("store: no checkpoint thread: checkpoints run on the "
			 "loop");
		sqlite3_close(w->db);
		w->db = NULL;
	}
	return w;
}

/* Asks the thread for job (the caller holds mu). */
static void wake(struct wal *w, enum wal_job job, bool restart)
{
	if (job > w->job)
		w->job = job;
	w->job_gen = w->gen;
	w->job_restart = restart;
	uv_cond_signal(&w->cv);
}

/* Copies what the thread has not, on the caller's thread. */
static void copy_here(struct wal *w, bool tail)
{
	uint64_t t0 = now_us(), us;
	int64_t done = 0;
	int rc = store_checkpoint(w->st, &done);

	us = now_us() - t0;
	uv_mutex_lock(&w->mu);
	if (!rc) {
		w->done_gen = w->gen;
		w->done_frames = done;
	} else {
		w->stats.errors++;
	}
	if (tail) {
		w->stats.tails++;
		if (us > w->stats.max_tail_us)
			w->stats.max_tail_us = us;
	} else {
		w->stats.checkpoints++;
		w->stats.last_us = us;
		if (us > w->stats.max_us)
			w->stats.max_us = us;
	}
	uv_mutex_unlock(&w->mu);
}

void wal_tend(struct wal *w)
{
	int64_t frames = store_wal_frames(w->st), bytes, pending;
	bool busy, restart;

	if (frames < w->last_frames)
		w->gen++; /* the WAL started again from its beginning */
	w->last_frames = frames;
	if (!frames)
		return;
	w->dirty = true;
	bytes = store_wal_bytes(w->st, frames);
	restart = bytes >= WAL_RESTART_BYTES;

	uv_mutex_lock(&w->mu);
	if (bytes > w->stats.peak_bytes)
		w->stats.peak_bytes = bytes;
	busy = w->busy || w->job != WAL_NONE;
	pending = frames - (w->done_gen == w->gen ? w->done_frames : 0);
	pending = store_wal_bytes(w->st, pending);
	if (!busy && w->db &&
	    pending >= (restart ? WAL_TAIL_BYTES : WAL_WAKE_BYTES))
		wake(w, WAL_PASSIVE, restart);
	uv_mutex_unlock(&w->mu);
	if (busy)
		return;
	/* Once per generation (a reader holding an old snapshot can keep
	 * the WAL from restarting): again only after another tail's worth. */
	if (restart && pending < WAL_TAIL_BYTES && pending > 0 &&
	    (w->tail_gen != w->gen ||
	     store_wal_bytes(w->st, frames - w->tail_frames) >=
		 WAL_TAIL_BYTES)) {
		w->tail_gen = w->gen;
		w->tail_frames = frames;
		copy_here(w, true);
	} else if (!w->db && pending >= WAL_WAKE_BYTES) {
		copy_here(w, false);
	}
}

void wal_idle(struct wal *w)
{
	if (!w->dirty || store_in_transaction(w->st))
		return;
	w->dirty = false;
	uv_mutex_lock(&w->mu);
	if (w->db)
		wake(w, WAL_TRUNCATE, false);
	uv_mutex_unlock(&w->mu);
	if (!w->db)
		copy_here(w, false);
}

void wal_stats(struct wal *w, struct wal_stats *out)
{
	uv_mutex_lock(&w->mu);
	*out = w->stats;
	uv_mutex_unlock(&w->mu);
}

void wal_close(struct wal *w)
{
	struct wal_stats *s;

	if (!w)
		return;
	if (w->db) {
		uv_mutex_lock(&w->mu);
		w->quit = true;
		uv_cond_signal(&w->cv);
		uv_mutex_unlock(&w->mu);
		uv_thread_join(&w->thread);
		sqlite3_close(w->db);
	}
	s = &w->stats;
	if (s->checkpoints || s->tails)
		log_info("store: WAL peak %.1f MiB; %llu checkpoints (longest "
			 "%.1f ms), %llu tails on the loop (longest %.1f ms), "
			 "%llu truncations, %llu failures",
			 (double)s->peak_bytes / 1048576,
			 (unsigned long long)s->checkpoints,
			 (double)s->max_us / 1000, (unsigned long long)s->tails,
			 (double)s->max_tail_us / 1000,
			 (unsigned long long)s->truncates,
			 (unsigned long long)s->errors);
	uv_cond_destroy(&w->cv);
	uv_mutex_destroy(&w->mu);
	free(w);
}
