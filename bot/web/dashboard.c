/*
 * dashboard.c - the read-only dashboard: GET /, GET /incidents/INC-<n>,
 * its downloads, and the stylesheet; see routes.h.
 *
 * Plain HTML that Scribe writes itself (no framework, no script, no CDN):
 * the list of incidents (open first, then closed, newest first; filtered
 * by state, severity and words of the title; paginated), and a page per
 * incident with its key facts, its picture (pm_svg.c, as an image of this
 * server), the postmortem as it reads now (the latest revision once
 * closed, a draft while open) and the transcript behind a link. Every page
 * sends a strict Content Security Policy: nothing inline, nothing from
 * elsewhere. Every piece of user text goes through html_escape(); the
 * postmortem through html_of_markdown() (raw HTML off, links filtered).
 *
 * Access: on a loopback or unix-socket listener anyone who can connect
 * may read it; beyond loopback http.dashboard_auth must say who: a shared
 * token (given once as ?token=, then kept in a cookie), a trusted reverse
 * proxy's X-Forwarded-User, or off. Incidents in private channels are
 * left out unless http.dashboard_private says otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>

#include "util/base.h"
#include "util/log.h"
#include "app.h"
#include "core/postmortem.h"
#include "core/when.h"
#include "publish.h"
#include "store/store.h"
#include "web/routes.h"

#define PAGE_SIZE 25
#define COOKIE    "scribe_dashboard"

static const char csp[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

/* The one script: an open incident's page stays current without a
 * reload. When the server says the timeline grew, the page is fetched
 * again and its <main> swapped in (the same escaped HTML the server
 * writes). Without JavaScript the page is whole, only not live. */
static const char live_js[] =
    "// live.js - keeps an open incident's page current (Scribe).\n"
    "(function () {\n"
    "  var main = document.querySelector('main[data-live]');\n"
    "  if (!main || !window.EventSource) return;\n"
    "  var es = new EventSource(main.getAttribute('data-live'));\n"
    "  es.onmessage = function () {\n"
    "    fetch(location.href, {credentials: 'same-origin'})\n"
    "      .then(function (r) { return r.ok ? r.text() : null; })\n"
    "      .then(function (t) {\n"
    "        if (!t) return;\n"
    "        var doc = new DOMParser().parseFromString(t, 'text/html');\n"
    "        var fresh = doc.querySelector('main[data-live]');\n"
    "        if (fresh) main.innerHTML = fresh.innerHTML;\n"
    "        else location.reload();\n"
    "      });\n"
    "  };\n"
    "})();\n";

/* The stylesheet: light and dark, readable printed. */
static const char css[] =
    ":root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#555;"
    "--line:#ccc;--open:#a40000}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#151515;"
    "--muted:#aaa;--line:#444;--open:#ff8080}}\n"
    "body{font-family:system-ui,sans-serif;color:var(--fg);"
    "background:var(--bg);max-width:72em;margin:1.5em auto;padding:0 "
    "1em;line-height:1.5}\n"
    "a{color:inherit}\nh1{font-size:1.5em}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "td,th{border-bottom:1px solid var(--line);padding:.3em .6em;"
    "text-align:left;vertical-align:top}\n"
    "th{font-weight:600}\n.open{color:var(--open);font-weight:600}\n"
    ".muted{color:var(--muted)}\nform{margin:1em 0}\n"
    "form label{margin-right:1em}\n"
    "dl.facts{display:grid;grid-template-columns:max-content auto;"
    "gap:.2em 1em}\ndl.facts dt{color:var(--muted)}\n"
    "dl.facts dd{margin:0}\n"
    "img.picture{max-width:100%;height:auto;background:#fff;"
    "border:1px solid var(--line)}\n"
    "nav.pages a{margin-right:1em}\n"
    "article{border-top:1px solid var(--line);margin-top:1.5em}\n";

/* ---- access ------------------------------------------------------------ */

static bool listener_is_local(const char *listen)
{
	return listen && (listen[0] == '/' || !strncmp(listen, "127.", 4) ||
			  !strncmp(listen, "[::1]", 5) ||
			  !strncmp(listen, "localhost:", 10));
}

static bool same_secret(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && !CRYPTO_memcmp(a, b, n);
}

/* The token in the request's cookie header, if it is ours. */
static bool cookie_ok(struct web_req *r, const char *token)
{
	char cookies[1024], want[512];
	const char *p;

	if (web_header(r, "cookie", cookies, sizeof(cookies)) < 0 ||
	    snprintf(want, sizeof(want), COOKIE "=%s", token) >=
		(int)sizeof(want))
		return false;
	for (p = cookies; *p; p++) {
		size_t n = strcspn(p, ";");
		char one[512];

		while (*p == ' ')
			p++, n--;
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (same_secret(one, want))
				return true;
		}
		p += n;
		if (!*p)
			break;
	}
	return false;
}

static void refuse(struct web_req *r, int status, const char *why)
{
	char *page = xasprintf(
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>Scribe</title></head><body><p>%s</p></body></html>\n",
	    why);

	web_header_add(r, "Content-Security-Policy", csp);
	web_respond_take(r, status, "text/html; charset=utf-8", page,
			 strlen(page));
}

/*
 * Whether r may read the dashboard. When not, r is answered here (401,
 * 403, or a redirect that turns a ?token= into a cookie).
 */
static bool allowed(struct web_req *r, const struct dashboard *d)
{
	const struct config_http *h = &d->app->cfg->http;
	char given[512], user[256];
	const char *peer;
	size_t i;

	switch (h->dashboard_auth) {
	case DASH_AUTH_UNSET:
		if (listener_is_local(h->listen))
			return true;
		refuse(r, 403,
		       "The dashboard is off: Scribe listens beyond loopback "
		       "and http.dashboard_auth does not say who may read it "
		       "(token, proxy or off).");
		return false;
	case DASH_AUTH_OFF: return true;
	case DASH_AUTH_TOKEN:
		if (!d->token || !*d->token) {
			refuse(r, 403,
			       "The dashboard's token is not set in the "
			       "environment.");
			return false;
		}
		if (web_query(r, "token", given, sizeof(given)) > 0) {
			char *cookie;

			if (!same_secret(given, d->token)) {
				log_info("dashboard: a wrong token from %s",
					 r->peer);
				refuse(r, 401,
				       "That token is not the "
				       "dashboard's.");
				return false;
			}
			/* Into a cookie, and off the address bar. */
			cookie = xasprintf(COOKIE "=%s; Path=/; HttpOnly; "
						  "SameSite=Strict",
					   d->token);
			web_header_add(r, "Set-Cookie", cookie);
			web_header_add(r, "Location", r->path);
			free(cookie);
			web_respond(r, 303, "text/plain", NULL, 0);
			return false;
		}
		if (cookie_ok(r, d->token))
			return true;
		refuse(r, 401,
		       "This dashboard needs its token: open it once with "
		       "?token=&lt;token&gt;.");
		return false;
	case DASH_AUTH_PROXY:
		/* An IPv4 peer of a dual-stack socket reads "::ffff:a.b.c.d".
		 */
		peer = strncmp(r->peer, "::ffff:", 7) ? r->peer : r->peer + 7;
		for (i = 0; i < h->ntrusted_proxies; i++)
			if (!strcmp(peer, h->trusted_proxies[i]))
				break;
		if (i < h->ntrusted_proxies &&
		    web_header(r, "x-forwarded-user", user, sizeof(user)) > 0)
			return true;
		log_info("dashboard: %s is not a trusted proxy, or named no "
			 "user (X-Forwarded-User)",
			 r->peer);
		refuse(r, 401,
		       "This dashboard is read through the company's "
		       "sign-in proxy.");
		return false;
	}
	return false;
}

/* Whether the incident may be shown: not in a private channel, unless
 * the configuration says so. */
static bool visible(const struct dashboard *d, const struct incident *inc)
{
	const struct config *cfg = d->app->cfg;

	return cfg->http.dashboard_private || !inc->platform ||
	       strcmp(inc->platform, "slack") || !cfg->slack.private_channels;
}

/* ---- pages ------------------------------------------------------------- */

static void page_start(FILE *f, const char *title, bool live)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<meta name=\"viewport\" "
	      "content=\"width=device-width,initial-scale=1\">\n<title>",
	      f);
	html_escape(f, title);
	fputs(" · Scribe</title>\n<link rel=\"stylesheet\" "
	      "href=\"/static/scribe.css\">\n",
	      f);
	if (live)
		fputs("<script src=\"/static/live.js\" defer></script>\n", f);
	fputs("</head>\n<body>\n", f);
}

static void send_page(struct web_req *r, int status, char *text, size_t len)
{
	web_header_add(r, "Content-Security-Policy", csp);
	web_header_add(r, "X-Content-Type-Options", "nosniff");
	web_header_add(r, "Referrer-Policy", "no-referrer");
	web_respond_take(r, status, "text/html; charset=utf-8", text, len);
}

static int64_t started_of(const struct incident *inc)
{
	return incident_started(inc);
}

static void duration_of(const struct incident *inc, int64_t now, char *out)
{
	int64_t end =
	    inc->marks[MARK_RESOLVED] ? inc->marks[MARK_RESOLVED] : now;

	when_duration(end - started_of(inc), out);
}

static const char *commander_of(const struct incident *inc)
{
	size_t i;

	for (i = 0; i < inc->nroles; i++)
		if (!strcmp(inc->roles[i].role, "commander"))
			return inc->roles[i].who.name;
	return NULL;
}

/* Status, commander and duration, as three cells of the list's row (tag
 * "td") or three facts of the incident's page ("dd", each after its
 * name). */
static void state_cells(FILE *out, const struct incident *inc, const char *tag,
			int64_t now)
{
	bool facts = !strcmp(tag, "dd");
	const char *lead = commander_of(inc);
	char dur[WHEN_BUFSZ];

	duration_of(inc, now, dur);
	fprintf(out, "%s<%s%s>%s%s</%s>", facts ? "<dt>Status</dt>" : "", tag,
		inc->marks[MARK_CLOSED] ? "" : " class=\"open\"",
		inc->marks[MARK_CLOSED] ? "closed · " : "",
		status_name(inc->status), tag);
	fprintf(out, "%s<%s>", facts ? "<dt>Commander</dt>" : "", tag);
	if (lead)
		html_escape(out, lead);
	else
		fputs("<span class=\"muted\">none</span>", out);
	fprintf(out, "</%s>%s<%s>%s%s</%s>", tag,
		facts ? "<dt>Duration</dt>" : "", tag, dur,
		inc->marks[MARK_RESOLVED] ? "" : " so far", tag);
}

/* The filter's values, read from the query and written back into links. */
struct filter {
	char state[16]; /* "", "open", "closed" */
	int severity;
	char words[200];
	long page; /* 1, 2, ... */
};

static void filter_read(struct web_req *r, struct filter *f)
{
	char v[32];

	memset(f, 0, sizeof(*f));
	if (web_query(r, "status", f->state, sizeof(f->state)) < 0 ||
	    (strcmp(f->state, "open") && strcmp(f->state, "closed")))
		f->state[0] = '\0';
	if (web_query(r, "sev", v, sizeof(v)) > 0)
		f->severity = (int)strtol(v, NULL, 10);
	if (f->severity < 0 || f->severity > 99)
		f->severity = 0;
	if (web_query(r, "q", f->words, sizeof(f->words)) < 0)
		f->words[0] = '\0';
	f->page =
	    web_query(r, "page", v, sizeof(v)) > 0 ? strtol(v, NULL, 10) : 1;
	if (f->page < 1 || f->page > 1000000)
		f->page = 1;
}

/* A link to page p of the same filter; the words are URL-encoded. */
static void page_link(FILE *out, const struct filter *f, long p,
		      const char *label)
{
	const unsigned char *c;

	fprintf(out, "<a href=\"/?status=%s&amp;sev=%d&amp;q=", f->state,
		f->severity);
	for (c = (const unsigned char *)f->words; *c; c++) {
		if (isalnum(*c) || *c == '-' || *c == '_' || *c == '.')
			fputc(*c, out);
		else
			fprintf(out, "%%%02X", *c);
	}
	fprintf(out, "&amp;page=%ld\">%s</a>", p, label);
}

static void option(FILE *out, const char *value, const char *label,
		   bool selected)
{
	fprintf(out, "<option value=\"%s\"%s>%s</option>", value,
		selected ? " selected" : "", label);
}

static void list_page(struct web_req *r, void *ud)
{
	struct dashboard *d = ud;
	struct store_page q = {0};
	struct incident *list = NULL;
	struct filter f;
	char *text = NULL;
	size_t len = 0, n = 0, i, shown = 0;
	int64_t now = wall_ms();
	FILE *out;

	if (!allowed(r, d))
		return;
	filter_read(r, &f);
	q.state = !strcmp(f.state, "open")     ? 1
		  : !strcmp(f.state, "closed") ? 2
					       : 0;
	q.severity = f.severity;
	q.words = f.words;
	q.limit = PAGE_SIZE + 1;
	q.offset = (f.page - 1) * PAGE_SIZE;
	if (store_incidents_page(d->app->st, &q, &list, &n)) {
		web_respond_error(r, 503, "the store does not answer");
		return;
	}
	out = open_memstream(&text, &len);
	if (!out) {
		store_incidents_free(list, n);
		web_respond_error(r, 500, "out of memory");
		return;
	}
	page_start(out, "Incidents", false);
	fputs("<h1>Incidents</h1>\n<form method=\"get\" action=\"/\">"
	      "<label>Status <select name=\"status\">",
	      out);
	option(out, "", "all", !f.state[0]);
	option(out, "open", "open", !strcmp(f.state, "open"));
	option(out, "closed", "closed", !strcmp(f.state, "closed"));
	fputs("</select></label><label>Severity <select name=\"sev\">", out);
	option(out, "0", "any", !f.severity);
	for (i = 0; i < d->app->cfg->nseverities; i++) {
		int level = d->app->cfg->severities[i].level;

		fprintf(out, "<option value=\"%d\"%s>sev%d</option>", level,
			f.severity == level ? " selected" : "", level);
	}
	fputs("</select></label><label>Title <input name=\"q\" "
	      "type=\"search\" value=\"",
	      out);
	html_escape(out, f.words);
	fputs("\"></label><button type=\"submit\">Filter</button></form>\n",
	      out);
	fputs("<table>\n<thead><tr><th>Incident</th><th>Title</th>"
	      "<th>Severity</th><th>Status</th><th>Commander</th>"
	      "<th>Duration</th><th>Platform</th></tr></thead>\n<tbody>\n",
	      out);
	for (i = 0; i < n && i < PAGE_SIZE; i++) {
		const struct incident *inc = &list[i];

		if (!visible(d, inc))
			continue;
		shown++;
		fprintf(out,
			"<tr><td><a href=\"/incidents/INC-%lld\">INC-%lld</a>"
			"</td><td>",
			(long long)inc->id, (long long)inc->id);
		html_escape(out, inc->title);
		fprintf(out, "</td><td>sev%d</td>", inc->severity);
		state_cells(out, inc, "td", now);
		fputs("<td>", out);
		html_escape(out, inc->platform);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (!shown)
		fputs("<p class=\"muted\">No incident matches.</p>\n", out);
	fputs("<nav class=\"pages\">", out);
	if (f.page > 1)
		page_link(out, &f, f.page - 1, "← newer");
	if (n > PAGE_SIZE)
		page_link(out, &f, f.page + 1, "older →");
	fputs("</nav>\n</body>\n</html>\n", out);
	fclose(out);
	store_incidents_free(list, n);
	send_page(r, 200, text, len);
}

/* "INC-12" -> 12; anything else -> -1. */
static int64_t incident_of(const char *word, const char **rest)
{
	char *end;
	long long id;

	if (strncmp(word, "INC-", 4) || !isdigit((unsigned char)word[4]))
		return -1;
	errno = 0;
	id = strtoll(word + 4, &end, 10);
	if (errno || id < 1)
		return -1;
	*rest = end;
	return id;
}

static void fact(FILE *out, const char *name, int64_t at)
{
	char t[WHEN_BUFSZ];

	fprintf(out, "<dt>%s</dt><dd>", name);
	if (at) {
		when_datetime(at, t);
		fputs(t, out);
	} else {
		fputs("<span class=\"muted\">not recorded</span>", out);
	}
	fputs("</dd>", out);
}

static const struct {
	const char *ext, *name;
} downloads[] = {
    {"md", "Markdown"},
    {"html", "HTML"},
    {"json", "JSON"},
    {"svg", "picture (SVG)"},
};

static void incident_page(struct web_req *r, struct dashboard *d,
			  const struct incident *inc)
{
	static const enum mark marks[] = {
	    MARK_DECLARED,  MARK_STARTED,  MARK_DETECTED, MARK_ACKNOWLEDGED,
	    MARK_MITIGATED, MARK_RESOLVED, MARK_CLOSED,
	};
	char transcript[4], err[256] = "";
	bool full =
	    web_query(r, "transcript", transcript, sizeof(transcript)) == 1 &&
	    transcript[0] == '1';
	int rev = inc->marks[MARK_CLOSED] ? 0 : PUBLISH_DRAFT;
	char *text = NULL, *title;
	size_t len = 0, i;
	int64_t now = wall_ms(), entries = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out) {
		web_respond_error(r, 500, "out of memory");
		return;
	}
	title = xasprintf("INC-%lld %s", (long long)inc->id, inc->title);
	page_start(out, title, rev == PUBLISH_DRAFT);
	fputs("<p><a href=\"/\">← Incidents</a></p>\n", out);
	if (rev == PUBLISH_DRAFT)
		fprintf(out,
			"<main data-live=\"/incidents/INC-%lld/events\">\n",
			(long long)inc->id);
	else
		fputs("<main>\n", out);
	store_timeline_count(d->app->st, inc->id, &entries);
	fputs("<h1>", out);
	html_escape(out, title);
	free(title);
	fprintf(out,
		"</h1>\n<dl class=\"facts\"><dt>Severity</dt><dd>sev%d</dd>",
		inc->severity);
	state_cells(out, inc, "dd", now);
	fputs("<dt>Where</dt><dd>", out);
	html_escape(out, inc->platform);
	fputs(" · ", out);
	html_escape(out, inc->channel);
	fputs("</dd>", out);
	for (i = 0; i < ARRAY_SIZE(marks); i++)
		fact(out, mark_name(marks[i]),
		     marks[i] == MARK_STARTED    ? incident_started(inc)
		     : marks[i] == MARK_DETECTED ? incident_detected(inc)
						 : inc->marks[marks[i]]);
	fprintf(out,
		"</dl>\n<p><img class=\"picture\" "
		"src=\"/incidents/INC-%lld/picture.svg?v=%lld\" alt=\"The "
		"incident's picture: marks, hypotheses, playbook steps and key "
		"moments on a time axis\"></p>\n<p>Postmortem%s: ",
		(long long)inc->id, (long long)entries,
		rev == PUBLISH_DRAFT ? " (a draft: the incident is open)" : "");
	for (i = 0; i < ARRAY_SIZE(downloads); i++)
		fprintf(
		    out,
		    "<a href=\"/incidents/INC-%lld/postmortem.%s\">%s</a>%s",
		    (long long)inc->id, downloads[i].ext, downloads[i].name,
		    i + 1 < ARRAY_SIZE(downloads) ? " · " : "");
	fprintf(out, " · %s</p>\n<article>\n",
		full
		    ? "the transcript is below"
		    : "<a href=\"?transcript=1\">with the full transcript</a>");
	if (publish_render(d->app->st, d->app->cfg, inc->id, rev,
			   full ? PUBLISH_FRAGMENT_FULL : PUBLISH_FRAGMENT, now,
			   out, err, sizeof(err))) {
		fputs("<p class=\"muted\">The postmortem cannot be rendered: ",
		      out);
		html_escape(out, err);
		fputs("</p>", out);
	}
	fputs("</article>\n</main>\n</body>\n</html>\n", out);
	fclose(out);
	send_page(r, 200, text, len);
}

/* ---- live pages ------------------------------------------------------- */

#define TICK_MS      250
#define HEARTBEAT_MS 15000

static void stream_drop(struct dashboard *d, size_t i)
{
	web_stream_end(d->streams[i].req);
	d->streams[i] = d->streams[--d->nstreams];
}

/* Tells each stream whose incident's timeline grew; drops the streams
 * whose client is gone. */
static void on_tick(uv_timer_t *t)
{
	struct dashboard *d = t->data;
	size_t i = 0;

	while (i < d->nstreams) {
		struct dashboard_stream *s = &d->streams[i];
		int64_t n = s->entries;
		char msg[64];
		int len;

		store_timeline_count(d->app->st, s->incident_id, &n);
		if (n != s->entries) {
			s->entries = n;
			len = snprintf(msg, sizeof(msg), "data: %lld\n\n",
				       (long long)n);
		} else {
			len = snprintf(msg, sizeof(msg), ": quiet\n\n");
		}
		if (web_stream_write(s->req, msg, (size_t)len)) {
			stream_drop(d, i);
			continue;
		}
		i++;
	}
	if (!d->nstreams) {
		uv_timer_stop(&d->tick);
		d->tick_on = false;
	}
}

/* The app committed: look again soon (not at every commit). */
static void on_commit(void *ud)
{
	struct dashboard *d = ud;

	if (!d->nstreams ||
	    (d->tick_on && uv_timer_get_due_in(&d->tick) <= TICK_MS))
		return;
	uv_timer_start(&d->tick, on_tick, TICK_MS, HEARTBEAT_MS);
	d->tick_on = true;
}

static void events_route(struct web_req *r, struct dashboard *d, int64_t id)
{
	struct dashboard_stream *s;
	static const char hello[] = "retry: 2000\n: live\n\n";

	if (!d->tick_init) {
		uv_timer_init(d->app->loop, &d->tick);
		d->tick.data = d;
		d->tick_init = true;
	}
	if (web_stream_start(r, "text/event-stream"))
		return;
	ALLOC_GROW(d->streams, d->nstreams + 1, d->streams_cap);
	s = &d->streams[d->nstreams++];
	s->req = r;
	s->incident_id = id;
	s->entries = 0;
	store_timeline_count(d->app->st, id, &s->entries);
	web_stream_write(r, hello, sizeof(hello) - 1);
	if (!d->tick_on) {
		uv_timer_start(&d->tick, on_tick, HEARTBEAT_MS, HEARTBEAT_MS);
		d->tick_on = true;
	}
}

/* GET /incidents/INC-<n>[/postmortem.<ext>|/picture.svg] */
static void incident_route(struct web_req *r, void *ud)
{
	static const struct {
		const char *suffix;
		enum publish_format fmt;
		const char *ctype;
	} files[] = {
	    {"/postmortem.md", PUBLISH_MD, "text/markdown; charset=utf-8"},
	    {"/postmortem.html", PUBLISH_HTML, "text/html; charset=utf-8"},
	    {"/postmortem.json", PUBLISH_JSON, "application/json"},
	    {"/postmortem.svg", PUBLISH_SVG, "image/svg+xml"},
	    {"/picture.svg", PUBLISH_SVG, "image/svg+xml"},
	};
	struct dashboard *d = ud;
	const char *rest = "";
	int64_t id = incident_of(r->path + strlen("/incidents/"), &rest);
	struct incident inc;
	char err[256] = "", *text = NULL;
	size_t len = 0, i;
	FILE *out;
	int rc, rev;

	if (!allowed(r, d))
		return;
	if (id < 0 || store_incident_load(d->app->st, id, &inc)) {
		refuse(r, 404, "There is no such incident.");
		return;
	}
	if (!visible(d, &inc)) {
		incident_release(&inc);
		refuse(r, 404, "There is no such incident.");
		return;
	}
	if (!*rest) {
		incident_page(r, d, &inc);
		incident_release(&inc);
		return;
	}
	if (!strcmp(rest, "/events")) {
		incident_release(&inc);
		events_route(r, d, id);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (!strcmp(rest, files[i].suffix))
			break;
	rev = inc.marks[MARK_CLOSED] ? 0 : PUBLISH_DRAFT;
	incident_release(&inc);
	if (i == ARRAY_SIZE(files)) {
		refuse(r, 404, "There is no such page.");
		return;
	}
	out = open_memstream(&text, &len);
	if (!out) {
		web_respond_error(r, 500, "out of memory");
		return;
	}
	rc = publish_render(d->app->st, d->app->cfg, id, rev, files[i].fmt,
			    wall_ms(), out, err, sizeof(err));
	fclose(out);
	if (rc) {
		free(text);
		web_respond_error(r, 500, "the postmortem cannot be rendered");
		return;
	}
	/* A download is a file of its own, never a page of the dashboard
	 * (the standalone HTML carries its own style). */
	web_header_add(r, "Content-Security-Policy", csp);
	web_header_add(r, "X-Content-Type-Options", "nosniff");
	if (strncmp(files[i].suffix, "/picture", 8))
		web_header_add(r, "Content-Disposition", "attachment");
	web_respond_take(r, 200, files[i].ctype, text, len);
}

static void stylesheet(struct web_req *r, void *ud)
{
	web_header_add(r, "Cache-Control", "max-age=3600");
	web_respond(r, 200, "text/css; charset=utf-8", css, sizeof(css) - 1);
}

static void script(struct web_req *r, void *ud)
{
	web_header_add(r, "Cache-Control", "max-age=3600");
	web_respond(r, 200, "text/javascript; charset=utf-8", live_js,
		    sizeof(live_js) - 1);
}

static const struct web_route routes[] = {
    {"GET", "/", list_page, 0, 0},
    {"GET", "/static/scribe.css", stylesheet, 0, 0},
    {"GET", "/static/live.js", script, 0, 0},
    {"GET", "/incidents/", incident_route, 0, WEB_PREFIX},
};

int dashboard_routes(struct web *w, struct dashboard *d, struct app *app,
		     const char *token)
{
	memset(d, 0, sizeof(*d));
	d->app = app;
	d->token = token && *token ? xstrdup(token) : NULL;
	app->on_commit = on_commit;
	app->on_commit_ud = d;
	return web_add_routes(w, routes, ARRAY_SIZE(routes), d);
}

void dashboard_close(struct dashboard *d)
{
	while (d->nstreams)
		stream_drop(d, d->nstreams - 1);
	if (d->app && d->app->on_commit_ud == d)
		d->app->on_commit = NULL;
	if (d->tick_init) {
		uv_timer_stop(&d->tick);
		uv_close((uv_handle_t *)&d->tick, NULL);
		d->tick_init = false;
	}
	d->tick_on = false;
}

void dashboard_release(struct dashboard *d)
{
	free(d->streams);
	d->streams = NULL;
	d->nstreams = d->streams_cap = 0;
	free(d->token);
	d->token = NULL;
}
