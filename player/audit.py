"""The audit log: who created, changed and deleted each item and track, and
who managed which publisher account, kept in the database for good.

A change is recorded after it is made, with the publisher who made it (or
"command line" for the operator's ``player`` commands). Ownership is read
from the log too: an item belongs to the publisher who uploaded it, a track to
the one who last uploaded it; media that appeared in the folder without an
upload belong to nobody, so only an admin may delete them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .db import auth as db_auth

#: What the log says of an actor that is not a publisher.
COMMAND_LINE = "command line"

ITEM_CREATE = "item.create"
ITEM_UPDATE = "item.update"
ITEM_DELETE = "item.delete"
TRACK_CREATE = "track.create"
TRACK_REPLACE = "track.replace"
TRACK_DELETE = "track.delete"
PUBLISHER_CREATE = "publisher.create"
PUBLISHER_REVOKE = "publisher.revoke"
PUBLISHER_PASSWORD = "publisher.password"
PUBLISHER_ROLE = "publisher.role"
PUBLISHER_SIGN_OUT_ALL = "publisher.sign-out-everywhere"
SIGN_IN = "session.sign-in"
SIGN_OUT = "session.sign-out"

#: Every action, with the words the pages use for it (after the actor's name).
ACTIONS = {
    ITEM_CREATE: "uploaded",
    ITEM_UPDATE: "edited",
    ITEM_DELETE: "deleted",
    TRACK_CREATE: "added a track to",
    TRACK_REPLACE: "replaced a track of",
    TRACK_DELETE: "deleted a track of",
    PUBLISHER_CREATE: "created the publisher",
    PUBLISHER_REVOKE: "revoked the publisher",
    PUBLISHER_PASSWORD: "set a new password for",
    PUBLISHER_ROLE: "changed the role of",
    PUBLISHER_SIGN_OUT_ALL: "signed out everywhere:",
    SIGN_IN: "signed in",
    SIGN_OUT: "signed out",
}

_OWNING_ITEM = (ITEM_CREATE, ITEM_DELETE)
_OWNING_TRACK = (TRACK_CREATE, TRACK_REPLACE, TRACK_DELETE)


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    id: int
    at: float
    publisher_id: int | None
    actor: str
    action: str
    item_id: str | None
    track: str | None
    details: Mapping[str, object]

    @property
    def when(self) -> str:
        """The time in UTC, to the second, as ISO 8601 with a ``Z``."""
        return datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def words(self) -> str:
        """What happened, in words, for the pages."""
        return ACTIONS.get(self.action, self.action)

    @property
    def subject(self) -> str:
        """The item's title, track or publisher the entry is about, as recorded."""
        details = self.details
        parts = [str(details[key]) for key in ("title", "publisher") if details.get(key)]
        if self.track:
            parts.append(self.track)
        if details.get("role"):
            parts.append(f"role {details['role']}")
        if details.get("changed"):
            parts.append("changed: " + ", ".join(map(str, details["changed"])))  # type: ignore[call-overload]
        return "; ".join(parts)

    def line(self) -> str:
        """The tab-separated line ``player audit`` prints."""
        return "\t".join((self.when, self.actor, self.action, self.item_id or "-",
                          self.track or "-", json.dumps(dict(self.details), ensure_ascii=False,
                                                        sort_keys=True)))


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(row["id"], row["at"], row["publisher_id"], row["actor"], row["action"],
                 row["item_id"], row["track"], json.loads(row["details"] or "{}"))


def record(conn: sqlite3.Connection, actor, action: str, *, item_id: str | None = None,
           track: str | None = None, **details: object) -> None:
    """Add an entry; ``actor`` is a publisher (with ``id`` and ``name``) or
    None for the command line.

    :raises ValueError: for an action not in :data:`ACTIONS`.
    :raises player.db.Error: when the database refuses.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    db_auth.audit_insert(conn, time.time(), getattr(actor, "id", None),
                    getattr(actor, "name", COMMAND_LINE), action, item_id, track,
                    json.dumps(details, ensure_ascii=False, sort_keys=True))


def entries(conn: sqlite3.Connection, *, item_id: str | None = None, actor: str | None = None,
            before: int | None = None, limit: int = 50) -> list[Entry]:
    """The newest ``limit`` entries (older than entry ``before`` if given),
    newest first, of one item and/or one actor when asked."""
    rows = db_auth.audit_entries(conn, item_id=item_id, actor=actor, before_id=before, limit=limit)
    return [_entry(row) for row in rows]


def actors(conn: sqlite3.Connection) -> list[str]:
    """Every name that appears as an actor, sorted."""
    return db_auth.audit_actors(conn)


def item_owner(conn: sqlite3.Connection, item_id: str) -> int | None:
    """The id of the publisher who uploaded the item now under ``item_id``,
    or None when it was not uploaded (or was deleted since)."""
    row = db_auth.audit_latest(conn, item_id, _OWNING_ITEM, None, ())
    return row["publisher_id"] if row is not None and row["action"] == ITEM_CREATE else None


def track_owner(conn: sqlite3.Connection, item_id: str, key: str) -> int | None:
    """The id of the publisher who last uploaded the track ``key`` (such as
    ``fr.captions``) of the item, or None when nobody did since the item
    was made."""
    row = db_auth.audit_latest(conn, item_id, _OWNING_ITEM, key, _OWNING_TRACK)
    if row is None or row["action"] not in (TRACK_CREATE, TRACK_REPLACE):
        return None
    return row["publisher_id"]


def may_delete_item(conn: sqlite3.Connection, publisher, item_id: str) -> bool:
    """Whether ``publisher`` may delete the item: an admin, or its uploader."""
    return publisher.is_admin or item_owner(conn, item_id) == publisher.id


def may_delete_track(conn: sqlite3.Connection, publisher, item_id: str, key: str) -> bool:
    """Whether ``publisher`` may delete the track: an admin, the item's
    uploader, or the track's."""
    return (may_delete_item(conn, publisher, item_id)
            or track_owner(conn, item_id, key) == publisher.id)
