# The README's sample session is what `make run` prints: the session in
# README.md ("A local incident, start to finish") is typed, line by line,
# into `scribe run` on a terminal (a pty) at the README's time
# (2026-11-24 14:30 UTC, through faketime), and every line it shows must
# be printed, in order. A README line "    ..." stands for the lines it
# leaves out; a line ending in " ..." for the rest of that line. The
# paths it shows are the README's (/home/you/scribe).
source "$(dirname "$0")/lib.bash"
unset SCRIBE_DATA_DIR
command -v faketime > /dev/null || { echo "FAIL faketime is not installed (make test-deps)" >&2; exit 1; }

# The session: the README's text block that starts with "$ make run".
awk '/^```text$/ { block = 1; n = 0; next }
	block && /^```$/ { if (keep) exit; block = 0; next }
	block && /^\$ make run$/ { keep = 1; next }
	block && keep { print }' "$SCRIBE_SOURCE_DIR/README.md" > readme.txt
expect "the README has the session" "$([ -s readme.txt ] && echo yes)" "yes"
# What was typed: the text after each prompt.
sed -n 's/^#[a-z0-9-]* [a-z]*> \(.\+\)$/\1/p' readme.txt > typed.txt
expect "the session types commands" "$([ "$(wc -l < typed.txt)" -ge 5 ] && echo yes)" "yes"

mkdir scribe && cd scribe
status=0
USER=you TZ=UTC ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	faketime '2026-11-24 14:30:00' python3 "$SCRIBE_SOURCE_DIR/tests/integration/pty_drive.py" ../typed.txt "$SCRIBE" run > ../printed.raw || status=$?
cd "$WORK"
expect "the session ends cleanly" "$status" "0"
sed -e "s|$WORK/scribe|/home/you/scribe|g; s|$SCRIBE_SOURCE_DIR|/home/you/scribe|g" printed.raw > printed.txt

# Every README line, in order, among the printed ones; make's own line
# (the build) is not Scribe's.
python3 - readme.txt printed.txt > match.out <<'PY' || status=$?
import sys
want = [l.rstrip() for l in open(sys.argv[1], encoding="utf-8")]
got = [l.rstrip() for l in open(sys.argv[2], encoding="utf-8")]
want = [w for w in want if not w.startswith("building build/release/scribe")]
i = 0
skip = False
for w in want:
    if w.strip() == "...":
        skip = True
        continue
    def ok(g):
        return g == w or (w.endswith(" ...") and g.startswith(w[:-3]))
    if skip:
        while i < len(got) and not ok(got[i]):
            i += 1
    skip = False
    if i >= len(got) or not ok(got[i]):
        print("README line not printed here:\n  README:  %s\n  printed: %s" % (w, got[i] if i < len(got) else "(the end)"))
        sys.exit(1)
    i += 1
if not skip and i != len(got):
    print("printed but not in the README: %s" % got[i])
    sys.exit(1)
print("match")
PY
expect "the README's session matches what is printed" "$(cat match.out)" "match"
[ "$(cat match.out)" = match ] || sed 's/^/  printed | /' printed.txt >&2

done_checks
