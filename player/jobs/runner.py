"""Running jobs: :class:`Worker` takes due jobs one at a time and runs their handlers.

A job is taken with a lease (``JOBS_LEASE_SECONDS``, 60 by default). While
its handler runs, a heartbeat thread renews the lease, and so does every
``job.progress(...)``; a worker that dies (``kill -9``, a lost machine)
stops renewing, its lease runs out, and the next worker to look takes the
job again as a new attempt. A handler that raises :class:`JobFailed` fails
the job for good; any other exception queues it again after a backoff
(``JOBS_BACKOFF_SECONDS`` doubled per attempt, an hour at most) until its
attempts (``JOBS_MAX_ATTEMPTS``, 3) are spent. Each worker also records
that it is alive (table ``job_workers``), so the publisher pages can say
when no worker is running, and forgets finished jobs past their retention
(:func:`~.queue.prune`) when it starts and every ``JOBS_PRUNE_SECONDS``
(an hour) after.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from flask import Flask

from .. import db
from ..db import jobs as sql
from . import queue, registry
from .model import Job, JobContext, JobFailed, JobReleased, LeaseLost

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
#: How often a worker says it is alive (it counts as gone after a minute).
BEAT_SECONDS = 15.0
#: How often a running worker forgets finished jobs past their retention.
PRUNE_SECONDS = 3600.0


def backoff(base: float, attempt: int) -> float:
    """Seconds to wait before the attempt after ``attempt`` (1, 2, ...)."""
    return min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempt - 1))


class Worker:
    """Takes due jobs from the queue and runs them, one at a time.

    ``grace`` is how long a job may still run once :meth:`request_stop` was
    called: after it, the job's next progress report gives it back to the
    queue (a handler that reports no progress runs to its end).
    """

    def __init__(self, app: Flask, name: str | None = None, *, grace: float = 30.0,
                 say: Callable[[str], None] | None = None):
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        config = app.config
        self.lease = float(config.get("JOBS_LEASE_SECONDS") or LEASE_SECONDS)
        self.backoff = float(config.get("JOBS_BACKOFF_SECONDS") or BACKOFF_SECONDS)
        self.beat_every = min(BEAT_SECONDS, self.lease / 3)
        self.prune_every = float(config.get("JOBS_PRUNE_SECONDS") or PRUNE_SECONDS)
        # Checked now, so a worker with a bad setting stops before taking a job.
        queue.keep_days(config)
        self.grace = grace
        self.say = say or log.info
        self.stopping = threading.Event()
        self._release_at = float("inf")
        self._conn: db.Connection | None = None
        self._last_beat = 0.0
        self._next_prune = 0.0

    # -- the connection and the heartbeat ---------------------------------------

    def _connection(self) -> db.Connection:
        if self._conn is None:
            self._conn = db.connect(self.app.config["DATABASE"])
        return self._conn

    def beat(self, force: bool = False) -> None:
        """Record that this worker is alive (at most every few seconds unless ``force``)."""
        now = time.time()
        if force or now - self._last_beat >= self.beat_every:
            sql.jobs_worker_beat(self._connection(), self.name, socket.gethostname(),
                                 os.getpid(), now)
            self._last_beat = now

    def close(self) -> None:
        """Forget this worker in the database and close its connection."""
        if self._conn is None:
            return
        try:
            sql.jobs_worker_gone(self._conn, self.name)
        except db.Error:
            log.exception("could not remove worker %s from job_workers", self.name)
        finally:
            self._conn.close()
            self._conn = None

    def prune(self) -> dict[str, int] | None:
        """Forget finished jobs past their retention, if due (at most every
        ``prune_every`` seconds); how many, or None when not due or when the
        database refused (logged: running jobs matters more)."""
        if time.monotonic() < self._next_prune:
            return None
        self._next_prune = time.monotonic() + self.prune_every
        try:
            counts = queue.prune(self.app.config, conn=self._connection())
        except db.Error:
            log.exception("worker %s: could not prune finished jobs", self.name)
            return None
        if any(counts.values()):
            self.say(f"Forgot {counts['done']} done and {counts['failed']} failed job(s)"
                     " past their retention.")
        return counts

    def request_stop(self) -> None:
        """Take no more jobs; give the running one back after the grace period."""
        if not self.stopping.is_set():
            self._release_at = time.monotonic() + self.grace
            self.stopping.set()

    # -- running ------------------------------------------------------------------

    def run(self, *, once: bool = False, poll: float = 2.0) -> int:
        """Run jobs until :meth:`request_stop` (or, with ``once``, until none is
        due); how many were run.

        :raises player.db.Error: if the database cannot be reached.
        """
        count = 0
        try:
            self.beat(force=True)
            while not self.stopping.is_set():
                self.prune()
                if self.run_one():
                    count += 1
                elif once:
                    break
                else:
                    self.stopping.wait(poll)
        finally:
            self.close()
        return count

    def run_one(self) -> bool:
        """Take the job due first and run it; False if none is due.

        :raises player.db.Error: if the database cannot be reached.
        """
        conn = self._connection()
        self.beat()
        now = time.time()
        row = sql.jobs_claim(conn, self.name, now + self.lease, now)
        if row is None:
            return False
        job = Job.from_row(row)
        if job.attempts > job.max_attempts:
            # Taken again after a lease ran out, once too often: whatever
            # stops its workers (a crash, the memory limit) would again.
            self._end(job, "failed", message=(
                f"Stopped: the workers running it stopped without finishing"
                f" {job.max_attempts} times (killed, out of memory?); see the worker's log,"
                " then queue it again."), uncount=True)
            return True
        self.say(f"job {job.id} {job.kind} {job.media_id or '-'}: attempt {job.attempts}")
        started = time.monotonic()
        heartbeat = _Heartbeat(self, job.id)
        heartbeat.start()
        try:
            with self.app.app_context():
                run = registry.handler(job.kind, self.app.config.get("JOBS_HANDLERS"))
                result = run(JobContext(job, self))
        except JobReleased:
            self._end(job, "queued", run_after=time.time(), uncount=True,
                      message="Returned to the queue: its worker stopped before it finished.")
        except LeaseLost:
            self.say(f"job {job.id}: another worker took it over; this run's result is dropped")
        except (JobFailed, registry.UnknownKind) as exc:
            self._end(job, "failed", message=str(exc))
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            reason = f"{type(exc).__name__}: {exc}"
            if job.attempts < job.max_attempts:
                delay = backoff(self.backoff, job.attempts)
                self._end(job, "queued", run_after=time.time() + delay, message=(
                    f"Attempt {job.attempts} of {job.max_attempts} failed ({reason});"
                    f" trying again in {delay:g} s."))
            else:
                self._end(job, "failed", message=(
                    f"Failed after {job.attempts} attempts ({reason}); see the worker's log."))
        else:
            result = result if isinstance(result, dict) else None
            message = (result or {}).get("message") or "Done."
            self._end(job, "done", message=str(message), progress=1.0,
                      result=json.dumps(result, ensure_ascii=False) if result else None)
        finally:
            heartbeat.stop()
        self.say(f"job {job.id}: {time.monotonic() - started:.1f} s")
        return True

    def _end(self, job: Job, state: str, *, message: str, **fields) -> None:
        if sql.jobs_finish(self._connection(), job.id, self.name, state, time.time(),
                           message=message, **fields):
            self.say(f"job {job.id} {job.kind}: {state}: {message}")
        else:
            self.say(f"job {job.id}: its lease ran out and another worker took it over;"
                     f" not marked {state}")

    def report(self, job_id: int, fraction: float, message: str) -> None:
        """Store a running job's progress and renew its lease (see :meth:`JobContext.progress`).

        :raises JobReleased: if the worker is stopping and the grace period is over.
        :raises LeaseLost: if this worker no longer holds the job's lease.
        """
        if self.stopping.is_set() and time.monotonic() >= self._release_at:
            raise JobReleased(f"job {job_id}")
        now = time.time()
        if not sql.jobs_renew(self._connection(), job_id, self.name, now + self.lease, now,
                              fraction, message):
            raise LeaseLost(f"job {job_id} is no longer held by worker {self.name}")


class _Heartbeat(threading.Thread):
    """Renews a running job's lease and the worker's liveness while its handler
    runs, so a long step without progress reports keeps the job."""

    def __init__(self, worker: Worker, job_id: int):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.worker = worker
        self.job_id = job_id
        self._done = threading.Event()

    def run(self) -> None:
        conn = None
        try:
            conn = db.connect(self.worker.app.config["DATABASE"])
            while not self._done.wait(self.worker.beat_every):
                now = time.time()
                if not sql.jobs_renew(conn, self.job_id, self.worker.name,
                                      now + self.worker.lease, now):
                    return
                sql.jobs_worker_beat(conn, self.worker.name, socket.gethostname(),
                                     os.getpid(), now)
        except db.Error:
            # The next progress report or the end of the job meets the same
            # trouble and says so; a lease that runs out is taken again.
            log.exception("job %s: heartbeat stopped", self.job_id)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._done.set()
        self.join()
