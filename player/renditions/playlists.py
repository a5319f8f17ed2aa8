"""HLS playlists: the master playlist, segmented WebVTT subtitle playlists,
and the rules of Apple's HLS authoring specification that can be checked
offline, so no playlist leaves the build without passing them.

Playlists are written and read with the ``m3u8`` package.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import m3u8
from m3u8 import model

from ..captions import format_timestamp, validate

#: HLS protocol version: fMP4 segments (EXT-X-MAP outside I-frame playlists) need 7.
VERSION = 7
AUDIO_GROUP = "aud"
SUBTITLE_GROUP = "subs"
#: What captions carry beyond the words, for players that pick by need.
CAPTION_CHARACTERISTICS = ("public.accessibility.transcribes-spoken-dialog,"
                           "public.accessibility.describes-music-and-sound")
#: The X-TIMESTAMP-MAP of every WebVTT segment: the fMP4 media start at
#: presentation time 0, so cue time 0 is media time 0.
TIMESTAMP_MAP = "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"
_CODEC = re.compile(r"^(avc[13]\.[0-9a-fA-F]{6}|mp4a\.40\.\d{1,2}|mp4a\.[0-9a-fA-F]{2})$")


class PlaylistError(ValueError):
    """A playlist that breaks a rule a player relies on; the message names it."""


@dataclass
class Variant:
    """One video rendition as the master playlist lists it."""

    uri: str
    width: int
    height: int
    bandwidth: int
    average_bandwidth: int
    codecs: str
    frame_rate: float


@dataclass
class AudioRendition:
    """The audio-only rendition."""

    uri: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    language: str
    name: str


@dataclass
class SubtitleRendition:
    """One captions or subtitles track as a segmented WebVTT playlist."""

    uri: str
    language: str
    name: str
    kind: str
    default: bool = False


@dataclass
class Master:
    """Everything the master playlist lists."""

    variants: list[Variant] = field(default_factory=list)
    audio: AudioRendition | None = None
    subtitles: list[SubtitleRendition] = field(default_factory=list)


def master_playlist(master: Master) -> str:
    """The master playlist's text: video variants (each with the audio group
    and the subtitles group), then an audio-only variant.

    Each variant's ``BANDWIDTH`` and ``AVERAGE-BANDWIDTH`` include the audio
    it plays with, as the specification asks.
    """
    playlist = m3u8.M3U8()
    playlist.version = VERSION
    playlist.is_independent_segments = True
    audio = master.audio
    subtitles = bool(master.subtitles)
    if audio is not None and master.variants:
        playlist.add_media(model.Media(
            uri=audio.uri, type="AUDIO", group_id=AUDIO_GROUP, language=audio.language,
            name=audio.name, default="YES", autoselect="YES", channels="1"))
    for sub in master.subtitles:
        playlist.add_media(model.Media(
            uri=sub.uri, type="SUBTITLES", group_id=SUBTITLE_GROUP, language=sub.language,
            name=sub.name, default="YES" if sub.default else "NO", autoselect="YES",
            forced="NO",
            characteristics=CAPTION_CHARACTERISTICS if sub.kind == "captions" else None))
    audio_bandwidth = audio.bandwidth if audio else 0
    audio_average = audio.average_bandwidth if audio else 0
    for variant in master.variants:
        info = {
            "bandwidth": variant.bandwidth + audio_bandwidth,
            "average_bandwidth": variant.average_bandwidth + audio_average,
            "codecs": ",".join([variant.codecs, *([audio.codecs] if audio else [])]),
            "resolution": f"{variant.width}x{variant.height}",
            "frame_rate": round(variant.frame_rate, 3),
            "closed_captions": "NONE",
        }
        if audio is not None:
            info["audio"] = AUDIO_GROUP
        if subtitles:
            info["subtitles"] = SUBTITLE_GROUP
        playlist.add_playlist(model.Playlist(variant.uri, info, playlist.media, ""))
    if audio is not None:
        # RFC 8216 4.3.4.2: once one variant says CLOSED-CAPTIONS=NONE, every one must.
        info = {"bandwidth": audio.bandwidth, "average_bandwidth": audio.average_bandwidth,
                "codecs": audio.codecs, "closed_captions": "NONE"}
        if subtitles:
            info["subtitles"] = SUBTITLE_GROUP
        playlist.add_playlist(model.Playlist(audio.uri, info, playlist.media, ""))
    return playlist.dumps()


# -- segmented WebVTT -----------------------------------------------------------------------

def webvtt_segments(data: bytes, kind: str, boundaries: list[float],
                    duration: float) -> list[str]:
    """A track cut into WebVTT segments, one per media segment: segment
    ``n`` covers ``boundaries[n]`` to the next boundary (the last to
    ``duration``) and holds every cue showing then, so a cue that spans a
    boundary is in both segments, with its own times.

    Each segment starts with the ``X-TIMESTAMP-MAP`` header that ties cue
    times to the media's timeline.
    """
    cues = validate(data, kind=kind).cues
    ends = [*boundaries[1:], max(duration, boundaries[-1] if boundaries else 0.0)]
    segments = []
    for start, end in zip(boundaries, ends, strict=True):
        blocks = [f"WEBVTT\n{TIMESTAMP_MAP}\n"]
        for cue in cues:
            if cue.start < end and cue.end > start:
                timing = f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}"
                if cue.settings:
                    timing += f" {cue.settings}"
                identifier = f"{cue.identifier}\n" if cue.identifier else ""
                blocks.append(f"{identifier}{timing}\n{cue.raw_text}\n")
        segments.append("\n".join(blocks))
    return segments


def media_playlist(uris: list[str], durations: list[float]) -> str:
    """A VOD media playlist of whole-file segments (the WebVTT ones)."""
    playlist = m3u8.M3U8()
    playlist.version = VERSION
    playlist.target_duration = max((round(d) for d in durations), default=1) or 1
    playlist.playlist_type = "vod"
    playlist.is_endlist = True
    playlist.media_sequence = 0
    for uri, duration in zip(uris, durations, strict=True):
        playlist.add_segment(model.Segment(uri=uri, duration=round(duration, 6)))
    return playlist.dumps()


# -- the rules checked offline --------------------------------------------------------------

def check_media_playlist(text: str, name: str = "playlist", *, fmp4: bool = True,
                         longest: float | None = None) -> m3u8.M3U8:
    """Parse a media playlist and check the rules a player relies on.

    - ``EXT-X-TARGETDURATION`` is at least every segment's duration rounded
      to the nearest integer;
    - a VOD playlist: ``EXT-X-PLAYLIST-TYPE:VOD`` and ``EXT-X-ENDLIST``;
    - fMP4 segments have their ``EXT-X-MAP`` and ``EXT-X-VERSION`` 7 or more
      (6 for any ``EXT-X-MAP``);
    - with ``longest``, no segment but the last is longer than that.

    :returns: the parsed playlist.
    :raises PlaylistError: naming the playlist and the rule broken.
    """
    playlist = m3u8.loads(text)
    if playlist.is_variant:
        raise PlaylistError(f"{name}: a master playlist where a media playlist belongs")
    segments = playlist.segments
    if not segments:
        raise PlaylistError(f"{name}: no segments")
    target = playlist.target_duration
    if target is None:
        raise PlaylistError(f"{name}: no EXT-X-TARGETDURATION")
    for number, segment in enumerate(segments):
        if round(segment.duration) > target:
            raise PlaylistError(f"{name}: segment {number} ({segment.duration:.3f} s) is longer"
                                f" than EXT-X-TARGETDURATION:{target}")
        if (longest is not None and number < len(segments) - 1
                and segment.duration > longest + 0.05):
            raise PlaylistError(f"{name}: segment {number} lasts {segment.duration:.3f} s,"
                                f" more than {longest} s")
    if (playlist.playlist_type or "").upper() != "VOD" or not playlist.is_endlist:
        raise PlaylistError(f"{name}: not marked EXT-X-PLAYLIST-TYPE:VOD with EXT-X-ENDLIST")
    version = int(playlist.version or 1)
    if fmp4:
        if not segments[0].init_section:
            raise PlaylistError(f"{name}: fMP4 segments without EXT-X-MAP")
        if version < VERSION:
            raise PlaylistError(f"{name}: EXT-X-VERSION:{version}; fMP4 needs {VERSION}")
    return playlist


def check_master_playlist(text: str, media: dict[str, str] | None = None) -> m3u8.M3U8:
    """Parse the master playlist and check the rules a player relies on.

    - ``EXT-X-INDEPENDENT-SEGMENTS`` and ``EXT-X-VERSION``;
    - every variant has ``BANDWIDTH``, ``AVERAGE-BANDWIDTH`` (not above it)
      and ``CODECS`` of RFC 6381 strings; video variants ``RESOLUTION`` and
      ``FRAME-RATE``;
    - the ``AUDIO`` and ``SUBTITLES`` groups a variant names exist, with
      one ``DEFAULT=YES`` at most each, whose ``AUTOSELECT`` is ``YES``;
    - with ``media`` (playlist URI → text), every URI it lists is there.

    :returns: the parsed playlist.
    :raises PlaylistError: naming the rule broken.
    """
    playlist = m3u8.loads(text)
    if not playlist.is_variant:
        raise PlaylistError("master: not a master playlist (no EXT-X-STREAM-INF)")
    if not playlist.is_independent_segments:
        raise PlaylistError("master: no EXT-X-INDEPENDENT-SEGMENTS")
    if not playlist.version:
        raise PlaylistError("master: no EXT-X-VERSION")
    groups: dict[tuple[str, str], list] = {}
    for rendition in playlist.media:
        groups.setdefault((rendition.type, rendition.group_id), []).append(rendition)
        if rendition.default == "YES" and rendition.autoselect != "YES":
            raise PlaylistError(f"master: {rendition.name}: DEFAULT=YES needs AUTOSELECT=YES")
    for (kind, group), members in groups.items():
        if sum(1 for m in members if m.default == "YES") > 1:
            raise PlaylistError(f"master: {kind} group {group} has more than one DEFAULT=YES")
        if len({m.name for m in members}) != len(members):
            raise PlaylistError(f"master: {kind} group {group} repeats a NAME")
    for variant in playlist.playlists:
        info = variant.stream_info
        where = f"master: variant {variant.uri}"
        if not info.bandwidth or not info.average_bandwidth:
            raise PlaylistError(f"{where}: needs BANDWIDTH and AVERAGE-BANDWIDTH")
        if info.average_bandwidth > info.bandwidth:
            raise PlaylistError(f"{where}: AVERAGE-BANDWIDTH above BANDWIDTH")
        codecs = (info.codecs or "").split(",")
        if not info.codecs or not all(_CODEC.match(c) for c in codecs):
            raise PlaylistError(f"{where}: CODECS={info.codecs!r} is not a list of RFC 6381"
                                " codec strings")
        if any(c.startswith(("avc1", "avc3")) for c in codecs):
            if not info.resolution or not info.frame_rate:
                raise PlaylistError(f"{where}: a video variant needs RESOLUTION and FRAME-RATE")
        for kind, group in (("AUDIO", info.audio), ("SUBTITLES", info.subtitles)):
            if group and (kind, group) not in groups:
                raise PlaylistError(f"{where}: names {kind} group {group}, which is not there")
    if media is not None:
        uris = [v.uri for v in playlist.playlists] + [m.uri for m in playlist.media if m.uri]
        for uri in uris:
            if uri not in media:
                raise PlaylistError(f"master: lists {uri}, which was not written")
    return playlist


def measured_bandwidth(sizes: list[int], durations: list[float]) -> tuple[int, int]:
    """Peak and average bits per second of a rendition's segments (the init
    segment's bytes are counted with the first), rounded up.

    >>> measured_bandwidth([1000, 500], [4.0, 2.0])
    (2000, 2000)
    """
    peak = max(math.ceil(size * 8 / d) for size, d in zip(sizes, durations, strict=True) if d)
    average = math.ceil(sum(sizes) * 8 / sum(durations))
    return peak, average
