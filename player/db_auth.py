"""The database statements of publisher roles, server-side sessions and the
audit log, and the idempotent schema step that adds them (run by
:func:`player.db.init_schema`).

They belong to the database seam of :mod:`player.db`; they are a module of
their own only to keep that one under 800 lines. Like it, every statement is
plain SQLite, ``?`` parameters and no ORM.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One immediate transaction (the write lock taken at once)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


AUTH_SCHEMA = """
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
"""


def upgrade_auth_schema(conn: sqlite3.Connection) -> None:
    """Add publishers' roles (every account that exists becomes an admin),
    their sessions and the audit log; a no-op when done before.

    The column is added under the write lock, so two processes starting at
    once do not both add it.
    """
    with _immediate(conn):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(publishers)")}
        if "role" not in columns:
            conn.execute("ALTER TABLE publishers ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'"
                         " CHECK (role IN ('admin', 'editor'))")
    conn.executescript(AUTH_SCHEMA)


def auth_insert_publisher(conn: sqlite3.Connection, name: str, token_hash: str,
                          role: str) -> int:
    """Add a publisher with a role; returns their id.

    :raises sqlite3.IntegrityError: when the name is taken.
    """
    cursor = conn.execute(
        "INSERT INTO publishers (name, token_hash, role) VALUES (?, ?, ?)",
        (name, token_hash, role))
    return int(cursor.lastrowid)


def auth_count_admins(conn: sqlite3.Connection) -> int:
    """How many active admins there are."""
    return conn.execute(
        "SELECT COUNT(*) FROM publishers WHERE role = 'admin' AND revoked_at IS NULL"
    ).fetchone()[0]


def auth_set_role(conn: sqlite3.Connection, name: str, role: str) -> bool:
    """Set an active publisher's role; False if there is no such publisher."""
    cursor = conn.execute(
        "UPDATE publishers SET role = ? WHERE name = ? AND revoked_at IS NULL", (role, name))
    return cursor.rowcount == 1


def auth_start_session(conn: sqlite3.Connection, id_hash: str, publisher_id: int, now: float,
                       idle_before: float, started_before: float) -> None:
    """Open a session, and forget sessions that expired (idle since before
    ``idle_before``, or started before ``started_before``)."""
    with _immediate(conn):
        conn.execute("DELETE FROM publisher_sessions WHERE seen_at < ? OR started_at < ?",
                     (idle_before, started_before))
        conn.execute(
            "INSERT INTO publisher_sessions (id_hash, publisher_id, started_at, seen_at)"
            " VALUES (?, ?, ?, ?)", (id_hash, publisher_id, now, now))


def auth_session(conn: sqlite3.Connection, id_hash: str) -> sqlite3.Row | None:
    """A session with its publisher's name, role and revocation, or None."""
    return conn.execute(
        "SELECT s.id_hash, s.publisher_id, s.started_at, s.seen_at, p.name, p.role,"
        " p.revoked_at FROM publisher_sessions s JOIN publishers p ON p.id = s.publisher_id"
        " WHERE s.id_hash = ?", (id_hash,)).fetchone()


def auth_touch_session(conn: sqlite3.Connection, id_hash: str, now: float) -> None:
    """Note that a session was used at ``now``."""
    conn.execute("UPDATE publisher_sessions SET seen_at = ? WHERE id_hash = ?", (now, id_hash))


def auth_end_session(conn: sqlite3.Connection, id_hash: str) -> None:
    """End one session."""
    conn.execute("DELETE FROM publisher_sessions WHERE id_hash = ?", (id_hash,))


def auth_end_sessions(conn: sqlite3.Connection, publisher_id: int) -> None:
    """End every session of a publisher."""
    conn.execute("DELETE FROM publisher_sessions WHERE publisher_id = ?", (publisher_id,))


def audit_insert(conn: sqlite3.Connection, at: float, publisher_id: int | None, actor: str,
                 action: str, item_id: str | None, track: str | None, details: str) -> None:
    """Append an entry to the audit log (``details`` is JSON text)."""
    conn.execute(
        "INSERT INTO audit_log (at, publisher_id, actor, action, item_id, track, details)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, publisher_id, actor, action, item_id, track, details))


def audit_entries(conn: sqlite3.Connection, item_id: str | None, actor: str | None,
                  before_id: int | None, limit: int) -> list[sqlite3.Row]:
    """The newest ``limit`` entries below ``before_id``, newest first; of
    one item and/or one actor when they are not None."""
    return conn.execute(
        "SELECT * FROM audit_log WHERE (?1 IS NULL OR item_id = ?1) AND (?2 IS NULL OR actor = ?2)"
        " AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4",
        (item_id, actor, before_id, limit)).fetchall()


def audit_actors(conn: sqlite3.Connection) -> list[str]:
    """Every actor named in the audit log, sorted."""
    return [row[0] for row in conn.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


def audit_latest(conn: sqlite3.Connection, item_id: str, item_actions: Iterable[str],
                 track: str | None, track_actions: Iterable[str]) -> sqlite3.Row | None:
    """The newest entry of the item whose action is one of ``item_actions``,
    or is about ``track`` and one of ``track_actions``."""
    return conn.execute(
        "SELECT action, publisher_id FROM audit_log WHERE item_id = ?1 AND"
        " (action IN (SELECT value FROM json_each(?2))"
        "  OR (track = ?3 AND action IN (SELECT value FROM json_each(?4))))"
        " ORDER BY id DESC LIMIT 1",
        (item_id, json.dumps(list(item_actions)), track, json.dumps(list(track_actions)))
    ).fetchone()
