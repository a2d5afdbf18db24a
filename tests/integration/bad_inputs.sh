# Bad input from files and users gets a clear error and leaves the store
# intact: corrupt, foreign and newer databases, unreadable and invalid
# configs, a 1 MiB message, invalid UTF-8, malformed plain-text lines.
source "$(dirname "$0")/lib.bash"

# A foreign file and a corrupt one: refused, and not modified.
echo "this is somebody's shopping list" > foreign.db
cp foreign.db foreign.orig
status=0; "$SCRIBE" replay /dev/null --db foreign.db 2> foreign.err || status=$?
expect "a foreign file is refused" "$status" "1"
expect_grep "with a clear message" foreign.err '^scribe: foreign.db: file is not a database'
expect "and left as it was" "$(cmp foreign.db foreign.orig && echo same)" "same"

printf '!inc declare Good data\n' | "$SCRIBE" console --db good.db > /dev/null
head -c 3000 good.db > corrupt.db
head -c 100 /dev/urandom >> corrupt.db
status=0; "$SCRIBE" db check --db corrupt.db > /dev/null 2> corrupt.err || status=$?
expect "a corrupt database fails the check" "$status" "1"
expect_grep "and says why" corrupt.err '^scribe: corrupt.db: '

# Another application's SQLite database: refused, not taken over.
sqlite3 other.db "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')"
cp other.db other.orig
status=0; "$SCRIBE" console --db other.db < /dev/null 2> other.err || status=$?
expect "another application's database is refused" "$status" "1"
expect_grep "saying whose it is" other.err "other.db: not a Scribe database"
expect "and left as it was" "$(cmp other.db other.orig && echo same)" "same"

# A database from a newer scribe.
cp good.db newer.db
sqlite3 newer.db "PRAGMA user_version = 999"
status=0; "$SCRIBE" console --db newer.db < /dev/null 2> newer.err || status=$?
expect "a newer database is refused" "$status" "1"
expect_grep "naming both versions" newer.err 'schema version 999, newer than this scribe'

# Configs: missing, unreadable, invalid.
status=0; "$SCRIBE" console -c missing.yaml < /dev/null 2> missing.err || status=$?
expect "a missing config fails" "$status" "1"
expect_grep "naming the file" missing.err 'missing.yaml: cannot read'
printf 'timezone: UTC\nchanel_prefix: inc\n' > typo.yaml
status=0; "$SCRIBE" console -c typo.yaml < /dev/null 2> typo.err || status=$?
expect "an unknown key fails" "$status" "1"
expect_grep "with file, line, key and a suggestion" typo.err "typo.yaml:2: .*chanel_prefix.*channel_prefix"

# The store next to the config file, and a message cap from it.
printf 'store:\n  path: data/bot.db\nmessage_max: 2048\n' > cap.yaml
mkdir data
{ echo '!inc declare Huge paste'; head -c 1048576 /dev/zero | tr '\0' x; echo; } > huge.txt
"$SCRIBE" console -c cap.yaml < huge.txt > huge.out
DB=data/bot.db
expect "the store path resolves against the config's folder" "$(test -f data/bot.db && echo yes)" "yes"
expect "a 1 MiB message is kept up to the cap" "$(q "select length(text), truncated from timeline where kind = 'message'")" "2048|1"

# Invalid UTF-8 is stored replaced, never a crash.
printf '!inc declare Bytes\nbad \xff\xfe bytes \xc3\x28 here\n' | "$SCRIBE" console --db utf8.db > /dev/null
DB=utf8.db
expect "invalid UTF-8 replaced" "$(q "select text from timeline where kind = 'message'")" "bad �� bytes �( here"

# Plain text lines: malformed ones are reported with their number, the rest
# replayed; --tz sets the zone of these lines.
cat > plain.txt <<'P'
2026-07-01 10:00 alice: !inc declare Plain text works
2026-07-01 10:01 bob: first
2026-07-01 25:01 bob: bad hour
not a line at all
2026-07-01 10:02:30 carol: with seconds
2026-03-29 02:30 carol: inside the spring gap
P
"$SCRIBE" replay plain.txt --db plain.db --tz Europe/Berlin --quiet 2> plain.err
DB=plain.db
expect_grep "bad hour reported" plain.err '^plain.txt:3: '
expect_grep "garbage reported" plain.err '^plain.txt:4: '
expect_grep "a DST gap time reported" plain.err '^plain.txt:6: '
expect "the rest replayed, in Berlin time" "$(q "select datetime(at_ms/1000, 'unixepoch'), text from timeline where kind = 'message' order by id")" \
"2026-07-01 08:01:00|first
2026-07-01 08:02:30|with seconds"

# db migrate and backup.
"$SCRIBE" db migrate --db good.db > migrate.out
expect_grep "migrate reports the version" migrate.out 'good.db: schema version [0-9]+ \(was [0-9]+\)'
"$SCRIBE" db backup copy.db --db good.db > backup.out
DB=copy.db
expect "the backup has the incident" "$(q "select title from incidents")" "Good data"
copy_id=$(q "select value from meta where key = 'db_id'")
good_id=$(DB=good.db q "select value from meta where key = 'db_id'")
expect "the backup is a database of its own" "$([ -n "$copy_id" ] && [ "$copy_id" != "$good_id" ] && echo new-id)" "new-id"
status=0; "$SCRIBE" db frobnicate --db good.db 2> db.err || status=$?
expect "an unknown db verb is a usage error" "$status" "2"
done_checks
