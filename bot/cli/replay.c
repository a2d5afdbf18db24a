/*
 * replay.c - `scribe replay FILE`: a transcript through the very same
 * pipeline, without a loop (see chat/replay.h).
 */
#include "util/base.h"
#include "app.h"
#include "cli/cli.h"
#include "chat/console.h"
#include "chat/replay.h"
#include "store/store.h"

int cli_replay(const struct opts *o)
{
	struct replay_stats stats;
	struct pb_library playbooks;
	struct console con;
	struct config cfg;
	struct store *st;
	struct app app;
	int rc;

	if (o->nargs != 1)
		return cli_usage_error(cli_find("replay"));
	if (o->tz && !config_zone_exists(o->tz)) {
		fprintf(stderr,
			"scribe: --tz: unknown time zone '%s' (want an IANA "
			"name such as 'Europe/Paris', or 'UTC')\n",
			o->tz);
		return 2;
	}
	if (cli_setup(o, &cfg))
		return 1;
	if (cli_open_store(&cfg, CLI_STORE_CREATE, &st)) {
		config_release(&cfg);
		return 1;
	}
	app_init(&app, &cfg, st, NULL);
	cli_load_playbooks(&cfg, &playbooks);
	app.playbooks = &playbooks;
	console_init(&con, &app, NULL, stdout);
	con.quiet = o->quiet;
	if (o->batch)
		replay_batch = (unsigned)o->batch;
	app_add_transport(&app, &con.chat);
	rc = replay_file(&app, &con, o->args[0], o->tz, &stats);
	app_release(&app);
	console_release(&con);
	pb_library_release(&playbooks);
	fprintf(stderr,
		"replay: %llu lines, %llu recorded, %llu already recorded, "
		"%llu outside incidents, %llu skipped\n",
		(unsigned long long)stats.lines,
		(unsigned long long)stats.recorded,
		(unsigned long long)stats.duplicates,
		(unsigned long long)stats.ignored,
		(unsigned long long)stats.skipped);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}
