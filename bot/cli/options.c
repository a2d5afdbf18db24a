/*
 * options.c - the command line's one option table, its parser and the
 * usage texts; see cli.h.
 *
 * Every option is a row: its names, the word its value is ("a path",
 * for "--db needs a path"), where it goes in struct opts, and its help
 * line. The parser takes options anywhere on the line, so global options
 * work before the subcommand too; the first other word is the command.
 */
#include <stddef.h>

#include "util/base.h"
#include "util/nearest.h"
#include "cli/cli.h"

enum opt_kind { K_FLAG, K_TEXT, K_NUMBER };

struct option {
	const char *name;  /* "--db" */
	const char *alias; /* "-c", or NULL */
	enum opt_kind kind;
	const char *value; /* "a path": "--db needs a path" */
	const char *arg;   /* "PATH", in the usage */
	size_t off;        /* of the bool, const char * or long in opts */
	long max;          /* K_NUMBER: 1..max */
	const char *help;
};

#define AT(o, off) ((char *)(o) + (off))

static const struct option options[OPT_COUNT] = {
    [OPT_CONFIG] = {"--config", "-c", K_TEXT, "a file", "FILE",
		    offsetof(struct opts, config), 0,
		    "the config file (without one, the defaults)"},
    [OPT_DB] = {"--db", NULL, K_TEXT, "a path", "PATH",
		offsetof(struct opts, db), 0,
		"the database, instead of the config's store.path"},
    [OPT_HELP] = {"--help", "-h", K_FLAG, NULL, NULL,
		  offsetof(struct opts, help), 0, "this usage"},
    [OPT_TZ] = {"--tz", NULL, K_TEXT, "a time zone", "ZONE",
		offsetof(struct opts, tz), 0,
		"the zone of plain-text lines (default: the config's)"},
    [OPT_QUIET] = {"--quiet", "-q", K_FLAG, NULL, NULL,
		   offsetof(struct opts, quiet), 0,
		   "do not print the bot's replies"},
    [OPT_BATCH] = {"--batch", NULL, K_NUMBER, "a number", "N",
		   offsetof(struct opts, batch), 1000000,
		   "events per transaction (default 4096)"},
    [OPT_FORMAT] = {"--format", NULL, K_TEXT, "md, html, json or svg", "FMT",
		    offsetof(struct opts, format), 0,
		    "md (the default), html or json"},
    [OPT_REVISION] = {"--revision", NULL, K_NUMBER, "a number", "N",
		      offsetof(struct opts, revision), 100000,
		      "that revision (default: the latest)"},
    [OPT_FLAVOR] = {"--flavor", NULL, K_TEXT, "a flavour", "F",
		    offsetof(struct opts, flavor), 0,
		    "postgresql, mysql, mariadb or shell"},
    [OPT_OUT] = {"--out", NULL, K_TEXT, "a folder", "DIR",
		 offsetof(struct opts, out), 0, "the folder to write into"},
    [OPT_FORCE] = {"--force", "-f", K_FLAG, NULL, NULL,
		   offsetof(struct opts, force), 0,
		   "overwrite DEST if it exists"},
    [OPT_STATUS] = {"--status", NULL, K_TEXT, "a status", "S",
		    offsetof(struct opts, status), 0,
		    "open, closed, or investigating, identified, ..."},
    [OPT_SINCE] = {"--since", NULL, K_TEXT, "a date or a duration", "WHEN",
		   offsetof(struct opts, since), 0,
		   "declared since YYYY-MM-DD, or within 7d, 12h, ..."},
    [OPT_JSON] = {"--json", NULL, K_FLAG, NULL, NULL,
		  offsetof(struct opts, json), 0, "JSON, one object a line"},
};

/* The option named by a (its long or short name, or "--name=value"). */
static int find_option(const char *a, size_t n)
{
	int i;

	for (i = 0; i < OPT_COUNT; i++) {
		const struct option *op = &options[i];

		if ((strlen(op->name) == n && !strncmp(op->name, a, n)) ||
		    (op->alias && strlen(op->alias) == n &&
		     !strncmp(op->alias, a, n)))
			return i;
	}
	return -1;
}

static void unknown_option(const char *a)
{
	const char *names[OPT_COUNT], *near;
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		names[i] = options[i].name;
	near = nearest_name(a, names, OPT_COUNT);
	if (near)
		fprintf(stderr,
			"scribe: unknown option '%s' (did you mean "
			"'%s'?)\n",
			a, near);
	else
		fprintf(stderr, "scribe: unknown option '%s'\n", a);
}

static int set_value(const struct option *op, const char *v, struct opts *o)
{
	char *end;
	long n;

	if (op->kind == K_TEXT) {
		*(const char **)AT(o, op->off) = v;
		return 0;
	}
	n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > op->max) {
		fprintf(stderr, "scribe: %s takes a number from 1 to %ld\n",
			op->name, op->max);
		return -1;
	}
	*(long *)AT(o, op->off) = n;
	return 0;
}

int cli_parse(int argc, char **argv, struct opts *o)
{
	bool options_end = false;
	int i, id;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *v;
		const struct option *op;
		size_t n;

		if (options_end || a[0] != '-' || !a[1]) {
			/* A word, or "-" (stdin). */
			if (!o->command)
				o->command = a;
			else if (o->nargs < (int)ARRAY_SIZE(o->args))
				o->args[o->nargs++] = a;
			else {
				fprintf(stderr,
					"scribe: too many arguments "
					"at '%s'\n",
					a);
				return -1;
			}
			continue;
		}
		if (!strcmp(a, "--")) {
			options_end = true;
			continue;
		}
		eq = a[1] == '-' ? strchr(a, '=') : NULL;
		n = eq ? (size_t)(eq - a) : strlen(a);
		id = find_option(a, n);
		if (id < 0) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)n, a);
			unknown_option(name);
			return -1;
		}
		op = &options[id];
		o->given |= OPT(id);
		if (op->kind == K_FLAG) {
			if (eq) {
				fprintf(stderr, "scribe: %s takes no value\n",
					op->name);
				return -1;
			}
			*(bool *)AT(o, op->off) = true;
			continue;
		}
		if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			v = NULL;
		if (!v || !*v) {
			fprintf(stderr, "scribe: %s needs %s\n", op->name,
				op->value);
			return -1;
		}
		if (set_value(op, v, o))
			return -1;
	}
	return 0;
}

int cli_check_opts(const struct cli_command *cmd, const struct opts *o)
{
	unsigned extra = o->given & ~(cmd->opts | OPT_GLOBAL);
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (extra & OPT(i)) {
			fprintf(stderr,
				"scribe %s: %s is not an option of '%s' (see "
				"'scribe %s --help')\n",
				cmd->name, options[i].name, cmd->name,
				cmd->name);
			return -1;
		}
	return 0;
}

const struct cli_command *cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i].name, name))
			return &cli_commands[i];
	return NULL;
}

static void option_lines(unsigned mask, FILE *to)
{
	char left[40];
	int i;

	for (i = 0; i < OPT_COUNT; i++) {
		const struct option *op = &options[i];

		if (!(mask & OPT(i)))
			continue;
		snprintf(left, sizeof(left), "%s%s%s%s%s",
			 op->alias ? op->alias : "", op->alias ? ", " : "",
			 op->name, op->arg ? " " : "", op->arg ? op->arg : "");
		fprintf(to, "  %-22s %s\n", left, op->help);
	}
}

void cli_usage(FILE *to)
{
	char left[64];
	size_t i;

	fprintf(to, "usage: scribe [-c FILE] [--db PATH] <command> "
		    "[options]\n\ncommands:\n");
	for (i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];

		snprintf(left, sizeof(left), "%s%s%s", c->name,
			 *c->synopsis ? " " : "", c->synopsis);
		if (strlen(left) > 22)
			fprintf(to, "  %s\n  %-22s %s\n", left, "", c->summary);
		else
			fprintf(to, "  %-22s %s\n", left, c->summary);
	}
	fprintf(to, "\noptions of every command (before or after it):\n");
	option_lines(OPT_GLOBAL, to);
	fprintf(to, "\n'scribe <command> --help' (or 'scribe help <command>') "
		    "shows a command's options;\n'man scribe' says more.\n");
}

void cli_command_usage(const struct cli_command *cmd, FILE *to)
{
	fprintf(to, "usage: scribe %s%s%s\n\n%s\n", cmd->name,
		*cmd->synopsis ? " " : "", cmd->synopsis, cmd->summary);
	if (cmd->help)
		fprintf(to, "\n%s", cmd->help);
	fprintf(to, "\noptions:\n");
	option_lines(cmd->opts | OPT_GLOBAL, to);
}

int cli_usage_error(const struct cli_command *cmd)
{
	fprintf(stderr, "usage: scribe %s %s\n(see 'scribe %s --help')\n",
		cmd->name, cmd->synopsis, cmd->name);
	return 2;
}
