"""Find out what a media file is: audio or video, which Content-Type to serve
it with, and how long it lasts.

The format is decided by the file's content (:func:`sniff`), never by its name.
mutagen reads MP3, Ogg (Vorbis, Opus, FLAC, Theora), FLAC and WAV; MP4 and
Matroska/WebM are read by the parsers of :mod:`player.library.containers`.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from ..errors import PlayerError
from .containers import (
    LABEL,
    MIME,
    Invalid,
    ProbeResult,
    ebml_doc_type,
    probe_matroska,
    probe_mp4,
)
from .storage import EXTENSIONS, Storage

__all__ = ["EXTENSIONS", "ProbeError", "ProbeResult", "probe", "probe_file", "sniff"]

# Bytes read up front: enough for every signature and for telling text apart.
_HEAD_SIZE = 512


class ProbeError(PlayerError, ValueError):
    """A file is not audio or video the player can serve.

    Its message names the server's path, so views that take files from
    clients catch it and say what to fix; an uncaught one is a 500 like any
    other unexpected error.

    :param path: the file.
    :param reason: a sentence for a person, such as ``"the file is empty"``.
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


# -- sniffing ----------------------------------------------------------------

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# ISO base media files whose brand says they hold a still image, not a movie.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
# Boxes an old QuickTime file may start with when it has no 'ftyp'.
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip"}


def sniff(head: bytes) -> str | None:
    """Name the media container the first bytes of a file belong to.

    :param head: the file's first bytes (64 are enough).
    :return: ``"mp4"``, ``"webm"``, ``"matroska"``, ``"mp3"``, ``"ogg"``,
        ``"flac"``, ``"wav"``, or ``None`` if it is none of them. An MP3 is
        recognised by its ID3 tag, which could in rare files precede another
        format; :func:`probe` looks past the tag.

    >>> sniff(b"\\x00\\x00\\x00\\x18ftypmp42")
    'mp4'
    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n") is None
    True
    """
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _IMAGE_BRANDS else "mp4"
    if head[4:8] in _QUICKTIME_FIRST_BOXES and head[0] < 0x20:
        return "mp4"
    if head.startswith(_EBML_MAGIC):
        doc_type = ebml_doc_type(head)
        return doc_type if doc_type in ("webm", "matroska") else None
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or _is_mpeg_audio_frame(head):
        return "mp3"
    return None


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """Whether ``head`` starts with an MPEG audio layer III frame header."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and sample_rate != 3


# Things people upload by mistake, named so the reason says what the file is.
_NOT_MEDIA = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
]
_UNSUPPORTED_MEDIA = [
    (b"FLV\x01", "a Flash video"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "a Windows Media file"),
]


def _describe_unknown(head: bytes) -> str:
    """The reason given for a file :func:`sniff` does not recognise."""
    for magic, what in _NOT_MEDIA:
        if head.startswith(magic):
            return f"this is {what}, not audio or video"
    if head[4:8] == b"ftyp" or head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "this is an image, not audio or video"
    if head.startswith(_EBML_MAGIC):
        return f"this is an EBML document of type {ebml_doc_type(head)!r}, not audio or video"
    for magic, what in _UNSUPPORTED_MEDIA:
        if head.startswith(magic):
            return f"this is {what}, which browsers cannot play; convert it to MP4 or WebM"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "this is an AVI video, which browsers cannot play; convert it to MP4 or WebM"
    if _looks_like_text(head):
        return "this is a text file, not audio or video"
    return "the file is not in an audio or video format the player recognises"


def _looks_like_text(head: bytes) -> bool:
    # A multi-byte UTF-8 character may be cut at the end of the sample.
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace").rstrip("\ufffd")
    return "\ufffd" not in text and all(c.isprintable() or c in "\t\n\r\f" for c in text)


# -- probing -----------------------------------------------------------------


def probe(storage: Storage, key: str) -> ProbeResult:
    """Find out what the stored media file ``key`` is and how long it lasts.

    Only the headers are read, through a seekable reader of the storage.

    :raises ProbeError: if the file cannot be read, is not audio or video,
        is in a format browsers cannot play, or is damaged or truncated; its
        ``path`` is the file's :meth:`~player.library.storage.Storage.location`.
    """
    location = storage.location(key)
    try:
        with storage.open(key) as f:
            return probe_file(f, location)
    except OSError as exc:
        raise ProbeError(location, f"the file cannot be read: {exc.strerror or exc}") from exc


def probe_file(f: BinaryIO, name: str) -> ProbeResult:
    """:func:`probe` for a file already open, such as an upload being checked.

    :param f: a seekable binary reader, positioned anywhere.
    :param name: the file's name for the error.
    :raises ProbeError: as :func:`probe` does.
    """
    try:
        size = f.seek(0, os.SEEK_END)
        f.seek(0)
        return _probe_open_file(f, size)
    except Invalid as exc:
        raise ProbeError(name, exc.reason) from None
    except OSError as exc:
        raise ProbeError(name, f"the file cannot be read: {exc.strerror or exc}") from exc


def _probe_open_file(f: BinaryIO, size: int) -> ProbeResult:
    if size == 0:
        raise Invalid("the file is empty")
    head = f.read(_HEAD_SIZE)
    container = sniff(head)
    # mutagen reads FLAC behind an ID3 tag too; anything else there is left
    # to the MP3 reader to accept or reject.
    if container == "mp3" and head.startswith(b"ID3") and _sniff_after_id3(f, head) == "flac":
        container = "flac"
    if container is None:
        raise Invalid(_describe_unknown(head))
    if container == "mp4":
        return probe_mp4(f, size)
    if container in ("webm", "matroska"):
        return probe_matroska(f, size)
    return _probe_with_mutagen(f, size, container, head)


def _sniff_after_id3(f: BinaryIO, head: bytes) -> str | None:
    if len(head) < 10:
        return None
    tag_size = _syncsafe(head[6:10]) + 10 + (10 if head[5] & 0x10 else 0)
    f.seek(tag_size)
    return sniff(f.read(64))


def _syncsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


# -- mutagen formats -----------------------------------------------------------

_OGG_CODECS = [
    (b"\x01vorbis", OggVorbis, "audio"),
    (b"OpusHead", OggOpus, "audio"),
    (b"\x7fFLAC", OggFLAC, "audio"),
    (b"Speex   ", OggSpeex, "audio"),
    (b"\x80theora", OggTheora, "video"),
]
_MUTAGEN_CLASSES = {"mp3": MP3, "flac": FLAC, "wav": WAVE}


def _probe_with_mutagen(f: BinaryIO, size: int, container: str, head: bytes) -> ProbeResult:
    label = LABEL[container]
    kind = "audio"
    if container == "ogg":
        cls, kind = _ogg_codec(head)
    else:
        cls = _MUTAGEN_CLASSES[container]
    f.seek(0)
    try:
        info = cls(f).info
    # mutagen reports bad files with MutagenError, but crafted input can
    # still reach a struct or index error inside it.
    except (mutagen.MutagenError, struct.error, IndexError, ValueError, EOFError) as exc:
        # mutagen's messages may be empty, or a quoted repr: only their words are kept.
        detail = str(exc).strip().strip("\"'").strip()
        raise Invalid(f"the {label} file is damaged or truncated"
                      + (f" ({detail})" if detail else "")) from None
    if container == "wav":
        _check_wav_data(f, size)
    elif container == "ogg":
        _check_ogg_end(f, size)
    length = info.length
    return ProbeResult(kind=kind, mime=MIME[container, kind],
                       duration=float(length) if length else None, container=container)


def _ogg_codec(head: bytes) -> tuple[type, str]:
    # The first page carries one packet whose start names the codec; it
    # follows the 27-byte page header and the segment table.
    if len(head) < 27:
        raise Invalid("the Ogg file is truncated")
    packet = head[27 + head[26]:]
    for magic, cls, kind in _OGG_CODECS:
        if packet.startswith(magic):
            return cls, kind
    raise Invalid("this Ogg file holds a codec the player does not support")


def _check_ogg_end(f: BinaryIO, size: int) -> None:
    """Raise unless the file ends with a complete end-of-stream page, as a
    fully written Ogg file does."""
    # A page is at most 65,307 bytes, so the last one starts within this tail.
    tail_start = max(0, size - 65536)
    f.seek(tail_start)
    tail = f.read()
    # "OggS" can also occur inside packet data: the last page is the one
    # whose header says it ends exactly where the file does.
    pos = tail.rfind(b"OggS")
    while pos >= 0:
        if len(tail) - pos >= 27:
            segments = tail[pos + 26]
            table = tail[pos + 27:pos + 27 + segments]
            if len(table) == segments and pos + 27 + segments + sum(table) == len(tail):
                if tail[pos + 5] & 0x04:
                    return
                break
        pos = tail.rfind(b"OggS", 0, pos)
    raise Invalid("the Ogg file is truncated: its last page is missing")


def _check_wav_data(f: BinaryIO, size: int) -> None:
    """Raise if the 'data' chunk is declared longer than the file holds."""
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
        if chunk_id == b"data":
            # Streaming writers leave the size at 0 or at the maximum.
            if chunk_size not in (0, 0xFFFFFFFF) and pos + 8 + chunk_size > size:
                raise Invalid("the WAV file is truncated: its audio data ends early")
            return
        pos += 8 + chunk_size + (chunk_size & 1)
    raise Invalid("the WAV file is damaged: it has no audio data")

