"""The pure part of :mod:`.sources` (names, keys, labels, the drafts' state in
metadata), which the storage seam, the scan and the catalog use; it imports
nothing of the library, so they can.

Where a track came from: a person (``author``), a script timed against
the audio (``aligned``) or speech recognition (``automatic``).

A draft made by a job lives beside the author's track, never in its place::

    welcome.en.vtt                      the author's captions
    welcome.en.captions.aligned.vtt     a script timed by the align job
    welcome.en.captions.automatic.vtt   captions drafted from speech

A track's key within its item is ``LANG.KIND`` for the author's track and
``LANG.KIND.SOURCE`` for a draft. Drafts do not count as captions in the
accessibility status until a publisher approves them; the approval, and a
digest of the bytes the job wrote (so a draft a person has since edited is
never overwritten by the next run), are kept in the item's ``STEM.json``
under ``"drafts"``: its ``"tracks"`` map stays the labels publishers edit.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import PlayerError
from ..languages import language_name, track_label

if TYPE_CHECKING:
    from .item import Item, Track

#: Every source a track can have.
SOURCES = ("author", "aligned", "automatic")
#: The sources of drafts: machine-made, to be reviewed by a person.
DRAFT_SOURCES = ("aligned", "automatic")
#: The metadata key holding the state of each draft.
DRAFTS_KEY = "drafts"


class DraftError(PlayerError):
    """A draft cannot be written or approved."""

    status = 409
    code = "conflict"


class HumanWorkKept(DraftError):
    """The draft a job would write over has been edited or approved by a person."""


class NoSuchDraft(DraftError, LookupError):
    """The item has no draft track by that key."""

    status = 404
    code = "not_found"


# -- names and keys ---------------------------------------------------------------------

def split_source(parts: list[str]) -> tuple[list[str], str]:
    """The name parts between stem and extension without a draft's source
    suffix, and the source.

    >>> split_source(["en", "captions", "automatic"])
    (['en', 'captions'], 'automatic')
    >>> split_source(["en"])
    (['en'], 'author')
    """
    if len(parts) == 3 and parts[2] in DRAFT_SOURCES:
        return parts[:2], parts[2]
    return parts, "author"


def source_suffix(source: str) -> str:
    """What a track's file name carries after ``LANG.KIND`` for ``source``.

    :raises ValueError: if ``source`` is not one of :data:`SOURCES`.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown track source {source!r}; expected one of {SOURCES}")
    return "" if source == "author" else f".{source}"


def key_of(srclang: str, kind: str, source: str = "author") -> str:
    """A track's key within its item.

    >>> key_of("en", "captions"), key_of("en", "captions", "automatic")
    ('en.captions', 'en.captions.automatic')
    """
    return f"{srclang}.{kind}{source_suffix(source)}"


def parse_key(key: str) -> tuple[str, str, str]:
    """``(srclang, kind, source)`` of a track key.

    >>> parse_key("pt-BR.subtitles"), parse_key("en.captions.automatic")
    (('pt-BR', 'subtitles', 'author'), ('en', 'captions', 'automatic'))
    """
    parts = key.split(".")
    source = "author"
    if len(parts) >= 3 and parts[-1] in DRAFT_SOURCES:
        source = parts.pop()
    kind = parts.pop() if len(parts) >= 2 else ""
    return ".".join(parts), kind, source


def find_track(item: Item, key: str) -> Track | None:
    """The item's track (offered or rejected) by its key, or ``None``."""
    srclang, kind, source = parse_key(key)
    for track in item.all_tracks():
        if track.srclang == srclang and track.kind == kind and track.source == source:
            return track
    return None


def default_label(srclang: str, kind: str, source: str = "author") -> str:
    """The label a viewer sees when the publisher set none.

    >>> default_label("en", "captions", "automatic"), default_label("en", "captions")
    ('English (automatic)', 'English captions')
    >>> default_label("en", "subtitles", "aligned")
    'English subtitles (aligned)'
    """
    if source == "author":
        return track_label(srclang, kind)
    if kind == "captions":
        return f"{language_name(srclang)} ({source})"
    return f"{track_label(srclang, kind)} ({source})"


# -- the state of drafts -----------------------------------------------------------------

def _drafts(metadata: dict) -> dict:
    drafts = metadata.get(DRAFTS_KEY)
    return drafts if isinstance(drafts, dict) else {}


def status(metadata: dict, srclang: str, kind: str, source: str) -> dict:
    """``{"source", "approved"}`` of a track, for the catalog: the author's
    tracks are approved by their author; drafts once a publisher approves them."""
    if source == "author":
        return {"source": source, "approved": True}
    state = _drafts(metadata).get(key_of(srclang, kind, source))
    return {"source": source,
            "approved": bool(isinstance(state, dict) and state.get("approved"))}


def counts_as_captions(track: Track) -> bool:
    """Whether a track counts in the WCAG 1.2 status: the author's, or an approved draft."""
    return track.source == "author" or track.approved


def source_rank(track: Track) -> int:
    """Sort key putting the author's tracks first, then approved drafts, then
    other drafts, so players and transcripts default to human work."""
    if track.source == "author":
        return 0
    return 1 if track.approved else 2


def digest(data: bytes) -> str:
    """The SHA-256 of a draft's bytes, as kept in the metadata."""
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_replaceable(metadata: dict, key: str, current: bytes | None) -> None:
    """Refuse to overwrite a draft a person has approved or edited.

    :param current: the draft's bytes now, or ``None`` when there is none.
    :raises HumanWorkKept: if the draft is approved, or its bytes are not
        the ones the job last wrote.
    """
    if current is None:
        return
    state = _drafts(metadata).get(key)
    state = state if isinstance(state, dict) else {}
    if state.get("approved"):
        raise HumanWorkKept(
            f"The draft '{key}' has been approved, so a new one is not written over it;"
            " delete it first to draft it again.")
    if state.get("sha256") != digest(current):
        raise HumanWorkKept(
            f"The draft '{key}' has been edited since it was made, so a new one is not"
            " written over it; delete it first to draft it again.")


def record_draft(metadata: dict, key: str, data: bytes, **facts) -> None:
    """Note in ``metadata`` a freshly written draft: not approved, its digest, and ``facts``."""
    drafts = _drafts(metadata)
    drafts[key] = {"approved": False, "sha256": digest(data), "made": _now(), **facts}
    metadata[DRAFTS_KEY] = drafts


def record_approval(metadata: dict, key: str, by: str, approved: bool = True) -> None:
    """Note in ``metadata`` that ``by`` approved (or withdrew approval of) a draft."""
    drafts = _drafts(metadata)
    state = drafts.get(key) if isinstance(drafts.get(key), dict) else {}
    state.update(approved=approved, approved_by=by, approved_at=_now())
    drafts[key] = state
    metadata[DRAFTS_KEY] = drafts


def forget(metadata: dict, key: str) -> bool:
    """Drop a deleted draft's state; whether there was any."""
    return _drafts(metadata).pop(key, None) is not None
