/*
 * common.c - what every subcommand shares: the config, the store and the
 * playbooks; see cli.h.
 */
#include <errno.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"
#include "util/buf.h"
#include "util/log.h"
#include "cli/cli.h"
#include "playbooks.h"
#include "store/store.h"

int cli_setup(const struct opts *o, struct config *cfg)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} levels[] = {
	    {"debug", LOG_DEBUG},
	    {"info", LOG_INFO},
	    {"warning", LOG_WARN},
	    {"error", LOG_ERROR},
	};
	char err[1024];
	size_t i;

	if (config_load(cfg, o->config, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		config_release(cfg); /* it holds the defaults */
		return -1;
	}
	if (o->db) {
		free(cfg->store_path);
		cfg->store_path = xstrdup(o->db);
	}
	setenv("TZ", cfg->timezone, 1);
	tzset();
	for (i = 0; i < ARRAY_SIZE(levels); i++)
		if (!strcmp(cfg->log_level, levels[i].name))
			log_set_level(levels[i].lvl);
	return 0;
}

/* The folder of path ("." when it has none), in buf. */
static const char *folder_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return ".";
	if (slash == path)
		return "/";
	snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return buf;
}

/*
 * Why the store at path cannot be used, before SQLite is asked (it would
 * open a read-only file read-only and fail at the first write, or say
 * only "unable to open database file"). Returns 0 when nothing is
 * wrong, else -1 with the reason in why.
 */
static int store_path_problem(const char *path, enum cli_store_mode mode,
			      char *why, size_t len)
{
	char buf[4096];
	const char *dir = folder_of(path, buf, sizeof(buf));
	struct stat sb;

	if (stat(path, &sb)) {
		if (errno != ENOENT) {
			snprintf(why, len, "%s: cannot read: %s", path,
				 strerror(errno));
			return -1;
		}
		if (mode != CLI_STORE_CREATE) {
			snprintf(why, len,
				 "%s: no database there (nothing has been "
				 "recorded with it; check -c or --db)",
				 path);
			return -1;
		}
		if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
			snprintf(why, len,
				 "%s: cannot create the database: the folder "
				 "%s does not exist",
				 path, dir);
			return -1;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(why, len, "%s: not a database file (a %s)", path,
			 S_ISDIR(sb.st_mode) ? "folder" : "special file");
		return -1;
	} else if (access(path, R_OK | W_OK)) {
		snprintf(why, len,
			 "%s: the file is not writable by this user (uid %u; "
			 "mode %04o, owner uid %u)",
			 path, (unsigned)geteuid(),
			 (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid);
		return -1;
	}
	/* SQLite creates the -wal and -shm files next to the database. */
	if (access(dir, W_OK | X_OK) && !stat(dir, &sb)) {
		snprintf(why, len,
			 "%s: the folder %s is not writable by this user (uid "
			 "%u; mode %04o, owner uid %u): the database and its "
			 "-wal and -shm files are written there",
			 path, dir, (unsigned)geteuid(),
			 (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid);
		return -1;
	}
	return 0;
}

int cli_open_store(const struct config *cfg, enum cli_store_mode mode,
		   struct store **st)
{
	char err[1024];
	int rc;

	*st = NULL;
	if (store_path_problem(cfg->store_path, mode, err, sizeof(err))) {
		fprintf(stderr, "scribe: %s\n", err);
		return -1;
	}
	rc = mode == CLI_STORE_RAW
		 ? store_open_raw(st, cfg->store_path, err, sizeof(err))
		 : store_open(st, cfg->store_path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "scribe: %s\n", err);
		return -1;
	}
	return 0;
}

void cli_load_playbooks(const struct config *cfg, struct pb_library *lib)
{
	struct buf errors;
	char *line, *nl;

	buf_init(&errors, BUF_UNBOUNDED);
	playbooks_load_dir(cfg->playbooks_dir, lib, &errors);
	for (line = errors.s; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		log_warn("playbook skipped: %s", line);
	}
	buf_release(&errors);
	if (lib->n)
		log_info("%zu playbook%s loaded from %s", lib->n,
			 lib->n == 1 ? "" : "s", cfg->playbooks_dir);
}
