# Replays a JSON Lines transcript with every kind of line (messages, thread
# replies, edits, deletes, reactions, files, commands) and checks what the
# store holds; replays it again and checks that nothing was added.
source "$(dirname "$0")/lib.bash"

cat > t.jsonl <<'T'
{"ts":"2026-11-24T09:00:00Z","user":"alice","text":"morning all"}
{"ts":"2026-11-24T09:01:00Z","user":"alice","text":"!inc declare Checkout latency sev2"}
{"ts":"2026-11-24T09:02:00Z","user":"bob","id":"m1","text":"p99 is 4s on checkout"}
{"ts":"2026-11-24T09:02:30Z","user":"carol","id":"m2","thread":"m1","text":"seeing it too in eu-west"}
{"ts":"2026-11-24T09:03:00Z","user":"bob","id":"e1","kind":"edit","ref":"m1","text":"p99 is 6s on checkout"}
{"ts":"2026-11-24T09:03:30Z","user":"bob","id":"e2","kind":"edit","ref":"m1","text":"p99 is 8s on checkout"}
{"ts":"2026-11-24T09:04:00Z","user":"dave","id":"m3","text":"password=hunter2 oops"}
{"ts":"2026-11-24T09:04:10Z","user":"dave","id":"d1","kind":"delete","ref":"m3"}
{"ts":"2026-11-24T09:05:00Z","user":"alice","id":"r1","kind":"reaction","ref":"m1","emoji":"📌"}
{"ts":"2026-11-24T09:05:05Z","user":"carol","id":"r2","kind":"reaction","ref":"m2","emoji":"👀"}
{"ts":"2026-11-24T09:06:00Z","user":"carol","id":"f1","kind":"file","text":"flame graph","file":{"name":"flame.svg","type":"image/svg+xml","url":"https://files.example/flame.svg"}}
{"ts":"2026-11-24T09:07:00Z","user":"bob","id":"e3","kind":"edit","ref":"nope","text":"x"}
{"ts":"2026-11-24T09:07:10Z","user":"bob","id":"d2","kind":"delete","ref":"m3"}
{"ts":"2026-11-24T09:08:00Z","user":"bob","text":"!inc mark mitigated at 09:07"}
{"ts":"2026-11-24T09:08:00Z","user":"bob","text":"same second, same text"}
{"ts":"2026-11-24T09:08:00Z","user":"bob","text":"same second, same text"}
not json at all
{"ts":"yesterday","user":"bob","text":"bad time"}
{"ts":"2026-11-24T09:09:00Z","user":42,"text":"bad user"}
{"ts":"2026-11-24T09:09:00Z","user":"bob","kind":"shout","text":"bad kind"}
{"ts":"2026-11-24T09:09:00Z","user":"bob","kind":"file","file":"flame.svg"}
{"ts":"2026-11-24T09:10:00Z","user":"alice","channel":"#general","text":"back in general"}
{"ts":"2026-11-24T09:11:00Z","user":"alice","text":"!inc close"}
T

"$SCRIBE" replay t.jsonl --db scribe.db > out.txt 2> err.txt
expect "replay exits 0" "$?" "0"
expect_grep "malformed line reported with its number" err.txt '^t.jsonl:17: not a JSON object'
expect_grep "bad time reported" err.txt '^t.jsonl:18: "ts" must be an RFC 3339'
expect_grep "wrong type reported" err.txt '^t.jsonl:19: "user" must be a string'
expect_grep "unknown kind reported" err.txt "^t.jsonl:20: unknown kind 'shout'"
expect_grep "bad file reported" err.txt '^t.jsonl:21: "file" must be an object'
expect_grep "edit of an unknown message reported" err.txt "^t.jsonl:12: edit ignored: there is no message 'nope'"
expect_grep "second delete reported" err.txt "^t.jsonl:13: delete ignored: message 'm3' was deleted"
expect_grep "declare moved into the channel" out.txt '^\[#inc-1-checkout-latency\] scribe: INC-1 severity|^\[#inc-1-checkout-latency\] scribe: INC-1 · sev2'
expect_grep "close replied in the incident channel" out.txt '^\[#inc-1-checkout-latency\] scribe: 📕 INC-1 closed'

expect "messages on the timeline" "$(q "select count(*) from timeline where kind='message'")" "5"
expect "thread reply keeps its root" "$(q "select thread from timeline where source_id='m2'")" "m1"
expect "edited text is the latest" "$(q "select text, edits from timeline where source_id='m1'")" "p99 is 8s on checkout|2"
expect "revisions keep the history" "$(q "select group_concat(rev || ':' || text, ' / ') from revisions")" "1:p99 is 4s on checkout / 2:p99 is 6s on checkout"
expect "delete leaves a tombstone" "$(q "select text, deleted_by, deleted_ms is not null from timeline where source_id='m3'")" "|dave|1"
expect "the secret is gone" "$(q "select count(*) from timeline where text like '%hunter2%'")" "0"
expect "pin marks a key entry" "$(q "select key from timeline where source_id='m1'")" "1"
expect "other reactions do not" "$(q "select key from timeline where source_id='m2'")" "0"
expect "reactions recorded" "$(q "select count(*) from timeline where kind='reaction'")" "2"
expect "file recorded" "$(q "select name, type, url from files")" "flame.svg|image/svg+xml|https://files.example/flame.svg"
expect "backdated mark" "$(q "select datetime(mitigated_ms/1000,'unixepoch') from incidents")" "2026-11-24 09:07:00"
expect "exact repeats both kept" "$(q "select count(*) from timeline where text='same second, same text'")" "2"
expect "a channel on the line overrides" "$(q "select count(*) from timeline where text='back in general'")" "0"
expect "closed" "$(q "select closed_ms is not null, revision from incidents")" "1|1"
expect "what #general said before the declare is the incident's context" \
	"$(q "select kind, incident_id, room, text, source_id like 'ctx:1:%' from timeline where kind='context'")" \
	"context|1|#general|morning all|1"

before=$(q "select count(*) from timeline")
"$SCRIBE" replay t.jsonl --db scribe.db --quiet > out2.txt 2> err2.txt
expect "second replay exits 0" "$?" "0"
expect "second replay adds nothing" "$(q "select count(*) from timeline")" "$before"
expect "second replay sends nothing" "$(q "select count(*) from outbox where sent_ms is null")" "0"
expect_grep "second replay says so" err2.txt 'replay: 23 lines, 0 recorded, 14 already recorded, 2 outside incidents, 7 skipped'
expect "one incident" "$(q "select count(*) from incidents")" "1"
"$SCRIBE" db check --db scribe.db > check.txt
expect_grep "db check ok" check.txt 'ok \(schema version'

# Context: the declare's channel within context_before (30 min) before it,
# that channel only; in the postmortem, before the declare and where.
cat > w.jsonl <<'T'
{"ts":"2026-11-24T08:00:00Z","user":"deploy-bot","text":"deployed api v2 to production"}
{"ts":"2026-11-24T08:45:00Z","user":"pd","text":"ALERT: api 5xx at 12%"}
{"ts":"2026-11-24T08:46:00Z","user":"lee","channel":"#random","text":"deployed the office printer driver"}
{"ts":"2026-11-24T09:00:00Z","user":"alice","text":"!inc declare Api errors sev2"}
{"ts":"2026-11-24T09:01:00Z","user":"alice","text":"!inc postmortem"}
T
"$SCRIBE" replay w.jsonl --db w.db > w.out 2> w.err
expect "context: only the window, only the channel" \
	"$(sqlite3 w.db "select author_name || ': ' || text from timeline where kind='context'")" "pd: ALERT: api 5xx at 12%"
expect_grep "the draft's Timeline says where and when" w.out \
	'08:45 — ALERT: api 5xx at 12% \(pd, before the declare, in \\#general\)'
expect_grep "the draft's transcript has it too" w.out \
	'08:45 \*\*pd\*\* _\(before the declare, in \\#general\)_: ALERT: api 5xx at 12%'
printf 'context_before: 0\n' > off.yaml
"$SCRIBE" replay w.jsonl --db off.db -c off.yaml --quiet 2> off.err
expect "context_before: 0 keeps none" "$(sqlite3 off.db "select count(*) from timeline where kind='context'")" "0"
done_checks
