"""What a new user tripped over, in Chromium: an icon for every page (no 404
in the console), the host helper that waits for the frame before talking to
it, one link past the transcript's lines, an unknown item inside an embed
shown without the site's header and footer, and the README's 800 by 480
embed with the transcript laid out with its buttons on one row."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import LiveServer, assert_axe_clean
from tests.test_browser_embed import HostSite, axe_clean_with_frames, iframe
from tests.test_embed import demo_app

pytestmark = pytest.mark.browser

WELCOME = "Welcome to Accessible Player"


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


def console_of(page) -> list[str]:
    """Errors and warnings the page logs from now on."""
    said: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and said.append(m.text))
    return said


# -- an icon ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/watch/welcome", "/watch/welcome/transcript",
                                  "/search?q=captions", "/embed/welcome", "/publish/login"])
def test_every_page_names_an_icon_that_is_there(page, demo_server, path):
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
    said = console_of(page)
    page.goto(demo_server.url + path)
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon][type]")
    assert icon.get_attribute("type") == "image/svg+xml"
    answer = page.request.get(icon.evaluate("link => link.href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert failed == [] and said == []


def test_favicon_ico_answers_for_responses_that_name_none(page, demo_server):
    """A JSON or text response names no icon: the browser asks /favicon.ico."""
    answer = page.request.get(demo_server.url + "/favicon.ico")
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/vnd.microsoft.icon"
    assert answer.body().startswith(b"\0\0\1\0")


# -- the host helper waits for the frame --------------------------------------------------

API = """
<script src="{server}/static/player/embed-api.js"></script>
<script>
  window.events = [];
  window.embed = new AccessiblePlayerEmbed(document.querySelector('iframe'));
  embed.ready.then((state) => events.push(state));
  embed.seek(12);
</script>"""


def test_the_helper_says_nothing_before_the_frame_has_loaded(page, demo_server, host):
    said = console_of(page)
    url = host.page("api.html", iframe(f"{demo_server.url}/embed/welcome?api=1", title=WELCOME)
                    + API.format(server=demo_server.url))
    page.goto(url)
    page.wait_for_function("() => events.length === 1")
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_function(
        "() => Math.abs(document.querySelector('video').currentTime - 12) < 0.5")
    assert [text for text in said if "postMessage" in text or "origin" in text] == []


def test_a_helper_made_after_the_player_is_ready_hears_ready(page, demo_server, host):
    url = host.page("late.html", iframe(f"{demo_server.url}/embed/welcome?api=1", title=WELCOME))
    page.goto(url)
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#player[data-state=ready]")
    said = console_of(page)
    page.add_script_tag(url=f"{demo_server.url}/static/player/embed-api.js")
    page.evaluate("""() => {
        window.events = [];
        window.embed = new AccessiblePlayerEmbed(document.querySelector('iframe'));
        embed.ready.then((state) => events.push(state));
    }""")
    page.wait_for_function("() => events.length === 1")
    assert page.evaluate("events[0].duration") == pytest.approx(60, abs=1)
    assert said == []


# -- one tab stop past the transcript's lines ---------------------------------------------

def focused(page) -> str:
    return page.evaluate("""() => { const el = document.activeElement;
        return el.id || el.getAttribute('aria-label') || el.textContent.trim(); }""")


def test_one_link_takes_the_keyboard_past_the_transcript(page, demo_server):
    page.goto(demo_server.url + "/watch/welcome")
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(".ap-transcript-tools")
    assert page.locator("#transcript .ap-transcript-cue").count() >= 20
    page.locator("[data-share-for=player]").focus()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip the transcript")
    expect(skip).to_be_focused()
    # Shown while it has focus, inside the transcript section.
    box = skip.bounding_box()
    assert box["width"] > 50 and box["height"] > 10
    page.keyboard.press("Enter")
    assert focused(page) == "transcript-end"
    page.keyboard.press("Tab")
    assert focused(page) == "embed-code"
    # Without it, the search box comes next, then every line.
    page.locator("[data-share-for=player]").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "search"
    assert_axe_clean(page)


def test_the_skip_link_stays_in_the_embeds_frame(page, demo_server, host):
    page.set_viewport_size({"width": 900, "height": 700})
    page.goto(host.page("skip.html", iframe(f"{demo_server.url}/embed/welcome?transcript=1",
                                            title=WELCOME, width=800, height=480)))
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector(".ap-transcript-tools")
    frame.get_by_role("link", name="Skip the transcript").focus()
    pages = len(page.context.pages)
    page.keyboard.press("Enter")
    frame.wait_for_function("() => document.activeElement.id === 'transcript-end'")
    assert len(page.context.pages) == pages


# -- an unknown item inside an embed ------------------------------------------------------

@pytest.mark.parametrize("hl, heading", [("", "Not Found"), ("?hl=uk", "Не знайдено")])
def test_an_unknown_id_in_an_embed_is_the_message_alone(page, demo_server, host, hl, heading):
    page.goto(host.page("gone.html", iframe(f"{demo_server.url}/embed/nope{hl}",
                                            title="A missing item", width=640, height=360)))
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_load_state()
    expect(frame.get_by_role("heading", level=1)).to_have_text(heading)
    assert frame.locator("header, footer, nav").count() == 0
    library = frame.get_by_role("link")
    assert library.get_attribute("href") == "/" + hl
    # Nothing spills out of the frame.
    assert frame.evaluate("document.documentElement.scrollHeight") <= 360
    axe_clean_with_frames(page)


# -- the README's 800 by 480 embed with the transcript ------------------------------------

def test_readme_embed_size_keeps_the_buttons_on_one_row(page, demo_server, host):
    page.set_viewport_size({"width": 900, "height": 600})
    page.goto(host.page("readme.html", iframe(
        f"{demo_server.url}/embed/welcome?t=20&captions=uk&transcript=1",
        title=WELCOME, width=800, height=480)))
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#player[data-state=ready]")
    frame.wait_for_function("() => document.querySelector('.ap-chapter').textContent !== ''")
    rows = frame.evaluate("""() => [...document.querySelectorAll('.ap-controls button')]
        .filter((b) => b.getClientRects().length && !b.closest('[role=menu]'))
        .map((b) => Math.round(b.getBoundingClientRect().top))""")
    assert len(rows) >= 10 and max(rows) - min(rows) <= 2, rows
    chapter = frame.locator(".ap-chapter")
    assert chapter.inner_text() == "Captions, transcript and descriptions"
    line = float(chapter.evaluate("el => getComputedStyle(el).lineHeight")[:-2])
    assert chapter.bounding_box()["height"] <= line * 1.5
    inside = frame.evaluate("""() => [...document.querySelectorAll(
            '.ap-controls :is(button, input), .ap-time, .ap-chapter, .ap-embed-links a')]
        .filter((el) => el.getClientRects().length)
        .every((el) => { const r = el.getBoundingClientRect();
            return r.left >= 0 && r.top >= 0
                && r.right <= innerWidth && r.bottom <= innerHeight; })""")
    assert inside
    video = frame.locator("video").bounding_box()
    assert video["height"] >= 250
    body = frame.locator(".ap-transcript-body").bounding_box()
    assert body["height"] >= 200
    axe_clean_with_frames(page)
