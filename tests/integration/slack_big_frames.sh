# Socket Mode frames over Scribe's 4 MiB cap, through the fake Slack's
# socket: one byte over, 4.2, 5 and 10 MiB. Each closes the socket with the
# reason in the log (lws 4.1.6 crashed on the ones over about 4.1 MiB);
# Scribe reconnects and goes on recording. An oversized event that Slack
# keeps redelivering - across a kill -9 and a restart - is refused every
# time, never a crash, until Slack gives up on it.
source "$(dirname "$0")/slack_lib.bash"

# The control API takes bodies up to max_body: room for a 10 MiB frame.
ctl config '{"max_body":16777216,"redelivery_ms":400,"max_retries":3}' > /dev/null
start_scribe
wait_until connected
declare_incident U0FAKEALICE Big frames

opens() { get 'calls?method=apps.connections.open' | jq '.items | length'; }
alive() { kill -0 "$bot" 2> /dev/null && echo yes || echo no; }
arrived() { [ "$(q "select count(*) from timeline where text = '$1'")" = 1 ]; }
reopened() { [ "$(opens)" -gt "$1" ] && connected; }
# big BYTES: a JSON body {"text": BYTES x's} in big.json.
big() { head -c "$1" /dev/zero | tr '\0' x | jq -Rs '{text: .}' > big.json; }

for size in 4194305 4404019 5242880 10485760; do
	before=$(opens)
	big "$size"
	sent=$(curl -sf -X POST -H 'Content-Type: application/json' --data-binary @big.json "$api/_control/frame" | jq .connections)
	expect "the $size-byte frame went to the one socket" "$sent" "1"
	wait_until reopened "$before"
	expect "a $size-byte frame: scribe is alive" "$(alive)" "yes"
	ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"after $size\"}" > /dev/null
	wait_until arrived "after $size"
done
expect "each refusal is logged with its reason" "$(grep -c 'message exceeds 4194304 bytes' bot.err)" "4"

# An oversized event: Slack redelivers it (max_retries 3); kill -9 after
# the second delivery, start again; the rest are refused too. (A fresh
# start first: apps.connections.open allows 5 opens in a burst, and the
# sizes above took them.)
stop_scribe
start_scribe
wait_until connected
big 5242880
jq --arg c "$room" '{type: "message", channel: $c, user: "U0FAKEBOB", store: false} + .' big.json > event.json
event_id=$(curl -sf -X POST -H 'Content-Type: application/json' --data-binary @event.json "$api/_control/event" | jq -r .event_id)
deliveries() { get sent | jq --arg e "$event_id" '[.items[] | select(.event_id == $e)] | length'; }
delivered() { [ "$(deliveries)" -ge "$1" ]; }
wait_until delivered 2
kill -9 "$bot"
wait "$bot" 2> /dev/null || true
start_scribe
expired() { get acks | jq -e --arg e "$event_id" '[.items[] | select(.event_id == $e and .status == "expired")] | length == 1' > /dev/null; }
wait_until expired
expect "every redelivery was sent" "$(deliveries)" "4"
expect "none was acked" "$(get acks | jq --arg e "$event_id" '[.items[] | select(.event_id == $e and .status == "ok")] | length')" "0"
expect "after the restart and the redeliveries scribe is alive" "$(alive)" "yes"
wait_until connected
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"after the redeliveries\"}" > /dev/null
wait_until arrived "after the redeliveries"

status=0
stop_scribe || status=$?
expect "SIGTERM ends scribe cleanly" "$status" "0"
done_checks
