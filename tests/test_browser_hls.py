"""The player on HLS in Chromium: both paths (the browser's own HLS, and
hls.js brought on demand), the quality menu, Audio only, Data saver and the
embed parameters."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from playwright.sync_api import expect

from player import create_app
from tests.browser_media import CAPTIONS_EN, CLIP, make_player_library, no_script_errors, seek  # noqa: F401
from tests.browser_support import LiveServer, assert_axe_clean
from tests.hls_media import HLSJS_PATH, PATHS, clip_360, stream_on
from tests.test_embed import image

pytestmark = pytest.mark.browser

MEDIA = "document.querySelector('#player video')"


@pytest.fixture
def media_dir(tmp_path, media_cache):
    """The player's test library, its clip 360p high: two renditions."""
    folder = make_player_library(tmp_path / "media", media_cache)
    shutil.copy(clip_360(media_cache), folder / "clip.mp4")
    return folder


@pytest.fixture
def app(media_dir, tmp_path, media_cache, path):  # noqa: F811
    shutil.copy(image(media_cache, "hls-poster.jpg", "160x90"), media_dir / "clip.jpg")
    return create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                       "DATABASE": str(tmp_path / "player.sqlite")})


@pytest.fixture
def server(app):
    with LiveServer(app) as live:
        yield live


@pytest.fixture(params=PATHS)
def path(request, context, monkeypatch, media_dir, media_cache):  # noqa: F811
    stream_on(context, request.param, monkeypatch, media_dir, media_cache, ("clip", "song"))
    return request.param


def playing_from(page):
    return page.evaluate(f"{MEDIA}.currentSrc")


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_the_stream_plays_on_each_path(page, server, path):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready] .ap-quality")
    page.evaluate(f"{MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.currentTime > 1")
    src = playing_from(page)
    hlsjs = [u for u in fetched if u.endswith(HLSJS_PATH)]
    if path == "native":
        assert re.search(r"/hls/clip/[^/]+/master\.m3u8$", src), src
        assert hlsjs == []
    else:
        assert src.startswith("blob:")
        assert len(hlsjs) == 1
    assert any("/hls/clip/" in u and u.endswith((".m4s", ".mp4")) for u in fetched)


def menu_items(page):
    return page.locator("#player .ap-quality [role=menuitemradio]")


def said(page):
    return page.locator("#player > [role=status]")


def quality_button_at(page, server, seconds: float):
    """The clip's watch page at ``seconds``; its Quality button, once there."""
    page.goto(server.url + "/watch/clip")
    button = page.locator("#player .ap-quality > button")
    button.wait_for()
    seek(page, seconds)
    return button


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_a_quality_chosen_by_keyboard_plays_on_from_there_and_is_remembered(page, server, path):
    button = quality_button_at(page, server, 12)
    page.evaluate(f"{MEDIA}.play()")
    button.focus()
    page.keyboard.press("Enter")
    expect(menu_items(page)).to_have_text([
        "Auto", "Data saver (up to 360p)", re.compile(r"^360p, about \d+ MB a minute$"),
        re.compile(r"^240p, about \d+ MB a minute$"),
        re.compile(r"^Audio only, about 0\.\d MB a minute$")])
    expect(menu_items(page).first).to_be_focused()
    expect(menu_items(page).first).to_have_attribute("aria-checked", "true")
    assert_axe_clean(page)
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    # Every time the media shows a picture from now on, to see it never goes back.
    page.evaluate(f"() => {{ const m = {MEDIA}; window.__times = [];"
                  " m.addEventListener('timeupdate', () => m.readyState >= 2 && !m.seeking"
                  " && window.__times.push(m.currentTime)); }")
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    expect(said(page)).to_have_text(re.compile(r"^Quality: 240p, about \d+ MB a minute$"))
    page.wait_for_function(f"() => {MEDIA}.videoHeight == 240")
    page.wait_for_function("() => window.__times.length > 2")
    assert min(page.evaluate("window.__times")) >= 12
    page.reload()
    page.wait_for_selector("#player .ap-quality")
    page.evaluate(f"{MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.videoHeight == 240 && {MEDIA}.currentTime > 0.5")


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_a_seek_asked_for_while_the_quality_changes_is_where_it_plays_from(page, server, path):
    quality_button_at(page, server, 12).click()
    menu_items(page).nth(3).wait_for()
    # The new source has no metadata yet when the seek comes (one task, no wait).
    page.evaluate(f"() => {{ document.querySelectorAll('#player .ap-quality [role=menuitemradio]')"
                  f"[3].click(); {MEDIA}.currentTime = 3; }}")
    page.wait_for_function(
        f"() => {MEDIA}.videoHeight == 240 && {MEDIA}.readyState >= 2 && !{MEDIA}.seeking")
    page.wait_for_timeout(500)
    assert page.evaluate(f"{MEDIA}.currentTime") == pytest.approx(3, abs=0.5)
    assert page.evaluate(f"{MEDIA}.paused")


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_audio_only_keeps_the_place_the_captions_and_shows_the_poster(page, server, path):
    fetched = []
    page.goto(server.url + "/watch/clip")
    page.wait_for_selector("#player .ap-quality")
    page.evaluate(f"{MEDIA}.play()")
    seek(page, 11)
    page.locator("#player .ap-quality > button").click()
    page.get_by_role("menuitemradio", name=re.compile("^Audio only")).click()
    page.wait_for_function(f"() => {MEDIA}.currentTime > 11.5 && !{MEDIA}.paused")
    assert page.evaluate(f"{MEDIA}.currentTime") < 14
    assert page.evaluate(f"{MEDIA}.videoHeight") == 0
    expect(page.locator("#player .ap-captions")).to_have_text(CAPTIONS_EN[2])
    assert page.locator("#player").get_attribute("data-audio-only") == ""
    # From now on only sound comes.
    page.on("request", lambda r: fetched.append(r.url))
    seek(page, 20)
    expect(page.locator("#player .ap-captions")).to_have_text(CAPTIONS_EN[4])
    assert "/clip.jpg" in page.evaluate(
        "getComputedStyle(document.querySelector('#player .ap-stage')).backgroundImage")
    video = [u for u in fetched if re.search(r"/hls/clip/.*/v\d+-\d+\.m4s$", u)]
    assert video == []
    assert_axe_clean(page)


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_a_stream_and_file_that_do_not_come_are_an_alert_with_retry(page, server, path):
    refused = []

    def gone(route):
        refused.append(route.request.url)
        route.fulfill(status=404, body="gone")

    for pattern in ("**/hls/clip/**", CLIP):
        page.route(pattern, gone)
    page.goto(server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=error]")
    # The stream's own try ends after the file's: stream.js asks for the
    # master playlist and, refused, lets the file load again, which is
    # refused too. Only once nothing more is asked is the failure final.
    deadline = time.monotonic() + 20
    seen = -1
    while seen != len(refused) or not any("/hls/clip/" in url for url in refused):
        assert time.monotonic() < deadline, refused
        seen = len(refused)
        page.wait_for_timeout(1500)
    page.wait_for_selector("#player[data-state=error]")
    assert page.get_by_role("alert").text_content() == "No media source currently available"
    for pattern in ("**/hls/clip/**", CLIP):
        page.unroute(pattern, gone)
    page.get_by_role("button", name="Try again", exact=True).click()
    page.wait_for_selector("#player[data-state=ready]")
    page.evaluate(f"{MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.currentTime > 0.5")


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_a_stream_that_stalls_says_buffering_and_goes_on(page, server, path):
    held = []
    opened = []

    def hold(route):
        if opened:
            route.fallback()
        else:
            held.append(route)

    # The first four segments (16 s) come; the rest wait. (With fewer,
    # Chromium's own HLS does not start at all: it waits for more.)
    page.route(re.compile(r"/hls/clip/.*-0000[4-9]\.m4s$"), hold)
    page.goto(server.url + "/watch/clip")
    page.wait_for_selector("#player .ap-quality")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector("#player[data-buffering]", timeout=30_000)
    expect(said(page)).to_have_text("Buffering")
    assert 15 < page.evaluate(f"{MEDIA}.currentTime") < 17
    opened.append(True)
    for route in held:
        route.fallback()
    page.wait_for_function("() => !document.querySelector('#player').hasAttribute('data-buffering')"
                           f" && {MEDIA}.currentTime > 17")


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_embed_parameters_choose_the_quality_for_the_page_only(page, server, path):
    page.goto(server.url + "/embed/clip?quality=240")
    page.wait_for_selector("#player .ap-quality")
    page.evaluate(f"{MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.videoHeight == 240 && {MEDIA}.currentTime > 1")
    # The page's choice, not the viewer's: nothing is remembered.
    assert "quality" not in (page.evaluate("localStorage.getItem('ap-player')") or "")
    page.goto(server.url + "/embed/clip?audio_only=1")
    page.wait_for_selector("#player[data-audio-only] .ap-quality")
    page.evaluate(f"{MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.currentTime > 1")
    assert page.evaluate(f"{MEDIA}.videoHeight") == 0
    expect(page.locator("#player .ap-captions")).to_have_text(CAPTIONS_EN[0])
    assert_axe_clean(page)


@pytest.mark.parametrize("path", PATHS, indirect=True)
def test_an_audio_item_streams_with_nothing_to_choose(page, server, path):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(server.url + "/watch/song")
    page.wait_for_selector("#player[data-state=ready]")
    page.evaluate("document.querySelector('#player audio').play()")
    page.wait_for_function("() => document.querySelector('#player audio').currentTime > 1")
    assert any("/hls/song/" in u and u.endswith(".m4s") for u in fetched)
    assert page.locator("#player .ap-quality").count() == 0
    expect(page.locator("#player .ap-captions")).to_have_text("A steady tone plays.")


# Each visible button of the bar: [name, top, left, right, width, height].
BUTTONS = """() => [...document.querySelectorAll('#player .ap-controls button')]
  .filter((b) => b.offsetParent).map((b) => {
    const r = b.getBoundingClientRect();
    return [b.getAttribute('aria-label'), r.top, r.left, r.right, r.width, r.height];
  })"""


@pytest.mark.parametrize("path", ["native"], indirect=True)
@pytest.mark.parametrize("where", ["watch", "embed"])
def test_with_the_quality_button_the_bar_keeps_to_one_row_at_640_and_reflows_at_320(
        page, server, path, where):
    # The clip has every button: captions, descriptions, chapters, speed,
    # quality, transcript (on its page), settings, keys, picture in picture, full screen.
    page.set_viewport_size({"width": 640, "height": 480})
    page.goto(f"{server.url}/{where}/clip")
    page.wait_for_selector("#player[data-state=ready] .ap-quality")
    buttons = page.evaluate(BUTTONS)
    names = [b[0] for b in buttons]
    assert "Quality" in names and len(buttons) >= (12 if where == "watch" else 11), names
    tops = [b[1] for b in buttons]
    assert max(tops) - min(tops) <= 3, buttons
    assert all(0 <= b[2] and b[3] <= 640 for b in buttons), buttons
    page.set_viewport_size({"width": 320, "height": 640})
    page.wait_for_function(f"() => {BUTTONS}().every((b) => b[3] <= 320)")
    buttons = page.evaluate(BUTTONS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert all(0 <= b[2] and b[3] <= 320 and b[4] >= 24 and b[5] >= 24 for b in buttons), buttons
    rows = sorted({round(b[1]) for b in buttons})
    assert len(rows) == 2, buttons
    # The time and the chapter's name are still there to read.
    for part in (".ap-time", ".ap-chapter"):
        box = page.locator(f"#player {part}").bounding_box()
        assert box and box["width"] > 0 and box["x"] + box["width"] <= 320, part
