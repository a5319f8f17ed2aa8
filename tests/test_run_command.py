"""``player run`` runs the job queue beside the development server, so the
demo gets its streams with nothing else started; ``--no-jobs`` (or
``PLAYER_RUN_JOBS=0``) leaves the jobs to ``player worker``."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.hls_media import heavy_video
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


def job_row(database: Path) -> tuple[str, float, str] | None:
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT state, progress, message FROM jobs"
                            " WHERE kind = 'renditions'").fetchone()
    finally:
        conn.close()


def working_in(folder: Path) -> list[int]:
    """The processes whose working directory is inside ``folder`` (ffmpeg works in its job's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(folder):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_stopping_mid_job_gives_it_back_and_leaves_nothing_behind(tmp_path, media_cache, how):
    """``kill`` of the server, or Ctrl-C at its terminal (SIGINT to the whole
    process group, ffmpeg included), while it makes a video's renditions: the
    job goes back to the queue (not failed, no attempt spent), ffmpeg stops,
    its temporary folder goes, and nothing is logged as an error."""
    library = tmp_path / "media"
    library.mkdir()
    shutil.copy(heavy_video(media_cache), library / "talk.mp4")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    database = tmp_path / "player.sqlite"
    process, _ = start([PLAYER, "run"], library, tmp_path, jobs=True,
                       env={"TMPDIR": str(scratch)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = job_row(database)
            if row and row[0] == "running" and row[1] > 0 and working_in(scratch):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the renditions job never got going: {job_row(database)}")
        if how == "SIGTERM":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "server.log").read_text()
    state, progress, message = job_row(database)
    assert (state, message) == ("queued", "Returned to the queue: its worker stopped before"
                                          " it finished."), log
    conn = sqlite3.connect(database)
    try:
        attempts = conn.execute("SELECT attempts FROM jobs WHERE kind = 'renditions'").fetchone()
        assert attempts == (0,)
    finally:
        conn.close()
    deadline = time.monotonic() + 5
    while working_in(scratch) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert working_in(scratch) == []
    assert list(scratch.iterdir()) == []
    assert "Traceback" not in log and "ERROR" not in log, log
