# A store that stops taking writes while Scribe runs, as on a full disk:
# Scribe's file size limit is lowered under it (prlimit: no root, no mount,
# so it runs the same as root in CI and as a user), every write past it
# fails, commits fail, and nothing is acked; Scribe stays up. When the
# limit is lifted, Slack's redeliveries are recorded and acked, and every
# event is on the timeline exactly once, with nothing done to Scribe.
source "$(dirname "$0")/slack_lib.bash"
command -v prlimit > /dev/null || { echo "store_full: prlimit (util-linux) is missing" >&2; exit 1; }

N=40
# Unacked envelopes come back every half second, up to 30 times.
ctl config '{"redelivery_ms":500,"max_retries":30,"ping_ms":1000}' > /dev/null
start_scribe
wait_until connected
declare_incident U0FAKEALICE Disk full drill sev2

recorded() { q "select count(*) from timeline where text like '$1 %'"; }
all() { [ "$(recorded "$1")" -ge "$N" ]; }
# push TEXT: N events "TEXT 1".."TEXT N"; their event ids go to TEXT.ids.
push() { ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"$1\",\"count\":$N}" | jq -c .event_ids > "$1.ids"; }
# ok_acks TEXT: how many of TEXT's events have an ok ack.
ok_acks() { get acks | jq --slurpfile ids "$1.ids" '[.items[] | select(.status == "ok" and (.event_id as $e | $ids[0] | index($e))) | .event_id] | unique | length'; }
# sent_of TEXT: envelopes sent for TEXT's events, redeliveries included.
sent_of() { get sent | jq --slurpfile ids "$1.ids" '[.items[] | select(.event_id as $e | $ids[0] | index($e))] | length'; }

push before
wait_until all before
expect "before: all acked" "$(ok_acks before)" "$N"

# Writes past the first 4 KiB of any file now fail.
prlimit --pid "$bot" --fsize=4096:unlimited
push during
has_sent_during() { [ "$(sent_of during)" -ge "$N" ]; }
wait_until has_sent_during
failing() { grep -q 'store: cannot commit' bot.err; }
wait_until failing
# At least one redelivery round has come and failed too.
redelivered() { [ "$(sent_of during)" -ge $((2 * N)) ]; }
wait_until redelivered
expect "during: nothing acked while the store cannot write" "$(ok_acks during)" "0"
expect "during: nothing recorded" "$(recorded during)" "0"
expect "scribe is still running" "$(kill -0 "$bot" && echo yes)" "yes"
expect "one error line, not one per batch" "$(grep -c 'store: cannot commit' bot.err)" "1"

# Writes work again: the redeliveries are recorded, acked, once each.
prlimit --pid "$bot" --fsize=unlimited:unlimited
wait_until all during
acked_during() { [ "$(ok_acks during)" -ge "$N" ]; }
wait_until acked_during
push after
wait_until all after
expect "every event once" "$(q "select count(*) || ' ' || count(distinct text) from timeline where text like 'before %' or text like 'during %' or text like 'after %'")" "$((3 * N)) $((3 * N))"
expect_grep "a line says the store recovered" bot.err 'store: commits work again after [0-9]+ failed'
st=0
stop_scribe || st=$?
expect "scribe stopped cleanly" "$st" "0"
"$SCRIBE" db check -c scribe.yaml > check.out 2>&1 || true
expect_grep "the database is sound" check.out 'ok'
done_checks
