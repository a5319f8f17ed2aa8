"""Byte ranges and preconditions compared with nginx: the same file served by
the app (under gunicorn, as in production) and by Debian's nginx, asked the
same questions, must give the same status, Content-Range, Content-Type and
bytes, part by part for multipart answers.

Only where RFC 9110 lets servers differ, or where nginx departs from it, do
the two differ, and those cases are listed with what each does; the boundary
strings of multipart bodies and the small HTML body nginx puts in a 416 are
not compared."""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import random
import shutil
import stat
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.stream_vs_nginx import free_port, start_nginx
from tests.gunicorn_support import gunicorn, raw_request

SIZE = 10_000
HALF = SIZE // 2

# Range values both servers must answer alike (RFC 9110 §14).
SAME = [
    "bytes=0-0",
    "bytes=0-1",
    "bytes=-1",
    "bytes=-500",
    "bytes=0-",
    f"bytes={SIZE - 1}-",
    f"bytes=-{SIZE + 5}",
    f"bytes=5-{SIZE + 100}",
    "bytes=00-01",
    "Bytes=0-1",
    "bytes=0-1 ",
    "bytes=",
    "bytes =0-1",
    "items=0-1",
    "bytes=-0",
    f"bytes={SIZE}-",
    f"bytes={SIZE}-{SIZE + 5}",
    f"bytes={SIZE}-{SIZE + 5},0-0",
    "bytes=0-1,2-3",
    "bytes=0-1, 2-3",
    "bytes=0-1,0-1",
    "bytes=0-10,5-15",
    "bytes=-1,0-0",
    "bytes=0-0,-1,2-2",
    "bytes=1-1,3-3,5-5,7-7",
    "bytes=9000-9099,0-99",
    f"bytes=0-{HALF - 1},{HALF}-{SIZE - 1}",
    f"bytes=-{HALF},-{HALF - 1000}",
    f"bytes=0-{HALF},{HALF - 1000}-",
    "bytes=0-,0-",
]

# Where RFC 9110 leaves a choice. nginx answers a Range it cannot parse with
# 416; the app ignores it and sends the file (§14.2: a server MAY ignore
# Range). nginx refuses positions too long for its integers; the app clamps
# them to the file (§14.1.2). Empty list elements are skipped (§5.6.1).
# nginx reads spaces after "=", which the grammar does not allow.
DIFFERENT = {
    "bytes=5-4": (200, 416),
    "bytes=abc": (200, 416),
    "bytes=-": (200, 416),
    "bytes=0-1;x": (200, 416),
    "bytes=+1-2": (200, 416),
    "bytes= 0-1": (200, 206),
    "bytes=,0-1": (206, 416),
    "bytes=0-1,,2-3": (206, 416),
    "bytes=0-99999999999999999999999": (206, 416),
    "bytes=-99999999999999999999999": (206, 416),
}

@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nginx-library")
    # Readable by nginx's workers, which drop root for an unprivileged user.
    for path in (folder, *folder.parents):
        if path == Path(path.anchor):
            break
        path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o005)
    with wave.open(str(folder / "noise.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(random.Random(9110).randbytes(SIZE - 44))
    assert (folder / "noise.wav").stat().st_size == SIZE
    # Long enough ago for Last-Modified to be a strong validator.
    os.utime(folder / "noise.wav", (1_700_000_000, 1_700_000_000))
    return folder


@pytest.fixture(scope="module")
def nginx(library, tmp_path_factory) -> Iterator[tuple[str, int]]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("nginx is missing: apt-get install -y nginx (.ci/run does)")
    state = tmp_path_factory.mktemp("nginx-state")
    port = free_port()
    # The benchmark's nginx: the same settings the speed comparison uses.
    process = start_nginx(binary, library, state, port, workers=1)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                raw_request(("127.0.0.1", port), "HEAD", "/noise.wav", ())
                break
            except ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start:\n{(state / 'error.log').read_text()}")
                time.sleep(0.1)
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def app_server(library, tmp_path_factory) -> Iterator[tuple[tuple[str, int], str]]:
    state = tmp_path_factory.mktemp("nginx-compare-state")
    env = {**os.environ, "PLAYER_MEDIA_DIR": str(library),
           "PLAYER_DATABASE": str(state / "player.sqlite"),
           "PLAYER_SECRET_KEY": "nginx-compare-secret"}
    options = ["--workers", "1", "--worker-class", "player.worker.KeepAliveWorker",
               "--threads", "2"]
    with gunicorn(options, env, state / "gunicorn.log") as address:
        status, _, body = raw_request(address, "GET", "/api/media/noise", ())
        assert status == 200
        url = json.loads(body)["sources"][0]["url"]
        yield address, urlsplit(url).path


def answer(address: tuple[str, int], path: str, byte_range: str) -> tuple:
    """Status, then the parts as (Content-Type, Content-Range, bytes): one
    part for a single-part answer, none for a 416."""
    status, fields, body = raw_request(address, "GET", path, [("Range", byte_range)])
    headers = {name.lower(): value for name, value in fields}
    if status == 416:
        return status, headers["content-range"], []
    content_type = headers["content-type"]
    assert int(headers["content-length"]) == len(body)
    if not content_type.startswith("multipart/byteranges"):
        return status, headers.get("content-range"), [(content_type, body)]
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts = [(part["Content-Type"], part["Content-Range"], part.get_payload(decode=True))
             for part in message.iter_parts()]
    return status, None, parts


@pytest.mark.parametrize("byte_range", SAME)
def test_answers_like_nginx(app_server, nginx, byte_range):
    address, path = app_server
    ours = answer(address, path, byte_range)
    theirs = answer(nginx, "/noise.wav", byte_range)
    assert ours == theirs


@pytest.mark.parametrize("byte_range", DIFFERENT)
def test_known_differences(app_server, nginx, library, byte_range):
    address, path = app_server
    ours, theirs = DIFFERENT[byte_range]
    assert answer(nginx, "/noise.wav", byte_range)[0] == theirs
    status, _, parts = answer(address, path, byte_range)
    assert status == ours
    if status == 200:
        assert parts[0][1] == (library / "noise.wav").read_bytes()


# Preconditions, each server asked with its own validators (RFC 9110 §13.2.2:
# If-None-Match is evaluated before Range, If-Range compares strongly).
CONDITIONAL = {
    "If-None-Match with the ETag beats Range": lambda etag, date: [
        ("If-None-Match", etag), ("Range", "bytes=0-9")],
    "If-None-Match with another tag": lambda etag, date: [
        ("If-None-Match", '"other"'), ("Range", "bytes=0-9")],
    "If-None-Match: *": lambda etag, date: [("If-None-Match", "*")],
    "If-Modified-Since the last change": lambda etag, date: [("If-Modified-Since", date)],
    "If-Range with the ETag": lambda etag, date: [("If-Range", etag), ("Range", "bytes=0-9")],
    "If-Range with another tag": lambda etag, date: [
        ("If-Range", '"other"'), ("Range", "bytes=0-9")],
    "If-Range with a weak ETag": lambda etag, date: [
        ("If-Range", "W/" + etag), ("Range", "bytes=0-9")],
    "If-Range with Last-Modified": lambda etag, date: [
        ("If-Range", date), ("Range", "bytes=0-9")],
    "If-Range with another date": lambda etag, date: [
        ("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"), ("Range", "bytes=0-9")],
    "If-Match with another tag": lambda etag, date: [("If-Match", '"other"')],
    "If-Match with the ETag": lambda etag, date: [("If-Match", etag), ("Range", "bytes=-5")],
    "If-Unmodified-Since before the last change": lambda etag, date: [
        ("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")],
}


def validators(address: tuple[str, int], path: str) -> tuple[str, str]:
    status, fields, _ = raw_request(address, "HEAD", path, ())
    headers = {name.lower(): value for name, value in fields}
    return headers["etag"], headers["last-modified"]


@pytest.mark.parametrize("name", CONDITIONAL)
def test_preconditions_like_nginx(app_server, nginx, name):
    address, path = app_server
    answers = []
    for server, server_path in ((address, path), (nginx, "/noise.wav")):
        fields = CONDITIONAL[name](*validators(server, server_path))
        status, headers, body = raw_request(server, "GET", server_path, fields)
        headers = {key.lower(): value for key, value in headers}
        answers.append((status, headers.get("content-range"),
                        body if status in (200, 206) else None))
    assert answers[0] == answers[1]


def test_head_ignores_range_where_nginx_does_not(app_server, nginx):
    """RFC 9110 §14.2 defines Range for GET only, and a server MUST ignore it
    on other methods: HEAD with Range is answered as HEAD without it. nginx
    answers as if it were a GET with Range."""
    address, path = app_server
    status, fields, body = raw_request(address, "HEAD", path, [("Range", "bytes=0-9")])
    headers = {key.lower(): value for key, value in fields}
    assert (status, headers["content-length"], body) == (200, str(SIZE), b"")
    assert "content-range" not in headers
    assert raw_request(nginx, "HEAD", "/noise.wav", [("Range", "bytes=0-9")])[0] == 206
    # Without Range the two agree.
    answers = []
    for server, server_path in ((address, path), (nginx, "/noise.wav")):
        status, fields, body = raw_request(server, "HEAD", server_path, ())
        headers = {key.lower(): value for key, value in fields}
        answers.append((status, headers["content-length"], headers["content-type"], body))
    assert answers[0] == answers[1]
