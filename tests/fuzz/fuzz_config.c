/*
 * fuzz_config.c - libFuzzer target for the configuration loader.
 *
 * config_load() reads a file (libyaml, then Scribe's own validation of
 * every key), so the input is written to a scratch file and loaded from
 * there. The config file is written by operators, not by chat users, but
 * it is still text from outside the program: whatever it holds, the
 * loader must answer with the defaults and an error naming the file, not
 * crash or leak. Checked beyond that (FUZZ_CHECK aborts): the result is 0,
 * SCRIBE_EINVAL or SCRIBE_EIO; an error message is NUL-terminated and
 * non-empty; and whatever happened, the struct holds a usable
 * configuration (the fields the rest of Scribe reads without checking are
 * set, and the default severity is a configured one).
 */
#include "util/base.h"

#include "config.h"
#include "fuzz.h"

static void check_usable(const struct config *c)
{
	size_t i;

	FUZZ_CHECK(c->timezone && c->store_path && c->postmortem_dir);
	FUZZ_CHECK(c->channel_prefix && c->log_level);
	FUZZ_CHECK(c->nroles >= 1 && c->roles);
	for (i = 0; i < c->nroles; i++)
		FUZZ_CHECK(c->roles[i] && *c->roles[i]);
	FUZZ_CHECK(c->nseverities >= 1 && c->severities);
	FUZZ_CHECK(config_has_severity(c, c->default_severity));
	if (c->slack.enabled)
		FUZZ_CHECK(c->slack.api_url && c->slack.bot_token_env &&
			   c->slack.app_token_env);
	if (c->matrix.enabled)
		FUZZ_CHECK(c->matrix.homeserver && c->matrix.device_name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_input(data, size);
	struct config c;
	char err[512];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = config_load(&c, path, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == SCRIBE_EINVAL || rc == SCRIBE_EIO);
	if (rc)
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
	check_usable(&c);
	config_release(&c);
	return 0;
}
