# slack_lib.bash - shared by the Slack end-to-end scripts (slack_*.sh):
# lib.bash, then a fake Slack on a free port with #general seeded, a
# scribe.yaml pointing Scribe at it, and the helpers the scripts share.
# A script sources it, then calls start_scribe.
source "$(dirname "$0")/lib.bash"
: "${FAKE_SLACK:?set FAKE_SLACK to the fake_slack binary}"

"$FAKE_SLACK" 0 > fake.out 2> fake.err &
fake=$!
bot=
trap '{ kill -9 $bot; kill $fake; wait $fake $bot; } 2> /dev/null || true; rm -rf "$WORK"' EXIT
wait_until grep -qs '^listening on ' fake.out
port=$(sed -n 's/^listening on //p' fake.out)
api=http://127.0.0.1:$port

# ctl ENDPOINT JSON, get ENDPOINT: the fake's control API.
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$api/_control/$1"; }
get() { curl -sf "$api/_control/$1"; }

ctl channels '{"name":"general","id":"C0GENERAL","bot_member":true,"members":["U0FAKEALICE","U0FAKEBOB"]}' > /dev/null
cat > scribe.yaml <<C
store:
  path: scribe.db
slack:
  api_url: $api/api/
  ping_interval_ms: 1000
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C

# start_scribe: `scribe run` signed in to the fake (stderr to bot.err).
start_scribe() {
	SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token \
		"$SCRIBE" run -c scribe.yaml 2>> bot.err &
	bot=$!
}

# stop_scribe: SIGTERM, and its exit status (0 when it ended cleanly).
stop_scribe() {
	local st=0
	kill -TERM "$bot"
	wait "$bot" || st=$?
	return "$st"
}

# connected [N]: at least N sockets (1) that were not asked to go.
connected() { [ "$(get connections | jq '[.connections[] | select(.disconnecting | not)] | length')" -ge "${1:-1}" ]; }
# called_ok METHOD [TEXT [N]]: at least N (1) ok calls of METHOD whose
# parameters contain TEXT.
called_ok() { [ "$(get "calls?method=$1" | jq --arg p "${2:-}" '[.items[] | select(.ok and ($p == "" or (.params | tostring | contains($p))))] | length')" -ge "${3:-1}" ]; }
# posted_in ROOM TEXT: an ok chat.postMessage to ROOM containing TEXT.
posted_in() { get 'calls?method=chat.postMessage' | jq -e --arg r "$1" --arg t "$2" '[.items[] | select(.ok and .params.channel == $r and (.params.text | contains($t)))] | length > 0' > /dev/null; }

# has_room N: incident N has its channel.
has_room() { [ -n "$(q "select room from incidents where id = $1" 2>/dev/null)" ]; }
# declare USER TEXT...: /incident declare TEXT in #general as USER; waits
# for the channel of the incident it makes (the next INC number) and sets
# room to it.
declare_incident() {
	local who=$1 n
	shift
	n=$(($(q "select count(*) from incidents" 2>/dev/null || echo 0) + 1))
	ctl slash "{\"text\":\"declare $*\",\"channel_id\":\"C0GENERAL\",\"user_id\":\"$who\"}" > /dev/null
	wait_until has_room "$n"
	room=$(q "select room from incidents where id = $n")
}

# locks_playbook: a three-step playbook "locks", suggested on "deadlock".
locks_playbook() {
	mkdir -p playbooks
	cat > playbooks/locks.yaml <<P
id: locks
title: Lock check
triggers:
  keywords: [deadlock]
steps:
  - id: blockers
    title: Find the root blocker
    instructions: Run the blocking-chain query.
  - id: decide
    title: End it or roll back
    instructions: Decide with the commander.
  - id: verify
    title: Verify
    instructions: Check the error rate.
P
}
