"""Clearing away what uploads leave behind, while the server runs.

A worker killed mid-upload leaves its staged file (up to the upload limit in
size), and a client that stops sending mid-upload can hold one for as long
as its connection stays open. Start-up alone is not enough to clear them:
under ``gunicorn --preload`` a killed worker is replaced by a fork of the
master, which never starts again. So every process that serves requests
sweeps the staging area again at most every :data:`SWEEP_SECONDS`, as the
first request after that time ends: no thread is needed, and a quiet server
has nothing new to clear.

A sweep removes (see :meth:`~player.library.storage.Storage.cleanup_uploads`)
staged files whose writer has gone, staged files not written to for longer
than any upload can take, and pending uploads kept too long.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from ..library.storage import Storage

#: Seconds between sweeps in one process.
SWEEP_SECONDS = 300
#: Bytes per second of the slowest upload still taken for a real one (a poor
#: mobile link); with the upload limit it gives the longest an upload takes.
SLOWEST_UPLOAD_RATE = 64 * 1024
#: The shortest time an upload may take, however small the limit: a slow
#: client also spends time connecting, and the server checking the file.
MIN_UPLOAD_SECONDS = 3600


def longest_upload_seconds(limit: int, rate: float = SLOWEST_UPLOAD_RATE) -> float:
    """The longest a legitimate upload of up to ``limit`` bytes takes.

    >>> longest_upload_seconds(2 * 1024**3) / 3600  # the default limit: 2 GiB
    9.102222222222222
    >>> longest_upload_seconds(10 * 1024**2)
    3600
    """
    return max(MIN_UPLOAD_SECONDS, limit / rate)


class Sweeper:
    """Sweeps one storage's staging area, at most every ``every`` seconds.

    :param stale_after: see ``cleanup_uploads``: staged files idle this long go.
    :param keep_for: pending uploads kept longer than this go.
    """

    def __init__(self, storage: Storage, *, every: float, stale_after: float,
                 keep_for: float, logger: logging.Logger) -> None:
        self.storage = storage
        self.every = every
        self.stale_after = stale_after
        self.keep_for = keep_for
        self.logger = logger
        self._due = time.monotonic() + every
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def sweep(self) -> list[str]:
        """Sweep now; returns the names of the files removed."""
        removed = self.storage.cleanup_uploads(stale_after=self.stale_after,
                                               keep_for=self.keep_for)
        if removed:
            self.logger.warning("removed %d file(s) of uploads left unfinished (by a stopped"
                                " server or a stalled client) or kept too long: %s",
                                len(removed), ", ".join(removed))
        return removed

    def maybe_sweep(self) -> list[str] | None:
        """Sweep if the time has come and no other thread of this process is
        sweeping; returns what :meth:`sweep` did, or ``None`` if it did not."""
        if time.monotonic() < self._due:
            return None
        if os.getpid() != self._pid:
            # A forked child: the parent's lock may have been held at the fork.
            self._pid, self._lock = os.getpid(), threading.Lock()
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if time.monotonic() < self._due:
                return None
            self._due = time.monotonic() + self.every
            try:
                return self.sweep()
            except OSError:
                # Serving the request matters more; the next sweep tries again.
                self.logger.exception("sweeping the upload area failed")
                return None
        finally:
            self._lock.release()
