-- Schema version 4: the versions of each caption track saved in the editor.
-- The library keeps a track's current text; here are the texts it had, with
-- who saved each and when, so a publisher can see the history and revert.
CREATE TABLE IF NOT EXISTS track_versions (
    id INTEGER PRIMARY KEY,
    media_id TEXT NOT NULL,
    track TEXT NOT NULL,
    at REAL NOT NULL,
    publisher_id INTEGER REFERENCES publishers (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    etag TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS track_versions_track ON track_versions (media_id, track, id);
