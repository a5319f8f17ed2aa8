"""The background jobs ``align`` and ``transcribe`` (see :mod:`player.jobs`).

Errors a publisher can act on (a bad script, no sound, a language no engine
has, a draft a person has edited) fail the job at once with their message;
anything else is retried by the queue.
"""

from __future__ import annotations

from ..errors import PlayerError
from ..library.sources import HumanWorkKept
from .asr import LanguageRefused
from .audio import AudioError
from .drafts import align_item, transcribe_item
from .script import ScriptError
from .sphinx import EngineUnavailable

_FINAL = (ScriptError, AudioError, LanguageRefused, EngineUnavailable, HumanWorkKept)


def _run(job, work, **arguments) -> dict:
    from .. import jobs

    def progress(fraction: float, message: str = "") -> None:
        job.progress(min(1.0, max(0.0, fraction)), message)

    try:
        return work(job.media_id, progress=progress, job=job.id, **arguments)
    except _FINAL as exc:
        raise jobs.JobFailed(str(exc)) from None
    except PlayerError as exc:
        if exc.status == 404:
            raise jobs.JobFailed(f"The media item '{job.media_id}' is gone.") from None
        raise


def run_align(job) -> dict:
    """Time the payload's ``text`` against the item's sound into an aligned draft.

    :raises JobFailed: with a message a publisher can act on.
    """
    payload = job.payload or {}
    return _run(job, align_item, text=payload.get("text", ""),
                srclang=payload.get("srclang"), kind=payload.get("kind") or "captions",
                by=payload.get("by"))


def run_transcribe(job) -> dict:
    """Draft captions from the item's speech in its language.

    :raises JobFailed: with a message a publisher can act on.
    """
    payload = job.payload or {}
    return _run(job, transcribe_item, srclang=payload.get("srclang"), by=payload.get("by"))
