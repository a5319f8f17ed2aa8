"""The media folder as the catalog.

A media file's id is its stem made URL-safe; sidecar files share the stem::

    welcome.mp4  welcome.json  welcome.en.vtt  welcome.uk.subtitles.vtt
    welcome.en.descriptions.vtt  welcome.en.chapters.vtt  welcome.jpg

The files are reached only through a :class:`~player.library.storage.Storage`,
which also holds the naming rule. Probe and validation results are cached in
the database keyed by location, size and modification time, so a rescan of
an unchanged library probes nothing.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from .. import db
from ..captions import CaptionError, convert, detect_format
from ..db import locks
from ..search import index as search
from . import cues
from . import track_sources as sources
from .backends import for_app
from .item import Item, Track
from .probe import ProbeError, probe
from .storage import (
    CAPTION_SOURCE_EXTENSIONS,
    POSTER_EXTENSIONS,
    TRACK_KINDS,
    Entry,
    MetadataError,
    Storage,
    as_storage,
    converted_name,
    extension_of,
    group_sidecars,
    is_media_name,
    is_poster,
    metadata_name,
    parse_track_name,
    read_metadata,
    stem_of,
)

__all__ = ["POSTER_EXTENSIONS", "TRACK_KINDS", "ScanResult", "is_valid_id", "scan",
           "scan_unless_busy", "slugify"]

_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$")


def slugify(stem: str) -> str:
    """Make a URL-safe id from a file stem.

    >>> slugify("Welcome to the Player")
    'welcome-to-the-player'
    >>> slugify("Café.Intro")
    'cafe-intro'
    """
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-_")
    return text[:100].strip("-_") or "item"


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is an id :func:`slugify` could make (so a URL part is safe to look up)."""
    return bool(_ID_RE.match(value))


@dataclass
class ScanResult:
    """What a scan found: the catalog's items, and each problem as (file name, reason)."""

    items: list[Item] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    probed: int = 0
    validated: int = 0


class _Scan:
    """One walk of the library; its caches are the database's."""

    def __init__(self, storage: Storage, conn: sqlite3.Connection) -> None:
        self.storage = storage
        self.conn = conn
        self.result = ScanResult()
        # Locations seen, so cache rows of files that are gone can be dropped.
        self.existing: set[str] = set()

    def probe(self, entry: Entry) -> dict:
        key = self.storage.location(entry.name)
        self.existing.add(key)
        cached = db.cached_probe(self.conn, key, entry.size, entry.mtime_ns)
        if cached is not None:
            return cached
        self.result.probed += 1
        try:
            info = probe(self.storage, entry.name)
            data = {
                "ok": True, "kind": info.kind, "mime": info.mime, "duration": info.duration,
                "container": info.container, "width": info.width, "height": info.height,
            }
        except ProbeError as exc:
            data = {"ok": False, "reason": exc.reason}
        db.store_probe(self.conn, key, entry.size, entry.mtime_ns, data)
        return data

    def validate_track(self, entry: Entry, kind: str, duration: float | None) -> dict:
        key = self.storage.location(entry.name)
        self.existing.add(key)
        cached = db.cached_track(self.conn, key, entry.size, entry.mtime_ns, duration)
        if cached is not None:
            return cached
        self.result.validated += 1
        report = cues.track_report(self.storage, entry.name, kind=kind, duration=duration,
                                   entry=entry)
        data = {
            "ok": report.ok,
            "cues": len(report.cues),
            "problems": [
                {"line": p.line, "column": p.column, "severity": p.severity, "code": p.code,
                 "message": p.message}
                for p in report.problems
            ],
        }
        db.store_track(self.conn, key, entry.size, entry.mtime_ns, duration, data)
        return data

    def metadata(self, stem: str) -> dict:
        try:
            return read_metadata(self.storage, stem)
        except MetadataError as exc:
            self.result.problems.append((metadata_name(stem), f"metadata ignored: {exc}"))
            return {}

    def convert_sidecar(self, name: str, names: set[str]) -> str | None:
        """Write a WebVTT copy of an SRT or SBV sidecar; the original stays."""
        target = converted_name(name)
        if target in names:
            return None
        data = self.storage.read_bytes(name)
        try:
            text = convert(data, detect_format(data, name))
        except CaptionError as exc:
            self.result.problems.append((name, f"not converted to WebVTT: {exc}"))
            return None
        self.storage.write(target, text.encode("utf-8"))
        return target


def scan(storage: Storage | str, conn: sqlite3.Connection) -> ScanResult:
    """Walk the library and build the catalog.

    Each track is read and parsed once (see :mod:`player.library.cues`) and
    its search index brought up to date as its item is built. Never raises
    for bad files: each problem is reported with the file name and a reason.

    Scans of one library run one at a time, across processes: each change
    a publisher makes rescans, and two scans at once would both add what
    they found new to the caches. On PostgreSQL the servers sharing the
    database also take turns on an advisory lock, which a server that dies
    lets go of with its connection.

    :param storage: the library, or the path of a media folder.
    """
    storage = as_storage(storage)
    with locks.holding(conn, "scan"), _holding(storage, SCAN_LOCK):
        return _scan(storage, conn)


def scan_unless_busy(storage: Storage | str, conn: sqlite3.Connection) -> ScanResult | None:
    """:func:`scan`, unless another server sharing the database is scanning
    right now (None): the catalog that scan writes is as new as this one's."""
    storage = as_storage(storage)
    with locks.trying(conn, "scan") as free:
        if not free:
            return None
        with _holding(storage, SCAN_LOCK):
            return _scan(storage, conn)


def _scan(storage: Storage, conn: sqlite3.Connection) -> ScanResult:
    walk = _Scan(storage, conn)
    result = walk.result
    try:
        listing = {entry.name: entry for entry in storage.list()}
    except (FileNotFoundError, NotADirectoryError):
        result.problems.append((storage.location(), "the media folder does not exist"))
        db.replace_catalog(conn, [], result.problems)
        return result

    media_names = [n for n in sorted(listing) if is_media_name(n)]
    for name in sorted(_grouped(group_sidecars(listing, media_names))):
        if extension_of(name) in CAPTION_SOURCE_EXTENSIONS:
            converted = walk.convert_sidecar(name, set(listing))
            if converted is not None:
                listing[converted] = storage.stat(converted)
    names = sorted(listing)
    sidecars = group_sidecars(names, media_names)
    for name in _confirmed_orphans(storage, _orphans(names, media_names, sidecars)):
        result.problems.append((name, ORPHAN_PROBLEM))

    seen_ids: dict[str, str] = {}
    indexed = search.indexed_tracks(conn)
    # No transaction spans the loop: probing a large new library takes
    # minutes, and the write lock must not be held that long. Each cache
    # write commits alone; the catalog itself is swapped in one transaction.
    for name in media_names:
        stem = stem_of(name)
        item_id = slugify(stem)
        if item_id in seen_ids:
            result.problems.append((
                name,
                f"skipped: its id '{item_id}' is already taken by {seen_ids[item_id]};"
                " rename one of the files",
            ))
            continue
        entry = listing[name]
        probed = walk.probe(entry)
        if not probed["ok"]:
            result.problems.append((name, f"not playable: {probed['reason']}"))
            continue
        seen_ids[item_id] = name
        item = _build_item(walk, item_id, entry, probed,
                           [listing[n] for n in sidecars.get(stem, [])])
        result.items.append(item)
        search.index_item(conn, storage, item, indexed, listing)
    with db.Transaction(conn):
        db.forget_missing_paths(conn, walk.existing)
    search.forget_absent(conn, storage, result.items)
    result.items.sort(key=lambda i: i.title.casefold())
    db.replace_catalog(conn, [item.to_dict() for item in result.items], result.problems)
    return result


#: The lock a scan holds: never an item's id, which starts with a letter or digit.
SCAN_LOCK = "_scan"


@contextmanager
def _holding(storage: Storage, lock_id: str) -> Iterator[None]:
    """Hold the storage's lock ``lock_id``, or nothing where no lock can be
    taken (a missing or read-only media folder), which the scan still reads."""
    with ExitStack() as stack:
        try:
            stack.enter_context(storage.lock(lock_id))
        except OSError:
            pass
        yield


#: What the scan says of a sidecar file without its media file.
ORPHAN_PROBLEM = ("left over: no media file in the folder has its stem, so no item uses it;"
                  " delete it, or put back the media file it belongs to")
_SIDECAR_EXTENSIONS = frozenset({".vtt", ".json", *POSTER_EXTENSIONS,
                                 *CAPTION_SOURCE_EXTENSIONS})


def _grouped(sidecars: dict[str, list[str]]) -> set[str]:
    return {name for names in sidecars.values() for name in names}


def _orphans(names: list[str], media_names: list[str],
             sidecars: dict[str, list[str]]) -> list[str]:
    """Sidecar files (by extension) that belong to no media file.

    >>> _orphans(["a.mp4", "a.en.vtt", "b.json", "b.en.vtt", "notes.txt"], ["a.mp4"],
    ...          {"a": ["a.en.vtt"]})
    ['b.en.vtt', 'b.json']
    """
    grouped, media = _grouped(sidecars), set(media_names)
    return sorted(n for n in names if n not in media and n not in grouped
                  and extension_of(n) in _SIDECAR_EXTENSIONS)


def _stems_of(name: str) -> list[str]:
    """Every stem ``name`` could be a sidecar of.

    >>> _stems_of("talk.v2.en.vtt")
    ['talk', 'talk.v2', 'talk.v2.en']
    """
    parts = name.split(".")[:-1]
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def _confirmed_orphans(storage: Storage, orphans: list[str]) -> list[str]:
    """The ``orphans`` that are orphans still once no change to an item they
    could belong to is under way: deleting an item removes its media file
    first, so a scan meanwhile sees its sidecars alone for a moment."""
    if not orphans:
        return []
    for item_id in sorted({slugify(stem) for name in orphans for stem in _stems_of(name)}):
        with _holding(storage, item_id):
            pass
    names = sorted(entry.name for entry in storage.list())
    media_names = [n for n in names if is_media_name(n)]
    now = set(_orphans(names, media_names, group_sidecars(names, media_names)))
    return [name for name in orphans if name in now]


def _build_item(walk: _Scan, item_id: str, entry: Entry, probed: dict,
                sidecars: list[Entry]) -> Item:
    name, result = entry.name, walk.result
    stem = stem_of(name)
    meta = walk.metadata(stem)
    language = meta.get("language") if isinstance(meta.get("language"), str) else "en"
    labels = meta.get("tracks") if isinstance(meta.get("tracks"), dict) else {}
    renditions = meta.get("renditions")
    item = Item(
        id=item_id,
        file=name,
        title=str(meta.get("title") or stem.replace("_", " ").replace("-", " ").strip()),
        description=str(meta.get("description") or ""),
        language=language,
        kind=probed["kind"],
        mime=probed["mime"],
        duration=probed["duration"],
        width=probed.get("width"),
        height=probed.get("height"),
        size=entry.size,
        mtime=entry.mtime,
        # HLS renditions made of this file (or of an older one: see player.renditions.record).
        renditions=renditions if isinstance(renditions, dict) else None,
    )
    for side in sorted(sidecars, key=lambda e: e.name):
        if is_poster(stem, side.name):
            item.poster = side.name
            continue
        if extension_of(side.name) != ".vtt":
            continue
        parsed = parse_track_name(stem, side.name, language)
        if parsed is None:
            result.problems.append((side.name,
                                    "ignored: name it STEM.LANG.vtt or STEM.LANG.KIND.vtt"))
            continue
        lang, kind = parsed.srclang, parsed.kind
        report = walk.validate_track(side, kind, probed["duration"])
        key = sources.key_of(lang, kind, parsed.source)
        track = Track(
            file=side.name,
            kind=kind,
            srclang=lang,
            label=str(labels.get(key) or sources.default_label(lang, kind, parsed.source)),
            cues=report["cues"],
            problems=report["problems"],
            **sources.status(meta, lang, kind, parsed.source),
            etag=side.etag,
        )
        if report["ok"]:
            item.tracks.append(track)
        else:
            item.rejected_tracks.append(track)
            first = next(p for p in report["problems"] if p["severity"] == "error")
            errors = sum(1 for p in report["problems"] if p["severity"] == "error")
            result.problems.append((
                side.name,
                f"track not offered to players: {errors} error(s), first at line"
                f" {first['line']}: {first['message']}",
            ))
    item.tracks.sort(key=sources.source_rank)
    return item


def init_app(app) -> None:
    """Scan once at startup so the catalog matches the folder.

    Servers sharing a PostgreSQL database that start together scan once:
    one scans, the others find it busy and serve the catalog it writes.
    """
    if not app.config.get("SCAN_ON_START", True):
        return
    conn = db.connect(app.config["DATABASE"])
    try:
        result = scan_unless_busy(for_app(app), conn)
    finally:
        conn.close()
    if result is None:
        # A warning, so that it shows in gunicorn's log at its default level.
        app.logger.warning("not scanned at start-up: another server is scanning the library;"
                           " serving the catalog it writes")
        return
    for path, message in result.problems:
        app.logger.warning("%s: %s", path, message)
