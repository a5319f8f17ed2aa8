"""WCAG 2.2 AA checks that axe-core cannot make, measured in Chromium from
layout and computed styles: target size (2.5.8), focus not obscured
(2.4.11), reflow at 320 px (1.4.10), text spacing (1.4.12), a visible focus
change on every control (2.4.7, 1.4.11), the sign-in form (1.3.5, 3.3.8),
and page titles, headings and status messages (2.4.2, 2.4.6, 4.1.3).
Every page is checked at 320 and 1280 CSS px wide, the player in each of
its states: ready with the transcript shown, a menu open, each dialog open.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser_media import make_player_library, no_script_errors  # noqa: F401
from tests.publish_support import create_publisher
from tests.test_browser_keyboard import contrast
from tests.test_browser_publish import sign_in

pytestmark = pytest.mark.browser

NARROW, WIDE = (320, 640), (1280, 800)
# Pages anyone can open; the player's pages are walked through its states too.
PUBLIC = ["/", "/watch/clip/transcript", "/search?q=hello", "/publish/login"]
PLAYERS = ["/watch/clip", "/watch/song", "/embed/clip?transcript=1", "/embed/song"]
# A file name with no break in it, wider than a 320 px page once text is spaced out.
LONG_NAME = "community_garden_walk_recording"
PUBLISHER = ["/publish/", "/publish/upload", "/publish/media/clip", f"/publish/media/{LONG_NAME}"]

# The text spacing of 1.4.12, as a user style sheet would set it.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: .12em !important;
  word-spacing: .16em !important; } p { margin-bottom: 2em !important; }"""

# Targets smaller than 24 by 24 CSS px. Controls (buttons, fields, sliders)
# must be that big outright, a stricter rule than WCAG's; a link may be smaller
# when it sits in a sentence or when the 24 px circle centred on it touches
# no other target and no other small link's circle (WCAG's exceptions).
SMALL_TARGETS = """() => {
  const dialog = document.querySelector('dialog[open]');
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom + scrollY > 0
      && getComputedStyle(el).visibility != 'hidden'
      && !el.closest('.ap-sr, .visually-hidden') && (!dialog || dialog.contains(el));
  };
  const inSentence = (el) => {
    if (el.tagName != 'A' || getComputedStyle(el).display != 'inline') return false;
    let block = el.parentElement;
    while (getComputedStyle(block).display == 'inline') block = block.parentElement;
    return /[^\\s,.;:]/.test(block.textContent.replace(el.textContent, ''));
  };
  // The part of a target its scrolling boxes leave to the pointer.
  const reachable = (el) => {
    let {left, top, right, bottom} = el.getBoundingClientRect();
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflow == 'visible') continue;
      const c = box.getBoundingClientRect();
      [left, top] = [Math.max(left, c.left), Math.max(top, c.top)];
      [right, bottom] = [Math.min(right, c.right), Math.min(bottom, c.bottom)];
    }
    return {left, top, right, bottom};
  };
  const all = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')].filter(shown)
    .map((el) => {
      const r = el.getBoundingClientRect();
      return {el, r, area: reachable(el), x: r.left + r.width / 2, y: r.top + r.height / 2,
              small: r.width < 23.5 || r.height < 23.5};
    }).filter((t) => t.area.right > t.area.left && t.area.bottom > t.area.top);
  const touches = (t, r) => Math.hypot(Math.max(r.left, Math.min(t.x, r.right)) - t.x,
                                       Math.max(r.top, Math.min(t.y, r.bottom)) - t.y) < 12;
  const name = (el) => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label')
    || el.textContent.trim() || el.id).slice(0, 40)}"`;
  const small = all.filter((t) => t.small && !inSentence(t.el));
  return small.flatMap((t) => {
    const size = `${t.r.width.toFixed(1)}x${t.r.height.toFixed(1)}`;
    if (t.el.tagName != 'A') return [`${name(t.el)} ${size}`];
    const near = all.filter((o) => o != t && !o.el.contains(t.el) && !t.el.contains(o.el)
      && (touches(t, o.area) || (small.includes(o) && Math.hypot(o.x - t.x, o.y - t.y) < 24)));
    return near.length ? [`${name(t.el)} ${size} too near ${near.map((o) => name(o.el))}`] : [];
  });
}"""

# Whether the focused element shows at some point of its box: what covers
# each of 25 points of it, when something else does. Null when focus has
# left the page's elements (Tab after the last one).
FOCUS_SEEN = """() => {
  const el = document.activeElement;
  if (el == document.body) return null;
  const r = el.getBoundingClientRect();
  const covers = [];
  let seen = 0;
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
    const hit = document.elementFromPoint(r.left + 1 + (r.width - 2) * i / 4,
                                          r.top + 1 + (r.height - 2) * j / 4);
    if (hit && (hit == el || el.contains(hit))) seen++;
    else if (hit) covers.push(hit.className || hit.tagName);
  }
  return {name: el.getAttribute('aria-label') || el.id || el.textContent.trim().slice(0, 40),
          seen, covers: [...new Set(covers)]};
}"""

# Text cut off: boxes that hide what overflows them (or end it with an
# ellipsis) and have more to show, form fields (which scroll their value) aside.
CLIPPED = """() => [...document.querySelectorAll('body *')].filter((el) => {
  const skip = '.ap-sr, .visually-hidden, video, audio, svg, input, textarea, select';
  if (el.closest(skip) || !el.getClientRects().length) return false;
  const s = getComputedStyle(el);
  const hides = (v) => v == 'hidden' || v == 'clip';
  const cut = (hides(s.overflowX) || s.textOverflow == 'ellipsis');
  return (cut && el.scrollWidth > el.clientWidth + 1)
    || (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1);
}).map((el) => `${el.className || el.tagName} "${el.textContent.trim().slice(0, 40)}"`
  + ` needs ${el.scrollWidth}x${el.scrollHeight}, has ${el.clientWidth}x${el.clientHeight}`)"""

PAGE_WIDTH = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture
def media_dir(tmp_path, media_cache):
    """The player's test library and an audio item with a long file name."""
    folder = make_player_library(tmp_path / "media", media_cache)
    shutil.copy(folder / "song.mp3", folder / f"{LONG_NAME}.mp3")
    return folder


@pytest.fixture
def publisher(app):
    """A publisher's sign-in token."""
    return create_publisher(app)


def resize(page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})


def is_player(path: str) -> bool:
    return path.startswith(("/watch/", "/embed/")) and not path.endswith("/transcript")


def player_states(page) -> Iterator[str]:
    """Put the player through its states (the shortcuts dialog opened with
    `?`), yielding each one's name."""
    page.wait_for_selector("#player[data-state=ready]")
    yield "ready"
    page.get_by_role("button", name="CC: Captions", exact=True).click()
    expect(page.get_by_role("menu", name="Captions")).to_be_visible()
    yield "captions menu open"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings", exact=True).click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    yield "settings dialog open"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Mute", exact=True).focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    yield "shortcuts dialog open"
    page.keyboard.press("Escape")


def every_state(page, live_server, token: str, style: str = "",
                states: bool = True) -> Iterator[str]:
    """Open every page (the publisher's once signed in), with ``style``
    added, and yield a label for each page and, unless ``states`` is false,
    each player state."""
    for path in [*PUBLIC, *PLAYERS, None, *PUBLISHER]:
        if path is None:
            sign_in(page, live_server, token)
            continue
        page.goto(live_server.url + path)
        if style:
            # Through the CSSOM: the pages' Content-Security-Policy refuses a <style> element.
            page.evaluate("""(css) => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }""", style)
        if is_player(path) and states:
            for state in player_states(page):
                yield f"{path} ({state})"
        else:
            yield path


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["320px", "1280px"])
def test_targets_are_24_px_or_spaced_apart(page, live_server, publisher, size):
    resize(page, *size)
    found = {}
    for where in every_state(page, live_server, publisher):
        small = page.evaluate(SMALL_TARGETS)
        if small:
            found[where] = small
    assert found == {}


def test_no_sideways_scrolling_or_clipped_text_at_320_px_with_text_spacing(
        page, live_server, publisher):
    resize(page, *NARROW)
    found = {}
    for style in ["", TEXT_SPACING]:
        for where in every_state(page, live_server, publisher, style):
            width, viewport = page.evaluate(PAGE_WIDTH)
            problems = page.evaluate(CLIPPED)
            if width > viewport:
                problems.append(f"the page is {width} px wide")
            if problems:
                found[f"{where}{' with text spacing' if style else ''}"] = problems
        page.context.clear_cookies()
    assert found == {}


@pytest.mark.parametrize("size", [(1280, 600), (320, 568)], ids=["laptop", "phone"])
@pytest.mark.parametrize("dialog", ["Settings", "Keyboard shortcuts"])
def test_focus_in_a_dialog_is_never_hidden_under_its_close_bar(page, live_server, size, dialog):
    resize(page, *size)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    button = {"Keyboard shortcuts": "Keyboard shortcuts (?)"}.get(dialog, dialog)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("dialog", name=dialog)).to_be_visible()
    hidden = []
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS_SEEN)
        if focus and not focus["seen"]:
            hidden.append((key, focus))
    assert hidden == []


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["320px", "1280px"])
def test_tabbing_through_each_page_never_hides_focus(page, live_server, publisher, size):
    resize(page, *size)
    hidden = {}
    for where in every_state(page, live_server, publisher, states=False):
        if is_player(where):
            page.wait_for_selector("#player[data-state=ready]")
        first = None
        for _ in range(60):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_SEEN)
            if focus is None:
                continue
            if focus["name"] == first:
                break
            first = first or focus["name"]
            if not focus["seen"]:
                hidden.setdefault(where, []).append(focus)
    assert hidden == {}


# The focused element's focus indicator as drawn: its outline and box shadow.
INDICATOR = """(el) => { const s = getComputedStyle(el);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset, s.boxShadow]; }"""


@pytest.mark.parametrize("forced_colors", ["none", "active"])
def test_focus_on_the_current_transcript_cue_changes_how_it_looks(page, live_server,
                                                                  forced_colors):
    page.emulate_media(forced_colors=forced_colors)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    cue = page.locator("#transcript [aria-current=true]")
    unfocused = cue.evaluate(INDICATOR)
    cue.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert cue.evaluate("el => el.matches(':focus-visible')")
    focused = cue.evaluate(INDICATOR)
    # The ring itself changes, not just where it is drawn.
    assert focused[:3] != unfocused[:3]
    style, width, color, _, _ = focused
    assert style != "none" and float(width[:-2]) >= 2
    if forced_colors == "none":
        assert contrast(color, "rgb(255, 255, 255)") >= 3


def test_sign_in_fields_name_their_purpose_and_take_pasted_text(page, live_server, publisher):
    page.goto(live_server.url + "/publish/login")
    name, secret = page.locator("#name"), page.locator("#secret")
    assert name.get_attribute("autocomplete") == "username"
    assert secret.get_attribute("autocomplete") == "current-password"
    assert secret.get_attribute("type") == "password"
    for field, text in [(name, "pat"), (secret, publisher)]:
        field.focus()
        # A paste the page could cancel, then the text it would insert.
        cancelled = field.evaluate("""(el, text) => {
            const data = new DataTransfer();
            data.setData('text/plain', text);
            return !el.dispatchEvent(new ClipboardEvent('paste', {
                clipboardData: data, bubbles: true, cancelable: true}));
        }""", text)
        assert not cancelled
        page.keyboard.insert_text(text)
        assert field.input_value() == text
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/publish/")


def test_titles_headings_and_the_search_status(page, live_server, publisher):
    for where in every_state(page, live_server, publisher, states=False):
        assert re.fullmatch(r"\S.* – Accessible Player", page.title()), where
        levels = [int(tag[1]) for tag in page.evaluate(
            "[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]"
            ".filter((h) => !h.closest('dialog:not([open]), [hidden]')).map((h) => h.tagName)")]
        assert levels.count(1) == 1 and levels[0] == 1, (where, levels)
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), (where, levels)
    page.goto(live_server.url + "/search?q=hello")
    status = page.get_by_role("status").filter(has_text=re.compile("match"))
    expect(status).to_have_text(re.compile(r"^1 match in 1 item for “hello”"))
    assert page.title().startswith(status.inner_text())
