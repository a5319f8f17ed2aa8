"""Background jobs: a queue kept in the database and the workers that run it.

Queue work with :func:`enqueue` inside an app context; ``player worker``
runs it (:class:`~.runner.Worker`), ``player jobs`` lists it. Handlers are
registered by kind in :mod:`.registry`. The app never waits for a job: with
no worker running, jobs wait in the queue and the publisher pages say so.
"""

from __future__ import annotations

from flask import Flask

from .model import STATES, Job, JobContext, JobFailed, JobReleased, LeaseLost
from .queue import (
    by_media,
    enqueue,
    for_media,
    get,
    list_jobs,
    prune,
    waiting_counts,
    worker_running,
)
from .runner import Worker

__all__ = ["STATES", "Job", "JobContext", "JobFailed", "JobReleased", "LeaseLost", "Worker",
           "by_media", "enqueue", "for_media", "get", "list_jobs", "prune", "run_one",
           "waiting_counts", "worker_running"]


def run_one(app: Flask) -> bool:
    """Run at most one due job in this process; whether one was run.

    :raises player.db.Error: if the database cannot be reached.
    """
    worker = Worker(app)
    try:
        return worker.run_one()
    finally:
        worker.close()
