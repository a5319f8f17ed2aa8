"""Readers for the headers of MP4 and Matroska/WebM files, which mutagen
cannot read well: its MP4 length is that of the first audio track (wrong for
a video that outlasts its audio, absent for a silent video) and it cannot
read Matroska at all, while the pure-Python Matroska readers on PyPI either
stop at the unknown-size Segment that live recorders (browsers'
MediaRecorder) write, or leave the cluster walk needed for such files'
duration to the caller.

:mod:`player.library.probe` decides which reader a file needs; the readers
raise :class:`Invalid` with a reason for a person.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass(frozen=True)
class ProbeResult:
    """What probing learned about one media file."""

    #: ``"video"`` if the file has a video track, else ``"audio"``.
    kind: str
    #: Content-Type to serve the file with.
    mime: str
    #: Length in seconds, or ``None`` if the file does not say.
    duration: float | None
    #: ``"mp4"``, ``"webm"``, ``"matroska"``, ``"mp3"``, ``"ogg"``, ``"flac"`` or ``"wav"``.
    container: str
    #: Display size of the first video track, in pixels, after rotation.
    width: int | None = None
    height: int | None = None


#: Content-Type by container and kind.
MIME = {
    ("mp4", "video"): "video/mp4",
    ("mp4", "audio"): "audio/mp4",
    ("webm", "video"): "video/webm",
    ("webm", "audio"): "audio/webm",
    ("matroska", "video"): "video/x-matroska",
    ("matroska", "audio"): "audio/x-matroska",
    ("mp3", "audio"): "audio/mpeg",
    ("ogg", "video"): "video/ogg",
    ("ogg", "audio"): "audio/ogg",
    ("flac", "audio"): "audio/flac",
    ("wav", "audio"): "audio/wav",
}

#: Container names for people, as messages use them.
LABEL = {"mp4": "MP4", "webm": "WebM", "matroska": "Matroska", "mp3": "MP3", "ogg": "Ogg",
         "flac": "FLAC", "wav": "WAV"}

# Header boxes and elements are read whole; these caps keep a corrupt size
# field from asking for gigabytes of memory.
_MAX_MOOV = 256 * 1024 * 1024
_MAX_ELEMENT = 64 * 1024 * 1024


class Invalid(Exception):
    """Raised inside the parsers, which do not know the path;
    :func:`player.library.probe.probe` turns it into a ``ProbeError``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Malformed(Exception):
    """Bad EBML, raised by the low-level readers; the Matroska prober turns it
    into a reason that names the container."""


class _CutShort(_Malformed):
    """The data ends inside an element header."""


def ebml_doc_type(head: bytes) -> str:
    """The DocType of an EBML header (``"webm"``, ``"matroska"``, ...) from a file's first bytes."""
    try:
        _, size, header_len = _element_header(head, 0)
        end = min(len(head), header_len + (size or 0))
        for element_id, start, stop in _children(head, header_len, end, lenient=True):
            if element_id == _DOC_TYPE:
                return head[start:stop].rstrip(b"\0").decode("ascii")
    except (_Malformed, UnicodeDecodeError):
        pass
    # The default DocType, per the EBML specification.
    return "matroska"


# -- MP4 (ISO base media) ------------------------------------------------------


@dataclass
class _Mp4Track:
    track_id: int = 0
    handler: bytes = b""
    tkhd_duration: int = 0
    media_timescale: int = 0
    media_duration: int = 0
    width: int = 0
    height: int = 0
    rotated: bool = False
    default_sample_duration: int = 0


def _is_box_type(kind: bytes) -> bool:
    return all(0x20 <= byte <= 0x7E for byte in kind)


def _top_level_boxes(f: BinaryIO, size: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, payload_offset, end_offset)`` for each top-level box,
    stopping after the first that ends past the end of the file."""
    pos = 0
    while pos < size:
        if size - pos < 8:
            raise Invalid(f"the MP4 file is damaged: it ends with {size - pos} stray bytes")
        f.seek(pos)
        header = f.read(16)
        box_size, kind = struct.unpack_from(">I4s", header)
        header_len = 8
        if not _is_box_type(kind):
            raise Invalid(f"the MP4 file is damaged: unreadable data at byte {pos}")
        if box_size == 1:
            if len(header) < 16:
                raise Invalid("the MP4 file is truncated")
            box_size = struct.unpack_from(">Q", header, 8)[0]
            header_len = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < header_len:
            raise Invalid(f"the MP4 file is damaged: the '{_name(kind)}' box at byte {pos} "
                           "has an impossible size")
        # A box running past the end is still yielded: the caller says what
        # is missing.
        yield kind, pos + header_len, pos + box_size
        pos += box_size


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, payload_offset, end_offset)`` for the boxes in ``data[start:end]``."""
    pos = start
    # QuickTime may end a list of boxes with a 4-byte zero terminator.
    while end - pos >= 8:
        box_size, kind = struct.unpack_from(">I4s", data, pos)
        header_len = 8
        if box_size == 1:
            if end - pos < 16:
                break
            box_size = struct.unpack_from(">Q", data, pos + 8)[0]
            header_len = 16
        elif box_size == 0:
            box_size = end - pos
        if box_size < header_len or pos + box_size > end:
            raise Invalid(f"the MP4 file is damaged: the '{_name(kind)}' box "
                           "does not fit in its parent")
        yield kind, pos + header_len, pos + box_size
        pos += box_size


def _name(kind: bytes) -> str:
    return kind.decode("latin-1")


def _unpack(fmt: str, data: bytes, offset: int, end: int) -> tuple:
    if offset + struct.calcsize(fmt) > end:
        raise Invalid("the MP4 file is damaged: a header box is too short")
    return struct.unpack_from(fmt, data, offset)


def _versioned_times(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Read ``(timescale, duration)`` from an 'mvhd' or 'mdhd' box payload;
    a duration of "unknown" (all ones) reads as 0."""
    version = _unpack(">B", data, start, end)[0]
    if version == 1:
        timescale, duration = _unpack(">IQ", data, start + 20, end)
        unknown = 0xFFFFFFFFFFFFFFFF
    else:
        timescale, duration = _unpack(">II", data, start + 12, end)
        unknown = 0xFFFFFFFF
    return timescale, 0 if duration == unknown else duration


def probe_mp4(f: BinaryIO, size: int) -> ProbeResult:
    """Read an MP4 file's kind, duration and picture size from its boxes.

    :raises Invalid: if the file is damaged or truncated.
    """
    moov: bytes | None = None
    fragments: list[bytes] = []
    cut_box: bytes | None = None
    for kind, start, end in _top_level_boxes(f, size):
        if end > size:
            cut_box = kind
        elif kind == b"moov":
            if end - start > _MAX_MOOV:
                raise Invalid("the MP4 file's 'moov' box is too large to read")
            f.seek(start)
            moov = f.read(end - start)
        elif kind == b"moof":
            if end - start > _MAX_ELEMENT:
                raise Invalid("the MP4 file's 'moof' box is too large to read")
            f.seek(start)
            fragments.append(f.read(end - start))
    if moov is None:
        if cut_box is None:
            raise Invalid("the MP4 file is damaged: the 'moov' box is missing")
        raise Invalid("the MP4 file is truncated: the 'moov' box is missing")
    if cut_box is not None:
        raise Invalid(f"the MP4 file is truncated: the '{_name(cut_box)}' box "
                       "runs past the end of the file")

    movie_timescale = movie_duration = fragment_duration = 0
    tracks: list[_Mp4Track] = []
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind == b"mvhd":
            movie_timescale, movie_duration = _versioned_times(moov, start, end)
        elif kind == b"trak":
            tracks.append(_parse_trak(moov, start, end))
        elif kind == b"mvex":
            fragment_duration = _parse_mvex(moov, start, end, tracks)
        elif kind == b"cmov":
            raise Invalid("this MP4 file has compressed QuickTime headers, "
                           "which browsers cannot read; re-save it as MP4")

    media = [t for t in tracks if t.handler in (b"vide", b"soun")]
    if not media:
        raise Invalid("the MP4 file has no audio or video track")
    video = next((t for t in media if t.handler == b"vide"), None)
    kind = "video" if video else "audio"

    seconds = []
    if movie_timescale:
        seconds += [movie_duration / movie_timescale, fragment_duration / movie_timescale]
        seconds += [t.tkhd_duration / movie_timescale for t in media]
    seconds += _fragment_durations(fragments, media)
    duration = max(seconds, default=0)
    if not duration:
        duration = max((t.media_duration / t.media_timescale
                        for t in media if t.media_timescale), default=0)

    width = height = None
    if video and video.width and video.height:
        width, height = video.width, video.height
        if video.rotated:
            width, height = height, width
    return ProbeResult(kind=kind, mime=MIME["mp4", kind], duration=duration or None,
                       container="mp4", width=width, height=height)


def _parse_trak(data: bytes, start: int, end: int) -> _Mp4Track:
    track = _Mp4Track()
    for kind, child_start, child_end in _boxes(data, start, end):
        if kind == b"tkhd":
            version = _unpack(">B", data, child_start, child_end)[0]
            if version == 1:
                track.track_id, duration = _unpack(">I4xQ", data, child_start + 20, child_end)
                unknown, matrix_at = 0xFFFFFFFFFFFFFFFF, child_start + 52
            else:
                track.track_id, duration = _unpack(">I4xI", data, child_start + 12, child_end)
                unknown, matrix_at = 0xFFFFFFFF, child_start + 40
            # Fragmented files may leave the duration at "unknown" (all ones).
            track.tkhd_duration = 0 if duration == unknown else duration
            a, b, _, c, d, _, _, _, _, width, height = _unpack(">9iII", data, matrix_at,
                                                              child_end)
            # A matrix with a zero diagonal turns the picture by 90 or 270 degrees.
            track.rotated = a == 0 and d == 0 and b != 0 and c != 0
            track.width, track.height = width >> 16, height >> 16
        elif kind == b"mdia":
            _parse_mdia(data, child_start, child_end, track)
    return track


def _parse_mdia(data: bytes, start: int, end: int, track: _Mp4Track) -> None:
    for kind, child_start, child_end in _boxes(data, start, end):
        if kind == b"mdhd":
            track.media_timescale, track.media_duration = _versioned_times(
                data, child_start, child_end)
        elif kind == b"hdlr":
            track.handler = _unpack(">8x4s", data, child_start, child_end)[0]


def _parse_mvex(data: bytes, start: int, end: int, tracks: list[_Mp4Track]) -> int:
    """Read fragment defaults into ``tracks``; return the 'mehd' duration."""
    fragment_duration = 0
    by_id = {t.track_id: t for t in tracks}
    for kind, child_start, child_end in _boxes(data, start, end):
        if kind == b"mehd":
            version = _unpack(">B", data, child_start, child_end)[0]
            fmt = ">4xQ" if version == 1 else ">4xI"
            fragment_duration = _unpack(fmt, data, child_start, child_end)[0]
        elif kind == b"trex":
            track_id, duration = _unpack(">4xI4xI", data, child_start, child_end)
            if track_id in by_id:
                by_id[track_id].default_sample_duration = duration
    return fragment_duration


def _fragment_durations(fragments: list[bytes], tracks: list[_Mp4Track]) -> list[float]:
    """Seconds each track lasts according to its movie fragments."""
    by_id = {t.track_id: t for t in tracks}
    ends: dict[int, int] = {}
    for moof in fragments:
        for kind, start, end in _boxes(moof, 0, len(moof)):
            if kind == b"traf":
                _add_traf(moof, start, end, by_id, ends)
    return [ends[i] / by_id[i].media_timescale for i in ends if by_id[i].media_timescale]


def _add_traf(data: bytes, start: int, end: int, tracks: dict[int, _Mp4Track],
              ends: dict[int, int]) -> None:
    track_id = default_duration = None
    decode_time = None
    total = 0
    for kind, child_start, child_end in _boxes(data, start, end):
        if kind == b"tfhd":
            flags, track_id = _unpack(">II", data, child_start, child_end)
            flags &= 0xFFFFFF
            track = tracks.get(track_id)
            default_duration = track.default_sample_duration if track else 0
            if flags & 0x08:
                # Optional fields come in a fixed order before the duration.
                offset = child_start + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
                default_duration = _unpack(">I", data, offset, child_end)[0]
        elif kind == b"tfdt":
            version = _unpack(">B", data, child_start, child_end)[0]
            decode_time = _unpack(">4xQ" if version == 1 else ">4xI", data, child_start,
                                  child_end)[0]
        elif kind == b"trun" and track_id is not None:
            total += _trun_duration(data, child_start, child_end, default_duration or 0)
    if track_id is None or track_id not in tracks:
        return
    begin = decode_time if decode_time is not None else ends.get(track_id, 0)
    ends[track_id] = max(ends.get(track_id, 0), begin + total)


def _trun_duration(data: bytes, start: int, end: int, default_duration: int) -> int:
    flags, count = _unpack(">II", data, start, end)
    flags &= 0xFFFFFF
    offset = start + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
    if not flags & 0x100:
        return count * default_duration
    # Each sample record holds up to four 32-bit fields, duration first.
    record = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    if offset + count * record > end:
        raise Invalid("the MP4 file is damaged: a fragment lists more samples than it holds")
    return sum(struct.unpack_from(">I", data, offset + i * record)[0] for i in range(count))


# -- Matroska and WebM (EBML) --------------------------------------------------

_EBML = 0x1A45DFA3
_DOC_TYPE = 0x4282
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMESTAMP_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_DEFAULT_DURATION = 0x23E383
_VIDEO = 0xE0
_PIXEL_WIDTH = 0xB0
_PIXEL_HEIGHT = 0xBA
_DISPLAY_WIDTH = 0x54B0
_DISPLAY_HEIGHT = 0x54BA
_DISPLAY_UNIT = 0x54B2
_CLUSTER = 0x1F43B675
_CLUSTER_TIMESTAMP = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_BLOCK_DURATION = 0x9B
# Elements that may appear directly inside a Cluster. An unknown-size Cluster
# ends where an element outside this set begins.
_CLUSTER_CHILDREN = {_CLUSTER_TIMESTAMP, _SIMPLE_BLOCK, _BLOCK_GROUP,
                     0x5854, 0xA7, 0xAB, 0xAF, 0xEC, 0xBF}
_TRACK_TYPE_VIDEO = 1
_TRACK_TYPE_AUDIO = 2


def _element_header(data: bytes, pos: int, end: int | None = None) -> tuple[int, int | None, int]:
    """Decode the element ID and size at ``data[pos]``, reading no further than ``end``.

    :return: ``(id, size, header_length)``; size is ``None`` for "unknown".
    """
    end = len(data) if end is None else end
    if pos >= end:
        raise _CutShort
    id_len = 9 - data[pos].bit_length()
    if not 1 <= id_len <= 4:
        raise _Malformed
    size_at = pos + id_len
    if size_at >= end:
        raise _CutShort
    size_len = 9 - data[size_at].bit_length()
    if not 1 <= size_len <= 8:
        raise _Malformed
    if size_at + size_len > end:
        raise _CutShort
    element_id = int.from_bytes(data[pos:size_at], "big")
    raw = int.from_bytes(data[size_at:size_at + size_len], "big")
    size = raw & ((1 << (7 * size_len)) - 1)
    unknown = size == (1 << (7 * size_len)) - 1
    return element_id, None if unknown else size, id_len + size_len


def _children(data: bytes, start: int, end: int,
              lenient: bool = False) -> Iterator[tuple[int, int, int]]:
    """Yield ``(id, payload_start, payload_end)`` for elements in ``data[start:end]``.

    :param lenient: stop quietly at a cut-off element instead of raising, for
        a file's first bytes.
    """
    pos = start
    while pos < end:
        try:
            element_id, size, header_len = _element_header(data, pos, end)
        except _Malformed:
            if lenient:
                return
            raise
        if size is None or pos + header_len + size > end:
            if lenient:
                return
            raise _Malformed
        yield element_id, pos + header_len, pos + header_len + size
        pos += header_len + size


def _uint(data: bytes, start: int, end: int) -> int:
    if end - start > 8:
        raise _Malformed
    return int.from_bytes(data[start:end], "big")


@dataclass
class _MkvState:
    timestamp_scale: int = 1_000_000
    duration: float | None = None
    has_info: bool = False
    has_tracks: bool = False
    has_video: bool = False
    has_audio: bool = False
    width: int | None = None
    height: int | None = None
    # Track number -> nanoseconds per frame, for the end of the last block.
    default_durations: dict[int, int] = field(default_factory=dict)
    last_timestamp: int = 0


class _EbmlFile:
    """Reads EBML element headers from a file, reporting problems in the
    words of the container being read."""

    def __init__(self, f: BinaryIO, label: str) -> None:
        self.f, self.label = f, label

    def header(self, pos: int) -> tuple[int, int | None, int]:
        self.f.seek(pos)
        chunk = self.f.read(12)
        try:
            return _element_header(chunk, 0)
        except _CutShort:
            raise self.truncated() from None
        except _Malformed:
            raise self.damaged(pos) from None

    def read(self, pos: int, length: int) -> bytes:
        if length > _MAX_ELEMENT:
            raise Invalid(f"the {self.label} file is damaged: an element at byte {pos} "
                           "is too large to read")
        self.f.seek(pos)
        return self.f.read(length)

    def truncated(self, missing: int | None = None) -> Invalid:
        if missing is None:
            return Invalid(f"the {self.label} file is truncated: "
                            "it ends in the middle of an element")
        return Invalid(f"the {self.label} file is truncated: {missing} bytes are missing")

    def damaged(self, pos: int) -> Invalid:
        return Invalid(f"the {self.label} file is damaged: unreadable data at byte {pos}")


def probe_matroska(f: BinaryIO, size: int) -> ProbeResult:
    """Read a Matroska or WebM file's kind, duration and picture size from its elements.

    :raises Invalid: if the file is damaged or truncated, or is another EBML document.
    """
    f.seek(0)
    reader = _EbmlFile(f, "Matroska")
    element_id, header_size, header_len = reader.header(0)
    if header_size is None or header_len + header_size > size:
        raise reader.truncated()
    container = ebml_doc_type(reader.read(0, header_len + header_size))
    if container not in ("webm", "matroska"):
        raise Invalid(f"this is an EBML document of type {container!r}, not audio or video")
    reader.label = LABEL[container]

    pos = header_len + header_size
    element_id, segment_size, header_len = reader.header(pos)
    if element_id != _SEGMENT:
        raise Invalid(f"the {reader.label} file is damaged: its Segment is missing")
    pos += header_len
    if segment_size is None:
        segment_end = size
    elif pos + segment_size > size:
        raise reader.truncated(pos + segment_size - size)
    else:
        segment_end = pos + segment_size

    state = _MkvState()
    _walk_segment(reader, pos, segment_end, state)

    if not state.has_tracks or not (state.has_video or state.has_audio):
        raise Invalid(f"the {reader.label} file has no audio or video track")
    kind = "video" if state.has_video else "audio"
    duration = state.duration
    if duration is None and state.last_timestamp:
        duration = state.last_timestamp * state.timestamp_scale / 1e9
    return ProbeResult(kind=kind, mime=MIME[container, kind], duration=duration or None,
                       container=container, width=state.width if state.has_video else None,
                       height=state.height if state.has_video else None)


def _walk_segment(reader: _EbmlFile, pos: int, end: int, state: _MkvState) -> None:
    """Read Info and Tracks, and walk the Clusters only if Info has no Duration."""
    while pos < end:
        element_id, size, header_len = reader.header(pos)
        if element_id == _EBML:
            # A second Segment chained after the first: its length is not ours.
            return
        payload = pos + header_len
        if size is None:
            if element_id != _CLUSTER:
                raise reader.damaged(pos)
            pos = _walk_cluster(reader, payload, end, True, state)
            continue
        if payload + size > end:
            raise reader.truncated()
        if element_id == _INFO:
            _parse_info(reader.read(payload, size), state, reader.label)
        elif element_id == _TRACKS:
            _parse_tracks(reader.read(payload, size), state, reader.label)
        elif element_id == _CLUSTER and state.duration is None:
            _walk_cluster(reader, payload, payload + size, False, state)
        pos = payload + size
        if state.has_info and state.has_tracks and state.duration is not None:
            return


def _walk_cluster(reader: _EbmlFile, pos: int, end: int, open_ended: bool,
                  state: _MkvState) -> int:
    """Track the latest block end time in one Cluster; return where it ends."""
    cluster_time = 0
    while pos < end:
        element_id, size, header_len = reader.header(pos)
        if open_ended and element_id not in _CLUSTER_CHILDREN:
            return pos
        payload = pos + header_len
        if size is None:
            raise reader.damaged(pos)
        if payload + size > end:
            raise reader.truncated()
        try:
            if element_id == _CLUSTER_TIMESTAMP:
                cluster_time = _uint(reader.read(payload, size), 0, size)
            elif element_id == _SIMPLE_BLOCK:
                _note_block(reader.read(payload, min(size, 12)), cluster_time, None, state)
            elif element_id == _BLOCK_GROUP:
                _note_block_group(reader.read(payload, size), cluster_time, state)
        except _Malformed:
            raise reader.damaged(pos) from None
        pos = payload + size
    return pos


def _note_block_group(group: bytes, cluster_time: int, state: _MkvState) -> None:
    block = block_duration = None
    for element_id, start, end in _children(group, 0, len(group)):
        if element_id == _BLOCK:
            block = group[start:min(end, start + 12)]
        elif element_id == _BLOCK_DURATION:
            block_duration = _uint(group, start, end)
    if block is not None:
        _note_block(block, cluster_time, block_duration, state)


def _note_block(block: bytes, cluster_time: int, block_duration: int | None,
                state: _MkvState) -> None:
    # A block starts with its track number (an EBML variable-size integer)
    # and a signed 16-bit time relative to its Cluster.
    if not block or block[0] == 0:
        raise _Malformed
    number_len = 9 - block[0].bit_length()
    if len(block) < number_len + 2:
        raise _Malformed
    track = int.from_bytes(block[:number_len], "big") & ((1 << (7 * number_len)) - 1)
    relative = struct.unpack_from(">h", block, number_len)[0]
    if block_duration is None:
        frame_ns = state.default_durations.get(track, 0)
        block_duration = round(frame_ns / state.timestamp_scale)
    state.last_timestamp = max(state.last_timestamp, cluster_time + relative + block_duration)


def _parse_info(data: bytes, state: _MkvState, label: str) -> None:
    state.has_info = True
    try:
        for element_id, start, end in _children(data, 0, len(data)):
            if element_id == _TIMESTAMP_SCALE:
                state.timestamp_scale = _uint(data, start, end) or 1_000_000
            elif element_id == _DURATION:
                if end - start == 4:
                    state.duration = struct.unpack(">f", data[start:end])[0]
                elif end - start == 8:
                    state.duration = struct.unpack(">d", data[start:end])[0]
    except _Malformed:
        raise Invalid(f"the {label} file is damaged: its Info element is unreadable") from None
    if state.duration is not None:
        # Duration counts in units of the timestamp scale, which may come after it.
        state.duration *= state.timestamp_scale / 1e9
        if not state.duration > 0:
            state.duration = None


def _parse_tracks(data: bytes, state: _MkvState, label: str) -> None:
    state.has_tracks = True
    try:
        for element_id, start, end in _children(data, 0, len(data)):
            if element_id == _TRACK_ENTRY:
                _parse_track_entry(data, start, end, state)
    except _Malformed:
        raise Invalid(f"the {label} file is damaged: its Tracks element is unreadable") from None


def _parse_track_entry(data: bytes, start: int, end: int, state: _MkvState) -> None:
    number = track_type = default_duration = 0
    video: tuple[int, int] | None = None
    for element_id, child_start, child_end in _children(data, start, end):
        if element_id == _TRACK_NUMBER:
            number = _uint(data, child_start, child_end)
        elif element_id == _TRACK_TYPE:
            track_type = _uint(data, child_start, child_end)
        elif element_id == _DEFAULT_DURATION:
            default_duration = _uint(data, child_start, child_end)
        elif element_id == _VIDEO:
            video = _parse_video(data, child_start, child_end)
    if default_duration:
        state.default_durations[number] = default_duration
    if track_type == _TRACK_TYPE_AUDIO:
        state.has_audio = True
    elif track_type == _TRACK_TYPE_VIDEO:
        if not state.has_video and video:
            state.width, state.height = video
        state.has_video = True


def _parse_video(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    fields: dict[int, int] = {}
    for element_id, child_start, child_end in _children(data, start, end):
        if element_id in (_PIXEL_WIDTH, _PIXEL_HEIGHT, _DISPLAY_WIDTH, _DISPLAY_HEIGHT,
                          _DISPLAY_UNIT):
            fields[element_id] = _uint(data, child_start, child_end)
    width, height = fields.get(_PIXEL_WIDTH), fields.get(_PIXEL_HEIGHT)
    # Display sizes in units other than pixels (0) only give an aspect ratio.
    if fields.get(_DISPLAY_UNIT, 0) == 0:
        width = fields.get(_DISPLAY_WIDTH, width)
        height = fields.get(_DISPLAY_HEIGHT, height)
    return (width, height) if width and height else None
