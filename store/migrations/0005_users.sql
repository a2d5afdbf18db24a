-- 0005: people's display names, as the platforms told them (Slack's
-- users.info, Matrix member events and profiles), kept across restarts:
-- a homeserver does not send member events again to a device that has
-- seen them, and a name asked for once per process is lost at a restart.
CREATE TABLE users (
	platform TEXT NOT NULL,
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (platform, id)
) WITHOUT ROWID;
