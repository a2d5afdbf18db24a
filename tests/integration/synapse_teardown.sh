# ctest: LABELS heavy
# ctest: FIXTURES_CLEANUP synapse
# Stops the Synapse that synapse_setup.sh started (SIGTERM, then waits for
# it to exit: its port stays busy until then), and removes its folder.
source "$(dirname "$0")/lib.bash"
source "$SCRIBE_SOURCE_DIR/tests/integration/synapse_lib.bash"

if [ -s "$SYN_DIR/pid" ]; then
	pid=$(cat "$SYN_DIR/pid")
	kill -TERM "$pid" 2> /dev/null || true
	gone() { ! kill -0 "$pid" 2> /dev/null; }
	wait_until gone
fi
rm -rf "$SYN_DIR"
done_checks
