/*
 * loop.c - the libuv loop and its signals; see loop.h.
 */
#include <signal.h>

#include "util/base.h"
#include "util/log.h"
#include "net/loop.h"

static void on_signal(uv_signal_t *h, int signum)
{
	struct loop *l = h->data;

	if (signum == SIGHUP) {
		log_info("SIGHUP: reloading");
		if (l->on_reload)
			l->on_reload(l->ud);
		return;
	}
	log_info("%s: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	loop_stop(l);
}

int loop_init(struct loop *l, void (*on_stop)(void *ud),
	      void (*on_reload)(void *ud), void *ud)
{
	int rc;

	memset(l, 0, sizeof(*l));
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit a write fails (EFBIG) as on a full disk,
	 * and the store stops acking until it can write again; the default
	 * action would kill the process instead. */
	signal(SIGXFSZ, SIG_IGN);
	rc = uv_loop_init(&l->uv);
	if (rc)
		return rc;
	l->on_stop = on_stop;
	l->on_reload = on_reload;
	l->ud = ud;
	uv_signal_init(&l->uv, &l->sigint);
	uv_signal_init(&l->uv, &l->sigterm);
	uv_signal_init(&l->uv, &l->sighup);
	l->sigint.data = l->sigterm.data = l->sighup.data = l;
	uv_signal_start(&l->sigint, on_signal, SIGINT);
	uv_signal_start(&l->sigterm, on_signal, SIGTERM);
	uv_signal_start(&l->sighup, on_signal, SIGHUP);
	/* Signal handles alone must not keep the loop alive. */
	uv_unref((uv_handle_t *)&l->sigint);
	uv_unref((uv_handle_t *)&l->sigterm);
	uv_unref((uv_handle_t *)&l->sighup);
	return 0;
}

int loop_run(struct loop *l)
{
	return uv_run(&l->uv, UV_RUN_DEFAULT);
}

void loop_stop(struct loop *l)
{
	if (l->stopping)
		return;
	l->stopping = true;
	if (l->on_stop)
		l->on_stop(l->ud);
}

int loop_release(struct loop *l)
{
	uv_close((uv_handle_t *)&l->sigint, NULL);
	uv_close((uv_handle_t *)&l->sigterm, NULL);
	uv_close((uv_handle_t *)&l->sighup, NULL);
	uv_run(&l->uv, UV_RUN_DEFAULT);
	return uv_loop_close(&l->uv);
}
