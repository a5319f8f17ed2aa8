"""The interactive transcript in Chromium: the current cue, seeking from it,
auto-scroll and when it stops, search, and a 3-hour transcript that stays cheap."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_media import MEDIA, long_video, seek
from tests.browser_support import assert_axe_clean
from tests.mediagen import ffmpeg_exe

pytestmark = pytest.mark.browser

LONG_SECONDS = 3 * 3600
LONG_CUE = 3.6  # 3,000 cues in 3 hours

CLIP_CUES = [
    (0, 5, "<v Ada>Hello and welcome to the garden."),
    (5, 10, "<v Ada>Every plant here was grown from <i>seed</i>."),
    (10, 15, "<v Ben>The seed catalogue is by the door."),
    (15, 20, "<v Ben>Tomatoes need a lot of sun."),
    (20, 25, "<v Ada>Water them in the morning."),
    (25, 30, "<v Ada>Thank you for visiting."),
]
DESCRIPTIONS = [(12, 15, "Ben points at a shelf of seed packets.")]
CHAPTERS = [(0, 15, "Seeds"), (15, 30, "Care")]


def stamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{seconds % 60:06.3f}"


def vtt(cues) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{stamp(a)} --> {stamp(b)}\n{text}\n" for a, b, text in cues)


def long_cues() -> list[tuple[float, float, str]]:
    count = round(LONG_SECONDS / LONG_CUE)
    return [(round(i * LONG_CUE, 3), round((i + 1) * LONG_CUE, 3),
             f"Line {i + 1} of the long talk.") for i in range(count)]


def long_silence(media_cache: Path) -> Path:
    """Three hours of silent 8 kb/s MP3 (about 11 MB): one minute encoded,
    then copied end to end by ffmpeg, which takes well under a second."""
    dest = media_cache / "silence-3h.mp3"
    if dest.exists():
        return dest
    minute = media_cache / "silence-1m.mp3"
    tmp = dest.with_name(".silence-3h.mp3")
    run = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run([*run, "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "60",
                    "-c:a", "libmp3lame", "-b:a", "8k", str(minute)], check=True, timeout=60)
    subprocess.run([*run, "-stream_loop", "-1", "-i", str(minute), "-t", str(LONG_SECONDS),
                    "-c", "copy", "-f", "mp3", str(tmp)], check=True, timeout=60)
    tmp.replace(dest)
    return dest


@pytest.fixture
def media_dir(request, tmp_path, media_cache):
    """The garden clip; with the parameter "long", also a 3-hour talk of 3,000 cues."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(long_video(media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text('{"title": "In the garden"}')
    (folder / "clip.en.vtt").write_text(vtt(CLIP_CUES), encoding="utf-8")
    (folder / "clip.en.descriptions.vtt").write_text(vtt(DESCRIPTIONS), encoding="utf-8")
    (folder / "clip.en.chapters.vtt").write_text(vtt(CHAPTERS), encoding="utf-8")
    if getattr(request, "param", None) == "long":
        shutil.copy(long_silence(media_cache), folder / "long.mp3")
        (folder / "long.json").write_text('{"title": "A long talk"}')
        (folder / "long.en.vtt").write_text(vtt(long_cues()), encoding="utf-8")
    return folder


with_long_talk = pytest.mark.parametrize("media_dir", ["long"], indirect=True)


@pytest.fixture(autouse=True)
def quick_failures(page):
    page.set_default_timeout(10_000)


def open_watch(page, server, item="clip"):
    page.goto(f"{server.url}/watch/{item}")
    page.wait_for_selector("#player[data-state=ready]")
    page.wait_for_selector(".ap-transcript-tools")


BODY = "document.querySelector('.ap-transcript-body')"
CURRENT_MATCH_START = "document.querySelector('mark.ap-match-current').closest('a').dataset.start"


def current_cues(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#transcript [aria-current]",
        "els => els.map(e => ({start: +e.dataset.start, end: +e.dataset.end,"
        " value: e.getAttribute('aria-current'), text: e.textContent}))")


def media_time(page) -> float:
    return page.evaluate(f"{MEDIA}.currentTime")


def cue_in_view(page) -> bool:
    """Whether the current cue lies inside the transcript's scroll box."""
    return page.evaluate("""() => {
        const box = document.querySelector('.ap-transcript-body').getBoundingClientRect();
        const cue = document.querySelector('#transcript [aria-current=true]')
            .getBoundingClientRect();
        return cue.top >= box.top && cue.bottom <= box.bottom;
    }""")


# Also on PostgreSQL + S3: the video plays from the bucket.
@pytest.mark.databases("sqlite", "postgresql")
def test_current_cue_is_marked_at_its_time(page, live_server):
    open_watch(page, live_server)
    cues = page.locator("#transcript .ap-transcript-cue")
    assert cues.count() == len(CLIP_CUES) + len(DESCRIPTIONS)
    for at, cue in [(0, 0), (7.5, 1), (16, 3), (29.9, 5)]:
        seek(page, at)
        start, end, _ = CLIP_CUES[cue]
        marked = [(c["start"], c["end"], c["value"]) for c in current_cues(page)]
        assert marked == [(start, end, "true")]
    # A description over a caption is the current cue while it lasts, then the caption again.
    seek(page, 13)
    assert [c["text"] for c in current_cues(page)] == [DESCRIPTIONS[0][2]]
    seek(page, 14.9)
    assert [c["start"] for c in current_cues(page)] == [12]
    seek(page, 15.5)
    assert [c["start"] for c in current_cues(page)] == [15]
    assert page.js_errors == []


def test_server_markup_shows_speakers_descriptions_and_chapters(page, live_server):
    open_watch(page, live_server)
    section = page.locator("#transcript")
    assert section.locator("h3.ap-transcript-chapter").all_inner_texts() == ["Seeds", "Care"]
    assert section.locator(".ap-transcript-speaker").first.inner_text() == "Ada:"
    description = section.locator(".ap-transcript-description")
    assert DESCRIPTIONS[0][2] in description.inner_text()


# Also on PostgreSQL + S3: the video plays from the bucket.
@pytest.mark.databases("sqlite", "postgresql")
def test_click_and_enter_on_a_cue_seek_there(page, live_server):
    open_watch(page, live_server)
    url = page.url
    cue = page.locator("#transcript .ap-transcript-cue", has_text="Tomatoes")
    cue.click()
    page.wait_for_function(f"() => {MEDIA}.currentTime === 15")
    assert page.url == url
    assert [c["start"] for c in current_cues(page)] == [15]

    page.locator("#transcript .ap-transcript-cue", has_text="morning").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {MEDIA}.currentTime === 20")
    assert page.url == url
    assert [c["start"] for c in current_cues(page)] == [20]


def test_cue_links_work_without_the_script(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/watch/clip")
        page.locator("#transcript .ap-transcript-cue", has_text="Tomatoes").click()
        page.wait_for_url("**/watch/clip?t=15")
        assert page.locator("video").get_attribute("data-start") in ("15", "15.0")
    finally:
        context.close()


@with_long_talk
def test_auto_scroll_follows_inside_its_box_then_stops_when_the_viewer_scrolls(page, live_server):
    open_watch(page, live_server, "long")
    resume = page.get_by_role("button", name="Resume auto-scroll")
    assert resume.is_hidden()
    page_scroll = page.evaluate("scrollY")
    seek(page, 5400)
    assert cue_in_view(page)
    assert page.evaluate("scrollY") == page_scroll

    page.locator(".ap-transcript-body").hover()
    page.mouse.wheel(0, -300)
    resume.wait_for()
    parked = page.evaluate(f"{BODY}.scrollTop")
    seek(page, 9001.5)
    assert [c["start"] for c in current_cues(page)] == [9000]
    assert page.evaluate(f"{BODY}.scrollTop") == parked
    assert not cue_in_view(page)

    resume.click()
    assert resume.is_hidden()
    assert cue_in_view(page)
    assert page.evaluate("document.activeElement.type") == "search"
    # Playwright scrolled the page to click; from here on only the transcript's box may move.
    page_scroll = page.evaluate("scrollY")
    seek(page, 100)
    assert cue_in_view(page)
    assert page.evaluate("scrollY") == page_scroll


@with_long_talk
def test_scrollbar_drag_and_focus_inside_stop_auto_scroll(page, live_server):
    open_watch(page, live_server, "long")
    resume = page.get_by_role("button", name="Resume auto-scroll")
    seek(page, 3000)
    # Another script (or the scrollbar) moving the box is the viewer's scroll, not the player's.
    page.evaluate(f"{BODY}.scrollTop += 500")
    resume.wait_for()
    resume.click()
    assert resume.is_hidden() and cue_in_view(page)

    page.locator("#transcript [aria-current=true]").focus()
    assert resume.is_visible()
    parked = page.evaluate(f"{BODY}.scrollTop")
    seek(page, 200)
    assert page.evaluate(f"{BODY}.scrollTop") == parked


def test_search_marks_counts_and_steps_through_matches(page, live_server):
    open_watch(page, live_server)
    search = page.get_by_label("Search transcript")
    count = page.locator(".ap-transcript-tools [role=status]")
    next_match = page.get_by_role("button", name="Next match")
    previous = page.get_by_role("button", name="Previous match")
    assert next_match.is_disabled() and previous.is_disabled()

    search.fill("SEED")
    page.wait_for_function(
        "() => document.querySelector('.ap-transcript-tools [role=status]').textContent"
        " === '3 matches'")
    marks = page.locator("#transcript mark")
    assert marks.all_inner_texts() == ["seed", "seed", "seed"]

    search.press("Enter")
    assert count.text_content() == "Match 1 of 3"
    current = page.locator("#transcript mark.ap-match-current")
    assert current.count() == 1
    assert page.evaluate(CURRENT_MATCH_START) == "5"
    search.press("Enter")
    assert count.text_content() == "Match 2 of 3"
    search.press("Shift+Enter")
    assert count.text_content() == "Match 1 of 3"
    previous.click()
    assert count.text_content() == "Match 3 of 3"
    assert page.evaluate(CURRENT_MATCH_START) == "12"
    next_match.click()
    assert count.text_content() == "Match 1 of 3"
    assert page.get_by_role("button", name="Resume auto-scroll").is_visible()

    # A match across the cue's markup is one match, in two marks.
    search.fill("from seed")
    search.press("Enter")
    assert count.text_content() == "Match 1 of 1"
    assert marks.all_inner_texts() == ["from ", "seed"]

    search.fill("cabbage")
    search.press("Enter")
    assert count.text_content() == "No matches"
    assert marks.count() == 0
    # Marks removed leave the cue's text and markup as they were.
    cue = page.locator("#transcript .ap-transcript-cue", has_text="grown")
    assert cue.evaluate("a => [a.childNodes.length, a.innerHTML]") == [
        3, "Every plant here was grown from <i>seed</i>."]
    search.fill("")
    search.press("Enter")
    assert count.text_content() == ""
    assert page.js_errors == []


def test_search_speaks_the_page_language(page, live_server):
    page.goto(f"{live_server.url}/watch/clip?hl=uk")
    page.wait_for_selector(".ap-transcript-tools")
    search = page.get_by_label("Пошук у стенограмі")
    search.fill("seed")
    search.press("Enter")
    # The first search loads the search code, so the answer may take a moment.
    expect(page.locator(".ap-transcript-tools [role=status]")).to_have_text("Збіг 1 з 3")
    search.fill("tomatoes")
    page.wait_for_function(
        "() => document.querySelector('.ap-transcript-tools [role=status]').textContent"
        " === '1 збіг'")
    assert page.get_by_role("button", name="Наступний збіг").is_enabled()


def test_transcript_with_search_active_is_accessible(page, live_server):
    open_watch(page, live_server)
    seek(page, 6)
    search = page.get_by_label("Search transcript")
    search.fill("seed")
    search.press("Enter")
    expect(page.locator("#transcript mark.ap-match-current")).to_have_count(1)
    assert page.get_by_role("button", name="Resume auto-scroll").is_visible()
    assert_axe_clean(page)


@with_long_talk
def test_three_hour_transcript_touches_two_cues_at_most_per_update(page, live_server):
    open_watch(page, live_server, "long")
    assert page.locator("#transcript .ap-transcript-cue").count() == len(long_cues())
    # Every timeupdate: which elements had attributes changed since the last one.
    page.evaluate("""() => {
        const media = document.querySelector('#player audio');
        // Records arrive in the callback (microtasks run between listeners) or are still queued.
        let records = [];
        const observer = new MutationObserver((list) => { records.push(...list); });
        observer.observe(document.querySelector('.ap-transcript-body'),
                         {attributes: true, subtree: true});
        window.touched = [];
        window.moves = 0;
        media.addEventListener('timeupdate', () => {
            const targets = new Set([...records, ...observer.takeRecords()].map(r => r.target));
            records = [];
            window.touched.push(targets.size);
            if (targets.size) window.moves++;
        });
    }""")
    seek(page, 4000)
    page.evaluate(f"() => {{ const m = {MEDIA}; m.playbackRate = 8; m.play(); }}")
    page.wait_for_function("() => window.moves >= 6")
    page.evaluate(f"{MEDIA}.pause()")
    touched = page.evaluate("window.touched")
    assert max(touched) <= 2
    assert len(current_cues(page)) == 1

    cues = long_cues()
    for at in [0, 1.7, 3599.9, 3600, 5400.2, 7200, 10799]:
        seek(page, at)
        now = media_time(page)
        start, _, text = next(c for c in cues if c[0] <= now < c[1])
        assert [(c["start"], c["text"]) for c in current_cues(page)] == [(start, text)]
        assert cue_in_view(page)
    assert page.js_errors == []
