# The console reads stdin whatever it is - a pipe, a regular file,
# /dev/null - prints the bot's replies without a prompt, and exits 0 at end
# of input with its replies drained; SIGTERM ends it cleanly too.
source "$(dirname "$0")/lib.bash"

cat > session.txt <<'S'
/as alice
!inc declare Search is down sev1
the index nodes are OOMing
/incident status identified
!inc nonsense words
/as bob
!inc lead @me
!inc roles
/join #ops
!inc note wrong place
!inc note INC-1 right place
/incident close INC-1
S

# A pipe.
cat session.txt | "$SCRIBE" console --db pipe.db > pipe.out 2> pipe.err
expect_grep "declare answered in #general" pipe.out '^\[#general\] scribe: 🚨 INC-1 declared: Search is down \(sev1\) → #inc-1-search-is-down$'
expect_grep "status announced in the channel" pipe.out '^\[#inc-1-search-is-down\] scribe: INC-1 status: identified$'
expect_grep "unknown command refused to its author" pipe.out "^\[#inc-1-search-is-down\] scribe → alice: ✗ unknown command 'nonsense'"
expect_grep "@me is the speaker" pipe.out 'scribe: INC-1 commander: bob$'
expect_grep "roles listed" pipe.out '^    • commander: bob$'
expect_grep "outside the channel an incident is needed" pipe.out "^\[#ops\] scribe → bob: ✗ this is not an incident channel"
expect_grep "INC-n works from anywhere" pipe.out '^\[#ops\] scribe: 📝 noted on INC-1'
expect_grep "close from elsewhere announces in both" pipe.out '^\[#inc-1-search-is-down\] scribe: 📕 INC-1 closed'
expect "no prompt on a pipe" "$(grep -cE '^#[^ ]+ [^ ]+> ' pipe.out || true)" "0"
DB=pipe.db expect "talk is on the timeline" "$(DB=pipe.db q "select author_name from timeline where text = 'the index nodes are OOMing'")" "alice"
expect "nothing left queued" "$(DB=pipe.db q "select count(*) from outbox where sent_ms is null")" "0"

# A regular file.
"$SCRIBE" console --db file.db < session.txt > file.out 2> file.err
expect "a file gives the same replies" "$(sed 's/[0-9][0-9]:[0-9][0-9] UTC/HH:MM UTC/' file.out)" "$(sed 's/[0-9][0-9]:[0-9][0-9] UTC/HH:MM UTC/' pipe.out)"

# /dev/null: nothing to do, exit 0.
env -u SCRIBE_DATA_DIR "$SCRIBE" console --db null.db < /dev/null > null.out 2> null.err
expect "/dev/null prints nothing" "$(cat null.out)" ""
expect "/dev/null logs only the start-up lines" "$(grep -v ': info: ' null.err)" ""
expect_grep "naming the database" null.err "^scribe: info: database: $WORK/null.db$"

# SIGTERM while waiting for input: a clean stop, exit 0, what was typed kept.
mkfifo in
"$SCRIBE" console --db sig.db < in > sig.out 2> sig.err &
pid=$!
exec 3> in
printf '!inc declare Signals work\nstill here\n' >&3
for ((i = 0; i < 200000; i++)); do
	[ "$(DB=sig.db q "select count(*) from timeline where text = 'still here'" 2>/dev/null)" = 1 ] && break
done
kill -TERM $pid
status=0
wait $pid || status=$?
exec 3>&-
expect "SIGTERM exits 0" "$status" "0"
expect_grep "SIGTERM is logged" sig.err 'SIGTERM: shutting down'
expect "no unclean loop" "$(grep -c 'did not close cleanly' sig.err || true)" "0"
expect "typed lines kept" "$(DB=sig.db q "select count(*) from timeline where text = 'still here'")" "1"
done_checks
