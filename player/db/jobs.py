"""The statements of the background job queue, for either backend (its
tables come with schema version 3; the queue itself is :mod:`player.jobs`).

Taking a job is one ``UPDATE ... WHERE id = (SELECT ...) RETURNING``: on
PostgreSQL the inner ``SELECT`` says ``FOR UPDATE SKIP LOCKED``, so workers
on several machines each take a different job without waiting for one
another; on SQLite the statement runs in a write transaction, which already
holds the database's one write lock.

Every write of a running job names the worker holding its lease, so a
worker whose lease ran out (and whose job another worker took) changes
nothing when it wakes up.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Connection, Transaction, backend

_DUE = ("(state = 'queued' AND run_after <= ?)"
        " OR (state = 'running' AND lease_expires < ?)")


def jobs_insert(conn: Connection, kind: str, media_id: str | None, payload: str,
                dedupe_key: str, max_attempts: int, now: float):
    """Queue a job; its row, or None when an identical job is waiting or running."""
    rows = conn.execute(
        "INSERT INTO jobs (kind, media_id, payload, dedupe_key, max_attempts, run_after,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING *",
        (kind, media_id, payload, dedupe_key, max_attempts, now, now, now)).fetchall()
    return rows[0] if rows else None


def jobs_active_by_key(conn: Connection, dedupe_key: str):
    """The waiting or running job with that key, or None."""
    return conn.execute(
        "SELECT * FROM jobs WHERE dedupe_key = ? AND state IN ('queued', 'running')",
        (dedupe_key,)).fetchone()


def jobs_get(conn: Connection, job_id: int):
    """One job's row, or None."""
    return conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()


def jobs_of_media(conn: Connection, media_id: str, limit: int) -> list:
    """An item's latest ``limit`` jobs, oldest first."""
    rows = conn.execute(
        "SELECT * FROM jobs WHERE media_id = ? ORDER BY id DESC LIMIT ?",
        (media_id, limit)).fetchall()
    return rows[::-1]


def jobs_list(conn: Connection, states: Sequence[str], limit: int) -> list:
    """The latest ``limit`` jobs in any of ``states`` (all when empty), newest first."""
    where, params = "", []
    if states:
        where = " WHERE state IN (" + ", ".join("?" for _ in states) + ")"
        params = list(states)
    return conn.execute(f"SELECT * FROM jobs{where} ORDER BY id DESC LIMIT ?",
                        (*params, limit)).fetchall()


def jobs_waiting_counts(conn: Connection) -> dict[str, int]:
    """How many jobs wait or run, per item (jobs of no item under ``""``)."""
    rows = conn.execute(
        "SELECT COALESCE(media_id, ''), COUNT(*) FROM jobs"
        " WHERE state IN ('queued', 'running') GROUP BY COALESCE(media_id, '')")
    return {row[0]: int(row[1]) for row in rows}


def jobs_claim(conn: Connection, owner: str, lease_expires: float, now: float):
    """Take the job due first (waiting and due, or running on a lease that
    ran out) for ``owner``: the row as taken, its attempts counted, or None."""
    skip_locked = " FOR UPDATE SKIP LOCKED" if backend(conn).NAME == "postgresql" else ""
    with Transaction(conn):
        rows = conn.execute(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,"
            " lease_expires = ?, updated_at = ?"
            f" WHERE id = (SELECT id FROM jobs WHERE {_DUE}"
            f" ORDER BY run_after, id LIMIT 1{skip_locked})"
            " RETURNING *",
            (owner, lease_expires, now, now, now)).fetchall()
    return rows[0] if rows else None


def jobs_renew(conn: Connection, job_id: int, owner: str, lease_expires: float, now: float,
               progress: float | None = None, message: str | None = None) -> bool:
    """Extend a running job's lease (and store its progress); False if
    ``owner`` no longer holds it."""
    cursor = conn.execute(
        "UPDATE jobs SET lease_expires = ?, updated_at = ?,"
        " progress = COALESCE(?, progress), message = COALESCE(?, message)"
        " WHERE id = ? AND lease_owner = ? AND state = 'running'",
        (lease_expires, now, progress, message, job_id, owner))
    return cursor.rowcount == 1


def jobs_finish(conn: Connection, job_id: int, owner: str, state: str, now: float, *,
                message: str, progress: float | None = None, result: str | None = None,
                run_after: float | None = None, uncount: bool = False) -> bool:
    """End ``owner``'s run of a job: ``done``, ``failed``, or ``queued``
    again (a retry after ``run_after``; ``uncount`` gives its attempt back).
    False if ``owner`` no longer holds the lease."""
    cursor = conn.execute(
        "UPDATE jobs SET state = ?, message = ?, progress = COALESCE(?, progress),"
        " result = COALESCE(?, result), run_after = COALESCE(?, run_after),"
        " attempts = attempts - ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?"
        " WHERE id = ? AND lease_owner = ? AND state = 'running'",
        (state, message, progress, result, run_after, 1 if uncount else 0, now,
         job_id, owner))
    return cursor.rowcount == 1


def jobs_worker_beat(conn: Connection, name: str, host: str, pid: int, now: float) -> None:
    """Record that a worker is alive now."""
    conn.execute(
        "INSERT INTO job_workers (name, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
        (name, host, pid, now, now))


def jobs_worker_gone(conn: Connection, name: str) -> None:
    """Forget a worker that stopped."""
    conn.execute("DELETE FROM job_workers WHERE name = ?", (name,))


def jobs_workers_seen_since(conn: Connection, since: float) -> int:
    """How many workers have said they are alive since ``since``."""
    return conn.execute("SELECT COUNT(*) FROM job_workers WHERE seen_at >= ?",
                        (since,)).fetchone()[0]


def jobs_of_every_media(conn: Connection, limit: int) -> list:
    """The latest ``limit`` jobs of each item, by item and oldest first."""
    return conn.execute(
        "SELECT * FROM (SELECT jobs.*, ROW_NUMBER() OVER"
        " (PARTITION BY media_id ORDER BY id DESC) AS latest"
        " FROM jobs WHERE media_id IS NOT NULL) AS ranked"
        " WHERE latest <= ? ORDER BY media_id, id", (limit,)).fetchall()


def jobs_prune(conn: Connection, done_before: float, failed_before: float) -> dict[str, int]:
    """Delete done jobs last changed before ``done_before`` and failed ones
    before ``failed_before``; how many of each. Waiting and running jobs are
    never deleted, nor the newest job: SQLite numbers a new row one past the
    highest id there is, so without it a new job could take the id (and the
    ``/api/jobs/<id>`` URL) of a forgotten one."""
    counts = {}
    with Transaction(conn):
        for state, before in (("done", done_before), ("failed", failed_before)):
            counts[state] = conn.execute(
                "DELETE FROM jobs WHERE state = ? AND updated_at < ?"
                " AND id < (SELECT MAX(id) FROM jobs)", (state, before)).rowcount
    return counts


def jobs_workers_forget(conn: Connection, seen_before: float) -> int:
    """Forget workers not heard from since ``seen_before`` (killed ones, which
    could not remove themselves); how many."""
    return conn.execute("DELETE FROM job_workers WHERE seen_at < ?", (seen_before,)).rowcount
