# The read-only dashboard on Scribe's HTTP server: the list of incidents
# (open first, newest first; filters by status, severity and title words;
# pages of 25), an incident's page (key facts, the picture, the postmortem
# as it reads now, the transcript behind a link) and its downloads; a
# strict Content Security Policy on every page; hostile titles escaped;
# unknown incidents 404; and who may read it: anyone on a loopback
# listener by default, nobody beyond loopback unless http.dashboard_auth
# says so, a shared token turned into a cookie, a trusted proxy's user.
source "$(dirname "$0")/lib.bash"
bots=()
trap '{ for p in "${bots[@]}"; do kill "$p"; done; } 2> /dev/null || true; rm -rf "$WORK"' EXIT

# Thirty closed incidents (one of them sev1 about orders), then one open
# one with a hostile title, into one store.
{
	for i in $(seq 1 30); do
		sev=3
		title="Routine incident $i"
		[ "$i" = 7 ] && sev=1 && title="Orders database errors"
		printf '{"ts":"2026-11-24T%02d:00:00Z","user":"maria","channel":"#general","text":"!inc declare %s sev%d"}\n' $((i % 24)) "$title" "$sev"
		printf '{"ts":"2026-11-24T%02d:05:00Z","user":"maria","text":"checkout is failing"}\n' $((i % 24))
		printf '{"ts":"2026-11-24T%02d:10:00Z","user":"maria","text":"!inc close"}\n' $((i % 24))
	done
	printf '{"ts":"2026-11-25T09:00:00Z","user":"mallory","channel":"#general","text":"!inc declare <script>alert(1)</script> & \\"x\\" sev2"}\n'
	printf '{"ts":"2026-11-25T09:01:00Z","user":"mallory","text":"<img src=x onerror=alert(2)>"}\n'
} > t.jsonl
"$SCRIBE" replay t.jsonl --db d.db --quiet 2> replay.err

# start NAME: scribe run -c NAME.yaml, its console's stdin held open;
# sets url from the listening line of its log.
start() {
	mkfifo "$1.in"
	DASH_TOKEN=let-me-in "$SCRIBE" run -c "$1.yaml" < "$1.in" > "$1.out" 2> "$1.err" &
	bots+=("$!")
	exec {hold}> "$1.in"
	wait_until grep -qs 'http: listening on ' "$1.err"
	url=http://$(sed -n 's/.*http: listening on //p' "$1.err" | head -1)
	url=${url/0.0.0.0/127.0.0.1}
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

cat > a.yaml <<C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
C
start a

curl -s -D list.h "$url/" > list.html
expect "the list answers" "$(head -1 list.h | tr -d '\r')" "HTTP/1.1 200 OK"
expect_grep "a strict Content Security Policy" list.h "^Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self';"
expect "nothing inline: no style or script element or attribute" \
	"$(grep -ciE '<script|<style|style=|onerror=|onclick=' list.html || true)" "0"
expect "the open incident comes first" \
	"$(grep -o 'href="/incidents/INC-[0-9]*"' list.html | head -3 | tr '\n' ' ')" \
	'href="/incidents/INC-31" href="/incidents/INC-30" href="/incidents/INC-29" '
expect_grep "its hostile title is escaped" list.html '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &quot;x&quot;'
expect "25 to a page" "$(grep -c '<tr><td><a href="/incidents/' list.html)" 25
expect_grep "a link to the older ones" list.html 'page=2">older'
curl -s "$url/?status=&sev=0&q=&page=2" > page2.html
expect "page 2 has the rest" "$(grep -c '<tr><td><a href="/incidents/' page2.html)" 6
expect_grep "page 2 links back" page2.html 'page=1">'
curl -s "$url/?status=open" > open.html
expect "status=open" "$(grep -o 'href="/incidents/INC-[0-9]*"' open.html | tr '\n' ' ')" 'href="/incidents/INC-31" '
curl -s "$url/?status=closed&sev=1" > sev1.html
expect "status=closed and sev=1" "$(grep -o 'href="/incidents/INC-[0-9]*"' sev1.html | tr '\n' ' ')" 'href="/incidents/INC-7" '
curl -s "$url/?q=orders%20DATABASE" > q.html
expect "a search over titles" "$(grep -o 'href="/incidents/INC-[0-9]*"' q.html | tr '\n' ' ')" 'href="/incidents/INC-7" '
curl -s "$url/?q=%25" > pct.html
expect "a % in the search is a character, not a wildcard" "$(grep -c '<tr><td><a href="/incidents/' pct.html || true)" 0
expect "the stylesheet" "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$url/static/scribe.css")" "200 text/css; charset=utf-8"

# An incident's page.
curl -s -D inc.h "$url/incidents/INC-7" > inc.html
expect_grep "the incident's page" inc.h '^HTTP/1.1 200'
expect_grep "its CSP" inc.h "^Content-Security-Policy: default-src 'none'"
expect_grep "its key facts" inc.html '<dt>Severity</dt><dd>sev1</dd>'
expect_grep "its picture" inc.html '<img class="picture" src="/incidents/INC-7/picture\.svg\?v=[0-9]+"'
expect_grep "its postmortem" inc.html '<h1>Postmortem: INC-7 Orders database errors</h1>'
expect "no transcript unless asked" "$(grep -c 'Appendix: transcript' inc.html || true)" 0
curl -s "$url/incidents/INC-7?transcript=1" > full.html
expect_grep "the transcript when asked" full.html 'Appendix: transcript'
expect_grep "the transcript holds what was said" full.html 'checkout is failing'
curl -s "$url/incidents/INC-7/picture.svg" > pic.svg
expect "the picture is well-formed SVG" "$(xmllint --noout pic.svg 2>&1 && echo ok)" "ok"
curl -s "$url/incidents/INC-7/postmortem.md" > pm.md
"$SCRIBE" postmortem INC-7 --db d.db > want.md
expect "the Markdown download is the postmortem" "$(cmp pm.md want.md && echo same)" "same"
curl -s -D json.h "$url/incidents/INC-7/postmortem.json" > pm.json
expect "the JSON download parses" "$(python3 -c 'import json,sys; json.load(open("pm.json")); print("ok")')" "ok"
expect_grep "a download is a file" json.h '^Content-Disposition: attachment'
curl -s "$url/incidents/INC-31" > open.html
expect_grep "an open incident shows a draft" open.html 'a draft: the incident is open'
curl -s "$url/incidents/INC-31?transcript=1" > hostile.html
expect "its hostile message is no markup" "$(grep -ci '<img src=x' hostile.html || true)" 0
expect_grep "its hostile message is text" hostile.html '&lt;img src=x onerror=alert\(2\)&gt;' 

# Live: an open incident's page carries the one script and a stream of
# server-sent events; a message said in the incident's channel reaches the
# stream (the page then fetches itself again: tests/integration does not
# drive a browser here). A closed incident's page is not live.
expect_grep "an open page is live" open.html '<main data-live="/incidents/INC-31/events">'
expect_grep "with its script" open.html '<script src="/static/live.js" defer></script>'
expect "a closed page is not" "$(grep -c 'data-live\|live.js' inc.html || true)" 0
expect "the script" "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$url/static/live.js")" "200 text/javascript; charset=utf-8"
curl -sN -D sse.h "$url/incidents/INC-31/events" > sse.out &
sse=$!
bots+=("$sse")
wait_until grep -qs '^: live' sse.out
expect_grep "the stream is server-sent events" sse.h '^content-type: text/event-stream'
chan=$(DB=d.db q "select channel from incidents where id = 31")
printf '/as bob\n/join #%s\nthe queue is draining now\n' "$chan" > a.in
wait_until grep -qs '^data: ' sse.out
expect_grep "a new entry is told" sse.out '^data: [0-9]+$'
expect_grep "and is on the page" <(curl -s "$url/incidents/INC-31?transcript=1") 'the queue is draining now'
kill "$sse" 2> /dev/null || true

# What is not there.
expect "an unknown incident" "$(code "$url/incidents/INC-99")" 404
expect "not an incident" "$(code "$url/incidents/INC-x")" 404
expect "an unknown download" "$(code "$url/incidents/INC-7/postmortem.exe")" 404
expect "a traversal" "$(code --path-as-is "$url/incidents/../../etc/passwd")" 404

# Beyond loopback with no word on who may read it: off.
cat > b.yaml <<C
store:
  path: d.db
http:
  listen: 0.0.0.0:0
C
start b
expect "beyond loopback, unset: refused" "$(code "$url/")" 403
expect "healthz still answers" "$(code "$url/healthz")" 200

# A shared token: given once, then a cookie.
cat > c.yaml <<C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
  dashboard_auth: token
  dashboard_token_env: DASH_TOKEN
C
start c
expect "token: none" "$(code "$url/")" 401
expect "token: a wrong one" "$(code "$url/?token=nope")" 401
curl -s -D tok.h -o /dev/null "$url/incidents/INC-7?token=let-me-in"
expect_grep "token: the right one redirects" tok.h '^HTTP/1.1 303'
expect_grep "token: off the address bar" tok.h '^Location: /incidents/INC-7'
expect_grep "token: into a cookie" tok.h '^Set-Cookie: scribe_dashboard=let-me-in; Path=/; HttpOnly; SameSite=Strict'
expect "token: the cookie lets in" "$(code -H 'Cookie: a=b; scribe_dashboard=let-me-in' "$url/incidents/INC-7")" 200
expect "token: a wrong cookie does not" "$(code -H 'Cookie: scribe_dashboard=let-me-i' "$url/")" 401
expect "token: never in the log" "$(grep -c 'let-me-in' c.err || true)" 0

# A trusted proxy names the user.
cat > p.yaml <<C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
  dashboard_auth: proxy
  trusted_proxies: [127.0.0.1]
C
start p
expect "proxy: with a user" "$(code -H 'X-Forwarded-User: maria' "$url/")" 200
expect "proxy: without one" "$(code "$url/")" 401
cat > q.yaml <<C
store:
  path: d.db
http:
  listen: 127.0.0.1:0
  dashboard_auth: proxy
  trusted_proxies: [10.9.9.9]
C
start q
expect "proxy: from an address not trusted" "$(code -H 'X-Forwarded-User: maria' "$url/")" 401
done_checks
