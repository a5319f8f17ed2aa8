-- Schema version 1 on SQLite: the tables of the last release without schema
-- versions, unchanged. Every statement says IF NOT EXISTS, so a database that
-- release made is adopted as it is, with its rows, and a new one is created.
CREATE TABLE IF NOT EXISTS probe_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS track_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    duration REAL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan_problems (
    path TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_version (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS publishers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
CREATE TABLE IF NOT EXISTS progress_sessions (
    id INTEGER PRIMARY KEY,
    media_id TEXT NOT NULL,
    viewer TEXT NOT NULL,
    session TEXT NOT NULL,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    position REAL NOT NULL,
    at_end INTEGER NOT NULL,
    state TEXT NOT NULL,
    UNIQUE (viewer, media_id, session)
);
CREATE INDEX IF NOT EXISTS progress_sessions_media ON progress_sessions (media_id);
CREATE INDEX IF NOT EXISTS progress_sessions_updated ON progress_sessions (updated_at);
CREATE TABLE IF NOT EXISTS progress_durations (
    media_id TEXT PRIMARY KEY,
    duration REAL NOT NULL,
    reported_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS progress_duration_reports (
    media_id TEXT NOT NULL,
    reported REAL NOT NULL,
    authoritative REAL NOT NULL,
    source TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_at REAL NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (media_id, reported)
);
CREATE TABLE IF NOT EXISTS progress_erasures (
    viewer TEXT PRIMARY KEY,
    erased_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS progress_folded (
    media_id TEXT PRIMARY KEY,
    tally TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS search_tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    media_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    lang TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_cues USING fts5(
    text, start UNINDEXED, "end" UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS progress_live (
    media_id TEXT PRIMARY KEY,
    basis TEXT NOT NULL,
    tally TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS progress_duration_votes (
    media_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    duration REAL NOT NULL,
    voted_at REAL NOT NULL,
    PRIMARY KEY (media_id, voter)
);
