# fake_slack_clients.sh - the fake Slack's fidelity, proven with Slack's
# official Node clients (@slack/web-api, @slack/socket-mode) and with raw
# requests for the error shapes and malformed input.
#
# Needs FAKE_SLACK (the fake_slack binary; default: next to the scribe
# binary's build tree), node >= 20 and npm. Uses the node_modules of
# tests/fakes/slack/node when present (offline), else runs `npm ci` in a
# temporary copy. Skips (exit 0, "SKIP ...") only when the binary or node is
# missing, or when npm has no node_modules and the registry is unreachable.
set -euo pipefail
FAKE_SLACK=${FAKE_SLACK:-}
if [ -z "$FAKE_SLACK" ] && [ -n "${SCRIBE:-}" ]; then
	FAKE_SLACK=$(dirname "$SCRIBE")/tests/fakes/slack/fake_slack
fi
if [ -z "$FAKE_SLACK" ] || [ ! -x "$FAKE_SLACK" ]; then
	echo "SKIP fake_slack_clients: no fake_slack binary (set FAKE_SLACK)"
	exit 0
fi
FAKE_SLACK=$(cd "$(dirname "$FAKE_SLACK")" && pwd)/$(basename "$FAKE_SLACK")
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "SKIP fake_slack_clients: node >= 20 is needed"
	exit 0
fi
: "${SCRIBE:=unused}"
export SCRIBE
source "$(dirname "$0")/lib.bash"

NODE_SRC=$SCRIBE_SOURCE_DIR/tests/fakes/slack/node
FAKE_PID=
trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# --- the node project, in a temporary copy -----------------------------------
mkdir -p node
cp "$NODE_SRC/package.json" "$NODE_SRC/package-lock.json" "$NODE_SRC/check.mjs" node/
if [ -d "$NODE_SRC/node_modules/@slack/socket-mode" ] && [ -d "$NODE_SRC/node_modules/@slack/web-api" ]; then
	ln -s "$NODE_SRC/node_modules" node/node_modules
elif ! (cd node && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
	if ! npm ping >/dev/null 2>&1; then
		echo "SKIP fake_slack_clients: npm ci failed and the registry is unreachable"
		exit 0
	fi
	cat node/npm.log >&2
	expect "npm ci" failed ok
	done_checks
	exit 1
fi

# --- start the fake on a free port ---------------------------------------
"$FAKE_SLACK" 0 >fake.out 2>fake.err &
FAKE_PID=$!
listening() { grep -q '^listening on [0-9]' fake.out 2>/dev/null || { sleep 0.05 && false; }; }
wait_until listening
PORT=$(awk '/^listening on/ {print $3; exit}' fake.out)
BASE=http://127.0.0.1:$PORT
BOT='Authorization: Bearer xoxb-fake-bot-token'
APP='Authorization: Bearer xapp-fake-app-token'

# j URL [curl args...]: the response body
j() { curl -s "$@"; }
# err URL [curl args...]: the "error" field, or "ok"
err() {
	curl -s "$@" | python3 -c 'import json,sys
d=json.load(sys.stdin); print("ok" if d.get("ok") else d.get("error"))'
}

# --- the official clients --------------------------------------------------
status=0
(cd node && node check.mjs "$PORT") >check.out 2>check.err || status=$?
expect "check.mjs exit status" "$status" 0
expect_grep "check.mjs all passed" check.out '^checks: [0-9]+ passed, 0 failed$'
grep '^FAIL' check.out >&2 || true

# --- error shapes and malformed input, raw -----------------------------------
expect "not_authed" "$(err "$BASE/api/auth.test")" not_authed
expect "invalid_auth" "$(err "$BASE/api/auth.test" -H 'Authorization: Bearer xoxb-nope')" invalid_auth
expect "bot token on apps.connections.open" \
	"$(err -X POST "$BASE/api/apps.connections.open" -H "$BOT")" not_allowed_token_type
expect "app token on apps.connections.open" \
	"$(err -X POST "$BASE/api/apps.connections.open" -H "$APP")" ok
expect "unknown_method" "$(err "$BASE/api/nope.never" -H "$BOT")" unknown_method
expect "GET query" "$(err "$BASE/api/users.info?user=U0FAKEALICE" -H "$BOT")" ok
expect "users.info user_not_found" "$(err "$BASE/api/users.info?user=UNOPE" -H "$BOT")" user_not_found
expect "invalid_json" "$(err "$BASE/api/chat.postMessage" -H "$BOT" \
	-H 'Content-Type: application/json; charset=utf-8' --data-binary '{"channel":')" invalid_json
expect "json_not_object" "$(err "$BASE/api/chat.postMessage" -H "$BOT" \
	-H 'Content-Type: application/json; charset=utf-8' --data-binary '[1,2]')" json_not_object
expect "invalid_post_type" "$(err "$BASE/api/chat.postMessage" -H "$BOT" \
	-H 'Content-Type: text/plain' --data-binary 'hello')" invalid_post_type
expect "missing_charset warning" "$(j "$BASE/api/conversations.create" -H "$BOT" \
	-H 'Content-Type: application/json' -d '{"name":"warned"}' |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get("warning"))')" missing_charset
long=$(printf 'a%.0s' $(seq 81))
expect "invalid_name_maxlength" "$(err "$BASE/api/conversations.create" -H "$BOT" -d "name=$long")" \
	invalid_name_maxlength
expect "invalid_name_specials" "$(err "$BASE/api/conversations.create" -H "$BOT" -d 'name=Inc.1')" \
	invalid_name_specials
cid=$(j "$BASE/api/conversations.create" -H "$BOT" -d name=old-incident |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["channel"]["id"])')
expect "archive" "$(err "$BASE/api/conversations.archive" -H "$BOT" -d "channel=$cid")" ok
expect "name_taken by an archived channel" \
	"$(err "$BASE/api/conversations.create" -H "$BOT" -d name=old-incident)" name_taken
expect "is_archived" "$(err "$BASE/api/chat.postMessage" -H "$BOT" -d "channel=$cid&text=hi")" \
	is_archived
head -c 2000000 /dev/zero | tr '\0' a >big.txt
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/chat.postMessage" -H "$BOT" \
	--data-binary @big.txt)
expect "oversized body refused" "$code" 413
code=$(curl -s -o /dev/null -w '%{http_code}' -D headers.txt "$BASE/_control/ratelimit" \
	-d '{"method":"auth.test","count":1,"retry_after":7}')
expect "control ratelimit" "$code" 200
code=$(curl -s -o body.txt -w '%{http_code}' -D headers.txt "$BASE/api/auth.test" -H "$BOT")
expect "429 status" "$code" 429
expect_grep "429 Retry-After" headers.txt '^[Rr]etry-[Aa]fter: 7'
expect "429 body" "$(cat body.txt)" '{"ok":false,"error":"ratelimited"}'
expect "after the 429" "$(err "$BASE/api/auth.test" -H "$BOT")" ok
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/_control/event" -d 'not json')
expect "control rejects bad json" "$code" 400
printf 'GET /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n' >garbage.txt
curl -s --max-time 2 "telnet://127.0.0.1:$PORT" <garbage.txt >/dev/null 2>&1 || true
expect "fake alive after malformed input" "$(err "$BASE/_control/health")" ok

kill -TERM "$FAKE_PID"
status=0
wait "$FAKE_PID" || status=$?
FAKE_PID=
expect "fake exits cleanly on SIGTERM" "$status" 0
done_checks
