/*
 * fuzz_slack_frame.c - libFuzzer target for Slack Socket Mode frames.
 *
 * Everything Slack sends over the socket goes through slack_frame_parse()
 * first. Any input must give a frame of a known kind, never a crash or a
 * leak. Checked (FUZZ_CHECK aborts): an event has a platform, a room, an
 * author and an id; its text length matches; an invalid or ignored frame
 * says why; an ack is always a JSON object naming the envelope.
 */
#include "util/base.h"

#include "chat/slack/frames.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct slack_self self = {"U0BOT", "B0BOT"};
	struct slack_frame f;
	char *ack;

	slack_frame_parse((const char *)data, size, &self, 1795510800000LL, &f);
	switch (f.kind) {
	case SLACK_EVENT:
		FUZZ_CHECK(f.ev.platform && f.ev.room && f.ev.author.id &&
			   f.ev.id && f.ev.text);
		FUZZ_CHECK(f.ev.len == strlen(f.ev.text));
		FUZZ_CHECK(f.envelope_id[0]);
		break;
	case SLACK_INVALID:
	case SLACK_IGNORED:
	case SLACK_DISCONNECT: FUZZ_CHECK(f.reason[0]); break;
	case SLACK_HELLO: break;
	case SLACK_URL_VERIFICATION: FUZZ_CHECK(0); break; /* HTTP only */
	}
	if (f.envelope_id[0]) {
		ack = slack_ack(f.envelope_id);
		FUZZ_CHECK(!strncmp(ack, "{\"envelope_id\":\"", 16));
		free(ack);
	}
	slack_frame_release(&f);
	return 0;
}
