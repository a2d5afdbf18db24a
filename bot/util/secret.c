/*
 * secret.c - secrets from $CREDENTIALS_DIRECTORY or the environment; see
 * secret.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/base.h"
#include "util/log.h"
#include "util/secret.h"

/* Far larger than any token; a bigger file is not a secret. */
#define SECRET_MAX 16384

static char *read_credential(const char *dir, const char *name)
{
	char path[4096], buf[SECRET_MAX + 1];
	ssize_t n, got = 0;
	int fd;

	if (strchr(name, '/') || snprintf(path, sizeof(path), "%s/%s", dir,
					  name) >= (int)sizeof(path))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("credential %s: %s", path, strerror(errno));
		return NULL;
	}
	while (got < (ssize_t)sizeof(buf) &&
	       (n = read(fd, buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	close(fd);
	if (got > SECRET_MAX) {
		log_warn("credential %s: larger than %d bytes: ignored", path,
			 SECRET_MAX);
		return NULL;
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	return got > 0 ? xstrndup(buf, (size_t)got) : NULL;
}

char *secret_get(const char *name)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *v;
	char *cred;

	if (!name || !*name)
		return NULL;
	if (dir && *dir && (cred = read_credential(dir, name)))
		return cred;
	v = getenv(name);
	return v && *v ? xstrdup(v) : NULL;
}
