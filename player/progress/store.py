"""Reports into sessions, sessions into statistics: the progress logic
against the database seam (:mod:`player.db`), without Flask.

The writer hands :func:`store_reports` a batch of checked reports; it checks
each again against what the database says by then, and folds it into its
play session. :func:`fold_expired` folds sessions past the retention period
into each item's anonymous totals; :func:`media_statistics` reads both.

Erasure holds across processes: it leaves a mark (see
:func:`player.db.progress_erase_viewer`), and a report the viewer sent before
that is dropped whichever process commits it. Deleting an item works the
same way through the catalog: once the item is gone, its reports are
dropped by the writer.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

from .. import db
from ..errors import PlayerError
from .model import (
    ProgressError,
    Report,
    ResumeRules,
    SessionState,
    Tally,
    apply_report,
    check_within,
    durations_disagree,
    statistics,
    tally_sessions,
)

#: Expired sessions folded per run, so a run never holds the write lock long.
FOLD_BATCH = 1000
#: How long request threads trust an item's duration before reading it again,
#: so that a rescan or a deleted item shows within a second.
DURATION_FRESH_SECONDS = 1.0
#: How long erasure marks are kept: far longer than a report ever waits in a
#: queue, which is milliseconds.
ERASURE_MEMORY_SECONDS = 3600.0


class UnknownMedia(PlayerError, LookupError):
    """A report's media item is not in the catalog (any more)."""

    status = 404
    code = "not_found"


class Erased(PlayerError):
    """A report its viewer sent before erasing their history: it conflicts
    with the erasure, so it is dropped."""

    status = 409
    code = "conflict"


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
            raise UnknownMedia(f"There is no media item with the id '{media_id}'.")
        duration, _ = choose_duration(*found)
        if duration is not None:
            self._known[media_id] = (now + DURATION_FRESH_SECONDS, duration)
        return duration

    def fresh(self, media_id: str, now: float) -> float | None:
        """The duration :meth:`lookup` would give, or None if it would read the database."""
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
    """Fold sessions not updated for ``retention_days`` into anonymous totals.

    Each item's raw sessions are added to its totals and deleted, and with
    them where the viewer stopped; erasure marks older than
    ``ERASURE_MEMORY_SECONDS`` are forgotten. Call inside a write
    transaction; folds at most ``limit`` sessions.
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


def media_statistics(conn: sqlite3.Connection, item: dict, resume_rules: ResumeRules) -> dict:
    """Statistics of one item as the JSON the API and the page share."""
    duration, source = authoritative_duration(conn, item)
    raw = tally_sessions(
        ((r["viewer"], SessionState.from_json(json.loads(r["state"])))
         for r in db.progress_sessions_of(conn, item["id"])),
        duration, resume_rules)
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
             "first_seen": iso(r["first_at"]), "last_seen": iso(r["last_at"])}
            for r in db.progress_duration_reports(conn, item["id"])
        ],
    })
    return body


def iso(timestamp: float) -> str:
    """A Unix time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")

