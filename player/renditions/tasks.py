"""Giving an item its renditions, inside an app: the job's work, and
deciding which items need a job. What is made is recorded in the item's
metadata file (see :mod:`.record`), which the scan copies into the catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context

from .. import db
from ..library import nested
from ..library.storage import metadata_name, read_metadata, stem_of, write_metadata
from . import build
from .record import needs_job, source_of, tracks_fingerprint
from .transcode import TranscodeError, find_ffmpeg

if TYPE_CHECKING:
    from ..library.item import Item

#: The job kind of :func:`run`.
JOB_KIND = "renditions"


def enqueue_stale(items: list[Item]) -> int:
    """Queue a renditions job for each item that :func:`needs_job`, in the
    current app; returns how many. Does nothing when the app's
    ``RENDITIONS`` setting is off or its job queue is not there.
    """
    if not has_app_context() or not current_app.config.get("RENDITIONS", True):
        return 0
    try:
        from ..jobs import enqueue
    except ImportError:
        return 0
    count = 0
    for item in items:
        if needs_job(item):
            enqueue(JOB_KIND, media_id=item.id)
            count += 1
    return count


def _ffmpeg() -> str:
    return find_ffmpeg(current_app.config.get("FFMPEG"))


def make_renditions(app: Flask | None, media_id: str, *,
                    progress: Callable[[float, str], None] | None = None) -> dict:
    """Give the item ``media_id`` its renditions now, in this process: the
    media (unless those of its current file are there), then the master
    playlist with its captions; then rescan so the catalog, and so ITEM,
    lists them. Used by the ``renditions`` job, and by tests.

    :param app: the app, or ``None`` inside an app context.
    :param progress: called with the share done (0..1) and what is under way.
    :returns: a summary: ``media_id``, ``master`` (the folder) and ``heights``.
    :raises LookupError: if there is no such item.
    :raises TranscodeError: with ffmpeg's reason; the record then says so and
        the item keeps playing from its original file.
    """
    if app is not None and not has_app_context():
        with app.app_context():
            return make_renditions(None, media_id, progress=progress)
    from ..library.catalog import get_storage
    from ..library.item import Item
    from ..library.scan import scan

    report = progress or (lambda fraction, message="": None)
    conn = db.get_db()
    data = db.catalog_item(conn, media_id)
    if data is None:
        raise LookupError(f"There is no media item with the id '{media_id}'.")
    item = Item.from_dict(data)
    storage = get_storage()
    stem = stem_of(item.file)
    source = source_of(item)
    try:
        record = read_metadata(storage, stem).get("renditions")
    except ValueError:
        record = None
    fresh = (record if isinstance(record, dict) and record.get("source") == source
             and record.get("media") and not record.get("error") else None)
    new_folders: list[str] = []
    try:
        if fresh is None:
            report(0.0, "Making the renditions")
            media = build.build_media(
                storage, item, ffmpeg=_ffmpeg(),
                preset=current_app.config.get("RENDITIONS_PRESET", "veryfast"),
                progress=lambda share: report(0.9 * share, "Making the renditions"))
            new_folders.append(media["media"])
        else:
            media = {key: fresh[key] for key in
                     ("media", "video", "audio", "boundaries", "duration")}
        report(0.92, "Adding the captions to the stream")
        text = build.build_text(storage, item, media)
        new_folders.append(text)
    except TranscodeError as exc:
        for folder in new_folders:
            nested.remove(storage, item.id, folder)
        _save(storage, item, {"source": source, "error": str(exc)})
        scan(storage, conn)
        raise
    except BaseException:
        for folder in new_folders:
            nested.remove(storage, item.id, folder)
        raise
    record = {"source": source, **media, "text": text,
              "tracks": tracks_fingerprint(item)}
    if not _save(storage, item, record):
        for folder in new_folders:
            nested.remove(storage, item.id, folder)
        return {"media_id": media_id, "skipped": "the media file changed meanwhile"}
    for folder in nested.versions(storage, item.id):
        if folder not in (record["media"], record["text"]):
            nested.remove(storage, item.id, folder)
    report(0.98, "Updating the library")
    scan(storage, conn)
    return {"media_id": media_id, "master": text,
            "heights": [v["height"] for v in media["video"]]}


def _save(storage, item: Item, record: dict) -> bool:
    """Put ``record`` into the item's metadata under its lock, if its media
    file is still the one the record was made from; returns whether it was."""
    stem = stem_of(item.file)
    with storage.lock(item.id):
        try:
            entry = storage.stat(item.file)
        except FileNotFoundError:
            return False
        if entry.size != item.size or entry.mtime != item.mtime:
            return False
        try:
            metadata = read_metadata(storage, stem)
        except ValueError:
            # A broken STEM.json stays the publisher's to fix; renditions wait.
            raise TranscodeError(f"{metadata_name(stem)} is not valid JSON; fix it, and the"
                                 " renditions are made on the next scan") from None
        metadata["renditions"] = record
        write_metadata(storage, stem, metadata)
    return True


def run(job) -> dict:
    """The ``renditions`` job: :func:`make_renditions` for the job's item,
    reporting progress; a failure of ffmpeg fails the job with its reason
    (the item keeps playing from its original file)."""
    from ..jobs import JobFailed

    try:
        return make_renditions(None, job.media_id, progress=job.progress)
    except LookupError:
        return {"media_id": job.media_id, "skipped": "the item is gone"}
    except TranscodeError as exc:
        raise JobFailed(
            f"The streaming versions could not be made; the item still plays from its"
            f" original file. {exc}") from None
