"""Speech with known timing for the caption-production tests and bench.

Each sentence is spoken alone by ``espeak-ng``, its leading and trailing
silence trimmed, and the sentences are laid end to end with known pauses,
so every sentence's start time is known from the synthesis, not guessed.
"""

from __future__ import annotations

import array
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

VOICE = "en-us"
WORDS_PER_MINUTE = 160
# espeak-ng's quietest speech sits well above this; below it is silence.
_SILENCE = 64


@dataclass(frozen=True)
class Spoken:
    """A sentence and where it sits in the sound, in seconds."""

    text: str
    start: float
    end: float


def _speak(text: str, path: Path) -> tuple[array.array, int]:
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(path),
                    text], check=True, capture_output=True)
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    loud = [i for i, s in enumerate(samples) if abs(s) > _SILENCE]
    return samples[loud[0]: loud[-1] + 1], rate


def speak(sentences: list[tuple[str, float]], out: Path, lead_in: float = 0.5) -> list[Spoken]:
    """Write a WAV of ``(sentence, pause after it)`` pairs; returns each
    sentence's start and end."""
    timeline: list[Spoken] = []
    samples = array.array("h")
    rate = 22050
    with tempfile.TemporaryDirectory() as work:
        at = lead_in
        pieces = []
        for number, (text, pause) in enumerate(sentences):
            spoken, rate = _speak(text, Path(work) / f"{number}.wav")
            pieces.append((spoken, pause))
        samples.extend(array.array("h", bytes(2 * round(lead_in * rate))))
        for (spoken, pause), (text, _) in zip(pieces, sentences, strict=True):
            timeline.append(Spoken(text, round(at, 3), round(at + len(spoken) / rate, 3)))
            samples.extend(spoken)
            samples.extend(array.array("h", bytes(2 * round(pause * rate))))
            at += len(spoken) / rate + round(pause * rate) / rate
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return timeline


#: A short news script: sentences and the pause after each.
NEWS = [
    ("Good evening, and welcome to the evening news.", 0.6),
    ("The river rose again overnight in the north of the valley.", 0.4),
    ("Farmers moved their animals to higher ground before dawn.", 1.5),
    ("In the city, the council approved a new budget for public transport.", 0.5),
    ("Buses will run every ten minutes from the first of March.", 1.5),
    ("Finally, the weather: a dry and sunny weekend is expected.", 0.8),
]
