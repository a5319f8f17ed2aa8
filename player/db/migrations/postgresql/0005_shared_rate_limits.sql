-- Schema version 5: flood-limit counts shared by the app servers, per kind
-- of limit, key and fixed window (the window's number since the epoch).
-- Unlogged: the counts are worth nothing after a crash, and skipping the
-- write-ahead log makes each update cheaper.
CREATE UNLOGGED TABLE rate_counts (
    kind text NOT NULL,
    key text NOT NULL,
    window_number bigint NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (kind, key, window_number)
);
CREATE INDEX rate_counts_window ON rate_counts (window_number);
