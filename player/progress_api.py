"""Progress over HTTP: reports from players, resume offers, erasure, statistics.

Players report with ``PUT /api/media/<id>/progress``; ``POST`` is the same,
because ``navigator.sendBeacon`` (which outlives a closing tab) can only POST,
and a body sent as ``text/plain`` is read as JSON, because that is what a
beacon of a string sends (and it needs no CORS preflight). The viewer travels
in the body (``viewer`` or ``viewer_token``), since a beacon cannot set
headers, or in the ``X-Player-Viewer`` / ``X-Player-Viewer-Token`` headers.

Writes are committed in batches (group commit): whichever request thread
finds nobody committing commits every report queued by then in a single
transaction, while the others wait for it (see :class:`Writer`). A request is
answered only after the transaction holding its report has committed, so an
acknowledged report is never lost; many reports share one commit and one
acquisition of SQLite's write lock, which keeps throughput up and the tail
latency down under hundreds of concurrent players. Across gunicorn workers the
committing threads take turns on a lock file beside the database, so they
queue instead of failing with "database is locked"; other writers (a rescan,
the CLI) meet them through SQLite's busy timeout.

The flood limit is a token bucket per viewer kept in each process: with W
gunicorn workers a viewer can get up to W times the configured rate through.
The limit is there to stop floods, which are orders of magnitude above a
player's one report every ten seconds, so that factor is accepted in exchange
for keeping the limiter off the database.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import math
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
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

from . import db
from .auth import publisher_required
from .catalog import find_item, public_item
from .errors_web import error_response
from .library import is_valid_id
from .progress import (
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
}
#: Headers that carry the viewer. Reports may carry it in the body instead
#: (``viewer``, ``viewer_token``), since ``navigator.sendBeacon`` cannot set headers.
VIEWER_HEADER = "X-Player-Viewer"
VIEWER_TOKEN_HEADER = "X-Player-Viewer-Token"
#: Expired sessions folded per run, so a run never holds the write lock long.
FOLD_BATCH = 1000
FOLD_INTERVAL_SECONDS = 60.0
WRITE_TIMEOUT_SECONDS = 60.0


class UnknownMedia(LookupError):
    """A report's media item is not in the catalog (found by the writer)."""


# -- group commit ---------------------------------------------------------------

class _Job:
    """A write and its outcome: ``fn(conn)`` to run alone, or a ``payload``
    for the writer's bulk handler. A bare lock, released when the job is
    done (or, ``lead``, its thread is to commit the next batch), is the
    cheapest way to make the submitting thread wait. ``waited`` says a
    thread waits for it, and so can be woken to commit."""

    __slots__ = ("fn", "payload", "_done", "result", "error", "lead", "waited")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any] | None, payload: Any = None):
        self.fn = fn
        self.payload = payload
        self._done = threading.Lock()
        self._done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.lead = False
        self.waited = False

    def finish(self) -> None:
        self._done.release()

    def wait(self, timeout: float) -> bool:
        return self._done.acquire(timeout=timeout)


#: ``bulk(conn, payloads)`` writes many payloads at once and returns, for
#: each, its result or the exception that refused it.
BulkHandler = Callable[[sqlite3.Connection, list], list]


def _close(conn: sqlite3.Connection, lock: BinaryIO) -> None:
    conn.close()
    lock.close()


#: Every writer of this process, so that a forked child (a gunicorn worker)
#: starts each afresh.
_WRITERS: weakref.WeakSet[Writer] = weakref.WeakSet()


class Writer:
    """Runs writes on one connection per process in batches, one
    transaction each.

    There is no writer thread. A thread whose write finds nobody committing
    commits it, together with everything queued by the time it holds the
    locks; threads that queue meanwhile wait. When its batch is done, the
    committing thread wakes the first waiting one to commit the next batch,
    so nobody commits for others for long. On a quiet server a write costs
    no hand-over between threads at all, on a busy one a single wake-up.

    Payloads queued with :meth:`store` go to the bulk handler together, which
    reads and writes them with a few statements for the whole batch: Python's
    sqlite3 releases the GIL around every statement step, and taking it back
    from busy request threads costs far more than the step, so the number of
    steps per batch, not per report, decides the writer's pace.

    Jobs queued with :meth:`run` run one by one after the bulk part. A job
    that raises is rolled back alone and its error handed to its caller,
    while the rest of the batch commits; so a batch may run twice, and jobs
    must depend on nothing but the database.
    """

    def __init__(self, database: str, bulk: BulkHandler | None = None, max_batch: int = 500):
        self.database = database
        self.bulk = bulk
        self.max_batch = max_batch
        self._files: tuple[sqlite3.Connection, BinaryIO] | None = None
        self._closer: weakref.finalize | None = None
        self._reset()
        _WRITERS.add(self)

    def _reset(self) -> None:
        # Also run in a forked child, which must neither use nor close the
        # parent's connection, and in which nobody is committing.
        if self._closer is not None:
            self._closer.detach()
        self._files = self._closer = None
        self._mutex = threading.Lock()
        self._queue: list[_Job] = []
        self._busy = False

    def submit(self, job: _Job, waited: bool = False) -> _Job:
        """Queue ``job``; if nobody is committing, commit it (and whatever
        else is queued) now, in this thread. Unless ``waited``, nobody waits
        for the outcome."""
        job.waited = waited
        with self._mutex:
            self._queue.append(job)
            if self._busy:
                return job
            self._busy = True
        self._lead()
        return job

    def _wait(self, job: _Job, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            if not job.wait(max(0.0, deadline - time.monotonic())):
                with self._mutex:
                    if not job.lead:
                        if job in self._queue:
                            # Never committed, so the caller's error tells the truth.
                            self._queue.remove(job)
                        raise TimeoutError("the progress writer did not commit in time")
                # Chosen to commit the next batch just now: the wake-up is on its way.
                job.wait(-1)
            if not job.lead:
                break
            # Woken to commit: the job is the first queued one someone waits
            # for, so this batch (or, behind many others, a later one) has it.
            job.lead = False
            self._lead()
        if job.error is not None:
            raise job.error
        return job.result

    def run(self, fn: Callable[[sqlite3.Connection], Any],
            timeout: float = WRITE_TIMEOUT_SECONDS) -> Any:
        """Run ``fn(conn)`` in the next batch; return its result once committed.

        :raises TimeoutError: if the batch has not committed within ``timeout``.
        """
        return self._wait(self.submit(_Job(fn), waited=True), timeout)

    def store(self, payload: Any, timeout: float = WRITE_TIMEOUT_SECONDS) -> Any:
        """Hand ``payload`` to the bulk handler in the next batch; return its
        result once committed, or raise the exception it was refused with."""
        return self._wait(self.submit(_Job(None, payload), waited=True), timeout)

    def _lead(self) -> None:
        """Commit batches until a waiting thread can take over or nothing is left."""
        more = True
        while more:
            batch = self._commit()
            with self._mutex:
                successor = next((job for job in self._queue if job.waited), None)
                if successor is not None:
                    successor.lead = True
                more = successor is None and bool(self._queue)
                self._busy = successor is not None or more
            for job in batch:
                job.finish()
            if successor is not None:
                successor.finish()

    def _take(self) -> list[_Job]:
        with self._mutex:
            batch = self._queue[:self.max_batch]
            del self._queue[:self.max_batch]
        return batch

    def _open(self) -> tuple[sqlite3.Connection, BinaryIO]:
        if self._files is None:
            conn = db.connect(self.database)
            try:
                lock = open(self.database + ".writer-lock", "ab")
            except OSError:
                conn.close()
                raise
            self._files = conn, lock
            # Closed with the writer (a test's app), not left to the collector.
            self._closer = weakref.finalize(self, _close, conn, lock)
        return self._files

    def _commit(self) -> list[_Job]:
        """Commit a batch and return it, its jobs' outcomes set. Never
        raises: a failure becomes every job's error."""
        batch: list[_Job] = []
        try:
            conn, lock = self._open()
            # Writers of other worker processes queue on this lock: the kernel
            # wakes the next one the moment it is free, where SQLite's busy
            # handler would poll with sleeps growing to 100 ms and can leave one
            # process waiting while another takes the lock again and again.
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._transaction(conn, batch)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        except Exception as exc:
            # Nothing of the batch is acknowledged: every job gets the error.
            if not isinstance(exc, (OSError, sqlite3.Error)):
                logging.getLogger(__name__).exception("progress batch failed")
            batch = batch or self._take()
            for job in batch:
                if job.error is None:
                    job.error, job.result = exc, None
        return batch

    def _transaction(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Taken only now, so what arrived while this thread waited for the
            # locks shares this commit instead of the next: every batch costs
            # the same few statements, whatever its size.
            batch.extend(self._take())
            if not self._attempt(conn, batch, isolated=False):
                conn.execute("BEGIN IMMEDIATE")
                self._attempt(conn, batch, isolated=True)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _attempt(self, conn: sqlite3.Connection, batch: list[_Job], isolated: bool) -> bool:
        """Run the batch in the open transaction and commit it. Without
        ``isolated`` the first job that raises rolls everything back and
        False is returned, so the batch can be run again with a savepoint per
        job: jobs rarely fail, and a savepoint costs two more statements per
        job."""
        stored = [job for job in batch if job.fn is None]
        if stored:
            outcomes = self.bulk(conn, [job.payload for job in stored])
            for job, outcome in zip(stored, outcomes, strict=True):
                failed = isinstance(outcome, Exception)
                job.result, job.error = (None, outcome) if failed else (outcome, None)
        for job in batch:
            if job.fn is None:
                continue
            if isolated:
                conn.execute("SAVEPOINT job")
            try:
                job.result, job.error = job.fn(conn), None
            except Exception as exc:
                if not isolated:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute("ROLLBACK TO job")
                job.result, job.error = None, exc
            if isolated:
                conn.execute("RELEASE job")
        conn.execute("COMMIT")
        return True


def _reset_writers_in_child() -> None:
    for writer in list(_WRITERS):
        writer._reset()


os.register_at_fork(after_in_child=_reset_writers_in_child)


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


@dataclass(frozen=True)
class PendingReport:
    """A validated report waiting for its batch."""

    media_id: str
    viewer: str
    report: Report
    received: float


def store_reports(conn: sqlite3.Connection, pending: list[PendingReport]) -> list:
    """The writer's bulk handler: fold a batch of reports into their sessions.

    Each report is checked against its item's duration (``UnknownMedia`` or
    ``ProgressError`` comes back in its place), filling in or logging the
    duration players see. The items' durations and all touched sessions are
    read with one statement, and the sessions written with one.
    """
    media_ids = list({p.media_id for p in pending})
    keys = list({(p.viewer, p.media_id, p.report.session) for p in pending})
    known, stored = db.progress_batch_state(conn, media_ids, keys)
    durations: dict[str, tuple[float | None, str] | None] = dict.fromkeys(media_ids)
    for media_id, (probed, reported) in known.items():
        durations[media_id] = choose_duration(probed, reported)
    states = {key: SessionState.from_json(json.loads(state)) for key, state in stored.items()}
    touched: dict[tuple[str, str, str], float] = {}
    outcomes: list = []
    for p in pending:
        item_duration = durations[p.media_id]
        if item_duration is None:
            outcomes.append(UnknownMedia(p.media_id))
            continue
        duration, source = item_duration
        key = (p.viewer, p.media_id, p.report.session)
        try:
            report = check_within(p.report, duration if duration is not None else p.report.duration)
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
        (*key, received, states[key].position, states[key].at_end,
         json.dumps(states[key].to_json()))
        for key, received in touched.items()])
    return outcomes


@dataclass
class FoldResult:
    sessions: int = 0
    items: int = 0


def fold_expired(conn: sqlite3.Connection, now: float, retention_days: float,
                 resume_rules: ResumeRules, limit: int = FOLD_BATCH) -> FoldResult:
    """Fold raw sessions not updated for ``retention_days`` into each item's
    anonymous totals and delete them, and with them the viewer's place.

    Call inside a write transaction; folds at most ``limit`` sessions.
    """
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


def _privacy_reason() -> str | None:
    """Why nothing may be stored for this request, if anything says so."""
    if not current_app.config["TRACKING"]:
        return "tracking_disabled"
    environ = request.environ
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


def _request_viewer(body: dict | None = None):
    """The viewer a request names, in its body or else in its headers."""
    body = body or {}
    found = []
    for field, header in (("viewer", VIEWER_HEADER), ("viewer_token", VIEWER_TOKEN_HEADER)):
        if field not in body:
            found.append(request.headers.get(header))
        elif isinstance(body[field], str):
            found.append(body[field])
        else:
            abort(error_response(400, f"'{field}' must be a string.", {"field": field}))
    return _viewer(*found)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


#: Made once: ``json.loads`` with any option builds a new decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


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
        # Decoded as json.loads decodes bytes: UTF-8, or UTF-16/32 by their pattern.
        return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
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


def _answer(body: dict) -> Response:
    """``jsonify(body)`` for the few answers a report gets, encoded once each."""
    return current_app.response_class(_answer_body(tuple(body.items())),
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


def _maybe_fold() -> None:
    """Fold expired sessions now and then, so the retention period holds even
    where nobody schedules ``player fold-progress``. Nobody waits for the
    outcome; the fold goes with the next batch, committed by whichever thread
    commits it (this one, when nobody else is committing)."""
    state = current_app.extensions["progress_fold"]
    now = time.monotonic()
    with state["lock"]:
        if now < state["next"]:
            return
        state["next"] = now + FOLD_INTERVAL_SECONDS
    days = float(current_app.config["RAW_RETENTION_DAYS"])
    resume_rules = rules()
    _writer().submit(_Job(lambda conn: fold_expired(conn, time.time(), days, resume_rules)))


# -- routes ----------------------------------------------------------------------

@bp.route("/api/media/<item_id>/progress", methods=["PUT", "POST"])
def report_progress(item_id: str):
    """Store a player's report. POST is accepted as PUT because
    ``navigator.sendBeacon`` can only POST."""
    if not is_valid_id(item_id):
        abort(404, f"There is no media item with the id '{item_id}'.")
    data = _json_body()
    report = _parse(data)
    reason = _privacy_reason()
    if reason:
        # Nothing is looked up either: the shape of the report was checked,
        # but whether the item exists is not this request's business.
        return _answer({"stored": False, "reason": reason})
    viewer = _request_viewer(data)
    _limit(viewer.key)
    try:
        _writer().store(PendingReport(item_id, viewer.key, report, time.time()))
    except UnknownMedia:
        abort(404, f"There is no media item with the id '{item_id}'.")
    except ProgressError as exc:
        return error_response(400, exc.message, {"field": exc.field})
    except (TimeoutError, sqlite3.Error):
        current_app.logger.exception("progress report for %s not stored", item_id)
        return error_response(503, "Progress could not be saved just now; it was not stored.")
    _maybe_fold()
    return _answer({"stored": True})


@bp.get("/api/media/<item_id>/progress")
def resume_point(item_id: str):
    """Where this viewer should resume, and whether to offer it."""
    item = find_item(item_id)
    viewer = _request_viewer()
    conn = db.get_db()
    duration, _ = authoritative_duration(conn, item)
    tracking = _privacy_reason() is None
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
    viewing history"). Anonymous totals already folded hold no viewer."""
    viewer = _request_viewer()
    sessions = _writer().run(lambda conn: db.progress_erase_viewer(conn, viewer.key))
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
        check_within(report, report.duration)
    except ProgressError as exc:
        return error_response(400, exc.message, {"field": exc.field})
    return jsonify({"valid": True})


@bp.get("/api/media/<item_id>/stats")
@publisher_required
def stats_json(item_id: str):
    return jsonify(media_statistics(db.get_db(), find_item(item_id)))


@bp.get("/publish/stats/<item_id>")
@publisher_required
def stats_page(item_id: str):
    raw = find_item(item_id)
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
    """Defaults for the progress settings, the writer, the limiter, the
    blueprint and ``player fold-progress``."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["progress_writer"] = Writer(app.config["DATABASE"], bulk=store_reports)
    app.extensions["progress_limiter"] = (
        TokenBucket(float(app.config["PROGRESS_RATE_BURST"]),
                    float(app.config["PROGRESS_RATE_PER_SECOND"])),
        threading.Lock(),
    )
    app.extensions["progress_fold"] = {"lock": threading.Lock(), "next": 0.0}
    app.register_blueprint(bp)
    app.cli.add_command(fold_progress_command)
