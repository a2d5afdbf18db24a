/*
 * cli.h - the scribe command line: its options, its commands, and what
 * every command shares (the config, the store, the playbooks).
 *
 * bot/main.c holds the command table and dispatches; each family of
 * subcommands lives in its own file here (run.c: run and console;
 * replay.c; history.c: list, show, postmortem; db.c; playbook.c).
 * Options are one table (options.c): a command names the ones it takes,
 * and options may come before or after the subcommand.
 */
#ifndef SCRIBE_CLI_H
#define SCRIBE_CLI_H

#include "util/base.h"
#include "config.h"
#include "core/playbook.h"

struct store;

/* The options, one bit each in a command's `opts` mask. */
enum cli_opt {
	OPT_CONFIG,
	OPT_DB,
	OPT_HELP,
	OPT_TZ,
	OPT_QUIET,
	OPT_BATCH,
	OPT_FORMAT,
	OPT_REVISION,
	OPT_FLAVOR,
	OPT_OUT,
	OPT_FORCE,
	OPT_STATUS,
	OPT_SINCE,
	OPT_JSON,
	OPT_COUNT
};
#define OPT(x) (1u << (x))
/* Taken by every command. */
#define OPT_GLOBAL (OPT(OPT_CONFIG) | OPT(OPT_DB) | OPT(OPT_HELP))

struct opts {
	const char *command; /* the first word that is not an option */
	const char *config;
	const char *db;
	const char *tz;
	const char *format;
	const char *flavor;
	const char *out;
	const char *status;
	const char *since;
	long revision;
	long batch;
	bool quiet;
	bool force;
	bool json;
	bool help;
	unsigned given;       /* OPT() bits of the options given */
	const char *args[64]; /* positional arguments after the command */
	int nargs;
};

struct cli_command {
	const char *name;
	const char *synopsis; /* what follows "scribe NAME" in its usage */
	const char *summary;  /* one line for `scribe --help` */
	const char *help;     /* what `scribe NAME --help` says before the
				 options; may be NULL */
	unsigned opts;        /* OPT() bits it takes besides OPT_GLOBAL */
	int (*run)(const struct opts *o);
};

/* The command table (main.c), and a lookup by name. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
const struct cli_command *cli_find(const char *name);

/* Parses argv[1..argc) into o; prints why and returns -1 on a bad line
 * (an unknown option, an option without its value, a bad number). */
int cli_parse(int argc, char **argv, struct opts *o);
/* -1 (after saying which) when o holds an option cmd does not take. */
int cli_check_opts(const struct cli_command *cmd, const struct opts *o);

/* `scribe --help`, and `scribe NAME --help`. */
void cli_usage(FILE *to);
void cli_command_usage(const struct cli_command *cmd, FILE *to);
/* "usage: scribe NAME SYNOPSIS" on stderr and a hint; returns 2. */
int cli_usage_error(const struct cli_command *cmd);

/* Loads the config (-c), applies --db, fixes the process time zone from
 * the config and sets the log level; 0, or -1 after printing why. */
int cli_setup(const struct opts *o, struct config *cfg);

/* The start-up lines of a long-running command: the config file read
 * and the database's path. */
void cli_log_start(const struct config *cfg);

/* How a command opens the store. */
enum cli_store_mode {
	CLI_STORE_CREATE,   /* created and migrated if needed (run, replay) */
	CLI_STORE_EXISTING, /* must exist; migrated (list, show, ...) */
	CLI_STORE_RAW,      /* must exist; as it is (db check, db backup) */
};
/* Opens cfg->store_path; 0, or -1 after printing why (naming the path,
 * and for permissions whether the folder or the file is the problem). */
int cli_open_store(const struct config *cfg, enum cli_store_mode mode,
		   struct store **st);

/* The subcommands (run.c, replay.c, history.c, db.c, playbook.c): each
 * returns the process's exit status (0, 1 failed, 2 bad usage). */
int cli_run(const struct opts *o);
int cli_console(const struct opts *o);
int cli_replay(const struct opts *o);
int cli_list(const struct opts *o);
int cli_show(const struct opts *o);
int cli_postmortem(const struct opts *o);
int cli_db(const struct opts *o);
int cli_playbook(const struct opts *o);

/* The folder of Scribe's shipped data (playbooks/ in it): SCRIBE_DATA_DIR
 * when set; the source tree for a binary in its build tree; else
 * <the binary's folder>/../share/scribe, then the data directory of the
 * install prefix. 0 and the folder in out, or -1 (out holds the last
 * place tried); looked lists the places tried, for the logs. */
int cli_data_dir(char *out, size_t len, char *looked, size_t looked_len);

/* Loads the playbook library the config names into lib (initialised
 * here), logging each folder, what was skipped and the count. */
void cli_load_playbooks(const struct config *cfg, struct pb_library *lib);

#endif
