/*
 * publish.h - postmortems from the store: rendered, written, regenerated.
 *
 * The glue between the pure renderers (core/postmortem.h) and the store:
 * it loads a revision's snapshot (or the live incident, for a draft),
 * streams the timeline rows to the renderer, and writes the revision's
 * file atomically (temp file, fsync, rename). `close` (through the
 * outbox), the `postmortem` command and `scribe postmortem` all come here,
 * so the file and every regeneration are the same bytes.
 */
#ifndef SCRIBE_PUBLISH_H
#define SCRIBE_PUBLISH_H

#include "util/base.h"
#include "config.h"
#include "store/store.h"

enum publish_format {
	PUBLISH_MD,
	PUBLISH_HTML,
	PUBLISH_JSON,
	PUBLISH_SVG,
	PUBLISH_FRAGMENT,      /* HTML without the page nor the transcript */
	PUBLISH_FRAGMENT_FULL, /* HTML without the page, with the transcript */
};

/* Renders revision rev of incident id (0: the latest; PUBLISH_DRAFT: a
 * draft of the live incident as of now) into out. err gets why not. */
#define PUBLISH_DRAFT (-1)
int publish_render(struct store *st, const struct config *cfg, int64_t id,
		   int rev, enum publish_format fmt, int64_t now, FILE *out,
		   char *err, size_t errlen);

/* Writes revision rev's Markdown file, and its picture beside it with the
 * same name (.svg), into the postmortem directory (created if needed).
 * *path gets the Markdown file's path (caller frees). */
int publish_write(struct store *st, const struct config *cfg, int64_t id,
		  int rev, char **path, char *err, size_t errlen);

/* Takes the snapshot of revision inc->revision at close (or at
 * `postmortem update`), in the current transaction: the incident as it is
 * now, through the newest timeline row, dated at. */
int publish_snapshot(struct store *st, const struct incident *inc, int64_t at);

#endif
