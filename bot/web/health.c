/*
 * health.c - GET /healthz and GET /readyz; see routes.h.
 *
 * /healthz answers from the loop, so an answer means the loop turns.
 * /readyz asks the store a cheap question and every transport whether it
 * is signed in and connected (struct chat_ops.ready), and names in its
 * JSON body whatever is not.
 */
#include <cjson/cJSON.h>

#include "util/base.h"
#include "app.h"
#include "store/store.h"
#include "web/routes.h"

static void healthz(struct web_req *r, void *ud)
{
	static const char ok[] = "{\"ok\":true}\n";

	web_respond(r, 200, "application/json", ok, sizeof(ok) - 1);
}

static void readyz(struct web_req *r, void *ud)
{
	struct app *a = ud;
	struct store_gauges g;
	cJSON *o = cJSON_CreateObject(), *why = cJSON_CreateObject();
	char reason[160], *text;
	bool ready = true;
	size_t i;

	if (store_gauges(a->st, &g)) {
		cJSON_AddStringToObject(why, "store",
					"the store does not answer");
		ready = false;
	}
	for (i = 0; i < a->ntransports; i++) {
		struct chat *c = a->transports[i];

		reason[0] = '\0';
		if (!c->ops->ready || c->ops->ready(c, reason, sizeof(reason)))
			continue;
		cJSON_AddStringToObject(why, c->ops->name, reason);
		ready = false;
	}
	cJSON_AddBoolToObject(o, "ready", ready);
	if (ready)
		cJSON_Delete(why);
	else
		cJSON_AddItemToObject(o, "not_ready", why);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	web_respond(r, ready ? 200 : 503, "application/json", text,
		    text ? strlen(text) : 0);
	cJSON_free(text);
}

static const struct web_route routes[] = {
    {"GET", "/healthz", healthz, 0, 0},
    {"GET", "/readyz", readyz, 0, 0},
};

int health_routes(struct web *w, struct app *app)
{
	return web_add_routes(w, routes, ARRAY_SIZE(routes), app);
}
