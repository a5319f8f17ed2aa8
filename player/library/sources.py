"""Where a track came from: a person (``author``), a script timed against
the audio (``aligned``) or speech recognition (``automatic``); and a
publisher's approval of a draft (:func:`approve`).

The names, keys, labels and the drafts' state live in
:mod:`.track_sources`, re-exported here; this module adds what needs the
catalog and the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import db
from . import scan
from .catalog import find_item, get_storage
from .storage import read_metadata, stem_of, write_metadata
from .track_sources import (
    DRAFT_SOURCES,
    DRAFTS_KEY,
    SOURCES,
    DraftError,
    HumanWorkKept,
    NoSuchDraft,
    check_replaceable,
    counts_as_captions,
    default_label,
    digest,
    find_track,
    forget,
    key_of,
    parse_key,
    record_approval,
    record_draft,
    source_rank,
    source_suffix,
    split_source,
    status,
)

__all__ = ["DRAFTS_KEY", "DRAFT_SOURCES", "SOURCES", "Approval", "DraftError",
           "HumanWorkKept", "NoSuchDraft", "approve", "check_replaceable",
           "counts_as_captions", "default_label", "digest", "find_track", "forget", "key_of",
           "parse_key", "record_approval", "record_draft", "source_rank", "source_suffix",
           "split_source", "status"]


@dataclass(frozen=True)
class Approval:
    """What :func:`approve` changed."""

    media_id: str
    key: str
    approved: bool


def approve(media_id: str, track_name: str, by: str, approved: bool = True) -> Approval:
    """Mark an item's draft track as reviewed by ``by``, so it counts as
    captions; with ``approved=False`` withdraw that. Rescans the library.

    Call inside an app context.

    :param track_name: the track's key (``en.captions.automatic``) or file name.
    :raises NotFound: if there is no such item.
    :raises NoSuchDraft: if the item has no such draft (the author's tracks
        need no approval).
    """
    item = find_item(media_id)
    track = next((t for t in item.all_tracks() if t.file == track_name),
                 None) or find_track(item, track_name)
    if track is None or track.source == "author":
        raise NoSuchDraft(f"The media item '{media_id}' has no draft track '{track_name}';"
                          " only aligned and automatic drafts are approved.")
    key, storage, stem = track.key, get_storage(), stem_of(item.file)
    with storage.lock(item.id):
        metadata = read_metadata(storage, stem)
        record_approval(metadata, key, by, approved)
        write_metadata(storage, stem, metadata)
    scan.scan(storage, db.get_db())
    return Approval(media_id, key, approved)
