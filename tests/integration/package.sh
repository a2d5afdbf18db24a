# The Debian package, in CI only (CI=true; elsewhere this test is skipped,
# so a developer's `make test` never installs anything system-wide):
# builds it with CPack as `make deb` does, installs it with dpkg -i,
# checks the scribe user, the conffile, the state directory, the unit
# (enabled, not started, verified), runs the installed `scribe version`
# and a replay from an empty folder that finds the installed playbooks,
# then removes it with dpkg --purge.
# ctest: LABELS heavy
# ctest: SKIP_RETURN_CODE 77
# ctest: TIMEOUT 900
# ctest: RUN_SERIAL TRUE
source "$(dirname "$0")/lib.bash"
unset SCRIBE_DATA_DIR
if [ "${CI:-}" != true ]; then
	echo "skipped: the package test installs system-wide, so it runs only when CI=true"
	exit 77
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
if dpkg-query -W -f='${Status}' scribe 2> /dev/null | grep -q 'install ok'; then
	echo "FAIL a scribe package is installed already: not touching it" >&2
	exit 1
fi
version=$(sed -n 's/^project(scribe VERSION \([0-9.]*\).*/\1/p' "$SCRIBE_SOURCE_DIR/CMakeLists.txt")

# Build it as `make deb` does, in a build folder of its own.
cmake -S "$SCRIBE_SOURCE_DIR" -B deb -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr > build.out
cmake --build deb -j2 --target scribe >> build.out
(cd deb && cpack -G DEB) >> build.out 2>&1
deb=$(ls deb/scribe_"$version"_*.deb)
expect "the package is built" "$([ -f "$deb" ] && echo yes)" "yes"
expect_grep "its dependencies come from the linked libraries" <(dpkg-deb -f "$deb" Depends) 'libuv1 .*libsqlite3-0|libsqlite3-0 .*libuv1'
expect_grep "and the lws plugin loaded at run time" <(dpkg-deb -f "$deb" Depends) 'libwebsockets-evlib-uv'

installed=
cleanup() {
	if [ -n "$installed" ]; then $SUDO dpkg --purge scribe > /dev/null 2>&1 || true; fi
	$SUDO rm -rf /var/lib/scribe
}
trap 'cleanup; rm -rf "$WORK"' EXIT
$SUDO dpkg -i "$deb" > install.out 2>&1 || { cat install.out >&2; exit 1; }
installed=yes

expect "installed" "$(dpkg-query -W -f='${Status}' scribe)" "install ok installed"
expect "the installed scribe version" "$(/usr/bin/scribe version)" "scribe $version"
uid=$(id -u scribe 2> /dev/null || echo none)
expect "a scribe system user" "$([ "$uid" != none ] && [ "$uid" -lt 1000 ] && echo system)" "system"
expect "its state directory" "$(stat -c '%U:%G %a' /var/lib/scribe)" "scribe:scribe 750"
expect_grep "/etc/scribe/scribe.yaml is a conffile" <(dpkg-query -W -f='${Conffiles}\n' scribe) '^ /etc/scribe/scribe.yaml [0-9a-f]{32}$'
expect_grep "with absolute paths under /var/lib/scribe" /etc/scribe/scribe.yaml '^  path: /var/lib/scribe/scribe.db$'
expect "the unit is enabled" "$([ -L /etc/systemd/system/multi-user.target.wants/scribe.service ] && echo enabled)" "enabled"
if [ -d /run/systemd/system ]; then
	expect "but not started" "$(systemctl is-active scribe || true)" "inactive"
fi
status=0
systemd-analyze verify /usr/lib/systemd/system/scribe.service > verify.out 2>&1 || status=$?
expect "the installed unit verifies" "$status" "0"
expect "cleanly" "$(cat verify.out)" ""
expect_grep "the man page is installed" <(man -w scribe 2>&1) '/usr/share/man/man1/scribe.1'

# The scribe user can use its config and state directory.
status=0
setpriv --reuid=scribe --regid=scribe --clear-groups /usr/bin/scribe -c /etc/scribe/scribe.yaml db migrate > migrate.out 2>&1 || status=$?
expect "the service's user migrates its database" "$status" "0"
expect_grep "in /var/lib/scribe" migrate.out '^/var/lib/scribe/scribe.db: schema version'

# A replay from an empty folder finds the installed playbooks.
mkdir empty
cat > empty/t.jsonl <<'T'
{"ts": "2026-11-24T14:02:00Z", "user": "maria", "text": "!inc declare Orders database deadlock sev2"}
T
(cd empty && /usr/bin/scribe replay t.jsonl --db "$WORK/r.db" > ../replay.out 2> ../replay.err)
expect_grep "the installed playbooks are found" replay.err '^scribe: info: 4 shipped playbooks loaded from /usr/share/scribe/playbooks$'
expect_grep "and suggested" replay.out 'db-deadlock'

$SUDO dpkg --purge scribe > purge.out 2>&1
installed=
expect "purged" "$(dpkg-query -W -f='${Status}' scribe 2> /dev/null || echo gone)" "gone"
expect "the binary is gone" "$(ls /usr/bin/scribe 2> /dev/null)" ""
expect "the conffile is gone" "$(ls /etc/scribe 2> /dev/null)" ""
expect "the unit's link is gone" "$(ls /etc/systemd/system/multi-user.target.wants/scribe.service 2> /dev/null)" ""
expect "the database is kept" "$(ls /var/lib/scribe)" "scribe.db"

done_checks
