# Announcements on Matrix, through the fake homeserver: the declare reply
# and the announcement room (`announce:`, by alias) wait until the
# incident's room exists, and link to the room made - its real alias,
# here "-2" because someone squatted the first - never to the slug.
# `update` posts the standard shape in the room and the announcement room;
# resolve and close are announced there too.
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

general=$(ctl room '{"alias":"general","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
incidents=$(ctl room '{"alias":"incidents","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
# Someone holds the alias the incident's room would take.
ctl room '{"alias":"inc-1-orders-database-deadlock","creator":"@carol:fake.test","members":["@carol:fake.test"]}' > /dev/null
cat > scribe.yaml <<C
store:
  path: scribe.db
matrix:
  homeserver: $hs
  allowed_inviters: ["@alice:fake.test"]
  announce: ["#incidents:fake.test"]
  sync_timeout_ms: 5000
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C
MATRIX_ACCESS_TOKEN=syt-fake-scribe-token "$SCRIBE" run -c scribe.yaml 2>> bot.err &
bot=$!
synced() { [ -n "$(q "select value from cursors where transport = 'matrix'" 2>/dev/null)" ]; }
wait_until synced

# createRoom fails twice (500) before it works: nothing names the room
# meanwhile.
ctl fail '{"endpoint":"createRoom","count":2,"status":500}' > /dev/null
say "$general" @alice:fake.test "!inc declare Orders database deadlock sev1" > /dev/null
creates() { [ "$(get 'calls?endpoint=createRoom' | jq '[.items[] | select(.status == 200)] | length')" -ge 1 ]; }
wait_until creates
wait_until posted_in "$general" "INC-1 declared"
room=$(q "select room from incidents where id = 1")
made=$(get 'calls?endpoint=createRoom' | jq -r '[.items[] | select(.status == 200)][0].body.room_alias_name')
alias="#$made:fake.test"
expect "the alias made is not the squatted one" "$([ "$made" != inc-1-orders-database-deadlock ] && echo yes)" "yes"
expect "the alias stored is the one made" "$(q "select room_alias from incidents where id = 1")" "$alias"
expect "it is the room's" "$(get rooms | jq -r --arg a "$alias" '.rooms[] | select(.aliases | index($a)) | .room_id')" "$room"
first_ok=$(get 'calls?endpoint=createRoom' | jq '[.items[] | select(.status == 200)][0].time_us')
sends_before=$(get 'calls?endpoint=send' | jq --argjson t "$first_ok" '[.items[] | select(.time_us < $t)] | length')
expect "nothing was posted before the room existed" "$sends_before" "0"
link="https://matrix.to/#/%23$made%3Afake.test"
declare_ev=$(events "$general" | jq -c '[.items[] | select(.sender == "@scribe:fake.test" and .type == "m.room.message")][0].content')
expect_grep "the declare reply links to the room made" <(jq -r .body <<< "$declare_ev") \
	"^🚨 INC-1 declared: Orders database deadlock \(sev1\) → \[$alias\]\($link\)$"
expect_grep "as an HTML link" <(jq -r .formatted_body <<< "$declare_ev") \
	"<a href=\"$link\">$alias</a>"
wait_until posted_in "$incidents" "INC-1 declared"
expect_grep "the announcement room too, joined by its alias" <(notices "$incidents") \
	"INC-1 declared: Orders database deadlock \(sev1\), commander alice → \[$alias\]"
expect "the alias was joined to find its room" "$(get 'calls?endpoint=join' | jq -r '[.items[] | .path] | map(select(contains("#incidents"))) | length > 0')" "true"

# An update: the shape in the room, and in the announcement room.
ctl join "{\"room\":\"$room\",\"user\":\"@alice:fake.test\"}" > /dev/null
say "$room" @alice:fake.test "!inc update Failover to the replica started" > /dev/null
wait_until posted_in "$incidents" "status update"
expect_grep "the update in the room" <(notices "$room") "^📣 INC-1 status update · sev1 · investigating$"
expect_grep "the update in the announcement room, with the link" <(notices "$incidents") \
	"^Channel: \[$alias\]\($link\)$"
expect_grep "it names the commander and the next update" <(notices "$incidents") "^Commander: alice · next update by [0-9:]+ UTC$"

say "$room" @alice:fake.test "!inc resolve" > /dev/null
wait_until posted_in "$incidents" "INC-1 resolved"
say "$room" @alice:fake.test "!inc close" > /dev/null
wait_until posted_in "$incidents" "INC-1 closed"
expect "no send was refused as invalid" "$(get 'calls?endpoint=send' | jq '[.items[] | select(.invalid != null)] | length')" "0"
expect "every row sent" "$(q "select count(*) from outbox where sent_ms is null")" "0"

kill -TERM $bot
wait $bot
expect "scribe stops cleanly" "$?" "0"
bot=
done_checks
