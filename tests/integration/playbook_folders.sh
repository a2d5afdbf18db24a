# Where the playbooks come from: the shipped library found wherever the
# binary runs (the source tree for a build-tree binary, <bin>/../share/
# scribe for a relocated one, SCRIBE_DATA_DIR over all), a team folder
# added to it (same id: the team's wins, and the log says so),
# shipped_playbooks: false, a warning naming the folders when none load,
# and a broken file as one warning line.
source "$(dirname "$0")/lib.bash"
unset SCRIBE_DATA_DIR
shipped=$(ls "$SCRIBE_SOURCE_DIR"/playbooks/*.yaml | wc -l)

# start ARGS...: the console on /dev/null; its log in err.
start() {
	"$SCRIBE" console --db "$WORK/x.db" "$@" < /dev/null > /dev/null 2> err
}

# A build-tree binary, run from an empty folder, finds the source tree's.
mkdir empty && cd empty
start
expect_grep "the source tree's playbooks, from an empty folder" err \
	"^scribe: info: $shipped shipped playbooks loaded from $SCRIBE_SOURCE_DIR/playbooks$"
expect "nothing else is said" "$(grep -vE 'info: (config|database|[0-9]+ shipped)' err)" ""
cd "$WORK"

# A relocated binary finds <its folder>/../share/scribe, a DESTDIR tree too.
mkdir -p prefix/bin prefix/share/scribe/playbooks
cp "$SCRIBE" prefix/bin/scribe
cp "$SCRIBE_SOURCE_DIR/playbooks/db-deadlock.yaml" prefix/share/scribe/playbooks/
(cd empty && "$WORK/prefix/bin/scribe" console --db "$WORK/y.db" < /dev/null > /dev/null 2> "$WORK/err")
expect_grep "a relocated binary finds ../share/scribe" err \
	"^scribe: info: 1 shipped playbook loaded from $WORK/prefix/share/scribe/playbooks$"

# SCRIBE_DATA_DIR overrides all of them.
mkdir -p data/playbooks
cp "$SCRIBE_SOURCE_DIR/playbooks/web-errors.yaml" "$SCRIBE_SOURCE_DIR/playbooks/db-deadlock.yaml" data/playbooks/
SCRIBE_DATA_DIR=$WORK/data start
expect_grep "SCRIBE_DATA_DIR over the source tree" err "^scribe: info: 2 shipped playbooks loaded from $WORK/data/playbooks$"
(cd empty && SCRIBE_DATA_DIR=$WORK/data "$WORK/prefix/bin/scribe" console --db "$WORK/y.db" < /dev/null > /dev/null 2> "$WORK/err")
expect_grep "and over ../share/scribe" err "^scribe: info: 2 shipped playbooks loaded from $WORK/data/playbooks$"
SCRIBE_DATA_DIR=$WORK/nowhere start
expect_grep "a SCRIBE_DATA_DIR that is not there is a warning" err "warning: the shipped playbooks were not found \(looked in SCRIBE_DATA_DIR=$WORK/nowhere"

# A team folder adds to the library; the team's playbook with a shipped
# id wins, and the log says so.
mkdir team
sed 's/^title: .*/title: Our own deadlock check/' "$SCRIBE_SOURCE_DIR/playbooks/db-deadlock.yaml" > team/deadlock.yaml
cat > team/extra.yaml <<'P'
id: payments-down
title: Payments are down
steps:
  - id: psp
    title: Is the payment provider up?
    instructions: Check their status page.
P
cat > team.yaml <<'P'
playbooks_dir: team
P
printf '!inc declare Payments down\n!inc playbook list\n' > list.txt
"$SCRIBE" console -c team.yaml --db "$WORK/t.db" < list.txt > list.out 2> err
expect_grep "the team folder is loaded" err "^scribe: info: 2 playbooks loaded from $WORK/team$"
expect_grep "with the shipped ones" err "^scribe: info: $((shipped - 1)) shipped playbooks loaded from $SCRIBE_SOURCE_DIR/playbooks$"
expect_grep "the team's wins, said once" err "^scribe: info: team playbook $WORK/team/deadlock.yaml \(id 'db-deadlock'\) wins over $SCRIBE_SOURCE_DIR/playbooks/db-deadlock.yaml: same id$"
expect_grep "responders see the team's" list.out "db-deadlock.*Our own deadlock check"
expect_grep "and the team's own" list.out "payments-down"
expect_grep "and the shipped ones" list.out "web-errors"

# shipped_playbooks: false leaves only the team's.
printf 'playbooks_dir: team\nshipped_playbooks: false\n' > own.yaml
"$SCRIBE" console -c own.yaml --db "$WORK/t.db" < /dev/null > /dev/null 2> err
expect_grep "only the team's" err "^scribe: info: 2 playbooks loaded from $WORK/team$"
expect "no shipped ones" "$(grep -c shipped err)" "0"

# None at all: a warning naming the folders looked in.
printf 'playbooks_dir: nothing-here\nshipped_playbooks: false\n' > none.yaml
"$SCRIBE" console -c none.yaml --db "$WORK/t.db" < /dev/null > /dev/null 2> err
expect_grep "zero playbooks is a warning naming the folder" err "^scribe: warning: no playbooks loaded \(looked in $WORK/nothing-here\)$"
printf 'playbooks_dir: nothing-here\n' > none2.yaml
SCRIBE_DATA_DIR=$WORK/empty "$SCRIBE" console -c none2.yaml --db "$WORK/t.db" < /dev/null > /dev/null 2> err
expect_grep "naming both folders" err "^scribe: warning: no playbooks loaded \(looked in $WORK/nothing-here, $WORK/empty/playbooks\)$"

# One broken playbook is one warning line, however many problems it has.
cat > team/broken.yaml <<'P'
id: Broken Id
titel: typo
steps:
  - id: a
    title: A
    instrucions: typo
  - id: a
P
"$SCRIBE" console -c own.yaml --db "$WORK/t.db" < /dev/null > /dev/null 2> err
expect "one warning line for the broken file" "$(grep -c 'broken.yaml' err)" "1"
expect_grep "with its first problem and how many more" err "^scribe: warning: playbook skipped: $WORK/team/broken.yaml:[0-9]+:[0-9]+: .* \(and [0-9]+ more: scribe playbook lint $WORK/team/broken.yaml\)$"
expect_grep "the others load" err "^scribe: info: 2 playbooks loaded from $WORK/team$"

done_checks
