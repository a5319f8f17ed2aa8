"""Small media files made by ffmpeg for the tests, cached by name.

Every test that needs real audio or video asks :func:`make_media` for it by
name, with a session-scoped folder, so a test session encodes each file once.
Files are tiny (160x90, 3 s unless the name says otherwise, low bitrates), so
each takes well under a second to make.

:data:`GOOD` names playable media: one per container and codec pair the
player supports, plus the awkward cases (``mp4_video_longer``: 4 s of video,
1 s of audio; ``webm_live``: written to a pipe, so no duration in its header).
:data:`BAD` names hold the defect they are named after: ``text_as_mp4`` is
text with an .mp4 name, ``truncated_mp4`` is the first half of a normal MP4
(whose 'moov' box comes last), and so on.

:func:`ffmpeg_duration` is ffmpeg's own answer, to compare probing against.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg

_VIDEO = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:duration={video}"]
_AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration={audio}"]
_H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt", "yuv420p"]
_AAC = ["-c:a", "aac", "-b:a", "32k"]
_VP8 = ["-c:v", "libvpx", "-b:v", "50k", "-deadline", "realtime", "-cpu-used", "8"]
_VP9 = ["-c:v", "libvpx-vp9", "-b:v", "50k", "-deadline", "realtime", "-cpu-used", "8"]
_OPUS = ["-c:a", "libopus", "-b:a", "24k"]
_VORBIS = ["-c:a", "libvorbis", "-q:a", "0"]

# name -> (file suffix, ffmpeg arguments up to the output file).
# Inputs are listed first; "{video}" and "{audio}" are their lengths in seconds.
_RECIPES: dict[str, tuple[str, list[str]]] = {
    "mp4": (".mp4", [*_VIDEO, *_AUDIO, *_H264, *_AAC]),
    "mp4_faststart": (".mp4", [*_VIDEO, *_AUDIO, *_H264, *_AAC,
                                            "-movflags", "+faststart"]),
    "mp4_fragmented": (".mp4", [*_VIDEO, *_AUDIO, *_H264, *_AAC,
                                              "-movflags", "frag_keyframe+empty_moov",
                                              "-g", "15"]),
    "mp4_video_longer": (".mp4", [*_VIDEO, *_AUDIO, *_H264, *_AAC]),
    "mp4_video_only": (".mp4", [*_VIDEO, *_H264]),
    "mp4_rotated": (".mp4", ["-display_rotation", "90", *_VIDEO, *_H264]),
    "m4a": (".m4a", [*_AUDIO, *_AAC]),
    "webm_vp8_vorbis": (".webm", [*_VIDEO, *_AUDIO, *_VP8, *_VORBIS]),
    "webm_vp9_opus": (".webm", [*_VIDEO, *_AUDIO, *_VP9, *_OPUS]),
    "webm_audio_opus": (".webm", [*_AUDIO, *_OPUS]),
    "mkv": (".mkv", [*_VIDEO, *_AUDIO, *_H264, *_AAC]),
    "mka": (".mka", [*_AUDIO, *_VORBIS]),
    "mp3": (".mp3", [*_AUDIO, "-c:a", "libmp3lame", "-b:a", "32k"]),
    "ogg_vorbis": (".ogg", [*_AUDIO, *_VORBIS]),
    "opus": (".opus", [*_AUDIO, *_OPUS]),
    "flac": (".flac", [*_AUDIO, "-c:a", "flac", "-ar", "8000"]),
    "wav": (".wav", [*_AUDIO, "-c:a", "pcm_s16le", "-ar", "8000"]),
}

# Lengths in seconds of the video and audio inputs; 3 s unless named here.
_LENGTHS: dict[str, tuple[float, float]] = {"mp4_video_longer": (4, 1)}

def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by the ``imageio-ffmpeg`` wheel."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
        check=True, capture_output=True, timeout=120, **kwargs,
    )


def _ffmpeg_args(name: str, recipe: list[str]) -> list[str]:
    video, audio = _LENGTHS.get(name, (3, 3))
    return [arg.format(video=video, audio=audio) for arg in recipe]


def _live_webm(dest_dir: Path) -> bytes:
    """A WebM written to a pipe, as a live recorder would: no Duration, no Cues,
    and a Segment of unknown size."""
    args = _ffmpeg_args("webm_live", [*_VIDEO, *_AUDIO, *_VP8, *_OPUS])
    return _run(["-loglevel", "error", *args, "-f", "webm", "pipe:1"]).stdout


def _read_vint(data: bytes, pos: int) -> tuple[int, int]:
    length = 9 - data[pos].bit_length()
    value = int.from_bytes(data[pos:pos + length], "big") & ((1 << (7 * length)) - 1)
    return value, length


def _live_webm_unknown_clusters(dest_dir: Path) -> bytes:
    """The live WebM with every Cluster's size rewritten as "unknown", as
    browsers' MediaRecorder writes them.

    ffmpeg's Clusters follow each other from the first one to the end of the
    file, so walking them by size is exact.
    """
    data = make_media("webm_live", dest_dir).read_bytes()
    out = bytearray(data)
    pos = data.index(b"\x1f\x43\xb6\x75")
    while pos < len(data):
        size, length = _read_vint(data, pos + 4)
        # An all-ones value of the same width means "unknown size" in EBML.
        out[pos + 4:pos + 4 + length] = ((1 << (7 * length + 1)) - 1).to_bytes(length, "big")
        pos += 4 + length + size
    return bytes(out)


def _png(dest_dir: Path) -> bytes:
    return _run(["-loglevel", "error", "-f", "lavfi", "-i", "color=c=blue:size=32x32",
                 "-frames:v", "1", "-c:v", "png", "-f", "image2pipe", "pipe:1"]).stdout


def _first_half(name: str):
    def make(dest_dir: Path) -> bytes:
        data = make_media(name, dest_dir).read_bytes()
        return data[: len(data) // 2]
    return make


def _mp4_header_garbage(dest_dir: Path) -> bytes:
    data = make_media("mp4", dest_dir).read_bytes()
    ftyp_size = int.from_bytes(data[:4], "big")
    return data[:ftyp_size] + random.Random(1234).randbytes(64 * 1024)


# name -> (file suffix, function of the cache folder returning the content).
_OTHERS = {
    "webm_live": (".webm", _live_webm),
    "webm_live_unknown_clusters": (".webm", _live_webm_unknown_clusters),
    "text_as_mp4": (".mp4", lambda _: b"This is a plain text file someone renamed to .mp4.\n" * 20),
    "png": (".png", _png),
    "empty": (".mp4", lambda _: b""),
    "truncated_mp4": (".mp4", _first_half("mp4")),
    "truncated_webm": (".webm", _first_half("webm_vp9_opus")),
    "mp4_header_garbage": (".mp4", _mp4_header_garbage),
}

#: Names :func:`make_media` accepts that are valid, playable media.
GOOD = (*_RECIPES, "webm_live", "webm_live_unknown_clusters")
#: Names :func:`make_media` accepts whose content is deliberately not playable.
BAD = tuple(name for name in _OTHERS if name not in GOOD)


def make_media(name: str, dest_dir: Path) -> Path:
    """Return the path of the test file called ``name`` in ``dest_dir``,
    making it first if it is not there yet.

    :param name: one of :data:`GOOD` or :data:`BAD`.
    :param dest_dir: cache folder, typically session-scoped.
    :raises ValueError: if ``name`` is unknown.
    """
    if name in _RECIPES:
        suffix = _RECIPES[name][0]
    elif name in _OTHERS:
        suffix = _OTHERS[name][0]
    else:
        raise ValueError(f"unknown test media name {name!r}")
    dest = Path(dest_dir) / (name + suffix)
    if dest.exists():
        return dest
    # Made under a temporary name and renamed, so a half-made file is never
    # mistaken for a cached one.
    tmp = dest.with_name(f".{os.getpid()}.{dest.name}")
    if name in _RECIPES:
        args = _ffmpeg_args(name, _RECIPES[name][1])
        _run(["-loglevel", "error", "-y", *args, "-bitexact", str(tmp)])
    else:
        tmp.write_bytes(_OTHERS[name][1](dest_dir))
    tmp.replace(dest)
    return dest


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def ffmpeg_duration(path: str | os.PathLike) -> float:
    """Duration of ``path`` as ffmpeg's demuxer reports it (``Duration:`` line).

    :raises ValueError: if ffmpeg reports none (``Duration: N/A``).
    """
    # ffmpeg exits with an error when given no output; the header is printed first.
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, timeout=60)
    match = _DURATION.search(proc.stderr)
    if match is None:
        raise ValueError(f"ffmpeg reports no duration for {path}")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def decoded_duration(path: str | os.PathLike) -> float:
    """Duration of ``path`` measured by decoding it all, for files whose
    header has none (live-written WebM)."""
    proc = _run(["-loglevel", "error", "-i", str(path), "-f", "null", "-progress", "pipe:1",
                 "-nostats", "-"], text=True)
    times = re.findall(r"^out_time_us=(\d+)$", proc.stdout, re.MULTILINE)
    return int(times[-1]) / 1e6
