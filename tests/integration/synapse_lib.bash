# synapse_lib.bash - the real Synapse 1.67 the heavy Matrix tests share.
#
# synapse_setup.sh (ctest FIXTURES_SETUP synapse) unpacks the vendored
# archive (../shared/vendor/synapse-1.67.0.tar.gz, never part of this
# repository) into the build folder, configures it for loopback with tight
# rc_* limits, starts it once per ctest run, and registers the test users
# in one go through the shared-secret admin API (no Python start per user).
# synapse_teardown.sh (FIXTURES_CLEANUP) stops it. Tests that need it carry
# "# ctest: FIXTURES_REQUIRED synapse" and source this file after lib.bash:
# SYN_HS is its base URL, syn_token USER the access token of a test user.
#
# Synapse runs on Debian's Python packages (make test-deps installs them);
# it is started with /usr/bin/python3 so a python3 earlier on PATH does not
# hide them.

SYN_DIR=${SYNAPSE_DIR:-$(dirname "$SCRIBE")/synapse}
SYN_TARBALL=$SCRIBE_SOURCE_DIR/../shared/vendor/synapse-1.67.0.tar.gz
SYN_PY=/usr/bin/python3
SYN_SERVER=localhost
# The humans of the tests (their rate limits are lifted) and Scribe.
SYN_USERS="admin alice bob carol scribe"

syn_loaded() {
	[ -s "$SYN_DIR/port" ] || {
		echo "FAIL: Synapse is not running: the synapse fixture (synapse_setup.sh) did not start it" >&2
		exit 1
	}
	SYN_PORT=$(cat "$SYN_DIR/port")
	SYN_HS=http://127.0.0.1:$SYN_PORT
}

# syn_token USER: the access token registered for @USER:localhost.
syn_token() { jq -r --arg u "$1" '.[$u]' "$SYN_DIR/tokens.json"; }

# syn_api METHOD PATH [JSON] [USER]: a client-server call as USER (alice).
syn_api() {
	local tok
	tok=$(syn_token "${4:-alice}")
	curl -s -X "$1" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "$SYN_HS$2"
}
