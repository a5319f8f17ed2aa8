"""ffmpeg, run once per item: every video rendition and the audio-only one
from one decode of the source, as HLS media playlists with fMP4 (CMAF)
segments in a work folder.

Keyframes fall on the same instants in every rendition (every
:data:`KEYFRAME_SECONDS` of source time, forced by time rather than frame
count, with scene-cut detection off), so segments of different renditions
start together and a player can switch between them at any boundary.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlayerError

#: Seconds between keyframes: two keyframes per segment, so a segment cut a
#: little late still ends on the next one, within :data:`SEGMENT_SECONDS` + 2.
KEYFRAME_SECONDS = 2
#: Target length of a segment.
SEGMENT_SECONDS = 4
#: The audio-only rendition: AAC-LC, mono (speech), 48 kHz.
AUDIO_BITRATE = 64_000
#: Lines of ffmpeg's own messages kept for a failure's message.
STDERR_LINES = 3


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: a height and the bit rates it is encoded at."""

    height: int
    bitrate: int

    @property
    def name(self) -> str:
        """Its files' prefix: ``v360``."""
        return f"v{self.height}"


#: The video ladder, lowest first. Heights above the source's are never made.
LADDER = (Rung(240, 300_000), Rung(360, 600_000), Rung(480, 1_000_000),
          Rung(720, 2_500_000), Rung(1080, 4_500_000))
#: The audio-only rendition's files' prefix.
AUDIO_NAME = "audio"


class TranscodeError(PlayerError):
    """ffmpeg could not make the renditions; the message carries its reason."""

    status = 422
    code = "transcode_failed"


def ladder_for(height: int | None) -> list[Rung]:
    """The rungs for a source ``height`` pixels high: each rung not above it,
    or, for a source lower than the lowest rung, one rung at its own height.

    >>> [r.height for r in ladder_for(720)]
    [240, 360, 480, 720]
    >>> [r.height for r in ladder_for(90)]
    [90]
    """
    if not height:
        return []
    rungs = [rung for rung in LADDER if rung.height <= height]
    if rungs:
        return rungs
    even = max(2, height - height % 2)
    return [Rung(even, max(100_000, LADDER[0].bitrate * even // LADDER[0].height))]


def find_ffmpeg(configured: str | None = None) -> str:
    """The ffmpeg to run: ``configured`` (``PLAYER_FFMPEG``), else ``ffmpeg``
    on PATH, else the binary of the ``imageio-ffmpeg`` wheel.

    :raises TranscodeError: if there is none.
    """
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise TranscodeError(
            "ffmpeg was not found: install it (e.g. apt-get install ffmpeg), pip install"
            " imageio-ffmpeg, or set PLAYER_FFMPEG to its path.") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class SourceInfo:
    """What ffmpeg reads in the source: its first video stream's size (as
    displayed, rotation applied) and whether it has audio."""

    width: int | None
    height: int | None
    has_audio: bool
    duration: float | None


_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def inspect(ffmpeg: str, source: str) -> SourceInfo:
    """Read the source's streams with ffmpeg itself (the one that will decode it).

    :raises TranscodeError: if ffmpeg cannot read it.
    """
    result = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-i", source],
                            capture_output=True, text=True, errors="replace", timeout=120)
    text = result.stderr
    if "Stream #" not in text:
        raise TranscodeError(f"ffmpeg could not read the media: {tail(text)}")
    width = height = None
    for line in text.splitlines():
        match = _VIDEO.search(line)
        if match and "attached pic" not in line and width is None:
            width, height = int(match[1]), int(match[2])
    rotation = _ROTATION.search(text)
    if rotation and width and round(abs(float(rotation[1]))) % 180 == 90:
        width, height = height, width
    duration = _DURATION.search(text)
    seconds = (int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3])
               if duration else None)
    has_audio = any(": Audio: " in line for line in text.splitlines())
    return SourceInfo(width, height, has_audio, seconds)


_POINTER = re.compile(r" @ 0x[0-9a-f]+")
#: ffmpeg's lines about its threads winding down after an error: no reason in them.
_BOILERPLATE = re.compile(r"Task finished with error code|Terminating thread with return code"
                          r"|Error sending frames to consumers")


def tail(stderr: str, lines: int = STDERR_LINES) -> str:
    """ffmpeg's reason, for a message a person reads: its first message
    lines (where the cause is) and its last one (what it gave up on), without
    object addresses or the lines of threads winding down.

    >>> tail("bad preset\\n[vf @ 0x5a] Task finished with error code: -22\\n[out @ 0x5b] gave up")
    'bad preset / [out] gave up'
    """
    kept = [_POINTER.sub("", line.strip()) for line in stderr.splitlines()
            if line.strip() and not _BOILERPLATE.search(line)]
    chosen = kept[:max(1, lines - 1)]
    if kept and kept[-1] not in chosen:
        chosen.append(kept[-1])
    text = " / ".join(chosen) or "no message"
    return text if len(text) <= 800 else text[:797] + "..."


def _hls_output(name: str, segment_seconds: int) -> list[str]:
    return ["-f", "hls", "-hls_time", str(segment_seconds), "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_flags", "independent_segments",
            "-hls_fmp4_init_filename", f"{name}-init.mp4",
            "-hls_segment_filename", f"{name}-%05d.m4s", f"{name}.m3u8"]


def command(ffmpeg: str, source: str, rungs: list[Rung], *, audio: bool, preset: str,
            segment_seconds: int = SEGMENT_SECONDS,
            keyframe_seconds: int = KEYFRAME_SECONDS) -> list[str]:
    """The ffmpeg command line that writes every rendition into the current folder."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-progress", "pipe:1", "-nostats", "-i", source]
    if rungs:
        splits = "".join(f"[s{i}]" for i in range(len(rungs)))
        scales = ";".join(f"[s{i}]scale=-2:{rung.height}[{rung.name}]"
                          for i, rung in enumerate(rungs))
        args += ["-filter_complex", f"[0:v:0]split={len(rungs)}{splits};{scales}"]
    for rung in rungs:
        args += ["-map", f"[{rung.name}]", "-an", "-sn", "-dn",
                 "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
                 "-b:v", str(rung.bitrate), "-maxrate", str(rung.bitrate * 11 // 10),
                 "-bufsize", str(rung.bitrate * 2),
                 # Keyframes by time, the same in every rendition; no scene
                 # cuts and a GOP longer than the interval, so x264 adds none.
                 "-force_key_frames", f"expr:gte(t,n_forced*{keyframe_seconds})",
                 "-sc_threshold", "0", "-g", "1000", "-keyint_min", "1000",
                 "-x264-params", "open_gop=0",
                 *_hls_output(rung.name, segment_seconds)]
    if audio:
        args += ["-map", "0:a:0", "-vn", "-sn", "-dn", "-c:a", "aac", "-profile:a", "aac_low",
                 "-ac", "1", "-ar", "48000", "-b:a", str(AUDIO_BITRATE),
                 *_hls_output(AUDIO_NAME, segment_seconds)]
    return args


_OUT_TIME = re.compile(r"out_time_(?:us|ms)=(\d+)")


def run(args: list[str], workdir: Path, *, duration: float | None,
        progress: Callable[[float], None] | None = None) -> None:
    """Run ffmpeg in ``workdir``, reporting the share of the source done.

    :raises TranscodeError: with ffmpeg's last message lines if it fails.
    """
    log_path = workdir / "ffmpeg.log"
    with open(log_path, "w+b") as log:
        # In a session of its own: Ctrl-C at the terminal stops the worker,
        # which gives the job back and stops ffmpeg itself (below), instead of
        # ffmpeg dying under the job and the job counting as failed.
        with subprocess.Popen(args, cwd=workdir, stdout=subprocess.PIPE, stderr=log,
                              stdin=subprocess.DEVNULL, text=True, errors="replace",
                              start_new_session=True) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    match = _OUT_TIME.match(line.strip())
                    if match and duration and progress is not None:
                        # out_time_ms is in microseconds too (a misnomer of ffmpeg's).
                        progress(min(1.0, int(match[1]) / 1e6 / duration))
            except BaseException:
                process.kill()
                raise
        code = process.returncode
        log.seek(0)
        stderr = log.read().decode("utf-8", "replace")
    os.unlink(log_path)
    if code != 0:
        raise TranscodeError(f"ffmpeg stopped (exit status {code}): {tail(stderr)}")
