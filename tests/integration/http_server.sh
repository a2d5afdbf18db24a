#!/usr/bin/env bash
# The HTTP server (bot/web): /healthz, /readyz, /metrics, keep-alive, 404
# and 405, a path traversal attempt, request logs without secrets, a slow
# client timed out, the connection limit under 1,000 connections, a unix
# socket and IPv6, and a clean SIGTERM - beside the console, with no chat
# platform, and beside a Slack that is not signed in yet.
source "$(dirname "$0")/lib.bash"
: "${FAKE_SLACK:?set FAKE_SLACK to the fake_slack binary}"
bots=()
trap '{ for p in "${bots[@]}"; do kill -9 "$p"; done; } 2> /dev/null || true; rm -rf "$WORK"' EXIT

# start NAME: scribe run -c NAME.yaml with stdin held open (the console
# would otherwise end at once); sets pid and addr (from its log line).
start() {
	mkfifo "$1.in"
	METRICS_TOKEN=s3cret-metrics "$SCRIBE" run -c "$1.yaml" < "$1.in" > "$1.out" 2> "$1.err" &
	pid=$!
	bots+=("$pid")
	exec {hold}> "$1.in" # keeps the console's stdin open
	wait_until grep -qs 'http: listening on ' "$1.err"
	addr=$(sed -n 's/.*http: listening on //p' "$1.err" | head -1)
}

cat > a.yaml <<C
log_level: debug
store:
  path: a.db
http:
  listen: 127.0.0.1:0
  header_timeout: 1s
  read_timeout: 1s
  max_connections: 200
  metrics_token_env: METRICS_TOKEN
C
start a
url=http://$addr

expect "healthz" "$(curl -s "$url/healthz")" '{"ok":true}'
expect "readyz with only the console" "$(curl -s -w ' %{http_code}' "$url/readyz")" '{"ready":true} 200'
# Two requests on one connection (HTTP/1.1 keep-alive).
curl -sv "$url/healthz" "$url/readyz" > /dev/null 2> ka.log
expect_grep "keep-alive reuses the connection" ka.log 'Re-using existing connection'
expect "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" 404
expect "wrong method" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/healthz")" 405
curl -s -D h405 -o /dev/null -X DELETE "$url/readyz"
expect_grep "405 names the allowed method" h405 '^Allow: GET'

# /metrics wants its bearer token; the token never reaches the log.
expect "metrics without the token" "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 401
expect "metrics with a wrong token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$url/metrics")" 401
expect "metrics with the token" "$(curl -s -o m.txt -w '%{http_code}' -H 'Authorization: Bearer s3cret-metrics' "$url/metrics")" 200
expect_grep "metrics: build info" m.txt '^scribe_build_info\{version="[0-9.]+"\} 1$'

# Path traversal: nothing is served from files, and paths are matched
# after lws has resolved the dots - so they cannot get around a route's
# token either.
for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/healthz/../../etc/passwd' '/..%2f..%2fetc%2fpasswd'; do
	code=$(curl -s --path-as-is -o trav.out -w '%{http_code}' "$url$p")
	expect "traversal $p" "$code" 404
	expect "traversal $p serves no file" "$(grep -c 'root:' trav.out || true)" 0
done
expect "traversal to /metrics still needs the token" \
	"$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$url/healthz/../metrics")" 401

# Debug request logs: method, path, status and duration; never the query
# string or a header.
curl -s -o /dev/null "$url/healthz?token=query-secret-123"
wait_until grep -q 'GET /healthz 200' a.err
expect_grep "request log line" a.err 'http: [^ ]+ GET /readyz 200 [0-9.]+ ms'
expect "no secret in the logs" "$(grep -c -e query-secret-123 -e s3cret-metrics a.err || true)" 0

# A slow client (one byte every 300 ms) is cut off at header_timeout.
python3 - "$addr" > slow.out <<'P'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
t = time.monotonic()
try:
    for ch in b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n":
        s.send(bytes([ch]))
        time.sleep(0.3)
        if time.monotonic() - t > 10:
            break
    data = s.recv(100)
    print("closed" if not data else "answered", round(time.monotonic() - t))
except OSError:
    print("closed", round(time.monotonic() - t))
P
expect "slow client closed" "$(cut -d' ' -f1 slow.out)" closed
expect_grep "slow client logged" a.err 'no request headers within 1000 ms: connection closed'

# 1,000 connections at once with max_connections 200: the ones over the
# limit get 503 (or are closed), the accepted ones are all served, and
# /healthz answers during and after.
python3 - "$addr" > flood.out <<'P'
import socket, sys, select
host, port = sys.argv[1].rsplit(":", 1)
conns = []
for i in range(1000):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, int(port)))
    conns.append(s)
refused = served = other = 0
for s in conns:
    try:
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
for s in conns:
    try:
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"HTTP/1.1 503") and b"too_many_connections" in data:
            refused += 1
        elif data.startswith(b"HTTP/1.1 200") and data.endswith(b'{"ok":true}\n'):
            served += 1
        elif not data:
            refused += 1
        else:
            other += 1
    except OSError:
        refused += 1
print(served, refused, other)
P
read -r served refused other < flood.out
expect "flood: 200 served" "$served" 200
expect "flood: 800 refused" "$refused" 800
expect "flood: nothing else" "$other" 0
expect_grep "flood logged" a.err 'connections open \(http.max_connections\): refusing new ones'
expect "healthz after the flood" "$(curl -s "$url/healthz")" '{"ok":true}'
curl -s -H 'Authorization: Bearer s3cret-metrics' "$url/metrics" > m2.txt
expect_grep "refusals counted" m2.txt '^scribe_http_refused_total [1-9][0-9]*$'

# SIGTERM: stops taking requests, ends cleanly.
kill -TERM "$pid"
st=0
wait "$pid" || st=$?
expect "exit status after SIGTERM" "$st" 0
expect_grep "shutdown logged" a.err 'http: stopped taking requests'

# A unix socket, and IPv6 loopback when the host has it.
cat > u.yaml <<C
store:
  path: u.db
http:
  listen: $WORK/scribe.sock
C
start u
expect "unix socket" "$(curl -s --unix-socket "$WORK/scribe.sock" http://x/healthz)" '{"ok":true}'
kill -TERM "$pid"
wait "$pid" || true
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2> /dev/null; then
	cat > v6.yaml <<C
store:
  path: v6.db
http:
  listen: "[::1]:0"
C
	start v6
	expect "listening address" "${addr%%]*}]" "[::1]"
	expect "IPv6" "$(curl -s "http://$addr/healthz")" '{"ok":true}'
	kill -TERM "$pid"
	wait "$pid" || true
fi

# Beside Slack: /readyz is 503 and names Slack until it is signed in and
# connected (here: to a fake Slack started only later).
"$FAKE_SLACK" 0 > fake.out 2> fake.err &
fake=$!
bots+=("$fake")
wait_until grep -qs '^listening on ' fake.out
fport=$(sed -n 's/^listening on //p' fake.out)
kill -STOP "$fake" # not answering yet
cat > s.yaml <<C
store:
  path: s.db
slack:
  api_url: http://127.0.0.1:$fport/api/
  reconnect_min_ms: 50
  reconnect_max_ms: 200
http:
  listen: 127.0.0.1:0
C
SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token \
	"$SCRIBE" run -c s.yaml 2> s.err &
pid=$!
bots+=("$pid")
wait_until grep -qs 'http: listening on ' s.err
url=http://$(sed -n 's/.*http: listening on //p' s.err | head -1)
curl -s -o ready1 -w '%{http_code}' "$url/readyz" > ready1.code
expect "readyz before Slack" "$(cat ready1.code)" 503
expect "readyz names Slack" "$(jq -r '.not_ready.slack' ready1)" "not signed in (auth.test)"
kill -CONT "$fake"
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ]; }
wait_until ready
expect "readyz once connected" "$(curl -s "$url/readyz")" '{"ready":true}'
kill -TERM "$pid"
wait "$pid" || true

done_checks
