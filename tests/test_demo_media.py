"""The demo items committed in media/ and the script that makes them."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
import webvtt

from tests.demo import CHECKOUT_MEDIA, DEMO_FILES, shipped

ROOT = Path(__file__).resolve().parent.parent
MEDIA = CHECKOUT_MEDIA
SCRIPT = ROOT / "scripts" / "make_demo.py"
DEMO_MEDIA = {"welcome": "welcome.mp4", "audio-tour": "audio-tour.m4a"}
# ffmpeg prints durations in hundredths of a second.
DURATION_PRECISION = 0.01
READABLE_KINDS = ("captions", "subtitles", "descriptions")


def duration(path: Path) -> float:
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Duration: (\d+):(\d\d):(\d\d\.\d+)", result.stderr)
    assert match, f"ffmpeg found no duration in {path.name}:\n{result.stderr}"
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def tracks(stem: str) -> list[Path]:
    return sorted(MEDIA / name for name in DEMO_FILES
                  if name.startswith(f"{stem}.") and name.endswith(".vtt"))


def kind(track: Path) -> str:
    parts = track.name.split(".")
    return parts[2] if len(parts) == 4 else "captions"


def cue_times(track: Path) -> list[tuple[int, int]]:
    return [
        (cue.start_time.in_milliseconds(), cue.end_time.in_milliseconds())
        for cue in webvtt.read(str(track), strict=True)
    ]


ALL_TRACKS = [track for stem in DEMO_MEDIA for track in tracks(stem)]


def test_every_demo_item_has_its_files():
    names = {path.name for path in MEDIA.iterdir()} & set(DEMO_FILES)
    assert {
        "welcome.mp4",
        "welcome.json",
        "welcome.jpg",
        "welcome.en.vtt",
        "welcome.uk.subtitles.vtt",
        "welcome.en.descriptions.vtt",
        "welcome.en.chapters.vtt",
        "audio-tour.m4a",
        "audio-tour.json",
        "audio-tour.en.vtt",
    } <= names


def test_media_folder_stays_small():
    total = sum((MEDIA / name).stat().st_size for name in DEMO_FILES)
    assert total < 3_000_000


@pytest.mark.parametrize("stem", DEMO_MEDIA)
def test_media_ends_within_a_second_of_the_last_caption(stem):
    last_end = cue_times(MEDIA / f"{stem}.en.vtt")[-1][1] / 1000
    assert 0 <= duration(MEDIA / DEMO_MEDIA[stem]) - last_end < 1


@pytest.mark.parametrize("track", ALL_TRACKS, ids=lambda path: path.name)
def test_cues_are_in_order_and_inside_the_media(track):
    times = cue_times(track)
    assert times, f"{track.name} has no cues"
    for start, end in times:
        assert start < end
    # A cue rolling up in a region stays while the next one shows.
    regions = [bool(cue.settings.region) for cue in webvtt.read(str(track), strict=True)]
    for ((_, end), (next_start, _)), rolls in zip(itertools.pairwise(times), regions, strict=False):
        assert end <= next_start or rolls
    media_duration = duration(MEDIA / DEMO_MEDIA[track.name.split(".")[0]])
    assert times[-1][1] / 1000 <= media_duration + DURATION_PRECISION


@pytest.mark.parametrize(
    "track",
    [track for track in ALL_TRACKS if kind(track) in READABLE_KINDS],
    ids=lambda path: path.name,
)
def test_cues_are_readable(track):
    for cue in webvtt.read(str(track), strict=True):
        lines = cue.text.split("\n")
        seconds = (cue.end_time.in_milliseconds() - cue.start_time.in_milliseconds()) / 1000
        assert len(lines) <= 2, cue.text
        assert max(len(line) for line in lines) <= 42, cue.text
        assert sum(len(line) for line in lines) / seconds <= 20, cue.text


def test_ukrainian_subtitles_follow_the_english_captions():
    english = cue_times(MEDIA / "welcome.en.vtt")
    ukrainian = cue_times(MEDIA / "welcome.uk.subtitles.vtt")
    assert len(ukrainian) == len(english)
    assert ukrainian == english


def test_one_chapter_and_one_description_per_slide():
    chapters = cue_times(MEDIA / "welcome.en.chapters.vtt")
    descriptions = cue_times(MEDIA / "welcome.en.descriptions.vtt")
    assert [start for start, _ in descriptions] == [start for start, _ in chapters]
    assert chapters[0][0] == 0
    assert abs(chapters[-1][1] / 1000 - duration(MEDIA / "welcome.mp4")) < 0.1


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.fail(
            "espeak-ng is not on PATH, so the demo cannot be regenerated;"
            " install it (Debian: apt-get install espeak-ng)"
        )
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_script_reproduces_the_committed_tracks(regenerated):
    made = sorted(path.name for path in regenerated.iterdir())
    committed_text = sorted(
        name for name in DEMO_FILES if name.endswith((".vtt", ".json"))
    )
    assert [name for name in made if name.endswith((".vtt", ".json"))] == committed_text
    for name in committed_text:
        # Streams the demo server made meanwhile are recorded there too.
        assert (regenerated / name).read_bytes() == shipped(MEDIA / name), name


def test_script_reproduces_the_media(regenerated):
    for stem, name in DEMO_MEDIA.items():
        assert abs(duration(regenerated / name) - duration(MEDIA / name)) < 0.05, stem
    assert (regenerated / "welcome.jpg").stat().st_size > 0
