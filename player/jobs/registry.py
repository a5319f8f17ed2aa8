"""Which function runs each kind of job: ``kind -> "module:function"``.

Handlers are imported only when a worker first runs a job of their kind, so
the app and the CLI load none of them (nor what they import, ffmpeg helpers
and the like). A handler is ``def run(job: JobContext) -> dict | None``,
called inside an app context; the dict it returns becomes the job's result.
Add one line per kind. A site may add kinds of its own, or point a kind at
another function, with the ``JOBS_HANDLERS`` setting (the same mapping;
``PLAYER_JOBS_HANDLERS='{"kind": "module:function"}'``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

HANDLERS: dict[str, str] = {
    "poster": "player.library.poster:run",
    "align": "player.produce.tasks:run_align",
    "transcribe": "player.produce.tasks:run_transcribe",
    "renditions": "player.renditions.tasks:run",
}

#: What the publisher pages call each kind (the kind itself, capitalised, if missing).
LABELS: dict[str, str] = {
    "poster": "Poster frame",
    "align": "Timing a script",
    "transcribe": "Drafting captions from speech",
    "renditions": "Streaming versions",
}


class UnknownKind(LookupError):
    """No handler is registered for a job's kind."""


def handler(kind: str, extra: Mapping[str, str] | None = None) -> Callable:
    """The function that runs jobs of ``kind`` (``extra`` first, then :data:`HANDLERS`).

    :raises UnknownKind: if no handler is registered for ``kind``.
    :raises ImportError: if the registered module or function is missing.
    """
    known = {**HANDLERS, **(extra or {})}
    try:
        target = known[kind]
    except KeyError:
        raise UnknownKind(
            f"No handler for jobs of kind {kind!r} in this release"
            f" (known: {', '.join(sorted(known)) or 'none'}).") from None
    module_name, _, function = target.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, function)
    except AttributeError:
        raise ImportError(f"{target}: {module_name} has no function {function!r}"
                          f" (player/jobs/registry.py, kind {kind!r})") from None
