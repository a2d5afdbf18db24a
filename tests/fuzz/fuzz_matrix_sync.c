/*
 * fuzz_matrix_sync.c - libFuzzer target for what a Matrix homeserver sends.
 *
 * Every /sync body goes through mx_sync_read() and each room event through
 * mx_names_learn() and mx_event_parse(); /messages pages through
 * mx_page_read(). Any input must give a known outcome, never a crash or a
 * leak. Checked (FUZZ_CHECK aborts): a sync has a next_batch; an event has
 * a platform, a room, an author and an id, a text whose length matches,
 * and the ref its kind needs; an ignored or invalid event says why.
 */
#include <cjson/cJSON.h>

#include "util/base.h"

#include "chat/matrix/events.h"
#include "fuzz.h"

static void check_event(const cJSON *e, const char *room,
			const struct mx_names *names)
{
	struct mx_event x;

	mx_event_parse(e, room, "@scribe:fake.test", names, &x);
	if (x.kind == MX_EVENT) {
		FUZZ_CHECK(x.ev.platform && x.ev.room && x.ev.author.id &&
			   x.ev.author.name && x.ev.id);
		FUZZ_CHECK(!x.ev.text || x.ev.len == strlen(x.ev.text));
		FUZZ_CHECK(x.ev.kind == CHAT_MESSAGE ||
			   x.ev.kind == CHAT_FILE || x.ev.kind == CHAT_MEMBER ||
			   x.ev.ref);
		FUZZ_CHECK(x.ev.kind != CHAT_REACTION || x.ev.emoji);
		FUZZ_CHECK(x.ev.kind != CHAT_FILE || x.ev.file_name);
	} else {
		FUZZ_CHECK(x.reason[0]);
	}
	mx_event_release(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_names names = {0};
	struct mx_sync s;
	struct mx_page p;
	const cJSON *e;
	char why[160];
	size_t i;

	if (!mx_sync_read((const char *)data, size, "@scribe:fake.test", &s,
			  why, sizeof(why))) {
		FUZZ_CHECK(s.next_batch && *s.next_batch);
		for (i = 0; i < s.nrooms; i++) {
			mx_names_learn(&names, s.rooms[i].state);
			mx_names_learn(&names, s.rooms[i].timeline);
			cJSON_ArrayForEach(e, s.rooms[i].timeline)
			    check_event(e, s.rooms[i].id, &names);
		}
		for (i = 0; i < s.ninvites; i++)
			FUZZ_CHECK(s.invites[i].room);
		mx_sync_release(&s);
	} else {
		FUZZ_CHECK(why[0]);
	}
	if (!mx_page_read((const char *)data, size, &p, why, sizeof(why))) {
		mx_names_learn(&names, p.state);
		cJSON_ArrayForEach(e, p.chunk) check_event(e, "!r:x", &names);
		mx_page_release(&p);
	}
	mx_names_release(&names);
	return 0;
}
