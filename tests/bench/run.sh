#!/usr/bin/env bash
# Scribe's benchmarks: they print numbers (medians of several runs) and
# never assert on time. Usage: tests/bench/run.sh BUILD_DIR
#
# replay ingest: a 100,000-message transcript replayed into a fresh
# database with group commit (the default), and again with one fsynced
# transaction per message (--batch 1) as the baseline, side by side.
#
# postmortem render: `scribe postmortem` of a closed incident with 100,000
# timeline entries and of a typical one with 300, process start included;
# the incident picture (SVG) of 100,000 entries and 20 hypotheses.
#
# playbooks: 500 playbooks parsed and loaded from a folder; the keyword
# matcher on a 40 KB message.
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
scribe=$(cd "$build" && pwd)/scribe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

n=${BENCH_MESSAGES:-100000}
runs=${BENCH_RUNS:-5}
awk -v n="$n" -f "$here/../fakes/transcript.awk" > "$work/t.jsonl"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One replay into a fresh database; prints "seconds peak_rss_kib".
replay_once() {
	rm -f "$work"/b.db*
	/usr/bin/time -f '%e %M' -o "$work/time" \
		"$scribe" replay "$work/t.jsonl" --db "$work/b.db" --quiet "$@" 2>/dev/null
	cat "$work/time"
}

bench() {
	local label=$1 r; shift
	: > "$work/secs"; : > "$work/rss"
	for ((r = 0; r < runs; r++)); do
		read -r s k < <(replay_once "$@")
		echo "$s" >> "$work/secs"; echo "$k" >> "$work/rss"
	done
	local s k
	s=$(median < "$work/secs"); k=$(median < "$work/rss")
	awk -v l="$label" -v n="$n" -v s="$s" -v k="$k" 'BEGIN {
		printf "%-34s %9.3f s  %10.0f msg/s  peak RSS %6.1f MiB\n",
			l, s, (n + 1) / (s > 0 ? s : 0.001), k / 1024 }'
	echo "$s" > "$work/last"
}

echo "replay ingest, $n messages, median of $runs runs ($(nproc) cores)"
bench "group commit (batch 4096)"
g=$(cat "$work/last")
runs=${BENCH_RUNS_FSYNC:-3}
bench "one transaction per message" --batch 1
f=$(cat "$work/last")
awk -v g="$g" -v f="$f" 'BEGIN { printf "group commit is %.1fx the per-message baseline\n", f / g }'

# ---- postmortem render ----------------------------------------------------
# In process (bench_render: the store opened once, the renderer timed), and
# as a whole `scribe postmortem` command (process start included).
render() {
	local entries=$1 label=$2 r
	awk -v n="$entries" -v closing=1 -f "$here/../fakes/transcript.awk" > "$work/pm.jsonl"
	rm -rf "$work"/pm.db* "$work/postmortems"
	(cd "$work" && "$scribe" replay pm.jsonl --db pm.db --quiet 2>/dev/null)
	read -r med best rss cpu pick story rows picked lines < <("$(dirname "$scribe")/tests/bench/bench_render" "$work/pm.db" 1 "${BENCH_RUNS:-5}" 2>/dev/null)
	: > "$work/secs"
	for ((r = 0; r < ${BENCH_RUNS:-5}; r++)); do
		t0=$EPOCHREALTIME
		"$scribe" postmortem INC-1 --db "$work/pm.db" > "$work/pm.md"
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1000 }' >> "$work/secs"
	done
	awk -v l="$label" -v m="$med" -v r="$rss" -v c="$(median < "$work/secs")" \
		-v b="$(wc -c < "$work/pm.md")" -v u="$cpu" -v p="$pick" -v s="$story" \
		-v n="$rows" -v k="$picked" -v t="$lines" 'BEGIN {
		printf "%-30s render %8.2f ms (CPU %.2f ms)  peak RSS %5.1f MiB  | command %7.1f ms  (%.2f MiB document)\n",
			l, m, u, r, c, b / 1048576
		printf "%-30s key-moment picker alone %.2f ms CPU over %d rows (%d picked); the whole story %.2f ms, %d Timeline lines\n",
			"", p, n, k, s, t }'
}
echo
echo "postmortem render, median of ${BENCH_RUNS:-5} runs"
render 100000 "100,000 timeline entries"
render 300 "300 timeline entries"

# The incident picture of 100,000 entries with 20 hypotheses, in process.
awk -v n=100000 -v hyps=20 -v closing=1 -f "$here/../fakes/transcript.awk" > "$work/svg.jsonl"
rm -rf "$work"/svg.db* "$work/postmortems"
(cd "$work" && "$scribe" replay svg.jsonl --db svg.db --quiet 2>/dev/null)
read -r med best rss _ < <("$(dirname "$scribe")/tests/bench/bench_render" "$work/svg.db" 1 "${BENCH_RUNS:-5}" svg 2>/dev/null)
printf "%-30s render %8.2f ms  peak RSS %5.1f MiB  (picture, 20 hypotheses)\n" "100,000 timeline entries" "$med" "$rss"

# ---- playbooks ---------------------------------------------------------------
echo
echo "playbooks: 500 loaded at start-up, a 40 KB message matched"
"$(dirname "$scribe")/tests/bench/bench_playbooks" "${BENCH_RUNS:-7}"

echo
"$here/slack.sh" "$build"
echo
"$here/matrix.sh" "$build"
echo
"$here/dashboard.sh" "$build"
