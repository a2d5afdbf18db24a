# Matrix has no modals: a ✅ on a playbook step that needs evidence asks
# for it in the room (a reply to the step message), and the reply that
# carries it completes the step, recorded like `step done S<n> <evidence>`.
# A ✅ on a step without that need completes it at once; a reply to a step
# message nobody asked about is just a message.
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
events() { get "events?room=$(jq -rn --arg r "$1" '$r|@uri')"; }
notices() { events "$1" | jq -r '[.items[] | select(.sender == "@scribe:fake.test" and .type == "m.room.message") | .content.body] | join("\n")'; }
posted_in() { notices "$1" | grep -qF -- "$2"; }
react() { ctl send "{\"room\":\"$1\",\"sender\":\"$2\",\"type\":\"m.reaction\",\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$3\",\"key\":\"✅\"}}}" > /dev/null; }
reply() { ctl send "{\"room\":\"$1\",\"sender\":\"$2\",\"content\":{\"msgtype\":\"m.text\",\"body\":$(jq -n --arg b "$(printf '> <@scribe:fake.test> step\n\n%s' "$4")" '$b'),\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$3\"}}}}" | jq -r .event_id; }

general=$(ctl room '{"alias":"general","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
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
    evidence: required
  - id: decide
    title: End it or roll back
    instructions: Decide with the commander.
P
cat > scribe.yaml <<C
store:
  path: scribe.db
playbooks_dir: playbooks
matrix:
  homeserver: $hs
  allowed_inviters: ["@alice:fake.test"]
  sync_timeout_ms: 5000
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C
MATRIX_ACCESS_TOKEN=syt-fake-scribe-token "$SCRIBE" run -c scribe.yaml 2>> bot.err &
bot=$!
synced() { [ -n "$(q "select value from cursors where transport = 'matrix'" 2>/dev/null)" ]; }
wait_until synced
say "$general" @alice:fake.test "!inc declare Orders database deadlock sev2" > /dev/null
has_room() { [ -n "$(q "select room from incidents where id = 1" 2>/dev/null)" ]; }
wait_until has_room
room=$(q "select room from incidents where id = 1")
ctl join "{\"room\":\"$room\",\"user\":\"@alice:fake.test\"}" > /dev/null
say "$room" @alice:fake.test "!inc playbook start locks" > /dev/null
step_event() { events "$room" | jq -r --arg s "$1" '[.items[] | select(.sender == "@scribe:fake.test" and .content["org.scribe.step"] == $s)][0].event_id // empty'; }
has_step() { [ -n "$(step_event "$1")" ]; }
wait_until has_step S1
s1=$(step_event S1)
remembered() { [ -n "$(q "select value from cursors where transport = 'matrix.step $1'" 2>/dev/null)" ]; }
wait_until remembered "$s1"

# A reply before anyone asked is a message.
reply "$room" @alice:fake.test "$s1" "looking at it" > /dev/null
state() { q "select state from playbook_steps where n = $1"; }
arrived() { [ "$(q "select count(*) from timeline where text = '$1'")" -ge 1 ]; }
wait_until arrived "looking at it"
expect "an unasked reply is a message" "$(q "select kind from timeline where text = 'looking at it'")" "message"

react "$room" @alice:fake.test "$s1"
wait_until posted_in "$room" "S1 needs evidence: reply to its message"
expect "the ✅ alone did not complete it" "$(state 1)" "pending"
expect "the ✅ is no command" "$(q "select count(*) from timeline where kind = 'command' and text like 'step done%'")" "0"

reply "$room" @alice:fake.test "$s1" "pg_locks: pid 4242 blocks 17 sessions" > /dev/null
done1() { [ "$(state 1)" = done ]; }
wait_until done1
expect "the reply is the evidence" "$(q "select note, by_id from playbook_steps where n = 1")" "pg_locks: pid 4242 blocks 17 sessions|@alice:fake.test"
expect "recorded like the typed command" "$(q "select kind || ': ' || text from timeline where kind = 'command' and text like '%pid 4242%'")" "command: step done S1 pg_locks: pid 4242 blocks 17 sessions"

# A second reply is a message again: the question was answered.
reply "$room" @alice:fake.test "$s1" "and it is fixed" > /dev/null
wait_until arrived "and it is fixed"
expect "a later reply is a message" "$(q "select kind from timeline where text = 'and it is fixed'")" "message"

# A step without evidence: ✅ completes it.
wait_until has_step S2
s2=$(step_event S2)
wait_until remembered "$s2"
react "$room" @alice:fake.test "$s2"
done2() { [ "$(state 2)" = done ]; }
wait_until done2

kill -TERM $bot
wait $bot
expect "scribe stops cleanly" "$?" "0"
bot=
done_checks
