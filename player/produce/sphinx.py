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


def _new_decoder(**config):
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise EngineUnavailable("The built-in speech engine needs the pocketsphinx package:"
                                " pip install pocketsphinx.") from None
    return Decoder(loglevel="FATAL", samprate=SAMPLE_RATE, **config)


def decoder():
    """This thread's PocketSphinx recogniser with the bundled US-English
    model (loading takes a second, so it is kept).

    :raises EngineUnavailable: if the ``pocketsphinx`` package is missing.
    """
    found = getattr(_local, "decoder", None)
    if found is None:
        # The second (flat-lexicon) pass more than doubles the time for little gain here.
        found = _local.decoder = _new_decoder(fwdflat=False)
    return found


#: Pruning beams of the aligner, narrow to wide: the default beams lose
#: every path on a word spoken unlike its dictionary entry, and wider ones
#: cost time, so a wider one is tried only when a narrower one fails.
ALIGN_BEAMS = (1e-100, 1e-160)


def aligner(beam: float):
    """This thread's PocketSphinx decoder for forced alignment with ``beam``.

    :raises EngineUnavailable: if the ``pocketsphinx`` package is missing.
    """
    cache = getattr(_local, "aligners", None)
    if cache is None:
        cache = _local.aligners = {}
    if beam not in cache:
        cache[beam] = _new_decoder(fwdflat=False, beam=beam, pbeam=beam, wbeam=beam * 1e20)
    return cache[beam]


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
                end: float | None = None) -> tuple[list[tuple[float, float]], bool]:
    """Times of ``words`` (all in the dictionary) spoken in order between
    ``start`` and ``end``, and whether all of them fit.

    When they do not, the times are of the words up to where the sound
    stopped fitting (the last of those is left out: it may have swallowed
    the rest), so the caller can see which word is the trouble.
    """
    if not words:
        return [], True
    end = audio.duration if end is None else end
    pcm = audio.slice(start, end)
    best: list[tuple[float, float]] = []
    for beam in ALIGN_BEAMS:
        timed = _align_once(aligner(beam), pcm, words, start)
        if len(timed) == len(words):
            return timed, True
        if len(timed) > len(best):
            best = timed
    return best[:-1], False


# A rough letter-to-sound table for words the dictionary lacks: the aligner
# needs some pronunciation to give their sound to, or it pushes that sound
# onto the neighbouring words. Their times are then taken from the neighbours.
_LETTER_GROUPS = {
    "tch": "CH", "ch": "CH", "sh": "SH", "th": "TH", "ph": "F", "ng": "NG", "ck": "K",
    "qu": "K W", "wh": "W", "oo": "UW", "ee": "IY", "ea": "IY", "ou": "AW", "ai": "EY",
    "ay": "EY", "oa": "OW", "ow": "OW", "oi": "OY", "au": "AO", "kh": "K",
}
_LETTERS = {
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH",
    "i": "IH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S",
    "y": "IY", "z": "Z",
}
_DIGITS = ("Z IH R OW", "W AH N", "T UW", "TH R IY", "F AO R", "F AY V", "S IH K S",
           "S EH V AH N", "EY T", "N AY N")


def guess_pronunciation(word: str) -> str:
    """A rough pronunciation of a word the dictionary lacks, letter by letter.

    >>> guess_pronunciation("okonkwo"), guess_pronunciation("42")
    ('AA K AA N K W AA', 'F AO R T UW')
    """
    text = word.lower()
    if len(text) > 3 and text.endswith("e"):
        text = text[:-1]
    phones: list[str] = []
    index = 0
    while index < len(text):
        if text[index].isdigit():
            phones.append(_DIGITS[int(text[index])])
            index += 1
            continue
        for size in (3, 2):
            if text[index:index + size] in _LETTER_GROUPS:
                phones.append(_LETTER_GROUPS[text[index:index + size]])
                index += size
                break
        else:
            if text[index] in _LETTERS:
                phones.append(_LETTERS[text[index]])
            index += 1
    return " ".join(phones)


def _align_once(dec, pcm: bytes, words: list[str], offset: float) -> list[tuple[float, float]]:
    for word in set(words):
        if dec.lookup_word(word) is None:
            dec.add_word(word, guess_pronunciation(word) or "AH", True)
    dec.set_align_text(" ".join(words))
    dec.start_utt()
    dec.process_raw(pcm, full_utt=True)
    dec.end_utt()
    timed = []
    # No segmentation at all when nothing fits; a partial one when the end did not.
    for seg in dec.seg() or ():
        word = _ALTERNATE.sub("", seg.word)
        if word in _FILLERS or word.startswith("+") or word.startswith("["):
            continue
        timed.append((round(offset + seg.start_frame / FRAME_RATE, 3),
                      round(offset + (seg.end_frame + 1) / FRAME_RATE, 3)))
    return timed
