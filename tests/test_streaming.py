"""Media streaming against the cases of RFC 9110, byte for byte.

The same table of cases runs against a minimal app around ``send_media`` and
against the real app at the URL an ITEM's ``sources`` names;
``test_streaming_gunicorn.py`` replays it through gunicorn.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from flask import Flask, request
from gunicorn.http.wsgi import FileWrapper as GunicornFileWrapper
from werkzeug.test import Client

from player import create_app
from player.web.streaming import (
    CHUNK_SIZE,
    ByteRange,
    RangeSpec,
    media_response,
    parse_range_header,
    resolve_ranges,
    send_media,
)
from tests.mediagen import make_media

#: Seconds since the epoch given to the test file's mtime, so a date
#: validator is old enough to be strong and every Last-Modified is known.
FIXED_MTIME = 1_700_000_000
DAY = 86_400
IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def http_date(seconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer reduced to what the cases compare."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def fetch(client, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    response = client.open(url, method=method, headers=headers or {})
    try:
        body = response.get_data()
    finally:
        response.close()
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)


@dataclass(frozen=True)
class Rep:
    """The representation under test, as a client learns it."""

    data: bytes
    etag: str
    last_modified: str

    @property
    def n(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Expect:
    """What a case must answer. ``parts`` lists inclusive (start, end)
    ranges: one means a plain 206, more a multipart/byteranges 206."""

    status: int
    parts: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    headers: Callable[[Rep], dict[str, str]]
    expect: Callable[[Rep], Expect]
    method: str = "GET"


def _range(value: Callable[[Rep], str] | str) -> Callable[[Rep], dict[str, str]]:
    if isinstance(value, str):
        return lambda rep: {"Range": value}
    return lambda rep: {"Range": value(rep)}


FULL = Expect(200)
NOT_MODIFIED = Expect(304)
FAILED = Expect(412)
UNSATISFIABLE = Expect(416)


def _parts(*ranges: tuple[int, int]) -> Callable[[Rep], Expect]:
    return lambda rep: Expect(206, ranges)


def _same(expect: Expect) -> Callable[[Rep], Expect]:
    return lambda rep: expect


INVALID_RANGE_HEADERS = [
    "bytes=abc",
    "bytes=5-1",
    "bytes=",
    "bytes=-",
    "bytes=1-2-3",
    "bytes= 0-1",
    "bytes =0-1",
    "bytes 0-1",
    "bytes=0x10-20",
    "bytes=+1-2",
    "bytes=--1",
    "bytes=0-1;q=1",
    "bytes=0-1,abc",
    "bytes=0-1,5-1",
    "bytes=" + "9" * 30 + "-" + "9" * 29,
    # Arabic-Indic digits in UTF-8, as a WSGI server hands them over (latin-1).
    "bytes=\u0661-\u0662".encode().decode("latin-1"),
]

CASES: list[Case] = [
    Case("no range", lambda rep: {}, _same(FULL)),
    Case("safari probe bytes=0-1", _range("bytes=0-1"), _parts((0, 1))),
    Case("single range", _range("bytes=100-199"), _parts((100, 199))),
    Case("open range", _range("bytes=500-"), lambda rep: Expect(206, ((500, rep.n - 1),))),
    Case("first byte only", _range("bytes=0-0"), _parts((0, 0))),
    Case("last byte", _range("bytes=-1"), lambda rep: Expect(206, ((rep.n - 1, rep.n - 1),))),
    Case(
        "suffix range", _range("bytes=-100"), lambda rep: Expect(206, ((rep.n - 100, rep.n - 1),))
    ),
    Case(
        "suffix longer than the file is the whole file",
        _range(lambda rep: f"bytes=-{rep.n + 1000}"),
        lambda rep: Expect(206, ((0, rep.n - 1),)),
    ),
    Case(
        "last position past the end is clamped",
        _range(lambda rep: f"bytes=100-{rep.n * 10}"),
        lambda rep: Expect(206, ((100, rep.n - 1),)),
    ),
    Case(
        "range starting at the end is unsatisfiable",
        _range(lambda rep: f"bytes={rep.n}-"),
        _same(UNSATISFIABLE),
    ),
    Case("zero-length suffix is unsatisfiable", _range("bytes=-0"), _same(UNSATISFIABLE)),
    Case(
        "several unsatisfiable ranges",
        _range(lambda rep: f"bytes={rep.n}-{rep.n + 5}, {rep.n + 10}-"),
        _same(UNSATISFIABLE),
    ),
    Case("huge positions", _range("bytes=" + "9" * 5000 + "-"), _same(UNSATISFIABLE)),
    Case("two ranges", _range("bytes=0-9,1000-1099"), _parts((0, 9), (1000, 1099))),
    Case(
        "parts keep the request's order",
        _range("bytes=1000-1099,0-9"),
        _parts((1000, 1099), (0, 9)),
    ),
    Case(
        "three ranges with a suffix",
        _range("bytes=0-9,1000-1099,-5"),
        lambda rep: Expect(206, ((0, 9), (1000, 1099), (rep.n - 5, rep.n - 1))),
    ),
    Case(
        "unsatisfiable part is dropped", _range(lambda rep: f"bytes=0-9,{rep.n}-"), _parts((0, 9))
    ),
    Case(
        "overlapping ranges are sent as asked",
        _range("bytes=0-99,50-149,2000-2099"),
        _parts((0, 99), (50, 149), (2000, 2099)),
    ),
    Case(
        "adjacent ranges are separate parts",
        _range("bytes=0-1,2-3"),
        _parts((0, 1), (2, 3)),
    ),
    Case(
        "ranges a few bytes apart are separate parts",
        _range("bytes=2000-2099,0-99,110-199"),
        _parts((2000, 2099), (0, 99), (110, 199)),
    ),
    Case(
        "the whole file asked for twice gets a 200",
        _range("bytes=0-,0-"),
        _same(FULL),
    ),
    Case(
        "ranges adding up to more than the file get a 200",
        _range(lambda rep: f"bytes=0-{rep.n // 2},{rep.n // 2}-"),
        _same(FULL),
    ),
    Case(
        "ranges adding up to exactly the file are parts",
        _range(lambda rep: f"bytes=0-{rep.n // 2 - 1},{rep.n // 2}-"),
        lambda rep: Expect(206, ((0, rep.n // 2 - 1), (rep.n // 2, rep.n - 1))),
    ),
    Case("unit is case-insensitive", _range("BYTES=0-1"), _parts((0, 1))),
    Case(
        "whitespace around commas", _range("bytes=0-9 ,\t1000-1099"), _parts((0, 9), (1000, 1099))
    ),
    Case("empty list elements", _range("bytes=,0-9,,1000-1099,"), _parts((0, 9), (1000, 1099))),
    Case("unknown range unit is ignored", _range("items=0-1"), _same(FULL)),
    *(
        Case(f"invalid Range {value!r} is ignored", _range(value), _same(FULL))
        for value in INVALID_RANGE_HEADERS
    ),
    Case(
        "too many ranges are ignored",
        _range("bytes=" + ",".join(f"{i * 100}-{i * 100}" for i in range(100))),
        _same(FULL),
    ),
    # Preconditions, in the order of RFC 9110 §13.2.2.
    Case(
        "If-None-Match wins over Range",
        lambda rep: {"If-None-Match": rep.etag, "Range": "bytes=0-1"},
        _same(NOT_MODIFIED),
    ),
    Case(
        "If-None-Match compares weakly",
        lambda rep: {"If-None-Match": "W/" + rep.etag},
        _same(NOT_MODIFIED),
    ),
    Case("If-None-Match star", lambda rep: {"If-None-Match": "*"}, _same(NOT_MODIFIED)),
    Case(
        "If-None-Match list",
        lambda rep: {"If-None-Match": f'"other", {rep.etag}'},
        _same(NOT_MODIFIED),
    ),
    Case(
        "If-None-Match other tag lets Range through",
        lambda rep: {"If-None-Match": '"other"', "Range": "bytes=0-1"},
        _parts((0, 1)),
    ),
    Case(
        "If-Modified-Since equal",
        lambda rep: {"If-Modified-Since": rep.last_modified},
        _same(NOT_MODIFIED),
    ),
    Case(
        "If-Modified-Since later",
        lambda rep: {"If-Modified-Since": http_date(FIXED_MTIME + DAY)},
        _same(NOT_MODIFIED),
    ),
    Case(
        "If-Modified-Since earlier",
        lambda rep: {"If-Modified-Since": http_date(FIXED_MTIME - DAY)},
        _same(FULL),
    ),
    Case(
        "If-Modified-Since invalid date is ignored",
        lambda rep: {"If-Modified-Since": "yesterday"},
        _same(FULL),
    ),
    Case(
        "If-Modified-Since ignored when If-None-Match is present",
        lambda rep: {"If-None-Match": '"other"', "If-Modified-Since": rep.last_modified},
        _same(FULL),
    ),
    Case("If-Match matching", lambda rep: {"If-Match": rep.etag}, _same(FULL)),
    Case("If-Match star", lambda rep: {"If-Match": "*"}, _same(FULL)),
    Case("If-Match other tag", lambda rep: {"If-Match": '"other"'}, _same(FAILED)),
    Case("If-Match compares strongly", lambda rep: {"If-Match": "W/" + rep.etag}, _same(FAILED)),
    Case(
        "If-Match failure wins over If-None-Match",
        lambda rep: {"If-Match": '"other"', "If-None-Match": rep.etag},
        _same(FAILED),
    ),
    Case(
        "If-Match failure wins over Range",
        lambda rep: {"If-Match": '"other"', "Range": "bytes=0-1"},
        _same(FAILED),
    ),
    Case(
        "If-Unmodified-Since equal",
        lambda rep: {"If-Unmodified-Since": rep.last_modified},
        _same(FULL),
    ),
    Case(
        "If-Unmodified-Since earlier",
        lambda rep: {"If-Unmodified-Since": http_date(FIXED_MTIME - DAY)},
        _same(FAILED),
    ),
    Case(
        "If-Unmodified-Since ignored when If-Match is present",
        lambda rep: {"If-Match": rep.etag, "If-Unmodified-Since": http_date(FIXED_MTIME - DAY)},
        _same(FULL),
    ),
    Case(
        "If-Unmodified-Since passing, then Range",
        lambda rep: {"If-Unmodified-Since": rep.last_modified, "Range": "bytes=10-19"},
        _parts((10, 19)),
    ),
    Case(
        "If-Range strong tag matches",
        lambda rep: {"If-Range": rep.etag, "Range": "bytes=0-1"},
        _parts((0, 1)),
    ),
    Case(
        "If-Range weak tag never matches",
        lambda rep: {"If-Range": "W/" + rep.etag, "Range": "bytes=0-1"},
        _same(FULL),
    ),
    Case(
        "If-Range other tag", lambda rep: {"If-Range": '"other"', "Range": "bytes=0-1"}, _same(FULL)
    ),
    Case(
        "If-Range takes one tag, not a list",
        lambda rep: {"If-Range": f'"other", {rep.etag}', "Range": "bytes=0-1"},
        _same(FULL),
    ),
    Case(
        "If-Range date equal to Last-Modified",
        lambda rep: {"If-Range": rep.last_modified, "Range": "bytes=0-1"},
        _parts((0, 1)),
    ),
    Case(
        "If-Range earlier date",
        lambda rep: {"If-Range": http_date(FIXED_MTIME - DAY), "Range": "bytes=0-1"},
        _same(FULL),
    ),
    Case(
        "If-Range later date",
        lambda rep: {"If-Range": http_date(FIXED_MTIME + DAY), "Range": "bytes=0-1"},
        _same(FULL),
    ),
    Case("If-Range without Range", lambda rep: {"If-Range": rep.etag}, _same(FULL)),
    Case(
        "If-Range with several ranges",
        lambda rep: {"If-Range": rep.etag, "Range": "bytes=0-9,1000-1099"},
        _parts((0, 9), (1000, 1099)),
    ),
    Case("HEAD", lambda rep: {}, _same(FULL), method="HEAD"),
    Case(
        "HEAD ignores Range (defined for GET only)", _range("bytes=0-1"), _same(FULL), method="HEAD"
    ),
    Case(
        "HEAD conditional",
        lambda rep: {"If-None-Match": rep.etag},
        _same(NOT_MODIFIED),
        method="HEAD",
    ),
]


def parse_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart body by its delimiters as RFC 2046 §5.1.1 defines
    them, without using the parts' Content-Range to find their ends."""
    match = re.fullmatch(
        r"multipart/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})", content_type
    )
    assert match, content_type
    delimiter = b"\r\n--" + match.group(1).encode("ascii")
    preamble, *segments = (b"\r\n" + body).split(delimiter)
    assert preamble == b""
    assert segments[-1] == b"--\r\n", "the body ends with the close delimiter"
    parts = []
    for segment in segments[:-1]:
        assert segment.startswith(b"\r\n")
        head, data = segment[2:].split(b"\r\n\r\n", 1)
        fields = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n"))
        parts.append(({k.lower(): v for k, v in fields.items()}, data))
    return parts


def check(answer: Answer, expect: Expect, rep: Rep, mimetype: str, method: str = "GET") -> None:
    """Assert status, Content-Range, Content-Length and body byte for byte."""
    assert answer.status == expect.status
    assert answer.header("Accept-Ranges") == "bytes"
    assert answer.header("ETag") == rep.etag
    head = method == "HEAD"
    if expect.status == 200:
        assert answer.header("Content-Range") is None
        assert answer.header("Content-Type") == mimetype
        assert answer.header("Content-Length") == str(rep.n)
        assert answer.body == (b"" if head else rep.data)
    elif expect.status == 206 and len(expect.parts) == 1:
        ((start, end),) = expect.parts
        assert answer.header("Content-Range") == f"bytes {start}-{end}/{rep.n}"
        assert answer.header("Content-Type") == mimetype
        assert answer.header("Content-Length") == str(end - start + 1)
        assert answer.body == rep.data[start : end + 1]
    elif expect.status == 206:
        assert answer.header("Content-Range") is None
        assert answer.header("Content-Length") == str(len(answer.body))
        parts = parse_multipart(answer.header("Content-Type"), answer.body)
        assert [(f["content-type"], f["content-range"], data) for f, data in parts] == [
            (mimetype, f"bytes {start}-{end}/{rep.n}", rep.data[start : end + 1])
            for start, end in expect.parts
        ]
    elif expect.status == 416:
        assert answer.header("Content-Range") == f"bytes */{rep.n}"
        assert answer.body == b""
    else:
        assert expect.status in (304, 412)
        assert answer.header("Content-Range") is None
        assert answer.body == b""
    if expect.status in (200, 206, 304):
        assert answer.header("Cache-Control") == "public, max-age=3600"
    else:
        assert answer.header("Cache-Control") is None
    if expect.status == 304:
        assert answer.header("Content-Type") is None
        assert answer.header("Content-Length") is None


@pytest.fixture
def media_file(tmp_path, media_cache) -> Path:
    """A real MP4 with a known, old modification time."""
    path = tmp_path / "served" / "clip.mp4"
    path.parent.mkdir()
    shutil.copy(make_media("mp4", media_cache), path)
    os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return path


def minimal_app(media_file: Path) -> Flask:
    app = Flask(__name__)

    @app.get("/media/<name>")
    def media(name: str):
        return send_media(
            media_file.parent / name, "video/mp4", download_name=request.args.get("download_name")
        )

    return app


@pytest.fixture
def minimal_client(media_file):
    return minimal_app(media_file).test_client()


@pytest.fixture
def library_dir(tmp_path, media_cache) -> Path:
    """A media folder holding only the clip, with a known, old mtime."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    os.utime(folder / "clip.mp4", (FIXED_MTIME, FIXED_MTIME))
    return folder


@pytest.fixture
def real_app(library_dir, tmp_path):
    return create_app(
        {
            "TESTING": True,
            "MEDIA_DIR": str(library_dir),
            "DATABASE": str(tmp_path / "streaming.sqlite"),
            "SECRET_KEY": "test-secret",
        }
    )


def media_url(client) -> str:
    """The clip's media URL, as a client discovers it from the API."""
    return client.get("/api/media/clip").get_json()["sources"][0]["url"]


def representation(client, url: str) -> Rep:
    answer = fetch(client, url)
    assert answer.status == 200
    return Rep(answer.body, answer.header("ETag"), answer.header("Last-Modified"))


@pytest.fixture(params=["minimal", "real"])
def target(request, media_file):
    """A test client and the media URL, for the minimal and the real app."""
    if request.param == "minimal":
        client = minimal_app(media_file).test_client()
        return client, "/media/clip.mp4"
    client = request.getfixturevalue("real_app").test_client()
    return client, media_url(client)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rfc9110_case(target, case: Case):
    client, url = target
    rep = representation(client, url)
    assert rep.last_modified == http_date(FIXED_MTIME)
    answer = fetch(client, url, case.method, case.headers(rep))
    check(answer, case.expect(rep), rep, "video/mp4", case.method)


def test_head_has_the_headers_of_get(target):
    client, url = target
    get, head = fetch(client, url), fetch(client, url, "HEAD")
    assert head.body == b"" and get.body != b""
    assert {k: v for k, v in head.headers.items() if k != "date"} == {
        k: v for k, v in get.headers.items() if k != "date"
    }


def test_validators_and_caching_headers(minimal_client, media_file):
    answer = fetch(minimal_client, "/media/clip.mp4")
    st = media_file.stat()
    assert answer.header("ETag") == f'"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}"'
    assert IMF_FIXDATE.fullmatch(answer.header("Last-Modified"))
    assert answer.header("Last-Modified") == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert "no-cache" not in answer.header("Cache-Control")
    assert answer.header("X-Content-Type-Options") == "nosniff"


def test_etag_is_the_same_in_every_worker_and_changes_with_the_file(media_file):
    first = fetch(minimal_app(media_file).test_client(), "/media/clip.mp4")
    second = fetch(minimal_app(media_file).test_client(), "/media/clip.mp4")
    assert first.header("ETag") == second.header("ETag")

    replacement = media_file.with_name("new.mp4")
    replacement.write_bytes(media_file.read_bytes())
    os.utime(replacement, (FIXED_MTIME, FIXED_MTIME))
    os.replace(replacement, media_file)
    replaced = fetch(
        minimal_app(media_file).test_client(),
        "/media/clip.mp4",
        headers={"If-None-Match": first.header("ETag")},
    )
    assert replaced.status == 200 and replaced.header("ETag") != first.header("ETag")


def test_if_range_date_of_a_file_changed_this_second_is_weak(minimal_client, media_file):
    os.utime(media_file)
    last_modified = fetch(minimal_client, "/media/clip.mp4").header("Last-Modified")
    answer = fetch(
        minimal_client, "/media/clip.mp4", headers={"If-Range": last_modified, "Range": "bytes=0-1"}
    )
    # The same second may still change, so the date cannot guard a range;
    # either this request saw that second still running (200), or the
    # second had ended before it was evaluated (206). Never a wrong range.
    if int(time.time()) == int(media_file.stat().st_mtime):
        assert answer.status == 200
    assert answer.status in (200, 206)
    assert answer.body in (media_file.read_bytes(), media_file.read_bytes()[:2])


def test_future_modification_time_is_replaced_by_now(minimal_client, media_file):
    future = int(time.time()) + 10 * DAY
    os.utime(media_file, (future, future))
    answer = fetch(minimal_client, "/media/clip.mp4")
    last_modified = datetime.strptime(answer.header("Last-Modified"), "%a, %d %b %Y %H:%M:%S GMT")
    assert last_modified.replace(tzinfo=UTC).timestamp() <= time.time()


def test_empty_file_ignores_range(minimal_client, media_file):
    media_file.with_name("empty.mp4").write_bytes(b"")
    answer = fetch(minimal_client, "/media/empty.mp4", headers={"Range": "bytes=-1"})
    assert (answer.status, answer.header("Content-Length"), answer.body) == (200, "0", b"")


def test_missing_file_is_404(minimal_client):
    assert fetch(minimal_client, "/media/nothing.mp4").status == 404


def test_download_name(minimal_client):
    plain = fetch(minimal_client, "/media/clip.mp4?download_name=clip.mp4")
    assert plain.header("Content-Disposition") == 'inline; filename="clip.mp4"'
    accented = fetch(minimal_client, "/media/clip.mp4?download_name=Caf%C3%A9%20%22x%22.mp4")
    assert accented.header("Content-Disposition") == (
        "inline; filename=\"Cafe _x_.mp4\"; filename*=UTF-8''Caf%C3%A9%20%22x%22.mp4"
    )


@pytest.mark.parametrize(
    ("range_header", "start", "length"),
    [(None, 0, None), ("bytes=1000-", 1000, None), ("bytes=100-4195", 100, 4096)],
)
def test_file_bodies_use_the_servers_file_wrapper(media_file, range_header, start, length):
    """What gunicorn's sendfile relies on: its own wrapper, the descriptor
    positioned at the first byte, and Content-Length bytes to send."""
    app = minimal_app(media_file)
    data = media_file.read_bytes()
    headers = {"Range": range_header} if range_header else {}
    with app.test_request_context(
        "/media/clip.mp4",
        headers=headers,
        environ_overrides={"wsgi.file_wrapper": GunicornFileWrapper},
    ):
        response = send_media(media_file, "video/mp4")
    try:
        wrapper = response.response
        assert isinstance(wrapper, GunicornFileWrapper)
        assert os.lseek(wrapper.filelike.fileno(), 0, os.SEEK_CUR) == start
        expected = data[start:] if length is None else data[start : start + length]
        assert int(response.headers["Content-Length"]) == len(expected)
        assert b"".join(wrapper.filelike.read(CHUNK_SIZE) for _ in range(3)) == expected
    finally:
        response.close()


def test_a_body_survives_sendfiles_fallback_to_plain_sends(media_file):
    """When sendfile gives up midway (a client gone, a socket that cannot
    take it), socket.sendfile() seeks the file and sends it in pieces."""
    import socket

    app = minimal_app(media_file)
    data = media_file.read_bytes()
    with app.test_request_context("/media/clip.mp4", headers={"Range": "bytes=100-4195"},
                                  environ_overrides={"wsgi.file_wrapper": GunicornFileWrapper}):
        response = send_media(media_file, "video/mp4")
    sender, receiver = socket.socketpair()
    try:
        filelike = response.response.filelike
        offset = os.lseek(filelike.fileno(), 0, os.SEEK_CUR)
        # What socket.sendfile() runs after os.sendfile() failed.
        sent = sender._sendfile_use_send(filelike, offset, 4096)
        assert sent == 4096
        received = b""
        while len(received) < 4096:
            received += receiver.recv(65536)
        assert received == data[100:4196]
    finally:
        sender.close()
        receiver.close()
        response.close()


def test_large_files_are_streamed_in_bounded_chunks(tmp_path):
    size = 64 * 1024 * 1024
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(size)
    app = Flask(__name__)
    half = size // 2
    for range_header, expected_bytes in [
        (None, size),
        ("bytes=0-", size),
        (f"bytes=0-{half - 1},{half + 1_000_000}-", None),
    ]:
        headers = {"Range": range_header} if range_header else {}
        tracemalloc.start()
        try:
            with app.test_request_context("/", headers=headers):
                response = send_media(big, "application/octet-stream")
            total, largest = 0, 0
            for chunk in response.iter_encoded():
                total += len(chunk)
                largest = max(largest, len(chunk))
            response.close()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert largest <= CHUNK_SIZE
        assert total == int(response.headers["Content-Length"])
        if expected_bytes is not None:
            assert total == expected_bytes
        assert peak < 4 * CHUNK_SIZE


def test_media_response_serves_a_bare_wsgi_app(media_file):
    def wsgi_app(environ, start_response):
        return media_response(environ, media_file, "video/mp4")(environ, start_response)

    client = Client(wsgi_app)
    data = media_file.read_bytes()
    rep = Rep(data, fetch(client, "/").header("ETag"), http_date(FIXED_MTIME))
    check(
        fetch(client, "/", headers={"Range": "bytes=-100"}),
        Expect(206, ((rep.n - 100, rep.n - 1),)),
        rep,
        "video/mp4",
    )


def test_parse_range_header():
    assert parse_range_header("bytes=0-1") == [RangeSpec(0, 1)]
    assert parse_range_header("bytes=-5, 7-") == [RangeSpec(None, 5), RangeSpec(7, None)]
    assert parse_range_header("bYtEs=1-1") == [RangeSpec(1, 1)]
    assert parse_range_header("bytes=, ,1-1") == [RangeSpec(1, 1)]
    for value in ["bytes=,", "items=0-1", "bytes=\u0661-\u0662", *INVALID_RANGE_HEADERS]:
        assert parse_range_header(value) is None, value


def test_resolve_ranges():
    specs = [RangeSpec(None, 50), RangeSpec(0, 9), RangeSpec(95, 500), RangeSpec(100, None)]
    assert resolve_ranges(specs, 100) == [ByteRange(50, 99), ByteRange(0, 9), ByteRange(95, 99)]


def test_real_app_media_is_cross_origin_readable(real_app):
    client = real_app.test_client()
    url = media_url(client)
    answer = fetch(client, url, headers={"Origin": "https://host.example", "Range": "bytes=0-1"})
    assert answer.status == 206
    allowed_origin = answer.header("Access-Control-Allow-Origin")
    assert allowed_origin in ("*", "https://host.example")
    if allowed_origin != "*":
        # The answer is publicly cacheable, so a cache must key it on Origin.
        assert "origin" in answer.header("Vary").lower()
    exposed = {v.strip().lower() for v in answer.header("Access-Control-Expose-Headers").split(",")}
    assert {"content-range", "accept-ranges", "content-length", "etag"} <= exposed
    preflight = fetch(
        client,
        url,
        "OPTIONS",
        headers={
            "Origin": "https://host.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range, if-range",
        },
    )
    allowed = {
        v.strip().lower() for v in preflight.header("Access-Control-Allow-Headers").split(",")
    }
    assert {"range", "if-range"} <= allowed
