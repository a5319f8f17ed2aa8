"""Audio descriptions in Chromium: each cue reaches its own live region at its
time, can be spoken, and "extended descriptions" pause playback for the speech
and always resume it."""

from __future__ import annotations

import shutil

import pytest

from tests.browser_media import MEDIA, long_video, seek, vtt
from tests.browser_support import assert_axe_clean

pytestmark = pytest.mark.browser

CAPTIONS = [(0, 5, "Welcome to the workshop."), (5, 10, "Let us begin."), (10, 30, "That is all.")]
DESCRIPTION = "A woman lifts a saw from the bench."
DESCRIPTIONS = [(2, 4, DESCRIPTION), (4.5, 6, "She measures a plank.")]
CHAPTERS = [(0, 15, "Tools"), (15, 30, "Work")]

# Replaces the browser's speech (headless Chromium has no voices) with a fake
# whose utterances start at once and end after `window.speechMs`, or, when
# that is null, never start at all (as with no speech service). Everything
# said and done is logged in `window.speechLog`.
FAKE_SPEECH = """
window.speechLog = [];
window.speechMs = 400;
const media = () => document.querySelector('#player video');
const log = (what, extra = {}) => window.speechLog.push(
    {what, time: media()?.currentTime, paused: media()?.paused, ...extra});
speechSynthesis.speak = (utterance) => {
    log('speak', {text: utterance.text});
    const fire = (type) => utterance.dispatchEvent(new SpeechSynthesisEvent(type, {utterance}));
    if (window.speechMs === null) return;
    setTimeout(() => fire('start'), 0);
    setTimeout(() => { log('end'); fire('end'); }, window.speechMs);
};
speechSynthesis.cancel = () => log('cancel');
document.addEventListener('play', (e) => log('play'), true);
document.addEventListener('pause', (e) => log('pause'), true);
"""


@pytest.fixture
def media_dir(tmp_path, media_cache):
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(long_video(media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text('{"title": "In the workshop"}')
    (folder / "clip.en.vtt").write_text(vtt(CAPTIONS), encoding="utf-8")
    (folder / "clip.en.descriptions.vtt").write_text(vtt(DESCRIPTIONS), encoding="utf-8")
    (folder / "clip.en.chapters.vtt").write_text(vtt(CHAPTERS), encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def quick_failures(page):
    page.set_default_timeout(10_000)


def open_watch(page, server):
    page.goto(f"{server.url}/watch/clip")
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(".ap-described", state="attached")


def region(page):
    return page.locator("#player .ap-described")


def descriptions_on(page):
    button = page.get_by_role("button", name="AD: Descriptions", exact=True)
    button.click()
    assert button.get_attribute("aria-pressed") == "true"


def choose_speech(page, *, extended):
    page.get_by_role("button", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings", exact=True)
    dialog.get_by_label("Speak descriptions").check()
    if extended:
        dialog.get_by_label("Extended descriptions").check()
    dialog.get_by_role("button", name="Close").click()


# Predicates as functions: a page's Content-Security-Policy forbids evaluating strings.
PLAYS_SEEN = "() => window.speechLog.filter(e => e.what === 'play').length >= 2"
SPOKEN = "() => window.speechLog.some(e => e.what === 'speak')"


def speak_extended(page, server, speech_settings: str = "") -> None:
    """The watch page with fake speech, descriptions spoken and extended,
    playing from 1 s; ``speech_settings`` is script run before the page."""
    page.add_init_script(FAKE_SPEECH + speech_settings)
    open_watch(page, server)
    descriptions_on(page)
    choose_speech(page, extended=True)
    play_from(page, 1)


def play_from(page, seconds):
    seek(page, seconds)
    page.evaluate(f"{MEDIA}.play()")


def test_a_description_reaches_its_own_live_region_at_its_time(page, live_server):
    open_watch(page, live_server)
    live = region(page)
    assert live.get_attribute("aria-live") == "polite"
    assert live.get_attribute("role") is None
    descriptions_on(page)
    # When the text arrives, note the media time, to compare with the cue's.
    page.evaluate("""() => new MutationObserver((records, observer) => {
        const text = document.querySelector('.ap-described').textContent;
        if (!text) return;
        window.described = {text, time: document.querySelector('#player video').currentTime};
        observer.disconnect();
    }).observe(document.querySelector('.ap-described'),
               {childList: true, characterData: true, subtree: true})""")
    play_from(page, 1)
    page.wait_for_function("() => window.described")
    described = page.evaluate("window.described")
    assert described["text"] == DESCRIPTION
    assert DESCRIPTIONS[0][0] <= described["time"] < DESCRIPTIONS[0][1]
    # The player's own status region is not used for it.
    assert page.locator("#player > [role=status]").text_content() == ""
    second = DESCRIPTIONS[1][2]
    page.wait_for_function(
        f"() => document.querySelector('.ap-described').textContent === {second!r}")
    assert page.js_errors == []


def test_descriptions_off_says_nothing(page, live_server):
    open_watch(page, live_server)
    play_from(page, 1.5)
    page.wait_for_function(f"() => {MEDIA}.currentTime > 3")
    assert region(page).text_content() == ""


def test_speak_descriptions_speaks_each_cue_without_pausing(page, live_server):
    page.add_init_script(FAKE_SPEECH)
    open_watch(page, live_server)
    descriptions_on(page)
    choose_speech(page, extended=False)
    play_from(page, 1.5)
    page.wait_for_function(SPOKEN)
    page.evaluate("document.querySelector('#player video').pause()")
    log = page.evaluate("window.speechLog")
    speak = next(e for e in log if e["what"] == "speak")
    assert speak["text"] == DESCRIPTION
    assert speak["paused"] is False
    assert [e["what"] for e in log if e["what"] in ("play", "pause")] == ["play", "pause"]


def test_extended_descriptions_pause_for_the_speech_then_resume(page, live_server):
    speak_extended(page, live_server)
    page.wait_for_function(PLAYS_SEEN)
    log = page.evaluate("window.speechLog")
    events = [e["what"] for e in log if e["what"] != "cancel"]
    # The pause is asked for just before speaking; its event comes a moment later.
    assert events[:5] == ["play", "speak", "pause", "end", "play"]
    speak = next(e for e in log if e["what"] == "speak")
    assert speak["text"] == DESCRIPTION and speak["paused"] is True
    assert DESCRIPTIONS[0][0] <= speak["time"] < DESCRIPTIONS[0][1]
    assert page.evaluate(f"{MEDIA}.paused") is False

    # The choices are saved.
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    page.get_by_role("button", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings", exact=True)
    assert dialog.get_by_label("Speak descriptions").is_checked()
    assert dialog.get_by_label("Extended descriptions").is_checked()


def test_speech_that_never_starts_does_not_leave_playback_paused(page, live_server):
    speak_extended(page, live_server, "window.speechMs = null;")
    page.wait_for_function(SPOKEN)
    page.wait_for_function(PLAYS_SEEN, timeout=20_000)
    assert page.evaluate(f"{MEDIA}.paused") is False
    assert "end" not in [e["what"] for e in page.evaluate("window.speechLog")]


def test_playing_during_the_pause_is_left_to_the_viewer(page, live_server):
    speak_extended(page, live_server, "window.speechMs = 1500;")
    page.wait_for_function(SPOKEN)
    # The viewer plays, then pauses, while the description is still being spoken.
    page.evaluate(f"() => {{ {MEDIA}.play().catch(() => {{}}); }}")
    page.wait_for_function(f"() => !{MEDIA}.paused")
    page.evaluate("document.querySelector('#player video').pause()")
    page.wait_for_function("() => window.speechLog.some(e => e.what === 'end')")
    page.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    log = page.evaluate("window.speechLog")
    events = [e["what"] for e in log if e["what"] in ("play", "pause", "end")]
    assert events == ["play", "pause", "play", "pause", "end"]
    assert page.evaluate(f"{MEDIA}.paused") is True


def test_settings_with_descriptions_section_are_accessible(page, live_server):
    open_watch(page, live_server)
    descriptions_on(page)
    page.get_by_role("button", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings", exact=True)
    assert dialog.get_by_role("heading", name="Descriptions", exact=True).is_visible()
    assert dialog.get_by_label("Extended descriptions").is_disabled()
    dialog.get_by_label("Speak descriptions").check()
    assert dialog.get_by_label("Extended descriptions").is_enabled()
    assert_axe_clean(page)
