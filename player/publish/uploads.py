"""Checking uploads and changing the library without ever showing a
half-written file.

Forms are received by :mod:`.forms`, which stages their files; here a
staged file is checked by its content and becomes part of the library with
one atomic commit.

Changes to an item (a new item, its tracks, metadata, deletion) happen under
the item's lock, so two workers cannot pick the same id or interleave a
read-modify-write of its metadata. A change to an existing item checks there
that the item is still there, so none brings back files of a deleted one. A
new item's sidecar files are put in place before its media file, and the
media file last: an item appears complete or not at all.

Nothing here knows about Flask, or where the library's bytes live.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..languages import is_language_tag, track_label
from ..library import cues, nested, sources
from ..library import poster as poster_frames
from ..library import storage as library_storage
from ..library.item import Item, Track
from ..library.probe import EXTENSIONS, ProbeError, ProbeResult, probe_file, sniff
from ..library.scan import slugify
from ..library.storage import (
    POSTER_EXTENSIONS,
    TRACK_KINDS,
    MetadataError,
    Storage,
    caption_sources,
    extension_of,
    group_sidecars,
    is_media_name,
    metadata_name,
    parse_track_name,
    poster_name,
    stem_of,
    track_name,
    write_metadata,
)
from .errors import (
    Disconnected,
    ItemGone,
    NoSpace,
    TookTooLong,
    TooLarge,
    Unprocessable,
    Unsupported,
    UploadError,
    format_size,
    too_large,
)
from .forms import (
    FILE_FIELDS,
    MAX_FIELD_BYTES,
    MAX_PARTS,
    ReceivedForm,
    TempFile,
    clean_filename,
    clean_text,
    one_line,
    receive_form,
)

if TYPE_CHECKING:
    from ..captions import Report

__all__ = [
    # Re-exported: the errors and the form reception are used through this module.
    "FILE_FIELDS", "MAX_FIELD_BYTES", "MAX_PARTS", "Disconnected", "ItemGone", "NoSpace",
    "ReceivedForm", "TempFile", "TooLarge", "TookTooLong", "Unprocessable", "Unsupported",
    "UploadError", "clean_filename", "clean_text", "format_size", "one_line", "receive_form",
    "too_large",
    # Its own.
    "MAX_DESCRIPTION", "MAX_LABEL", "MAX_SIDE_FILE_BYTES", "MAX_TITLE", "PreparedTrack",
    "StoredTrack", "accepted_formats", "add_media", "check_kind", "check_language",
    "check_media", "delete_item", "delete_track", "find_track", "poster_extension",
    "prepare_track", "read_metadata", "store_track", "update_item",
]

#: Caption and poster files are read into memory, so they are capped.
MAX_SIDE_FILE_BYTES = 10 * 1024 * 1024
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_LABEL = 100

_CONTAINER_NAMES = {"mp4": "MP4", "webm": "WebM", "matroska": "Matroska", "mp3": "MP3",
                    "ogg": "Ogg", "flac": "FLAC", "wav": "WAV"}
_DEFAULT_EXTENSION = {
    ("mp4", "video"): ".mp4", ("mp4", "audio"): ".m4a", ("matroska", "video"): ".mkv",
    ("matroska", "audio"): ".mka", ("webm", "video"): ".webm", ("webm", "audio"): ".webm",
    ("mp3", "audio"): ".mp3", ("ogg", "video"): ".ogg", ("ogg", "audio"): ".ogg",
    ("flac", "audio"): ".flac", ("wav", "audio"): ".wav",
}
_POSTER_TYPES = {".jpg": "JPEG", ".png": "PNG", ".webp": "WebP"}


def accepted_formats() -> list[str]:
    """``["MP4 (.mp4, .m4a, .m4v)", ...]``: what the library plays, for messages."""
    by_container: dict[str, list[str]] = {}
    for extension, container in EXTENSIONS.items():
        by_container.setdefault(container, []).append(extension)
    return [f"{_CONTAINER_NAMES.get(c, c)} ({', '.join(exts)})" for c, exts in by_container.items()]


# -- checking content -----------------------------------------------------------------

def check_media(temp: TempFile) -> ProbeResult:
    """Probe an uploaded media file by its content.

    :raises Unsupported: if the bytes are not a format the library plays.
    :raises Unprocessable: if they look like one but cannot be read.
    """
    try:
        with temp.open() as reader:
            return probe_file(reader, temp.name)
    except ProbeError as exc:
        if sniff(temp.head) is None:
            formats = accepted_formats()
            raise Unsupported(
                f"The file is not in a format the player accepts: {exc.reason}."
                f" Accepted formats: {'; '.join(formats)}.",
                fields={"file": f"The file is not audio or video the player accepts:"
                                f" {exc.reason}. Accepted formats: {'; '.join(formats)}."},
                details={"reason": exc.reason, "accepted_formats": formats},
            ) from None
        raise Unprocessable(
            f"The media file cannot be read: {exc.reason}.",
            fields={"file": f"The media file cannot be read: {exc.reason}."},
            details={"reason": exc.reason},
        ) from None


def poster_extension(temp: TempFile, field_name: str = "poster") -> str:
    """``.jpg``, ``.png`` or ``.webp``, from the image's bytes.

    :raises Unsupported: for anything else.
    """
    head = temp.head
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    message = "The poster must be a JPEG, PNG or WebP image."
    raise Unsupported(message, fields={field_name: message},
                      details={"accepted_formats": list(_POSTER_TYPES.values())})


@dataclass
class PreparedTrack:
    """A caption file checked and converted to WebVTT, ready to store.

    :param report: the parse of ``vtt`` when the file came as WebVTT, so
        storing it does not need another; ``None`` after a conversion.
    :param duration: the media duration the file was checked against.
    """

    kind: str
    srclang: str
    label: str
    vtt: bytes
    cues: int
    problems: list[dict]
    report: Report | None = None
    duration: float | None = None


def _problem_dict(problem) -> dict:
    return {"line": problem.line, "column": problem.column, "severity": problem.severity,
            "code": problem.code, "message": problem.message}


def prepare_track(temp: TempFile, *, kind: str, srclang: str, label: str,
                  duration: float | None, field_name: str = "file") -> PreparedTrack:
    """Validate a WebVTT, SRT or SBV file (told apart by content) and convert it.

    :raises UploadError: :class:`TooLarge` past :data:`MAX_SIDE_FILE_BYTES`;
        :class:`Unprocessable` with every problem when the file has errors.
    """
    from ..captions import CaptionError, convert, detect_format, validate_file

    if temp.size > MAX_SIDE_FILE_BYTES:
        raise too_large(MAX_SIDE_FILE_BYTES, "The caption file")
    data = temp.read_all()
    report = validate_file(data, None, kind=kind, duration=duration)
    problems = [_problem_dict(p) for p in report.problems]
    errors = [p for p in problems if p["severity"] == "error"]
    if errors:
        first = errors[0]
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        message = (f"The caption file has {count}, so it was not saved. First, on line"
                   f" {first['line']}: {first['message']}")
        raise Unprocessable(message, fields={field_name: message},
                            details={"problems": problems}, problems=problems)
    try:
        fmt = detect_format(data, None)
        vtt = data if fmt == "vtt" else convert(data, fmt).encode("utf-8")
    except CaptionError as exc:
        message = f"The caption file cannot be converted to WebVTT: {exc}"
        raise Unprocessable(message, fields={field_name: message}) from None
    return PreparedTrack(kind, srclang, label or track_label(srclang, kind), vtt,
                         len(report.cues), problems, report if fmt == "vtt" else None, duration)


# -- changing the library ---------------------------------------------------------------

def _names(storage: Storage) -> list[str]:
    return [entry.name for entry in storage.list()]


def _id_taken(names: list[str], item_id: str) -> bool:
    for name in names:
        if name.startswith(item_id + ".") or (
                is_media_name(name) and slugify(stem_of(name)) == item_id):
            return True
    return False


def _candidate_id(base: str, number: int) -> str:
    """``base``, then ``base-2``, ``base-3`` ..., at most 100 characters."""
    if number == 1:
        return base
    suffix = f"-{number}"
    return base[: 100 - len(suffix)].rstrip("-_") + suffix


def read_metadata(storage: Storage, stem: str) -> dict:
    """The item's ``STEM.json``, or ``{}`` when it is missing or broken (the
    scan reports a broken one)."""
    try:
        return library_storage.read_metadata(storage, stem)
    except MetadataError:
        return {}


def _set_label(metadata: dict, track: PreparedTrack) -> None:
    labels = metadata.get("tracks") if isinstance(metadata.get("tracks"), dict) else {}
    key = f"{track.srclang}.{track.kind}"
    if track.label == track_label(track.srclang, track.kind):
        labels.pop(key, None)
    else:
        labels[key] = track.label
    metadata["tracks"] = labels


def _write_track(storage: Storage, name: str, track: PreparedTrack) -> None:
    entry = storage.write(name, track.vtt)
    if track.report is not None:
        # The bytes stored are the bytes checked: the scan need not parse them again.
        cues.remember(storage, entry, track.kind, track.duration, track.report)


def add_media(
    storage: Storage, media: TempFile, info: ProbeResult, *, title: str, description: str,
    language: str, poster: TempFile | None = None, captions: PreparedTrack | None = None,
) -> str:
    """Put a checked upload into the library under a new unique id: the
    title as a slug, or the slug with ``-2``, ``-3`` ... when it is taken.

    :returns: the new item's id.
    :raises OSError: if the storage refuses; nothing of the item then stays.
    """
    client_name = PurePosixPath(media.filename)
    extension = client_name.suffix.lower()
    if EXTENSIONS.get(extension) != info.container:
        extension = _DEFAULT_EXTENSION[(info.container, info.kind)]
    title = title or one_line(client_name.stem.replace("_", " ").replace("-", " ")) or "Untitled"
    poster_ext = poster_extension(poster) if poster is not None else ""
    base, number = slugify(title), 1
    names = _names(storage)
    while True:
        item_id = _candidate_id(base, number)
        number += 1
        if _id_taken(names, item_id):
            continue
        # The id is taken and its files written under its lock, looking at
        # the library again there, so two uploads cannot both take it.
        with storage.lock(item_id):
            names = _names(storage)
            if not _id_taken(names, item_id):
                _put_new_item(storage, item_id, media, extension, title=title,
                              description=description, language=language, poster=poster,
                              poster_ext=poster_ext, captions=captions)
                if poster is None and info.kind == "video":
                    poster_frames.request_after_upload(item_id, f"{item_id}{extension}")
                return item_id


def _put_new_item(
    storage: Storage, item_id: str, media: TempFile, extension: str, *, title: str,
    description: str, language: str, poster: TempFile | None, poster_ext: str,
    captions: PreparedTrack | None,
) -> None:
    written: list[str] = []
    try:
        metadata = {"title": title, "description": description, "language": language}
        if captions is not None:
            _set_label(metadata, captions)
            name = track_name(item_id, captions.srclang, captions.kind)
            written.append(name)
            _write_track(storage, name, captions)
        written.append(metadata_name(item_id))
        write_metadata(storage, item_id, metadata)
        if poster is not None:
            name = poster_name(item_id, poster_ext)
            written.append(name)
            poster.commit(name)
        media.commit(f"{item_id}{extension}")
    except BaseException:
        for name in written:
            storage.delete(name)
        raise


@contextmanager
def _changing(storage: Storage, item: Item) -> Iterator[None]:
    """Hold the item's lock, as deletion does, and check there that the
    item is still there: a change never brings back files of a deleted item.

    :raises ItemGone: if its media file is gone.
    """
    with storage.lock(item.id):
        if not storage.exists(item.file):
            raise ItemGone(item.id)
        yield


@dataclass(frozen=True)
class StoredTrack:
    """Where :func:`store_track` put a track, and whether it replaced one.

    :param track: the track as stored: its language is spelled as the
        replaced file's, when one was replaced.
    """

    track: PreparedTrack
    name: str
    replaced: bool


def _track_file(storage: Storage, stem: str, language: str, srclang: str,
                kind: str) -> tuple[str, str] | None:
    """The name and language of the item's WebVTT file for ``srclang`` (in
    any letter case, as language tags are) and ``kind``, as the library has
    it now: the file a new one of that language and kind replaces."""
    names = _names(storage)
    media = [n for n in names if is_media_name(n)]
    for name in sorted(group_sidecars(names, media).get(stem, [])):
        if extension_of(name) != ".vtt":
            continue
        parsed = parse_track_name(stem, name, language)
        if (parsed and parsed.kind == kind and parsed.srclang.lower() == srclang.lower()
                and parsed.source == "author"):
            return name, parsed.srclang
    return None


def store_track(storage: Storage, item: Item, track: PreparedTrack) -> StoredTrack:
    """Add a track to an item, or replace the one of the same language and kind.

    Whether one is replaced is decided under the item's lock, from the
    library as it is then, so of uploads of one track at once exactly one
    adds it and the others replace it. The new file replaces the old in one
    atomic write, so players see one or the other.

    :raises ItemGone: if the item was deleted meanwhile; nothing is written.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item.file)
    with _changing(storage, item):
        metadata = read_metadata(storage, stem)
        language = metadata.get("language")
        existing = _track_file(storage, stem, language if isinstance(language, str)
                               else item.language, track.srclang, track.kind)
        if existing is None:
            target = track_name(stem, track.srclang, track.kind)
        else:
            target, srclang = existing
            if srclang != track.srclang:
                default = track.label == track_label(track.srclang, track.kind)
                track = replace(track, srclang=srclang, label=track_label(srclang, track.kind)
                                if default else track.label)
        _write_track(storage, target, track)
        for source in caption_sources(target):
            storage.delete(source)
        _set_label(metadata, track)
        write_metadata(storage, stem, metadata)
    return StoredTrack(track, target, existing is not None)


def find_track(item: Item, srclang: str, kind: str) -> Track | None:
    """The item's track (offered or rejected) for ``srclang`` and ``kind``."""
    for track in [*item.tracks, *item.rejected_tracks]:
        if (track.srclang == srclang and track.kind == kind
                and track.source == "author"):
            return track
    return None


def delete_track(storage: Storage, item: Item, track: Track) -> None:
    """Remove a track's file (and the SRT or SBV it was made from) and its label.

    :raises ItemGone: if the item was deleted meanwhile.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item.file)
    with _changing(storage, item):
        storage.delete(track.file)
        for source in caption_sources(track.file):
            storage.delete(source)
        metadata = read_metadata(storage, stem)
        labels = metadata.get("tracks")
        key = track.key
        dropped = isinstance(labels, dict) and labels.pop(key, None)
        if sources.forget(metadata, key) or dropped:
            write_metadata(storage, stem, metadata)


def update_item(
    storage: Storage, item: Item, *, title: str, description: str,
    labels: dict[str, str], poster: TempFile | None = None, remove_poster: bool = False,
    described_version: str | None = None,
) -> None:
    """Change an item's title, description, track labels and poster.

    :param labels: ``"en.captions"`` → label; an empty label restores the default.
    :raises Unsupported: if ``poster`` is not a JPEG, PNG or WebP image.
    :raises ItemGone: if the item was deleted meanwhile; nothing is written.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item.file)
    poster_ext = poster_extension(poster) if poster is not None else ""
    with _changing(storage, item):
        metadata = read_metadata(storage, stem)
        metadata.update(title=title, description=description)
        metadata.setdefault("language", item.language)
        if described_version:
            metadata["described_version"] = described_version
        else:
            metadata.pop("described_version", None)
        stored = metadata.get("tracks") if isinstance(metadata.get("tracks"), dict) else {}
        for key, label in labels.items():
            srclang, _, kind = key.partition(".")
            if not label or label == track_label(srclang, kind):
                stored.pop(key, None)
            else:
                stored[key] = label
        metadata["tracks"] = stored
        write_metadata(storage, stem, metadata)
        old_posters = [poster_name(stem, ext) for ext in POSTER_EXTENSIONS]
        if poster is not None:
            target = poster_name(stem, poster_ext)
            poster.commit(target)
            old_posters.remove(target)
        if poster is not None or remove_poster:
            for old in old_posters:
                storage.delete(old)


def delete_item(storage: Storage, item: Item) -> list[str]:
    """Remove an item's media file, then every sidecar file of its stem.

    The media file goes first, so the item leaves the library at once even if
    removing a sidecar fails. Sidecars of an item whose stem is longer
    (``talk.en.mp4`` beside ``talk.mp4``) stay.

    :returns: the names removed.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item.file)
    with storage.lock(item.id):
        names = _names(storage)
        media = {n for n in names if is_media_name(n)} | {item.file}
        sidecars = group_sidecars(names, media)
        storage.delete(item.file)
        removed = [item.file]
        for name in sidecars.get(stem, []):
            storage.delete(name)
            removed.append(name)
        nested.remove(storage, item.id)  # its HLS renditions, if it has any
    return removed


def check_kind(kind: str) -> str | None:
    """A message if ``kind`` is not a track kind the library stores."""
    if kind in TRACK_KINDS:
        return None
    return f"Choose the kind of track: one of {', '.join(TRACK_KINDS)}."


def check_language(code: str) -> str | None:
    """A message if ``code`` is not a language tag like ``en`` or ``pt-BR``."""
    if is_language_tag(code):
        return None
    return "Enter a language code such as 'en', 'uk' or 'pt-BR'."
