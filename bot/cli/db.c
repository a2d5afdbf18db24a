/*
 * db.c - `scribe db migrate|check|backup DEST`: the database itself.
 *
 * check and backup need a database that exists and take it as it is;
 * migrate creates one if needed. A backup is written beside DEST and
 * renamed over it once complete, so DEST is never half a database; an
 * existing DEST is replaced only with --force, and never when it is the
 * live database itself.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"
#include "cli/cli.h"
#include "store/store.h"

/* Refuses a DEST that exists (without force) or is the database. */
static int backup_dest_ok(const char *db, const char *dest, bool force)
{
	struct stat a, b;

	if (stat(dest, &b)) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "scribe: %s: %s\n", dest, strerror(errno));
		return -1;
	}
	if (!stat(db, &a) && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		fprintf(stderr,
			"scribe: %s is the live database itself: back it up "
			"to another file\n",
			dest);
		return -1;
	}
	if (!force) {
		fprintf(stderr,
			"scribe: %s exists: not overwritten (--force replaces "
			"it)\n",
			dest);
		return -1;
	}
	if (!S_ISREG(b.st_mode)) {
		fprintf(stderr, "scribe: %s is not a file\n", dest);
		return -1;
	}
	return 0;
}

static int backup(struct store *st, const char *dest, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.partial", dest);
	int rc;

	unlink(tmp);
	rc = store_backup(st, tmp, err, errlen);
	if (!rc && rename(tmp, dest)) {
		snprintf(err, errlen, "%s: %s", dest, strerror(errno));
		rc = SCRIBE_EIO;
	}
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int cli_db(const struct opts *o)
{
	const char *verb = o->nargs ? o->args[0] : "";
	bool is_backup = !strcmp(verb, "backup");
	struct config cfg;
	struct store *st;
	char err[1024];
	int rc = 0, before;

	if ((strcmp(verb, "migrate") && strcmp(verb, "check") && !is_backup) ||
	    o->nargs != (is_backup ? 2 : 1))
		return cli_usage_error(cli_find("db"));
	if (o->force && !is_backup) {
		fprintf(stderr, "scribe db: --force is for 'db backup'\n");
		return 2;
	}
	if (cli_setup(o, &cfg))
		return 1;
	if ((is_backup &&
	     backup_dest_ok(cfg.store_path, o->args[1], o->force)) ||
	    cli_open_store(&cfg,
			   strcmp(verb, "migrate") ? CLI_STORE_RAW
						   : CLI_STORE_CREATE,
			   &st)) {
		config_release(&cfg);
		return 1;
	}
	before = store_schema_version(st);
	if (!strcmp(verb, "migrate")) {
		rc =
		    store_migrate(st, store_latest_version(), err, sizeof(err));
		if (!rc)
			printf("%s: schema version %d (was %d)\n",
			       cfg.store_path, store_latest_version(), before);
	} else if (!strcmp(verb, "check")) {
		rc = store_check(st, err, sizeof(err));
		if (!rc)
			printf("%s: ok (schema version %d)\n", cfg.store_path,
			       before);
	} else {
		rc = store_check(st, err, sizeof(err));
		if (!rc)
			rc = backup(st, o->args[1], err, sizeof(err));
		if (!rc)
			printf("%s: backed up to %s\n", cfg.store_path,
			       o->args[1]);
	}
	if (rc)
		fprintf(stderr, "scribe: %s: %s\n", cfg.store_path, err);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}
