"""Receiving uploads and changing the library without ever showing a
half-written file.

Request bodies are parsed as they arrive and each file part is written
straight into the storage's staging area (see
:meth:`~player.library.storage.Storage.begin_upload`), so memory stays flat
whatever the size; a checked file becomes part of the library with one
atomic commit, and staged files whose writer has gone are removed at start.

Changes to an item (a new item, its tracks, metadata, deletion) happen under
the item's lock, so two workers cannot pick the same id or interleave a
read-modify-write of its metadata. A new item's sidecar files are put in
place before its media file, and the media file last: an item appears
complete or not at all.

Nothing here knows about Flask, or where the library's bytes live.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from ..errors import PlayerError
from ..languages import is_language_tag, track_label
from ..library import cues
from ..library import storage as library_storage
from ..library.probe import EXTENSIONS, ProbeError, ProbeResult, probe_file, sniff
from ..library.scan import slugify
from ..library.storage import (
    POSTER_EXTENSIONS,
    TRACK_KINDS,
    Entry,
    MetadataError,
    Storage,
    Upload,
    caption_sources,
    group_sidecars,
    is_media_name,
    metadata_name,
    poster_name,
    stem_of,
    track_name,
    write_metadata,
)

if TYPE_CHECKING:
    from ..captions import Report

_CHUNK = 256 * 1024
_HEAD = 512
#: Text fields and caption or poster files are read into memory, so they are capped.
MAX_FIELD_BYTES = 64 * 1024
MAX_SIDE_FILE_BYTES = 10 * 1024 * 1024
MAX_PARTS = 64
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_LABEL = 100
# RFC 2046 allows these characters, not ending with a space, and caps the
# length at 70; but real clients (Werkzeug's own
# test client among them) send longer ones; accept up to 200.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,./:=? -]{0,199}[0-9A-Za-z'()+_,./:=?-]")

_CONTAINER_NAMES = {"mp4": "MP4", "webm": "WebM", "matroska": "Matroska", "mp3": "MP3",
                    "ogg": "Ogg", "flac": "FLAC", "wav": "WAV"}
_DEFAULT_EXTENSION = {
    ("mp4", "video"): ".mp4", ("mp4", "audio"): ".m4a", ("matroska", "video"): ".mkv",
    ("matroska", "audio"): ".mka", ("webm", "video"): ".webm", ("webm", "audio"): ".webm",
    ("mp3", "audio"): ".mp3", ("ogg", "video"): ".ogg", ("ogg", "audio"): ".ogg",
    ("flac", "audio"): ".flac", ("wav", "audio"): ".wav",
}
_POSTER_TYPES = {".jpg": "JPEG", ".png": "PNG", ".webp": "WebP"}


# -- errors ---------------------------------------------------------------------

class UploadError(PlayerError):
    """An upload or change that is refused, with what a person needs to fix it.

    :param message: the whole reason, as a sentence.
    :param fields: form field name → message, for the fields at fault.
    :param details: extra machine-readable facts for the JSON error body.
    :param problems: caption problems (line, column, severity, code, message).
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None,
                 details: dict | None = None, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details or {}
        self.problems = problems or []


class TooLarge(UploadError):
    """The body, or a file in it, is over its limit."""

    status = 413
    code = "too_large"


class Unsupported(UploadError):
    """The file is not in a format the library accepts, or the body is not multipart."""

    status = 415
    code = "unsupported_media_type"


class Unprocessable(UploadError):
    """The file looks like an accepted format but cannot be read, or has errors."""

    status = 422
    code = "unprocessable"


class NoSpace(UploadError):
    """The storage has no room left for the upload."""

    status = 507
    code = "insufficient_storage"


class Disconnected(UploadError):
    """The client went away mid-upload; nobody is left to read a reply."""


def format_size(size: int) -> str:
    """A size for people, in binary units.

    >>> format_size(2 * 1024**3), format_size(1536), format_size(10)
    ('2 GiB', '1.5 KiB', '10 bytes')
    """
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{size} bytes"
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def too_large(limit: int, what: str = "The upload") -> TooLarge:
    """The :class:`TooLarge` error for ``what`` over ``limit`` bytes, to raise."""
    return TooLarge(
        f"{what} is too large: the limit is {format_size(limit)} ({limit:,} bytes).",
        fields={"file": f"{what} is too large: the limit is {format_size(limit)}."},
        details={"limit_bytes": limit},
    )


def accepted_formats() -> list[str]:
    """``["MP4 (.mp4, .m4a, .m4v)", ...]``: what the library plays, for messages."""
    by_container: dict[str, list[str]] = {}
    for extension, container in EXTENSIONS.items():
        by_container.setdefault(container, []).append(extension)
    return [f"{_CONTAINER_NAMES.get(c, c)} ({', '.join(exts)})" for c, exts in by_container.items()]


# -- files being received -----------------------------------------------------------

class TempFile:
    """One file part of a form, staged in the storage as it arrives; committed
    into the library or discarded.

    :param field_name: the form field it came in.
    :param filename: the name the client gave it, if any.
    """

    def __init__(self, storage: Storage, field_name: str = "", filename: str = "") -> None:
        self.field = field_name
        self.filename = filename
        self.size = 0
        #: The first bytes, for telling the format.
        self.head = b""
        self._upload: Upload = storage.begin_upload()

    @property
    def name(self) -> str:
        """The staged file's name, for messages."""
        return self._upload.name

    def write(self, data: bytes) -> None:
        """Append a chunk of the part.

        :raises OSError: when the storage refuses, e.g. when the disk is full.
        """
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        self._upload.write(data)
        self.size += len(data)

    def open(self) -> BinaryIO:
        """A seekable reader of what arrived so far; the caller closes it."""
        return self._upload.open()

    def read_all(self) -> bytes:
        """Everything that arrived."""
        return self._upload.read_all()

    def commit(self, key: str) -> Entry:
        """Make the file the library's object ``key``, replacing it atomically."""
        return self._upload.commit(key)

    def discard(self) -> None:
        """Drop the file unless committed; safe to call more than once."""
        self._upload.discard()


@dataclass
class ReceivedForm:
    """The text fields of a multipart body, and its files as :class:`TempFile`."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[TempFile]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The first value of the text field ``name``, or ``""``."""
        values = self.fields.get(name)
        return values[0] if values else ""

    def file(self, name: str) -> TempFile | None:
        """The first file of the field ``name``, or ``None``."""
        files = self.files.get(name)
        return files[0] if files else None

    def discard(self) -> None:
        """Discard every file not committed."""
        for files in self.files.values():
            for temp in files:
                temp.discard()

    def __enter__(self) -> ReceivedForm:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def receive_form(
    stream: BinaryIO,
    content_type: str,
    *,
    storage: Storage,
    limit: int,
    check_fields: Callable[[ReceivedForm], None] | None = None,
) -> ReceivedForm:
    """Parse a ``multipart/form-data`` body as it streams in.

    :param stream: the request body (already bounded by Content-Length or the
        server's chunked decoding).
    :param content_type: the request's Content-Type header.
    :param storage: the library, whose staging area receives the file parts.
    :param limit: the most bytes the body may have; reading stops past it,
        whether or not the client sent a Content-Length.
    :param check_fields: called once with the text fields, before the first
        file part is stored (or at the end if there is none), so a request can
        be refused before anything reaches the disk.
    :raises UploadError: :class:`TooLarge`, :class:`Disconnected`, or 400 for
        a body that is not well-formed multipart. No temporary file survives.
    """
    mimetype, options = parse_options_header(content_type)
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        raise Unsupported("Send the upload as multipart/form-data.",
                          details={"content_type": mimetype or None})
    if not _BOUNDARY_RE.fullmatch(options["boundary"]):
        raise UploadError("The multipart boundary in the Content-Type header is not valid.")
    decoder = MultipartDecoder(options["boundary"].encode("ascii"), max_parts=MAX_PARTS)
    form = ReceivedForm()
    checked = check_fields is None
    current: TempFile | bytearray | None = None
    name = ""
    received = 0
    try:
        while True:
            try:
                chunk = stream.read(_CHUNK)
            except RequestEntityTooLarge:
                raise too_large(limit) from None
            except (ClientDisconnected, OSError) as exc:
                raise Disconnected("The client disconnected before the upload finished.") from exc
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            decoder.receive_data(chunk or None)
            while True:
                try:
                    event = decoder.next_event()
                except (ValueError, RequestEntityTooLarge) as exc:
                    raise UploadError(f"The request body is not valid multipart/form-data"
                                      f" ({exc or 'too many parts'}).") from None
                if isinstance(event, NeedData | Epilogue):
                    break
                if isinstance(event, Field):
                    name, current = event.name, bytearray()
                elif isinstance(event, File):
                    if not checked:
                        check_fields(form)  # type: ignore[misc]
                        checked = True
                    name = event.name
                    current = TempFile(storage, name, event.filename) if event.filename else None
                    if current is not None:
                        form.files.setdefault(name, []).append(current)
                elif isinstance(event, Data):
                    if isinstance(current, bytearray):
                        current += event.data
                        if len(current) > MAX_FIELD_BYTES:
                            raise TooLarge(f"The form field '{name}' is longer than"
                                           f" {format_size(MAX_FIELD_BYTES)}.")
                        if not event.more_data:
                            form.fields.setdefault(name, []).append(_text(current, name))
                    elif current is not None:
                        _write_part(current, event.data)
            if not chunk:
                break
        if not checked:
            check_fields(form)  # type: ignore[misc]
        return form
    except BaseException:
        form.discard()
        raise


def _write_part(temp: TempFile, data: bytes) -> None:
    try:
        temp.write(data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise NoSpace("The server has no room left for this upload; nothing was saved."
                          " Tell the site's operator.") from exc
        raise


def _text(data: bytearray, name: str) -> str:
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise UploadError(f"The form field '{name}' is not UTF-8 text.") from None


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
    client_name = PurePosixPath(media.filename or "upload")
    extension = client_name.suffix.lower()
    if EXTENSIONS.get(extension) != info.container:
        extension = _DEFAULT_EXTENSION[(info.container, info.kind)]
    title = title or client_name.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
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


def store_track(storage: Storage, item: dict, track: PreparedTrack) -> bool:
    """Add a track to an item, or replace the one of the same language and kind.

    The new file replaces the old in one atomic write, so players see one or the other.

    :returns: whether an existing track was replaced.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    existing = find_track(item, track.srclang, track.kind)
    target = existing["file"] if existing else track_name(stem, track.srclang, track.kind)
    with storage.lock(item["id"]):
        _write_track(storage, target, track)
        for source in caption_sources(target):
            storage.delete(source)
        metadata = read_metadata(storage, stem)
        _set_label(metadata, track)
        write_metadata(storage, stem, metadata)
    return existing is not None


def find_track(item: dict, srclang: str, kind: str) -> dict | None:
    """The item's track (offered or rejected) for ``srclang`` and ``kind``."""
    for track in [*item["tracks"], *item.get("rejected_tracks", [])]:
        if track["srclang"] == srclang and track["kind"] == kind:
            return track
    return None


def delete_track(storage: Storage, item: dict, track: dict) -> None:
    """Remove a track's file (and the SRT or SBV it was made from) and its label.

    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    with storage.lock(item["id"]):
        storage.delete(track["file"])
        for source in caption_sources(track["file"]):
            storage.delete(source)
        metadata = read_metadata(storage, stem)
        labels = metadata.get("tracks")
        if isinstance(labels, dict) and labels.pop(f"{track['srclang']}.{track['kind']}", None):
            write_metadata(storage, stem, metadata)


def update_item(
    storage: Storage, item: dict, *, title: str, description: str,
    labels: dict[str, str], poster: TempFile | None = None, remove_poster: bool = False,
    described_version: str | None = None,
) -> None:
    """Change an item's title, description, track labels and poster.

    :param labels: ``"en.captions"`` → label; an empty label restores the default.
    :raises Unsupported: if ``poster`` is not a JPEG, PNG or WebP image.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    poster_ext = poster_extension(poster) if poster is not None else ""
    with storage.lock(item["id"]):
        metadata = read_metadata(storage, stem)
        metadata.update(title=title, description=description)
        metadata.setdefault("language", item["language"])
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


def delete_item(storage: Storage, item: dict) -> list[str]:
    """Remove an item's media file, then every sidecar file of its stem.

    The media file goes first, so the item leaves the library at once even if
    removing a sidecar fails. Sidecars of an item whose stem is longer
    (``talk.en.mp4`` beside ``talk.mp4``) stay.

    :returns: the names removed.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    with storage.lock(item["id"]):
        names = _names(storage)
        media = {n for n in names if is_media_name(n)} | {item["file"]}
        sidecars = group_sidecars(names, media)
        storage.delete(item["file"])
        removed = [item["file"]]
        for name in sidecars.get(stem, []):
            storage.delete(name)
            removed.append(name)
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
