"""Audio for speech engines: 16 kHz mono 16-bit PCM decoded by ffmpeg, and
where in it someone speaks (a simple energy detector of speech and silence)."""

from __future__ import annotations

import array
import math
import subprocess
import sys
from dataclasses import dataclass

from ..errors import PlayerError

#: The rate every engine here takes.
SAMPLE_RATE = 16000
#: Frames of the speech detector, in seconds.
FRAME = 0.01


class AudioError(PlayerError):
    """The media's sound cannot be decoded."""

    status = 422
    code = "unprocessable"


def ffmpeg_exe() -> str:
    """The ffmpeg binary: the one the ``imageio-ffmpeg`` wheel ships, else
    ``ffmpeg``, found on PATH when it runs."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return "ffmpeg"


@dataclass(frozen=True)
class Audio:
    """Decoded sound: ``pcm`` is 16-bit little-endian mono at :data:`SAMPLE_RATE`."""

    pcm: bytes

    @property
    def duration(self) -> float:
        """Seconds of sound."""
        return len(self.pcm) / 2 / SAMPLE_RATE

    def slice(self, start: float, end: float) -> bytes:
        """The PCM between two times, clamped to the sound."""
        first = max(0, int(start * SAMPLE_RATE)) * 2
        last = min(len(self.pcm), int(end * SAMPLE_RATE) * 2)
        return self.pcm[first:last] if last > first else b""


def decode(source: str, data: bytes | None = None, timeout: float = 3600) -> Audio:
    """Decode the first audio stream of a media file.

    :param source: a local path or a URL ffmpeg can read.
    :param data: the file's bytes instead, piped to ffmpeg (``source`` then
        only names it in messages).
    :raises AudioError: naming ffmpeg's complaint, if the file has no
        decodable sound, or if ffmpeg is missing.
    """
    command = [ffmpeg_exe(), "-nostdin" if data is None else "-hide_banner", "-v", "error",
               "-i", source if data is None else "pipe:0", "-vn", "-ac", "1",
               "-ar", str(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    try:
        # Its own session, so Ctrl-C stops the worker first (see renditions.transcode.run).
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout,
                              check=False, start_new_session=True)
    except FileNotFoundError:
        raise AudioError("ffmpeg is needed to read the media's sound: install the"
                         " imageio-ffmpeg package or put ffmpeg on PATH.") from None
    except subprocess.TimeoutExpired:
        raise AudioError(f"Decoding the sound took longer than {timeout:.0f} s.") from None
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioError("The media has no sound that can be decoded"
                         + (f": {reason[-1]}" if reason else "."))
    return Audio(done.stdout)


def _frame_levels(audio: Audio) -> list[float]:
    """Root-mean-square level of each :data:`FRAME`, in dBFS."""
    samples = array.array("h", audio.pcm[: len(audio.pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    step = int(SAMPLE_RATE * FRAME)
    levels = []
    for first in range(0, len(samples), step):
        chunk = samples[first:first + step]
        power = sum(s * s for s in chunk) / max(1, len(chunk))
        levels.append(10 * math.log10(power / 32768.0 ** 2) if power > 0 else -120.0)
    return levels


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, in seconds."""

    start: float
    end: float


def speech_segments(audio: Audio, min_silence: float = 0.3,
                    min_speech: float = 0.1) -> list[Segment]:
    """Where someone speaks: frames well above the quietest part of the
    sound, joined across pauses shorter than ``min_silence``.

    The threshold follows the recording (its noise floor and its loudest
    speech), so a quiet room and a noisy one both work.
    """
    levels = _frame_levels(audio)
    if not levels:
        return []
    ordered = sorted(levels)
    floor = ordered[len(ordered) // 10]
    peak = ordered[min(len(ordered) - 1, len(ordered) * 98 // 100)]
    threshold = max(floor + 0.25 * (peak - floor), floor + 6.0, -60.0)
    segments: list[list[float]] = []
    for index, level in enumerate(levels):
        if level < threshold:
            continue
        start, end = index * FRAME, (index + 1) * FRAME
        if segments and start - segments[-1][1] < min_silence:
            segments[-1][1] = end
        else:
            segments.append([start, end])
    return [Segment(round(s, 2), round(e, 2)) for s, e in segments if e - s >= min_speech]
