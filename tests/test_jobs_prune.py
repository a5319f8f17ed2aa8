"""Finished jobs are forgotten after their retention: done ones after
``JOBS_KEEP_DAYS``, failed ones after ``JOBS_KEEP_FAILED_DAYS``, by a
running worker and by ``player jobs --prune``; waiting and running jobs
never, however old."""

from __future__ import annotations

import threading
import time

import pytest

from player import db, jobs
from tests.jobs_support import HANDLERS, wait_for
from tests.publish_support import bearer, create_publisher

pytestmark = pytest.mark.databases("sqlite", "postgresql")

DAY = 86400


@pytest.fixture
def app(make_app, media_dir, database_url):
    return make_app(media_dir, DATABASE=database_url, JOBS_HANDLERS=HANDLERS,
                    JOBS_KEEP_DAYS=2, JOBS_KEEP_FAILED_DAYS=10)


def age(app, job_id: int, days: float) -> None:
    """Make a job look as if it last changed ``days`` ago."""
    conn = db.connect(app.config["DATABASE"])
    try:
        conn.execute("UPDATE jobs SET updated_at = ? WHERE id = ?",
                     (time.time() - days * DAY, job_id))
    finally:
        conn.close()


def finished(app, kind: str, media_id: str) -> int:
    """A job of ``kind`` run to its end by a worker of this process; its id."""
    with app.app_context():
        job = jobs.enqueue(kind, media_id)
    assert jobs.run_one(app)
    return job.id


def states(app) -> dict[int, str]:
    with app.app_context():
        return {job.id: job.state for job in jobs.list_jobs()}


@pytest.fixture
def jobs_of_every_age(app):
    """Done, failed, waiting and running jobs, each one recent and one old."""
    made = {}
    for kind, state in (("test-echo", "done"), ("test-refuse", "failed")):
        for when, days in (("recent", 1), ("old", 11)):
            made[(state, when)] = finished(app, kind, f"{state}-{when}")
            age(app, made[(state, when)], days)
    made[("done", "kept by its setting")] = finished(app, "test-echo", "between")
    age(app, made[("done", "kept by its setting")], 3)  # past 2 days: done jobs go
    with app.app_context():
        for when in ("recent", "old"):
            made[("queued", when)] = jobs.enqueue("test-echo", f"queued-{when}").id
        running = jobs.enqueue("test-steps", "running-old", {"steps": 1})
    conn = db.connect(app.config["DATABASE"])
    try:
        conn.execute("UPDATE jobs SET state = 'running', lease_owner = 'elsewhere',"
                     " lease_expires = ? WHERE id = ?", (time.time() + DAY, running.id))
    finally:
        conn.close()
    made[("running", "old")] = running.id
    for key in (("queued", "old"), ("running", "old")):
        age(app, made[key], 400)
    return made


def test_finished_jobs_past_their_retention_are_forgotten(app, jobs_of_every_age):
    made = jobs_of_every_age
    with app.app_context():
        assert jobs.prune(app.config, conn=db.get_db()) == {"done": 2, "failed": 1}
    left = states(app)
    assert set(left) == {made[k] for k in [("done", "recent"), ("failed", "recent"),
                                           ("queued", "recent"), ("queued", "old"),
                                           ("running", "old")]}
    # What a publisher sees of a forgotten job: it is gone, not half there.
    client, headers = app.test_client(), bearer(create_publisher(app))
    assert client.get(f"/api/jobs/{made[('done', 'old')]}", headers=headers).status_code == 404
    recent = client.get(f"/api/jobs/{made[('done', 'recent')]}", headers=headers)
    assert recent.json["state"] == "done"
    # Pruning again forgets nothing more.
    with app.app_context():
        assert jobs.prune(app.config, conn=db.get_db()) == {"done": 0, "failed": 0}


def test_a_new_job_never_takes_the_id_of_a_forgotten_one(app):
    """The newest job is kept however old (SQLite would number the next job
    after the highest id left); a job queued again gets an id of its own."""
    first, newest = finished(app, "test-echo", "clip"), finished(app, "test-echo", "song")
    for job_id in (first, newest):
        age(app, job_id, 3)
    with app.app_context():
        assert jobs.prune(app.config, conn=db.get_db()) == {"done": 1, "failed": 0}
        again = jobs.enqueue("test-echo", "clip")
    assert again.id > newest > first
    assert jobs.run_one(app) and states(app) == {newest: "done", again.id: "done"}


def test_a_running_worker_prunes_when_it_starts_and_then_periodically(app):
    old = finished(app, "test-echo", "old")
    finished(app, "test-echo", "newest")
    age(app, old, 3)
    app.config["JOBS_PRUNE_SECONDS"] = 0.2
    worker = jobs.Worker(app, say=lambda line: None)
    thread = threading.Thread(target=worker.run, kwargs={"poll": 0.05})
    thread.start()
    try:
        wait_for(lambda: old not in states(app), timeout=10, what="the pruning at start")
        # A job the worker finishes while it runs ages past its retention...
        with app.app_context():
            later = jobs.enqueue("test-echo", "later").id
            jobs.enqueue("test-echo", "newer")
        wait_for(lambda: set(states(app).values()) == {"done"}, timeout=10,
                 what="the worker to run the jobs")
        age(app, later, 3)
        # ...and the running worker forgets it within its pruning interval.
        wait_for(lambda: later not in states(app), timeout=10, what="a periodic pruning")
    finally:
        worker.request_stop()
        thread.join(30)
    assert not thread.is_alive()
    assert len(states(app)) == 2


def test_workers_killed_long_ago_are_forgotten(app):
    conn = db.connect(app.config["DATABASE"])
    try:
        for name, seen in (("killed-yesterday", time.time() - 2 * DAY),
                           ("alive", time.time())):
            conn.execute("INSERT INTO job_workers (name, host, pid, started_at, seen_at)"
                         " VALUES (?, 'host', 1, ?, ?)", (name, seen, seen))
        jobs.prune(app.config, conn=conn)
        names = [row[0] for row in conn.execute("SELECT name FROM job_workers")]
    finally:
        conn.close()
    assert names == ["alive"]


def test_player_jobs_prune_says_what_it_forgot(app, runner, jobs_of_every_age):
    result = runner.invoke(args=["jobs", "--prune"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Forgot 2 done job(s) older than 2 day(s) and 1 failed job(s)"
                             " older than 10 day(s).\n")
    assert len(states(app)) == 5


@pytest.mark.parametrize("value", ["-1", "a week", "nan"])
def test_a_retention_that_is_not_days_is_refused(app, runner, value):
    app.config["JOBS_KEEP_FAILED_DAYS"] = value
    for args in (["jobs", "--prune"], ["worker", "--once"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2
        assert "JOBS_KEEP_FAILED_DAYS must be a number of days, 0 or more" in result.output


def test_the_defaults_keep_done_jobs_a_week_and_failed_ones_a_month(app):
    for name in ("JOBS_KEEP_DAYS", "JOBS_KEEP_FAILED_DAYS"):
        del app.config[name]
    assert jobs.queue.keep_days(app.config) == (7, 30)
    done = finished(app, "test-echo", "done")
    failed = finished(app, "test-refuse", "failed")
    finished(app, "test-echo", "newest")  # kept whatever its age
    age(app, done, 6.9)
    age(app, failed, 29.9)
    with app.app_context():
        assert jobs.prune(app.config, conn=db.get_db()) == {"done": 0, "failed": 0}
    age(app, done, 7.1)
    age(app, failed, 30.1)
    with app.app_context():
        assert jobs.prune(app.config, conn=db.get_db()) == {"done": 1, "failed": 1}
