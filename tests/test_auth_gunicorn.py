"""The CSRF check and server-side sessions through the README's production
command (gunicorn, the keep-alive worker, two processes): real request
bodies, with and without Content-Length, on kept-alive connections."""

from __future__ import annotations

import http.client
import os
import re

import pytest

from player import create_app
from tests.gunicorn_support import gunicorn
from tests.mediagen import make_media
from tests.publish_support import create_publisher, csrf_from, folder_state

BOUNDARY = "gunicornCsrfBoundary"
OPTIONS = ["-k", "player.worker.KeepAliveWorker", "-w", "2", "--threads", "4",
           "--timeout", "120"]


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + value + b"\r\n")


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Browser:
    """One kept-alive connection with a cookie jar of one cookie."""

    def __init__(self, address) -> None:
        self.connection = http.client.HTTPConnection(*address, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, data: bytes | None = None,
                content_type: str | None = None, headers=None, chunked=False):
        fields = dict(headers or {})
        if self.cookie:
            fields["Cookie"] = f"session={self.cookie}"
        if content_type:
            fields["Content-Type"] = content_type
        if chunked:
            pieces = [data[i:i + 5000] for i in range(0, len(data or b""), 5000)]
            self.connection.request(method, path, body=iter(pieces), headers=fields,
                                    encode_chunked=True)
        else:
            self.connection.request(method, path, body=data, headers=fields)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        match = re.search(r"session=([^;]*)", response.getheader("Set-Cookie") or "")
        if match:
            self.cookie = match.group(1)
        return response.status, text, response

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def server(media_dir, tmp_path):
    env = {**os.environ, "PLAYER_MEDIA_DIR": str(media_dir),
           "PLAYER_DATABASE": str(tmp_path / "server.sqlite"),
           "PLAYER_SECRET_KEY": "gunicorn-auth-test"}
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir),
                      "DATABASE": env["PLAYER_DATABASE"], "SECRET_KEY": "x"})
    token = create_publisher(app)
    with gunicorn(OPTIONS, env, tmp_path / "gunicorn.log") as address:
        yield address, token


def sign_in(address, token: str) -> tuple[Browser, str]:
    browser = Browser(address)
    status, page, _ = browser.request("GET", "/publish/login")
    status, _, _ = browser.request(
        "POST", "/publish/login", f"csrf_token={csrf_from(page)}&name=pat&secret={token}".encode(),
        "application/x-www-form-urlencoded")
    assert status == 303
    status, page, _ = browser.request("GET", "/publish/")
    assert status == 200
    return browser, csrf_from(page)


def test_page_writes_through_gunicorn(server, media_dir, media_cache):
    address, token = server
    browser, csrf = sign_in(address, token)
    before = folder_state(media_dir)
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    mp3 = make_media("mp3", media_cache).read_bytes()
    # The attack of the report and its neighbours, on one kept-alive connection.
    for chunked in (False, True):
        for data, headers in [
                (body(), {}),
                (body(part("csrf_token", b"forged")), {}),
                (body(part("title", b"x"), part("file", mp3, "x.mp3"),
                      part("csrf_token", csrf.encode())), {}),
                (body(part("csrf_token", csrf.encode())), {"Origin": "http://sub.localhost"}),
                (body(part("csrf_token", csrf.encode())), {"Sec-Fetch-Site": "same-site"})]:
            for path in ("/publish/media/clip/delete", "/publish/upload"):
                status, text, _ = browser.request("POST", path, data, multipart, headers,
                                                  chunked=chunked)
                assert status == 403, (path, chunked, headers, status)
    assert folder_state(media_dir) == before
    # The real forms, with the token first, whole files after it.
    for chunked in (False, True):
        data = body(part("csrf_token", csrf.encode()), part("title", f"Real {chunked}".encode()),
                    part("file", mp3, "real.mp3"))
        status, _, response = browser.request("POST", "/publish/upload", data, multipart,
                                              {"Origin": f"http://{address[0]}:{address[1]}"},
                                              chunked=chunked)
        assert status == 303
        item_id = response.getheader("Location").rsplit("/", 1)[1]
        stored = media_dir / f"{item_id}.mp3"
        assert stored.read_bytes() == mp3
    status, _, _ = browser.request("POST", "/publish/media/clip/delete",
                                   body(part("csrf_token", csrf.encode())), multipart)
    assert status == 303 and not (media_dir / "clip.mp4").exists()
    browser.close()


def test_sign_out_ends_the_session_in_every_worker(server):
    address, token = server
    browser, csrf = sign_in(address, token)
    copies = []
    for _ in range(4):
        # New connections, so both workers see the cookie.
        copy = Browser(address)
        copy.cookie = browser.cookie
        assert copy.request("GET", "/publish/")[0] == 200
        copies.append(copy)
    status, _, _ = browser.request("POST", "/publish/logout", f"csrf_token={csrf}".encode(),
                                   "application/x-www-form-urlencoded")
    assert status == 303
    for copy in copies:
        assert copy.request("GET", "/publish/")[0] == 302
        copy.close()
    browser.close()
