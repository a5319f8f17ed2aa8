"""A duration players report, for media whose duration the server cannot read.

No one client fixes it for everyone: a reported duration is a vote, one per
client address, and counts only once three addresses agree (a majority of
the newest votes, within a tolerance of their median). Later votes correct
it; the probe always wins; and no player is refused for the others'
agreement, only for contradicting its own report.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from player import db, progress
from player.progress.model import agreed_duration
from player.progress.views import forget_media
from tests.test_progress_api import forget_probed_duration, make_lecture, publisher_token

pytestmark = pytest.mark.databases("sqlite", "postgresql")

#: The item really lasts 200 s; the server is made to think it cannot tell.
REAL = 200.0


@pytest.fixture
def app(make_app, media_dir, media_cache, database_url):
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")
    app = make_app(media_dir, DATABASE=database_url)
    forget_probed_duration(app, "lecture")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def report(client, address: str, duration: float | None, position: float = 60.0,
           viewer: str | None = None, session: str = "visit-0001", **fields):
    body = {"viewer": viewer or f"viewer-{address.replace('.', '-').replace(':', '-')}-00",
            "session": session, "position": position, "duration": duration,
            "played": [[max(0.0, position - 10), position]], **fields}
    return client.put("/api/media/lecture/progress", json=body,
                      environ_overrides={"REMOTE_ADDR": address})


def duration(client) -> float | None:
    return client.get("/api/media/lecture/progress",
                      headers={"X-Player-Viewer": "someone-else-0123456789"}).json["duration"]


def honest(client, count: int, first: int = 1) -> None:
    for n in range(first, first + count):
        assert report(client, f"198.51.100.{n}", REAL).status_code == 202


# -- one liar --------------------------------------------------------------------------

@pytest.mark.parametrize("lie", [2.0, 0.001, 1e9])
def test_one_report_does_not_fix_the_duration(client, lie):
    report(client, "203.0.113.66", lie, position=min(lie, 1.0))
    assert duration(client) is None
    # Every honest report is still taken, past the liar's end too.
    for n in range(1, 4):
        assert report(client, f"198.51.100.{n}", REAL, position=150.0).status_code == 202
    assert duration(client) == REAL


@pytest.mark.parametrize("attack", ["fresh viewer ids", "fresh sessions", "one viewer"])
def test_a_liar_at_one_address_is_one_vote(client, attack):
    for n in range(10):
        viewer = f"liar-{n:04d}-0123456789" if attack == "fresh viewer ids" else None
        session = f"visit-{n:04d}" if attack == "fresh sessions" else "visit-0001"
        assert report(client, "203.0.113.66", 2.0, position=1.0, viewer=viewer,
                      session=session).status_code == 202
    assert duration(client) is None
    honest(client, 3)
    assert duration(client) == REAL


def test_a_liar_in_an_ipv6_subnet_is_one_vote(client):
    for n in range(10):
        report(client, f"2001:db8:66:1::{n + 1:x}", 2.0, position=1.0)
    assert duration(client) is None


def test_liars_at_three_addresses_are_outvoted_later(client):
    """Three colluding addresses can agree first; the honest majority that
    follows corrects it, and honest reports are never refused meanwhile."""
    for n in range(3):
        report(client, f"203.0.113.{n + 1}", 2.0, position=1.0)
    assert duration(client) == 2.0
    for n in range(1, 6):
        assert report(client, f"198.51.100.{n}", REAL, position=150.0).status_code == 202
    assert duration(client) == REAL


def test_a_voter_corrects_their_own_vote(client):
    """Each address has one vote, its newest: a player that first reported a
    wrong duration (metadata not yet loaded) and then the right one counts once."""
    for n in range(1, 4):
        report(client, f"198.51.100.{n}", 5.0, position=1.0)
    assert duration(client) == 5.0
    for n in range(1, 4):
        report(client, f"198.51.100.{n}", REAL, position=90.0)
    assert duration(client) == REAL


def test_without_a_majority_what_was_agreed_stands(client):
    for n in range(3):
        report(client, f"203.0.113.{n + 1}", 2.0, position=1.0)
    assert duration(client) == 2.0
    honest(client, 3)
    # Three against three: what was agreed stands until a majority agrees on
    # another.
    assert duration(client) == 2.0
    honest(client, 1, first=10)
    assert duration(client) == REAL


def test_small_differences_between_players_agree(client):
    for n, value in enumerate([200.0, 200.4, 199.7, 200.1]):
        report(client, f"198.51.100.{n + 1}", value)
    assert duration(client) == pytest.approx(200.05)
    # Within tolerance of the agreed value it does not move, so the
    # statistics are not recomputed for every vote.
    report(client, "198.51.100.9", 200.9)
    assert duration(client) == pytest.approx(200.05)


def test_statistics_follow_the_corrected_duration(app, client):
    headers = publisher_token(app)
    for n in range(3):
        report(client, f"203.0.113.{n + 1}", 100.0, position=50.0)
    stats = client.get("/api/media/lecture/stats", headers=headers).json
    assert (stats["duration"], stats["duration_source"]) == (100.0, "player")
    assert stats["average_percent_watched"] == pytest.approx(10.0)
    for n in range(1, 5):
        report(client, f"198.51.100.{n}", REAL, position=50.0)
    stats = client.get("/api/media/lecture/stats", headers=headers).json
    assert (stats["duration"], stats["duration_source"]) == (REAL, "player")
    assert stats["average_percent_watched"] == pytest.approx(5.0)


def test_a_player_contradicting_itself_is_still_refused(client):
    response = report(client, "198.51.100.1", 70.0, position=150.0)
    assert response.status_code == 400
    assert "lies past the end (70 s)" in response.json["error"]["message"]


def test_the_probe_always_wins(app, client):
    """Votes on an item the probe measured change nothing, and a rescan that
    measures it overrides what players agreed on."""
    for n in range(5):
        report(client, f"203.0.113.{n + 1}", 70.0, position=50.0)
    assert duration(client) == 70.0
    conn = db.connect(app.config["DATABASE"])
    try:
        item = db.catalog_item(conn, "lecture")
        conn.execute("UPDATE items SET data = ? WHERE id = 'lecture'",
                     (json.dumps({**item, "duration": 200.0}),))
    finally:
        conn.close()
    time.sleep(1.1)   # the request threads' cache of durations
    assert duration(client) == REAL
    # Checked against the probe, not against what the report says.
    assert report(client, "203.0.113.9", 70.0, position=150.0).status_code == 202
    assert report(client, "203.0.113.9", 500.0, position=300.0).status_code == 400


def test_votes_are_kept_per_address_as_a_keyed_hash_and_bounded(app, client):
    for n in range(100):
        report(client, f"198.51.{n // 250}.{n % 250}", REAL)
    assert progress.flush(app)
    conn = db.connect(app.config["DATABASE"])
    try:
        voters = [row[0] for row in conn.execute("SELECT voter FROM progress_duration_votes")]
    finally:
        conn.close()
    assert len(voters) == 64
    assert not any("198.51" in voter for voter in voters)


def test_votes_are_forgotten_with_the_item(app, client):
    honest(client, 3)
    with app.app_context():
        forget_media("lecture")
    conn = db.connect(app.config["DATABASE"])
    try:
        left = conn.execute("SELECT COUNT(*) FROM progress_duration_votes").fetchone()[0]
    finally:
        conn.close()
    assert left == 0


@pytest.mark.parametrize(("votes", "current", "agreed"), [
    ([], None, None),
    ([70.0, 70.0], None, None),                       # under the quorum
    ([70.0, 70.0, 70.0], None, 70.0),
    ([2.0, 2.0, 70.0, 70.0, 70.0], None, 70.0),       # the majority
    ([2.0, 2.0, 2.0, 70.0, 70.0, 70.0], None, None),  # no majority
    ([2.0, 2.0, 2.0, 70.0, 70.0, 70.0], 2.0, 2.0),    # ...so what was agreed stands
    ([1.0, 3.0, 5.0, 7.0, 9.0], None, None),          # no agreement at all
    ([1.0, 2.0, 3.0, 4.0, 5.0], None, 3.0),           # 2, 3 and 4 within 1 s of 3
    ([70.0, 70.5, 69.5], 70.2, 70.2),                 # about the same: unchanged
])
def test_agreement(votes, current, agreed):
    assert agreed_duration(votes, current, 3) == agreed
