"""The storage seam: the only code that reads, writes, lists, locks or
deletes the library's bytes (media, sidecar, poster and upload files).

Everything else names stored objects by *key*, a plain name such as
``welcome.en.vtt``: never a path, since the bytes may live in a folder
(:class:`LocalStorage`, the media folder) or in an object store. A second
implementation keeps the same promises:

- listing gives each object's name, size, modification time and an entity
  tag that changes whenever the bytes do;
- a write is atomic: readers see the old bytes or the new, never a mix; it
  takes bytes, an iterable of chunks or a readable file, so big uploads
  can be sent in parts;
- uploads arrive in a staging area that is never part of the library and
  become an object with one :meth:`Upload.commit`;
- :meth:`Storage.lock` serialises changes to one item across processes;
- media reaches viewers without passing through Python where the storage
  allows it: :meth:`Storage.local_path` for ``sendfile``, or
  :meth:`Storage.url_for_client` for a signed URL the client fetches itself.

The naming rule of the library (which names are media, which are the
sidecars of which item, and what a sidecar's name says) is here too, next
to the metadata file of an item (``STEM.json``), so that the scan and the
publishing code read and build names the same way.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import PlayerError
from ..languages import is_language_tag
from .track_sources import source_suffix, split_source

#: Media file extensions, mapped to the container they usually hold. Only
#: used to pick media out of the listing: probing itself ignores names.
EXTENSIONS: dict[str, str] = {
    ".mp4": "mp4",
    ".m4a": "mp4",
    ".m4v": "mp4",
    ".webm": "webm",
    ".mkv": "matroska",
    ".mka": "matroska",
    ".mp3": "mp3",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
    ".flac": "flac",
    ".wav": "wav",
}
TRACK_KINDS = ("captions", "subtitles", "descriptions", "chapters")
POSTER_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
#: Caption formats the scan converts to a WebVTT sidecar beside the original.
CAPTION_SOURCE_EXTENSIONS = (".srt", ".sbv")
#: Where an app keeps its storage, in ``app.extensions``.
APP_KEY = "player.storage"

_CHUNK = 256 * 1024


class StorageError(PlayerError):
    """A problem with the storage itself, not with one object's bytes."""


class InvalidKey(StorageError, ValueError):
    """A key that is not a plain name (empty, with a slash, or hidden)."""


class MetadataError(PlayerError, ValueError):
    """An item's ``STEM.json`` that is not a UTF-8 JSON object; the message says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored object as a listing describes it.

    :param mtime: modification time in seconds, as ``os.stat`` gives it.
    :param etag: changes whenever the bytes do; only compared for equality.
    """

    name: str
    size: int
    mtime: float
    mtime_ns: int
    etag: str


def check_key(key: str) -> str:
    """Return ``key`` if it is a plain object name.

    >>> check_key("welcome.en.vtt")
    'welcome.en.vtt'

    :raises InvalidKey: for an empty name, a name with a slash or a NUL
        character, or a hidden name (starting with a dot), which is never
        part of the library.
    """
    if not key or key.startswith(".") or "/" in key or "\0" in key:
        raise InvalidKey(f"{key!r} is not the name of an object in the library.")
    return key


class Upload(ABC):
    """Bytes arriving into the staging area, not yet part of the library."""

    #: Bytes written so far.
    size: int = 0
    #: The staged file's name, for messages.
    name: str = ""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Append ``data``.

        :raises OSError: when the storage refuses, e.g. ``ENOSPC`` when full.
        """

    @abstractmethod
    def open(self) -> BinaryIO:
        """A seekable reader of everything written so far; the caller closes it."""

    def read_all(self) -> bytes:
        """Everything written so far."""
        with self.open() as reader:
            return reader.read()

    @abstractmethod
    def commit(self, key: str) -> Entry:
        """Make the bytes the object ``key``, replacing it atomically.

        :raises InvalidKey: if ``key`` is not a plain name.
        """

    @abstractmethod
    def discard(self) -> None:
        """Drop the bytes unless committed; safe to call more than once."""

    def keep(self, name: str) -> None:
        """Keep the bytes after this request as the *kept upload* ``name``,
        replacing any kept upload of that name; this object is then finished.

        A kept upload is still outside the library: :meth:`Storage.take_upload`
        gives it back (to commit, discard or keep again), and
        :meth:`Storage.cleanup_uploads` drops it once it has been kept too long.

        :raises InvalidKey: if ``name`` is not a plain name.
        :raises NotImplementedError: if the storage cannot keep uploads.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot keep uploads")


class Storage(ABC):
    """Where the library's bytes live, addressed by plain names (keys)."""

    @abstractmethod
    def list(self) -> list[Entry]:
        """Every visible object, by name: hidden names (a leading dot) are left out.

        :raises FileNotFoundError: if the storage itself does not exist.
        """

    @abstractmethod
    def stat(self, key: str) -> Entry:
        """The entry of one object.

        :raises FileNotFoundError: if there is no such object.
        """

    def exists(self, key: str) -> bool:
        """Whether the object ``key`` exists."""
        try:
            self.stat(key)
        except FileNotFoundError:
            return False
        return True

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A seekable binary reader of one object; the caller closes it.

        :raises FileNotFoundError: if there is no such object.
        """

    def read_bytes(self, key: str) -> bytes:
        """The whole object.

        :raises FileNotFoundError: if there is no such object.
        """
        with self.open(key) as reader:
            return reader.read()

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """At most ``length`` bytes from ``start`` (fewer at the end of the object).

        :raises FileNotFoundError: if there is no such object.
        """
        with self.open(key) as reader:
            reader.seek(start)
            return reader.read(length)

    @abstractmethod
    def begin_upload(self) -> Upload:
        """A new staging area for bytes to come, for :meth:`Upload.commit`.

        :raises OSError: if the staging area cannot be made.
        """

    def write(self, key: str, data: bytes | Iterable[bytes] | BinaryIO) -> Entry:
        """Store ``data`` as ``key`` atomically, replacing any object there.

        :param data: bytes, an iterable of byte chunks, or a readable binary
            file, which is read in chunks.
        :raises OSError: if the storage refuses; the old object then stays.
        """
        check_key(key)
        upload = self.begin_upload()
        try:
            for chunk in _chunks(data):
                upload.write(chunk)
            return upload.commit(key)
        finally:
            upload.discard()

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove an object; returns whether there was one."""

    @abstractmethod
    def lock(self, item_id: str) -> AbstractContextManager[None]:
        """A context manager holding the change lock of one item, across processes.

        Every change to an item's objects (adding, replacing, deleting, or
        choosing a new item's id) happens under its lock, so two workers
        cannot interleave a read-modify-write of its metadata.
        """

    @abstractmethod
    def cleanup_uploads(self, *, stale_after: float | None = None,
                        keep_for: float | None = None) -> list[str]:
        """Remove staged uploads whose writer has gone; returns their names.

        :param stale_after: also remove staged uploads not written to for
            this many seconds, whoever holds them: longer than any upload can
            take, so their writer is stuck or gone.
        :param keep_for: also remove kept uploads (:meth:`Upload.keep`) kept
            longer ago than this many seconds and not taken back since;
            ``None`` keeps them all.
        """

    def take_upload(self, name: str) -> Upload:
        """Take back the kept upload ``name`` (see :meth:`Upload.keep`), to
        commit, discard or keep again. While one caller has it, another
        waits, then finds it gone if the first committed or discarded it.

        :raises FileNotFoundError: if there is no kept upload of that name
            (never kept, taken and finished, or dropped for its age).
        :raises InvalidKey: if ``name`` is not a plain name.
        :raises NotImplementedError: if the storage cannot keep uploads.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot keep uploads")

    def local_path(self, key: str) -> str | None:
        """A path the server can send with ``sendfile``, or ``None`` when the
        bytes are not on a local disk (then see :meth:`url_for_client`)."""
        return None

    def url_for_client(self, key: str, expires: int = 3600) -> str | None:
        """A URL a client may fetch the object from itself for ``expires``
        seconds (a presigned URL), or ``None`` if the storage has none."""
        return None

    @abstractmethod
    def location(self, key: str = "") -> str:
        """Where ``key`` (by default the storage itself) is, for messages and
        cache keys: a path, or a URL such as ``s3://bucket/prefix/key``."""


def _chunks(data: bytes | Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
    elif hasattr(data, "read"):
        while chunk := data.read(_CHUNK):  # type: ignore[union-attr]
            yield chunk
    else:
        yield from data  # type: ignore[misc]


# -- the media folder ---------------------------------------------------------------------

_STAGING = ".uploads"
_UPLOAD_PREFIX = "upload-"
_LOCK_PREFIX = "lock-"
_KEPT_PREFIX = "kept-"


class LocalStorage(Storage):
    """The media folder: objects are the files directly inside ``root``.

    Uploads are staged in ``root/.uploads`` (hidden, so never listed), on
    the same filesystem, so moving one into place is an atomic rename. Each
    staged file is ``flock``-ed by the process writing it; the kernel drops
    the lock when that process ends, however it ends, so
    :meth:`cleanup_uploads` removes exactly the files whose writer is gone.
    Kept uploads are ``kept-NAME`` files there, locked only while taken.

    Files are created with mode ``0666`` less the process's umask (and the
    folder's default ACL, if it has one), as any program's new files are, so
    an uploaded file is readable by whoever may read the operator's own.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        # A string: joining it with a name costs less than a Path would, and
        # local_path runs for every media request.
        self._prefix = os.path.join(str(self.root), "")

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _staging(self) -> Path:
        folder = self.root / _STAGING
        folder.mkdir(exist_ok=True)
        return folder

    def list(self) -> list[Entry]:
        """The regular files directly in the folder (symbolic links followed),
        by name; hidden names and folders are left out.

        :raises FileNotFoundError: if the folder does not exist.
        """
        entries = []
        with os.scandir(self.root) as listing:
            for item in listing:
                if item.name.startswith("."):
                    continue
                try:
                    if not item.is_file():
                        continue
                    entries.append(_entry(item.name, item.stat()))
                except FileNotFoundError:
                    continue  # removed while the folder was being read
        entries.sort(key=lambda e: e.name)
        return entries

    def stat(self, key: str) -> Entry:
        """The entry of one file.

        :raises FileNotFoundError: if there is no such file, or it is not a regular file.
        """
        path = self._path(key)
        st = os.stat(path)
        if not _is_regular(st):
            raise FileNotFoundError(errno.ENOENT, "not a file", path)
        return _entry(key, st)

    def open(self, key: str) -> BinaryIO:
        """The file, open for reading in binary.

        :raises FileNotFoundError: if there is no such file.
        """
        return open(self._path(key), "rb")

    def begin_upload(self) -> Upload:
        """A new locked temporary file in ``.uploads``, made if need be."""
        return _LocalUpload(self, self._staging())

    def delete(self, key: str) -> bool:
        """Unlink the file; returns whether there was one."""
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            return False
        return True

    @contextmanager
    def lock(self, item_id: str) -> Iterator[None]:
        """Hold the item's lock file in ``.uploads`` with ``flock`` (across
        threads and processes), and remove the file on release."""
        # One lock file per item, removed on release by its holder. A waiter
        # may wake up holding the lock of a file already removed, so it
        # checks that the name still leads to the file it locked.
        path = self._staging() / (_LOCK_PREFIX + check_key(item_id))
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)
        try:
            yield
        finally:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)

    def take_upload(self, name: str) -> Upload:
        """The kept file ``.uploads/kept-NAME``, locked for this caller.

        :raises FileNotFoundError: if there is none.
        """
        return _LocalUpload(self, self._staging(), kept=check_key(name))

    def cleanup_uploads(self, *, stale_after: float | None = None,
                        keep_for: float | None = None) -> list[str]:
        """Remove the staged files and lock files no process holds a lock on,
        staged files older than ``stale_after`` and kept ones older than
        ``keep_for`` (by modification time); returns the names of the staged
        and kept files removed."""
        folder = self.root / _STAGING
        if not folder.is_dir():
            return []
        removed = []
        now = time.time()
        for entry in os.scandir(folder):
            if not entry.name.startswith((_UPLOAD_PREFIX, _LOCK_PREFIX, _KEPT_PREFIX)):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue
            if entry.name.startswith(_KEPT_PREFIX):
                # A kept file's lock means someone has taken it just now.
                if keep_for is not None and age > keep_for and _remove_unless_locked(entry.path):
                    removed.append(entry.name)
            elif entry.name.startswith(_LOCK_PREFIX):
                _remove_unless_locked(entry.path)
            elif _remove_unless_locked(entry.path):
                removed.append(entry.name)
            elif stale_after is not None and age > stale_after and _unlink(entry.path):
                # Its writer still holds it, but has not written for longer
                # than any upload takes: stuck on a client that stopped sending.
                removed.append(entry.name)
        return removed

    def local_path(self, key: str) -> str:
        """The file's path, for ``sendfile``.

        :raises InvalidKey: if ``key`` is not a plain name.
        """
        return self._path(key)

    def location(self, key: str = "") -> str:
        """The file's path (the folder's for an empty key), as a string."""
        return str(self.root / check_key(key)) if key else str(self.root)


def _is_regular(st: os.stat_result) -> bool:
    return (st.st_mode & 0o170000) == 0o100000


def _entry(name: str, st: os.stat_result) -> Entry:
    # Size, nanosecond mtime and inode change when a file is rewritten or
    # replaced, and are the same in every worker process.
    return Entry(name, st.st_size, st.st_mtime, st.st_mtime_ns,
                 f"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}")


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _remove_unless_locked(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)


class _LocalUpload(Upload):
    """A locked file in the staging folder: a new temporary file, or a kept
    one taken back (``kept``)."""

    def __init__(self, storage: LocalStorage, folder: Path, kept: str | None = None) -> None:
        self._storage = storage
        self._folder = folder
        self._done = False
        if kept is None:
            fd, path = _new_staged_file(folder)
        else:
            fd, path = _take_kept_file(folder / (_KEPT_PREFIX + kept))
        self.name = os.path.basename(path)
        self._path = path
        self.size = os.fstat(fd).st_size
        self._file: BinaryIO | None = os.fdopen(fd, "r+b")
        self._file.seek(0, os.SEEK_END)

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ValueError("write to a finished upload")
        self._file.write(data)
        self.size += len(data)

    def open(self) -> BinaryIO:
        if self._file is not None:
            self._file.flush()
        return open(self._path, "rb")

    def commit(self, key: str) -> Entry:
        target = self._storage._path(key)
        if self._file is None:
            raise ValueError("commit of a finished upload")
        self._file.flush()
        os.fsync(self._file.fileno())
        # Taken before the rename, which keeps inode and times: after it,
        # another writer's file might already be there.
        st = os.fstat(self._file.fileno())
        os.replace(self._path, target)
        self._done = True
        self._close()
        return _entry(key, st)

    def keep(self, name: str) -> None:
        if self._file is None:
            raise ValueError("keep of a finished upload")
        target = str(self._folder / (_KEPT_PREFIX + check_key(name)))
        self._file.flush()
        os.fsync(self._file.fileno())
        if target != self._path:
            os.replace(self._path, target)
            self._path = target
        # Its age, which the clean-up goes by, counts from now; the lock is
        # held until the time is set, so the clean-up never sees it old.
        os.utime(self._file.fileno())
        self._done = True
        self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        if not self._done:
            # Only while the name still leads to this file: once dropped by
            # the clean-up, the name may already be another upload's.
            if self._file is not None and _same_file(self._path, self._file.fileno()):
                _unlink(self._path)
            self._done = True
        self._close()


def _new_staged_file(folder: Path) -> tuple[int, str]:
    """A new, empty, locked file in ``folder``: its descriptor and path."""
    while True:
        path = os.path.join(folder, f"{_UPLOAD_PREFIX}{secrets.token_hex(8)}.part")
        try:
            # Mode 0666: the kernel takes the umask (or the folder's default
            # ACL) off it, as for any new file. tempfile's 0600 would make
            # the library's files unreadable to everyone but this user.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        # cleanup_uploads may have taken the file between open and flock.
        if _same_file(path, fd):
            return fd, path
        os.close(fd)


def _take_kept_file(path: Path) -> tuple[int, str]:
    """The kept file at ``path``, locked: its descriptor and path.

    :raises FileNotFoundError: if there is none, or it went while this waited.
    """
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Whoever held it before may have committed, discarded or replaced it.
        if not _same_file(str(path), fd):
            raise FileNotFoundError(errno.ENOENT, "the kept upload is gone", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd, str(path)


def _same_file(path: str, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


# -- the app's storage --------------------------------------------------------------------

def as_storage(value: Storage | str | os.PathLike) -> Storage:
    """``value`` if it is a :class:`Storage`, else the folder it names.

    >>> as_storage("media")
    LocalStorage('media')
    """
    return value if isinstance(value, Storage) else LocalStorage(value)


# -- the naming rule ----------------------------------------------------------------------

@dataclass(frozen=True)
class TrackName:
    """What a track sidecar's name says: ``welcome.uk.subtitles.vtt``."""

    srclang: str
    kind: str
    source: str = "author"


def stem_of(name: str) -> str:
    """The name without its last extension: an item's stem for its media file.

    >>> stem_of("welcome.mp4"), stem_of("talk.en.vtt")
    ('welcome', 'talk.en')
    """
    return PurePosixPath(name).stem


def extension_of(name: str) -> str:
    """The last extension, lower case: ``".vtt"``."""
    return PurePosixPath(name).suffix.lower()


def is_media_name(name: str) -> bool:
    """Whether ``name`` has a media file's extension."""
    return extension_of(name) in EXTENSIONS


def metadata_name(stem: str) -> str:
    """The item's metadata file: ``STEM.json``."""
    return f"{stem}.json"


def poster_name(stem: str, extension: str) -> str:
    """The item's poster: ``STEM.jpg`` (or ``.png``, ``.webp``)."""
    return f"{stem}{extension}"


def track_name(stem: str, srclang: str, kind: str, source: str = "author") -> str:
    """A track's name: ``STEM.LANG.vtt`` for captions, else ``STEM.LANG.KIND.vtt``;
    a draft's (see :mod:`.sources`) is ``STEM.LANG.KIND.SOURCE.vtt``, beside the author's.

    >>> track_name("talk", "uk", "subtitles"), track_name("talk", "en", "captions")
    ('talk.uk.subtitles.vtt', 'talk.en.vtt')
    """
    if source != "author":
        return f"{stem}.{srclang}.{kind}{source_suffix(source)}.vtt"
    return f"{stem}.{srclang}.vtt" if kind == "captions" else f"{stem}.{srclang}.{kind}.vtt"


def converted_name(source: str) -> str:
    """The WebVTT sidecar the scan makes of an SRT or SBV one: ``talk.en.srt`` → ``talk.en.vtt``."""
    return f"{stem_of(source)}.vtt"


def caption_sources(track: str) -> list[str]:
    """The SRT or SBV originals the scan would convert to the track ``track`` again."""
    return [f"{stem_of(track)}{extension}" for extension in CAPTION_SOURCE_EXTENSIONS]


def is_poster(stem: str, name: str) -> bool:
    """Whether ``name`` is the poster of the item ``stem``: ``STEM.jpg``,
    ``.jpeg``, ``.png`` or ``.webp``, in lower case.

    >>> is_poster("talk", "talk.png"), is_poster("talk", "talk.en.png")
    (True, False)
    """
    extension = extension_of(name)
    return extension in POSTER_EXTENSIONS and name == poster_name(stem, extension)


def parse_track_name(stem: str, name: str, default_lang: str) -> TrackName | None:
    """The language and kind the WebVTT sidecar ``name`` of the item ``stem``
    gives, or ``None`` when the name breaks the rule.

    The part between stem and extension is ``LANG``, ``LANG.KIND``, ``KIND``
    or nothing (or a draft's ``LANG.KIND.SOURCE``); the language defaults to
    the item's, the kind to captions.

    >>> parse_track_name("talk", "talk.uk.subtitles.vtt", "en")
    TrackName(srclang='uk', kind='subtitles', source='author')
    >>> parse_track_name("talk", "talk.chapters.vtt", "en").kind
    'chapters'
    >>> parse_track_name("talk", "talk.en.captions.automatic.vtt", "en").source
    'automatic'
    >>> parse_track_name("talk", "talk.en.final.draft.vtt", "en") is None
    True
    """
    rest = name[len(stem) + 1: -len(extension_of(name)) or None]
    parts, source = split_source([p for p in rest.split(".") if p])
    lang, kind = default_lang, "captions"
    if len(parts) == 1:
        if parts[0] in TRACK_KINDS:
            kind = parts[0]
        else:
            lang = parts[0]
    elif len(parts) == 2:
        lang, kind = parts
    elif parts:
        return None
    if kind not in TRACK_KINDS or not is_language_tag(lang):
        return None
    return TrackName(lang, kind, source)


def group_sidecars(names: Iterable[str], media_names: Iterable[str]) -> dict[str, list[str]]:
    """Each media stem's sidecar names: the other names that start with
    ``STEM.``, each given to the longest such stem (``talk.en.mp4`` keeps
    ``talk.en.fr.vtt`` from ``talk.mp4``).

    >>> group_sidecars(["a.mp4", "a.en.vtt", "a.b.mp4", "a.b.json"], ["a.mp4", "a.b.mp4"])
    {'a': ['a.en.vtt'], 'a.b': ['a.b.json']}
    """
    media = set(media_names)
    stems = sorted({stem_of(n) for n in media}, key=len, reverse=True)
    sidecars: dict[str, list[str]] = {}
    for name in names:
        if name in media:
            continue
        for stem in stems:
            if name.startswith(stem + "."):
                sidecars.setdefault(stem, []).append(name)
                break
    return sidecars


# -- an item's metadata -------------------------------------------------------------------

def read_metadata(storage: Storage, stem: str) -> dict:
    """The item's ``STEM.json`` (title, description, language, track
    labels), or ``{}`` when it has none.

    :raises MetadataError: if the file is not UTF-8 JSON holding an object.
    """
    try:
        data = json.loads(storage.read_bytes(metadata_name(stem)).decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MetadataError("expected a JSON object")
    return data


def write_metadata(storage: Storage, stem: str, metadata: dict) -> Entry:
    """Replace the item's ``STEM.json`` atomically.

    :raises OSError: if the storage refuses; the old file then stays.
    """
    text = json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"
    return storage.write(metadata_name(stem), text.encode("utf-8"))
