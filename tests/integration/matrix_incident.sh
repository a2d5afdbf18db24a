# A whole incident in Matrix, through the fake homeserver: `scribe run`
# checks its token (whoami) and long-polls /sync; an invite from an allowed
# server is joined, one from elsewhere declined; `!inc declare` creates a
# private room with name, topic, invites and the commander as moderator;
# talk in it (a thread, an edit, a redaction, a file, an emote, a reply,
# 📌, an encrypted message) lands on the timeline; a ✅ on a step message
# completes it; malformed and unknown events are skipped; a limited sync
# is filled from /messages, a failed page read again, one that keeps
# failing marked as a gap; a kill -9 mid-sync loses and repeats nothing;
# a send that failed after the homeserver took it is one event (same
# transaction id), across a crash too; a 429 storm keeps every reply in
# order; close uploads the postmortem; SIGTERM ends cleanly.
source "$(dirname "$0")/lib.bash"
: "${FAKE_MATRIX:?set FAKE_MATRIX to the fake_matrix binary}"

"$FAKE_MATRIX" 0 > fake.out 2> fake.err &
fake=$!
bot=
trap 'kill $fake $bot 2>/dev/null; wait $fake $bot 2>/dev/null; rm -rf "$WORK"' EXIT
wait_until grep -q '^listening on ' fake.out
port=$(sed -n 's/^listening on //p' fake.out)
hs=http://127.0.0.1:$port
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$hs/_control/$1"; }
get() { curl -sf "$hs/_control/$1"; }
say() { ctl send "{\"room\":\"$1\",\"sender\":\"$2\",\"body\":$(jq -Rn --arg b "$3" '$b')}" | jq -r .event_id; }

general=$(ctl room '{"alias":"general","name":"General","creator":"@alice:fake.test","members":["@alice:fake.test","@bob:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
ops=$(ctl room '{"alias":"ops","creator":"@alice:fake.test","members":["@alice:fake.test"]}' | jq -r .room_id)
evil=$(ctl room '{"alias":"evil","creator":"@carol:fake.test","members":["@carol:fake.test"]}' | jq -r .room_id)
mkdir playbooks
cat > playbooks/locks.yaml <<P
id: locks
title: Lock check
triggers:
  keywords: [deadlock]
steps:
  - id: blockers
    title: Find the root blocker
    instructions: Run the blocking-chain query.
  - id: decide
    title: End it or roll back
    instructions: Decide with the commander.
P
cat > scribe.yaml <<C
store:
  path: scribe.db
matrix:
  homeserver: $hs
  allowed_inviters: ["@alice:fake.test"]
  sync_timeout_ms: 5000
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C
start_bot() {
	MATRIX_ACCESS_TOKEN=syt-fake-scribe-token "$SCRIBE" run -c scribe.yaml 2>> bot.err &
	bot=$!
}
start_bot
# The first sync is committed: its position is in the store.
synced() { [ -n "$(q "select value from cursors where transport = 'matrix'" 2>/dev/null)" ]; }
wait_until synced
expect "whoami checked the token" "$(get 'calls?endpoint=whoami' | jq -r '.items[0].response.user_id')" "@scribe:fake.test"
expect "the sync filter asks only for what Scribe records" "$(get 'calls?endpoint=sync' | jq -r '.items[0].query' | grep -c 'm.room.message')" "1"

# Invites: from an allowed inviter joined; from anyone else declined.
ctl invite "{\"room\":\"$ops\",\"sender\":\"@alice:fake.test\",\"user\":\"@scribe:fake.test\"}" > /dev/null
ctl invite "{\"room\":\"$evil\",\"sender\":\"@carol:fake.test\",\"user\":\"@scribe:fake.test\"}" > /dev/null
answered() { [ "$(get 'calls?endpoint=join' | jq '.items | length')" -ge 1 ] && [ "$(get 'calls?endpoint=leave' | jq '.items | length')" -ge 1 ]; }
wait_until answered
expect "the allowed invite is joined" "$(get 'calls?endpoint=join' | jq --arg r "$ops" '.items[0].path | contains($r)')" "true"
expect "the other is declined" "$(get 'calls?endpoint=leave' | jq --arg r "$evil" '.items[0].path | contains($r)')" "true"

# Declare from #general.
say "$general" @alice:fake.test "!inc declare Orders database deadlock sev1" > /dev/null
has_room() { [ -n "$(q "select room from incidents where id = 1" 2>/dev/null)" ]; }
wait_until has_room
room=$(q "select room from incidents where id = 1")
create=$(get 'calls?endpoint=createRoom' | jq '.items[0].body')
expect "the room is private" "$(jq -r .preset <<< "$create")" "private_chat"
expect "it is named after the incident" "$(jq -r .name <<< "$create")" "INC-1 Orders database deadlock"
expect "its topic says where it stands" "$(jq -r .topic <<< "$create")" "INC-1 · sev1 · investigating · Orders database deadlock"
expect "the declarer is invited" "$(jq -c .invite <<< "$create")" '["@alice:fake.test"]'
expect "the commander moderates" "$(jq -r '.power_level_content_override.users["@alice:fake.test"]' <<< "$create")" "50"
expect "the alias is the channel name" "$(jq -r .room_alias_name <<< "$create")" "inc-1-orders-database-deadlock"
notices() { get "events?room=$(jq -rn --arg r "$1" '$r|@uri')" | jq -r '[.items[] | select(.sender == "@scribe:fake.test" and .type == "m.room.message") | .content.body] | join("\n")'; }
posted_in() { notices "$1" | grep -qF -- "$2"; }
wait_until posted_in "$general" "INC-1 declared"
wait_until posted_in "$room" "Declared by"
expect "notices are m.notice with HTML" "$(get "events?room=$(jq -rn --arg r "$room" '$r|@uri')" | jq -r '[.items[] | select(.sender == "@scribe:fake.test" and .type == "m.room.message")][0] | "\(.content.msgtype) \(.content.format)"')" "m.notice org.matrix.custom.html"
expect "no send was refused as invalid" "$(get 'calls?endpoint=send' | jq '[.items[] | select(.invalid != null)] | length')" "0"

# Talk in the room.
ctl join "{\"room\":\"$room\",\"user\":\"@alice:fake.test\"}" > /dev/null
ctl join "{\"room\":\"$room\",\"user\":\"@bob:fake.test\"}" > /dev/null
m1=$(say "$room" @bob:fake.test "p99 is 4s on checkout")
ctl send "{\"room\":\"$room\",\"sender\":\"@alice:fake.test\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"same in eu\",\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"* p99 is 8s on checkout\",\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"p99 is 8s on checkout\"},\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$m1\"}}}" > /dev/null
m2=$(say "$room" @bob:fake.test "password hunter2")
ctl redact "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"event_id\":\"$m2\"}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@alice:fake.test\",\"type\":\"m.reaction\",\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$m1\",\"key\":\"📌\"}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"content\":{\"msgtype\":\"m.file\",\"body\":\"error.log\",\"filename\":\"error.log\",\"url\":\"mxc://fake.test/log1\",\"info\":{\"mimetype\":\"text/plain\",\"size\":10}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@alice:fake.test\",\"content\":{\"msgtype\":\"m.emote\",\"body\":\"restarts the replica\"}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@alice:fake.test\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"> <@bob:fake.test> p99 is 4s on checkout\\n\\nconfirmed from the dashboard\",\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$m1\"}}}}" > /dev/null
say "$room" @alice:fake.test "!inc hypothesis lock from migration 42" > /dev/null
recorded() { [ "$(q "select count(*) from timeline where kind = 'hypothesis'")" -ge 1 ]; }
wait_until recorded
expect "messages, the thread, the redacted one, the file, the emote and the reply are on the timeline" "$(q "select count(*) from timeline where kind in ('message', 'file') and room = '$room' and text != 'joined the room'")" "6"
expect "the thread reply keeps its root" "$(q "select thread from timeline where text = 'same in eu'")" "$m1"
expect "the edit keeps the history" "$(q "select text, edits from timeline where source_id = '$m1'")" "p99 is 8s on checkout|1"
expect "the redaction leaves a tombstone without the secret" "$(q "select count(*) from timeline where text like '%hunter2%'")" "0"
expect "it is a tombstone, by its display name" "$(q "select deleted_by from timeline where source_id = '$m2'")" "bob"
expect "the pin marks a key entry" "$(q "select key from timeline where source_id = '$m1'")" "1"
expect "the file is recorded" "$(q "select name, type, url from files")" "error.log|text/plain|mxc://fake.test/log1"
expect "the emote reads as one" "$(q "select count(*) from timeline where text = '* restarts the replica'")" "1"
expect "the reply keeps only the answer" "$(q "select count(*) from timeline where text = 'confirmed from the dashboard'")" "1"
expect "joins are on the timeline" "$(q "select count(*) from timeline where room = '$room' and text = 'joined the room'")" "2"

# Encrypted messages: recorded as unreadable, and the room is told once.
for n in 1 2; do
	ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"type\":\"m.room.encrypted\",\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":\"AwgA$n\",\"sender_key\":\"k\",\"session_id\":\"s\",\"device_id\":\"D\"}}" > /dev/null
done
unreadable() { [ "$(q "select count(*) from timeline where text like '%not readable%'")" = 2 ]; }
wait_until unreadable
wait_until posted_in "$room" "end-to-end encrypted"
expect "the room is told once" "$(notices "$room" | grep -c 'end-to-end encrypted')" "1"
expect_grep "it says what was seen: one sender's client encrypted" <(notices "$room") \
	'^Scribe received an end-to-end encrypted message from bob \(their client encrypted it\) and cannot read it'
expect "it does not call the room encrypted" "$(notices "$room" | grep -c 'This room is end-to-end encrypted')" "0"

# Malformed and unknown events are skipped with a log line; the rest of
# their sync is kept.
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"raw\":{\"type\":\"m.room.message\",\"content\":{\"msgtype\":\"m.text\",\"body\":42}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"raw\":{\"type\":\"m.reaction\",\"content\":{\"m.relates_to\":\"nope\"}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"raw\":{\"type\":\"org.example.unknown\",\"content\":{\"x\":1}}}" > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"raw\":{\"type\":\"m.room.message\",\"origin_server_ts\":\"yesterday\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"bad time\"}}}" > /dev/null
say "$room" @bob:fake.test "after the bad events" > /dev/null
arrived() { [ "$(q "select count(*) from timeline where text = '$1'")" = 1 ]; }
wait_until arrived "after the bad events"
expect "nothing of the bad events is recorded" "$(q "select count(*) from timeline where text = 'bad time'")" "0"
expect_grep "malformed events are logged" bot.err 'event in .* skipped'
# A malformed sync body: logged, skipped, and the sync goes on.
ctl sync_raw '{"body":"{\"next_batch\": not json"}' > /dev/null
say "$room" @bob:fake.test "after the bad sync" > /dev/null
wait_until arrived "after the bad sync"
# The sync parked when the body was armed may answer first: the bad body
# goes to the one after it.
wait_until grep -q 'sync response skipped' bot.err
# An oversized one (over the 32 MiB Scribe reads): smaller syncs after it,
# and nothing lost.
ctl sync_raw '{"repeat_bytes":34000000}' > /dev/null
say "$room" @bob:fake.test "before the huge sync" > /dev/null
wait_until grep -q 'sync response was too large' bot.err
say "$room" @bob:fake.test "after the huge sync" > /dev/null
wait_until arrived "after the huge sync"

# A playbook step: ✅ on its message completes it, like `step done S1`.
say "$room" @alice:fake.test "!inc playbook start locks" > /dev/null
step_event() { get "events?room=$(jq -rn --arg r "$room" '$r|@uri')" | jq -r '[.items[] | select(.sender == "@scribe:fake.test" and .content["org.scribe.step"] == "S1")][0].event_id // empty'; }
has_step() { [ -n "$(step_event)" ]; }
wait_until has_step
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"type\":\"m.reaction\",\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$(step_event)\",\"key\":\"✅️\"}}}" > /dev/null
step_done() { [ "$(q "select state, by_id from playbook_steps where n = 1")" = "done|@bob:fake.test" ]; }
wait_until step_done
expect "the reaction is on the timeline as the step" "$(q "select count(*) from timeline where kind = 'playbook' and text like 'locks S1 done%'")" "1"

# A limited sync: more events at once than a sync carries; /messages
# fills the gap, each event once.
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"body\":\"burst\",\"count\":1200}" > /dev/null
burst() { [ "$(q "select count(*) from timeline where text like 'burst %'")" = 1200 ]; }
wait_until burst
expect "the sync was limited and filled from /messages" "$(get 'calls?endpoint=messages' | jq '[.items[] | select(.status == 200)] | length > 0')" "true"
expect "each burst event once, none lost" "$(q "select count(distinct text) from timeline where text like 'burst %'")" "1200"
expect "no gap was marked" "$(q "select count(*) from timeline where kind = 'gap'")" "0"

# A /messages page that fails (500, 502) is read again with backoff: the
# history that was still on the server is all stored, no gap.
ctl fail '{"endpoint":"messages","count":2,"status":502}' > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"body\":\"second\",\"count\":600}" > /dev/null
second() { [ "$(q "select count(*) from timeline where text like 'second %'")" = 600 ]; }
wait_until second
expect "the failed pages were asked again" "$(get 'calls?endpoint=messages' | jq '[.items[] | select(.status == 502)] | length')" "2"
expect "and nothing became a gap" "$(q "select count(*) from timeline where kind = 'gap'")" "0"
expect_grep "the retry is logged" bot.err '/messages in .*: M_UNKNOWN .*again in'
# A page that keeps failing becomes a gap after a bounded time (four of
# the longest reconnect waits, 800 ms here), and the sync goes on.
ctl fail '{"endpoint":"messages","count":100000,"status":500}' > /dev/null
ctl send "{\"room\":\"$room\",\"sender\":\"@bob:fake.test\",\"body\":\"third\",\"count\":600}" > /dev/null
gapped() { [ "$(q "select count(*) from timeline where kind = 'gap'")" = 1 ]; }
wait_until gapped
ctl fail '{"endpoint":"messages","count":0}' > /dev/null
say "$room" @bob:fake.test "after the gap" > /dev/null
wait_until arrived "after the gap"
expect "the gap says what happened" "$(q "select text from timeline where kind = 'gap'")" "history missed while Scribe was behind could not be read (/messages: M_UNKNOWN): messages may be missing here"
expect "the newest events of that sync are kept" "$(q "select count(*) from timeline where text like 'third %'")" "250"

# kill -9 while the sync is parked; people talk; a restart picks up from
# the stored next_batch: nothing lost, nothing twice.
kill -9 $bot
wait $bot 2>/dev/null || true
say "$room" @bob:fake.test "said while scribe was dead" > /dev/null
say "$room" @alice:fake.test "and a second line" > /dev/null
start_bot
wait_until arrived "said while scribe was dead"
wait_until arrived "and a second line"
expect "nothing twice after the restart" "$(q "select count(*) - count(distinct source_id) from timeline where source_id is not null")" "0"

# A send the homeserver took but answered 502: sent again with the same
# transaction id, and Scribe is killed in its backoff; after the restart
# the message exists once.
ctl fail '{"endpoint":"send","count":1,"status":502,"apply":true}' > /dev/null
say "$room" @alice:fake.test "!inc action check the replica" > /dev/null
failed_once() { [ "$(get 'calls?endpoint=send' | jq '[.items[] | select(.status == 502)] | length')" -ge 1 ]; }
wait_until failed_once
kill -9 $bot
wait $bot 2>/dev/null || true
start_bot
noted() { [ "$(notices "$room" | grep -c 'check the replica')" -ge 1 ] && [ "$(q "select count(*) from outbox where sent_ms is null")" = 0 ]; }
wait_until noted
txn=$(get 'calls?endpoint=send' | jq -r '[.items[] | select(.status == 502)][0].path')
expect "the resend used the same transaction id" "$(get 'calls?endpoint=send' | jq --arg p "$txn" '[.items[] | select(.path == $p)] | length > 1')" "true"
expect "the reply is in the room once" "$(notices "$room" | grep -c 'check the replica')" "1"

# A 429 storm on sends (retry_after_ms only, no Retry-After header): every
# reply arrives, in order.
ctl ratelimit '{"endpoint":"send","count":4,"retry_after_ms":200,"header":false}' > /dev/null
for n in one two three four; do
	say "$room" @alice:fake.test "!inc action storm $n" > /dev/null
done
stormed() { [ "$(notices "$room" | grep -c 'storm')" -ge 4 ]; }
wait_until stormed
expect "four 429s were answered" "$(get 'calls?endpoint=send' | jq '[.items[] | select(.status == 429)] | length')" "4"
expect "the replies kept their order" "$(notices "$room" | grep -o 'storm [a-z]*' | tr '\n' ' ')" "storm one storm two storm three storm four "

# Close: the postmortem is written and uploaded to the media repository,
# announced, and sent as an m.file.
say "$room" @alice:fake.test "!inc close" > /dev/null
pm_file() { get "events?room=$(jq -rn --arg r "$room" '$r|@uri')" | jq -e '[.items[] | select(.sender == "@scribe:fake.test" and .content.msgtype == "m.file")] | length == 1' > /dev/null; }
wait_until pm_file
expect "the postmortem and its picture are written" "$(ls postmortems | tr "\n" " ")" "INC-1-orders-database-deadlock.md INC-1-orders-database-deadlock.svg "
expect "the upload is the document, byte for byte" "$(get 'calls?endpoint=upload' | jq '[.items[] | select(.status == 200)][0].body')" "$(wc -c < postmortems/INC-1-orders-database-deadlock.md)"
expect "the file names the document" "$(get "events?room=$(jq -rn --arg r "$room" '$r|@uri')" | jq -r '[.items[] | select(.content.msgtype == "m.file" and .sender == "@scribe:fake.test")][0] | "\(.content.filename) \(.content.info.mimetype) \(.content.url | startswith("mxc://"))"')" "INC-1-orders-database-deadlock.md text/markdown true"
wait_until posted_in "$room" "INC-1 closed"

kill -TERM $bot
status=0
wait $bot || status=$?
bot=
expect "SIGTERM ends scribe cleanly" "$status" "0"
expect "with no unclean loop" "$(grep -c 'did not close cleanly' bot.err || true)" "0"
done_checks
