# Signing in to Matrix: a refused access token, a wrong password and a
# homeserver that is not there each stop or warn with the fix named; a
# password login keeps its device id in the store, so the next start logs
# in as the same device (its transaction ids stay its own); Slack and
# Matrix sections together run in one process.
source "$(dirname "$0")/lib.bash"
: "${FAKE_MATRIX:?set FAKE_MATRIX to the fake_matrix binary}"

"$FAKE_MATRIX" 0 > fake.out 2> fake.err &
fake=$!
bot=
trap 'kill $fake $bot 2>/dev/null; wait $fake $bot 2>/dev/null; rm -rf "$WORK"' EXIT
wait_until grep -q '^listening on ' fake.out
port=$(sed -n 's/^listening on //p' fake.out)
hs=http://127.0.0.1:$port
get() { curl -sf "$hs/_control/$1"; }

config() {
	cat > scribe.yaml <<C
store:
  path: scribe.db
matrix:
  homeserver: $1
  user_id: "@scribe:fake.test"
  sync_timeout_ms: 1000
  reconnect_min_ms: 20
  reconnect_max_ms: 100
C
}

# A token the homeserver does not know: exit 1, naming the variable.
config "$hs"
status=0
MATRIX_ACCESS_TOKEN=syt-not-a-token timeout 20 "$SCRIBE" run -c scribe.yaml 2> bad-token.err || status=$?
expect "a refused token stops scribe" "$status" "1"
expect_grep "and says which variable to fix" bad-token.err 'M_UNKNOWN_TOKEN.*MATRIX_ACCESS_TOKEN|MATRIX_ACCESS_TOKEN.*M_UNKNOWN_TOKEN'

# A wrong password: exit 1, naming M_FORBIDDEN and the variable.
status=0
MATRIX_PASSWORD=wrong timeout 20 "$SCRIBE" run -c scribe.yaml 2> bad-password.err || status=$?
expect "a wrong password stops scribe" "$status" "1"
expect_grep "and says so" bad-password.err 'M_FORBIDDEN.*MATRIX_PASSWORD'

# Neither secret: the error names both variables.
status=0
env -u MATRIX_ACCESS_TOKEN -u MATRIX_PASSWORD "$SCRIBE" run -c scribe.yaml 2> none.err || status=$?
expect "no secret is an error" "$status" "1"
expect_grep "naming both variables" none.err 'MATRIX_ACCESS_TOKEN.*MATRIX_PASSWORD'

# A homeserver that is not there: scribe keeps trying and says why.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
config "http://127.0.0.1:$closed"
MATRIX_ACCESS_TOKEN=syt-fake-scribe-token "$SCRIBE" run -c scribe.yaml 2> unreachable.err &
bot=$!
retried() { [ "$(grep -c 'cannot reach the homeserver' unreachable.err)" -ge 2 ]; }
wait_until retried
kill -TERM $bot
status=0
wait $bot || status=$?
bot=
expect "it stops cleanly while retrying" "$status" "0"

# A password login: the device id is kept, and the next start is the same
# device.
config "$hs"
login_device() { get 'calls?endpoint=login' | jq -r "[.items[] | select(.status == 200)][$1].response.device_id // empty"; }
for run in 0 1; do
	MATRIX_PASSWORD=scribe-pass "$SCRIBE" run -c scribe.yaml 2>> login.err &
	bot=$!
	logged_in() { [ -n "$(login_device "$1")" ]; }
	wait_until logged_in $run
	synced() { [ "$(get 'calls?endpoint=sync' | jq "[.items[] | select(.status == 200)] | length")" -ge $((run + 1)) ]; }
	wait_until synced
	kill -TERM $bot
	wait $bot
	bot=
done
expect "the first login asked for no device" "$(get 'calls?endpoint=login' | jq -r '[.items[] | select(.status == 200)][0].body.device_id // "none"')" "none"
expect "the second login asked for the same device" "$(get 'calls?endpoint=login' | jq -r '[.items[] | select(.status == 200)][1].body.device_id')" "$(login_device 0)"
expect "the device id is in the store" "$(q "select value from cursors where transport = 'matrix.device'")" "$(login_device 0)"
expect "the password is not" "$(q "select count(*) from cursors where value like '%scribe-pass%'")" "0"

# Slack and Matrix in one process, each with its own incidents.
: "${FAKE_SLACK:?set FAKE_SLACK to the fake_slack binary}"
"$FAKE_SLACK" 0 > slack.out 2> slack.err &
fake_slack=$!
trap 'kill $fake $fake_slack $bot 2>/dev/null; wait $fake $fake_slack $bot 2>/dev/null; rm -rf "$WORK"' EXIT
wait_until grep -q '^listening on ' slack.out
slack=http://127.0.0.1:$(sed -n 's/^listening on //p' slack.out)
curl -sf -X POST -d '{"name":"general","id":"C0GENERAL","bot_member":true,"members":["U0FAKEALICE"]}' "$slack/_control/channels" > /dev/null
general=$(curl -sf -X POST -d '{"alias":"both","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' "$hs/_control/room" | jq -r .room_id)
config "$hs"
cat >> scribe.yaml <<C
slack:
  api_url: $slack/api/
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C
SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token MATRIX_PASSWORD=scribe-pass \
	"$SCRIBE" run -c scribe.yaml 2> both.err &
bot=$!
slack_up() { [ "$(curl -sf "$slack/_control/connections" | jq '.connections | length')" -ge 1 ]; }
wait_until slack_up
matrix_up() { [ "$(get parked | jq '.parked')" -ge 1 ]; }
wait_until matrix_up
curl -sf -X POST -d '{"text":"declare Slack side outage","channel_id":"C0GENERAL","user_id":"U0FAKEALICE"}' "$slack/_control/slash" > /dev/null
curl -sf -X POST -d "{\"room\":\"$general\",\"sender\":\"@alice:fake.test\",\"body\":\"!inc declare Matrix side outage\"}" "$hs/_control/send" > /dev/null
both() { [ "$(q "select count(*) from incidents where room is not null")" = 2 ]; }
wait_until both
expect "each platform has its incident" "$(q "select platform || ':' || title from incidents order by platform")" "$(printf 'matrix:Matrix side outage\nslack:Slack side outage')"
kill -TERM $bot
status=0
wait $bot || status=$?
bot=
expect "both stop cleanly" "$status" "0"
done_checks
