#!/usr/bin/env bash
# The dashboard's numbers (issue 16, "Numbers"). Usage:
# tests/bench/dashboard.sh BUILD_DIR (a release build). Prints medians and
# never asserts on time; exits non-zero only when something broke.
#
# 1. The list page (GET /, one page of 25) with 10,000 incidents in the
#    store: 9,999 closed ones written straight into a replayed store (the
#    page reads only the incidents table and the commander), and one open.
# 2. An open incident's page with 10,000 timeline entries, without the
#    transcript (the postmortem drafted as of now, the picture linked).
# 3. The same page with the transcript (for scale).
# 4. The picture of that incident (GET .../picture.svg).
# Each is timed by curl (time_total) over a kept-alive connection,
# BENCH_DASH_RUNS (21) requests, after one warm-up; the median and the
# fastest, in milliseconds.
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
scribe=$(cd "$build" && pwd)/scribe
runs=${BENCH_DASH_RUNS:-21}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2> /dev/null; rm -rf "$work"' EXIT
export TZ=UTC
cd "$work"

awk -v n=10000 -f "$here/../fakes/transcript.awk" > big.jsonl
"$scribe" replay big.jsonl --db d.db --quiet 2> /dev/null
# 9,999 closed incidents beside it, as the list sees them.
sqlite3 d.db "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO incidents (id, title, slug, severity, status, platform, channel,
  declared_by_id, declared_by_name, declared_ms, resolved_ms, closed_ms)
SELECT i, 'Past incident ' || i, 'past-incident-' || i, 1 + i % 4, 'resolved',
  'console', 'inc-' || i, 'alice', 'alice', 1700000000000 + i * 60000,
  1700000000000 + i * 60000 + 1800000, 1700000000000 + i * 60000 + 1900000 FROM n;"

mkfifo in
cat > s.yaml <<C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
C
"$scribe" run -c s.yaml < in > out.log 2> err.log &
pid=$!
exec {hold}> in
for _ in $(seq 300); do grep -qs 'http: listening on ' err.log && break; sleep 0.05; done
url=http://$(sed -n 's/.*http: listening on //p' err.log | head -1)
[ "$url" != http:// ] || { echo "scribe did not listen" >&2; cat err.log >&2; exit 1; }

# time PATH LABEL: the median and the fastest of $runs requests.
time_it() {
	local args=() i
	for ((i = 0; i <= runs; i++)); do args+=(-o /dev/null -w '%{time_total}\n' "$url$1"); done
	curl -s "${args[@]}" | tail -n +2 | sort -g > t.txt
	[ "$(wc -l < t.txt)" -eq "$runs" ] || { echo "requests to $1 failed" >&2; exit 1; }
	awk -v l="$2" '{ v[NR] = $1 * 1000 } END { printf "%-44s median %7.2f ms  fastest %7.2f ms\n", l, v[int((NR + 1) / 2)], v[1] }' t.txt
}
curl -s -o page.html "$url/" && grep -q 'href="/incidents/INC-1"' page.html || { echo "the list lacks INC-1" >&2; exit 1; }
echo "dashboard, $runs requests each over one connection (targets: list and page <= 20 ms)"
time_it "/" "list page, 10,000 incidents (page 1 of 400)"
time_it "/?page=300" "list page 300 of 400"
time_it "/incidents/INC-1" "incident page, 10,000 entries, no transcript"
time_it "/incidents/INC-1?transcript=1" "the same with its transcript"
time_it "/incidents/INC-1/picture.svg" "its picture"
