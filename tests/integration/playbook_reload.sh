# Playbooks at start-up and on SIGHUP: an invalid file is reported (file,
# line, column) and skipped while the others load; a file added later is
# loaded by SIGHUP without a restart; `scribe playbook lint` fails on it.
source "$(dirname "$0")/lib.bash"

mkdir playbooks
cat > playbooks/good.yaml <<'P'
id: good
title: A good playbook
triggers:
  keywords: [latency]
steps:
  - id: one
    title: Look at the graphs
    instructions: Open the latency dashboard.
P
cat > playbooks/broken.yaml <<'P'
id: broken
title: Broken
steps:
  - id: one
    titel: Typo
    instructions: x
P
status=0
"$SCRIBE" playbook lint playbooks/good.yaml playbooks/broken.yaml > lint.out || status=$?
expect "lint fails when one file is bad" "$status" "1"
expect_grep "lint says the good one is fine" lint.out '^playbooks/good.yaml: ok: good, 1 step$'
expect_grep "lint locates the typo and suggests" lint.out "^playbooks/broken.yaml:5:5: unknown key 'titel' in a step \(did you mean 'title'\?\)$"

mkfifo in
"$SCRIBE" console --db hup.db < in > hup.out 2> hup.err &
pid=$!
exec 3> in
printf '!inc declare Search latency\n!inc playbook list\n' >&3
wait_until grep -q 'good — A good playbook' hup.out
expect_grep "the invalid playbook is reported at start-up" hup.err 'playbook skipped: playbooks/broken.yaml:5:5: '
expect_grep "the valid one loads" hup.err '1 playbook loaded from playbooks'
expect_grep "and is suggested for the incident" hup.out 'good — A good playbook \(matched “latency”\)'

cat > playbooks/later.yaml <<'P'
id: later
title: Added while running
steps:
  - id: one
    title: Anything
    instructions: Anything.
P
kill -HUP $pid
wait_until grep -q '2 playbooks loaded' hup.err
printf '!inc playbook show later\n' >&3
wait_until grep -q 'later — Added while running' hup.out
expect_grep "SIGHUP reloads the folder" hup.err 'SIGHUP: reloading'
expect_grep "the new playbook is there without a restart" hup.out 'later — Added while running'
exec 3>&-
wait $pid
expect "the console still ends cleanly" "$?" "0"
done_checks
