# log_level: debug shows what an operator needs when a platform misbehaves
# - every request (method and URL), every answer's status, the socket's
# open and close with the reason - and never a secret: not the Slack
# tokens, not the Socket Mode ticket, not a Matrix password or the access
# token a login returned, in any line.
source "$(dirname "$0")/slack_lib.bash"
: "${FAKE_MATRIX:?set FAKE_MATRIX to the fake_matrix binary}"

# ---- Slack: a declare, a message, a dropped socket and the reconnect.
echo "log_level: debug" >> scribe.yaml
start_scribe
wait_until connected
declare_incident U0FAKEALICE Debug drill sev2
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"hello\"}" > /dev/null
said_hello() { [ "$(q "select count(*) from timeline where text = 'hello'")" = 1 ]; }
wait_until said_hello
opens() { grep -c 'apps.connections.open -> 200' bot.err || true; }
ctl drop '{}' > /dev/null
reconnected() { [ "$(opens)" -ge 2 ] && connected; }
wait_until reconnected
stop_scribe || true

port=${api##*:}
expect_grep "requests: method and URL" bot.err "debug: http: POST http://127\.0\.0\.1:$port/api/auth\.test"
expect_grep "answers: the status, size and time" bot.err 'debug: http: POST [^ ]+/api/conversations\.create -> 200, [0-9]+ bytes in [0-9.]+ ms'
expect_grep "the socket's URL, ticket hidden" bot.err 'debug: ws: connecting to ws://[^ ]*ticket=\*\*\*'
expect_grep "the socket opening" bot.err 'debug: ws: 127\.0\.0\.1:[0-9]+ open'
expect_grep "the socket closing, with the reason" bot.err 'debug: ws: 127\.0\.0\.1:[0-9]+ closed: .+'
tickets=$(get 'calls?method=apps.connections.open' | jq -r '.items[].response.url // empty' | sed -n 's/.*ticket=\([^&]*\).*/\1/p')
expect "the fake handed out tickets" "$([ -n "$tickets" ] && echo yes)" "yes"
for secret in xoxb-fake-bot-token xapp-fake-app-token $tickets; do
	expect "no '$secret' in the Slack log" "$(grep -c -F -- "$secret" bot.err || true)" "0"
done
# Nothing a body holds: not the message text Slack sent back, nor a JSON
# key of a body.
expect "no message text in debug lines" "$(grep 'debug:' bot.err | grep -c -e 'hello' -e '"ok"' || true)" "0"

# ---- Matrix: a password login, then syncs.
"$FAKE_MATRIX" 0 > mfake.out 2> mfake.err &
mfake=$!
trap '{ kill -9 $bot; kill $fake $mfake; wait $fake $mfake $bot; } 2> /dev/null || true; rm -rf "$WORK"' EXIT
wait_until grep -qs '^listening on ' mfake.out
hs=http://127.0.0.1:$(sed -n 's/^listening on //p' mfake.out)
mget() { curl -sf "$hs/_control/$1"; }
cat > matrix.yaml <<C
store:
  path: matrix.db
log_level: debug
matrix:
  homeserver: $hs
  user_id: "@scribe:fake.test"
  sync_timeout_ms: 200
C
MATRIX_PASSWORD=scribe-pass "$SCRIBE" run -c matrix.yaml 2> matrix.err &
bot=$!
synced_twice() { [ "$(mget 'calls?endpoint=sync' | jq '[.items[] | select(.status == 200)] | length')" -ge 2 ]; }
wait_until synced_twice
kill -TERM "$bot"
wait "$bot" || true
bot=
token=$(mget 'calls?endpoint=login' | jq -r '[.items[] | select(.status == 200)][0].response.access_token')
expect "the login handed out a token" "$([ -n "$token" ] && [ "$token" != null ] && echo yes)" "yes"
expect_grep "the login request" matrix.err 'debug: http: POST http://127\.0\.0\.1:[0-9]+/_matrix/client/v3/login \([0-9]+ bytes\)'
expect_grep "syncs and their status" matrix.err 'debug: http: GET http://[^ ]+/sync[^ ]* -> 200'
for secret in scribe-pass "$token"; do
	expect "no '$secret' in the Matrix log" "$(grep -c -F -- "$secret" matrix.err || true)" "0"
done
done_checks
