"""Names in Chromium's accessibility tree: each player's region is named with
its item's title, in the interface's language, and every control whose
visible text differs from its name has that text in its name (WCAG 2.5.3
Label in Name), so "click CC" works for someone who speaks to their computer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    media_dir,
    no_script_errors,
)
from tests.browser_support import LiveServer

pytestmark = pytest.mark.browser

# What a person can operate by its visible words.
CONTROLS = ("button, a[href], summary, [role=button], [role=link], [role=menuitem],"
            " [role=menuitemradio], [role=menuitemcheckbox], [role=tab], [role=option]")
# Each rendered control on the page (behind an open modal dialog nothing
# can be operated) gets a mark, after the marks of an earlier look are gone,
# and gives back its markup and the text a sighted person sees on it: text
# hidden for screen readers' sake (clipped to a pixel) is not seen.
MARK = """(selector) => {
  const seen = (el) => [...el.childNodes].map((node) => {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    const style = getComputedStyle(node);
    const box = node.getBoundingClientRect();
    if (style.display === 'none' || (style.clipPath !== 'none' && box.width <= 1)) return '';
    return style.display.startsWith('inline') ? seen(node) : ` ${seen(node)} `;
  }).join('');
  const modal = document.querySelector('dialog:modal');
  return [...document.querySelectorAll(selector)]
    .filter((el) => delete el.dataset.nameCheck)
    .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
    .filter((el) => !modal || modal.contains(el))
    .map((el, i) => { el.dataset.nameCheck = i; return [el.outerHTML.slice(0, 90), seen(el)]; });
}"""


def words(text: str) -> list[str]:
    """Words and each mark between them, in any case: what speech input matches."""
    return re.findall(r"\w+|[^\w\s]", text.casefold())


def contains_in_order(name: str, text: str) -> bool:
    """Whether every word and mark of ``text`` is in ``name``, in the same order
    (the name may say more, as "CC: Captions" does of "CC")."""
    rest = iter(words(name))
    return all(word in rest for word in words(text))


def accessible_names(page) -> list[tuple[str, str, str]]:
    """(markup, visible text, accessible name) of every rendered control,
    the name as Chromium computes it for assistive technology."""
    controls = page.evaluate(MARK, CONTROLS)
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found = []
        for i, (markup, text) in enumerate(controls):
            node = cdp.send("DOM.querySelector",
                            {"nodeId": root, "selector": f'[data-name-check="{i}"]'})["nodeId"]
            tree = cdp.send("Accessibility.getPartialAXTree",
                            {"nodeId": node, "fetchRelatives": False})["nodes"]
            name = next((n.get("name", {}).get("value", "") for n in tree
                         if not n.get("ignored")), "")
            found.append((markup, text, name))
        return found
    finally:
        cdp.detach()


def label_in_name_failures(page) -> list[tuple[str, str, str]]:
    names = accessible_names(page)
    assert names, "no controls found"
    return [(markup, text, name) for markup, text, name in names
            if not contains_in_order(name, text)]


def open_player(page, url: str, state: str = "ready"):
    page.goto(url)
    page.wait_for_selector(f"#player[data-state={state}]")


# -- label in name ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/watch/clip", "/watch/clip?hl=uk", "/watch/song",
                                  "/embed/clip?transcript=1", "/embed/song?hl=uk"])
def test_every_control_has_its_visible_text_in_its_name(page, live_server, path):
    open_player(page, live_server.url + path)
    page.wait_for_selector(".ap-transcript-tools" if "song" not in path or "watch" in path
                           else ".ap-controls")
    assert label_in_name_failures(page) == []


def test_letter_buttons_are_named_starting_with_their_letters(page, live_server):
    open_player(page, live_server.url + "/watch/clip")
    for letters in ("CC", "AD"):
        button = page.locator(".ap-controls button", has_text=letters)
        assert button.get_attribute("aria-label").startswith(f"{letters}: ")
    speed = page.locator(".ap-controls .ap-menu > button", has_text="×")
    assert speed.get_attribute("aria-label") == "Playback speed: 1×"
    speed.click()
    page.get_by_role("menuitemradio", name="1.5×").click()
    expect(speed).to_have_attribute("aria-label", "Playback speed: 1.5×")
    speed.click()
    expect(page.get_by_role("menu", name="Playback speed: 1.5×")).to_be_visible()
    assert label_in_name_failures(page) == []


def test_open_menus_and_dialogs_keep_to_the_rule(page, live_server):
    open_player(page, live_server.url + "/watch/clip")
    page.get_by_role("button", name="CC: Captions", exact=True).click()
    expect(page.get_by_role("menu", name="CC: Captions")).to_be_visible()
    assert label_in_name_failures(page) == []
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Chapters", exact=True).click()
    expect(page.get_by_role("menu", name="Chapters")).to_be_visible()
    assert label_in_name_failures(page) == []
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings", exact=True).click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    assert label_in_name_failures(page) == []


@pytest.mark.parametrize("path", ["/", "/?hl=uk", "/watch/clip/transcript", "/search?q=tone"])
def test_site_pages_keep_to_the_rule(page, live_server, path):
    page.goto(live_server.url + path)
    assert label_in_name_failures(page) == []


# -- each player's region has its title ---------------------------------------------------

@pytest.mark.parametrize("path, name", [
    ("/watch/clip", "Video player: A test clip"),
    ("/watch/song", "Audio player: A steady tone"),
    ("/watch/clip?hl=uk", "Відеопрогравач: A test clip"),
    ("/watch/song?hl=uk", "Аудіопрогравач: A steady tone"),
    ("/embed/clip", "Video player: A test clip"),
    ("/embed/song?hl=uk", "Аудіопрогравач: A steady tone"),
])
def test_the_players_region_is_named_with_the_title(page, live_server, path, name):
    open_player(page, live_server.url + path)
    expect(page.get_by_role("region", name=name, exact=True)).to_have_id("player")


@pytest.mark.parametrize("lang, names", [
    ("en", ["Video player: A test clip", "Audio player: A steady tone"]),
    ("uk", ["Відеопрогравач: A test clip", "Аудіопрогравач: A steady tone"]),
])
def test_players_on_one_page_have_regions_told_apart(page, live_server, lang, names):
    server = live_server.url
    html = (f'<!doctype html><html lang="{lang}"><title>Host</title><main><h1>Two players</h1>'
            f'<div id="first" data-player-src="{server}/api/media/clip"></div>'
            f'<div id="second" data-player-src="{server}/api/media/song"></div></main>'
            f'<link rel="stylesheet" href="{server}/static/player/player.css">'
            f'<script type="module" src="{server}/static/player/player.js"></script>').encode()

    def host_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    with LiveServer(host_page, host="localhost") as host:
        page.goto(host.url + "/")
        page.wait_for_selector("#first[data-state=ready]")
        page.wait_for_selector("#second[data-state=ready]")
        for player_id, name in zip(["first", "second"], names, strict=True):
            expect(page.get_by_role("region", name=name, exact=True)).to_have_id(player_id)
