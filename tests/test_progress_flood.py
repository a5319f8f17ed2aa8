"""Progress floods with made-up viewers: limits per client address and per
item, statistics that count no made-up viewer and cost the same to read
however many sessions there are.

Every attack here is from one client or a few: fresh viewer ids per report,
fresh sessions of one viewer, both, spread over an IPv6 /64, with forged
X-Forwarded-For headers, and from many addresses at one item. The limits
are set small so that each shows in a few requests; the clock is the test's.
"""

from __future__ import annotations

import json
import random
import shutil
import time

import pytest

from player import db, progress
from player.library.item import Item
from player.progress import limits as progress_limits
from player.progress import store as progress_store
from player.progress.limits import Limits, RecentSessions, address_key
from player.progress.model import ResumeRules
from tests.test_progress_api import make_lecture, publisher_token

pytestmark = pytest.mark.databases("sqlite", "postgresql")

LIMITS = {
    "PROGRESS_ADDRESS_BURST": 40, "PROGRESS_ADDRESS_PER_SECOND": 1.0,
    "PROGRESS_NEW_SESSIONS_BURST": 5, "PROGRESS_NEW_SESSIONS_PER_SECOND": 0.1,
    "PROGRESS_ITEM_NEW_SESSIONS_BURST": 12, "PROGRESS_ITEM_NEW_SESSIONS_PER_SECOND": 0.1,
}
NOT_STORED = {"stored": False, "reason": "too_many_new_sessions"}


class Clock:
    """time.monotonic as the limits see it, moved by the test only."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    for module in ("player.progress.intake", "player.progress.views",
                   "player.progress.fastpath"):
        monkeypatch.setattr(f"{module}.time.monotonic", clock)
    # The item's duration stays cached whatever the test's clock says.
    monkeypatch.setattr(progress_store, "DURATION_FRESH_SECONDS", 1e9)
    return clock


@pytest.fixture
def make_app(make_app, media_dir, media_cache, database_url):
    """``make_app(**config)``: an app of the test's backends with small limits."""
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")

    def factory(**config):
        return make_app(media_dir, **{"DATABASE": database_url, **LIMITS, **config})

    return factory


def report(client, viewer: str, session: str = "visit-0001", address: str = "203.0.113.7",
           media: str = "lecture", headers: dict | None = None, **fields):
    body = {"viewer": viewer, "session": session, "position": 20.0, "duration": 200.0,
            "played": [[10.0, 20.0]], **fields}
    return client.put(f"/api/media/{media}/progress", data=json.dumps(body),
                      content_type="application/json", headers=headers or {},
                      environ_overrides={"REMOTE_ADDR": address})


def sessions(app) -> int:
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        return conn.execute("SELECT COUNT(*) FROM progress_sessions").fetchone()[0]
    finally:
        conn.close()


def fresh_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


# -- fresh ids from one address --------------------------------------------------------

@pytest.mark.parametrize("attack", ["fresh viewer", "fresh session", "fresh both"])
def test_made_up_viewers_from_one_address_are_not_stored(make_app, clock, attack):
    app = make_app()
    client = app.test_client()
    rng = random.Random(attack)
    answers = []
    # Fewer than the 20 reports a viewer may send at once: "fresh session"
    # is one viewer.
    for _ in range(18):
        viewer = fresh_id(rng) if attack != "fresh session" else "one-viewer-0123456789"
        session = fresh_id(rng) if attack != "fresh viewer" else "visit-0001"
        response = report(client, viewer, session)
        answers.append((response.status_code, response.json))
        clock.now += 0.05
    assert answers[:5] == [(202, {"stored": True})] * 5
    assert answers[5:] == [(200, NOT_STORED)] * 13
    assert sessions(app) == 5


def test_a_viewer_already_watching_is_stored_through_a_flood(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(1)
    assert report(client, "watching-0123456789", position=20.0).status_code == 202
    for n in range(30):
        report(client, fresh_id(rng))
        if n % 10 == 9:
            clock.now += 10
            assert report(client, "watching-0123456789", position=30.0 + n,
                          played=[[20.0 + n, 30.0 + n]]).status_code == 202
    # The address's five new sessions, the watcher's among them, and one
    # for each 10 s that passed before more flooding.
    assert sessions(app) == 5 + 2
    answer = client.get("/api/media/lecture/progress",
                        headers={"X-Player-Viewer": "watching-0123456789"}).json
    assert answer["position"] == 59.0


def test_other_addresses_are_stored_while_one_floods(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(2)
    for _ in range(20):
        report(client, fresh_id(rng))
    for n in range(3):
        assert report(client, f"neighbour-{n}-0123456789",
                      address=f"198.51.100.{n}").json == {"stored": True}


@pytest.mark.parametrize("addresses", [
    # One subscriber's /64, every address a new one.
    lambda n: f"2001:db8:5:6:{n:x}::{n + 1:x}",
    # IPv4 written as IPv4-mapped IPv6 and as itself.
    lambda n: "::ffff:203.0.113.7" if n % 2 else "203.0.113.7",
], ids=["IPv6 /64", "IPv4-mapped"])
def test_one_client_is_one_address_however_written(make_app, clock, addresses):
    app = make_app()
    client = app.test_client()
    rng = random.Random(3)
    stored = [report(client, fresh_id(rng), address=addresses(n)).json["stored"]
              for n in range(20)]
    assert stored == [True] * 5 + [False] * 15


def test_the_new_session_limit_refills(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(4)
    assert [report(client, fresh_id(rng)).json["stored"] for _ in range(6)] == [True] * 5 + [
        False]
    clock.now += 10   # one new session's worth at 0.1 a second
    assert [report(client, fresh_id(rng)).json["stored"] for _ in range(2)] == [True, False]


# -- reports per address -------------------------------------------------------------

@pytest.mark.parametrize("attack", ["known viewers", "fresh viewers"])
def test_too_many_reports_from_one_address_are_429(make_app, clock, attack):
    """Reports are limited per address whatever the viewers; a refused
    report spends none of the viewer's tokens."""
    app = make_app(PROGRESS_NEW_SESSIONS_BURST=1000, PROGRESS_ITEM_NEW_SESSIONS_BURST=1000)
    client = app.test_client()
    rng = random.Random(attack)
    viewers = [fresh_id(rng) for _ in range(8)]
    codes = []
    for n in range(50):
        viewer = viewers[n % 8] if attack == "known viewers" else fresh_id(rng)
        codes.append(report(client, viewer, seq=n).status_code)
    assert codes == [202] * 40 + [429] * 10
    refused = report(client, viewers[0])
    assert refused.headers["Retry-After"] == "1"
    assert refused.json["error"]["message"] == (
        "Too many progress reports from this address; try again in 1 s.")
    assert report(client, viewers[0], address="198.51.100.9").status_code == 202


# -- behind a proxy --------------------------------------------------------------------

def forwarded(n: int, rng: random.Random) -> dict:
    """What nginx with the README's settings sends on for a client forging its
    own X-Forwarded-For: the forgery, then the address nginx saw."""
    forged = ", ".join(f"10.{rng.randrange(256)}.0.{n % 250}" for _ in range(n % 3 + 1))
    return {"X-Forwarded-For": f"{forged}, 203.0.113.99"}


def test_behind_the_proxy_fix_the_limit_is_the_address_the_proxy_saw(make_app, clock):
    app = make_app(PROXY_FIX=1)
    client = app.test_client()
    rng = random.Random(5)
    stored = [report(client, fresh_id(rng), address="127.0.0.1",
                     headers=forwarded(n, rng)).json["stored"] for n in range(20)]
    assert stored == [True] * 5 + [False] * 15
    # Another client behind the same proxy has limits of its own.
    other = report(client, fresh_id(rng), address="127.0.0.1",
                   headers={"X-Forwarded-For": "198.51.100.20"})
    assert other.json == {"stored": True}


def test_without_the_proxy_fix_a_forged_header_changes_nothing(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(6)
    stored = [report(client, fresh_id(rng), headers={
        "X-Forwarded-For": f"198.51.100.{n}"}).json["stored"] for n in range(20)]
    assert stored == [True] * 5 + [False] * 15


# -- many addresses, one item ------------------------------------------------------------

def test_many_addresses_are_bounded_per_item(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(7)
    stored = [report(client, fresh_id(rng), address=f"198.51.{n // 250}.{n % 250}"
                     ).json["stored"] for n in range(40)]
    assert stored == [True] * 12 + [False] * 28
    # The limit is the item's: another item is not held up.
    assert report(client, fresh_id(rng), address="192.0.2.1", media="clip",
                  duration=None, position=1.0, played=[[0, 1]]).json == {"stored": True}


# -- honest statistics ----------------------------------------------------------------

def test_statistics_count_no_viewer_that_was_turned_away(make_app, clock):
    app = make_app()
    client = app.test_client()
    rng = random.Random(8)
    for n in range(3):
        report(client, f"honest-{n}-0123456789", address=f"198.51.100.{n}")
    for _ in range(50):
        report(client, fresh_id(rng))
    stats = client.get("/api/media/lecture/stats", headers=publisher_token(app)).json
    assert stats["plays"] == 3 + 5 and stats["unique_viewers"] == 3 + 5
    assert stats["sessions"] == {"raw": 8, "folded": 0}


# -- the fast path and the view agree ------------------------------------------------------

def test_the_fast_path_answers_as_the_view(make_app, make_database, clock):
    """Both take the same tokens and give the same answers (the view alone
    runs when the fast path finds a before-request hook)."""
    fast = make_app()
    slow = make_app(DATABASE=make_database("slow"))
    slow.before_request(lambda: None)
    got = []
    for app in (fast, slow):
        client = app.test_client()
        rng = random.Random(9)
        report(client, "warm-up-viewer-0001")
        got.append([(r.status_code, r.get_data()) for r in (
            report(client, fresh_id(rng), address=f"2001:db8::{n % 3}") for n in range(60))])
    assert got[0] == got[1]
    assert [status for status, _ in got[0]] == [202] * 5 + [200] * 35 + [429] * 20


# -- the parts ----------------------------------------------------------------------------

def test_address_keys():
    assert address_key("2001:db8:1:2:ffff::1") == address_key("2001:db8:1:2::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("fe80::1%eth0") == "fe80::/64"
    assert address_key("203.0.113.7") != address_key("203.0.113.8")


def test_recent_sessions_stay_bounded_and_forget_the_oldest():
    recent = RecentSessions(window=60, kept=100)
    for n in range(1000):
        recent.add(("v", "m", str(n)), float(n))
    assert len(recent) <= 100
    assert recent.touch(("v", "m", "999"), 1000.0)
    assert not recent.touch(("v", "m", "0"), 1000.0)
    assert not recent.touch(("v", "m", "999"), 1060.0)


def test_a_withdrawn_session_is_as_if_never_admitted():
    config = {**progress.DEFAULTS, **LIMITS}
    taken, untouched = Limits(config), Limits(config)
    key = ("viewer", "lecture", "visit")
    assert taken.admit_session(key, "a", 0.0) is True
    taken.withdraw_session(key, "a")
    for n in range(6):
        session = ("viewer", "lecture", f"visit-{n}")
        assert taken.admit_session(session, "a", 0.0) == untouched.admit_session(
            session, "a", 0.0)
    assert taken.admit_session(("viewer", "lecture", "visit-1"), "a", 1.0) is None


def test_the_limits_have_defaults_that_a_player_never_meets():
    """A player sends a report every 10 s and starts a session per page load."""
    config = progress.DEFAULTS
    assert config["PROGRESS_ADDRESS_PER_SECOND"] >= 0.1 * 100   # 100 players behind a NAT
    assert config["PROGRESS_NEW_SESSIONS_BURST"] >= 30           # a class pressing play
    assert progress_limits.RECENT_SECONDS >= 10 * 60


# -- statistics cost the same however many sessions ----------------------------------------

def add_junk_sessions(app, count: int, first: int = 0) -> None:
    """Sessions written straight into the database, as a flood before the
    limits would have left them."""
    conn = db.connect(app.config["DATABASE"])
    state = {"position": 20.0, "seq": 0, "ended": False, "at_end": False, "rate": 1.0,
             "ranges": [[10.0, 20.0]], "watched": 10.0, "captions": {}, "descriptions": 0.0}
    try:
        with db.Transaction(conn):
            conn.executemany(
                "INSERT INTO progress_sessions (media_id, viewer, session, started_at,"
                " updated_at, position, at_end, state) VALUES ('lecture', ?, ?, ?, ?, 20, 0, ?)",
                [(f"junk-{n}", "visit", time.time(), time.time(), json.dumps(state))
                 for n in range(first, first + count)])
    finally:
        conn.close()


def test_reading_statistics_does_not_read_the_sessions(make_app, clock, monkeypatch):
    app = make_app()
    client = app.test_client()
    headers = publisher_token(app)
    add_junk_sessions(app, 20_000)
    first = client.get("/api/media/lecture/stats", headers=headers).json
    assert first["plays"] == 20_000
    reads = []
    real = db.progress_sessions_of
    monkeypatch.setattr(db, "progress_sessions_of", lambda *a: reads.append(a) or real(*a))
    report(client, "later-viewer-0123456789")
    started = time.perf_counter()
    for _ in range(10):
        stats = client.get("/api/media/lecture/stats", headers=headers).json
    took = (time.perf_counter() - started) / 10
    assert reads == []
    assert stats["plays"] == 20_001 and stats["unique_viewers"] == 20_001
    assert took < 0.1, took


@pytest.mark.databases("sqlite")  # counts SQLite's virtual machine steps
def test_the_statistics_read_no_sqlite_rows_per_session(make_app, clock):
    """The statements of a statistics read step through the same number of
    rows with 10 sessions as with 2,000."""
    app = make_app()
    client = app.test_client()
    headers = publisher_token(app)
    steps = []
    for count in (10, 2_000):
        add_junk_sessions(app, count - (10 if steps else 0), first=10 if steps else 0)
        client.get("/api/media/lecture/stats", headers=headers)   # totals on this basis
        report(client, f"viewer-{count}-0123456789")                # a batch updates them
        writer = app.extensions["progress_writer"]

        def count_steps(conn):
            counted = []
            conn.set_progress_handler(lambda: counted.append(1), 1)
            try:
                lecture = Item.from_dict(db.catalog_item(conn, "lecture"))
                progress_store.media_statistics(conn, lecture, ResumeRules.from_config(app.config))
            finally:
                conn.set_progress_handler(None, 1)
            return len(counted)

        steps.append(writer.run(count_steps))
    assert steps[0] == steps[1], steps


def test_running_totals_match_totals_computed_afresh(make_app, clock):
    """Reports, folds, erasures and a changed duration in random order: the
    running totals always equal the statistics of the same sessions read
    afresh."""
    app = make_app(PROGRESS_NEW_SESSIONS_BURST=10_000, PROGRESS_ITEM_NEW_SESSIONS_BURST=10_000,
                   PROGRESS_ADDRESS_BURST=10_000, PROGRESS_RATE_BURST=10_000)
    client = app.test_client()
    headers = publisher_token(app)
    rng = random.Random(10)
    viewers = [f"viewer-{n:02d}-0123456789" for n in range(6)]
    positions: dict[tuple[str, str], float] = {}
    client.get("/api/media/lecture/stats", headers=headers)

    def afresh() -> dict:
        conn = db.connect(app.config["DATABASE"])
        try:
            conn.execute("DELETE FROM progress_live")
            conn.commit()
        finally:
            conn.close()
        return client.get("/api/media/lecture/stats", headers=headers).json

    for step in range(300):
        roll = rng.random()
        viewer = rng.choice(viewers)
        if roll < 0.85:
            session = f"visit-{rng.randrange(4):04d}"
            start = positions.get((viewer, session), rng.choice([0.0, 50.0, 150.0]))
            end = min(200.0, start + rng.choice([0.0, 0.5, 10.0, 40.0]))
            positions[(viewer, session)] = end
            fields = {"position": end, "played": [[start, end]] if end > start else [],
                      "captions": rng.choice([None, "en", "uk"]),
                      "descriptions": rng.random() < 0.2, "seq": step}
            if end >= 199.5 and rng.random() < 0.5:
                fields["event"] = "ended"
            assert report(client, viewer, session, **fields).status_code == 202
        elif roll < 0.9:
            client.delete("/api/viewer/history", headers={"X-Player-Viewer": viewer})
            positions = {k: v for k, v in positions.items() if k[0] != viewer}
        elif roll < 0.95:
            conn = db.connect(app.config["DATABASE"])
            try:
                conn.execute("UPDATE progress_sessions SET updated_at = 0 WHERE viewer IN"
                             " (SELECT viewer FROM progress_sessions ORDER BY random() LIMIT 1)")
                conn.commit()
            finally:
                conn.close()
            app.extensions["progress_writer"].run(lambda conn: progress_store.fold_expired(
                conn, time.time(), 30, ResumeRules.from_config(app.config)))
            positions = {}   # whatever was folded starts afresh
        if step % 25 == 24:
            running = client.get("/api/media/lecture/stats", headers=headers).json
            assert flat(running) == pytest.approx(flat(afresh())), step


def flat(value, path: str = "") -> dict:
    """Nested JSON as one level of ``path: value``, for pytest.approx."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{path}/{key}").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in flat(item, f"{path}/{n}").items()}
    return {path: value}
