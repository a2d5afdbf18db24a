/*
 * main.c - the scribe command line: the command table and main().
 *
 * Each row names a subcommand, its usage, its help and the options it
 * takes; the handlers live in bot/cli/ (one file per family). Options may
 * come before or after the subcommand (cli/options.c). main() parses the
 * line, answers --help and help, and hands over.
 */
#include "util/base.h"
#include "util/nearest.h"
#include "cli/cli.h"

#ifndef SCRIBE_VERSION
#define SCRIBE_VERSION "0.0.0"
#endif

static int cmd_version(const struct opts *o)
{
	printf("scribe %s\n", SCRIBE_VERSION);
	return 0;
}

static int cmd_help(const struct opts *o);

const struct cli_command cli_commands[] = {
    {"run", "", "start the bot (the console when no platform is set)",
     "Slack and Matrix run when their config sections are present; with\n"
     "neither, this is the console on the same store (see 'console').\n",
     0, cli_run},
    {"console", "", "chat locally on the same store",
     "You type as a responder: '/as NAME' switches the speaker, '/join\n"
     "#channel' the channel; '!inc help' lists the bot's commands. Reads\n"
     "stdin whatever it is (a terminal, a pipe, a file); exits 0 at its "
     "end.\n",
     0, cli_console},
    {"replay", "FILE [--tz ZONE] [--quiet] [--batch N]",
     "feed a transcript through the bot",
     "FILE is JSON Lines ({\"ts\", \"user\", \"text\", ...}) or plain text\n"
     "lines 'YYYY-MM-DD HH:MM[:SS] user: text'; '-' is stdin. Replaying a\n"
     "file twice adds nothing. A summary goes to stderr.\n",
     OPT(OPT_TZ) | OPT(OPT_QUIET) | OPT(OPT_BATCH), cli_replay},
    {"list", "[--status S] [--since WHEN] [--json]", "list the incidents",
     "One line each: INC-<n>, severity, state, when declared (in the\n"
     "configured zone), title. --json prints one JSON object a line.\n",
     OPT(OPT_STATUS) | OPT(OPT_SINCE) | OPT(OPT_JSON), cli_list},
    {"show", "INC-<n>", "print an incident's key facts",
     "Its state, lifecycle marks, roles, postmortem fields, hypotheses,\n"
     "follow-ups, playbooks and how much the timeline holds.\n",
     0, cli_show},
    {"postmortem", "INC-<n> [--format md|html|json|svg] [--revision N]",
     "print an incident's postmortem",
     "The latest revision, byte for byte the file that 'close' wrote.\n",
     OPT(OPT_FORMAT) | OPT(OPT_REVISION), cli_postmortem},
    {"playbook",
     "lint FILE... | snippets FILE --flavor F --out DIR | backtest FILE...",
     "check playbooks; write their snippets to files; backtest them",
     "lint: every error with its line and column; exit 1 if any file is\n"
     "invalid. snippets: each snippet of flavour F as DIR/<id>-S<n>-<k>.sql\n"
     "(or .sh). backtest: replays transcripts against the playbook library\n"
     "without recording anything; prints per transcript when each playbook\n"
     "would be suggested (minutes after the declare), by which words, and\n"
     "the suggestions that fired on chatter (from a message, never started).\n",
     OPT(OPT_FLAVOR) | OPT(OPT_OUT) | OPT(OPT_TZ), cli_playbook},
    {"db", "migrate | check | backup DEST [--force]",
     "migrate, check or back up the database",
     "migrate: bring the database to this version (also done at start).\n"
     "check: integrity and foreign keys. backup: a consistent copy of the\n"
     "live database (SQLite's online backup) with its own id; DEST is\n"
     "replaced only with --force, and never when it is the database "
     "itself.\n",
     OPT(OPT_FORCE), cli_db},
    {"version", "", "print the version", NULL, 0, cmd_version},
    {"help", "[COMMAND]", "this list, or a command's usage", NULL, 0, cmd_help},
};
const size_t cli_ncommands = ARRAY_SIZE(cli_commands);

static int unknown_command(const char *name)
{
	const char *names[ARRAY_SIZE(cli_commands)], *near;
	size_t i;

	for (i = 0; i < cli_ncommands; i++)
		names[i] = cli_commands[i].name;
	near = nearest_name(name, names, cli_ncommands);
	if (near)
		fprintf(stderr,
			"scribe: unknown command '%s' (did you mean '%s'?)\n",
			name, near);
	else
		fprintf(stderr, "scribe: unknown command '%s'\n", name);
	fprintf(stderr, "'scribe --help' lists the commands\n");
	return 2;
}

static int cmd_help(const struct opts *o)
{
	const struct cli_command *cmd;

	if (!o->nargs) {
		cli_usage(stdout);
		return 0;
	}
	cmd = cli_find(o->args[0]);
	if (!cmd)
		return unknown_command(o->args[0]);
	cli_command_usage(cmd, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct opts o;

	if (argc > 1 && !strcmp(argv[1], "--version"))
		return cmd_version(NULL);
	if (cli_parse(argc, argv, &o))
		return 2;
	if (!o.command) {
		if (o.help) {
			cli_usage(stdout);
			return 0;
		}
		cli_usage(stderr);
		return 2;
	}
	cmd = cli_find(o.command);
	if (!cmd)
		return unknown_command(o.command);
	if (o.help) {
		cli_command_usage(cmd, stdout);
		return 0;
	}
	if (cli_check_opts(cmd, &o))
		return 2;
	random_seed();
	return cmd->run(&o);
}
