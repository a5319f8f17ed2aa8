"""Progress over HTTP: reports from players, resume offers, erasure,
statistics, and ``player fold-progress``.

Reports are written behind (see :mod:`.writer`). The request thread does
every check that can refuse a report (its shape, the viewer, the flood
limit, the item and its duration; see :mod:`.intake`) and then queues it for
this process's writer thread and answers ``202 Accepted`` at once. Reads wait
for the queue first: the resume point, the statistics and erasure see every
report this process accepted before them. The usual report does not reach
these views at all: :mod:`.fastpath` takes it at the WSGI level and answers
exactly as :func:`report_progress` would.

With several worker processes each has its own queue, so a read answered by
another process than the one that accepted a report may miss it for those
milliseconds. Erasure holds across processes all the same (see :mod:`.store`).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time

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
from ..library.catalog import find_item
from ..library.item import Item
from ..library.scan import is_valid_id
from ..web.auth import publisher_required
from .charts import retention_chart, usage_bars
from .intake import client_address, json_body, limit_rate, privacy_reason, request_viewer, voter
from .limits import NOT_COUNTED
from .model import ResumeRules, check_within, parse_report, report_end, resume_offer
from .store import (
    FOLD_BATCH,
    FoldResult,
    PendingReport,
    authoritative_duration,
    fold_expired,
    iso,
    media_statistics,
)
from .writer import WRITE_TIMEOUT_SECONDS, Writer

bp = Blueprint("progress", __name__)

FOLD_INTERVAL_SECONDS = 60.0
#: What a refused report is told about when to try again, in seconds.
QUEUE_FULL_RETRY_SECONDS = 1


def flush(app: Flask, timeout: float | None = WRITE_TIMEOUT_SECONDS) -> bool:
    """Wait until the reports ``app`` accepted in this process are written; False on timeout."""
    return app.extensions["progress_writer"].flush(timeout)


def rules() -> ResumeRules:
    """The resume rules of the current app's settings."""
    return ResumeRules.from_config(current_app.config)


def _writer() -> Writer:
    return current_app.extensions["progress_writer"]


@functools.cache
def _answer_body(body: tuple[tuple[str, object], ...]) -> bytes:
    return json.dumps(dict(body), separators=(",", ":"), sort_keys=True).encode() + b"\n"


def report_answer(body: dict, status: int = 200) -> Response:
    """``jsonify(body)`` for the few answers a report gets, encoded once each."""
    return current_app.response_class(_answer_body(tuple(body.items())), status=status,
                                      mimetype="application/json")


def maybe_fold(app: Flask) -> None:
    """Queue a fold of expired sessions, at most once a ``FOLD_INTERVAL_SECONDS``.

    So the retention period holds even where nobody schedules ``player
    fold-progress``. Nobody waits for the outcome: the writer runs it after
    the reports queued before it.
    """
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


class ProgressUnavailable(PlayerError):
    """A report or an erasure the writer cannot take just now; ``Retry-After``
    says when to try again."""

    status = 503
    # The code these answers have always carried: clients go by the status
    # and Retry-After, and a new code would break the ones that compare it.
    code = "error"

    def __init__(self, message: str, retry: int = QUEUE_FULL_RETRY_SECONDS) -> None:
        super().__init__(message, details={"retry_after": retry},
                         headers={"Retry-After": str(retry)})


def forget_media(media_id: str) -> None:
    """Delete an item's progress and statistics once the reports queued before are written.

    Call it after the item has left the catalog, so that reports still
    queued anywhere are dropped by their writers instead of bringing some of
    it back.

    :raises TimeoutError: if the writer has not got to it in time; it is
        still done later.
    """
    def delete(conn: sqlite3.Connection) -> None:
        db.progress_delete_media(conn, media_id)
        db.progress_delete_media_live(conn, media_id)

    _writer().run(delete)


# -- routes ----------------------------------------------------------------------

@bp.route("/api/media/<item_id>/progress", methods=["PUT", "POST"])
def report_progress(item_id: str):
    """Accept a player's report for writing, and answer ``202`` at once.

    POST is accepted as PUT because ``navigator.sendBeacon`` can only POST.

    :raises NotFound: if there is no such item.
    :raises PlayerError: for a report refused (its body, its viewer, the
        flood limits, a position past the end, a full queue); each answers
        with its own status. A report that would start a play session
        beyond the new-session limits is answered 200, not stored.
    """
    if not is_valid_id(item_id):
        abort(404, f"There is no media item with the id '{item_id}'.")
    data = json_body()
    report = parse_report(data)
    reason = privacy_reason(current_app.config, request.environ)
    if reason:
        # Nothing is looked up either: the shape of the report was checked,
        # but whether the item exists is not this request's business.
        return report_answer({"stored": False, "reason": reason})
    viewer = request_viewer(data)
    address = client_address(request.environ)
    limit_rate(viewer.key, address)
    probed, agreed = current_app.extensions["progress_durations"].lookup(item_id,
                                                                         time.monotonic())
    report = check_within(report, report_end(report, probed, agreed))
    app = current_app._get_current_object()
    pending = PendingReport(item_id, viewer.key, report, time.time(),
                            voter(address, app.config["SECRET_KEY"]))
    queued = enqueue(app, pending, address)
    if queued is None:
        return report_answer({"stored": False, "reason": NOT_COUNTED})
    if not queued:
        raise ProgressUnavailable("Too many progress reports are waiting to be written;"
                                  " this one was not stored.")
    maybe_fold(app)
    return report_answer({"stored": True}, 202)


def enqueue(app: Flask, pending: PendingReport, address: str) -> bool | None:
    """Queue a report that passed every other check, if the new-session limits allow.

    True when queued; None when it would start a session beyond the limits
    of its address or its item (not stored, counted nowhere); False when the
    queue is full (nothing changed).
    """
    limits = app.extensions["progress_limits"]
    session = (pending.viewer, pending.media_id, pending.report.session)
    admitted = limits.admit_session(session, address, time.monotonic())
    if admitted is False:
        return None
    if app.extensions["progress_writer"].put(pending):
        return True
    if admitted:
        limits.withdraw_session(session, address)
    return False


@bp.get("/api/media/<item_id>/progress")
def resume_point(item_id: str):
    """Where this viewer should resume, and whether to offer it.

    :raises NotFound: if there is no such item.
    :raises ViewerError: if the request names no usable viewer.
    """
    item = find_item(item_id)
    viewer = request_viewer()
    _caught_up()
    conn = db.get_db()
    duration, _ = authoritative_duration(conn, item.id, item.duration)
    tracking = privacy_reason(current_app.config, request.environ) is None
    row = db.progress_resume_point(conn, viewer.key, item_id)
    offer = resume_offer(row["position"] if row else None, duration,
                         bool(row["at_end"]) if row else False, rules())
    response = jsonify({
        "media_id": item_id,
        "duration": duration,
        "position": row["position"] if row else None,
        "updated_at": iso(row["updated_at"]) if row else None,
        "offer": offer.offer,
        "resume_at": offer.position,
        "reason": offer.reason,
        "tracking": tracking,
    })
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/api/viewer/history")
def erase_history():
    """Erase everything stored for this viewer (the player's "Forget my viewing history").

    Anonymous totals already folded hold no viewer. The writer erases after
    writing the reports queued before, and marks the erasure, so that no
    report sent before it (queued in any process) is written after it.

    :raises ViewerError: if the request names no usable viewer.
    :raises ProgressUnavailable: if the writer could not erase just now.
    """
    viewer = request_viewer()

    def erase(conn: sqlite3.Connection) -> int:
        # The running totals of the items concerned are recomputed when next read.
        db.progress_drop_live_of_viewer(conn, viewer.key)
        return db.progress_erase_viewer(conn, viewer.key, time.time())

    try:
        sessions = _writer().run(erase)
    except (TimeoutError, OSError, *db.Error) as exc:
        current_app.logger.exception("viewer history not erased")
        raise ProgressUnavailable(
            "Your viewing history could not be erased just now; try again.") from exc
    return jsonify({"erased": {"sessions": sessions}})


@bp.route("/api/progress/validate", methods=["PUT", "POST"])
def validate_report():
    """Check a report without storing it or reading anything.

    For people writing their own player, and the no-database baseline of
    ``bench/progress_bench.py``.

    :raises PlayerError: for a report refused, as :func:`report_progress` would.
    """
    data = json_body()
    report = parse_report(data)
    request_viewer(data)
    check_within(report, None)
    return jsonify({"valid": True})


@bp.get("/api/media/<item_id>/stats")
@publisher_required
def stats_json(item_id: str):
    """An item's statistics as JSON, for publishers.

    :raises NotFound: if there is no such item.
    """
    return jsonify(_statistics(find_item(item_id)))


def _statistics(item: Item) -> dict:
    """An item's statistics, read by the writer after the reports queued before.

    The writer reads them because it may have to store them: see
    :func:`.store.live_tally`.

    :raises TimeoutError: if the writer has not got to it in time.
    """
    resume_rules = rules()

    def read(conn: sqlite3.Connection) -> dict:
        return media_statistics(conn, item, resume_rules)

    return _writer().run(read)


@bp.get("/publish/stats/<item_id>")
@publisher_required
def stats_page(item_id: str):
    """An item's statistics page, with its charts, for publishers.

    :raises NotFound: if there is no such item.
    """
    raw = find_item(item_id)
    stats = _statistics(raw)
    return render_template("stats.html", item=raw.to_public(), stats=stats,
                           retention_chart=retention_chart(stats["retention"]),
                           usage_bars=usage_bars(stats))


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

