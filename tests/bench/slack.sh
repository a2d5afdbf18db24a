#!/usr/bin/env bash
# Scribe's Slack numbers, through the fake Slack over loopback (issue 5,
# "Numbers"). Usage: tests/bench/slack.sh BUILD_DIR
# (BUILD_DIR/scribe and BUILD_DIR/tests/fakes/slack/fake_slack, a release
# build). It prints numbers with their targets and never asserts on time;
# it exits non-zero only when something broke, and says what.
#
# How: each measurement starts a fresh fake_slack (port 0) and a fresh
# `scribe run` (its own database on disk, synchronous=FULL) signed in to it.
# The fake stamps every envelope it sends (/_control/sent: `time`, Unix
# seconds with microseconds, taken when the frame is queued on the socket)
# and every ack it receives (/_control/acks: `time`, same clock). Scribe acks
# an envelope only after the transaction holding its event committed, so an
# ok ack means "durable".
#
# 1. Sustained ingest: `/incident declare Load test sev2` in #general, wait
#    for the incident's channel, then push BENCH_SLACK_EVENTS (50,000)
#    message events into it with /_control/event `count` bursts
#    (BENCH_SLACK_BURST, 1,000), requested back to back by one curl, so
#    Scribe always has work queued. Rate =
#    events / (last ok ack - first sent). The timeline must hold them all
#    (sqlite3). Median of BENCH_SLACK_RUNS (3) runs, each with the CPU time
#    Scribe and the fake spent per event. The same pushing against a Node
#    client that acks at once (no Scribe) gives the fake's own ceiling, to
#    tell whether the fake was the bottleneck.
# 2. Ack latency at a paced ~1,000 events/s for ~20 s: one event per request,
#    two curl streams at --rate 500/s each (curl cannot pace faster than
#    1/ms; the rate reached is printed); latency = ack time - sent time,
#    matched by envelope_id; p50, p99, max. The same pacing against the
#    Node client gives the harness's own latency (its p99 is the floor:
#    the fake, curl and the client share the cores).
# 3. Peak RSS of scribe over each sustained run: VmHWM from /proc/PID/status
#    read just before SIGTERM; median and max of the runs.
#    The largest ack latency is printed with the event's number (in the
#    order sent), to find what stalled.
# 5. The WAL: its file's size is sampled every 100 ms while Scribe runs
#    (peak) and read once after the last ack (end); a clean stop empties
#    it, so the end is read before the stop.
# 6. Start to first ack: a message event is pushed (and stored) before
#    Scribe starts and waits in the fake until a socket connects; scribe
#    starts with a fresh database; time = ack time - the moment just
#    before exec. Median of BENCH_SLACK_STARTS (5).
#
# Waits poll the fake's counters (/_control/stats) every 50 ms: the times
# measured are the fake's own stamps, and reading every record while they
# pile up, or polling faster, would load the cores being measured.
set -euo pipefail
build=${1:-build/release}
[ -d "$build" ] || { echo "slack bench: no build directory $build" >&2; exit 2; }
build=$(cd "$build" && pwd)
scribe=$build/scribe
fake=$build/tests/fakes/slack/fake_slack
for b in "$scribe" "$fake"; do
	[ -x "$b" ] || { echo "slack bench: $b is missing (build the release tree first)" >&2; exit 2; }
done
for t in curl jq sqlite3; do
	command -v "$t" > /dev/null || { echo "slack bench: $t is not installed" >&2; exit 2; }
done
export TZ=UTC

n=${BENCH_SLACK_EVENTS:-50000}
burst=${BENCH_SLACK_BURST:-1000}
runs=${BENCH_SLACK_RUNS:-3}
rate=${BENCH_SLACK_RATE:-1000}
secs=${BENCH_SLACK_SECONDS:-20}
starts=${BENCH_SLACK_STARTS:-5}

work=$(mktemp -d)
fake_pid=
bot_pid=
aux_pid=
watch_pid=
stop_pid() { # PID: SIGTERM, then SIGKILL after 10 s; returns its status
	local p=$1 deadline=$((SECONDS + 10)) st=0
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2> /dev/null || true
	while kill -0 "$p" 2> /dev/null; do
		if ((SECONDS > deadline)); then
			echo "slack bench: pid $p ignored SIGTERM for 10 s; killed" >&2
			kill -KILL "$p" 2> /dev/null || true
			break
		fi
		sleep 0.02
	done
	wait "$p" 2> /dev/null || st=$?
	return "$st"
}
cleanup() {
	stop_pid "$watch_pid" || true
	stop_pid "$aux_pid" || true
	stop_pid "$bot_pid" || true
	stop_pid "$fake_pid" || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "slack bench: BROKEN: $*" >&2
	for f in "$work"/cur/bot.err "$work"/cur/fake.err; do
		[ -s "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, every
# 50 ms: the times measured are the fake's own stamps, so polling faster
# would only load the two cores the fake and Scribe share.
wait_for() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + limit))
	until "$@"; do
		((SECONDS <= deadline)) || die "timed out after ${limit}s waiting for $what"
		sleep 0.05
	done
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$api/_control/$1"; }
get() { curl -sf "$api/_control/$1"; }
q() { sqlite3 -batch "$work/cur/scribe.db" "$1"; }

# A fresh directory, fake and control seed; sets api.
start_fake() {
	rm -rf "$work/cur"
	mkdir -p "$work/cur"
	"$fake" 0 > "$work/cur/fake.out" 2> "$work/cur/fake.err" &
	fake_pid=$!
	wait_for 10 "fake_slack to listen" grep -qs '^listening on ' "$work/cur/fake.out"
	api=http://127.0.0.1:$(sed -n 's/^listening on //p' "$work/cur/fake.out")
	ctl channels '{"name":"general","id":"C0GENERAL","bot_member":true,"members":["U0FAKEALICE","U0FAKEBOB"]}' > /dev/null ||
		die "could not seed #general"
	# No redelivery or pings inside a measurement; records for all events.
	ctl config "{\"redelivery_ms\":600000,\"ping_ms\":0,\"acks_max\":$((n + 10000))}" > /dev/null ||
		die "could not configure the fake"
	cat > "$work/cur/scribe.yaml" <<C
store:
  path: $work/cur/scribe.db
slack:
  api_url: $api/api/
  reconnect_min_ms: 20
  reconnect_max_ms: 200
C
}

# wal_watch FILE OUT: the largest size FILE reaches, sampled every 100 ms,
# kept in OUT.
wal_watch() {
	local m=0 sz
	echo 0 > "$2"
	while :; do
		sz=$(stat -c %s "$1" 2> /dev/null || echo 0)
		if ((sz > m)); then
			m=$sz
			echo "$m" > "$2"
		fi
		sleep 0.1
	done
}
wal_now() { stat -c %s "$work/cur/scribe.db-wal" 2> /dev/null || echo 0; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

start_scribe() {
	(cd "$work/cur" && SLACK_BOT_TOKEN=xoxb-fake-bot-token SLACK_APP_TOKEN=xapp-fake-app-token \
		exec "$scribe" run -c "$work/cur/scribe.yaml" 2> "$work/cur/bot.err") &
	bot_pid=$!
	wal_watch "$work/cur/scribe.db-wal" "$work/cur/wal.peak" &
	watch_pid=$!
}

stop_scribe() {
	local st=0
	stop_pid "$watch_pid" || true
	watch_pid=
	stop_pid "$bot_pid" || st=$?
	bot_pid=
	[ "$st" -eq 0 ] || die "scribe exited with status $st on SIGTERM"
}

stop_fake() {
	stop_pid "$fake_pid" || true
	fake_pid=
}

connected() { [ "$(get connections | jq '[.connections[] | select(.disconnecting | not)] | length')" -ge 1 ]; }
bot_alive() { kill -0 "$bot_pid" 2> /dev/null || die "scribe died"; }
has_room() { bot_alive; [ -n "$(q 'select room from incidents where id = 1' 2> /dev/null)" ]; }

# Scribe up, signed in, an incident declared; sets room.
scribe_with_incident() {
	start_scribe
	wait_for 20 "scribe's Socket Mode connection" connected
	ctl slash '{"text":"declare Load test sev2","channel_id":"C0GENERAL","user_id":"U0FAKEALICE"}' > /dev/null ||
		die "the declare slash command was refused"
	wait_for 20 "the incident's channel" has_room
	room=$(q 'select room from incidents where id = 1')
	# Let the declare's own traffic settle, then start from clean records.
	wait_for 20 "the declare to be acked" declare_acked
	ctl clear '{}' > /dev/null
}
declare_acked() { acked_ok 1; }

queued() { get connections | jq '[.connections[].queued_frames] | add // 0'; }
timeline_count() { q "select count(*) from timeline where room = '$room' and text like 'load %'" 2> /dev/null || echo 0; }

# push_bursts TOTAL: TOTAL message events as `count` bursts, requested back
# to back by one curl (open loop: the fake queues what Scribe has not read
# yet; the clock starts at the first envelope queued, so queueing ahead
# costs nothing); sets pushed.
push_bursts() {
	local total=$1 k
	pushed=0
	: > "$work/bursts.curl"
	while ((pushed < total)); do
		k=$((total - pushed < burst ? total - pushed : burst))
		((k >= 2)) || k=2 # count 1 is a single event, not a burst
		[ ! -s "$work/bursts.curl" ] || echo next >> "$work/bursts.curl"
		printf 'url = "%s/_control/event"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nfail\n' \
			"$api" "{\\\"type\\\":\\\"message\\\",\\\"channel\\\":\\\"$room\\\",\\\"user\\\":\\\"U0FAKEBOB\\\",\\\"text\\\":\\\"load\\\",\\\"store\\\":false,\\\"count\\\":$k}" >> "$work/bursts.curl"
		pushed=$((pushed + k))
	done
	timeout 300 curl -s -K "$work/bursts.curl" || die "POST /_control/event (count bursts) failed"
}

# acked_ok N: at least N ok acks recorded (the fake's counters: reading
# every record while they pile up would load the fake more than Scribe).
acked_ok() { [ "$(get stats | jq .acks_ok)" -ge "$1" ]; }
# cpu PID: user + system seconds so far.
cpu() { awk '{printf "%.2f\n", ($14 + $15) / 100}' "/proc/$1/stat"; }
all_in_timeline() { bot_alive; [ "$(timeline_count)" -ge "$1" ]; }

# Prints "events seconds": first sent to last ok ack.
span() {
	get sent > "$work/cur/sent.json"
	get acks > "$work/cur/acks.json"
	jq -n --slurpfile s "$work/cur/sent.json" --slurpfile a "$work/cur/acks.json" -r '
		[$a[0].items[] | select(.status == "ok")] as $ok
		| "\($ok | length) \((($ok | map(.time) | max) - ($s[0].items | map(.time) | min)))"'
}

# ---- 1 + 3. sustained ingest and peak RSS ------------------------------------
echo "Slack through the fake over loopback ($(nproc) cores; database on $(df -T "$work" | awk 'NR==2 {print $2}'))"
: > "$work/rates"
: > "$work/rss"
: > "$work/walpeaks"
for ((r = 1; r <= runs; r++)); do
	start_fake
	scribe_with_incident
	fake_cpu0=$(cpu "$fake_pid")
	bot_cpu0=$(cpu "$bot_pid")
	push_bursts "$n"
	wait_for 60 "all $pushed acks" acked_ok "$pushed"
	fake_cpu=$(awk -v a="$fake_cpu0" -v b="$(cpu "$fake_pid")" -v n="$pushed" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
	bot_cpu=$(awk -v a="$bot_cpu0" -v b="$(cpu "$bot_pid")" -v n="$pushed" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
	wait_for 300 "all $pushed events on the timeline" all_in_timeline "$pushed"
	read -r acks s < <(span)
	bad=$(jq '[.items[] | select(.status != "ok")] | length' "$work/cur/acks.json")
	[ "$bad" -eq 0 ] || die "$bad acks were not ok: $(jq -c '[.items[] | select(.status != "ok") | .status] | unique' "$work/cur/acks.json")"
	tl=$(timeline_count)
	[ "$tl" -eq "$pushed" ] || die "the timeline holds $tl of $pushed events"
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$bot_pid/status")
	wal_end=$(wal_now)
	stop_scribe
	wal_peak=$(cat "$work/cur/wal.peak")
	echo "$wal_peak" >> "$work/walpeaks"
	stop_fake
	awk -v n="$acks" -v s="$s" 'BEGIN { printf "%.0f\n", n / s }' >> "$work/rates"
	echo "$hwm" >> "$work/rss"
	printf '  run %d: %d events in %.3f s, peak RSS %.1f MiB; CPU per event: scribe %s us, fake %s us; WAL peak %s MiB, %s MiB at the end\n' \
		"$r" "$acks" "$s" "$(awk -v k="$hwm" 'BEGIN {print k / 1024}')" "$bot_cpu" "$fake_cpu" "$(mib "$wal_peak")" "$(mib "$wal_end")"
done
rate_med=$(median < "$work/rates")
rss_med=$(median < "$work/rss")
rss_max=$(sort -g "$work/rss" | tail -n 1)

# paced: ~rate events/s for secs into $room, one event per request, two curl
# streams at half the rate each (curl paces at most 1,000 requests/s, in
# whole milliseconds, and falls short of it); waits for every ack and
# prints "events rate p50 p99 max" (ms), latency = ack time - sent time,
# matched by envelope_id.
paced() {
	local half=$(((rate + 1) / 2)) i body
	local n=$((2 * half * secs))
	body="{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"load paced\",\"store\":false}"
	for ((i = 0; i < half * secs; i++)); do
		((i == 0)) || echo next
		printf 'url = "%s/_control/event"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nfail\n' \
			"$api" "${body//\"/\\\"}"
	done > "$work/paced.curl"
	timeout 120 curl -s --rate "$half/s" -K "$work/paced.curl" &
	aux_pid=$!
	timeout 120 curl -s --rate "$half/s" -K "$work/paced.curl" || die "the paced pushes failed"
	wait "$aux_pid" || { aux_pid=; die "the paced pushes failed"; }
	aux_pid=
	wait_for 60 "all $n paced acks" acked_ok "$n"
	get sent > "$work/cur/sent.json"
	get acks > "$work/cur/acks.json"
	# Times are Unix seconds (microsecond resolution); latencies in ms;
	# events numbered from 1 in the order sent.
	read -r cnt achieved p50 p99 max at < <(jq -n -r --slurpfile s "$work/cur/sent.json" --slurpfile a "$work/cur/acks.json" '
		($a[0].items | map(select(.status == "ok") | {(.envelope_id): .time}) | add) as $ack
		| ($s[0].items | sort_by(.time)) as $sent
		| [$sent | to_entries[] | select($ack[.value.envelope_id] != null)
		   | {i: (.key + 1), l: (($ack[.value.envelope_id] - .value.time) * 1000)}] as $e
		| ($e | map(.l) | sort) as $l
		| ($e | max_by(.l)) as $m
		| ($sent | map(.time)) as $t
		| ($l | length) as $n
		| "\($n) \($n / (($t | max) - ($t | min))) \($l[(($n - 1) * 0.50 | floor)]) \($l[(($n - 1) * 0.99 | floor)]) \($m.l) \($m.i)"')
	[ "$cnt" -eq "$n" ] || die "only $cnt of $n paced events were matched to an ok ack"
	echo "$cnt $achieved $p50 $p99 $max $at"
}

# The fake's own ceiling: the same bursts, acked at once by a Node client;
# and the harness's own latency: the same paced pushing, acked at once.
fake_alone=
floor_p99=
if command -v node > /dev/null && node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2> /dev/null; then
	cat > "$work/acker.mjs" <<'JS'
// Opens Socket Mode on the fake and acks every envelope at once.
const api = process.argv[2];
const r = await fetch(api + "/api/apps.connections.open", {
	method: "POST", headers: { Authorization: "Bearer xapp-fake-app-token" } });
const { url } = await r.json();
const ws = new WebSocket(url);
// The envelope id is found, not parsed: JSON.parse would make this
// client, not the fake, the ceiling.
ws.onmessage = (m) => {
	const d = m.data, i = d.indexOf('"envelope_id":"');
	if (i >= 0) ws.send('{"envelope_id":"' + d.slice(i + 15, d.indexOf('"', i + 15)) + '"}');
};
ws.onerror = () => process.exit(1);
JS
	start_fake
	node --experimental-websocket --no-warnings "$work/acker.mjs" "$api" 2> "$work/cur/node.err" &
	aux_pid=$!
	wait_for 20 "the Node client's connection" connected
	room=C0GENERAL
	push_bursts "$n"
	wait_for 300 "all $pushed acks from the Node client" acked_ok "$pushed"
	read -r acks s < <(span)
	fake_alone=$(awk -v n="$acks" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
	ctl clear '{}' > /dev/null
	read -r _ floor_rate floor_p50 floor_p99 floor_max floor_at < <(paced)
	stop_pid "$aux_pid" || true
	aux_pid=
	stop_fake
fi

# ---- 2. ack latency at a paced rate ------------------------------------------
start_fake
scribe_with_incident
read -r cnt achieved p50 p99 max max_at < <(paced)
paced_wal_end=$(wal_now)
stop_scribe
paced_wal_peak=$(cat "$work/cur/wal.peak")
stop_fake

# ---- 4. start to first ack ---------------------------------------------------
: > "$work/starts"
for ((r = 1; r <= starts; r++)); do
	start_fake
	ctl event '{"type":"message","channel":"C0GENERAL","user":"U0FAKEBOB","text":"first"}' > /dev/null ||
		die "could not queue the first event"
	t0=$EPOCHREALTIME
	start_scribe
	wait_for 20 "the first ack" acked_ok 1
	at=$(get acks | jq '[.items[] | select(.status == "ok") | .time] | min')
	awk -v a="$t0" -v b="$at" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/starts"
	stop_scribe
	stop_fake
done

# ---- the numbers -------------------------------------------------------------
echo
printf 'sustained ingest, %d message events, durable before ack: %8.0f events/s  (median of %d: %s; target >= 50,000/s)\n' \
	"$n" "$rate_med" "$runs" "$(paste -sd ' ' "$work/rates")"
if [ -n "$fake_alone" ]; then
	printf '  fake alone (Node client acking at once), same bursts: %8.0f events/s  (the ceiling of this harness)\n' "$fake_alone"
else
	echo "  fake alone: not measured (needs node with WebSocket)"
fi
[ -z "$floor_p99" ] ||
	printf '  harness alone (Node client acking at once), same pacing: p50 %.3f ms  p99 %.3f ms  max %.3f ms at event %d  (the floor of this measurement)\n' \
		"$floor_p50" "$floor_p99" "$floor_max" "$floor_at"
printf 'ack latency at %.0f events/s for %d s (%d events): p50 %.3f ms  p99 %.3f ms  max %.3f ms at event %d  (targets: p99 <= the floor + 1 ms, max <= 10 ms)\n' \
	"$achieved" "$secs" "$cnt" "$p50" "$p99" "$max" "$max_at"
printf 'WAL file: peak %s MiB during sustained ingest (max of %d runs; %s MiB at the end of the last), peak %s MiB during the paced run (%s MiB at its end)  (target <= 64 MiB)\n' \
	"$(mib "$(sort -g "$work/walpeaks" | tail -n 1)")" "$runs" "$(mib "$wal_end")" "$(mib "$paced_wal_peak")" "$(mib "$paced_wal_end")"
printf 'peak RSS of scribe during sustained ingest: %.1f MiB median, %.1f MiB max  (target <= 16 MiB)\n' \
	"$(awk -v k="$rss_med" 'BEGIN {print k / 1024}')" "$(awk -v k="$rss_max" 'BEGIN {print k / 1024}')"
printf 'start to first ack (fresh database, event waiting in the fake): %.1f ms  (median of %d: %s ms; no target)\n' \
	"$(median < "$work/starts")" "$starts" "$(paste -sd ' ' "$work/starts")"
