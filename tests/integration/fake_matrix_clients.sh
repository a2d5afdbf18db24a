# fake_matrix_clients.sh - the fake Matrix homeserver's fidelity, proven with
# the official client (matrix-js-sdk) and with raw requests for the error
# shapes, transaction ids, limited syncs and their backfill, long-polls and
# the control API's scripted failures.
#
# Needs FAKE_MATRIX (the fake_matrix binary; default: next to the scribe
# binary's build tree), node >= 20, npm, curl and jq. Uses the node_modules of
# tests/fakes/matrix/node when present (offline), else runs `npm ci` in a
# temporary copy. Skips (exit 0, "SKIP ...") only when the binary or node is
# missing, or when npm has no node_modules and the registry is unreachable.
set -euo pipefail
FAKE_MATRIX=${FAKE_MATRIX:-}
if [ -z "$FAKE_MATRIX" ] && [ -n "${SCRIBE:-}" ]; then
	FAKE_MATRIX=$(dirname "$SCRIBE")/tests/fakes/matrix/fake_matrix
fi
if [ -z "$FAKE_MATRIX" ] || [ ! -x "$FAKE_MATRIX" ]; then
	echo "SKIP fake_matrix_clients: no fake_matrix binary (set FAKE_MATRIX)"
	exit 0
fi
FAKE_MATRIX=$(cd "$(dirname "$FAKE_MATRIX")" && pwd)/$(basename "$FAKE_MATRIX")
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "SKIP fake_matrix_clients: node >= 20 is needed"
	exit 0
fi
: "${SCRIBE:=unused}"
export SCRIBE
source "$(dirname "$0")/lib.bash"

NODE_SRC=$SCRIBE_SOURCE_DIR/tests/fakes/matrix/node
FAKE_PID=
POLL_PID=
trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; [ -n "$POLL_PID" ] && kill "$POLL_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# --- the node project, in a temporary copy -----------------------------------
mkdir -p node
cp "$NODE_SRC/package.json" "$NODE_SRC/package-lock.json" "$NODE_SRC/check.mjs" node/
if [ -f "$NODE_SRC/node_modules/matrix-js-sdk/package.json" ]; then
	ln -s "$NODE_SRC/node_modules" node/node_modules
elif ! (cd node && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
	if ! npm ping >/dev/null 2>&1; then
		echo "SKIP fake_matrix_clients: npm ci failed and the registry is unreachable"
		exit 0
	fi
	cat node/npm.log >&2
	expect "npm ci" failed ok
	done_checks
	exit 1
fi

# --- start the fake on a free port ---------------------------------------
"$FAKE_MATRIX" 0 >fake.out 2>fake.err &
FAKE_PID=$!
listening() { grep -q '^listening on [0-9]' fake.out 2>/dev/null || { sleep 0.05 && false; }; }
wait_until listening
PORT=$(awk '/^listening on/ {print $3; exit}' fake.out)
BASE=http://127.0.0.1:$PORT
CS=$BASE/_matrix/client/v3
SCRIBE_AUTH='Authorization: Bearer syt-fake-scribe-token'
ALICE_AUTH='Authorization: Bearer syt-fake-alice-token'

# errcode ARGS...: "<http status> <errcode or ok>" of a request
errcode() {
	curl -s -o resp.json -w '%{http_code}' "$@" >code.txt || true
	printf '%s %s' "$(cat code.txt)" "$(jq -r '.errcode // "ok"' resp.json 2>/dev/null || echo unreadable)"
}
ctl() { curl -s "$BASE/_control/$1" ${2:+-d "$2"}; }
uri() { jq -rn --arg s "$1" '$s|@uri'; }

# --- the official client ------------------------------------------------------
status=0
(cd node && node check.mjs "$PORT") >check.out 2>check.err || status=$?
expect "check.mjs exit status" "$status" 0
expect_grep "check.mjs all passed" check.out '^checks: [0-9]+ passed, 0 failed$'
grep '^FAIL' check.out >&2 || true

# --- error shapes ------------------------------------------------------------------
expect "no token" "$(errcode "$CS/account/whoami")" "401 M_MISSING_TOKEN"
expect "bad token" "$(errcode "$CS/account/whoami" -H 'Authorization: Bearer syt-nope')" "401 M_UNKNOWN_TOKEN"
expect "bad token: soft_logout false" "$(jq -c .soft_logout resp.json)" false
expect "error has both keys" "$(jq -c '[has("errcode"), (.error|type)]' resp.json)" '[true,"string"]'
expect "?access_token= works" "$(curl -s "$CS/account/whoami?access_token=syt-fake-alice-token" | jq -r .user_id)" \
	"@alice:fake.test"
expect "unknown endpoint" "$(errcode "$CS/nope/never" -H "$SCRIBE_AUTH")" "404 M_UNRECOGNIZED"
expect "wrong method" "$(errcode -X DELETE "$CS/sync" -H "$SCRIBE_AUTH")" "405 M_UNRECOGNIZED"
expect "not JSON" "$(errcode "$CS/createRoom" -H "$SCRIBE_AUTH" --data-binary '{"name":')" "400 M_NOT_JSON"
expect "JSON but not an object" "$(errcode "$CS/createRoom" -H "$SCRIBE_AUTH" --data-binary '[1]')" "400 M_BAD_JSON"
expect "invite must hold user ids" \
	"$(errcode "$CS/createRoom" -H "$SCRIBE_AUTH" -d '{"invite":"@alice:fake.test"}')" "400 M_BAD_JSON"
head -c 1100000 /dev/zero | tr '\0' a >big.txt
expect "oversized body" "$(errcode "$CS/createRoom" -H "$SCRIBE_AUTH" -H 'Expect:' --data-binary @big.txt)" "413 M_TOO_LARGE"
expect "bad password" "$(errcode "$CS/login" -d '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"scribe"},"password":"x"}')" \
	"403 M_FORBIDDEN"

# --- transaction ids ------------------------------------------------------------------
ROOM=$(ctl room '{"creator":"@alice:fake.test","members":["@scribe:fake.test"],"name":"raw checks","alias":"raw-checks"}' |
	jq -r .room_id)
R=$(uri "$ROOM")
send() { curl -s -X PUT "$CS/rooms/$R/send/m.room.message/$1" -H "${2:-$SCRIBE_AUTH}" -d '{"msgtype":"m.text","body":"txn test"}'; }
first=$(send txn-1 | jq -r .event_id)
again=$(send txn-1 | jq -r .event_id)
expect "same txnId, same event_id" "$again" "$first"
other=$(curl -s "$CS/login" -d '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"scribe"},"password":"scribe-pass","device_id":"OTHERDEV"}' |
	jq -r .access_token)
third=$(send txn-1 "Authorization: Bearer $other" | jq -r .event_id)
expect "same txnId from another device is a new event" "$([ "$third" != "$first" ] && echo new)" new
relog=$(curl -s "$CS/login" -d '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"scribe"},"password":"scribe-pass","device_id":"SCRIBEDEV"}' |
	jq -r .access_token)
expect "a new login of the same device keeps the txnId" "$(send txn-1 "Authorization: Bearer $relog" | jq -r .event_id)" "$first"
expect "one event per (device, txnId)" \
	"$(ctl "events?room=$R" | jq '[.events[] | select(.content.body == "txn test")] | length')" 2

# --- limited sync and the backfill of the gap -------------------------------------------
FILTER=$(uri '{"room":{"timeline":{"limit":10}}}')
since=$(curl -s "$CS/sync?filter=$FILTER" -H "$SCRIBE_AUTH" | jq -r .next_batch)
ctl send "{\"room\":\"$ROOM\",\"sender\":\"@alice:fake.test\",\"body\":\"gap\",\"count\":30}" >burst.json
expect "burst positions" "$(jq '.last_pos - .first_pos + 1' burst.json)" 30
curl -s "$CS/sync?since=$since&filter=$FILTER" -H "$SCRIBE_AUTH" >sync.json
expect "limited" "$(jq --arg r "$ROOM" '.rooms.join[$r].timeline.limited' sync.json)" true
expect "the newest 10" "$(jq -c --arg r "$ROOM" '[.rooms.join[$r].timeline.events[].content.body] | [first, last, length]' sync.json)" \
	'["gap 21","gap 30",10]'
prev=$(jq -r --arg r "$ROOM" '.rooms.join[$r].timeline.prev_batch' sync.json)
curl -s "$CS/rooms/$R/messages?dir=b&from=$prev&to=$since&limit=100" -H "$SCRIBE_AUTH" >gap.json
expect "backfill: exactly the skipped events" "$(jq -c '[.chunk[].content.body] | [first, last, length]' gap.json)" \
	'["gap 20","gap 1",20]'
expect "backfill: no end at the boundary" "$(jq 'has("end")' gap.json)" false
expect "backfill: events carry room_id" "$(jq -r '.chunk[0].room_id' gap.json)" "$ROOM"
expect "own events carry transaction_id" \
	"$(curl -s "$CS/rooms/$R/messages?dir=b&limit=50" -H "$SCRIBE_AUTH" |
		jq -r '[.chunk[] | select(.unsigned.transaction_id == "txn-1")] | length')" 1

# --- long-poll: held, then answered as soon as an event arrives ------------------------------
next=$(jq -r .next_batch sync.json)
curl -s "$CS/sync?since=$next&timeout=20000&filter=$FILTER" -H "$SCRIBE_AUTH" >poll.json &
POLL_PID=$!
parked() { [ "$(ctl parked | jq .parked)" = 1 ] || { sleep 0.02 && false; }; }
wait_until parked
t0=$(date +%s%N)
ctl send "{\"room\":\"$ROOM\",\"sender\":\"@alice:fake.test\",\"body\":\"wake up\"}" >/dev/null
wait "$POLL_PID"
POLL_PID=
ms=$((($(date +%s%N) - t0) / 1000000))
expect "long-poll answered with the event" \
	"$(jq -r --arg r "$ROOM" '[.rooms.join[$r].timeline.events[].content.body] | join(",")' poll.json)" "wake up"
expect "long-poll answered early (${ms} ms)" "$([ "$ms" -lt 5000 ] && echo early)" early
expect "confirmed once asked past it" \
	"$(curl -s "$CS/sync?since=$(jq -r .next_batch poll.json)" -H "$SCRIBE_AUTH" >/dev/null
		ctl confirmed | jq '[.items[] | select(.confirmed_us == null)] | length')" 0
start=$(date +%s%N)
curl -s "$CS/sync?since=$(jq -r .next_batch poll.json)&timeout=300" -H "$SCRIBE_AUTH" >empty.json
ms=$((($(date +%s%N) - start) / 1000000))
expect "an empty long-poll waits out its timeout" "$([ "$ms" -ge 250 ] && echo waited)" waited
expect "an empty long-poll keeps next_batch" "$(jq -r .next_batch empty.json)" "$(jq -r .next_batch poll.json)"

# --- scripted failures -------------------------------------------------------------------
ctl ratelimit '{"endpoint":"send","count":1,"retry_after_ms":1500}' >/dev/null
code=$(curl -s -o body.txt -D headers.txt -w '%{http_code}' -X PUT "$CS/rooms/$R/send/m.room.message/rl-1" \
	-H "$SCRIBE_AUTH" -d '{"msgtype":"m.text","body":"limited"}')
expect "429 status" "$code" 429
expect "429 body" "$(jq -c '[.errcode, .retry_after_ms]' body.txt)" '["M_LIMIT_EXCEEDED",1500]'
expect_grep "429 Retry-After" headers.txt '^[Rr]etry-[Aa]fter: 2'
expect "the retry succeeds" "$(send rl-1 | jq -r '.event_id | startswith("$")')" true
ctl fail '{"endpoint":"send","status":502,"apply":true}' >/dev/null
apply() { curl -s -o applied.json -w '%{http_code}' -X PUT "$CS/rooms/$R/send/m.room.message/applied-1" \
	-H "$SCRIBE_AUTH" -d '{"msgtype":"m.text","body":"applied"}'; }
expect "applied, then failed" "$(apply)" 502
applied=$(ctl "events?room=$R" | jq -r '.events[-1] | select(.content.body == "applied") | .event_id')
expect "the retry of an applied failure is the same event" "$(apply; jq -r .event_id applied.json)" "200$applied"
ctl fail '{"endpoint":"sync","status":502,"errcode":"M_UNKNOWN"}' >/dev/null
expect "scripted 502" "$(errcode "$CS/sync" -H "$SCRIBE_AUTH")" "502 M_UNKNOWN"
ctl sync_raw '{"body":"{\"next_batch\": tru"}' >/dev/null
expect "sync_raw once" "$(curl -s "$CS/sync" -H "$SCRIBE_AUTH")" '{"next_batch": tru'
expect "then real syncs again" "$(curl -s "$CS/sync" -H "$SCRIBE_AUTH" | jq -r '.next_batch | startswith("s")')" true
ctl sync_raw '{"repeat_bytes":2000000}' >/dev/null
expect "sync_raw repeat_bytes" "$(curl -s "$CS/sync" -H "$SCRIBE_AUTH" | wc -c | tr -d ' ')" \
	"$((2000000 + $(printf '{"next_batch":"s%s","rooms":{"join":{}},"padding":""}' "$(ctl rooms | jq .pos)" | wc -c)))"
now=$(curl -s "$CS/sync" -H "$SCRIBE_AUTH" | jq -r .next_batch)
curl -s "$CS/sync?since=$now&timeout=20000" -H "$SCRIBE_AUTH" >/dev/null 2>&1 &
POLL_PID=$!
wait_until parked
expect "drop_syncs" "$(ctl drop_syncs '{}' | jq .dropped)" 1
rc=0
wait "$POLL_PID" || rc=$?
POLL_PID=
expect "a dropped long-poll gets no response" "$rc" 52
expect "calls recorded" "$(ctl 'calls?endpoint=send&user=@scribe:fake.test' |
	jq -c '[.items[] | select(.status == 429)] | length')" 1
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/_control/send" -d 'not json')
expect "control rejects bad json" "$code" 400
printf 'GET /_matrix/client/v3/sync HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n' >garbage.txt
curl -s --max-time 1 "telnet://127.0.0.1:$PORT" <garbage.txt >/dev/null 2>&1 || true
expect "fake alive after malformed input" "$(ctl health | jq .ok)" true

kill -TERM "$FAKE_PID"
status=0
wait "$FAKE_PID" || status=$?
FAKE_PID=
expect "fake exits cleanly on SIGTERM" "$status" 0
if [ -s fake.err ]; then
	sed 's/^/  fake: /' fake.err | head -40 >&2
fi
done_checks
