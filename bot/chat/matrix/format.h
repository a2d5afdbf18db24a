/*
 * format.h - what Scribe sends to a Matrix homeserver, as JSON.
 *
 * The core writes its messages in a small Markdown; Matrix carries a
 * plain `body` and an HTML `formatted_body`. Scribe sends m.notice (which
 * other bots do not answer) with the Markdown as the body and md4c's HTML
 * (raw HTML off) as the formatted body, and an empty `m.mentions`, so no
 * repeated user text notifies anyone. Pure; every function returns a cJSON
 * object the caller owns.
 */
#ifndef SCRIBE_MATRIX_FORMAT_H
#define SCRIBE_MATRIX_FORMAT_H

#include "util/base.h"

struct cJSON;

/* Largest body Scribe sends in one event: a whole event must stay under
 * 65,536 bytes, and formatted_body roughly doubles the text. */
#define MX_BODY_MAX 24000

/* An m.notice with markdown. to_user (may be NULL) is the one person the
 * notice answers (Matrix has no ephemeral messages): named first and
 * mentioned. A playbook step carries MX_STEP_KEY and asks for ✅. */
struct cJSON *mx_notice(const char *markdown, const char *to_user);

/* The createRoom body for an incident, from the app's room request (JSON:
 * name, title, topic, commander, invite). attempt > 0 suffixes the alias
 * ("-2", "-3") after M_ROOM_IN_USE. self is the bot (power 100). NULL
 * when request is not JSON. */
struct cJSON *mx_create_room(const char *request, const char *self,
			     int attempt);

/* The alias mx_create_room() asks for, in full ("#inc-3-db:server", the
 * server from self), or NULL when the request names none. */
char *mx_room_alias(const char *request, const char *self, int attempt);

/* A link to a room as Markdown: its alias (or id) shown, pointing at
 * matrix.to (the alias, or the id, percent-encoded). */
char *mx_room_link(const char *room, const char *alias);

/* An m.file message for an uploaded document. */
struct cJSON *mx_file(const char *name, const char *mxc, const char *mimetype,
		      size_t size);

#endif
