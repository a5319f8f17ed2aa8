"""The transcript follows playback wherever it appears: the watch page, the
embed page (alone and in a host's iframe, the README's 800 by 480 example
among them) and the inline component, at a desktop size and a small one.
In each, the element that scrolls is the transcript's body, the one
transcript.js scrolls, and the page around it never moves."""

from __future__ import annotations

import pytest

from tests.browser_support import LiveServer
from tests.test_browser_embed import HostSite, iframe
from tests.test_embed import demo_app

pytestmark = pytest.mark.browser

# The current cue, and the transcript body it must be seen in.
WHERE = """(section) => {
  const body = document.querySelector(`${section} .ap-transcript-body`);
  const cue = body.querySelector('[aria-current=true]');
  const box = body.getBoundingClientRect();
  const at = cue.getBoundingClientRect();
  return {
    inBody: at.top >= box.top - 1 && at.bottom <= box.bottom + 1,
    inView: at.top >= 0 && at.bottom <= innerHeight,
    scrolled: body.scrollTop, scrolls: getComputedStyle(body).overflowY,
    page: [scrollX, scrollY], time: document.querySelector('.ap-player video').currentTime,
  };
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


def play_on(frame, player: str = "#player") -> None:
    """Focus the player and press K, as a viewer would, then let it play a second and a half."""
    start = frame.evaluate(f"document.querySelector('{player} video').currentTime")
    frame.focus(player)
    frame.press(player, "k")
    frame.wait_for_function(
        f"() => document.querySelector('{player} video').currentTime > {start + 1.5}")


def check_followed(frame, section: str = "#transcript", whole_view: bool = True) -> None:
    where = frame.evaluate(WHERE, section)
    assert where["scrolls"] == "auto", where
    assert where["scrolled"] > 0, where
    assert where["inBody"], where
    if whole_view:
        assert where["inView"], where


@pytest.mark.parametrize("size", [(1280, 800), (320, 640)], ids=["desktop", "320px"])
def test_watch_page(page, demo_server, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{demo_server.url}/watch/welcome?t=40")
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(".ap-transcript-tools")
    before = page.evaluate("[scrollX, scrollY]")
    play_on(page)
    # The transcript may be below the fold at 320 px: only its own box moves.
    check_followed(page, whole_view=False)
    assert page.evaluate("[scrollX, scrollY]") == before


@pytest.mark.parametrize("size", [(1280, 790), (800, 480), (320, 480)],
                         ids=["issue-size", "readme-size", "320px"])
def test_embed_page(page, demo_server, size):
    """The issue's case: /embed/welcome?t=40&transcript=1, then K."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{demo_server.url}/embed/welcome?t=40&transcript=1")
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(".ap-transcript-tools")
    play_on(page)
    check_followed(page)
    assert page.evaluate("[scrollX, scrollY]") == [0, 0]


def test_embed_in_a_host_iframe(page, demo_server, host):
    """The README's example: 800 by 480, from 20 seconds, with the transcript."""
    url = host.page("readme.html", iframe(
        f"{demo_server.url}/embed/welcome?t=20&captions=uk&transcript=1",
        title="Welcome to Accessible Player", width=800, height=480))
    page.goto(url)
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#player[data-state=ready]")
    frame.wait_for_selector(".ap-transcript-tools")
    frame.evaluate("document.querySelector('video').currentTime = 45")
    play_on(frame)
    check_followed(frame)


@pytest.mark.parametrize("size", [(1280, 800), (320, 640)], ids=["desktop", "320px"])
def test_inline_component(page, demo_server, host, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    url = host.page("inline.html", (
        f'<div id="lesson" data-player-src="{demo_server.url}/api/media/welcome"></div>'
        "<p>The host's text after the player.</p>"), head=(
        f'<link rel="stylesheet" href="{demo_server.url}/static/player/player.css">'
        f'<script type="module" src="{demo_server.url}/static/player/player.js"></script>'))
    page.goto(url)
    page.wait_for_selector("#lesson[data-state=ready]")
    section = "[data-transcript-for=lesson]"
    page.wait_for_selector(f"{section} .ap-transcript-tools")
    page.evaluate("document.querySelector('#lesson video').currentTime = 40")
    before = page.evaluate("[scrollX, scrollY]")
    play_on(page, "#lesson")
    check_followed(page, section, whole_view=False)
    assert page.evaluate("[scrollX, scrollY]") == before
