"""Saving a track's text from the editor, keeping every version it had.

The library holds a track's current text (written through the storage
seam, atomically); the database holds the texts it had, with who saved each
and when (:mod:`player.db.versions`). A save names the version it started
from by its entity tag (``If-Match``): when the track changed since, the
save is refused (412) rather than overwriting someone else's work. A text
with errors is refused (422) with each error's line, and nothing is written.

The entity tag is a digest of the bytes, as the file route's is for tracks
it reads itself (:mod:`player.library.files`): the same on every server,
whatever the storage.

Nothing here knows about Flask.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .. import db
from ..captions import Report, validate
from ..db import versions as db_versions
from ..errors import PlayerError
from ..library import cues
from ..library.item import Item, Track
from ..library.storage import Storage
from ..web.streaming import parse_entity_tags
from .errors import ItemGone, format_size
from .uploads import MAX_SIDE_FILE_BYTES

#: Actions a version records.
EDIT = "edit"
REVERT = "revert"
#: A text the track had before its first save here (an upload, or the file
#: as it was put in the folder), recorded when a save replaces it.
EARLIER = "earlier"
#: Who a version of :data:`EARLIER` is said to be by.
UNKNOWN_AUTHOR = "(before the editor)"

ACTION_WORDS = {EDIT: "saved in the editor", REVERT: "reverted", EARLIER: "as it was before"}


class VersionError(PlayerError):
    """A save or revert that is refused; the message says what to do."""


class IfMatchRequired(VersionError):
    """A save without ``If-Match``: it could overwrite a change it never saw."""

    status = 428
    code = "precondition_required"

    def __init__(self, etag: str) -> None:
        super().__init__(
            "Send the track's entity tag in If-Match (from the ETag of a GET of the track),"
            " so that a change someone else saved meanwhile is never overwritten.",
            details={"etag": quoted(etag)})


class TrackChanged(VersionError):
    """The track changed since the version the save started from."""

    status = 412
    code = "precondition_failed"

    def __init__(self, etag: str, version: int | None) -> None:
        super().__init__(
            "Someone else saved this track after you opened it, so your changes were not"
            " saved. Load their version and merge your changes into it, then save again.",
            details={"etag": quoted(etag), "version": version})


class TrackInvalid(VersionError, ValueError):
    """The text has errors that would keep players from showing the track."""

    status = 422
    code = "unprocessable"

    def __init__(self, filename: str, problems: list[dict]) -> None:
        errors = [p for p in problems if p["severity"] == "error"]
        lines = [f"{filename}:{p['line']}:{p['column']}: error: {p['message']}"
                 for p in errors]
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(f"The track has {count}, so it was not saved. " + " ".join(lines[:5]),
                         details={"problems": problems, "messages": lines})


class TrackTooLarge(VersionError):
    """The text is over the caption file limit."""

    status = 413
    code = "too_large"

    def __init__(self) -> None:
        super().__init__(f"The track is too large: the limit is"
                         f" {format_size(MAX_SIDE_FILE_BYTES)}.",
                         details={"limit_bytes": MAX_SIDE_FILE_BYTES})


class TrackGone(VersionError, LookupError):
    """The track's file is gone from the library."""

    status = 404
    code = "not_found"

    def __init__(self, key: str) -> None:
        super().__init__(f"The track '{key}' is no longer in the library.")


class VersionGone(VersionError, LookupError):
    """No version of the track has that number."""

    status = 404
    code = "not_found"

    def __init__(self, key: str, number: int) -> None:
        super().__init__(f"The track '{key}' has no version {number}.")


@dataclass(frozen=True)
class Version:
    """One saved text of a track (without the text)."""

    id: int
    at: float
    actor: str
    action: str
    etag: str
    size: int

    @property
    def when(self) -> str:
        """The time in UTC, to the second, as ISO 8601 with a ``Z``."""
        return datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def words(self) -> str:
        """What the version is, in words."""
        return ACTION_WORDS.get(self.action, self.action)

    def as_json(self, current: str) -> dict:
        """The version for the API; ``current`` is the track's entity tag now."""
        return {"id": self.id, "at": self.when, "actor": self.actor, "action": self.action,
                "etag": quoted(self.etag), "size": self.size, "current": self.etag == current}


@dataclass
class Saved:
    """What :func:`save` did: the track's entity tag now, the version it
    made (None when the text was already the track's), and the checker's
    warnings."""

    etag: str
    version: int | None
    problems: list[dict] = field(default_factory=list)


def entity_tag(data: bytes) -> str:
    """The entity tag of a track's bytes, unquoted: the file route's digest."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def quoted(etag: str) -> str:
    """``etag`` as an ETag header field writes it."""
    return f'"{etag}"'


def if_match_holds(header: str, etag: str) -> bool:
    """Whether an ``If-Match`` field value holds for a track whose entity
    tag is ``etag`` (RFC 9110 §13.1.1: strong comparison, ``*`` for any).

    >>> if_match_holds('"abc", "def"', "def"), if_match_holds('W/"def"', "def")
    (True, False)
    """
    if header.strip() == "*":
        return True
    return any(not tag.weak and tag.opaque == etag for tag in parse_entity_tags(header) or ())


def problem_dicts(report: Report) -> list[dict]:
    """A report's problems as the JSON answers give them."""
    return [{"line": p.line, "column": p.column, "severity": p.severity, "code": p.code,
             "message": p.message} for p in report.problems]


def check_text(text: str, *, kind: str, duration: float | None) -> tuple[Report, list[dict]]:
    """Validate a track's text as the scan would; its report and problems."""
    report = validate(text, kind=kind, duration=duration)
    return report, problem_dicts(report)


def read_track(storage: Storage, track: Track) -> tuple[bytes, str]:
    """A track's bytes and entity tag.

    :raises TrackGone: if its file is gone.
    """
    try:
        data = storage.read_bytes(track.file)
    except FileNotFoundError:
        raise TrackGone(track.key) from None
    return data, entity_tag(data)


def history(conn: db.Connection, item: Item, track: Track) -> list[Version]:
    """The track's versions, newest first."""
    return [Version(row["id"], row["at"], row["actor"], row["action"], row["etag"], row["size"])
            for row in db_versions.versions_list(conn, item.id, track.key)]


def version_text(conn: db.Connection, item: Item, track: Track, number: int) -> str:
    """The text of one version.

    :raises VersionGone: if the track has no such version.
    """
    row = db_versions.versions_get(conn, item.id, track.key, number)
    if row is None:
        raise VersionGone(track.key, number)
    return row["body"]


def save(storage: Storage, conn: db.Connection, item: Item, track: Track, text: str, *,
         if_match: str | None, publisher, action: str = EDIT) -> Saved:
    """Replace a track's text, keeping the text it had as a version.

    The check of ``If-Match`` and the write happen under the item's lock,
    so of two saves from the same version exactly one succeeds. A text the
    track has already makes no new version.

    :param publisher: who saves (with ``id`` and ``name``).
    :raises TrackTooLarge: over the caption file limit.
    :raises TrackInvalid: (422) if the text has errors; nothing is written.
    :raises IfMatchRequired: (428) without ``If-Match``.
    :raises TrackChanged: (412) if the track is no longer at ``If-Match``.
    :raises ItemGone: if the item was deleted meanwhile.
    :raises TrackGone: if the track was deleted meanwhile.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode("utf-8")
    if len(data) > MAX_SIDE_FILE_BYTES:
        raise TrackTooLarge()
    report, problems = check_text(text, kind=track.kind, duration=item.duration)
    if not report.ok:
        raise TrackInvalid(track.file, problems)
    key = track.key
    with storage.lock(item.id):
        if not storage.exists(item.file):
            raise ItemGone(item.id)
        try:
            entry = storage.stat(track.file)
        except FileNotFoundError:
            raise TrackGone(key) from None
        current, etag = read_track(storage, track)
        latest = db_versions.versions_latest(conn, item.id, key)
        if if_match is None:
            raise IfMatchRequired(etag)
        if not if_match_holds(if_match, etag):
            raise TrackChanged(etag, latest["id"] if latest is not None
                               and latest["etag"] == etag else None)
        new_etag = entity_tag(data)
        if new_etag == etag:
            return Saved(etag, None, problems)
        if latest is None or latest["etag"] != etag:
            # The text being replaced came from elsewhere (an upload, the
            # folder): it is kept too, so a revert can bring it back.
            db_versions.versions_insert(
                conn, item.id, key, entry.mtime, None, UNKNOWN_AUTHOR, EARLIER, etag,
                current.decode("utf-8", "replace"))
        written = storage.write(track.file, data)
        cues.remember(storage, written, track.kind, item.duration, report)
        number = db_versions.versions_insert(
            conn, item.id, key, time.time(), getattr(publisher, "id", None),
            getattr(publisher, "name", UNKNOWN_AUTHOR), action, new_etag, text)
    return Saved(new_etag, number, problems)


def revert(storage: Storage, conn: db.Connection, item: Item, track: Track, number: int, *,
           if_match: str | None, publisher) -> Saved:
    """Make version ``number``'s text the track's again, as a new version.

    :raises VersionGone: if there is no such version.
    :raises: as :func:`save` does.
    """
    text = version_text(conn, item, track, number)
    return save(storage, conn, item, track, text, if_match=if_match, publisher=publisher,
                action=REVERT)
