# What Scribe does in Slack after an event is recorded, and its rate
# limits per method, through the fake Slack: a 📌 pins the message
# (pins.add, already_pinned is fine, never for a reaction that was not
# recorded, and after a crash still); a Done or Skip click rewrites the
# step message without its buttons (a refused click rewrites nothing);
# joins and leaves are on the timeline (never commands, deduplicated,
# backfilled); a 429 on one method delays that method only.
source "$(dirname "$0")/slack_lib.bash"

ctl config '{"redelivery_ms":1000,"ping_ms":1000}' > /dev/null
locks_playbook
arrived() { [ "$(q "select count(*) from timeline where text = '$1'")" -ge 1 ]; }
start_scribe
wait_until connected

# A 429 on conversations.setTopic: the topic waits for Retry-After and is
# set then; the channel's first message does not wait for it. A 503 on
# conversations.setPurpose: the purpose is set on the next try.
ctl ratelimit '{"method":"conversations.setTopic","count":1,"retry_after":3}' > /dev/null
ctl ratelimit '{"method":"conversations.setPurpose","count":1,"status":503}' > /dev/null
declare_incident U0FAKEALICE Orders database deadlock sev1
wait_until posted_in "$room" "Declared by"
wait_until called_ok conversations.setTopic
limited_at=$(get 'calls?method=conversations.setTopic' | jq '[.items[] | select(.status == 429)][0].time')
topic_at=$(get 'calls?method=conversations.setTopic' | jq '[.items[] | select(.ok)][0].time')
posted_at=$(get 'calls?method=chat.postMessage' | jq --arg r "$room" '[.items[] | select(.ok and .params.channel == $r)][0].time')
expect "the topic honoured Retry-After" "$(jq -n "$topic_at - $limited_at >= 2.9")" "true"
expect "the first message did not wait for the topic" "$(jq -n "$posted_at < $limited_at + 2.9")" "true"
wait_until called_ok conversations.setPurpose
expect "the purpose was set after a 503" "$(get 'calls?method=conversations.setPurpose' | jq -r '[.items[] | "\(.status)"] | join(" ")')" "503 200"
expect "the purpose names the incident" "$(get 'calls?method=conversations.setPurpose' | jq -r '[.items[] | select(.ok)][0].params.purpose')" "INC-1 Orders database deadlock. Scribe keeps this channel's timeline: every message is on it."

# 📌: a key timeline entry, and pinned in the channel.
m1=$(ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"p99 is 4s on checkout\"}" | jq -r .event_ts)
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$m1\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
wait_until called_ok pins.add "$m1"
expect "the pin marks a key entry" "$(q "select key from timeline where source_id = '$m1'")" "1"
expect "the message is pinned in the channel" "$(get state | jq -r --arg r "$room" --arg t "$m1" '.channels[] | select(.id == $r) | .pins | index($t) != null')" "true"
expect "pins.add names the channel and the message" "$(get 'calls?method=pins.add' | jq -r '[.items[] | select(.ok)][0].params | "\(.channel) \(.timestamp)"')" "$room $m1"
# A second 📌 on it: already_pinned, which is done, not retried.
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$m1\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEBOB\"}" > /dev/null
already() { [ "$(get 'calls?method=pins.add' | jq '[.items[] | select(.error == "already_pinned")] | length')" -ge 1 ]; }
wait_until already
follow_ups_done() { [ "$(q "select count(*) from outbox where kind = 'follow_up' and sent_ms is null")" = 0 ]; }
wait_until follow_ups_done
# A 📌 that is not recorded (outside an incident, or on a message Scribe
# never saw) pins nothing.
g1=$(ctl event '{"type":"message","channel":"C0GENERAL","user":"U0FAKEBOB","text":"lunch?"}' | jq -r .event_ts)
ctl event "{\"type\":\"reaction_added\",\"channel\":\"C0GENERAL\",\"ts\":\"$g1\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
unseen=$(ctl messages "{\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"never delivered\"}" | jq -r .ts)
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$unseen\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"sync point one\"}" > /dev/null
wait_until arrived "sync point one"
expect "no pin outside an incident channel" "$(q "select count(*) from outbox where kind = 'follow_up' and room = 'C0GENERAL'")" "0"
expect "no pin for a message not on the timeline" "$(q "select count(*) from outbox where kind = 'follow_up' and body like '%$unseen%'")" "0"

# A pin survives a crash: pins.add is rate limited for 30 s, Scribe is
# killed meanwhile, and the pin goes out after the restart.
m2=$(ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"the migration took the lock\"}" | jq -r .event_ts)
wait_until arrived "the migration took the lock"
ctl ratelimit '{"method":"pins.add","count":1,"retry_after":30}' > /dev/null
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$m2\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
limited() { [ "$(get "calls?method=$1" | jq '[.items[] | select(.status == 429)] | length')" -ge "${2:-1}" ]; }
wait_until limited pins.add
kill -9 $bot
wait $bot 2> /dev/null || true
start_scribe
wait_until called_ok pins.add "$m2"
expect "the pin went out after the crash" "$(get state | jq -r --arg r "$room" --arg t "$m2" '.channels[] | select(.id == $r) | .pins | index($t) != null')" "true"
expect "the reaction is recorded once" "$(q "select count(*) from timeline where kind = 'reaction' and ref_id = (select id from timeline where source_id = '$m2')")" "1"
wait_until connected

# A 429 on chat.postMessage delays the posts, not a pin.
ctl ratelimit '{"method":"chat.postMessage","count":1,"retry_after":3}' > /dev/null
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> note checkout is slow\"}" > /dev/null
wait_until limited chat.postMessage
m3=$(ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"rolled back\"}" | jq -r .event_ts)
ctl event "{\"type\":\"reaction_added\",\"channel\":\"$room\",\"ts\":\"$m3\",\"reaction\":\"pushpin\",\"user\":\"U0FAKEALICE\"}" > /dev/null
wait_until called_ok pins.add "$m3"
wait_until posted_in "$room" "noted"
limited_at=$(get 'calls?method=chat.postMessage' | jq '[.items[] | select(.status == 429)][0].time')
pinned_at=$(get 'calls?method=pins.add' | jq --arg t "$m3" '[.items[] | select(.ok and .params.timestamp == $t)][0].time')
expect "the pin did not wait for chat.postMessage's Retry-After" "$(jq -n "$pinned_at < $limited_at + 2.9")" "true"

# Playbook step buttons: a click is recorded, then the step message shows
# who did it instead of its buttons.
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> playbook start locks\"}" > /dev/null
step_ts() { get 'calls?method=chat.postMessage' | jq -r --arg r "$room" --arg s "$1 of 3" '[.items[] | select(.ok and .params.channel == $r and (.params.text | contains($s)))][0].response.ts // empty'; }
step_posted() { [ -n "$(step_ts "$1")" ]; }
wait_until step_posted S1
s1=$(step_ts S1)
ctl block_actions "{\"channel\":\"$room\",\"message_ts\":\"$s1\",\"action_id\":\"step_done\",\"value\":\"S1\",\"user\":\"U0FAKEBOB\"}" > /dev/null
wait_until called_ok chat.update "$s1"
update=$(get 'calls?method=chat.update' | jq -c --arg t "$s1" '[.items[] | select(.ok and .params.ts == $t)][0].params')
expect "the update is for the step message" "$(jq -r .channel <<< "$update")" "$room"
expect "its buttons are gone" "$(jq '[.blocks[] | select(.type == "actions")] | length' <<< "$update")" "0"
expect "its text stays" "$(jq '[.blocks[] | select(.type == "section") | .text.text | contains("Find the root blocker")] | any' <<< "$update")" "true"
expect_grep "it says who did it" <(jq -r '.blocks[] | select(.type == "context") | .elements[0].text' <<< "$update") '^✅ Done by <@U0FAKEBOB> at <!date\^[0-9]+\^\{time\}\|[0-9]{2}:[0-9]{2} UTC>$'
expect "the fake's message has no buttons left" "$(get state | jq --arg r "$room" --arg t "$s1" '[.channels[] | select(.id == $r) | .messages[] | select(.ts == $t) | .blocks[]? | select(.type == "actions")] | length')" "0"
# The same click again is refused by the core (S1 is done): the message
# is not rewritten a second time.
ctl block_actions "{\"channel\":\"$room\",\"message_ts\":\"$s1\",\"action_id\":\"step_skip\",\"value\":\"S1\",\"user\":\"U0FAKEALICE\"}" > /dev/null
told() { get 'calls?method=chat.postEphemeral' | jq -e --arg r "$room" --arg u "$1" --arg t "$2" '[.items[] | select(.ok and .params.channel == $r and .params.user == $u and (.params.text | contains($t)))] | length > 0' > /dev/null; }
wait_until told U0FAKEALICE "already done by"
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"sync point two\"}" > /dev/null
wait_until arrived "sync point two"
wait_until follow_ups_done
expect "a refused click rewrites nothing" "$(get 'calls?method=chat.update' | jq --arg t "$s1" '[.items[] | select(.params.ts == $t)] | length')" "1"
expect "and queues nothing" "$(q "select count(*) from outbox where kind = 'follow_up' and body like '%$s1%'")" "1"
# Skip on S2.
wait_until step_posted S2
s2=$(step_ts S2)
ctl block_actions "{\"channel\":\"$room\",\"message_ts\":\"$s2\",\"action_id\":\"step_skip\",\"value\":\"S2\",\"user\":\"U0FAKEALICE\"}" > /dev/null
wait_until called_ok chat.update "$s2"
expect_grep "a skip says so" <(get 'calls?method=chat.update' | jq -r --arg t "$s2" '[.items[] | select(.ok and .params.ts == $t)][0].params.blocks[] | select(.type == "context") | .elements[0].text') '^⏭ Skipped by <@U0FAKEALICE> at '
expect "the skip is recorded" "$(q "select state, by_id from playbook_steps where n = 2")" "skipped|U0FAKEALICE"

# Joins and leaves: on the timeline as messages, never commands.
ctl event "{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"inviter\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOB> has joined the channel\"}" > /dev/null
joined() { [ "$(q "select count(*) from timeline where author_id = '$1' and text = 'joined the channel'")" = 1 ]; }
wait_until joined U0FAKEBOB
expect "a join is a message on the timeline, by name" "$(q "select kind, author_id, author_name != author_id from timeline where author_id = 'U0FAKEBOB' and text = 'joined the channel'")" "message|U0FAKEBOB|1"
j=$(ctl event "{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> close\"}" | jq -r .event_ts)
recorded_ts() { [ "$(q "select count(*) from timeline where source_id = '$1'")" = 1 ]; }
wait_until recorded_ts "$j"
expect "a join is never a command: the incident is still open" "$(q "select closed_ms is null from incidents where id = 1")" "1"
expect "and it is on the timeline as a message" "$(q "select kind from timeline where source_id = '$j'")" "message"
# Redelivered (the same channel and ts): one entry.
ctl event "{\"event\":{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> close\",\"ts\":\"$j\",\"event_ts\":\"$j\"}}" > /dev/null
ctl event "{\"type\":\"message\",\"subtype\":\"channel_leave\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"<@U0FAKEBOB> has left the channel\"}" > /dev/null
left() { [ "$(q "select count(*) from timeline where author_id = 'U0FAKEBOB' and text = 'left the channel'")" = 1 ]; }
wait_until left
expect "a redelivered join is one entry" "$(q "select count(*) from timeline where source_id = '$j'")" "1"
# Backfilled like any message: a join while Scribe was down.
stop_scribe
ctl users '{"id":"U0FAKECAROL","name":"carol"}' > /dev/null
ctl messages "{\"channel\":\"$room\",\"subtype\":\"channel_join\",\"user\":\"U0FAKECAROL\",\"text\":\"<@U0FAKECAROL> has joined the channel\"}" > /dev/null
start_scribe
wait_until joined U0FAKECAROL
expect "a backfilled join is a message" "$(q "select kind, author_id from timeline where author_id = 'U0FAKECAROL' and text = 'joined the channel'")" "message|U0FAKECAROL"
wait_until connected

status=0
stop_scribe || status=$?
expect "SIGTERM ends scribe cleanly" "$status" "0"
done_checks
