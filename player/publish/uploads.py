"""Receiving uploads and changing the media folder without ever showing a
half-written file.

Request bodies are parsed as they arrive and each file part is written
straight to a temporary file in ``MEDIA_DIR/.uploads``, so memory stays flat
whatever the size and the final ``os.replace`` stays on one filesystem, where
it is atomic. The scanner skips dot-folders, so nothing there is ever in the
library.

Every temporary file is ``flock``-ed by the process writing it. The kernel
drops the lock when that process ends, however it ends, so
:func:`cleanup_stale` can remove exactly the files whose writer is gone,
even while other workers are mid-upload.

Changes to the folder (new items, tracks, metadata, deletions) happen under
one lock file, so two workers cannot pick the same id or interleave a
read-modify-write of an item's metadata. A new item's sidecar files are put
in place before its media file, and the media file last: an item appears
complete or not at all.

Nothing here knows about Flask.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from ..errors import PlayerError
from ..languages import is_language_tag, track_label
from ..library.probe import EXTENSIONS, ProbeError, ProbeResult, probe, sniff
from ..library.scan import POSTER_EXTENSIONS, TRACK_KINDS, slugify

UPLOAD_DIR = ".uploads"
_LOCK_NAME = ".lock"
_TEMP_PREFIX = "upload-"
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
_CAPTION_SOURCES = (".srt", ".sbv")


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
    status = 413
    code = "too_large"


class Unsupported(UploadError):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(UploadError):
    status = 422
    code = "unprocessable"


class NoSpace(UploadError):
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


# -- temporary files ----------------------------------------------------------------

def upload_dir(media_dir: str | os.PathLike) -> Path:
    path = Path(media_dir) / UPLOAD_DIR
    path.mkdir(exist_ok=True)
    return path


def cleanup_stale(media_dir: str | os.PathLike) -> list[str]:
    """Remove temporary files whose writer has gone (crashed, killed, disconnected).

    :returns: the names removed.
    """
    folder = Path(media_dir) / UPLOAD_DIR
    if not folder.is_dir():
        return []
    removed = []
    for entry in os.scandir(folder):
        if not entry.name.startswith(_TEMP_PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.name)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)
    return removed


class TempFile:
    """A locked temporary file in the upload folder, moved into place or discarded."""

    def __init__(self, folder: Path, field_name: str = "", filename: str = "") -> None:
        self.field = field_name
        self.filename = filename
        self.size = 0
        self.head = b""
        self.done = False
        while True:
            fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=folder)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # cleanup_stale may have taken the file between mkstemp and flock.
            if os.fstat(fd).st_nlink > 0:
                break
            os.close(fd)
        self.path = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        assert self._file is not None
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        self._file.write(data)
        self.size += len(data)

    def flushed(self) -> Path:
        """The file's path, with everything written so far readable there."""
        assert self._file is not None
        self._file.flush()
        return self.path

    def read_bytes(self) -> bytes:
        return self.flushed().read_bytes()

    def move_to(self, target: Path) -> None:
        """Flush to disk and rename onto ``target`` (replacing it atomically)."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        os.replace(self.path, target)
        self.path = target
        self.done = True
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        if not self.done:
            self.path.unlink(missing_ok=True)
            self.done = True
        self.close()


@dataclass
class ReceivedForm:
    """The text fields of a multipart body, and its files as :class:`TempFile`."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[TempFile]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def file(self, name: str) -> TempFile | None:
        files = self.files.get(name)
        return files[0] if files else None

    def discard(self) -> None:
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
    temp_dir: Path,
    limit: int,
    check_fields: Callable[[ReceivedForm], None] | None = None,
) -> ReceivedForm:
    """Parse a ``multipart/form-data`` body as it streams in.

    :param stream: the request body (already bounded by Content-Length or the
        server's chunked decoding).
    :param content_type: the request's Content-Type header.
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
                    current = TempFile(temp_dir, name, event.filename) if event.filename else None
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
        return probe(temp.flushed())
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
    """A caption file checked and converted to WebVTT, ready to store."""

    kind: str
    srclang: str
    label: str
    vtt: bytes
    cues: int
    problems: list[dict]


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
    data = temp.read_bytes()
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
                         len(report.cues), problems)


# -- changing the media folder -----------------------------------------------------------

@contextmanager
def folder_lock(media_dir: Path) -> Iterator[None]:
    """Hold the media folder's change lock (across processes)."""
    fd = os.open(upload_dir(media_dir) / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_file(media_dir: Path, target: Path, data: bytes) -> None:
    temp = TempFile(upload_dir(media_dir))
    try:
        temp.write(data)
        temp.move_to(target)
    finally:
        temp.discard()


def _names(media_dir: Path) -> list[str]:
    return [n for n in os.listdir(media_dir) if not n.startswith(".")]


def _id_taken(names: list[str], item_id: str) -> bool:
    for name in names:
        path = Path(name)
        if name.startswith(item_id + ".") or (
                path.suffix.lower() in EXTENSIONS and slugify(path.stem) == item_id):
            return True
    return False


def unique_id(media_dir: Path, wanted: str) -> str:
    """``wanted`` as a slug, or ``wanted-2``, ``wanted-3`` ... if it is taken.

    Call with :func:`folder_lock` held, and keep holding it until the file is in place.
    """
    base = slugify(wanted)
    names = _names(media_dir)
    candidate, number = base, 1
    while _id_taken(names, candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: 100 - len(suffix)].rstrip("-_") + suffix
    return candidate


def read_metadata(media_dir: Path, stem: str) -> dict:
    """The item's ``STEM.json``, or ``{}`` when it is missing or not an object."""
    try:
        data = json.loads((media_dir / f"{stem}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_metadata(media_dir: Path, stem: str, metadata: dict) -> None:
    text = json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"
    _write_file(media_dir, media_dir / f"{stem}.json", text.encode("utf-8"))


def _track_file(stem: str, srclang: str, kind: str) -> str:
    return f"{stem}.{srclang}.vtt" if kind == "captions" else f"{stem}.{srclang}.{kind}.vtt"


def _set_label(metadata: dict, track: PreparedTrack) -> None:
    labels = metadata.get("tracks") if isinstance(metadata.get("tracks"), dict) else {}
    key = f"{track.srclang}.{track.kind}"
    if track.label == track_label(track.srclang, track.kind):
        labels.pop(key, None)
    else:
        labels[key] = track.label
    metadata["tracks"] = labels


def add_media(
    media_dir: Path, media: TempFile, info: ProbeResult, *, title: str, description: str,
    language: str, poster: TempFile | None = None, captions: PreparedTrack | None = None,
) -> str:
    """Put a checked upload into the library under a new unique id.

    :returns: the new item's id.
    """
    client_name = Path(media.filename or "upload")
    extension = client_name.suffix.lower()
    if EXTENSIONS.get(extension) != info.container:
        extension = _DEFAULT_EXTENSION[(info.container, info.kind)]
    title = title or client_name.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    poster_ext = poster_extension(poster) if poster is not None else ""
    written: list[Path] = []
    with folder_lock(media_dir):
        item_id = unique_id(media_dir, title)
        try:
            metadata = {"title": title, "description": description, "language": language}
            if captions is not None:
                _set_label(metadata, captions)
                target = media_dir / _track_file(item_id, captions.srclang, captions.kind)
                written.append(target)
                _write_file(media_dir, target, captions.vtt)
            written.append(media_dir / f"{item_id}.json")
            _write_metadata(media_dir, item_id, metadata)
            if poster is not None:
                target = media_dir / f"{item_id}{poster_ext}"
                written.append(target)
                poster.move_to(target)
            media.move_to(media_dir / f"{item_id}{extension}")
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return item_id


def _caption_sources(target: Path) -> list[Path]:
    """SRT or SBV originals the scanner would convert to ``target`` again."""
    return [target.with_suffix(ext) for ext in _CAPTION_SOURCES]


def store_track(media_dir: Path, item: dict, track: PreparedTrack) -> bool:
    """Add a track to an item, or replace the one of the same language and kind.

    The new file replaces the old in one rename, so players see one or the other.

    :returns: whether an existing track was replaced.
    """
    stem = Path(item["file"]).stem
    existing = find_track(item, track.srclang, track.kind)
    target = media_dir / (existing["file"] if existing else
                          _track_file(stem, track.srclang, track.kind))
    with folder_lock(media_dir):
        _write_file(media_dir, target, track.vtt)
        for source in _caption_sources(target):
            source.unlink(missing_ok=True)
        metadata = read_metadata(media_dir, stem)
        _set_label(metadata, track)
        _write_metadata(media_dir, stem, metadata)
    return existing is not None


def find_track(item: dict, srclang: str, kind: str) -> dict | None:
    """The item's track (offered or rejected) for ``srclang`` and ``kind``."""
    for track in [*item["tracks"], *item.get("rejected_tracks", [])]:
        if track["srclang"] == srclang and track["kind"] == kind:
            return track
    return None


def delete_track(media_dir: Path, item: dict, track: dict) -> None:
    stem = Path(item["file"]).stem
    target = media_dir / track["file"]
    with folder_lock(media_dir):
        target.unlink(missing_ok=True)
        for source in _caption_sources(target):
            source.unlink(missing_ok=True)
        metadata = read_metadata(media_dir, stem)
        labels = metadata.get("tracks")
        if isinstance(labels, dict) and labels.pop(f"{track['srclang']}.{track['kind']}", None):
            _write_metadata(media_dir, stem, metadata)


def update_item(
    media_dir: Path, item: dict, *, title: str, description: str,
    labels: dict[str, str], poster: TempFile | None = None, remove_poster: bool = False,
    described_version: str | None = None,
) -> None:
    """Change an item's title, description, track labels and poster.

    :param labels: ``"en.captions"`` → label; an empty label restores the default.
    """
    stem = Path(item["file"]).stem
    poster_ext = poster_extension(poster) if poster is not None else ""
    with folder_lock(media_dir):
        metadata = read_metadata(media_dir, stem)
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
        _write_metadata(media_dir, stem, metadata)
        old_posters = [media_dir / f"{stem}{ext}" for ext in POSTER_EXTENSIONS]
        if poster is not None:
            target = media_dir / f"{stem}{poster_ext}"
            poster.move_to(target)
            old_posters.remove(target)
        if poster is not None or remove_poster:
            for old in old_posters:
                old.unlink(missing_ok=True)


def delete_item(media_dir: Path, item: dict) -> list[str]:
    """Remove an item's media file, then every sidecar file of its stem.

    The media file goes first, so the item leaves the library at once even if
    removing a sidecar fails.

    :returns: the names removed.
    """
    stem = Path(item["file"]).stem
    with folder_lock(media_dir):
        names = _names(media_dir)
        longer_stems = [
            Path(n).stem for n in names
            if Path(n).suffix.lower() in EXTENSIONS and Path(n).stem.startswith(stem + ".")
        ]
        (media_dir / item["file"]).unlink(missing_ok=True)
        removed = [item["file"]]
        for name in names:
            if name == item["file"] or not name.startswith(stem + "."):
                continue
            if any(name.startswith(other + ".") or name == other for other in longer_stems):
                continue
            if Path(name).suffix.lower() in EXTENSIONS:
                continue
            (media_dir / name).unlink(missing_ok=True)
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
