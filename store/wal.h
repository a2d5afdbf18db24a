/*
 * wal.h - keeps the store's write-ahead log short without stalling the
 * loop.
 *
 * SQLite's automatic checkpoint runs inside whichever commit crosses its
 * threshold, on the loop: tens of milliseconds of copying and fsync while
 * every ack waits. Instead a thread of its own, with its own connection
 * to the same file, folds the WAL back into the database (a PASSIVE
 * checkpoint, which never blocks the loop's writes) whenever the loop,
 * after a commit, finds enough of the WAL not yet copied back.
 *
 * A checkpoint alone does not make the file smaller: the WAL starts again
 * from its beginning only when a write transaction begins while every
 * frame is already in the database, and under a steady stream the thread
 * never finishes between two commits. So once the WAL passes
 * WAL_RESTART_BYTES, and the thread has copied all but a small tail, the
 * loop copies that tail itself right after a commit (well under a
 * millisecond of work, once per restart), its next transaction restarts
 * the WAL, and SQLite cuts the file back to STORE_WAL_LIMIT
 * (journal_size_limit). When the loop has been idle, the thread truncates
 * the file to nothing (TRUNCATE blocks writers, so only then).
 *
 * wal_open() never fails: without a thread (one could not be started)
 * the same decisions run their checkpoints on the caller, which is what
 * replay, with no loop to stall, would do anyway.
 */
#ifndef SCRIBE_WAL_H
#define SCRIBE_WAL_H

#include "util/base.h"
#include "store/store.h"

/* WAL not yet in the database that wakes the thread. */
#define WAL_WAKE_BYTES (4 * 1024 * 1024)
/* A WAL this large is restarted from its beginning... */
#define WAL_RESTART_BYTES STORE_WAL_LIMIT
/* ...by the loop copying at most this tail itself. */
#define WAL_TAIL_BYTES (512 * 1024)

/* Counters, for logs and /metrics. */
struct wal_stats {
	uint64_t checkpoints; /* passes of the thread */
	uint64_t tails;       /* tails copied on the loop */
	uint64_t truncates;   /* files truncated while idle */
	uint64_t errors;      /* checkpoints that failed (disk full...) */
	uint64_t last_us;     /* the thread's last pass */
	uint64_t max_us;      /* its longest pass */
	uint64_t max_tail_us; /* the longest tail on the loop */
	int64_t peak_bytes;   /* the largest WAL after a commit */
};

struct wal;

/* Starts the checkpointer of st's file (borrowed; it must outlive the
 * wal). An in-memory store gets one that does nothing. */
struct wal *wal_open(struct store *st);
/* After each commit, on the loop's thread: wakes the thread, or copies the
 * tail, as the WAL's size says. */
void wal_tend(struct wal *w);
/* The loop has been idle for a while: empty the WAL file. */
void wal_idle(struct wal *w);
void wal_stats(struct wal *w, struct wal_stats *out);
/* Stops and joins the thread, closes its connection, frees w. */
void wal_close(struct wal *w);

#endif
