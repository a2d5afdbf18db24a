# `make run` as a person types it, on a terminal: one line says what is
# built (and where its log is), then Scribe's start-up lines and its
# prompt - no screen of make's directory lines, no command echoed. The
# build goes to a folder of this test's (BUILD=...), the database to one
# of its own (ARGS="--db ..."); the source tree gets nothing.
# It builds a whole release tree, so it runs in the plain build only,
# and alone (its compile would starve the timing of the tests beside it).
# ctest: LABELS heavy
# ctest: TIMEOUT 900
# ctest: RUN_SERIAL TRUE
source "$(dirname "$0")/lib.bash"
unset SCRIBE_DATA_DIR
# As from a person's shell, not from inside another make (`make test`).
unset MAKEFLAGS MAKELEVEL MFLAGS

printf '!inc help\n' > typed.txt
status=0
(cd "$SCRIBE_SOURCE_DIR" && PTY_FIRST_WAIT=800 python3 "$SCRIBE_SOURCE_DIR/tests/integration/pty_drive.py" "$WORK/typed.txt" \
	make run BUILD="$WORK/build" ARGS="--db $WORK/run.db") > printed.txt || status=$?
expect "make run ends cleanly at Ctrl-D" "$status" "0"
expect "the first line says what is built" "$(head -1 printed.txt)" "building $WORK/build/scribe (log: $WORK/build/build.log)"
expect "no make directory lines" "$(grep -cE 'Entering directory|Leaving directory|^g?make(\[[0-9]+\])?:' printed.txt)" "0"
expect "no build lines" "$(grep -cE '^\[ *[0-9]+%\]' printed.txt)" "0"
expect "no command echoed" "$(grep -c 'scribe run' printed.txt)" "0"
expect_grep "Scribe's start-up lines" printed.txt "^scribe: info: database: $WORK/run.db$"
expect_grep "then the prompt, with what was typed" printed.txt '^#general [^ ]+> !inc help$'
expect "the build's log is kept" "$(grep -c 'Built target scribe$' "$WORK/build/build.log")" "1"
expect "the source tree got no database" "$(cd "$SCRIBE_SOURCE_DIR" && git status --porcelain --ignored -- scribe.db 2> /dev/null)" ""

done_checks
