/*
 * test_secret.c - secrets from $CREDENTIALS_DIRECTORY (systemd's
 * LoadCredential=) win over the environment; trailing newlines go; a
 * missing, empty or oversized credential falls back or is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "util/base.h"
#include "util/secret.h"

static char dir[] = "/tmp/scribe-secret-XXXXXX";

static void put(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(path);
}

static void expect_secret(const char *name, const char *want)
{
	char *v = secret_get(name);

	if (!want) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void test_sources(void **state)
{
	char *big;

	assert_non_null(mkdtemp(dir));
	unsetenv("CREDENTIALS_DIRECTORY");
	setenv("SCRIBE_T_TOKEN", "from-env", 1);
	expect_secret("SCRIBE_T_TOKEN", "from-env");
	expect_secret("SCRIBE_T_NOTHING", NULL);
	expect_secret(NULL, NULL);
	setenv("SCRIBE_T_EMPTY", "", 1);
	expect_secret("SCRIBE_T_EMPTY", NULL);

	/* Under systemd: the credential file wins, without its newline. */
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	put("SCRIBE_T_TOKEN", "xoxb-cred\n", 10);
	expect_secret("SCRIBE_T_TOKEN", "xoxb-cred");
	/* No file of that name: the environment. */
	setenv("SCRIBE_T_OTHER", "env-other", 1);
	expect_secret("SCRIBE_T_OTHER", "env-other");
	/* An empty credential is no secret: the environment again. */
	put("SCRIBE_T_OTHER", "\n", 1);
	expect_secret("SCRIBE_T_OTHER", "env-other");
	/* A name is never a path. */
	expect_secret("../etc/passwd", NULL);
	/* An oversized file is not a secret. */
	big = xmalloc(20000);
	memset(big, 'x', 20000);
	put("SCRIBE_T_BIG", big, 20000);
	expect_secret("SCRIBE_T_BIG", NULL);
	free(big);

	unsetenv("CREDENTIALS_DIRECTORY");
	for (const char *const *n =
		 (const char *const[]){"SCRIBE_T_TOKEN", "SCRIBE_T_OTHER",
				       "SCRIBE_T_BIG", NULL};
	     *n; n++) {
		char *path = xasprintf("%s/%s", dir, *n);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
