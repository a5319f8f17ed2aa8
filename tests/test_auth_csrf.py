"""CSRF on the publisher pages: every write a signed-in browser could be made
to send is refused without the session's token, whatever its content type,
encoding or method, and when a browser says another site sent it; the
bearer-token API is not cookie-authenticated and works from anywhere."""

from __future__ import annotations

import base64
import io
import json

import pytest

from player.publish import views
from player.web import auth
from tests.mediagen import make_media
from tests.publish_support import (
    GOOD_VTT,
    bearer,
    create_publisher,
    csrf_from,
    folder_state,
    log_in,
    temp_files,
)

BOUNDARY = "csrfTestBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: bytes, filename: str | None = None,
         headers: tuple[str, ...] = ()) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    lines = [f"--{BOUNDARY}", f"Content-Disposition: {disposition}", *headers]
    if filename:
        lines.append("Content-Type: application/octet-stream")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + value + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def fields_of(path: str, media: bytes) -> list[bytes]:
    """The parts a publisher's form for ``path`` sends, the token aside."""
    if path == "/publish/upload":
        return [part("title", b"Planted"), part("file", media, "planted.mp3")]
    if path == "/publish/media/clip":
        return [part("title", b"Renamed by another site"), part("description", b"")]
    if path == "/publish/media/clip/tracks":
        return [part("kind", b"captions"), part("srclang", b"fr"),
                part("file", GOOD_VTT, "fr.vtt")]
    if path == "/publish/login":
        return [part("name", b"pat"), part("secret", b"a wrong password")]
    return []


WRITES = ["/publish/upload", "/publish/media/clip", "/publish/media/clip/tracks",
          "/publish/media/clip/tracks/en.captions/delete", "/publish/media/clip/delete",
          "/publish/logout", "/publish/login"]


@pytest.fixture
def signed_in(app, client):
    """A signed-in client; returns the session's CSRF token."""
    return log_in(client, "pat", create_publisher(app))


@pytest.fixture
def mp3(media_cache) -> bytes:
    return make_media("mp3", media_cache).read_bytes()


def unchanged(client, media_dir, before) -> None:
    assert folder_state(media_dir) == before
    assert temp_files(media_dir) == []
    page = client.get("/publish/")
    assert page.status_code == 200, "the session must still be open"
    assert "A short clip" in page.text


def forged_bodies(token: str, media: bytes, path: str) -> dict[str, tuple[str, bytes, dict]]:
    """Bodies a page elsewhere (or a tampered form) could send: name →
    (content type, body, extra environ). None carries a valid token where
    the server reads it."""
    fields = fields_of(path, media)
    stray_file = part("attachment", b"x" * 100, "a.txt")
    return {
        "multipart without a token": (MULTIPART, body(*fields), {}),
        "multipart, upper-case type": (MULTIPART.replace("multipart/form-data",
                                                         "Multipart/Form-Data"),
                                       body(*fields), {}),
        "multipart, forged token": (MULTIPART, body(part("csrf_token", b"forged"), *fields), {}),
        "multipart, empty token": (MULTIPART, body(part("csrf_token", b""), *fields), {}),
        "multipart, token after a file part": (
            MULTIPART, body(stray_file, part("csrf_token", token.encode()), *fields), {}),
        "multipart, token sent as a file": (
            MULTIPART, body(part("csrf_token", token.encode(), "token.txt"), *fields), {}),
        "multipart, token base64-encoded": (
            MULTIPART, body(part("csrf_token", base64.b64encode(token.encode()),
                                 headers=("Content-Transfer-Encoding: base64",)), *fields), {}),
        "multipart, token past the first 64 KiB": (
            MULTIPART, body(part("note", b"n" * (auth.CSRF_PEEK_BYTES + 10)),
                            part("csrf_token", token.encode()), *fields), {}),
        "multipart, chunked without a token": (
            MULTIPART, body(*fields), {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}),
        "multipart without a boundary": ("multipart/form-data",
                                         body(part("csrf_token", token.encode()), *fields), {}),
        "text/plain with the token": ("text/plain", f"csrf_token={token}".encode(), {}),
        "JSON with the token": ("application/json",
                                json.dumps({"csrf_token": token}).encode(), {}),
        "no content type": ("", f"csrf_token={token}".encode(), {}),
        "url-encoded, forged token": ("application/x-www-form-urlencoded",
                                      b"csrf_token=forged", {}),
    }


def send(client, method, path, content_type, data, environ=None, query="", headers=None):
    environ = dict(environ or {})
    if environ.get("CONTENT_LENGTH") == "":
        # A chunked body: no Content-Length, the server ends the stream.
        environ.pop("CONTENT_LENGTH")
        return client.open(path + query, method=method, input_stream=io.BytesIO(data),
                           content_type=content_type, headers=headers,
                           environ_overrides={"wsgi.input_terminated": True})
    return client.open(path + query, method=method, data=data, content_type=content_type or None,
                       headers=headers, environ_overrides=environ)


@pytest.mark.parametrize("path", WRITES)
def test_no_valid_token_no_write_whatever_the_body(client, signed_in, media_dir, mp3, path):
    before = folder_state(media_dir)
    for name, (content_type, data, environ) in forged_bodies(signed_in, mp3, path).items():
        response = send(client, "POST", path, content_type, data, environ)
        assert response.status_code == 403, (name, response.status_code)
        assert "did not come from this site" in response.text, name
    unchanged(client, media_dir, before)


@pytest.mark.parametrize("path", WRITES[:5])
def test_the_token_in_the_query_string_does_not_count(client, signed_in, media_dir, mp3, path):
    before = folder_state(media_dir)
    for content_type, data in [(MULTIPART, body(*fields_of(path, mp3))),
                               ("application/x-www-form-urlencoded", b"title=x")]:
        response = send(client, "POST", path, content_type, data, query=f"?csrf_token={signed_in}")
        assert response.status_code == 403
    unchanged(client, media_dir, before)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", WRITES[:5])
def test_other_methods_write_nothing(client, signed_in, media_dir, mp3, path, method):
    before = folder_state(media_dir)
    for with_token in (False, True):
        token = [part("csrf_token", signed_in.encode())] if with_token else []
        response = send(client, method, path, MULTIPART, body(*token, *fields_of(path, mp3)))
        assert response.status_code in (403, 405), (method, response.status_code)
    unchanged(client, media_dir, before)


def test_the_sibling_origin_attack_of_the_report(client, signed_in, media_dir):
    """A page on a sibling origin posted these forms, multipart and without a
    token, and deleted a track and an item."""
    before = folder_state(media_dir)
    for path in ("/publish/media/clip/tracks/en.captions/delete", "/publish/media/clip/delete"):
        response = client.post(path, data=body(), content_type=MULTIPART,
                               headers={"Origin": "http://localhost"})
        assert response.status_code == 403
    unchanged(client, media_dir, before)


def test_stale_and_foreign_tokens_are_refused(app, client, media_dir):
    before = folder_state(media_dir)
    token = create_publisher(app, "pat")
    # Another publisher's session token, from another browser.
    foreign = log_in(app.test_client(), "sam", create_publisher(app, "sam"))
    # This browser's token from before it signed out and in again.
    stale = log_in(client, "pat", token)
    client.post("/publish/logout", data={"csrf_token": stale})
    fresh = log_in(client, "pat", token)
    assert fresh != stale != foreign
    for token in (foreign, stale):
        for content_type, data in [
                (MULTIPART, body(part("csrf_token", token.encode()))),
                ("application/x-www-form-urlencoded", f"csrf_token={token}".encode())]:
            response = client.post("/publish/media/clip/delete", data=data,
                                   content_type=content_type)
            assert response.status_code == 403
    assert folder_state(media_dir) == before


def test_a_write_is_refused_before_its_view_runs(client, signed_in, monkeypatch, media_dir, mp3):
    ran = []
    monkeypatch.setattr(views, "remove_item", lambda item: ran.append(item))
    monkeypatch.setattr(views.uploads, "receive_form", lambda *a, **k: ran.append(a))
    for path in WRITES[:5]:
        response = client.post(path, data=body(*fields_of(path, mp3)), content_type=MULTIPART)
        assert response.status_code == 403
    assert ran == []


def test_every_page_write_route_is_guarded(app, client, signed_in):
    """A route added later is covered too: every unsafe method of every
    route under /publish answers 403 to a token-less multipart body."""
    values = {"item_id": "clip", "track_key": "en.captions", "pending_id": "k" * 24, "number": 1}
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/publish"):
            continue
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data=body(), content_type=MULTIPART)
            assert response.status_code == 403, (method, url, response.status_code)
            seen += 1
    assert seen >= 7


def test_a_guarded_view_the_check_missed_fails_closed(app):
    calls = []

    @app.post("/elsewhere/write")
    @auth.publisher_required
    def elsewhere():
        calls.append(1)
        return "done"

    client = app.test_client()
    signed_in = log_in(client, "pat", create_publisher(app))
    response = client.post("/elsewhere/write", data={"csrf_token": signed_in})
    assert response.status_code == 403 and calls == []


# -- what must keep working -------------------------------------------------------------------

def test_an_upload_with_the_token_first_arrives_whole(app, client, signed_in, media_dir, mp3):
    for environ in ({}, {"CONTENT_LENGTH": ""}):
        data = body(part("csrf_token", signed_in.encode()),
                    part("title", b"Whole " + str(len(environ)).encode()),
                    part("file", mp3, "whole.mp3"))
        response = send(client, "POST", "/publish/upload", MULTIPART, data, environ)
        assert response.status_code == 303, response.text
        item_id = response.headers["Location"].rsplit("/", 1)[1]
        stored = media_dir / f"{item_id}.mp3"
        assert stored.read_bytes() == mp3


def test_the_token_is_read_without_reading_the_upload(client, signed_in, monkeypatch, mp3):
    """Only the start of the body is read before the view; the view streams the rest."""
    consumed = []

    class Counting(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            consumed.append(len(data))
            return data

    real = views.uploads.receive_form

    def receive(stream, *args, **kwargs):
        read_before_view.append(sum(consumed))
        return real(stream, *args, **kwargs)

    read_before_view: list[int] = []
    monkeypatch.setattr(views.uploads, "receive_form", receive)
    big = mp3 + b"\0" * (2 * 1024 * 1024)
    data = body(part("csrf_token", signed_in.encode()), part("title", b"Big"),
                part("file", big, "big.mp3"))
    response = client.post("/publish/upload", input_stream=Counting(data),
                           content_type=MULTIPART, content_length=len(data))
    assert response.status_code in (303, 400), response.text
    assert read_before_view and read_before_view[0] <= 8192
    assert sum(consumed) >= len(data) - 2


def test_the_token_may_come_in_a_header(client, signed_in, media_dir):
    wrong = client.post("/publish/media/clip/tracks/en.captions/delete", data=body(
        part("csrf_token", signed_in.encode())), content_type=MULTIPART,
        headers={auth.CSRF_HEADER: "forged"})
    assert wrong.status_code == 403
    response = client.post("/publish/media/clip/tracks/en.captions/delete",
                           data=body(), content_type=MULTIPART,
                           headers={auth.CSRF_HEADER: signed_in})
    assert response.status_code == 303
    assert not (media_dir / "clip.en.vtt").exists()


# -- Origin and Sec-Fetch-Site ------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://sub.localhost"},
    {"Origin": "http://localhost:8080"},
    {"Origin": "https://localhost"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "Same-Site", "Origin": "http://localhost"},
])
def test_writes_from_other_origins_are_refused_even_with_the_token(
        client, signed_in, media_dir, headers):
    before = folder_state(media_dir)
    for path, data in [("/publish/media/clip/delete", {"csrf_token": signed_in}),
                       ("/publish/media/clip", {"csrf_token": signed_in, "title": "Other"}),
                       ("/publish/logout", {"csrf_token": signed_in})]:
        response = client.post(path, data=data, headers=headers,
                               content_type="multipart/form-data")
        assert response.status_code == 403, (path, headers)
        assert "came from another site" in response.text
    unchanged(client, media_dir, before)


@pytest.mark.parametrize("headers", [
    {"Origin": "http://localhost"},
    {"Origin": "HTTP://LOCALHOST:80"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    {"Sec-Fetch-Site": "none"},
])
def test_writes_from_this_site_pass(client, signed_in, media_dir, headers):
    response = client.post("/publish/media/clip", headers=headers,
                           data={"csrf_token": signed_in, "title": "Renamed here"},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    assert "Renamed here" in client.get("/publish/media/clip").text


def test_the_public_url_is_this_sites_origin(media_dir, tmp_path):
    from player import create_app

    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "k",
                      "DATABASE": str(tmp_path / "p.sqlite"),
                      "PUBLIC_URL": "https://media.example.org/"})
    client = app.test_client()
    token = log_in(client, "pat", create_publisher(app))
    for origin, status in [("https://media.example.org", 303), ("https://example.org", 403),
                           ("http://media.example.org", 403)]:
        response = client.post("/publish/media/clip", headers={"Origin": origin},
                               data={"csrf_token": token, "title": "T"},
                               content_type="multipart/form-data")
        assert response.status_code == status, origin


def test_sign_in_from_another_site_is_refused(app, client):
    token = create_publisher(app)
    csrf = csrf_from(client.get("/publish/login").text)
    response = client.post("/publish/login", headers={"Sec-Fetch-Site": "cross-site"},
                           data={"csrf_token": csrf, "name": "pat", "secret": token})
    assert response.status_code == 403
    assert client.get("/publish/").status_code == 302


def test_the_bearer_api_works_from_other_origins(app, client, mp3):
    token = create_publisher(app)
    headers = {**bearer(token), "Origin": "https://elsewhere.example",
               "Sec-Fetch-Site": "cross-site"}
    created = client.post("/api/media", headers=headers, data={
        "title": "From afar", "file": (io.BytesIO(mp3), "far.mp3")})
    assert created.status_code == 201, created.text
    track = client.post("/api/media/clip/tracks", headers=headers, data={
        "kind": "captions", "srclang": "fr", "file": (io.BytesIO(GOOD_VTT), "fr.vtt")})
    assert track.status_code == 201
    assert client.delete("/api/media/clip/tracks/fr.captions", headers=headers).status_code == 204
    assert client.delete("/api/media/song", headers=headers).status_code == 204
