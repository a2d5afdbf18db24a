# `scribe run` under systemd's Type=notify: READY=1 once the store is open
# (never waiting for a platform), STATUS= saying how Slack is doing,
# WATCHDOG=1 from the loop at half of WATCHDOG_USEC, STOPPING=1 on
# SIGTERM; a store that cannot be opened never says READY. The notify
# socket is a datagram socket this script reads, as systemd's would be.
source "$(dirname "$0")/slack_lib.bash"

# A receiver: one line per datagram in notify.log.
python3 - "$WORK/notify.sock" > notify.log <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode(), flush=True)
PY
receiver=$!
trap '{ kill -9 $bot; kill $fake $receiver; wait $fake $bot $receiver; } 2> /dev/null || true; rm -rf "$WORK"' EXIT
wait_until grep -q '^bound$' notify.log
export NOTIFY_SOCKET=$WORK/notify.sock

# Slack is held back (auth.test fails three times) so READY=1 must not
# wait for it, and STATUS= says it is connecting.
ctl ratelimit '{"method":"auth.test","count":3,"status":503}' > /dev/null
WATCHDOG_USEC=200000 start_scribe
wait_until grep -q '^READY=1$' notify.log
expect "the store exists when READY=1 is sent" "$([ "$(q 'pragma user_version')" -gt 0 ] && echo yes)" "yes"
expect "READY=1 once" "$(grep -c '^READY=1$' notify.log)" "1"
wait_until grep -q '^STATUS=slack: ready$' notify.log
expect "STATUS= said what Slack lacked first" "$(grep '^STATUS=' notify.log | head -1)" "STATUS=slack: not signed in (auth.test)"
expect "and READY=1 did not wait for Slack" "$(grep -n '' notify.log | grep -E 'READY=1|STATUS=slack: ready' | head -1 | cut -d: -f2)" "READY=1"
watchdogs() { [ "$(grep -c '^WATCHDOG=1$' notify.log)" -ge "$1" ]; }
wait_until watchdogs 3
st=0; stop_scribe || st=$?
expect "SIGTERM ends cleanly" "$st" "0"
expect_grep "and says STOPPING=1" notify.log '^STOPPING=1$'

# Without WATCHDOG_USEC, or with a WATCHDOG_PID of another process, there
# is no watchdog.
: > notify.log
WATCHDOG_USEC=200000 WATCHDOG_PID=1 start_scribe
wait_until grep -q '^STATUS=slack: ready$' notify.log
stop_scribe || true
expect "WATCHDOG_PID of another process: no watchdog" "$(grep -c '^WATCHDOG=1$' notify.log)" "0"

# With the HTTP server, READY=1 comes once it listens: the first request
# after READY=1 is answered, with no waiting.
: > notify.log
{ cat scribe.yaml; printf 'http:\n  listen: %s\n' "$WORK/http.sock"; } > web.yaml
SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token \
	"$SCRIBE" run -c web.yaml 2>> bot.err &
bot=$!
wait_until grep -q '^READY=1$' notify.log
expect "the HTTP server answers as soon as READY=1 is said" "$(curl -s --unix-socket "$WORK/http.sock" -o /dev/null -w '%{http_code}' http://scribe/healthz)" "200"
wait_until grep -q '^STATUS=slack: ready; http: listening$' notify.log
stop_scribe || true

# A store that cannot be opened: exit 1, never READY=1.
: > notify.log
mkdir -p sub && echo 'not a database' > sub/bad.db
st=0; "$SCRIBE" run -c scribe.yaml --db sub/bad.db 2> bad.err || st=$?
expect "an unopenable store fails" "$st" "1"
expect "and never says READY=1" "$(grep -c '^READY=1$' notify.log)" "0"

done_checks
