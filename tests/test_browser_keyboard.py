"""A keyboard-only walk through the watch page: order, names, visible focus,
shortcuts, menus, the shortcuts dialog and full screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    SUBTITLES_UK,
    Valve,
    make_player_library,
    media_dir,
    no_script_errors,
)

pytestmark = pytest.mark.browser

# What Tab reaches inside the player, in the order it appears on screen.
PLAYER_STOPS = ["Seek", "Play", "Mute", "Volume", "CC: Captions", "AD: Descriptions", "Chapters",
                "Playback speed: 1×", "Transcript", "Settings", "Keyboard shortcuts (?)",
                "Picture in picture", "Full screen"]
STATUS = "#player > [role=status]"
# What the player fetches when the pointer or focus first comes to it.
ON_DEMAND = re.compile(r"/static/player/(menu\.js|keys\.js|settings\.js|extras\.css)$")
# Run before the page's scripts: a promise of extras.css's load event (a
# listener capturing it runs before the player's own).
EXTRAS_LOADED = """
window.__extras = new Promise((resolve) => document.addEventListener('load', (e) => {
    if ((e.target.href || '').endsWith('/extras.css')) resolve();
}, true));
"""
# Resolves once those parts are here and whatever waited for them has run
# (a module imported again is the same module, evaluated once; what waits for
# the style sheet runs in the task of its load event).
ARRIVED = """async () => {
    await Promise.all(['menu', 'keys', 'settings'].map((name) =>
        import(`/static/player/${name}.js`)));
    await window.__extras;
    await new Promise((resolve) => setTimeout(resolve));
}"""

# The focused element: its name, focus ring, and the opaque backgrounds the
# ring is drawn against (its own, for rings drawn inside it, and the nearest
# ancestor's, for rings outside it; the page is white).
FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const opaque = node => {
        const bg = getComputedStyle(node).backgroundColor;
        return /rgba\\(.*, 0\\)$|transparent/.test(bg) ? null : bg;
    };
    let around = 'rgb(255, 255, 255)';
    for (let node = el.parentElement; node; node = node.parentElement) {
        if (opaque(node)) { around = opaque(node); break; }
    }
    const label = el.labels && el.labels[0] && el.labels[0].textContent;
    return {
        name: el.getAttribute('aria-label') || label || el.textContent.trim(),
        inPlayer: !!el.closest('#player'),
        focusVisible: el.matches(':focus-visible'),
        outline: {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
                  color: style.outlineColor, offset: parseFloat(style.outlineOffset)},
        ownBackground: opaque(el),
        around,
        box: {top: r.top, bottom: r.bottom, left: r.left, right: r.right},
        inViewport: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
    };
}"""


def luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def watch(page, live_server):
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    return page


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def media(page, expression: str):
    return page.evaluate(f"(m => {expression})(document.querySelector('#player video'))")


def test_tab_reaches_every_control_in_visual_order_named_with_visible_focus(watch):
    page = watch
    stops = []
    while True:
        page.keyboard.press("Tab")
        stop = focused(page)
        if stops and stop["name"] == stops[0]["name"] and not stop["inPlayer"]:
            break
        stops.append(stop)
        if len(stops) > 40 or stop["name"] == "Link to this video":
            break
    names = [s["name"] for s in stops]
    assert names[:3] == ["Skip to player", "Skip to transcript", "Skip to main content"]
    player = [s for s in stops if s["inPlayer"]]
    assert [s["name"] for s in player] == PLAYER_STOPS
    assert names[-1] == "Link to this video"

    for stop in stops:
        assert stop["name"], stop
        assert stop["focusVisible"] and stop["inViewport"], stop
        ring = stop["outline"]
        assert ring["style"] != "none" and ring["width"] >= 2, stop
        assert contrast(ring["color"], stop["around"]) >= 3, stop
        if ring["offset"] < 0 and stop["ownBackground"]:
            assert contrast(ring["color"], stop["ownBackground"]) >= 3, stop

    # Visual order: each control is right of the one before on its row, or on a lower row.
    for before, after in zip(player, player[1:], strict=False):
        a, b = before["box"], after["box"]
        if b["top"] < a["bottom"] and b["bottom"] > a["top"]:  # the same row
            assert b["left"] >= a["right"] - 1, (before, after)
        else:
            assert b["top"] >= a["bottom"] - 1, (before, after)


def test_space_plays_and_the_shortcut_table_works(watch):
    page = watch
    play = page.locator(".ap-play")
    play.focus()
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('#player video').paused")
    expect(play).to_have_attribute("aria-label", "Pause")
    page.keyboard.press("k")
    page.wait_for_function("() => document.querySelector('#player video').paused")

    def after(key, expression):
        page.keyboard.press(key)
        return media(page, expression)

    media(page, "m.currentTime = 10")
    assert after("ArrowRight", "m.currentTime") == pytest.approx(15)
    assert after("ArrowLeft", "m.currentTime") == pytest.approx(10)
    assert after("l", "m.currentTime") == pytest.approx(20)
    assert after("j", "m.currentTime") == pytest.approx(10)
    assert after("Control+ArrowRight", "m.currentTime") == pytest.approx(10)
    assert after("End", "m.currentTime") == pytest.approx(media(page, "m.duration"))
    assert after("Home", "m.currentTime") == 0
    assert after("5", "m.currentTime") == pytest.approx(media(page, "m.duration") / 2)
    assert after("ArrowDown", "m.volume") == pytest.approx(0.95)
    assert after("ArrowUp", "m.volume") == pytest.approx(1)
    assert after("m", "m.muted") is True
    expect(page.locator(STATUS)).to_have_text("Muted")
    assert after("m", "m.muted") is False
    assert after(">", "m.playbackRate") == 1.25
    assert after("<", "m.playbackRate") == 1
    player = page.locator("#player")
    page.keyboard.press("c")
    assert player.get_attribute("data-captions") is None
    expect(page.locator(STATUS)).to_have_text("Captions off")
    page.keyboard.press("c")
    assert player.get_attribute("data-captions") == "en"
    page.keyboard.press("d")
    descriptions = page.get_by_role("button", name="AD: Descriptions")
    assert descriptions.get_attribute("aria-pressed") == "true"
    assert page.js_errors == []


def test_slider_keys_belong_to_the_slider(watch):
    page = watch
    volume = page.get_by_role("slider", name="Volume")
    volume.focus()
    page.keyboard.press("ArrowLeft")
    expect(volume).to_have_attribute("aria-valuetext", "Volume 95%")
    assert media(page, "m.currentTime") == 0
    seek = page.get_by_role("slider", name="Seek")
    seek.focus()
    page.keyboard.press("ArrowRight")
    assert media(page, "m.currentTime") == pytest.approx(5)
    assert seek.get_attribute("aria-valuetext") == "5 seconds of 30 seconds"


def test_menus_open_move_choose_and_close_with_focus_returned(watch):
    page = watch
    button = page.get_by_role("button", name="CC: Captions")
    button.focus()
    page.keyboard.press("Enter")
    # The first menu opens once menu.js (fetched as focus came in) is here.
    expect(button).to_have_attribute("aria-expanded", "true")
    assert focused(page)["name"] == "English captions"
    page.keyboard.press("ArrowDown")
    assert focused(page)["name"] == "Українська (subtitles)"
    page.keyboard.press("ArrowDown")
    assert focused(page)["name"] == "Off"
    page.keyboard.press("End")
    assert focused(page)["name"] == "Українська (subtitles)"
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert focused(page)["name"] == "CC: Captions"

    page.keyboard.press("ArrowDown")
    assert focused(page)["name"] == "Off"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.locator("#player").get_attribute("data-captions") == "uk"
    assert focused(page)["name"] == "CC: Captions"
    media(page, "m.currentTime = 6")
    expect(page.locator(".ap-captions")).to_have_text(SUBTITLES_UK[1])

    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert button.get_attribute("aria-expanded") == "false"
    assert focused(page)["name"] == "AD: Descriptions"

    speed = page.get_by_role("button", name="Playback speed: 1×")
    speed.focus()
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "Normal"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert media(page, "m.playbackRate") == 1.5
    assert focused(page)["name"] == "Playback speed: 1.5×"

    chapters = page.get_by_role("button", name="Chapters")
    chapters.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    assert focused(page)["name"] == "Ending0:20"
    page.keyboard.press("Enter")
    assert media(page, "m.currentTime") == pytest.approx(20)
    expect(page.locator(".ap-chapter")).to_have_text("Ending")


def test_shortcuts_dialog_traps_focus_returns_it_and_turns_keys_off(watch):
    page = watch
    page.get_by_role("button", name="Mute").focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    # It opens once keys.js and settings.js (fetched as focus came in) are here.
    expect(dialog).to_be_visible()
    rows = dialog.locator("tbody tr")
    assert rows.first.inner_text().split() == ["Space", "K", "Play", "or", "pause"]
    assert rows.nth(5).locator("td").first.inner_text() == "0–9"
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 7:
        page.keyboard.press(key)
        assert dialog.evaluate("d => d.contains(document.activeElement)"), key
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert focused(page)["name"] == "Mute"

    page.keyboard.press("?")
    page.get_by_label(re.compile("Single-key shortcuts")).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    assert media(page, "m.muted") is False
    page.keyboard.press("ArrowRight")
    assert media(page, "m.currentTime") == pytest.approx(5)
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    page.get_by_role("button", name="Mute").focus()
    page.keyboard.press("m")
    assert media(page, "m.muted") is False
    page.get_by_role("button", name="Keyboard shortcuts").click()
    assert page.get_by_label(re.compile("Single-key shortcuts")).is_checked() is False


def test_full_screen_keeps_focus_inside_and_escape_leaves(watch):
    page = watch
    page.get_by_role("button", name="Full screen").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.fullscreenElement === document.querySelector('#player')")
    expect(page.get_by_role("button", name="Exit full screen")).to_be_visible()
    for key in ["Tab"] * (len(PLAYER_STOPS) + 2) + ["Shift+Tab"] * 3:
        page.keyboard.press(key)
        assert focused(page)["inPlayer"], key
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.fullscreenElement === null")
    assert focused(page)["inPlayer"]
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement !== null")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")


def held_back(page, live_server) -> Valve:
    """The watch page, with what it fetches as the viewer reaches the player
    held back until the returned valve opens."""
    valve = Valve()
    page.route(ON_DEMAND, valve.handle)
    page.add_init_script(EXTRAS_LOADED)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    return valve


@pytest.mark.parametrize("name, keys, focus, expanded, media_state", [
    # Enter opens at the checked item; ArrowDown then moves to the next one.
    ("CC: Captions", ["Enter", "ArrowDown"], "Українська (subtitles)", "true", {}),
    ("Playback speed: 1×", ["Enter", "ArrowDown", "Enter"], "Playback speed: 1.25×", "false",
     {"playbackRate": 1.25}),
    # In the menu End is the last chapter, not the shortcut to the end of the media.
    ("Chapters", ["Enter", "End", "Enter"], "Chapters", "false", {"currentTime": 20}),
    ("CC: Captions", ["ArrowDown", "Escape"], "CC: Captions", "false", {}),
    # Focus moved on: the menu does not open behind the viewer's back.
    ("CC: Captions", ["Enter", "Tab"], "AD: Descriptions", "false", {}),
], ids=["enter-down", "choose-speed", "end-chapter", "escape", "tab-away"])
def test_keys_pressed_while_a_menu_loads_act_as_in_the_open_menu(
        page, live_server, name, keys, focus, expanded, media_state):
    """The first menu opens once menu.js and extras.css are here; what the
    keys pressed on its button meanwhile do is what they do in the open menu,
    each once."""
    valve = held_back(page, live_server)
    # The element, not its name: the speed button's name changes with the speed.
    button = page.get_by_role("button", name=name, exact=True).element_handle()
    button.focus()
    for key in keys:
        page.keyboard.press(key)
    assert valve.held
    valve.open()
    page.evaluate(ARRIVED)
    assert focused(page)["name"] == focus
    assert button.get_attribute("aria-expanded") == expanded
    for prop, value in {"playbackRate": 1, "currentTime": 0, **media_state}.items():
        assert media(page, f"m.{prop}") == pytest.approx(value), prop


@pytest.mark.parametrize("opener, keys, opened, focus", [
    ("Mute", ["?"], True, "Mute"),
    ("Mute", ["?", "Escape"], False, "Mute"),
    ("Settings", ["Enter", "Escape"], False, "Settings"),
    # Focus moved on: the dialog does not take it back.
    ("Settings", ["Enter", "Tab"], False, "Keyboard shortcuts (?)"),
], ids=["question-mark", "question-mark-escape", "settings-escape", "settings-tab-away"])
def test_a_dialog_that_loads_opens_unless_the_viewer_moved_on(page, live_server, opener, keys,
                                                                opened, focus):
    """A dialog asked for while its code and styles load opens when they
    arrive, takes focus and gives it back on Escape; an Escape or a move of
    focus before then means the viewer no longer wants it."""
    valve = held_back(page, live_server)
    page.get_by_role("button", name=opener, exact=True).focus()
    for key in keys:
        page.keyboard.press(key)
    assert valve.held
    valve.open()
    page.evaluate(ARRIVED)
    dialog = page.locator("#player dialog[open]")
    if opened:
        expect(dialog).to_have_count(1)
        for key in ["Tab"] * 4 + ["Shift+Tab"] * 4:
            assert dialog.evaluate("d => d.contains(document.activeElement)"), key
            page.keyboard.press(key)
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    else:
        assert dialog.count() == 0
    assert focused(page)["name"] == focus
