"""The one parse of each caption file of the library.

Validation (the scan), search indexing and transcripts all need a track's
cues. They ask here, and the file is read and parsed once per version: the
cache is keyed by where the file is and its entity tag (size, modification
time and inode locally), so a file changed on disk is read again, and by
the track kind and media duration, on which the reported problems depend.
An upload hands over the parse it made of the bytes it stored
(:func:`remember`), so the scan that follows parses nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..captions import Report, validate
from .storage import Entry, Storage

#: Parsed tracks kept per process; the scan needs the tracks of one item at
#: a time, a transcript the two or three tracks of one item.
CACHE_SIZE = 32

_Key = tuple[str, str, str, float | None]
_cache: OrderedDict[_Key, Report] = OrderedDict()
_lock = threading.Lock()


def _key(storage: Storage, entry: Entry, kind: str, duration: float | None) -> _Key:
    return storage.location(entry.name), entry.etag, kind, duration


def _get(key: _Key) -> Report | None:
    with _lock:
        report = _cache.get(key)
        if report is not None:
            _cache.move_to_end(key)
        return report


def _put(key: _Key, report: Report) -> None:
    with _lock:
        _cache[key] = report
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def track_report(
    storage: Storage, name: str, *, kind: str, duration: float | None,
    entry: Entry | None = None,
) -> Report:
    """The cues and problems of the WebVTT file ``name``, parsed once per version.

    :param duration: the media's length, to find cues past its end.
    :param entry: the file's entry when the caller has just listed it.
    :raises FileNotFoundError: if the file is gone.
    """
    entry = entry if entry is not None else storage.stat(name)
    key = _key(storage, entry, kind, duration)
    report = _get(key)
    if report is None:
        report = validate(storage.read_bytes(name), kind=kind, duration=duration)
        _put(key, report)
    return report


def remember(storage: Storage, entry: Entry, kind: str, duration: float | None,
             report: Report) -> None:
    """Keep the parse of bytes just stored as ``entry``, made before storing them."""
    _put(_key(storage, entry, kind, duration), report)


def clear() -> None:
    """Forget every parse."""
    with _lock:
        _cache.clear()
