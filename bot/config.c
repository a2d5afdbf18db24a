/*
 * config.c - reading and checking scribe.yaml; see config.h.
 *
 * The whole file is read into memory and loaded into one libyaml document.
 * The tree is then walked against a table of the keys each mapping may
 * hold: every value is type-checked and range-checked as it is stored, and
 * the checks that involve more than one key (the default severity, the
 * reconnect bounds, the paths) run once the walk is done. Loading happens
 * in a scratch struct, so on any error the caller gets plain defaults and
 * nothing half-read is left allocated.
 *
 * Errors read "FILE:LINE: key 'a.b': reason", LINE being the line of the
 * offending key (or list item); list items are named "roles[0]", counting
 * from 0.
 */
#include "util/base.h"
#include "config.h"
#include "util/nearest.h"
#include "core/when.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Config files are small; anything this big is a mistake. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define ZONEINFO_DIR    "/usr/share/zoneinfo"
#define SEVERITY_MAX    9
#define MESSAGE_MIN     1024
#define MESSAGE_MAX     16777216

static const char *const default_roles[] = {"commander", "comms", "scribe"};
/* The SQL flavours a playbook's snippets come in, all shown by default. */
static const char *const sql_flavors[] = {"postgresql", "mysql", "mariadb"};

static const struct {
	int level;
	const char *description;
	int64_t update_every;
	int64_t ack_target_ms;
} default_severities[] = {
    {1, "critical: customer-facing outage or data loss", 30 * 60000, 5 * 60000},
    {2, "major: a customer-facing service is badly degraded", 60 * 60000,
     15 * 60000},
    {3, "moderate: partial degradation, limited customer impact", 0,
     60 * 60000},
    {4, "minor: little or no customer impact", 0, 0},
};

/* ------------------------------------------------------------------ */
/* Defaults and release                                                */

static char *cwd_or_dot(void)
{
	char buf[PATH_MAX];

	if (getcwd(buf, sizeof(buf)))
		return xstrdup(buf);
	return xstrdup(".");
}

static void slack_defaults(struct config_slack *s)
{
	memset(s, 0, sizeof(*s));
	s->api_url = xstrdup("https://slack.com/api/");
	s->bot_token_env = xstrdup("SLACK_BOT_TOKEN");
	s->app_token_env = xstrdup("SLACK_APP_TOKEN");
	s->signing_secret_env = xstrdup("SLACK_SIGNING_SECRET");
	s->ping_interval_ms = 10000;
	s->reconnect_min_ms = 500;
	s->reconnect_max_ms = 30000;
}

static void http_defaults(struct config_http *h)
{
	memset(h, 0, sizeof(*h));
	h->max_connections = 256;
	h->header_timeout_ms = 10000;
	h->read_timeout_ms = 30000;
	h->body_max = 1024 * 1024;
	h->dashboard_token_env = xstrdup("SCRIBE_DASHBOARD_TOKEN");
}

static void matrix_defaults(struct config_matrix *m)
{
	memset(m, 0, sizeof(*m));
	m->access_token_env = xstrdup("MATRIX_ACCESS_TOKEN");
	m->password_env = xstrdup("MATRIX_PASSWORD");
	m->device_name = xstrdup("scribe");
	m->sync_timeout_ms = 30000;
	m->reconnect_min_ms = 500;
	m->reconnect_max_ms = 30000;
}

void config_defaults(struct config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->dir = cwd_or_dot();
	c->timezone = xstrdup("UTC");
	c->store_path = xstrdup("scribe.db");
	c->postmortem_dir = xstrdup("postmortems");
	c->playbooks_dir = xstrdup("playbooks");
	c->shipped_playbooks = true;
	c->channel_prefix = xstrdup("inc");
	c->message_max = 40000;
	c->log_level = xstrdup("info");
	c->nroles = ARRAY_SIZE(default_roles);
	c->roles = xcalloc(c->nroles, sizeof(*c->roles));
	for (i = 0; i < c->nroles; i++)
		c->roles[i] = xstrdup(default_roles[i]);
	c->nseverities = ARRAY_SIZE(default_severities);
	c->severities = xcalloc(c->nseverities, sizeof(*c->severities));
	for (i = 0; i < c->nseverities; i++) {
		c->severities[i].level = default_severities[i].level;
		c->severities[i].description =
		    xstrdup(default_severities[i].description);
		c->severities[i].update_every =
		    default_severities[i].update_every;
		c->severities[i].ack_target_ms =
		    default_severities[i].ack_target_ms;
	}
	c->default_severity = 3;
	c->nsql_flavors = ARRAY_SIZE(sql_flavors);
	c->sql_flavors = xcalloc(c->nsql_flavors, sizeof(*c->sql_flavors));
	for (i = 0; i < c->nsql_flavors; i++)
		c->sql_flavors[i] = xstrdup(sql_flavors[i]);
	c->context_before_ms = 30 * 60000;
	c->moments.english = true;
	slack_defaults(&c->slack);
	matrix_defaults(&c->matrix);
	http_defaults(&c->http);
}

static void free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_severities(struct config_severity *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].description);
	free(s);
}

void config_release(struct config *c)
{
	struct config_slack *s = &c->slack;
	struct config_matrix *m = &c->matrix;
	size_t i;

	free(c->path);
	free(c->dir);
	free(c->timezone);
	free(c->store_path);
	free(c->postmortem_dir);
	free(c->playbooks_dir);
	free(c->channel_prefix);
	free(c->log_level);
	free_list(c->roles, c->nroles);
	free_list(c->sql_flavors, c->nsql_flavors);
	free_severities(c->severities, c->nseverities);
	for (i = 0; i < MOMENT_KINDS; i++)
		free_list(c->moments.phrases[i], c->moments.nphrases[i]);
	free_list(c->moments.alert_bots, c->moments.nalert_bots);
	free_list(c->moments.deploy_bots, c->moments.ndeploy_bots);

	free(s->api_url);
	free(s->socket_url);
	free(s->bot_token_env);
	free(s->app_token_env);
	free(s->signing_secret_env);
	free_list(s->responders, s->nresponders);
	free_list(s->announce, s->nannounce);

	free(m->homeserver);
	free(m->user_id);
	free(m->access_token_env);
	free(m->password_env);
	free(m->device_name);
	free_list(m->allowed_inviters, m->nallowed_inviters);
	free_list(m->responders, m->nresponders);
	free_list(m->announce, m->nannounce);

	free(c->http.listen);
	free(c->http.public_url);
	free(c->http.metrics_token_env);
	free(c->http.dashboard_token_env);
	free_list(c->http.trusted_proxies, c->http.ntrusted_proxies);

	memset(c, 0, sizeof(*c));
}

int64_t config_update_every(const struct config *c, int level)
{
	size_t i;

	for (i = 0; i < c->nseverities; i++)
		if (c->severities[i].level == level)
			return c->severities[i].update_every;
	return 0;
}

char *const *config_announce(const struct config *c, const char *platform,
			     size_t *n)
{
	*n = 0;
	if (!strcmp(platform, "slack")) {
		*n = c->slack.nannounce;
		return c->slack.announce;
	}
	if (!strcmp(platform, "matrix")) {
		*n = c->matrix.nannounce;
		return c->matrix.announce;
	}
	return NULL;
}

bool config_has_severity(const struct config *c, int level)
{
	size_t i;

	for (i = 0; i < c->nseverities; i++)
		if (c->severities[i].level == level)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Errors and YAML node helpers                                        */

struct loader {
	const char *file; /* as given, for messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

/* Formats "FILE:LINE: key 'KEY': reason" (no key part if key is NULL). */
static int fail(struct loader *l, int line, const char *key, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
static int fail(struct loader *l, int line, const char *key, const char *fmt,
		...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(l->err, l->errlen, "%s:%d: key '%s': %s", l->file,
			 line, key, reason);
	else
		snprintf(l->err, l->errlen, "%s:%d: %s", l->file, line, reason);
	return SCRIBE_EINVAL;
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static yaml_node_t *node_at(struct loader *l, int index)
{
	return yaml_document_get_node(l->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* An empty value, "~" or "null", written without quotes. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static void join_key(char *out, size_t len, const char *prefix,
		     const char *name)
{
	if (prefix)
		snprintf(out, len, "%s.%s", prefix, name);
	else
		snprintf(out, len, "%s", name);
}

static int get_string(struct loader *l, int line, const yaml_node_t *v,
		      const char *key, const char **out)
{
	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return fail(l, line, key, "expected a string");
	if (strlen(scalar(v)) != v->data.scalar.length)
		return fail(l, line, key, "must not contain a NUL character");
	*out = scalar(v);
	return 0;
}

/* A whole decimal number, written without quotes. Out-of-range values
 * come back clamped to LLONG_MIN/LLONG_MAX for the caller's range check. */
static int get_number(struct loader *l, int line, const yaml_node_t *v,
		      const char *key, long long *out)
{
	const char *s;
	char *end;

	if (v->type != YAML_SCALAR_NODE ||
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || is_null(v))
		return fail(l, line, key, "expected a number");
	s = scalar(v);
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || *end)
		return fail(l, line, key, "expected a number");
	return 0;
}

static int get_bool(struct loader *l, int line, const yaml_node_t *v,
		    const char *key, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	size_t i;

	if (v->type == YAML_SCALAR_NODE &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(scalar(v), yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(scalar(v), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return fail(l, line, key, "expected true or false");
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* ------------------------------------------------------------------ */
/* Mappings: a table of keys per mapping                               */

struct field;
typedef int (*field_fn)(struct loader *l, const struct field *f, int line,
			yaml_node_t *v, const char *key, void *obj);

struct field {
	const char *name;
	field_fn load;
	size_t off;  /* of the value in the struct being filled */
	size_t noff; /* lists: of its length */
};

#define AT(obj, off, type) (*(type *)((char *)(obj) + (off)))

static int unknown_key(struct loader *l, int line, const char *key,
		       const char *name, const struct field *fields, size_t n)
{
	const char *names[32], *best;
	size_t i;

	for (i = 0; i < n && i < ARRAY_SIZE(names); i++)
		names[i] = fields[i].name;
	best = nearest_name(name, names, i);
	if (best)
		return fail(l, line, key,
			    "unknown key '%s' (did you mean '%s'?)", name,
			    best);
	return fail(l, line, key, "unknown key '%s'", name);
}

/*
 * Walks mapping m (line: where it is named; prefix: its key, NULL at the
 * top), loading each key through its field. lines[i] gets the line of
 * fields[i] when present, for the checks that follow. A null value counts
 * as an empty mapping.
 */
static int walk_mapping(struct loader *l, int line, yaml_node_t *m,
			const char *prefix, const struct field *fields,
			size_t nfields, void *obj, int *lines)
{
	yaml_node_pair_t *p, *q;
	char key[256];
	size_t i;
	int rc;

	if (is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return fail(l, line, prefix, "expected a mapping");
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(l, p->key);
		yaml_node_t *v = node_at(l, p->value);
		int kline = line_of(k);
		const char *name;

		if (k->type != YAML_SCALAR_NODE)
			return fail(l, kline, prefix, "keys must be strings");
		name = scalar(k);
		join_key(key, sizeof(key), prefix, name);
		for (q = m->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *kq = node_at(l, q->key);

			if (kq->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar(kq), name))
				return fail(l, kline, key,
					    "duplicate key (first on line %d)",
					    line_of(kq));
		}
		for (i = 0; i < nfields; i++)
			if (!strcmp(fields[i].name, name))
				break;
		if (i == nfields)
			return unknown_key(l, kline, key, name, fields,
					   nfields);
		rc = fields[i].load(l, &fields[i], kline, v, key, obj);
		if (rc)
			return rc;
		lines[i] = kline;
	}
	return 0;
}

static int field_line(const struct field *fields, size_t n, const int *lines,
		      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(fields[i].name, name))
			return lines[i];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Value checks                                                        */

typedef int (*item_check)(struct loader *l, int line, const char *key,
			  const char *s);

static int check_envname(struct loader *l, int line, const char *key,
			 const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    *p == '_' || (p > s && *p >= '0' && *p <= '9'))
			continue;
		return fail(l, line, key,
			    "'%s' is not an environment variable name "
			    "(letters, digits and '_')",
			    s);
	}
	return 0;
}

static int check_url(struct loader *l, int line, const char *key, const char *s)
{
	if ((!strncmp(s, "https://", 8) && s[8]) ||
	    (!strncmp(s, "http://", 7) && s[7]))
		return 0;
	return fail(l, line, key, "'%s' is not an http:// or https:// URL", s);
}

/* "@name:server" */
static int check_mxid(struct loader *l, int line, const char *key,
		      const char *s)
{
	const char *colon = strchr(s, ':');

	if (s[0] == '@' && colon && colon > s + 1 && colon[1])
		return 0;
	return fail(l, line, key,
		    "'%s' is not a Matrix user id like '@name:server'", s);
}

/* "@name:server", or ":server" for everyone on that server. */
static int check_flavor(struct loader *l, int line, const char *key,
			const char *s)
{
	const char *best;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sql_flavors); i++)
		if (!strcmp(s, sql_flavors[i]))
			return 0;
	best = nearest_name(s, sql_flavors, ARRAY_SIZE(sql_flavors));
	if (best)
		return fail(l, line, key,
			    "unknown SQL flavor '%s' (did you mean '%s'?)", s,
			    best);
	return fail(l, line, key,
		    "unknown SQL flavor '%s': use postgresql, mysql or mariadb",
		    s);
}

static int check_inviter(struct loader *l, int line, const char *key,
			 const char *s)
{
	if (s[0] == ':' && s[1])
		return 0;
	if (s[0] == '@')
		return check_mxid(l, line, key, s);
	return fail(l, line, key,
		    "'%s' is neither a user id ('@name:server') nor a "
		    "server (':server')",
		    s);
}

/* A Slack channel for announcements: "#name" or an id ("C0123ABC"). */
static int check_slack_channel(struct loader *l, int line, const char *key,
			       const char *s)
{
	const char *p = s[0] == '#' ? s + 1 : s;

	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			break;
	if (!*p && s[s[0] == '#'])
		return 0;
	return fail(l, line, key,
		    "'%s' is not a Slack channel like '#incidents' or an id "
		    "like 'C0123ABCD'",
		    s);
}

/* A Matrix room for announcements: "!id:server" or "#alias:server". */
static int check_mx_room(struct loader *l, int line, const char *key,
			 const char *s)
{
	const char *colon = strchr(s, ':');

	if ((s[0] == '!' || s[0] == '#') && colon && colon > s + 1 &&
	    colon[1] && !strpbrk(s, " \t/"))
		return 0;
	return fail(l, line, key,
		    "'%s' is not a Matrix room id ('!id:server') or alias "
		    "('#name:server')",
		    s);
}

static int check_role(struct loader *l, int line, const char *key,
		      const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			return fail(l, line, key, "role '%s' must be one word",
				    s);
	return 0;
}

/* A phrase of the moments lexicon: it starts with three bytes that are
 * not spaces (the picker indexes phrases by them), and '*' only ends it. */
static int check_phrase(struct loader *l, int line, const char *key,
			const char *s)
{
	const char *star = strchr(s, '*');
	size_t lead = strspn(s, " \t");

	if (strcspn(s + lead, " \t*") < 3)
		return fail(l, line, key,
			    "'%s' must start with a word of at least 3 "
			    "characters",
			    s);
	if (star && star[1])
		return fail(l, line, key, "'%s' may only end in '*'", s);
	if (strlen(s) > 100)
		return fail(l, line, key, "must be at most 100 bytes");
	return 0;
}

bool config_zone_exists(const char *name)
{
	char path[PATH_MAX], magic[4];
	struct stat st;
	int fd;
	ssize_t n;

	if (!strcmp(name, "UTC"))
		return true;
	if (!*name || name[0] == '/' || strstr(name, ".."))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, name) >=
	    (int)sizeof(path))
		return false;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	/* zoneinfo also holds tables such as zone.tab: want a TZif file. */
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == (ssize_t)sizeof(magic) && !memcmp(magic, "TZif", 4);
}

/* ------------------------------------------------------------------ */
/* Field loaders                                                       */

/* A non-empty string. */
static int f_text(struct loader *l, const struct field *f, int line,
		  yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (!*s)
		return fail(l, line, key, "must not be empty");
	set_str(&AT(obj, f->off, char *), s);
	return 0;
}

/* A non-empty string, or null for none. */
static int f_optional(struct loader *l, const struct field *f, int line,
		      yaml_node_t *v, const char *key, void *obj)
{
	if (is_null(v)) {
		set_str(&AT(obj, f->off, char *), NULL);
		return 0;
	}
	return f_text(l, f, line, v, key, obj);
}

static int f_checked(struct loader *l, const struct field *f, int line,
		     yaml_node_t *v, const char *key, void *obj,
		     item_check check)
{
	const char *s;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (!*s)
		return fail(l, line, key, "must not be empty");
	rc = check(l, line, key, s);
	if (rc)
		return rc;
	set_str(&AT(obj, f->off, char *), s);
	return 0;
}

static int f_url(struct loader *l, const struct field *f, int line,
		 yaml_node_t *v, const char *key, void *obj)
{
	return f_checked(l, f, line, v, key, obj, check_url);
}

static int f_env(struct loader *l, const struct field *f, int line,
		 yaml_node_t *v, const char *key, void *obj)
{
	return f_checked(l, f, line, v, key, obj, check_envname);
}

/* An environment variable name, or null for none. */
static int f_optional_env(struct loader *l, const struct field *f, int line,
			  yaml_node_t *v, const char *key, void *obj)
{
	if (is_null(v)) {
		set_str(&AT(obj, f->off, char *), NULL);
		return 0;
	}
	return f_env(l, f, line, v, key, obj);
}

static int f_user_id(struct loader *l, const struct field *f, int line,
		     yaml_node_t *v, const char *key, void *obj)
{
	if (is_null(v)) {
		set_str(&AT(obj, f->off, char *), NULL);
		return 0;
	}
	return f_checked(l, f, line, v, key, obj, check_mxid);
}

static int f_bool(struct loader *l, const struct field *f, int line,
		  yaml_node_t *v, const char *key, void *obj)
{
	return get_bool(l, line, v, key, &AT(obj, f->off, bool));
}

/* Milliseconds: a positive int. */
static int f_timer(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	long long n;
	int rc = get_number(l, line, v, key, &n);

	if (rc)
		return rc;
	if (n <= 0)
		return fail(l, line, key, "must be greater than 0");
	if (n > INT_MAX)
		return fail(l, line, key, "must be at most %d", INT_MAX);
	AT(obj, f->off, int) = (int)n;
	return 0;
}

/* A duration written "30s", "15m", "2h", "1d" (when_parse_duration), from
 * one second to a day, kept in milliseconds. */
static int f_duration(struct loader *l, const struct field *f, int line,
		      yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	int64_t ms;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (when_parse_duration(s, &ms))
		return fail(l, line, key,
			    "'%s' is not a duration like 30s, 15m, 2h or 1d",
			    s);
	if (ms < 1000 || ms > 86400000)
		return fail(l, line, key, "must be from 1s to 1d");
	AT(obj, f->off, int) = (int)ms;
	return 0;
}

/* A whole number from 1 to 1,000,000. */
static int f_count(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	long long n;
	int rc = get_number(l, line, v, key, &n);

	if (rc)
		return rc;
	if (n < 1 || n > 1000000)
		return fail(l, line, key, "must be from 1 to 1000000");
	AT(obj, f->off, int) = (int)n;
	return 0;
}

/* A size in bytes: a number, or one with KiB or MiB after it; 1 KiB to
 * 1 GiB. */
static int f_size(struct loader *l, const struct field *f, int line,
		  yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	char *end;
	long long n, mult = 1;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	n = strtoll(s, &end, 10);
	if (!strcmp(end, "KiB"))
		mult = 1024;
	else if (!strcmp(end, "MiB"))
		mult = 1024 * 1024;
	else if (*end)
		end = (char *)s; /* refused below */
	if (end == s || *s == '-' || *s == '+')
		return fail(l, line, key,
			    "'%s' is not a size like 65536, 64KiB or 16MiB", s);
	if (n < 1 || n > (1LL << 30) / mult || n * mult < 1024)
		return fail(l, line, key, "must be from 1KiB to 1024MiB");
	AT(obj, f->off, size_t) = (size_t)(n * mult);
	return 0;
}

/*
 * A list of non-empty, distinct (nocase: ignoring case) strings, each
 * passed through check (if any); a null value is an empty list. One spare
 * slot is allocated at the end (see f_roles).
 */
static int load_list(struct loader *l, int line, yaml_node_t *v,
		     const char *key, item_check check, bool nocase,
		     char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	char **list;
	size_t n = 0, count = 0, j;
	char ikey[300];
	int rc;

	if (!is_null(v)) {
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(l, line, key, "expected a list");
		n = (size_t)(v->data.sequence.items.top -
			     v->data.sequence.items.start);
	}
	list = xcalloc(n + 1, sizeof(*list));
	for (it = is_null(v) ? NULL : v->data.sequence.items.start;
	     it && it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(l, *it);
		int iline = line_of(item);
		const char *s;

		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, count);
		rc = get_string(l, iline, item, ikey, &s);
		if (!rc && !*s)
			rc = fail(l, iline, ikey, "must not be empty");
		if (!rc && check)
			rc = check(l, iline, ikey, s);
		for (j = 0; !rc && j < count; j++)
			if (nocase ? !strcasecmp(list[j], s)
				   : !strcmp(list[j], s))
				rc = fail(l, iline, ikey,
					  "'%s' is listed twice", s);
		if (rc) {
			free_list(list, count);
			return rc;
		}
		list[count++] = xstrdup(s);
	}
	*out = list;
	*nout = count;
	return 0;
}

/* Replaces the list at f->off, of length at f->noff. */
static int f_list_checked(struct loader *l, const struct field *f, int line,
			  yaml_node_t *v, const char *key, void *obj,
			  item_check check, bool nocase)
{
	char **list;
	size_t n;
	int rc = load_list(l, line, v, key, check, nocase, &list, &n);

	if (rc)
		return rc;
	free_list(AT(obj, f->off, char **), AT(obj, f->noff, size_t));
	AT(obj, f->off, char **) = list;
	AT(obj, f->noff, size_t) = n;
	return 0;
}

static int f_list(struct loader *l, const struct field *f, int line,
		  yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, NULL, false);
}

static int f_mxid_list(struct loader *l, const struct field *f, int line,
		       yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, check_mxid, false);
}

static int f_sql_flavors(struct loader *l, const struct field *f, int line,
			 yaml_node_t *v, const char *key, void *obj)
{
	int rc = f_list_checked(l, f, line, v, key, obj, check_flavor, false);

	if (!rc && !AT(obj, f->noff, size_t))
		rc = fail(l, line, key,
			  "lists no flavor: leave it out to show them all");
	return rc;
}

static int f_inviters(struct loader *l, const struct field *f, int line,
		      yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, check_inviter, false);
}

static int f_slack_channels(struct loader *l, const struct field *f, int line,
			    yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, check_slack_channel,
			      false);
}

static int f_mx_rooms(struct loader *l, const struct field *f, int line,
		      yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, check_mx_room, false);
}

/* Roles, matched without regard to case by the commands: "commander" is
 * always there, first if it was not listed. */
static int f_roles(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	struct config *c = obj;
	size_t i;
	int rc = f_list_checked(l, f, line, v, key, obj, check_role, true);

	if (rc)
		return rc;
	for (i = 0; i < c->nroles; i++)
		if (!strcasecmp(c->roles[i], "commander"))
			return 0;
	/* load_list left a spare slot at the end. */
	memmove(c->roles + 1, c->roles, c->nroles * sizeof(*c->roles));
	c->roles[0] = xstrdup("commander");
	c->nroles++;
	return 0;
}

static int f_timezone(struct loader *l, const struct field *f, int line,
		      yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (!config_zone_exists(s))
		return fail(l, line, key,
			    "unknown time zone '%s' (want an IANA name such "
			    "as 'Europe/Paris', or 'UTC')",
			    s);
	set_str(&AT(obj, f->off, char *), s);
	return 0;
}

static int f_channel_prefix(struct loader *l, const struct field *f, int line,
			    yaml_node_t *v, const char *key, void *obj)
{
	const char *s, *p;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (!*s)
		return fail(l, line, key, "must not be empty");
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-'))
			return fail(l, line, key,
				    "'%s' may only hold a-z, 0-9 and '-'", s);
	set_str(&AT(obj, f->off, char *), s);
	return 0;
}

static int f_log_level(struct loader *l, const struct field *f, int line,
		       yaml_node_t *v, const char *key, void *obj)
{
	static const char *const levels[] = {"debug", "info", "warning",
					     "error"};
	const char *s;
	size_t i;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		if (!strcmp(s, levels[i])) {
			set_str(&AT(obj, f->off, char *), s);
			return 0;
		}
	}
	return fail(l, line, key,
		    "'%s' is not one of debug, info, warning, error", s);
}

static int f_message_max(struct loader *l, const struct field *f, int line,
			 yaml_node_t *v, const char *key, void *obj)
{
	long long n;
	int rc = get_number(l, line, v, key, &n);

	if (rc)
		return rc;
	if (n < MESSAGE_MIN || n > MESSAGE_MAX)
		return fail(l, line, key, "must be between %d and %d",
			    MESSAGE_MIN, MESSAGE_MAX);
	AT(obj, f->off, size_t) = (size_t)n;
	return 0;
}

static int f_level(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	long long n;
	int rc = get_number(l, line, v, key, &n);

	if (rc)
		return rc;
	if (n < 1 || n > SEVERITY_MAX)
		return fail(l, line, key, "must be between 1 and %d",
			    SEVERITY_MAX);
	AT(obj, f->off, int) = (int)n;
	return 0;
}

/* A duration written "30s", "15m", "2h", "1d"; null or "none": 0. */
static int f_every(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	int64_t ms;
	int rc;

	if (is_null(v)) {
		AT(obj, f->off, int64_t) = 0;
		return 0;
	}
	rc = get_string(l, line, v, key, &s);
	if (rc)
		return rc;
	if (!strcmp(s, "none")) {
		AT(obj, f->off, int64_t) = 0;
		return 0;
	}
	if (when_parse_duration(s, &ms))
		return fail(l, line, key,
			    "'%s' is not a duration (like 30m, 2h or 1d), or "
			    "none",
			    s);
	AT(obj, f->off, int64_t) = ms;
	return 0;
}

/* context_before: a duration of at most a day, or 0 (off). */
static int f_context_before(struct loader *l, const struct field *f, int line,
			    yaml_node_t *v, const char *key, void *obj)
{
	int rc;

	if (v->type == YAML_SCALAR_NODE && !strcmp(scalar(v), "0")) {
		AT(obj, f->off, int64_t) = 0;
		return 0;
	}
	rc = f_every(l, f, line, v, key, obj);
	if (!rc && AT(obj, f->off, int64_t) > 86400000)
		return fail(l, line, key, "must be at most 1d, or 0");
	return rc;
}

static const struct field severity_fields[] = {
    {"level", f_level, offsetof(struct config_severity, level), 0},
    {"description", f_text, offsetof(struct config_severity, description), 0},
    {"update_every", f_every, offsetof(struct config_severity, update_every),
     0},
    {"ack_target", f_every, offsetof(struct config_severity, ack_target_ms), 0},
};

static int cmp_severity(const void *a, const void *b)
{
	const struct config_severity *x = a, *y = b;

	return (x->level > y->level) - (x->level < y->level);
}

/* A list of {level, description}, kept sorted by level. */
static int f_severities(struct loader *l, const struct field *f, int line,
			yaml_node_t *v, const char *key, void *obj)
{
	struct config *c = obj;
	struct config_severity *sev;
	yaml_node_item_t *it;
	size_t n, count = 0, j;
	char ikey[300], fkey[320];
	int rc = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(l, line, key, "expected a list");
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (!n)
		return fail(l, line, key, "must list at least one severity");
	sev = xcalloc(n, sizeof(*sev));
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = node_at(l, *it);
		int iline = line_of(item);
		int lines[ARRAY_SIZE(severity_fields)] = {0};
		struct config_severity *s = &sev[count++];

		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, count - 1);
		rc = walk_mapping(l, iline, item, ikey, severity_fields,
				  ARRAY_SIZE(severity_fields), s, lines);
		if (rc)
			goto out;
		if (!lines[0] || !lines[1]) {
			snprintf(fkey, sizeof(fkey), "%s.%s", ikey,
				 lines[0] ? "description" : "level");
			rc = fail(l, iline, fkey, "is required");
			goto out;
		}
		for (j = 0; j + 1 < count; j++) {
			if (sev[j].level == s->level) {
				snprintf(fkey, sizeof(fkey), "%s.level", ikey);
				rc = fail(l, lines[0], fkey,
					  "sev%d is listed twice", s->level);
				goto out;
			}
		}
	}
	qsort(sev, count, sizeof(*sev), cmp_severity);
	free_severities(c->severities, c->nseverities);
	c->severities = sev;
	c->nseverities = count;
	return 0;
out:
	free_severities(sev, count);
	return rc;
}

static const struct field store_fields[] = {
    {"path", f_text, offsetof(struct config, store_path), 0},
};

static int f_store(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	int lines[ARRAY_SIZE(store_fields)] = {0};

	/* `store: scribe.db` is the first thing people write. */
	if (v->type == YAML_SCALAR_NODE && *scalar(v))
		return fail(l, line, key,
			    "expected a mapping: write it as "
			    "'store: {path: %s}'",
			    scalar(v));
	return walk_mapping(l, line, v, key, store_fields,
			    ARRAY_SIZE(store_fields), obj, lines);
}

/* min <= max, reported on whichever of the two keys the file set last. */
static int check_reconnect(struct loader *l, const char *prefix, int min,
			   int max, int min_line, int max_line)
{
	char key[64];

	if (min <= max)
		return 0;
	if (max_line > min_line) {
		snprintf(key, sizeof(key), "%s.reconnect_max_ms", prefix);
		return fail(l, max_line, key,
			    "must not be less than reconnect_min_ms (%d)", min);
	}
	snprintf(key, sizeof(key), "%s.reconnect_min_ms", prefix);
	return fail(l, min_line, key,
		    "must not be more than reconnect_max_ms (%d)", max);
}

static int f_slack_mode(struct loader *l, const struct field *f, int line,
			yaml_node_t *v, const char *key, void *obj)
{
	const char *s;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	if (!strcmp(s, "socket"))
		AT(obj, f->off, enum slack_mode) = SLACK_SOCKET;
	else if (!strcmp(s, "events"))
		AT(obj, f->off, enum slack_mode) = SLACK_EVENTS;
	else
		return fail(l, line, key,
			    "'%s' is neither socket (Socket Mode) nor events "
			    "(the Events API over HTTP)",
			    s);
	return 0;
}

#define SLACK(field) offsetof(struct config_slack, field)
static const struct field slack_fields[] = {
    {"mode", f_slack_mode, SLACK(mode), 0},
    {"api_url", f_url, SLACK(api_url), 0},
    {"socket_url", f_optional, SLACK(socket_url), 0},
    {"bot_token_env", f_env, SLACK(bot_token_env), 0},
    {"app_token_env", f_env, SLACK(app_token_env), 0},
    {"signing_secret_env", f_env, SLACK(signing_secret_env), 0},
    {"private_channels", f_bool, SLACK(private_channels), 0},
    {"archive_on_close", f_bool, SLACK(archive_on_close), 0},
    {"responders", f_list, SLACK(responders), SLACK(nresponders)},
    {"announce", f_slack_channels, SLACK(announce), SLACK(nannounce)},
    {"ping_interval_ms", f_timer, SLACK(ping_interval_ms), 0},
    {"reconnect_min_ms", f_timer, SLACK(reconnect_min_ms), 0},
    {"reconnect_max_ms", f_timer, SLACK(reconnect_max_ms), 0},
};
#undef SLACK

static int f_slack(struct loader *l, const struct field *f, int line,
		   yaml_node_t *v, const char *key, void *obj)
{
	struct config_slack *s = &AT(obj, f->off, struct config_slack);
	const struct field *fs = slack_fields;
	size_t n = ARRAY_SIZE(slack_fields);
	int lines[ARRAY_SIZE(slack_fields)] = {0};
	int rc = walk_mapping(l, line, v, key, fs, n, s, lines);

	if (rc)
		return rc;
	s->enabled = true;
	return check_reconnect(l, key, s->reconnect_min_ms, s->reconnect_max_ms,
			       field_line(fs, n, lines, "reconnect_min_ms"),
			       field_line(fs, n, lines, "reconnect_max_ms"));
}

#define MATRIX(field) offsetof(struct config_matrix, field)
static const struct field matrix_fields[] = {
    {"homeserver", f_url, MATRIX(homeserver), 0},
    {"user_id", f_user_id, MATRIX(user_id), 0},
    {"access_token_env", f_env, MATRIX(access_token_env), 0},
    {"password_env", f_env, MATRIX(password_env), 0},
    {"device_name", f_text, MATRIX(device_name), 0},
    {"allowed_inviters", f_inviters, MATRIX(allowed_inviters),
     MATRIX(nallowed_inviters)},
    {"responders", f_mxid_list, MATRIX(responders), MATRIX(nresponders)},
    {"announce", f_mx_rooms, MATRIX(announce), MATRIX(nannounce)},
    {"sync_timeout_ms", f_timer, MATRIX(sync_timeout_ms), 0},
    {"reconnect_min_ms", f_timer, MATRIX(reconnect_min_ms), 0},
    {"reconnect_max_ms", f_timer, MATRIX(reconnect_max_ms), 0},
};
#undef MATRIX

static int f_matrix(struct loader *l, const struct field *f, int line,
		    yaml_node_t *v, const char *key, void *obj)
{
	struct config_matrix *m = &AT(obj, f->off, struct config_matrix);
	const struct field *fs = matrix_fields;
	size_t n = ARRAY_SIZE(matrix_fields);
	int lines[ARRAY_SIZE(matrix_fields)] = {0};
	char hkey[64];
	int rc = walk_mapping(l, line, v, key, fs, n, m, lines);

	if (rc)
		return rc;
	if (!m->homeserver) {
		snprintf(hkey, sizeof(hkey), "%s.homeserver", key);
		return fail(l, line, hkey,
			    "is required when the matrix section is present");
	}
	m->enabled = true;
	return check_reconnect(l, key, m->reconnect_min_ms, m->reconnect_max_ms,
			       field_line(fs, n, lines, "reconnect_min_ms"),
			       field_line(fs, n, lines, "reconnect_max_ms"));
}

/* host:port (a name or IPv4 address), [IPv6]:port, or a path with a '/'
 * (a unix socket). */
static int check_listen(struct loader *l, int line, const char *key,
			const char *s)
{
	const char *colon, *end;
	long port;

	if (strchr(s, '/'))
		return strlen(s) < 108 ? 0
				       : fail(l, line, key,
					      "a socket path must be shorter "
					      "than 108 bytes");
	if (s[0] == '[') {
		end = strchr(s, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
		if (!end || end == s + 1)
			colon = NULL;
	} else {
		colon = strrchr(s, ':');
		if (colon == s ||
		    (colon && memchr(s, ':', (size_t)(colon - s))))
			colon = NULL;
	}
	if (!colon || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return fail(l, line, key,
			    "'%s' is not host:port, [ipv6]:port or a socket "
			    "path (with a '/')",
			    s);
	port = strtol(colon + 1, NULL, 10);
	if (port < 0 || port > 65535)
		return fail(l, line, key,
			    "port must be from 0 (any free one) to 65535");
	return 0;
}

static int f_listen(struct loader *l, const struct field *f, int line,
		    yaml_node_t *v, const char *key, void *obj)
{
	return f_checked(l, f, line, v, key, obj, check_listen);
}

static int f_dashboard_auth(struct loader *l, const struct field *f, int line,
			    yaml_node_t *v, const char *key, void *obj)
{
	static const char *const names[] = {
	    [DASH_AUTH_OFF] = "off",
	    [DASH_AUTH_TOKEN] = "token",
	    [DASH_AUTH_PROXY] = "proxy",
	};
	const char *s;
	size_t i;
	int rc = get_string(l, line, v, key, &s);

	if (rc)
		return rc;
	for (i = DASH_AUTH_OFF; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			AT(obj, f->off, enum dashboard_auth) = i;
			return 0;
		}
	return fail(l, line, key,
		    "'%s' is none of token (a shared token), proxy (a trusted "
		    "reverse proxy's X-Forwarded-User) or off",
		    s);
}

#define HTTP(field) offsetof(struct config_http, field)
static const struct field http_fields[] = {
    {"listen", f_listen, HTTP(listen), 0},
    {"public_url", f_url, HTTP(public_url), 0},
    {"max_connections", f_count, HTTP(max_connections), 0},
    {"header_timeout", f_duration, HTTP(header_timeout_ms), 0},
    {"read_timeout", f_duration, HTTP(read_timeout_ms), 0},
    {"body_max", f_size, HTTP(body_max), 0},
    {"metrics_token_env", f_optional_env, HTTP(metrics_token_env), 0},
    {"dashboard_auth", f_dashboard_auth, HTTP(dashboard_auth), 0},
    {"dashboard_token_env", f_env, HTTP(dashboard_token_env), 0},
    {"trusted_proxies", f_list, HTTP(trusted_proxies), HTTP(ntrusted_proxies)},
    {"dashboard_private", f_bool, HTTP(dashboard_private), 0},
};
#undef HTTP

/* The server is on when listen is set: a section without it is an
 * error, not a server that silently is not there. */
static int f_http(struct loader *l, const struct field *f, int line,
		  yaml_node_t *v, const char *key, void *obj)
{
	struct config_http *h = &AT(obj, f->off, struct config_http);
	int lines[ARRAY_SIZE(http_fields)] = {0};
	char lkey[64];
	int rc = walk_mapping(l, line, v, key, http_fields,
			      ARRAY_SIZE(http_fields), h, lines);

	if (rc)
		return rc;
	if (!h->listen) {
		snprintf(lkey, sizeof(lkey), "%s.listen", key);
		return fail(l, line, lkey,
			    "is required when the http section is present "
			    "(delete the section for no server)");
	}
	h->enabled = true;
	return 0;
}

static int f_phrases(struct loader *l, const struct field *f, int line,
		     yaml_node_t *v, const char *key, void *obj)
{
	return f_list_checked(l, f, line, v, key, obj, check_phrase, true);
}

#define MOMENTS(field) offsetof(struct config_moments, field)
static const struct field moments_fields[] = {
    {"english", f_bool, MOMENTS(english), 0},
    {"actions", f_phrases, MOMENTS(phrases[MOMENT_ACTION]),
     MOMENTS(nphrases[MOMENT_ACTION])},
    {"findings", f_phrases, MOMENTS(phrases[MOMENT_FINDING]),
     MOMENTS(nphrases[MOMENT_FINDING])},
    {"recoveries", f_phrases, MOMENTS(phrases[MOMENT_RECOVERY]),
     MOMENTS(nphrases[MOMENT_RECOVERY])},
    {"changes", f_phrases, MOMENTS(phrases[MOMENT_CHANGE]),
     MOMENTS(nphrases[MOMENT_CHANGE])},
    {"alerts", f_phrases, MOMENTS(phrases[MOMENT_ALERT]),
     MOMENTS(nphrases[MOMENT_ALERT])},
    {"alert_bots", f_list, MOMENTS(alert_bots), MOMENTS(nalert_bots)},
    {"deploy_bots", f_list, MOMENTS(deploy_bots), MOMENTS(ndeploy_bots)},
};
#undef MOMENTS

static int f_moments(struct loader *l, const struct field *f, int line,
		     yaml_node_t *v, const char *key, void *obj)
{
	int lines[ARRAY_SIZE(moments_fields)] = {0};

	return walk_mapping(l, line, v, key, moments_fields,
			    ARRAY_SIZE(moments_fields),
			    &AT(obj, f->off, struct config_moments), lines);
}

#define CONFIG(field) offsetof(struct config, field)
static const struct field top_fields[] = {
    {"timezone", f_timezone, CONFIG(timezone), 0},
    {"store", f_store, 0, 0},
    {"postmortem_dir", f_text, CONFIG(postmortem_dir), 0},
    {"playbooks_dir", f_text, CONFIG(playbooks_dir), 0},
    {"shipped_playbooks", f_bool, CONFIG(shipped_playbooks), 0},
    {"channel_prefix", f_channel_prefix, CONFIG(channel_prefix), 0},
    {"message_max", f_message_max, CONFIG(message_max), 0},
    {"log_level", f_log_level, CONFIG(log_level), 0},
    {"roles", f_roles, CONFIG(roles), CONFIG(nroles)},
    {"severities", f_severities, 0, 0},
    {"sql_flavors", f_sql_flavors, CONFIG(sql_flavors), CONFIG(nsql_flavors)},
    {"default_severity", f_level, CONFIG(default_severity), 0},
    {"context_before", f_context_before, CONFIG(context_before_ms), 0},
    {"moments", f_moments, CONFIG(moments), 0},
    {"slack", f_slack, CONFIG(slack), 0},
    {"matrix", f_matrix, CONFIG(matrix), 0},
    {"http", f_http, CONFIG(http), 0},
};
#undef CONFIG

/* ------------------------------------------------------------------ */
/* The file                                                            */

static int read_file(const char *path, char **out, size_t *outlen, char *err,
		     size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		return SCRIBE_EIO;
	}
	for (;;) {
		ALLOC_GROW(buf, len + 4096 + 1, cap);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(e));
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			snprintf(err, errlen,
				 "%s: cannot read: larger than %d bytes", path,
				 CONFIG_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return SCRIBE_EIO;
}

/* "FILE:LINE:COLUMN: problem": where the YAML stops making sense. */
static int syntax_error(struct loader *l, const yaml_parser_t *p,
			const char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	size_t line = p->problem_mark.line + 1, i;
	size_t column = p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return fail(l, 1, NULL, "out of memory reading YAML");
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		line = 1;
		column = 1;
		for (i = 0; i < p->problem_offset && i < len; i++) {
			column = buf[i] == '\n' ? 1 : column + 1;
			line += buf[i] == '\n';
		}
	}
	if (p->context)
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s (%s on line %zu)",
			 l->file, line, column, problem, p->context,
			 p->context_mark.line + 1);
	else
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->file, line,
			 column, problem);
	return SCRIBE_EINVAL;
}

/* The folder of path, made absolute against the working directory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *d;
	char *dir, *cwd, *abs;
	size_t n;

	if (!slash)
		return cwd_or_dot();
	n = (size_t)(slash - path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (path[0] == '/')
		return n ? xstrndup(path, n) : xstrdup("/");
	dir = xstrndup(path, n);
	d = dir;
	while (d[0] == '.' && d[1] == '/') {
		d += 2;
		while (*d == '/')
			d++;
	}
	cwd = cwd_or_dot();
	if (!*d || !strcmp(d, ".")) {
		free(dir);
		return cwd;
	}
	abs =
	    xasprintf("%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" : "/", d);
	free(cwd);
	free(dir);
	return abs;
}

/* Makes *p absolute against dir if it is relative. */
static void resolve(char **p, const char *dir)
{
	char *abs;

	if ((*p)[0] == '/' || !strcmp(*p, ":memory:"))
		return;
	abs = xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			*p);
	free(*p);
	*p = abs;
}

static int load_document(struct loader *l, struct config *c,
			 yaml_parser_t *parser, const char *buf, size_t len)
{
	int lines[ARRAY_SIZE(top_fields)] = {0};
	const struct field *fs = top_fields;
	size_t n = ARRAY_SIZE(top_fields);
	yaml_node_t *root = yaml_document_get_root_node(l->doc);
	yaml_document_t next;
	int rc, line;

	if (!root)
		return 0; /* an empty file */
	if (!yaml_parser_load(parser, &next))
		return syntax_error(l, parser, buf, len);
	if (yaml_document_get_root_node(&next)) {
		line = line_of(yaml_document_get_root_node(&next));
		yaml_document_delete(&next);
		return fail(l, line, NULL, "only one YAML document is allowed");
	}
	yaml_document_delete(&next);
	if (is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail(l, line_of(root), NULL,
			    "the top level must be a mapping");
	rc = walk_mapping(l, line_of(root), root, NULL, fs, n, c, lines);
	if (rc)
		return rc;
	if (c->slack.enabled && c->slack.mode == SLACK_EVENTS &&
	    !c->http.enabled)
		return fail(l, field_line(fs, n, lines, "slack"), "slack.mode",
			    "events needs the HTTP server: set http.listen");
	if (!config_has_severity(c, c->default_severity)) {
		line = field_line(fs, n, lines, "default_severity");
		if (line)
			return fail(l, line, "default_severity",
				    "sev%d is not a configured severity",
				    c->default_severity);
		return fail(l, field_line(fs, n, lines, "severities"),
			    "default_severity",
			    "sev%d (the default) is not a configured "
			    "severity; set default_severity",
			    c->default_severity);
	}
	return 0;
}

static int load_file(struct config *c, const char *path, char *err,
		     size_t errlen)
{
	struct loader l = {path, NULL, err, errlen};
	yaml_parser_t parser;
	yaml_document_t doc;
	char *buf;
	size_t len;
	int rc;

	rc = read_file(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	set_str(&c->path, path);
	free(c->dir);
	c->dir = dir_of(path);

	if (!yaml_parser_initialize(&parser)) {
		free(buf);
		return fail(&l, 1, NULL, "out of memory reading YAML");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&l, &parser, buf, len);
	} else {
		l.doc = &doc;
		rc = load_document(&l, c, &parser, buf, len);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(buf);
	if (rc)
		return rc;
	resolve(&c->store_path, c->dir);
	resolve(&c->postmortem_dir, c->dir);
	resolve(&c->playbooks_dir, c->dir);
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* No file: each platform is on when its secrets are in the environment. */
static void enable_from_env(struct config *c)
{
	const char *hs = env("MATRIX_HOMESERVER");

	if (env(c->slack.bot_token_env) && env(c->slack.app_token_env))
		c->slack.enabled = true;
	if (hs &&
	    (env(c->matrix.access_token_env) || env(c->matrix.password_env))) {
		c->matrix.enabled = true;
		set_str(&c->matrix.homeserver, hs);
		set_str(&c->matrix.user_id, env("MATRIX_USER_ID"));
	}
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct config tmp;
	int rc;

	if (err && errlen) {
		err[0] = '\0';
	} else {
		err = NULL;
		errlen = 0;
	}
	config_defaults(&tmp);
	if (!path) {
		enable_from_env(&tmp);
		*c = tmp;
		return 0;
	}
	rc = load_file(&tmp, path, err, errlen);
	if (rc) {
		config_release(&tmp);
		config_defaults(c);
		return rc;
	}
	*c = tmp;
	return 0;
}
