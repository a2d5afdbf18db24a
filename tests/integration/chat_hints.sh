# The conversation as a new user meets it (issue 11, core side; issue 12's
# command items), through the real binary: on the console, every hint the
# bot gives works when typed as shown; /as and /join without an argument
# answer with their usage; "did you mean"; what a missing argument is;
# malformed INC-<n> and extra words are refused; bidi controls are
# neutralised; a close from another channel is said in both places; a note
# on a closed incident says where it goes. In a replay (the transcript's
# clock): the Times rule, step messages with sql_flavors, out-of-order
# steps, `playbook show` of a finished run, and suggestions.
source "$(dirname "$0")/lib.bash"

# ---- the console --------------------------------------------------------

cat > session.txt <<'S'
/as
/join
/as alice
!inc declare Search is down sev2
!inc help
!inc declre again
!inc status identifed
!inc hypothesis
!inc resolve please
!inc close INC-0
!inc close INC-x
!inc resolve INC-1x
!inc note the ‮gnihcac layer
S
cat > session2.txt <<'S'
/join #ops
!inc close INC-1
!inc note INC-1 the vendor confirmed it
S
"$SCRIBE" console --db con.db < session.txt > con.out 2> con.err
expect "malformed references changed nothing" \
	"$(DB=con.db q "select status || ',' || coalesce(resolved_ms, 0) from incidents where id = 1")" "investigating,0"
"$SCRIBE" console --db con.db < session2.txt >> con.out 2>> con.err
DB=con.db expect "/as and /join alone are not chat" \
	"$(DB=con.db q "select count(*) from timeline where text in ('/as', '/join')")" "0"
expect_grep "/as alone gives its usage" con.out '^usage: /as <name>$'
expect_grep "/join alone gives its usage" con.out '^usage: /join #channel$'
expect_grep "the declare hint carries the prefix" con.out '`!inc help` lists the commands\.$'
# The hint works as typed: `!inc help` answers with the list.
expect_grep "the hint, typed, answers" con.out 'scribe: Scribe commands \(`!inc help <command>` for one\):$'
expect_grep "help lists usage as typed" con.out '^    `!inc hypothesis <text>` — '
expect_grep "did you mean a command" con.out "✗ unknown command 'declre': did you mean \`!inc declare\`\? \`!inc help\` lists the commands$"
expect_grep "did you mean a value" con.out "✗ unknown status 'identifed' \(did you mean 'identified'\?\)$"
expect_grep "what is missing" con.out '✗ `hypothesis` needs the text of the hypothesis: `!inc hypothesis <text>`$'
expect_grep "extra words refused" con.out "✗ \`resolve\` takes nothing after it: 'please' is unexpected$"
expect_grep "INC-0 refused" con.out "✗ 'INC-0' is not an incident: use INC-<n>, as in INC-3$"
expect_grep "INC-x refused" con.out "✗ 'INC-x' is not an incident"
expect_grep "INC-1x refused" con.out "✗ 'INC-1x' is not an incident"
expect "Scribe's posts and postmortem carry no RLO" "$(grep -c $'\u202e' con.out || true)" "0"
expect "the timeline keeps what was typed" \
	"$(DB=con.db q "select count(*) from timeline where text like '%'||char(8238)||'%'")" "2"
expect_grep "close from elsewhere: said where typed" con.out '^\[#ops\] scribe: 📕 INC-1 closed'
expect_grep "close from elsewhere: said in the channel" con.out '^\[#inc-1-search-is-down\] scribe: 📕 INC-1 closed'
expect_grep "close from elsewhere: what the postmortem lacks, where typed" con.out '^\[#ops\] scribe: 📋 INC-1.s postmortem still lacks:$'
expect_grep "and in the channel" con.out '^\[#inc-1-search-is-down\] scribe: 📋 INC-1.s postmortem still lacks:$'
expect_grep "each gap with its command, as typed" con.out '^    • the root cause — `!inc rootcause <text>`$'
expect_grep "a note on a closed incident says so" con.out '📕 INC-1 is closed: this is on its timeline and goes into the next revision of its postmortem \(`!inc postmortem update` writes it\)\.$'

# ---- replay: the Times rule, steps and suggestions -------------------------

mkdir -p playbooks
cp "$SCRIBE_SOURCE_DIR/playbooks/db-deadlock.yaml" "$SCRIBE_SOURCE_DIR/playbooks/db-outage-triage.yaml" playbooks/
cat > scribe.yaml <<'Y'
sql_flavors: [mariadb]
Y
cat > t.jsonl <<'T'
{"ts":"2026-12-03T07:00:00Z","user":"alice","text":"!inc declare Checkout stalls sev2"}
{"ts":"2026-12-03T07:01:00Z","user":"bob","text":"db password is hunter2, rotating it now"}
{"ts":"2026-12-03T07:04:00Z","user":"alice","text":"!inc mark started at 13:55"}
{"ts":"2026-12-03T07:04:30Z","user":"alice","text":"!inc mark started at 2026-12-02 13:55"}
{"ts":"2026-12-03T07:05:00Z","user":"alice","text":"!inc mark detected at 06:50"}
{"ts":"2026-12-03T07:05:30Z","user":"alice","text":"!inc mark started at 0000-01-01 00:00"}
{"ts":"2026-12-03T07:06:00Z","user":"alice","text":"!inc event at 23:10 the nightly batch began"}
{"ts":"2026-12-03T07:07:00Z","user":"carol","text":"lock wait timeouts on orders, looks like a deadlock"}
{"ts":"2026-12-03T07:08:00Z","user":"alice","text":"!inc playbook start db-deadlock"}
{"ts":"2026-12-03T07:09:00Z","user":"carol","text":"still deadlocked"}
{"ts":"2026-12-03T07:10:00Z","user":"alice","text":"!inc step done S3 killed it"}
{"ts":"2026-12-03T07:12:00Z","user":"alice","text":"!inc step done S1 migration 0042 altered orders"}
{"ts":"2026-12-03T07:13:00Z","user":"alice","text":"!inc step show S2 --all"}
T
"$SCRIBE" replay -c scribe.yaml --db rep.db t.jsonl > rep.out 2> rep.err
expect_grep "13:55 at 07:04 asks for the date" rep.out "✗ 13:55 would be 2026-12-02 13:55, 17 h 9 min ago: give the date, as in \`at 2026-12-02 13:55\`$"
expect_grep "another day is echoed with its date" rep.out 'INC-1 started at 2026-12-02 13:55 UTC$'
expect_grep "the same day is not" rep.out 'INC-1 detected at 06:50 UTC$'
expect_grep "year 0 refused" rep.out '✗ 0000-01-01 00:00 is before 1970'
expect_grep "event at yesterday echoes the date" rep.out 'event at 2026-12-02 23:10 UTC on INC-1'
expect "started is the dated mark" \
	"$(DB=rep.db q "select started_ms from incidents where id = 1")" "$(( $(date -u -d '2026-12-02 13:55' +%s) * 1000 ))"
expect "db password suggested nothing" \
	"$(DB=rep.db q "select count(*) from timeline where text like 'suggested db-outage-triage%'")" "0"
expect "the deadlock talk suggested db-deadlock once" \
	"$(DB=rep.db q "select count(*) from timeline where text like 'suggested db-deadlock%'")" "1"
sed -n '/▶ db-deadlock · S1 of/,/`!inc step done S1/p' rep.out > s1.out
expect_grep "S1 shows the configured flavour" s1.out '^    MariaDB — DDL running now'
expect "and not the others" "$(grep -c '^    MySQL\|^    PostgreSQL' s1.out || true)" "0"
expect_grep "and says where they are" s1.out 'snippets for other SQL flavours: `!inc step show S1 --all`\)$'
expect_grep "done ahead is refused, with how" rep.out "✗ S1–S2 of db-deadlock are still open: skip each with a reason first \(\`!inc step skip S1 <why>\`\), then \`!inc step done S3\`$"
expect_grep "the confirmation says who, how long, the evidence" rep.out '✅ S1 of db-deadlock done by alice in 4 min — evidence: migration 0042 altered orders$'
expect_grep "step show --all shows every flavour" rep.out '^    PostgreSQL — '
# A playbook started without a suggestion is not suggested while it runs,
# nor after; `playbook show` after it finished shows the finished run.
mkdir -p tiny
cat > tiny/cache-check.yaml <<'P'
id: cache-check
title: Cache check
triggers:
  keywords: [cache]
steps:
  - id: hit-ratio
    title: Hit ratio
    instructions: Look at the hit ratio.
  - id: warm
    title: Warm it
    instructions: Warm the cache.
P
printf 'playbooks_dir: tiny\n' > tiny.yaml
cat > t2.jsonl <<'T'
{"ts":"2026-12-03T08:00:00Z","user":"sam","text":"!inc declare Login slow sev3"}
{"ts":"2026-12-03T08:01:00Z","user":"sam","text":"!inc playbook start cache-check"}
{"ts":"2026-12-03T08:02:00Z","user":"kim","text":"the cache is cold"}
{"ts":"2026-12-03T08:03:00Z","user":"kim","text":"!inc step skip S1 ratio is obviously 0"}
{"ts":"2026-12-03T08:05:00Z","user":"kim","text":"!inc step done warmed from the replica"}
{"ts":"2026-12-03T08:06:00Z","user":"sam","text":"cache looks fine now"}
{"ts":"2026-12-03T08:07:00Z","user":"sam","text":"!inc playbook show"}
T
"$SCRIBE" replay -c tiny.yaml --db rep2.db t2.jsonl > rep2.out 2> rep2.err
expect "a running or finished playbook is not suggested" \
	"$(DB=rep2.db q "select count(*) from timeline where text like 'suggested%'")" "0"
expect_grep "playbook show after the run: the finished run" rep2.out 'scribe: 🏁 cache-check finished at 08:05 UTC, 4 min after sam started it:$'
expect_grep "with each step" rep2.out '^    ⏭ S1 Hit ratio — skipped by kim at 08:03: ratio is obviously 0$'
expect_grep "and how to run it again" rep2.out '^    `!inc playbook start cache-check` runs it again; `!inc playbook list` shows the others\.$'
done_checks
