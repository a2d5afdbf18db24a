# ctest: LABELS heavy
# The MariaDB snippets of the db-deadlock and db-outage-triage playbooks
# find the outage's shapes on a real MariaDB (Debian's mariadb-server,
# 10.11; MySQL 8 is not available here and its snippets stay unverified).
#
# The test starts its own server (a datadir in a temp dir, loopback port,
# socket in the temp dir) and reproduces, with InnoDB's deadlock detection
# off so a cycle stays observable: a data migration holding row locks in a
# transaction it never committed, application statements waiting behind it,
# and a deadlock between two transactions. It runs every mariadb snippet, as
# `scribe playbook snippets` extracts them, and checks that they name the
# waiting and the blocking connections and the old transaction; that the
# playbook's KILL QUERY stops only the statement (the transaction keeps its
# row locks) and KILL ends the blocker and rolls it back; then an ALTER
# TABLE waiting for a metadata lock behind an open transaction, with a query
# queued behind the ALTER, found and cleared by KILL QUERY; and a deadlock
# the server detects, seen in the counter and in SHOW ENGINE INNODB STATUS.
# Every wait polls the server, with a 30 s deadline; no sleep stands in
# for a condition (polls of INNODB_TRX are paced: see wait_for).
source "$(dirname "$0")/lib.bash"

for b in /usr/sbin/mariadbd /usr/bin/mariadb-install-db /usr/bin/mariadb /usr/bin/mariadb-admin; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is missing: install MariaDB (apt-get install mariadb-server)" >&2
		exit 1
	fi
done

# The server runs as the mysql user when the test runs as root, in a
# directory of its own.
MYROOT=$(mktemp -d /tmp/scribe-mariadb.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
	if ! id mysql > /dev/null 2>&1; then
		echo "FAIL: running as root and there is no mysql user to run the server" >&2
		exit 1
	fi
	chown mysql: "$MYROOT"
	as_my() { (cd "$MYROOT" && runuser -u mysql -- "$@"); }
else
	as_my() { (cd "$MYROOT" && "$@"); }
fi
SOCK=$MYROOT/sock

bg_pids=()
server=
cleanup() {
	local pid
	for pid in "${bg_pids[@]}"; do kill "$pid" 2> /dev/null || true; done
	if [ -n "$server" ]; then
		timeout 30 mariadb-admin --no-defaults -uroot -S "$SOCK" shutdown > /dev/null 2>&1 ||
			kill -9 "$(cat "$MYROOT/pid" 2> /dev/null)" 2> /dev/null || true
		kill "$server" 2> /dev/null || true
	fi
	rm -rf "$MYROOT" "$WORK"
}
trap cleanup EXIT

as_my mariadb-install-db --no-defaults --datadir="$MYROOT/data" --skip-test-db \
	--auth-root-authentication-method=normal > "$MYROOT/install.log" 2>&1 || {
	cat "$MYROOT/install.log" >&2
	exit 1
}

# alive: the server answers.
alive() { mariadb-admin --no-defaults -uroot -S "$SOCK" ping > /dev/null 2>&1; }
# Deadlock detection is off: a cycle waits (innodb_lock_wait_timeout, 10
# minutes) until the test breaks it; the last deadlock turns it back on.
for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 40000))
	if (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null; then continue; fi
	as_my /usr/sbin/mariadbd --no-defaults --datadir="$MYROOT/data" --socket="$SOCK" \
		--port="$PORT" --bind-address=127.0.0.1 --pid-file="$MYROOT/pid" \
		--log-error="$MYROOT/server.log" --skip-log-bin --innodb-buffer-pool-size=32M \
		--innodb-lock-wait-timeout=600 --innodb-deadlock-detect=OFF \
		--innodb-print-all-deadlocks=ON > "$MYROOT/stderr.log" 2>&1 &
	server=$!
	deadline=$((SECONDS + 30))
	until alive || ! kill -0 "$server" 2> /dev/null || [ "$SECONDS" -ge "$deadline" ]; do :; done
	alive && break
	kill "$server" 2> /dev/null || true
	wait "$server" 2> /dev/null || true
	server=
	grep -q 'Address already in use\|Bind on TCP/IP port' "$MYROOT/server.log" || break
done
if [ -z "$server" ]; then
	echo "FAIL: MariaDB did not start" >&2
	cat "$MYROOT/server.log" >&2
	exit 1
fi

TAB=$'\t'
# M [client args]: a client as root; v SQL: one value from the test database.
M() { mariadb --no-defaults -uroot -S "$SOCK" "$@"; }
v() { M -N -B outage -e "$1"; }

# wait_for WHAT SQL: poll until SQL returns 1, for at most 30 s.
# InnoDB refills the cache behind information_schema.INNODB_TRX (and
# INNODB_LOCKS, INNODB_LOCK_WAITS) only when nobody has read it for 0.1 s,
# so a busy loop on those tables would read the same stale rows forever:
# such polls are paced. A condition met through them also guarantees that
# the snippets read afterwards see the new state, not an old cache.
wait_for() {
	local deadline=$((SECONDS + 30))
	until [ "$(v "$2")" = 1 ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "FAIL timed out waiting for $1" >&2
			v "select id, user, command, state, info from information_schema.processlist" >&2
			exit 1
		fi
		case $2 in *innodb_trx*) sleep 0.15 ;; esac
	done
}

# session NAME USER: a client kept open on a FIFO; say NAME SQL sends it a line.
declare -A fd
session() {
	mkfifo "$1.in"
	mariadb --no-defaults -u "$2" -S "$SOCK" --force --unbuffered outage < "$1.in" > "$1.out" 2>&1 &
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
ids_of() { v "select id from information_schema.processlist where user = '$1' order by id"; }

# rows NAME COL=VALUE...: how many rows of a snippet's output (its first
# result) have all the given column values.
rows() {
	local file=out/$1
	shift
	local conds
	conds=$(IFS=$'\x1f'; echo "$*")
	awk -v FS="$TAB" -v SEP=$'\x1f' -v conds="$conds" '
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
# count NAME: the number of rows of a snippet's output (one result).
count() {
	local n
	n=$(wc -l < "out/$1")
	echo $((n > 0 ? n - 1 : 0))
}
# field NAME ROW COL: one value of a snippet's output.
field() {
	awk -v FS="$TAB" -v row="$2" -v name="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NR == row + 1 { print $(col[name]) }' "out/$1"
}

# run NAME [ID]: runs snippet NAME, with <id> replaced by ID, under a lock
# timeout: a triage query that queues behind the lock fails here.
run() {
	checks=$((checks + 1))
	if ! sed "s/<id>/${2:-0}/g" "snippets/$1.sql" | M -B outage \
		--init-command="SET SESSION lock_wait_timeout = 3, innodb_lock_wait_timeout = 3, max_statement_time = 20" \
		> "out/$1" 2> "out/$1.err"; then
		failures=$((failures + 1))
		printf 'FAIL snippet %s does not run:\n' "$1" >&2
		sed 's/^/  | /' "out/$1.err" "snippets/$1.sql" >&2
		: > "out/$1"
	fi
}

# The outage's schema, and one user per role so the connections can be told apart.
M -e "create database outage" > /dev/null
v "create table orders (id int auto_increment primary key, customer int not null,
     status varchar(20) not null, total decimal(10,2) not null,
     created_at timestamp not null default current_timestamp) engine = InnoDB;
   insert into orders (customer, status, total) select seq % 97, 'new', seq * 1.5 from seq_1_to_1000;
   create table inventory (sku varchar(10) primary key, qty int not null) engine = InnoDB;
   insert into inventory values ('a', 10), ('b', 10), ('c', 10), ('d', 10);"
for u in migration app dla dlb dlc dld report; do
	v "create user '$u'@'localhost'; grant all on outage.* to '$u'@'localhost'"
done

# (a) The migration: a backfill in a transaction that stays open, holding
# the row locks of the 500 rows it changed.
session migration migration
say migration "begin; update orders set status = 'migrated' where id <= 500;"
wait_for "the migration to hold its row locks" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'migration' and p.command = 'Sleep' and t.trx_rows_modified = 500"

# (b) The application, waiting for those rows.
app_pids=()
for sql in "update orders set status = 'paid' where id = 1" \
	"delete from orders where id = 2" \
	"select status from orders where id = 3 for update"; do
	mariadb --no-defaults -u app -S "$SOCK" outage -e "$sql" > /dev/null 2>> app.err &
	app_pids+=($!)
done
bg_pids+=("${app_pids[@]}")
wait_for "three application statements to wait on row locks" "select count(*) = 3
	from information_schema.innodb_trx t join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'app' and t.trx_state = 'LOCK WAIT'"

# (c) A deadlock: A holds row a and wants b, B holds b and wants a.
session dl-a dla
session dl-b dlb
say dl-a "begin; update inventory set qty = qty - 1 where sku = 'a';"
say dl-b "begin; update inventory set qty = qty - 1 where sku = 'b';"
wait_for "both transactions to hold a row" "select count(*) = 2 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user in ('dla', 'dlb') and p.command = 'Sleep'"
say dl-a "update inventory set qty = qty - 1 where sku = 'b';"
wait_for "A to wait for B" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'dla' and t.trx_state = 'LOCK WAIT'"
say dl-b "update inventory set qty = qty - 1 where sku = 'a';"
wait_for "B to wait for A" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'dlb' and t.trx_state = 'LOCK WAIT'"

mig=$(ids_of migration)
mapfile -t apps < <(ids_of app)
dla=$(ids_of dla) dlb=$(ids_of dlb)

# The snippets, exactly as Scribe extracts them.
mkdir -p snippets out
for pb in db-deadlock db-outage-triage; do
	if ! "$SCRIBE" playbook snippets "$SCRIBE_SOURCE_DIR/playbooks/$pb.yaml" \
		--flavor mariadb --out snippets > "out/extract-$pb.err" 2>&1; then
		echo "FAIL scribe playbook snippets $pb.yaml:" >&2
		cat "out/extract-$pb.err" >&2
		exit 1
	fi
done
expect "every mariadb snippet was extracted" "$(cd snippets && LC_ALL=C && printf '%s ' *)" \
	"$(printf '%s.sql ' db-deadlock-S1-1 db-deadlock-S2-1 db-deadlock-S2-2 db-deadlock-S2-3 \
		db-deadlock-S3-1 db-deadlock-S4-1 db-deadlock-S4-2 db-deadlock-S5-1 db-deadlock-S5-2 \
		db-deadlock-S6-1 db-outage-triage-S1-1 db-outage-triage-S2-1 db-outage-triage-S2-2 \
		db-outage-triage-S3-1 db-outage-triage-S4-1 db-outage-triage-S4-2 \
		db-outage-triage-S5-1 db-outage-triage-S5-2)"

# Every diagnostic snippet, during the outage; the KILLs (db-deadlock S5)
# and the recovery check (S6) come after.
for f in snippets/*.sql; do
	name=$(basename "$f" .sql)
	case $name in db-deadlock-S5-* | db-deadlock-S6-*) continue ;; esac
	run "$name"
done

# db-deadlock S1: no DDL in this shape.
expect "S1 finds no DDL here" "$(count db-deadlock-S1-1)" 0
# S2: who waits for whom.
for a in "${apps[@]}"; do
	expect "S2 shows app connection $a waiting for the migration" \
		"$(rows db-deadlock-S2-1 waiting_id="$a" blocking_id="$mig" lock_table='`outage`.`orders`')" 1
	expect "S2 (sys) shows it too, with the KILL to run" \
		"$(rows db-deadlock-S2-2 waiting_pid="$a" blocking_pid="$mig" sql_kill_blocking_connection="KILL $mig")" 1
done
expect "S2 shows A waiting for B" "$(rows db-deadlock-S2-1 waiting_id="$dla" blocking_id="$dlb")" 1
expect "S2 shows B waiting for A" "$(rows db-deadlock-S2-1 waiting_id="$dlb" blocking_id="$dla")" 1
expect "S2 lists exactly those five waits" "$(count db-deadlock-S2-1) $(count db-deadlock-S2-2)" "5 5"
expect "S2 lists the migration's open transaction first" "$(field db-deadlock-S2-3 1 id)" "$mig"
# S3: long transactions.
expect "S3 lists the migration as the oldest transaction, idle" \
	"$(field db-deadlock-S3-1 1 id) $(field db-deadlock-S3-1 1 command) $(field db-deadlock-S3-1 1 trx_rows_modified)" \
	"$mig Sleep 500"
expect "S3 lists every open transaction" "$(count db-deadlock-S3-1)" 6
# S4: deadlocks.
expect "S4 reads the deadlock counter (none detected yet)" \
	"$(rows db-deadlock-S4-1 Variable_name=Innodb_deadlocks Value=0)" 1
expect "S4 reads the current row-lock waits" \
	"$(rows db-deadlock-S4-1 Variable_name=Innodb_row_lock_current_waits Value=5)" 1
expect_grep "S4 reads SHOW ENGINE INNODB STATUS" out/db-deadlock-S4-2 'LOCK WAIT'

# db-outage-triage.
expect_grep "triage S1 shows the version" out/db-outage-triage-S1-1 'MariaDB'
expect_grep "triage S2 counts the connections" out/db-outage-triage-S2-1 "^Threads_connected$TAB"
expect_grep "triage S2 shows the limit" out/db-outage-triage-S2-1 "^max_connections${TAB}151"
expect "triage S2 groups the sessions" "$(rows db-outage-triage-S2-2 command=Sleep)" 1
expect "triage S3 counts the row-lock waits" \
	"$(rows db-outage-triage-S3-1 row_lock_waits=5 metadata_lock_waits=0)" 1
expect "triage S4 on a server without replication" \
	"$(count db-outage-triage-S4-1) $(count db-outage-triage-S4-2)" "0 0"
expect "triage S5 sizes the schema" "$(rows db-outage-triage-S5-1 table_schema=outage)" 1
expect_grep "triage S5 reads the buffer pool" out/db-outage-triage-S5-2 "^Innodb_buffer_pool_pages_total$TAB"

# db-deadlock S5. KILL QUERY stops B's statement but B's transaction keeps
# row b: A still waits. KILL ends B: A goes on.
run db-deadlock-S5-1 "$dlb"
wait_for "B's statement to stop" "select count(*) = 1 from information_schema.processlist
	where id = $dlb and command = 'Sleep'"
# Once B is idle its statement is rolled back: had the transaction gone
# too, A would hold row b by now. Four waits are left: A and the application.
expect "after KILL QUERY, A still waits" \
	"$(v "select variable_value from information_schema.global_status where variable_name = 'INNODB_ROW_LOCK_CURRENT_WAITS'")" 4
run db-deadlock-S5-2 "$dlb"
wait_for "A to get row b" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'dla' and t.trx_state = 'RUNNING' and p.command = 'Sleep'"
say dl-a "commit;"
# KILL the migration: its transaction rolls back and the application runs.
run db-deadlock-S5-2 "$mig"
wait_for "the application statements to finish" "select count(*) = 0 from information_schema.processlist
	where user in ('app', 'migration')"
for i in 0 1 2; do
	status=0
	wait "${app_pids[$i]}" || status=$?
	expect "application statement $((i + 1)) ran once unblocked" "$status" 0
done
expect "the migration's changes were rolled back" "$(v "select count(*) from orders where status = 'migrated'")" 0
expect "the blocked update went through" "$(v "select status from orders where id = 1")" paid
expect "the blocked delete went through" "$(v "select count(*) from orders")" 999
wait_for "A to commit" "select count(*) = 0 from information_schema.innodb_trx"
expect "A committed, B rolled back" "$(v "select group_concat(qty order by sku) from inventory where sku in ('a', 'b')")" 9,9
# S6: recovery.
run db-deadlock-S6-1
expect "S6 finds no waits and no open transaction" \
	"$(rows db-deadlock-S6-1 row_lock_waits=0 metadata_lock_waits=0 oldest_trx_s=NULL)" 1

# The DDL shape: an ALTER TABLE waits for the metadata lock of an open
# transaction (a report), and a query on the table queues behind the ALTER.
session report report
say report "begin; select count(*) from orders;"
wait_for "the report to hold its transaction open" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'report' and p.command = 'Sleep'"
session migration-2 migration
say migration-2 "alter table orders add column coupon varchar(20);"
wait_for "the ALTER to wait for the metadata lock" "select count(*) = 1 from information_schema.processlist
	where user = 'migration' and state = 'Waiting for table metadata lock'"
mariadb --no-defaults -u app -S "$SOCK" outage -e "select count(*) from orders" > /dev/null 2>> app.err &
app4=$!
bg_pids+=("$app4")
wait_for "a query to queue behind the ALTER" "select count(*) = 1 from information_schema.processlist
	where user = 'app' and state = 'Waiting for table metadata lock'"
report=$(ids_of report) mig2=$(ids_of migration) app4id=$(ids_of app)
run db-deadlock-S1-1
expect "S1 finds the ALTER waiting, and the query behind it" \
	"$(rows db-deadlock-S1-1 id="$mig2" state='Waiting for table metadata lock') $(rows db-deadlock-S1-1 id="$app4id" state='Waiting for table metadata lock')" "1 1"
run db-deadlock-S2-3
expect "S2 lists the report's open transaction first, then the waiters" \
	"$(field db-deadlock-S2-3 1 id) $(rows db-deadlock-S2-3 id="$mig2") $(rows db-deadlock-S2-3 id="$app4id")" "$report 1 1"
run db-outage-triage-S1-1
expect_grep "triage S1 finds the ALTER" out/db-outage-triage-S1-1 "^$mig2${TAB}migration${TAB}.*alter table orders add column coupon"
run db-outage-triage-S3-1
expect "triage S3 counts the metadata-lock waits" \
	"$(rows db-outage-triage-S3-1 row_lock_waits=0 metadata_lock_waits=2)" 1
run db-outage-triage-S5-1
expect "triage S5 sizes the schema while the ALTER waits" "$(rows db-outage-triage-S5-1 table_schema=outage)" 1
run db-deadlock-S5-1 "$mig2"
wait_for "the queued query to finish" "select count(*) = 0 from information_schema.processlist where user = 'app'"
status=0
wait "$app4" || status=$?
expect "the queued query ran" "$status" 0
# the client prints the server's error when it reads it: wait for it
wait_until grep -q 'Query execution was interrupted' migration-2.out
expect_grep "the ALTER was interrupted" migration-2.out 'Query execution was interrupted'
say report "commit;"
wait_for "the report to finish" "select count(*) = 0 from information_schema.innodb_trx"
expect "the ALTER left no column" \
	"$(v "select count(*) from information_schema.columns where table_schema = 'outage' and table_name = 'orders' and column_name = 'coupon'")" 0
run db-deadlock-S6-1
expect "S6 finds nothing waiting" "$(rows db-deadlock-S6-1 row_lock_waits=0 metadata_lock_waits=0)" 1

# A deadlock the server detects: the counter rises, and SHOW ENGINE INNODB
# STATUS shows it.
v "set global innodb_deadlock_detect = ON"
session dl-c dlc
session dl-d dld
say dl-c "begin; update inventory set qty = qty - 1 where sku = 'c';"
say dl-d "begin; update inventory set qty = qty - 1 where sku = 'd';"
wait_for "both transactions to hold a row" "select count(*) = 2 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user in ('dlc', 'dld') and p.command = 'Sleep'"
say dl-c "update inventory set qty = qty - 1 where sku = 'd';"
wait_for "C to wait for D" "select count(*) = 1 from information_schema.innodb_trx t
	join information_schema.processlist p on p.id = t.trx_mysql_thread_id
	where p.user = 'dlc' and t.trx_state = 'LOCK WAIT'"
say dl-d "update inventory set qty = qty - 1 where sku = 'c';"
wait_for "the server to break the deadlock" "select variable_value > 0 from information_schema.global_status
	where variable_name = 'INNODB_DEADLOCKS'"
run db-deadlock-S4-1
expect "S4 sees the detected deadlock in the counter" \
	"$(rows db-deadlock-S4-1 Variable_name=Innodb_deadlocks Value=1)" 1
run db-deadlock-S4-2
expect_grep "S4 shows it in SHOW ENGINE INNODB STATUS" out/db-deadlock-S4-2 'LATEST DETECTED DEADLOCK'
hangup dl-c
hangup dl-d
wait_for "the sessions to end" "select count(*) = 0 from information_schema.processlist where user in ('dlc', 'dld')"
cat dl-c.out dl-d.out > dl-cd.out
# the client prints the server's error when it reads it: wait for it
wait_until grep -q 'Deadlock found when trying to get lock' dl-cd.out
expect_grep "the application saw the deadlock error" dl-cd.out 'Deadlock found when trying to get lock'
expect_grep "and the server logged it" "$MYROOT/server.log" 'deadlock'

for s in migration dl-a dl-b report migration-2; do hangup "$s"; done
done_checks
