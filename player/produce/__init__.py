"""Caption production: timing a script against the sound ("align"),
drafting captions from speech ("transcribe"), and cutting timed words into
readable cues."""

from __future__ import annotations

from .align import Alignment, align, has_model
from .audio import Audio, AudioError, decode
from .script import ScriptError, parse_script
from .segment import make_cues, to_webvtt

__all__ = ["Alignment", "Audio", "AudioError", "ScriptError", "align", "decode", "has_model",
           "make_cues", "parse_script", "to_webvtt"]
