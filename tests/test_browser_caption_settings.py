"""The caption settings in Chromium: every FCC display setting (47 CFR
79.103(c)) saved, restored, applied to the cue and its window, and said;
reset; forced colours; a size that follows the video and the reader's own
font sizes; the viewer's overrides (position, timing offset) from the dialog
and from the G and H keys; axe and a keyboard-only walk through the dialog."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser_media import (  # noqa: F401  (fixtures)
    CAPTIONS_EN,
    media_dir,
    no_script_errors,
    seek,
)
from tests.browser_support import CHROMIUM_FLAGS, assert_axe_clean, chromium_executable

pytestmark = pytest.mark.browser

STATUS = "#player > [role=status]"
NOTE = "#player dialog .ap-style [role=status]"
# The cue on the video, its window (the box behind its lines), and the preview's.
CUE = ".ap-captions .ap-cue"
PREVIEW = ".ap-preview .ap-cue"
STYLE_OF = """(selector) => {
    const cue = document.querySelector(selector);
    const s = getComputedStyle(cue), w = getComputedStyle(cue.parentElement);
    return {color: s.color, background: s.backgroundColor, size: parseFloat(s.fontSize),
            family: s.fontFamily, variant: s.fontVariantCaps, shadow: s.textShadow,
            window: w.backgroundColor};
}"""
# Every setting: label, the choice made, what the cue's computed style then shows.
SETTINGS = [
    ("Font family", "Monospaced serif", "family", lambda v: v.startswith('"Courier New"')),
    ("Text size", "150%", "size", None),  # checked against the size before
    ("Text colour", "Cyan", "color", lambda v: v == "rgb(0, 255, 255)"),
    ("Text opacity", "50%", "color", lambda v: v == "rgba(0, 255, 255, 0.5)"),
    ("Character edge", "Uniform", "shadow", lambda v: v.count("rgb(0, 0, 0)") == 4),
    ("Background colour", "Blue", "background", lambda v: v == "rgba(0, 0, 255, 0.75)"),
    ("Background opacity", "100%", "background", lambda v: v == "rgb(0, 0, 255)"),
    ("Window colour", "Yellow", "window", lambda v: v == "rgba(255, 255, 0, 0)"),
    ("Window opacity", "50%", "window", lambda v: v == "rgba(255, 255, 0, 0.5)"),
]
FONTS = {
    "Monospaced serif": ('"Courier New"', "normal"),
    "Proportional serif": ("Georgia", "normal"),
    "Monospaced sans serif": ("ui-monospace", "normal"),
    "Proportional sans serif": ("system-ui", "normal"),
    "Casual": ('"Comic Sans MS"', "normal"),
    "Cursive": ('"Segoe Script"', "normal"),
    "Small capitals": ("system-ui", "small-caps"),
}
EDGES = ["None", "Raised", "Depressed", "Uniform", "Drop shadow"]


def open_watch(page, server, path="/watch/clip"):
    page.goto(server.url + path)
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(CUE)


def open_settings(page):
    page.get_by_role("button", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    return dialog


def saved(page) -> dict:
    return json.loads(page.evaluate("localStorage.getItem('ap-player')") or "{}")


def wait_saved(page, name: str, value) -> None:
    """Wait until the preference ``name`` is saved as ``value`` (the captions
    save overrides once their layout code is here)."""
    page.wait_for_function("([name, value]) => JSON.parse(localStorage.getItem('ap-player')"
                           " || '{}')[name] === value", arg=[name, value])


def style(page, selector=CUE) -> dict:
    return page.evaluate(STYLE_OF, selector)


def test_every_setting_is_applied_said_saved_and_restored(page, live_server):
    open_watch(page, live_server)
    before = style(page)
    assert before["window"] == "rgba(0, 0, 0, 0)"  # no window until the viewer wants one
    dialog = open_settings(page)
    sizes = {CUE: before["size"], PREVIEW: style(page, PREVIEW)["size"]}
    for label, choice, prop, shows in SETTINGS:
        dialog.get_by_label(label, exact=True).select_option(choice)
        expect(page.locator(NOTE)).to_have_text(f"{label}: {choice}")
        for selector in (CUE, PREVIEW):
            value = style(page, selector)[prop]
            if shows is None:
                assert value == pytest.approx(sizes[selector] * 1.5), (label, selector)
            else:
                assert shows(value), (label, selector, value)
    css = saved(page)["captionCss"]
    assert len(css) == len(SETTINGS), css
    after = style(page)

    page.reload()
    page.wait_for_selector(f"#player[data-state=ready] {CUE}")
    assert style(page) == after
    dialog = open_settings(page)
    for label, choice, _, _ in SETTINGS:
        assert dialog.get_by_label(label, exact=True).input_value() == choice, label


def test_each_font_category_and_edge_applies(page, live_server):
    open_watch(page, live_server)
    dialog = open_settings(page)
    for name, (family, variant) in FONTS.items():
        dialog.get_by_label("Font family").select_option(name)
        shown = style(page)
        assert shown["family"].startswith(family) and shown["variant"] == variant, name
    shadows = set()
    for name in EDGES:
        dialog.get_by_label("Character edge").select_option(name)
        shadows.add(style(page)["shadow"])
        expect(page.locator(NOTE)).to_have_text(f"Character edge: {name}")
    assert len(shadows) == len(EDGES) and "none" in shadows


def test_reset_returns_every_setting_and_override_and_says_so(page, live_server):
    open_watch(page, live_server)
    before = style(page)
    dialog = open_settings(page)
    for label, choice, _, _ in SETTINGS:
        dialog.get_by_label(label, exact=True).select_option(choice)
    dialog.get_by_label("Caption position").select_option("Always at the top")
    dialog.get_by_label("Caption timing (seconds)").fill("2.5")
    dialog.get_by_label("Caption timing (seconds)").press("Enter")
    expect(page.locator(NOTE)).to_have_text("Captions 2.5 seconds later")
    dialog.get_by_role("button", name="Reset to defaults", exact=True).click()
    expect(page.locator(NOTE)).to_have_text("Caption settings reset to the defaults.")
    # The cue is drawn again where its file puts it (the position was "at the top").
    page.locator(CUE).wait_for()
    assert style(page) == before
    assert dialog.get_by_label("Text colour").input_value() == "White"
    expect(dialog.get_by_label("Caption position")).to_have_value("As authored")
    expect(dialog.get_by_label("Caption timing (seconds)")).to_have_value("0")
    assert saved(page)["captionCss"] == {}
    wait_saved(page, "captionPlacement", "authored")
    wait_saved(page, "captionOffset", 0)


def test_forced_colours_win_over_the_viewer_colours(page, live_server):
    page.emulate_media(forced_colors="active")
    open_watch(page, live_server)
    dialog = open_settings(page)
    for label, choice in [("Text colour", "Yellow"), ("Background colour", "Red"),
                          ("Background opacity", "100%"), ("Window colour", "Green"),
                          ("Window opacity", "100%"), ("Character edge", "Drop shadow"),
                          ("Text opacity", "50%")]:
        dialog.get_by_label(label, exact=True).select_option(choice)
    system = page.evaluate("""() => {
        const probe = document.createElement('p');
        probe.style.cssText = 'color: CanvasText; background: Canvas; forced-color-adjust: none';
        document.body.append(probe);
        const s = getComputedStyle(probe);
        return {text: s.color, canvas: s.backgroundColor};
    }""")
    for selector in (CUE, PREVIEW):
        shown = style(page, selector)
        assert (shown["color"], shown["background"]) == (system["text"], system["canvas"])
        assert shown["shadow"] == "none"
        # The window keeps no colour of its own: the system's, or none.
        assert shown["window"] in (system["canvas"], "rgba(0, 0, 0, 0)"), shown["window"]


def test_caption_size_follows_the_video_and_the_readers_font_size(page, live_server):
    sizes = {}
    for width in (480, 800, 1200):
        page.set_viewport_size({"width": width, "height": 900})
        open_watch(page, live_server)
        sizes[width] = style(page)["size"]
    assert sizes[480] < sizes[800] < sizes[1200], sizes
    # Never under the reader's own text size (1rem), however narrow the video.
    page.set_viewport_size({"width": 320, "height": 700})
    open_watch(page, live_server)
    assert style(page)["size"] == pytest.approx(16)


@pytest.mark.parametrize("prefs, expected", [
    ({"default_font_size": 24}, 24),  # the reader's own text size: 1rem
    ({"minimum_font_size": 20}, 20),
])
def test_the_browsers_font_settings_hold_on_a_narrow_video(playwright_instance, live_server,
                                                           tmp_path, prefs, expected):
    """Chromium's own settings (chrome://settings/fonts), as a profile holds them."""
    (tmp_path / "Default").mkdir()
    (tmp_path / "Default" / "Preferences").write_text(json.dumps({"webkit": {"webprefs": prefs}}))
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path), executable_path=chromium_executable(), args=CHROMIUM_FLAGS,
        headless=True, viewport={"width": 320, "height": 700})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/watch/clip")
        page.evaluate("localStorage.setItem('ap-player', JSON.stringify("
                      "{captionCss: {size: 0.5}}))")
        open_watch(page, live_server)
        size = style(page)["size"]
        if "minimum_font_size" in prefs:
            assert size >= expected  # half of 16 px would be 8 px
        else:
            assert size == pytest.approx(expected * 0.5)
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement)"
                                 ".fontSize)") == expected
    finally:
        context.close()


def cue_top(page) -> float:
    return page.evaluate("""() => {
        const cue = document.querySelector('.ap-captions .ap-cue').getBoundingClientRect();
        const video = document.querySelector('#player video').getBoundingClientRect();
        return (cue.top - video.top) / video.height;
    }""")


def test_position_override_from_the_dialog(page, live_server):
    open_watch(page, live_server)
    assert cue_top(page) > 0.5
    dialog = open_settings(page)
    dialog.get_by_label("Caption position").select_option("Always at the top")
    expect(page.locator(NOTE)).to_have_text("Caption position: Always at the top")
    wait_saved(page, "captionPlacement", "top")
    page.wait_for_function("() => { const c = document.querySelector('.ap-captions .ap-cue');"
                           " const v = document.querySelector('#player video');"
                           " return c.getBoundingClientRect().top"
                           " < v.getBoundingClientRect().top + v.clientHeight / 2; }")
    page.reload()
    page.wait_for_selector(f"#player[data-state=ready] {CUE}")
    # Reloaded paused at 0:00 on the first cue: it shows at the top at once.
    page.wait_for_function("() => { const c = document.querySelector('.ap-captions .ap-cue');"
                           " const v = document.querySelector('#player video');"
                           " return c.getBoundingClientRect().top"
                           " < v.getBoundingClientRect().top + v.clientHeight / 2; }")
    dialog = open_settings(page)
    expect(dialog.get_by_label("Caption position")).to_have_value("Always at the top")
    dialog.get_by_label("Caption position").select_option("Always at the bottom")
    expect(page.locator(NOTE)).to_have_text("Caption position: Always at the bottom")
    wait_saved(page, "captionPlacement", "bottom")


def test_timing_offset_from_the_dialog_shifts_the_cues(page, live_server):
    open_watch(page, live_server)
    seek(page, 6)
    expect(page.locator(".ap-captions")).to_have_text(CAPTIONS_EN[1])
    dialog = open_settings(page)
    field = dialog.get_by_label("Caption timing (seconds)")
    assert field.get_attribute("aria-describedby")
    field.fill("2")
    field.press("Enter")
    expect(page.locator(NOTE)).to_have_text("Captions 2.0 seconds later")
    wait_saved(page, "captionOffset", 2)
    # 6 s into the media is 4 s into the file: the first cue.
    expect(page.locator(".ap-captions")).to_have_text(CAPTIONS_EN[0])
    field.fill("-12")
    field.press("Enter")
    expect(page.locator(NOTE)).to_have_text("Captions 10.0 seconds earlier")
    expect(field).to_have_value("-10")
    wait_saved(page, "captionOffset", -10)

    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    seek(page, 6)
    # 6 s into the media is 16 s into the file.
    expect(page.locator(".ap-captions")).to_have_text(CAPTIONS_EN[3])
    expect(open_settings(page).get_by_label("Caption timing (seconds)")).to_have_value("-10")


def test_g_and_h_move_the_captions_in_time_and_say_so(page, live_server):
    open_watch(page, live_server)
    page.get_by_role("button", name="Play", exact=True).focus()
    for _ in range(3):
        page.keyboard.press("h")
    expect(page.locator(STATUS)).to_have_text("Captions 0.3 seconds later")
    wait_saved(page, "captionOffset", 0.3)
    for _ in range(5):
        page.keyboard.press("g")
    expect(page.locator(STATUS)).to_have_text("Captions 0.2 seconds earlier")
    wait_saved(page, "captionOffset", -0.2)
    page.keyboard.press("H")
    page.keyboard.press("h")
    expect(page.locator(STATUS)).to_have_text("Captions as timed in the file")
    wait_saved(page, "captionOffset", 0)

    # Saved: after a reload the keys go on from where the viewer left them.
    page.evaluate("localStorage.setItem('ap-player', JSON.stringify({captionOffset: 9.95}))")
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    page.get_by_role("button", name="Play", exact=True).focus()
    page.keyboard.press("h")
    expect(page.locator(STATUS)).to_have_text("Captions 10.0 seconds later")
    page.keyboard.press("h")
    wait_saved(page, "captionOffset", 10)
    # Off with the other single-key shortcuts (WCAG 2.1.4).
    page.evaluate("localStorage.setItem('ap-player', JSON.stringify({shortcuts: false}))")
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    page.get_by_role("button", name="Play", exact=True).focus()
    page.keyboard.press("h")
    page.wait_for_timeout(300)
    assert "captionOffset" not in saved(page)


def test_the_shortcut_table_lists_g_and_h_once_and_no_key_twice(page, live_server):
    open_watch(page, live_server)
    page.get_by_role("button", name="Keyboard shortcuts (?)", exact=True).click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    keys = dialog.locator("tbody kbd").all_text_contents()
    assert "G" in keys
    assert len(keys) == len(set(keys)), keys
    row = dialog.locator("tbody tr", has_text="Captions 0.1 seconds earlier or later")
    assert row.locator("kbd").all_text_contents() == ["G", "H"]


def test_axe_finds_nothing_in_the_settings_dialog(page, live_server):
    open_watch(page, live_server)
    dialog = open_settings(page)
    dialog.get_by_label("Window opacity").select_option("100%")
    dialog.get_by_label("Caption timing (seconds)").fill("1.5")
    dialog.get_by_label("Caption timing (seconds)").press("Enter")
    expect(page.locator(NOTE)).not_to_be_empty()
    assert_axe_clean(page)
    page.goto(live_server.url + "/watch/clip?hl=uk")
    page.wait_for_selector("#player[data-state=ready]")
    page.get_by_role("button", name="Налаштування", exact=True).click()
    expect(page.get_by_role("dialog", name="Налаштування")).to_be_visible()
    assert_axe_clean(page)


# Tab order in the settings dialog, from the dialog itself.
DIALOG_STOPS = ["Font family", "Text size", "Text colour", "Text opacity", "Character edge",
                "Background colour", "Background opacity", "Window colour", "Window opacity",
                "Caption position", "Caption timing (seconds)", "Reset to defaults",
                "Speak descriptions", "Forget my viewing history", "Close"]
FOCUSED = """() => {
    const el = document.activeElement;
    const label = el.labels && el.labels[0] && el.labels[0].textContent;
    return {name: label || el.getAttribute('aria-label') || el.textContent.trim(),
            visible: el.matches(':focus-visible'), outline: getComputedStyle(el).outlineStyle};
}"""


def test_keyboard_only_walk_through_the_settings_dialog(page, live_server):
    open_watch(page, live_server)
    page.get_by_role("button", name="Settings", exact=True).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    names = []
    for _ in DIALOG_STOPS:
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"] and focused["outline"] != "none", focused
        names.append(focused["name"])
    assert names == DIALOG_STOPS
    page.keyboard.press("Tab")  # wraps to the start
    assert page.evaluate(FOCUSED)["name"] == DIALOG_STOPS[0]

    # Each kind of control works from the keyboard.
    page.keyboard.press("Tab")  # Text size
    page.keyboard.press("ArrowDown")
    expect(page.locator(NOTE)).to_have_text("Text size: 125%")
    for _ in range(8):
        page.keyboard.press("Tab")  # to Caption position
    page.keyboard.press("ArrowDown")
    expect(page.locator(NOTE)).to_have_text("Caption position: Always at the bottom")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator(NOTE)).to_have_text("Captions 0.1 seconds later")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Reset to defaults
    expect(page.locator(NOTE)).to_have_text("Caption settings reset to the defaults.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(FOCUSED)["name"] == "Settings"


def test_each_edge_draws_a_different_picture(page, live_server, tmp_path):
    """What each edge draws around the cue's letters at twice the size."""
    open_watch(page, live_server)
    dialog = open_settings(page)
    dialog.get_by_label("Text size").select_option("200%")
    pictures = set()
    for name in EDGES:
        dialog.get_by_label("Character edge").select_option(name)
        pictures.add(page.locator(PREVIEW).screenshot(path=tmp_path / f"edge-{name}.png"))
    assert len(pictures) == len(EDGES)
