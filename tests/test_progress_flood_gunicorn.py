"""A progress flood with made-up viewers against the README's production
command (gunicorn, the proxy fix on, as behind the README's nginx).

Sixteen connections send reports as fast as they can, every one with a new
viewer id, a new session or both: first from one client (forging
X-Forwarded-For in front of the address the proxy appends), then from a new
address every report. The sessions stored stay within what the limits allow
(the defaults, per worker), a viewer already watching is stored all along, a
new viewer elsewhere is stored during the one-client flood, and the
statistics answer in well under a second. Traffic goes to loopback only, and
each phase stops by itself after a few seconds.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import sqlite3
import threading
import time
import wave
from collections import Counter
from pathlib import Path

import pytest

from player import db, progress
from player.web import auth
from tests.gunicorn_support import gunicorn_process
from tests.test_worker import production_command, without_option

PHASE_SECONDS = 4.0
CONNECTIONS = 16
#: Each connection sends at most this many reports a phase.
MOST_PER_CONNECTION = 4000
ITEM = "talk"


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("flood-library")
    with wave.open(str(folder / f"{ITEM}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * 200)
    return folder


class Client:
    """One kept-alive connection, opened again when the server closes it."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.connection = http.client.HTTPConnection(*address, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body) if body is not None else None
        fields = {"Content-Type": "application/json", **(headers or {})}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, payload, fields)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection(*self.address, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def report(self, viewer: str, session: str, client_address: str, position: float,
               forged: str = "") -> int:
        status, _ = self.request(
            "PUT", f"/api/media/{ITEM}/progress",
            {"viewer": viewer, "session": session, "position": position, "duration": 200.0,
             "played": [[max(0.0, position - 10), position]]},
            # What the README's nginx passes on: the client's own header, if
            # any, then the address nginx saw.
            {"X-Forwarded-For": f"{forged}, {client_address}" if forged else client_address})
        return status

    def close(self) -> None:
        self.connection.close()


def flood(address: tuple[str, int], seconds: float, addresses: itertools.count | None,
          seed: int) -> Counter:
    """Reports from ``CONNECTIONS`` connections for ``seconds``, each with a new
    viewer id or session; from 203.0.113.7 with forged X-Forwarded-For, or
    (``addresses``) from a new address every report. Answers counted by status."""
    counts: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        client = Client(address)
        mine: Counter = Counter()
        try:
            for sent in range(MOST_PER_CONNECTION):
                if time.monotonic() >= deadline:
                    break
                fresh = f"{rng.getrandbits(128):032x}"
                kind = sent % 3
                viewer = fresh if kind != 1 else f"flooder-{n:02d}-0123456789"
                session = fresh if kind != 0 else "visit-0001"
                if addresses is None:
                    status = client.report(viewer, session, "203.0.113.7", 20.0,
                                           forged=f"10.0.{n}.{sent % 250}")
                else:
                    with lock:
                        count = next(addresses)
                    status = client.report(viewer, session,
                                           f"198.18.{count // 250 % 250}.{count % 250}", 20.0)
                mine[status] += 1
        finally:
            client.close()
        with lock:
            counts.update(mine)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def stored_sessions(database: Path) -> list[tuple[str, float]]:
    """``(session, position)`` of every session stored (a session id may repeat
    under different viewers)."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT session, position FROM progress_sessions").fetchall()
    finally:
        conn.close()


def test_a_flood_of_made_up_viewers_stays_bounded(library, tmp_path):
    readme_env, argv = production_command()
    assert readme_env.get("PLAYER_PROXY_FIX") == "1"
    *options, app = without_option(argv, ("-b", "--bind"))
    workers = int(options[options.index("-w") + 1])
    database = tmp_path / "player.sqlite"
    env = {**os.environ, **readme_env, "PLAYER_MEDIA_DIR": str(library),
           "PLAYER_DATABASE": str(database), "PLAYER_SECRET_KEY": "flood-test-secret",
           "PLAYER_PUBLIC_URL": "http://127.0.0.1"}
    conn = db.connect(database)
    try:
        db.init_schema(conn)
        token = auth.create_publisher(conn, "pat")
    finally:
        conn.close()
    log = tmp_path / "gunicorn.log"
    with gunicorn_process(options, env, log, app) as (_, address):
        watcher = Client(address)
        beats: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            """A viewer who was watching before the flood, reporting every 0.5 s."""
            position = 10.0
            beats.append(watcher.report("watcher-0123456789", "watching-0001", "192.0.2.10",
                                        position))
            while not stop.wait(0.5):
                position += 0.5
                beats.append(watcher.report("watcher-0123456789", "watching-0001",
                                            "192.0.2.10", position))

        watching = threading.Thread(target=watch)
        watching.start()
        try:
            one_client = flood(address, PHASE_SECONDS, None, 1)
            newcomer = Client(address)
            # A new viewer elsewhere while that one client floods.
            arrived = newcomer.report("newcomer-0123456789", "arriving-0001", "192.0.2.20",
                                      30.0)
            many_clients = flood(address, PHASE_SECONDS, itertools.count(), 2)
        finally:
            stop.set()
            watching.join()
        # Reads wait for their own worker's queue; the other worker's writes
        # what it holds within milliseconds.
        time.sleep(0.5)
        started = time.perf_counter()
        status, body = newcomer.request("GET", f"/api/media/{ITEM}/stats",
                                        headers={"Authorization": f"Bearer {token}"})
        took = time.perf_counter() - started
        newcomer.close()
        watcher.close()

    sessions = stored_sessions(database)
    sent = sum(one_client.values()) + sum(many_clients.values())
    config = progress.DEFAULTS
    elapsed = 2 * PHASE_SECONDS + 5   # and then some, for the slowest run
    # Each worker keeps its own limits: per address in the first phase, per
    # item in the second (each new address has the burst of its own).
    bound = workers * (
        config["PROGRESS_NEW_SESSIONS_BURST"]
        + config["PROGRESS_NEW_SESSIONS_PER_SECOND"] * elapsed
        + config["PROGRESS_ITEM_NEW_SESSIONS_BURST"]
        + config["PROGRESS_ITEM_NEW_SESSIONS_PER_SECOND"] * elapsed) + 2
    summary = (f"{sent} reports sent ({dict(one_client)}, then {dict(many_clients)});"
               f" {len(sessions)} sessions stored, at most {bound:.0f} allowed")
    assert len(sessions) <= bound, summary
    assert sent >= 2 * len(sessions), summary
    assert set(one_client) <= {200, 202, 429} and set(many_clients) <= {200, 202, 429}, summary
    assert beats and set(beats) == {202}, beats
    assert [p for s, p in sessions if s == "watching-0001"] == [10.0 + 0.5 * (len(beats) - 1)]
    assert arrived == 202 and [p for s, p in sessions if s == "arriving-0001"] == [30.0]
    assert status == 200 and took < 1.0, (status, took)
    stats = json.loads(body)
    assert stats["plays"] == len(sessions) and stats["unique_viewers"] <= len(sessions)
    text = log.read_text()
    assert "Traceback" not in text and "[ERROR]" not in text, text
