"""The transcript of a catalog item, from its track files in the library.

Glue between the catalog (item dicts, see :mod:`player.library.scan`) and the
transcript model (:mod:`player.transcripts.model`): choose which tracks make the
transcript, read their cues, and build it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..captions import Cue
from ..errors import PlayerError
from ..languages import language_name
from ..library import cues
from ..library.item import Item, Track
from ..library.storage import Storage, as_storage
from .model import Transcript, to_json, to_text
from .model import build_transcript as build_model

_TEXT_KINDS = ("captions", "subtitles")


class TranscriptLanguageError(PlayerError, LookupError):
    """The item has no captions or subtitles in the language asked for."""

    status = 404
    code = "not_found"


@dataclass(frozen=True)
class TranscriptTracks:
    """The tracks a transcript is made of; any of them may be missing.

    :param text: the captions or subtitles track, whose cues are the body.
    """

    text: Track | None
    descriptions: Track | None
    chapters: Track | None

    @property
    def language(self) -> str | None:
        """The language of the transcript's body."""
        main = self.text or self.descriptions
        return main.srclang if main else None


def _base(lang: str) -> str:
    return lang.split("-")[0].lower()


def _pick(tracks: Sequence[Track], kinds: Sequence[str], langs: Sequence[str]) -> Track | None:
    """The first track of the first kind, preferring the languages in order."""
    for kind in kinds:
        of_kind = [t for t in tracks if t.kind == kind]
        for lang in langs:
            for track in of_kind:
                if track.srclang == lang or _base(track.srclang) == _base(lang):
                    return track
        if of_kind:
            return of_kind[0]
    return None


def transcript_languages(item: Item) -> list[dict]:
    """``[{"lang", "name"}]``: the languages of the item's captions and
    subtitles, each a transcript can be made in, names in their own language."""
    langs: list[str] = []
    for kind in _TEXT_KINDS:
        for track in item.tracks:
            if track.kind == kind and track.srclang not in langs:
                langs.append(track.srclang)
    return [{"lang": lang, "name": language_name(lang)} for lang in langs]


def choose_tracks(item: Item, lang: str | None = None) -> TranscriptTracks:
    """Pick the tracks of an item's transcript.

    The body comes from captions in ``lang`` (by default the item's
    language), else the first captions track, else subtitles the same way;
    descriptions and chapters in the body's language are preferred.

    :raises TranscriptLanguageError: if ``lang`` is given and no captions or
        subtitles are in that language.
    """
    tracks = item.tracks
    if lang:
        text = _pick([t for t in tracks if t.srclang == lang], _TEXT_KINDS, [lang])
        if text is None:
            raise TranscriptLanguageError(
                f"'{item.title}' has no captions or subtitles in the language '{lang}'.")
    else:
        text = _pick(tracks, _TEXT_KINDS, [item.language])
    langs = [text.srclang] if text else []
    langs.append(item.language)
    return TranscriptTracks(
        text,
        _pick(tracks, ["descriptions"], langs),
        _pick(tracks, ["chapters"], langs),
    )


def track_cues(
    storage: Storage | str | os.PathLike, track: Track | None, duration: float | None = None
) -> tuple[Cue, ...]:
    """The cues browsers show from a track file, or none for a missing track.

    The file is parsed once per version for every user of it (see
    :mod:`player.library.cues`). A file deleted since the last scan counts
    as missing: the next scan removes the track from the catalog.

    :param duration: the item's duration, under which the scan parsed the track.
    """
    if track is None:
        return ()
    try:
        report = cues.track_report(as_storage(storage), track.file, kind=track.kind,
                                   duration=duration)
    except FileNotFoundError:
        return ()
    return tuple(report.cues)


def build_transcript(
    item: Item, storage: Storage | str | os.PathLike, lang: str | None = None
) -> Transcript:
    """The transcript of a catalog item (see :func:`choose_tracks`).

    :param storage: the library, or the path of a media folder.
    :raises TranscriptLanguageError: if ``lang`` has no captions or subtitles.
    """
    chosen = choose_tracks(item, lang)
    storage, duration = as_storage(storage), item.duration
    return build_model(
        track_cues(storage, chosen.text, duration),
        kind=chosen.text.kind if chosen.text else "captions",
        descriptions=track_cues(storage, chosen.descriptions, duration),
        chapters=track_cues(storage, chosen.chapters, duration),
    )


def transcript_json(
    item: Item, storage: Storage | str | os.PathLike, lang: str | None = None
) -> list[dict]:
    """``[{start, end, speaker, text, kind}]`` in reading order.

    :raises TranscriptLanguageError: if ``lang`` has no captions or subtitles.
    """
    return to_json(build_transcript(item, storage, lang))


def transcript_text(
    item: Item, storage: Storage | str | os.PathLike, timestamps: bool, lang: str | None = None
) -> str:
    """The transcript as plain text under the item's title.

    :param timestamps: start each paragraph and heading with its time.
    :raises TranscriptLanguageError: if ``lang`` has no captions or subtitles.
    """
    model = build_transcript(item, storage, lang)
    title = item.title
    body = to_text(model, timestamps) if model.blocks else (
        "There is no transcript yet: this item has no captions or subtitles.\n")
    return f"{title}\n{'=' * len(title)}\n\n{body}"
