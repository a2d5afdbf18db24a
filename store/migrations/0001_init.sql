-- 0001: Scribe's first schema. Times are UTC epoch milliseconds.

-- One row per database: a random id that makes Matrix transaction ids
-- unique across recreated databases.
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- INC-<id>: one sequence per database, across platforms.
CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	title TEXT NOT NULL,
	slug TEXT NOT NULL,
	severity INTEGER NOT NULL,
	status TEXT NOT NULL,
	platform TEXT NOT NULL,
	channel TEXT NOT NULL,
	room TEXT,
	origin_room TEXT,
	declared_by_id TEXT NOT NULL,
	declared_by_name TEXT NOT NULL,
	declared_ms INTEGER NOT NULL,
	started_ms INTEGER,
	detected_ms INTEGER,
	acknowledged_ms INTEGER,
	mitigated_ms INTEGER,
	resolved_ms INTEGER,
	closed_ms INTEGER,
	resolved_explicit INTEGER NOT NULL DEFAULT 0,
	summary TEXT,
	impact TEXT,
	rootcause TEXT,
	resolution TEXT,
	conclusion TEXT,
	revision INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX incidents_room ON incidents(platform, room)
	WHERE room IS NOT NULL;

CREATE TABLE roles (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	role TEXT NOT NULL,
	user_id TEXT NOT NULL,
	user_name TEXT NOT NULL,
	at_ms INTEGER NOT NULL,
	PRIMARY KEY (incident_id, role)
) WITHOUT ROWID;

CREATE TABLE hypotheses (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	n INTEGER NOT NULL,
	text TEXT NOT NULL,
	by_id TEXT NOT NULL,
	by_name TEXT NOT NULL,
	raised_ms INTEGER NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('open', 'confirmed', 'ruled_out')),
	decided_ms INTEGER,
	decided_by_id TEXT,
	decided_by_name TEXT,
	why TEXT,
	PRIMARY KEY (incident_id, n)
) WITHOUT ROWID;

CREATE TABLE lessons (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	n INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('well', 'wrong', 'lucky')),
	text TEXT NOT NULL,
	by_id TEXT NOT NULL,
	by_name TEXT NOT NULL,
	at_ms INTEGER NOT NULL,
	PRIMARY KEY (incident_id, n)
) WITHOUT ROWID;

-- Follow-ups: action items (kind 'action') and corrective or preventive
-- measures (kind 'fix'), one A<n> sequence per incident.
CREATE TABLE actions (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	n INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('action', 'fix')),
	text TEXT NOT NULL,
	owner_id TEXT,
	owner_name TEXT,
	by_id TEXT NOT NULL,
	by_name TEXT NOT NULL,
	at_ms INTEGER NOT NULL,
	done_ms INTEGER,
	done_by_id TEXT,
	done_by_name TEXT,
	PRIMARY KEY (incident_id, n)
) WITHOUT ROWID;

-- Everything that happened: what people said (message, command, file,
-- edit, delete, reaction) and what Scribe recorded (declared, mark,
-- status, ...). Inbound events carry their platform's id (source_id); the
-- unique index absorbs redelivery. Commands typed outside an incident
-- channel are kept too (incident_id NULL), so that they are never run twice.
CREATE TABLE timeline (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER REFERENCES incidents(id),
	kind TEXT NOT NULL,
	at_ms INTEGER NOT NULL,
	platform TEXT NOT NULL,
	room TEXT NOT NULL DEFAULT '',
	source_id TEXT,
	author_id TEXT NOT NULL,
	author_name TEXT NOT NULL,
	text TEXT NOT NULL DEFAULT '',
	thread TEXT,
	ref_id INTEGER REFERENCES timeline(id),
	key INTEGER NOT NULL DEFAULT 0,
	truncated INTEGER NOT NULL DEFAULT 0,
	edits INTEGER NOT NULL DEFAULT 0,
	deleted_ms INTEGER,
	deleted_by TEXT
);
CREATE UNIQUE INDEX timeline_source ON timeline(platform, room, source_id)
	WHERE source_id IS NOT NULL;
CREATE INDEX timeline_incident ON timeline(incident_id, at_ms);

-- Earlier texts of edited messages: rev 1 is the original.
CREATE TABLE revisions (
	entry_id INTEGER NOT NULL REFERENCES timeline(id),
	rev INTEGER NOT NULL,
	text TEXT NOT NULL,
	replaced_ms INTEGER NOT NULL,
	PRIMARY KEY (entry_id, rev)
) WITHOUT ROWID;

CREATE TABLE files (
	entry_id INTEGER PRIMARY KEY REFERENCES timeline(id),
	name TEXT NOT NULL,
	type TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT ''
);

-- What Scribe will say or do on a platform, written in the transaction of
-- the change that caused it, and sent after the commit.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER REFERENCES incidents(id),
	platform TEXT NOT NULL,
	room TEXT,
	to_user TEXT,
	kind TEXT NOT NULL,
	body TEXT NOT NULL,
	created_ms INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_ms INTEGER NOT NULL DEFAULT 0,
	sent_ms INTEGER,
	last_error TEXT
);
CREATE INDEX outbox_pending ON outbox(platform, next_ms) WHERE sent_ms IS NULL;

-- Where each transport resumes (Slack event ids, Matrix next_batch).
CREATE TABLE cursors (
	transport TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
