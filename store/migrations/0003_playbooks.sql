-- 0003: playbooks run in incidents, step by step. A run keeps the steps'
-- ids and titles as they were when it started, so that editing or
-- removing the playbook file later does not change what was done.
ALTER TABLE incidents ADD COLUMN current_run INTEGER NOT NULL DEFAULT 0;
-- Playbook ids already suggested in the incident (",a,b,"): each once.
ALTER TABLE incidents ADD COLUMN suggested TEXT NOT NULL DEFAULT '';

CREATE TABLE playbook_runs (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	run INTEGER NOT NULL,
	playbook TEXT NOT NULL,
	title TEXT NOT NULL,
	by_id TEXT NOT NULL,
	by_name TEXT NOT NULL,
	started_ms INTEGER NOT NULL,
	finished_ms INTEGER,
	PRIMARY KEY (incident_id, run)
) WITHOUT ROWID;

CREATE TABLE playbook_steps (
	incident_id INTEGER NOT NULL,
	run INTEGER NOT NULL,
	n INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	title TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'skipped')),
	by_id TEXT,
	by_name TEXT,
	at_ms INTEGER,
	note TEXT,
	PRIMARY KEY (incident_id, run, n),
	FOREIGN KEY (incident_id, run) REFERENCES playbook_runs(incident_id, run)
) WITHOUT ROWID;
