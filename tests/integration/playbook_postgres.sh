# ctest: LABELS heavy
# The PostgreSQL snippets of the db-deadlock and db-outage-triage playbooks
# find the outage this project was born from, on a real PostgreSQL 15.
#
# The test starts its own server (a cluster in a temp dir, loopback port,
# socket in the temp dir), and reproduces the outage's shape: a "migration"
# that ran ALTER TABLE in a transaction it never committed, application
# queries blocked behind its lock, and a true deadlock between two
# transactions (deadlock_timeout is raised so the cycle stays observable).
# It then runs every postgresql snippet, as `scribe playbook snippets`
# extracts them, and checks that they name the blocked sessions, the
# migration as the blocker, the long transaction and the cycle; that the
# triage queries never queue behind the lock (they run with lock_timeout);
# that the playbook's fix (pg_cancel_backend, pg_terminate_backend) ends the
# outage and rolls the migration back; that the recovery checks then come
# back clean; and that a deadlock the server detects shows in the counter.
# Every wait polls the database, with a 30 s deadline; no sleeps.
source "$(dirname "$0")/lib.bash"

PGBIN=/usr/lib/postgresql/15/bin
for b in initdb pg_ctl postgres psql; do
	if [ ! -x "$PGBIN/$b" ]; then
		echo "FAIL: $PGBIN/$b is missing: install PostgreSQL 15 (apt-get install postgresql)" >&2
		exit 1
	fi
done

# The server refuses to run as root: then it runs as the postgres user, in
# a directory of its own.
PGROOT=$(mktemp -d /tmp/scribe-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres > /dev/null 2>&1; then
		echo "FAIL: running as root and there is no postgres user to run the server" >&2
		exit 1
	fi
	chown postgres: "$PGROOT"
	as_pg() { (cd "$PGROOT" && runuser -u postgres -- "$@"); }
else
	as_pg() { (cd "$PGROOT" && "$@"); }
fi

bg_pids=()
started=no
cleanup() {
	local pid
	for pid in "${bg_pids[@]}"; do kill "$pid" 2> /dev/null || true; done
	if [ -f "$PGROOT/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate -w -t 30 stop > /dev/null 2>&1 || true
	fi
	rm -rf "$PGROOT" "$WORK"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust --no-sync \
	--no-locale -E UTF8 > "$PGROOT/initdb.log" 2>&1 || {
	cat "$PGROOT/initdb.log" >&2
	exit 1
}
# deadlock_timeout is 10 minutes: a deadlock stays in place until the test
# breaks it (the second deadlock below sets its own, short one).
for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 40000))
	if as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$PGROOT \
		    -c deadlock_timeout=10min -c log_lock_waits=on -c autovacuum=off \
		    -c fsync=off -c full_page_writes=off -c max_connections=40" start > /dev/null 2>&1; then
		started=yes
		break
	fi
	grep -q 'could not bind\|could not create any TCP/IP sockets' "$PGROOT/server.log" || break
done
if [ "$started" != yes ]; then
	echo "FAIL: PostgreSQL did not start" >&2
	cat "$PGROOT/server.log" >&2
	exit 1
fi

US=$'\x1f'
# P [psql args]: a psql session on the test database.
P() { "$PGBIN/psql" -X -q -h "$PGROOT" -p "$PORT" -U postgres -d "${PGDB:-outage}" "$@"; }
# v SQL: one value.
v() { P -tAc "$1"; }

# wait_for WHAT SQL: poll until SQL returns true, for at most 30 s.
wait_for() {
	local deadline=$((SECONDS + 30))
	until [ "$(v "$2")" = t ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "FAIL timed out waiting for $1" >&2
			v "select pid, application_name, state, wait_event_type, query from pg_stat_activity" >&2
			exit 1
		fi
	done
}

# session NAME: a psql kept open on a FIFO; say NAME SQL sends it a line.
declare -A fd
session() {
	mkfifo "$1.in"
	PGAPPNAME=$1 P -v ON_ERROR_STOP=0 < "$1.in" > "$1.out" 2>&1 &
	bg_pids+=($!)
	local f
	exec {f}> "$1.in"
	fd[$1]=$f
}
say() { printf '%s\n' "$2" >&"${fd[$1]}"; }
hangup() {
	local f=${fd[$1]}
	exec {f}>&-
}
pid_of() { v "select pid from pg_stat_activity where application_name = '$1'"; }

# rows NAME COL=VALUE...: how many rows of a snippet's output have all the
# given column values (a column the output lacks counts as no match).
rows() {
	local file=out/$1
	shift
	local conds
	conds=$(IFS=$US; echo "$*")
	awk -v FS="$US" -v SEP="$US" -v conds="$conds" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(conds, c, SEP); next }
		{
			ok = 1
			for (j = 1; j <= n; j++) {
				k = index(c[j], "=")
				name = substr(c[j], 1, k - 1)
				if (!(name in col) || $(col[name]) != substr(c[j], k + 1)) ok = 0
			}
			hits += ok
		}
		END { print hits + 0 }' "$file"
}
# count NAME: the number of rows in a snippet's output.
count() {
	local n
	n=$(wc -l < "out/$1")
	echo $((n > 0 ? n - 1 : 0))
}

# run NAME [PID]: runs snippet NAME, with the psql variable pid set, under a
# lock timeout: a triage query that queues behind the lock fails here.
run() {
	checks=$((checks + 1))
	if ! PGOPTIONS='-c lock_timeout=3s -c statement_timeout=20s' P -A -F "$US" -P footer=off \
		-v ON_ERROR_STOP=1 -v pid="${2:-0}" -f "snippets/$1.sql" > "out/$1" 2> "out/$1.err"; then
		failures=$((failures + 1))
		printf 'FAIL snippet %s does not run:\n' "$1" >&2
		sed 's/^/  | /' "out/$1.err" "snippets/$1.sql" >&2
		: > "out/$1"
	fi
}

# The outage's schema.
PGDB=postgres v "create database outage" > /dev/null
P -c "create table orders (id serial primary key, customer int not null,
        status text not null, total numeric(10,2) not null, created_at timestamptz default now());
      insert into orders (customer, status, total)
        select i % 97, 'new', i * 1.5 from generate_series(1, 1000) as i;
      create table inventory (sku text primary key, qty int not null);
      insert into inventory values ('a', 10), ('b', 10), ('c', 10), ('d', 10);
      analyze;" > /dev/null

# (a) The migration: ALTER TABLE in a transaction that stays open.
session migration
say migration "begin;"
say migration "alter table orders add column discount_code text;"
wait_for "the migration to hold its lock" "select exists (select 1 from pg_stat_activity
	where application_name = 'migration' and state = 'idle in transaction'
	and query like 'alter table orders%')"

# (b) The application, blocked behind it.
app_pids=()
PGAPPNAME=app-1 P -c "update orders set status = 'paid' where id = 1" > app-1.out 2>&1 &
app_pids+=($!)
PGAPPNAME=app-2 P -c "select count(*) from orders where status = 'new'" > app-2.out 2>&1 &
app_pids+=($!)
PGAPPNAME=app-3 P -c "insert into orders (customer, status, total) values (7, 'new', 42)" > app-3.out 2>&1 &
app_pids+=($!)
bg_pids+=("${app_pids[@]}")
wait_for "three application queries to wait on the lock" "select count(*) = 3 from pg_stat_activity
	where application_name like 'app-%' and wait_event_type = 'Lock'"

# (c) A true deadlock: A holds row a and wants b, B holds b and wants a.
session dl-a
session dl-b
say dl-a "begin; update inventory set qty = qty - 1 where sku = 'a';"
say dl-b "begin; update inventory set qty = qty - 1 where sku = 'b';"
wait_for "both transactions to hold a row" "select count(*) = 2 from pg_stat_activity
	where application_name in ('dl-a', 'dl-b') and state = 'idle in transaction'"
say dl-a "update inventory set qty = qty - 1 where sku = 'b';"
wait_for "A to wait for B" "select exists (select 1 from pg_stat_activity
	where application_name = 'dl-a' and wait_event_type = 'Lock')"
say dl-b "update inventory set qty = qty - 1 where sku = 'a';"
wait_for "B to wait for A" "select exists (select 1 from pg_stat_activity
	where application_name = 'dl-b' and wait_event_type = 'Lock')"

mig=$(pid_of migration)
app1=$(pid_of app-1) app2=$(pid_of app-2) app3=$(pid_of app-3)
dla=$(pid_of dl-a) dlb=$(pid_of dl-b)

# The snippets, exactly as Scribe extracts them.
mkdir -p snippets out
for pb in db-deadlock db-outage-triage; do
	if ! "$SCRIBE" playbook snippets "$SCRIBE_SOURCE_DIR/playbooks/$pb.yaml" \
		--flavor postgresql --out snippets > "out/extract-$pb.err" 2>&1; then
		echo "FAIL scribe playbook snippets $pb.yaml:" >&2
		cat "out/extract-$pb.err" >&2
		exit 1
	fi
done
expect "every postgresql snippet was extracted" "$(cd snippets && LC_ALL=C && printf '%s ' *)" \
	"$(printf '%s.sql ' db-deadlock-S1-1 db-deadlock-S1-2 \
		db-deadlock-S2-1 db-deadlock-S2-2 db-deadlock-S2-3 \
		db-deadlock-S3-1 db-deadlock-S3-2 db-deadlock-S4-1 db-deadlock-S4-2 db-deadlock-S4-3 \
		db-deadlock-S5-1 db-deadlock-S5-2 db-deadlock-S5-3 db-deadlock-S6-1 db-deadlock-S6-2 \
		db-outage-triage-S1-1 db-outage-triage-S1-2 db-outage-triage-S1-3 \
		db-outage-triage-S2-1 db-outage-triage-S2-2 db-outage-triage-S2-3 db-outage-triage-S2-4 \
		db-outage-triage-S3-1 db-outage-triage-S3-2 \
		db-outage-triage-S4-1 db-outage-triage-S4-2 db-outage-triage-S4-3 \
		db-outage-triage-S5-1 db-outage-triage-S5-2 db-outage-triage-S5-3 db-outage-triage-S5-4)"

# Every diagnostic snippet, during the outage. The fix (db-deadlock S5)
# and the recovery checks (S6) come after.
for f in snippets/*.sql; do
	name=$(basename "$f" .sql)
	case $name in db-deadlock-S5-* | db-deadlock-S6-*) continue ;; esac
	run "$name"
done

# db-deadlock S1: what changed — the open migration.
expect "S1 finds the uncommitted ALTER TABLE" \
	"$(rows db-deadlock-S1-1 pid="$mig" state='idle in transaction' application_name=migration)" 1
expect "S1 lists nothing else" "$(count db-deadlock-S1-1)" 1
expect "S1 reads the server's start time" "$(count db-deadlock-S1-2)" 1
# S2: the blocking chain.
for p in "$app1" "$app2" "$app3"; do
	expect "S2 shows app session $p blocked by the migration" \
		"$(rows db-deadlock-S2-1 blocked_pid="$p" blocking_pid="$mig" blocking_state='idle in transaction')" 1
	expect "S2 names the lock it waits for, held by the migration" \
		"$(rows db-deadlock-S2-3 waiting_pid="$p" holding_pid="$mig" holds=AccessExclusiveLock object=orders)" 1
done
expect "S2 shows A blocked by B" "$(rows db-deadlock-S2-1 blocked_pid="$dla" blocking_pid="$dlb")" 1
expect "S2 shows B blocked by A" "$(rows db-deadlock-S2-1 blocked_pid="$dlb" blocking_pid="$dla")" 1
expect "S2 lists exactly those five waits" "$(count db-deadlock-S2-1)" 5
expect "S2 names the migration as the only root blocker, with three waiting" \
	"$(rows db-deadlock-S2-2 root_blocker_pid="$mig" sessions_waiting=3 chain_depth=1 application_name=migration) $(count db-deadlock-S2-2)" "1 1"
expect "S2 shows A waiting on B's transaction" \
	"$(rows db-deadlock-S2-3 waiting_pid="$dla" holding_pid="$dlb" locktype=transactionid wants=ShareLock holds=ExclusiveLock)" 1
# S3: long transactions.
expect "S3 lists the migration as the oldest open transaction" \
	"$(sed -n 2p out/db-deadlock-S3-1 | cut -d"$US" -f1)" "$mig"
expect "S3 lists every open transaction" "$(count db-deadlock-S3-1)" 6
expect "S3 finds the migration idle in transaction, and only it" \
	"$(rows db-deadlock-S3-2 pid="$mig" state='idle in transaction') $(count db-deadlock-S3-2)" "1 1"
# S4: deadlocks.
expect "S4 reads the deadlock counter (none detected yet)" "$(rows db-deadlock-S4-1 datname=outage deadlocks=0)" 1
expect "S4 shows deadlock_timeout" "$(rows db-deadlock-S4-2 name=deadlock_timeout setting=600000 unit=ms)" 1
expect "S4 finds the cycle: A and B, nobody else" \
	"$(rows db-deadlock-S4-3 pid_in_cycle="$dla") $(rows db-deadlock-S4-3 pid_in_cycle="$dlb") $(count db-deadlock-S4-3)" "1 1 2"

# db-outage-triage S1: what changed.
expect "triage S1 reads start and reload times" "$(count db-outage-triage-S1-1)" 1
expect "triage S1 lists the changed settings" "$(rows db-outage-triage-S1-2 name=deadlock_timeout source='command line')" 1
expect "triage S1 finds the uncommitted ALTER TABLE" \
	"$(rows db-outage-triage-S1-3 pid="$mig" state='idle in transaction') $(count db-outage-triage-S1-3)" "1 1"
# S2: connections and saturation.
# Six sessions, and the one running the snippet.
expect "triage S2 counts the connections against the limit" \
	"$(rows db-outage-triage-S2-1 connections=7 max_connections=40)" 1
expect "triage S2 shows five active sessions waiting on locks" \
	"$(rows db-outage-triage-S2-2 state=active wait_event_type=Lock sessions=5)" 1
expect "triage S2 shows one idle in transaction" \
	"$(rows db-outage-triage-S2-2 state='idle in transaction' sessions=1)" 1
expect "triage S2 shows who holds the connections" \
	"$(rows db-outage-triage-S2-3 application_name=migration state='idle in transaction' sessions=1)" 1
expect "triage S2 lists the stuck active queries" \
	"$(rows db-outage-triage-S2-4 pid="$app1" wait_event_type=Lock wait_event=relation)" 1
# S3: locks.
expect "triage S3 counts the waiters and names the blockers" \
	"$(rows db-outage-triage-S3-1 waiting_on_locks=5 blocking_pids="{$(printf '%s\n' "$mig" "$dla" "$dlb" | sort -n | paste -sd,)}")" 1
expect "triage S3 reads the deadlock counter" "$(rows db-outage-triage-S3-2 datname=outage deadlocks=0)" 1
# S4: replication (a primary without replicas).
expect "triage S4 on a primary without replicas" "$(count db-outage-triage-S4-1)" 0
expect "triage S4 knows it is not a replica" "$(rows db-outage-triage-S4-2 is_replica=f)" 1
expect "triage S4 lists no slots" "$(count db-outage-triage-S4-3)" 0
# S5: disk and memory, without waiting behind the migration's lock.
expect "triage S5 sizes the database" "$(rows db-outage-triage-S5-1 datname=outage)" 1
expect "triage S5 lists orders without waiting for its lock" \
	"$(rows db-outage-triage-S5-2 table_name=orders approx_rows=1000)" 1
expect "triage S5 reads temporary files" "$(rows db-outage-triage-S5-3 datname=outage)" 1
expect "triage S5 reads memory settings" "$(count db-outage-triage-S5-4)" 6

# db-deadlock S5: the fix. Check the migration's session, cancel one side
# of the deadlock, terminate the migration.
run db-deadlock-S5-1 "$mig"
expect "S5 shows the migration blocking three sessions" \
	"$(rows db-deadlock-S5-1 pid="$mig" state='idle in transaction' sessions_blocked=3)" 1
run db-deadlock-S5-2 "$dlb"
expect "S5 cancels B" "$(sed -n 2p out/db-deadlock-S5-2)" t
wait_for "A to get B's row" "select exists (select 1 from pg_stat_activity
	where application_name = 'dl-a' and state = 'idle in transaction')"
say dl-a "commit;"
say dl-b "rollback;"
run db-deadlock-S5-3 "$mig"
expect "S5 terminates the migration" "$(sed -n 2p out/db-deadlock-S5-3)" t
wait_for "the application queries to finish" "select count(*) = 0 from pg_stat_activity
	where application_name like 'app-%' or (application_name like 'dl-%' and state <> 'idle')"
for i in 0 1 2; do
	status=0
	wait "${app_pids[$i]}" || status=$?
	expect "app-$((i + 1)) ran once unblocked" "$status" 0
done
# the client prints the server's error when it reads it: wait for it
wait_until grep -q 'canceling statement due to user request' dl-b.out
expect_grep "B was cancelled" dl-b.out 'canceling statement due to user request'
expect "the migration was rolled back with its session" \
	"$(v "select count(*) from information_schema.columns where table_name = 'orders' and column_name = 'discount_code'")" 0
expect "the blocked update went through" "$(v "select status from orders where id = 1")" paid
expect "the blocked insert went through" "$(v "select count(*) from orders")" 1001
expect "A committed" "$(v "select qty from inventory where sku in ('a', 'b') order by sku" | paste -sd,)" 9,9

# db-deadlock S6: recovery.
run db-deadlock-S6-1
run db-deadlock-S6-2
expect "S6 finds nothing waiting or idle in transaction" \
	"$(rows db-deadlock-S6-1 waiting_on_locks=0 idle_in_transaction=0)" 1
expect "S6 finds no blocking chain" "$(count db-deadlock-S6-2)" 0

# A deadlock the server detects (deadlock_timeout 100 ms for these two):
# one of them fails with "deadlock detected" and the counter rises.
session dl-c
session dl-d
say dl-c "set deadlock_timeout = '100ms'; begin; update inventory set qty = qty - 1 where sku = 'c';"
say dl-d "set deadlock_timeout = '100ms'; begin; update inventory set qty = qty - 1 where sku = 'd';"
wait_for "both transactions to hold a row" "select count(*) = 2 from pg_stat_activity
	where application_name in ('dl-c', 'dl-d') and state = 'idle in transaction'"
say dl-c "update inventory set qty = qty - 1 where sku = 'd';"
wait_for "C to wait for D" "select exists (select 1 from pg_stat_activity
	where application_name = 'dl-c' and wait_event_type = 'Lock')"
say dl-d "update inventory set qty = qty - 1 where sku = 'c';"
wait_for "the server to break the deadlock" "select count(*) = 2 from pg_stat_activity
	where application_name in ('dl-c', 'dl-d') and state like 'idle in transaction%'"
# Ending the sessions flushes their statistics.
hangup dl-c
hangup dl-d
wait_for "the sessions to end" "select count(*) = 0 from pg_stat_activity where application_name in ('dl-c', 'dl-d')"
wait_for "the deadlock to be counted" "select deadlocks > 0 from pg_stat_database where datname = 'outage'"
run db-deadlock-S4-1
expect "S4 sees the detected deadlock in the counter" "$(rows db-deadlock-S4-1 datname=outage deadlocks=1)" 1
run db-outage-triage-S3-2
expect "triage S3 sees it too" "$(rows db-outage-triage-S3-2 datname=outage deadlocks=1)" 1
cat dl-c.out dl-d.out > dl-cd.out
# the client prints the server's error when it reads it: wait for it
wait_until grep -q 'ERROR:  deadlock detected' dl-cd.out
expect_grep "the application saw the deadlock error" dl-cd.out 'ERROR:  deadlock detected'
expect_grep "and the server logged it" "$PGROOT/server.log" 'ERROR:  deadlock detected'

# The other shape of a migration outage: the ALTER TABLE itself waits for an
# old transaction (a report), and every query on the table queues behind
# the ALTER. The report is the root blocker, two levels up; cancelling the
# migration's statement releases the queue at once.
session report
say report "begin; select count(*) from orders;"
wait_for "the report to hold its transaction open" "select exists (select 1 from pg_stat_activity
	where application_name = 'report' and state = 'idle in transaction')"
session migration-2
say migration-2 "alter table orders add column coupon text;"
wait_for "the second migration to wait for the report" "select exists (select 1 from pg_stat_activity
	where application_name = 'migration-2' and wait_event_type = 'Lock')"
PGAPPNAME=app-4 P -c "select count(*) from orders" > app-4.out 2>&1 &
app4=$!
bg_pids+=("$app4")
wait_for "a query to queue behind the ALTER" "select exists (select 1 from pg_stat_activity
	where application_name = 'app-4' and wait_event_type = 'Lock')"
report=$(pid_of report) mig2=$(pid_of migration-2) app4pid=$(pid_of app-4)
run db-deadlock-S1-1
expect "S1 finds the ALTER TABLE waiting" \
	"$(rows db-deadlock-S1-1 pid="$mig2" state=active wait_event_type=Lock)" 1
run db-deadlock-S2-1
expect "S2 shows the query queued behind the ALTER" \
	"$(rows db-deadlock-S2-1 blocked_pid="$app4pid" blocking_pid="$mig2" blocking_state=active)" 1
expect "S2 shows the ALTER blocked by the report" \
	"$(rows db-deadlock-S2-1 blocked_pid="$mig2" blocking_pid="$report" blocking_state='idle in transaction')" 1
run db-deadlock-S2-2
expect "S2 names the report as root blocker, two levels up" \
	"$(rows db-deadlock-S2-2 root_blocker_pid="$report" sessions_waiting=2 chain_depth=2) $(count db-deadlock-S2-2)" "1 1"
run db-deadlock-S2-3
expect "S2 shows the ALTER wanting the table, the report holding it" \
	"$(rows db-deadlock-S2-3 waiting_pid="$mig2" wants=AccessExclusiveLock object=orders holding_pid="$report" holds=AccessShareLock)" 1
run db-deadlock-S3-2
expect "S3 finds the report idle in transaction" "$(rows db-deadlock-S3-2 pid="$report")" 1
run db-deadlock-S5-2 "$mig2"
expect "S5 cancels the migration's statement" "$(sed -n 2p out/db-deadlock-S5-2)" t
wait_for "the queued query to finish" "select not exists (select 1 from pg_stat_activity
	where application_name = 'app-4')"
status=0
wait "$app4" || status=$?
expect "the queued query ran" "$status" 0
# the client prints the server's error when it reads it: wait for it
wait_until grep -q 'canceling statement due to user request' migration-2.out
expect_grep "the migration was cancelled" migration-2.out 'canceling statement due to user request'
say report "commit;"
wait_for "the report to finish" "select exists (select 1 from pg_stat_activity
	where application_name = 'report' and state = 'idle')"
expect "the second migration left no column" \
	"$(v "select count(*) from information_schema.columns where table_name = 'orders' and column_name = 'coupon'")" 0
run db-deadlock-S6-2
expect "S6 finds no blocking chain" "$(count db-deadlock-S6-2)" 0

for s in migration dl-a dl-b report migration-2; do hangup "$s"; done
done_checks
