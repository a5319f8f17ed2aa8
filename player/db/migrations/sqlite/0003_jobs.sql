-- Schema version 3: the background job queue and the workers' heartbeats.
-- Times are seconds since the epoch. payload and result are JSON text.
-- dedupe_key is a hash of kind, media id and payload: at most one job per key
-- may be waiting or running, so enqueueing the same work twice finds the first.
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    media_id TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    run_after REAL NOT NULL,
    lease_owner TEXT,
    lease_expires REAL,
    result TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, run_after);
CREATE INDEX IF NOT EXISTS jobs_media ON jobs (media_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_active ON jobs (dedupe_key)
    WHERE state IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS job_workers (
    name TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
