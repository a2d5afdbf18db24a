# Reconnect jitter differs per process: two Scribes that cannot reach
# Slack's socket (socket_url points at a closed port) log their first
# four "reconnecting in N ms" delays (400 ms +-25%: 201 values each); an
# unseeded rand() gave both the same four.
source "$(dirname "$0")/slack_lib.bash"

cat >> scribe.yaml <<C
  socket_url: ws://127.0.0.1:1/
  reconnect_min_ms: 400
  reconnect_max_ms: 400
C
sed -i '/^  reconnect_m.._ms: 20*$/d' scribe.yaml
for n in 1 2; do
	sed "s/scribe.db/scribe$n.db/" scribe.yaml > scribe$n.yaml
	SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token \
		"$SCRIBE" run -c scribe$n.yaml 2> bot$n.err &
	eval "bot$n=$!"
done
trap '{ kill -9 $bot1 $bot2; kill $fake; wait; } 2> /dev/null || true; rm -rf "$WORK"' EXIT
delays() { grep -o 'reconnecting in [0-9]* ms' "bot$1.err" | head -4 | awk '{print $3}' | paste -sd' '; }
four() { [ "$(delays 1 | wc -w)" = 4 ] && [ "$(delays 2 | wc -w)" = 4 ]; }
wait_until four
expect "each delay is within 400 ms +-25%" "$(delays 1; delays 2)" "$(delays 1 | tr ' ' '\n' | awk '$1 >= 300 && $1 <= 500' | paste -sd' '; delays 2 | tr ' ' '\n' | awk '$1 >= 300 && $1 <= 500' | paste -sd' ')"
checks=$((checks + 1))
if [ "$(delays 1)" = "$(delays 2)" ]; then
	failures=$((failures + 1))
	echo "FAIL two processes drew the same delays: $(delays 1)" >&2
fi
echo "delays: [$(delays 1)] [$(delays 2)]"
done_checks
