"""The background job queue on both backends: queueing, taking, finishing,
failing, retrying after a backoff, leases that run out, stopping workers,
and the `player worker` / `player jobs` commands."""

from __future__ import annotations

import time

import pytest

from player import db, jobs
from player.db import jobs as sql
from tests.jobs_support import HANDLERS

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def app(make_app, media_dir, database_url):
    return make_app(media_dir, **{
        "DATABASE": database_url, "JOBS_HANDLERS": HANDLERS,
        "JOBS_BACKOFF_SECONDS": 0.3, "JOBS_LEASE_SECONDS": 1,
    })


def enqueue(app, kind, media_id=None, payload=None) -> jobs.Job:
    with app.app_context():
        return jobs.enqueue(kind, media_id, payload)


def get(app, job_id) -> jobs.Job:
    with app.app_context():
        return jobs.get(job_id)


def test_a_queued_job_runs_once_and_keeps_its_result(app):
    job = enqueue(app, "test-echo", "clip", {"size": 3})
    assert (job.state, job.progress, job.attempts, job.result) == ("queued", 0, 0, None)
    public = job.to_public()
    assert set(public) == {"id", "kind", "media_id", "state", "progress", "message",
                           "attempts", "created", "updated", "result"}
    assert public["created"].endswith("Z") and public["media_id"] == "clip"

    assert jobs.run_one(app) is True
    done = get(app, job.id)
    assert (done.state, done.progress, done.attempts) == ("done", 1.0, 1)
    assert done.result == {"payload": {"size": 3}, "media_id": "clip", "attempt": 1}
    assert done.message == "Done." and done.lease_owner is None
    assert jobs.run_one(app) is False  # nothing else is due


def test_the_same_job_is_queued_once_while_it_waits(app):
    first = enqueue(app, "test-echo", "clip", {"a": 1, "b": 2})
    assert enqueue(app, "test-echo", "clip", {"b": 2, "a": 1}).id == first.id
    other = enqueue(app, "test-echo", "clip", {"a": 2})
    assert other.id != first.id
    assert enqueue(app, "test-echo", "song", {"a": 1, "b": 2}).id != first.id
    assert enqueue(app, "test-echo", None, {"a": 1, "b": 2}).id != first.id
    while jobs.run_one(app):
        pass
    # Once it has run, the same work may be asked for again.
    again = enqueue(app, "test-echo", "clip", {"a": 1, "b": 2})
    assert again.id != first.id and again.state == "queued"
    with app.app_context():
        assert [j.id for j in jobs.for_media("clip")] == [first.id, other.id, again.id]
        assert [j.state for j in jobs.for_media("clip")] == ["done", "done", "queued"]
        assert jobs.waiting_counts() == {"clip": 1}


def test_progress_is_stored_while_the_job_runs(app, tmp_path):
    seen = []

    def spy(job):
        job.progress(0.25, "A quarter done")
        seen.append(get(app, job.id))
        job.progress(7, "clamped")
        seen.append(get(app, job.id))
        return {"message": "Finished cleanly."}

    app.config["JOBS_HANDLERS"] = {"spy": f"{__name__}:_spy"}
    _SPIES[:] = [spy]
    job = enqueue(app, "spy", "clip")
    assert jobs.run_one(app)
    assert [(j.state, j.progress, j.message) for j in seen] == [
        ("running", 0.25, "A quarter done"), ("running", 1.0, "clamped")]
    assert seen[0].lease_expires > time.time() - 1
    done = get(app, job.id)
    assert (done.state, done.message) == ("done", "Finished cleanly.")


_SPIES: list = []


def _spy(job):
    return _SPIES[0](job)


def test_a_job_that_refuses_fails_at_once_with_its_message(app):
    job = enqueue(app, "test-refuse", "clip")
    assert jobs.run_one(app)
    failed = get(app, job.id)
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert failed.message == "The file is not a video: upload an MP4 or WebM."
    assert jobs.run_one(app) is False


def test_an_unknown_kind_fails_and_says_which_kinds_exist(app):
    job = enqueue(app, "no-such-kind")
    assert jobs.run_one(app)
    failed = get(app, job.id)
    assert failed.state == "failed"
    assert "'no-such-kind'" in failed.message and "poster" in failed.message


def test_a_crashing_job_is_retried_after_a_growing_backoff_then_fails(app):
    job = enqueue(app, "test-crash", "clip")
    app.config["JOBS_MAX_ATTEMPTS"] = 3
    assert jobs.run_one(app)
    first = get(app, job.id)
    assert (first.state, first.attempts) == ("queued", 1)
    assert "Attempt 1 of 3 failed (OSError: disk not ready (attempt 1))" in first.message
    assert first.run_after - first.updated == pytest.approx(0.3, abs=0.05)
    # Not due before its backoff is over.
    assert jobs.run_one(app) is False
    time.sleep(0.35)
    assert jobs.run_one(app)
    second = get(app, job.id)
    assert (second.state, second.attempts) == ("queued", 2)
    assert second.run_after - second.updated == pytest.approx(0.6, abs=0.05)
    assert "trying again in 0.6 s" in second.message
    time.sleep(0.65)
    assert jobs.run_one(app)
    last = get(app, job.id)
    assert (last.state, last.attempts) == ("failed", 3)
    assert last.message.startswith("Failed after 3 attempts (OSError: disk not ready (attempt 3))")
    assert jobs.run_one(app) is False


def test_backoff_doubles_up_to_an_hour():
    assert [jobs.runner.backoff(30, n) for n in (1, 2, 3)] == [30, 60, 120]
    assert jobs.runner.backoff(30, 20) == 3600


def test_a_job_whose_lease_ran_out_is_taken_again_and_the_late_worker_changes_nothing(app):
    job = enqueue(app, "test-echo", "clip")
    conn = db.connect(app.config["DATABASE"])
    try:
        now = time.time()
        # A worker takes it, then goes silent (as if killed).
        taken = sql.jobs_claim(conn, "dead-worker", now + 0.5, now)
        assert taken["id"] == job.id and taken["state"] == "running"
        assert jobs.run_one(app) is False  # the lease still holds
        time.sleep(0.6)
        assert jobs.run_one(app) is True
        done = get(app, job.id)
        assert (done.state, done.attempts, done.result["attempt"]) == ("done", 2, 2)
        # The first worker wakes up: its writes name a lease it no longer holds.
        assert not sql.jobs_finish(conn, job.id, "dead-worker", "failed", time.time(),
                                   message="late")
        assert not sql.jobs_renew(conn, job.id, "dead-worker", time.time() + 5, time.time())
        assert get(app, job.id).state == "done"
    finally:
        conn.close()


def test_a_job_whose_workers_keep_dying_fails_with_a_message(app):
    app.config["JOBS_MAX_ATTEMPTS"] = 2
    job = enqueue(app, "test-echo", "clip")
    conn = db.connect(app.config["DATABASE"])
    try:
        for attempt in (1, 2):
            now = time.time()  # a lease that has run out already
            assert sql.jobs_claim(conn, f"dies-{attempt}", now - 1, now)["attempts"] == attempt
    finally:
        conn.close()
    assert jobs.run_one(app)
    failed = get(app, job.id)
    assert (failed.state, failed.attempts) == ("failed", 2)
    assert "stopped without finishing 2 times" in failed.message


def test_a_stopping_worker_gives_the_job_back_at_its_next_progress_report(app):
    worker = jobs.Worker(app, grace=0)

    def stop_midway(job):
        job.progress(0.1, "begun")
        worker.request_stop()
        job.progress(0.2, "never stored")
        raise AssertionError("the second report should have released the job")

    app.config["JOBS_HANDLERS"] = {"spy": f"{__name__}:_spy"}
    _SPIES[:] = [stop_midway]
    job = enqueue(app, "spy", "clip")
    try:
        assert worker.run_one()
    finally:
        worker.close()
    back = get(app, job.id)
    assert (back.state, back.attempts, back.progress) == ("queued", 0, 0.1)
    assert back.message == "Returned to the queue: its worker stopped before it finished."
    assert back.lease_owner is None and back.run_after <= time.time()


def test_workers_say_they_are_alive_and_leave(app):
    with app.app_context():
        assert jobs.worker_running() is False
        worker = jobs.Worker(app)
        worker.beat(force=True)
        assert jobs.worker_running() is True
        conn = db.get_db()
        # One not heard from for a minute counts as gone.
        assert jobs.worker_running(conn=conn, within=0) is False
        worker.close()
        assert jobs.worker_running() is False


def test_player_jobs_lists_and_filters(app):
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["jobs"])
    assert empty.exit_code == 0 and "No jobs." in empty.output
    done = enqueue(app, "test-echo", "clip")
    jobs.run_one(app)
    failed = enqueue(app, "test-refuse", "song")
    jobs.run_one(app)
    waiting = enqueue(app, "test-echo", "clip", {"n": 2})

    listing = runner.invoke(args=["jobs"])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0].split() == ["ID", "KIND", "MEDIA", "STATE", "PROGRESS", "MESSAGE"]
    assert lines[1].split()[:5] == [str(waiting.id), "test-echo", "clip", "queued", "0%"]
    assert lines[2].split()[:5] == [str(failed.id), "test-refuse", "song", "failed", "0%"]
    assert lines[2].endswith("The file is not a video: upload an MP4 or WebM.")
    assert lines[3].split()[:6] == [str(done.id), "test-echo", "clip", "done", "100%", "Done."]
    assert "No background worker is running" in listing.output

    only = runner.invoke(args=["jobs", "--state", "failed"])
    assert [line.split()[0] for line in only.output.splitlines()[1:]] == [str(failed.id)]
    wrong = runner.invoke(args=["jobs", "--state", "lost"])
    assert wrong.exit_code == 2 and "'lost' is not one of" in wrong.output


def test_player_worker_once_runs_what_is_due_and_exits(app):
    first = enqueue(app, "test-echo", "clip")
    second = enqueue(app, "test-steps", "song", {"steps": 2})
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "stopped after 2 job(s)" in result.output
    assert get(app, first.id).state == "done"
    assert get(app, second.id).message == "All 2 steps done."
    with app.app_context():
        assert jobs.worker_running() is False  # it left when it stopped
