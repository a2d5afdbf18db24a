# ctest: LABELS heavy
# The dashboard in a real browser: Debian's Chromium, driven by npm's
# playwright-core (tests/browser/dashboard.mjs), loads the list and an
# incident's page and checks the DOM it rendered (with the Content Security
# Policy enforced), uses the filter form, keeps screenshots under the build
# folder (tests/artifacts/), and watches an open incident's page show a new
# message without a reload.
ARTIFACTS=${ARTIFACTS:-$PWD/artifacts}
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)
source "$(dirname "$0")/lib.bash"
bots=()
trap '{ for p in "${bots[@]}"; do kill "$p"; done; } 2> /dev/null || true; rm -rf "$WORK"' EXIT
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "FAIL: $CHROMIUM is missing: install Debian's chromium (make test-deps)" >&2
	exit 1
fi
if ! command -v node > /dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "FAIL: node >= 20 is needed" >&2
	exit 1
fi

# The node project, in a temporary copy (node_modules from the source
# tree when present, else npm ci from the lock file).
src=$SCRIBE_SOURCE_DIR/tests/browser
mkdir browser
cp "$src/package.json" "$src/package-lock.json" "$src/dashboard.mjs" browser/
if [ -d "$src/node_modules/playwright-core" ]; then
	ln -s "$src/node_modules" browser/node_modules
elif ! (cd browser && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1); then
	cat browser/npm.log >&2
	expect "npm ci" failed ok
	done_checks
	exit 1
fi

# Two closed incidents and an open one with a title that looks like markup.
cat > t.jsonl << 'T'
{"ts":"2026-11-24T10:00:00Z","user":"maria","channel":"#general","text":"!inc declare Checkout errors sev2"}
{"ts":"2026-11-24T10:05:00Z","user":"maria","text":"!inc hypothesis the release"}
{"ts":"2026-11-24T10:20:00Z","user":"maria","text":"!inc confirm H1 rolled back, errors gone"}
{"ts":"2026-11-24T10:30:00Z","user":"maria","text":"!inc close"}
{"ts":"2026-11-24T11:00:00Z","user":"jon","channel":"#general","text":"!inc declare Slow search sev3"}
{"ts":"2026-11-24T11:30:00Z","user":"jon","text":"!inc close"}
{"ts":"2026-11-25T09:00:00Z","user":"dana","channel":"#general","text":"!inc declare Cache <b>bold</b> stampede sev1"}
{"ts":"2026-11-25T09:01:00Z","user":"dana","text":"hit rate fell to 20%"}
T
"$SCRIBE" replay t.jsonl --db d.db --quiet 2> replay.err
channel=$(DB=d.db q "select channel from incidents where id = 3")

cat > s.yaml << C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
C
mkfifo s.in
"$SCRIBE" run -c s.yaml < s.in > s.out 2> s.err &
bots+=("$!")
exec {hold}> s.in
wait_until grep -qs 'http: listening on ' s.err
url=http://$(sed -n 's/.*http: listening on //p' s.err | head -1)

CHROMIUM=$CHROMIUM node browser/dashboard.mjs "$url" "$WORK/s.in" "$channel" "$ARTIFACTS" > browser.out 2>&1 || true
cat browser.out
expect "every check in the browser passed" "$(tail -1 browser.out)" "ok: 0 failed"
for f in dashboard-list dashboard-incident dashboard-live; do
	expect "screenshot $f kept" "$(test -s "$ARTIFACTS/$f.png" && echo yes)" yes
done
done_checks
