"""The statements of track versions (schema version 4), for either backend.

A module of its own beside :mod:`player.db.queries`, as :mod:`player.db.auth`
is; both backends run every statement here as written.
"""

from __future__ import annotations

from .base import Connection


def versions_insert(conn: Connection, media_id: str, track: str, at: float,
                    publisher_id: int | None, actor: str, action: str, etag: str,
                    body: str) -> int:
    """Add a version of a track; returns its id."""
    rows = conn.execute(
        "INSERT INTO track_versions (media_id, track, at, publisher_id, actor, action, etag,"
        " body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (media_id, track, at, publisher_id, actor, action, etag, body)).fetchall()
    return int(rows[0][0])


def versions_list(conn: Connection, media_id: str, track: str) -> list:
    """A track's versions without their text, newest first."""
    return conn.execute(
        "SELECT id, at, actor, action, etag, LENGTH(body) AS size FROM track_versions"
        " WHERE media_id = ? AND track = ? ORDER BY id DESC", (media_id, track)).fetchall()


def versions_latest(conn: Connection, media_id: str, track: str):
    """A track's newest version (id and entity tag), or None."""
    return conn.execute(
        "SELECT id, etag FROM track_versions WHERE media_id = ? AND track = ?"
        " ORDER BY id DESC LIMIT 1", (media_id, track)).fetchone()


def versions_get(conn: Connection, media_id: str, track: str, version_id: int):
    """One version of a track, with its text, or None."""
    return conn.execute(
        "SELECT id, at, actor, action, etag, body FROM track_versions"
        " WHERE media_id = ? AND track = ? AND id = ?",
        (media_id, track, version_id)).fetchone()
