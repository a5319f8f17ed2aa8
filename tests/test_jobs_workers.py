"""Real `player worker` processes: two sharing a PostgreSQL queue never run
the same job, a worker killed mid-job leaves it to the next one, and SIGTERM
stops a worker cleanly, and so does Ctrl-C in the middle of ffmpeg's work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter

import pytest

from player import jobs
from tests.hls_media import heavy_video
from tests.jobs_support import HANDLERS, app_worker_env, start_worker, wait_for
from tests.test_run_command import working_in

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def app(make_app, media_dir, database_url):
    return make_app(media_dir, DATABASE=database_url, JOBS_HANDLERS=HANDLERS)


def job_state(app, job_id) -> jobs.Job:
    with app.app_context():
        return jobs.get(job_id)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


@pytest.mark.databases("postgresql")
def test_two_workers_never_run_the_same_job(app, tmp_path):
    log = tmp_path / "ran.log"
    with app.app_context():
        queued = [jobs.enqueue("test-record", f"item-{n}", {"log": str(log), "sleep": 0.05}).id
                  for n in range(30)]
    env = app_worker_env(app)
    workers = [start_worker(env, tmp_path / f"worker-{n}.log", "--once", "--poll", "0.1")
               for n in range(2)]
    try:
        for worker in workers:
            assert worker.wait(120) == 0
    finally:
        for worker in workers:
            stop(worker)
    runs = [tuple(map(int, line.split())) for line in log.read_text().splitlines()]
    counts = Counter(job_id for job_id, _ in runs)
    assert sorted(counts) == queued and set(counts.values()) == {1}
    # Both took part: they shared the queue rather than one waiting for the other.
    assert len({pid for _, pid in runs}) == 2
    with app.app_context():
        assert {j.state for j in jobs.list_jobs()} == {"done"}


def test_a_job_whose_worker_is_killed_finishes_on_the_next_worker(app, tmp_path):
    marker = tmp_path / "started"
    with app.app_context():
        job = jobs.enqueue("test-slow-first", "clip", {"marker": str(marker)})
    env = app_worker_env(app, JOBS_LEASE_SECONDS=2)
    first = start_worker(env, tmp_path / "first.log", "--poll", "0.1")
    try:
        wait_for(marker.exists, what="the first worker to start the job")
        assert job_state(app, job.id).state == "running"
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        stop(first)
    assert job_state(app, job.id).state == "running"  # nobody told the queue
    second = start_worker(env, tmp_path / "second.log", "--poll", "0.1")
    try:
        wait_for(lambda: job_state(app, job.id).state == "done", timeout=30,
                 what="the second worker to finish the job")
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        stop(second)
    done = job_state(app, job.id)
    assert (done.attempts, done.result) == (2, {"attempt": 2})


def test_sigterm_lets_the_running_job_finish_then_exits_0(app, tmp_path):
    marker = tmp_path / "started"
    with app.app_context():
        job = jobs.enqueue("test-steps", "clip",
                           {"steps": 4, "pause": 0.3, "marker": str(marker)})
        later = jobs.enqueue("test-echo", "song")
    env = app_worker_env(app)
    worker = start_worker(env, tmp_path / "worker.log", "--poll", "0.1")
    try:
        wait_for(marker.exists, what="the worker to start the job")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        stop(worker)
    assert job_state(app, job.id).state == "done"
    assert job_state(app, later.id).state == "queued"  # it took no more jobs
    assert "SIGTERM: taking no more jobs" in (tmp_path / "worker.log").read_text()
    with app.app_context():
        assert jobs.worker_running() is False


def test_sigterm_after_the_grace_period_gives_the_job_back(app, tmp_path):
    marker = tmp_path / "started"
    with app.app_context():
        job = jobs.enqueue("test-steps", "clip",
                           {"steps": 50, "pause": 0.2, "marker": str(marker)})
    env = app_worker_env(app)
    worker = start_worker(env, tmp_path / "worker.log", "--poll", "0.1", "--grace", "0")
    try:
        wait_for(marker.exists, what="the worker to start the job")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        stop(worker)
    back = job_state(app, job.id)
    assert (back.state, back.attempts) == ("queued", 0)
    assert back.progress < 0.5  # given back long before its end
    assert "clip" in (tmp_path / "worker.log").read_text()
    assert jobs.run_one(app) and job_state(app, job.id).state == "done"


@pytest.mark.databases("sqlite")
def test_ctrl_c_during_ffmpeg_lets_the_renditions_job_finish(make_app, media_dir, database_url,
                                                             tmp_path, media_cache):
    """Ctrl-C at the worker's terminal reaches its whole process group. ffmpeg
    must not die of it under the job (which then failed an attempt and logged
    an error): the worker decides, and lets the job finish within --grace."""
    shutil.copy(heavy_video(media_cache), media_dir / "talk.mp4")
    app = make_app(media_dir, DATABASE=database_url)
    with app.app_context():
        job = jobs.enqueue("renditions", media_id="talk")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**app_worker_env(app), "TMPDIR": str(scratch)}
    worker = start_worker(env, tmp_path / "worker.log", "--poll", "0.1", "--grace", "120")
    try:
        wait_for(lambda: job_state(app, job.id).progress > 0 and working_in(scratch),
                 timeout=60, what="ffmpeg to be making the renditions")
        os.killpg(worker.pid, signal.SIGINT)
        assert worker.wait(120) == 0
    finally:
        stop(worker)
    log = (tmp_path / "worker.log").read_text()
    done = job_state(app, job.id)
    assert (done.state, done.attempts) == ("done", 1), log
    assert "SIGINT: taking no more jobs" in log and "Traceback" not in log
    assert not working_in(scratch) and list(scratch.iterdir()) == []
