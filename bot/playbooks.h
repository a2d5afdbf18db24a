/*
 * playbooks.h - the playbook folder: read, checked, and reloaded.
 *
 * The I/O around core/playbook.h. At start-up and on SIGHUP the folder's
 * *.yaml, *.yml and *.json files are parsed; an invalid file is reported
 * and skipped, the others load. `scribe playbook lint` and `scribe
 * playbook snippets` read single files through the same path.
 */
#ifndef SCRIBE_PLAYBOOKS_H
#define SCRIBE_PLAYBOOKS_H

#include "util/base.h"
#include "util/buf.h"
#include "core/playbook.h"

/* Reads and parses one file; problems are appended to errors. */
int playbooks_read_file(const char *path, struct playbook *pb,
			struct buf *errors);

/* Loads every playbook of dir into lib (initialised here; finished). A
 * missing folder is an empty library. Problems are appended to errors,
 * one per line; returns the number of files that failed. */
int playbooks_load_dir(const char *dir, struct pb_library *lib,
		       struct buf *errors);

/* `scribe playbook lint FILE...`: 0 when all are valid, else 1. */
int playbooks_lint(int nfiles, char **files, FILE *out);

/* `scribe playbook snippets FILE --flavor F --out DIR`: writes each
 * snippet of flavour F to DIR/<id>-S<step>-<k>.sql (or .sh). */
int playbooks_snippets(const char *file, const char *flavor, const char *dir,
		       FILE *out);

#endif
