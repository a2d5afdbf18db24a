# ctest: LABELS heavy
# ctest: FIXTURES_SETUP synapse
# Starts the real Synapse 1.67 the heavy Matrix tests share (see
# synapse_lib.bash): unpacked into the build folder, one server per ctest
# run on a free loopback port, users registered in one go.
source "$(dirname "$0")/lib.bash"
source "$SCRIBE_SOURCE_DIR/tests/integration/synapse_lib.bash"

if [ ! -f "$SYN_TARBALL" ]; then
	echo "FAIL: $SYN_TARBALL is missing (the vendored Synapse)" >&2
	exit 1
fi
if ! "$SYN_PY" -c 'import twisted, nacl, signedjson, canonicaljson, jsonschema, frozendict, bcrypt, PIL, service_identity, msgpack, phonenumbers, prometheus_client, attr, netaddr, jinja2, bleach, pymacaroons, treq, ijson, yaml, sortedcontainers, pydantic, matrix_common' 2> py.err; then
	echo "FAIL: Synapse's Python packages are missing ($(tail -1 py.err)): run make test-deps" >&2
	exit 1
fi

# A server left by an interrupted run is stopped first.
if [ -s "$SYN_DIR/pid" ]; then
	kill "$(cat "$SYN_DIR/pid")" 2> /dev/null || true
fi
rm -rf "$SYN_DIR"
mkdir -p "$SYN_DIR/data"
tar xzf "$SYN_TARBALL" -C "$SYN_DIR"
src=$(echo "$SYN_DIR"/synapse-1.67.0)
mkdir -p "$src/matrix_synapse-1.67.0.dist-info"
printf '%s\n' 'Metadata-Version: 2.1' 'Name: matrix-synapse' 'Version: 1.67.0' \
	'Provides-Extra: none' 'Requires-Dist: attrs (>=19.2.0)' \
	> "$src/matrix_synapse-1.67.0.dist-info/METADATA"
export PYTHONPATH=$src
data=$SYN_DIR/data
(cd "$data" && "$SYN_PY" -m synapse.app.homeserver --server-name "$SYN_SERVER" \
	--config-path "$data/homeserver.yaml" --generate-config --report-stats=no \
	--data-directory "$data" > gen.out)

# A free port, then the settings the tests need: loopback only, no
# federation, no previews, and tight limits so 429s happen (the humans'
# are lifted below; Scribe keeps them).
port=$("$SYN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SYN_PY" - "$data" "$port" <<'PY'
import sys, yaml
data, port = sys.argv[1], int(sys.argv[2])
path = data + "/homeserver.yaml"
c = yaml.safe_load(open(path))
c["listeners"] = [{"port": port, "tls": False, "type": "http", "x_forwarded": False,
                   "bind_addresses": ["127.0.0.1"],
                   "resources": [{"names": ["client"], "compress": False}]}]
c["trusted_key_servers"] = []
c["federation_domain_whitelist"] = []
c["url_preview_enabled"] = False
c["enable_registration"] = False
c["suppress_key_server_warning"] = True
c["presence"] = {"enabled": False}
c["rc_message"] = {"per_second": 1, "burst_count": 5}
c["rc_joins"] = {"local": {"per_second": 0.5, "burst_count": 3}}
c["rc_login"] = {"address": {"per_second": 10, "burst_count": 20},
                 "account": {"per_second": 10, "burst_count": 20}}
c["rc_registration"] = {"per_second": 100, "burst_count": 100}
c["rc_admin_redaction"] = {"per_second": 100, "burst_count": 100}
c["log_config"] = data + "/log.config"
yaml.safe_dump(c, open(path, "w"))
open(data + "/log.config", "w").write("""version: 1
formatters:
  f: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: f, filename: DATA/homeserver.log}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
""".replace("DATA", data))
PY

(cd "$data" && exec setsid "$SYN_PY" -m synapse.app.homeserver -c "$data/homeserver.yaml" \
	> "$data/stdout" 2> "$data/stderr" < /dev/null) &
echo $! > "$SYN_DIR/pid"
hs=http://127.0.0.1:$port
up() {
	curl -sf "$hs/_matrix/client/versions" > /dev/null ||
		{ kill -0 "$(cat "$SYN_DIR/pid")" 2> /dev/null || {
			echo "FAIL: Synapse exited:" >&2
			tail -20 "$data/stderr" "$data/homeserver.log" >&2
			exit 1
		}; false; }
}
wait_until up

# Every user in one go: the shared-secret registration (nonce + HMAC).
secret=$("$SYN_PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["registration_shared_secret"])' "$data/homeserver.yaml")
echo '{}' > tokens.json
for u in $SYN_USERS; do
	admin=notadmin
	[ "$u" = admin ] && admin=admin
	nonce=$(curl -sf "$hs/_synapse/admin/v1/register" | jq -r .nonce)
	mac=$(printf '%s\0%s\0%s\0%s' "$nonce" "$u" "$u-pass" "$admin" |
		openssl dgst -sha1 -hmac "$secret" | sed 's/^.* //')
	tok=$(curl -sf -X POST -H 'Content-Type: application/json' \
		-d "$(jq -n --arg n "$nonce" --arg u "$u" --arg m "$mac" --argjson a "$([ $admin = admin ] && echo true || echo false)" \
			'{nonce: $n, username: $u, password: ($u + "-pass"), admin: $a, mac: $m}')" \
		"$hs/_synapse/admin/v1/register" | jq -r .access_token)
	expect "@$u:$SYN_SERVER is registered" "$([ -n "$tok" ] && [ "$tok" != null ] && echo yes)" "yes"
	jq --arg u "$u" --arg t "$tok" '. + {($u): $t}' tokens.json > t.json && mv t.json tokens.json
done
# The humans send as fast as a test drives them; Scribe keeps the limits.
atok=$(jq -r .admin tokens.json)
for u in admin alice bob carol; do
	curl -sf -X POST -H "Authorization: Bearer $atok" -H 'Content-Type: application/json' \
		-d '{"messages_per_second":0,"burst_count":0}' \
		"$hs/_synapse/admin/v1/users/@$u:$SYN_SERVER/override_ratelimit" > /dev/null
done
cp tokens.json "$SYN_DIR/tokens.json"
echo "$port" > "$SYN_DIR/port"
echo "Synapse 1.67 on $hs"
done_checks
