-- Schema version 5: flood-limit counts shared by the app servers, per kind
-- of limit, key and fixed window (the window's number since the epoch).
-- The app shares them only on PostgreSQL; the table is here so that both
-- backends have one schema.
CREATE TABLE rate_counts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    window_number INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (kind, key, window_number)
);
CREATE INDEX rate_counts_window ON rate_counts (window_number);
