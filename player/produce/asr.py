"""Drafting captions from speech ("transcribe"), behind one small interface.

The built-in engine is PocketSphinx's US-English model. An operator with a
better engine and a local model selects it with ``PLAYER_ASR_ENGINE``
(``whispercpp`` for whisper.cpp through ``pywhispercpp``, or
``faster-whisper``) and ``PLAYER_ASR_MODEL`` (a model file, folder or name
the engine loads). The engine is always told the item's language: none is
ever left to guess it, and a language no engine has is refused.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import PlayerError
from ..languages import language_name
from . import sphinx
from .audio import Audio
from .script import Word

Progress = Callable[[float], None]

#: Below this confidence a word is marked for review.
REVIEW_BELOW = 0.5


class LanguageRefused(PlayerError):
    """No engine here recognises the item's language."""

    status = 422
    code = "unprocessable"


@dataclass(frozen=True)
class Heard:
    """A recognised word with its times and the engine's confidence (0..1)."""

    text: str
    start: float
    end: float
    confidence: float


class Engine:
    """A speech recogniser. Subclasses set :attr:`name` and implement
    :meth:`speaks` and :meth:`recognise`."""

    name = "engine"

    def speaks(self, language: str) -> bool:
        """Whether it recognises ``language`` (a language tag)."""
        raise NotImplementedError

    def recognise(self, audio: Audio, language: str,
                  progress: Progress | None = None) -> list[Heard]:
        """The words spoken, in order, recognised as ``language``.

        :raises EngineUnavailable: if the engine or its model cannot be loaded.
        """
        raise NotImplementedError


def _base(language: str) -> str:
    return language.split("-")[0].lower()


class PocketSphinxEngine(Engine):
    """The built-in engine: US English only. Its confidence is how well a
    word's sound matched compared with the other words of the recording
    (PocketSphinx gives no posterior without a second pass)."""

    name = "pocketsphinx"

    def speaks(self, language: str) -> bool:
        return _base(language) in sphinx.LANGUAGES

    def recognise(self, audio: Audio, language: str,
                  progress: Progress | None = None) -> list[Heard]:
        words = sphinx.recognise(audio, progress)
        scores = [w.score for w in words]
        if not scores:
            return []
        middle = statistics.median(scores)
        spread = statistics.median(abs(s - middle) for s in scores) or 1.0
        return [Heard(w.word, w.start, w.end,
                      round(1 / (1 + math.exp(-(w.score - middle) / spread - 1.5)), 3))
                for w in words]


def _samples(audio: Audio):
    import numpy

    return numpy.frombuffer(audio.pcm, dtype="<i2").astype(numpy.float32) / 32768.0


class FasterWhisperEngine(Engine):
    """``faster-whisper`` with a local model (``PLAYER_ASR_MODEL``)."""

    name = "faster-whisper"

    def __init__(self, model: str) -> None:
        self.model = model

    def speaks(self, language: str) -> bool:
        # English-only Whisper models are named "*.en"; the others speak ~100 languages.
        return _base(language) == "en" or not self.model.rstrip("/").endswith(".en")

    def recognise(self, audio: Audio, language: str,
                  progress: Progress | None = None) -> list[Heard]:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise sphinx.EngineUnavailable(
                "PLAYER_ASR_ENGINE is faster-whisper but the faster-whisper package is not"
                " installed: pip install faster-whisper, or unset PLAYER_ASR_ENGINE.") from None
        model = WhisperModel(self.model, device="cpu", compute_type="int8")
        segments, _ = model.transcribe(_samples(audio), language=_base(language),
                                       word_timestamps=True)
        heard = []
        for segment in segments:
            for word in segment.words or []:
                if word.word.strip():
                    heard.append(Heard(word.word.strip(), word.start, word.end,
                                       float(word.probability)))
            if progress and audio.duration:
                progress(min(1.0, segment.end / audio.duration))
        return heard


class WhisperCppEngine(Engine):
    """whisper.cpp through ``pywhispercpp`` with a local ggml model
    (``PLAYER_ASR_MODEL``); timed by segment, words spread by length."""

    name = "whispercpp"

    def __init__(self, model: str) -> None:
        self.model = model

    def speaks(self, language: str) -> bool:
        return _base(language) == "en" or ".en." not in self.model + "."

    def recognise(self, audio: Audio, language: str,
                  progress: Progress | None = None) -> list[Heard]:
        try:
            from pywhispercpp.model import Model
        except ImportError:
            raise sphinx.EngineUnavailable(
                "PLAYER_ASR_ENGINE is whispercpp but the pywhispercpp package is not"
                " installed: pip install pywhispercpp, or unset PLAYER_ASR_ENGINE.") from None
        model = Model(self.model, language=_base(language), print_progress=False,
                      print_realtime=False)
        heard = []
        for segment in model.transcribe(_samples(audio)):
            start, end = segment.t0 / 100, segment.t1 / 100
            tokens = segment.text.split()
            total = sum(len(t) + 1 for t in tokens) or 1
            at = start
            for token in tokens:
                span = (end - start) * (len(token) + 1) / total
                heard.append(Heard(token, at, at + span, 1.0))
                at += span
            if progress and audio.duration:
                progress(min(1.0, end / audio.duration))
        return heard


#: ``PLAYER_ASR_ENGINE`` values and the engines they select.
ENGINES = {"pocketsphinx": PocketSphinxEngine, "faster-whisper": FasterWhisperEngine,
           "whispercpp": WhisperCppEngine}


def engine_from(config: dict) -> Engine:
    """The engine an app's configuration selects (``ASR_ENGINE``, ``ASR_MODEL``).

    :raises EngineUnavailable: for an unknown engine, or one without a model.
    """
    name = (config.get("ASR_ENGINE") or "pocketsphinx").strip().lower()
    if name not in ENGINES:
        raise sphinx.EngineUnavailable(
            f"PLAYER_ASR_ENGINE is '{name}'; use one of {', '.join(ENGINES)}.")
    if name == "pocketsphinx":
        return PocketSphinxEngine()
    model = config.get("ASR_MODEL")
    if not model:
        raise sphinx.EngineUnavailable(
            f"PLAYER_ASR_ENGINE is {name}, which needs PLAYER_ASR_MODEL: the path of a"
            " local model.")
    return ENGINES[name](str(model))


def check_language(engine: Engine, language: str, item_language: str) -> None:
    """Refuse to draft in any language but the item's, or one the engine lacks.

    :raises LanguageRefused: with what to do instead.
    """
    if _base(language) != _base(item_language):
        raise LanguageRefused(
            f"This item is in {language_name(item_language)} ('{item_language}'), so drafts"
            f" are made in that language only, not '{language}'. If the item's language is"
            " wrong, correct it first.")
    if not engine.speaks(language):
        raise LanguageRefused(
            f"No speech engine here recognises {language_name(language)} ('{language}'):"
            f" the {engine.name} engine does not. An operator can install one with a"
            " model for it and set PLAYER_ASR_ENGINE and PLAYER_ASR_MODEL.")


@dataclass
class Transcription:
    """Words heard, as script words (one paragraph), and how many need review."""

    words: list[Word]
    engine: str

    @property
    def review(self) -> int:
        """Words the engine was unsure of."""
        return sum(1 for w in self.words if w.review)


def transcribe(audio: Audio, language: str, engine: Engine,
               progress: Progress | None = None) -> Transcription:
    """Recognise the speech as ``language``; unsure words are marked for review.

    :raises EngineUnavailable: if the engine cannot run.
    """
    heard = engine.recognise(audio, language, progress)
    words = [Word(h.text, 0, 0, None, h.start, h.end, review=h.confidence < REVIEW_BELOW)
             for h in heard]
    return Transcription(words, engine.name)
