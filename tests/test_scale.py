"""Several app servers on one PostgreSQL: two real gunicorn instances share
the database (and the media folder), and what must hold across them does:
the secret key, sessions and CSRF, the flood limits of progress reports,
the login limits, and one scan at a time."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from player import MissingSecretKey, create_app, db
from player.db import locks
from tests.gunicorn_support import REPO, gunicorn_process
from tests.mediagen import make_media
from tests.publish_support import create_publisher, csrf_from
from tests.s3_support import s3_bucket, s3_env, s3_server  # noqa: F401
from tests.test_auth_gunicorn import Browser

OPTIONS = ["-k", "player.worker.KeepAliveWorker", "-w", "1", "--threads", "4",
           "--timeout", "120"]
SECRET = "two-servers-one-secret"
#: The ``player`` command of this checkout (the installed script may be another's).
PLAYER = [sys.executable, "-c", "import sys; from player.cli import main; sys.exit(main())"]


def test_a_shared_database_without_a_secret_key_refuses_to_start(
        postgres_cluster, media_dir, monkeypatch):
    monkeypatch.delenv("PLAYER_SECRET_KEY", raising=False)
    url = postgres_cluster.create_database()
    try:
        with pytest.raises(MissingSecretKey, match=r"set PLAYER_SECRET_KEY to one long random"):
            create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": url})
        # The same through the command line an operator runs: a message, no key file.
        run = subprocess.run([*PLAYER, "scan"], capture_output=True, text=True, timeout=60,
                             cwd=REPO,
                             env={**os.environ, "PLAYER_DATABASE": url,
                                  "PLAYER_MEDIA_DIR": str(media_dir)})
        assert run.returncode != 0
        assert "PLAYER_SECRET_KEY is not set" in run.stderr
        # With the key it starts.
        app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": url,
                          "SECRET_KEY": SECRET})
        assert app.config["SECRET_KEY"] == SECRET
    finally:
        db.release(url)
        postgres_cluster.drop_database(url)


def test_sqlite_still_makes_its_own_key(media_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir),
                      "DATABASE": str(tmp_path / "p.sqlite")})
    assert len(app.config["SECRET_KEY"]) == 64


@pytest.fixture
def shared_url(postgres_cluster):
    url = postgres_cluster.create_database()
    yield url
    db.release(url)
    postgres_cluster.drop_database(url)


def server_env(media_dir: Path, url: str, **settings: str) -> dict[str, str]:
    return {**os.environ, "PLAYER_MEDIA_DIR": str(media_dir), "PLAYER_DATABASE": url,
            "PLAYER_SECRET_KEY": SECRET, **settings}


def request(address, method: str, path: str, data: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def report(seq: int, viewer: str = "shared-limit-viewer-01") -> bytes:
    return json.dumps({"viewer": viewer, "session": "one-session-of-this-viewer", "seq": seq,
                       "event": "heartbeat", "position": 1, "duration": 3,
                       "played": [[0, 1]]}).encode()


def wait_for_window_start(seconds: float, needed: float) -> None:
    """Sleep until ``needed`` seconds fit in the current fixed window."""
    left = seconds - time.time() % seconds
    if left < needed:
        time.sleep(left + 0.05)


def test_progress_flood_limits_hold_across_two_servers(media_dir, shared_url, tmp_path):
    # One process's bucket takes 5 at once; the window of 20 s lets the
    # whole site take 5 + 0.1 x 20 = 7.
    limits = {"PLAYER_PROGRESS_RATE_BURST": "5", "PLAYER_PROGRESS_RATE_PER_SECOND": "0.1",
              "PLAYER_PROGRESS_SHARED_WINDOW": "20",
              "PLAYER_PROGRESS_SHARED_SYNC_SECONDS": "0.1"}
    env = server_env(media_dir, shared_url, **limits)
    with ExitStack() as stack:
        _, a = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "a.log"))
        _, b = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "b.log"))
        wait_for_window_start(20, 8)
        answers = []
        for seq in range(1, 21):
            status, headers, _ = request((a, b)[seq % 2], "PUT", "/api/media/clip/progress",
                                         report(seq), {"Content-Type": "application/json"})
            answers.append(status)
            if status == 429:
                assert int(headers["Retry-After"]) >= 1
            time.sleep(0.2)
    accepted = answers.count(202)
    # Each server alone would have taken 5 (10 in all); together they take
    # the site's 7, give or take the one report a sync may be late for.
    assert 6 <= accepted <= 8, answers
    assert set(answers) == {202, 429}, answers


def test_login_limits_and_sessions_hold_across_two_servers(media_dir, shared_url, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": shared_url,
                      "SECRET_KEY": SECRET, "SCAN_ON_START": False})
    token = create_publisher(app)
    env = server_env(media_dir, shared_url)
    with ExitStack() as stack:
        _, a = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "a.log"))
        _, b = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "b.log"))
        # Signed in on A, the session and its CSRF token work on B.
        on_a = Browser(a)
        stack.callback(on_a.close)
        status, page, _ = on_a.request("GET", "/publish/login")
        status, _, _ = on_a.request(
            "POST", "/publish/login",
            f"csrf_token={csrf_from(page)}&name=pat&secret={token}".encode(),
            "application/x-www-form-urlencoded")
        assert status == 303
        on_b = Browser(b)
        stack.callback(on_b.close)
        on_b.cookie = on_a.cookie
        status, page, _ = on_b.request("GET", "/publish/")
        assert status == 200 and "Sign out" in page
        status, _, _ = on_b.request(
            "POST", "/publish/logout", f"csrf_token={csrf_from(page)}".encode(),
            "application/x-www-form-urlencoded")
        assert status == 303
        # Signed out on B is signed out on A.
        status, _, _ = on_a.request("GET", "/publish/")
        assert status in (302, 303)
        # Five wrong passwords for one name, alternating between the servers:
        # the sixth try is refused wherever it lands, the right one included.
        outcomes = []
        for attempt in range(6):
            browser = Browser((a, b)[attempt % 2])
            stack.callback(browser.close)
            _, page, _ = browser.request("GET", "/publish/login")
            secret = "wrong" if attempt < 5 else token
            status, _, _ = browser.request(
                "POST", "/publish/login",
                f"csrf_token={csrf_from(page)}&name=pat&secret={secret}".encode(),
                "application/x-www-form-urlencoded")
            outcomes.append(status)
        assert outcomes[:5] == [403] * 5, outcomes
        assert outcomes[5] == 429, outcomes


def test_one_server_scans_while_the_other_serves(media_dir, shared_url, tmp_path, media_cache):
    env = server_env(media_dir, shared_url)
    with ExitStack() as stack:
        _, a = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "a.log"))
        status, _, body = request(a, "GET", "/api/media")
        assert status == 200
        before = {item["id"] for item in json.loads(body)["items"]}
        shutil.copy(make_media("mp3", media_cache), media_dir / "late.mp3")
        # Another server is scanning: B starts, serves A's catalog at once,
        # and leaves the scan to the server that holds the lock.
        holder = db.connect(shared_url)
        stack.callback(holder.close)
        held = locks.holding(holder, "scan")
        held.__enter__()
        _, b = stack.enter_context(gunicorn_process(OPTIONS, env, tmp_path / "b.log"))
        status, _, body = request(b, "GET", "/api/media")
        assert status == 200
        assert {item["id"] for item in json.loads(body)["items"]} == before
        assert "another server is scanning the library" in (tmp_path / "b.log").read_text()
        # A scan that must happen (the command, a publisher's change) waits its turn.
        done = threading.Event()
        scan = threading.Thread(target=lambda: (subprocess.run(
            [*PLAYER, "scan"], env=env, cwd=REPO, capture_output=True, timeout=120),
            done.set()))
        scan.start()
        assert not done.wait(3)
        held.__exit__(None, None, None)
        assert done.wait(60)
        scan.join()
        status, _, body = request(b, "GET", "/api/media")
        assert "late" in {item["id"] for item in json.loads(body)["items"]}


def test_ordinary_viewers_add_no_shared_rows(shared_url):
    from player.progress import DEFAULTS
    from player.progress.limits import Limits

    limits = Limits({**DEFAULTS, "DATABASE": shared_url})
    assert limits.shared is not None
    now = time.monotonic()
    for n in range(100):
        # A hundred viewers behind one address, one report each, as players send them.
        assert limits.take(f"viewer-{n:04d}-ordinary", "192.0.2.7", now) is None
    limits.shared.sync()
    conn = db.connect(shared_url)
    try:
        rows = conn.execute("SELECT kind, key, count FROM rate_counts").fetchall()
    finally:
        conn.close()
    # The address is past a tenth of its limit, and so shared; no viewer is.
    assert [tuple(row) for row in rows] == [("address", "192.0.2.7", 100)]


def test_a_signed_url_is_handed_out_again_for_a_while(s3_server, s3_bucket, s3_env, media_dir,
                                                      tmp_path):
    from tests.s3_support import mirror, s3_app_config, s3_storage_for

    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path))
    client = app.test_client()
    first = client.get("/files/clip/clip.mp4", headers={"Origin": "https://news.example"})
    assert first.status_code == 307
    assert first.headers["Cache-Control"] == "private, max-age=60"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    # Signing costs more than the rest of the answer: the next viewer gets the
    # same URL, still valid far longer than anyone keeps the redirect.
    again = client.get("/files/clip/clip.mp4")
    assert again.headers["Location"] == first.headers["Location"]
    from player.library.files import CLIENT_URL_SECONDS, SIGNED_REUSE_SECONDS

    assert CLIENT_URL_SECONDS - SIGNED_REUSE_SECONDS >= 50 * 60
    # Tracks are still the app's to send, with its CORS answer.
    track = client.get("/files/clip/clip.en.vtt")
    assert track.status_code == 200 and track.text.startswith("WEBVTT")


def test_a_progress_batch_locks_its_viewers_before_their_sessions(shared_url, media_dir):
    """Two servers' batches with reports of one viewer take turns from their
    first lock: the second waits for the first even for a session that
    already exists. Were the session locked before the viewer, each server
    could hold what the other waits for whenever a viewer's new session
    appears between their reads, a deadlock PostgreSQL breaks by aborting a
    batch (dozens of times a second in bench/progress_pg.py)."""
    from player.db import postgresql as pg

    create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": shared_url,
                "SECRET_KEY": SECRET})
    viewer = "viewer-order-0123456789"
    existing = (viewer, "lecture", "session-1")
    first, second = pg.connect(shared_url), pg.connect(shared_url)
    waited = threading.Event()
    try:
        pg.begin(first)
        pg.progress_save_sessions(first, [(*existing, time.time(), 5.0, False, {})])
        pg.commit(first)
        pg.begin(first)
        # The first batch has a new session of the viewer, on another item.
        pg.progress_batch_state(first, ["talk"], [(viewer, "talk", "session-2")])

        def other_server():
            pg.begin(second)
            pg.progress_batch_state(second, ["lecture"], [existing])
            waited.set()
            pg.rollback(second)

        thread = threading.Thread(target=other_server)
        thread.start()
        assert not waited.wait(1.5), "the second batch locked the viewer's session meanwhile"
        pg.rollback(first)
        assert waited.wait(10)
        thread.join(10)
    finally:
        first.close()
        second.close()
