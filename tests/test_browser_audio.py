"""An audio item is a compact player, not a video-sized black box: artwork
(its poster or a neutral picture), the title where the page does not show
it, the controls, the captions as text under them, the transcript on
request; in an embed at the size oEmbed and the embed code give, on the
watch page and in the inline component, at 320, 640 and 1280 px. Also the
library's card for it."""

from __future__ import annotations

import shutil

import pytest
import requests
from playwright.sync_api import expect

from player import create_app
from player.embed import AUDIO_NARROW_HEIGHT
from tests.browser_support import LiveServer, assert_axe_clean
from tests.demo import copy_demo
from tests.test_browser_embed import HostSite, axe_clean_with_frames, snippet
from tests.test_embed import demo_app

pytestmark = pytest.mark.browser

TITLE = "Audio tour: listening with a transcript"
FIRST_CUE = "This is the audio tour,\na recording without pictures."
# Boxes of the player's parts, and whether each lies inside the viewport.
LAYOUT = """(player) => {
  const el = document.querySelector(player);
  const box = (sel) => {
    const found = sel === ':scope' ? el : el.querySelector(sel) || document.querySelector(sel);
    if (!found || !found.getClientRects().length) return null;
    const r = found.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height,
            width: r.width};
  };
  const parts = [...el.querySelectorAll('.ap-controls :is(button, input), .ap-time, .ap-art,'
      + ' .ap-audio-title, .ap-captions'), ...document.querySelectorAll('.ap-embed-links a')]
    .filter((part) => part.getClientRects().length);
  const outside = parts.filter((part) => {
    const r = part.getBoundingClientRect();
    return r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5;
  }).map((part) => part.outerHTML.slice(0, 80));
  return {player: box(':scope'), art: box('.ap-art'), title: box('.ap-audio-title'),
          controls: box('.ap-controls'), captions: box('.ap-captions'), outside,
          stage: getComputedStyle(el.querySelector('.ap-stage')).backgroundColor,
          captionText: el.querySelector('.ap-captions').innerText.trim()};
}"""


@pytest.fixture
def demo_server(tmp_path):
    with LiveServer(demo_app(tmp_path)) as server:
        yield server


@pytest.fixture
def host():
    site = HostSite()
    with LiveServer(site.app) as server:
        site.url = server.url
        yield site


@pytest.fixture(autouse=True)
def patient_waits(page):
    page.set_default_timeout(30_000)


def to_first_cue(frame, player: str = "#player") -> None:
    frame.evaluate(f"document.querySelector('{player} audio').currentTime = 1")
    frame.wait_for_function(
        f"() => document.querySelector('{player} .ap-captions').innerText.trim() !== ''")


def check_compact(layout: dict, *, art: bool = True, title: bool = True) -> None:
    """What every compact audio player shows, where."""
    assert layout["outside"] == [], layout
    # No picture box: the stage holds only the lines of text.
    assert layout["stage"] == "rgba(0, 0, 0, 0)"
    assert layout["captionText"] == FIRST_CUE
    # The captions are under the controls, not over a picture.
    assert layout["captions"]["top"] >= layout["controls"]["bottom"] - 1, layout
    if art:
        assert layout["art"]["width"] >= 40 and layout["art"]["height"] >= 40, layout
    else:
        assert layout["art"] is None, layout
    assert (layout["title"] is not None) == title, layout


def open_audio_frame(page, url: str):
    page.goto(url)
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#player[data-state=ready] .ap-audio")
    return frame


@pytest.mark.parametrize("width", [320, 640, 1280])
def test_embed_code_from_the_watch_page(page, demo_server, host, width):
    page.set_viewport_size({"width": width + 40, "height": 700})
    code = snippet(demo_server.url, "audio-tour")
    assert f"height:{AUDIO_NARROW_HEIGHT}px" in code
    frame = open_audio_frame(page, host.page(
        f"snippet-{width}.html", f'<div style="width:{width}px">{code}</div>', title="Radio"))
    outer = page.locator("iframe").bounding_box()
    assert (outer["width"], outer["height"]) == (width, AUDIO_NARROW_HEIGHT)
    to_first_cue(frame)
    layout = frame.evaluate(LAYOUT, "#player")
    check_compact(layout)
    assert frame.locator(".ap-audio-title").inner_text() == TITLE
    # The title beside the artwork, the controls beside it too when there is room.
    assert layout["title"]["left"] > layout["art"]["right"]
    if width >= 640:
        assert layout["controls"]["left"] > layout["art"]["right"]
    axe_clean_with_frames(page)


@pytest.mark.parametrize("width", [320, 640, 1280])
def test_oembed_frame(page, demo_server, host, width):
    body = requests.get(f"{demo_server.url}/oembed", timeout=10, params={
        "url": f"{demo_server.url}/watch/audio-tour", "maxwidth": width}).json()
    assert body["type"] == "rich"
    assert body["width"] == min(width, 640) and body["height"] <= AUDIO_NARROW_HEIGHT
    page.set_viewport_size({"width": max(width, 700), "height": 700})
    frame = open_audio_frame(page, host.page(f"oembed-{width}.html", body["html"]))
    to_first_cue(frame)
    check_compact(frame.evaluate(LAYOUT, "#player"))
    axe_clean_with_frames(page)
    # Menus open where there is room, inside the short frame.
    frame.get_by_role("button", name="Playback speed: 1×", exact=True).click()
    menu = frame.get_by_role("menu", name="Playback speed: 1×")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    frame_box = page.locator("iframe").bounding_box()
    assert frame_box["y"] <= box["y"]
    assert box["y"] + box["height"] <= frame_box["y"] + frame_box["height"]


def test_a_tall_frame_keeps_the_player_compact(page, demo_server, host):
    """The issue's 1280 by 790 frame: the compact player in its middle, no black box."""
    page.set_viewport_size({"width": 1300, "height": 900})
    frame = open_audio_frame(page, host.page("tall.html", (
        f'<iframe src="{demo_server.url}/embed/audio-tour" title="{TITLE}"'
        ' width="1280" height="790"></iframe>')))
    to_first_cue(frame)
    layout = frame.evaluate(LAYOUT, "#player")
    check_compact(layout)
    assert layout["player"]["height"] < 250
    assert abs((layout["player"]["top"]) - (790 - 28 - layout["player"]["bottom"])) < 40


@pytest.mark.parametrize("width", [1280, 320])
def test_watch_page(page, demo_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{demo_server.url}/watch/audio-tour")
    page.wait_for_selector("#player[data-state=ready] .ap-audio")
    to_first_cue(page)
    layout = page.evaluate(LAYOUT, "#player")
    # The page's heading names it: no title inside; on a narrow screen no artwork either.
    check_compact(layout, art=width > 480, title=False)
    assert layout["player"]["height"] < (200 if width > 480 else 320)
    assert page.get_by_role("region", name=f"Audio player: {TITLE}").is_visible()
    # The transcript, on request.
    button = page.get_by_role("button", name="Transcript", exact=True)
    button.click()
    expect(page.locator("#transcript")).to_be_hidden()
    button.click()
    expect(page.locator("#transcript")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_inline_component(page, demo_server, host, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(host.page("inline.html", (
        f'<div id="radio" data-player-src="{demo_server.url}/api/media/audio-tour"></div>'), head=(
        f'<link rel="stylesheet" href="{demo_server.url}/static/player/player.css">'
        f'<script type="module" src="{demo_server.url}/static/player/player.js"></script>')))
    page.wait_for_selector("#radio[data-state=ready] .ap-audio")
    to_first_cue(page, "#radio")
    layout = page.evaluate(LAYOUT, "#radio")
    check_compact(layout)
    assert page.locator("#radio .ap-audio-title").inner_text() == TITLE
    assert layout["player"]["height"] < 300
    page.locator("[data-transcript-for=radio] .ap-transcript-tools").wait_for()
    assert_axe_clean(page)


def test_a_poster_is_the_artwork(page, tmp_path):
    folder = copy_demo(tmp_path / "media")
    shutil.copy(folder / "welcome.jpg", folder / "audio-tour.jpg")
    app = create_app({"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "poster.sqlite")})
    with LiveServer(app) as server:
        page.goto(f"{server.url}/watch/audio-tour")
        art = page.locator("#player img.ap-art")
        art.wait_for()
        assert art.get_attribute("src").endswith("/audio-tour.jpg")
        assert art.get_attribute("alt") == ""
        box = art.bounding_box()
        assert 40 <= box["width"] == box["height"] <= 120


def test_library_card_has_artwork_not_a_gap(page, demo_server):
    page.goto(demo_server.url + "/")
    audio = page.locator(".media-card", has_text=TITLE)
    art = audio.locator(".media-art")
    poster = page.locator(".media-card img.media-poster")
    assert art.bounding_box()["height"] == pytest.approx(poster.bounding_box()["height"], abs=1)
    facts = audio.locator(".media-facts").bounding_box()
    links = audio.locator(".media-links").bounding_box()
    # What is left is the other card's longer list of facts (it was some 250 px).
    assert links["y"] - (facts["y"] + facts["height"]) < 100
    assert_axe_clean(page)


# The focused element of the frame, if focus is in it: its name, whether it lies
# inside the frame's viewport, and whether a click at its centre reaches it.
FOCUS_SEEN = """() => {
  const el = document.activeElement;
  if (!document.hasFocus() || !el || el === document.body) return null;
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {name: (el.getAttribute('aria-label') || el.textContent).trim(),
          inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
          topmost: hit === el || el.contains(hit)};
}"""


@pytest.mark.parametrize("height", [150, 200, 260])
def test_a_short_frame_hides_no_focus_and_no_control(page, demo_server, host, height):
    """Frames lower than the player and its links, at sizes oEmbed hands out
    when asked for them: every control and link comes into view as the
    keyboard reaches it, not cut off above the frame or under the player."""
    body = requests.get(f"{demo_server.url}/oembed", timeout=10, params={
        "url": f"{demo_server.url}/watch/audio-tour", "maxwidth": 320,
        "maxheight": height}).json()
    assert (body["width"], body["height"]) == (320, height)
    frame = open_audio_frame(page, host.page(f"short-{height}.html", body["html"]))
    seen = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focus = frame.evaluate(FOCUS_SEEN)
        if focus is None and seen:
            break
        if focus:
            seen.append(focus)
    names = [focus["name"] for focus in seen]
    assert names[:2] == ["Seek", "Play"] and names[-2:] == [
        "Watch on Accessible Player (opens in a new tab)",
        "Read the transcript (opens in a new tab)"], names
    assert [focus for focus in seen if not (focus["inside"] and focus["topmost"])] == []
    axe_clean_with_frames(page)
