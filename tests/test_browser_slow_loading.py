"""Loading that makes no progress, in Chromium: after about 20 seconds the
player says "This is taking longer than usual" (politely) and offers what
its error state offers, while it keeps loading; bytes that arrive start the
wait again. The media is held back with Playwright's routing and the page's
timers run on Playwright's clock, so no test waits 20 real seconds."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    CLIP,
    Valve,
    media_dir,
    no_script_errors,
)
from tests.browser_support import LiveServer, assert_axe_clean

pytestmark = pytest.mark.browser

STATUS = "#player > [role=status]"
SLOW = "This is taking longer than usual."
NOTICE = "#player .ap-wait .ap-slow"
START = 1_700_000_000_000  # any moment, in milliseconds


def held_back(page, live_server) -> Valve:
    """The watch page with its media held back, its timers on Playwright's
    clock, once the player has said it is loading and fetched slow.js."""
    valve = Valve()
    page.route(CLIP, valve.handle)
    # Time stands still but for run_for().
    page.clock.install(time=START)
    page.clock.pause_at(START + 1)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=loading]")
    with page.expect_response(lambda r: r.url.endswith("/static/player/slow.js")):
        page.clock.run_for(600)
    # Installed once its module has run: the next task.
    page.evaluate("import('/static/player/slow.js')")
    page.clock.run_for(200)
    expect(page.locator(STATUS)).to_have_text("Loading, please wait")
    return valve


def test_loading_without_progress_says_so_and_offers_recovery(page, live_server):
    valve = held_back(page, live_server)
    page.clock.run_for(18_000)
    assert page.locator(NOTICE).count() == 0
    page.clock.run_for(2_000)
    notice = page.locator(NOTICE)
    expect(notice).to_be_visible()
    assert notice.locator("p").first.inner_text() == SLOW
    page.clock.run_for(200)
    expect(page.locator(STATUS)).to_have_text(SLOW)
    # The error state's recovery, while it is still loading.
    assert page.locator("#player").get_attribute("data-state") == "loading"
    assert page.locator(".ap-stage").get_attribute("aria-busy") == "true"
    assert notice.get_by_role("button", name="Try again", exact=True).is_visible()
    download = notice.get_by_role("link", name="Download the media")
    assert download.get_attribute("href").endswith("/files/clip/clip.mp4")
    transcript = notice.get_by_role("link", name="Read the transcript")
    assert transcript.get_attribute("href") == live_server.url + "/watch/clip/transcript"

    # Still loading: when the media comes, the player is ready and the notice gone.
    valve.open()
    page.wait_for_selector("#player[data-state=ready]")
    assert page.locator(NOTICE).count() == 0
    assert page.locator(STATUS).text_content() != SLOW


def test_bytes_that_arrive_start_the_wait_again(page, live_server):
    held_back(page, live_server)
    progress = "document.querySelector('#player video').dispatchEvent(new Event('progress'))"
    for _ in range(3):
        page.clock.run_for(15_000)
        page.evaluate(progress)
    page.clock.run_for(15_000)
    # A slow network that keeps making progress is left to it: 60 s, no notice.
    assert page.locator(NOTICE).count() == 0
    page.clock.run_for(5_500)
    expect(page.locator(NOTICE)).to_be_visible()
    # Progress once the notice shows: it goes, and comes back only after another wait.
    page.evaluate(progress)
    assert page.locator(NOTICE).count() == 0
    page.clock.run_for(20_500)
    expect(page.locator(NOTICE)).to_be_visible()


def test_try_again_from_the_notice_loads_again(page, live_server):
    valve = held_back(page, live_server)
    page.clock.run_for(20_500)
    retry = page.locator(NOTICE).get_by_role("button", name="Try again", exact=True)
    retry.focus()
    page.keyboard.press("Enter")
    # Loading again: the notice goes, and focus stays in the player.
    expect(page.locator(NOTICE)).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "player"
    page.clock.run_for(20_500)
    expect(page.locator(NOTICE)).to_be_visible()
    # The network is back (the held requests stay held): trying again gets the media.
    valve.is_open = True
    page.locator(NOTICE).get_by_role("button", name="Try again", exact=True).click()
    page.wait_for_selector("#player[data-state=ready]")
    assert page.locator(NOTICE).count() == 0


def test_data_slow_after_sets_the_wait_and_the_notice_is_accessible(page, live_server):
    """The documented option data-slow-after (seconds), on an inline player."""
    html = (f'<!doctype html><html lang="en"><title>Host</title><main><h1>Host</h1>'
            f'<div id="lesson" data-slow-after="1"'
            f' data-player-src="{live_server.url}/api/media/clip"></div></main>'
            f'<link rel="stylesheet" href="{live_server.url}/static/player/player.css">'
            f'<script type="module" src="{live_server.url}/static/player/player.js"></script>'
            ).encode()

    def host_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    valve = Valve()
    page.route(CLIP, valve.handle)
    with LiveServer(host_page, host="localhost") as host:
        page.goto(host.url + "/")
        notice = page.locator("#lesson .ap-wait .ap-slow")
        expect(notice).to_be_visible(timeout=10_000)
        expect(page.locator("#lesson > [role=status]")).to_have_text(SLOW)
        assert page.locator("#lesson").get_attribute("data-state") == "loading"
        assert_axe_clean(page)
        valve.open()
        page.wait_for_selector("#lesson[data-state=ready]")
