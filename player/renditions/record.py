"""An item's rendition record, as its metadata file keeps it and the
catalog copies it, and what ITEM says of it. Pure functions of catalog
items: no app, no storage.

The record is the ``"renditions"`` object of the item's ``STEM.json``:

- ``source``: the media file it was made from (name, size, mtime): a
  record for another version of the file is stale;
- ``media``, ``video``, ``audio``, ``boundaries``, ``duration``: the media
  folder and what it holds (see :func:`player.renditions.build.build_media`);
- ``text`` and ``tracks``: the folder of the master playlist and subtitle
  playlists, and the fingerprint of the tracks it was made from;
- or, when ffmpeg failed on this source, ``error``: its reason, so the
  same file is not tried again until it changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..library.item import Item, Track

#: Media kinds that get renditions.
KINDS = ("video", "audio")
#: The Content-Type of HLS playlists.
HLS_TYPE = "application/vnd.apple.mpegurl"
#: The master playlist's name in its folder.
MASTER = "master.m3u8"


def source_of(item: Item) -> dict:
    """The catalog's description of an item's media file, as a record keeps it."""
    return {"name": item.file, "size": item.size, "mtime": item.mtime}


def current_record(item: Item) -> dict | None:
    """The item's rendition record if it was made from its media file as it
    is now (ready or failed), else ``None``."""
    record = item.renditions
    if not isinstance(record, dict) or record.get("source") != source_of(item):
        return None
    return record


def ready_record(item: Item) -> dict | None:
    """The item's rendition record if its renditions are ready to play."""
    record = current_record(item)
    return record if record and record.get("text") and record.get("media") else None


def subtitle_tracks(item: Item) -> list[Track]:
    """The item's tracks that go into the stream: its captions and subtitles."""
    return [t for t in item.tracks if t.kind in ("captions", "subtitles")]


def tracks_fingerprint(item: Item) -> str:
    """What the master playlist and subtitle playlists depend on: each
    captions and subtitles track's file, bytes (its entity tag), language,
    kind and label. It changes when any of them does."""
    described = [[t.file, t.etag, t.srclang, t.kind, t.label]
                 for t in subtitle_tracks(item)]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:16]


def needs_job(item: Item) -> bool:
    """Whether the item's renditions are missing, stale, or behind its tracks
    (a failure on the same file is not retried)."""
    if item.kind not in KINDS:
        return False
    record = current_record(item)
    if record is None:
        return True
    if record.get("error"):
        return False
    return record.get("tracks") != tracks_fingerprint(item)


def item_fields(item: Item, original: list[dict],
                url: Callable[[str, str, str], str]) -> dict:
    """ITEM's ``sources``, ``renditions`` and ``audio_only``.

    ``sources`` is the master playlist first when the renditions are ready,
    then ``original`` (the progressive file, the fallback); ``renditions``
    each video rendition's height, width, bandwidth and average_bandwidth
    (bits per second, with its audio), codecs and frame_rate, lowest first;
    ``audio_only`` the audio-only rendition's playlist (url, type,
    bandwidth, average_bandwidth, codecs), or ``None``.

    :param url: the absolute URL of ``(item id, folder, file name)``.
    """
    record = ready_record(item)
    if record is None:
        return {"sources": original, "renditions": [], "audio_only": None}
    item_id = item.id
    audio = record.get("audio")
    peak = audio["bandwidth"] if audio else 0
    average = audio["average_bandwidth"] if audio else 0
    renditions = [{
        "height": v["height"], "width": v["width"],
        "bandwidth": v["bandwidth"] + peak,
        "average_bandwidth": v["average_bandwidth"] + average,
        "codecs": ",".join([v["codecs"], *([audio["codecs"]] if audio else [])]),
        "frame_rate": v["frame_rate"],
    } for v in record["video"]]
    audio_only = None if audio is None else {
        "url": url(item_id, record["media"], audio["playlist"]), "type": HLS_TYPE,
        "bandwidth": audio["bandwidth"], "average_bandwidth": audio["average_bandwidth"],
        "codecs": audio["codecs"],
    }
    master = {"url": url(item_id, record["text"], MASTER), "type": HLS_TYPE}
    return {"sources": [master, *original], "renditions": renditions, "audio_only": audio_only}


def state(item: Item) -> dict:
    """For publishers: ``{"state": "ready"|"failed"|"missing", "message"}``."""
    record = current_record(item)
    if record is None:
        return {"state": "missing", "message": None}
    if record.get("error"):
        return {"state": "failed", "message": record["error"]}
    return {"state": "ready" if ready_record(item) else "missing", "message": None}
