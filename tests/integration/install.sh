# `cmake --install` into a DESTDIR (what `make install DESTDIR=...` runs):
# every installed path is there; the installed binary finds the installed
# playbooks from an empty folder; its man pages and completion load; the
# systemd unit passes `systemd-analyze verify`; a second install keeps an
# edited config. Nothing is installed outside $WORK.
source "$(dirname "$0")/lib.bash"
unset SCRIBE_DATA_DIR
build=$(dirname "$SCRIBE")
root=$WORK/root
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
sysconf=$(sed -n 's/^CMAKE_INSTALL_SYSCONFDIR:PATH=//p' "$build/CMakeCache.txt")
case $sysconf in /*) etc=$sysconf/scribe ;; *) etc=$prefix/$sysconf/scribe ;; esac
[ "$prefix" = /usr ] && etc=/etc/scribe
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")

DESTDIR=$root cmake --install "$build" > install.out
expect "the install writes only under DESTDIR" "$(grep -- '-- Installing: ' install.out | grep -vc -- "-- Installing: $root/")" "0"

# Every installed path, exactly.
expected=$(cat <<P | sort
$prefix/bin/scribe
$prefix/share/scribe/playbooks/README.md
$prefix/share/scribe/playbooks/db-deadlock.yaml
$prefix/share/scribe/playbooks/db-outage-triage.yaml
$prefix/share/scribe/playbooks/incident-commander.yaml
$prefix/share/scribe/playbooks/web-errors.yaml
$prefix/share/doc/scribe/README.md
$prefix/share/doc/scribe/scribe.example.yaml
$prefix/share/doc/scribe/slack-app-manifest.yaml
$prefix/share/man/man1/scribe.1
$prefix/share/man/man5/scribe.yaml.5
$prefix/share/bash-completion/completions/scribe
$prefix/lib/systemd/system/scribe.service
$etc/scribe.yaml
$etc/playbooks/
P
)
actual=$(cd "$root" && find . \( -type f -printf '/%P\n' \) -o \( -type d -empty -printf '/%P/\n' \) | sort)
expect "every installed path" "$actual" "$expected"
expect "the binary is executable" "$([ -x "$root$prefix/bin/scribe" ] && echo yes)" "yes"
expect "the installed binary's version" "$("$root$prefix/bin/scribe" version)" "scribe $version"

# The installed binary, run from an empty folder, finds the installed
# playbooks (<bin>/../share/scribe: a DESTDIR tree works as it will in
# place), not the source tree's.
mkdir empty && cd empty
cat > t.jsonl <<'T'
{"ts": "2026-11-24T14:02:00Z", "user": "maria", "text": "!inc declare Orders database deadlock sev2"}
{"ts": "2026-11-24T14:03:00Z", "user": "maria", "text": "!inc playbook list"}
T
"$root$prefix/bin/scribe" replay t.jsonl --db "$WORK/r.db" > ../replay.out 2> ../replay.err
cd "$WORK"
expect_grep "the installed playbooks are found" replay.err "^scribe: info: 4 shipped playbooks loaded from $root$prefix/share/scribe/playbooks$"
expect_grep "and suggested" replay.out "db-deadlock"
expect "the replay leaves nothing in the empty folder but its input" "$(ls empty)" "t.jsonl"

# The man pages and the completion are well-formed.
expect "scribe(1) renders without warnings" "$(MANWIDTH=80 man --warnings -l "$root$prefix/share/man/man1/scribe.1" 2>&1 > /dev/null)" ""
expect "scribe.yaml(5) renders without warnings" "$(man --warnings -l "$root$prefix/share/man/man5/scribe.yaml.5" 2>&1 > /dev/null)" ""
# Every command of the table (scribe --help) is in scribe(1) and in the
# completion, so a new command cannot be forgotten in either.
commands=$("$SCRIBE" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
expect "the command table lists commands" "$([ "$(echo "$commands" | wc -l)" -ge 9 ] && echo yes)" "yes"
MANWIDTH=200 man -l "$root$prefix/share/man/man1/scribe.1" > man.txt 2> /dev/null
# The completion's list of commands: its compgen -W line that starts with run.
grep -o "compgen -W 'run [a-z ]*'" "$root$prefix/share/bash-completion/completions/scribe" | tr " '" '\n\n' > completed.txt
for c in $commands; do
	expect_grep "scribe(1) explains '$c'" man.txt "^ {7}$c( |\$)"
	expect_grep "the completion offers '$c'" completed.txt "^$c\$"
done
expect_grep "scribe(1) names every verb" man.txt "playbook backtest FILE"
expect "the completion parses" "$(bash -n "$root$prefix/share/bash-completion/completions/scribe" && echo ok)" "ok"
if [ -f /usr/share/bash-completion/bash_completion ]; then
	# The completion offers the subcommands and a command's options.
	complete_words() {
		bash -c 'source /usr/share/bash-completion/bash_completion
			source "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_scribe scribe "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$root$prefix/share/bash-completion/completions/scribe" "$@" | sort | tr '\n' ' '
	}
	expect "completion: the commands" "$(complete_words scribe '')" "--config --db --help -c console db help list playbook postmortem replay run show version "
	expect "completion: list's options" "$(complete_words scribe list --)" "--config --db --help --json --since --status "
	expect "completion: db's verbs" "$(complete_words scribe --db x db '')" "backup check migrate "
fi

# The unit: its paths are the install's, and systemd-analyze verify
# accepts it (the binary checked at its DESTDIR place, the man pages in
# Documentation= looked up in the DESTDIR's man folder).
unit=$root$prefix/lib/systemd/system/scribe.service
expect_grep "the unit runs the installed binary on the installed config" "$unit" "^ExecStart=$prefix/bin/scribe run -c $etc/scribe.yaml$"
expect_grep "Type=notify" "$unit" '^Type=notify$'
expect_grep "a watchdog" "$unit" '^WatchdogSec='
for h in 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/scribe' 'NoNewPrivileges=true' 'PrivateTmp=true' 'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' 'Restart=on-failure' 'StateDirectory=scribe'; do
	expect_grep "the unit sets $h" "$unit" "^$h\$"
done
if command -v systemd-analyze > /dev/null; then
	mkdir verify
	sed "s|^ExecStart=$prefix/bin/scribe|ExecStart=$root$prefix/bin/scribe|" "$unit" > verify/scribe.service
	status=0
	MANPATH=$root$prefix/share/man systemd-analyze verify verify/scribe.service > verify.out 2>&1 || status=$?
	expect "systemd-analyze verify accepts the unit" "$status" "0"
	expect "and says nothing about it" "$(cat verify.out)" ""
else
	echo "systemd-analyze not found: the unit was not verified" >&2
	failures=$((failures + 1))
fi

# The installed config: absolute paths under the state directory.
expect_grep "the config's store is in /var/lib/scribe" "$root$etc/scribe.yaml" '^  path: /var/lib/scribe/scribe.db$'
expect_grep "so are the postmortems" "$root$etc/scribe.yaml" '^postmortem_dir: /var/lib/scribe/postmortems$'
expect "the installed config loads" "$("$root$prefix/bin/scribe" -c "$root$etc/scribe.yaml" help > /dev/null && SCRIBE_DATA_DIR=$WORK "$root$prefix/bin/scribe" list -c "$root$etc/scribe.yaml" 2>&1 | sed 's/: no database there.*//')" "scribe: /var/lib/scribe/scribe.db"

# A second install keeps an edited config.
echo "# edited" >> "$root$etc/scribe.yaml"
DESTDIR=$root cmake --install "$build" > install2.out
expect_grep "the second install says it kept the config" install2.out "Kept: $root$etc/scribe.yaml"
expect "and it did" "$(tail -1 "$root$etc/scribe.yaml")" "# edited"

done_checks
