# A whole incident in Slack, through the fake Slack: `scribe run` signs in
# (auth.test), opens Socket Mode, and a /incident declare creates the
# channel; talk in it (a thread reply, an edit, a delete, a file, a 📌)
# lands on the timeline; every envelope is acked, and only once it is
# stored; a dropped socket and a refresh lose nothing; a redelivered
# envelope is recorded once; a 429 on chat.postMessage delays replies but
# drops none and keeps their order; close posts the postmortem; SIGTERM
# ends cleanly.
source "$(dirname "$0")/slack_lib.bash"

ctl config '{"redelivery_ms":30000,"ping_ms":1000}' > /dev/null
locks_playbook
start_scribe
wait_until connected

# Declare from #general with the slash command.
declare_incident U0FAKEALICE Orders database deadlock sev1
expect "the incident channel was created" "$(get 'calls?method=conversations.create' | jq -r '.items[0].params.name')" "inc-1-orders-database-deadlock"
wait_until called_ok conversations.setTopic
wait_until called_ok conversations.invite
expect "its topic names the incident" "$(get 'calls?method=conversations.setTopic' | jq -r '.items[0].params.topic')" "INC-1 · sev1 · investigating · Orders database deadlock"
expect "the declarer is invited" "$(get 'calls?method=conversations.invite' | jq -r '.items[0].params.users')" "U0FAKEALICE"
wait_until posted_in C0GENERAL "INC-1 declared"
wait_until posted_in "$room" "Declared by"
wait_until posted_in "$room" "playbook start locks"

# Talk in the channel.
m1=$(ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"p99 is 4s on checkout\"}" | jq -r .event_ts)
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"same in eu\",\"thread_ts\":\"$m1\"}" > /dev/null
ctl event "{\"type\":\"message_changed\",\"channel\":\"$room\",\"ts\":\"$m1\",\"text\":\"p99 is 8s on checkout\"}" > /dev/null
m2=$(ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"password hunter2\"}" | jq -r .event_ts)
ctl event "{\"type\":\"message_deleted\",\"channel\":\"$room\",\"ts\":\"$m2\"}" > /dev/null
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$m1\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
ctl event "{\"type\":\"message\",\"subtype\":\"file_share\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"the log\",\"file\":{\"name\":\"error.log\",\"mimetype\":\"text/plain\"}}" > /dev/null
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> hypothesis lock from migration 42\"}" > /dev/null
recorded() { [ "$(q "select count(*) from timeline where kind = 'hypothesis'")" -ge 1 ]; }
wait_until recorded
expect "messages and the thread reply are on the timeline" "$(q "select count(*) from timeline where kind in ('message', 'file') and room = '$room'")" "4"
expect "the thread reply keeps its root" "$(q "select thread from timeline where text = 'same in eu'")" "$m1"
expect "the edit keeps the history" "$(q "select text, edits from timeline where source_id = '$m1'")" "p99 is 8s on checkout|1"
expect "the delete leaves a tombstone without the secret" "$(q "select count(*) from timeline where text like '%hunter2%'")" "0"
expect "the pin marks a key entry" "$(q "select key from timeline where source_id = '$m1'")" "1"
expect "the file is recorded" "$(q "select name, type from files")" "error.log|text/plain"
named() { [ "$(q "select count(*) from timeline where author_id = 'U0FAKEBOB' and author_name = 'U0FAKEBOB'")" = 0 ]; }
wait_until named
expect "people are shown by their display name" "$(q "select distinct author_name from timeline where author_id = 'U0FAKEBOB'")" "$(get state | jq -r '.users[] | select(.id == "U0FAKEBOB") | (.profile.display_name // "") as $d | if $d != "" then $d else .profile.real_name end')"

# Every envelope acked, none redelivered.
acked_all() { [ "$(get acks | jq '[.items[] | select(.status == "ok")] | length')" = "$(get sent | jq '.items | length')" ]; }
wait_until acked_all
expect "no ack was refused" "$(get acks | jq '[.items[] | select(.status != "ok")] | length')" "0"

# A dropped socket: Scribe reconnects; what is pushed meanwhile arrives.
ctl drop '{}' > /dev/null
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"sent while the socket was down\"}" > /dev/null
wait_until connected
arrived() { [ "$(q "select count(*) from timeline where text = '$1'")" = 1 ]; }
wait_until arrived "sent while the socket was down"

# A refresh: the new socket first, then the old one closes; nothing lost.
opens_before=$(get 'calls?method=apps.connections.open' | jq '.items | length')
ctl disconnect '{"reason":"refresh_requested","close_after_ms":300}' > /dev/null
refreshed() { [ "$(get 'calls?method=apps.connections.open' | jq '.items | length')" -gt "$opens_before" ]; }
wait_until refreshed
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"after the refresh\"}" > /dev/null
wait_until arrived "after the refresh"

# A redelivered envelope (same event id) is recorded once.
once_ts="$(date +%s).000001"
payload="{\"type\":\"event_callback\",\"event_id\":\"EvDUP1\",\"event\":{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"said once\",\"ts\":\"$once_ts\"}}"
ctl envelope "{\"type\":\"events_api\",\"payload\":$payload}" > /dev/null
ctl envelope "{\"type\":\"events_api\",\"payload\":$payload}" > /dev/null
wait_until acked_all
expect "a redelivery is one timeline entry" "$(q "select count(*) from timeline where text = 'said once'")" "1"

# A playbook: its step is posted with Done and Skip buttons; a click is
# recorded exactly like `step done S1`.
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> playbook start locks\"}" > /dev/null
step_posted() { get 'calls?method=chat.postMessage' | jq -e --arg r "$room" '[.items[] | select(.ok and .params.channel == $r) | .params.blocks[]? | select(.type == "actions") | .elements[0].value] | index("S1") != null' > /dev/null; }
wait_until step_posted
step_ts=$(get 'calls?method=chat.postMessage' | jq -r --arg r "$room" '[.items[] | select(.ok and .params.channel == $r and (.params.text | contains("S1 of 3")))][0].response.ts')
ctl block_actions "{\"channel\":\"$room\",\"message_ts\":\"$step_ts\",\"action_id\":\"step_done\",\"value\":\"S1\",\"user\":\"U0FAKEBOB\"}" > /dev/null
step_done() { [ "$(q "select state, by_id from playbook_steps where n = 1")" = "done|U0FAKEBOB" ]; }
wait_until step_done
expect "the click is on the timeline" "$(q "select count(*) from timeline where kind = 'playbook' and text like 'locks S1 done%'")" "1"

# Malformed, truncated, unknown and oversized frames: logged, acked when
# they have an envelope id, never a crash; an oversized one closes the
# socket, and Scribe reconnects.
ctl frame '{"text":"{not json"}' > /dev/null
ctl frame '{"text":"{\"envelope_id\":\"trunc-1\",\"type\":\"events_api\",\"payload\":{\"type\":\"event_cal"}' > /dev/null
ctl envelope '{"type":"something_new","payload":{"x":1}}' > /dev/null
ctl envelope "{\"type\":\"events_api\",\"payload\":{\"type\":\"event_callback\",\"event_id\":\"EvBad\",\"event\":{\"type\":\"message\",\"channel\":\"$room\",\"user\":42}}}" > /dev/null
# (slack_big_frames.sh tries the sizes that crashed lws.)
ctl config '{"max_body":8388608}' > /dev/null
head -c 5000000 /dev/zero | tr '\0' x > big.txt
jq -Rs '{text: .}' big.txt > big.json
opens_before=$(get 'calls?method=apps.connections.open' | jq '.items | length')
expect "the 5 MB frame is sent" "$(curl -sf -X POST -H 'Content-Type: application/json' --data-binary @big.json "$api/_control/frame" | jq .connections)" "1"
wait_until refreshed
wait_until connected
expect_grep "the oversized frame closed the socket" bot.err 'socket closed: message exceeds 4194304 bytes'
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"still listening\"}" > /dev/null
wait_until arrived "still listening"
expect "the bot is alive" "$(kill -0 $bot && echo yes)" "yes"
expect_grep "malformed frames are logged" bot.err 'envelope skipped'

# A 429 storm on chat.postMessage: replies wait, none is dropped, order kept.
ctl ratelimit '{"method":"chat.postMessage","count":3,"retry_after":1}' > /dev/null
for n in one two three; do
	ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> hypothesis storm $n\"}" > /dev/null
done
stormed() { get 'calls?method=chat.postMessage' | jq -r --arg r "$room" '[.items[] | select(.ok and .params.channel == $r and (.params.text | contains(": storm "))) | .params.text | capture("storm (?<n>[a-z]+)").n] | join(" ")'; }
three() { [ "$(stormed | wc -w)" -ge 3 ]; }
wait_until three
expect "three 429s were answered" "$(get 'calls?method=chat.postMessage' | jq '[.items[] | select(.status == 429)] | length')" "3"
expect "every reply went out once, in order" "$(stormed)" "one two three"
expect "nothing is left in the outbox" "$(q "select count(*) from outbox where sent_ms is null and kind = 'message'")" "0"

# Downtime: Scribe stops; people go on talking (and in a thread); Scribe
# starts again and backfills the channel from its last stored message.
stop_scribe
ctl messages "{\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"said while scribe was down\"}" > /dev/null
ctl messages "{\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"replied in a thread while down\",\"thread_ts\":\"$m1\"}" > /dev/null
start_scribe
wait_until arrived "said while scribe was down"
wait_until arrived "replied in a thread while down"
expect "the backfilled reply is under its root" "$(q "select thread from timeline where text = 'replied in a thread while down'")" "$m1"
expect "backfill adds nothing twice" "$(q "select count(*) from timeline where kind = 'message' and text = 'p99 is 8s on checkout'")" "1"
wait_until connected

# Close: the postmortem is written, and uploaded into the channel as a
# file (three steps); the first upload fails and is retried.
ctl config '{"fail_uploads":1}' > /dev/null
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> close\"}" > /dev/null
wait_until called_ok files.completeUploadExternal
expect "the postmortem and its picture are written" "$(ls postmortems | tr "\n" " ")" "INC-1-orders-database-deadlock.md INC-1-orders-database-deadlock.svg "
expect "it is shared in the incident channel" "$(get 'calls?method=files.completeUploadExternal' | jq -r '[.items[] | select(.ok)][0].params.channel_id')" "$room"
expect "as the document itself, byte for byte" "$(get uploads | jq '[.items[] | select(.status == 200)][0].bytes')" "$(wc -c < postmortems/INC-1-orders-database-deadlock.md)"
expect "after one failed upload" "$(get uploads | jq '[.items[] | select(.status == 500)] | length')" "1"
wait_until posted_in "$room" "INC-1 closed"

# A channel name taken, even by an archived channel: a suffix.
ctl channels '{"name":"inc-2-second-outage","is_archived":true}' > /dev/null
declare_incident U0FAKEBOB Second outage
expect "name_taken is answered with a suffix" \
	"$(get 'calls?method=conversations.create' | jq -r '[.items[] | select(.params.name | startswith("inc-2-")) | "\(.params.name):\(.error // "ok")"] | join(" ")')" \
	"inc-2-second-outage:name_taken inc-2-second-outage-2:ok"

# A title that would ping: the topic and the purpose mention nobody.
declare_incident U0FAKEBOB "Ping <!channel> @here <@U0FAKEALICE>"
wait_until called_ok conversations.setPurpose "$room"
for m in setTopic setPurpose; do
	said=$(get "calls?method=conversations.$m" | jq -r --arg r "$room" '[.items[] | select(.params.channel == $r)][0].params | .topic // .purpose')
	expect "the $m has no live mention" "$(grep -cE '<[!@]|@(here|channel)' <<< "$said" || true)" "0"
	expect "the $m keeps the title readable" "$(grep -c 'Ping &lt;.*!channel&gt; @.*here &lt;@U0FAKEALICE&gt;' <<< "$said" || true)" "1"
done

status=0
stop_scribe || status=$?
expect "SIGTERM ends scribe cleanly" "$status" "0"
expect "with no unclean loop" "$(grep -c 'did not close cleanly' bot.err || true)" "0"
done_checks
