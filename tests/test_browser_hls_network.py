"""HLS on a slow network, throttled through the DevTools protocol
(Network.emulateNetworkConditions): at 400 kbit/s the stream settles on a
low rendition and plays where the uploaded file keeps stopping; it climbs
when the network gets faster; Data saver never fetches above 360p."""

from __future__ import annotations

import re
import shutil

import pytest

from player import create_app
from player.renditions import make_renditions
from tests.browser_media import every_five_seconds, no_script_errors, vtt  # noqa: F401
from tests.browser_support import LiveServer
from tests.hls_media import (
    PATHS,
    heavy_video,
    serve_on,
    throttle,
    use_path,
)

pytestmark = pytest.mark.browser

MEDIA = "document.querySelector('#player video')"
CUES = [f"Line {n}." for n in range(8)]
#: Counts the times playback stops for want of data, once it has started.
COUNT_WAITS = """
window.__waits = 0;
document.addEventListener('waiting', () => { if (window.__played) window.__waits++; }, true);
document.addEventListener('playing', () => { window.__played = true; }, true);
"""
HLS_SOURCE = re.compile(r'<source [^>]*type="application/vnd\.apple\.mpegurl">')
SEGMENT = re.compile(r"/hls/film/[^/]+/v(\d+)-\d+\.m4s$")


@pytest.fixture
def media_dir(tmp_path, media_cache):
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(heavy_video(media_cache), folder / "film.mp4")
    (folder / "film.en.vtt").write_text(vtt(every_five_seconds(CUES)), encoding="utf-8")
    return folder


@pytest.fixture
def app(media_dir, tmp_path, media_cache):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "player.sqlite"),
                      "RENDITIONS_PRESET": "ultrafast"})
    make_renditions(app, "film")
    # Served by the app, so the throttled network carries it.
    serve_on(app, media_cache)
    return app


@pytest.fixture
def on():
    """``on(page, path)``: the page's player goes on ``path``."""
    return use_path


@pytest.fixture
def server(app):
    with LiveServer(app) as live:
        yield live


def start(page, server, on, path, kbits=None, hls=True):
    """Open the film's page on ``path`` (the stream; without ``hls``, its file alone) and play."""
    on(page, path)
    page.add_init_script(COUNT_WAITS)
    if not hls:
        # The uploaded file alone, as every viewer gets it without renditions:
        # the page arrives without its HLS <source>. (Removing it from the DOM
        # once the page is parsed was too late on a loaded machine: Chromium
        # had already chosen the stream, which it can play itself.)
        page.route(server.url + "/watch/film", without_stream)
    if kbits:
        throttle(page, kbits)
    page.goto(server.url + "/watch/film")
    page.wait_for_selector("#player[data-state=ready]")
    page.evaluate(f"{MEDIA}.play()")


def without_stream(route):
    response = route.fetch()
    html, found = HLS_SOURCE.subn("", response.text())
    assert found == 1, "the watch page offers the stream"
    route.fulfill(response=response, body=html)


def segments(requests):
    return [int(m.group(1)) for m in map(SEGMENT.search, requests) if m]


@pytest.mark.parametrize("path", PATHS)
def test_at_400_kbits_the_stream_settles_low_and_plays_where_the_file_stalls(context, on, server,
                                                                             path):
    # "native" is the path Chromium takes by default: it plays HLS itself.
    streamed, uploaded = context.new_page(), context.new_page()
    fetched = []
    streamed.on("request", lambda r: fetched.append(r.url))
    start(streamed, server, on, path, kbits=400)
    start(uploaded, server, on, path, kbits=400, hls=False)
    native = streamed.evaluate(f"!!{MEDIA}.canPlayType('application/vnd.apple.mpegurl')")
    assert native == (path == "native")
    # Side by side, for the same 30 seconds.
    streamed.wait_for_function(f"() => {MEDIA}.currentTime > 0", timeout=30_000)
    streamed.wait_for_timeout(30_000)
    state = f"[window.__waits, {MEDIA}.currentTime, {MEDIA}.videoHeight, {MEDIA}.currentSrc]"
    stream_waits, stream_time, height, src = streamed.evaluate(state)
    file_waits, file_time, _, file_src = uploaded.evaluate(state)
    print(f"400 kbit/s, 30 s, {path}: stream {stream_waits} waits, at {stream_time:.1f} s,"
          f" {height}p; file {file_waits} waits, at {file_time:.1f} s")
    assert src.startswith("blob:") and file_src.endswith("/film.mp4")
    assert height < 360 and max(segments(fetched)[-3:]) < 360
    assert stream_waits < file_waits
    assert stream_waits <= 1 and stream_time > 25


@pytest.mark.parametrize("path", PATHS)
def test_the_stream_climbs_when_the_network_gets_faster(page, on, server, path):
    start(page, server, on, path, kbits=400)
    page.wait_for_function(f"() => {MEDIA}.currentTime > 4", timeout=40_000)
    assert page.evaluate(f"{MEDIA}.videoHeight") < 360
    throttle(page, 8000)
    page.wait_for_function(f"() => {MEDIA}.videoHeight >= 360", timeout=25_000)


@pytest.mark.parametrize("path", PATHS)
def test_data_saver_from_the_browsers_signal_never_fetches_above_360p(page, on, server, path):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.add_init_script("Object.defineProperty(NetworkInformation.prototype, 'saveData',"
                         " {get: () => true});")
    start(page, server, on, path)
    page.wait_for_function(f"() => {MEDIA}.currentTime > 8", timeout=30_000)
    heights = segments(fetched)
    assert heights[0] == 240 and max(heights) <= 360, heights
    page.locator("#player .ap-quality > button").click()
    checked = page.locator("#player .ap-quality [aria-checked=true]")
    assert checked.text_content() == "Data saver (up to 360p)"
