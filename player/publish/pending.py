"""Uploads kept while their caption file is corrected.

When the media file of an upload is fine but the caption file sent with it
has errors, the media file is not thrown away: sending a large file again
costs the publisher minutes. It is *kept* instead (with the poster, if one
came), still outside the library, as a pending upload with an unguessable
id, and the publisher sends only a corrected caption file to finish it.
Finishing puts the whole item into the library at once, as an upload in one
step does; an item is in the library complete or not at all.

A pending upload is three kept uploads of the storage (see
:meth:`~player.library.storage.Upload.keep`): ``ID.media``, ``ID.poster``
when there is one, and ``ID.json``, its record. Its media file is taken
first by whoever finishes or discards it, so two requests for one pending
upload run one after the other, and the second finds it gone. Each attempt
keeps it for :data:`KEEP_SECONDS` more; the storage's clean-up drops it
after that.

Nothing here knows about Flask.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..errors import PlayerError
from ..library.probe import ProbeResult
from ..library.storage import Storage
from . import uploads
from .uploads import PreparedTrack, TempFile, UploadError

#: Seconds a pending upload is kept after its latest attempt.
KEEP_SECONDS = 24 * 3600
#: Caption problems kept in a record, for showing the page again.
MAX_PROBLEMS_KEPT = 100

_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class PendingGone(PlayerError, LookupError):
    """No pending upload has that id: it was finished, discarded or dropped."""

    status = 404
    code = "not_found"

    def __init__(self, pending_id: str) -> None:
        super().__init__(
            f"There is no kept upload with the id '{pending_id}': it was finished already"
            " (look for it in the library), discarded, or dropped after being kept too"
            " long. Upload the media file again.")


def is_pending_id(value: str) -> bool:
    """Whether ``value`` has the shape of a pending upload's id (so it is safe to look up)."""
    return _ID.fullmatch(value) is not None


def utc_timestamp(seconds: float) -> str:
    """An RFC 3339 time in UTC, to the second.

    >>> utc_timestamp(0)
    '1970-01-01T00:00:00Z'
    """
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Pending:
    """A pending upload's record: what the form said, and why it waits.

    :param poster: the poster's file name, or ``""`` without a poster.
    :param kept_at: when it was last kept, in seconds since the epoch.
    """

    id: str
    title: str
    description: str
    language: str
    filename: str
    size: int
    poster: str = ""
    captions_filename: str = ""
    message: str = ""
    problems: list[dict] = field(default_factory=list)
    problems_total: int = 0
    kept_at: float = 0.0


class CaptionsToFix(uploads.Unprocessable):
    """The caption file has errors; the media file is kept for a corrected one.

    Its details add ``pending_upload``: the pending upload's ``id`` and when
    it expires (``expires_at``); the message and fields are the caption
    file's error.

    :param cause: the caption file's error, with its problems.
    :param pending: the pending upload the media file is kept as.
    :param keep_for: seconds it is kept.
    """

    def __init__(self, cause: UploadError, pending: Pending, keep_for: float) -> None:
        details = {**cause.details, "pending_upload": {
            "id": pending.id, "expires_at": utc_timestamp(pending.kept_at + keep_for)}}
        super().__init__(cause.message, fields=dict(cause.fields), details=details,
                         problems=cause.problems)
        # The caption file's own answer: 422 for errors in it, 413 when too
        # large, 400 when missing.
        self.status, self.code = cause.status, cause.code
        self.cause = cause
        self.pending = pending
        self.keep_for = keep_for


def _media_key(pending_id: str) -> str:
    return f"{pending_id}.media"


def _poster_key(pending_id: str) -> str:
    return f"{pending_id}.poster"


def _record_key(pending_id: str) -> str:
    return f"{pending_id}.json"


def _save_record(storage: Storage, pending: Pending) -> None:
    upload = storage.begin_upload()
    try:
        upload.write(json.dumps(asdict(pending), ensure_ascii=False).encode("utf-8"))
        upload.keep(_record_key(pending.id))
    finally:
        upload.discard()


def _note(pending: Pending, error: UploadError, captions: TempFile | None) -> None:
    """Record the caption file's latest error in ``pending``, kept from now."""
    pending.message = error.fields.get("captions") or error.message
    pending.problems = error.problems[:MAX_PROBLEMS_KEPT]
    pending.problems_total = len(error.problems)
    if captions is not None:
        pending.captions_filename = captions.filename
    pending.kept_at = time.time()


def keep(storage: Storage, media: TempFile, poster: TempFile | None, *, title: str,
         description: str, language: str, error: UploadError, captions: TempFile | None,
         keep_for: float = KEEP_SECONDS) -> CaptionsToFix:
    """Keep a checked media file (and poster) whose caption file has ``error``.

    :returns: the error to answer with, naming the new pending upload.
    :raises NotImplementedError: if the storage cannot keep uploads.
    :raises OSError: if the storage refuses; nothing is kept then.
    """
    pending = Pending(secrets.token_urlsafe(18), title, description, language,
                      media.filename, media.size,
                      (poster.filename or "poster") if poster is not None else "")
    _note(pending, error, captions)
    try:
        media.keep(_media_key(pending.id))
        if poster is not None:
            poster.keep(_poster_key(pending.id))
        _save_record(storage, pending)
    except BaseException:
        discard(storage, pending.id)
        raise
    return CaptionsToFix(error, pending, keep_for)


def _take(storage: Storage, pending_id: str) -> tuple[TempFile, Pending]:
    """The pending upload's media file, taken, and its record.

    :raises PendingGone: if there is no such pending upload.
    """
    if not is_pending_id(pending_id):
        raise PendingGone(pending_id)
    try:
        media = TempFile.take(storage, _media_key(pending_id), "file")
    except FileNotFoundError:
        raise PendingGone(pending_id) from None
    try:
        record = TempFile.take(storage, _record_key(pending_id))
        try:
            data = json.loads(record.read_all().decode("utf-8"))
        finally:
            record.keep(_record_key(pending_id))
        pending = Pending(**data)
    except (FileNotFoundError, ValueError, TypeError):
        # A record lost or unreadable leaves nothing to finish with.
        media.discard()
        raise PendingGone(pending_id) from None
    media.filename = pending.filename
    return media, pending


def find(storage: Storage, pending_id: str) -> Pending:
    """The record of a pending upload, which is kept from now on (each
    look, like each attempt, starts its time again).

    :raises PendingGone: if there is no such pending upload.
    """
    media, pending = _take(storage, pending_id)
    try:
        # Its files are kept again together, so none is dropped before the others.
        if pending.poster:
            try:
                TempFile.take(storage, _poster_key(pending_id)).keep(_poster_key(pending_id))
            except FileNotFoundError:
                pending.poster = ""
        pending.kept_at = time.time()
        _save_record(storage, pending)
    finally:
        media.keep(_media_key(pending_id))
    return pending


#: Puts a finished pending upload into the library and returns the new id:
#: ``add(media, info, pending, poster, captions)``.
AddItem = Callable[[TempFile, ProbeResult, Pending, TempFile | None, PreparedTrack], str]


def finish(storage: Storage, pending_id: str, captions: TempFile | None, add: AddItem, *,
           keep_for: float = KEEP_SECONDS) -> str:
    """Finish a pending upload with a corrected caption file.

    :param captions: the corrected caption file (``None`` if none came).
    :param add: puts the item into the library; see :data:`AddItem`.
    :returns: the new item's id.
    :raises PendingGone: if there is no such pending upload.
    :raises CaptionsToFix: if the caption file is missing or has errors; the
        pending upload is kept again, its record noting the new problems.
    """
    media, pending = _take(storage, pending_id)
    poster = None
    try:
        if pending.poster:
            try:
                poster = TempFile.take(storage, _poster_key(pending_id), "poster",
                                       pending.poster)
            except FileNotFoundError:
                pending.poster = ""
        info = uploads.check_media(media)
        try:
            if captions is None:
                message = "Choose the corrected caption file."
                raise UploadError(message, fields={"captions": message})
            track = uploads.prepare_track(captions, kind="captions", srclang=pending.language,
                                          label="", duration=info.duration,
                                          field_name="captions")
        except UploadError as exc:
            _note(pending, exc, captions)
            _save_record(storage, pending)
            raise CaptionsToFix(exc, pending, keep_for) from None
        item_id = add(media, info, pending, poster, track)
    finally:
        # Unless it went into the library, it is kept for another attempt,
        # whatever went wrong.
        if not media.finished:
            media.keep(_media_key(pending_id))
        if poster is not None and not poster.finished:
            poster.keep(_poster_key(pending_id))
    _drop(storage, _record_key(pending_id))
    return item_id


def _drop(storage: Storage, key: str) -> None:
    try:
        TempFile.take(storage, key).discard()
    except FileNotFoundError:
        pass


def discard(storage: Storage, pending_id: str) -> bool:
    """Drop a pending upload; returns whether there was one."""
    if not is_pending_id(pending_id):
        return False
    try:
        media = TempFile.take(storage, _media_key(pending_id))
    except FileNotFoundError:
        found = False
    else:
        media.discard()
        found = True
    _drop(storage, _poster_key(pending_id))
    _drop(storage, _record_key(pending_id))
    return found
