/*
 * playbooks.h - the playbook folder: read, checked, and reloaded.
 *
 * The I/O around core/playbook.h. At start-up and on SIGHUP the folders'
 * *.yaml, *.yml and *.json files are parsed (the team's folder, then the
 * shipped library); an invalid file is reported in one line and skipped,
 * the others load. `scribe playbook lint` and `scribe
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

/* Adds every playbook of dir to lib (initialised, not finished yet). A
 * missing folder adds nothing. A file that fails is one line in errors
 * (its first problem, and how many more); a playbook whose id was loaded
 * from an earlier folder is left out, with a line in notes (the earlier
 * folder wins: the team's over the shipped). *added counts what was
 * added; returns the number of files that failed. */
int playbooks_add_dir(const char *dir, struct pb_library *lib,
		      struct buf *errors, struct buf *notes, size_t *added);

/* Loads every playbook of dir into lib (initialised here; finished): the
 * one-folder form of playbooks_add_dir(). */
int playbooks_load_dir(const char *dir, struct pb_library *lib,
		       struct buf *errors);

/* `scribe playbook lint FILE...`: 0 when all are valid, else 1. */
int playbooks_lint(int nfiles, char **files, FILE *out);

/* `scribe playbook snippets FILE --flavor F --out DIR`: writes each
 * snippet of flavour F to DIR/<id>-S<step>-<k>.sql (or .sh). */
int playbooks_snippets(const char *file, const char *flavor, const char *dir,
		       FILE *out);

#endif
