"""An audit of HTTP semantics (RFC 9110, RFC 9111) and oEmbed 1.0, written
from the specifications as checks against the real app.

The media URL is the one an ITEM's ``sources`` names; pages, the JSON API
and oEmbed are reached at their public URLs (``/watch/<id>``, ``/api/media``,
``/oembed``). Where the server changes what goes over the wire (several
fields of one name, HEAD, 304, framing) the same checks run through
gunicorn. Bodies are compared with the file on disk byte for byte, and
multipart bodies are split by the delimiters of RFC 2046 alone, never by
the parts' own Content-Range.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from player import create_app, db
from player.embed import PLAYER_MIN_WIDTH
from player.web import auth
from player.web.streaming import media_response
from tests.gunicorn_support import gunicorn, raw_request
from tests.html_support import parse_html
from tests.mediagen import make_media
from tests.publish_support import bearer, create_publisher

#: Tue, 14 Nov 2023 22:13:20 GMT: long enough ago for Last-Modified to be a
#: strong validator (RFC 9110 §8.8.2.2).
FIXED_MTIME = 1_700_000_000
FIXED_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
OLD_DATE = "Sun, 06 Nov 1994 08:49:37 GMT"
CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello and welcome.\n"
POSTER_SIZE = (320, 180)
#: The bchars of RFC 2046 §5.1.1, the last one not a space.
BOUNDARY = re.compile(r"""multipart/byteranges; ?boundary=("?)([0-9A-Za-z'()+_,./:=? -]{0,69}"""
                      r"""[0-9A-Za-z'()+_,./:=?-])\1""")
CONTENT_RANGE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)")
#: Fields a 304 carries when the 200 would (RFC 9110 §15.4.5).
REVALIDATION_FIELDS = ("ETag", "Cache-Control", "Vary", "Expires", "Content-Location")


def png(width: int, height: int) -> bytes:
    """A grey PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + b"\x80" * 3 * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_library(folder: Path, media_cache: Path, mtime: int = FIXED_MTIME) -> Path:
    """A captioned video with a poster and an audio item, all last changed
    at ``mtime``."""
    folder.mkdir(parents=True)
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(CAPTIONS, encoding="utf-8")
    (folder / "clip.json").write_text('{"title": "A short clip"}')
    (folder / "clip.png").write_bytes(png(*POSTER_SIZE))
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    for path in folder.iterdir():
        os.utime(path, (mtime, mtime))
    return folder


def make_app(folder: Path, state: Path, **config):
    return create_app({"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "audit",
                       "DATABASE": str(state / "player.sqlite"), **config})


@pytest.fixture
def library(tmp_path, media_cache) -> Path:
    return make_library(tmp_path / "media", media_cache)


@pytest.fixture
def app(library, tmp_path):
    return make_app(library, tmp_path)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Headers
    body: bytes


def fetch(client, url: str, method: str = "GET", headers=None) -> Answer:
    response = client.open(url, method=method, headers=headers or {})
    try:
        body = response.get_data()
    finally:
        response.close()
    return Answer(response.status_code, response.headers, body)


@dataclass(frozen=True)
class Media:
    """The media file as the API names it and as it is on disk."""

    url: str
    data: bytes
    etag: str
    mimetype: str

    @property
    def n(self) -> int:
        return len(self.data)


@pytest.fixture
def media(client, library) -> Media:
    source = client.get("/api/media/clip").get_json()["sources"][0]
    first = fetch(client, source["url"])
    assert first.status == 200
    return Media(source["url"], (library / "clip.mp4").read_bytes(), first.headers["ETag"],
                 source["type"])


# -- byte ranges (RFC 9110 §14) -------------------------------------------------------

def multipart_parts(answer: Answer) -> list[tuple[Headers, bytes]]:
    """The parts of a multipart/byteranges body, framed as RFC 2046 §5.1.1
    and RFC 9110 §14.6 say: the first delimiter at the start, CRLF before
    every later one, the close delimiter last, headers then a blank line."""
    match = BOUNDARY.fullmatch(answer.headers["Content-Type"])
    assert match, answer.headers["Content-Type"]
    boundary = match.group(2).encode("ascii")
    body = answer.body
    opening, closing = b"--" + boundary + b"\r\n", b"\r\n--" + boundary + b"--\r\n"
    assert body.startswith(opening) and body.endswith(closing)
    parts = []
    for part in body[len(opening):-len(closing)].split(b"\r\n--" + boundary + b"\r\n"):
        head, separator, data = part.partition(b"\r\n\r\n")
        assert separator, part[:200]
        fields = Headers()
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            assert colon and name.strip() == name, line
            fields.add(name, value.strip(" \t"))
        parts.append((fields, data))
    return parts


def served_ranges(answer: Answer, media: Media) -> list[tuple[int, int]]:
    """The (first, last) positions a 206 carries, each checked byte for byte
    against the file, with its Content-Length equal to the body."""
    assert answer.status == 206
    assert answer.headers["Content-Length"] == str(len(answer.body))
    if answer.headers["Content-Type"].startswith("multipart/byteranges"):
        assert "Content-Range" not in answer.headers
        pieces = []
        for fields, data in multipart_parts(answer):
            assert fields["Content-Type"] == media.mimetype
            pieces.append((fields["Content-Range"], data))
    else:
        assert answer.headers["Content-Type"] == media.mimetype
        pieces = [(answer.headers["Content-Range"], answer.body)]
    ranges = []
    for content_range, data in pieces:
        match = CONTENT_RANGE.fullmatch(content_range)
        assert match, content_range
        first, last, complete = map(int, match.groups())
        assert complete == media.n and first <= last < media.n
        assert data == media.data[first:last + 1], content_range
        ranges.append((first, last))
    return ranges


def assert_covers(ranges: list[tuple[int, int]], wanted: list[tuple[int, int]]) -> None:
    covered = set().union(*(range(first, last + 1) for first, last in ranges))
    for first, last in wanted:
        assert set(range(first, last + 1)) <= covered, (first, last)


def assert_whole(answer: Answer, media: Media) -> None:
    assert answer.status == 200
    assert "Content-Range" not in answer.headers
    assert answer.headers["Content-Length"] == str(media.n)
    assert answer.body == media.data


Wanted = Callable[[int], list[tuple[int, int]]]


@dataclass(frozen=True)
class RangeCase:
    header: str
    #: The byte positions asked for, given the length; None: the Range
    #: header must be ignored and the whole file sent as a 200.
    wanted: Wanted | None
    #: Whether a 200 with the whole file is also right (RFC 9110 §14.2 lets
    #: a server ignore Range when ranges overlap or are out of order).
    whole_allowed: bool = False


RANGE_CASES = {
    "unit compared case-insensitively": RangeCase("Bytes=0-1", lambda n: [(0, 1)]),
    "OWS around commas": RangeCase("bytes=0-0 ,\t-1", lambda n: [(0, 0), (n - 1, n - 1)]),
    "overlapping and unsorted": RangeCase(
        "bytes=500-999,0-99,50-149", lambda n: [(500, 999), (0, 149)], whole_allowed=True),
    "the same range twice": RangeCase("bytes=10-19,10-19", lambda n: [(10, 19)],
                                      whole_allowed=True),
    "open range from 0": RangeCase("bytes=0-", lambda n: [(0, n - 1)], whole_allowed=True),
    "last position beyond any file": RangeCase("bytes=0-99999999999999999999",
                                               lambda n: [(0, n - 1)], whole_allowed=True),
    "first position after last is invalid": RangeCase("bytes=5-4", None),
    "garbage": RangeCase("bytes=abc", None),
    "unknown unit": RangeCase("pages=1-2", None),
}


@pytest.mark.parametrize("case", RANGE_CASES.values(), ids=RANGE_CASES.keys())
def test_range_requests_get_the_right_bytes(client, media, case: RangeCase):
    answer = fetch(client, media.url, headers={"Range": case.header})
    if case.wanted is None:
        assert_whole(answer, media)
    elif answer.status == 200 and case.whole_allowed:
        assert_whole(answer, media)
    else:
        assert_covers(served_ranges(answer, media), case.wanted(media.n))


def test_two_ranges_are_a_multipart_body(client, media):
    """RFC 9110 §14.6: the boundary in Content-Type, each part with its own
    Content-Type and Content-Range, in the order asked for."""
    answer = fetch(client, media.url, headers={"Range": "bytes=0-0,-1"})
    assert served_ranges(answer, media) == [(0, 0), (media.n - 1, media.n - 1)]
    assert [fields["Content-Range"] for fields, _ in multipart_parts(answer)] == [
        f"bytes 0-0/{media.n}", f"bytes {media.n - 1}-{media.n - 1}/{media.n}"]


def test_a_zero_suffix_is_not_satisfiable(client, media):
    """RFC 9110 §14.1.1, §15.5.17: 416 with the current length."""
    answer = fetch(client, media.url, headers={"Range": "bytes=-0"})
    assert answer.status == 416
    assert answer.headers["Content-Range"] == f"bytes */{media.n}"
    assert answer.body == b""


def test_a_range_of_an_empty_file(tmp_path):
    """An empty representation has no byte to name: the Range is ignored
    (200, no body) or unsatisfiable (416 with ``*/0``), never a 206."""
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    client = Client(lambda environ, start: media_response(environ, empty, "video/mp4")(
        environ, start))
    for value in ("bytes=0-", "bytes=-5", "bytes=0-0"):
        response = client.get("/", headers={"Range": value})
        try:
            body = response.get_data()
            assert response.status_code in (200, 416), value
            assert body == b""
            if response.status_code == 416:
                assert response.headers["Content-Range"] == "bytes */0"
            else:
                assert response.headers["Content-Length"] == "0"
        finally:
            response.close()


# -- preconditions (RFC 9110 §13) -----------------------------------------------------

@dataclass(frozen=True)
class Precondition:
    headers: Callable[[str], dict[str, str]]
    status: int
    method: str = "GET"


def fields_with_etag(**fields: str) -> Callable[[str], dict[str, str]]:
    """Header fields (``If_Match`` for If-Match) in which ``{etag}`` stands
    for the current entity tag and ``{bare}`` for it without its quotes."""
    return lambda etag: {name.replace("_", "-"): value.format(etag=etag, bare=etag.strip('"'))
                         for name, value in fields.items()}


PRECONDITIONS = {
    # §13.2.2 step 1, then 2 only without If-Match.
    "If-Match fails first": Precondition(
        fields_with_etag(If_Match='"other"', If_None_Match="{etag}"), 412),
    "If-Match passing makes If-Unmodified-Since ignored": Precondition(
        fields_with_etag(If_Match="{etag}", If_Unmodified_Since=OLD_DATE), 200),
    "If-Unmodified-Since earlier fails": Precondition(
        fields_with_etag(If_Unmodified_Since=OLD_DATE), 412),
    "If-Unmodified-Since equal passes": Precondition(
        fields_with_etag(If_Unmodified_Since=FIXED_DATE), 200),
    # Step 3, then 4 only without If-None-Match.
    "If-None-Match matching is a 304": Precondition(fields_with_etag(If_None_Match="{etag}"), 304),
    "If-None-Match on HEAD is a 304": Precondition(
        fields_with_etag(If_None_Match="{etag}"), 304, "HEAD"),
    "If-None-Match compares weakly": Precondition(fields_with_etag(If_None_Match="W/{etag}"), 304),
    "If-None-Match star": Precondition(fields_with_etag(If_None_Match="*"), 304),
    "If-None-Match list with OWS": Precondition(
        fields_with_etag(If_None_Match='"a" ,\t{etag} , "b"'), 304),
    "If-None-Match passing makes If-Modified-Since ignored": Precondition(
        fields_with_etag(If_None_Match='"other"', If_Modified_Since=FIXED_DATE), 200),
    "If-Modified-Since equal is a 304": Precondition(
        fields_with_etag(If_Modified_Since=FIXED_DATE), 304),
    "If-Modified-Since earlier": Precondition(fields_with_etag(If_Modified_Since=OLD_DATE), 200),
    "If-Modified-Since in the obsolete RFC 850 form": Precondition(
        fields_with_etag(If_Modified_Since="Tuesday, 14-Nov-23 22:13:20 GMT"), 304),
    "If-Modified-Since in the asctime form": Precondition(
        fields_with_etag(If_Modified_Since="Tue Nov 14 22:13:20 2023"), 304),
    # §8.8.3.2: If-Match compares strongly.
    "If-Match star": Precondition(fields_with_etag(If_Match="*"), 200),
    "If-Match list with OWS": Precondition(fields_with_etag(If_Match='"a",\t {etag}'), 200),
    "If-Match weak tag fails": Precondition(fields_with_etag(If_Match="W/{etag}"), 412),
    # Malformed dates are ignored (§13.1.3-4), lists of dates included.
    "If-Modified-Since garbage": Precondition(fields_with_etag(If_Modified_Since="yesterday"), 200),
    "If-Unmodified-Since garbage": Precondition(
        fields_with_etag(If_Unmodified_Since="yesterday"), 200),
    "If-Modified-Since with two dates": Precondition(
        fields_with_etag(If_Modified_Since=f"{FIXED_DATE}, {FIXED_DATE}"), 200),
    "If-Unmodified-Since with two dates": Precondition(
        fields_with_etag(If_Unmodified_Since=f"{OLD_DATE}, {FIXED_DATE}"), 200),
    "If-Modified-Since with a numeric zone": Precondition(
        fields_with_etag(If_Modified_Since="Tue, 14 Nov 2023 22:13:20 +0000"), 200),
    # An entity tag is quoted (§8.8.3): a bare one matches nothing.
    "If-None-Match unquoted tag matches nothing": Precondition(
        fields_with_etag(If_None_Match="{bare}"), 200),
    "If-Match unquoted tag matches nothing": Precondition(fields_with_etag(If_Match="{bare}"), 412),
    "If-None-Match star in a list is not star": Precondition(
        fields_with_etag(If_None_Match='"a", *'), 200),
}


@pytest.mark.parametrize("case", PRECONDITIONS.values(), ids=PRECONDITIONS.keys())
def test_media_preconditions(client, media, case: Precondition):
    answer = fetch(client, media.url, case.method, case.headers(media.etag))
    assert answer.status == case.status
    if case.status == 200 and case.method == "GET":
        assert answer.body == media.data
    if case.status in (304, 412) or case.method == "HEAD":
        assert answer.body == b""


@pytest.mark.parametrize("case", [name for name in PRECONDITIONS if "Since" not in name],
                         ids=str)
@pytest.mark.parametrize("url", ["/api/media/clip", "/watch/clip",
                                 "/oembed?url=http://localhost/watch/clip"])
def test_in_memory_answers_evaluate_preconditions_alike(client, url, case):
    """The same order and comparisons for answers built per request, which
    have an entity tag and no Last-Modified (§13.1.3-4: date conditions
    then never apply)."""
    etag = fetch(client, url).headers["ETag"]
    precondition = PRECONDITIONS[case]
    answer = fetch(client, url, precondition.method, precondition.headers(etag))
    assert answer.status == precondition.status


@dataclass(frozen=True)
class IfRange:
    value: Callable[[str], str]
    ranged: bool


IF_RANGE = {
    "strong tag matching": IfRange(lambda etag: etag, True),
    "weak tag never matches": IfRange(lambda etag: "W/" + etag, False),
    "another tag": IfRange(lambda etag: '"other"', False),
    "date equal to a strong Last-Modified": IfRange(lambda etag: FIXED_DATE, True),
    "RFC 850 form of that date": IfRange(lambda etag: "Tuesday, 14-Nov-23 22:13:20 GMT", True),
    "earlier date": IfRange(lambda etag: OLD_DATE, False),
    "not an HTTP-date, though the same moment": IfRange(
        lambda etag: "Tue, 14 Nov 2023 22:13:20 +0000", False),
    "HTTP-date is case-sensitive": IfRange(lambda etag: FIXED_DATE.lower(), False),
    "a list is not one validator": IfRange(lambda etag: f'"other", {etag}', False),
}


@pytest.mark.parametrize("case", IF_RANGE.values(), ids=IF_RANGE.keys())
def test_if_range(client, media, case: IfRange):
    """RFC 9110 §13.1.5: a matching validator lets the Range through;
    anything else gets the whole representation."""
    answer = fetch(client, media.url,
                   headers={"Range": "bytes=10-19", "If-Range": case.value(media.etag)})
    if case.ranged:
        assert served_ranges(answer, media) == [(10, 19)]
    else:
        assert_whole(answer, media)


def test_if_range_date_of_a_file_changed_this_second(tmp_path, media_cache):
    """RFC 9110 §13.1.5, §8.8.2.2: a Last-Modified that is not a second
    older than Date is weak, so an If-Range date never matches it. A file
    dated in the future is served as last modified now (§8.8.2.1)."""
    folder = make_library(tmp_path / "media", media_cache, mtime=int(time.time()) + 86_400)
    client = make_app(folder, tmp_path).test_client()
    url = client.get("/api/media/clip").get_json()["sources"][0]["url"]
    plain = fetch(client, url)
    assert plain.headers["Last-Modified"] == plain.headers["Date"]
    answer = fetch(client, url, headers={"Range": "bytes=10-19",
                                         "If-Range": plain.headers["Last-Modified"]})
    assert answer.status == 200
    assert answer.body == (folder / "clip.mp4").read_bytes()


# -- what each status carries ------------------------------------------------------------

def _listed_origins_client(library, tmp_path):
    return make_app(library, tmp_path, CORS_ORIGINS="https://a.example").test_client()


@pytest.mark.parametrize(("url", "varies_on"), [
    ("MEDIA", "Origin"), ("/files/clip/clip.en.vtt", "Origin"), ("/watch/clip", None),
    ("/api/media/clip", "Origin"), ("/oembed?url=http://localhost/watch/clip", "Origin"),
    ("/static/player/player.css", "Accept-Encoding"),
])
def test_304_carries_what_a_200_would(library, tmp_path, url, varies_on):
    """RFC 9110 §15.4.5: ETag, Cache-Control, Vary, Expires and
    Content-Location as in the 200, plus Date, and no content."""
    client = _listed_origins_client(library, tmp_path)
    if url == "MEDIA":
        url = client.get("/api/media/clip").get_json()["sources"][0]["url"]
    request = {"Origin": "https://a.example", "Accept-Encoding": "gzip"}
    whole = fetch(client, url, headers=request)
    assert whole.status == 200
    assert varies_on is None or varies_on in whole.headers["Vary"]
    again = fetch(client, url, headers={**request, "If-None-Match": whole.headers["ETag"]})
    assert again.status == 304
    assert again.body == b""
    for name in REVALIDATION_FIELDS:
        assert again.headers.get(name) == whole.headers.get(name), name
    assert "Date" in again.headers
    # Content-Length, if sent at all, is the 200's (RFC 9110 §8.6).
    assert again.headers.get("Content-Length") in (None, whole.headers["Content-Length"])


@pytest.mark.parametrize("url", ["MEDIA", "/files/clip/clip.en.vtt", "/watch/clip",
                                 "/api/media", "/oembed?url=http://localhost/watch/clip"])
def test_head_has_the_fields_of_get(client, media, url):
    """RFC 9110 §9.3.2: the same fields (Date aside) and no content."""
    url = media.url if url == "MEDIA" else url
    get, head = fetch(client, url), fetch(client, url, "HEAD")
    assert (get.status, head.status) == (200, 200)
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))
    assert ({k: v for k, v in head.headers.items() if k != "Date"}
            == {k: v for k, v in get.headers.items() if k != "Date"})


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_media_refuses_other_methods_with_allow(client, media, method):
    """RFC 9110 §15.5.6: 405 lists the methods the media URL has."""
    answer = fetch(client, media.url, method)
    assert answer.status == 405
    allowed = {name.strip() for name in answer.headers["Allow"].split(",")}
    assert {"GET", "HEAD"} <= allowed
    assert method not in allowed


# -- caching (RFC 9111) ----------------------------------------------------------------

def directives(answer: Answer) -> set[str]:
    return {part.strip().lower() for part in answer.headers.get("Cache-Control", "").split(",")
            if part.strip()}


def test_media_and_tracks_are_cached_publicly(client, media):
    assert directives(fetch(client, media.url)) == {"public", "max-age=3600"}
    track = fetch(client, "/files/clip/clip.en.vtt")
    assert "public" in directives(track) and any(
        d.startswith("max-age=") for d in directives(track))


@pytest.mark.parametrize("url", [
    "/", "/watch/clip", "/watch/clip/transcript", "/embed/clip", "/search?q=hello",
    "/api/media", "/api/media/clip", "/api/media/clip/transcript", "/api/search?q=hello",
    "/oembed?url=http://localhost/watch/clip",
])
def test_pages_and_api_answers_are_revalidated(client, url):
    """They change whenever the library does: say so (RFC 9111 §5.2.2.4)
    rather than leave caches to guess a freshness (§4.2.2), and let the
    revalidation keep the directive."""
    answer = fetch(client, url)
    assert "no-cache" in directives(answer)
    assert not any(d.startswith(("max-age", "s-maxage")) for d in directives(answer))
    again = fetch(client, url, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status == 304 and directives(again) == directives(answer)


def test_static_assets_vary_by_encoding(client):
    """A gzip answer and an identity answer are two representations: each
    has its own entity tag and says what it varies on (RFC 9110 §12.5.5)."""
    url = "/static/player/player.js"
    gzipped = fetch(client, url, headers={"Accept-Encoding": "gzip"})
    plain = fetch(client, url, headers={"Accept-Encoding": "identity"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    for answer in (gzipped, plain):
        assert "Accept-Encoding" in answer.headers["Vary"]
        assert directives(answer)
    assert gzipped.headers["ETag"] != plain.headers["ETag"]
    assert zlib.decompress(gzipped.body, 31) == plain.body


def test_publisher_answers_stay_out_of_shared_caches(app, client):
    """RFC 9111 §5.2.2.7: answers made for one signed-in publisher."""
    token = create_publisher(app)
    for url in ("/publish/login", "/api/media/clip/stats"):
        answer = fetch(client, url, headers=bearer(token))
        assert answer.status == 200, url
        assert "private" in directives(answer), url
        again = fetch(client, url, headers={**bearer(token),
                                            "If-None-Match": answer.headers["ETag"]})
        assert "private" in directives(again), url
    assert "private" not in directives(fetch(client, "/api/media/clip"))


@pytest.mark.parametrize("url", ["MEDIA", "/api/media/clip",
                                 "/oembed?url=http://localhost/watch/clip"])
def test_answers_vary_by_origin_when_only_some_origins_may_read(library, tmp_path, url):
    client = _listed_origins_client(library, tmp_path)
    if url == "MEDIA":
        url = client.get("/api/media/clip").get_json()["sources"][0]["url"]
    for origin in ({}, {"Origin": "https://a.example"}, {"Origin": "https://b.example"}):
        answer = fetch(client, url, headers=origin)
        assert "Origin" in {v.strip() for v in answer.headers.get("Vary", "").split(",")}


# -- preconditions on methods that change something ---------------------------------------

def test_delete_needs_the_current_entity_tag(app, client):
    """RFC 9110 §13.1.1: If-Match is evaluated before the method acts, so a
    client that read an older version does not delete the newer one."""
    token = bearer(create_publisher(app))
    etag = fetch(client, "/api/media/clip").headers["ETag"]
    for headers in ({"If-Match": '"older"'}, {"If-Match": "W/" + etag},
                    {"If-None-Match": "*"}, {"If-None-Match": etag}):
        answer = fetch(client, "/api/media/clip", "DELETE", {**token, **headers})
        assert answer.status == 412, headers
        assert json.loads(answer.body)["error"]["code"] == "precondition_failed"
        assert fetch(client, "/api/media/clip").status == 200
    assert fetch(client, "/api/media/clip", "DELETE", {**token, "If-Match": etag}).status == 204
    assert fetch(client, "/api/media/clip").status == 404


def test_access_and_existence_come_before_preconditions(app, client):
    """RFC 9110 §13.2.1: an answer that would be an error without the
    conditions stays that error."""
    token = bearer(create_publisher(app))
    stale = {"If-Match": '"older"'}
    assert fetch(client, "/api/media/clip", "DELETE", stale).status == 401
    assert fetch(client, "/api/media/nothing", "DELETE", {**token, **stale}).status == 404
    assert fetch(client, "/api/media/clip").status == 200


def test_a_tracks_preconditions_are_held_to_its_text(app, client, library):
    """A track's URL answers GET with its text (the caption editor's API), so
    If-Match holds for its entity tag alone and If-None-Match: * fails (§13.1.1-2)."""
    token = bearer(create_publisher(app))
    url = "/api/media/clip/tracks/en.captions"
    assert fetch(client, url, "DELETE", {**token, "If-Match": '"anything"'}).status == 412
    assert fetch(client, url, "DELETE", {**token, "If-None-Match": "*"}).status == 412
    assert (library / "clip.en.vtt").exists()
    etag = client.get(url, headers=token).headers["ETag"]
    assert fetch(client, url, "DELETE", {**token, "If-Match": etag}).status == 204


# -- oEmbed 1.0 (https://oembed.com) ---------------------------------------------------

def oembed(client, status: int = 200, **params) -> dict:
    response = client.get("/oembed", query_string={"url": "http://localhost/watch/clip",
                                                   **params})
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_video_response(body: dict, maxwidth: int | None = None,
                          maxheight: int | None = None, audio: bool = False) -> None:
    """oEmbed 1.0 §2.3.4 and §2.3.4.4 (for audio, §2.3.4.5: "rich", the same fields)."""
    assert body["type"] == ("rich" if audio else "video") and body["version"] == "1.0"
    assert isinstance(body["html"], str) and "<iframe" in body["html"]
    for name in ("width", "height"):
        assert type(body[name]) is int and body[name] > 0
    assert body["width"] <= (maxwidth or body["width"])
    assert body["height"] <= (maxheight or body["height"])
    frame = parse_html(body["html"]).find("iframe").attrs
    assert (frame["width"], frame["height"]) == (str(body["width"]), str(body["height"]))
    # The player needs 12rem to show: a low maximum height alone does not
    # shrink the frame to a sliver.
    assert body["width"] >= min(PLAYER_MIN_WIDTH, maxwidth or PLAYER_MIN_WIDTH)
    thumbnail = {"thumbnail_url", "thumbnail_width", "thumbnail_height"}
    assert thumbnail & body.keys() in (set(), thumbnail)
    if thumbnail <= body.keys():
        assert body["thumbnail_width"] <= (maxwidth or body["thumbnail_width"])
        assert body["thumbnail_height"] <= (maxheight or body["thumbnail_height"])


@pytest.mark.parametrize("params", [{}, {"format": "json"}])
def test_oembed_video_response(client, params):
    body = oembed(client, **params)
    assert_video_response(body)
    assert body["title"] == "A short clip"
    assert body["thumbnail_url"] == "http://localhost/files/clip/clip.png"
    assert (body["thumbnail_width"], body["thumbnail_height"]) == POSTER_SIZE
    with client.get(body["thumbnail_url"]) as poster:
        assert poster.status_code == 200 and poster.mimetype == "image/png"


@pytest.mark.parametrize("fmt", ["xml", "yaml", "JSON"])
def test_formats_other_than_json_are_not_implemented(client, fmt):
    """oEmbed 1.0 §2.2: 501 for a format the provider does not serve; and as
    XML is not served, no page advertises it."""
    assert oembed(client, 501, format=fmt)["error"]["code"] == "not_implemented"


@pytest.mark.parametrize("item", ["clip", "song"])
@pytest.mark.parametrize(("maxwidth", "maxheight"), [
    (1, 1), (120, None), (None, 50), (240, 100),
    (300, None), (None, 200), (500, 150), (800, 600), (1000, None), (None, 1000),
])
def test_oembed_maxima_are_respected(client, item, maxwidth, maxheight):
    params = {k: v for k, v in (("maxwidth", maxwidth), ("maxheight", maxheight)) if v}
    body = oembed(client, url=f"http://localhost/watch/{item}", **params)
    assert_video_response(body, maxwidth, maxheight, audio=item == "song")


@pytest.mark.parametrize("params", [
    {"maxwidth": "wide"}, {"maxwidth": "0"}, {"maxheight": "0"}, {"maxwidth": "-320"},
    {"maxwidth": "320.5"}, {"maxwidth": "1e3"},
    # Digits of other scripts are not a number of pixels.
    {"maxwidth": "\uff13\uff12\uff10"}, {"maxheight": "\u0663\u0660\u0660"},
])
def test_oembed_unusable_maxima_are_bad_requests(client, params):
    assert oembed(client, 400, **params)["error"]["code"] == "bad_request"


def test_oembed_thumbnail_is_all_or_nothing(client):
    """oEmbed 1.0 §2.3.4: the three thumbnail fields come together, and
    within the maxima."""
    fits = oembed(client, maxwidth=POSTER_SIZE[0] + 80)
    assert (fits["thumbnail_width"], fits["thumbnail_height"]) == POSTER_SIZE
    too_big = oembed(client, maxwidth=POSTER_SIZE[0] - 20)
    assert not {"thumbnail_url", "thumbnail_width", "thumbnail_height"} & too_big.keys()


@pytest.mark.parametrize("url", ["http://localhost/watch/nothing",
                                 "https://elsewhere.example/watch/clip",
                                 "http://localhost/files/clip/clip.mp4"])
def test_oembed_unknown_urls_are_not_found(client, url):
    """oEmbed 1.0 §2.2."""
    assert oembed(client, 404, url=url)["error"]["code"] == "not_found"


def test_oembed_discovery_link(client):
    """oEmbed 1.0 §4: the watch page names its JSON endpoint with an
    absolute URL whose ``url`` argument is the page, percent-encoded."""
    html = fetch(client, "/watch/clip").body.decode()
    links = [element.attrs for element in parse_html(html).iter()
             if element.tag == "link" and element.attrs.get("rel") == "alternate"]
    assert [link["type"] for link in links] == ["application/json+oembed"]
    href = links[0]["href"]
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost", "/oembed")
    assert "url=http%3A%2F%2Flocalhost%2Fwatch%2Fclip" in parts.query
    assert parse_qs(parts.query, strict_parsing=True) == {
        "url": ["http://localhost/watch/clip"], "format": ["json"]}
    assert_video_response(client.get(href).get_json())


SMALL_FRAME = (240, 100)


def test_a_small_oembed_frame_shows_the_links(app, page, live_server):
    """In a frame too small for the player, the embed page's links are
    inside the frame, in both UI languages."""
    page.set_viewport_size({"width": SMALL_FRAME[0], "height": SMALL_FRAME[1]})
    for lang in ("en", "uk"):
        page.goto(f"{live_server.url}/embed/clip?hl={lang}")
        links = page.locator(".ap-embed-links a")
        assert links.count() == 2
        for index in range(2):
            link = links.nth(index)
            assert link.is_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["y"] >= 0
            assert box["x"] + box["width"] <= SMALL_FRAME[0], lang
            assert box["y"] + box["height"] <= SMALL_FRAME[1], lang


# -- through gunicorn --------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    address: tuple[str, int]
    database: Path
    library: Path


def raw(server: Server, method: str, path: str, fields: list[tuple[str, str]]) -> Answer:
    """One request with exactly these header fields (and Host), repeated
    names kept, on a connection of its own."""
    status, headers, body = raw_request(server.address, method, path, fields)
    return Answer(status, Headers(headers), body)


@pytest.fixture(scope="module")
def server(tmp_path_factory, media_cache) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("audit-gunicorn")
    library = make_library(state / "media", media_cache)
    env = {**os.environ, "PLAYER_MEDIA_DIR": str(library), "PLAYER_SECRET_KEY": "audit",
           "PLAYER_DATABASE": str(state / "player.sqlite")}
    options = ["--workers", "1", "--worker-class", "player.worker.KeepAliveWorker",
               "--threads", "2"]
    with gunicorn(options, env, state / "gunicorn.log") as address:
        yield Server(address, state / "player.sqlite", library)


@pytest.fixture(scope="module")
def served_media(server) -> Media:
    item = json.loads(raw(server, "GET", "/api/media/clip", []).body)
    path = urlsplit(item["sources"][0]["url"]).path
    first = raw(server, "GET", path, [])
    return Media(path, (server.library / "clip.mp4").read_bytes(), first.headers["ETag"],
                 item["sources"][0]["type"])


def test_gunicorn_several_range_fields(server, served_media):
    """Range is not a list field, so two of them are not one valid Range
    (RFC 9110 §5.3, §14.2): ignored, or at least never wrong bytes."""
    for second in ("bytes=4-5", "bytes=0-1"):
        answer = raw(server, "GET", served_media.url,
                     [("Range", "bytes=0-1"), ("Range", second)])
        if answer.status == 200:
            assert_whole(answer, served_media)
        else:
            served_ranges(answer, served_media)


def test_gunicorn_several_if_none_match_fields_are_one_list(server, served_media):
    """RFC 9110 §5.3: If-None-Match is a list, so two fields are one list."""
    answer = raw(server, "GET", served_media.url,
                 [("If-None-Match", '"other"'), ("If-None-Match", served_media.etag)])
    assert answer.status == 304 and answer.body == b""


@pytest.mark.parametrize("path", ["MEDIA", "/watch/clip", "/api/media"])
def test_gunicorn_head_and_304_have_no_content(server, served_media, path):
    path = served_media.url if path == "MEDIA" else path
    get = raw(server, "GET", path, [])
    head = raw(server, "HEAD", path, [])
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))
    assert "Transfer-Encoding" not in head.headers
    again = raw(server, "GET", path, [("If-None-Match", get.headers["ETag"])])
    assert again.status == 304 and again.body == b""
    assert "Transfer-Encoding" not in again.headers
    assert again.headers.get("Content-Length") in (None, str(len(get.body)))
    assert again.headers["Cache-Control"] == get.headers["Cache-Control"]
    assert len(again.headers.getlist("Date")) == 1


def test_gunicorn_multipart_framing(server, served_media):
    answer = raw(server, "GET", served_media.url, [("Range", "bytes=0-0,-1")])
    assert "Transfer-Encoding" not in answer.headers
    n = served_media.n
    assert served_ranges(answer, served_media) == [(0, 0), (n - 1, n - 1)]


def test_gunicorn_stale_delete_is_refused(server):
    """The GET that the precondition is held to is made inside the app, so
    it must see what a client sees through the server."""
    conn = db.connect(str(server.database))
    try:
        token = auth.create_publisher(conn, "auditor")
    finally:
        conn.close()
    etag = raw(server, "GET", "/api/media/song", []).headers["ETag"]
    refused = raw(server, "DELETE", "/api/media/song",
                  [("Authorization", f"Bearer {token}"), ("If-Match", '"older"')])
    assert refused.status == 412
    assert raw(server, "GET", "/api/media/song", []).headers["ETag"] == etag
    done = raw(server, "DELETE", "/api/media/song",
               [("Authorization", f"Bearer {token}"), ("If-Match", etag)])
    assert done.status == 204
