/*
 * reread.c - a failed read of history: again later, or a gap; see
 * reread.h.
 */
#include "util/base.h"
#include "chat/reread.h"

bool chat_retryable(long status)
{
	return status == 0 || status == 429 || (status >= 500 && status <= 599);
}

int64_t chat_reread_wait(const struct chat_reread *r, bool retryable,
			 int64_t retry_ms, int64_t now)
{
	int64_t first = r->attempts ? r->first_ms : now, wait;

	if (!retryable)
		return -1;
	wait = retry_ms > 0
		   ? retry_ms
		   : backoff_ms(r->attempts, r->min_ms, r->max_ms, true);
	if (now + wait - first > r->budget_ms)
		return -1;
	return wait;
}

static void on_timer(uv_timer_t *h)
{
	struct chat_reread *r = h->data;

	r->again(r->ud);
}

void chat_reread_init(struct chat_reread *r, uv_loop_t *loop, int64_t min_ms,
		      int64_t max_ms, int64_t budget_ms,
		      void (*again)(void *ud), void *ud)
{
	memset(r, 0, sizeof(*r));
	r->min_ms = min_ms > 0 ? min_ms : 1;
	r->max_ms = max_ms > r->min_ms ? max_ms : r->min_ms;
	r->budget_ms = budget_ms;
	r->again = again;
	r->ud = ud;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
}

int64_t chat_reread_failed(struct chat_reread *r, long status, int64_t retry_ms,
			   int64_t now)
{
	int64_t wait =
	    chat_reread_wait(r, chat_retryable(status), retry_ms, now);

	if (wait < 0) {
		r->attempts = 0;
		r->first_ms = 0;
		r->gaps++;
		return -1;
	}
	if (!r->attempts)
		r->first_ms = now;
	r->attempts++;
	r->retries++;
	uv_timer_start(&r->timer, on_timer, (uint64_t)wait, 0);
	return wait;
}

void chat_reread_ok(struct chat_reread *r)
{
	r->attempts = 0;
	r->first_ms = 0;
}

void chat_reread_close(struct chat_reread *r)
{
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, NULL);
}
