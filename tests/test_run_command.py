"""``player run`` runs the job queue beside the development server, so the
demo gets its streams with nothing else started; ``--no-jobs`` (or
``PLAYER_RUN_JOBS=0``) leaves the jobs to ``player worker``."""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.test_progress_shutdown import PLAYER, silent_wav, start


@pytest.fixture
def library(tmp_path) -> Path:
    """A media folder holding one 10 s WAV, which gets an audio-only stream."""
    folder = tmp_path / "media"
    folder.mkdir()
    silent_wav(folder / "talk.wav", 10)
    return folder


def item(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/media/talk")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def jobs(database: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(database)
    try:
        return list(conn.execute("SELECT kind, state FROM jobs ORDER BY id"))
    finally:
        conn.close()


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_player_run_makes_the_streams_itself(library, tmp_path):
    process, port = start([PLAYER, "run"], library, tmp_path, jobs=True)
    try:
        deadline = time.monotonic() + 60
        while not item(port)["audio_only"] and time.monotonic() < deadline:
            time.sleep(0.2)
        found = item(port)
        assert found["audio_only"] and found["audio_only"]["url"].endswith("/audio.m3u8")
        assert found["sources"][0]["type"] == "application/vnd.apple.mpegurl"
        assert jobs(tmp_path / "player.sqlite") == [("renditions", "done")]
    finally:
        stop(process)
    assert "Background jobs run in this process too (1 queued now)" in (
        tmp_path / "server.log").read_text()


@pytest.mark.parametrize("how", ["--no-jobs", "PLAYER_RUN_JOBS=0"])
def test_without_jobs_the_server_queues_and_runs_none(library, tmp_path, how):
    command = [PLAYER, "run"]
    if how == "--no-jobs":
        command.append(how)
    # start() sets PLAYER_RUN_JOBS=0 unless asked for jobs.
    process, port = start(command, library, tmp_path, jobs=how == "--no-jobs")
    try:
        # Queueing comes before the server listens: it answering means none was queued.
        assert item(port)["audio_only"] is None
        assert jobs(tmp_path / "player.sqlite") == []
    finally:
        stop(process)
    assert "Background jobs" not in (tmp_path / "server.log").read_text()
