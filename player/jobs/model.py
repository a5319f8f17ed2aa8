"""What a job is: :class:`Job` (a row of the queue), :class:`JobContext`
(what a handler is given) and the exceptions a handler raises or meets."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import Worker

STATES = ("queued", "running", "done", "failed")


class JobFailed(Exception):
    """Raised by a handler: the job failed for good, with a message a
    publisher can act on (no retry)."""


class LeaseLost(Exception):
    """The worker no longer holds the job's lease: its lease ran out and
    another worker took the job, so this run's results must not be written."""


class JobReleased(Exception):
    """The worker is stopping and gave the job back to the queue unfinished."""


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class Job:
    """One job of the queue as stored."""

    id: int
    kind: str
    media_id: str | None
    payload: dict
    state: str
    progress: float
    message: str
    attempts: int
    max_attempts: int
    result: dict | None
    run_after: float
    lease_owner: str | None
    lease_expires: float | None
    created: float
    updated: float

    @classmethod
    def from_row(cls, row: Any) -> Job:
        """A job from a row of the ``jobs`` table."""
        return cls(
            id=int(row["id"]), kind=row["kind"], media_id=row["media_id"],
            payload=json.loads(row["payload"] or "{}"), state=row["state"],
            progress=float(row["progress"]), message=row["message"] or "",
            attempts=int(row["attempts"]), max_attempts=int(row["max_attempts"]),
            result=json.loads(row["result"]) if row["result"] else None,
            run_after=float(row["run_after"]), lease_owner=row["lease_owner"],
            lease_expires=row["lease_expires"], created=float(row["created_at"]),
            updated=float(row["updated_at"]))

    @property
    def active(self) -> bool:
        """Whether the job is still to run or running."""
        return self.state in ("queued", "running")

    def to_public(self) -> dict:
        """The job as ``GET /api/jobs/<id>`` and ITEM's ``jobs`` show it."""
        return {
            "id": self.id, "kind": self.kind, "media_id": self.media_id, "state": self.state,
            "progress": round(self.progress, 4), "message": self.message,
            "attempts": self.attempts, "created": _iso(self.created),
            "updated": _iso(self.updated), "result": self.result,
        }


class JobContext:
    """What a handler is given: the job's fields and :meth:`progress`."""

    def __init__(self, job: Job, worker: Worker):
        self.id = job.id
        self.kind = job.kind
        self.media_id = job.media_id
        self.payload = dict(job.payload)
        self.attempt = job.attempts
        self._worker = worker

    def progress(self, fraction: float, message: str = "") -> None:
        """Store how far the job is (0..1) and what it is doing, and renew its lease.

        :raises LeaseLost: if another worker took the job meanwhile; the
            handler should let it propagate.
        :raises JobReleased: if the worker is stopping and gives the job back.
        """
        self._worker.report(self.id, max(0.0, min(1.0, float(fraction))), message)

    def __repr__(self) -> str:
        return f"<JobContext {self.id} {self.kind} {self.media_id!r} attempt {self.attempt}>"
