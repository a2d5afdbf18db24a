# People's names survive a restart on Slack: a name learned from
# users.info is kept (the users table) and used after a restart even when
# users.info fails then, in the timeline, in a join ("joined the channel"
# by name, never "<@U…> has joined") and in the postmortem's participants.
source "$(dirname "$0")/slack_lib.bash"

start_scribe
wait_until connected
declare_incident U0FAKEALICE Orders database deadlock sev2
bob=$(get state | jq -r '.users[] | select(.id == "U0FAKEBOB") | (.profile.display_name // "") as $d | if $d != "" then $d else .profile.real_name end')
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"p99 is 4s\"}" > /dev/null
named() { [ "$(q "select author_name from timeline where author_id = 'U0FAKEBOB' and text = '$1'" 2>/dev/null)" = "$bob" ]; }
wait_until named "p99 is 4s"
expect "the name is kept" "$(q "select name from users where platform = 'slack' and id = 'U0FAKEBOB'")" "$bob"
stop_scribe
expect "the first run stops cleanly" "$?" "0"
asked=$(get 'calls?method=users.info' | jq '[.items[] | select(.params.user == "U0FAKEBOB")] | length')

# Slack cannot tell names now; the store can.
ctl ratelimit '{"method":"users.info","count":1000,"status":503}' > /dev/null
start_scribe
wait_until connected
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"after the restart\"}" > /dev/null
ctl event "{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"$room\",\"user\":\"U0FAKEBOB\",\"text\":\"<@U0FAKEBOB> has joined the channel\"}" > /dev/null
arrived() { [ "$(q "select count(*) from timeline where author_id = 'U0FAKEBOB' and text = '$1'")" = 1 ]; }
wait_until arrived "after the restart"
wait_until arrived "joined the channel"
expect "after a restart, by name" "$(q "select author_name from timeline where text = 'after the restart'")" "$bob"
expect "a join says the name" "$(q "select author_name || ': ' || text from timeline where author_id = 'U0FAKEBOB' and kind = 'message' and text = 'joined the channel'")" "$bob: joined the channel"
expect "users.info was not asked again" "$(get 'calls?method=users.info' | jq '[.items[] | select(.params.user == "U0FAKEBOB")] | length')" "$asked"
expect "no row shows bob's id" "$(q "select count(*) from timeline where author_id = 'U0FAKEBOB' and author_name = 'U0FAKEBOB'")" "0"

ctl slash "{\"text\":\"close\",\"channel_id\":\"$room\",\"user_id\":\"U0FAKEALICE\"}" > /dev/null
closed() { [ "$(q "select closed_ms is not null from incidents where id = 1")" = 1 ]; }
wait_until closed
"$SCRIBE" postmortem INC-1 --db scribe.db > pm.md
expect_grep "the participants name bob" pm.md "$bob"
expect "and never by id" "$(grep -c U0FAKEBOB pm.md || true)" "0"
stop_scribe
expect "scribe stops cleanly" "$?" "0"
done_checks
