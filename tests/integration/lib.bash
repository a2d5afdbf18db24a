# lib.bash - shared by the end-to-end scripts of tests/integration.
# ctest sets SCRIBE (the binary) and SCRIBE_SOURCE_DIR; TZ is UTC.
set -euo pipefail
: "${SCRIBE:?set SCRIBE to the scribe binary}"
: "${SCRIBE_SOURCE_DIR:?set SCRIBE_SOURCE_DIR to the source tree}"
export TZ=${TZ:-UTC}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The scripts bring their own playbooks (a playbooks/ folder here, the
# default playbooks_dir): the shipped library is left out (an empty data
# folder), so that editing a shipped playbook never changes what a test
# expects. A script that wants the shipped ones unsets SCRIBE_DATA_DIR.
mkdir "$WORK/.no-shipped-data"
export SCRIBE_DATA_DIR=$WORK/.no-shipped-data
checks=0
failures=0

# q SQL: one value from the test database.
q() { sqlite3 -batch "${DB:-$WORK/scribe.db}" "$1"; }

# expect NAME ACTUAL EXPECTED
expect() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		failures=$((failures + 1))
		printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$3" "$2" >&2
	fi
}

# expect_grep NAME FILE PATTERN
expect_grep() {
	checks=$((checks + 1))
	if ! grep -qE -- "$3" "$2"; then
		failures=$((failures + 1))
		printf 'FAIL %s: no line matches /%s/ in:\n' "$1" "$3" >&2
		sed 's/^/  | /' "$2" | head -40 >&2
	fi
}

# done_checks: the closing line, and the exit status.
done_checks() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}

# wait_until COMMAND...: polls until COMMAND succeeds, for 30 s at most
# (then the test fails). It waits on the condition itself, never on time.
wait_until() {
	local deadline=$((SECONDS + 30))
	until "$@"; do
		if ((SECONDS > deadline)); then
			echo "FAIL timed out waiting for: $*" >&2
			failures=$((failures + 1))
			return 1
		fi
	done
}
