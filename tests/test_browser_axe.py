"""axe-core finds nothing on the library and watch pages, with the player in
every state a viewer can meet: loading, buffering, ready, error, the resume
offer, and beyond."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    CLIP,
    Valve,
    make_player_library,
    media_dir,
    no_script_errors,
    starve,
)
from tests.browser_support import assert_axe_clean

pytestmark = pytest.mark.browser


@pytest.fixture
def watch(page, live_server):
    """Open a watch page and wait until the player has reached ``state``."""

    def open_page(path="/watch/clip", state="ready"):
        page.goto(live_server.url + path)
        page.wait_for_selector(f"#player[data-state={state}]")
        return page

    return open_page


@pytest.mark.parametrize("hl", ["", "?hl=uk"], ids=["english", "ukrainian"])
def test_library(page, live_server, hl):
    page.goto(live_server.url + "/" + hl)
    assert page.locator(".media-card").count() == 2
    assert_axe_clean(page)


def test_ukrainian_page_and_player_speak_one_language(watch):
    page = watch("/watch/clip?hl=uk")
    assert page.locator("html").get_attribute("lang") == "uk"
    expect(page.get_by_role("button", name="Відтворити", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Стенограма")).to_be_visible()
    expect(page.get_by_role("link", name="Бібліотека")).to_have_attribute("href", "/?hl=uk")


@pytest.mark.parametrize("path", ["/watch/clip", "/watch/song", "/watch/clip?hl=uk"],
                         ids=["video", "audio", "ukrainian"])
def test_watch_page_ready_with_the_transcript_shown(watch, path):
    page = watch(path)
    assert page.locator("#transcript").is_visible()
    assert_axe_clean(page)


def test_loading(watch, page):
    valve = Valve()
    page.route(CLIP, valve.handle)
    watch(state="loading")
    page.wait_for_function(
        "() => document.querySelector('#player > [role=status]').textContent !== ''")
    assert_axe_clean(page)
    valve.open()


def test_playing(watch):
    page = watch()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector("#player:not([data-paused])")
    assert_axe_clean(page)


def test_buffering(watch, page, media_dir):
    valve = starve(page, CLIP, media_dir / "clip.mp4")
    watch()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector("#player[data-buffering]")
    assert_axe_clean(page)
    valve.open()


def test_error(watch, page):
    page.route(CLIP, lambda route: route.fulfill(status=404, body="gone"))
    watch(state="error")
    assert_axe_clean(page)


@pytest.mark.parametrize("button, menu", [("CC: Captions", "Captions"), ("Chapters", "Chapters"),
                                          ("Playback speed: 1×", "Playback speed")])
def test_menu_open(watch, button, menu):
    page = watch()
    page.get_by_role("button", name=button, exact=True).click()
    # Its list comes with menu.js, loaded on demand.
    expect(page.get_by_role("menu", name=menu)).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.parametrize("button, dialog", [("Settings", "Settings"),
                                            ("Keyboard shortcuts (?)", "Keyboard shortcuts")])
def test_dialog_open(watch, button, dialog):
    page = watch()
    page.get_by_role("button", name=button, exact=True).click()
    # It opens once settings.js, loaded on demand, has filled it.
    expect(page.get_by_role("dialog", name=dialog)).to_be_visible()
    assert_axe_clean(page)


def test_transcript_hidden_and_descriptions_on(watch):
    page = watch()
    page.get_by_role("button", name="Transcript").click()
    page.get_by_role("button", name="Descriptions").click()
    assert page.locator("#transcript").is_hidden()
    assert_axe_clean(page)


def test_at_320_pixels_with_a_menu_open(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    assert_axe_clean(page)
    page.get_by_role("button", name="Playback speed").click()
    assert_axe_clean(page)
    context.close()


def test_forced_colors_and_reduced_motion(watch, page):
    page.emulate_media(forced_colors="active", reduced_motion="reduce")
    watch()
    assert_axe_clean(page)
    page.get_by_role("button", name="Captions").click()
    assert_axe_clean(page)
