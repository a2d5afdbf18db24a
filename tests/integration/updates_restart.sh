# Update reminders on the loop's clock survive a restart: they are
# computed from the stored times, and each interval is reminded once. A
# sev1 with update_every 2s is declared on the console; after the first
# reminder Scribe stops and starts again, and the next reminder comes one
# interval after the first, not at once and not twice.
source "$(dirname "$0")/lib.bash"

cat > scribe.yaml <<'Y'
store:
  path: scribe.db
severities:
  - level: 1
    description: critical
    update_every: 2s
  - level: 3
    description: moderate
Y

# run_console OUT: Scribe's console reading the fifo `in`, in the
# background; feed it with `exec 3>in`.
run_console() {
	rm -f in
	mkfifo in
	"$SCRIBE" console -c scribe.yaml < in > "$1" 2>> err.txt &
	pid=$!
	exec 3> in
}
stop_console() {
	exec 3>&-
	wait "$pid"
}
reminders() { grep -c '⏰ .* · INC-1 has had no status update' "$1" || true; }
has_reminder() { [ "$(reminders "$1")" -ge 1 ]; }

run_console out1.txt
echo '!inc declare Orders database errors sev1' >&3
wait_until has_reminder out1.txt
stop_console
expect "the first run ends cleanly" "$?" "0"
first=$(q "SELECT reminded_ms FROM reminders")

run_console out2.txt
echo 'checking the replica' >&3
wait_until has_reminder out2.txt
stop_console
expect "one reminder in the second run" "$(reminders out2.txt)" "1"

# Each reminder one interval (2 s) or more after the one before, and the
# state kept matches the last one sent.
expect "no interval reminded twice" "$(q "
	SELECT count(*) FROM outbox a JOIN outbox b ON b.id = (SELECT min(id)
	FROM outbox WHERE id > a.id AND body LIKE '⏰ %')
	WHERE a.body LIKE '⏰ %' AND b.created_ms - a.created_ms < 2000")" "0"
expect "the second run went on from the first" \
	"$(q "SELECT min(created_ms) - $first >= 2000 FROM outbox
	      WHERE body LIKE '⏰ %' AND created_ms > $first")" "1"
expect "all sent" "$(q "SELECT count(*) FROM outbox WHERE sent_ms IS NULL")" "0"

done_checks
