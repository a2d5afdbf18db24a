# Bursts of events through the fake Slack, interrupted: the socket dropped
# mid-burst, a refresh_requested mid-burst, and Scribe killed (-9)
# mid-burst and started again. Every time, every event is on the timeline
# exactly once and every envelope is acked in the end (what a lost socket
# or a crash left unacked is redelivered, and the store's unique index
# absorbs what was already recorded).
source "$(dirname "$0")/slack_lib.bash"

N=${SLACK_BURST_EVENTS:-4000}
# Unacked envelopes come back after a second, up to 5 times.
ctl config '{"redelivery_ms":1000,"max_retries":5,"ping_ms":1000}' > /dev/null
start_scribe
wait_until connected
declare_incident U0FAKEALICE Checkout errors sev2

recorded() { q "select count(*) from timeline where text like '$1 %'"; }
some() { [ "$(recorded "$1")" -ge 1 ]; }
all() { [ "$(recorded "$1")" -ge "$N" ]; }
# Every event id the fake sent has an ok ack, and none expired.
acked_all() {
	get sent > sent.json
	get acks > acks.json
	[ "$(jq -n --slurpfile s sent.json --slurpfile a acks.json '
		([$s[0].items[] | .event_id // .envelope_id] | unique) as $want
		| ([$a[0].items[] | select(.status == "ok") | .event_id // .envelope_id] | unique) as $got
		| ($want - $got | length) == 0')" = true ]
}
# burst LABEL: N message events pushed back to back, in the background.
burst() {
	ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"$1\",\"count\":$N}" > /dev/null &
	pusher=$!
}
exactly_once() {
	wait_until all "$1"
	wait_until acked_all
	expect "$2: every event is on the timeline once" "$(q "select count(*) || ' ' || count(distinct text) from timeline where text like '$1 %'")" "$N $N"
	expect "$2: no envelope expired" "$(get acks | jq '[.items[] | select(.status == "expired")] | length')" "0"
}

# The socket dropped mid-burst.
burst drop-burst
wait_until some drop-burst
ctl drop '{}' > /dev/null
wait $pusher
exactly_once drop-burst "a dropped socket"

# A refresh mid-burst: the new socket first, then the old one closes.
burst refresh-burst
wait_until some refresh-burst
ctl disconnect '{"reason":"refresh_requested","close_after_ms":100}' > /dev/null
wait $pusher
exactly_once refresh-burst "a refresh"

# Scribe killed mid-burst, and started again.
burst crash-burst
wait_until some crash-burst
kill -9 $bot
wait $bot 2> /dev/null || true
wait $pusher
start_scribe
exactly_once crash-burst "a crash"
echo "redeliveries: $(get sent | jq '[.items[] | select(.retry_attempt > 0)] | length')"

status=0
stop_scribe || status=$?
expect "SIGTERM ends scribe cleanly" "$status" "0"
done_checks
