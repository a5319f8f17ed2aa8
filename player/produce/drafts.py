"""Producing draft tracks for a library item: read its sound, time a script
or recognise speech, and store the result beside the author's tracks.

The work is plain functions (:func:`align_item`, :func:`transcribe_item`);
:mod:`.tasks` runs them as background jobs. Inside an app context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from .. import db
from ..captions import validate
from ..library import scan, sources
from ..library.catalog import find_item, get_storage
from ..library.item import Item
from ..library.storage import (
    TRACK_KINDS,
    read_metadata,
    stem_of,
    track_name,
    write_metadata,
)
from . import asr
from .align import align, has_model
from .audio import Audio, decode
from .script import ScriptError, parse_script
from .segment import make_cues, to_webvtt

Progress = Callable[[float, str], None]
#: Kinds a script can be timed as (descriptions and chapters are not speech).
ALIGN_KINDS = ("captions", "subtitles")


def _quiet(fraction: float, message: str = "") -> None:
    """A progress report nobody listens to."""


def item_audio(item: Item) -> Audio:
    """The decoded sound of a catalog item: ffmpeg reads the local file, or
    object storage's presigned URL, or else the bytes piped to it.

    :raises AudioError: if it has none.
    """
    storage = get_storage()
    source = storage.local_path(item.file) or storage.url_for_client(item.file)
    if source:
        return decode(source)
    with storage.open(item.file) as reader:
        return decode(item.file, reader.read())


@dataclass
class Draft:
    """A stored draft and what its making found."""

    key: str
    file: str
    cues: int
    facts: dict = field(default_factory=dict)

    def result(self) -> dict:
        """The JSON a job's result holds."""
        return {"track": self.key, "file": self.file, "cues": self.cues, **self.facts}


def store_draft(item: Item, srclang: str, kind: str, source: str, text: str,
                label: str | None = None, **facts) -> Draft:
    """Write a draft track beside the author's tracks (never over them, nor
    over a draft a person edited or approved), note it in the item's
    metadata, and rescan.

    :raises HumanWorkKept: if the draft there now is a person's work.
    :raises OSError: if the storage refuses.
    """
    storage = get_storage()
    stem = stem_of(item.file)
    name = track_name(stem, srclang, kind, source)
    key = sources.key_of(srclang, kind, source)
    data = text.encode("utf-8")
    with storage.lock(item.id):
        metadata = read_metadata(storage, stem)
        try:
            current = storage.read_bytes(name)
        except FileNotFoundError:
            current = None
        sources.check_replaceable(metadata, key, current)
        storage.write(name, data)
        sources.record_draft(metadata, key, data, **facts)
        labels = metadata.get("tracks") if isinstance(metadata.get("tracks"), dict) else {}
        if label:
            labels[key] = label
        else:
            labels.pop(key, None)
        metadata["tracks"] = labels
        write_metadata(storage, stem, metadata)
    scan.scan(storage, db.get_db())
    report = validate(text, kind=kind, duration=item.duration)
    return Draft(key, name, len(report.cues), {
        "warnings": sum(1 for p in report.problems if p.severity == "warning")})


def check_align_request(item: Item, srclang: str, kind: str) -> None:
    """Refuse an align request that cannot be made, before any work.

    :raises ScriptError: for a kind that is not speech.
    """
    if kind not in ALIGN_KINDS:
        raise ScriptError(f"A script is timed as captions or subtitles, not '{kind}'"
                          f" (kinds: {', '.join(TRACK_KINDS)}).")


def align_item(media_id: str, text: str, srclang: str | None = None, kind: str = "captions",
               progress: Progress = _quiet, **facts) -> dict:
    """Time ``text`` against the item's sound and store it as an aligned draft.

    :returns: the job result: the draft's key, cues, and the alignment's
        findings (skipped paragraphs, rough timing, interpolated words).
    :raises ScriptError: if the script cannot be used.
    :raises AudioError: if the item has no sound.
    """
    item = find_item(media_id)
    srclang = srclang or item.language
    check_align_request(item, srclang, kind)
    paragraphs = parse_script(text)
    progress(0.05, "Reading the sound")
    audio = item_audio(item)
    alignment = align(audio, paragraphs, srclang,
                      lambda f, m: progress(0.05 + 0.85 * f, m))
    if not alignment.words:
        raise ScriptError("None of the script could be timed: the sound may be silent.")
    cues = make_cues(alignment.words, item.duration or audio.duration)
    summary = alignment.summary()
    note = "Timed from a script" + (" (rough timing)" if alignment.rough else "") + "."
    label = None
    if alignment.rough:
        label = sources.default_label(srclang, kind, "aligned")[:-1] + ", rough timing)"
    progress(0.95, "Storing the draft")
    draft = store_draft(item, srclang, kind, "aligned", to_webvtt(cues, note), label,
                        rough_timing=alignment.rough, **facts)
    result = draft.result()
    result.update(summary)
    return result


def transcribe_item(media_id: str, srclang: str | None = None, progress: Progress = _quiet,
                    engine: asr.Engine | None = None, **facts) -> dict:
    """Draft captions from the item's speech in its own language.

    :returns: the job result: the draft's key, cues, words to review, engine.
    :raises LanguageRefused: for a language other than the item's, or one
        no engine here has.
    """
    item = find_item(media_id)
    engine = engine or asr.engine_from(current_app.config)
    srclang = srclang or item.language
    asr.check_language(engine, srclang, item.language)
    progress(0.05, "Reading the sound")
    audio = item_audio(item)
    heard = asr.transcribe(audio, srclang, engine,
                           lambda f: progress(0.05 + 0.85 * f, "Recognising speech"))
    if not heard.words:
        raise asr.LanguageRefused("No speech was recognised in this item's sound.")
    cues = make_cues(heard.words, item.duration or audio.duration)
    note = f"Drafted from speech by {heard.engine}; words marked review are uncertain."
    progress(0.95, "Storing the draft")
    draft = store_draft(item, srclang, "captions", "automatic", to_webvtt(cues, note),
                        engine=heard.engine, **facts)
    result = draft.result()
    result.update(engine=heard.engine, review_words=heard.review, words=len(heard.words))
    return result


__all__ = ["ALIGN_KINDS", "Draft", "align_item", "check_align_request", "has_model",
           "item_audio", "store_draft", "transcribe_item"]
