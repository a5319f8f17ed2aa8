"""The demo in Ukrainian (``?hl=uk``) in Chromium: axe-core finds nothing,
and the player inside the page speaks the page's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from player import create_app
from tests.browser_support import assert_axe_clean

pytestmark = pytest.mark.browser



@pytest.fixture
def app(tmp_path, demo_media):
    """The demo library the README serves: ``welcome`` and ``audio-tour``."""
    return create_app({"TESTING": True, "MEDIA_DIR": str(demo_media),
                       "DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "test"})


def test_watch_page_and_player_in_ukrainian(page, live_server):
    page.goto(live_server.url + "/watch/welcome?hl=uk")
    page.wait_for_selector("#player[data-state=ready]")
    assert page.locator("html").get_attribute("lang") == "uk"
    expect(page.get_by_role("button", name="Відтворити", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Стенограма", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Бібліотека")).to_have_attribute("href", "/?hl=uk")
    assert_axe_clean(page)
    assert page.js_errors == []


@pytest.mark.parametrize("path", ["/?hl=uk", "/search?hl=uk&q=keyboard",
                                  "/watch/welcome/transcript?hl=uk", "/watch/nothing?hl=uk"],
                         ids=["library", "search", "transcript", "not-found"])
def test_other_pages_in_ukrainian(page, live_server, path):
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == "uk"
    expect(page.get_by_role("link", name="Пошук у стенограмах")).to_be_visible()
    assert_axe_clean(page)
