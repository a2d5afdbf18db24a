/*
 * pm_svg.c - the incident picture: where the time went, as an SVG.
 *
 * Drawn from the same stored incident and rows as the Markdown postmortem
 * (struct postmortem), pure and deterministic: integer coordinates, one
 * monospace font whose advance is known, so the same incident gives the
 * same bytes. One horizontal time axis in the deployment's zone; above it,
 * from the top: the lifecycle marks as labelled ticks through the whole
 * picture, the response metrics as spans, one lane per hypothesis (ruled
 * out ones hatched: the misleading paths, with their union on a lane of its
 * own), one lane per playbook run with its steps as blocks, and the key
 * moments as dots with short labels. Everything reads in black and white:
 * states differ by pattern and outline, never by colour alone, and every
 * drawn thing carries a <title> with its full text.
 *
 * User text only ever reaches the file through xml_text(), which escapes
 * XML's five characters and drops what XML 1.0 cannot hold (controls) and
 * the bidi controls that could reorder a label.
 */
#include <time.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/postmortem.h"
#include "core/story.h"
#include "core/text.h"
#include "core/when.h"

#define SVG_W         1200
#define PLOT_X        200 /* left edge of the time axis; labels to its left */
#define PLOT_W        900 /* width of the time axis */
#define ROW_H         18  /* one lane */
#define CHAR_W        7   /* advance of the 11 px monospace font, rounded up */
#define LABEL_ROWS    4   /* rows for labels that would overlap */
#define MAX_HYP_LANES 20
#define MAX_MOMENTS   200
/* Text drawn over the plot gets a white outline, so that the grid and the
 * mark lines never cross through a word. */
#define HALO " stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""

struct svg {
	FILE *out;   /* what is drawn, in order */
	FILE *under; /* grid and mark lines, drawn beneath all of it */
	const struct postmortem *pm;
	const struct incident *inc;
	int64_t t0, t1; /* the axis' span */
	int y;          /* the next free line */
	int top;        /* where the mark ticks start */
	/* Key moments, gathered from the source before drawing. */
	struct moment {
		int64_t at;
		char *text;
	} * moments;
	size_t nmoments, moments_cap, moments_more;
};

/* ---- text ----------------------------------------------------------- */

/* Whether the code point at s (len bytes) is one XML or a label cannot
 * carry: C0/C1 controls other than tab, and the bidi controls. */
static bool unwanted(uint32_t cp)
{
	return (cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp < 0xa0) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	       cp == 0xfffe || cp == 0xffff;
}

/* Decodes one UTF-8 sequence at s; returns its length (1 for a stray byte,
 * whose code point is then U+FFFD). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = (s[0] & 0xe0) == 0xc0   ? 2
	    : (s[0] & 0xf0) == 0xe0 ? 3
	    : (s[0] & 0xf8) == 0xf0 ? 4
				    : 0;
	*cp = n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f : s[0] & 0x07;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			break;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (!n || i < n) {
		*cp = 0xfffd;
		return 1;
	}
	return n;
}

/* Writes at most max characters of s (max <= 0: all), escaped for XML
 * text and attributes, with "…" when cut; newlines become spaces. */
static void xml_text(FILE *out, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int n = 0;

	while (*p) {
		uint32_t cp;
		size_t len = utf8_next(p, &cp);

		if (max > 0 && n == max - 1 && p[len]) {
			fputs("…", out);
			return;
		}
		if (cp == '\n' || cp == '\r' || cp == '\t')
			fputc(' ', out);
		else if (unwanted(cp))
			n--;
		else if (cp == 0xfffd && len == 1)
			fputs("\xef\xbf\xbd", out);
		else if (cp == '&')
			fputs("&amp;", out);
		else if (cp == '<')
			fputs("&lt;", out);
		else if (cp == '>')
			fputs("&gt;", out);
		else if (cp == '"')
			fputs("&quot;", out);
		else if (cp == '\'')
			fputs("&#39;", out);
		else
			fwrite(p, 1, len, out);
		n++;
		p += len;
	}
}

/* How many characters xml_text() writes for s, cut at max. */
static int text_chars(const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int n = 0;

	while (*p) {
		uint32_t cp;

		p += utf8_next(p, &cp);
		if (!unwanted(cp) || cp == '\n' || cp == '\r')
			n++;
	}
	return max > 0 && n > max ? max : n;
}

/* ---- the time axis ---------------------------------------------------- */

static int x_of(const struct svg *g, int64_t t)
{
	if (t <= g->t0)
		return PLOT_X;
	if (t >= g->t1)
		return PLOT_X + PLOT_W;
	return PLOT_X + (int)((t - g->t0) * PLOT_W / (g->t1 - g->t0));
}

static void widen(int64_t *lo, int64_t *hi, int64_t t)
{
	if (!t)
		return;
	if (!*lo || t < *lo)
		*lo = t;
	if (t > *hi)
		*hi = t;
}

/* The moment the cause was identified: the first confirmed hypothesis. */
static int64_t identified(const struct incident *inc)
{
	int64_t best = 0;
	size_t i;

	for (i = 0; i < inc->nhyps; i++)
		if (inc->hyps[i].state == HYP_CONFIRMED &&
		    (!best || inc->hyps[i].decided < best))
			best = inc->hyps[i].decided;
	return best;
}

/* The end of what is drawn: resolved, else the document's date. */
static int64_t end_of(const struct svg *g)
{
	return g->inc->marks[MARK_RESOLVED] ? g->inc->marks[MARK_RESOLVED]
					    : g->pm->at;
}

static void span_of_incident(struct svg *g)
{
	const struct incident *inc = g->inc;
	int64_t lo = 0, hi = 0, pad;
	size_t i, j;

	for (i = 0; i < MARK_COUNT; i++)
		widen(&lo, &hi, inc->marks[i]);
	widen(&lo, &hi, incident_started(inc));
	widen(&lo, &hi, g->pm->at);
	for (i = 0; i < inc->nhyps; i++) {
		widen(&lo, &hi, inc->hyps[i].raised);
		widen(&lo, &hi, inc->hyps[i].decided);
	}
	for (i = 0; i < inc->nruns; i++) {
		widen(&lo, &hi, inc->runs[i].started);
		for (j = 0; j < inc->runs[i].nsteps; j++)
			widen(&lo, &hi, inc->runs[i].steps[j].at);
	}
	for (i = 0; i < g->nmoments; i++)
		widen(&lo, &hi, g->moments[i].at);
	if (hi - lo < 60000)
		hi = lo + 60000;
	pad = (hi - lo) / 50;
	g->t0 = lo - pad;
	g->t1 = hi + pad;
}

/* Tick steps, smallest first; the first that gives at most 10 ticks. */
static const int64_t steps_min[] = {1,   2,   5,   10,  15,   30,   60,
				    120, 180, 360, 720, 1440, 2880, 10080};

static void axis(struct svg *g)
{
	int64_t span = g->t1 - g->t0, t;
	int step = 0, k, y = g->y + 4; /* step in minutes */
	size_t i;
	struct tm first, tm;
	time_t s = (time_t)(g->t0 / 1000);
	bool days = span > 36 * 3600 * 1000LL;

	for (i = 0; i < sizeof(steps_min) / sizeof(steps_min[0]); i++) {
		step = (int)steps_min[i];
		if (span / (step * 60000LL) <= 10)
			break;
	}
	/* Ticks are steps of the local wall clock (a DST change moves the
	 * instant, never the label): t0 rounded up to the step, then each
	 * next one from there by mktime(). */
	localtime_r(&s, &first);
	if (step >= 1440) {
		first.tm_hour = first.tm_min = 0;
		first.tm_mday++;
	} else {
		first.tm_min =
		    ((first.tm_hour * 60 + first.tm_min) / step + 1) * step;
		first.tm_hour = 0;
	}
	first.tm_sec = 0;
	fprintf(g->out,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#000\"/>\n",
		PLOT_X, y, PLOT_X + PLOT_W, y);
	for (k = 0; k < 40; k++) {
		char label[WHEN_BUFSZ];
		time_t ts;
		int x;

		tm = first;
		if (step >= 1440)
			tm.tm_mday += k * (step / 1440);
		else
			tm.tm_min += k * step;
		tm.tm_isdst = -1;
		ts = mktime(&tm);
		t = (int64_t)ts * 1000;
		if (t >= g->t1)
			break;
		if (t <= g->t0)
			continue;
		x = x_of(g, t);
		localtime_r(&ts, &tm);
		strftime(label, sizeof(label),
			 !days          ? "%H:%M"
			 : step >= 1440 ? "%a %d %b"
					: "%a %H:%M",
			 &tm);
		fprintf(g->under,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#ddd\"/>\n",
			x, g->top, x, y);
		fprintf(g->out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#000\"/>\n<text x=\"%d\" y=\"%d\" "
			"text-anchor=\"middle\">%s</text>\n",
			x, y, x, y + 4, x, y + 17, label);
	}
	fprintf(g->out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">times in ",
		PLOT_X + PLOT_W, y + 34);
	xml_text(g->out, when_zone_name(), 0);
	fputs("</text>\n", g->out);
	g->y = y + 44;
}

/* ---- labels that must not overlap ------------------------------------ */

/* Where a label of w pixels for the point x starts: just left of it,
 * moved left as far as needed to stay inside the picture. */
static int label_x(int x, int w)
{
	return x - 3 + w > SVG_W - 4 ? SVG_W - 4 - w : x - 3;
}

/* Places a label of w pixels starting at x in the first of LABEL_ROWS
 * rows where it does not overlap; returns the row, or -1 when none has
 * room. right[] holds each row's rightmost used pixel. */
static int place(int right[LABEL_ROWS], int x, int w)
{
	int r;

	for (r = 0; r < LABEL_ROWS; r++)
		if (x > right[r]) {
			right[r] = x + w + 6;
			return r;
		}
	return -1;
}

/* ---- sections ----------------------------------------------------------- */

static void heading(struct svg *g, const char *text)
{
	fprintf(g->out,
		"<text x=\"8\" y=\"%d\" font-weight=\"bold\">%s</text>\n",
		g->y + 13, text);
}

static void lane_label(struct svg *g, const char *pre, const char *text)
{
	fprintf(g->out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s",
		PLOT_X - 8, g->y + 13, pre);
	xml_text(g->out, text, (PLOT_X - 24) / CHAR_W - (int)strlen(pre));
	fputs("</text>\n", g->out);
}

/* A bar from a to b on the current lane, with fill, an outline (dashed
 * when dash), its title, and a label after it (or before it, or inside,
 * where there is room). */
static void bar(struct svg *g, int64_t a, int64_t b, const char *fill,
		bool dash, const char *title, const char *label)
{
	int x = x_of(g, a), w = x_of(g, b) - x, lw;

	if (w < 2)
		w = 2;
	fprintf(g->out,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"%s\" stroke=\"#000\"%s><title>",
		x, g->y + 3, w, ROW_H - 6, fill,
		dash ? " stroke-dasharray=\"3 2\"" : "");
	xml_text(g->out, title, 0);
	fputs("</title></rect>\n", g->out);
	if (!label)
		return;
	lw = text_chars(label, 60) * CHAR_W;
	if (x + w + 6 + lw <= SVG_W - 4)
		fprintf(g->out, "<text x=\"%d\" y=\"%d\"" HALO ">", x + w + 6,
			g->y + 13);
	else if (x - 6 - lw >= PLOT_X)
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\"" HALO ">",
			x - 6, g->y + 13);
	else
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\"" HALO ">",
			SVG_W - 4, g->y + 13);
	xml_text(g->out, label, 60);
	fputs("</text>\n", g->out);
}

static const struct {
	enum mark mark;
	const char *name;
} tick_marks[] = {
    {MARK_STARTED, "started"},   {MARK_DETECTED, "detected"},
    {MARK_DECLARED, "declared"}, {MARK_ACKNOWLEDGED, "acknowledged"},
    {MARK_COUNT, "identified"},  {MARK_MITIGATED, "mitigated"},
    {MARK_RESOLVED, "resolved"},
};

static int64_t tick_at(const struct svg *g, size_t i)
{
	switch (tick_marks[i].mark) {
	case MARK_STARTED: return incident_started(g->inc);
	case MARK_DETECTED: return incident_detected(g->inc);
	case MARK_COUNT: return identified(g->inc);
	default: return g->inc->marks[tick_marks[i].mark];
	}
}

/* The lifecycle marks: labels in rows above, and the tick positions kept
 * for the lines drawn through every lane at the end. */
static void mark_labels(struct svg *g)
{
	int right[LABEL_ROWS] = {0, 0, 0, 0}, rows = 1;
	size_t i;

	for (i = 0; i < sizeof(tick_marks) / sizeof(tick_marks[0]); i++) {
		int64_t at = tick_at(g, i);
		char hm[WHEN_BUFSZ];
		int x, w, r;

		if (!at)
			continue;
		when_hm(at, hm);
		x = x_of(g, at);
		w = (int)(strlen(tick_marks[i].name) + 1 + strlen(hm)) * CHAR_W;
		r = place(right, label_x(x, w), w);
		if (r < 0)
			r = LABEL_ROWS - 1;
		if (r + 1 > rows)
			rows = r + 1;
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s "
			"%s</text>\n",
			label_x(x, w), g->y + 13 + r * 14, tick_marks[i].name,
			hm);
	}
	g->y += rows * 14 + 4;
	g->top = g->y;
}

static void mark_lines(struct svg *g)
{
	size_t i;

	for (i = 0; i < sizeof(tick_marks) / sizeof(tick_marks[0]); i++) {
		int64_t at = tick_at(g, i);
		int x;

		if (!at)
			continue;
		x = x_of(g, at);
		fprintf(g->under,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#000\" stroke-dasharray=\"4 3\"><title>%s"
			"</title></line>\n",
			x, g->top - 2, x, g->y, tick_marks[i].name);
	}
}

/* The response metrics, each a span from what it is measured from. */
static void spans(struct svg *g)
{
	const struct incident *inc = g->inc;
	int64_t started = incident_started(inc),
		detected = incident_detected(inc);
	const struct {
		const char *name;
		int64_t from, to;
	} rows[] = {
	    {"to detect", started, detected},
	    {"to acknowledge", detected, inc->marks[MARK_ACKNOWLEDGED]},
	    {"to identify", started, identified(inc)},
	    {"to mitigate", started, inc->marks[MARK_MITIGATED]},
	    {"to resolve", started, inc->marks[MARK_RESOLVED]},
	};
	size_t i;

	heading(g, "Response");
	g->y += ROW_H;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char d[WHEN_BUFSZ], label[2 * WHEN_BUFSZ + 32];

		lane_label(g, "", rows[i].name);
		if (!rows[i].from || !rows[i].to) {
			fprintf(
			    g->out,
			    "<text x=\"%d\" y=\"%d\" font-style=\"italic\"" HALO
			    ">"
			    "not recorded</text>\n",
			    PLOT_X + 4, g->y + 13);
		} else if (rows[i].to < rows[i].from) {
			fprintf(
			    g->out,
			    "<text x=\"%d\" y=\"%d\" font-style=\"italic\"" HALO
			    ">"
			    "out of order</text>\n",
			    PLOT_X + 4, g->y + 13);
		} else {
			when_duration(rows[i].to - rows[i].from, d);
			snprintf(label, sizeof(label), "%s %s", rows[i].name,
				 d);
			bar(g, rows[i].from, rows[i].to, "#bbb", false, label,
			    d);
		}
		g->y += ROW_H;
	}
}

/* Whether [a, b) of hypothesis h is on a misleading path. */
static int64_t hyp_end(const struct svg *g, const struct hypothesis *h)
{
	return h->raised + pm_hyp_stood(g->inc, h, g->pm->at);
}

static void hypotheses(struct svg *g)
{
	const struct incident *inc = g->inc;
	size_t i, n = inc->nhyps < MAX_HYP_LANES ? inc->nhyps : MAX_HYP_LANES;

	heading(g, "Hypotheses");
	g->y += ROW_H;
	if (!inc->nhyps) {
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" font-style=\"italic\"" HALO
			">none "
			"recorded</text>\n",
			PLOT_X + 4, g->y + 13);
		g->y += ROW_H;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct hypothesis *h = &inc->hyps[i];
		const char *state = h->state == HYP_CONFIRMED   ? "confirmed"
				    : h->state == HYP_RULED_OUT ? "ruled out"
								: "open";
		const char *fill = h->state == HYP_CONFIRMED ? "#333"
				   : h->state == HYP_RULED_OUT
				       ? "url(#misleading)"
				       : "#fff";
		char d[WHEN_BUFSZ], pre[32], label[WHEN_BUFSZ + 32];
		struct buf title;

		when_duration(pm_hyp_stood(inc, h, g->pm->at), d);
		snprintf(label, sizeof(label), "%s after %s", state, d);
		buf_init(&title, 4096);
		buf_addf(&title, "H%d %s: %s", h->n, label,
			 h->text ? h->text : "");
		snprintf(pre, sizeof(pre), "H%d ", h->n);
		lane_label(g, pre, h->text);
		bar(g, h->raised, hyp_end(g, h), fill, h->state == HYP_OPEN,
		    title.s ? title.s : "", label);
		buf_release(&title);
		g->y += ROW_H;
	}
	if (inc->nhyps > n) {
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" font-style=\"italic\"" HALO
			">and %zu "
			"more (see the postmortem)</text>\n",
			PLOT_X + 4, g->y + 13, inc->nhyps - n);
		g->y += ROW_H;
	}
}

/* The misleading paths: the union of the ruled-out hypotheses' intervals
 * (PRODUCT.md: two wrong hypotheses chased at once cost the time once),
 * drawn as the segments it is made of, with its total. */
struct interval {
	int64_t a, b;
};

static int interval_cmp(const void *x, const void *y)
{
	const struct interval *p = x, *q = y;

	return p->a < q->a   ? -1
	       : p->a > q->a ? 1
			     : (p->b > q->b) - (p->b < q->b);
}

static void misleading(struct svg *g)
{
	const struct incident *inc = g->inc;
	struct interval *iv;
	int64_t total = 0;
	char d[WHEN_BUFSZ], label[WHEN_BUFSZ + 48];
	size_t i, n = 0, seg = 0;

	iv = xcalloc(inc->nhyps ? inc->nhyps : 1, sizeof(*iv));
	for (i = 0; i < inc->nhyps; i++)
		if (inc->hyps[i].state == HYP_RULED_OUT) {
			iv[n].a = inc->hyps[i].raised;
			iv[n++].b = hyp_end(g, &inc->hyps[i]);
		}
	if (!n) {
		free(iv);
		return;
	}
	qsort(iv, n, sizeof(*iv), interval_cmp);
	for (i = 1; i < n; i++) {
		if (iv[i].a <= iv[seg].b) {
			if (iv[i].b > iv[seg].b)
				iv[seg].b = iv[i].b;
		} else {
			iv[++seg] = iv[i];
		}
	}
	lane_label(g, "", "misleading paths");
	for (i = 0; i <= seg; i++)
		total += iv[i].b - iv[i].a;
	when_duration(total, d);
	snprintf(label, sizeof(label), "%s, %zu ruled out", d, n);
	for (i = 0; i <= seg; i++)
		bar(g, iv[i].a, iv[i].b, "url(#misleading)", false,
		    "on a misleading path", i == seg ? label : NULL);
	free(iv);
	g->y += ROW_H;
}

static void playbook_runs(struct svg *g)
{
	const struct incident *inc = g->inc;
	size_t i, j;

	if (!inc->nruns)
		return;
	heading(g, "Playbooks");
	g->y += ROW_H;
	for (i = 0; i < inc->nruns; i++) {
		const struct pb_run *run = &inc->runs[i];
		int64_t from = run->started;

		lane_label(g, "", run->playbook);
		for (j = 0; j < run->nsteps; j++) {
			const struct run_step *st = &run->steps[j];
			struct buf title;
			int x, w;

			if (st->state == STEP_PENDING)
				continue;
			buf_init(&title, 4096);
			buf_addf(&title, "S%zu %s %s by %s%s%s", j + 1,
				 st->title ? st->title : "",
				 st->state == STEP_DONE ? "done" : "skipped",
				 st->by.name ? st->by.name : "",
				 st->note ? ": " : "",
				 st->note ? st->note : "");
			x = x_of(g, from);
			w = x_of(g, st->at) - x;
			bar(g, from, st->at,
			    st->state == STEP_DONE
				? (j % 2 ? "#ccc" : "#e8e8e8")
				: "url(#skipped)",
			    false, title.s ? title.s : "", NULL);
			buf_release(&title);
			if (w >= 5 * CHAR_W) {
				/* "S3 dana" inside, as much as fits */
				char in[64];
				int fit = w / CHAR_W - 1;

				snprintf(in, sizeof(in), "S%zu %s", j + 1,
					 st->by.name ? st->by.name : "");
				fprintf(g->out, "<text x=\"%d\" y=\"%d\">",
					x + 3, g->y + 13);
				xml_text(g->out, in, fit);
				fputs("</text>\n", g->out);
			}
			if (st->at > from)
				from = st->at;
		}
		g->y += ROW_H;
	}
}

/* A line of the Timeline's story (story.h): the same key moments as the
 * Markdown, without the suggestions. */
static int moment_row(void *ud, const struct story_line *line)
{
	const struct pm_row *row = line->row;
	struct svg *g = ud;
	struct moment *m;

	if (line->suggested)
		return 0;
	switch (row->kind) {
	case ENTRY_MARK:
	case ENTRY_DECLARED:
	case ENTRY_HYPOTHESIS:
	case ENTRY_PLAYBOOK: return 0; /* drawn as ticks and lanes */
	default: break;
	}
	if (g->nmoments == MAX_MOMENTS) {
		g->moments_more++;
		return 0;
	}
	grow_array((void **)&g->moments, &g->moments_cap, g->nmoments + 1,
		   sizeof(*g->moments));
	m = &g->moments[g->nmoments++];
	m->at = row->at;
	m->text = xasprintf("%s%s%s", row->deleted ? "(deleted)" : row->text,
			    row->who && *row->who ? " — " : "",
			    row->who ? row->who : "");
	return 0;
}

static int story_row(void *ud, const struct pm_row *row)
{
	return story_add(ud, row);
}

static void moments(struct svg *g)
{
	int right[LABEL_ROWS] = {0, 0, 0, 0}, rows = 1, lane;
	size_t i;

	if (!g->nmoments)
		return;
	heading(g, "Key moments");
	g->y += ROW_H;
	lane = g->y;
	fprintf(g->out,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#999\"/>\n",
		PLOT_X, lane + 9, PLOT_X + PLOT_W, lane + 9);
	for (i = 0; i < g->nmoments; i++) {
		const struct moment *m = &g->moments[i];
		int x = x_of(g, m->at), w = text_chars(m->text, 28) * CHAR_W,
		    r = place(right, label_x(x, w), w);

		fprintf(g->out,
			"<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#000\">"
			"<title>",
			x, lane + 9);
		xml_text(g->out, m->text, 0);
		fputs("</title></circle>\n", g->out);
		if (r < 0)
			continue; /* no room: the dot and its title stay */
		if (r + 1 > rows)
			rows = r + 1;
		fprintf(g->out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#999\"/>\n<text x=\"%d\" y=\"%d\"" HALO ">",
			x, lane + 13, x, lane + 18 + r * 14, label_x(x, w),
			lane + 28 + r * 14);
		xml_text(g->out, m->text, 28);
		fputs("</text>\n", g->out);
	}
	g->y = lane + 20 + rows * 14;
	if (g->moments_more) {
		fprintf(g->out,
			"<text x=\"%d\" y=\"%d\" font-style=\"italic\"" HALO
			">and %zu "
			"more (see the postmortem)</text>\n",
			PLOT_X + 4, g->y + 13, g->moments_more);
		g->y += ROW_H;
	}
}

static void legend(struct svg *g)
{
	const struct {
		const char *fill;
		bool dash;
		const char *name;
	} items[] = {
	    {"#bbb", false, "response time"},
	    {"url(#misleading)", false, "ruled out: misleading path"},
	    {"#333", false, "confirmed"},
	    {"#fff", true, "never decided"},
	    {"#ccc", false, "step done"},
	    {"url(#skipped)", false, "step skipped"},
	};
	int x = 8;
	size_t i;

	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		fprintf(g->out,
			"<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"10\" "
			"fill=\"%s\" stroke=\"#000\"%s/>\n<text x=\"%d\" "
			"y=\"%d\">%s</text>\n",
			x, g->y + 3, items[i].fill,
			items[i].dash ? " stroke-dasharray=\"3 2\"" : "",
			x + 22, g->y + 12, items[i].name);
		x += 22 + (int)strlen(items[i].name) * CHAR_W + 18;
	}
	g->y += ROW_H;
}

/* ---- the document ----------------------------------------------------- */

static const char defs[] =
    "<defs>\n"
    "<pattern id=\"misleading\" width=\"6\" height=\"6\" "
    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
    "<rect width=\"6\" height=\"6\" fill=\"#fff\"/>"
    "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#000\" "
    "stroke-width=\"2\"/></pattern>\n"
    "<pattern id=\"skipped\" width=\"4\" height=\"4\" "
    "patternUnits=\"userSpaceOnUse\">"
    "<rect width=\"4\" height=\"4\" fill=\"#fff\"/>"
    "<circle cx=\"2\" cy=\"2\" r=\"0.8\" fill=\"#000\"/></pattern>\n"
    "</defs>\n";

int pm_svg(const struct postmortem *pm, FILE *out)
{
	struct svg g = {.pm = pm, .inc = pm->inc};
	char *bodytext = NULL, *undertext = NULL;
	size_t bodylen = 0, underlen = 0, i;
	char sev[32], d[WHEN_BUFSZ];
	int rc;

	{
		struct moments *lex = moments_new(&pm->cfg->moments);
		struct story *st = story_new(lex, moment_row, &g);

		rc = pm->src.each(pm->src.ud, PM_KEY, story_row, st);
		if (!rc)
			rc = story_end(st);
		story_free(st);
		moments_free(lex);
	}
	if (rc)
		goto done;
	span_of_incident(&g);
	/* The height is known only at the end, and the lines beneath are
	 * known last: draw both into memory, then write them in order. */
	g.out = open_memstream(&bodytext, &bodylen);
	g.under = open_memstream(&undertext, &underlen);
	if (!g.out || !g.under) {
		rc = SCRIBE_ENOMEM;
		goto done;
	}
	g.y = 56;
	mark_labels(&g);
	spans(&g);
	hypotheses(&g);
	misleading(&g);
	playbook_runs(&g);
	moments(&g);
	mark_lines(&g);
	axis(&g);
	legend(&g);
	rc = fclose(g.out) | fclose(g.under) ? SCRIBE_ENOMEM : 0;
	g.out = g.under = NULL;
	if (rc)
		goto done;
	snprintf(sev, sizeof(sev), "sev%d", pm->inc->severity);
	fprintf(
	    out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\" "
	    "role=\"img\" aria-labelledby=\"t\">\n<title id=\"t\">INC-%lld ",
	    SVG_W, g.y + 8, SVG_W, g.y + 8, (long long)pm->inc->id);
	xml_text(out, pm->inc->title, 0);
	fputs("</title>\n", out);
	fputs(defs, out);
	fprintf(out,
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		"<text x=\"8\" y=\"24\" font-size=\"15\" font-weight=\"bold\">"
		"INC-%lld ",
		SVG_W, g.y + 8, (long long)pm->inc->id);
	xml_text(out, pm->inc->title, 120);
	when_duration(end_of(&g) - incident_started(pm->inc), d);
	fprintf(out, "</text>\n<text x=\"8\" y=\"42\">%s · %s%s%s</text>\n",
		sev, pm->inc->marks[MARK_RESOLVED] ? "" : "open for ", d,
		pm->revision ? "" : " · draft");
	fwrite(undertext, 1, underlen, out);
	fwrite(bodytext, 1, bodylen, out);
	fputs("</svg>\n", out);
	rc = ferror(out) ? SCRIBE_EIO : 0;
done:
	if (g.out)
		fclose(g.out);
	if (g.under)
		fclose(g.under);
	free(bodytext);
	free(undertext);
	for (i = 0; i < g.nmoments; i++)
		free(g.moments[i].text);
	free(g.moments);
	return rc;
}
