/*
 * moments.c - the key-moment picker; see moments.h.
 */
#include <strings.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/moments.h"

/* Only the start of a long message is read for phrases. */
#define SCAN_MAX 2048
#define BUCKETS  256

static const char *const actions[] = {
    "scaling",     "scaled",       "scale up",    "scale out", "rolling back",
    "rolled back", "roll back",    "rollback*",   "revert*",   "restart*",
    "reboot*",     "failing over", "failed over", "failover",  "escalat*",
    "killed",      "killing",      "drained",     "draining",  "renewed",
    "renewing",    "rotated",      "rotating",    "disabled",  "disabling",
    "flushed",     "purged",       "hotfix*",     "patched",   "mitigat*",
    "bumped",      "throttl*",     NULL,
};
static const char *const findings[] = {
    "found it",  "found the",      "root cause",   "caused by",
    "the cause", "culprit",        "turns out",    "has expired",
    "expired",   "the problem is", "the issue is", "smoking gun",
    "that's it", "that is it",     "confirmed",    NULL,
};
static const char *const recoveries[] = {
    "back to baseline",
    "back to normal",
    "normal operations",
    "recovered",
    "recovering",
    "errors stopped",
    "errors dropped",
    "is back",
    "are back",
    "healthy again",
    "green again",
    "all clear",
    NULL,
};
static const char *const changes[] = {
    "deploy*",       "released",     "release", "rolled out",
    "rolling out",   "rollout",      "migrat*", "merged",
    "config change", "feature flag", "upgrad*", NULL,
};
static const char *const alerts[] = {
    "alert:", "alerting on", "firing", "fired", "triggered", "paged", NULL,
};

static const char *const *const defaults[MOMENT_KINDS] = {
    [MOMENT_ACTION] = actions,      [MOMENT_FINDING] = findings,
    [MOMENT_RECOVERY] = recoveries, [MOMENT_CHANGE] = changes,
    [MOMENT_ALERT] = alerts,
};

/* Anywhere in a message: it is a join or a leave, not a moment. */
static const char *const chatter_phrases[] = {
    "has joined",
    "has left",
    "joined the channel",
    "left the channel",
    "joined the room",
    "left the room",
    NULL,
};

/* What people say that carries nothing forward, as a first word. */
static const char *const chatter[] = {
    "thanks",  "thank", "thx", "ty",   "brb",  "joining", "joined",
    "lol",     "+1",    "ok",  "okay", "k",    "ack",     "same",
    "yep",     "yes",   "no",  "nope", "hi",   "hey",     "hello",
    "morning", "sure",  "np",  "cool", "nice", "great",   "welcome",
};

const char *const *moments_default_phrases(enum moment_kind k)
{
	return defaults[k];
}

const char *moments_why_name(enum moment_why why)
{
	static const char *const names[WHY_COUNT] = {
	    [WHY_ACTION] = "action",         [WHY_FINDING] = "finding",
	    [WHY_RECOVERY] = "recovery",     [WHY_CHANGE] = "change",
	    [WHY_ALERT] = "alert",           [WHY_ALERT_BOT] = "alert bot",
	    [WHY_DEPLOY_BOT] = "deploy bot",
	};

	return why > 0 && why < WHY_COUNT ? names[why] : "";
}

struct phrase {
	char *text; /* lowercased, spaces single, '*' cut */
	size_t len;
	bool stem; /* the last word may go on */
	enum moment_why why;
};

struct moments {
	struct phrase *p;
	size_t n, cap;
	/* Phrases by the hash of their first three bytes: indexes into p,
	 * each bucket a run of next[]-linked entries (-1 ends). */
	int head[BUCKETS];
	int *next;
	const struct config_moments *cfg;
};

/* Word bytes: letters, digits, and every byte of a UTF-8 sequence (so a
 * word in another script is one word). */
static bool word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static unsigned hash3(const unsigned char *s)
{
	return ((unsigned)s[0] * 31u * 31u + (unsigned)s[1] * 31u + s[2]) %
	       BUCKETS;
}

static void add(struct moments *m, const char *text, enum moment_why why)
{
	struct phrase *p;
	struct buf b;
	const unsigned char *s = (const unsigned char *)text;
	bool space = false;

	buf_init(&b, BUF_UNBOUNDED);
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addch(&b, ' ');
		space = false;
		buf_addch(&b, (char)lower(*s));
	}
	if (b.len < 3) { /* the config refuses these; defaults have none */
		buf_release(&b);
		return;
	}
	ALLOC_GROW(m->p, m->n + 1, m->cap);
	p = &m->p[m->n++];
	p->stem = b.s[b.len - 1] == '*';
	if (p->stem)
		b.s[--b.len] = '\0';
	p->len = b.len;
	p->text = buf_detach(&b, NULL);
	p->why = why;
}

struct moments *moments_new(const struct config_moments *cfg)
{
	struct moments *m = xcalloc(1, sizeof(*m));
	const char *const *d;
	size_t k, i;

	m->cfg = cfg;
	for (d = chatter_phrases; *d; d++)
		add(m, *d, WHY_CHATTER);
	for (k = 0; k < MOMENT_KINDS; k++) {
		if (cfg->english)
			for (d = defaults[k]; *d; d++)
				add(m, *d, (enum moment_why)(k + 1));
		for (i = 0; i < cfg->nphrases[k]; i++)
			add(m, cfg->phrases[k][i], (enum moment_why)(k + 1));
	}
	for (i = 0; i < BUCKETS; i++)
		m->head[i] = -1;
	m->next = xcalloc(m->n + 1, sizeof(*m->next));
	/* Last first, so each bucket lists its phrases in order. */
	for (i = m->n; i-- > 0;) {
		unsigned h = hash3((const unsigned char *)m->p[i].text);

		m->next[i] = m->head[h];
		m->head[h] = (int)i;
	}
	return m;
}

void moments_free(struct moments *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->p[i].text);
	free(m->p);
	free(m->next);
	free(m);
}

/* Whether phrase p is at s (a word start in lowered text, end at e). */
static bool match_at(const struct phrase *p, const unsigned char *s,
		     const unsigned char *e)
{
	const unsigned char *q = (const unsigned char *)p->text;

	while (*q) {
		if (*q == ' ') {
			/* One or more separators. */
			if (s >= e || word_byte(*s))
				return false;
			while (s < e && !word_byte(*s))
				s++;
			q++;
			continue;
		}
		if (s >= e || lower(*s) != *q)
			return false;
		s++;
		q++;
	}
	/* Whole words, unless the phrase is a stem; a phrase ending in a
	 * separator ("alert:") ends where it ends. */
	return p->stem || s >= e || !word_byte(*s) || !word_byte(q[-1]);
}

static bool listed(char **list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcasecmp(list[i], s))
			return true;
	return false;
}

/* The first word of s, lowered, into w (cap bytes). */
static void first_word(const unsigned char *s, const unsigned char *e, char *w,
		       size_t cap)
{
	size_t n = 0;

	while (s < e && !word_byte(*s) && *s != '+')
		s++;
	while (s < e && (word_byte(*s) || *s == '+') && n + 1 < cap)
		w[n++] = (char)lower(*s++);
	w[n] = '\0';
}

enum moment_why moments_pick(const struct moments *m, const char *who_id,
			     const char *who, const char *text)
{
	const struct config_moments *cfg = m->cfg;
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	const unsigned char *e, *p;
	enum moment_why best = WHY_NOTHING;
	size_t len = strlen((const char *)s), words = 0, i;
	char w[16];

	if (listed(cfg->alert_bots, cfg->nalert_bots, who_id) ||
	    listed(cfg->alert_bots, cfg->nalert_bots, who))
		return WHY_ALERT_BOT;
	if (listed(cfg->deploy_bots, cfg->ndeploy_bots, who_id) ||
	    listed(cfg->deploy_bots, cfg->ndeploy_bots, who))
		return WHY_DEPLOY_BOT;
	if (len > SCAN_MAX)
		len = SCAN_MAX;
	e = s + len;
	/* A question asks; it does not carry the incident forward. */
	for (p = e; p > s && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t');
	     p--)
		;
	if (p == s || p[-1] == '?')
		return WHY_CHATTER;
	first_word(s, e, w, sizeof(w));
	for (i = 0; i < ARRAY_SIZE(chatter); i++)
		if (!strcmp(w, chatter[i]))
			return WHY_CHATTER;
	for (p = s; p < e;) {
		while (p < e && !word_byte(*p))
			p++;
		if (p >= e)
			break;
		words++;
		if (e - p >= 3) {
			unsigned char k[3] = {lower(p[0]), lower(p[1]),
					      lower(p[2])};
			int j;

			/* The first phrase found wins; a join or a leave
			 * anywhere makes the message chatter. */
			for (j = m->head[hash3(k)]; j >= 0; j = m->next[j]) {
				if (!match_at(&m->p[j], p, e))
					continue;
				if (m->p[j].why == WHY_CHATTER)
					return WHY_CHATTER;
				if (best == WHY_NOTHING)
					best = m->p[j].why;
			}
		}
		while (p < e && word_byte(*p))
			p++;
	}
	if (best == WHY_NOTHING && words < 3)
		return WHY_CHATTER;
	return best;
}
