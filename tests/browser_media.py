"""The library the player's browser tests play: a 30-second video with
English captions, Ukrainian subtitles, chapters and descriptions, and a
captioned audio item. Long enough for 5- and 10-second jumps to stay inside,
tiny enough (160x90, 10 fps) to encode in well under a second.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mediagen import ffmpeg_exe, make_media

VIDEO_SECONDS = 30
#: Playwright URL pattern of the video's bytes.
CLIP = "**/files/clip/clip.mp4"

CAPTIONS_EN = ["Hello and welcome.", "This clip has captions.", "The picture is a test pattern.",
               "A tone plays all the way through.", "We are nearly at the end.", "Goodbye."]
SUBTITLES_UK = ["Привіт і ласкаво просимо.", "Цей кліп має субтитри.",
                "На зображенні тестова таблиця.", "Увесь час звучить тон.", "Ми майже в кінці.",
                "До побачення."]
CHAPTERS = [(0, 10, "Opening"), (10, 20, "Middle"), (20, 30, "Ending")]
DESCRIPTION = "A test pattern of coloured bars with a moving gradient."


def stamp(seconds: float) -> str:
    return f"00:{int(seconds) // 60:02d}:{seconds % 60:06.3f}"


def vtt(cues: list[tuple[float, float, str]]) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{stamp(a)} --> {stamp(b)}\n{text}\n" for a, b, text in cues)


def every_five_seconds(lines: list[str]) -> list[tuple[float, float, str]]:
    return [(i * 5, i * 5 + 5, line) for i, line in enumerate(lines)]


def long_video(media_cache: Path) -> Path:
    """A faststart MP4 (index first), so a partly served file still plays its start."""
    dest = media_cache / "player-clip.mp4"
    if not dest.exists():
        tmp = dest.with_name(".player-clip.mp4")
        subprocess.run([
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=10:duration={VIDEO_SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={VIDEO_SECONDS}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(tmp),
        ], check=True, capture_output=True, timeout=120)
        tmp.replace(dest)
    return dest


def make_player_library(folder: Path, media_cache: Path) -> Path:
    folder.mkdir()
    shutil.copy(long_video(media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text(
        '{"title": "A test clip", "description": "Thirty seconds of test pattern."}')
    (folder / "clip.en.vtt").write_text(vtt(every_five_seconds(CAPTIONS_EN)), encoding="utf-8")
    (folder / "clip.uk.subtitles.vtt").write_text(vtt(every_five_seconds(SUBTITLES_UK)),
                                                  encoding="utf-8")
    (folder / "clip.en.chapters.vtt").write_text(vtt(CHAPTERS), encoding="utf-8")
    (folder / "clip.en.descriptions.vtt").write_text(vtt([(0, 4, DESCRIPTION)]), encoding="utf-8")
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    (folder / "song.json").write_text('{"title": "A steady tone"}')
    (folder / "song.en.vtt").write_text(vtt([(0, 3, "A steady tone plays.")]), encoding="utf-8")
    return folder


class Valve:
    """Holds requests (Playwright routes) until opened, as a slow network would."""

    def __init__(self):
        self.held = []
        self.is_open = False

    def handle(self, route) -> None:
        if self.is_open:
            route.continue_()
        else:
            self.held.append(route)

    def open(self) -> None:
        self.is_open = True
        for route in self.held:
            route.continue_()


#: The player's media element, as a JavaScript expression.
MEDIA = "document.querySelector('#player video, #player audio')"


SEEK_WAIT_MS = 10_000


def seek(page, seconds: float, attempts: int = 3) -> None:
    """Set the media's time and wait until it has seeked (to the end, if
    ``seconds`` is past it).

    A seek that a change of source cancels (the stream switching renditions
    as the line's speed changes keeps the position it had) never fires
    ``seeked``: each attempt waits at most ``SEEK_WAIT_MS``, and the seek is
    asked again.
    """
    for _ in range(attempts):
        there = page.evaluate(
            f"([t, wait]) => {{ const m = {MEDIA};"
            " return new Promise((resolve) => {"
            "   const done = () => resolve(true);"
            "   m.addEventListener('seeked', done, {once: true});"
            "   setTimeout(() => { m.removeEventListener('seeked', done); resolve(false); }, wait);"
            "   m.currentTime = t; }); }",
            [seconds, SEEK_WAIT_MS])
        if there:
            return
    raise AssertionError(f"the media did not seek to {seconds} s in {attempts} tries of"
                         f" {SEEK_WAIT_MS} ms: it is at {page.evaluate(f'{MEDIA}.currentTime')} s")


def starve(page, pattern: str, path: Path) -> Valve:
    """Serve the first fifth of the file at ``path`` (its index and about four
    seconds of media), then hold every other range until the returned valve
    opens: playback runs dry soon after it starts."""
    data = path.read_bytes()
    first = len(data) // 5
    valve = Valve()

    def serve(route) -> None:
        from_start = route.request.headers.get("range", "bytes=0-").startswith("bytes=0-")
        if from_start and not valve.is_open:
            route.fulfill(status=206, body=data[:first], headers={
                "Content-Type": "video/mp4", "Accept-Ranges": "bytes",
                "Content-Range": f"bytes 0-{first - 1}/{len(data)}",
                "Access-Control-Allow-Origin": "*"})
        else:
            valve.handle(route)

    page.route(pattern, serve)
    return valve


@pytest.fixture
def media_dir(tmp_path, media_cache):
    """The player's test library, for modules that import this fixture."""
    return make_player_library(tmp_path / "media", media_cache)


@pytest.fixture(autouse=True)
def no_script_errors(page):
    """Fail fast on a missing element, and fail on any uncaught script error."""
    page.set_default_timeout(20_000)
    yield
    assert page.js_errors == []
