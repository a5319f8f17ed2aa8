"""The progress fast path answers byte for byte as the Flask view does.

Two apps with the same settings and databases of their own get the same
requests, one after the other: one through its whole WSGI stack (the fast
path first), the other through the Flask app alone. Status lines, header
lists (order included) and bodies must be equal, and so must what the two
databases hold at the end. The requests the fast path is meant to take must
not have reached Flask.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from dataclasses import dataclass, field

import pytest
from werkzeug.http import parse_date
from werkzeug.test import EnvironBuilder, run_wsgi_app

from player import db, progress
from player.progress import store as progress_store
from player.progress.viewer import sign_viewer
from tests.test_progress_api import make_lecture, writer_held

pytestmark = pytest.mark.databases("sqlite", "postgresql")

PATH = "/api/media/lecture/progress"
SECRET = "host-secret"
BURST = 5


def report(viewer: str | None = "viewer-a-0123456789", **fields) -> dict:
    body = {"viewer": viewer, "session": "session-1", "position": 83.0, "duration": 200.0,
            "played": [[73, 83]], "captions": "en", **fields}
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class Case:
    """A request, and whether the fast path should answer it without Flask."""

    name: str
    method: str = "PUT"
    path: str = PATH
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: dict = field(default_factory=dict)
    fast: bool = False
    chunked: bool = False

    def environ(self) -> dict:
        builder = EnvironBuilder(path=self.path, method=self.method, headers=self.headers,
                                 data=self.body, content_type=self.content_type)
        environ = builder.get_environ()
        # As gunicorn says of its input stream.
        environ["wsgi.input_terminated"] = True
        if self.chunked:
            environ.pop("CONTENT_LENGTH", None)
            environ["HTTP_TRANSFER_ENCODING"] = "chunked"
            environ["wsgi.input"] = io.BytesIO(self.body or b"")
        return environ


def json_case(name: str, body: dict, *, fast: bool = False, **kwargs) -> Case:
    return Case(name, body=json.dumps(body).encode(), fast=fast, **kwargs)


def flask_only(app):
    """The WSGI app the fast path hands over to: Flask without the fast path."""
    layer = app.wsgi_app
    while not isinstance(layer, progress.ReportFastPath):
        layer = layer.wsgi_app
    return layer.wsgi_app


def answer(wsgi, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    app_iter, status, headers = run_wsgi_app(wsgi, environ, buffered=True)
    try:
        # Two answers made a moment apart may fall in different seconds: the
        # Date field is compared for being there and well-formed only.
        fields = [(name, "<date>" if name == "Date" and parse_date(value) else value)
                  for name, value in headers]
        return status, fields, b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()


def stored(app) -> dict:
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        return {
            "sessions": sorted(tuple(r) for r in conn.execute(
                "SELECT viewer, media_id, session, position, at_end, state"
                " FROM progress_sessions")),
            "durations": sorted(tuple(r) for r in conn.execute(
                "SELECT media_id, reported, authoritative, source, count"
                " FROM progress_duration_reports")),
        }
    finally:
        conn.close()


@pytest.fixture
def twin_apps(make_app, media_dir, media_cache, make_database, monkeypatch):
    """Make two apps alike but for their databases."""
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")
    # The duration stays cached for the whole test however slowly it runs,
    # so which requests the fast path takes does not depend on the clock.
    monkeypatch.setattr(progress_store, "DURATION_FRESH_SECONDS", 3600.0)

    def make(**config):
        return [make_app(media_dir, **{
            "DATABASE": make_database(name),
            "VIEWER_SECRET": SECRET, "PROGRESS_RATE_BURST": BURST,
            # One token per 100 s: nothing refills during the test.
            "PROGRESS_RATE_PER_SECOND": 0.01, "PROGRESS_QUEUE_LIMIT": 2, **config,
        }) for name in ("fast", "flask")]

    return make


def cases() -> list[Case]:
    token = sign_viewer("user-42", SECRET, int(time.time()) + 600)
    origin = {"Origin": "https://a.example"}
    return [
        # Fills the duration cache: the fast path hands the first one over.
        json_case("first report", report(seq=1)),
        json_case("report", report(seq=2), fast=True),
        Case("beacon", method="POST", fast=True, content_type="text/plain;charset=UTF-8",
             body=json.dumps(report(seq=3, event="pagehide")).encode()),
        json_case("from another origin", report(seq=4), headers=origin, fast=True),
        json_case("from an origin not listed", report("viewer-b-0123456789"), fast=True,
                  headers={"Origin": "https://elsewhere.example"}),
        json_case("viewer in a header", report(None, session="session-2"), fast=True,
                  headers={"X-Player-Viewer": "viewer-c-0123456789", **origin}),
        json_case("host token", report(viewer_token=token, session="session-3"), fast=True),
        json_case("charset parameter", report("viewer-d-0123456789"), fast=True,
                  content_type="application/json; charset=utf-8"),
        json_case("no content type", report("viewer-d-0123456789", seq=1), fast=True,
                  content_type=None),
        json_case("duration far off", report("viewer-e-0123456789", duration=240.0),
                  fast=True),
        json_case("overshoot at the end", report("viewer-e-0123456789", position=201.0,
                                                 played=[[190, 201]], seq=1), fast=True),
        json_case("GPC", report(), headers={"Sec-GPC": "1"}, fast=True),
        json_case("DNT from an origin", report(), headers={"DNT": "1", **origin}, fast=True),
        json_case("GPC, unknown item", report(), headers={"Sec-GPC": "1"}, fast=True,
                  path="/api/media/nothing-here/progress"),
        # Refusals: all the view's own.
        json_case("past the end", report(position=500.0)),
        json_case("range past the end", report(played=[[0, 900]])),
        Case("NaN", body=b'{"viewer": "viewer-a-0123456789", "session": "s-123456",'
                         b' "position": NaN}'),
        Case("not JSON", body=b'{"viewer": '),
        Case("not an object", body=b"[1, 2]"),
        Case("empty body", body=b""),
        Case("not UTF-8", body=b"\xff\xfe not utf-8"),
        json_case("bad session", report(session="x")),
        json_case("no viewer", report(None)),
        json_case("viewer not a string", report(viewer=12345678901234567)),
        json_case("short viewer", report("short")),
        json_case("forged token", report(viewer_token=token[:-2] + "AA")),
        json_case("unknown item", report(), path="/api/media/nothing-here/progress"),
        json_case("invalid id", report(), path="/api/media/Not%20Valid/progress"),
        json_case("empty id", report(), path="/api/media//progress"),
        json_case("trailing slash", report(), path=PATH + "/"),
        json_case("DELETE", report(), method="DELETE"),
        json_case("PATCH", report(), method="PATCH"),
        Case("preflight", method="OPTIONS", body=None, content_type=None, headers={
            **origin, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-player-viewer"}),
        json_case("too large", report(padding="x" * 5000)),
        Case("form body", body=b"position=1",
             content_type="application/x-www-form-urlencoded"),
        Case("JSON under another type", body=json.dumps(report(seq=5)).encode(),
             content_type="application/vnd.api+json"),
        json_case("chunked", report(seq=6), chunked=True),
        json_case("with a cookie", report(seq=7), headers={"Cookie": "theme=dark"}),
        json_case("with a session cookie", report(seq=8),
                  headers={"Cookie": "session=not-a-signed-session"}),
    ]


def compare(fast_app, flask_app, case: Case, handed_over: list, flush: bool = True) -> None:
    before = len(handed_over)
    fast = answer(fast_app, case.environ())
    slow = answer(flask_only(flask_app), case.environ())
    assert fast == slow, case.name
    took = len(handed_over) == before
    assert took == case.fast, f"{case.name}: {'taken' if took else 'handed over'}"
    if flush:
        # The queue holds two reports: each pair is written before the next.
        assert progress.flush(fast_app) and progress.flush(flask_app)


def counting(fast_app) -> list:
    """Count the requests the fast path of ``fast_app`` hands to Flask."""
    fast_path = fast_app.wsgi_app
    while not isinstance(fast_path, progress.ReportFastPath):
        fast_path = fast_path.wsgi_app
    inner, handed_over = fast_path.wsgi_app, []

    def wsgi(environ, start_response):
        handed_over.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    fast_path.wsgi_app = wsgi
    return handed_over


@pytest.mark.parametrize("cors", ["*", "https://a.example,https://b.example"])
def test_every_answer_is_the_views_own(twin_apps, cors):
    # Tokens enough that each refusal below is the one its case is about.
    fast_app, flask_app = twin_apps(CORS_ORIGINS=cors, PROGRESS_RATE_BURST=100)
    handed_over = counting(fast_app)
    for case in cases():
        compare(fast_app, flask_app, case, handed_over)
    for app in (fast_app, flask_app):
        app.config["TRACKING"] = False
    compare(fast_app, flask_app, json_case("tracking off", report(), fast=True), handed_over)
    assert stored(fast_app) == stored(flask_app)
    assert stored(fast_app)["sessions"] and stored(fast_app)["durations"]


def test_flood_limit_and_full_queue_are_the_views_own(twin_apps):
    """A refused report spends no token on top of the view's own: the view
    takes one for a 503 (given back by the fast path first), none for a 429."""
    fast_app, flask_app = twin_apps()
    handed_over = counting(fast_app)
    flood = [json_case("first", report(seq=0))]
    flood += [json_case(f"report {n}", report(seq=n), fast=True) for n in (1, 2)]
    for case in flood:
        compare(fast_app, flask_app, case, handed_over)
    with writer_held(fast_app.extensions["progress_writer"]), \
            writer_held(flask_app.extensions["progress_writer"]):
        for case in [json_case("queued", report(session="session-q1"), fast=True),
                     json_case("queued too", report("viewer-b-0123456789"), fast=True),
                     json_case("queue full", report(session="session-q2"))]:
            compare(fast_app, flask_app, case, handed_over, flush=False)
    # Five tokens: three reports, one queued, one spent on the 503 by the view.
    for name in ("flooded", "flooded again"):
        compare(fast_app, flask_app, json_case(name, report(seq=9)), handed_over)
    status, headers, _ = answer(fast_app, json_case("", report(seq=10)).environ())
    assert status.startswith("429") and ("Retry-After", "100") in headers
    assert stored(fast_app) == stored(flask_app)


def test_before_request_hooks_still_run(twin_apps):
    fast_app, _ = twin_apps()
    handed_over = counting(fast_app)
    seen = []
    fast_app.before_request(lambda: seen.append("hook") and None)
    for seq in (1, 2):
        status, _, _ = answer(fast_app, json_case("", report(seq=seq)).environ())
        assert status == "202 ACCEPTED"
    assert seen == ["hook", "hook"] and len(handed_over) == 2
