# Status updates and their reminders on the transcript's clock: a sev1
# incident (update_every 30m) over five hours, with an update, a snooze,
# reminders off and on again at 15m, and a resolve. Each reminder shows
# at its own time, once; a second replay of the file adds none.
source "$(dirname "$0")/lib.bash"

cat > t.txt <<'T'
2026-11-24 14:00 maria: !inc declare Orders database errors sev1
2026-11-24 14:10 bob: checkout is failing
2026-11-24 14:45 bob: still failing
2026-11-24 15:20 maria: !inc update Failover to the replica started
2026-11-24 16:05 bob: replica is catching up
2026-11-24 16:06 maria: !inc remind snooze 1h
2026-11-24 17:00 bob: lag is 2 minutes
2026-11-24 17:10 bob: lag is gone
2026-11-24 17:11 maria: !inc remind off
2026-11-24 18:00 bob: quiet now
2026-11-24 18:01 maria: !inc remind 15m
2026-11-24 18:40 bob: still quiet
2026-11-24 18:41 maria: !inc resolve
2026-11-24 19:30 bob: bye
T

"$SCRIBE" replay t.txt --db scribe.db > out.txt 2> err.txt
expect "replay exits 0" "$?" "0"
grep -o '^\[#inc-1-orders-database-errors\] scribe: ⏰ [0-9:]* UTC' out.txt |
	sed 's/.*⏰ //' | tr '\n' ' ' > times.txt
expect "reminders at their times, once each" "$(cat times.txt)" \
	"14:30 UTC 15:00 UTC 15:50 UTC 17:06 UTC 18:16 UTC 18:31 UTC "
expect_grep "the first names the declare" out.txt \
	'⏰ 14:30 UTC · INC-1 has had no status update for 30 min \(declared at 14:00 UTC\)\. maria \(commander\)'
expect_grep "after an update, the update" out.txt \
	'⏰ 15:50 UTC · INC-1 has had no status update for 30 min \(the last at 15:20 UTC\)'
expect_grep "the update in its shape" out.txt \
	'scribe: 📣 INC-1 status update · sev1 · investigating'
expect_grep "with the next one due" out.txt \
	'Commander: maria · next update by 15:50 UTC'
expect_grep "snooze confirmed" out.txt \
	'⏰ INC-1: reminders snoozed for 1 h; next update by 17:06 UTC'
expect_grep "off confirmed" out.txt 'update reminders are off'
expect_grep "a new interval" out.txt \
	'a reminder after 15 min without an update; next update by 18:16 UTC'
expect_grep "the declare names the channel once it exists" out.txt \
	'^\[#general\] scribe: 🚨 INC-1 declared: Orders database errors \(sev1\) → #inc-1-orders-database-errors$'
expect "reminders are outbox rows" \
	"$(q "SELECT count(*) FROM outbox WHERE body LIKE '⏰ %·%' AND sent_ms IS NOT NULL")" "6"
expect "the update is a key entry" \
	"$(q "SELECT key || ' ' || text FROM timeline WHERE kind = 'update'")" \
	"1 status update: Failover to the replica started"
expect "the reminder state is stored" \
	"$(q "SELECT every_ms, reminded_ms - (SELECT declared_ms FROM incidents) FROM reminders")" \
	"900000|16260000"

# Again: nothing new, no reminder twice.
"$SCRIBE" replay t.txt --db scribe.db > out2.txt 2> err2.txt
expect "second replay exits 0" "$?" "0"
expect "no reminder the second time" "$(grep -c '⏰' out2.txt || true)" "0"
expect "still six reminders" \
	"$(q "SELECT count(*) FROM outbox WHERE body LIKE '⏰ %·%'")" "6"

# The postmortem lists the update among the key moments.
printf '2026-11-24 19:40 maria: !inc close INC-1\n' > close.txt
"$SCRIBE" replay close.txt --db scribe.db > out3.txt 2>&1
expect_grep "closing after a gap reminds no one" out3.txt 'closed'
expect "no reminder after the resolve" "$(grep -c '⏰' out3.txt || true)" "0"
"$SCRIBE" postmortem INC-1 --db scribe.db > pm.md
expect_grep "the update in the postmortem" pm.md \
	'15:20.*status update: Failover to the replica started \(maria\)'

done_checks
