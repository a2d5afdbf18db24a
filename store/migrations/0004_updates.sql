-- 0004: status updates and their reminders; the alias of a created room.

-- What the platform calls the incident's room besides its id (Matrix:
-- "#inc-3-db:example.org"; Slack: the channel's name), for the links in
-- announcements. NULL until the room exists, or when it has none.
ALTER TABLE incidents ADD COLUMN room_alias TEXT;

-- One row per incident that had an update or a `remind` command. Without
-- a row, reminders follow the severity's update_every from the declare.
CREATE TABLE reminders (
	incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
	-- 0: the severity's update_every; -1: off; else the interval (ms).
	every_ms INTEGER NOT NULL DEFAULT 0,
	-- No reminder is due before this (`remind snooze`).
	snooze_until_ms INTEGER NOT NULL DEFAULT 0,
	-- The last status update, 0 for none yet.
	last_update_ms INTEGER NOT NULL DEFAULT 0,
	-- When the last reminder was due: one reminder per interval.
	reminded_ms INTEGER NOT NULL DEFAULT 0
);
