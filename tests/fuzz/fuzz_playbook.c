/*
 * fuzz_playbook.c - libFuzzer target for the playbook loader and matcher.
 *
 * Playbook files come from a git repository, but they are still text from
 * outside the program. playbook_parse() must answer any input with either
 * a playbook or at least one located error ("FILE:LINE:COL: ..."), never
 * a crash or a leak; a valid playbook is then added to a library and its
 * keywords are matched against the input itself, so the matcher runs on
 * arbitrary bytes too. Checked (FUZZ_CHECK aborts): the result is 0 or
 * SCRIBE_EINVAL; an error names the file; a parsed playbook has an id, a
 * title and at least one step with an id, a title and instructions.
 */
#include "util/base.h"

#include "core/playbook.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_library lib;
	struct playbook pb;
	struct pb_match m[4];
	struct buf errors;
	char *text;
	size_t i;
	int rc;

	buf_init(&errors, BUF_UNBOUNDED);
	rc =
	    playbook_parse("fuzz.yaml", (const char *)data, size, &pb, &errors);
	FUZZ_CHECK(rc == 0 || rc == SCRIBE_EINVAL);
	if (rc) {
		FUZZ_CHECK(!strncmp(errors.s, "fuzz.yaml", 9));
		FUZZ_CHECK(!pb.id && !pb.nsteps);
		buf_release(&errors);
		return 0;
	}
	FUZZ_CHECK(pb.id && pb.title && pb.nsteps >= 1);
	for (i = 0; i < pb.nsteps; i++)
		FUZZ_CHECK(pb.steps[i].id && pb.steps[i].title &&
			   pb.steps[i].instructions);
	pb_library_init(&lib);
	FUZZ_CHECK(pb_library_add(&lib, &pb) == 0);
	pb_library_finish(&lib);
	text = xstrndup((const char *)data, size);
	FUZZ_CHECK(pb_library_match(&lib, text, 1, m, ARRAY_SIZE(m)) <= 1);
	pb_library_any(&lib, text);
	free(text);
	pb_library_release(&lib);
	buf_release(&errors);
	return 0;
}
