-- Schema version 2: publishers' roles (every account that exists becomes an
-- admin), server-side sessions and the audit log. Databases the release
-- before versions made since roles came already have all of it: the column is
-- added only where it is missing (see run_script in player/db/sqlite.py).
ALTER TABLE publishers ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('admin', 'editor'));
CREATE TABLE IF NOT EXISTS publisher_sessions (
    id_hash TEXT PRIMARY KEY,
    publisher_id INTEGER NOT NULL REFERENCES publishers (id),
    started_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS publisher_sessions_publisher ON publisher_sessions (publisher_id);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    publisher_id INTEGER REFERENCES publishers (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    item_id TEXT,
    track TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_item ON audit_log (item_id, id);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, id);
