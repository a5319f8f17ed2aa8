from __future__ import annotations

import random
import shutil

import mutagen
import pytest

from player.errors import PlayerError
from player.library import probe as probing
from player.library.probe import EXTENSIONS, ProbeError, ProbeResult, probe_file, sniff
from player.library.storage import LocalStorage
from tests.mediagen import GOOD, decoded_duration, ffmpeg_duration, make_media


def probe(path) -> ProbeResult:
    """Probe a file through the storage of the folder it is in, as the scan does."""
    return probing.probe(LocalStorage(path.parent), path.name)

# name -> (kind, mime, container)
EXPECTED = {
    "mp4": ("video", "video/mp4", "mp4"),
    "mp4_faststart": ("video", "video/mp4", "mp4"),
    "mp4_fragmented": ("video", "video/mp4", "mp4"),
    "mp4_video_longer": ("video", "video/mp4", "mp4"),
    "mp4_video_only": ("video", "video/mp4", "mp4"),
    "mp4_rotated": ("video", "video/mp4", "mp4"),
    "m4a": ("audio", "audio/mp4", "mp4"),
    "webm_vp8_vorbis": ("video", "video/webm", "webm"),
    "webm_vp9_opus": ("video", "video/webm", "webm"),
    "webm_audio_opus": ("audio", "audio/webm", "webm"),
    "webm_live": ("video", "video/webm", "webm"),
    "webm_live_unknown_clusters": ("video", "video/webm", "webm"),
    "mkv": ("video", "video/x-matroska", "matroska"),
    "mka": ("audio", "audio/x-matroska", "matroska"),
    "mp3": ("audio", "audio/mpeg", "mp3"),
    "ogg_vorbis": ("audio", "audio/ogg", "ogg"),
    "opus": ("audio", "audio/ogg", "ogg"),
    "flac": ("audio", "audio/flac", "flac"),
    "wav": ("audio", "audio/wav", "wav"),
}
# Written as a live recorder would, without a duration in the header.
HEADERLESS = {"webm_live", "webm_live_unknown_clusters"}


def test_every_generated_format_has_an_expectation():
    assert set(EXPECTED) == set(GOOD)


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - HEADERLESS))
def test_probe_matches_ffmpeg(name, media_cache):
    path = make_media(name, media_cache)
    result = probe(path)
    assert (result.kind, result.mime, result.container) == EXPECTED[name]
    assert result.duration == pytest.approx(ffmpeg_duration(path), abs=0.1)


@pytest.mark.parametrize("name", sorted(HEADERLESS))
def test_live_webm_duration_comes_from_the_clusters(name, media_cache):
    path = make_media(name, media_cache)
    with pytest.raises(ValueError):
        ffmpeg_duration(path)
    result = probe(path)
    assert (result.kind, result.mime, result.container) == EXPECTED[name]
    assert result.duration == pytest.approx(decoded_duration(path), abs=0.1)


def test_video_outlasting_audio_gets_the_video_length(media_cache):
    path = make_media("mp4_video_longer", media_cache)
    # The case this parser exists for: mutagen stops with the audio track.
    assert mutagen.File(path).info.length == pytest.approx(1, abs=0.1)
    assert probe(path).duration == pytest.approx(4, abs=0.1)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n][0] == "video"))
def test_video_size(name, media_cache):
    result = probe(make_media(name, media_cache))
    if name == "mp4_rotated":
        assert (result.width, result.height) == (90, 160)
    else:
        assert (result.width, result.height) == (160, 90)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n][0] == "audio"))
def test_audio_has_no_size(name, media_cache):
    result = probe(make_media(name, media_cache))
    assert (result.width, result.height) == (None, None)


def test_result_is_frozen(media_cache):
    result = probe(make_media("m4a", media_cache))
    assert isinstance(result, ProbeResult)
    with pytest.raises(AttributeError):
        result.kind = "video"


def test_content_wins_over_extension(media_cache, tmp_path):
    disguised = tmp_path / "song.mp4"
    shutil.copy(make_media("mp3", media_cache), disguised)
    assert probe(disguised).container == "mp3"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("text_as_mp4", "this is a text file, not audio or video"),
        ("png", "this is a PNG image, not audio or video"),
        ("empty", "the file is empty"),
        ("truncated_mp4", "the MP4 file is truncated: the 'moov' box is missing"),
        ("truncated_webm", "the WebM file is truncated: "),
        ("mp4_header_garbage", "the MP4 file is damaged: unreadable data at byte "),
    ],
)
def test_bad_files_are_reported(name, reason, media_cache):
    path = make_media(name, media_cache)
    with pytest.raises(ProbeError) as info:
        probe(path)
    assert info.value.reason.startswith(reason)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, PlayerError)
    assert isinstance(info.value, ValueError)


def test_truncated_faststart_mp4(media_cache, tmp_path):
    data = make_media("mp4_faststart", media_cache).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProbeError, match="the 'mdat' box runs past the end of the file"):
        probe(cut)


@pytest.mark.parametrize(("name", "label"), [("wav", "WAV"), ("ogg_vorbis", "Ogg"),
                                             ("opus", "Ogg")])
def test_truncated_audio(name, label, media_cache, tmp_path):
    data = make_media(name, media_cache).read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProbeError, match=f"the {label} file is truncated"):
        probe(cut)


def test_missing_file(tmp_path):
    with pytest.raises(ProbeError, match="the file cannot be read"):
        probe(tmp_path / "nothing-here.mp4")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "this is a JPEG image, not audio or video"),
        (b"%PDF-1.7\n", "this is a PDF document, not audio or video"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "this is an image, not audio or video"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "this is an AVI video, which browsers cannot play"),
        (b"\x1a\x45\xdf\xa3\x88\x42\x82\x84mide", "this is an EBML document of type 'mide'"),
        (bytes(range(256)), "the file is not in an audio or video format"),
    ],
)
def test_other_files_are_named(head, reason, tmp_path):
    path = tmp_path / "upload.mp4"
    path.write_bytes(head)
    with pytest.raises(ProbeError) as info:
        probe(path)
    assert info.value.reason.startswith(reason)


def test_id3_tag_in_front_of_flac(media_cache, tmp_path):
    # An empty ID3v2.4 tag: "ID3", version, flags, then a syncsafe size of 10.
    tagged = tmp_path / "tagged.flac"
    tagged.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)
                       + make_media("flac", media_cache).read_bytes())
    assert probe(tagged).container == "flac"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sniff_generated_files(name, media_cache):
    head = make_media(name, media_cache).read_bytes()[:64]
    assert sniff(head) == EXPECTED[name][2]


@pytest.mark.parametrize("name", ["text_as_mp4", "png", "empty"])
def test_sniff_rejects_non_media(name, media_cache):
    assert sniff(make_media(name, media_cache).read_bytes()[:64]) is None


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64", "mp3"),  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
        (b"\xff\xf1\x50\x80", None),  # ADTS AAC: same sync bits, layer 0
        (b"\xff\xfb\xf0\x64", None),  # bitrate index 15 is invalid
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "mp4"),  # QuickTime without 'ftyp'
        (b"some free text", None),
        (b"\x1a\x45\xdf\xa3", "matroska"),
        (b"OggS", "ogg"),
        (b"fLaC", "flac"),
        (b"RIFF\x00\x00\x00\x00WAVE", "wav"),
        (b"RIFF\x00\x00\x00\x00WEBP", None),
        (b"", None),
    ],
)
def test_sniff_signatures(head, container):
    assert sniff(head) == container


def test_extensions():
    assert all(ext.startswith(".") and ext == ext.lower() for ext in EXTENSIONS)
    assert set(EXTENSIONS.values()) == {"mp4", "webm", "matroska", "mp3", "ogg", "flac", "wav"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_damaged_copies_never_crash(name, media_cache, tmp_path):
    """Cut and corrupted copies either probe or raise ProbeError, nothing else."""
    data = make_media(name, media_cache).read_bytes()
    rng = random.Random(name)
    copies = [data[:cut] for cut in (1, 4, 8, 16, 40, 100, 300, len(data) // 3,
                                     len(data) - 1)]
    for _ in range(25):
        damaged = bytearray(data)
        # Headers sit near the start (and an MP4's 'moov' often at the end), so
        # aim there more often than uniform damage would.
        low, high = rng.choice([(0, 256), (0, len(data)), (len(data) - 2048, len(data))])
        for _ in range(rng.choice([1, 4, 16])):
            damaged[rng.randrange(max(low, 0), high)] = rng.randrange(256)
        copies.append(bytes(damaged))
    path = tmp_path / "damaged.bin"
    for copy in copies:
        path.write_bytes(copy)
        try:
            result = probe(path)
        except ProbeError as exc:
            assert exc.reason
        else:
            assert result.kind in ("audio", "video")


def test_an_open_file_is_probed_as_a_stored_one(media_cache):
    path = make_media("webm_vp9_opus", media_cache)
    with path.open("rb") as f:
        f.read(100)  # wherever it is positioned
        assert probe_file(f, "upload-1.part") == probe(path)
    with pytest.raises(ProbeError) as info, make_media("png", media_cache).open("rb") as f:
        probe_file(f, "upload-2.part")
    assert info.value.path == "upload-2.part" and "PNG image" in info.value.reason
