"""Progress over HTTP: reports from players, resume offers, erasure, statistics.

Players report with ``PUT /api/media/<id>/progress``; ``POST`` is the same,
because ``navigator.sendBeacon`` (which outlives a closing tab) can only POST,
and a body sent as ``text/plain`` is read as JSON, because that is what a
beacon of a string sends (and it needs no CORS preflight). The viewer travels
in the body (``viewer`` or ``viewer_token``), since a beacon cannot set
headers, or in the ``X-Player-Viewer`` / ``X-Player-Viewer-Token`` headers.

Reports are written behind (see :class:`Writer`). The request thread does
every check that can refuse a report (its shape, the viewer, the flood
limit, the item and its duration) and then queues it for this process's
writer thread and answers ``202 Accepted`` at once; the writer commits what
is queued in batches, one transaction each, within about ten milliseconds.
A request thread never waits for SQLite: threads that wait for a commit hand
the GIL back and forth with the committing one, and that costs more than
the SQL. Reads wait for the queue first: the resume point, the statistics
and erasure see every report this process accepted before them.

The usual report does not go through Flask at all: :class:`ReportFastPath`
takes it at the WSGI level and answers exactly as the view would, and hands
everything else to the view.

The trade-off: a report is acknowledged before it is on disk. An orderly exit
(a gunicorn worker stopping or restarting, Ctrl-C) writes the queue first;
a killed process (SIGKILL, a crash, power loss) loses the reports of at most
its last ten milliseconds or so. The player's next report repeats the position,
but the seconds played in the lost ones are missing from the statistics.
When the queue is full (the database stalled) a report is refused with
``503`` and ``Retry-After`` rather than held without limit.

With several worker processes each has its own queue, so a read answered by
another process than the one that accepted a report may miss it for those
milliseconds. Erasure holds across processes all the same: it leaves a mark
(see :func:`player.db.progress_erase_viewer`), and a report the viewer sent
before that is dropped whichever process commits it. Deleting an item works
the same way through the catalog: once the item is gone, its reports are
dropped by the writer.

Across gunicorn workers the writer threads take turns on a lock file beside
the database, so they queue instead of failing with "database is locked";
other writers (a rescan, the CLI) meet them through SQLite's busy timeout.

The flood limit is a token bucket per viewer kept in each process: with W
gunicorn workers a viewer can get up to W times the configured rate through.
The limit is there to stop floods, which are orders of magnitude above a
player's one report every ten seconds, so that factor is accepted in exchange
for keeping the limiter off the database.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import io
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, BinaryIO

import click
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask.cli import with_appcontext

from .. import db
from ..errors import PlayerError
from ..library.catalog import find_item, public_item
from ..library.scan import is_valid_id
from ..web.auth import publisher_required
from ..web.errors import error_response
from .model import (
    ProgressError,
    Report,
    ResumeRules,
    SessionState,
    Tally,
    TokenBucket,
    apply_report,
    check_within,
    durations_disagree,
    parse_report,
    resume_offer,
    statistics,
    tally_sessions,
)
from .viewer import ViewerError, identify

bp = Blueprint("progress", __name__)
log = logging.getLogger(__name__)

DEFAULTS = {
    "TRACKING": True,
    "RAW_RETENTION_DAYS": 30,
    "RESUME_MIN_PERCENT": 5,
    "RESUME_MIN_SECONDS": 30,
    "FINISHED_PERCENT": 90,
    "FINISHED_TAIL_SECONDS": 10,
    "RESUME_MIN_DURATION": 60,
    "PROGRESS_MAX_BODY": 4096,
    "PROGRESS_RATE_BURST": 20,
    "PROGRESS_RATE_PER_SECOND": 1.0,
    "PROGRESS_QUEUE_LIMIT": 10_000,
}
#: Headers that carry the viewer. Reports may carry it in the body instead
#: (``viewer``, ``viewer_token``), since ``navigator.sendBeacon`` cannot set headers.
VIEWER_HEADER = "X-Player-Viewer"
VIEWER_TOKEN_HEADER = "X-Player-Viewer-Token"
#: Expired sessions folded per run, so a run never holds the write lock long.
FOLD_BATCH = 1000
FOLD_INTERVAL_SECONDS = 60.0
#: How long a read or an erasure waits for the writer before giving up.
WRITE_TIMEOUT_SECONDS = 60.0
#: How long the writer lets a batch grow before writing it, unless someone
#: waits for it. Reports a millisecond apart would otherwise be committed one
#: by one, and a commit costs the process several times what a report does.
WRITE_LINGER_SECONDS = 0.010
#: How long request threads trust an item's duration before reading it again,
#: so that a rescan or a deleted item shows within a second.
DURATION_FRESH_SECONDS = 1.0
#: How long erasure marks are kept: far longer than a report ever waits in a
#: queue, which is milliseconds.
ERASURE_MEMORY_SECONDS = 3600.0
#: What a refused report is told about when to try again, in seconds.
QUEUE_FULL_RETRY_SECONDS = 1


class UnknownMedia(LookupError):
    """A report's media item is not in the catalog (any more)."""


class Erased(PlayerError):
    """A report its viewer sent before erasing their history."""


# -- write-behind ----------------------------------------------------------------

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
        self._files: tuple[sqlite3.Connection, BinaryIO] | None = None

    def open(self) -> tuple[sqlite3.Connection, BinaryIO]:
        if self._files is None:
            conn = db.connect(self.database)
            try:
                lock = open(self.database + ".writer-lock", "ab")
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
        # The thread is letting a batch grow; callers of flush() waiting now.
        self._lingering = False
        self._hurried = 0

    def put(self, payload: Any) -> bool:
        """Queue ``payload`` for the bulk handler; False, queuing nothing,
        when ``limit`` payloads are waiting already."""
        with self._lock:
            if self._payloads >= self.limit:
                return False
            self._payloads += 1
            self._enqueue(payload)
        return True

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> _Job:
        """Queue the job ``fn(conn)``, even beyond ``limit`` (jobs are few)."""
        job = _Job(fn)
        with self._lock:
            self._enqueue(job)
        return job

    def run(self, fn: Callable[[sqlite3.Connection], Any],
            timeout: float = WRITE_TIMEOUT_SECONDS) -> Any:
        """Run ``fn(conn)`` after everything queued so far; return its result
        once committed, or raise what it failed with (twice).

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
        """Wait until everything queued before this call is written (or
        dropped); False if that took longer than ``timeout``."""
        with self._lock:
            target = self._queued
            self._hurried += 1
            self._work.notify()
            try:
                return self._drained.wait_for(lambda: self._written >= target, timeout)
            finally:
                self._hurried -= 1

    def close(self, timeout: float | None = WRITE_TIMEOUT_SECONDS) -> None:
        """Write what is queued and end the thread (a later :meth:`put`
        starts another)."""
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
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        except (OSError, sqlite3.Error):
            link.close()
            raise
        return result


def _reset_writers_in_child() -> None:
    for writer in list(_WRITERS):
        writer._reset()


def _close_writers() -> None:
    for writer in list(_WRITERS):
        writer.close()


os.register_at_fork(after_in_child=_reset_writers_in_child)
# gunicorn workers leave through sys.exit, so this runs when they stop.
atexit.register(_close_writers)


def flush(app: Flask, timeout: float | None = WRITE_TIMEOUT_SECONDS) -> bool:
    """Wait until every report ``app`` accepted in this process so far is
    written; False on timeout."""
    return app.extensions["progress_writer"].flush(timeout)


# -- domain glue -------------------------------------------------------------------

def rules() -> ResumeRules:
    return ResumeRules.from_config(current_app.config)


def authoritative_duration(conn: sqlite3.Connection, item: dict) -> tuple[float | None, str]:
    """The probed duration, else the first one a player reported."""
    probed = item.get("duration")
    return choose_duration(probed, None if probed else db.progress_reported_duration(
        conn, item["id"]))


def choose_duration(probed: float | None, reported: float | None) -> tuple[float | None, str]:
    """The duration to trust and where it came from: ``probe``, ``player`` or ``unknown``."""
    if probed:
        return probed, "probe"
    return (reported, "player") if reported else (None, "unknown")


class Durations:
    """Each item's duration as request threads check reports against it,
    kept per process so that a report usually costs no statement at all.

    An entry is trusted for ``DURATION_FRESH_SECONDS``, so a rescan or a
    deleted item shows within a second; a report accepted in that second is
    checked again by the writer, against what the database says then.
    Unknown ids and items whose duration nobody knows yet are read every
    time: the first are refused anyway, and the second wait for the first
    report a player sends to fill it in.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[float, float]] = {}

    def lookup(self, media_id: str, now: float) -> float | None:
        """The duration :func:`choose_duration` gives (None while nobody knows it).

        :raises UnknownMedia: if the catalog has no such item.
        """
        duration = self.fresh(media_id, now)
        if duration is not None:
            return duration
        found = db.progress_item_durations(db.get_db(), media_id)
        if found is None:
            self._known.pop(media_id, None)
            raise UnknownMedia(media_id)
        duration, _ = choose_duration(*found)
        if duration is not None:
            self._known[media_id] = (now + DURATION_FRESH_SECONDS, duration)
        return duration

    def fresh(self, media_id: str, now: float) -> float | None:
        """The duration :meth:`lookup` would give without reading the
        database, or None when it would have to read it."""
        entry = self._known.get(media_id)
        return entry[1] if entry is not None and now < entry[0] else None


@dataclass(frozen=True)
class PendingReport:
    """A checked report waiting for the writer."""

    media_id: str
    viewer: str
    report: Report
    received: float

    def __str__(self) -> str:
        # For the log: the viewer key stays out of it.
        return (f"{self.media_id} session {self.report.session} seq {self.report.seq}"
                f" at {self.report.position:g} s")


def store_reports(conn: sqlite3.Connection, pending: list[PendingReport]) -> list:
    """The writer's bulk handler: fold a batch of reports into their sessions.

    Each report is checked again against its item's duration as the
    database has it now (``UnknownMedia`` or ``ProgressError`` comes back in
    its place), filling in or logging the duration players see; a report a
    viewer sent before erasing their history comes back as ``Erased``. The
    items' durations, the erasures and all touched sessions are read with
    one statement, and the sessions written with one.
    """
    media_ids = list({p.media_id for p in pending})
    keys = list({(p.viewer, p.media_id, p.report.session) for p in pending})
    known, stored, erased = db.progress_batch_state(conn, media_ids, keys)
    durations: dict[str, tuple[float | None, str] | None] = dict.fromkeys(media_ids)
    for media_id, (probed, reported) in known.items():
        durations[media_id] = choose_duration(probed, reported)
    states = {key: SessionState.from_json(state) for key, state in stored.items()}
    touched: dict[tuple[str, str, str], float] = {}
    outcomes: list = []
    for p in pending:
        if p.received <= erased.get(p.viewer, -math.inf):
            outcomes.append(Erased("the viewer erased their history after sending it"))
            continue
        item_duration = durations[p.media_id]
        if item_duration is None:
            outcomes.append(UnknownMedia("the item is not in the catalog"))
            continue
        duration, source = item_duration
        key = (p.viewer, p.media_id, p.report.session)
        try:
            report = check_within(p.report, duration)
            state = apply_report(states.get(key, SessionState()), report)
        except ProgressError as exc:
            outcomes.append(exc)
            continue
        if duration is None and report.duration is not None:
            db.progress_fill_duration(conn, p.media_id, report.duration, p.received)
            durations[p.media_id] = (report.duration, "player")
        elif duration is not None and report.duration is not None and durations_disagree(
                report.duration, duration):
            db.progress_log_duration(conn, p.media_id, report.duration, duration, source,
                                     p.received)
        states[key] = state
        touched[key] = p.received
        outcomes.append(None)
    db.progress_save_sessions(conn, [
        (*key, received, states[key].position, states[key].at_end, states[key].to_json())
        for key, received in touched.items()])
    return outcomes


@dataclass
class FoldResult:
    sessions: int = 0
    items: int = 0


def fold_expired(conn: sqlite3.Connection, now: float, retention_days: float,
                 resume_rules: ResumeRules, limit: int = FOLD_BATCH) -> FoldResult:
    """Fold raw sessions not updated for ``retention_days`` into each item's
    anonymous totals and delete them, and with them the viewer's place; and
    forget erasure marks older than ``ERASURE_MEMORY_SECONDS``.

    Call inside a write transaction; folds at most ``limit`` sessions.
    """
    db.progress_forget_erasures(conn, now - ERASURE_MEMORY_SECONDS)
    cutoff = now - retention_days * 86400
    rows = db.progress_expired_sessions(conn, cutoff, limit)
    result = FoldResult(sessions=len(rows))
    for media_id, group in groupby(rows, key=lambda r: r["media_id"]):
        group = list(group)
        item = db.catalog_item(conn, media_id) or {"id": media_id, "duration": None}
        duration, _ = authoritative_duration(conn, item)
        tally = tally_sessions(
            ((r["viewer"], SessionState.from_json(json.loads(r["state"]))) for r in group),
            duration, resume_rules)
        folded = db.progress_folded(conn, media_id)
        if folded:
            tally = Tally.from_json(json.loads(folded)) + tally
        db.progress_save_folded(conn, media_id, json.dumps(tally.to_json()), now)
        db.progress_delete_sessions(conn, [r["id"] for r in group])
        result.items += 1
    return result


def media_statistics(conn: sqlite3.Connection, item: dict) -> dict:
    """Statistics of one item as the JSON the API and the page share."""
    duration, source = authoritative_duration(conn, item)
    raw = tally_sessions(
        ((r["viewer"], SessionState.from_json(json.loads(r["state"])))
         for r in db.progress_sessions_of(conn, item["id"])),
        duration, rules())
    folded_json = db.progress_folded(conn, item["id"])
    folded = Tally.from_json(json.loads(folded_json)) if folded_json else Tally()
    body = statistics(raw + folded, duration).to_json()
    body.update({
        "media_id": item["id"],
        "title": item["title"],
        "duration_source": source,
        "sessions": {"raw": raw.sessions, "folded": folded.sessions},
        "duration_reports": [
            {"reported": r["reported"], "authoritative": r["authoritative"],
             "source": r["source"], "count": r["count"],
             "first_seen": _iso(r["first_at"]), "last_seen": _iso(r["last_at"])}
            for r in db.progress_duration_reports(conn, item["id"])
        ],
    })
    return body


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


# -- request helpers -------------------------------------------------------------

def _writer() -> Writer:
    return current_app.extensions["progress_writer"]


def _privacy_reason(config: Mapping, environ: dict) -> str | None:
    """Why nothing may be stored for this request, if anything says so."""
    if not config["TRACKING"]:
        return "tracking_disabled"
    if environ.get("HTTP_SEC_GPC", "").strip() == "1":
        return "global_privacy_control"
    if environ.get("HTTP_DNT", "").strip() == "1":
        return "do_not_track"
    return None


def _viewer(anonymous_id: object, token: object):
    config = current_app.config
    try:
        return identify(anonymous_id, token, secret=config.get("VIEWER_SECRET"),
                        pepper=config["SECRET_KEY"])
    except ViewerError as exc:
        status = 403 if token is not None else 400
        abort(error_response(status, exc.message, {"viewer": exc.reason}))


#: Where the viewer's id and token are: a field of the body, else this WSGI
#: environ key (the header).
_VIEWER_SOURCES = (
    ("viewer", "HTTP_" + VIEWER_HEADER.upper().replace("-", "_")),
    ("viewer_token", "HTTP_" + VIEWER_TOKEN_HEADER.upper().replace("-", "_")),
)


def _viewer_claims(body: dict, environ: dict) -> tuple[object, object]:
    """The anonymous id and the host token a request names, each in its
    body or else in its headers (None where it names none).

    :raises ProgressError: if the body has one that is not a string.
    """
    found = []
    for field, key in _VIEWER_SOURCES:
        if field not in body:
            found.append(environ.get(key))
        elif isinstance(body[field], str):
            found.append(body[field])
        else:
            raise ProgressError(f"'{field}' must be a string.", field)
    return found[0], found[1]


def _request_viewer(body: dict | None = None):
    """The viewer a request names, in its body or else in its headers."""
    try:
        claims = _viewer_claims(body or {}, request.environ)
    except ProgressError as exc:
        abort(error_response(400, exc.message, {"field": exc.field}))
    return _viewer(*claims)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


#: Made once: ``json.loads`` with any option builds a new decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _decode(raw: bytes) -> object:
    """A body as JSON, decoded as ``json.loads`` decodes bytes: UTF-8, or
    UTF-16/32 by their pattern; NaN and the infinities are refused.

    :raises ValueError: or RecursionError, if it is not JSON.
    """
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def _json_body() -> object:
    """The request body as JSON, whether sent as ``application/json`` or, as
    ``navigator.sendBeacon`` sends strings, ``text/plain``."""
    limit = int(current_app.config["PROGRESS_MAX_BODY"])
    if request.content_length is not None and request.content_length > limit:
        abort(error_response(413, f"A progress report may be at most {limit} bytes.",
                             {"limit": limit}))
    if request.mimetype not in ("application/json", "text/plain", ""):
        abort(error_response(415, "Send the report as application/json or text/plain JSON.",
                             {"content_type": request.mimetype}))
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        abort(error_response(413, f"A progress report may be at most {limit} bytes.",
                             {"limit": limit}))
    try:
        return _decode(raw)
    except (ValueError, RecursionError) as exc:
        abort(error_response(400, f"The body is not valid JSON: {exc}"))


def _parse(data: object):
    try:
        return parse_report(data)
    except ProgressError as exc:
        abort(error_response(400, exc.message, {"field": exc.field}))


@functools.cache
def _answer_body(body: tuple[tuple[str, object], ...]) -> bytes:
    return json.dumps(dict(body), separators=(",", ":"), sort_keys=True).encode() + b"\n"


def _answer(body: dict, status: int = 200) -> Response:
    """``jsonify(body)`` for the few answers a report gets, encoded once each."""
    return current_app.response_class(_answer_body(tuple(body.items())), status=status,
                                      mimetype="application/json")


def _limit(viewer_key: str) -> None:
    bucket, lock = current_app.extensions["progress_limiter"]
    with lock:
        wait = bucket.take(viewer_key, time.monotonic())
    if wait:
        retry = max(1, math.ceil(wait))
        response = error_response(
            429, f"Too many progress reports from this viewer; try again in {retry} s.",
            {"retry_after": retry})
        response.headers["Retry-After"] = str(retry)
        abort(response)


def _maybe_fold(app: Flask) -> None:
    """Fold expired sessions now and then, so the retention period holds even
    where nobody schedules ``player fold-progress``. Nobody waits for the
    outcome: the writer runs it after the reports queued before it."""
    state = app.extensions["progress_fold"]
    now = time.monotonic()
    # Looked at without the lock first: nearly every report finds it is not time.
    if now < state["next"]:
        return
    with state["lock"]:
        if now < state["next"]:
            return
        state["next"] = now + FOLD_INTERVAL_SECONDS
    days = float(app.config["RAW_RETENTION_DAYS"])
    resume_rules = ResumeRules.from_config(app.config)

    def fold(conn: sqlite3.Connection) -> FoldResult:
        return fold_expired(conn, time.time(), days, resume_rules)

    app.extensions["progress_writer"].submit(fold)


def _caught_up() -> None:
    """Wait until every report this process accepted so far is written, so a
    read sees them."""
    if not _writer().flush():
        current_app.logger.warning("progress read before the writer caught up")


def _unavailable(message: str, retry: int) -> Response:
    response = error_response(503, message, {"retry_after": retry})
    response.headers["Retry-After"] = str(retry)
    return response


def forget_media(media_id: str) -> None:
    """Delete an item's progress and statistics once the reports queued
    before are written. Call it after the item has left the catalog, so that
    reports still queued anywhere are dropped by their writers instead of
    bringing some of it back.

    :raises TimeoutError: if the writer has not got to it in time; it is
        still done later.
    """
    def delete(conn: sqlite3.Connection) -> None:
        db.progress_delete_media(conn, media_id)

    _writer().run(delete)


# -- routes ----------------------------------------------------------------------

@bp.route("/api/media/<item_id>/progress", methods=["PUT", "POST"])
def report_progress(item_id: str):
    """Accept a player's report for writing. POST is accepted as PUT because
    ``navigator.sendBeacon`` can only POST."""
    if not is_valid_id(item_id):
        abort(404, f"There is no media item with the id '{item_id}'.")
    data = _json_body()
    report = _parse(data)
    reason = _privacy_reason(current_app.config, request.environ)
    if reason:
        # Nothing is looked up either: the shape of the report was checked,
        # but whether the item exists is not this request's business.
        return _answer({"stored": False, "reason": reason})
    viewer = _request_viewer(data)
    _limit(viewer.key)
    try:
        duration = current_app.extensions["progress_durations"].lookup(item_id, time.monotonic())
    except UnknownMedia:
        abort(404, f"There is no media item with the id '{item_id}'.")
    try:
        report = check_within(report, duration)
    except ProgressError as exc:
        return error_response(400, exc.message, {"field": exc.field})
    if not _writer().put(PendingReport(item_id, viewer.key, report, time.time())):
        return _unavailable("Too many progress reports are waiting to be written; this one"
                            " was not stored.", QUEUE_FULL_RETRY_SECONDS)
    _maybe_fold(current_app._get_current_object())
    return _answer({"stored": True}, 202)


@bp.get("/api/media/<item_id>/progress")
def resume_point(item_id: str):
    """Where this viewer should resume, and whether to offer it."""
    item = find_item(item_id)
    viewer = _request_viewer()
    _caught_up()
    conn = db.get_db()
    duration, _ = authoritative_duration(conn, item)
    tracking = _privacy_reason(current_app.config, request.environ) is None
    row = db.progress_resume_point(conn, viewer.key, item_id)
    offer = resume_offer(row["position"] if row else None, duration,
                         bool(row["at_end"]) if row else False, rules())
    response = jsonify({
        "media_id": item_id,
        "duration": duration,
        "position": row["position"] if row else None,
        "updated_at": _iso(row["updated_at"]) if row else None,
        "offer": offer.offer,
        "resume_at": offer.position,
        "reason": offer.reason,
        "tracking": tracking,
    })
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/api/viewer/history")
def erase_history():
    """Erase everything stored for this viewer (the player's "Forget my
    viewing history"). Anonymous totals already folded hold no viewer.

    The writer erases after writing the reports queued before, and marks the
    erasure, so that no report sent before it (queued in any process) is
    written after it."""
    viewer = _request_viewer()

    def erase(conn: sqlite3.Connection) -> int:
        return db.progress_erase_viewer(conn, viewer.key, time.time())

    try:
        sessions = _writer().run(erase)
    except (TimeoutError, OSError, sqlite3.Error):
        current_app.logger.exception("viewer history not erased")
        return _unavailable("Your viewing history could not be erased just now; try again.",
                            QUEUE_FULL_RETRY_SECONDS)
    return jsonify({"erased": {"sessions": sessions}})


@bp.route("/api/progress/validate", methods=["PUT", "POST"])
def validate_report():
    """Check a report without storing it or reading anything: for people
    writing their own player, and the no-database baseline of
    ``bench/progress_bench.py``."""
    data = _json_body()
    report = _parse(data)
    _request_viewer(data)
    try:
        check_within(report, None)
    except ProgressError as exc:
        return error_response(400, exc.message, {"field": exc.field})
    return jsonify({"valid": True})


@bp.get("/api/media/<item_id>/stats")
@publisher_required
def stats_json(item_id: str):
    item = find_item(item_id)
    _caught_up()
    return jsonify(media_statistics(db.get_db(), item))


@bp.get("/publish/stats/<item_id>")
@publisher_required
def stats_page(item_id: str):
    raw = find_item(item_id)
    _caught_up()
    stats = media_statistics(db.get_db(), raw)
    return render_template("stats.html", item=public_item(raw), stats=stats,
                           retention_chart=retention_chart(stats["retention"]),
                           usage_bars=usage_bars(stats))


# -- charts ------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_LEFT, CHART_TOP, CHART_RIGHT, CHART_BOTTOM = 56, 16, 32, 44


def retention_chart(retention: list[dict]) -> dict:
    """Geometry of the retention curve: percent of the item across, share of
    plays still watching up."""
    inner_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    inner_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM

    def x(percent: float) -> float:
        return round(CHART_LEFT + inner_w * percent / 100, 2)

    def y(share: float) -> float:
        return round(CHART_TOP + inner_h * (1 - share), 2)

    points = " ".join(f"{x(p['percent'])},{y(p['share'])}" for p in retention)
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT,
        "points": points,
        "area": f"{x(0)},{y(0)} {points} {x(100)},{y(0)}",
        "x_ticks": [{"x": x(p), "label": f"{p}%"} for p in range(0, 101, 25)],
        "y_ticks": [{"y": y(s / 100), "label": f"{s}%"} for s in range(0, 101, 25)],
        "left": CHART_LEFT, "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP, "bottom": CHART_HEIGHT - CHART_BOTTOM,
    }


def usage_bars(stats: dict) -> list[dict]:
    """One horizontal bar per share of viewing time: captions by language,
    then descriptions."""
    rows = [(f"Captions: {lang}", share)
            for lang, share in stats["captions"]["by_language"].items()]
    rows.append(("Descriptions", stats["descriptions"]["share"]))
    bar_left, bar_width = 160, 400
    return [
        {"label": label, "share": share, "y": 8 + n * 32,
         "x": bar_left, "width": round(bar_width * share, 2), "track": bar_width}
        for n, (label, share) in enumerate(rows)
    ]


# -- the fast path -----------------------------------------------------------------

#: Content types the fast path reads itself: what players and beacons send.
#: Other types the view accepts too are left to it, so it alone judges them.
_PLAIN_TYPE = re.compile(r"(?:application/json|text/plain)(?:; ?charset=[A-Za-z0-9_-]+)?",
                         re.IGNORECASE)
_LENGTH = re.compile(r"[0-9]{1,9}")
_PREFIX, _SUFFIX = "/api/media/", "/progress"
#: Answers a fast path keeps: one per answer, method and Origin header value,
#: so a client sending a new Origin each time cannot make it grow for ever.
ANSWERS_KEPT = 256
#: A WSGI answer: status line, headers, body.
_Answer = tuple[str, list[tuple[str, str]], bytes]


class ReportFastPath:
    """WSGI middleware that takes the usual progress report itself.

    At thousands of reports a second, Flask's share of each (contexts,
    routing, request and response objects, the after-request hooks) cost
    more than the report's own work. This takes a ``PUT`` or ``POST`` to
    :func:`report_progress` whose checks all pass, does what the view does
    and answers as it would; everything else goes to the view, before
    anything has changed, so every refusal is the view's own answer: a body
    that is not a clean report, a viewer that is refused, an item whose
    duration is not in :class:`Durations` just then, a request with a cookie
    (the session can change the headers), a chunked body, trusted hosts.

    Two refusals are found only once the flood limit has been asked, and
    both hand over as if this had not run: a viewer out of tokens (a refused
    take spends none, so the view's own take decides afresh) and a full
    queue (the token is given back first).

    The answers are the view's: each kind, method and ``Origin`` value is
    built once by the view's response code, run through the app's
    after-request hooks (CORS, security headers) in a request context of the
    request that first needed it, and its status, headers and body kept.
    Should the app ever get before-request hooks for this view, every report
    goes to the view, so that they run.
    """

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._answers: dict[tuple, _Answer] = {}

    def __call__(self, environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if (path.startswith(_PREFIX) and path.endswith(_SUFFIX)
                and environ.get("REQUEST_METHOD") in ("PUT", "POST")):
            answer = self._accept(environ, path[len(_PREFIX):-len(_SUFFIX)])
            if answer is not None:
                status, headers, body = answer
                start_response(status, list(headers))
                return [body]
        return self.wsgi_app(environ, start_response)

    def _accept(self, environ: dict, item_id: str) -> _Answer | None:
        """The answer, once the report is queued; None to hand over to the view."""
        try:
            checked = self._check(environ, item_id)
        except Exception:
            # A refusal, or something unforeseen: nothing has changed yet, so
            # the view meets it again and answers (or logs) it as it always does.
            return None
        if checked is None:
            return None
        if isinstance(checked, str):
            return self._answer(environ, {"stored": False, "reason": checked}, 200)
        key, report = checked
        extensions = self.app.extensions
        bucket, lock = extensions["progress_limiter"]
        with lock:
            if bucket.take(key, time.monotonic()):
                return None
        if not extensions["progress_writer"].put(
                PendingReport(item_id, key, report, time.time())):
            with lock:
                bucket.give_back(key)
            return None
        _maybe_fold(self.app)
        return self._answer(environ, {"stored": True}, 202)

    def _check(self, environ: dict, item_id: str) -> tuple[str, Report] | str | None:
        """The viewer's key and the checked report; or why nothing is to be
        stored; or None to hand over to the view.

        :raises ValueError: or anything else the view would meet too.
        """
        config = self.app.config
        hooks = self.app.before_request_funcs
        length = environ.get("CONTENT_LENGTH", "")
        content_type = environ.get("CONTENT_TYPE")
        if (hooks.get(None) or hooks.get(bp.name) or not is_valid_id(item_id)
                or "HTTP_COOKIE" in environ
                or "HTTP_TRANSFER_ENCODING" in environ or config["TRUSTED_HOSTS"] is not None
                or not _LENGTH.fullmatch(length)
                or (content_type and not _PLAIN_TYPE.fullmatch(content_type))):
            return None
        size = int(length)
        most = config["MAX_CONTENT_LENGTH"]
        if size > int(config["PROGRESS_MAX_BODY"]) or (most is not None and size > most):
            return None
        raw = environ["wsgi.input"].read(size)
        # Handed over, the view reads the body again.
        environ["wsgi.input"] = io.BytesIO(raw)
        data = _decode(raw)
        report = parse_report(data)
        reason = _privacy_reason(config, environ)
        if reason:
            return reason
        viewer = identify(*_viewer_claims(data, environ), secret=config.get("VIEWER_SECRET"),
                          pepper=config["SECRET_KEY"])
        duration = self.app.extensions["progress_durations"].fresh(item_id, time.monotonic())
        if duration is None:
            return None
        return viewer.key, check_within(report, duration)

    def _answer(self, environ: dict, body: dict, status: int) -> _Answer:
        key = (status, tuple(body.items()), environ["REQUEST_METHOD"], environ.get("HTTP_ORIGIN"))
        answer = self._answers.get(key)
        if answer is None:
            with self.app.request_context(environ):
                response = self.app.process_response(_answer(body, status))
            app_iter, status_line, headers = response.get_wsgi_response(environ)
            answer = status_line, headers, b"".join(app_iter)
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[key] = answer
        return answer


# -- command line ----------------------------------------------------------------

@click.command("fold-progress")
@click.option("--days", type=float, default=None,
              help="Retention period in days (default: RAW_RETENTION_DAYS).")
@with_appcontext
def fold_progress_command(days: float | None) -> None:
    """Fold raw play sessions older than the retention period into anonymous
    statistics and delete them (and with them where their viewers stopped)."""
    config = current_app.config
    days = float(config["RAW_RETENTION_DAYS"] if days is None else days)
    conn = db.connect(config["DATABASE"])
    total = FoldResult()
    try:
        while True:
            with db.Transaction(conn):
                result = fold_expired(conn, time.time(), days, ResumeRules.from_config(config))
            total.sessions += result.sessions
            total.items += result.items
            if result.sessions < FOLD_BATCH:
                break
    finally:
        conn.close()
    click.echo(f"Folded {total.sessions} session(s) of {total.items} item(s) older than"
               f" {days:g} day(s) into the statistics and deleted them.")


def init_app(app: Flask) -> None:
    """Defaults for the progress settings, the writer, the duration cache,
    the limiter, the blueprint, its fast path and ``player fold-progress``."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["progress_writer"] = Writer(
        app.config["DATABASE"], store_reports, limit=int(app.config["PROGRESS_QUEUE_LIMIT"]))
    app.extensions["progress_durations"] = Durations()
    app.extensions["progress_limiter"] = (
        TokenBucket(float(app.config["PROGRESS_RATE_BURST"]),
                    float(app.config["PROGRESS_RATE_PER_SECOND"])),
        threading.Lock(),
    )
    app.extensions["progress_fold"] = {"lock": threading.Lock(), "next": 0.0}
    app.register_blueprint(bp)
    app.wsgi_app = ReportFastPath(app, app.wsgi_app)
