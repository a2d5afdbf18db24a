/*
 * pm_html.c - the postmortem as a standalone HTML page, through md4c.
 *
 * The Markdown is the canonical form; HTML is md4c's rendering of it, with
 * raw HTML disabled (MD_FLAG_NOHTML), so user text that slipped past the
 * Markdown escaping still cannot inject markup. Output streams to out.
 * html_of_markdown() is the same rendering without the page around it
 * (Matrix messages carry it as their formatted_body).
 *
 * Links and images pass through a filter on md4c's output: only http(s),
 * mailto and mxc links stay links (a javascript:, vbscript:, data: or
 * relative link keeps its text and loses its <a>), and only mxc images
 * stay images (a remote one would tell its server who opened the room or
 * the page; its alt text is kept). md4c writes every tag as one verbatim
 * piece ("<a href=\"", "\" alt=\"", "\">") and everything else escaped, so
 * a piece equal to a tag's text is always that tag, never user text.
 */
#include <md4c-html.h>

#include "util/base.h"
#include "util/buf.h"
#include "core/postmortem.h"

enum html_state {
	H_TEXT,     /* passing through */
	H_HREF,     /* collecting a link's URL */
	H_A_SKIP,   /* the rest of a refused <a ...> tag */
	H_SRC,      /* collecting an image's URL */
	H_IMG_ALT,  /* a refused image's alt text: kept as text */
	H_IMG_SKIP, /* the rest of a refused <img ...> tag */
};

struct html_out {
	FILE *out;
	enum html_state state;
	bool drop_a; /* the open <a> was refused: drop its </a> */
	struct buf url;
};

static const char *const link_schemes[] = {"http://", "https://",
					   "mailto:", "mxc://"};

static bool url_allowed(const char *url, bool image)
{
	size_t i;

	if (image)
		return !strncasecmp(url, "mxc://", 6);
	for (i = 0; i < ARRAY_SIZE(link_schemes); i++)
		if (!strncasecmp(url, link_schemes[i], strlen(link_schemes[i])))
			return true;
	return false;
}

static bool piece_is(const MD_CHAR *t, MD_SIZE n, const char *tag)
{
	return n == strlen(tag) && !memcmp(t, tag, n);
}

static void put(const MD_CHAR *t, MD_SIZE n, void *ud)
{
	struct html_out *h = ud;

	switch (h->state) {
	case H_TEXT:
		if (piece_is(t, n, "<a href=\"")) {
			h->state = H_HREF;
			buf_reset(&h->url);
			return;
		}
		if (piece_is(t, n, "<img src=\"")) {
			h->state = H_SRC;
			buf_reset(&h->url);
			return;
		}
		if (h->drop_a && piece_is(t, n, "</a>")) {
			h->drop_a = false;
			return;
		}
		break;
	case H_HREF:
		if (n && t[0] == '"') { /* "\">" or "\" title=\"" */
			if (url_allowed(h->url.s, false)) {
				fputs("<a href=\"", h->out);
				fputs(h->url.s, h->out);
				h->state = H_TEXT;
				break;
			}
			h->drop_a = true;
			h->state = piece_is(t, n, "\">") ? H_TEXT : H_A_SKIP;
			return;
		}
		buf_add(&h->url, t, n);
		return;
	case H_A_SKIP:
		if (piece_is(t, n, "\">"))
			h->state = H_TEXT;
		return;
	case H_SRC:
		if (piece_is(t, n, "\" alt=\"")) {
			if (url_allowed(h->url.s, true)) {
				fputs("<img src=\"", h->out);
				fputs(h->url.s, h->out);
				h->state = H_TEXT;
				break;
			}
			h->state = H_IMG_ALT;
			return;
		}
		buf_add(&h->url, t, n);
		return;
	case H_IMG_ALT:
		if (piece_is(t, n, "\" title=\"")) {
			h->state = H_IMG_SKIP;
			return;
		}
		if (piece_is(t, n, "\">") || piece_is(t, n, "\" />")) {
			h->state = H_TEXT;
			return;
		}
		break;
	case H_IMG_SKIP:
		if (piece_is(t, n, "\">") || piece_is(t, n, "\" />"))
			h->state = H_TEXT;
		return;
	}
	fwrite(t, 1, n, h->out);
}

void html_escape(FILE *out, const char *s)
{
	const char *p;

	for (p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*p, out);
		}
	}
}

int html_of_markdown(const char *md, size_t len, FILE *out)
{
	struct html_out h = {.out = out, .state = H_TEXT};
	int rc;

	/* URLs are bounded by the message they come from. */
	buf_init(&h.url, BUF_UNBOUNDED);
	rc = md_html(md, (MD_SIZE)len, put, &h,
		     MD_FLAG_TABLES | MD_FLAG_TASKLISTS | MD_FLAG_NOHTML |
			 MD_FLAG_STRIKETHROUGH,
		     0);
	buf_release(&h.url);
	if (rc)
		return SCRIBE_EINVAL;
	return ferror(out) ? SCRIBE_EIO : 0;
}

int pm_html(const char *md, size_t len, const char *title, const char *picture,
	    FILE *out)
{
	const char *svg = picture ? strstr(picture, "<svg") : NULL;
	int rc;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<title>",
	      out);
	html_escape(out, title);
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:60em;"
	      "margin:2em auto;padding:0 1em;line-height:1.5}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	      "padding:.2em .6em}figure{margin:0}figure svg{max-width:100%;"
	      "height:auto}</style>\n</head>\n<body>\n",
	      out);
	/* The picture without its XML declaration: an element of the page. */
	if (svg) {
		fputs("<figure>\n", out);
		fputs(svg, out);
		fputs("</figure>\n", out);
	}
	rc = html_of_markdown(md, len, out);
	fputs("</body>\n</html>\n", out);
	if (rc)
		return rc;
	return ferror(out) ? SCRIBE_EIO : 0;
}
