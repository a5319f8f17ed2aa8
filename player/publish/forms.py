"""Receiving a publishing form: text fields, and file parts staged as they arrive.

Request bodies are parsed as they arrive and each file part is written
straight into the storage's staging area (see
:meth:`~player.library.storage.Storage.begin_upload`), so memory stays flat
whatever the size; a checked file becomes part of the library with one
atomic commit.

Nothing here knows about Flask, or where the library's bytes live.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from ..library.storage import Entry, Storage, Upload
from .errors import (
    Disconnected,
    NoSpace,
    TookTooLong,
    TooLarge,
    Unsupported,
    UploadError,
    format_size,
    too_large,
)

_CHUNK = 256 * 1024
_HEAD = 512
#: Text fields are read into memory, so they are capped.
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 64
# RFC 2046 allows these characters, not ending with a space, and caps the
# length at 70; but real clients (Werkzeug's own
# test client among them) send longer ones; accept up to 200.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,./:=? -]{0,199}[0-9A-Za-z'()+_,./:=?-]")
#: The form fields that carry files, on every publishing form and in the API.
FILE_FIELDS = frozenset({"file", "poster", "captions"})
# C0 and C1 control characters, DEL among them, but tab and line feed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ALL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def _took_too_long() -> TookTooLong:
    # Only the sweep removes a staged file its writer holds, once it has
    # been idle for longer than any upload takes.
    return TookTooLong("The upload took longer than any upload may, and its file was"
                       " removed; nothing was saved. Send it again.")


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
    if mimetype != "multipart/form-data":
        raise Unsupported("Send the upload as multipart/form-data.",
                          details={"content_type": mimetype or None})
    if not options.get("boundary"):
        raise UploadError("The Content-Type multipart/form-data needs its boundary parameter"
                          " (multipart/form-data; boundary=...).")
    if not _BOUNDARY_RE.fullmatch(options["boundary"]):
        raise UploadError("The multipart boundary in the Content-Type header is not valid.")
    decoder = MultipartDecoder(options["boundary"].encode("ascii"), max_parts=MAX_PARTS)
    form = ReceivedForm()
    checked = check_fields is None
    current: TempFile | bytearray | None = None
    name = ""
    received = 0
    parts = 0
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
                    raise UploadError(_malformed(exc, started=parts > 0)) from None
                if isinstance(event, NeedData | Epilogue):
                    break
                parts += isinstance(event, Field | File)
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


def _malformed(exc: Exception, *, started: bool) -> str:
    """Why a body is not multipart/form-data, in words a person can act on."""
    if isinstance(exc, RequestEntityTooLarge):
        reason = f"it has more than {MAX_PARTS} parts"
    elif not started:
        reason = "no part begins with the boundary its Content-Type names"
    else:
        reason = str(exc)
    return f"The request body is not valid multipart/form-data: {reason}."


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
