#!/usr/bin/env bash
# Scribe's Matrix numbers, through the fake homeserver over loopback (issue
# 6, "Numbers"). Usage: tests/bench/matrix.sh BUILD_DIR
# (BUILD_DIR/scribe and BUILD_DIR/tests/fakes/matrix/fake_matrix, a release
# build). It prints numbers with their targets and never asserts on time;
# it exits non-zero only when something broke, and says what.
#
# How: each run starts a fresh fake_matrix (port 0) and a fresh `scribe run`
# (its own database on disk, synchronous=FULL) with an access token. Scribe
# starts its next /sync only after the batch holding the previous one's
# events and next_batch committed, so the fake's /_control/confirmed - the
# moment the first /sync asking for what comes after an event arrived, on
# the fake's clock, like the moment the event was appended - is when that
# event was durable (plus one loopback request).
#
# 1. Sustained ingest: `!inc declare Load test` in a room, wait for the
#    incident's room, then append BENCH_MATRIX_EVENTS (100,000) messages to
#    it with /_control/send `count` bursts (BENCH_MATRIX_BURST, 1,000),
#    the next as soon as the store is less than BENCH_MATRIX_AHEAD (8,000)
#    behind, so Scribe always has work waiting; syncs that are `limited`
#    are filled from /messages as in production. Rate =
#    events / (last confirmed - first appended). The timeline must hold
#    them all (sqlite3). Median of BENCH_MATRIX_RUNS (3).
# 2. Peak RSS of scribe over each sustained run (VmHWM, just before
#    SIGTERM); median and max.
# 3. Latency from a message reaching the fake to its commit: one message per
#    request at BENCH_MATRIX_RATE (200/s) for BENCH_MATRIX_SECONDS (5);
#    latency = confirmed - appended; p50, p99, max.
set -euo pipefail
build=${1:-build/release}
[ -d "$build" ] || { echo "matrix bench: no build directory $build" >&2; exit 2; }
build=$(cd "$build" && pwd)
scribe=$build/scribe
fake=$build/tests/fakes/matrix/fake_matrix
for b in "$scribe" "$fake"; do
	[ -x "$b" ] || { echo "matrix bench: $b is missing (build the release tree first)" >&2; exit 2; }
done
for t in curl jq sqlite3; do
	command -v "$t" > /dev/null || { echo "matrix bench: $t is not installed" >&2; exit 2; }
done
export TZ=UTC

n=${BENCH_MATRIX_EVENTS:-100000}
burst=${BENCH_MATRIX_BURST:-1000}
ahead=${BENCH_MATRIX_AHEAD:-8000}
runs=${BENCH_MATRIX_RUNS:-3}
rate=${BENCH_MATRIX_RATE:-200}
secs=${BENCH_MATRIX_SECONDS:-5}

work=$(mktemp -d)
fake_pid=
bot_pid=
stop_pid() { # PID: SIGTERM, then SIGKILL after 10 s
	local p=$1 deadline=$((SECONDS + 10))
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2> /dev/null || true
	while kill -0 "$p" 2> /dev/null; do
		if ((SECONDS > deadline)); then
			echo "matrix bench: pid $p ignored SIGTERM for 10 s; killed" >&2
			kill -KILL "$p" 2> /dev/null || true
			break
		fi
		sleep 0.02
	done
	wait "$p" 2> /dev/null || true
}
cleanup() {
	stop_pid "$bot_pid"
	stop_pid "$fake_pid"
	rm -rf "$work"
}
trap cleanup EXIT

# poll_until SECONDS COMMAND...: polls (20 ms apart) until COMMAND succeeds.
poll_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if ((SECONDS > deadline)); then
			echo "matrix bench: timed out waiting for: $*" >&2
			exit 1
		fi
		sleep 0.02
	done
}

hs=
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$hs/_control/$1"; }
get() { curl -sf "$hs/_control/$1"; }

# Starts the fake and scribe in $work/$1; sets hs, room (the incident's).
start() {
	local dir=$work/$1 general
	mkdir -p "$dir"
	"$fake" 0 > "$dir/fake.out" 2> "$dir/fake.err" &
	fake_pid=$!
	poll_until 10 grep -q '^listening on ' "$dir/fake.out"
	hs=http://127.0.0.1:$(sed -n 's/^listening on //p' "$dir/fake.out")
	general=$(ctl room '{"alias":"general","creator":"@alice:fake.test","members":["@alice:fake.test","@scribe:fake.test"]}' | jq -r .room_id)
	cat > "$dir/scribe.yaml" <<C
store:
  path: $dir/scribe.db
log_level: warning
matrix:
  homeserver: $hs
C
	MATRIX_ACCESS_TOKEN=syt-fake-scribe-token "$scribe" run -c "$dir/scribe.yaml" 2> "$dir/bot.err" &
	bot_pid=$!
	db=$dir/scribe.db
	synced() { [ -n "$(sqlite3 "$db" "select value from cursors where transport = 'matrix'" 2> /dev/null)" ]; }
	poll_until 20 synced
	ctl send "{\"room\":\"$general\",\"sender\":\"@alice:fake.test\",\"body\":\"!inc declare Load test\"}" > /dev/null
	has_room() { [ -n "$(sqlite3 "$db" 'select room from incidents where id = 1' 2> /dev/null)" ]; }
	poll_until 20 has_room
	room=$(sqlite3 "$db" 'select room from incidents where id = 1')
	ctl join "{\"room\":\"$room\",\"user\":\"@alice:fake.test\"}" > /dev/null
}

stop() {
	stop_pid "$bot_pid"
	bot_pid=
	stop_pid "$fake_pid"
	fake_pid=
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

rates=()
rss=()
for r in $(seq 1 "$runs"); do
	start "ingest$r"
	ctl clear '{}' > /dev/null
	# Bursts back to back, but never more than BENCH_MATRIX_AHEAD (8,000)
	# events ahead of the store: a homeserver never holds 100,000 unread
	# events in one room, and past 10,000 Scribe marks a gap by design.
	base=$(sqlite3 "$db" 'select coalesce(max(id), 0) from timeline')
	k=0
	while ((k < n)); do
		c=$((n - k < burst ? n - k : burst))
		ctl send "{\"room\":\"$room\",\"sender\":\"@alice:fake.test\",\"body\":\"load\",\"count\":$c}" > /dev/null
		k=$((k + c))
		while (($(sqlite3 "$db" 'select coalesce(max(id), 0) from timeline') - base < k - ahead)); do
			sleep 0.002
		done
	done
	stored() { [ "$(sqlite3 "$db" "select count(*) from timeline where text like 'load %'")" -ge "$n" ]; }
	poll_until 300 stored
	confirmed() { [ "$(get 'confirmed?user=@scribe:fake.test' | jq '[.items[] | select(.confirmed_us == null)] | length')" = 0 ]; }
	poll_until 60 confirmed
	read -r first last count < <(get 'confirmed?user=@scribe:fake.test' | jq -r --argjson n "$n" '.items | sort_by(.pos) | .[-$n:] | "\(map(.appended_us) | min) \(map(.confirmed_us) | max) \(length)"')
	rate_r=$(awk -v n="$n" -v a="$first" -v b="$last" 'BEGIN {printf "%.0f", n / ((b - a) / 1e6)}')
	rates+=("$rate_r")
	rss+=("$(awk '/VmHWM/ {print $2}' "/proc/$bot_pid/status")")
	echo "  run $r: $n events in $(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.3f", (b - a) / 1e6}') s = $rate_r events/s, peak RSS $(awk -v k="${rss[-1]}" 'BEGIN {printf "%.1f", k / 1024}') MiB, /messages pages $(get 'calls?endpoint=messages' | jq '.items | length')"
	stop
done
echo "matrix ingest: median $(printf '%s\n' "${rates[@]}" | median) events/s over $runs runs (target >= 50,000/s)"
echo "matrix peak RSS: median $(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.1f", $1 / 1024}') MiB, max $(printf '%s\n' "${rss[@]}" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}') MiB (target <= 16 MiB)"

# Latency at a paced rate.
start latency
ctl clear '{}' > /dev/null
total=$((rate * secs))
for i in $(seq 1 "$total"); do
	printf 'url = "%s/_control/send"\nrequest = "POST"\nheader = "Content-Type: application/json"\ndata = "{\\"room\\":\\"%s\\",\\"sender\\":\\"@alice:fake.test\\",\\"body\\":\\"paced %d\\"}"\noutput = "/dev/null"\nnext\n' "$hs" "$room" "$i"
done | sed '$d' > "$work/paced.curl"
t0=$(date +%s.%N)
curl -sf --rate "$rate/s" -K "$work/paced.curl" > /dev/null
t1=$(date +%s.%N)
paced() { [ "$(sqlite3 "$db" "select count(*) from timeline where text like 'paced %'")" -ge "$total" ]; }
poll_until 60 paced
confirmed() { [ "$(get 'confirmed?user=@scribe:fake.test' | jq '[.items[] | select(.confirmed_us == null)] | length')" = 0 ]; }
poll_until 30 confirmed
get 'confirmed?user=@scribe:fake.test' | jq -r --argjson n "$total" '.items | sort_by(.pos) | .[-$n:][] | (.confirmed_us - .appended_us)' | sort -n > "$work/lat.txt"
awk -v reached="$(awk -v n="$total" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')" '
	{v[NR] = $1}
	END {
		p50 = v[int(NR * 0.50 + 0.5)]; p99 = v[int(NR * 0.99 + 0.5)]
		printf "matrix latency, fake to commit, at %s events/s (%d events): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
			reached, NR, p50 / 1000, p99 / 1000, v[NR] / 1000
	}' "$work/lat.txt"
stop
