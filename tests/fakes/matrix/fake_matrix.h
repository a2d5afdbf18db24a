/* fake_matrix.h - shared state of the fake Matrix homeserver
 * (tests/fakes/matrix).
 *
 * fake_matrix is a standalone test server that speaks enough of the Matrix
 * Client-Server API (spec v1.x, PROTOCOLS.md part B) on 127.0.0.1 for
 * Scribe's Matrix transport tests and benchmark, plus a JSON control API
 * (/_control/...). Everything lives in memory in one struct fm_state, touched
 * only from the single lws event loop thread.
 *
 *   fake_matrix.c          main, lws plumbing, HTTP request assembly, chunked
 *                          replies, parked /sync long-polls and their timers
 *   fake_matrix_util.c     string buffers, hash map, ids, JSON helpers
 *   fake_matrix_store.c    users, devices, tokens, rooms, the event stream,
 *                          state, membership, relations, redaction
 *   fake_matrix_sync.c     event rendering, filters, /sync, /messages,
 *                          relations and threads listings
 *   fake_matrix_api.c      the Client-Server endpoints, auth, call records
 *   fake_matrix_control.c  the /_control/ endpoints
 *
 * Stream positions: every event gets the next global position (1, 2, ...);
 * fs.evs[pos - 1] is the event. Tokens are "s<pos>" (next_batch) or "t<pos>"
 * (prev_batch, /messages start/end); both forms and bare digits are
 * accepted everywhere. A token P stands between the events <= P and > P.
 */
#ifndef FAKE_MATRIX_H
#define FAKE_MATRIX_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define FM_MAX_EVENT     65536 /* bytes of a whole event, spec limit */
#define FM_LIMIT_MAX     1000  /* /sync timeline and /messages limits */
#define FM_DEFAULT_LIMIT 10

/* ---- util --------------------------------------------------------------- */

/* A growable byte string, always NUL-terminated when s != NULL. */
struct fm_buf {
	char *s;
	size_t len, cap;
};

void fm_buf_add(struct fm_buf *b, const char *s, size_t n);
void fm_buf_str(struct fm_buf *b, const char *s);
void fm_buf_printf(struct fm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fm_buf_jstr(struct fm_buf *b, const char *s); /* a JSON string */
void fm_buf_free(struct fm_buf *b);
char *fm_buf_take(struct fm_buf *b); /* the string, the buffer emptied */

/* String -> pointer, open addressing; keys are copied. */
struct fm_map {
	char **keys;
	void **vals;
	size_t cap, n, used; /* used counts tombstones too */
};

void *fm_map_get(const struct fm_map *m, const char *key);
void fm_map_put(struct fm_map *m, const char *key, void *val);
void *fm_map_del(struct fm_map *m, const char *key); /* returns the value */
void fm_map_free(struct fm_map *m, void (*free_val)(void *));

uint64_t fm_now_us(void);  /* wall clock */
uint64_t fm_mono_us(void); /* CLOCK_MONOTONIC, for latencies */
uint64_t fm_rng(void);
void fm_random_str(char *out, size_t n, const char *alphabet); /* n chars */
int fm_parse_token(const char *s, int64_t *pos); /* s12, t12, 12 */
int fm_glob(const char *pattern, const char *s); /* '*' wildcards */
int fm_is_user_id(const char *s);
char *fm_strdup(const char *s); /* NULL-safe */

const char *fm_gs(const cJSON *o, const char *k, const char *def);
double fm_gn(const cJSON *o, const char *k, double def);
int fm_gb(const cJSON *o, const char *k, int def);
cJSON *fm_get(const cJSON *o, const char *k);

/* ---- the model ---------------------------------------------------------- */

enum fm_membership { FM_NONE, FM_JOIN, FM_INVITE, FM_LEAVE, FM_BAN, FM_KNOCK };

struct fm_sync_mark {
	int64_t pos; /* the since of a /sync request */
	uint64_t us; /* when it arrived (monotonic) */
};

struct fm_user {
	char *id;       /* @local:server */
	char *password; /* NULL: no password login */
	cJSON *filters; /* array; the filter id is the index */
	/* POST /_control/sync_raw: the next /sync is answered with this */
	int raw_armed;
	int raw_status;
	char *raw_body;
	char *raw_ctype;
	long long raw_repeat; /* >= 0: repeat_bytes form */
	/* /_control/confirmed: each new highest since, with its arrival */
	struct fm_sync_mark *marks;
	size_t nmarks, capmarks;
	struct fm_user *next;
};

struct fm_device {
	struct fm_user *user;
	char *id;
	struct fm_device *next;
};

struct fm_room;

struct fm_event {
	int64_t pos;
	struct fm_room *room;
	char *event_id;
	char *type;      /* NULL for raw events without a string type */
	char *sender;    /* NULL likewise */
	char *state_key; /* NULL: not a state event */
	char *content;   /* serialized content (redacted after redaction) */
	char *core;      /* the event's JSON members without room_id and
			  * unsigned (raw events: the whole JSON text) */
	int64_t ts;      /* origin_server_ts */
	int raw;         /* appended verbatim by /_control/send raw */
	signed char membership; /* enum fm_membership for m.room.member */
	struct fm_device *txn_dev;
	char *txn_id;
	int64_t redacted_by; /* pos of the redaction, 0 = not redacted */
	int64_t prev_state;  /* previous state event with the same key */
	/* relations: this event's own, and its children */
	char *rel_type;
	int64_t rel_target; /* pos of the parent, 0 = unknown / none */
	char *rel_key;      /* m.annotation key */
	int64_t first_child, last_child, next_sibling;
	int thread_count;
	int64_t thread_latest;
	uint64_t appended_us; /* control API events: when appended (mono) */
};

struct fm_state_entry {
	char *type;
	char *key;
	int64_t pos;
};

struct fm_room {
	char *id;
	char *version;
	char *creator;
	cJSON *aliases; /* array of strings */
	struct fm_state_entry *state;
	size_t nstate, capstate;
	int64_t *evpos; /* positions of the room's events, ascending */
	size_t nev, capev;
	cJSON *pl; /* parsed m.room.power_levels content, NULL = none */
	struct fm_room *next;
};

struct fm_media {
	char *id;
	char *ctype;
	char *filename;
	char *data;
	size_t len;
	char *uploader;
	struct fm_media *next;
};

/* An armed failure: the next `count` calls of `endpoint` ("*" = any) get
 * 429 M_LIMIT_EXCEEDED (ratelimit) or status/errcode (fail). */
struct fm_limit {
	char endpoint[32];
	int count;
	int is_fail;
	int apply; /* fail: run the request, then answer the failure */
	int retry_after_ms;
	int header;
	int status;
	char errcode[64];
	struct fm_limit *next;
};

/* One Client-Server API call, as recorded for /_control/calls. */
struct fm_call {
	const char *endpoint; /* a static name */
	char method[8];
	char *path;
	char *query;
	char *user;
	char *device;
	char *body; /* JSON text, or NULL with body_bytes */
	size_t body_bytes;
	int status;
	char *errcode;
	char *invalid;
	char *warning;
	char *response; /* JSON text, or NULL if too large */
	size_t response_bytes;
	uint64_t time_us; /* arrival, monotonic */
};

struct fm_state {
	int port;
	char server_name[128];
	/* tunables (/_control/config) */
	long sync_timeout_max_ms; /* 30000 */
	long timeline_limit_max;  /* 1000 */
	long max_body;            /* 1 MiB */
	long max_upload;          /* 50 MiB */
	long calls_max;           /* 100000 */
	long calls_response_max;  /* 65536: larger responses are summarized */
	int fail_uploads;
	/* identities */
	struct fm_user *users;
	struct fm_device *devices;
	struct fm_map users_by_id;
	struct fm_map devices_by_key; /* "user\ndevice" */
	struct fm_map tokens;         /* token -> struct fm_device */
	struct fm_map txns;           /* "user\ndevice\npath" -> char* reply */
	/* rooms and the event stream */
	struct fm_room *rooms, *rooms_tail;
	struct fm_map rooms_by_id;
	struct fm_map aliases; /* "#a:server" -> room */
	struct fm_map events_by_id;
	struct fm_event **evs;
	int64_t pos; /* the latest position */
	size_t capevs;
	/* media */
	struct fm_media *media;
	struct fm_map media_by_id;
	/* scripting */
	struct fm_limit *limits;
	struct fm_call **calls; /* ring */
	size_t calls_head, calls_n, calls_cap;
};

extern struct fm_state fs;

/* An HTTP request as fake_matrix.c hands it over. */
struct fm_req {
	const char *method; /* GET POST PUT DELETE OPTIONS HEAD PATCH */
	const char *path;   /* percent-decoded */
	char **args;        /* decoded "k=v" query fragments */
	int nargs;
	const char *auth;
	const char *ctype;
	const char *body;
	size_t body_len;
	int too_large;
	uint64_t arrived_us; /* monotonic */
};

struct fm_sync_wait; /* a parked /sync (fake_matrix_sync.c) */

/* One response. Big bodies go out in chunks; `repeat` adds that many junk
 * bytes between body and tail (the sync_raw repeat_bytes form). */
struct fm_reply {
	int status;
	int retry_after; /* >0: a Retry-After header (seconds) */
	const char *ctype;
	struct fm_buf body;
	long long repeat;
	char *tail;
	/* for the call record */
	const char *endpoint;
	char *user, *device;
	char errcode[64];
	char *invalid;
	char *warning;
	/* /sync: park the request until an event comes or the deadline */
	struct fm_sync_wait *wait;
	int no_record; /* control API replies */
	/* an armed failure with apply: answered after the handler ran */
	int fail_after;
	char fail_errcode[64];
};

/* fake_matrix.c */
void fm_notify(void); /* new events: parked /syncs look again (batched) */
int fm_drop_syncs(void);
cJSON *fm_parked_list(void); /* the /syncs waiting now */
const char *fm_arg(const struct fm_req *q, const char *name);

/* fake_matrix_util.c: replies */
void fm_reply_json(struct fm_reply *r, int status, cJSON *obj); /* frees */
void fm_reply_err(struct fm_reply *r, int status, const char *errcode,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fm_reply_clear(struct fm_reply *r);

/* fake_matrix_store.c */
void fm_state_init(void);
void fm_state_free(void);
struct fm_user *fm_user_find(const char *id);
struct fm_user *fm_user_add(const char *id, const char *password);
struct fm_device *fm_device_get(struct fm_user *u, const char *device_id);
void fm_token_add(const char *token, struct fm_device *d);
struct fm_room *fm_room_find(const char *id_or_alias);
struct fm_room *fm_room_new(const char *room_id, const char *creator,
			    const char *version);
struct fm_event *fm_event_find(const char *event_id);
static inline struct fm_event *fm_ev(int64_t pos)
{
	return pos >= 1 && pos <= fs.pos ? fs.evs[pos - 1] : NULL;
}
struct fm_event *fm_append(struct fm_room *r, const char *type,
			   const char *sender, const char *state_key,
			   const char *content, const cJSON *parsed,
			   struct fm_device *txn_dev, const char *txn_id);
struct fm_event *fm_append_raw(struct fm_room *r, cJSON *raw);
struct fm_event *fm_append_texts(struct fm_room *r, const char *sender,
				 const char *body, long count);
int64_t fm_state_get(const struct fm_room *r, const char *type,
		     const char *key);
int fm_membership(const struct fm_room *r, const char *user,
		  int64_t *event_pos);
int fm_ever_joined(const struct fm_room *r, const char *user,
		   int64_t *leave_pos);
long fm_power(const struct fm_room *r, const char *user);
long fm_power_for(const struct fm_room *r, const char *type, int is_state);
long fm_power_named(const struct fm_room *r, const char *name, long def);
int fm_count_members(const struct fm_room *r, int membership);
char *fm_member_content(const char *membership, const char *user,
			const char *reason, int is_direct);
struct fm_room *fm_create_room(const char *creator, const cJSON *body,
			       const char *room_id, struct fm_reply *err);
struct fm_media *fm_media_add(const char *ctype, const char *filename,
			      const char *data, size_t len,
			      const char *uploader);
void fm_call_add(struct fm_call *c);
void fm_calls_clear(void);
void fm_calls_resize(long max);

/* fake_matrix_sync.c */
void fm_render(struct fm_buf *b, const struct fm_event *e,
	       const struct fm_user *viewer, const struct fm_device *dev,
	       int with_room_id, int bundle);
void fm_sync_handle(const struct fm_req *q, struct fm_device *d,
		    struct fm_reply *r);
int fm_sync_wake(struct fm_sync_wait *w, struct fm_reply *r, int timed_out);
uint64_t fm_sync_deadline_us(const struct fm_sync_wait *w);
void fm_sync_wait_free(struct fm_sync_wait *w);
void fm_messages_handle(const struct fm_req *q, struct fm_device *d,
			struct fm_room *room, struct fm_reply *r);
void fm_relations_handle(const struct fm_req *q, struct fm_device *d,
			 struct fm_room *room, const char *event_id,
			 const char *rel_type, const char *event_type,
			 struct fm_reply *r);
void fm_threads_handle(const struct fm_req *q, struct fm_device *d,
		       struct fm_room *room, struct fm_reply *r);
void fm_state_events_json(struct fm_buf *b, const struct fm_room *r,
			  int with_room_id);

/* fake_matrix_api.c */
void fm_api_handle(const struct fm_req *q, struct fm_reply *r);
void fm_api_record(const struct fm_req *q, const struct fm_reply *r);

/* fake_matrix_control.c */
void fm_control_handle(const struct fm_req *q, struct fm_reply *r);

#endif
