# Announcements on Slack, through the fake Slack: the declare reply and the
# announcement channel (`announce: ["#incidents"]`) wait until the
# incident's channel exists and link to it by its id (Slack's app_redirect,
# shown as #name); `update` posts the standard shape in the channel and
# in #incidents; resolve and close are announced there too.
source "$(dirname "$0")/slack_lib.bash"

ctl channels '{"name":"incidents","id":"C0INCIDENTS","bot_member":true,"members":["U0FAKEALICE"]}' > /dev/null
cat >> scribe.yaml <<C
  announce: ["#incidents"]
C
start_scribe
wait_until connected

# conversations.create fails twice (503) before it works.
ctl ratelimit '{"method":"conversations.create","count":2,"status":503}' > /dev/null
declare_incident U0FAKEALICE Orders database deadlock sev1
wait_until posted_in C0GENERAL "INC-1 declared"
wait_until posted_in "#incidents" "INC-1 declared"
created=$(get 'calls?method=conversations.create' | jq '[.items[] | select(.ok)][0]')
made=$(jq -r .response.channel.name <<< "$created")
early=$(get 'calls?method=chat.postMessage' | jq --argjson t "$(jq .time <<< "$created")" '[.items[] | select(.time < $t)] | length')
expect "nothing was posted before the channel existed" "$early" "0"
expect "the channel's name is kept" "$(q "select room_alias from incidents where id = 1")" "$made"
link="<https://slack.com/app_redirect?channel=$room|#$made>"
text_in() { get 'calls?method=chat.postMessage' | jq -r --arg r "$1" --arg t "$2" '[.items[] | select(.ok and .params.channel == $r and (.params.text | contains($t)))][0].params.text'; }
expect "the declare reply links to the channel made" "$(text_in C0GENERAL "INC-1 declared")" \
	"🚨 INC-1 declared: Orders database deadlock (sev1) → $link"
expect_grep "so does the announcement" <(text_in "#incidents" "INC-1 declared") \
	"^🚨 INC-1 declared: Orders database deadlock \(sev1\), commander [a-z]+ → <https://slack.com/app_redirect\?channel=$room\|#$made>$"

ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> update Failover to the replica started\"}" > /dev/null
wait_until posted_in "#incidents" "status update"
update=$(text_in "#incidents" "status update")
expect_grep "the update's shape" <(echo "$update") "^📣 INC-1 status update · sev1 · investigating$"
expect_grep "its text" <(echo "$update") "^Failover to the replica started$"
expect_grep "its commander and next update" <(echo "$update") "^Commander: .* · next update by [0-9:]+ UTC$"
expect "its link" "$(tail -1 <<< "$update")" "Channel: $link"
wait_until posted_in "$room" "status update"

ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> resolve\"}" > /dev/null
wait_until posted_in "#incidents" "INC-1 resolved"
ctl event "{\"type\":\"message\",\"channel\":\"$room\",\"user\":\"U0FAKEALICE\",\"text\":\"<@U0FAKEBOT> close\"}" > /dev/null
wait_until posted_in "#incidents" "INC-1 closed"
sent_all() { [ "$(q "select count(*) from outbox where sent_ms is null")" = 0 ]; }
wait_until sent_all
stop_scribe
expect "scribe stops cleanly" "$?" "0"
done_checks
