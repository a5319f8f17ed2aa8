"""The statements of publisher roles, server-side sessions and the audit log,
for either backend (their tables come with schema version 2).

A module of their own beside :mod:`player.db.queries`, which has the rest,
to keep each short; both backends run every statement here as written.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Connection, Transaction


def auth_insert_publisher(conn: Connection, name: str, token_hash: str, role: str) -> int:
    """Add a publisher with a role; returns their id.

    :raises player.db.IntegrityError: when the name is taken.
    """
    # fetchall() runs the statement to its end, so SQLite's implicit
    # transaction ends with it.
    rows = conn.execute(
        "INSERT INTO publishers (name, token_hash, role) VALUES (?, ?, ?) RETURNING id",
        (name, token_hash, role)).fetchall()
    return int(rows[0][0])


def auth_count_admins(conn: Connection) -> int:
    """How many active admins there are."""
    return conn.execute(
        "SELECT COUNT(*) FROM publishers WHERE role = 'admin' AND revoked_at IS NULL"
    ).fetchone()[0]


def auth_set_role(conn: Connection, name: str, role: str) -> bool:
    """Set an active publisher's role; False if there is no such publisher."""
    cursor = conn.execute(
        "UPDATE publishers SET role = ? WHERE name = ? AND revoked_at IS NULL", (role, name))
    return cursor.rowcount == 1


def auth_start_session(conn: Connection, id_hash: str, publisher_id: int, now: float,
                       idle_before: float, started_before: float) -> None:
    """Open a session, and forget sessions that expired (idle since before
    ``idle_before``, or started before ``started_before``)."""
    with Transaction(conn):
        conn.execute("DELETE FROM publisher_sessions WHERE seen_at < ? OR started_at < ?",
                     (idle_before, started_before))
        conn.execute(
            "INSERT INTO publisher_sessions (id_hash, publisher_id, started_at, seen_at)"
            " VALUES (?, ?, ?, ?)", (id_hash, publisher_id, now, now))


def auth_session(conn: Connection, id_hash: str):
    """A session with its publisher's name, role and revocation, or None."""
    return conn.execute(
        "SELECT s.id_hash, s.publisher_id, s.started_at, s.seen_at, p.name, p.role,"
        " p.revoked_at FROM publisher_sessions s JOIN publishers p ON p.id = s.publisher_id"
        " WHERE s.id_hash = ?", (id_hash,)).fetchone()


def auth_touch_session(conn: Connection, id_hash: str, now: float) -> None:
    """Note that a session was used at ``now``."""
    conn.execute("UPDATE publisher_sessions SET seen_at = ? WHERE id_hash = ?", (now, id_hash))


def auth_end_session(conn: Connection, id_hash: str) -> None:
    """End one session."""
    conn.execute("DELETE FROM publisher_sessions WHERE id_hash = ?", (id_hash,))


def auth_end_sessions(conn: Connection, publisher_id: int) -> None:
    """End every session of a publisher."""
    conn.execute("DELETE FROM publisher_sessions WHERE publisher_id = ?", (publisher_id,))


def audit_insert(conn: Connection, at: float, publisher_id: int | None, actor: str,
                 action: str, item_id: str | None, track: str | None, details: str) -> None:
    """Append an entry to the audit log (``details`` is JSON text)."""
    conn.execute(
        "INSERT INTO audit_log (at, publisher_id, actor, action, item_id, track, details)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, publisher_id, actor, action, item_id, track, details))


def audit_entries(conn: Connection, item_id: str | None, actor: str | None,
                  before_id: int | None, limit: int) -> list:
    """The newest ``limit`` entries below ``before_id``, newest first; of
    one item and/or one actor when they are not None."""
    # Only the filters given become conditions, so each can use its index
    # (and PostgreSQL needs no type for a parameter that is only NULL).
    where, params = [], []
    for condition, value in (("item_id = ?", item_id), ("actor = ?", actor),
                             ("id < ?", before_id)):
        if value is not None:
            where.append(condition)
            params.append(value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return conn.execute(f"SELECT * FROM audit_log{clause} ORDER BY id DESC LIMIT ?",
                        (*params, limit)).fetchall()


def audit_actors(conn: Connection) -> list[str]:
    """Every actor named in the audit log, sorted."""
    return [row[0] for row in conn.execute("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


def audit_latest(conn: Connection, item_id: str, item_actions: Iterable[str],
                 track: str | None, track_actions: Iterable[str]):
    """The newest entry of the item whose action is one of ``item_actions``,
    or is about ``track`` and one of ``track_actions``."""
    item_actions, track_actions = list(item_actions), list(track_actions)
    either, params = [], [item_id]
    if item_actions:
        either.append(f"action IN ({', '.join('?' * len(item_actions))})")
        params += item_actions
    if track_actions:
        either.append(f"(track = ? AND action IN ({', '.join('?' * len(track_actions))}))")
        params += [track, *track_actions]
    if not either:
        return None
    return conn.execute(
        f"SELECT action, publisher_id FROM audit_log WHERE item_id = ? AND ({' OR '.join(either)})"
        " ORDER BY id DESC LIMIT 1", params).fetchone()
