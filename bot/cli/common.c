/*
 * common.c - what every subcommand shares: the config, the store and the
 * playbooks; see cli.h.
 */
#include <errno.h>
#include <limits.h>
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

void cli_log_start(const struct config *cfg)
{
	char db[PATH_MAX];

	if (cfg->path)
		log_info("config: %s", cfg->path);
	else
		log_info("config: none (the defaults; -c FILE reads one)");
	log_info("database: %s",
		 realpath(cfg->store_path, db) ? db : cfg->store_path);
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
	static const char *const sides[] = {"-wal", "-shm"};
	char buf[PATH_MAX], side[PATH_MAX + 8];
	const char *dir = folder_of(path, buf, sizeof(buf));
	struct stat sb;
	size_t i;

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
	/* A -wal or -shm left by another user (a run as root) would make
	 * every commit fail. */
	for (i = 0; i < ARRAY_SIZE(sides); i++) {
		snprintf(side, sizeof(side), "%s%s", path, sides[i]);
		if (!access(side, F_OK) && access(side, R_OK | W_OK)) {
			snprintf(why, len,
				 "%s: the file %s is not writable by this user "
				 "(uid %u): it holds the database's latest "
				 "writes; give this user write permission to "
				 "it (never delete it)",
				 path, side, (unsigned)geteuid());
			return -1;
		}
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
	char err[3 * PATH_MAX];
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

/* True when path is a folder. */
static bool is_dir(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

/* True when the running binary lies under the build tree it was built
 * in: then the source tree's playbooks are the ones it ships. */
static bool in_build_tree(const char *exe)
{
	char build[PATH_MAX];
	size_t n;

	if (!realpath(SCRIBE_BUILD_DIR, build))
		return false;
	n = strlen(build);
	return !strncmp(exe, build, n) && exe[n] == '/';
}

int cli_data_dir(char *out, size_t len, char *looked, size_t looked_len)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("SCRIBE_DATA_DIR");
	ssize_t n;

	*looked = '\0';
	if (env && *env) {
		snprintf(out, len, "%s", env);
		snprintf(looked, looked_len, "SCRIBE_DATA_DIR=%s", env);
		return is_dir(out) ? 0 : -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (in_build_tree(exe)) {
			snprintf(out, len, "%s", SCRIBE_SOURCE_DIR);
			return 0;
		}
		slash = strrchr(exe, '/');
		*slash = '\0';
		snprintf(out, len, "%s/../share/scribe", exe);
		snprintf(looked, looked_len, "%s", out);
		if (is_dir(out) && realpath(looked, exe)) {
			snprintf(out, len, "%s", exe); /* for the logs */
			return 0;
		}
	}
	snprintf(out, len, "%s", SCRIBE_DATADIR);
	snprintf(looked + strlen(looked), looked_len - strlen(looked), "%s%s",
		 *looked ? ", " : "", SCRIBE_DATADIR);
	return is_dir(out) ? 0 : -1;
}

/* Logs a buffer of problem lines at level lvl, each after prefix. */
static void log_lines(enum log_level lvl, const char *prefix, struct buf *b)
{
	char *line, *nl;

	for (line = b->s; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		log_msg(lvl, "%s%s", prefix, line);
	}
}

/* The same folder (a team folder that is the shipped one, as in the
 * source tree with the default playbooks_dir). */
static bool same_dir(const char *a, const char *b)
{
	struct stat x, y;

	return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

void cli_load_playbooks(const struct config *cfg, struct pb_library *lib)
{
	char data[PATH_MAX], looked[2 * PATH_MAX + 64];
	char shipped[PATH_MAX + 16] = "", where[3 * PATH_MAX + 128] = "";
	struct buf errors, notes;
	size_t team = 0, ours = 0;
	bool found = false;

	pb_library_init(lib);
	buf_init(&errors, BUF_UNBOUNDED);
	buf_init(&notes, BUF_UNBOUNDED);
	if (cfg->shipped_playbooks) {
		found =
		    !cli_data_dir(data, sizeof(data), looked, sizeof(looked));
		snprintf(shipped, sizeof(shipped), "%s/playbooks", data);
		if (!found)
			log_warn("the shipped playbooks were not found (looked "
				 "in %s; SCRIBE_DATA_DIR names their folder)",
				 looked);
	}
	/* The team's folder first: its playbooks win over shipped ones. */
	if (cfg->playbooks_dir &&
	    !(found && same_dir(cfg->playbooks_dir, shipped))) {
		playbooks_add_dir(cfg->playbooks_dir, lib, &errors, &notes,
				  &team);
		snprintf(where, sizeof(where), "%s", cfg->playbooks_dir);
		if (team)
			log_info("%zu playbook%s loaded from %s", team,
				 team == 1 ? "" : "s", cfg->playbooks_dir);
	}
	if (found) {
		playbooks_add_dir(shipped, lib, &errors, &notes, &ours);
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
			 "%s%s", *where ? ", " : "", shipped);
		log_info("%zu shipped playbook%s loaded from %s", ours,
			 ours == 1 ? "" : "s", shipped);
	}
	log_lines(LOG_WARN, "playbook skipped: ", &errors);
	log_lines(LOG_INFO, "team playbook ", &notes);
	buf_release(&errors);
	buf_release(&notes);
	pb_library_finish(lib);
	if (!lib->n)
		log_warn("no playbooks loaded (looked in %s)",
			 *where ? where
				: "no folder: shipped_playbooks is "
				  "false and playbooks_dir unset");
}
