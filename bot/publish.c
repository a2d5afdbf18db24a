/*
 * publish.c - postmortems from the store; see publish.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base.h"
#include "core/postmortem.h"
#include "publish.h"

int publish_snapshot(struct store *st, const struct incident *inc, int64_t at)
{
	char *json = NULL;
	size_t len = 0;
	int64_t through;
	FILE *f;
	int rc;

	rc = store_timeline_last_id(st, &through);
	if (rc)
		return rc;
	f = open_memstream(&json, &len);
	if (!f)
		return SCRIBE_ENOMEM;
	rc = pm_incident_json(inc, f);
	fclose(f);
	if (!rc)
		rc = store_postmortem_add(st, inc->id, inc->revision, at,
					  through, json);
	free(json);
	return rc;
}

/* Loads what a revision (or a draft) renders from. */
static int load(struct store *st, int64_t id, int rev, int64_t now,
		struct incident *inc, struct postmortem *pm,
		struct store_pm_rows *rows, char *err, size_t errlen)
{
	int64_t closed, through;
	char *snap;
	int rc;

	rows->st = st;
	rows->incident_id = id;
	if (rev == PUBLISH_DRAFT) {
		rc = store_incident_load(st, id, inc);
		if (rc) {
			snprintf(err, errlen, "there is no INC-%lld",
				 (long long)id);
			return rc;
		}
		rows->through = INT64_MAX;
		pm->revision = 0;
		pm->at = now;
	} else {
		rc = store_postmortem_get(st, id, &rev, &closed, &through,
					  &snap);
		if (rc == SCRIBE_ENOTFOUND)
			snprintf(err, errlen,
				 rev ? "INC-%lld has no postmortem revision %d"
				     : "INC-%lld has no postmortem yet: it is "
				       "written at `close`",
				 (long long)id, rev);
		if (rc)
			return rc;
		rc = pm_incident_parse(snap, inc);
		free(snap);
		if (rc) {
			snprintf(err, errlen,
				 "INC-%lld revision %d: the stored snapshot "
				 "is damaged",
				 (long long)id, rev);
			return rc;
		}
		rows->through = through;
		pm->revision = rev;
		pm->at = closed;
	}
	pm->inc = inc;
	store_pm_source(rows, &pm->src);
	return 0;
}

int publish_render(struct store *st, const struct config *cfg, int64_t id,
		   int rev, enum publish_format fmt, int64_t now, FILE *out,
		   char *err, size_t errlen)
{
	struct postmortem pm = {.cfg = cfg};
	struct store_pm_rows rows;
	struct incident inc;
	char *md = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	rc = load(st, id, rev, now, &inc, &pm, &rows, err, errlen);
	if (rc)
		return rc;
	switch (fmt) {
	case PUBLISH_MD: rc = pm_markdown(&pm, out); break;
	case PUBLISH_JSON: rc = pm_json(&pm, out); break;
	case PUBLISH_SVG: rc = pm_svg(&pm, out); break;
	case PUBLISH_HTML:
	case PUBLISH_FRAGMENT:
	case PUBLISH_FRAGMENT_FULL:
		/* md4c needs the Markdown whole; the HTML still streams. */
		pm.no_transcript = fmt == PUBLISH_FRAGMENT;
		f = open_memstream(&md, &len);
		rc = f ? pm_markdown(&pm, f) : SCRIBE_ENOMEM;
		if (f)
			fclose(f);
		if (!rc && fmt != PUBLISH_HTML) {
			rc = html_of_markdown(md, len, out);
		} else if (!rc) {
			char *title =
			    xasprintf("INC-%lld %s", (long long)id, inc.title);
			char *svg = NULL;
			size_t svglen = 0;

			f = open_memstream(&svg, &svglen);
			rc = f ? pm_svg(&pm, f) : SCRIBE_ENOMEM;
			if (f)
				fclose(f);
			if (!rc)
				rc = pm_html(md, len, title, svg, out);
			free(svg);
			free(title);
		}
		free(md);
		break;
	}
	if (rc && !*err)
		snprintf(err, errlen, "rendering failed: %s",
			 scribe_strerror(rc));
	incident_release(&inc);
	return rc;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0;

	for (s = p + 1; *s && !rc; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (!rc && mkdir(p, 0755) && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

/* Writes revision rev of incident id as fmt to path, atomically: a temp
 * file, fsync, rename, fsync of the folder. */
static int write_file(struct store *st, const struct config *cfg, int64_t id,
		      int rev, enum publish_format fmt, const char *path,
		      char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp", path), *dir;
	FILE *f;
	int rc, fd;

	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return SCRIBE_EIO;
	}
	rc = publish_render(st, cfg, id, rev, fmt, 0, f, err, errlen);
	if (fflush(f) || fsync(fileno(f)))
		rc = rc ? rc : SCRIBE_EIO;
	if (fclose(f))
		rc = rc ? rc : SCRIBE_EIO;
	if (!rc && rename(tmp, path))
		rc = SCRIBE_EIO;
	if (rc) {
		if (!*err)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	/* The rename is durable once the directory is. */
	dir = xstrdup(path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	return 0;
}

int publish_write(struct store *st, const struct config *cfg, int64_t id,
		  int rev, char **path, char *err, size_t errlen)
{
	struct incident inc;
	char *md, *svg, *svg_path;
	int rc;

	*path = NULL;
	err[0] = '\0';
	rc = store_incident_load(st, id, &inc);
	if (rc) {
		snprintf(err, errlen, "there is no INC-%lld", (long long)id);
		return rc;
	}
	md = pm_file_name(&inc, rev, "md");
	svg = pm_file_name(&inc, rev, "svg");
	incident_release(&inc);
	*path = xasprintf("%s/%s", cfg->postmortem_dir, md);
	free(md);
	svg_path = xasprintf("%s/%s", cfg->postmortem_dir, svg);
	free(svg);
	if (make_dirs(cfg->postmortem_dir)) {
		snprintf(err, errlen, "%s: %s", cfg->postmortem_dir,
			 strerror(errno));
		rc = SCRIBE_EIO;
	}
	/* The picture first: once the document is there, so is its picture. */
	if (!rc)
		rc = write_file(st, cfg, id, rev, PUBLISH_SVG, svg_path, err,
				errlen);
	if (!rc)
		rc = write_file(st, cfg, id, rev, PUBLISH_MD, *path, err,
				errlen);
	free(svg_path);
	if (rc) {
		free(*path);
		*path = NULL;
	}
	return rc;
}
