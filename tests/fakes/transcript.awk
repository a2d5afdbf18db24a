# transcript.awk - a fake, talkative incident channel for replay tests and
# benchmarks: one declare, then n messages 100 ms apart (JSON Lines).
#
#   awk -v n=100000 -f tests/fakes/transcript.awk > big.jsonl
#
# Every message has its own "id" (m1, m2, ...) unless ids=0, in which case
# the replay's content identity is used; closing=1 ends with "!inc close";
# hyps=N raises N hypotheses spread over the messages, each ruled out a
# while later, the last one confirmed (the picture's lanes).
# Times start at 2026-11-24T00:00Z.
function ts(ms,    s) {
	s = int(ms / 1000)
	return sprintf("2026-11-24T%02d:%02d:%02d.%03dZ", int(s / 3600),
		int(s / 60) % 60, s % 60, ms % 1000)
}
BEGIN {
	if (n == "") n = 1000
	if (ids == "") ids = 1
	printf "{\"ts\":\"%s\",\"user\":\"alice\",\"text\":\"!inc declare Load test of the timeline sev2\"}\n", ts(0)
	for (i = 1; i <= n; i++) {
		id = ids ? sprintf(",\"id\":\"m%d\"", i) : ""
		printf "{\"ts\":\"%s\",\"user\":\"user%d\"%s,\"text\":\"message %d: p99 latency on the orders database is still climbing\"}\n", ts(i * 100), i % 17, id, i
		if (hyps > 0 && i % int(n / (hyps + 1)) == 0 && h < hyps)
			printf "{\"ts\":\"%s\",\"user\":\"alice\",\"text\":\"!inc hypothesis cause number %d\"}\n", ts(i * 100 + 1), ++h
		if (hyps > 0 && i % int(n / (hyps + 1)) == int(n / (hyps + 1) / 2) && d < h)
			printf "{\"ts\":\"%s\",\"user\":\"alice\",\"text\":\"!inc %s H%d\"}\n", ts(i * 100 + 1), ++d == hyps ? "confirm" : "rule-out", d
	}
	if (closing)
		printf "{\"ts\":\"%s\",\"user\":\"alice\",\"text\":\"!inc close\"}\n", ts((n + 1) * 100)
}
