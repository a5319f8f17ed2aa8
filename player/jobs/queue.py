"""Putting jobs in the queue and reading them, inside an app context."""

from __future__ import annotations

import hashlib
import json
import time

from flask import current_app

from .. import db
from ..db import jobs as sql
from .model import STATES, Job

#: Attempts a job gets unless ``JOBS_MAX_ATTEMPTS`` says otherwise.
MAX_ATTEMPTS = 3
#: A worker not heard from for this long counts as gone.
WORKER_SILENCE_SECONDS = 60
#: Days a done job is kept unless ``JOBS_KEEP_DAYS`` says otherwise.
KEEP_DONE_DAYS = 7
#: Days a failed job is kept unless ``JOBS_KEEP_FAILED_DAYS`` says otherwise:
#: longer, so a publisher has time to read why it failed.
KEEP_FAILED_DAYS = 30
#: A worker row not renewed for this long is forgotten when jobs are pruned.
FORGET_WORKER_SECONDS = 86400


def _conn(conn: db.Connection | None) -> db.Connection:
    return conn if conn is not None else db.get_db()


def _dedupe_key(kind: str, media_id: str | None, payload_text: str) -> str:
    return hashlib.sha256(json.dumps([kind, media_id, payload_text]).encode()).hexdigest()


def enqueue(kind: str, media_id: str | None = None, payload: dict | None = None, *,
            conn: db.Connection | None = None) -> Job:
    """Queue a job of ``kind``, or return the identical one (same kind,
    media id and payload) that is already waiting or running.

    Uses the request's connection unless given one; needs an app context.

    :raises ValueError: if ``payload`` cannot be written as JSON.
    :raises player.db.Error: if the database refuses the write.
    """
    payload_text = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False)
    key = _dedupe_key(kind, media_id, payload_text)
    conn = _conn(conn)
    max_attempts = int(current_app.config.get("JOBS_MAX_ATTEMPTS") or MAX_ATTEMPTS)
    # Another server may queue the same job at once, or the waiting one may
    # finish between our insert and our read: try again in either case.
    for _ in range(5):
        row = sql.jobs_insert(conn, kind, media_id, payload_text, key, max_attempts,
                              time.time())
        if row is None:
            row = sql.jobs_active_by_key(conn, key)
        if row is not None:
            return Job.from_row(row)
    raise db.DatabaseError(f"could not queue a {kind!r} job for {media_id!r}: the identical"
                           " job kept appearing and finishing; try again")


def get(job_id: int, *, conn: db.Connection | None = None) -> Job | None:
    """The job with that id, or None."""
    row = sql.jobs_get(_conn(conn), int(job_id))
    return Job.from_row(row) if row else None


def for_media(media_id: str, *, limit: int = 20,
              conn: db.Connection | None = None) -> list[Job]:
    """An item's latest jobs, oldest first."""
    return [Job.from_row(r) for r in sql.jobs_of_media(_conn(conn), media_id, limit)]


def by_media(*, limit: int = 20, conn: db.Connection | None = None) -> dict[str, list[Job]]:
    """Every item's latest jobs (oldest first), by item id, in one query."""
    found: dict[str, list[Job]] = {}
    for row in sql.jobs_of_every_media(_conn(conn), limit):
        found.setdefault(row["media_id"], []).append(Job.from_row(row))
    return found


def list_jobs(states: tuple[str, ...] = (), *, limit: int = 100,
              conn: db.Connection | None = None) -> list[Job]:
    """The latest jobs in any of ``states`` (every state when empty), newest first.

    :raises ValueError: for a state that does not exist.
    """
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise ValueError(f"unknown job state {unknown[0]!r}: one of {', '.join(STATES)}")
    return [Job.from_row(r) for r in sql.jobs_list(_conn(conn), states, limit)]


def waiting_counts(*, conn: db.Connection | None = None) -> dict[str, int]:
    """How many jobs wait or run per item id."""
    return sql.jobs_waiting_counts(_conn(conn))


def worker_running(*, conn: db.Connection | None = None,
                   within: float = WORKER_SILENCE_SECONDS) -> bool:
    """Whether a worker said it was alive within the last ``within`` seconds."""
    return sql.jobs_workers_seen_since(_conn(conn), time.time() - within) > 0


def keep_days(config) -> tuple[float, float]:
    """Days done and failed jobs are kept (``JOBS_KEEP_DAYS``,
    ``JOBS_KEEP_FAILED_DAYS``).

    :raises ValueError: if a setting is not a number of days, 0 or more.
    """
    days = []
    for name, default in (("JOBS_KEEP_DAYS", KEEP_DONE_DAYS),
                          ("JOBS_KEEP_FAILED_DAYS", KEEP_FAILED_DAYS)):
        value = config.get(name)
        try:
            number = float(default if value is None or value == "" else value)
        except (TypeError, ValueError):
            number = -1.0
        if not number >= 0:
            raise ValueError(f"{name} must be a number of days, 0 or more; it is {value!r}")
        days.append(number)
    return days[0], days[1]


def prune(config, *, conn: db.Connection, now: float | None = None) -> dict[str, int]:
    """Forget finished jobs older than the settings keep them (by when they
    finished) and workers silent for a day; how many jobs of each state.

    :raises ValueError: for a retention setting that is not a number of days.
    :raises player.db.Error: if the database refuses the deletes.
    """
    now = time.time() if now is None else now
    done_days, failed_days = keep_days(config)
    counts = sql.jobs_prune(conn, now - done_days * 86400, now - failed_days * 86400)
    sql.jobs_workers_forget(conn, now - FORGET_WORKER_SECONDS)
    return counts
