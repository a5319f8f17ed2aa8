"""The database seam: every SQL statement of the application lives here.

SQLite in WAL mode with a busy timeout, so readers never block the writer and
concurrent writers wait instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app, g

from . import db_auth

SCHEMA = """
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
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection configured for concurrent use by several workers.

    WAL mode is a property of the database file, set once by :func:`init_app`.
    """
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


# One connection per thread, kept between requests: opening one costs more
# than serving a 64 KiB byte range.
_local = threading.local()


def get_db() -> sqlite3.Connection:
    """This thread's connection to the app's database, opened on first use."""
    path = current_app.config["DATABASE"]
    conn = getattr(_local, "conn", None)
    if conn is None or _local.path != path:
        if conn is not None:
            conn.close()
        conn = connect(path)
        _local.conn, _local.path = conn, path
    g.db = conn
    return conn


def close_db(exc: BaseException | None = None) -> None:
    """End the request: never leave a transaction open on the kept connection."""
    conn = g.pop("db", None)
    if conn is not None and conn.in_transaction:
        conn.rollback()


def init_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    db_auth.upgrade_auth_schema(conn)


def init_app(app: Flask) -> None:
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(app.config["DATABASE"])
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        init_schema(conn)
    finally:
        conn.close()
    app.teardown_appcontext(close_db)


class Transaction:
    """``with Transaction(conn):`` runs the block in one immediate transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


# -- probe and track caches ------------------------------------------------

def cached_probe(conn: sqlite3.Connection, path: str, size: int, mtime_ns: int) -> dict | None:
    row = conn.execute(
        "SELECT result FROM probe_cache WHERE path = ? AND size = ? AND mtime_ns = ?",
        (path, size, mtime_ns),
    ).fetchone()
    return json.loads(row["result"]) if row else None


def store_probe(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, result: dict
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO probe_cache (path, size, mtime_ns, result) VALUES (?, ?, ?, ?)",
        (path, size, mtime_ns, json.dumps(result)),
    )


def cached_track(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, duration: float | None
) -> dict | None:
    row = conn.execute(
        "SELECT result FROM track_cache WHERE path = ? AND size = ? AND mtime_ns = ?"
        " AND duration IS ?",
        (path, size, mtime_ns, duration),
    ).fetchone()
    return json.loads(row["result"]) if row else None


def store_track(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, duration: float | None,
    result: dict,
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO track_cache (path, size, mtime_ns, duration, result)"
        " VALUES (?, ?, ?, ?, ?)",
        (path, size, mtime_ns, duration, json.dumps(result)),
    )


def forget_missing_paths(conn: sqlite3.Connection, existing: set[str]) -> None:
    for table in ("probe_cache", "track_cache"):
        stale = [
            row["path"] for row in conn.execute(f"SELECT path FROM {table}")
            if row["path"] not in existing
        ]
        conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in stale])


# -- the catalog -------------------------------------------------------------

def replace_catalog(
    conn: sqlite3.Connection, items: Iterable[dict], problems: Iterable[tuple[str, str]]
) -> None:
    """Swap the whole catalog in one transaction, so readers see the old or the new."""
    with Transaction(conn):
        conn.execute("DELETE FROM items")
        conn.executemany(
            "INSERT INTO items (id, position, data) VALUES (?, ?, ?)",
            [(item["id"], n, json.dumps(item)) for n, item in enumerate(items)],
        )
        conn.execute("DELETE FROM scan_problems")
        conn.executemany("INSERT INTO scan_problems (path, message) VALUES (?, ?)", problems)
        conn.execute(
            "INSERT INTO catalog_version (only, version) VALUES (1, 1)"
            " ON CONFLICT (only) DO UPDATE SET version = version + 1"
        )


def catalog_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever the catalog does, in any process."""
    row = conn.execute("SELECT version FROM catalog_version").fetchone()
    return row[0] if row else 0


def catalog(conn: sqlite3.Connection) -> list[dict]:
    return [json.loads(r["data"]) for r in conn.execute("SELECT data FROM items ORDER BY position")]


def catalog_item(conn: sqlite3.Connection, item_id: str) -> dict | None:
    row = conn.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
    return json.loads(row["data"]) if row else None


def scan_problems(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT path, message FROM scan_problems")
    return [(r["path"], r["message"]) for r in rows]


# -- publishers ----------------------------------------------------------------

def insert_publisher(conn: sqlite3.Connection, name: str, token_hash: str) -> int:
    cursor = conn.execute(
        "INSERT INTO publishers (name, token_hash) VALUES (?, ?)", (name, token_hash))
    return int(cursor.lastrowid)


def publisher_by_id(conn: sqlite3.Connection, publisher_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM publishers WHERE id = ?", (publisher_id,)).fetchone()


def publisher_by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM publishers WHERE name = ?", (name,)).fetchone()


def login_failures(conn: sqlite3.Connection, keys: list[str], since: float
                   ) -> dict[str, tuple[int, float]]:
    """For each key, failed sign-ins at or after ``since``: (count, earliest)."""
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT key, COUNT(*), MIN(at) FROM login_failures WHERE key IN ({marks}) AND at >= ?"
        " GROUP BY key", (*keys, since)).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def record_login_failure(conn: sqlite3.Connection, keys: list[str], at: float,
                         forget_before: float) -> None:
    with conn:
        conn.execute("DELETE FROM login_failures WHERE at < ?", (forget_before,))
        conn.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                         [(key, at) for key in keys])


def clear_login_failures(conn: sqlite3.Connection, key: str) -> None:
    with conn:
        conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))


def publisher_by_token_hash(conn: sqlite3.Connection, token_hash: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM publishers WHERE token_hash = ?", (token_hash,)).fetchone()


def list_publishers(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM publishers ORDER BY name").fetchall()


def revoke_publisher(conn: sqlite3.Connection, name: str) -> bool:
    """Mark the publisher revoked; False if there is no active one by that name."""
    cursor = conn.execute(
        "UPDATE publishers SET revoked_at = CURRENT_TIMESTAMP"
        " WHERE name = ? AND revoked_at IS NULL", (name,))
    return cursor.rowcount == 1


def set_publisher_password(conn: sqlite3.Connection, name: str, password_hash: str) -> bool:
    cursor = conn.execute(
        "UPDATE publishers SET password_hash = ? WHERE name = ? AND revoked_at IS NULL",
        (password_hash, name))
    return cursor.rowcount == 1


# -- progress ------------------------------------------------------------------
# Play sessions (raw, per viewer; a viewer's newest session is where they
# resume), durations players reported, and the anonymous totals raw sessions
# are folded into once they expire.

def progress_batch_state(
    conn: sqlite3.Connection, media_ids: list[str], keys: list[tuple[str, str, str]]
) -> tuple[dict[str, tuple[float | None, float | None]], dict[tuple[str, str, str], dict],
           dict[str, float]]:
    """What a batch of reports builds on, in one statement: for each of
    ``media_ids`` in the catalog its probed and player-reported durations,
    the stored state of each ``(viewer, media_id, session)`` that exists,
    and when each of the viewers last erased their history, if they did.

    One statement, one row of JSON, however many keys: every statement and
    every row stepped costs the writer a round trip through the GIL. Each
    state comes decoded, inside that one JSON document, not as a string to
    decode again.
    """
    row = conn.execute(
        "SELECT (SELECT json_group_object(i.id, json_array(i.data ->> '$.duration', d.duration))"
        "  FROM items i LEFT JOIN progress_durations d ON d.media_id = i.id"
        "  WHERE i.id IN (SELECT value FROM json_each(?1))),"
        " (SELECT json_group_array(json_array(viewer, media_id, session, json(state)))"
        "  FROM progress_sessions WHERE (viewer, media_id, session) IN"
        "  (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?2))),"
        " (SELECT json_group_object(viewer, erased_at) FROM progress_erasures"
        "  WHERE viewer IN (SELECT value ->> 0 FROM json_each(?2)))",
        (json.dumps(media_ids), json.dumps(keys)),
    ).fetchone()
    durations = {media_id: (probed, reported)
                 for media_id, (probed, reported) in json.loads(row[0]).items()}
    states = {(v, m, s): state for v, m, s, state in json.loads(row[1])}
    return durations, states, json.loads(row[2])


def progress_item_durations(
    conn: sqlite3.Connection, media_id: str
) -> tuple[float | None, float | None] | None:
    """The probed and the player-reported duration of a catalog item, or
    None if there is no such item."""
    row = conn.execute(
        "SELECT i.data ->> '$.duration', d.duration FROM items i"
        " LEFT JOIN progress_durations d ON d.media_id = i.id WHERE i.id = ?",
        (media_id,),
    ).fetchone()
    return (row[0], row[1]) if row else None


def progress_save_sessions(
    conn: sqlite3.Connection,
    rows: list[tuple[str, str, str, float, float, bool, dict]],
) -> None:
    """Insert or update sessions, each ``(viewer, media_id, session, now,
    position, at_end, state)`` (``state`` a JSON-ready dict, stored as JSON
    text), in one statement. ``position`` and ``at_end``
    repeat what ``state`` says, so resume look-ups need not decode it; a
    heartbeat changes no indexed column but ``updated_at``, so it rewrites
    one index, not three."""
    if not rows:
        return
    conn.execute(
        "INSERT INTO progress_sessions"
        " (viewer, media_id, session, started_at, updated_at, position, at_end, state)"
        " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 3,"
        " value ->> 4, value ->> 5, value -> 6 FROM json_each(?) WHERE true"
        " ON CONFLICT (viewer, media_id, session) DO UPDATE SET"
        " updated_at = excluded.updated_at, position = excluded.position,"
        " at_end = excluded.at_end, state = excluded.state",
        (json.dumps([(v, m, s, now, pos, int(end), state)
                     for v, m, s, now, pos, end, state in rows]),),
    )


def progress_resume_point(
    conn: sqlite3.Connection, viewer: str, media_id: str
) -> sqlite3.Row | None:
    """The viewer's newest session of the item: where they stopped."""
    return conn.execute(
        "SELECT position, at_end, updated_at FROM progress_sessions"
        " WHERE viewer = ? AND media_id = ? ORDER BY updated_at DESC LIMIT 1",
        (viewer, media_id),
    ).fetchone()


def progress_reported_duration(conn: sqlite3.Connection, media_id: str) -> float | None:
    row = conn.execute(
        "SELECT duration FROM progress_durations WHERE media_id = ?", (media_id,)).fetchone()
    return row["duration"] if row else None


def progress_fill_duration(
    conn: sqlite3.Connection, media_id: str, duration: float, now: float
) -> None:
    """Record the first duration a player reported for an item probing could
    not measure; later reports never replace it."""
    conn.execute(
        "INSERT OR IGNORE INTO progress_durations (media_id, duration, reported_at)"
        " VALUES (?, ?, ?)",
        (media_id, duration, now),
    )


def progress_log_duration(
    conn: sqlite3.Connection, media_id: str, reported: float, authoritative: float,
    source: str, now: float, max_distinct: int = 20,
) -> None:
    """Count a player's report of a duration that disagrees with ours.

    Values are kept to a tenth of a second and at most ``max_distinct`` per
    item, so a client sending random durations cannot grow the table.
    """
    reported = round(reported, 1)
    updated = conn.execute(
        "UPDATE progress_duration_reports SET count = count + 1, last_at = ?,"
        " authoritative = ?, source = ? WHERE media_id = ? AND reported = ?",
        (now, authoritative, source, media_id, reported),
    ).rowcount
    if updated:
        return
    known = conn.execute(
        "SELECT COUNT(*) FROM progress_duration_reports WHERE media_id = ?", (media_id,)
    ).fetchone()[0]
    if known < max_distinct:
        conn.execute(
            "INSERT INTO progress_duration_reports"
            " (media_id, reported, authoritative, source, count, first_at, last_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?)",
            (media_id, reported, authoritative, source, now, now),
        )


def progress_duration_reports(conn: sqlite3.Connection, media_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT reported, authoritative, source, count, first_at, last_at"
        " FROM progress_duration_reports WHERE media_id = ? ORDER BY count DESC, reported",
        (media_id,),
    ).fetchall()


def progress_sessions_of(conn: sqlite3.Connection, media_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT viewer, state FROM progress_sessions WHERE media_id = ?", (media_id,)
    ).fetchall()


def progress_folded(conn: sqlite3.Connection, media_id: str) -> str | None:
    row = conn.execute(
        "SELECT tally FROM progress_folded WHERE media_id = ?", (media_id,)).fetchone()
    return row["tally"] if row else None


def progress_save_folded(conn: sqlite3.Connection, media_id: str, tally: str, now: float) -> None:
    conn.execute(
        "INSERT INTO progress_folded (media_id, tally, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (media_id) DO UPDATE SET tally = excluded.tally,"
        " updated_at = excluded.updated_at",
        (media_id, tally, now),
    )


def progress_expired_sessions(
    conn: sqlite3.Connection, before: float, limit: int
) -> list[sqlite3.Row]:
    """The oldest ``limit`` sessions last updated before ``before``, by item."""
    return conn.execute(
        "SELECT id, media_id, viewer, state FROM"
        " (SELECT * FROM progress_sessions WHERE updated_at < ? ORDER BY updated_at LIMIT ?)"
        " ORDER BY media_id",
        (before, limit),
    ).fetchall()


def progress_delete_sessions(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    conn.executemany("DELETE FROM progress_sessions WHERE id = ?", [(i,) for i in ids])


def progress_erase_viewer(conn: sqlite3.Connection, viewer: str, now: float) -> int:
    """Delete every session stored under a viewer key; returns how many.

    The erasure is marked with its time, so a report received before it but
    written after it (queued in another process) can be told apart and
    dropped; see :func:`progress_batch_state`.
    """
    erased = conn.execute("DELETE FROM progress_sessions WHERE viewer = ?", (viewer,)).rowcount
    conn.execute(
        "INSERT INTO progress_erasures (viewer, erased_at) VALUES (?, ?)"
        " ON CONFLICT (viewer) DO UPDATE SET erased_at = excluded.erased_at",
        (viewer, now),
    )
    return erased


def progress_forget_erasures(conn: sqlite3.Connection, before: float) -> None:
    conn.execute("DELETE FROM progress_erasures WHERE erased_at < ?", (before,))


def progress_delete_media(conn: sqlite3.Connection, media_id: str) -> None:
    """Forget all progress and statistics of a deleted media item."""
    for table in ("progress_sessions", "progress_durations", "progress_duration_reports",
                  "progress_folded"):
        conn.execute(f"DELETE FROM {table} WHERE media_id = ?", (media_id,))


# -- search ---------------------------------------------------------------------
# Cue text of every offered track in FTS5 (see player/search.py). A cue's
# rowid is its track's id shifted left by SEARCH_TRACK_SHIFT plus the cue's
# position in the track, so one track's cues form a rowid range: FTS5 seeks
# straight to it, where a filter on an unindexed column would read every row.

SEARCH_TRACK_SHIFT = 20


def search_tracks(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every indexed track by path."""
    return {row["path"]: row for row in conn.execute("SELECT * FROM search_tracks")}


def search_forget_track(conn: sqlite3.Connection, track_id: int) -> None:
    first = track_id << SEARCH_TRACK_SHIFT
    conn.execute("DELETE FROM search_cues WHERE rowid BETWEEN ? AND ?",
                 (first, first + (1 << SEARCH_TRACK_SHIFT) - 1))
    conn.execute("DELETE FROM search_tracks WHERE id = ?", (track_id,))


def search_store_track(
    conn: sqlite3.Connection, path: str, media_id: str, kind: str, lang: str, size: int,
    mtime_ns: int, cues: Iterable[tuple[float, float, str]],
) -> int:
    """Index a track's cues, ``(start, end, text)`` in file order; returns its id."""
    track_id = int(conn.execute(
        "INSERT INTO search_tracks (path, media_id, kind, lang, size, mtime_ns)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (path, media_id, kind, lang, size, mtime_ns),
    ).lastrowid)
    first = track_id << SEARCH_TRACK_SHIFT
    conn.executemany(
        'INSERT INTO search_cues (rowid, text, start, "end") VALUES (?, ?, ?, ?)',
        ((first + n, text, start, end) for n, (start, end, text) in enumerate(cues)),
    )
    return track_id


def search_counts(conn: sqlite3.Connection, fts_query: str, limit: int) -> list[sqlite3.Row]:
    """Matching cues per track of a catalog item, with the item's title,
    counting at most ``limit`` matches (in index order).

    Only rowids are read from the full-text index here, never cue text, and
    the limit bounds the work for words that occur everywhere.
    """
    return conn.execute(
        "SELECT t.id AS track_id, t.media_id, t.kind, t.lang, m.hits,"
        " json_extract(i.data, '$.title') AS title"
        " FROM (SELECT track_id, count(*) AS hits FROM"
        "       (SELECT rowid >> ? AS track_id FROM search_cues WHERE search_cues MATCH ?"
        "        LIMIT ?) GROUP BY track_id) AS m"
        " JOIN search_tracks AS t ON t.id = m.track_id"
        " JOIN items AS i ON i.id = t.media_id",
        (SEARCH_TRACK_SHIFT, fts_query, limit),
    ).fetchall()


def search_hits(
    conn: sqlite3.Connection, fts_query: str, track_id: int, limit: int, open_mark: str,
    close_mark: str,
) -> list[sqlite3.Row]:
    """The first ``limit`` matching cues of one track, text with the matched
    words between ``open_mark`` and ``close_mark``."""
    first = track_id << SEARCH_TRACK_SHIFT
    return conn.execute(
        'SELECT start, "end", highlight(search_cues, 0, ?, ?) AS marked FROM search_cues'
        " WHERE search_cues MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?",
        (open_mark, close_mark, fts_query, first, first + (1 << SEARCH_TRACK_SHIFT) - 1,
         limit),
    ).fetchall()


# == progress: flood-proof statistics and agreed durations ======================
# New tables and statements only (the functions above are left as they were):
#
# progress_live keeps each item's statistics of its raw sessions as running
# totals, which the progress writer updates with every batch, so reading the
# statistics costs the same however many sessions there are. ``basis`` names
# the duration and rules the totals were computed with; totals on another
# basis are recomputed from the raw sessions once.
#
# progress_duration_votes keeps, for items whose duration the server cannot
# read, the duration players reported, one vote per client address (a keyed
# hash, never the address); what enough of them agree on goes into
# progress_durations.

PROGRESS_LIVE_SCHEMA = """
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
"""


def progress_init_live_schema(conn: sqlite3.Connection) -> None:
    """Create the tables of this block where they are missing."""
    conn.executescript(PROGRESS_LIVE_SCHEMA)


def progress_live_tallies(conn: sqlite3.Connection, media_ids: list[str]
                          ) -> dict[str, tuple[str, str]]:
    """For each of ``media_ids`` that has running totals: ``(basis, tally JSON)``."""
    rows = conn.execute(
        "SELECT media_id, basis, tally FROM progress_live"
        " WHERE media_id IN (SELECT value FROM json_each(?))", (json.dumps(media_ids),))
    return {row[0]: (row[1], row[2]) for row in rows}


def progress_save_live(conn: sqlite3.Connection, rows: list[tuple[str, str, str]]) -> None:
    """Insert or replace running totals, each ``(media_id, basis, tally JSON)``."""
    conn.executemany(
        "INSERT INTO progress_live (media_id, basis, tally) VALUES (?, ?, ?)"
        " ON CONFLICT (media_id) DO UPDATE SET basis = excluded.basis, tally = excluded.tally",
        rows)


def progress_drop_live(conn: sqlite3.Connection, media_ids: Iterable[str]) -> None:
    """Forget running totals, to be recomputed from the raw sessions when next read."""
    conn.executemany("DELETE FROM progress_live WHERE media_id = ?",
                     [(media_id,) for media_id in media_ids])


def progress_drop_live_of_viewer(conn: sqlite3.Connection, viewer: str) -> None:
    """Forget the running totals of every item the viewer has sessions of."""
    conn.execute(
        "DELETE FROM progress_live WHERE media_id IN"
        " (SELECT DISTINCT media_id FROM progress_sessions WHERE viewer = ?)", (viewer,))


def progress_viewers_with_plays(conn: sqlite3.Connection, pairs: list[tuple[str, str]]
                                ) -> set[tuple[str, str]]:
    """Which ``(viewer, media_id)`` of ``pairs`` have a stored session that
    played something."""
    if not pairs:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT viewer, media_id FROM progress_sessions WHERE (viewer, media_id) IN"
        " (SELECT value ->> 0, value ->> 1 FROM json_each(?)) AND state ->> '$.watched' > 0",
        (json.dumps(pairs),))
    return {(row[0], row[1]) for row in rows}


def progress_sessions_states(conn: sqlite3.Connection, media_id: str) -> list[tuple[str, str]]:
    """``(viewer, state JSON)`` of every raw session of an item."""
    return [(row[0], row[1]) for row in conn.execute(
        "SELECT viewer, state FROM progress_sessions WHERE media_id = ?", (media_id,))]


def progress_duration_votes(conn: sqlite3.Connection, media_ids: list[str]
                            ) -> dict[str, dict[str, tuple[float, float]]]:
    """For each of ``media_ids``: ``{voter: (duration, voted_at)}``."""
    votes: dict[str, dict[str, tuple[float, float]]] = {m: {} for m in media_ids}
    for row in conn.execute(
            "SELECT media_id, voter, duration, voted_at FROM progress_duration_votes"
            " WHERE media_id IN (SELECT value FROM json_each(?))", (json.dumps(media_ids),)):
        votes[row[0]][row[1]] = (row[2], row[3])
    return votes


def progress_save_votes(conn: sqlite3.Connection, media_id: str,
                        votes: list[tuple[str, float, float]], keep: int) -> None:
    """Record votes ``(voter, duration, voted_at)`` for an item, a voter's newest
    replacing their earlier one, and keep only the ``keep`` newest votes."""
    conn.executemany(
        "INSERT INTO progress_duration_votes (media_id, voter, duration, voted_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (media_id, voter) DO UPDATE SET"
        " duration = excluded.duration, voted_at = excluded.voted_at",
        [(media_id, *vote) for vote in votes])
    conn.execute(
        "DELETE FROM progress_duration_votes WHERE media_id = ?1 AND voter NOT IN"
        " (SELECT voter FROM progress_duration_votes WHERE media_id = ?1"
        "  ORDER BY voted_at DESC, voter LIMIT ?2)", (media_id, keep))


def progress_forget_votes(conn: sqlite3.Connection, before: float) -> None:
    """Forget votes older than ``before``."""
    conn.execute("DELETE FROM progress_duration_votes WHERE voted_at < ?", (before,))


def progress_set_player_duration(conn: sqlite3.Connection, media_id: str,
                                 duration: float | None, now: float) -> None:
    """Set the duration players agree on for an item (None: they agree on none)."""
    if duration is None:
        conn.execute("DELETE FROM progress_durations WHERE media_id = ?", (media_id,))
    else:
        conn.execute(
            "INSERT INTO progress_durations (media_id, duration, reported_at) VALUES (?, ?, ?)"
            " ON CONFLICT (media_id) DO UPDATE SET duration = excluded.duration,"
            " reported_at = excluded.reported_at", (media_id, duration, now))


def progress_delete_media_live(conn: sqlite3.Connection, media_id: str) -> None:
    """Forget the running totals and duration votes of a deleted media item."""
    for table in ("progress_live", "progress_duration_votes"):
        conn.execute(f"DELETE FROM {table} WHERE media_id = ?", (media_id,))
