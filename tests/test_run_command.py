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
from tests.jobs_support import wait_for
from tests.test_progress_shutdown import PLAYER, reaped, silent_wav, start


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
    with reaped(process):
        process.terminate()
        process.wait(timeout=30)


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


def renditions_job(database: Path) -> tuple[str, float, int, str] | None:
    """The renditions job's state, progress, attempts and message."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT state, progress, attempts, message FROM jobs"
                            " WHERE kind = 'renditions'").fetchone()
    finally:
        conn.close()


def running(database: Path, scratch: Path) -> bool:
    job = renditions_job(database)
    return bool(job and job[0] == "running" and job[1] > 0 and working_in(scratch))


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
    with reaped(process):
        wait_for(lambda: running(database, scratch), timeout=60,
                 what="ffmpeg to be making the renditions")
        if how == "SIGTERM":
            process.send_signal(signal.SIGTERM)
        else:
            os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    log = (tmp_path / "server.log").read_text()
    state, _, attempts, message = renditions_job(database)
    assert (state, attempts, message) == (
        "queued", 0, "Returned to the queue: its worker stopped before it finished."), log
    wait_for(lambda: not working_in(scratch), timeout=5, what="ffmpeg to stop")
    assert list(scratch.iterdir()) == []
    assert "Traceback" not in log and "ERROR" not in log, log
