"""Publisher accounts, tokens, the login session and CSRF protection."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from player import db
from player.web import auth
from tests.mediagen import make_media
from tests.publish_support import (
    GOOD_VTT,
    bearer,
    create_publisher,
    csrf_from,
    log_in,
    revoke,
)
from tests.s3_support import storage_state

pytestmark = pytest.mark.databases("sqlite", "postgresql")

# Every write endpoint of the API, with a body that would succeed with a good token.
WRITE_ENDPOINTS = [
    ("POST", "/api/media"),
    ("DELETE", "/api/media/clip"),
    ("POST", "/api/media/clip/tracks"),
    ("DELETE", "/api/media/clip/tracks/en.captions"),
]


def write_request(client, method, path, media_cache, headers):
    if method == "DELETE":
        return client.delete(path, headers=headers)
    if path == "/api/media":
        data = {"title": "New", "file": (make_media("mp3", media_cache).open("rb"), "a.mp3")}
    else:
        data = {"kind": "captions", "srclang": "fr", "file": (io.BytesIO(GOOD_VTT), "a.vtt")}
    return client.post(path, headers=headers, data=data)


# -- the command line -------------------------------------------------------------------

def test_create_publisher_prints_a_token_once_and_stores_only_its_hash(runner, app):
    result = runner.invoke(args=["create-publisher", "ann"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith(auth.TOKEN_PREFIX) and len(token) > 40
    assert "shown this once" in result.stderr
    conn = db.connect(app.config["DATABASE"])
    stored = conn.execute("SELECT token_hash FROM publishers WHERE name = 'ann'").fetchone()[0]
    conn.close()
    assert stored == auth.hash_token(token) and token not in stored
    listing = runner.invoke(args=["list-publishers"])
    assert "ann\tactive" in listing.output and token not in listing.output

    again = runner.invoke(args=["create-publisher", "ann"])
    assert again.exit_code != 0 and "already a publisher called 'ann'" in again.output
    bad = runner.invoke(args=["create-publisher", "../x"])
    assert bad.exit_code != 0 and "not a valid publisher name" in bad.output


def test_revoke_and_list(runner, client):
    token = runner.invoke(args=["create-publisher", "bob"]).stdout.strip()
    deleted = client.delete("/api/media/song", headers=bearer(token))
    # 204: no content, so no media type either (RFC 9110 §8.3).
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers
    result = runner.invoke(args=["revoke-publisher", "bob"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert "bob\trevoked" in runner.invoke(args=["list-publishers"]).output
    assert client.delete("/api/media/clip", headers=bearer(token)).status_code == 403
    again = runner.invoke(args=["revoke-publisher", "bob"])
    assert again.exit_code != 0 and "no active publisher" in again.output


def test_set_password(runner, client):
    runner.invoke(args=["create-publisher", "cat"])
    short = runner.invoke(args=["set-password", "cat", "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    result = runner.invoke(args=["set-password", "cat"], input="a long passphrase\n" * 2)
    assert result.exit_code == 0, result.output
    assert "password set" in runner.invoke(args=["list-publishers"]).output
    log_in(client, "cat", "a long passphrase")
    assert client.get("/publish/").status_code == 200


# -- the API ------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", WRITE_ENDPOINTS)
def test_write_api_without_a_token_is_401(client, media_cache, method, path):
    response = write_request(client, method, path, media_cache, {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("method,path", WRITE_ENDPOINTS)
@pytest.mark.parametrize("header", [
    "Bearer apt_not-a-real-token", "Bearer ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "token",
])
def test_write_api_with_a_bad_token_is_403(client, media_cache, method, path, header):
    response = write_request(client, method, path, media_cache, {"Authorization": header})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("method,path", WRITE_ENDPOINTS)
def test_write_api_with_a_revoked_token_is_403(app, client, media_cache, library,
                                                method, path):
    token = create_publisher(app)
    revoke(app)
    before = storage_state(library)
    response = write_request(client, method, path, media_cache, bearer(token))
    assert response.status_code == 403
    assert "revoked" in response.get_json()["error"]["message"]
    assert storage_state(library) == before


def test_the_api_ignores_the_session_cookie(app, client):
    create_publisher(app)
    conn = db.connect(app.config["DATABASE"])
    auth.set_password(conn, "pat", "twelve chars ok")
    log_in(client, "pat", "twelve chars ok")
    assert client.delete("/api/media/song").status_code == 401


def test_tokens_are_checked_in_constant_time(monkeypatch, app):
    token = create_publisher(app)
    compared = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real(a, b))
    conn = db.connect(app.config["DATABASE"])
    assert auth.publisher_for_token(conn, token).name == "pat"
    assert compared == [(auth.hash_token(token),) * 2]


# -- pages, the session cookie and CSRF ----------------------------------------------------

@pytest.fixture
def signed_in(app, client):
    """A signed-in client; returns the session's CSRF token."""
    token = create_publisher(app)
    return log_in(client, "pat", token)


def test_pages_send_a_visitor_without_a_session_to_the_login_form(client):
    for path in ("/publish/", "/publish/upload", "/publish/media/clip",
                 "/publish/media/clip/delete"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/publish/login?next={path}"


def test_login_with_a_token_sets_a_safe_session_cookie(app, client):
    token = create_publisher(app)
    page = client.get("/publish/login")
    response = client.post("/publish/login", data={
        "csrf_token": csrf_from(page.text), "name": "pat", "secret": token,
        "next": "/publish/upload"})
    assert response.status_code == 303 and response.headers["Location"] == "/publish/upload"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_over_https(app, client):
    token = create_publisher(app)
    page = client.get("/publish/login", base_url="https://localhost")
    response = client.post("/publish/login", base_url="https://localhost", data={
        "csrf_token": csrf_from(page.text), "name": "pat", "secret": token})
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_refuses_wrong_secrets_and_offsite_redirects(app, client):
    token = create_publisher(app)
    csrf = csrf_from(client.get("/publish/login").text)
    for name, secret in [("pat", "apt_wrong"), ("pat", "a wrong password"), ("nobody", token)]:
        response = client.post("/publish/login",
                               data={"csrf_token": csrf, "name": name, "secret": secret})
        assert response.status_code == 403
        assert "is not right" in response.text
    response = client.post("/publish/login", data={"csrf_token": csrf, "name": "", "secret": ""})
    assert response.status_code == 400
    response = client.post("/publish/login", data={
        "csrf_token": csrf, "name": "pat", "secret": token, "next": "//evil.example/"})
    assert response.headers["Location"] == "/publish/"


def post_login(client, csrf, name, secret, address="192.0.2.7"):
    return client.post("/publish/login", environ_base={"REMOTE_ADDR": address},
                       data={"csrf_token": csrf, "name": name, "secret": secret})


def test_repeated_wrong_passwords_are_slowed_down(app, client, monkeypatch):


    token = create_publisher(app)
    csrf = csrf_from(client.get("/publish/login").text)
    clock = [1_000_000.0]
    # Only the sign-in clock moves; the session cookie keeps real time.
    monkeypatch.setattr("player.publish.views.time", SimpleNamespace(time=lambda: clock[0]))
    for _ in range(auth.MAX_FAILURES_PER_NAME):
        assert post_login(client, csrf, "pat", "a wrong password").status_code == 403
    # Locked for that name from that address, even with the right token now.
    locked = post_login(client, csrf, "pat", token)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == auth.LOGIN_WINDOW_SECONDS
    assert "Too many failed sign-ins. Try again in 15 minutes." in locked.text
    assert "Set-Cookie" not in locked.headers or "session=" not in locked.headers["Set-Cookie"]
    # Another address is not held back by these failures.
    other = app.test_client()
    other_csrf = csrf_from(other.get("/publish/login").text)
    assert post_login(other, other_csrf, "pat", token, address="198.51.100.1").status_code == 303

    clock[0] += auth.LOGIN_WINDOW_SECONDS - 60
    assert int(post_login(client, csrf, "pat", token).headers["Retry-After"]) == 60
    clock[0] += 61
    assert post_login(client, csrf, "pat", token).status_code == 303


def test_one_address_guessing_many_names_is_stopped(app, client, monkeypatch):


    token = create_publisher(app)
    csrf = csrf_from(client.get("/publish/login").text)
    for n in range(auth.MAX_FAILURES_PER_ADDRESS):
        assert post_login(client, csrf, f"guess{n}", "wrong").status_code == 403
    assert post_login(client, csrf, "pat", token).status_code == 429


def test_a_right_answer_forgives_earlier_mistakes(app, client):


    token = create_publisher(app)
    csrf = csrf_from(client.get("/publish/login").text)
    for _ in range(auth.MAX_FAILURES_PER_NAME - 1):
        assert post_login(client, csrf, "pat", "wrong").status_code == 403
    assert post_login(client, csrf, "pat", token).status_code == 303
    csrf = csrf_from(client.get("/publish/").text)
    client.post("/publish/logout", data={"csrf_token": csrf})
    csrf = csrf_from(client.get("/publish/login").text)
    for _ in range(auth.MAX_FAILURES_PER_NAME - 1):
        assert post_login(client, csrf, "pat", "wrong").status_code == 403
    assert post_login(client, csrf, "pat", token).status_code == 303


def test_a_revoked_publisher_loses_their_session(app, client, signed_in):
    revoke(app)
    response = client.get("/publish/")
    assert response.status_code == 403
    assert "revoked" in response.text
    assert client.get("/publish/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(client, signed_in):
    assert client.post("/publish/logout").status_code == 403
    assert client.get("/publish/").status_code == 200
    response = client.post("/publish/logout", data={"csrf_token": signed_in})
    assert response.status_code == 303
    assert client.get("/publish/").status_code == 302


def form_posts(media_cache) -> list[tuple[str, dict]]:
    """Every form the publisher pages have, filled in as a publisher would."""
    return [
        ("/publish/login", {"name": "pat", "secret": "x"}),
        ("/publish/logout", {}),
        ("/publish/upload", {"title": "New",
                             "file": (make_media("mp3", media_cache).open("rb"), "a.mp3")}),
        ("/publish/media/clip", {"title": "Renamed", "description": ""}),
        ("/publish/media/clip/tracks", {"kind": "captions", "srclang": "fr",
                                        "file": (io.BytesIO(GOOD_VTT), "fr.vtt")}),
        ("/publish/media/clip/tracks/en.captions/delete", {}),
        ("/publish/media/clip/delete", {}),
    ]


def test_every_form_without_its_csrf_token_is_refused(client, signed_in, media_cache,
                                                      library):
    before = storage_state(library)
    for token in (None, "forged-token"):
        for path, data in form_posts(media_cache):
            fields = dict(data) if token is None else {**data, "csrf_token": token}
            multipart = any(isinstance(v, tuple) for v in data.values()) or path.endswith(
                ("/clip", "/tracks"))
            response = client.post(path, data=fields, content_type=(
                "multipart/form-data" if multipart else "application/x-www-form-urlencoded"))
            assert response.status_code == 403, (path, token, response.status_code)
            assert "did not come from this site" in response.text
    assert storage_state(library) == before
    assert client.get("/publish/").status_code == 200


def test_every_form_without_a_session_is_refused(client, media_cache, library):
    before = storage_state(library)
    for path, data in form_posts(media_cache)[2:]:
        response = client.post(path, data=data)
        assert response.status_code == 401, path
    assert storage_state(library) == before


def test_every_form_carries_a_csrf_token(client, signed_in):
    for path in ("/publish/", "/publish/upload", "/publish/media/clip",
                 "/publish/media/clip/delete", "/publish/media/clip/tracks/en.captions/delete"):
        html = client.get(path).text
        forms = re.findall(r"<form\b[^>]*>.*?</form>", html, re.S)
        assert forms, path
        for form in forms:
            if 'method="get"' in form:
                continue
            assert f'name="csrf_token" value="{signed_in}"' in form, (path, form[:80])
