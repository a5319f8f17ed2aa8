"""Progress over HTTP: storing reports, resume offers, bad input, privacy,
duration reports, statistics, folding, concurrent writers and the writer
that writes reports behind the requests."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from player import db, progress
from player.progress.model import parse_report
from player.progress.viewer import identify, sign_viewer
from player.web import auth
from tests.mediagen import _run
from tests.publish_support import log_in
from tests.test_openapi import check

pytestmark = pytest.mark.databases("sqlite", "postgresql")

LECTURE_SECONDS = 200
VIEWER = "viewer-a-0123456789"
OTHER = "viewer-b-0123456789"


def make_lecture(media_cache: Path) -> Path:
    """A 200 s FLAC; FLAC stores its sample count, so the probe says exactly 200."""
    dest = media_cache / "lecture-200s.flac"
    if not dest.exists():
        tmp = dest.with_name(".lecture.tmp.flac")
        _run(["-loglevel", "error", "-y", "-f", "lavfi",
              "-i", f"sine=frequency=440:sample_rate=8000:duration={LECTURE_SECONDS}",
              "-c:a", "flac", str(tmp)])
        tmp.replace(dest)
    return dest


@pytest.fixture
def make_app(make_app, media_dir, media_cache, database_url):
    """``make_app(**config)``: an app of the test's backends (SQLite + folder,
    or PostgreSQL + a bucket) whose library holds the 200 s lecture."""
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")

    def factory(**config):
        return make_app(media_dir, DATABASE=database_url, **config)

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


def put(client, media="lecture", headers=None, **fields):
    body = {"viewer": VIEWER, "session": "session-1", "position": 83.0, "duration": 200.0,
            **fields}
    body = {k: v for k, v in body.items() if v is not None}
    return client.put(f"/api/media/{media}/progress", json=body, headers=headers or {})


def get(client, media="lecture", viewer=VIEWER, **headers):
    return client.get(f"/api/media/{media}/progress", headers={"X-Player-Viewer": viewer,
                                                                **headers})


def stored_rows(app) -> int:
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                   for t in ("progress_sessions", "progress_durations",
                             "progress_duration_reports"))
    finally:
        conn.close()


def publisher_token(app) -> dict:
    conn = db.connect(app.config["DATABASE"])
    try:
        return {"Authorization": "Bearer " + auth.create_publisher(conn, "pat")}
    finally:
        conn.close()


# -- store and resume ----------------------------------------------------------

def test_report_then_resume(client):
    response = put(client, played=[[60, 83]])
    assert response.status_code == 202 and response.json == {"stored": True}
    answer = get(client).json
    assert answer["offer"] == "resume" and answer["resume_at"] == 83.0
    assert answer["duration"] == 200 and answer["tracking"] is True
    assert get(client).headers["Cache-Control"] == "no-store"
    assert get(client, viewer=OTHER).json["reason"] == "no_history"


def test_beacon_post_with_text_plain_body_counts_as_put(client):
    body = json.dumps({"viewer": VIEWER, "session": "session-1", "position": 120,
                       "event": "pagehide"})
    response = client.post("/api/media/lecture/progress", data=body,
                           content_type="text/plain;charset=UTF-8")
    assert response.status_code == 202 and response.json == {"stored": True}
    assert get(client).json["resume_at"] == 120


def test_finished_then_watch_again(client):
    put(client, position=199, played=[[190, 199]], seq=1)
    put(client, position=200, event="ended", played=[[199, 200]], seq=2)
    answer = get(client).json
    assert (answer["offer"], answer["resume_at"], answer["reason"]) == (
        "watch_again", 0, "finished")


def test_short_item_is_not_offered(client):
    put(client, media="clip", position=1.5, duration=3.0)
    assert get(client, media="clip").json["reason"] == "too_short"


def test_early_position_is_not_offered(client):
    put(client, position=20)
    assert get(client).json["reason"] == "too_early"


def test_rules_follow_configuration(make_app):
    app = make_app(RESUME_MIN_DURATION=1, RESUME_MIN_SECONDS=0, FINISHED_TAIL_SECONDS=0)
    client = app.test_client()
    put(client, media="clip", position=1.2, duration=3.0)
    assert get(client, media="clip").json["offer"] == "resume"


def test_late_report_does_not_move_the_position_back(client):
    put(client, position=150, seq=9, event="pagehide")
    put(client, position=140, seq=8)
    assert get(client).json["resume_at"] == 150
    put(client, position=40, seq=1, session="session-2")
    assert get(client).json["resume_at"] == 40


def test_validate_endpoint_reads_nothing(client):
    body = {"viewer": VIEWER, "session": "session-1", "position": 3, "duration": 10}
    assert client.put("/api/progress/validate", json=body).json == {"valid": True}
    assert client.put("/api/progress/validate", json={**body, "position": 11.5}
                      ).status_code == 400


# -- bad input is answered, never stored -----------------------------------------

@pytest.mark.parametrize("body", [
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": NaN}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": Infinity}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": -Infinity}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": 1e400}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": -3}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": 500}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": 9,'
    ' "played": [[0, 900]]}',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": ',
    '{"viewer": "viewer-a-0123456789", "session": "session-1", "position": 1}}',
    '[1, 2, 3]',
    '',
    '\xff\xfe not utf-8',
    '[' * 2000 + ']' * 2000,
])
def test_bad_bodies_are_400_and_store_nothing(app, client, body):
    response = client.put("/api/media/lecture/progress", data=body.encode("latin-1"),
                          content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "bad_request"
    assert stored_rows(app) == 0


def test_unknown_media_is_404_and_stores_nothing(app, client):
    for media in ("nothing-here", "Not A Valid Id!"):
        response = put(client, media=media)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert stored_rows(app) == 0


def test_oversized_body_is_413(app, client):
    body = json.dumps({"viewer": VIEWER, "session": "session-1", "position": 1,
                       "padding": "x" * 5000})
    response = client.put("/api/media/lecture/progress", data=body,
                          content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["details"] == {"limit": 4096}
    assert stored_rows(app) == 0


def test_oversized_body_without_length_is_413(app):
    """A chunked body has no Content-Length: the limit holds while reading."""
    body = json.dumps({"viewer": VIEWER, "session": "session-1", "position": 1,
                       "padding": "x" * 5000}).encode()
    environ = EnvironBuilder(path="/api/media/lecture/progress", method="PUT",
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    _, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert stored_rows(app) == 0


def test_form_bodies_are_415(client):
    response = client.put("/api/media/lecture/progress", data={"position": "1"})
    assert response.status_code == 415


def test_flood_from_one_viewer_is_429_with_retry_after(make_app):
    app = make_app(PROGRESS_RATE_BURST=3, PROGRESS_RATE_PER_SECOND=0.5)
    client = app.test_client()
    assert [put(client, seq=n).status_code for n in range(3)] == [202, 202, 202]
    flooded = put(client, seq=3, position=150)
    assert flooded.status_code == 429
    assert flooded.headers["Retry-After"] == "2"
    assert flooded.json["error"]["code"] == "too_many_requests"
    assert get(client).json["resume_at"] == 83
    assert put(client, headers=None, viewer=OTHER).status_code == 202


# -- viewers -------------------------------------------------------------------

def test_viewer_may_come_in_headers_instead_of_the_body(client):
    response = put(client, viewer=None, headers={"X-Player-Viewer": OTHER})
    assert response.status_code == 202
    assert get(client, viewer=OTHER).json["resume_at"] == 83


def test_missing_or_malformed_viewer_is_400(client):
    assert put(client, viewer=None).status_code == 400
    for field in ("viewer", "viewer_token"):
        body = {"viewer": VIEWER, "session": "session-1", "position": 1, field: None}
        response = client.put("/api/media/lecture/progress", json=body)
        assert (response.status_code, response.json["error"]["details"]) == (400, {"field": field})
    assert put(client, viewer="short").status_code == 400
    assert client.get("/api/media/lecture/progress").status_code == 400


def test_signed_viewer_follows_the_person_across_devices(make_app):
    app = make_app(VIEWER_SECRET="host-secret")
    client = app.test_client()
    token = sign_viewer("user-42", "host-secret", int(time.time()) + 600)
    assert put(client, viewer="laptop-0123456789", viewer_token=token).status_code == 202
    phone = client.get("/api/media/lecture/progress", headers={
        "X-Player-Viewer": "phone-00123456789", "X-Player-Viewer-Token": token})
    assert phone.json["resume_at"] == 83
    assert get(client, viewer="laptop-0123456789").json["reason"] == "no_history"


@pytest.mark.parametrize("case", ["expired", "tampered", "unsigned", "wrong_secret"])
def test_bad_host_tokens_are_403_and_store_nothing(make_app, case):
    app = make_app(VIEWER_SECRET="host-secret")
    client = app.test_client()
    now = int(time.time())
    token = {
        "expired": sign_viewer("user-42", "host-secret", now - 1),
        "tampered": sign_viewer("user-42", "host-secret", now + 600)[:-2] + "AA",
        "unsigned": "user-42",
        "wrong_secret": sign_viewer("user-42", "guess", now + 600),
    }[case]
    response = put(client, viewer_token=token)
    assert response.status_code == 403
    assert stored_rows(app) == 0
    assert client.get("/api/media/lecture/progress",
                      headers={"X-Player-Viewer-Token": token}).status_code == 403


def test_host_tokens_refused_without_a_secret(app, client):
    token = sign_viewer("user-42", "host-secret", int(time.time()) + 600)
    response = put(client, viewer_token=token)
    assert response.status_code == 403
    assert response.json["error"]["details"] == {"viewer": "not_configured"}


# -- privacy -------------------------------------------------------------------

@pytest.mark.parametrize("header, reason", [
    ({"Sec-GPC": "1"}, "global_privacy_control"),
    ({"DNT": "1"}, "do_not_track"),
])
def test_gpc_and_dnt_store_nothing(app, client, header, reason):
    response = put(client, headers=header)
    assert response.status_code == 200
    assert response.json == {"stored": False, "reason": reason}
    assert stored_rows(app) == 0
    assert get(client, **header).json["tracking"] is False
    assert put(client, headers={"Sec-GPC": "0", "DNT": "0"}).json == {"stored": True}


def test_tracking_off_stores_nothing(make_app):
    app = make_app(TRACKING=False)
    client = app.test_client()
    assert put(client).json == {"stored": False, "reason": "tracking_disabled"}
    assert stored_rows(app) == 0
    assert get(client).json["tracking"] is False


def test_erasure_forgets_one_viewer_only(app, client):
    put(client, played=[[0, 83]])
    put(client, media="clip", position=2, duration=3, played=[[0, 2]])
    put(client, viewer=OTHER, position=120, played=[[0, 120]])
    response = client.delete("/api/viewer/history", headers={"X-Player-Viewer": VIEWER})
    assert response.json == {"erased": {"sessions": 2}}
    assert get(client).json["reason"] == "no_history"
    assert get(client, viewer=OTHER).json["resume_at"] == 120
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    assert (stats["plays"], stats["unique_viewers"]) == (1, 1)
    assert client.delete("/api/viewer/history").status_code == 400


# -- duration ------------------------------------------------------------------

def forget_probed_duration(app, media_id: str) -> None:
    """Make the catalog look as if probing could not tell the duration."""
    conn = db.connect(app.config["DATABASE"])
    try:
        item = db.catalog_item(conn, media_id)
        conn.execute("UPDATE items SET data = ? WHERE id = ?",
                     (json.dumps({**item, "duration": None}), media_id))
    finally:
        conn.close()


def test_players_must_agree_on_an_unknown_duration(app, client):
    """Deliberately changed: the first duration a player reported used to be
    the item's for good; now the reports of three client addresses must
    agree (tests/test_progress_durations.py tries the attacks)."""
    forget_probed_duration(app, "lecture")
    assert put(client, duration=None, position=10).status_code == 202
    assert get(client).json["duration"] is None
    put(client, duration=201.0, position=83, viewer=OTHER)
    put(client, duration=260.0, position=90)
    assert get(client).json["duration"] is None
    for n, address in enumerate(["198.51.100.1", "198.51.100.2", "198.51.100.3"]):
        body = {"viewer": f"viewer-{n}-0123456789", "session": "session-1", "position": 83,
                "duration": 201.0 + n * 0.2}
        assert client.put("/api/media/lecture/progress", json=body,
                          environ_overrides={"REMOTE_ADDR": address}).status_code == 202
    assert get(client).json["duration"] == 201.2
    # Past the agreed end but within its own duration: a player is never
    # refused for the others' agreement, only for contradicting itself.
    assert put(client, duration=260.0, position=230).status_code == 202
    assert put(client, duration=200.0, position=230).status_code == 400
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    assert (stats["duration"], stats["duration_source"]) == (201.2, "player")
    assert [(r["reported"], r["authoritative"], r["count"]) for r in
            stats["duration_reports"]] == [(260.0, 201.2, 1)]


def test_reports_far_from_the_probed_duration_are_logged_not_trusted(app, client):
    put(client, duration=200.4)
    put(client, duration=236.0)
    put(client, duration=236.04)
    put(client, duration=150.0)
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    assert stats["duration"] == 200 and stats["duration_source"] == "probe"
    assert [(r["reported"], r["count"], r["source"]) for r in stats["duration_reports"]] == [
        (236.0, 2, "probe"), (150.0, 1, "probe")]


# -- statistics ----------------------------------------------------------------

SCRIPT = [
    # (viewer, session, reports): the sessions of tests/test_progress.py, over HTTP.
    ("viewer-a-0123456789", "a-visit-1", [
        {"position": 100, "captions": "en", "played": [[0, 100]]}]),
    ("viewer-a-0123456789", "a-visit-2", [
        {"position": 100, "played": [[0, 100]]},
        {"position": 200, "captions": "uk", "played": [[100, 200]], "event": "ended"}]),
    ("viewer-b-0123456789", "b-visit-1", [
        {"position": 50, "descriptions": True, "played": [[0, 50]]},
        {"position": 50, "descriptions": True, "played": [[0, 50]]},
        {"position": 190, "descriptions": True, "played": [[150, 190]]}]),
    ("viewer-c-0123456789", "c-visit-1", [{"position": 80, "event": "seek"}]),
    ("viewer-d-0123456789", "d-visit-1", [
        {"position": 60, "captions": "en", "played": [[20, 60]]}]),
]


def run_script(client) -> None:
    for viewer, session, reports in SCRIPT:
        for seq, fields in enumerate(reports):
            assert put(client, viewer=viewer, session=session, seq=seq,
                       **fields).status_code == 202


def expected_statistics() -> dict:
    counts = [0] * 101
    for low, high in [(0, 50), (0, 100), (0, 25), (75, 95), (10, 30)]:
        for p in range(low, high + 1):
            counts[p] += 1
    return {
        "duration": 200.0, "plays": 4, "unique_viewers": 3,
        "watch_time": {"total_seconds": 480.0, "average_seconds": 120.0},
        "average_percent_watched": 53.75, "completion_rate": 0.5,
        "captions": {"share": 0.5, "by_language": {"en": 140 / 480, "uk": 100 / 480}},
        "descriptions": {"share": 140 / 480},
        "retention": [{"percent": p, "plays": n, "share": n / 4} for p, n in enumerate(counts)],
    }


def test_statistics_from_scripted_sessions_match_hand_computed_values(app, client):
    run_script(client)
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    expected = expected_statistics()
    assert {key: stats[key] for key in expected} == expected
    assert stats["sessions"] == {"raw": 5, "folded": 0}
    assert stats["media_id"] == "lecture" and stats["duration_reports"] == []


def test_statistics_need_a_publisher(client):
    assert client.get("/api/media/lecture/stats").status_code == 401
    assert client.get("/api/media/lecture/stats",
                      headers={"Authorization": "Bearer nope"}).status_code == 403


def test_statistics_page_shows_the_numbers(app, client):
    run_script(client)
    conn = db.connect(app.config["DATABASE"])
    try:
        token = auth.create_publisher(conn, "pat")
    finally:
        conn.close()
    # Signed in through the form: a session is a row on the server, not
    # just a cookie that names the publisher.
    log_in(client, "pat", token)
    page = client.get("/publish/stats/lecture").get_data(as_text=True)
    assert "<dd>4</dd>" in page and "<dd>3</dd>" in page
    assert "53.8 %" in page and "50.0 %" in page
    assert '<svg viewBox="0 0 640 260" role="img"' in page
    assert "<caption>Plays still watching at each percent" in page


# -- retention period ----------------------------------------------------------

def test_fold_progress_keeps_statistics_and_deletes_raw_sessions(app, client, runner):
    run_script(client)
    headers = publisher_token(app)
    before = client.get("/api/media/lecture/stats", headers=headers).json
    result = runner.invoke(args=["fold-progress", "--days", "0"])
    assert result.exit_code == 0, result.output
    assert "Folded 5 session(s) of 1 item(s)" in result.output
    after = client.get("/api/media/lecture/stats", headers=headers).json
    assert after["sessions"] == {"raw": 0, "folded": 5}
    assert {k: v for k, v in after.items() if k != "sessions"} == {
        k: v for k, v in before.items() if k != "sessions"}
    assert get(client).json["reason"] == "no_history"
    # Fresh sessions add to the folded totals.
    put(client, viewer="viewer-e-0123456789", session="e-visit-1", position=200,
        played=[[0, 200]], event="ended")
    latest = client.get("/api/media/lecture/stats", headers=headers).json
    assert (latest["plays"], latest["completion_rate"]) == (5, 0.6)


def test_recent_sessions_are_not_folded(app, client, runner):
    run_script(client)
    result = runner.invoke(args=["fold-progress"])
    assert "Folded 0 session(s)" in result.output
    assert get(client).json["position"] == 200


def test_expired_sessions_are_folded_without_the_command(make_app):
    app = make_app(RAW_RETENTION_DAYS=0)
    client = app.test_client()
    put(client, played=[[0, 83]])
    # The fold is queued behind the report; the statistics wait for both.
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    assert stats["sessions"] == {"raw": 0, "folded": 1}
    assert stats["plays"] == 1


# -- concurrency ---------------------------------------------------------------

def test_concurrent_writers_lose_nothing(make_app):
    """Eight threads in each of two app instances (two writers on one
    database, as two gunicorn workers would be) report at once."""
    # Out of the flood limits' way: all 800 reports come from one address.
    apps = [make_app(PROGRESS_RATE_BURST=1000, PROGRESS_ADDRESS_BURST=1000) for _ in range(2)]
    errors: list[str] = []
    per_thread = 25

    def worker(app, n: int) -> None:
        client = app.test_client()
        for i in range(per_thread):
            # Every thread adds one second of watching to the same session...
            response = put(client, session="shared-session", position=i, seq=i,
                           played=[[n * 0.01 + i * 7, n * 0.01 + i * 7 + 0.001]])
            if response.status_code != 202:
                errors.append(response.get_data(as_text=True))
            # ...and one report to a session of its own.
            response = put(client, viewer=f"viewer-{n:02d}-0123456789", session=f"own-{n:04d}",
                           position=i + 1, seq=i, played=[[i, i + 1]])
            if response.status_code != 202:
                errors.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=worker, args=(apps[n % 2], n)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # A read waits for its own process's queue only.
    assert progress.flush(apps[1])
    stats = apps[0].test_client().get("/api/media/lecture/stats",
                                      headers=publisher_token(apps[0])).json
    assert stats["plays"] == 17
    assert stats["watch_time"]["total_seconds"] == pytest.approx(
        16 * per_thread * 0.001 + 16 * per_thread)
    for n in range(16):
        answer = get(apps[0].test_client(), viewer=f"viewer-{n:02d}-0123456789").json
        assert answer["position"] == per_thread


# -- write-behind ------------------------------------------------------------------

@contextlib.contextmanager
def writer_held(writer):
    """Keep ``writer`` busy with a job until the block ends, so what is queued
    meanwhile waits behind it."""
    started, release = threading.Event(), threading.Event()

    def hold(conn):
        started.set()
        release.wait(30)

    writer.submit(hold)
    assert started.wait(30)
    try:
        yield
    finally:
        release.set()


def session_count(app) -> int:
    conn = db.connect(app.config["DATABASE"])
    try:
        return conn.execute("SELECT COUNT(*) FROM progress_sessions").fetchone()[0]
    finally:
        conn.close()


def test_a_report_is_written_without_anyone_reading(app, client):
    assert put(client).status_code == 202
    deadline = time.monotonic() + 30
    while session_count(app) == 0:
        assert time.monotonic() < deadline, "the report was never written"
        time.sleep(0.01)


@pytest.mark.parametrize("read", ["resume point", "statistics"])
def test_reads_wait_for_the_reports_accepted_before_them(app, client, monkeypatch, read):
    headers = publisher_token(app)
    writer = app.extensions["progress_writer"]
    reading = threading.Event()
    flush, submit = writer.flush, writer.submit

    def flush_and_tell(*args):
        reading.set()
        return flush(*args)

    def submit_and_tell(fn):
        # The statistics are read by the writer, after what is queued.
        job = submit(fn)
        reading.set()
        return job

    with ThreadPoolExecutor(1) as pool:
        with writer_held(writer):
            assert put(client, played=[[0, 83]]).status_code == 202
            assert session_count(app) == 0
            monkeypatch.setattr(writer, "flush", flush_and_tell)
            monkeypatch.setattr(writer, "submit", submit_and_tell)
            if read == "resume point":
                answer = pool.submit(lambda: get(app.test_client()).json["resume_at"])
            else:
                answer = pool.submit(lambda: app.test_client().get(
                    "/api/media/lecture/stats", headers=headers).json["plays"])
            assert reading.wait(30)
        assert answer.result(30) == (83 if read == "resume point" else 1)


def test_erasure_comes_after_the_reports_queued_before_it(app, client, monkeypatch):
    writer = app.extensions["progress_writer"]
    queued = threading.Event()
    submit = writer.submit

    def submit_and_tell(fn):
        job = submit(fn)
        queued.set()
        return job

    with ThreadPoolExecutor(1) as pool:
        with writer_held(writer):
            put(client, played=[[0, 83]])
            put(client, session="session-2", played=[[0, 40]])
            monkeypatch.setattr(writer, "submit", submit_and_tell)
            erased = pool.submit(lambda: app.test_client().delete(
                "/api/viewer/history", headers={"X-Player-Viewer": VIEWER}).json)
            assert queued.wait(30)
        assert erased.result(30) == {"erased": {"sessions": 2}}
    assert get(client).json["reason"] == "no_history"
    assert session_count(app) == 0


def test_erasure_is_not_undone_by_a_report_another_process_writes_later(make_app):
    """A report received before the erasure but written after it, by the
    writer of another process (here another app on the same database), is
    dropped; a report received after the erasure is kept."""
    accepting, erasing = make_app(), make_app()
    before = time.time()
    erasing.test_client().delete("/api/viewer/history", headers={"X-Player-Viewer": VIEWER})
    key = identify(VIEWER, None, secret=None, pepper="test-secret").key
    report = parse_report({"session": "session-1", "position": 83, "played": [[0, 83]]})
    writer = accepting.extensions["progress_writer"]
    assert writer.put(progress.PendingReport("lecture", key, report, before))
    assert progress.flush(accepting)
    assert get(accepting.test_client()).json["reason"] == "no_history"
    assert put(accepting.test_client(), position=90, played=[[0, 90]]).status_code == 202
    assert get(accepting.test_client()).json["resume_at"] == 90


def test_a_full_queue_refuses_with_503_and_stores_nothing(make_app):
    app = make_app(PROGRESS_QUEUE_LIMIT=2)
    client = app.test_client()
    with writer_held(app.extensions["progress_writer"]):
        assert [put(client, session=f"session-{n}").status_code for n in range(2)] == [202, 202]
        refused = put(client, session="session-x", position=150)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        assert refused.json["error"]["details"] == {"retry_after": 1}
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        sessions = sorted(r[0] for r in conn.execute("SELECT session FROM progress_sessions"))
    finally:
        conn.close()
    assert sessions == ["session-0", "session-1"]


def test_refusals_found_by_the_writer_are_logged_and_dropped(app, client, caplog):
    """The item left the catalog after the request was checked: the writer
    checks again and drops the report, saying which and why."""
    writer = app.extensions["progress_writer"]
    queued = threading.Event()

    def delete_item_once_the_report_is_queued(conn):
        assert queued.wait(30)
        conn.execute("DELETE FROM items WHERE id = 'lecture'")

    writer.submit(delete_item_once_the_report_is_queued)
    assert put(client, session="session-gone").status_code == 202
    queued.set()
    assert progress.flush(app)
    assert session_count(app) == 0
    assert "lecture session session-gone" in caplog.text
    assert "not in the catalog" in caplog.text


def test_a_process_that_exits_writes_its_queue_first(app, tmp_path):
    """Exiting through sys.exit, as gunicorn workers do, runs the atexit hook
    that writes the queue, here held up behind a slow job."""
    settings = {name: app.config[name] for name in ("MEDIA_DIR", "DATABASE", "STORAGE",
                                                    "S3_ENDPOINT_URL") if app.config.get(name)}
    script = f"""
import sys, time
from player import create_app
app = create_app({{**{settings!r}, "TESTING": True, "SECRET_KEY": "test-secret",
                  "SCAN_ON_START": False}})
writer = app.extensions["progress_writer"]
def slow(conn):
    time.sleep(0.5)
writer.submit(slow)
body = {{"viewer": {VIEWER!r}, "session": "session-1", "position": 83, "played": [[0, 83]]}}
assert app.test_client().put("/api/media/lecture/progress", json=body).status_code == 202
sys.exit(0)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert get(app.test_client()).json["resume_at"] == 83


def test_a_forked_child_starts_a_fresh_writer(app, client):
    """A gunicorn worker forked from a process whose writer has a thread gets
    a writer of its own: no thread yet, fresh locks, its own queue."""
    writer = app.extensions["progress_writer"]
    assert put(client, played=[[0, 83]]).status_code == 202
    assert progress.flush(app)
    key = identify(VIEWER, None, secret=None, pepper="test-secret").key
    child_report = parse_report({"session": "child-session", "position": 50,
                                 "played": [[0, 50]]})
    # Held as if another thread were queuing a report at the moment of the fork.
    with writer._lock:
        pid = os.fork()
        if pid == 0:
            fresh = (writer._thread is None and writer.put(progress.PendingReport(
                "lecture", key, child_report, time.time())) and writer.flush(30))
            os._exit(0 if fresh else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert put(client, position=90, played=[[83, 90]], seq=1).status_code == 202
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        rows = dict(conn.execute("SELECT session, position FROM progress_sessions"))
    finally:
        conn.close()
    assert rows == {"session-1": 90, "child-session": 50}


def _writer_with_table(tmp_path, bulk):
    database = tmp_path / "writer.sqlite"
    conn = db.connect(database)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.close()
    return progress.Writer(str(database), bulk), database


def _rows(database) -> list[str]:
    conn = db.connect(database)
    try:
        return sorted(r[0] for r in conn.execute("SELECT v FROM t"))
    finally:
        conn.close()


def test_the_writer_survives_a_failing_batch(tmp_path, caplog):
    """A batch that fails is tried again payload by payload: only the bad
    payload is lost, logged with the reason, and the thread goes on."""
    calls: list[list[str]] = []

    def bulk(conn, payloads):
        calls.append(list(payloads))
        for value in payloads:
            if value == "bad":
                raise KeyError("a bug in the handler")
            conn.execute("INSERT INTO t VALUES (?)", (value,))
        return [ValueError("refused") if value == "refused" else None for value in payloads]

    writer, database = _writer_with_table(tmp_path, bulk)
    with writer_held(writer):
        for value in ("a", "bad", "refused", "b"):
            assert writer.put(value)
    assert writer.flush(30)
    assert _rows(database) == ["a", "b", "refused"]
    assert calls == [["a", "bad", "refused", "b"], ["a"], ["bad"], ["refused"], ["b"]]
    assert "batch of 4 report(s) not written (KeyError" in caplog.text
    assert "dropped: bad: KeyError" in caplog.text
    assert "dropped: refused: ValueError: refused" in caplog.text
    assert writer.put("after") and writer.flush(30)
    assert _rows(database) == ["a", "after", "b", "refused"]


def test_a_database_error_is_retried_once(tmp_path, caplog):
    failures = [sqlite3.OperationalError("database is locked")]

    def bulk(conn, payloads):
        if failures:
            raise failures.pop()
        conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in payloads])
        return [None] * len(payloads)

    writer, database = _writer_with_table(tmp_path, bulk)
    assert writer.put("a") and writer.flush(30)
    assert _rows(database) == ["a"]
    assert "database is locked" in caplog.text and "dropped" not in caplog.text


def test_a_job_that_fails_twice_raises_to_its_caller(tmp_path, caplog):
    attempts = []

    def job(conn):
        attempts.append(1)
        raise sqlite3.OperationalError("disk I/O error")

    writer, database = _writer_with_table(tmp_path, lambda conn, payloads: [None] * len(payloads))
    with pytest.raises(sqlite3.OperationalError):
        writer.run(job)
    assert len(attempts) == 2
    assert writer.run(lambda conn: conn.execute("INSERT INTO t VALUES ('later')").rowcount) == 1
    assert _rows(database) == ["later"]


def _lingering_writer(tmp_path, calls: list, **options):
    """A writer that waits a minute for its batches to grow: only a reason to
    hurry gets anything written within the test."""
    def bulk(conn, payloads):
        calls.append(list(payloads))
        conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in payloads])
        return [None] * len(payloads)

    database = tmp_path / "writer.sqlite"
    conn = db.connect(database)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.close()
    return progress.Writer(str(database), bulk, linger=60.0, **options), database


def test_a_trickle_is_written_in_one_batch_when_someone_waits(tmp_path):
    calls: list[list[str]] = []
    writer, database = _lingering_writer(tmp_path, calls)
    for value in ("a", "b", "c"):
        assert writer.put(value)
    assert writer.flush(30)
    assert calls == [["a", "b", "c"]]


def test_a_queued_job_or_a_full_batch_ends_the_wait(tmp_path):
    calls: list[list[str]] = []
    writer, database = _lingering_writer(tmp_path, calls, max_batch=2)
    assert writer.put("a")
    assert writer.run(lambda conn: _rows(database), timeout=30) == ["a"]
    assert writer.put("b") and writer.put("c")
    deadline = time.monotonic() + 30
    while _rows(database) != ["a", "b", "c"]:
        assert time.monotonic() < deadline, "a full batch was not written"
        time.sleep(0.01)
    assert calls == [["a"], ["b", "c"]]


def test_closing_writes_what_waits(tmp_path):
    writer, database = _lingering_writer(tmp_path, [])
    assert writer.put("a")
    writer.close(timeout=30)
    assert writer._thread is None and _rows(database) == ["a"]


def test_answers_match_the_openapi_document(make_app):
    app = make_app(PROGRESS_QUEUE_LIMIT=1)
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    path = "/api/media/{item_id}/progress"
    beacon = {"viewer": VIEWER, "session": "session-beacon", "position": 1}
    with writer_held(app.extensions["progress_writer"]):
        answers = [("put", put(client)), ("put", put(client, headers={"DNT": "1"})),
                   ("put", put(client, session="session-full")),
                   ("post", client.post("/api/media/lecture/progress", json=beacon))]
    assert progress.flush(app)
    answers.append(("post", client.post("/api/media/lecture/progress", json=beacon)))
    assert [response.status_code for _, response in answers] == [202, 200, 503, 503, 202]
    for method, response in answers:
        check(spec, response, path, method)
