"""Making an item's renditions and storing them beside the library.

An item's renditions live in two folders of the storage's
``.renditions/ITEM/`` (see :mod:`player.library.nested`), each written
whole under a new name before anything points at it, so players only ever
see a complete set:

- ``m-XXXXXXXXXXXX/``: the media: a playlist, an init segment and media
  segments for each video rendition (``v360.m3u8``, ``v360-init.mp4``,
  ``v360-00000.m4s``...) and for the audio-only one (``audio...``);
- ``t-XXXXXXXXXXXX/``: the master playlist and a segmented WebVTT playlist
  per captions and subtitles track, remade alone when a track changes.

Segments never change once written (a new build gets new folders), so they
can be cached for a year; playlists are cached briefly.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..languages import language_name
from ..library.nested import nested, put
from ..library.storage import Storage
from . import mp4, playlists, transcode
from .record import MASTER, subtitle_tracks
from .transcode import AUDIO_NAME, TranscodeError

if TYPE_CHECKING:
    from ..library.item import Item

#: Cache-Control of segments (never rewritten) and of playlists.
IMMUTABLE = "public, max-age=31536000, immutable"
PLAYLIST_CACHE = "public, max-age=10"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
#: Seconds a presigned URL of the source stays valid for ffmpeg to read it.
SOURCE_URL_SECONDS = 6 * 3600


def content_type(name: str) -> str:
    """The Content-Type of a rendition file, by its name.

    >>> content_type("audio-00001.m4s"), content_type("v360.m3u8")
    ('audio/mp4', 'application/vnd.apple.mpegurl')
    """
    if name.endswith(".m3u8"):
        return PLAYLIST_TYPE
    if name.endswith(".vtt"):
        return "text/vtt; charset=utf-8"
    return "audio/mp4" if name.startswith(AUDIO_NAME) else "video/mp4"


def cache_control(name: str) -> str:
    """How long a cache may keep a rendition file: playlists briefly, the rest a year."""
    return PLAYLIST_CACHE if name.endswith(".m3u8") else IMMUTABLE


def new_version(prefix: str) -> str:
    """A fresh folder name: ``m-`` or ``t-`` and 12 hex digits."""
    return f"{prefix}-{secrets.token_hex(6)}"


def is_version(name: str) -> bool:
    """Whether ``name`` is a folder name :func:`new_version` makes.

    >>> is_version("m-0123456789ab"), is_version("../x")
    (True, False)
    """
    return (len(name) == 14 and name[0] in "mt" and name[1] == "-"
            and all(c in "0123456789abcdef" for c in name[2:]))


@dataclass
class _Output:
    name: str
    playlist: str
    init: bytes
    segments: list[tuple[str, bytes]]
    durations: list[float]


def _read_output(work: Path, name: str) -> _Output:
    text = (work / f"{name}.m3u8").read_text(encoding="utf-8")
    parsed = playlists.check_media_playlist(
        text, f"{name}.m3u8",
        longest=transcode.SEGMENT_SECONDS + transcode.KEYFRAME_SECONDS)
    init_uri = parsed.segments[0].init_section.uri
    segments = [(s.uri, (work / s.uri).read_bytes()) for s in parsed.segments]
    return _Output(name, text, (work / init_uri).read_bytes(), segments,
                   [float(s.duration) for s in parsed.segments])


def build_media(storage: Storage, item: Item, *, ffmpeg: str, preset: str,
                progress: Callable[[float], None] | None = None) -> dict:
    """Transcode the item's media file and store the result in a new
    ``m-`` folder.

    :returns: the media part of the item's rendition record: ``media`` (the
        folder), ``video`` (each rendition's height, width, bandwidth,
        average_bandwidth, codecs, frame_rate, playlist), ``audio`` (or
        ``None``), ``boundaries`` (segment start times) and ``duration``.
    :raises TranscodeError: with ffmpeg's reason when it fails.
    :raises OSError: if the storage refuses.
    """
    source = storage.local_path(item.file) or storage.url_for_client(
        item.file, SOURCE_URL_SECONDS)
    if source is None:
        raise TranscodeError("this storage gives ffmpeg no way to read the media file")
    info = transcode.inspect(ffmpeg, source)
    rungs = transcode.ladder_for(info.height) if item.kind == "video" else []
    if not rungs and not info.has_audio:
        raise TranscodeError("the media has neither a video nor an audio stream to stream")
    duration = info.duration or item.duration
    with tempfile.TemporaryDirectory(prefix="player-renditions-") as folder:
        work = Path(folder)
        transcode.run(transcode.command(ffmpeg, source, rungs, audio=info.has_audio,
                                        preset=preset),
                      work, duration=duration, progress=progress)
        outputs = [_read_output(work, rung.name) for rung in rungs]
        audio_output = _read_output(work, AUDIO_NAME) if info.has_audio else None
        version = new_version("m")
        target = nested(storage, item.id, version, create=True)
        if target is None:
            raise TranscodeError("this storage cannot keep renditions")
        video = []
        for rung, output in zip(rungs, outputs, strict=True):
            video.append(_describe(output, rung=rung))
            _store(target, output)
        audio = None
        if audio_output is not None:
            audio = _describe(audio_output)
            _store(target, audio_output)
    reference = outputs[0] if outputs else audio_output
    assert reference is not None
    starts = [0.0]
    for d in reference.durations[:-1]:
        starts.append(round(starts[-1] + d, 6))
    return {"media": version, "video": video, "audio": audio, "boundaries": starts,
            "duration": round(sum(reference.durations), 6)}


def _describe(output: _Output, rung: transcode.Rung | None = None) -> dict:
    sizes = [len(data) for _, data in output.segments]
    sizes[0] += len(output.init)
    peak, average = playlists.measured_bandwidth(sizes, output.durations)
    described = {"playlist": f"{output.name}.m3u8", "codecs": mp4.codec_string(output.init),
                 "bandwidth": peak, "average_bandwidth": average}
    if rung is None:
        return described
    frames = sum(mp4.fragment(data, output.init).samples for _, data in output.segments)
    width = _width(output.init)
    described.update(height=rung.height, width=width,
                     frame_rate=round(frames / sum(output.durations), 3))
    return described


def _width(init: bytes) -> int:
    tkhd = mp4.find(init, [b"moov", b"trak", b"tkhd"])
    if not tkhd:
        raise mp4.BoxError("no track header (tkhd)")
    body, stop = tkhd[0]
    # The width is a 16.16 fixed-point number 8 bytes before the end.
    return int.from_bytes(init[stop - 8:stop - 6], "big")


def _store(target: Storage, output: _Output) -> None:
    init_name = f"{output.name}-init.mp4"
    put(target, init_name, output.init, content_type=content_type(init_name),
        cache_control=IMMUTABLE)
    for name, data in output.segments:
        put(target, name, data, content_type=content_type(name), cache_control=IMMUTABLE)
    put(target, f"{output.name}.m3u8", output.playlist.encode("utf-8"),
        content_type=PLAYLIST_TYPE, cache_control=PLAYLIST_CACHE)


# -- the master playlist and the captions in the stream -------------------------------------

def build_text(storage: Storage, item: Item, media: dict) -> str:
    """Write the master playlist and the item's segmented WebVTT tracks in
    a new ``t-`` folder, over the media folder ``media`` names.

    :returns: the new folder's name.
    :raises PlaylistError: if the master playlist would break a rule.
    :raises OSError: if the storage refuses.
    """
    version = new_version("t")
    target = nested(storage, item.id, version, create=True)
    if target is None:
        raise TranscodeError("this storage cannot keep renditions")
    up = f"../{media['media']}/"
    master = playlists.Master()
    for video in media["video"]:
        master.variants.append(playlists.Variant(
            up + video["playlist"], video["width"], video["height"], video["bandwidth"],
            video["average_bandwidth"], video["codecs"], video["frame_rate"]))
    audio = media.get("audio")
    language = item.language or "und"
    if audio:
        master.audio = playlists.AudioRendition(
            up + audio["playlist"], audio["bandwidth"], audio["average_bandwidth"],
            audio["codecs"], language, language_name(language) if language != "und" else "Main")
    boundaries, duration = media["boundaries"], media["duration"]
    durations = [b - a for a, b in zip(boundaries, [*boundaries[1:], duration], strict=True)]
    names_taken: set[str] = set()
    for number, track in enumerate(subtitle_tracks(item)):
        data = storage.read_bytes(track.file)
        base = f"{track.srclang}-{track.kind}".replace("/", "-")
        segments = playlists.webvtt_segments(data, track.kind, boundaries, duration)
        uris = [f"{base}-{n:05d}.vtt" for n in range(len(segments))]
        for uri, text in zip(uris, segments, strict=True):
            put(target, uri, text.encode("utf-8"), content_type=content_type(uri),
                cache_control=IMMUTABLE)
        put(target, f"{base}.m3u8", playlists.media_playlist(uris, durations).encode("utf-8"),
            content_type=PLAYLIST_TYPE, cache_control=PLAYLIST_CACHE)
        name = track.label
        if name in names_taken:
            name = f"{name} ({track.kind}, {track.srclang})"
        names_taken.add(name)
        master.subtitles.append(playlists.SubtitleRendition(
            f"{base}.m3u8", track.srclang, name, track.kind, default=number == 0))
    text = playlists.master_playlist(master)
    playlists.check_master_playlist(text)
    put(target, MASTER, text.encode("utf-8"), content_type=PLAYLIST_TYPE,
        cache_control=PLAYLIST_CACHE)
    return version
