# `scribe playbook backtest` on the example transcripts of
# tests/transcripts/ with the shipped playbooks: when each playbook would be
# suggested, by which words, and what fired on chatter. The "db password is
# hunter2" line of web-deploy.jsonl suggested db-outage-triage before short
# keywords needed a second signal; it must not any more. Nothing is
# recorded: no database appears, the scratch folder is gone.
source "$(dirname "$0")/lib.bash"

T=$SCRIBE_SOURCE_DIR/tests/transcripts
mkdir tmp
# The shipped library, as a deployment has it.
unset SCRIBE_DATA_DIR
status=0
TMPDIR=$WORK/tmp "$SCRIBE" playbook backtest --db never.db \
	"$T/web-deploy.jsonl" "$T/db-deadlock.jsonl" "$T/dns-chatter.jsonl" > bt.out 2> bt.err || status=$?
expect "backtest exits 0" "$status" "0"
expect "nothing recorded: no database" "$(ls never.db scribe.db 2>/dev/null || true)" ""
expect "the scratch folder is removed" "$(ls tmp)" ""

sed -n '/web-deploy.jsonl/,/jsonl:/p' bt.out > web.out
expect_grep "web-errors from the title, started" web.out '^    \+0 min +web-errors +by “502”, “deploy”  — the declare; started \+3 min$'
expect "db password suggests nothing" "$(grep -c 'db-outage-triage' web.out || true)" "0"
expect "hunter2 is nowhere" "$(grep -c 'hunter2' bt.out || true)" "0"

sed -n '/db-deadlock.jsonl/,/dns-chatter.jsonl/p' bt.out > dl.out
expect_grep "db-deadlock at the minute, by its words, started" dl.out '^    \+11 min +db-deadlock +by “lock wait”  — li: postgres shows lots of sessions waiting: lock wait on orders; started \+12 min$'
expect_grep "what fired on chatter is listed" dl.out '^  on chatter \(suggested from a message, never started\):$'
expect_grep "with its line" dl.out '^    \+11 min +db-outage-triage +by “postgres”'

sed -n '/dns-chatter.jsonl/,$p' bt.out > dns.out
expect "'is it the db? or dns?' and 'the db team' suggest nothing" "$(grep -c 'db-outage-triage' dns.out || true)" "0"
expect_grep "the total" bt.out '^1 suggestion fired on chatter$'

# A keyword strong enough alone fires on chatter, and the backtest shows it
# - the check that the report can fail.
mkdir -p pb
sed -e 's/^id: db-outage-triage/id: secret-leak/' -e 's/^    - database$/    - password/' \
	"$SCRIBE_SOURCE_DIR/playbooks/db-outage-triage.yaml" > pb/secret-leak.yaml
printf 'playbooks_dir: pb\nshipped_playbooks: false\n' > leak.yaml
"$SCRIBE" playbook backtest -c leak.yaml "$T/web-deploy.jsonl" > leak.out 2> leak.err
expect_grep "a chatter suggestion is reported" leak.out '^    \+2 min +secret-leak +by “db”, “password”  — carol: db password is hunter2 if anyone needs the replica; never started$'
expect_grep "and counted" leak.out '^1 suggestion fired on chatter$'

# Usage and unreadable files.
status=0
"$SCRIBE" playbook backtest > usage.out 2> usage.err || status=$?
expect "no file is bad usage" "$status" "2"
status=0
"$SCRIBE" playbook backtest nope.jsonl > nope.out 2> nope.err || status=$?
expect "an unreadable file fails" "$status" "1"
expect_grep "and says why" nope.err 'nope.jsonl: cannot read'
done_checks
