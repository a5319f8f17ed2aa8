"""The RFC 9110 streaming cases through a real gunicorn, compared byte for
byte with what the Flask test client gets from the same app."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from player import create_app
from tests.gunicorn_support import gunicorn, raw_request
from tests.mediagen import make_media
from tests.test_streaming import (
    CASES,
    FIXED_MTIME,
    Answer,
    Case,
    check,
    fetch,
    http_date,
    representation,
)

# Headers whose values must be identical under gunicorn and the test client.
COMPARED_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
    "cache-control",
    "x-content-type-options",
)
BOUNDARY = re.compile(r"multipart/byteranges; boundary=(\S+)")
# A gunicorn config file that records each socket.sendfile call (offset and
# count) and then makes it unchanged.
SENDFILE_OBSERVER = """\
import os
import socket

_sendfile = socket.socket.sendfile


def _observed_sendfile(self, file, offset=0, count=None):
    with open(os.environ["STREAMING_TEST_SENDFILE_LOG"], "a") as log:
        log.write(f"{offset} {count}\\n")
    return _sendfile(self, file, offset, count)


socket.socket.sendfile = _observed_sendfile
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory, media_cache) -> Path:
    folder = tmp_path_factory.mktemp("gunicorn-library")
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    os.utime(folder / "clip.mp4", (FIXED_MTIME, FIXED_MTIME))
    return folder


@pytest.fixture(scope="module")
def gunicorn_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gunicorn-state")


@pytest.fixture(scope="module")
def gunicorn_address(library, gunicorn_state) -> Iterator[tuple[str, int]]:
    """A gunicorn serving the real app on a free loopback port, its
    sendfile calls recorded in ``sendfile.log``."""
    state = gunicorn_state
    config = state / "observe_sendfile.py"
    config.write_text(SENDFILE_OBSERVER)
    env = {
        **os.environ,
        "PLAYER_MEDIA_DIR": str(library),
        "PLAYER_DATABASE": str(state / "player.sqlite"),
        "PLAYER_SECRET_KEY": "gunicorn-test-secret",
        "STREAMING_TEST_SENDFILE_LOG": str(state / "sendfile.log"),
    }
    options = ["--config", str(config), "--workers", "1", "--worker-class",
               "player.worker.KeepAliveWorker", "--threads", "2", "--log-level", "info"]
    with gunicorn(options, env, state / "gunicorn.log") as address:
        yield address


def request(
    address: tuple[str, int], method: str, path: str, headers: dict[str, str]
) -> Answer:
    """One request on its own connection, with nothing added but Host."""
    status, fields, body = raw_request(address, method, path, headers.items())
    return Answer(status, {name.lower(): value for name, value in fields}, body)


@pytest.fixture(scope="module")
def flask_client(library, tmp_path_factory):
    """The same app and folder through Flask's test client."""
    state = tmp_path_factory.mktemp("client-state")
    app = create_app(
        {
            "TESTING": True,
            "MEDIA_DIR": str(library),
            "DATABASE": str(state / "player.sqlite"),
            "SECRET_KEY": "test-secret",
        }
    )
    return app.test_client()


def comparable(answer: Answer) -> tuple[int, dict[str, str | None], bytes]:
    """Status, the compared headers and the body, with a multipart
    boundary (random per response) replaced by a fixed one of equal length."""
    headers = {name: answer.header(name) for name in COMPARED_HEADERS}
    body = answer.body
    match = BOUNDARY.fullmatch(headers["content-type"] or "")
    if match:
        boundary = match.group(1)
        fixed = "b" * len(boundary)
        headers["content-type"] = headers["content-type"].replace(boundary, fixed)
        body = body.replace(boundary.encode("ascii"), fixed.encode("ascii"))
    return answer.status, headers, body


@pytest.fixture(scope="module")
def media_paths(gunicorn_address, flask_client) -> tuple[str, str]:
    """The media URL path each server's API gives for the clip."""
    api = request(gunicorn_address, "GET", "/api/media/clip", {})
    assert api.status == 200
    served = urlsplit(json.loads(api.body)["sources"][0]["url"]).path
    local = flask_client.get("/api/media/clip").get_json()["sources"][0]["url"]
    return served, local


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gunicorn_answers_like_the_test_client(
    gunicorn_address, flask_client, media_paths, case: Case
):
    served_path, local_url = media_paths
    rep = representation(flask_client, local_url)
    assert rep.last_modified == http_date(FIXED_MTIME)
    headers = case.headers(rep)
    served = request(gunicorn_address, case.method, served_path, headers)
    local = fetch(flask_client, local_url, case.method, headers)
    assert served.header("Transfer-Encoding") is None
    assert comparable(served) == comparable(local)
    check(served, case.expect(rep), rep, "video/mp4", case.method)


def test_file_bodies_go_out_with_sendfile(gunicorn_address, gunicorn_state, media_paths):
    served_path, _ = media_paths
    sendfile_log = gunicorn_state / "sendfile.log"
    sendfile_log.write_text("")
    whole = request(gunicorn_address, "GET", served_path, {})
    ranged = request(gunicorn_address, "GET", served_path, {"Range": "bytes=100-4195"})
    multipart = request(gunicorn_address, "GET", served_path, {"Range": "bytes=0-9,1000-1099"})
    assert (whole.status, ranged.status, multipart.status) == (200, 206, 206)
    # Whole files and single ranges are sent by the kernel from the right
    # offset; multipart bodies are assembled by Python, in bounded chunks.
    assert sendfile_log.read_text().splitlines() == [f"0 {len(whole.body)}", "100 4096"]
