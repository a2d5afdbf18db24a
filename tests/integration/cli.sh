# The command line explains itself: help everywhere, options named when
# their value is missing, options before the subcommand, read-only
# commands that never create a database, db backup's refusals, and a
# store that cannot be opened naming the path and what is wrong with it.
source "$(dirname "$0")/lib.bash"

# run ARGS...: runs scribe; $status, out and err hold what happened.
run() {
	status=0
	"$SCRIBE" "$@" > "$WORK/out" 2> "$WORK/err" < /dev/null || status=$?
}

# Help: every subcommand is listed, and each one's --help exits 0.
run --help
expect "scribe --help exits 0" "$status" "0"
cp out help.out
run help
expect "scribe help prints the same" "$(cmp out help.out && echo same)" "same"
commands="run console replay list show postmortem playbook db version help"
for c in $commands; do
	expect_grep "--help lists $c" help.out "^  $c( |$)"
	run "$c" --help
	expect "scribe $c --help exits 0" "$status" "0"
	expect_grep "scribe $c --help prints its usage" out "^usage: scribe $c"
	run help "$c"
	expect "scribe help $c exits 0" "$status" "0"
done
run replay --help
expect_grep "replay --help names its options" out '^  --tz ZONE'
run
expect "no command is a usage error" "$status" "2"
expect_grep "with the usage on stderr" err '^usage: scribe'
run consle
expect "an unknown command fails" "$status" "2"
expect_grep "with a suggestion" err "unknown command 'consle' \(did you mean 'console'\?\)"
run version
expect_grep "version" out '^scribe [0-9]+\.[0-9]+\.[0-9]+$'

# A missing value names what it needs; an unknown option is named.
run replay x.txt --db
expect "a missing value is a usage error" "$status" "2"
expect "--db needs a path" "$(cat err)" "scribe: --db needs a path"
run --config
expect "-c needs a file" "$(cat err)" "scribe: --config needs a file"
run replay x.txt --tz
expect "--tz needs a zone" "$(cat err)" "scribe: --tz needs a time zone"
run replay x.txt --quite
expect_grep "an unknown option suggests the nearest" err "unknown option '--quite' \(did you mean '--quiet'\?\)"
run postmortem INC-1 --tz UTC
expect "an option of another command is refused" "$status" "2"
expect_grep "naming the command" err "--tz is not an option of 'postmortem'"
run replay x.txt --batch 0
expect_grep "a number out of range" err "--batch takes a number from 1 to"

# An invalid --tz is refused like an invalid zone in the config.
printf '2026-07-01 10:00 alice: hello\n' > plain.txt
run replay plain.txt --tz Mars/Olympus --db tz.db
expect "an invalid --tz is refused" "$status" "2"
expect_grep "naming the zone" err "unknown time zone 'Mars/Olympus'"
printf 'timezone: Mars/Olympus\n' > mars.yaml
run replay plain.txt -c mars.yaml
expect_grep "as the config's zone is" err "unknown time zone 'Mars/Olympus'"
expect "and nothing is created" "$(ls tz.db 2> /dev/null)" ""

# Config mistakes people make: a YAML syntax error names line and column;
# `store: scribe.db` gets the form it needs.
printf 'timezone: UTC\nroles: [a, b\nlog_level: info\n' > syntax.yaml
run list -c syntax.yaml
expect_grep "a YAML syntax error names the column" err "^scribe: syntax.yaml:3:10: did not find expected ',' or ']'"
printf 'store: scribe.db\n' > store.yaml
run list -c store.yaml
expect "store: as a string is refused" "$status" "1"
expect "with the hint" "$(cat err)" "scribe: store.yaml:1: key 'store': expected a mapping: write it as 'store: {path: scribe.db}'"

# An unknown key inside a playbook step suggests the nearest one.
printf 'id: p\ntitle: P\nsteps:\n  - id: a\n    title: A\n    instrucions: x\n' > step.yaml
run playbook lint step.yaml
expect_grep "a step key typo suggests the nearest" out "^step.yaml:6:5: unknown key 'instrucions' in a step \(did you mean 'instructions'\?\)$"

# Global options before the subcommand.
printf '!inc declare Before the command\n' > declare.txt
run --db first.db console
status=0
"$SCRIBE" --db first.db console < declare.txt > out 2> err || status=$?
expect "--db before the command works" "$status" "0"
DB=first.db
expect "into that database" "$(q "select title from incidents")" "Before the command"
run -c mars.yaml version
expect "-c before version is taken (version reads no config)" "$status" "0"

# Under systemd (INVOCATION_ID) without a terminal, `run` with no
# platform would be a console reading /dev/null: it says what is missing
# and exits 78 (EX_CONFIG, which the unit does not restart).
status=0; INVOCATION_ID=test "$SCRIBE" run --db svc.db < /dev/null > out 2> err || status=$?
expect "a service with no platform exits 78" "$status" "78"
expect_grep "saying what to add" err "no chat platform is configured in the defaults \(no -c FILE\): add a slack: or matrix: section"
expect "and creates no database" "$(ls svc.db 2> /dev/null)" ""

# Read-only commands never create a database.
mkdir empty && cd empty
for c in "postmortem INC-99" "list" "show INC-1" "db check" "db backup ../b.db"; do
	run $c
	expect "'scribe $c' without a database fails" "$status" "1"
	expect_grep "'scribe $c' says there is none" "$WORK/err" "^scribe: scribe.db: no database there"
	expect "'scribe $c' creates nothing" "$(ls -A)" ""
done
cd ..
run postmortem INC-99 --db first.db
expect "postmortem of an unknown incident fails" "$status" "1"
expect_grep "saying there is no INC-99" err "INC-99"

# db backup: DEST is not overwritten without --force, never the live
# database itself, and is replaced whole with --force.
run db backup copy.db --db first.db
expect "a backup" "$status" "0"
echo "precious" > taken.db
run db backup taken.db --db first.db
expect "an existing DEST is refused" "$status" "1"
expect_grep "saying --force replaces it" err "taken.db exists: not overwritten \(--force replaces it\)"
expect "and left as it was" "$(cat taken.db)" "precious"
run db backup taken.db --force --db first.db
expect "--force replaces it" "$status" "0"
DB=taken.db
expect "with the backup" "$(q "select title from incidents")" "Before the command"
run db backup first.db --force --db first.db
expect "the live database is refused even with --force" "$status" "1"
expect_grep "as the live database" err "first.db is the live database itself"
ln -s first.db link.db
run db backup link.db --force --db first.db
expect_grep "also through a link" err "link.db is the live database itself"
DB=first.db
expect "which is intact" "$(q "pragma integrity_check")" "ok"
expect "no partial file is left" "$(ls *.partial 2> /dev/null)" ""

# scribe list and scribe show: the history without a chat.
"$SCRIBE" replay "$SCRIBE_SOURCE_DIR/tests/golden/deadlock.jsonl" --quiet --db h.db 2> /dev/null
"$SCRIBE" replay "$SCRIBE_SOURCE_DIR/tests/golden/reopened.jsonl" --quiet --db h.db 2> /dev/null
printf '!inc declare Still open sev1\n' | "$SCRIBE" console --db h.db > /dev/null
run list --db h.db
expect "list exits 0" "$status" "0"
expect "list prints one line an incident" "$(cat out)" \
"INC-1   sev2  closed        2026-11-24 14:02  Checkout errors after release
INC-2   sev3  closed        2026-11-24 16:00  Login latency
INC-3   sev1  investigating $(DB=h.db q "select strftime('%Y-%m-%d %H:%M', declared_ms / 1000, 'unixepoch') from incidents where id = 3")  Still open"
run list --status open --db h.db
expect "--status open" "$(cut -c1-5 out)" "INC-3"
run list --status closed --db h.db
expect "--status closed" "$(cut -c1-5 out | tr '\n' ' ')" "INC-1 INC-2 "
run list --status investigating --db h.db
expect "--status investigating" "$(cut -c1-5 out)" "INC-3"
run list --status bogus --db h.db
expect "a bad --status is a usage error" "$status" "2"
run list --since 1d --db h.db
expect "--since 1d" "$(cut -c1-5 out)" "INC-3"
run list --since 2026-11-24 --db h.db
expect "--since a date" "$(wc -l < out)" "3"
run list --since 2099-01-01 --db h.db
expect "--since later than everything" "$(cat out)" ""
expect_grep "says none match" err "no incidents match"
run list --since yesterday --db h.db
expect "a bad --since" "$status" "2"
run list --json --db h.db
expect "--json is JSON Lines" "$(jq -r '[.id, .severity, .status, .closed, .declared] | @tsv' out | head -2)" \
"INC-1	2	resolved	true	2026-11-24T14:02:00Z
INC-2	3	resolved	true	2026-11-24T16:00:00Z"
run list --json --status open --db h.db
expect "--json with --status" "$(jq -r .title out)" "Still open"
run show INC-1 --db h.db
expect "show exits 0" "$status" "0"
expect_grep "show: the headline" out '^INC-1 · sev2 · closed · Checkout errors after release$'
expect_grep "show: the marks" out '^mitigated +2026-11-24 14:26 UTC$'
expect_grep "show: unrecorded marks say so" out '^acknowledged +not recorded$'
expect_grep "show: the duration" out '^duration +38 min$'
expect_grep "show: hypotheses" out '^hypotheses +H1 ruled out: '
expect_grep "show: the postmortem" out '^postmortem +revision 1 \(scribe postmortem INC-1\)$'
run show INC-42 --db h.db
expect "show of an unknown incident fails" "$status" "1"
expect "saying so" "$(cat err)" "scribe: there is no INC-42 in h.db"
run show 42 --db h.db
expect "show without INC- is a usage error" "$status" "2"

# A store that cannot be opened: which path, and folder or file. Run as
# an unprivileged user (root reads and writes everything).
as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		"$@"
	fi
}
mkdir locked open
chmod 755 "$WORK"
cp first.db open/ro.db
chmod 555 locked
chmod 777 open
chmod 444 open/ro.db
status=0; as_user "$SCRIBE" console --db "$WORK/locked/new.db" < /dev/null > out 2> err || status=$?
expect "an unwritable folder fails" "$status" "1"
expect_grep "naming the folder" err "^scribe: $WORK/locked/new.db: the folder $WORK/locked is not writable"
status=0; as_user "$SCRIBE" console --db "$WORK/open/ro.db" < /dev/null > out 2> err || status=$?
expect "an unwritable file fails" "$status" "1"
expect_grep "naming the file" err "^scribe: $WORK/open/ro.db: the file is not writable"
cp first.db open/w.db && chmod 666 open/w.db && : > open/w.db-wal && chmod 644 open/w.db-wal
status=0; as_user "$SCRIBE" console --db "$WORK/open/w.db" < /dev/null > out 2> err || status=$?
expect "another user's -wal file fails" "$status" "1"
expect_grep "naming it" err "^scribe: $WORK/open/w.db: the file $WORK/open/w.db-wal is not writable by this user"
run console --db "$WORK/nowhere/x.db"
expect_grep "a folder that does not exist" err "the folder $WORK/nowhere does not exist"
run console --db "$WORK/open"
expect_grep "a folder given as the database" err "open: not a database file \(a folder\)"
chmod 755 locked

done_checks
