/*
 * test_config.c - unit tests for bot/config.c: the defaults, the example
 * file, every key, every error (with its line and key), path resolution,
 * platforms switched on from the environment, and reuse of the struct.
 *
 * Files are written under a mkdtemp() folder made in the group setup and
 * removed in the group teardown. The example file is found through
 * SCRIBE_SOURCE_DIR, which ctest sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"
#include "config.h"

static char tmpdir[PATH_MAX];
static char *created[256];
static size_t ncreated;

/* Remembers p for removal at teardown (files and folders, in reverse). */
static const char *track(char *p)
{
	assert_true(ncreated < ARRAY_SIZE(created));
	created[ncreated++] = p;
	return p;
}

/* Writes text to tmpdir/name and returns its path (owned by the list). */
static const char *write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return track(path);
}

static const char *make_dir(const char *name)
{
	char *path = xasprintf("%s/%s", tmpdir, name);

	assert_int_equal(mkdir(path, 0700), 0);
	return track(path);
}

static int group_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/scribe-config-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	while (ncreated) {
		char *p = created[--ncreated];

		if (unlink(p))
			rmdir(p);
		free(p);
	}
	return rmdir(tmpdir);
}

/* Platform variables are cleared before and after every test. */
static const char *const platform_env[] = {
    "SLACK_BOT_TOKEN",     "SLACK_APP_TOKEN", "MATRIX_HOMESERVER",
    "MATRIX_ACCESS_TOKEN", "MATRIX_PASSWORD", "MATRIX_USER_ID",
};

static int clear_env(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(platform_env); i++)
		unsetenv(platform_env[i]);
	return 0;
}

static char *cwd(void)
{
	char buf[PATH_MAX];

	assert_non_null(getcwd(buf, sizeof(buf)));
	return xstrdup(buf);
}

/* Checks that c holds exactly the defaults (path, dir and platforms too). */
static void assert_defaults(const struct config *c)
{
	char *here = cwd();

	assert_null(c->path);
	assert_string_equal(c->dir, here);
	assert_string_equal(c->timezone, "UTC");
	assert_string_equal(c->store_path, "scribe.db");
	assert_string_equal(c->postmortem_dir, "postmortems");
	assert_string_equal(c->channel_prefix, "inc");
	assert_int_equal(c->message_max, 40000);
	assert_string_equal(c->log_level, "info");
	assert_int_equal(c->nroles, 3);
	assert_string_equal(c->roles[0], "commander");
	assert_string_equal(c->roles[1], "comms");
	assert_string_equal(c->roles[2], "scribe");
	assert_int_equal(c->nseverities, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c->severities[i].level, i + 1);
		assert_non_null(c->severities[i].description);
		assert_true(strlen(c->severities[i].description) > 0);
	}
	assert_non_null(strstr(c->severities[0].description, "critical"));
	assert_non_null(strstr(c->severities[3].description, "minor"));
	assert_int_equal(c->severities[0].ack_target_ms, 5 * 60000);
	assert_int_equal(c->severities[1].ack_target_ms, 15 * 60000);
	assert_int_equal(c->severities[2].ack_target_ms, 60 * 60000);
	assert_int_equal(c->severities[3].ack_target_ms, 0);
	assert_int_equal(c->default_severity, 3);
	assert_int_equal(c->context_before_ms, 30 * 60000);
	assert_true(c->moments.english);
	for (int k = 0; k < MOMENT_KINDS; k++)
		assert_int_equal(c->moments.nphrases[k], 0);
	assert_int_equal(c->moments.nalert_bots, 0);
	assert_int_equal(c->moments.ndeploy_bots, 0);

	assert_false(c->slack.enabled);
	assert_string_equal(c->slack.api_url, "https://slack.com/api/");
	assert_null(c->slack.socket_url);
	assert_string_equal(c->slack.bot_token_env, "SLACK_BOT_TOKEN");
	assert_string_equal(c->slack.app_token_env, "SLACK_APP_TOKEN");
	assert_string_equal(c->slack.signing_secret_env,
			    "SLACK_SIGNING_SECRET");
	assert_false(c->slack.private_channels);
	assert_false(c->slack.archive_on_close);
	assert_int_equal(c->slack.nresponders, 0);
	assert_int_equal(c->slack.ping_interval_ms, 10000);
	assert_int_equal(c->slack.reconnect_min_ms, 500);
	assert_int_equal(c->slack.reconnect_max_ms, 30000);

	assert_false(c->matrix.enabled);
	assert_null(c->matrix.homeserver);
	assert_null(c->matrix.user_id);
	assert_string_equal(c->matrix.access_token_env, "MATRIX_ACCESS_TOKEN");
	assert_string_equal(c->matrix.password_env, "MATRIX_PASSWORD");
	assert_string_equal(c->matrix.device_name, "scribe");
	assert_int_equal(c->matrix.nallowed_inviters, 0);
	assert_int_equal(c->matrix.nresponders, 0);
	assert_int_equal(c->matrix.sync_timeout_ms, 30000);
	assert_int_equal(c->matrix.reconnect_min_ms, 500);
	assert_int_equal(c->matrix.reconnect_max_ms, 30000);
	free(here);
}

static void test_defaults(void **state)
{
	struct config c;

	config_defaults(&c);
	assert_defaults(&c);
	assert_true(config_has_severity(&c, 1));
	assert_true(config_has_severity(&c, 4));
	assert_false(config_has_severity(&c, 0));
	assert_false(config_has_severity(&c, 5));
	config_release(&c);
}

static void test_release_and_reuse(void **state)
{
	struct config c;
	char err[512];
	const char *p = write_file("reuse.yaml", "timezone: Europe/Paris\n");

	config_defaults(&c);
	config_release(&c);
	config_release(&c); /* twice is harmless */
	assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
	assert_string_equal(c.timezone, "Europe/Paris");
	config_release(&c);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_defaults(&c);
	config_release(&c);
	/* A failed load leaves defaults that release cleanly too. */
	p = write_file("reuse-bad.yaml", "timezone: [\n");
	assert_int_equal(config_load(&c, p, err, sizeof(err)), SCRIBE_EINVAL);
	assert_defaults(&c);
	config_release(&c);
	/* No error buffer at all is fine. */
	assert_int_equal(config_load(&c, p, NULL, 0), SCRIBE_EINVAL);
	config_release(&c);
}

static void test_no_file(void **state)
{
	struct config c;
	char err[64] = "stale";

	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_defaults(&c);
	config_release(&c);
}

static void test_example_loads(void **state)
{
	const char *src = getenv("SCRIBE_SOURCE_DIR");
	struct config c;
	char err[512], *path, *dir;

	assert_non_null(src);
	path = xasprintf("%s/config/scribe.example.yaml", src);
	dir = xasprintf("%s/config", src);
	if (config_load(&c, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c.path, path);
	/* The example spells out the defaults... */
	assert_string_equal(c.timezone, "UTC");
	assert_string_equal(c.channel_prefix, "inc");
	assert_int_equal(c.message_max, 40000);
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.nroles, 3);
	assert_int_equal(c.nseverities, 4);
	assert_int_equal(c.default_severity, 3);
	assert_non_null(strstr(c.severities[0].description, "critical"));
	assert_non_null(strstr(c.severities[3].description, "minor"));
	assert_int_equal(c.slack.ping_interval_ms, 10000);
	assert_null(c.slack.socket_url);
	assert_int_equal(c.matrix.sync_timeout_ms, 30000);
	assert_int_equal(c.slack.mode, SLACK_SOCKET);
	assert_true(c.http.enabled);
	assert_string_equal(c.http.listen, "127.0.0.1:8787");
	assert_int_equal(c.http.header_timeout_ms, 10000);
	assert_int_equal(c.http.body_max, 1024 * 1024);
	assert_null(c.http.metrics_token_env);
	/* ...with both platforms on, and paths next to the file. */
	assert_true(c.slack.enabled);
	assert_true(c.matrix.enabled);
	assert_string_equal(c.matrix.homeserver, "https://matrix.example.org");
	assert_string_equal(c.matrix.user_id, "@scribe:example.org");
	assert_int_equal(c.matrix.nallowed_inviters, 1);
	assert_string_equal(c.matrix.allowed_inviters[0], ":example.org");
	if (src[0] == '/') {
		char *db = xasprintf("%s/scribe.db", dir);

		assert_string_equal(c.dir, dir);
		assert_string_equal(c.store_path, db);
		free(db);
	}
	config_release(&c);
	free(path);
	free(dir);
}

/* The example must mention every key Scribe reads, each with a comment. */
static void test_example_documents_every_key(void **state)
{
	static const char *const keys[] = {
	    "timezone:",
	    "store:",
	    "path:",
	    "postmortem_dir:",
	    "playbooks_dir:",
	    "channel_prefix:",
	    "message_max:",
	    "log_level:",
	    "roles:",
	    "severities:",
	    "level:",
	    "description:",
	    "update_every:",
	    "announce:",
	    "ack_target:",
	    "default_severity:",
	    "context_before:",
	    "moments:",
	    "english:",
	    "actions:",
	    "findings:",
	    "recoveries:",
	    "changes:",
	    "alerts:",
	    "alert_bots:",
	    "deploy_bots:",
	    "slack:",
	    "api_url:",
	    "socket_url:",
	    "bot_token_env:",
	    "app_token_env:",
	    "signing_secret_env:",
	    "private_channels:",
	    "archive_on_close:",
	    "responders:",
	    "ping_interval_ms:",
	    "reconnect_min_ms:",
	    "reconnect_max_ms:",
	    "matrix:",
	    "homeserver:",
	    "user_id:",
	    "access_token_env:",
	    "password_env:",
	    "device_name:",
	    "allowed_inviters:",
	    "sync_timeout_ms:",
	    "mode:",
	    "http:",
	    "listen:",
	    "public_url:",
	    "max_connections:",
	    "header_timeout:",
	    "read_timeout:",
	    "body_max:",
	    "metrics_token_env:",
	};
	const char *src = getenv("SCRIBE_SOURCE_DIR");
	char *path, line[512], prev[512] = "";
	bool seen[ARRAY_SIZE(keys)] = {false};
	FILE *f;
	size_t i;

	assert_non_null(src);
	path = xasprintf("%s/config/scribe.example.yaml", src);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = line, *q = prev;

		while (*p == ' ')
			p++;
		if (p[0] == '-' && p[1] == ' ')
			p += 2; /* "- level:" in the severities list */
		while (*q == ' ')
			q++;
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			if (strncmp(p, keys[i], strlen(keys[i])))
				continue;
			/* Severity items are explained above "severities:". */
			if (!seen[i] && strcmp(keys[i], "level:") &&
			    strcmp(keys[i], "description:") &&
			    strcmp(keys[i], "update_every:") &&
			    strcmp(keys[i], "ack_target:") && *q != '#')
				fail_msg("%s has no comment above it", keys[i]);
			seen[i] = true;
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!seen[i])
			fail_msg("the example does not document %s", keys[i]);
	free(path);
}

static void test_every_key(void **state)
{
	const char *p =
	    write_file("full.yaml", "# every key, none at its default\n"
				    "timezone: America/New_York\n"
				    "store:\n"
				    "  path: data/incidents.db\n"
				    "postmortem_dir: /srv/pm\n"
				    "channel_prefix: ops-inc2\n"
				    "message_max: 2048\n"
				    "log_level: debug\n"
				    "roles: [comms, Lead, ops]\n"
				    "severities:\n"
				    "  - level: 5\n"
				    "    description: \"trivial\"\n"
				    "  - {level: 1, description: 'all hands', "
				    "ack_target: 2m}\n"
				    "  - level: 2\n"
				    "    description: major\n"
				    "    ack_target: 1h\n"
				    "default_severity: 2\n"
				    "context_before: 45m\n"
				    "moments:\n"
				    "  english: false\n"
				    "  actions: [bounced, 'failed over*']\n"
				    "  findings: [aha]\n"
				    "  recoveries: ['all good']\n"
				    "  changes: [shipped]\n"
				    "  alerts: ['page:']\n"
				    "  alert_bots: [grafana, U0ALERT]\n"
				    "  deploy_bots: [argo]\n"
				    "slack:\n"
				    "  api_url: http://127.0.0.1:8080/api/\n"
				    "  socket_url: ws://127.0.0.1:8081/socket\n"
				    "  bot_token_env: MY_BOT\n"
				    "  app_token_env: MY_APP\n"
				    "  signing_secret_env: MY_SECRET\n"
				    "  private_channels: true\n"
				    "  archive_on_close: True\n"
				    "  responders: [U1, U2]\n"
				    "  ping_interval_ms: 1000\n"
				    "  reconnect_min_ms: 100\n"
				    "  reconnect_max_ms: 200\n"
				    "matrix:\n"
				    "  homeserver: https://hs.example.org\n"
				    "  user_id: '@bot:example.org'\n"
				    "  access_token_env: MX_TOKEN\n"
				    "  password_env: MX_PASS\n"
				    "  device_name: scribe-test\n"
				    "  allowed_inviters:\n"
				    "    - '@alice:example.org'\n"
				    "    - ':corp.example'\n"
				    "  responders: ['@bob:example.org']\n"
				    "  sync_timeout_ms: 5000\n"
				    "  reconnect_min_ms: 50\n"
				    "  reconnect_max_ms: 60\n");
	struct config c;
	char err[512], *want;

	setenv("SLACK_BOT_TOKEN", "x", 1); /* a file ignores the env */
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c.path, p);
	assert_string_equal(c.dir, tmpdir);
	assert_string_equal(c.timezone, "America/New_York");
	want = xasprintf("%s/data/incidents.db", tmpdir);
	assert_string_equal(c.store_path, want);
	free(want);
	assert_string_equal(c.postmortem_dir, "/srv/pm");
	assert_string_equal(c.channel_prefix, "ops-inc2");
	assert_int_equal(c.message_max, 2048);
	assert_string_equal(c.log_level, "debug");
	/* commander is added in front when missing */
	assert_int_equal(c.nroles, 4);
	assert_string_equal(c.roles[0], "commander");
	assert_string_equal(c.roles[1], "comms");
	assert_string_equal(c.roles[2], "Lead");
	assert_string_equal(c.roles[3], "ops");
	/* severities come back sorted by level */
	assert_int_equal(c.nseverities, 3);
	assert_int_equal(c.severities[0].level, 1);
	assert_string_equal(c.severities[0].description, "all hands");
	assert_int_equal(c.severities[1].level, 2);
	assert_string_equal(c.severities[1].description, "major");
	assert_int_equal(c.severities[2].level, 5);
	assert_string_equal(c.severities[2].description, "trivial");
	/* A listed severity has no acknowledge target unless it says so. */
	assert_int_equal(c.severities[0].ack_target_ms, 2 * 60000);
	assert_int_equal(c.severities[1].ack_target_ms, 3600000);
	assert_int_equal(c.severities[2].ack_target_ms, 0);
	assert_int_equal(c.context_before_ms, 45 * 60000);
	assert_false(c.moments.english);
	assert_int_equal(c.moments.nphrases[MOMENT_ACTION], 2);
	assert_string_equal(c.moments.phrases[MOMENT_ACTION][1],
			    "failed over*");
	assert_string_equal(c.moments.phrases[MOMENT_FINDING][0], "aha");
	assert_string_equal(c.moments.phrases[MOMENT_RECOVERY][0], "all good");
	assert_string_equal(c.moments.phrases[MOMENT_CHANGE][0], "shipped");
	assert_string_equal(c.moments.phrases[MOMENT_ALERT][0], "page:");
	assert_int_equal(c.moments.nalert_bots, 2);
	assert_string_equal(c.moments.alert_bots[1], "U0ALERT");
	assert_string_equal(c.moments.deploy_bots[0], "argo");
	assert_true(config_has_severity(&c, 5));
	assert_false(config_has_severity(&c, 3));
	assert_int_equal(c.default_severity, 2);

	assert_true(c.slack.enabled);
	assert_string_equal(c.slack.api_url, "http://127.0.0.1:8080/api/");
	assert_string_equal(c.slack.socket_url, "ws://127.0.0.1:8081/socket");
	assert_string_equal(c.slack.bot_token_env, "MY_BOT");
	assert_string_equal(c.slack.app_token_env, "MY_APP");
	assert_string_equal(c.slack.signing_secret_env, "MY_SECRET");
	assert_true(c.slack.private_channels);
	assert_true(c.slack.archive_on_close);
	assert_int_equal(c.slack.nresponders, 2);
	assert_string_equal(c.slack.responders[0], "U1");
	assert_string_equal(c.slack.responders[1], "U2");
	assert_int_equal(c.slack.ping_interval_ms, 1000);
	assert_int_equal(c.slack.reconnect_min_ms, 100);
	assert_int_equal(c.slack.reconnect_max_ms, 200);

	assert_true(c.matrix.enabled);
	assert_string_equal(c.matrix.homeserver, "https://hs.example.org");
	assert_string_equal(c.matrix.user_id, "@bot:example.org");
	assert_string_equal(c.matrix.access_token_env, "MX_TOKEN");
	assert_string_equal(c.matrix.password_env, "MX_PASS");
	assert_string_equal(c.matrix.device_name, "scribe-test");
	assert_int_equal(c.matrix.nallowed_inviters, 2);
	assert_string_equal(c.matrix.allowed_inviters[0], "@alice:example.org");
	assert_string_equal(c.matrix.allowed_inviters[1], ":corp.example");
	assert_int_equal(c.matrix.nresponders, 1);
	assert_string_equal(c.matrix.responders[0], "@bob:example.org");
	assert_int_equal(c.matrix.sync_timeout_ms, 5000);
	assert_int_equal(c.matrix.reconnect_min_ms, 50);
	assert_int_equal(c.matrix.reconnect_max_ms, 60);
	config_release(&c);
}

/* Smaller shapes that are valid. */
static void test_valid_variants(void **state)
{
	struct config c;
	char err[512];
	const char *p;

	/* Empty sections switch the platform on with its defaults. */
	p = write_file("sections.yaml", "slack:\nroles: []\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(c.slack.enabled);
	assert_false(c.matrix.enabled);
	assert_string_equal(c.slack.api_url, "https://slack.com/api/");
	assert_int_equal(c.nroles, 1);
	assert_string_equal(c.roles[0], "commander");
	config_release(&c);

	/* commander listed (in any case) is not added again; nulls. */
	p = write_file("variants.yaml",
		       "---\n"
		       "roles: [scribe, Commander]\n"
		       "slack: {socket_url: null, responders: ~}\n"
		       "matrix:\n"
		       "  homeserver: http://localhost:8008\n"
		       "  user_id:\n"
		       "store: {path: ':memory:'}\n"
		       "postmortem_dir: ./pm\n"
		       "message_max: 1024\n"
		       "...\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.nroles, 2);
	assert_string_equal(c.roles[0], "scribe");
	assert_string_equal(c.roles[1], "Commander");
	assert_null(c.slack.socket_url);
	assert_int_equal(c.slack.nresponders, 0);
	assert_true(c.matrix.enabled);
	assert_null(c.matrix.user_id);
	assert_string_equal(c.store_path, ":memory:");
	assert_int_equal(c.message_max, 1024);
	config_release(&c);

	/* Upper bound of message_max, and a YAML alias. */
	p = write_file("alias.yaml", "message_max: 16777216\n"
				     "slack: {responders: &r [U1]}\n"
				     "matrix: {homeserver: 'https://m.org',\n"
				     "         allowed_inviters: [':m.org']}\n"
				     "roles: *r\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.message_max, 16777216);
	assert_int_equal(c.nroles, 2);
	assert_string_equal(c.roles[1], "U1");
	config_release(&c);
}

static void test_empty_file(void **state)
{
	static const char *const texts[] = {"", "# only a comment\n\n", "---\n",
					    "~\n"};
	struct config c;
	char err[512], name[32], *want;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		snprintf(name, sizeof(name), "empty%zu.yaml", i);
		const char *p = write_file(name, texts[i]);

		setenv("SLACK_BOT_TOKEN", "x", 1);
		setenv("SLACK_APP_TOKEN", "y", 1);
		if (config_load(&c, p, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(c.path, p);
		assert_string_equal(c.dir, tmpdir);
		assert_string_equal(c.timezone, "UTC");
		assert_int_equal(c.nroles, 3);
		assert_int_equal(c.nseverities, 4);
		/* a file, even empty, does not read the environment */
		assert_false(c.slack.enabled);
		assert_false(c.matrix.enabled);
		want = xasprintf("%s/scribe.db", tmpdir);
		assert_string_equal(c.store_path, want);
		free(want);
		want = xasprintf("%s/postmortems", tmpdir);
		assert_string_equal(c.postmortem_dir, want);
		free(want);
		config_release(&c);
	}
}

static void test_relative_paths(void **state)
{
	struct config c;
	char err[512], *here, *want;
	const char *p;

	make_dir("sub");
	p = write_file("sub/scribe.yaml", "store: {path: db/s.db}\n"
					  "postmortem_dir: ../pm\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	want = xasprintf("%s/sub", tmpdir);
	assert_string_equal(c.dir, want);
	free(want);
	want = xasprintf("%s/sub/db/s.db", tmpdir);
	assert_string_equal(c.store_path, want);
	free(want);
	want = xasprintf("%s/sub/../pm", tmpdir);
	assert_string_equal(c.postmortem_dir, want);
	free(want);
	config_release(&c);

	/* A relative config path: its folder is made absolute from cwd. */
	here = cwd();
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(config_load(&c, "sub/scribe.yaml", err, sizeof(err)),
			 0);
	want = xasprintf("%s/sub", tmpdir);
	assert_string_equal(c.dir, want);
	free(want);
	assert_string_equal(c.path, "sub/scribe.yaml");
	config_release(&c);
	assert_int_equal(config_load(&c, "./sub/scribe.yaml", err, sizeof(err)),
			 0);
	want = xasprintf("%s/sub/db/s.db", tmpdir);
	assert_string_equal(c.store_path, want);
	free(want);
	config_release(&c);

	/* A bare file name: the working directory. */
	write_file("bare.yaml", "store: {path: x.db}\n");
	assert_int_equal(config_load(&c, "bare.yaml", err, sizeof(err)), 0);
	assert_string_equal(c.dir, tmpdir);
	want = xasprintf("%s/x.db", tmpdir);
	assert_string_equal(c.store_path, want);
	free(want);
	config_release(&c);

	/* No file: relative paths stay relative to the working directory. */
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_string_equal(c.dir, tmpdir);
	assert_string_equal(c.store_path, "scribe.db");
	assert_string_equal(c.postmortem_dir, "postmortems");
	config_release(&c);
	assert_int_equal(chdir(here), 0);
	free(here);
}

static void test_env_enabling(void **state)
{
	struct config c;
	char err[512];

	/* Slack needs both tokens. */
	setenv("SLACK_BOT_TOKEN", "xoxb-1", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.slack.enabled);
	config_release(&c);
	setenv("SLACK_APP_TOKEN", "xapp-1", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.slack.enabled);
	assert_false(c.matrix.enabled);
	config_release(&c);
	/* An empty variable counts as unset. */
	setenv("SLACK_APP_TOKEN", "", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.slack.enabled);
	config_release(&c);
	clear_env(state);

	/* Matrix needs the homeserver and a token or a password. */
	setenv("MATRIX_HOMESERVER", "https://hs.example.org", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.matrix.enabled);
	assert_null(c.matrix.homeserver);
	config_release(&c);
	setenv("MATRIX_ACCESS_TOKEN", "syt_1", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.matrix.enabled);
	assert_false(c.slack.enabled);
	assert_string_equal(c.matrix.homeserver, "https://hs.example.org");
	assert_null(c.matrix.user_id);
	config_release(&c);
	unsetenv("MATRIX_ACCESS_TOKEN");
	setenv("MATRIX_PASSWORD", "hunter2", 1);
	setenv("MATRIX_USER_ID", "@scribe:example.org", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.matrix.enabled);
	assert_string_equal(c.matrix.user_id, "@scribe:example.org");
	config_release(&c);
	/* No token without the homeserver. */
	unsetenv("MATRIX_HOMESERVER");
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.matrix.enabled);
	config_release(&c);
}

static void test_unreadable(void **state)
{
	struct config c;
	char err[512], *path, *want;
	const char *d;

	path = xasprintf("%s/missing.yaml", tmpdir);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), SCRIBE_EIO);
	want = xasprintf("%s: cannot read: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_defaults(&c);
	config_release(&c);
	free(want);
	free(path);

	d = make_dir("adir.yaml");
	assert_int_equal(config_load(&c, d, err, sizeof(err)), SCRIBE_EIO);
	want = xasprintf("%s: cannot read: %s", d, strerror(EISDIR));
	assert_string_equal(err, want);
	assert_defaults(&c);
	config_release(&c);
	free(want);

	if (geteuid() != 0) { /* root reads anything */
		const char *p = write_file("secret.yaml", "timezone: UTC\n");

		assert_int_equal(chmod(p, 0), 0);
		assert_int_equal(config_load(&c, p, err, sizeof(err)),
				 SCRIBE_EIO);
		want = xasprintf("%s: cannot read: %s", p, strerror(EACCES));
		assert_string_equal(err, want);
		free(want);
		config_release(&c);
	}
}

struct bad {
	const char *yaml;
	const char *want; /* the message after "FILE:" */
};

static const struct bad bad_files[] = {
    /* unknown keys, with and without a suggestion */
    {"timezon: UTC\n", "1: key 'timezon': unknown key 'timezon' (did you mean "
		       "'timezone'?)"},
    {"log_level: info\nfrobnicate: 1\n",
     "2: key 'frobnicate': unknown key 'frobnicate'"},
    {"slack:\n  api_url: https://x/\n  respnders: []\n",
     "3: key 'slack.respnders': unknown key 'respnders' (did you mean "
     "'responders'?)"},
    {"matrix:\n  homeserver: https://m\n  sync_timeout: 5\n",
     "3: key 'matrix.sync_timeout': unknown key 'sync_timeout' (did "
     "you mean 'sync_timeout_ms'?)"},
    {"store:\n  pth: x.db\n",
     "2: key 'store.pth': unknown key 'pth' (did you mean 'path'?)"},
    {"severities:\n  - level: 1\n    descripton: x\n",
     "3: key 'severities[0].descripton': unknown key 'descripton' (did "
     "you mean 'description'?)"},
    /* wrong types */
    {"timezone: [UTC]\n", "1: key 'timezone': expected a string"},
    {"timezone:\n", "1: key 'timezone': expected a string"},
    {"channel_prefix: {a: b}\n", "1: key 'channel_prefix': expected a string"},
    {"message_max: lots\n", "1: key 'message_max': expected a number"},
    {"message_max: '4096'\n", "1: key 'message_max': expected a number"},
    {"message_max: 4096.5\n", "1: key 'message_max': expected a number"},
    {"roles: commander\n", "1: key 'roles': expected a list"},
    {"roles:\n  - comms\n  - [x]\n", "3: key 'roles[1]': expected a string"},
    {"severities: {level: 1}\n", "1: key 'severities': expected a list"},
    {"severities:\n  - 1\n", "2: key 'severities[0]': expected a mapping"},
    {"severities:\n  - level: 1\n    description: x\n    update_every: 30\n",
     "4: key 'severities[0].update_every': '30' is not a duration (like 30m, "
     "2h or 1d), or none"},
    {"severities:\n  - level: 1\n    description: x\n    update_every: [1]\n",
     "4: key 'severities[0].update_every': expected a string"},
    {"slack:\n  announce: [\"#in cidents\"]\n",
     "2: key 'slack.announce[0]': '#in cidents' is not a Slack channel like "
     "'#incidents' or an id like 'C0123ABCD'"},
    {"slack:\n  announce: \"#incidents\"\n",
     "2: key 'slack.announce': expected a list"},
    {"matrix:\n  homeserver: https://m\n  announce: [\"#incidents\"]\n",
     "3: key 'matrix.announce[0]': '#incidents' is not a Matrix room id "
     "('!id:server') or alias ('#name:server')"},
    {"store: here.db\n", "1: key 'store': expected a mapping: write it as "
			 "'store: {path: here.db}'"},
    {"slack: [a]\n", "1: key 'slack': expected a mapping"},
    {"slack:\n  private_channels: yes\n",
     "2: key 'slack.private_channels': expected true or false"},
    {"slack:\n  archive_on_close: 'true'\n",
     "2: key 'slack.archive_on_close': expected true or false"},
    {"slack:\n  ping_interval_ms: soon\n",
     "2: key 'slack.ping_interval_ms': expected a number"},
    {"slack:\n  responders: U1\n",
     "2: key 'slack.responders': expected a list"},
    {"matrix:\n  homeserver: https://m\n  allowed_inviters: {a: 1}\n",
     "3: key 'matrix.allowed_inviters': expected a list"},
    {"default_severity: high\n",
     "1: key 'default_severity': expected a number"},
    /* ranges */
    {"message_max: 1023\n",
     "1: key 'message_max': must be between 1024 and 16777216"},
    {"message_max: 16777217\n",
     "1: key 'message_max': must be between 1024 and 16777216"},
    {"message_max: 99999999999999999999999\n",
     "1: key 'message_max': must be between 1024 and 16777216"},
    {"slack:\n  ping_interval_ms: 0\n",
     "2: key 'slack.ping_interval_ms': must be greater than 0"},
    {"slack:\n  reconnect_min_ms: -5\n",
     "2: key 'slack.reconnect_min_ms': must be greater than 0"},
    {"slack:\n  reconnect_max_ms: 3000000000\n",
     "2: key 'slack.reconnect_max_ms': must be at most 2147483647"},
    {"matrix:\n  homeserver: https://m\n  sync_timeout_ms: 0\n",
     "3: key 'matrix.sync_timeout_ms': must be greater than 0"},
    {"matrix:\n  homeserver: https://m\n  reconnect_min_ms: 0\n",
     "3: key 'matrix.reconnect_min_ms': must be greater than 0"},
    {"matrix:\n  homeserver: https://m\n  reconnect_max_ms: 0\n",
     "3: key 'matrix.reconnect_max_ms': must be greater than 0"},
    {"slack:\n  reconnect_min_ms: 100\n  reconnect_max_ms: 50\n",
     "3: key 'slack.reconnect_max_ms': must not be less than "
     "reconnect_min_ms (100)"},
    {"slack:\n  reconnect_min_ms: 60000\n",
     "2: key 'slack.reconnect_min_ms': must not be more than "
     "reconnect_max_ms (30000)"},
    /* time zones */
    {"timezone: Mars/Olympus_Mons\n",
     "1: key 'timezone': unknown time zone 'Mars/Olympus_Mons' (want an "
     "IANA name such as 'Europe/Paris', or 'UTC')"},
    {"\n\ntimezone: ../../etc/passwd\n",
     "3: key 'timezone': unknown time zone '../../etc/passwd' (want an "
     "IANA name such as 'Europe/Paris', or 'UTC')"},
    {"timezone: America\n",
     "1: key 'timezone': unknown time zone 'America' (want an IANA name "
     "such as 'Europe/Paris', or 'UTC')"},
    {"timezone: zone.tab\n",
     "1: key 'timezone': unknown time zone 'zone.tab' (want an IANA name "
     "such as 'Europe/Paris', or 'UTC')"},
    {"timezone: ''\n",
     "1: key 'timezone': unknown time zone '' (want an IANA name such as "
     "'Europe/Paris', or 'UTC')"},
    /* channel prefix */
    {"channel_prefix: ''\n", "1: key 'channel_prefix': must not be empty"},
    {"channel_prefix: Inc\n",
     "1: key 'channel_prefix': 'Inc' may only hold a-z, 0-9 and '-'"},
    {"channel_prefix: inc_x\n",
     "1: key 'channel_prefix': 'inc_x' may only hold a-z, 0-9 and '-'"},
    /* log level */
    {"log_level: warn\n",
     "1: key 'log_level': 'warn' is not one of debug, info, warning, "
     "error"},
    /* roles */
    {"roles: [comms, '']\n", "1: key 'roles[1]': must not be empty"},
    {"roles:\n  - comms\n  - Comms\n",
     "3: key 'roles[1]': 'Comms' is listed twice"},
    {"roles: ['incident lead']\n",
     "1: key 'roles[0]': role 'incident lead' must be one word"},
    /* severities */
    {"severities: []\n",
     "1: key 'severities': must list at least one severity"},
    {"severities:\n  - level: 0\n    description: x\n",
     "2: key 'severities[0].level': must be between 1 and 9"},
    {"severities:\n  - level: 10\n    description: x\n",
     "2: key 'severities[0].level': must be between 1 and 9"},
    {"severities:\n  - level: 1\n    description: a\n"
     "  - level: 1\n    description: b\n",
     "4: key 'severities[1].level': sev1 is listed twice"},
    {"severities:\n  - description: x\n",
     "2: key 'severities[0].level': is required"},
    {"severities:\n  - level: 3\n",
     "2: key 'severities[0].description': is required"},
    {"severities:\n  - level: 3\n    description: ''\n",
     "3: key 'severities[0].description': must not be empty"},
    {"severities:\n  - level: 1\n    description: x\n    ack_target: 5\n",
     "4: key 'severities[0].ack_target': '5' is not a duration (like 30m, "
     "2h or 1d), or none"},
    {"context_before: 2d\n",
     "1: key 'context_before': must be at most 1d, or 0"},
    {"context_before: soon\n",
     "1: key 'context_before': 'soon' is not a duration (like 30m, 2h or "
     "1d), or none"},
    {"moments:\n  actions: [ok]\n",
     "2: key 'moments.actions[0]': 'ok' must start with a word of at least "
     "3 characters"},
    {"moments:\n  findings: ['a*b']\n",
     "2: key 'moments.findings[0]': 'a*b' must start with a word of at "
     "least 3 characters"},
    {"moments:\n  findings: ['abc*def']\n",
     "2: key 'moments.findings[0]': 'abc*def' may only end in '*'"},
    {"moments:\n  english: maybe\n",
     "2: key 'moments.english': expected true or false"},
    {"moments:\n  lexicon: [x]\n",
     "2: key 'moments.lexicon': unknown key 'lexicon'"},
    {"default_severity: 5\n",
     "1: key 'default_severity': sev5 is not a configured severity"},
    {"default_severity: 12\n",
     "1: key 'default_severity': must be between 1 and 9"},
    {"log_level: info\nseverities:\n  - level: 1\n    description: x\n",
     "2: key 'default_severity': sev3 (the default) is not a configured "
     "severity; set default_severity"},
    /* strings with a shape */
    {"store:\n  path: ''\n", "2: key 'store.path': must not be empty"},
    {"postmortem_dir: ''\n", "1: key 'postmortem_dir': must not be empty"},
    {"slack:\n  api_url: slack.com\n",
     "2: key 'slack.api_url': 'slack.com' is not an http:// or https:// "
     "URL"},
    {"slack:\n  bot_token_env: 'MY TOKEN'\n",
     "2: key 'slack.bot_token_env': 'MY TOKEN' is not an environment "
     "variable name (letters, digits and '_')"},
    {"slack:\n  app_token_env: 1APP\n",
     "2: key 'slack.app_token_env': '1APP' is not an environment "
     "variable name (letters, digits and '_')"},
    {"slack:\n  signing_secret_env: ''\n",
     "2: key 'slack.signing_secret_env': must not be empty"},
    {"slack:\n  socket_url: ''\n",
     "2: key 'slack.socket_url': must not be empty"},
    {"slack:\n  responders: [U1, U1]\n",
     "2: key 'slack.responders[1]': 'U1' is listed twice"},
    {"matrix:\n  user_id: '@a:b'\n",
     "1: key 'matrix.homeserver': is required when the matrix section is "
     "present"},
    {"matrix:\n", "1: key 'matrix.homeserver': is required when the "
		  "matrix section is present"},
    {"matrix:\n  homeserver: matrix.org\n",
     "2: key 'matrix.homeserver': 'matrix.org' is not an http:// or "
     "https:// URL"},
    {"matrix:\n  homeserver: https://m\n  user_id: scribe\n",
     "3: key 'matrix.user_id': 'scribe' is not a Matrix user id like "
     "'@name:server'"},
    {"matrix:\n  homeserver: https://m\n  password_env: $PW\n",
     "3: key 'matrix.password_env': '$PW' is not an environment variable "
     "name (letters, digits and '_')"},
    {"matrix:\n  homeserver: https://m\n  access_token_env: [A]\n",
     "3: key 'matrix.access_token_env': expected a string"},
    {"matrix:\n  homeserver: https://m\n  device_name: ''\n",
     "3: key 'matrix.device_name': must not be empty"},
    {"matrix:\n  homeserver: https://m\n  allowed_inviters:\n"
     "    - ':ok.org'\n    - alice\n",
     "5: key 'matrix.allowed_inviters[1]': 'alice' is neither a user id "
     "('@name:server') nor a server (':server')"},
    {"matrix:\n  homeserver: https://m\n  responders: ['@bob']\n",
     "3: key 'matrix.responders[0]': '@bob' is not a Matrix user id like "
     "'@name:server'"},
    /* duplicates */
    {"timezone: UTC\nlog_level: info\ntimezone: UTC\n",
     "3: key 'timezone': duplicate key (first on line 1)"},
    {"slack:\n  api_url: https://a/\n  api_url: https://b/\n",
     "3: key 'slack.api_url': duplicate key (first on line 2)"},
    /* the shape of the file */
    {"- a\n- b\n", "1: the top level must be a mapping"},
    {"\n\njust words\n", "3: the top level must be a mapping"},
    {"[1, 2]: x\n", "1: keys must be strings"},
    {"timezone: UTC\n---\ntimezone: UTC\n",
     "3: only one YAML document is allowed"},
    /* syntax errors: libyaml's words, its line and column */
    {"timezone: UTC\nroles: [a, b\nlog_level: info\n",
     "3:10: did not find expected ',' or ']' (while parsing a flow "
     "sequence on line 2)"},
    {"slack:\n  api_url: x\n bad: 1\n",
     "3:2: did not find expected key (while parsing a block mapping on "
     "line 1)"},
    {"timezone: \"UTC\n", "2:1: found unexpected end of stream (while "
			  "scanning a quoted scalar on line 1)"},
    {"a: *nowhere\n", "1:4: found undefined alias"},
    {"timezone: \tUTC\n\t- x\n",
     "2:1: found a tab character that violates indentation (while "
     "scanning a plain scalar on line 1)"},
    {"log_level: info\n\xff\xfe\n", "2:1: invalid leading UTF-8 octet"},
    /* the HTTP server */
    {"http:\n  public_url: https://x\n",
     "1: key 'http.listen': is required when the http section is present "
     "(delete the section for no server)"},
    {"http:\n  listen: 8787\n",
     "2: key 'http.listen': '8787' is not host:port, [ipv6]:port or a "
     "socket path (with a '/')"},
    {"http:\n  listen: ::1:8787\n",
     "2: key 'http.listen': '::1:8787' is not host:port, [ipv6]:port or a "
     "socket path (with a '/')"},
    {"http:\n  listen: localhost:70000\n",
     "2: key 'http.listen': port must be from 0 (any free one) to 65535"},
    {"http:\n  listen: localhost:80\n  header_timeout: 10\n",
     "3: key 'http.header_timeout': '10' is not a duration like 30s, 15m, "
     "2h or 1d"},
    {"http:\n  listen: localhost:80\n  read_timeout: 0s\n",
     "3: key 'http.read_timeout': '0s' is not a duration like 30s, 15m, "
     "2h or 1d"},
    {"http:\n  listen: localhost:80\n  read_timeout: 2d\n",
     "3: key 'http.read_timeout': must be from 1s to 1d"},
    {"http:\n  listen: localhost:80\n  body_max: 1GB\n",
     "3: key 'http.body_max': '1GB' is not a size like 65536, 64KiB or "
     "16MiB"},
    {"http:\n  listen: localhost:80\n  body_max: 100\n",
     "3: key 'http.body_max': must be from 1KiB to 1024MiB"},
    {"http:\n  listen: localhost:80\n  max_connections: 0\n",
     "3: key 'http.max_connections': must be from 1 to 1000000"},
    {"http:\n  listen: localhost:80\n  metrics_token_env: a-b\n",
     "3: key 'http.metrics_token_env': 'a-b' is not an environment "
     "variable name (letters, digits and '_')"},
    {"slack:\n  mode: webhook\n",
     "2: key 'slack.mode': 'webhook' is neither socket (Socket Mode) nor "
     "events (the Events API over HTTP)"},
    {"slack:\n  mode: events\n",
     "1: key 'slack.mode': events needs the HTTP server: set http.listen"},
};

/* update_every on severities (defaults: sev1 30m, sev2 1h, none after),
 * and the announcement channels of each platform. */
static void test_updates_keys(void **state)
{
	const char *p = write_file(
	    "updates.yaml", "severities:\n"
			    "  - level: 1\n    description: a\n"
			    "    update_every: 15m\n"
			    "  - level: 2\n    description: b\n"
			    "    update_every: none\n"
			    "  - level: 3\n    description: c\n"
			    "    update_every: 1h30m\n"
			    "slack:\n  announce: [\"#incidents\", C0STATUS]\n"
			    "matrix:\n  homeserver: https://m\n"
			    "  announce: [\"#incidents:m\", \"!abc:m\"]\n");
	struct config c;
	char err[512];
	char *const *list;
	size_t n;

	(void)state;
	config_defaults(&c);
	assert_true(config_update_every(&c, 1) == 30 * 60000);
	assert_true(config_update_every(&c, 2) == 60 * 60000);
	assert_true(config_update_every(&c, 3) == 0);
	assert_true(config_update_every(&c, 4) == 0);
	config_release(&c);
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(config_update_every(&c, 1) == 15 * 60000);
	assert_true(config_update_every(&c, 2) == 0);
	assert_true(config_update_every(&c, 3) == 90 * 60000);
	assert_true(config_update_every(&c, 9) == 0);
	list = config_announce(&c, "slack", &n);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "#incidents");
	assert_string_equal(list[1], "C0STATUS");
	list = config_announce(&c, "matrix", &n);
	assert_int_equal(n, 2);
	assert_string_equal(list[1], "!abc:m");
	config_announce(&c, "console", &n);
	assert_int_equal(n, 0);
	config_release(&c);
}

static void test_http(void **state)
{
	const char *p = write_file("http.yaml",
				   "http:\n"
				   "  listen: \"[::1]:0\"\n"
				   "  public_url: https://scribe.example.com\n"
				   "  max_connections: 1000\n"
				   "  header_timeout: 1s\n"
				   "  read_timeout: 2m\n"
				   "  body_max: 16MiB\n"
				   "  metrics_token_env: SCRIBE_METRICS_TOKEN\n"
				   "slack:\n"
				   "  mode: events\n");
	struct config c;
	char err[512];

	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(c.http.enabled);
	assert_string_equal(c.http.listen, "[::1]:0");
	assert_string_equal(c.http.public_url, "https://scribe.example.com");
	assert_int_equal(c.http.max_connections, 1000);
	assert_int_equal(c.http.header_timeout_ms, 1000);
	assert_int_equal(c.http.read_timeout_ms, 120000);
	assert_int_equal(c.http.body_max, 16 * 1024 * 1024);
	assert_string_equal(c.http.metrics_token_env, "SCRIBE_METRICS_TOKEN");
	assert_int_equal(c.slack.mode, SLACK_EVENTS);
	config_release(&c);

	/* A socket path, and the defaults of the rest; no section: off. */
	p = write_file("unix.yaml", "http:\n  listen: /run/scribe/http.sock\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c.http.listen, "/run/scribe/http.sock");
	assert_int_equal(c.http.max_connections, 256);
	assert_int_equal(c.http.header_timeout_ms, 10000);
	assert_int_equal(c.http.read_timeout_ms, 30000);
	assert_int_equal(c.http.body_max, 1024 * 1024);
	assert_null(c.http.metrics_token_env);
	assert_int_equal(c.slack.mode, SLACK_SOCKET);
	config_release(&c);
	p = write_file("none.yaml", "timezone: UTC\n");
	if (config_load(&c, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(c.http.enabled);
	config_release(&c);
}

static void test_errors(void **state)
{
	struct config c;
	char err[1024], name[32], *want;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_files); i++) {
		snprintf(name, sizeof(name), "bad%zu.yaml", i);
		const char *p = write_file(name, bad_files[i].yaml);
		int rc = config_load(&c, p, err, sizeof(err));

		want = xasprintf("%s:%s", p, bad_files[i].want);
		if (rc != SCRIBE_EINVAL || strcmp(err, want))
			fail_msg("case %zu (%s): rc %d\n  got  '%s'\n  want "
				 "'%s'",
				 i, bad_files[i].yaml, rc, err, want);
		free(want);
		/* Whatever had been read, c is back to the defaults. */
		assert_defaults(&c);
		config_release(&c);
	}
}

/* A small error buffer truncates the message, safely. */
static void test_short_error_buffer(void **state)
{
	struct config c;
	char err[8];
	const char *p = write_file("short.yaml", "timezon: UTC\n");

	assert_int_equal(config_load(&c, p, err, sizeof(err)), SCRIBE_EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_release_and_reuse, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_no_file, clear_env, clear_env),
	    cmocka_unit_test_setup_teardown(test_example_loads, clear_env,
					    clear_env),
	    cmocka_unit_test(test_example_documents_every_key),
	    cmocka_unit_test_setup_teardown(test_every_key, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_valid_variants, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_empty_file, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_relative_paths, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_env_enabling, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_unreadable, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_http, clear_env, clear_env),
	    cmocka_unit_test_setup_teardown(test_errors, clear_env, clear_env),
	    cmocka_unit_test_setup_teardown(test_updates_keys, clear_env,
					    clear_env),
	    cmocka_unit_test_setup_teardown(test_short_error_buffer, clear_env,
					    clear_env),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
