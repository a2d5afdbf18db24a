# People's names survive a restart on Matrix, through the fake homeserver:
# a homeserver sends a member event once to a device, so the display name
# it carried ("Bob Builder") is kept and used after a restart, not the id
# and not the profile's default; a sender with no display name anywhere
# is named from its profile (asked once), and its rows are renamed.
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
member() { ctl send "{\"room\":\"$1\",\"sender\":\"$2\",\"type\":\"m.room.member\",\"state_key\":\"$2\",\"content\":{\"membership\":\"join\",\"displayname\":\"$3\"}}" > /dev/null; }

general=$(ctl room '{"alias":"general","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
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
stop_bot() { kill -TERM $bot; wait $bot; }
start_bot
synced() { [ -n "$(q "select value from cursors where transport = 'matrix'" 2>/dev/null)" ]; }
wait_until synced
say "$general" @alice:fake.test "!inc declare Orders database deadlock sev2" > /dev/null
has_room() { [ -n "$(q "select room from incidents where id = 1" 2>/dev/null)" ]; }
wait_until has_room
room=$(q "select room from incidents where id = 1")
member "$room" @bob:fake.test "Bob Builder"
ctl join "{\"room\":\"$room\",\"user\":\"@carol:fake.test\"}" > /dev/null
say "$room" @bob:fake.test "p99 is 4s" > /dev/null
say "$room" @carol:fake.test "seeing it too" > /dev/null
name_of() { q "select author_name from timeline where text = '$1'" 2>/dev/null; }
is_named() { [ "$(name_of "$1")" = "$2" ]; }
wait_until is_named "p99 is 4s" "Bob Builder"
# carol has no display name in any member event: her profile names her.
wait_until is_named "seeing it too" "carol"
expect "carol's join is renamed too" "$(q "select author_name from timeline where author_id = '@carol:fake.test' and text = 'joined the room'")" "carol"
expect "the names are kept" "$(q "select id || '=' || name from users where platform = 'matrix' and id != '@scribe:fake.test' order by id" | tr '\n' ' ')" "@alice:fake.test=alice @bob:fake.test=Bob Builder @carol:fake.test=carol "
stop_bot
expect "the first run stops cleanly" "$?" "0"
profiles=$(get 'calls?endpoint=profile' | jq '.items | length')

# After the restart the member events do not come again.
start_bot
wait_until synced
say "$room" @bob:fake.test "after the restart" > /dev/null
say "$room" @carol:fake.test "me too" > /dev/null
arrived() { [ -n "$(name_of "$1")" ]; }
wait_until arrived "after the restart"
wait_until arrived "me too"
expect "bob keeps his display name" "$(name_of "after the restart")" "Bob Builder"
expect "carol keeps hers" "$(name_of "me too")" "carol"
expect "no profile was asked again" "$(get 'calls?endpoint=profile' | jq '.items | length')" "$profiles"
expect "no row shows an id" "$(q "select count(*) from timeline where author_name like '@%'")" "0"
stop_bot
expect "scribe stops cleanly" "$?" "0"
bot=
done_checks
