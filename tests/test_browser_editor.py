"""The caption editor in Chromium: a keyboard-only walk from loading a track
with an error to seeing the saved version play on the watch page; axe-core
in every state of the editor; 320 CSS pixels wide; and two publishers saving
one track, which ends in a 412 and a way to merge."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from player import create_app
from tests.browser_media import long_video, stamp
from tests.browser_support import LiveServer, assert_axe_clean
from tests.publish_support import create_publisher

pytestmark = pytest.mark.browser

# Cue 2 ends before it starts: an error the checker shows, and the reason
# players do not offer the track until it is fixed.
BROKEN_CAPTIONS = (
    "WEBVTT\n\n"
    f"{stamp(1)} --> {stamp(4)}\nHello and welcome to the editor.\n\n"
    f"{stamp(5)} --> {stamp(4.5)}\nThis cue ends before it starts.\n\n"
    f"{stamp(9)} --> {stamp(12)}\n<v Ana>The last words.\n"
)
DESCRIPTIONS = (
    "WEBVTT\n\n"
    f"{stamp(4.2)} --> {stamp(4.8)}\nA long description of the coloured bars that will"
    " never fit in the short pause before the next line of dialogue.\n"
)
EDITOR = "/publish/media/clip/tracks/en.captions/edit"


@pytest.fixture
def editor_app(tmp_path, media_cache, database_url):
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(long_video(media_cache), folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(BROKEN_CAPTIONS, encoding="utf-8")
    (folder / "clip.en.descriptions.vtt").write_text(DESCRIPTIONS, encoding="utf-8")
    (folder / "clip.json").write_text('{"title": "Clip to caption"}', encoding="utf-8")
    app = create_app({"TESTING": True, "MEDIA_DIR": str(folder), "DATABASE": database_url,
                      "SECRET_KEY": "test-secret"})
    app.media_folder = folder
    return app


@pytest.fixture
def server(editor_app):
    with LiveServer(editor_app) as live:
        yield live


@pytest.fixture
def token(editor_app):
    return create_publisher(editor_app)


def sign_in(page, server, token: str, name: str = "pat") -> None:
    page.goto(f"{server.url}/publish/login")
    page.fill("#name", name)
    page.fill("#secret", token)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/publish/")


def new_page(context):
    """A page of ``context`` that notes its script errors in ``js_errors``."""
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    return page


def open_editor(page, server, path: str = EDITOR) -> None:
    page.goto(server.url + path)
    page.wait_for_selector("[data-ed-list] [data-uid]")


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def cue(page, number: int):
    return page.locator("[data-ed-list] > li").nth(number - 1)


def wait_status(page, text: str) -> None:
    expect(page.locator("[data-ed-status]")).to_have_text(text)


def test_keyboard_only_fix_nudge_split_merge_undo_save_and_watch(page, server, token,
                                                                editor_app):
    sign_in(page, server, token)
    page.goto(f"{server.url}/publish/media/clip")
    tab_to(page, "a[href$='/tracks/en.captions/edit']")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-ed-list] [data-uid]")
    assert page.locator("[data-ed-list] > li").count() == 3

    # The checker's error is shown beside cue 2, with its line.
    problem = cue(page, 2).locator(".ed-problem-error")
    expect(problem).to_contain_text("Line 6, error:")
    expect(problem).to_contain_text("before it starts")
    assert cue(page, 2).locator("[data-field=end]").get_attribute("aria-invalid") == "true"
    expect(page.locator("[data-ed-summary]")).to_have_text("Checker: 1 error, 0 warnings.")

    # Fix it from the keyboard: cue 2's end, typed over.
    tab_to(page, "[data-ed-list] li:nth-child(2) [data-field=end]")
    page.keyboard.press("Control+A")
    page.keyboard.type("7.5")
    page.keyboard.press("Tab")
    assert cue(page, 2).locator("[data-field=end]").input_value() == "00:00:07.500"
    expect(page.locator("[data-ed-summary]")).to_have_text("Checker: 0 errors, 0 warnings.")
    expect(cue(page, 2).locator(".ed-problem")).to_have_count(0)
    wait_status(page, "Checker: 0 errors, 0 warnings.")

    # To the same field of the cue above, then back to its end; nudge that
    # later by 0.1 s with the arrow key.
    assert page.evaluate("document.activeElement.dataset.field") == "speaker"
    page.keyboard.press("Alt+ArrowUp")
    assert page.evaluate("document.activeElement.matches("
                         "'[data-ed-list] li:nth-child(1) [data-field=speaker]')")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowUp")
    assert cue(page, 1).locator("[data-field=end]").input_value() == "00:00:04.100"
    wait_status(page, "End of cue 1: 00:00:04.100.")

    # Split cue 1 after "Hello and welcome" (the cursor put there by keys).
    tab_to(page, "[data-ed-list] li:nth-child(1) [data-field=text]")
    page.keyboard.press("Control+Home")
    for _ in range(len("Hello and welcome")):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Alt+K")
    expect(page.locator("[data-ed-list] > li")).to_have_count(4)
    assert cue(page, 1).locator("[data-field=text]").input_value() == "Hello and welcome"
    assert cue(page, 2).locator("[data-field=text]").input_value() == "to the editor."
    split_at = cue(page, 2).locator("[data-field=start]").input_value()
    assert cue(page, 1).locator("[data-field=end]").input_value() == split_at
    assert split_at == "00:00:02.700"
    wait_status(page, "Cue 1 split at 2.7 seconds: cue 2 starts there.")
    # Focus is in the new cue's text.
    assert page.evaluate("document.activeElement.dataset.field") == "text"

    # Merge the new cue 2 with cue 3, then undo the merge.
    page.keyboard.press("Alt+M")
    expect(page.locator("[data-ed-list] > li")).to_have_count(3)
    assert cue(page, 2).locator("[data-field=text]").input_value() == (
        "to the editor.\nThis cue ends before it starts.")
    wait_status(page, "Cues 2 and 3 merged; cue 2 now ends at 00:00:07.500.")
    page.keyboard.press("Control+Z")
    expect(page.locator("[data-ed-list] > li")).to_have_count(4)
    wait_status(page, "Undone: merge of cues 2 and 3.")
    assert cue(page, 3).locator("[data-field=text]").input_value() == (
        "This cue ends before it starts.")

    # Save: the track becomes valid, so the watch page offers it.
    page.keyboard.press("Control+S")
    wait_status(page, "Saved as version 2.")
    expect(page.locator("[data-ed-save-state]")).to_have_text(
        "All changes are saved (version 2).")
    saved = (editor_app.media_folder / "clip.en.vtt").read_text(encoding="utf-8")
    assert "00:00:05.000 --> 00:00:07.500\nThis cue ends before it starts." in saved
    assert "\nto the editor.\n" in saved and "<v Ana>The last words." in saved
    assert page.js_errors == []

    page.goto(f"{server.url}/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    page.evaluate("""() => new Promise(resolve => {
        const m = document.querySelector('#player video');
        m.currentTime = 6;
        m.addEventListener('seeked', resolve, {once: true});
    })""")
    expect(page.locator(".ap-captions")).to_have_text("This cue ends before it starts.")
    page.evaluate("() => { const m = document.querySelector('#player video');"
                  " m.muted = true; return m.play(); }")
    page.wait_for_function("() => document.querySelector('#player video').currentTime > 6.2")
    expect(page.locator(".ap-captions")).to_have_text("This cue ends before it starts.")


def test_axe_finds_nothing_in_any_state_of_the_editor(page, server, token):
    sign_in(page, server, token)
    open_editor(page, server)
    # Errors shown.
    expect(page.locator(".ed-problem-error")).to_have_count(1)
    assert_axe_clean(page)
    # The help dialog open: focus in it, Escape closes it and returns focus.
    page.locator("[data-ed-help]").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("[data-ed-help-dialog]")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.matches('[data-ed-help-close]')")
    assert "Split the cue at the cursor" in dialog.inner_text()
    assert_axe_clean(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.matches('[data-ed-help]')")
    # A failed save (the error is still there): the alert says why.
    page.locator("[data-ed-save]").click()
    expect(page.locator("[data-ed-alert]")).to_contain_text("Not saved. The track has 1 error")
    assert_axe_clean(page)
    # A description track: the speaking-time estimate says it does not fit.
    open_editor(page, server, "/publish/media/clip/tracks/en.descriptions/edit")
    meters = cue(page, 1).locator(".ed-meters")
    expect(meters).to_contain_text("It does not fit")
    expect(meters).to_contain_text("the gap before the next dialogue is 0.8 seconds")
    assert_axe_clean(page)
    # The versions page.
    page.goto(f"{server.url}/publish/media/clip/tracks/en.captions/versions")
    assert_axe_clean(page)
    assert page.js_errors == []


def test_at_320_pixels_nothing_scrolls_sideways(browser, server, token):
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True,
                                  is_mobile=True)
    try:
        page = new_page(context)
        sign_in(page, server, token)
        open_editor(page, server)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320
        for control in page.locator("[data-ed-list] button").all()[:7]:
            box = control.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24
            assert box["x"] >= 0 and box["x"] + box["width"] <= 320
        # Edited by touch: tap a field, type, and the meters follow.
        text = cue(page, 1).locator("[data-field=text]")
        text.tap()
        text.fill("Short.")
        expect(cue(page, 1).locator(".ed-meters")).to_contain_text("Longest line: 6 of 42")
        assert_axe_clean(page)
        assert page.js_errors == []
    finally:
        context.close()


# The text spacing of WCAG 1.4.12, as a user style sheet would set it.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: .12em !important;
  word-spacing: .16em !important; } p { margin-bottom: 2em !important; }"""


def test_at_320_pixels_hints_wrap_with_text_spacing(browser, server, token):
    """The hints under the fields (the editor's "hours:minutes:seconds.milliseconds"
    is one long word) wrap rather than widen the page when text is spaced out."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = new_page(context)
        sign_in(page, server, token)
        for path in [EDITOR, "/publish/media/clip", "/publish/upload"]:
            if path == EDITOR:
                open_editor(page, server)
            else:
                page.goto(server.url + path)
            # Through the CSSOM: the pages' Content-Security-Policy refuses a <style> element.
            page.evaluate("""(css) => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }""",
                          TEXT_SPACING)
            assert page.locator(".field-hint").count() > 0, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, path
        assert page.js_errors == []
    finally:
        context.close()


def test_two_publishers_editing_one_track_end_in_412_and_a_merge(browser, server,
                                                                 editor_app, token):
    other = create_publisher(editor_app, "sam")
    first = browser.new_context(viewport={"width": 1280, "height": 800})
    second = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        pat, sam = new_page(first), new_page(second)
        sign_in(pat, server, token)
        sign_in(sam, server, other, "sam")
        open_editor(pat, server)
        open_editor(sam, server)

        # Sam fixes cue 2 and saves first.
        sam_end = cue(sam, 2).locator("[data-field=end]")
        sam_end.fill("00:00:06.000")
        sam_end.press("Tab")
        sam.keyboard.press("Control+S")
        wait_status(sam, "Saved as version 2.")

        # Pat, still on the old version, fixes it differently and edits cue 3.
        pat_end = cue(pat, 2).locator("[data-field=end]")
        pat_end.fill("00:00:08.000")
        pat_end.press("Tab")
        cue(pat, 3).locator("[data-field=text]").fill("Pat's last words.")
        pat.keyboard.press("Control+S")
        conflict = pat.locator("[data-ed-conflict]")
        expect(conflict).to_be_visible()
        expect(pat.locator("[data-ed-alert]")).to_contain_text(
            "Someone else saved this track after you opened it, so your changes were not saved.")
        assert pat.evaluate("document.activeElement.matches('[data-ed-conflict]')")
        expect(conflict.locator(".ed-hunk")).to_have_count(1)
        expect(conflict).to_contain_text("1 place differs. For each, keep their cues or yours")
        hunk = conflict.locator(".ed-hunk").first
        assert "00:00:06.000" in hunk.locator(".ed-hunk-text").first.inner_text()
        assert "Pat's last words." in hunk.locator(".ed-hunk-text").nth(1).inner_text()
        assert_axe_clean(pat)
        # Nothing of Pat's was written.
        on_disk = (editor_app.media_folder / "clip.en.vtt").read_text(encoding="utf-8")
        assert "00:00:06.000" in on_disk and "Pat's" not in on_disk

        # Keep Pat's side, merge, and save on top of Sam's version.
        hunk.get_by_label("Keep your version").check()
        pat.locator("[data-ed-merge]").click()
        expect(conflict).to_be_hidden()
        pat.keyboard.press("Control+S")
        wait_status(pat, "Saved as version 3.")
        on_disk = (editor_app.media_folder / "clip.en.vtt").read_text(encoding="utf-8")
        assert "00:00:08.000" in on_disk and "Pat's last words." in on_disk
        assert pat.js_errors == [] and sam.js_errors == []
    finally:
        first.close()
        second.close()


def test_a_draft_is_fixed_and_approved_from_the_keyboard(page, server, token, editor_app):
    folder = editor_app.media_folder
    (folder / "clip.en.vtt").unlink()
    (folder / "clip.en.captions.automatic.vtt").write_text(
        f"WEBVTT\n\n{stamp(1)} --> {stamp(3)}\nhello an welcome\n", encoding="utf-8")
    editor_app.test_cli_runner().invoke(args=["scan"])
    sign_in(page, server, token)
    page.goto(f"{server.url}/publish/")
    assert "Transcript: Missing" in page.locator("main").inner_text()
    open_editor(page, server, "/publish/media/clip/tracks/en.captions.automatic/edit")
    expect(page.locator("[data-ed-draft-note]")).to_contain_text("A draft (automatic)")
    assert_axe_clean(page)
    tab_to(page, "[data-ed-list] li:nth-child(1) [data-field=text]")
    page.keyboard.press("Control+A")
    page.keyboard.type("Hello and welcome.")
    tab_to(page, "[data-ed-approve]")
    page.keyboard.press("Enter")
    wait_status(page, "Approved. The track now counts as captions.")
    expect(page.locator("[data-ed-approve]")).to_have_count(0)
    assert page.evaluate("document.activeElement.matches('[data-ed-save]')")
    expect(page.locator("[data-ed-save-state]")).to_have_text(
        "All changes are saved (version 2).")
    assert "Hello and welcome." in (folder / "clip.en.captions.automatic.vtt").read_text()
    assert_axe_clean(page)
    page.goto(f"{server.url}/publish/")
    assert "Transcript: Missing" not in page.locator("main").inner_text()
    assert page.js_errors == []


def test_play_a_cue_set_times_from_the_playhead_insert_delete_undo_and_redo(
        page, server, token):
    sign_in(page, server, token)
    open_editor(page, server)
    page.evaluate("() => { document.querySelector('[data-ed-media]').muted = true; }")

    # Play just cue 1 (1 s to 4 s): playback stops at its end.
    tab_to(page, "[data-ed-list] li:nth-child(1) [data-field=start]")
    page.keyboard.press("Alt+P")
    page.wait_for_function("() => document.querySelector('[data-ed-media]').paused"
                           " && document.querySelector('[data-ed-media]').currentTime > 3.5",
                           timeout=15_000)
    played_to = page.evaluate("document.querySelector('[data-ed-media]').currentTime")
    assert 3.9 <= played_to < 4.6
    expect(page.locator("[data-ed-caption]")).to_have_text(
        "Hello and welcome to the editor." if played_to < 4 else "")

    # The playhead becomes cue 2's start, from the keyboard.
    page.evaluate("""() => new Promise(resolve => {
        const m = document.querySelector('[data-ed-media]');
        m.addEventListener('seeked', resolve, {once: true});
        m.currentTime = 5.25;
    })""")
    expect(page.locator("[data-ed-clock]")).to_have_text("00:00:05.250")
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.press("Alt+BracketLeft")
    assert cue(page, 2).locator("[data-field=start]").input_value() == "00:00:05.250"
    wait_status(page, "Start of cue 2: 00:00:05.250.")
    # And cue 2's end, with the button.
    end_button = cue(page, 2).get_by_role("button", name="End at playhead for cue 2")
    end_button.focus()
    page.evaluate("() => { document.querySelector('[data-ed-media]').currentTime = 8; }")
    page.wait_for_function("() => document.querySelector('[data-ed-media]').currentTime === 8")
    page.keyboard.press("Enter")
    assert cue(page, 2).locator("[data-field=end]").input_value() == "00:00:08.000"

    # Insert a cue after cue 2: it starts where cue 2 ends and takes focus.
    page.keyboard.press("Alt+N")
    expect(page.locator("[data-ed-list] > li")).to_have_count(4)
    assert cue(page, 3).locator("[data-field=start]").input_value() == "00:00:08.000"
    assert cue(page, 3).locator("[data-field=end]").input_value() == "00:00:09.000"
    assert page.evaluate("document.activeElement.matches("
                         "'[data-ed-list] li:nth-child(3) [data-field=text]')")
    page.keyboard.type("A new line.")
    # Typing is undone as one step, and redone.
    page.keyboard.press("Control+Z")
    assert cue(page, 3).locator("[data-field=text]").input_value() == ""
    page.keyboard.press("Control+Y")
    assert cue(page, 3).locator("[data-field=text]").input_value() == "A new line."

    # Delete it with its button: focus moves to the cue now in its place.
    cue(page, 3).get_by_role("button", name="Delete cue 3").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-ed-list] > li")).to_have_count(3)
    wait_status(page, "Cue 3 deleted. Undo brings it back.")
    assert page.evaluate("document.activeElement.closest('li') ==="
                         " document.querySelector('[data-ed-list] li:nth-child(3)')")
    page.keyboard.press("Control+Z")
    expect(page.locator("[data-ed-list] > li")).to_have_count(4)
    assert cue(page, 3).locator("[data-field=text]").input_value() == "A new line."
    # Placement: top puts line:0 in the cue's settings.
    placement = cue(page, 3).locator("[data-field=placement]")
    placement.focus()
    placement.select_option("top")
    page.keyboard.press("Control+S")
    wait_status(page, "Saved as version 2.")
    saved = page.evaluate("fetch(location.pathname.replace(/edit$/, 'text'))"
                          ".then(r => r.json()).then(j => j.text)")
    assert "00:00:08.000 --> 00:00:09.000 line:0\nA new line." in saved
    assert page.js_errors == []
