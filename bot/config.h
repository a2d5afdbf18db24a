/*
 * config.h - Scribe's configuration: one YAML file read into one struct.
 *
 * config_load() starts from working defaults (so no file at all is a valid
 * configuration), reads the file with libyaml, and validates it. Errors name
 * the file, the line and the key. A platform is on when its section is
 * present, or, with no config file, when its secrets are in the
 * environment. Secrets are never stored here: only the names of the
 * environment variables that hold them.
 */
#ifndef SCRIBE_CONFIG_H
#define SCRIBE_CONFIG_H

#include "util/base.h"

struct config_severity {
	int level;            /* N of "sev<N>" */
	char *description;    /* owned */
	int64_t update_every; /* ms between status updates; 0: no reminders */
	int64_t ack_target_ms; /* acknowledge within this; 0: no target */
};

/* The key-moment picker's lexicon (see core/moments.h): phrases that make
 * a message a key moment of the postmortem's Timeline, by kind. The
 * shipped English phrases are used too unless `english: false`. */
enum moment_kind {
	MOMENT_ACTION,   /* "rolling back", "restarted", "escalating" */
	MOMENT_FINDING,  /* "found it", "root cause", "has expired" */
	MOMENT_RECOVERY, /* "back to baseline", "recovered" */
	MOMENT_CHANGE,   /* "deployed", "migration", "release" */
	MOMENT_ALERT,    /* "firing", "paged" */
	MOMENT_KINDS
};

struct config_moments {
	bool english;                 /* true */
	char **phrases[MOMENT_KINDS]; /* the team's own, owned */
	size_t nphrases[MOMENT_KINDS];
	char **alert_bots; /* senders whose messages are alerts (names/ids) */
	size_t nalert_bots;
	char **deploy_bots; /* senders whose messages are changes */
	size_t ndeploy_bots;
};

enum slack_mode {
	SLACK_SOCKET, /* Socket Mode: a websocket Scribe opens (default) */
	SLACK_EVENTS, /* the Events API: Slack POSTs to the HTTP server */
};

struct config_slack {
	bool enabled;
	enum slack_mode mode;     /* SLACK_SOCKET */
	char *api_url;            /* "https://slack.com/api/" */
	char *socket_url;         /* override of the Socket Mode URL, or NULL */
	char *bot_token_env;      /* "SLACK_BOT_TOKEN" */
	char *app_token_env;      /* "SLACK_APP_TOKEN" */
	char *signing_secret_env; /* "SLACK_SIGNING_SECRET" */
	bool private_channels;    /* false */
	bool archive_on_close;    /* false */
	char **responders;        /* user ids invited to every incident */
	size_t nresponders;
	char **announce; /* channels for declares, updates and closes */
	size_t nannounce;
	int ping_interval_ms; /* 10000 */
	int reconnect_min_ms; /* 500 */
	int reconnect_max_ms; /* 30000 */
};

struct config_matrix {
	bool enabled;
	char *homeserver;        /* e.g. "https://matrix.example.org" */
	char *user_id;           /* "@scribe:example.org" (password login) */
	char *access_token_env;  /* "MATRIX_ACCESS_TOKEN" */
	char *password_env;      /* "MATRIX_PASSWORD" */
	char *device_name;       /* "scribe" */
	char **allowed_inviters; /* users or ":server" suffixes */
	size_t nallowed_inviters;
	char **responders;
	size_t nresponders;
	char **announce; /* room ids or aliases for announcements */
	size_t nannounce;
	int sync_timeout_ms;  /* 30000 */
	int reconnect_min_ms; /* 500 */
	int reconnect_max_ms; /* 30000 */
};

/* The HTTP server (bot/web): on when `http.listen` is set. */
struct config_http {
	bool enabled;
	char *listen;     /* "127.0.0.1:8787", "[::1]:8787" or a socket path */
	char *public_url; /* how Slack and browsers reach it, or NULL */
	int max_connections;     /* 256 */
	int header_timeout_ms;   /* 10 s: until a request's headers are in */
	int read_timeout_ms;     /* 30 s: until its body is in, and for the
				  * answer to be taken */
	size_t body_max;         /* default per route: 1 MiB */
	char *metrics_token_env; /* a bearer token for /metrics, or NULL */
	/* Who may read the dashboard (web/dashboard.c). Unset: anyone who
	 * can reach a loopback or unix-socket listener, nobody otherwise. */
	enum dashboard_auth {
		DASH_AUTH_UNSET,
		DASH_AUTH_OFF,   /* anyone: said explicitly */
		DASH_AUTH_TOKEN, /* ?token= once, then a cookie */
		DASH_AUTH_PROXY, /* X-Forwarded-User from trusted proxies */
	} dashboard_auth;
	char *dashboard_token_env; /* SCRIBE_DASHBOARD_TOKEN */
	char **trusted_proxies;    /* addresses whose X-Forwarded-User counts */
	size_t ntrusted_proxies;
	bool dashboard_private; /* show incidents in private channels too */
};

struct config {
	char *path;             /* the file read, or NULL for defaults */
	char *dir;              /* its folder, or the working directory */
	char *timezone;         /* IANA name, "UTC" by default */
	char *store_path;       /* "scribe.db", resolved against dir */
	char *postmortem_dir;   /* "postmortems", resolved against dir */
	char *playbooks_dir;    /* the team's playbooks, added to the shipped
				   ones: "playbooks", resolved against dir */
	bool shipped_playbooks; /* load the shipped library too: true */
	char *channel_prefix;   /* "inc" */
	size_t message_max;     /* bytes kept of one message: 40000 */
	char *log_level;        /* "info" */
	char **roles;           /* commander, comms, scribe, and more */
	size_t nroles;
	struct config_severity *severities; /* sev1..sev4 by default */
	size_t nseverities;
	int default_severity; /* 3 */
	char **sql_flavors;   /* the SQL flavours steps show: all by default */
	size_t nsql_flavors;
	/* Messages of the declare's channel this long before it become the
	 * incident's context: 30 min (at most CONTEXT_MAX); 0 turns it off. */
	int64_t context_before_ms;
	struct config_moments moments;
	struct config_slack slack;
	struct config_matrix matrix;
	struct config_http http;
};

/* At most this many messages of context before a declare. */
#define CONTEXT_MAX 200

/* Fills c with the defaults. Never fails. */
void config_defaults(struct config *c);

/*
 * Loads path (NULL: defaults, and platforms switched on from the
 * environment). On error returns SCRIBE_EINVAL or SCRIBE_EIO with
 * "FILE:LINE: key 'x': reason" in err, and c holds the defaults.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* Frees everything c owns. */
void config_release(struct config *c);

/* True when name is a time zone of the system's zoneinfo ("UTC" too). */
bool config_zone_exists(const char *name);

/* True when sev<level> is configured. */
bool config_has_severity(const struct config *c, int level);
/* sev<level>'s update_every (ms), 0 when it has none or is unknown. */
int64_t config_update_every(const struct config *c, int level);
/* The announcement channels of a platform ("slack", "matrix"): none for
 * the others. */
char *const *config_announce(const struct config *c, const char *platform,
			     size_t *n);

#endif
