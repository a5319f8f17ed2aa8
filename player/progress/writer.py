"""The write-behind writer: one thread per process commits queued work in batches.

A request thread queues a report and answers at once; this process's writer
thread commits what is queued in batches, one transaction each, within about
ten milliseconds. A request thread never waits for SQLite: threads that wait
for a commit hand the GIL back and forth with the committing one, and that
costs more than the SQL. Reads wait for the queue first (:meth:`Writer.flush`),
so they see every report this process accepted before them.

The trade-off: a report is acknowledged before it is on disk. An orderly exit
(a gunicorn worker stopping or restarting, Ctrl-C, SIGTERM to ``player
run``) writes the queue first; a killed process (SIGKILL, a crash, power
loss) loses the reports of at most its last ten milliseconds or so. The
player's next report repeats the position, but the seconds played in the lost
ones are missing from the statistics.
When the queue is full (the database stalled) :meth:`Writer.put` says so, and
the report is refused rather than held without limit.

On SQLite, the writer threads of gunicorn workers take turns on a lock file
beside the database, so they queue instead of failing with "database is
locked"; other writers (a rescan, the CLI) meet them through SQLite's busy
timeout. On PostgreSQL writers of any process or server run side by side,
and the database seam locks what each batch reads to write back.

Nothing here knows about reports: the writer hands batches of payloads to a
bulk handler and runs jobs, so it can be tested (and reused) alone.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, BinaryIO

from .. import db
from ..sigterm import before_sigterm

log = logging.getLogger(__name__)

#: How long a read or an erasure waits for the writer before giving up.
WRITE_TIMEOUT_SECONDS = 60.0
#: How long the writer lets a batch grow before writing it, unless someone
#: waits for it. Reports a millisecond apart would otherwise be committed one
#: by one, and a commit costs the process several times what a report does.
WRITE_LINGER_SECONDS = 0.010


class _Job:
    """``fn(conn)`` to run in a transaction of its own, in queue order, and
    its outcome for whoever waits on ``done``."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any]):
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: Exception | None = None


#: ``bulk(conn, payloads)`` writes many payloads at once and returns, for
#: each, None when stored or the exception it was refused with (refusals are
#: logged and dropped, not retried).
BulkHandler = Callable[[sqlite3.Connection, list], list]


class _Link:
    """The writer thread's connection and lock file, opened on first use and
    opened afresh after a failure, in case the failure was theirs."""

    def __init__(self, database: str):
        self.database = database
        self._files: tuple[sqlite3.Connection, BinaryIO | None] | None = None

    def open(self) -> tuple[sqlite3.Connection, BinaryIO | None]:
        if self._files is None:
            conn = db.connect(self.database)
            lock_path = db.writer_lock_file(self.database)
            try:
                lock = open(lock_path, "ab") if lock_path else None
            except OSError:
                conn.close()
                raise
            self._files = conn, lock
        return self._files

    def close(self) -> None:
        if self._files is not None:
            conn, lock = self._files
            self._files = None
            conn.close()
            if lock is not None:
                lock.close()


#: Every writer of this process, so that a forked child (a gunicorn worker)
#: starts each afresh and an exiting process writes each one's queue.
_WRITERS: weakref.WeakSet[Writer] = weakref.WeakSet()


class Writer:
    """Writes queued payloads behind the requests that queued them: one
    thread per process, one transaction per batch.

    :meth:`put` queues a payload and returns at once; the thread, started on
    first use and woken when work arrives, hands everything queued by then
    (up to ``max_batch``) to the bulk handler in one transaction. The handler
    reads and writes a whole batch with a few statements: Python's sqlite3
    releases the GIL around every statement step and taking it back from busy
    request threads costs far more than the step, so the number of steps per
    batch, not per report, sets the writer's pace. Under load batches grow by
    themselves; at a steady trickle the thread waits up to ``linger`` seconds
    for more before it writes, unless a job is queued or :meth:`flush` waits.

    A batch that fails is logged and tried once more, each payload in a
    savepoint of its own, so one bad payload costs only itself; what fails
    again is logged and dropped. The thread never dies of a failed write.

    :meth:`run` and :meth:`submit` queue a job, run alone in its own
    transaction once everything queued before it is written; :meth:`flush`
    waits until everything queued so far is written. An idle thread ends
    after ``idle_seconds``, closing its connection, and the next payload
    starts another.
    """

    def __init__(self, database: str, bulk: BulkHandler, limit: int = 10_000,
                 max_batch: int = 500, idle_seconds: float = 30.0,
                 linger: float = WRITE_LINGER_SECONDS):
        self.database = database
        self.bulk = bulk
        self.limit = limit
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self.linger = linger
        #: Whether :meth:`put` returns only once the payload is written (see
        #: :func:`write_queues_on_sigterm`).
        self.acknowledge_written = False
        self._reset()
        _WRITERS.add(self)

    def _reset(self) -> None:
        # Also run in a forked child: the parent's thread does not exist there,
        # its queue is the parent's to write, and its locks may be held.
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._queue: deque[Any] = deque()
        # Payloads in the queue, which the limit counts (jobs are not counted).
        self._payloads = 0
        self._queued = 0
        self._written = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        # The process is going: nothing more is accepted (see _close_writers).
        self._final = False
        # The thread is letting a batch grow; callers of flush() waiting now.
        self._lingering = False
        self._hurried = 0

    def put(self, payload: Any) -> bool:
        """Queue ``payload`` for the bulk handler; False if ``limit`` are waiting
        already, or the process is stopping.

        Nothing is queued then.
        """
        with self._lock:
            if self._payloads >= self.limit or self._final:
                return False
            self._payloads += 1
            self._enqueue(payload)
        if self.acknowledge_written:
            self.flush()
        return True

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> _Job:
        """Queue the job ``fn(conn)``, even beyond ``limit`` (jobs are few)."""
        job = _Job(fn)
        with self._lock:
            self._enqueue(job)
        return job

    def run(self, fn: Callable[[sqlite3.Connection], Any],
            timeout: float = WRITE_TIMEOUT_SECONDS) -> Any:
        """Run ``fn(conn)`` after everything queued so far; its result, once committed.

        What ``fn`` failed with (twice) is raised here.

        :raises TimeoutError: if it has not run within ``timeout``; it stays
            queued and runs later.
        """
        job = self.submit(fn)
        if not job.done.wait(timeout):
            raise TimeoutError("the progress writer did not get to the job in time")
        if job.error is not None:
            raise job.error
        return job.result

    def flush(self, timeout: float | None = WRITE_TIMEOUT_SECONDS) -> bool:
        """Wait until everything queued so far is written or dropped; False on timeout."""
        with self._lock:
            target = self._queued
            self._hurried += 1
            self._work.notify()
            try:
                return self._drained.wait_for(lambda: self._written >= target, timeout)
            finally:
                self._hurried -= 1

    def close(self, timeout: float | None = WRITE_TIMEOUT_SECONDS) -> None:
        """Write what is queued and end the thread; a later :meth:`put` starts another."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._stopping = True
            self._work.notify()
        thread.join(timeout)
        with self._lock:
            self._stopping = False

    def _enqueue(self, item: Any) -> None:
        # Called with the lock held.
        self._queue.append(item)
        self._queued += 1
        if self._thread is None:
            # A daemon, so that exiting never waits for an idle thread;
            # the queue is written at exit by close() instead.
            self._thread = threading.Thread(target=self._loop, name="progress-writer",
                                            daemon=True)
            self._thread.start()
        elif not self._lingering or self._hurry():
            self._work.notify()

    def _hurry(self) -> bool:
        """Whether to write what is queued now (lock held): the thread is
        stopping, someone waits, a job is queued, or the batch is full."""
        return (self._stopping or self._hurried > 0 or len(self._queue) > self._payloads
                or self._payloads >= self.max_batch)

    def _linger(self) -> None:
        """Let the batch grow for up to ``linger`` seconds (lock held)."""
        deadline = time.monotonic() + self.linger
        self._lingering = True
        try:
            while not self._hurry():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._work.wait(left)
        finally:
            self._lingering = False

    def _loop(self) -> None:
        link = _Link(self.database)
        try:
            while True:
                with self._lock:
                    while not self._queue:
                        if self._stopping or (not self._work.wait(self.idle_seconds)
                                              and not self._queue):
                            self._thread = None
                            return
                    self._linger()
                    batch = self._take()
                try:
                    self._write(link, batch)
                except Exception:
                    # _write handles every failure it knows of; this is a bug,
                    # and the thread must outlive it.
                    log.exception("progress writer failed on a batch of %d", len(batch))
                with self._lock:
                    self._written += len(batch)
                    self._drained.notify_all()
        finally:
            link.close()

    def _take(self) -> list:
        """The next batch (lock held): one job, or payloads up to the next job."""
        queue = self._queue
        if isinstance(queue[0], _Job):
            return [queue.popleft()]
        batch = []
        while queue and len(batch) < self.max_batch and not isinstance(queue[0], _Job):
            batch.append(queue.popleft())
        self._payloads -= len(batch)
        return batch

    def _write(self, link: _Link, batch: list) -> None:
        if isinstance(batch[0], _Job):
            self._run_job(link, batch[0])
            return
        try:
            outcomes = self._transaction(link, lambda conn: self.bulk(conn, batch))
        except Exception as exc:
            log.warning("progress batch of %d report(s) not written (%s: %s); retrying each"
                        " alone", len(batch), type(exc).__name__, exc)
            outcomes = self._retry_each(link, batch)
        for payload, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                log.warning("progress report dropped: %s: %s: %s", payload,
                            type(outcome).__name__, outcome)

    def _retry_each(self, link: _Link, batch: list) -> list:
        def each(conn: sqlite3.Connection) -> list:
            outcomes = []
            for payload in batch:
                conn.execute("SAVEPOINT payload")
                try:
                    outcomes.extend(self.bulk(conn, [payload]))
                except Exception as exc:
                    conn.execute("ROLLBACK TO payload")
                    outcomes.append(exc)
                conn.execute("RELEASE payload")
            return outcomes

        try:
            return self._transaction(link, each)
        except Exception as exc:
            return [exc] * len(batch)

    def _run_job(self, link: _Link, job: _Job) -> None:
        for attempt in (1, 2):
            try:
                job.result, job.error = self._transaction(link, job.fn), None
                break
            except Exception as exc:
                job.error = exc
                log.warning("progress job %s failed (attempt %d of 2): %s: %s",
                            getattr(job.fn, "__name__", job.fn), attempt,
                            type(exc).__name__, exc)
        job.done.set()

    def _transaction(self, link: _Link, work: Callable[[sqlite3.Connection], Any]) -> Any:
        try:
            conn, lock = link.open()
            # Writers of other worker processes queue on this lock: the kernel
            # wakes the next one the moment it is free, where SQLite's busy
            # handler would poll with sleeps growing to 100 ms and can leave one
            # process waiting while another takes the lock again and again.
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with db.Transaction(conn):
                    result = work(conn)
            finally:
                if lock is not None:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except (OSError, *db.Error):
            link.close()
            raise
        return result


def _reset_writers_in_child() -> None:
    for writer in list(_WRITERS):
        writer._reset()


def _close_writers(final: bool = False) -> None:
    """Write every writer's queue; with ``final``, refuse what comes after."""
    for writer in list(_WRITERS):
        if final:
            with writer._lock:
                writer._final = True
        writer.close()


def _write_before_sigterm() -> None:
    """Write the queues before SIGTERM ends the process (:mod:`player.sigterm`).

    A report a request thread queues meanwhile is refused (503), not
    acknowledged and lost. The queues are written by another thread, waited
    for at most ``WRITE_TIMEOUT_SECONDS``: this runs in the main thread
    between two bytecodes, which may be inside a writer's lock (a
    single-threaded server), and must not wait for itself.
    """
    closing = threading.Thread(target=_close_writers, args=(True,), name="progress-final",
                               daemon=True)
    closing.start()
    closing.join(WRITE_TIMEOUT_SECONDS)


def write_queues_on_sigterm() -> None:
    """Make SIGTERM write every writer's queue before the process ends.

    Only where SIGTERM would otherwise end the process on the spot (see
    :func:`player.sigterm.before_sigterm`, which leaves servers that handle
    SIGTERM themselves alone: they write the queues at exit). SIGINT needs
    nothing: Python turns it into KeyboardInterrupt, and the process exits in
    an orderly way.

    One server cannot be helped so: werkzeug's reloader (``player --debug
    run``) answers SIGTERM by killing the child that serves with SIGKILL. In
    that child every writer acknowledges a payload only once it is written.
    """
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        # The reloader's child: slower reports, in development only.
        for writer in list(_WRITERS):
            writer.acknowledge_written = True
    before_sigterm(_write_before_sigterm)


os.register_at_fork(after_in_child=_reset_writers_in_child)
# gunicorn workers leave through sys.exit, so this runs when they stop; so do
# processes that Ctrl-C (KeyboardInterrupt) ends.
atexit.register(_close_writers)

