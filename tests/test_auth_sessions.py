"""Publisher sessions live on the server: signing out, a new password, a
revoked account or ``player end-sessions`` ends them whoever holds a copy of
the cookie, and they expire when idle and when old."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from flask.sessions import SecureCookieSessionInterface

from player import db
from player.web import auth
from tests.publish_support import create_publisher, log_in, revoke

pytestmark = pytest.mark.databases("sqlite", "postgresql")


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value: str):
    """A fresh browser holding a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def opens_library(client) -> bool:
    response = client.get("/publish/")
    if response.status_code == 200:
        return True
    assert response.status_code in (302, 403), response.status_code
    return False


@pytest.fixture
def token(app) -> str:
    return create_publisher(app)


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, token):
    csrf = log_in(client, "pat", token)
    copied = session_cookie(client)
    assert opens_library(with_cookie(app, copied))
    assert client.post("/publish/logout", data={"csrf_token": csrf}).status_code == 303
    thief = with_cookie(app, copied)
    response = thief.get("/publish/")
    assert response.status_code == 302 and "/publish/login" in response.headers["Location"]
    # Neither a write with the copied cookie's own CSRF token.
    write = with_cookie(app, copied).post("/publish/media/clip/delete",
                                          data={"csrf_token": csrf})
    assert write.status_code == 401


def test_signing_out_ends_only_that_session(app, token):
    office, laptop = app.test_client(), app.test_client()
    csrf = log_in(office, "pat", token)
    log_in(laptop, "pat", token)
    office.post("/publish/logout", data={"csrf_token": csrf})
    assert not opens_library(office)
    assert opens_library(laptop)


@pytest.mark.parametrize("end", ["password", "revoke", "end-sessions", "set-password command"])
def test_account_changes_end_every_session(app, token, runner, end):
    browsers = [app.test_client(), app.test_client()]
    copies = []
    for browser in browsers:
        log_in(browser, "pat", token)
        copies.append(session_cookie(browser))
    conn = db.connect(app.config["DATABASE"])
    if end == "password":
        auth.set_password(conn, "pat", "a brand new passphrase")
    elif end == "revoke":
        revoke(app)
    elif end == "end-sessions":
        result = runner.invoke(args=["end-sessions", "pat"])
        assert result.exit_code == 0 and "Every session of 'pat' has ended." in result.output
    else:
        result = runner.invoke(args=["set-password", "pat", "--password", "another passphrase"])
        assert result.exit_code == 0, result.output
    conn.close()
    for browser in [*browsers, *(with_cookie(app, copy) for copy in copies)]:
        assert not opens_library(browser)
    if end != "revoke":
        assert opens_library_after_sign_in(app, token)


def opens_library_after_sign_in(app, token) -> bool:
    browser = app.test_client()
    log_in(browser, "pat", token)
    return opens_library(browser)


def test_a_revoked_account_is_told_so_once(app, client, token):
    log_in(client, "pat", token)
    revoke(app)
    response = client.get("/publish/")
    assert response.status_code == 403 and "revoked" in response.text
    assert client.get("/publish/").status_code == 302


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The sessions' clock, moved by hand (the cookie's signature keeps real time)."""
    clock = Clock()
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=clock.time))
    return clock


def test_an_idle_session_ends_after_12_hours(client, token, clock):
    assert auth.SESSION_IDLE_SECONDS == 12 * 3600
    log_in(client, "pat", token)
    clock.now += auth.SESSION_IDLE_SECONDS - 5
    assert opens_library(client)
    # That request counted as use: the clock starts again.
    clock.now += auth.SESSION_IDLE_SECONDS - 5
    assert opens_library(client)
    clock.now += auth.SESSION_IDLE_SECONDS + 1
    assert not opens_library(client)


def test_a_busy_session_ends_after_7_days(client, token, clock):
    assert auth.SESSION_MAX_SECONDS == 7 * 24 * 3600
    log_in(client, "pat", token)
    started = clock.now
    while clock.now - started < auth.SESSION_MAX_SECONDS - 3600:
        clock.now += 3600
        assert opens_library(client)
    clock.now = started + auth.SESSION_MAX_SECONDS + 1
    assert not opens_library(client)


def test_use_is_written_at_most_once_a_minute(app, client, token, clock):
    log_in(client, "pat", token)
    conn = db.connect(app.config["DATABASE"])
    seen = lambda: conn.execute("SELECT seen_at FROM publisher_sessions").fetchone()[0]  # noqa: E731
    first = seen()
    clock.now += 30
    assert opens_library(client) and seen() == first
    clock.now += 31
    assert opens_library(client) and seen() == clock.now


def forge(app, data: dict) -> str:
    """A session cookie signed with the app's key: what an attacker who
    had an old cookie, or the key, could present."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps(data)


def test_cookies_without_a_live_session_are_refused(app, client, token):
    csrf = log_in(client, "pat", token)
    sam = app.test_client()
    log_in(sam, "sam", create_publisher(app, "sam"))
    conn = db.connect(app.config["DATABASE"])
    pat, sam_id = (conn.execute("SELECT id FROM publishers WHERE name = ?", (n,)).fetchone()[0]
                   for n in ("pat", "sam"))
    sam_session = sam.get_cookie("session")
    assert sam_session is not None
    cookies = {
        # A cookie of the release before sessions were kept: signed, but no session id.
        "old style": forge(app, {"publisher_id": pat, "csrf": csrf}),
        "made-up session id": forge(app, {"publisher_id": pat, "session_id": "x" * 43,
                                          "csrf": csrf}),
        "another's session id": forge(app, {
            "publisher_id": pat, "csrf": csrf,
            "session_id": SecureCookieSessionInterface().get_signing_serializer(app).loads(
                sam_session.value)["session_id"]}),
        "not a string": forge(app, {"publisher_id": pat, "session_id": 7, "csrf": csrf}),
    }
    for name, value in cookies.items():
        assert not opens_library(with_cookie(app, value)), name
    assert opens_library(client) and opens_library(sam) and sam_id != pat


def test_only_a_hash_of_the_session_id_is_stored(app, client, token):
    log_in(client, "pat", token)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    session_id = serializer.loads(session_cookie(client))["session_id"]
    stored = [tuple(row) for row in db.connect(app.config["DATABASE"]).execute(
        "SELECT id_hash FROM publisher_sessions")]
    assert stored == [(auth.hash_token(session_id),)]


def test_the_cookie_signature_is_not_honoured_past_a_week(app):
    assert app.permanent_session_lifetime.total_seconds() <= auth.SESSION_MAX_SECONDS
