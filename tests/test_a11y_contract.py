"""The player's accessibility promises (WCAG 2.2 AA and the WAI media-player
baseline), statement by statement, where the other browser tests leave one
unproved: what the status region holds in each state, controls, keys outside
the player and in text fields, the rate keys, caption placement, reduced
motion, forced colours, the language of every string and of each part."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    CAPTIONS_EN,
    CHAPTERS,
    CLIP,
    DESCRIPTION,
    MEDIA,
    SUBTITLES_UK,
    Valve,
    media_dir,
    no_script_errors,
    seek,
    starve,
)
from tests.browser_support import LiveServer
from tests.test_browser_keyboard import PLAYER_STOPS, contrast
from tests.test_browser_player import STATUS, open_player
from tests.test_browser_resume import RECORD_STATUS

pytestmark = pytest.mark.browser

SAID = "window.__said"


def media(page, expression: str):
    return page.evaluate(f"(m => {expression})({MEDIA})")


def focus_in_player(page, name: str = "Mute") -> None:
    """Focus a control, and wait for what focus coming to the player fetches
    (keys.js among them), so that every key acts as it is pressed."""
    page.get_by_role("button", name=name, exact=True).focus()
    page.evaluate("""() => Promise.all(['keys', 'menu', 'settings'].map(
        (name) => import(`/static/player/${name}.js`)))
        .then(() => new Promise((r) => setTimeout(r)))""")


def player_call(page, body: str):
    """Run ``body`` with ``p``, the watch page's Player."""
    return page.evaluate("async () => { const p = await document.querySelector('#player').apPlayer;"
                         f" {body} }}")


# -- what a person is told ------------------------------------------------------------------

def test_a_quick_load_says_nothing(page, live_server):
    page.clock.install()
    page.add_init_script(RECORD_STATUS)
    open_player(page, live_server)
    # Every timer the player may have left runs now.
    page.clock.run_for(5_000)
    assert page.evaluate(SAID) == []
    assert page.locator(STATUS).text_content() == ""


def test_loading_is_said_once_and_taken_back_when_ready(page, live_server):
    valve = Valve()
    page.route(CLIP, valve.handle)
    page.clock.install()
    page.add_init_script(RECORD_STATUS)
    open_player(page, live_server, state="loading")
    page.clock.run_for(5_000)
    expect(page.locator(STATUS)).to_have_text("Loading, please wait")
    valve.open()
    page.wait_for_selector("#player[data-state=ready]")
    page.clock.run_for(1_000)
    # What the status holds is read again by anyone moving through the player.
    assert page.locator(STATUS).text_content() == ""
    assert page.evaluate(SAID) == ["Loading, please wait"]


def test_buffering_is_taken_back_when_playback_goes_on(page, live_server, media_dir):
    valve = starve(page, CLIP, media_dir / "clip.mp4")
    open_player(page, live_server)
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.locator(STATUS)).to_have_text("Buffering")
    valve.open()
    page.wait_for_selector("#player:not([data-buffering])")
    expect(page.locator(STATUS)).to_have_text("")


# -- controls --------------------------------------------------------------------------------

CONTROLS = """() => [...document.querySelectorAll('#player .ap-controls *')]
  .filter((el) => el.tabIndex >= 0 || el.matches('a, button, input, select, textarea, [role]'))
  .map((el) => ({tag: el.tagName, type: el.type, role: el.getAttribute('role'),
                 name: el.getAttribute('aria-label') || el.textContent.trim(),
                 disabled: el.disabled, pressed: el.getAttribute('aria-pressed'),
                 expanded: el.getAttribute('aria-expanded')}))"""


def test_ready_controls_are_native_named_and_enabled(page, live_server):
    open_player(page, live_server)
    controls = [c for c in page.evaluate(CONTROLS) if c["role"] != "group"]
    assert [c["name"] for c in controls] == [
        "Seek", "Play", "Mute", "Volume", "CC: Captions", "AD: Descriptions", "Chapters",
        "Playback speed: 1×", "Transcript", "Settings", "Keyboard shortcuts (?)",
        "Picture in picture", "Full screen"]
    for control in controls:
        native = {("BUTTON", "button"), ("INPUT", "range")}
        assert (control["tag"], control["type"]) in native, control
        assert control["role"] is None and not control["disabled"], control
    menus = [c["name"] for c in controls if c["expanded"] is not None]
    assert menus == ["CC: Captions", "Chapters", "Playback speed: 1×"]


@pytest.mark.parametrize("key, cls, before", [
    ("k", "play", "Play"), ("m", "mute", "Mute"), ("d", "ad", "AD: Descriptions"),
    ("t", "show-transcript", "Transcript"), ("f", "fs", "Full screen"),
])
def test_a_toggle_changes_its_name_or_aria_pressed_never_both(page, live_server, key, cls, before):
    open_player(page, live_server)
    button = page.locator(f".ap-controls .ap-{cls}")
    assert button.get_attribute("aria-label") == before
    pressed = button.get_attribute("aria-pressed")
    page.focus("#player")
    page.keyboard.press(key)
    if pressed is None:
        # Named by what it will do next.
        expect(button).not_to_have_attribute("aria-label", before)
        assert button.get_attribute("aria-pressed") is None
    else:
        expect(button).not_to_have_attribute("aria-pressed", pressed)
        assert button.get_attribute("aria-label") == before


def test_shift_tab_walks_the_controls_backwards(page, live_server):
    open_player(page, live_server)
    page.locator("[data-share-for=player]").focus()
    names = []
    for _ in PLAYER_STOPS:
        page.keyboard.press("Shift+Tab")
        names.append(page.evaluate(
            "document.activeElement.getAttribute('aria-label')"
            " || document.activeElement.textContent"))
    assert names == PLAYER_STOPS[::-1]


def test_menus_home_end_escape_and_settings_dialog_trap(page, live_server):
    open_player(page, live_server)
    speed = page.get_by_role("button", name="Playback speed: 1×", exact=True)
    speed.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menu", name="Playback speed")).to_be_visible()
    active = "document.activeElement.textContent"
    page.keyboard.press("End")
    assert page.evaluate(active) == "2×"
    page.keyboard.press("Home")
    assert page.evaluate(active) == "0.5×"
    assert page.evaluate("document.activeElement.getAttribute('role')") == "menuitemradio"
    page.keyboard.press("Escape")
    expect(speed).to_be_focused()
    assert speed.get_attribute("aria-expanded") == "false"

    settings = page.get_by_role("button", name="Settings", exact=True)
    settings.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_focused()
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 14:
        page.keyboard.press(key)
        assert dialog.evaluate("d => d.contains(document.activeElement)"), key
    page.keyboard.press("Escape")
    expect(settings).to_be_focused()


# -- keyboard --------------------------------------------------------------------------------

UNTOUCHED = "[m.paused, m.muted, m.currentTime, m.volume, m.playbackRate]"


def test_keys_act_only_inside_the_player(page, live_server):
    open_player(page, live_server)
    focus_in_player(page)
    start = media(page, UNTOUCHED)
    page.evaluate("document.activeElement.blur()")
    for key in ["k", "m", "ArrowRight", "ArrowUp", "5", ">", "End"]:
        page.keyboard.press(key)
    page.locator("#transcript .ap-transcript-cue").first.focus()
    for key in ["k", "m", "l", "<"]:
        page.keyboard.press(key)
    assert media(page, UNTOUCHED) == start
    assert page.locator("#player").get_attribute("data-captions") == "en"


def test_keys_typed_into_a_text_field_in_the_player_stay_there(page, live_server):
    """A plugin's text field (addControl) or editable area gets every key."""
    open_player(page, live_server)
    player_call(page, """
        for (const html of ['<input aria-label="Note">',
                            '<div contenteditable aria-label="Draft"></div>'])
            p.addControl(document.createRange().createContextualFragment(html).firstChild);""")
    focus_in_player(page)
    start = media(page, UNTOUCHED)
    note = page.get_by_label("Note", exact=True)
    note.focus()
    page.keyboard.type("km5 lj?")
    assert note.input_value() == "km5 lj?"
    draft = page.get_by_label("Draft", exact=True)
    draft.focus()
    page.keyboard.type("Mk <>")
    assert draft.inner_text() == "Mk <>"
    assert media(page, UNTOUCHED) == start
    expect(page.locator("#player dialog[open]")).to_have_count(0)


def test_keys_with_modifiers_belong_to_the_browser(page, live_server):
    open_player(page, live_server)
    focus_in_player(page)
    start = media(page, UNTOUCHED)
    for key in ["Alt+m", "Control+m", "Meta+m", "Alt+ArrowRight", "Meta+ArrowRight", "Alt+5",
                "Control+End"]:
        page.keyboard.press(key)
    assert media(page, UNTOUCHED) == start


def test_digits_jump_and_up_down_on_the_seek_slider_seek(page, live_server):
    open_player(page, live_server)
    focus_in_player(page)
    page.keyboard.press("9")
    assert media(page, "m.currentTime") == pytest.approx(media(page, "m.duration") * 0.9)
    page.keyboard.press("0")
    assert media(page, "m.currentTime") == 0
    page.get_by_role("slider", name="Seek").focus()
    page.keyboard.press("ArrowUp")
    assert media(page, "[m.currentTime, m.volume]") == [5, 1]
    page.keyboard.press("ArrowDown")
    assert media(page, "[m.currentTime, m.volume]") == [0, 1]


@pytest.mark.parametrize("rate, key, expected", [
    (1.1, ">", 1.25), (1.1, "<", 1), (0.6, "<", 0.5), (1.9, ">", 2), (2, ">", 2), (0.5, "<", 0.5),
])
def test_faster_and_slower_step_from_any_rate(page, live_server, rate, key, expected):
    """Rates outside the speed menu's list come from the embed API and saved preferences."""
    open_player(page, live_server)
    media(page, f"m.playbackRate = {rate}")
    focus_in_player(page)
    page.keyboard.press(key)
    assert media(page, "m.playbackRate") == expected
    expect(page.locator(STATUS)).to_have_text(f"Speed {expected}×")


@pytest.mark.parametrize("key, code, shift, expression, expected", [
    ("ь", "KeyM", False, "m.muted", True),
    ("Ь", "KeyM", True, "m.muted", True),
    ("Б", "Comma", True, "m.playbackRate", 0.75),
    ("Ю", "Period", True, "m.playbackRate", 1.25),
    ("б", "Comma", False, "m.playbackRate", 1),
])
def test_letter_keys_act_by_place_on_a_ukrainian_layout(
        page, live_server, key, code, shift, expression, expected):
    """With a Cyrillic layout, the key where M is types "ь": it still mutes."""
    open_player(page, live_server)
    focus_in_player(page)
    page.evaluate("""([key, code, shiftKey]) => document.activeElement.dispatchEvent(
        new KeyboardEvent('keydown', {key, code, shiftKey, bubbles: true, cancelable: true}))""",
                  [key, code, shift])
    assert media(page, expression) == expected


def test_with_character_keys_off_none_acts(page, live_server):
    """? is one of them too: the list stays one Tab away, behind its button."""
    page.add_init_script("localStorage.setItem('ap-player', JSON.stringify({shortcuts: false}))")
    open_player(page, live_server)
    focus_in_player(page)
    for key in ["?", "k", "m", "5", ">"]:
        page.keyboard.press(key)
    expect(page.locator("#player dialog[open]")).to_have_count(0)
    assert media(page, "[m.paused, m.muted, m.currentTime, m.playbackRate]") == [True, False, 0, 1]
    page.keyboard.press("ArrowRight")
    assert media(page, "m.currentTime") == 5


# -- captions ---------------------------------------------------------------------------------

BELOW_CAPTIONS = """() => {
  const cue = document.querySelector('.ap-captions .ap-cue').getBoundingClientRect();
  const bar = document.querySelector('.ap-controls').getBoundingClientRect();
  return {cueBottom: cue.bottom, barTop: bar.top, barVisible: bar.height > 0};
}"""


def test_captions_sit_above_the_controls_which_never_hide(page, live_server):
    # The largest text size the settings offer.
    page.add_init_script(
        "localStorage.setItem('ap-player', JSON.stringify({captionCss: {size: 2}}))")
    page.clock.install()
    open_player(page, live_server)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => {MEDIA}.currentTime > 0.5")
    page.mouse.move(0, 0)
    # Any idle timer a player could use to hide its controls runs out.
    page.clock.run_for(30_000)
    where = page.evaluate(BELOW_CAPTIONS)
    assert where["barVisible"] and where["cueBottom"] <= where["barTop"], where
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement")
    page.mouse.move(0, 0)
    page.clock.run_for(30_000)
    where = page.evaluate(BELOW_CAPTIONS)
    assert where["barVisible"] and where["cueBottom"] <= where["barTop"], where
    expect(page.get_by_role("button", name="Exit full screen", exact=True)).to_be_visible()


# -- other states of the world --------------------------------------------------------------

def test_reduced_motion_stops_every_animation(page, live_server):
    valve = Valve()
    page.route(CLIP, valve.handle)
    open_player(page, live_server, state="loading")
    # The spinner turns, so the check below can fail.
    assert page.evaluate("document.getAnimations().length") > 0
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate("document.getAnimations().length") == 0
    expect(page.locator(".ap-wait")).to_be_visible()
    valve.open()


FORCED = """() => {
  const probe = document.createElement('i');
  probe.style.color = 'Highlight';
  document.body.append(probe);
  const highlight = getComputedStyle(probe).color;
  probe.remove();
  const look = (sel) => getComputedStyle(document.querySelector(sel));
  const focused = getComputedStyle(document.activeElement);
  return {
    highlight, canvas: look('#player').backgroundColor,
    outline: [focused.outlineStyle, parseFloat(focused.outlineWidth), focused.outlineColor],
    icon: getComputedStyle(document.querySelector('.ap-play path')).stroke,
    fill: look('.ap-seek').accentColor,
    pressed: [look('.ap-ad').borderBottomWidth, look('.ap-ad').borderBottomColor],
    unpressed: [look('.ap-mute').borderBottomWidth, look('.ap-mute').borderBottomColor],
  };
}"""


def test_forced_colors_keep_controls_focus_and_fill_visible(page, live_server):
    page.emulate_media(forced_colors="active")
    open_player(page, live_server)
    page.get_by_role("button", name="AD: Descriptions", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    seen = page.evaluate(FORCED)
    style, width, colour = seen["outline"]
    assert style != "none" and width >= 2 and colour == seen["highlight"], seen
    assert contrast(seen["icon"], seen["canvas"]) >= 4.5, seen
    assert seen["fill"] == seen["highlight"], seen
    # A pressed toggle shows it without colour of its own.
    assert seen["pressed"] != seen["unpressed"], seen


# -- languages --------------------------------------------------------------------------------

# Every string of the player's interface a person can see or hear: text,
# names, values, with its menus and dialogs open.
UI_STRINGS = """() => {
  const out = new Set();
  const scope = [...document.querySelectorAll('#player, .ap-transcript-tools')];
  for (const root of scope) {
    // Not the media element's fallback, which a browser that plays it never shows.
    for (const el of [root, ...root.querySelectorAll(':not(video, audio, video *, audio *)')]) {
      for (const name of ['aria-label', 'aria-valuetext', 'title', 'placeholder']) {
        if (el.getAttribute(name)) out.add(el.getAttribute(name).trim());
      }
      for (const node of el.childNodes) {
        if (node.nodeType === 3 && node.data.trim()) out.add(node.data.trim());
      }
    }
  }
  return [...out];
}"""


def every_string(page, server, hl: str) -> set[str]:
    open_player(page, server, f"/watch/clip?hl={hl}")
    page.wait_for_selector(".ap-transcript-tools")
    page.locator(".ap-transcript-query").fill("seed")
    page.locator(".ap-transcript-query").press("Enter")
    seen = set()
    player = page.locator("#player")
    for menu in player.locator(".ap-menu > button").all():
        menu.click()
        expect(player.get_by_role("menu")).to_be_visible()
        seen |= set(page.evaluate(UI_STRINGS))
        page.keyboard.press("Escape")
    for button in [".ap-settings", ".ap-keys"]:
        player.locator(button).click()
        expect(player.locator("dialog[open]")).to_be_visible()
        seen |= set(page.evaluate(UI_STRINGS))
        page.keyboard.press("Escape")
    return seen


def test_every_string_changes_with_the_language(page, live_server):
    """The catalog test reads t('…') literals only; this finds any string,
    however it reaches t() (or does not), that Ukrainian leaves English."""
    english = every_string(page, live_server, "en")
    ukrainian = every_string(page, live_server, "uk")
    media_words = {"English captions", "Українська (subtitles)", DESCRIPTION,
                   *(title for _, _, title in CHAPTERS), *CAPTIONS_EN, *SUBTITLES_UK}
    same = {s for s in english & ukrainian
            if s not in media_words and re.search(r"[A-Za-z]{3}", s)}
    # Key names, as printed on keyboards.
    assert same <= {"Home", "End"}, sorted(same)


def test_every_part_is_marked_with_its_language(page, live_server):
    """WCAG 3.1.2: the player's words in the interface language, the media's
    words (descriptions, chapter titles) in the track's."""
    open_player(page, live_server, "/watch/clip?hl=uk")
    page.wait_for_selector(".ap-transcript-tools")
    lang = "el => el.closest('[lang]').lang"
    assert page.locator("#player").evaluate(lang) == "uk"
    for part in [".ap-transcript-tools label", ".ap-transcript-resume", ".ap-transcript-count"]:
        assert page.locator(part).evaluate(lang) == "uk", part
    page.get_by_role("button", name="AD: Описи", exact=True).click()
    seek(page, 2.5)
    expect(page.locator(".ap-described")).to_have_text(DESCRIPTION)
    assert page.locator(".ap-described").evaluate(lang) == "en"
    expect(page.locator(".ap-chapter")).to_have_text(CHAPTERS[0][2])
    assert page.locator(".ap-chapter").evaluate(lang) == "en"


def host_page(server_url: str, lang: str) -> bytes:
    return (f'<!doctype html><html lang="{lang}"><title>Host</title><main>'
            '<p><button type="button" id="host-button">A host button</button></p>'
            f'<div id="lesson" data-player-src="{server_url}/api/media/clip"></div></main>'
            f'<link rel="stylesheet" href="{server_url}/static/player/player.css">'
            f'<script type="module" src="{server_url}/static/player/player.js"></script>').encode()


def test_page_lang_chooses_and_hl_overrides(page, live_server):
    def site(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [host_page(live_server.url, "uk-UA")]

    with LiveServer(site, host="localhost") as host:
        page.goto(host.url + "/")
        page.wait_for_selector("#lesson[data-state=ready]")
        assert page.locator("#lesson").get_attribute("aria-label") == "Відеопрогравач: A test clip"
        # The page already says Ukrainian: the player adds no lang of its own.
        assert page.locator("#lesson").get_attribute("lang") is None
        expect(page.locator("#lesson .ap-time .ap-sr")).to_have_text("0 секунд, усього 30 секунд")
        # An element on the page: keys pressed outside it are the page's.
        page.locator("#host-button").focus()
        for key in ["k", "m", "ArrowRight", "c", "5"]:
            page.keyboard.press(key)
        lesson = "document.querySelector('#lesson video')"
        state = page.evaluate(f"[{lesson}.paused, {lesson}.muted, {lesson}.currentTime]")
        assert state == [True, False, 0]

        page.goto(host.url + "/?hl=en")
        page.wait_for_selector("#lesson[data-state=ready]")
        assert page.locator("#lesson").get_attribute("aria-label") == "Video player: A test clip"
        assert page.locator("#lesson").get_attribute("lang") == "en"
        page.get_by_role("button", name="Play", exact=True).wait_for()


def test_mute_and_captions_off_are_remembered(page, live_server):
    open_player(page, live_server)
    page.get_by_role("button", name="Mute", exact=True).click()
    page.get_by_role("button", name="CC: Captions", exact=True).click()
    page.get_by_role("menuitemradio", name="Off").click()
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    assert media(page, "m.muted") is True
    expect(page.get_by_role("button", name="Unmute", exact=True)).to_be_visible()
    assert page.locator("#player").get_attribute("data-captions") is None
    assert json.loads(page.evaluate("localStorage.getItem('ap-player')"))["captions"] == ""


@pytest.mark.parametrize("name", ["CC: Captions", "Chapters", "Playback speed: 1×"])
def test_an_open_menu_stays_on_screen_when_the_window_narrows(page, live_server, name):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_player(page, live_server)
    focus_in_player(page)
    page.get_by_role("button", name=name, exact=True).click()
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    page.set_viewport_size({"width": 320, "height": 800})
    page.wait_for_function("""() => {
        const box = document.querySelector('[role=menu]:not([hidden])').getBoundingClientRect();
        return box.left >= 0 && box.right <= innerWidth;
    }""", timeout=3000)
