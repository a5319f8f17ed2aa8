"""A server told to stop writes the progress it acknowledged first.

Every report answered 202 is in the database once the process has gone,
whichever signal stopped it (SIGTERM from systemd, a container runtime or
``kill``; SIGINT from Ctrl-C) and however the development server was started
(``player run``, ``flask --app player run``, ``player --debug run``, the
README's gunicorn command). Each test stops the server the
moment the last answer arrives, while the writer still holds the reports in
its queue (it lets a batch grow for about 10 ms first).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.gunicorn_support import gunicorn_process
from tests.test_new_user import free_port
from tests.test_worker import production_command, without_option

REPO = Path(__file__).resolve().parents[1]
PLAYER = str(Path(sys.executable).with_name("player"))


def silent_wav(path: Path, seconds: int) -> Path:
    """A WAV file of silence (8 kHz, 8-bit mono), whose duration the probe reads."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * seconds)
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A media folder holding one 60 s WAV (silence)."""
    folder = tmp_path_factory.mktemp("shutdown-library")
    silent_wav(folder / "talk.wav", 60)
    return folder


def start(command: list[str], library: Path, state: Path, jobs: bool = False,
          env: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    """The server ``command`` on a free port, in a process group of its own
    (as a terminal starts it: Ctrl-C there signals the group); ``player
    run``'s job thread only with ``jobs``; ``env`` adds to its environment."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PLAYER_MEDIA_DIR": str(library),
           "PLAYER_DATABASE": str(state / "player.sqlite"), "PLAYER_SECRET_KEY": "stop-test",
           **(env or {})}
    if not jobs:
        env["PLAYER_RUN_JOBS"] = "0"
    env.pop("FLASK_DEBUG", None)
    log = open(state / "server.log", "wb")  # noqa: SIM115 (closed with the test)
    process = subprocess.Popen([*command, "--port", str(port)], cwd=state, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (state / "server.log").read_text()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/media/talk")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("the server did not start:\n" + (state / "server.log").read_text())


@contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process`` for the block, killed at its end if it still runs (a test
    that fails before stopping its server leaves none behind)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def report(port: int, viewer: int, position: float) -> int:
    body = json.dumps({"viewer": f"stop-viewer-{viewer:08d}", "session": f"visit-{viewer:04d}",
                       "position": position, "played": [[0, position]]})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("PUT", "/api/media/talk/progress", body,
                           {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def stored(database: Path) -> dict[str, float]:
    conn = sqlite3.connect(database)
    try:
        return dict(conn.execute("SELECT session, position FROM progress_sessions"))
    finally:
        conn.close()


COMMANDS = {
    "player run": [PLAYER, "run"],
    "flask run": [sys.executable, "-m", "flask", "--app", "player", "run"],
    # The reloader's parent kills its child with SIGKILL on SIGTERM.
    "player --debug run": [PLAYER, "--debug", "run"],
}


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("reports", [1, 40], ids=["one report", "40 at once"])
def test_a_stopped_server_has_written_every_acknowledged_report(
        library, tmp_path, command, how, reports):
    process, port = start(COMMANDS[command], library, tmp_path)
    with reaped(process):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: report(port, n, 10.0 + n), range(reports)))
        process.send_signal(how)
        process.wait(timeout=30)
    log = (tmp_path / "server.log").read_text()
    assert answers == [202] * reports, log
    assert stored(tmp_path / "player.sqlite") == {
        f"visit-{n:04d}": 10.0 + n for n in range(reports)}, log
    assert "Traceback" not in log, log


def test_the_stopped_server_still_dies_of_the_signal(library, tmp_path):
    """Writing the queue delays a SIGTERM; it does not turn it into a clean exit
    (a supervisor reads the exit status)."""
    process, port = start(COMMANDS["player run"], library, tmp_path)
    with reaped(process):
        assert report(port, 1, 12.0) == 202
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == -signal.SIGTERM
    assert stored(tmp_path / "player.sqlite") == {"visit-0001": 12.0}


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_production_server_writes_what_it_acknowledged(library, tmp_path, how):
    """The README's gunicorn command, stopped by either signal to its master,
    right after 40 reports spread over its workers."""
    readme_env, argv = production_command()
    *options, app = without_option(argv, ("-b", "--bind"))
    env = {**os.environ, **readme_env, "PLAYER_MEDIA_DIR": str(library),
           "PLAYER_DATABASE": str(tmp_path / "player.sqlite"), "PLAYER_SECRET_KEY": "stop-test",
           "PLAYER_PUBLIC_URL": "http://127.0.0.1"}
    with gunicorn_process(options, env, tmp_path / "gunicorn.log", app) as (process, address):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: report(address[1], n, 10.0 + n), range(40)))
        process.send_signal(how)
        process.wait(timeout=60)
    log = (tmp_path / "gunicorn.log").read_text()
    assert answers == [202] * 40, log
    assert stored(tmp_path / "player.sqlite") == {
        f"visit-{n:04d}": 10.0 + n for n in range(40)}, log
