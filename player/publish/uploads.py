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
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
#: The form fields that carry files, on every publishing form and in the API.
FILE_FIELDS = frozenset({"file", "poster", "captions"})
# C0 and C1 control characters, DEL among them, but tab and line feed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ALL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


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


class TookTooLong(UploadError):
    """The upload was staged for longer than any upload takes, and dropped."""

    status = 408
    code = "request_timeout"


def _took_too_long() -> TookTooLong:
    # Only the sweep removes a staged file its writer holds, once it has
    # been idle for longer than any upload takes.
    return TookTooLong("The upload took longer than any upload may, and its file was"
                       " removed; nothing was saved. Send it again.")


class ItemGone(PlayerError, LookupError):
    """The item a change was meant for was deleted meanwhile; nothing was changed."""

    status = 404
    code = "not_found"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"There is no media item with the id '{item_id}'.")


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


# -- text fields ---------------------------------------------------------------------

def clean_text(value: str) -> str:
    """``value`` with line breaks as ``\\n`` and without control characters
    but tab and line feed: a NUL or an escape sequence never reaches a title,
    a file or a page.

    >>> clean_text("Title\\x00\\x1b[31m red\\r\\nnext\\rline\\x85")
    'Title[31m red\\nnext\\nline'
    """
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(value: str) -> str:
    """``value`` as one line: control characters dropped, tabs and line
    breaks made spaces, and the ends stripped.

    >>> one_line(" Two\\nlines\\tand a tab\\x00 ")
    'Two lines and a tab'
    """
    return re.sub("[\t\n]", " ", clean_text(value)).strip()


def clean_filename(name: str) -> str:
    """A client's file name without control characters.

    >>> clean_filename("talk\\x00.mp4\\n")
    'talk.mp4'
    """
    return _ALL_CONTROLS.sub("", name)


# -- files being received -----------------------------------------------------------

class TempFile:
    """One file part of a form, staged in the storage as it arrives; committed
    into the library or discarded.

    :param field_name: the form field it came in.
    :param filename: the name the client gave it, if any.
    """

    def __init__(self, storage: Storage, field_name: str = "", filename: str = "",
                 upload: Upload | None = None) -> None:
        self.field = field_name
        self.filename = clean_filename(filename)
        self._upload: Upload = upload if upload is not None else storage.begin_upload()
        #: Whether it was committed, kept or discarded: nothing more can be done with it.
        self.finished = False
        self.size = self._upload.size
        #: The first bytes, for telling the format.
        self.head = b""
        if self.size:
            with self._upload.open() as reader:
                self.head = reader.read(_HEAD)

    @classmethod
    def take(cls, storage: Storage, name: str, field_name: str = "",
             filename: str = "") -> TempFile:
        """The kept upload ``name`` (see :meth:`keep`), taken back.

        :raises FileNotFoundError: if it is not kept (any more).
        """
        return cls(storage, field_name, filename, storage.take_upload(name))

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
        """A seekable reader of what arrived so far; the caller closes it.

        :raises TookTooLong: if the staged file was dropped for its age.
        """
        try:
            return self._upload.open()
        except FileNotFoundError:
            raise _took_too_long() from None

    def read_all(self) -> bytes:
        """Everything that arrived.

        :raises TookTooLong: if the staged file was dropped for its age.
        """
        with self.open() as reader:
            return reader.read()

    def commit(self, key: str) -> Entry:
        """Make the file the library's object ``key``, replacing it atomically.

        :raises TookTooLong: if the staged file was dropped for its age.
        """
        try:
            entry = self._upload.commit(key)
        except FileNotFoundError:
            raise _took_too_long() from None
        self.finished = True
        return entry

    def keep(self, name: str) -> None:
        """Keep the file after this request as the kept upload ``name``.

        :raises NotImplementedError: if the storage cannot keep uploads.
        """
        self._upload.keep(name)
        self.finished = True

    def discard(self) -> None:
        """Drop the file unless committed or kept; safe to call more than once."""
        self._upload.discard()
        self.finished = True


@dataclass
class ReceivedForm:
    """The text fields of a multipart body, and its files as :class:`TempFile`."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[TempFile]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The first value of the text field ``name``, or ``""``."""
        values = self.fields.get(name)
        return values[0] if values else ""

    def line(self, name: str) -> str:
        """The first value of the one-line text field ``name`` (see :func:`one_line`)."""
        return one_line(self.value(name))

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
    file_fields: Collection[str] = FILE_FIELDS,
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
    :param file_fields: fields whose parts are files even without a file
        name (some clients send none); an empty one counts as no file, as a
        browser's empty file input does. Text fields lose their control
        characters but tab and line feed (see :func:`clean_text`).
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
                if isinstance(event, Field) and event.name not in file_fields:
                    name, current = event.name, bytearray()
                elif isinstance(event, Field | File):
                    if not checked:
                        check_fields(form)  # type: ignore[misc]
                        checked = True
                    name = event.name
                    if isinstance(event, Field) or event.filename:
                        current = TempFile(storage, name, getattr(event, "filename", ""))
                        form.files.setdefault(name, []).append(current)
                    else:
                        current = None  # a file input left empty
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
        _drop_empty_nameless(form)
        return form
    except BaseException:
        form.discard()
        raise


def _drop_empty_nameless(form: ReceivedForm) -> None:
    for name, files in list(form.files.items()):
        for temp in [t for t in files if not t.filename and not t.size]:
            temp.discard()
            files.remove(temp)
        if not files:
            del form.files[name]


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
        return clean_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        message = (f"The form field '{name}' is not UTF-8 text. Send text in UTF-8; a file"
                   f" goes in a file part, with a file name (as curl -F '{name}=@FILE' does).")
        raise UploadError(message, fields={name: message}) from None


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
def _changing(storage: Storage, item: dict) -> Iterator[None]:
    """Hold the item's lock, as deletion does, and check there that the
    item is still there: a change never brings back files of a deleted item.

    :raises ItemGone: if its media file is gone.
    """
    with storage.lock(item["id"]):
        if not storage.exists(item["file"]):
            raise ItemGone(item["id"])
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
        if parsed and parsed.kind == kind and parsed.srclang.lower() == srclang.lower():
            return name, parsed.srclang
    return None


def store_track(storage: Storage, item: dict, track: PreparedTrack) -> StoredTrack:
    """Add a track to an item, or replace the one of the same language and kind.

    Whether one is replaced is decided under the item's lock, from the
    library as it is then, so of uploads of one track at once exactly one
    adds it and the others replace it. The new file replaces the old in one
    atomic write, so players see one or the other.

    :raises ItemGone: if the item was deleted meanwhile; nothing is written.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    with _changing(storage, item):
        metadata = read_metadata(storage, stem)
        language = metadata.get("language")
        existing = _track_file(storage, stem, language if isinstance(language, str)
                               else item["language"], track.srclang, track.kind)
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


def find_track(item: dict, srclang: str, kind: str) -> dict | None:
    """The item's track (offered or rejected) for ``srclang`` and ``kind``."""
    for track in [*item["tracks"], *item.get("rejected_tracks", [])]:
        if track["srclang"] == srclang and track["kind"] == kind:
            return track
    return None


def delete_track(storage: Storage, item: dict, track: dict) -> None:
    """Remove a track's file (and the SRT or SBV it was made from) and its label.

    :raises ItemGone: if the item was deleted meanwhile.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    with _changing(storage, item):
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
    :raises ItemGone: if the item was deleted meanwhile; nothing is written.
    :raises OSError: if the storage refuses.
    """
    stem = stem_of(item["file"])
    poster_ext = poster_extension(poster) if poster is not None else ""
    with _changing(storage, item):
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
