"""Media bytes over HTTP with the conditional and range semantics of RFC 9110.

Werkzeug's ``send_file(conditional=True)`` answers several cases differently
from RFC 9110 (suffix ranges longer than the file, several ranges, unknown
range units, ``If-None-Match`` together with ``Range``, weak ``If-Range``
validators), so media goes through :func:`send_media` instead. Its field
parsers are lenient too (an unquoted entity tag matches, a list of dates
reads as its first date), so the precondition fields are read here by
their RFC 9110 grammar.

Bodies are never read whole into memory: a whole file or a single range is
handed to the WSGI server's file wrapper, which lets gunicorn use
``sendfile``; a ``multipart/byteranges`` body is produced in bounded chunks.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date
from werkzeug.wsgi import wrap_file

from ..errors import PlayerError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: Media files may be replaced by a publisher, so caches keep them for an
#: hour and then revalidate with the strong ETag, which costs a 304 only.
DEFAULT_CACHE_CONTROL = "public, max-age=3600"

#: Bytes read per step when the body is produced by Python rather than by
#: ``sendfile``; bounds the memory one response can hold.
CHUNK_SIZE = 256 * 1024

#: A Range header asking for more parts than this is ignored (RFC 9110
#: §14.2 allows it: many small ranges indicate a broken client or an attack).
MAX_RANGES = 64

_BYTE_RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)", re.ASCII)
# Beyond this many digits a position is larger than any file; capping it
# avoids converting an arbitrarily long digit string to int.
_MAX_POSITION_DIGITS = 18
_OWS = " \t"

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, where etagc
# is any visible character but DQUOTE, or obs-text (latin-1 in WSGI).
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
# One element of a #entity-tag list (RFC 9110 §5.6.1): empty elements and
# whitespace around the commas are allowed.
_TAG_LIST_ELEMENT = re.compile(rf"[ \t]*(?:{_ENTITY_TAG.pattern})?[ \t]*(?:,|\Z)")

# The three HTTP-date forms of RFC 9110 §5.6.7, which is case-sensitive.
_MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = "([0-9]{2}):([0-9]{2}):([0-9]{2})"
_IMF_FIXDATE = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME} GMT")
_RFC850_DATE = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
    rf"([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME} GMT")
_ASCTIME_DATE = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MONTH} ([0-9]{{2}}| [0-9]) {_TIME} ([0-9]{{4}})")
_MONTHS = {name: number for number, name in enumerate(_MONTH[1:-1].split("|"), start=1)}


class MediaChangedError(PlayerError, OSError):
    """The file changed size while a response was being produced from it."""


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """One ``range-spec`` of a ``bytes`` Range header, not yet resolved
    against a length.

    ``first`` is ``None`` for a suffix range, whose length is then ``last``.
    """

    first: int | None
    last: int | None


@dataclass(frozen=True, slots=True)
class ByteRange:
    """A satisfiable range of a representation, ``end`` inclusive."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes the range holds (both ends are included)."""
        return self.end - self.start + 1

    def content_range(self, complete_length: int) -> str:
        """The ``Content-Range`` value for this range of a representation
        ``complete_length`` bytes long (RFC 9110, section 14.4)."""
        return f"bytes {self.start}-{self.end}/{complete_length}"


def parse_range_header(value: str) -> list[RangeSpec] | None:
    """Parse a Range field value by the ABNF of RFC 9110 §14.1.1.

    Returns ``None`` when the header must be ignored: a range unit other than
    ``bytes`` (compared case-insensitively), or invalid syntax. Whitespace is
    accepted only around the commas of the list, and empty list elements are
    skipped as RFC 9110 §5.6.1 asks of recipients.

    >>> parse_range_header("bytes=0-1")
    [RangeSpec(first=0, last=1)]
    >>> parse_range_header("Bytes=-500 , 9500-")
    [RangeSpec(first=None, last=500), RangeSpec(first=9500, last=None)]
    >>> parse_range_header("items=0-1") is None
    True
    """
    unit, equals, range_set = value.strip(_OWS).partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    elements = range_set.split(",")
    specs: list[RangeSpec] = []
    for index, element in enumerate(elements):
        if index > 0:
            element = element.lstrip(_OWS)
        if index < len(elements) - 1:
            element = element.rstrip(_OWS)
        if not element:
            continue
        match = _BYTE_RANGE_SPEC.fullmatch(element)
        if match is None:
            return None
        first, last, suffix = match.groups()
        if suffix is not None:
            specs.append(RangeSpec(None, _position(suffix)))
            continue
        if last and _numerically_less(last, first):
            return None
        specs.append(RangeSpec(_position(first), _position(last) if last else None))
    return specs or None


def _numerically_less(a: str, b: str) -> bool:
    """Compare digit strings of any length without converting them."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def _position(digits: str) -> int:
    if len(digits) > _MAX_POSITION_DIGITS:
        return 10**_MAX_POSITION_DIGITS
    return int(digits)


def resolve_ranges(specs: list[RangeSpec], length: int) -> list[ByteRange]:
    """The satisfiable ranges of ``specs`` for a representation of
    ``length`` bytes (RFC 9110 §14.1.1), in request order.

    A suffix longer than the representation selects all of it; a last
    position beyond the end is clamped to the end.

    >>> resolve_ranges([RangeSpec(None, 5000), RangeSpec(200, None)], 1000)
    [ByteRange(start=0, end=999), ByteRange(start=200, end=999)]
    >>> resolve_ranges([RangeSpec(1000, None), RangeSpec(None, 0)], 1000)
    []
    """
    ranges: list[ByteRange] = []
    for spec in specs:
        if spec.first is None:
            if spec.last:
                ranges.append(ByteRange(max(0, length - spec.last), length - 1))
        elif spec.first < length:
            end = length - 1 if spec.last is None else min(spec.last, length - 1)
            ranges.append(ByteRange(spec.first, end))
    return ranges


@dataclass(frozen=True, slots=True)
class _Validators:
    etag: str
    # None for a representation without a modification date, which makes
    # If-Modified-Since and If-Unmodified-Since ignored (RFC 9110 §13.1.3-4).
    last_modified: int | None
    # A Last-Modified value is only a strong validator once the second it
    # names is over (RFC 9110 §8.8.2.2): two writes within one second share it.
    last_modified_is_strong: bool
    # A weak entity tag never passes If-Match, which compares strongly.
    etag_is_weak: bool = False


def _validators(st: os.stat_result, now: int) -> _Validators:
    # Size, nanosecond mtime and inode change when a publisher rewrites or
    # replaces the file, and are the same in every worker process.
    etag = f"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}"
    # A modification time in the future is replaced by the current time
    # (RFC 9110 §8.8.2.1).
    last_modified = min(int(st.st_mtime), now)
    return _Validators(etag, last_modified, last_modified < now)


@functools.lru_cache(maxsize=256)
def _http_date(seconds: int) -> str:
    # The same few files are asked for again and again.
    return http_date(seconds)


def needs_date(environ: WSGIEnvironment) -> bool:
    """Whether the application must send Date itself (RFC 9110 §6.6.1).

    An HTTP server in front adds its own (and names itself in
    ``SERVER_SOFTWARE``); Werkzeug's development server does so without
    looking for one already there, which would make two. So only a bare WSGI
    caller, such as a test client, gets Date from the application.
    """
    return "SERVER_SOFTWARE" not in environ


def parse_http_date(value: str, now: float | None = None) -> int | None:
    """Seconds since the epoch of an HTTP-date (RFC 9110 §5.6.7) in any of
    its three forms, or ``None`` when ``value`` is not one.

    Anything else is refused, lists of dates and numeric time zones
    included, since the date preconditions must then be ignored
    (§13.1.3-4) and an If-Range that is not an HTTP-date fails (§13.1.5).
    A two-digit year more than 50 years ahead of ``now`` (default: the
    clock) is in the past century.

    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    784111777
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now=1_700_000_000)
    784111777
    >>> parse_http_date("Sun Nov  6 08:49:37 1994")
    784111777
    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 +0000") is None
    True
    """
    value = value.strip(_OWS)
    if match := _IMF_FIXDATE.fullmatch(value):
        day, month, year, hour, minute, second = match.groups()
    elif match := _ASCTIME_DATE.fullmatch(value):
        month, day, hour, minute, second, year = match.groups()
    elif match := _RFC850_DATE.fullmatch(value):
        day, month, short_year, hour, minute, second = match.groups()
        this_year = datetime.fromtimestamp(time.time() if now is None else now, UTC).year
        year = this_year // 100 * 100 + int(short_year)
        if year > this_year + 50:
            year -= 100
    else:
        return None
    # second is 00-60 in the grammar, which allows a leap second.
    if int(second) > 60:
        return None
    try:
        moment = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp()) + int(second)


@dataclass(frozen=True, slots=True)
class EntityTag:
    """An entity tag as a precondition field names it."""

    opaque: str
    weak: bool = False


def parse_entity_tags(value: str) -> list[EntityTag] | None:
    """The entity tags of an If-Match or If-None-Match field value that is
    a list (RFC 9110 §13.1.1-2), or ``None`` when it is not a valid one.

    An unquoted tag is not an entity tag: a field holding one matches
    nothing, as it would in a server that compares the quoted strings.

    >>> parse_entity_tags('"a" ,\tW/"b",,')
    [EntityTag(opaque='a', weak=False), EntityTag(opaque='b', weak=True)]
    >>> parse_entity_tags("a") is None
    True
    """
    tags: list[EntityTag] = []
    pos, end = 0, len(value)
    while pos < end:
        match = _TAG_LIST_ELEMENT.match(value, pos)
        if match is None:
            return None
        weak, opaque = match.groups()
        if opaque is not None:
            tags.append(EntityTag(opaque, weak is not None))
        pos = match.end()
    return tags or None


def _if_match_holds(value: str, validators: _Validators) -> bool:
    if value.strip(_OWS) == "*":
        return True
    tags = parse_entity_tags(value)
    # Strong comparison (RFC 9110 §8.8.3.2): neither tag may be weak.
    return bool(tags) and not validators.etag_is_weak and any(
        not tag.weak and tag.opaque == validators.etag for tag in tags)


def _if_none_match_holds(value: str, validators: _Validators) -> bool:
    """Whether If-None-Match lets the request through: no tag matches."""
    if value.strip(_OWS) == "*":
        return False
    # Weak comparison: the opaque tags are equal.
    return not any(tag.opaque == validators.etag for tag in parse_entity_tags(value) or ())


def _precondition_status(environ: WSGIEnvironment, validators: _Validators) -> int | None:
    """Evaluate the preconditions in the order of RFC 9110 §13.2.2.

    Returns 412 or 304 when one fails, ``None`` when the request proceeds.
    """
    safe = environ["REQUEST_METHOD"] in ("GET", "HEAD")
    last_modified = validators.last_modified
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match is not None:
        if not _if_match_holds(if_match, validators):
            return 412
    elif last_modified is not None and "HTTP_IF_UNMODIFIED_SINCE" in environ:
        unmodified_since = parse_http_date(environ["HTTP_IF_UNMODIFIED_SINCE"])
        if unmodified_since is not None and last_modified > unmodified_since:
            return 412
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if not _if_none_match_holds(if_none_match, validators):
            return 304 if safe else 412
    elif safe and last_modified is not None and "HTTP_IF_MODIFIED_SINCE" in environ:
        modified_since = parse_http_date(environ["HTTP_IF_MODIFIED_SINCE"])
        if modified_since is not None and last_modified <= modified_since:
            return 304
    return None


def precondition_status(
    environ: WSGIEnvironment, etag: str, *, weak: bool = False, last_modified: int | None = None
) -> int | None:
    """Evaluate a request's preconditions against a representation's
    validators, in the order of RFC 9110 §13.2.2, as media files are.

    :param etag: the entity tag, without quotes or ``W/``.
    :param weak: whether the entity tag is weak.
    :param last_modified: the Last-Modified time in seconds, if it has one.
    :returns: 412 or 304 when a precondition fails, ``None`` when the
        request proceeds.
    """
    return _precondition_status(environ, _Validators(etag, last_modified, False, weak))


def _if_range_holds(value: str, validators: _Validators) -> bool:
    """Evaluate If-Range (RFC 9110 §13.1.5): its one entity tag must match
    strongly, or its HTTP-date must equal a strong Last-Modified exactly;
    anything else fails, so the whole representation is sent."""
    value = value.strip(_OWS)
    if value.startswith(('"', "W/")):
        match = _ENTITY_TAG.fullmatch(value)
        return match is not None and match[1] is None and match[2] == validators.etag
    date = parse_http_date(value)
    return (
        date is not None and validators.last_modified_is_strong and date == validators.last_modified
    )


class _FileSlice:
    """A file-like view of ``length`` bytes from the file's current position.

    It keeps ``fileno`` so a server's ``sendfile`` starts where the file is
    positioned and sends Content-Length bytes, while a server that iterates
    instead can never read past the slice.
    """

    def __init__(self, file, length: int) -> None:
        self._file = file
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size) if size else b""
        self._remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # socket.sendfile() falls back to seek-and-send when sendfile fails
        # midway (a client that went away); without it that is a traceback.
        return self._file.seek(offset, whence)

    def close(self) -> None:
        self._file.close()


def _part_head(boundary: str, content_type: str, byte_range: ByteRange, length: int) -> bytes:
    return (
        f"--{boundary}\r\nContent-Type: {content_type}\r\n"
        f"Content-Range: {byte_range.content_range(length)}\r\n\r\n"
    ).encode("latin-1")


def _multipart_body(
    file, heads: list[bytes], ranges: list[ByteRange], closing: bytes
) -> Iterator[bytes]:
    for head, byte_range in zip(heads, ranges, strict=True):
        yield head
        file.seek(byte_range.start)
        remaining = byte_range.length
        while remaining:
            data = file.read(min(CHUNK_SIZE, remaining))
            if not data:
                raise MediaChangedError(f"{file.name} became shorter while it was being sent")
            remaining -= len(data)
            yield data
        yield b"\r\n"
    yield closing


def _content_disposition(download_name: str) -> str:
    """An ``inline`` Content-Disposition naming the file (RFC 6266), with an
    ASCII fallback and the exact name in ``filename*``."""
    ascii_name = (
        unicodedata.normalize("NFKD", download_name)
        .encode("ascii", "ignore")
        .decode("ascii")
        .replace("\\", "_")
        .replace('"', "_")
    )
    value = f'inline; filename="{ascii_name}"'
    if ascii_name != download_name:
        value += f"; filename*=UTF-8''{quote(download_name, safe='')}"
    return value


def send_media(
    path: Path,
    mimetype: str,
    *,
    download_name: str | None = None,
    cache_control: str = DEFAULT_CACHE_CONTROL,
) -> Response:
    """Answer the current Flask request with the file at ``path``.

    Implements RFC 9110 for a static representation: the preconditions of
    §13.2.2 in their order (``If-Match``, ``If-Unmodified-Since``,
    ``If-None-Match``, ``If-Modified-Since``), then ``Range`` (§14.2) guarded
    by ``If-Range`` with strong comparison only. Single, open and suffix
    ranges get a 206 with Content-Range; several ranges a
    ``multipart/byteranges`` 206 with the parts as asked (or the whole file
    as a 200 when they add up to more than it);
    unsatisfiable ranges a 416 with ``Content-Range: bytes */LENGTH``; a
    Range header with another unit or invalid syntax is ignored. Range is
    only defined for GET (§14.2), so HEAD answers as a plain GET would.

    :param path: the file to send; it is opened once, so a publisher
        replacing it meanwhile cannot mix two versions in one response.
    :param mimetype: the Content-Type sent, verbatim.
    :param download_name: a file name for ``Content-Disposition: inline``.
    :param cache_control: the Cache-Control of 200, 206 and 304 answers.
    :raises NotFound: when ``path`` is not a readable regular file.
    """
    return media_response(
        request.environ, path, mimetype, download_name=download_name, cache_control=cache_control
    )


def media_response(
    environ: WSGIEnvironment,
    path: str | os.PathLike,
    mimetype: str,
    *,
    download_name: str | None = None,
    cache_control: str = DEFAULT_CACHE_CONTROL,
    bare: bool = False,
) -> Response | BareFileResponse:
    """:func:`send_media` for a WSGI ``environ``, without a Flask request
    context, for a WSGI application that serves media on its own.

    The returned response is a WSGI application: call it with ``environ``.
    With ``bare``, a 200 or 206 with one body (nearly every request) comes
    as a :class:`BareFileResponse`, whose ``headers`` is a plain list.
    """
    try:
        # Unbuffered, so the descriptor's offset is exactly where the body
        # starts when a server hands it to sendfile.
        file = open(path, "rb", buffering=0)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise NotFound() from None
    try:
        return _respond(environ, file, mimetype, download_name, cache_control, bare)
    except BaseException:
        file.close()
        raise


def _respond(
    environ: WSGIEnvironment,
    file,
    mimetype: str,
    download_name: str | None,
    cache_control: str,
    bare: bool = False,
) -> Response | BareFileResponse:
    # Every media request passes here, so it reads the WSGI environ directly
    # and builds plain header lists: this is most of the time a range costs.
    st = os.fstat(file.fileno())
    length = st.st_size
    now = int(time.time())
    validators = _validators(st, now)

    headers = [
        ("Accept-Ranges", "bytes"),
        ("ETag", f'"{validators.etag}"'),
        ("Last-Modified", _http_date(validators.last_modified)),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if download_name is not None:
        headers.append(("Content-Disposition", _content_disposition(download_name)))
    if needs_date(environ):
        headers.append(("Date", _http_date(now)))

    status = _precondition_status(environ, validators)
    if status == 412:
        return _empty(file, 412, headers)
    # 412 and 416 are not cacheable by default and should stay that way.
    cacheable = [*headers, ("Cache-Control", cache_control)]
    if status == 304:
        # Werkzeug drops Last-Modified and the Content-* fields from a 304,
        # as RFC 9110 §15.4.5 advises when the answer carries an ETag.
        return _empty(file, 304, cacheable)

    whole = ByteRange(0, length - 1)
    ranges = _requested_ranges(environ, validators, length)
    if ranges is None:
        return _file_response(environ, file, whole, 200, mimetype, cacheable, bare)
    if not ranges:
        return _empty(file, 416, [*headers, ("Content-Range", f"bytes */{length}")])
    if len(ranges) == 1:
        cacheable.append(("Content-Range", ranges[0].content_range(length)))
        return _file_response(environ, file, ranges[0], 206, mimetype, cacheable, bare)

    boundary = secrets.token_hex(16)
    heads = [_part_head(boundary, mimetype, r, length) for r in ranges]
    closing = f"--{boundary}--\r\n".encode("latin-1")
    body_length = sum(len(h) + r.length + 2 for h, r in zip(heads, ranges, strict=True))
    body_length += len(closing)
    cacheable += [
        ("Content-Type", f"multipart/byteranges; boundary={boundary}"),
        ("Content-Length", str(body_length)),
    ]
    response = Response(_multipart_body(file, heads, ranges, closing), 206, cacheable)
    response.call_on_close(file.close)
    return response


def _requested_ranges(
    environ: WSGIEnvironment, validators: _Validators, length: int
) -> list[ByteRange] | None:
    """The ranges to send: ``None`` for the whole file as 200, an empty list
    when none is satisfiable (416)."""
    range_header = environ.get("HTTP_RANGE")
    if environ["REQUEST_METHOD"] != "GET" or range_header is None:
        return None
    if_range = environ.get("HTTP_IF_RANGE")
    if if_range is not None and not _if_range_holds(if_range, validators):
        return None
    specs = parse_range_header(range_header)
    # An empty representation has no byte positions to name in a
    # Content-Range, so a Range on it is ignored.
    if specs is None or len(specs) > MAX_RANGES or length == 0:
        return None
    ranges = resolve_ranges(specs, length)
    # Ranges that add up to more than the file (overlapping ones, or the same
    # range asked for again and again) get the file once, as a plain 200:
    # RFC 9110 §14.2 lets a server ignore Range, and nginx draws the line
    # here too. Other ranges are sent as asked, in the request's order.
    if len(ranges) > 1 and sum(byte_range.length for byte_range in ranges) > length:
        return None
    return ranges


def _file_response(
    environ: WSGIEnvironment,
    file,
    byte_range: ByteRange,
    status: int,
    mimetype: str,
    headers: list[tuple[str, str]],
    bare: bool = False,
) -> Response | BareFileResponse:
    headers += [("Content-Type", mimetype), ("Content-Length", str(byte_range.length))]
    file.seek(byte_range.start)
    body = wrap_file(environ, _FileSlice(file, byte_range.length), CHUNK_SIZE)
    if bare:
        return BareFileResponse(status, headers, body)
    return Response(body, status, headers, direct_passthrough=True)


class BareFileResponse:
    """A 200 or 206 as a bare WSGI application: the same status line, header
    list and body a :class:`~werkzeug.wrappers.Response` would send, without
    the cost of building one, which is most of what a small range costs."""

    __slots__ = ("status", "headers", "body")

    _STATUS_LINES = {200: "200 OK", 206: "206 Partial Content"}

    def __init__(self, status: int, headers: list[tuple[str, str]], body) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __call__(self, environ: WSGIEnvironment, start_response):
        start_response(self._STATUS_LINES[self.status], self.headers)
        if environ["REQUEST_METHOD"] == "HEAD":
            self.body.close()
            return []
        return self.body


def _empty(file, status: int, headers: list[tuple[str, str]]) -> Response:
    file.close()
    response = Response([], status, [*headers, ("Content-Length", "0")])
    # An empty answer has no content whose type could be named.
    del response.headers["Content-Type"]
    return response
