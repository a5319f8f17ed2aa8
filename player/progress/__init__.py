"""Playback progress: where each viewer stopped, and what viewers watched.

The package's parts, from the pure to the wired:

- :mod:`.model` reports, play sessions, resume offers and statistics (pure);
- :mod:`.viewer` who is watching, without accounts (pure);
- :mod:`.writer` the write-behind thread that commits reports in batches;
- :mod:`.store` reports into sessions and sessions into statistics, against
  the database seam;
- :mod:`.limits` the flood limits, per viewer, client address and item (pure);
- :mod:`.intake` a report as a request brings it, checked;
- :mod:`.views` the routes and ``player fold-progress``;
- :mod:`.fastpath` the usual report, answered below Flask;
- :mod:`.charts` the statistics page's chart geometry.

:func:`init_app` wires them into an app.
"""

from __future__ import annotations

import functools
import threading

from flask import Flask

from . import limits
from .charts import retention_chart, usage_bars
from .fastpath import ReportFastPath
from .intake import VIEWER_HEADER, VIEWER_TOKEN_HEADER
from .model import ProgressError, ResumeRules
from .store import (
    DURATION_QUORUM,
    Durations,
    Erased,
    PendingReport,
    UnknownMedia,
    fold_expired,
    media_statistics,
    store_reports,
)
from .viewer import ViewerError, ViewerTokenError, identify, sign_viewer
from .views import bp, flush, fold_progress_command, forget_media
from .writer import Writer, write_queues_on_sigterm

__all__ = [
    "DEFAULTS", "VIEWER_HEADER", "VIEWER_TOKEN_HEADER", "Durations", "Erased", "PendingReport",
    "ProgressError", "ReportFastPath", "UnknownMedia", "ViewerError", "ViewerTokenError", "Writer",
    "bp", "flush",
    "fold_expired", "fold_progress_command", "forget_media", "identify", "init_app",
    "media_statistics", "retention_chart", "sign_viewer", "store_reports", "usage_bars",
]

DEFAULTS = {
    "TRACKING": True,
    "RAW_RETENTION_DAYS": 30,
    "RESUME_MIN_PERCENT": 5,
    "RESUME_MIN_SECONDS": 30,
    "FINISHED_PERCENT": 90,
    "FINISHED_TAIL_SECONDS": 10,
    "RESUME_MIN_DURATION": 10,
    "RESUME_MIN_SHARE": 25,
    "PROGRESS_MAX_BODY": 4096,
    "PROGRESS_RATE_BURST": 20,
    "PROGRESS_RATE_PER_SECOND": 1.0,
    "PROGRESS_QUEUE_LIMIT": 10_000,
    "PROGRESS_DURATION_QUORUM": DURATION_QUORUM,
    **limits.DEFAULTS,
}


def init_app(app: Flask) -> None:
    """Wire progress into ``app``.

    Sets the defaults of the progress settings and adds the writer, the
    duration cache, the flood limits, the blueprint and its fast path
    (``player fold-progress`` is registered with the other commands), and
    makes SIGTERM write the queue before the process ends where nothing else
    sees to it.
    """
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    bulk = functools.partial(store_reports, rules=ResumeRules.from_config(app.config),
                             quorum=int(app.config["PROGRESS_DURATION_QUORUM"]))
    writer = app.extensions["progress_writer"] = Writer(
        app.config["DATABASE"], bulk, limit=int(app.config["PROGRESS_QUEUE_LIMIT"]))
    # PROGRESS_ACKNOWLEDGE_WRITTEN: a report is answered only once its batch
    # is committed, so an app server that dies without warning (kill -9, a
    # lost machine) loses no report it answered. It costs throughput: each
    # waiting request holds a worker thread, so batches stay small (measured
    # by bench/progress_pg.py). Off by default: the writer answers first and
    # writes behind within milliseconds, and SIGTERM writes the queue.
    writer.acknowledge_written = bool(app.config.get("PROGRESS_ACKNOWLEDGE_WRITTEN", False))
    app.extensions["progress_durations"] = Durations()
    app.extensions["progress_limits"] = limits.Limits(app.config)
    app.extensions["progress_fold"] = {"lock": threading.Lock(), "next": 0.0}
    app.register_blueprint(bp)
    app.wsgi_app = ReportFastPath(app, app.wsgi_app)
    write_queues_on_sigterm()
