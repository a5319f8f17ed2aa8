"""Playback progress: where each viewer stopped, and what viewers watched.

The package's parts, from the pure to the wired:

- :mod:`.model` reports, play sessions, resume offers and statistics (pure);
- :mod:`.viewer` who is watching, without accounts (pure);
- :mod:`.writer` the write-behind thread that commits reports in batches;
- :mod:`.store` reports into sessions and sessions into statistics, against
  the database seam;
- :mod:`.intake` a report as a request brings it, checked;
- :mod:`.views` the routes and ``player fold-progress``;
- :mod:`.fastpath` the usual report, answered below Flask;
- :mod:`.charts` the statistics page's chart geometry.

:func:`init_app` wires them into an app.
"""

from __future__ import annotations

import threading

from flask import Flask

from .charts import retention_chart, usage_bars
from .fastpath import ReportFastPath
from .intake import VIEWER_HEADER, VIEWER_TOKEN_HEADER
from .model import ProgressError, TokenBucket
from .store import (
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
from .writer import Writer

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
    "RESUME_MIN_DURATION": 60,
    "PROGRESS_MAX_BODY": 4096,
    "PROGRESS_RATE_BURST": 20,
    "PROGRESS_RATE_PER_SECOND": 1.0,
    "PROGRESS_QUEUE_LIMIT": 10_000,
}


def init_app(app: Flask) -> None:
    """Wire progress into ``app``.

    Sets the defaults of the progress settings and adds the writer, the
    duration cache, the flood limiter, the blueprint and its fast path
    (``player fold-progress`` is registered with the other commands).
    """
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
