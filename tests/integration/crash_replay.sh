# kill -9 in the middle of replaying a 20,000-message transcript, then
# replay the whole file again: every message is on the timeline exactly
# once, and the database is intact.
#
# The replay reads from a FIFO: the test writes the first 10,000 lines,
# waits until the store shows two committed batches (4,096 events each),
# and kills the replay while it blocks on the FIFO with a batch still open
# and uncommitted. No sleeps: the wait is on the database itself.
source "$(dirname "$0")/lib.bash"

n=20000
awk -v n=$n -v ids=0 -f "$SCRIBE_SOURCE_DIR/tests/fakes/transcript.awk" > t.jsonl
mkfifo feed
"$SCRIBE" replay feed --db scribe.db --quiet 2> replay1.txt &
pid=$!
exec 3> feed
head -n 10000 t.jsonl >&3

committed=0
for ((i = 0; i < 200000; i++)); do
	committed=$(q "select count(*) from timeline where kind = 'message'" 2>/dev/null || echo 0)
	[ "${committed:-0}" -ge 8000 ] && break
done
kill -9 $pid
wait $pid 2>/dev/null || true
exec 3>&-
expect "two batches were committed before the kill" "$([ "$committed" -ge 8000 ] && echo yes)" "yes"
expect "the open batch was lost with the process" "$(q "select count(*) < 9999 from timeline where kind = 'message'")" "1"

"$SCRIBE" replay t.jsonl --db scribe.db --quiet 2> replay2.txt
expect "every message exactly once" "$(q "select count(*), count(distinct source_id) from timeline where kind = 'message'")" "$n|$n"
expect "one incident" "$(q "select count(*) from incidents")" "1"
# What was committed (the declare and its messages) is seen as recorded.
expect "the first batches were not replayed twice" \
	"$(grep -oE '[0-9]+ already recorded' replay2.txt | cut -d' ' -f1)" "$((committed + 1))"
"$SCRIBE" db check --db scribe.db > check.txt
expect_grep "integrity" check.txt ': ok '
done_checks
