"""SQLite, the default backend: one file in WAL mode with a busy timeout,
so readers never block the writer and concurrent writers wait instead of
failing with "database is locked".

The statements here are the ones SQLite spells its own way (JSON functions,
FTS5, ``IS`` on nullable values); the rest are in :mod:`player.db.queries`.
A write transaction starts with ``BEGIN IMMEDIATE``, which takes the
database's one write lock at once: writers are serialized, so nothing here
needs a lock of its own.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

NAME = "sqlite"
#: How long a statement waits for another process's write lock.
BUSY_SECONDS = 30

# Cue text of every offered track is in the FTS5 table search_cues. A cue's
# rowid is its track's id shifted left by SEARCH_TRACK_SHIFT plus the cue's
# position in the track, so one track's cues form a rowid range: FTS5 seeks
# straight to it, where a filter on an unindexed column would read every row.
SEARCH_TRACK_SHIFT = 20


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection configured for concurrent use by several workers.

    WAL mode is a property of the database file, set once by :func:`prepare`.
    """
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def prepare(conn: sqlite3.Connection) -> None:
    """Put the database file in WAL mode (outside any transaction, as SQLite requires).

    The switch needs the file to itself and SQLite answers "database is
    locked" at once rather than wait for it, so when several processes open
    a new database together, each tries again for as long as the busy
    timeout lasts.

    :raises sqlite3.OperationalError: if the file stays locked that long.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def begin(conn: sqlite3.Connection) -> None:
    """Start a write transaction."""
    conn.execute("BEGIN IMMEDIATE")


def commit(conn: sqlite3.Connection) -> None:
    """Commit the open transaction."""
    conn.execute("COMMIT")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll the open transaction back."""
    conn.execute("ROLLBACK")


def lock(conn: sqlite3.Connection, name: str) -> None:
    """Nothing to do: ``BEGIN IMMEDIATE`` already holds the one write lock."""


def lock_viewers(conn: sqlite3.Connection, viewers: Iterable[str]) -> None:
    """Nothing to do: ``BEGIN IMMEDIATE`` already holds the one write lock."""


def lock_media(conn: sqlite3.Connection, media_ids: Iterable[str]) -> None:
    """Nothing to do: ``BEGIN IMMEDIATE`` already holds the one write lock."""


_ADD_COLUMN = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(\w+)\b",
                         re.IGNORECASE)


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run the statements of ``script`` one by one inside the open transaction
    (``executescript`` would commit it first).

    ``ALTER TABLE t ADD COLUMN c`` is skipped where ``t`` has ``c`` already:
    SQLite cannot say IF NOT EXISTS there, and a database made before schema
    versions may have any of the columns added since.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            code = "\n".join(part for part in statement.splitlines()
                             if not part.strip().startswith("--"))
            added = _ADD_COLUMN.match(code)
            if added is None or added[2] not in {
                    row[1] for row in conn.execute(f'PRAGMA table_info("{added[1]}")')}:
                conn.execute(statement)
            statement = ""
    rest = [line for line in statement.splitlines()
            if line.strip() and not line.strip().startswith("--")]
    if rest:
        raise sqlite3.ProgrammingError(f"an incomplete statement ends the script: {statement}")


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the database has a table of that name."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone() is not None


# -- caches and the catalog ---------------------------------------------------------

def cached_track(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, duration: float | None
) -> str | None:
    """SQLite's :func:`player.db.queries.cached_track`."""
    row = conn.execute(
        "SELECT result FROM track_cache WHERE path = ? AND size = ? AND mtime_ns = ?"
        " AND duration IS ?",
        (path, size, mtime_ns, duration),
    ).fetchone()
    return row["result"] if row else None


def scan_problems(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """SQLite's :func:`player.db.queries.scan_problems`."""
    rows = conn.execute("SELECT path, message FROM scan_problems ORDER BY rowid")
    return [(r["path"], r["message"]) for r in rows]


# -- progress -------------------------------------------------------------------------

def progress_batch_state(
    conn: sqlite3.Connection, media_ids: list[str], keys: list[tuple[str, str, str]]
) -> tuple[dict[str, tuple[float | None, float | None]], dict[tuple[str, str, str], dict],
           dict[str, float]]:
    """SQLite's :func:`player.db.queries.progress_batch_state`."""
    # One statement, one row of JSON, however many keys: every statement and
    # every row stepped costs the writer a round trip through the GIL. Each
    # state comes decoded, inside that one JSON document, not as a string to
    # decode again.
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
    """SQLite's :func:`player.db.queries.progress_item_durations`."""
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
    """SQLite's :func:`player.db.queries.progress_save_sessions`."""
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


def progress_expired_sessions(
    conn: sqlite3.Connection, before: float, limit: int
) -> list[sqlite3.Row]:
    """SQLite's :func:`player.db.queries.progress_expired_sessions`."""
    return conn.execute(
        "SELECT id, media_id, viewer, state FROM"
        " (SELECT * FROM progress_sessions WHERE updated_at < ? ORDER BY updated_at LIMIT ?)"
        " ORDER BY media_id",
        (before, limit),
    ).fetchall()


# -- search -----------------------------------------------------------------------------

def search_forget_track(conn: sqlite3.Connection, track_id: int) -> None:
    """SQLite's :func:`player.db.queries.search_forget_track`."""
    first = track_id << SEARCH_TRACK_SHIFT
    conn.execute("DELETE FROM search_cues WHERE rowid BETWEEN ? AND ?",
                 (first, first + (1 << SEARCH_TRACK_SHIFT) - 1))
    conn.execute("DELETE FROM search_tracks WHERE id = ?", (track_id,))


def search_store_track(
    conn: sqlite3.Connection, path: str, media_id: str, kind: str, lang: str, size: int,
    mtime_ns: int, cues: Iterable[tuple[float, float, str]],
) -> int:
    """SQLite's :func:`player.db.queries.search_store_track`."""
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
    """SQLite's :func:`player.db.queries.search_counts`."""
    # Only rowids are read from the full-text index here, never cue text, and
    # the limit bounds the work for words that occur everywhere.
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
    """SQLite's :func:`player.db.queries.search_hits`."""
    first = track_id << SEARCH_TRACK_SHIFT
    return conn.execute(
        'SELECT start, "end", highlight(search_cues, 0, ?, ?) AS marked FROM search_cues'
        " WHERE search_cues MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?",
        (open_mark, close_mark, fts_query, first, first + (1 << SEARCH_TRACK_SHIFT) - 1,
         limit),
    ).fetchall()


def progress_live_tallies(conn: sqlite3.Connection, media_ids: list[str]
                          ) -> dict[str, tuple[str, str]]:
    """SQLite's :func:`player.db.queries.progress_live_tallies`."""
    rows = conn.execute(
        "SELECT media_id, basis, tally FROM progress_live"
        " WHERE media_id IN (SELECT value FROM json_each(?))", (json.dumps(media_ids),))
    return {row[0]: (row[1], row[2]) for row in rows}


def progress_drop_live_of_viewer(conn: sqlite3.Connection, viewer: str) -> None:
    """SQLite's :func:`player.db.queries.progress_drop_live_of_viewer`."""
    conn.execute(
        "DELETE FROM progress_live WHERE media_id IN"
        " (SELECT DISTINCT media_id FROM progress_sessions WHERE viewer = ?)", (viewer,))


def progress_viewers_with_plays(conn: sqlite3.Connection, pairs: list[tuple[str, str]]
                                ) -> set[tuple[str, str]]:
    """SQLite's :func:`player.db.queries.progress_viewers_with_plays`."""
    rows = conn.execute(
        "SELECT DISTINCT viewer, media_id FROM progress_sessions WHERE (viewer, media_id) IN"
        " (SELECT value ->> 0, value ->> 1 FROM json_each(?)) AND state ->> '$.watched' > 0",
        (json.dumps(pairs),))
    return {(row[0], row[1]) for row in rows}


def progress_duration_votes(conn: sqlite3.Connection, media_ids: list[str]) -> list:
    """SQLite's :func:`player.db.queries.progress_duration_votes`."""
    return conn.execute(
        "SELECT media_id, voter, duration, voted_at FROM progress_duration_votes"
        " WHERE media_id IN (SELECT value FROM json_each(?))", (json.dumps(media_ids),)
    ).fetchall()
