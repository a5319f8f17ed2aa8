"""PocketSphinx, the built-in speech engine: its US-English model,
dictionary and language model ship inside the ``pocketsphinx`` wheel, so it
works offline with nothing downloaded.

Used two ways: recognition (:func:`recognise`, for drafts and to find which
parts of a script were spoken) and forced alignment (:func:`force_align`,
which times known words against the sound).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import PlayerError
from .audio import SAMPLE_RATE, Audio, speech_segments

#: PocketSphinx counts time in frames of 10 ms.
FRAME_RATE = 100
#: Languages the built-in model speaks (its model is US English).
LANGUAGES = ("en",)
# Recognition runs on stretches of speech up to this long, so memory stays
# bounded on long recordings and each stretch gets its own normalisation.
_CHUNK_SECONDS = 30.0
_ALTERNATE = re.compile(r"\(\d+\)$")
_FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "(NULL)"})


class EngineUnavailable(PlayerError):
    """A speech engine is not installed or cannot load its model."""

    status = 503
    code = "unavailable"


_local = threading.local()


def decoder():
    """This thread's PocketSphinx decoder with the bundled US-English model
    (loading takes a second, so it is kept).

    :raises EngineUnavailable: if the ``pocketsphinx`` package is missing.
    """
    found = getattr(_local, "decoder", None)
    if found is None:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise EngineUnavailable("The built-in speech engine needs the pocketsphinx package:"
                                    " pip install pocketsphinx.") from None
        # The second (flat-lexicon) pass more than doubles the time for little gain here.
        found = _local.decoder = Decoder(loglevel="FATAL", samprate=SAMPLE_RATE, fwdflat=False)
    return found


def knows(word: str) -> bool:
    """Whether the dictionary has a pronunciation of ``word`` (lower case)."""
    return decoder().lookup_word(word) is not None


@dataclass(frozen=True)
class Recognised:
    """A word recognised in the sound, its times in seconds, and how well
    its sound matched the model: the natural log of its acoustic score per
    10 ms frame (higher is better; comparable within one recording)."""

    word: str
    start: float
    end: float
    score: float


def _chunks(audio: Audio) -> list[tuple[float, float]]:
    """Stretches of speech to decode one at a time, each at most
    :data:`_CHUNK_SECONDS` unless one breath is longer."""
    chunks: list[list[float]] = []
    for seg in speech_segments(audio, min_silence=0.5):
        start, end = max(0.0, seg.start - 0.2), min(audio.duration, seg.end + 0.2)
        if chunks and end - chunks[-1][0] <= _CHUNK_SECONDS:
            chunks[-1][1] = end
        else:
            chunks.append([start, end])
    return [(s, e) for s, e in chunks]


def recognise(audio: Audio, progress: Callable[[float], None] | None = None) -> list[Recognised]:
    """Every word PocketSphinx hears, in order.

    :param progress: called with the fraction done after each stretch.
    :raises EngineUnavailable: if the engine is missing.
    """
    dec = decoder()
    words: list[Recognised] = []
    chunks = _chunks(audio)
    for number, (start, end) in enumerate(chunks, 1):
        dec.start_utt()
        dec.process_raw(audio.slice(start, end), full_utt=True)
        dec.end_utt()
        for seg in dec.seg() or ():
            word = _ALTERNATE.sub("", seg.word)
            if word in _FILLERS or word.startswith("+") or word.startswith("["):
                continue
            words.append(Recognised(
                word, round(start + seg.start_frame / FRAME_RATE, 3),
                round(start + (seg.end_frame + 1) / FRAME_RATE, 3),
                math.log(max(seg.ascore, 1e-300)) / (seg.end_frame - seg.start_frame + 1)))
        if progress:
            progress(number / len(chunks))
    return words


def force_align(audio: Audio, words: list[str], start: float = 0.0,
                end: float | None = None) -> list[tuple[float, float]] | None:
    """Times of ``words`` (all in the dictionary) spoken in order between
    ``start`` and ``end``, or ``None`` when the sound cannot be made to fit them.
    """
    if not words:
        return []
    dec = decoder()
    end = audio.duration if end is None else end
    dec.set_align_text(" ".join(words))
    try:
        dec.start_utt()
        dec.process_raw(audio.slice(start, end), full_utt=True)
        dec.end_utt()
        timed = []
        # No segmentation at all when the sound cannot be made to fit the words.
        for seg in dec.seg() or ():
            word = _ALTERNATE.sub("", seg.word)
            if word in _FILLERS or word.startswith("+") or word.startswith("["):
                continue
            timed.append((round(start + seg.start_frame / FRAME_RATE, 3),
                          round(start + (seg.end_frame + 1) / FRAME_RATE, 3)))
    finally:
        # Back to recognition with the language model for the next user.
        dec.activate_search()
    return timed if len(timed) == len(words) else None
