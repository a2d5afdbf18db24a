/* fake_slack.h - shared state of the fake Slack server (tests/fakes/slack).
 *
 * fake_slack is a standalone test server that speaks Slack's Web API
 * (/api/<method>) and Socket Mode (/link/?ticket=...) on 127.0.0.1, plus a
 * small JSON control API (/_control/...). Everything lives in memory in one
 * struct fs_state, owned by main() in fake_slack.c and touched only from the
 * single lws event loop thread.
 *
 *   fake_slack.c          main, lws plumbing, HTTP request/response, websocket
 *                         connections, timers, envelope delivery and acks
 *   fake_slack_api.c      the Web API methods and the workspace model
 *   fake_slack_control.c  the /_control/ endpoints
 */
#ifndef FAKE_SLACK_H
#define FAKE_SLACK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define FS_TEAM_ID     "T0FAKETEAM"
#define FS_TEAM_NAME   "Fake Team"
#define FS_TEAM_DOMAIN "fake"
#define FS_BOT_USER    "U0FAKEBOT"
#define FS_BOT_NAME    "scribe"
#define FS_BOT_ID      "B0FAKEBOT"
#define FS_APP_ID      "A0FAKEAPP"
#define FS_ACK_LIMIT   20480 /* acks this large or larger are dropped */

/* One response of the HTTP side (Web API, control API or upload). */
struct fs_reply {
	int status;        /* HTTP status, 200 unless 429/4xx/5xx */
	int retry_after;   /* >0: send a Retry-After header */
	const char *ctype; /* content type, JSON by default */
	char *body;        /* malloc'd, owned by the reply */
};

/* One channel. Messages are cJSON objects in ascending ts order. */
struct fs_channel {
	char id[16];
	char *name;
	int is_private;
	int is_archived;
	long created;
	char creator[24];
	cJSON *topic;    /* {value, creator, last_set} */
	cJSON *purpose;  /* same */
	cJSON *members;  /* array of user ids */
	cJSON *messages; /* array, ascending ts */
	cJSON *pins;     /* array of pinned ts strings */
	uint64_t last_ts_us;
	struct fs_channel *next;
};

/* An uploaded (or announced) file of the v2 upload flow. */
struct fs_file {
	char id[16];
	char token[40]; /* the path part of the upload URL */
	char *name;
	char *title;
	long length;   /* declared by files.getUploadURLExternal */
	long uploaded; /* bytes received at the upload URL, -1 before */
	int completed;
	struct fs_file *next;
};

/* A rate limit armed by the control API: the next `count` calls of
 * `method` are answered 429 with Retry-After: retry_after (or, with
 * another status, a server error such as 503). */
struct fs_limit {
	char method[64];
	int count;
	int retry_after;
	int status; /* 429, or a 5xx */
	struct fs_limit *next;
};

/* A logical Socket Mode delivery (one per pushed envelope). events_api
 * ones are redelivered until acked; each delivery has its own envelope id. */
struct fs_pending {
	char envelope_id[40]; /* the id of the latest delivery */
	char type[24];        /* events_api | slash_commands | interactive */
	char *payload;        /* the payload, printed once (JSON) */
	char event_id[64];    /* payload.event_id, or "" */
	int accepts_response_payload;
	int deliveries;     /* deliveries made so far */
	uint64_t sent_us;   /* time of the latest delivery, 0 = not yet */
	int conn_id;        /* connection of the latest delivery */
	uint64_t frame_seq; /* its frame on that connection */
	struct fs_pending *next;
};

/* A capped list of records (calls, acks, ...): the oldest go first. */
struct fs_record {
	cJSON *items; /* array */
	long n;       /* cJSON counts by walking the list; this does not */
	long max;
};

/* The same for the records written per envelope (sent, acks): each is
 * kept as its JSON text, printed once, so that a benchmark's tens of
 * thousands of envelopes cost the fake no trees. */
struct fs_log {
	char **items; /* items[first .. first + n - 1] */
	long first, n, cap;
	long max;
};

struct fs_conn; /* a websocket, defined in fake_slack.c */

struct fs_state {
	int port;
	char bot_token[128];
	char app_token[128];
	char user_token[128];
	/* tunables (control API: /_control/config) */
	int redelivery_ms;     /* default 3000 */
	int max_retries;       /* default 3 */
	int ping_ms;           /* default 5000; 0 = off */
	int pong_timeout_ms;   /* default 3 * ping_ms; 0 = never drop */
	int debug_lifetime_ms; /* for debug_reconnects=true, default 360000 */
	int close_after_ms;    /* disconnect frame -> close, default 100 */
	int fail_uploads;      /* next n uploads answer 500 */
	long max_body;         /* request body bound, default 1 MiB */
	long max_upload;       /* upload body bound, default 16 MiB */
	int echo_bot_messages; /* push events for the bot's own posts */
	/* workspace */
	cJSON *users; /* array of user objects */
	struct fs_channel *channels;
	struct fs_file *files;
	cJSON *tickets; /* array of unused ticket strings */
	struct fs_limit *limits;
	unsigned long seq;
	/* records */
	struct fs_record calls;   /* every Web API call */
	struct fs_log acks;       /* every ack frame received */
	struct fs_log sent;       /* every envelope delivered */
	struct fs_record uploads; /* every upload POST */
	long acks_ok;             /* acks recorded "ok" since the last clear */
	/* the Events API over HTTP (fake_slack_http.c): on when events_url
	 * is set */
	char events_url[256];
	char events_host[64];
	char events_prefix[128];
	int events_port;
	char signing_secret[128]; /* default "fake-signing-secret" */
	int http_retry_ms[3];     /* Slack: 0, 60000, 300000 */
	int http_retries;         /* 3 */
	int http_timeout_ms;      /* 3000 */
	int http_lanes;           /* connections in parallel: 8 */
	int http_clock_skew_s;    /* added to the signed timestamps: 0 */
	struct fs_log http_log;   /* every attempt and its outcome */
	long http_sent, http_ok, http_failed;
	/* socket mode */
	struct fs_pending *pending;
	struct fs_pending *pending_tail;
	int conn_seq;
};

extern struct fs_state fs;

/* fake_slack.c */
uint64_t fs_now_us(void);
void fs_uuid(char out[37]);
void fs_random_id(char *out, size_t len, const char *prefix);
int fs_push_envelope(const char *type, cJSON *payload,
		     int accepts_response_payload, char *envelope_id_out);
int fs_push_envelope_json(const char *type, char *payload, const char *event_id,
			  int accepts_response_payload, char *envelope_id_out);
int fs_conn_count(void);
int fs_conn_disconnect(int conn_id, const char *reason, int close_after_ms);
int fs_conn_drop(int conn_id);
int fs_conn_send_raw(int conn_id, const char *text);
cJSON *fs_conn_list(void);
void fs_reply_json(struct fs_reply *r, int status, cJSON *obj);

/* fake_slack_http.c */
struct lws;
struct lws_vhost;
extern struct lws_vhost *fs_vhost;
int fs_http_push(const char *type, char *payload, const char *event_id,
		 char *envelope_id_out);
int fs_http_callback(struct lws *wsi, int reason, void *user, void *in,
		     size_t len);
void fs_http_dispatch(void);
void fs_http_tick(void);
int fs_http_pending(void);
int fs_http_set_url(const char *url);
void fs_http_stop(void);
void fs_http_free(void);

/* fake_slack_api.c */
void fs_state_init(void);
void fs_state_free(void);
void fs_api_handle(const char *method, const char *http_method,
		   const char *ctype, const char *auth, const char *query,
		   const char *body, size_t body_len, struct fs_reply *r);
void fs_upload_handle(const char *token, const char *ctype, const char *body,
		      size_t len, struct fs_reply *r);
void fs_echo_bot_message(struct fs_channel *ch, cJSON *msg);
struct fs_channel *fs_channel_find(const char *id_or_name);
struct fs_channel *fs_channel_new(const char *name, int is_private,
				  const char *creator);
cJSON *fs_channel_json(const struct fs_channel *c);
cJSON *fs_user_find(const char *id);
cJSON *fs_user_add(cJSON *fields);
cJSON *fs_message_add(struct fs_channel *c, const char *ts, cJSON *msg);
cJSON *fs_message_find(struct fs_channel *c, const char *ts);
void fs_message_delete(struct fs_channel *c, const char *ts);
void fs_next_ts(struct fs_channel *c, char out[24]);
void fs_record_add(struct fs_record *r, cJSON *item);
void fs_record_clear(struct fs_record *r);
void fs_log_add(struct fs_log *l, char *json);
void fs_log_clear(struct fs_log *l);
char *fs_log_json(const struct fs_log *l);
char *fs_json_str(const char *s);
char *fs_time_json(uint64_t us, char out[32]);
cJSON *fs_parse_form(const char *s, size_t len);

/* fake_slack_control.c */
void fs_control_handle(const char *path, const char *http_method,
		       const char *query, const char *body, size_t body_len,
		       struct fs_reply *r);

#endif
