/*
 * pm_html.c - the postmortem as a standalone HTML page, through md4c.
 *
 * The Markdown is the canonical form; HTML is md4c's rendering of it, with
 * raw HTML disabled (MD_FLAG_NOHTML), so user text that slipped past the
 * Markdown escaping still cannot inject markup. Output streams to out.
 * html_of_markdown() is the same rendering without the page around it
 * (Matrix messages carry it as their formatted_body).
 */
#include <md4c-html.h>

#include "util/base.h"
#include "core/postmortem.h"

static void put(const MD_CHAR *text, MD_SIZE size, void *ud)
{
	fwrite(text, 1, size, (FILE *)ud);
}

/* The title goes into <title>, escaped by md4c's own HTML escaping. */
static void put_title(FILE *out, const char *title)
{
	const char *p;

	for (p = title; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*p, out);
		}
	}
}

int html_of_markdown(const char *md, size_t len, FILE *out)
{
	int rc = md_html(md, (MD_SIZE)len, put, out,
			 MD_FLAG_TABLES | MD_FLAG_TASKLISTS | MD_FLAG_NOHTML |
			     MD_FLAG_STRIKETHROUGH,
			 0);

	if (rc)
		return SCRIBE_EINVAL;
	return ferror(out) ? SCRIBE_EIO : 0;
}

int pm_html(const char *md, size_t len, const char *title, FILE *out)
{
	int rc;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<title>",
	      out);
	put_title(out, title);
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:60em;"
	      "margin:2em auto;padding:0 1em;line-height:1.5}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	      "padding:.2em .6em}</style>\n</head>\n<body>\n",
	      out);
	rc = html_of_markdown(md, len, out);
	fputs("</body>\n</html>\n", out);
	if (rc)
		return rc;
	return ferror(out) ? SCRIBE_EIO : 0;
}
