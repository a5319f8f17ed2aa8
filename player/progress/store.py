"""Reports into sessions, sessions into statistics: the progress logic
against the database seam (:mod:`player.db`), without Flask.

The writer hands :func:`store_reports` a batch of checked reports; it checks
each again against what the database says by then, and folds it into its
play session. :func:`fold_expired` folds sessions past the retention period
into each item's anonymous totals; :func:`media_statistics` reads both.

The statistics of an item's raw sessions are kept as running totals, which
every batch updates by what it changed (the session as it is, less the
session as it was), so reading them costs the same however many sessions
there are. Totals are computed for one duration and set of rules (their
*basis*); when either changes (a rescan, players agreeing on another
duration, other settings) they are recomputed from the raw sessions once,
when next read. An erasure does the same for the items it touches.

Where the server cannot read an item's duration, players' reports of it are
votes, one per client address; the duration a majority (and at least a
quorum) of the newest votes agree on is the item's, until they agree on
another (see :func:`.model.agreed_duration`). No single client can fix it,
and what was agreed can be corrected. The probe always wins.

Erasure holds across processes: it leaves a mark (see
:func:`player.db.progress_erase_viewer`), and a report the viewer sent before
that is dropped whichever process commits it. Deleting an item works the
same way through the catalog: once the item is gone, its reports are
dropped by the writer.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

from .. import db
from ..errors import PlayerError
from ..library.item import Item
from .model import (
    ProgressError,
    Report,
    ResumeRules,
    SessionState,
    Tally,
    add_session,
    agreed_duration,
    apply_report,
    check_within,
    durations_disagree,
    report_end,
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
#: Distinct client addresses whose reports must agree on a duration the
#: server cannot read before it is believed.
DURATION_QUORUM = 3
#: Votes kept per item, the newest: old ones, a liar's included, age out.
VOTES_KEPT = 64


class UnknownMedia(PlayerError, LookupError):
    """A report's media item is not in the catalog (any more)."""

    status = 404
    code = "not_found"


class Erased(PlayerError):
    """A report its viewer sent before erasing their history: it conflicts
    with the erasure, so it is dropped."""

    status = 409
    code = "conflict"


def authoritative_duration(conn: sqlite3.Connection, media_id: str,
                           probed: float | None) -> tuple[float | None, str]:
    """The ``probed`` duration of the item ``media_id``, else the one players agreed on."""
    return choose_duration(probed, None if probed else db.progress_reported_duration(
        conn, media_id))


def choose_duration(probed: float | None, reported: float | None) -> tuple[float | None, str]:
    """The duration to trust and where it came from: ``probe``, ``player`` or ``unknown``."""
    if probed:
        return probed, "probe"
    return (reported, "player") if reported else (None, "unknown")


class Durations:
    """Each item's durations, probed and agreed by players, as request threads
    check reports against them, kept per process so that a report usually
    costs no statement at all.

    An entry is trusted for ``DURATION_FRESH_SECONDS``, so a rescan, a new
    agreement or a deleted item shows within a second; a report accepted in
    that second is checked again by the writer, against what the database
    says then. Unknown ids are read every time (they are refused anyway).
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[float, float | None, float | None]] = {}

    def lookup(self, media_id: str, now: float) -> tuple[float | None, float | None]:
        """The item's probed duration and the one players agreed on (None where there is none).

        :raises UnknownMedia: if the catalog has no such item.
        """
        found = self.fresh(media_id, now)
        if found is not None:
            return found
        found = db.progress_item_durations(db.get_db(), media_id)
        if found is None:
            self._known.pop(media_id, None)
            raise UnknownMedia(f"There is no media item with the id '{media_id}'.")
        probed, agreed = found
        self._known[media_id] = (now + DURATION_FRESH_SECONDS, probed, None if probed else agreed)
        return probed, agreed

    def fresh(self, media_id: str, now: float) -> tuple[float | None, float | None] | None:
        """What :meth:`lookup` would give, or None if it would read the database."""
        entry = self._known.get(media_id)
        return entry[1:] if entry is not None and now < entry[0] else None


@dataclass(frozen=True)
class PendingReport:
    """A checked report waiting for the writer."""

    media_id: str
    viewer: str
    report: Report
    received: float
    #: Whom a duration the report gives counts for (see :func:`.intake.voter`).
    voter: str = ""

    def __str__(self) -> str:
        # For the log: the viewer key stays out of it.
        return (f"{self.media_id} session {self.report.session} seq {self.report.seq}"
                f" at {self.report.position:g} s")


def store_reports(conn: sqlite3.Connection, pending: list[PendingReport],
                  rules: ResumeRules | None = None, quorum: int = DURATION_QUORUM) -> list:
    """The writer's bulk handler: fold a batch of reports into their sessions.

    Each report is checked again against its item's duration as the
    database has it now (``UnknownMedia`` or ``ProgressError`` comes back in
    its place); a report a viewer sent before erasing their history comes
    back as ``Erased``. A duration a report gives is a vote where the server
    could not read the item's (``quorum`` client addresses must agree), and
    is logged where it disagrees with the item's. The items' durations, the
    erasures and all touched sessions are read with one statement, and the
    sessions written with one; the running totals of the statistics are
    updated by what changed, with ``rules`` (the default rules if None).
    """
    rules = rules or ResumeRules()
    media_ids = list({p.media_id for p in pending})
    keys = list({(p.viewer, p.media_id, p.report.session) for p in pending})
    known, stored, erased = db.progress_batch_state(conn, media_ids, keys)
    durations: dict[str, tuple[float | None, str] | None] = dict.fromkeys(media_ids)
    for media_id, (probed, reported) in known.items():
        durations[media_id] = choose_duration(probed, reported)
    unprobed = [m for m, (probed, _) in known.items() if not probed]
    ballots = db.progress_duration_votes(conn, unprobed) if unprobed else {}
    cast: dict[str, dict[str, tuple[float, float]]] = {}
    originals = {key: SessionState.from_json(state) for key, state in stored.items()}
    states = dict(originals)
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
        probed, agreed = known[p.media_id]
        key = (p.viewer, p.media_id, p.report.session)
        try:
            report = check_within(p.report, report_end(p.report, probed, agreed))
            state = apply_report(states.get(key, SessionState()), report)
        except ProgressError as exc:
            outcomes.append(exc)
            continue
        if report.duration is not None:
            if p.media_id in ballots:
                cast.setdefault(p.media_id, {})[p.voter] = (report.duration, p.received)
            if duration is not None and durations_disagree(report.duration, duration):
                db.progress_log_duration(conn, p.media_id, report.duration, duration, source,
                                         p.received)
        states[key] = state
        touched[key] = p.received
        outcomes.append(None)
    _update_live(conn, list(touched), originals, states, durations, rules)
    db.progress_save_sessions(conn, [
        (*key, received, states[key].position, states[key].at_end, states[key].to_json())
        for key, received in touched.items()])
    for media_id, votes in cast.items():
        _count_votes(conn, media_id, ballots[media_id], votes, durations[media_id][0], quorum)
    return outcomes


def live_basis(duration: float | None, rules: ResumeRules) -> str:
    """What running totals depend on: the duration and the rules."""
    return json.dumps([duration, dataclasses.astuple(rules)])


def _update_live(conn: sqlite3.Connection, keys: list[tuple[str, str, str]],
                 originals: dict[tuple[str, str, str], SessionState],
                 states: dict[tuple[str, str, str], SessionState],
                 durations: dict[str, tuple[float | None, str] | None],
                 rules: ResumeRules) -> None:
    """Update the running totals of the items of ``keys`` by the sessions'
    change from ``originals`` (as stored, absent if new) to ``states``.

    Run before the sessions are saved: whether a viewer is new to an item is
    read from the sessions as they were.
    """
    live = db.progress_live_tallies(conn, list({key[1] for key in keys}))
    tallies: dict[str, Tally] = {}
    for media_id, (basis, tally) in live.items():
        if basis == live_basis(durations[media_id][0], rules):
            tallies[media_id] = Tally.from_json(json.loads(tally))
    db.progress_drop_live(conn, [m for m in live if m not in tallies])
    if not tallies:
        return
    starting = set()
    for key in keys:
        viewer, media_id, _ = key
        tally = tallies.get(media_id)
        if tally is None:
            continue
        duration = durations[media_id][0]
        before = originals.get(key)
        was_playing = before is not None and add_session(tally, before, duration, rules, -1)
        if add_session(tally, states[key], duration, rules) and not was_playing:
            starting.add((viewer, media_id))
    # A viewer is new to an item when no session of theirs had played it yet.
    for _, media_id in starting - db.progress_viewers_with_plays(conn, list(starting)):
        tallies[media_id].viewers += 1
    db.progress_save_live(conn, [(m, live[m][0], json.dumps(t.to_json()))
                                 for m, t in tallies.items()])


def _count_votes(conn: sqlite3.Connection, media_id: str,
                 ballots: dict[str, tuple[float, float]], votes: dict[str, tuple[float, float]],
                 current: float | None, quorum: int) -> None:
    """Record the votes of a batch on an item's duration and set what the
    newest ``VOTES_KEPT`` agree on; running totals of another basis go."""
    changed = [(voter, duration, at) for voter, (duration, at) in votes.items()
               if voter not in ballots or round(ballots[voter][0], 1) != round(duration, 1)]
    if not changed:
        return
    db.progress_save_votes(conn, media_id, changed, VOTES_KEPT)
    newest = sorted({**ballots, **votes}.items(), key=lambda kv: (-kv[1][1], kv[0]))
    agreed = agreed_duration([d for _, (d, _) in newest[:VOTES_KEPT]], current, quorum)
    if agreed != current:
        db.progress_set_player_duration(conn, media_id, agreed, max(at for _, _, at in changed))
        db.progress_drop_live(conn, [media_id])


def live_tally(conn: sqlite3.Connection, media_id: str, duration: float | None,
               rules: ResumeRules) -> Tally:
    """The running totals of an item's raw sessions, for ``duration`` and ``rules``.

    Where there are none on that basis, they are computed from the raw
    sessions and stored: call it in a write transaction (the writer's).
    """
    basis = live_basis(duration, rules)
    row = db.progress_live_tallies(conn, [media_id]).get(media_id)
    if row is not None and row[0] == basis:
        return Tally.from_json(json.loads(row[1]))
    tally = tally_sessions(
        ((r["viewer"], SessionState.from_json(json.loads(r["state"])))
         for r in db.progress_sessions_of(conn, media_id)),
        duration, rules)
    db.progress_save_live(conn, [(media_id, basis, json.dumps(tally.to_json()))])
    return tally


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
    db.progress_forget_votes(conn, cutoff)
    rows = db.progress_expired_sessions(conn, cutoff, limit)
    result = FoldResult(sessions=len(rows))
    for media_id, group in groupby(rows, key=lambda r: r["media_id"]):
        group = list(group)
        data = db.catalog_item(conn, media_id)
        probed = Item.from_dict(data).duration if data else None
        duration, _ = authoritative_duration(conn, media_id, probed)
        sessions = [(r["viewer"], SessionState.from_json(json.loads(r["state"]))) for r in group]
        tally = tally_sessions(sessions, duration, resume_rules)
        folded = db.progress_folded(conn, media_id)
        if folded:
            tally = Tally.from_json(json.loads(folded)) + tally
        db.progress_save_folded(conn, media_id, json.dumps(tally.to_json()), now)
        db.progress_delete_sessions(conn, [r["id"] for r in group])
        _fold_live(conn, media_id, sessions, duration, resume_rules)
        result.items += 1
    return result


def _fold_live(conn: sqlite3.Connection, media_id: str,
               sessions: list[tuple[str, SessionState]], duration: float | None,
               rules: ResumeRules) -> None:
    """Take folded (and deleted) sessions out of the item's running totals."""
    row = db.progress_live_tallies(conn, [media_id]).get(media_id)
    if row is None:
        return
    if row[0] != live_basis(duration, rules):
        db.progress_drop_live(conn, [media_id])
        return
    tally = Tally.from_json(json.loads(row[1]))
    playing = {viewer for viewer, state in sessions
               if add_session(tally, state, duration, rules, -1)}
    still = db.progress_viewers_with_plays(conn, [(viewer, media_id) for viewer in playing])
    tally.viewers -= len(playing - {viewer for viewer, _ in still})
    db.progress_save_live(conn, [(media_id, row[0], json.dumps(tally.to_json()))])


def media_statistics(conn: sqlite3.Connection, item: Item, resume_rules: ResumeRules) -> dict:
    """Statistics of one item as the JSON the API and the page share.

    Run it in a write transaction (the writer's): see :func:`live_tally`.
    """
    duration, source = authoritative_duration(conn, item.id, item.duration)
    raw = live_tally(conn, item.id, duration, resume_rules)
    folded_json = db.progress_folded(conn, item.id)
    folded = Tally.from_json(json.loads(folded_json)) if folded_json else Tally()
    body = statistics(raw + folded, duration).to_json()
    body.update({
        "media_id": item.id,
        "title": item.title,
        "duration_source": source,
        "sessions": {"raw": raw.sessions, "folded": folded.sessions},
        "duration_reports": [
            {"reported": r["reported"], "authoritative": r["authoritative"],
             "source": r["source"], "count": r["count"],
             "first_seen": iso(r["first_at"]), "last_seen": iso(r["last_at"])}
            for r in db.progress_duration_reports(conn, item.id)
        ],
    })
    return body


def iso(timestamp: float) -> str:
    """A Unix time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")

