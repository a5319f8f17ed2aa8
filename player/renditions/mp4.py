"""Reading what an encoder wrote into fragmented MP4 (CMAF) files: the
codec string of an init segment (RFC 6381, as HLS ``CODECS`` names it), and
where each media segment starts and whether it starts on a keyframe.

Only the boxes these answers need are read (ISO/IEC 14496-12 and -15, the
AVC and AAC sample entries of 14496-15 and 14496-14).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import PlayerError

#: Boxes that hold only other boxes.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex", b"edts"}


class BoxError(PlayerError, ValueError):
    """An MP4 file whose boxes do not hold what an encoder writes."""


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Each box in ``data[start:end]``: its type, and where its body starts and ends.

    >>> list(boxes(b"\\x00\\x00\\x00\\x0cfree" + b"abcd"))
    [(b'free', 8, 12)]

    :raises BoxError: for a box that claims more bytes than there are.
    """
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise BoxError(f"box {kind!r} at byte {pos} claims {size} bytes; {end - pos} remain")
        yield kind, pos + header, pos + size
        pos += size


def find(data: bytes, path: list[bytes], start: int = 0,
         end: int | None = None) -> list[tuple[int, int]]:
    """The bodies (start, end) of every box at ``path`` (``[b"moov", b"trak"]``)."""
    found = []
    for kind, body, stop in boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            found.append((body, stop))
        elif kind in _CONTAINERS:
            found.extend(find(data, path[1:], body, stop))
    return found


def _sample_entry(data: bytes) -> tuple[bytes, int, int]:
    stsd = find(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    if not stsd:
        raise BoxError("no sample description (moov/trak/.../stsd): not an init segment")
    body, stop = stsd[0]
    # stsd: version and flags, entry count, then the sample entries.
    for kind, entry, entry_end in boxes(data, body + 8, stop):
        return kind, entry, entry_end
    raise BoxError("the sample description is empty")


def codec_string(init: bytes) -> str:
    """The RFC 6381 codec string of an init segment's first track:
    ``avc1.64001e`` (profile, constraints, level of its avcC), or
    ``mp4a.40.2`` (object type, then the AAC audio object type of its esds).

    :raises BoxError: for another codec, or boxes that do not say.
    """
    kind, entry, stop = _sample_entry(init)
    if kind in (b"avc1", b"avc3"):
        # A visual sample entry has 78 bytes of fields before its boxes.
        for child, body, _ in boxes(init, entry + 78, stop):
            if child == b"avcC":
                profile, constraints, level = init[body + 1], init[body + 2], init[body + 3]
                return f"{kind.decode()}.{profile:02x}{constraints:02x}{level:02x}"
        raise BoxError("an AVC sample entry without its avcC box")
    if kind == b"mp4a":
        # An audio sample entry has 28 bytes of fields before its boxes.
        for child, body, child_end in boxes(init, entry + 28, stop):
            if child == b"esds":
                return _aac_codec(init[body + 4:child_end])
        raise BoxError("an mp4a sample entry without its esds box")
    raise BoxError(f"no codec string for sample entry {kind!r}")


def _descriptors(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 2 <= len(data):
        tag = data[pos]
        pos += 1
        size = 0
        for _ in range(4):
            byte = data[pos]
            pos += 1
            size = (size << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        yield tag, data[pos:pos + size]
        pos += size


def _aac_codec(esds: bytes) -> str:
    for tag, body in _descriptors(esds):
        if tag != 0x03:  # ES_Descriptor: ES_ID, flags, then its own descriptors
            continue
        flags = body[2]
        skip = 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
        if flags & 0x40:
            skip += 1 + body[3]
        for inner_tag, inner in _descriptors(body[skip:]):
            if inner_tag != 0x04:  # DecoderConfigDescriptor
                continue
            object_type = inner[0]
            for info_tag, info in _descriptors(inner[13:]):
                if info_tag == 0x05 and info:  # DecoderSpecificInfo: AudioSpecificConfig
                    audio_object_type = info[0] >> 3
                    return f"mp4a.{object_type:02x}.{audio_object_type}"
            return f"mp4a.{object_type:02x}"
    raise BoxError("an esds box without a decoder configuration")


def timescale(init: bytes) -> int:
    """Ticks per second of the init segment's first track (its mdhd).

    :raises BoxError: if there is no mdhd.
    """
    mdhd = find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if not mdhd:
        raise BoxError("no media header (mdhd)")
    body = mdhd[0][0]
    return struct.unpack_from(">I", init, body + (20 if init[body] == 1 else 12))[0]


@dataclass(frozen=True)
class Fragment:
    """The start of one media segment: its decode time in ticks, whether its
    first sample is a sync sample (a keyframe), and how many samples it holds."""

    start: int
    keyframe: bool
    samples: int


_NON_SYNC = 0x00010000


def _default_flags(init: bytes | None) -> int:
    if init is None:
        return 0
    trex = find(init, [b"moov", b"mvex", b"trex"])
    return struct.unpack_from(">I", init, trex[0][0] + 20)[0] if trex else 0


def fragment(segment: bytes, init: bytes | None = None) -> Fragment:
    """Where the media segment ``segment`` starts and whether on a keyframe
    (its first moof's tfdt and first sample's flags).

    :raises BoxError: if it has no moof/traf with a tfdt.
    """
    trafs = find(segment, [b"moof", b"traf"])
    if not trafs:
        raise BoxError("no track fragment (moof/traf): not a media segment")
    body, stop = trafs[0]
    start = None
    flags_default = _default_flags(init)
    first_flags = None
    samples = 0
    for kind, child, _ in boxes(segment, body, stop):
        version_flags = struct.unpack_from(">I", segment, child)[0] if kind in (
            b"tfdt", b"tfhd", b"trun") else 0
        version, flags = version_flags >> 24, version_flags & 0xFFFFFF
        if kind == b"tfdt":
            fmt = ">Q" if version == 1 else ">I"
            start = struct.unpack_from(fmt, segment, child + 4)[0]
        elif kind == b"tfhd":
            pos = child + 8  # version and flags, track id
            for bit, size in ((0x01, 8), (0x02, 4), (0x08, 4), (0x10, 4)):
                if flags & bit:
                    pos += size
            if flags & 0x20:
                flags_default = struct.unpack_from(">I", segment, pos)[0]
        elif kind == b"trun" and first_flags is None:
            count = struct.unpack_from(">I", segment, child + 4)[0]
            samples += count
            pos = child + 8 + (4 if flags & 0x01 else 0)
            if flags & 0x04:
                first_flags = struct.unpack_from(">I", segment, pos)[0]
            elif flags & 0x400:
                # The first sample's own fields: duration, size, then flags.
                pos += (4 if flags & 0x100 else 0) + (4 if flags & 0x200 else 0)
                first_flags = struct.unpack_from(">I", segment, pos)[0]
            else:
                first_flags = flags_default
        elif kind == b"trun":
            samples += struct.unpack_from(">I", segment, child + 4)[0]
    if start is None:
        raise BoxError("no decode time (tfdt) in the track fragment")
    keyframe = not ((first_flags if first_flags is not None else flags_default) & _NON_SYNC)
    return Fragment(start, keyframe, samples)
