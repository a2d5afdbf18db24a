/*
 * history.c - what was recorded, without a chat: `scribe list` (the
 * incidents, filtered by --status and --since, as text or JSON Lines),
 * `scribe show INC-<n>` (one incident's key facts) and `scribe postmortem
 * INC-<n>`. These commands only read: they never create a database.
 */
#include <cjson/cJSON.h>
#include <strings.h>

#include "util/base.h"
#include "cli/cli.h"
#include "core/model.h"
#include "core/when.h"
#include "publish.h"
#include "store/store.h"

/* "INC-12" (any case) -> 12; -1 when it is not one. */
static long incident_arg(const char *s)
{
	char *end;
	long id;

	if (strncasecmp(s, "INC-", 4))
		return -1;
	id = strtol(s + 4, &end, 10);
	return *end || id < 1 ? -1 : id;
}

/* Opens the config and the existing store for a read-only command. */
static int open_existing(const struct opts *o, struct config *cfg,
			 struct store **st)
{
	if (cli_setup(o, cfg))
		return -1;
	if (cli_open_store(cfg, CLI_STORE_EXISTING, st)) {
		config_release(cfg);
		return -1;
	}
	return 0;
}

/* --since: "YYYY-MM-DD" (local midnight) or "<n>m|h|d|w" back from now. */
static int since_arg(const char *s, int64_t now, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
	    {'m', 60000LL},
	    {'h', 3600000LL},
	    {'d', 86400000LL},
	    {'w', 7 * 86400000LL},
	};
	char local[32], *end;
	long n;
	size_t i;

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(local, sizeof(local), "%s 00:00", s);
		return when_parse_local(local, ms) ? -1 : 0;
	}
	n = strtol(s, &end, 10);
	if (end == s || n < 1 || n > 100000 || !end[0] || end[1])
		return -1;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (*end == units[i].unit) {
			*ms = now - n * units[i].ms;
			return 0;
		}
	return -1;
}

/* What a list row shows as its state: "closed", or the status. */
static const char *state_of(const struct incident *inc)
{
	return inc->marks[MARK_CLOSED] ? "closed" : status_name(inc->status);
}

/* --status: open, closed, or one of the statuses. */
static bool status_matches(const char *want, const struct incident *inc)
{
	if (!want)
		return true;
	if (!strcmp(want, "open"))
		return !inc->marks[MARK_CLOSED];
	return !strcmp(want, state_of(inc));
}

static void json_time(cJSON *o, const char *key, int64_t ms)
{
	char t[WHEN_BUFSZ];

	if (!ms) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	when_rfc3339(ms, t);
	cJSON_AddStringToObject(o, key, t);
}

static void list_json(const struct incident *inc)
{
	cJSON *o = cJSON_CreateObject();
	char id[32], *line;

	snprintf(id, sizeof(id), "INC-%lld", (long long)inc->id);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "number", (double)inc->id);
	cJSON_AddStringToObject(o, "title", inc->title ? inc->title : "");
	cJSON_AddNumberToObject(o, "severity", inc->severity);
	cJSON_AddStringToObject(o, "status", status_name(inc->status));
	cJSON_AddBoolToObject(o, "closed", inc->marks[MARK_CLOSED] != 0);
	cJSON_AddStringToObject(o, "platform",
				inc->platform ? inc->platform : "");
	cJSON_AddStringToObject(o, "channel", inc->channel ? inc->channel : "");
	json_time(o, "declared", inc->marks[MARK_DECLARED]);
	json_time(o, "resolved", inc->marks[MARK_RESOLVED]);
	json_time(o, "closed_at", inc->marks[MARK_CLOSED]);
	line = cJSON_PrintUnformatted(o);
	if (line)
		puts(line);
	cJSON_free(line);
	cJSON_Delete(o);
}

static void list_text(const struct incident *inc)
{
	char id[32], sev[16], when[WHEN_BUFSZ];

	snprintf(id, sizeof(id), "INC-%lld", (long long)inc->id);
	snprintf(sev, sizeof(sev), "sev%d", inc->severity);
	when_datetime(inc->marks[MARK_DECLARED], when);
	printf("%-7s %-5s %-13s %s  %s\n", id, sev, state_of(inc), when,
	       inc->title ? inc->title : "");
}

int cli_list(const struct opts *o)
{
	static const char *const states[] = {
	    "open",       "closed",     "investigating",
	    "identified", "monitoring", "resolved",
	};
	struct incident *list;
	struct config cfg;
	struct store *st;
	int64_t since = 0;
	size_t n, i, shown = 0;
	int rc;

	if (o->nargs)
		return cli_usage_error(cli_find("list"));
	for (i = 0; o->status && i < ARRAY_SIZE(states); i++)
		if (!strcmp(o->status, states[i]))
			break;
	if (o->status && i == ARRAY_SIZE(states)) {
		fprintf(stderr,
			"scribe: --status is open, closed, investigating, "
			"identified, monitoring or resolved\n");
		return 2;
	}
	if (open_existing(o, &cfg, &st))
		return 1;
	if (o->since && since_arg(o->since, wall_ms(), &since)) {
		fprintf(stderr,
			"scribe: --since takes a date (YYYY-MM-DD) or a "
			"duration (30m, 12h, 7d, 2w), not '%s'\n",
			o->since);
		store_close(st);
		config_release(&cfg);
		return 2;
	}
	rc = store_incidents_list(st, since, &list, &n);
	for (i = 0; !rc && i < n; i++) {
		if (!status_matches(o->status, &list[i]))
			continue;
		if (o->json)
			list_json(&list[i]);
		else
			list_text(&list[i]);
		shown++;
	}
	if (!rc && !shown && !o->json)
		fprintf(stderr, "scribe: no incidents%s\n",
			o->status || o->since ? " match" : " recorded yet");
	if (rc)
		fprintf(stderr, "scribe: %s: cannot list incidents: %s\n",
			cfg.store_path, store_errmsg(st));
	else
		store_incidents_free(list, n);
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}

/* "label  value" lines of show. */
static void fact(const char *label, const char *value)
{
	printf("%-13s %s\n", label, value);
}

static void fact_time(const char *label, int64_t ms, const char *none)
{
	char t[WHEN_BUFSZ], z[WHEN_BUFSZ], line[2 * WHEN_BUFSZ];

	if (!ms) {
		fact(label, none);
		return;
	}
	when_datetime(ms, t);
	when_zone_abbr(ms, z);
	snprintf(line, sizeof(line), "%s %s", t, z);
	fact(label, line);
}

static void show_incident(struct store *st, const struct incident *inc)
{
	static const char *const marks[] = {
	    [MARK_STARTED] = "started",
	    [MARK_DETECTED] = "detected",
	    [MARK_ACKNOWLEDGED] = "acknowledged",
	    [MARK_MITIGATED] = "mitigated",
	    [MARK_RESOLVED] = "resolved",
	};
	int64_t entries = 0, end;
	char buf[512], d[WHEN_BUFSZ];
	size_t i, done;
	int m;

	printf("INC-%lld · sev%d · %s · %s\n", (long long)inc->id,
	       inc->severity, state_of(inc), inc->title);
	snprintf(buf, sizeof(buf), "#%s (%s)", inc->channel ? inc->channel : "",
		 inc->platform ? inc->platform : "");
	fact("channel", buf);
	fact_time("declared", inc->marks[MARK_DECLARED], "");
	if (inc->declared_by.name)
		fact("declared by", inc->declared_by.name);
	fact_time("started", incident_started(inc), "not recorded");
	fact_time("detected", incident_detected(inc), "not recorded");
	for (m = MARK_ACKNOWLEDGED; m <= MARK_RESOLVED; m++)
		fact_time(marks[m], inc->marks[m], "not recorded");
	fact_time("closed", inc->marks[MARK_CLOSED], "open");
	end = inc->marks[MARK_RESOLVED];
	if (end && end >= incident_started(inc)) {
		when_duration(end - incident_started(inc), d);
		fact("duration", d);
	}
	for (i = 0; i < inc->nroles; i++)
		fact(inc->roles[i].role, inc->roles[i].who.name
					     ? inc->roles[i].who.name
					     : inc->roles[i].who.id);
	for (i = 0; i < FIELD_COUNT; i++)
		if (inc->fields[i] && *inc->fields[i])
			fact(field_name((enum field)i), inc->fields[i]);
	for (i = 0; i < inc->nhyps; i++) {
		static const char *const states[] = {
		    [HYP_OPEN] = "open",
		    [HYP_CONFIRMED] = "confirmed",
		    [HYP_RULED_OUT] = "ruled out",
		};

		snprintf(buf, sizeof(buf), "H%d %s: %s", inc->hyps[i].n,
			 states[inc->hyps[i].state], inc->hyps[i].text);
		fact(i ? "" : "hypotheses", buf);
	}
	for (i = 0; i < inc->nactions; i++) {
		const struct action *a = &inc->actions[i];

		snprintf(
		    buf, sizeof(buf), "A%d %s%s%s%s%s", a->n,
		    a->done ? "done: " : "", a->text, a->owner.id ? " (" : "",
		    a->owner.id ? (a->owner.name ? a->owner.name : a->owner.id)
				: "",
		    a->owner.id ? ")" : "");
		fact(i ? "" : "follow-ups", buf);
	}
	for (i = 0; i < inc->nruns; i++) {
		const struct pb_run *r = &inc->runs[i];
		size_t k;

		for (k = 0, done = 0; k < r->nsteps; k++)
			done += r->steps[k].state != STEP_PENDING;
		snprintf(buf, sizeof(buf),
			 "%s: %zu of %zu steps done or "
			 "skipped",
			 r->playbook, done, r->nsteps);
		fact(i ? "" : "playbooks", buf);
	}
	if (!store_timeline_count(st, inc->id, &entries)) {
		snprintf(buf, sizeof(buf), "%lld entries", (long long)entries);
		fact("timeline", buf);
	}
	if (inc->revision) {
		snprintf(buf, sizeof(buf),
			 "revision %d (scribe postmortem INC-%lld)",
			 inc->revision, (long long)inc->id);
		fact("postmortem", buf);
	}
}

/* Loads INC-<id> into inc (release it); else says there is none (or
 * why it cannot tell) and returns the error. */
static int load_incident(struct store *st, const struct config *cfg, long id,
			 struct incident *inc)
{
	int rc = store_incident_load(st, id, inc);

	if (rc == SCRIBE_ENOTFOUND)
		fprintf(stderr, "scribe: there is no INC-%ld in %s\n", id,
			cfg->store_path);
	else if (rc)
		fprintf(stderr, "scribe: %s: cannot read INC-%ld: %s\n",
			cfg->store_path, id, store_errmsg(st));
	return rc;
}

int cli_show(const struct opts *o)
{
	struct incident inc;
	struct config cfg;
	struct store *st;
	long id = o->nargs == 1 ? incident_arg(o->args[0]) : -1;
	int rc;

	if (id < 0)
		return cli_usage_error(cli_find("show"));
	if (open_existing(o, &cfg, &st))
		return 1;
	rc = load_incident(st, &cfg, id, &inc);
	if (!rc) {
		show_incident(st, &inc);
		incident_release(&inc);
	}
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}

int cli_postmortem(const struct opts *o)
{
	static const struct {
		const char *name;
		enum publish_format fmt;
	} formats[] = {
	    {"md", PUBLISH_MD},
	    {"html", PUBLISH_HTML},
	    {"json", PUBLISH_JSON},
	    {"svg", PUBLISH_SVG},
	};
	const char *f = o->format ? o->format : "md";
	enum publish_format fmt = PUBLISH_MD;
	struct incident inc;
	struct config cfg;
	struct store *st;
	char err[512] = "";
	long id = o->nargs == 1 ? incident_arg(o->args[0]) : -1;
	size_t i;
	int rc;

	if (id < 0)
		return cli_usage_error(cli_find("postmortem"));
	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(f, formats[i].name))
			break;
	if (i == ARRAY_SIZE(formats)) {
		fprintf(stderr, "scribe: --format is md, html, json or svg\n");
		return 2;
	}
	fmt = formats[i].fmt;
	if (open_existing(o, &cfg, &st))
		return 1;
	rc = load_incident(st, &cfg, id, &inc);
	if (!rc) {
		incident_release(&inc);
		rc = publish_render(st, &cfg, id, (int)o->revision, fmt, 0,
				    stdout, err, sizeof(err));
		if (rc)
			fprintf(stderr, "scribe: %s\n", err);
	}
	store_close(st);
	config_release(&cfg);
	return rc ? 1 : 0;
}
