/*
 * notify.c - sd_notify's protocol on the loop; see notify.h.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/base.h"
#include "util/log.h"
#include "net/notify.h"

int notify_send(const char *state)
{
	static bool warned;
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n, len = strlen(state);
	socklen_t salen;
	ssize_t sent;
	int fd, err;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return 0;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* the abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent =
	    sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	err = sent == (ssize_t)len ? 0 : -errno;
	close(fd);
	if (err && !warned) {
		warned = true;
		log_warn("systemd notification to %s failed: %s", path,
			 strerror(-err));
	}
	return err;
}

void notify_status(struct notify *n)
{
	char now[sizeof(n->status)], msg[sizeof(n->status) + 8];

	if (!n->describe)
		return;
	now[0] = '\0';
	n->describe(n->ud, now, sizeof(now));
	if (!strcmp(now, n->status))
		return;
	snprintf(n->status, sizeof(n->status), "%s", now);
	snprintf(msg, sizeof(msg), "STATUS=%s", now);
	notify_send(msg);
}

static void on_tick(uv_timer_t *h)
{
	struct notify *n = h->data;

	if (n->watchdog)
		notify_send("WATCHDOG=1");
	notify_status(n);
}

/* $WATCHDOG_USEC when it is meant for this process; else 0. */
static uint64_t watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec)
		return 0;
	if (pid && *pid && strtol(pid, &end, 10) != (long)getpid())
		return 0;
	v = strtoull(usec, &end, 10);
	return *end ? 0 : (uint64_t)v;
}

void notify_start(struct notify *n, uv_loop_t *loop,
		  void (*describe)(void *ud, char *buf, size_t len), void *ud)
{
	uint64_t usec = watchdog_usec();

	memset(n, 0, sizeof(*n));
	n->describe = describe;
	n->ud = ud;
	if (!getenv("NOTIFY_SOCKET"))
		return;
	n->watchdog = usec > 0;
	/* Half the watchdog interval, as sd_watchdog_enabled(3) advises;
	 * else the status every 5 s. */
	n->every_ms = usec ? (usec / 2000 ? usec / 2000 : 1) : 5000;
	if (!n->watchdog && !describe)
		return;
	uv_timer_init(loop, &n->timer);
	n->timer.data = n;
	uv_timer_start(&n->timer, on_tick, n->every_ms, n->every_ms);
	uv_unref((uv_handle_t *)&n->timer);
	n->timer_on = true;
	notify_status(n);
}

void notify_close(struct notify *n)
{
	if (!n->timer_on)
		return;
	n->timer_on = false;
	uv_close((uv_handle_t *)&n->timer, NULL);
}
