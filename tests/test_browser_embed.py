"""The player on another site, in Chromium: the iframe embed, the inline
component and the postMessage API, with the host page served from a second
origin (another port), as a site owner's page would be."""

from __future__ import annotations

import json
import re
import shutil
from html import escape, unescape

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from flask import Flask, Response, abort

from player import create_app
from player.embed import CONTROLS_HEIGHT
from tests.browser_support import LiveServer, assert_axe_clean, axe_violations
from tests.test_browser_transcript import vtt as timed_vtt
from tests.test_embed import (
    CAPTIONS_EN,
    EXAMPLE_ORIGIN,
    LECTURE_TITLE,
    SUBTITLES_UK,
    make_embed_library,
    readme_example,
)

pytestmark = pytest.mark.browser

STATE = "#player[data-state=ready]"
HOSTILE_CSS = """
*, *::before, *::after { box-sizing: content-box; }
#lesson { margin: 0; padding: 0; border: 0; }  /* the host's own element: its to style */
div { margin: 1rem 0; padding: 1rem; border: 2px solid #999; font-size: 14px; color: #333; }
p { margin: 2em 0; color: #333; }
span { padding: 0 .5em; }
ul { padding-left: 3em; }
li { margin: .5em; }
button {
  margin: .5em; padding: 1em 2em; font: 700 1.25rem Georgia, serif; color: #fff;
  background: #06c; border: 3px solid #036; border-radius: 0; text-transform: uppercase;
  letter-spacing: .1em; box-shadow: 2px 2px 4px #000;
}
"""
# What host styles could change on the player's parts (layout aside, which
# follows from the width the host gives the player).
COMPARED = ["box-sizing", "margin-top", "margin-right", "margin-bottom", "margin-left",
            "padding-top", "padding-right", "padding-bottom", "padding-left",
            "border-top-width", "border-bottom-width", "border-left-width", "border-right-width",
            "color", "background-color", "font-size", "font-family", "font-weight",
            "text-transform", "letter-spacing", "box-shadow"]
# Each element as its path of tag.class names and its styles, sorted: plugins
# add their parts in whatever order their modules arrive.
COMPUTED = """([root, names]) => [...document.querySelectorAll(root)].map((el) => {
  const style = getComputedStyle(el);
  const path = [];
  for (let e = el; e && e !== document.body; e = e.parentElement) {
    path.unshift(`${e.tagName}.${e.className.baseVal ?? e.className}`);
  }
  return [path.join(' > '), names.map((n) => style.getPropertyValue(n))];
}).sort()"""


class HostSite:
    """The site owner's web server: another origin, serving the pages a test gives it."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        self.app = Flask("host")
        self.app.add_url_rule("/<name>", "page", self.serve)
        self.url = ""

    def serve(self, name: str):
        if name not in self.pages:
            abort(404)
        return Response(self.pages[name], mimetype="text/html")

    def page(self, name: str, body: str, head: str = "", title: str = "A host page") -> str:
        self.pages[name] = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"{head}</head><body><main><h1>{title}</h1>{body}</main></body></html>")
        return f"{self.url}/{name}"


# A talk whose transcript has every part: speakers, a voice change inside a
# cue, a pause long enough to start a paragraph, descriptions and chapters.
TALK_CUES = [
    (0, 4, "<v Ada>Welcome to the <i>talk</i>."),
    (4, 8, "<v Ada>Seeds come first."),
    (8, 10, "<v Ben>Then water them."),
    (13, 16, "<v Ben>After a pause, the sun."),
    (20, 24, "Nobody in particular speaks."),
    (24, 28, "<v Ada>Ada again.</v> <v Ben>Ben too.</v>"),
]
TALK_DESCRIPTIONS = [(16, 18, "Ben waters a pot."), (24, 26, "Both smile.")]
TALK_CHAPTERS = [(0, 20, "Seeds"), (20, 60, "Care")]


@pytest.fixture
def media_dir(tmp_path, media_cache):
    folder = make_embed_library(tmp_path / "media", media_cache)
    shutil.copy(folder / "lecture.mp4", folder / "talk.mp4")
    for name, cues in [("talk.en.vtt", TALK_CUES), ("talk.en.descriptions.vtt", TALK_DESCRIPTIONS),
                       ("talk.en.chapters.vtt", TALK_CHAPTERS)]:
        (folder / name).write_text(timed_vtt(cues), encoding="utf-8")
    return folder


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def host():
    site = HostSite()
    with LiveServer(site.app) as server:
        site.url = server.url
        yield site


@pytest.fixture(autouse=True)
def patient_waits(page):
    # Generous: CI machines run several browsers at once.
    page.set_default_timeout(30_000)


def iframe(src: str, title: str = LECTURE_TITLE, width: int = 640,
           height: int = 360 + CONTROLS_HEIGHT, extra: str = "") -> str:
    return (f'<iframe src="{src}" title="{escape(title)}" width="{width}" height="{height}"'
            f' allow="fullscreen; picture-in-picture"{extra}></iframe>')


def open_frame(page, url: str):
    """Load a host page and return its (first) iframe's frame once the player is ready."""
    page.goto(url)
    frame = page.locator("iframe").first.element_handle().content_frame()
    frame.wait_for_selector(STATE)
    return frame


MEDIA = "document.querySelector('.ap-player video, .ap-player audio')"


def media(frame_or_page, expression: str):
    """``expression`` about the player's media element ``m``."""
    return frame_or_page.evaluate(f"(() => {{ const m = {MEDIA}; return {expression}; }})()")


def wait_media(frame_or_page, condition: str):
    frame_or_page.wait_for_function(
        f"() => {{ const m = {MEDIA}; return m && ({condition}); }}")


def wait_caption(frame_or_page, text: str) -> None:
    frame_or_page.wait_for_function(
        f"() => document.querySelector('.ap-captions').innerText.trim() === {json.dumps(text)}")


def axe_clean_with_frames(page) -> None:
    """axe-core across the page and its iframes (axe must be in each frame
    for the main frame's run to look inside)."""
    script = Axe().axe_script
    for frame in page.frames[1:]:
        frame.evaluate(script)
    violations = axe_violations(page)
    summary = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    assert not violations, summary


def snippet(client_url: str, item: str = "lecture") -> str:
    """The watch page's embed code, as a site owner copies it."""
    html = requests.get(f"{client_url}/watch/{item}", timeout=10).text
    code = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    return unescape(code)


# -- the iframe ---------------------------------------------------------------------------

def test_copied_embed_code_plays_with_captions(page, live_server, host):
    url = host.page("iframe.html", f'<div style="max-width:640px">{snippet(live_server.url)}</div>')
    frame = open_frame(page, url)
    wait_caption(frame, CAPTIONS_EN[0])
    frame.get_by_role("button", name="Play", exact=True).click()
    wait_media(frame, "m.currentTime > 1 && !m.paused")
    assert frame.locator(STATE).get_attribute("data-captions") == "en"
    frame.get_by_role("button", name="Pause", exact=True).click()
    assert page.js_errors == []


def test_transcript_parameter_shows_the_transcript(page, live_server, host):
    url = host.page("transcript.html", iframe(f"{live_server.url}/embed/lecture?transcript=1",
                                              width=900, height=500))
    frame = open_frame(page, url)
    transcript = frame.locator("#transcript")
    assert transcript.is_visible()
    cues = transcript.locator(".ap-transcript-cue:not([data-kind])")
    assert cues.all_inner_texts() == CAPTIONS_EN
    # It sits inside the frame, beside the player.
    box, player = transcript.bounding_box(), frame.locator(STATE).bounding_box()
    outer = page.locator("iframe").bounding_box()
    assert box["x"] >= player["x"] + player["width"] - 1
    assert box["x"] + box["width"] <= outer["x"] + outer["width"] and box["height"] > 100


def test_t_1m30s_starts_at_90_seconds(page, live_server, host):
    url = host.page("start.html", iframe(f"{live_server.url}/embed/lecture?t=1m30s"))
    frame = open_frame(page, url)
    wait_media(frame, "Math.abs(m.currentTime - 90) < 0.5")
    assert frame.locator(".ap-time [aria-hidden=true]").inner_text() == "1:30 / 2:00"
    wait_caption(frame, CAPTIONS_EN[9])


def test_captions_uk_selects_ukrainian_subtitles(page, live_server, host):
    url = host.page("uk.html", iframe(f"{live_server.url}/embed/lecture?captions=uk&t=25"))
    frame = open_frame(page, url)
    assert frame.locator(STATE).get_attribute("data-captions") == "uk"
    modes = frame.evaluate("[...document.querySelector('video').textTracks]"
                           ".map((t) => [t.language, t.kind, t.mode])")
    assert ["uk", "subtitles", "hidden"] in modes and ["en", "captions", "disabled"] in modes
    wait_caption(frame, SUBTITLES_UK[2])


def test_the_frame_is_filled_without_letterboxing(page, live_server, host):
    """At the size oEmbed gives (640 wide), the 16:9 picture fills its box."""
    url = host.page("size.html", iframe(f"{live_server.url}/embed/lecture",
                                        height=360 + CONTROLS_HEIGHT))
    frame = open_frame(page, url)
    video = frame.locator("video").bounding_box()
    assert video["width"] == 640
    assert abs(video["height"] - 360) <= 8, video
    assert frame.evaluate("document.documentElement.scrollHeight") <= 360 + CONTROLS_HEIGHT
    # Room for the controls below the picture: they are not laid over it.
    assert not frame.evaluate("document.body.classList.contains('ap-overlay')")


def test_a_tiny_frame_offers_links_instead(page, live_server, host):
    url = host.page("tiny.html", iframe(f"{live_server.url}/embed/lecture", width=300, height=80))
    page.goto(url)
    frame = page.locator("iframe").element_handle().content_frame()
    watch = frame.get_by_role("link", name="Watch on Accessible Player (opens in a new tab)")
    watch.wait_for()
    assert watch.is_visible()
    assert frame.get_by_role("link", name="Read the transcript (opens in a new tab)").is_visible()
    assert frame.locator("#player").is_hidden()
    with page.context.expect_page() as opened:
        watch.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{live_server.url}/watch/lecture"
    tab.close()


#: In a frame: is it overlaid, are the controls and links in sight (not
#: faded, inside the frame), the video's size, what is at the bottom middle,
#: the lowest caption line's bottom (0 for none) and the controls' top.
OVERLAID = """() => {
  const $ = (s) => document.querySelector(s);
  const seen = (s) => {
    const r = $(s).getBoundingClientRect();
    return getComputedStyle($(s)).opacity > 0 && r.top >= 0 && r.bottom <= innerHeight;
  };
  const video = $('video').getBoundingClientRect();
  return {
    overlay: document.body.classList.contains('ap-overlay'),
    controls: seen('.ap-controls'), links: seen('.ap-embed-links'),
    video: [video.width, video.height],
    bottom: !!document.elementFromPoint(innerWidth / 2, innerHeight - 12).closest('.ap-controls'),
    caption: Math.max(0, ...[...document.querySelectorAll('.ap-captions .ap-cue')].map(
      (cue) => cue.getBoundingClientRect().bottom)),
    top: $('.ap-controls').getBoundingClientRect().top,
  };
}"""


def test_a_frame_sized_to_the_picture_lays_the_controls_over_it(page, live_server, host):
    """320 by 180, a 16:9 frame on a phone with no room below the picture:
    the picture takes the whole frame and the controls and links lie over
    it; after 3 s of playing untouched they step aside (captions drop to the
    bottom), a pointer move brings them back, and they stay while a menu of
    theirs is open or the keyboard is in them (captions above them)."""
    url = host.page("short.html", iframe(f"{live_server.url}/embed/talk", width=320, height=180))
    frame = open_frame(page, url)
    paused = frame.evaluate(OVERLAID)
    assert paused["overlay"] and paused["video"] == [320, 180], paused
    assert paused["controls"] and paused["links"] and paused["bottom"], paused
    axe_clean_with_frames(page)

    media(frame, "(m.muted = true, m.play(), 0)")
    frame.wait_for_function("() => document.body.classList.contains('ap-idle')",
                           timeout=10_000)
    wait_media(frame, "m.currentTime > 0 && m.currentTime < 8")
    playing = frame.evaluate(OVERLAID)
    assert not (playing["controls"] or playing["links"] or playing["bottom"]), playing
    # The caption moves down to the bottom (it is eased there).
    frame.wait_for_function(f"() => ({OVERLAID})().caption > 180 * 0.85")
    axe_clean_with_frames(page)

    page.mouse.move(160, 90)
    frame.wait_for_function("() => !document.body.classList.contains('ap-idle')")
    assert frame.evaluate(OVERLAID)["controls"]
    # A menu opened with the mouse keeps its controls while it is open.
    frame.locator(".ap-cc").click()
    frame.wait_for_function("() => document.body.classList.contains('ap-idle')",
                            timeout=10_000)
    assert frame.evaluate(OVERLAID)["controls"]
    assert frame.locator(".ap-menu-list:not([hidden])").is_visible()
    page.keyboard.press("Escape")

    # Keyboard only: into the frame's controls, where the controls stay.
    media(frame, "(m.currentTime = 20, 0)")
    for _ in range(10):
        if frame.evaluate("!!document.activeElement.closest('.ap-controls')"):
            break
        page.keyboard.press("Tab")
    assert frame.evaluate("!!document.activeElement.closest('.ap-controls')")
    frame.wait_for_function("() => document.body.classList.contains('ap-idle')",
                            timeout=10_000)
    kept = frame.evaluate(OVERLAID)
    assert kept["controls"] and not kept["links"], kept
    focus = frame.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
    assert focus["top"] >= 0 and focus["bottom"] <= 180
    frame.wait_for_function(
        f"() => {{ const s = ({OVERLAID})(); return s.caption && s.caption <= s.top + 1; }}")


def test_keys_work_inside_the_frame_and_not_from_the_host(page, live_server, host):
    body = ('<p><button type="button" id="host-button">A host button</button></p>'
            + iframe(f"{live_server.url}/embed/lecture")
            + "<script>window.keys = []; addEventListener('keydown',"
              " (e) => keys.push([e.key, e.defaultPrevented]));</script>")
    frame = open_frame(page, host.page("keys.html", body))
    page.locator("#host-button").focus()
    for key in ["k", "m", "ArrowRight", "c", "End", "l"]:
        page.keyboard.press(key)
    # The host saw its keys and the player did not touch them.
    assert page.evaluate("keys") == [[k, False] for k in ["k", "m", "ArrowRight", "c", "End", "l"]]
    assert media(frame, "[m.paused, m.muted, m.currentTime]") == [True, False, 0]
    assert frame.locator(STATE).get_attribute("data-captions") == "en"

    frame.get_by_role("button", name="Play", exact=True).focus()
    page.keyboard.press("k")
    wait_media(frame, "!m.paused")
    page.keyboard.press("m")
    wait_media(frame, "m.muted")
    page.keyboard.press("c")
    frame.wait_for_selector("#player[data-state=ready]:not([data-captions])")
    page.keyboard.press("k")
    wait_media(frame, "m.paused")
    # Keys pressed inside the frame never reach the host page.
    assert len(page.evaluate("keys")) == 6


def test_axe_host_page_with_the_iframe(page, live_server, host):
    url = host.page("axe-iframe.html", snippet(live_server.url) + "<p>After the player.</p>")
    open_frame(page, url)
    axe_clean_with_frames(page)


def test_axe_embed_page_with_transcript_in_ukrainian(page, live_server, host):
    url = host.page("axe-uk.html", iframe(f"{live_server.url}/embed/lecture?transcript=1&hl=uk",
                                          width=900, height=500))
    frame = open_frame(page, url)
    assert frame.get_by_role("button", name="Відтворити", exact=True).is_visible()
    axe_clean_with_frames(page)


def test_audio_embed(page, live_server, host):
    frame = open_frame(page, host.page("audio.html", snippet(live_server.url, "song")))
    wait_caption(frame, "A steady tone plays.")
    frame.get_by_role("button", name="Play", exact=True).click()
    wait_media(frame, "m.ended || m.currentTime > 1")
    axe_clean_with_frames(page)


# -- the inline component -----------------------------------------------------------------

def inline_page(host, server_url: str, name: str, head: str = "", item: str = "lecture",
                captions: str | None = "en") -> str:
    option = f' data-captions="{captions}"' if captions else ""
    return host.page(name, (
        f'<div id="lesson" data-player-src="{server_url}/api/media/{item}"{option}></div>'
        '<p><button type="button">A host button</button></p>'
        '<ul><li>A host list item</li></ul>'), head=(
        f'<link rel="stylesheet" href="{server_url}/static/player/player.css">'
        f'<script type="module" src="{server_url}/static/player/player.js"></script>{head}'))


def test_inline_component_plays_captions_from_another_origin_and_saves_progress(
        page, live_server, host):
    page.goto(inline_page(host, live_server.url, "inline.html"))
    page.wait_for_selector("#lesson[data-state=ready]")
    assert page.locator("#lesson").get_attribute("class") == "ap-player"
    assert media(page, "m.getAttribute('crossorigin')") == "anonymous"
    # The captions file came from the player's origin, through CORS.
    page.wait_for_function("() => [...document.querySelector('#lesson video').textTracks]"
                           ".some((t) => t.language === 'en' && t.kind === 'captions'"
                           " && t.mode === 'hidden' && t.cues"
                           f" && t.cues.length === {len(CAPTIONS_EN)})")
    wait_caption(page, CAPTIONS_EN[0])
    page.get_by_role("button", name="Play", exact=True).click()
    wait_media(page, "m.currentTime > 2")
    with page.expect_response(lambda r: r.url.endswith("/api/media/lecture/progress")
                              and r.request.method == "PUT") as saved:
        page.get_by_role("button", name="Pause", exact=True).click()
    assert saved.value.status == 202  # accepted: committed within milliseconds
    assert saved.value.headers["access-control-allow-origin"] == "*"
    paused_at = media(page, "m.currentTime")
    viewer = page.evaluate("JSON.parse(localStorage.getItem('ap-player')).viewer")
    stored = requests.get(f"{live_server.url}/api/media/lecture/progress",
                          headers={"X-Player-Viewer": viewer}, timeout=10).json()
    assert abs(stored["position"] - paused_at) < 1
    assert page.js_errors == []


def test_inline_markup_with_the_media_element_works_too(page, live_server, host):
    files = f"{live_server.url}/files/lecture"
    url = host.page("markup.html", (
        f'<div class="ap-player" id="lesson" data-player'
        f' data-item="{live_server.url}/api/media/lecture">'
        f'<video controls preload="metadata" crossorigin="anonymous" width="160" height="90">'
        f'<source src="{files}/lecture.mp4" type="video/mp4">'
        f'<track src="{files}/lecture.en.vtt" kind="captions" srclang="en" label="English" default>'
        "</video></div>"), head=(
        f'<link rel="stylesheet" href="{live_server.url}/static/player/player.css">'
        f'<script type="module" src="{live_server.url}/static/player/player.js"></script>'))
    page.goto(url)
    page.wait_for_selector("#lesson[data-state=ready][data-captions=en]")
    wait_caption(page, CAPTIONS_EN[0])
    with page.expect_response(lambda r: r.url.endswith("/api/media/lecture/progress")
                              and r.request.method == "PUT") as saved:
        page.get_by_role("button", name="Play", exact=True).click()
        wait_media(page, "m.currentTime > 1")
        page.get_by_role("button", name="Pause", exact=True).click()
    assert saved.value.status == 202  # accepted: committed within milliseconds


def test_inline_component_is_not_restyled_by_the_host(page, live_server, host):
    page.goto(inline_page(host, live_server.url, "plain.html"))
    page.wait_for_selector("#lesson[data-state=ready]")
    # Focus coming to the player fetches the styles of its menus and dialogs
    # (extras.css); every plugin has added its parts once nothing more is being fetched.
    page.focus("#lesson")
    page.wait_for_load_state("networkidle")
    plain = page.evaluate(COMPUTED, ["#lesson *", COMPARED])
    page.goto(inline_page(host, live_server.url, "hostile.html",
                          head=f"<style>{HOSTILE_CSS}</style>"))
    page.wait_for_selector("#lesson[data-state=ready]")
    page.focus("#lesson")
    page.wait_for_load_state("networkidle")
    hostile = page.evaluate(COMPUTED, ["#lesson *", COMPARED])
    assert [path for path, _ in plain] == [path for path, _ in hostile]
    differences = [(a[0], name, x, y)
                   for a, b in zip(plain, hostile, strict=True)
                   for name, x, y in zip(COMPARED, a[1], b[1], strict=True) if x != y]
    assert differences == []


def test_player_styles_do_not_reach_the_host(page, live_server, host):
    host_parts = "main > p, main > p > button, main > ul, main > ul > li, main, h1, body"
    page.goto(host.page("bare.html", '<p><button type="button">A host button</button></p>'
                                     "<ul><li>A host list item</li></ul>"))
    bare = page.evaluate(COMPUTED, [host_parts, COMPARED])
    page.goto(inline_page(host, live_server.url, "with-player.html"))
    page.wait_for_selector("#lesson[data-state=ready]")
    assert page.evaluate(COMPUTED, [host_parts, COMPARED]) == bare


def test_axe_host_page_with_the_inline_component(page, live_server, host):
    url = inline_page(host, live_server.url, "axe-inline.html")
    page.goto(url)
    page.wait_for_selector("#lesson[data-state=ready]")
    page.locator("[data-transcript-for=lesson] .ap-transcript-tools").wait_for()
    assert_axe_clean(page)
    # In Ukrainian on an English page: the transcript's own words are marked as Ukrainian.
    page.goto(f"{url}?hl=uk")
    transcript = page.get_by_role("region", name="Стенограма")
    transcript.locator(".ap-transcript-tools").wait_for()
    assert transcript.get_attribute("lang") == "uk"
    assert transcript.locator(".ap-transcript-label").first.inner_text() == "Опис:"
    assert_axe_clean(page)


# Each block of a transcript body and its parts, as plain data.
TRANSCRIPT_PARTS = """(body) => [body.lang, ...[...body.children].map((block) => [
  block.tagName, block.className, block.lang, block.dataset.start ?? null,
  block.tagName === 'H3' ? block.textContent : [...block.children].map((part) => [
    part.tagName, part.className, part.textContent.trim(), part.href ?? null,
    part.dataset.start ?? null, part.dataset.end ?? null, part.dataset.kind ?? null])])]"""


def test_inline_transcript_has_the_watch_pages_markup(page, live_server, host):
    page.goto(f"{live_server.url}/watch/talk")
    served = page.eval_on_selector("#transcript .ap-transcript-body", TRANSCRIPT_PARTS)
    page.goto(inline_page(host, live_server.url, "talk.html", item="talk"))
    transcript = page.get_by_role("region", name="Transcript")
    transcript.locator(".ap-transcript-tools").wait_for()
    assert transcript.get_attribute("data-transcript-for") == "lesson"
    # Right after the player.
    assert page.evaluate("document.querySelector('#lesson + section') !== null")
    built = transcript.locator(".ap-transcript-body").evaluate(TRANSCRIPT_PARTS)
    assert built == served
    # Every part was there to compare: chapters, speakers, descriptions, a break at the pause.
    assert [b[4] for b in built[1:] if b[0] == "H3"] == ["Seeds", "Care"]
    paragraphs = [[part[2] for part in b[4]] for b in built[1:] if b[0] == "P"]
    assert ["Ben:", "Then water them."] in paragraphs
    assert ["Ben:", "After a pause, the sun."] in paragraphs
    assert ["Description:", "Both smile."] in paragraphs
    assert ["Ben:", "Ben too."] in paragraphs
    assert page.js_errors == []


def test_inline_transcript_follows_seeks_and_toggles(page, live_server, host):
    page.goto(inline_page(host, live_server.url, "inline-transcript.html"))
    page.wait_for_selector("#lesson[data-state=ready]")
    transcript = page.get_by_role("region", name="Transcript")
    transcript.locator(".ap-transcript-tools").wait_for()
    captions = transcript.locator(".ap-transcript-cue:not([data-kind])")
    assert captions.all_inner_texts() == CAPTIONS_EN

    cue = transcript.locator(".ap-transcript-cue", has_text=CAPTIONS_EN[3])
    cue.click()
    wait_media(page, "Math.abs(m.currentTime - 30) < 0.5")
    assert cue.get_attribute("aria-current") == "true"
    assert page.url.endswith("/inline-transcript.html")

    # While playing, the cue being said is the current one.
    media(page, "m.currentTime = 39.5")
    page.get_by_role("button", name="Play", exact=True).click()
    transcript.locator("[aria-current=true]", has_text=CAPTIONS_EN[4]).wait_for()
    assert transcript.locator("[aria-current]").count() == 1
    page.get_by_role("button", name="Pause", exact=True).click()

    button = page.get_by_role("button", name="Transcript", exact=True)
    assert button.get_attribute("aria-pressed") == "true"
    button.click()
    transcript.wait_for(state="hidden")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    transcript.wait_for()
    assert button.get_attribute("aria-pressed") == "true"
    assert page.js_errors == []


def test_inline_component_turns_captions_on_unless_the_viewer_turned_them_off(
        page, live_server, host):
    url = inline_page(host, live_server.url, "default-captions.html", captions=None)
    page.goto(url)
    page.wait_for_selector("#lesson[data-state=ready][data-captions=en]")
    # Loaded from the player's origin, through CORS, and drawn.
    assert page.evaluate("document.querySelector('#lesson track[srclang=en]').src") \
        .startswith(f"{live_server.url}/")
    page.wait_for_function("() => [...document.querySelector('#lesson video').textTracks]"
                           ".some((t) => t.language === 'en' && t.mode === 'hidden'"
                           f" && t.cues && t.cues.length === {len(CAPTIONS_EN)})")
    wait_caption(page, CAPTIONS_EN[0])

    # In the UI's language when the item has captions or subtitles in it.
    page.goto(f"{url}?hl=uk")
    page.wait_for_selector("#lesson[data-state=ready][data-captions=uk]")
    wait_caption(page, SUBTITLES_UK[0])

    page.goto(url)
    page.wait_for_selector("#lesson[data-state=ready][data-captions=en]")
    page.get_by_role("button", name="Play", exact=True).focus()
    page.keyboard.press("c")
    page.wait_for_selector("#lesson[data-state=ready]:not([data-captions])")
    page.reload()
    page.wait_for_selector("#lesson[data-state=ready]")
    assert page.locator("#lesson").get_attribute("data-captions") is None
    assert page.evaluate("[...document.querySelector('#lesson video').textTracks]"
                         ".filter((t) => t.mode !== 'disabled').length") == 0
    assert page.js_errors == []


# -- the postMessage API ------------------------------------------------------------------

API_SCRIPT = """
<script src="{server}/static/player/embed-api.js"></script>
<script>
  window.events = [];
  const embed = new AccessiblePlayerEmbed(document.querySelector('iframe'));
  const names = ['ready', 'play', 'pause', 'timeupdate', 'ended', 'error', 'captionschange'];
  for (const name of names) embed.on(name, (state) => events.push({{name, ...state}}));
  window.embed = embed;
  embed.seek(30);  // before 'ready': queued until then
</script>
"""


def api_page(host, server_url: str, name: str, query: str = "api=1") -> str:
    return host.page(name, iframe(f"{server_url}/embed/lecture?{query}")
                     + API_SCRIPT.format(server=server_url))


def wait_event(page, condition: str, since: int = 0):
    """Wait for an event after the first `since` that meets `condition` (JS, `e`)."""
    page.wait_for_function(f"() => events.slice({since}).some((e) => {condition})")
    return page.evaluate(f"events.slice({since}).find((e) => {condition})")


def test_host_helper_drives_the_player_and_hears_its_events(page, live_server, host):
    frame = open_frame(page, api_page(host, live_server.url, "api.html"))
    ready = wait_event(page, "e.name === 'ready'")
    assert ready["duration"] == pytest.approx(120, abs=0.5)
    assert ready["captions"] == "en" and ready["paused"] is True
    wait_media(frame, "Math.abs(m.currentTime - 30) < 0.5")

    n = len(page.evaluate("events"))
    page.evaluate("embed.play()")
    wait_event(page, "e.name === 'play' && e.paused === false", n)
    wait_event(page, "e.name === 'timeupdate' && e.currentTime > 30.5", n)
    n = len(page.evaluate("events"))
    page.evaluate("embed.pause()")
    paused = wait_event(page, "e.name === 'pause'", n)
    assert paused["paused"] is True
    wait_media(frame, "m.paused")

    page.evaluate("embed.seek(60)")
    wait_event(page, "e.name === 'timeupdate' && Math.abs(e.currentTime - 60) < 0.5", n)
    wait_media(frame, "Math.abs(m.currentTime - 60) < 0.5")

    n = len(page.evaluate("events"))
    page.evaluate("embed.setCaptions('uk')")
    change = wait_event(page, "e.name === 'captionschange'", n)
    assert change["captions"] == "uk" and change["label"] == "Українська (subtitles)"
    assert frame.locator(STATE).get_attribute("data-captions") == "uk"
    n = len(page.evaluate("events"))
    page.evaluate("embed.setCaptions(null)")
    change = wait_event(page, "e.name === 'captionschange'", n)
    assert change["captions"] is None
    frame.wait_for_selector("#player[data-state=ready]:not([data-captions])")

    page.evaluate("embed.setVolume(0.25); embed.setRate(1.5)")
    wait_media(frame, "m.volume === 0.25 && m.playbackRate === 1.5")

    n = len(page.evaluate("events"))
    page.evaluate("embed.seek(119); embed.play()")
    ended = wait_event(page, "e.name === 'ended'", n)
    assert ended["currentTime"] == pytest.approx(120, abs=0.5)
    assert page.js_errors == []


def test_timeupdate_is_posted_at_most_four_times_a_second(page, live_server, host):
    frame = open_frame(page, api_page(host, live_server.url, "burst.html"))
    wait_event(page, "e.name === 'ready'")
    n = len(page.evaluate("events"))
    # Twenty timeupdates at once: one message now, and the latest position
    # once a quarter of a second has passed.
    frame.evaluate("""() => { const m = document.querySelector('video');
      for (let i = 0; i < 20; i++) m.dispatchEvent(new Event('timeupdate')); }""")
    wait_event(page, "e.name === 'timeupdate'", n)
    # Longer than the quarter second, then a message that arrives after everything sent before it.
    page.wait_for_timeout(400)
    page.evaluate("embed.setCaptions('uk')")
    wait_event(page, "e.name === 'captionschange'", n)
    names = [e["name"] for e in page.evaluate("events")[n:]]
    assert 1 <= names.count("timeupdate") <= 2


def test_host_helper_hears_errors(page, live_server, host):
    page.route("**/files/lecture/lecture.mp4", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(api_page(host, live_server.url, "error.html"))
    error = wait_event(page, "e.name === 'error'")
    assert error["message"] == "No media source currently available"


def test_without_api_1_the_player_says_nothing(page, live_server, host):
    frame = open_frame(page, api_page(host, live_server.url, "no-api.html", query="t=5"))
    frame.evaluate("document.querySelector('video').play()")
    wait_media(frame, "m.currentTime > 6")
    assert page.evaluate("events") == []
    # And takes no orders: the queued seek(30) was never carried out.
    assert media(frame, "m.currentTime") < 30


def test_end_pauses_there_once(page, live_server, host):
    frame = open_frame(page, api_page(host, live_server.url, "end.html", query="api=1&t=5&end=6"))
    wait_event(page, "e.name === 'ready'")
    page.evaluate("embed.seek(5); embed.play()")
    wait_event(page, "e.name === 'ended'")
    wait_media(frame, "m.paused")
    assert 6 <= media(frame, "m.currentTime") < 7


def test_loop_between_start_and_end(page, live_server, host):
    frame = open_frame(page, host.page("loop.html", iframe(
        f"{live_server.url}/embed/lecture?loop=1&t=5&end=6&muted=1&autoplay=1")))
    wait_media(frame, "!m.paused && m.currentTime >= 5.9")
    wait_media(frame, "!m.paused && m.currentTime < 5.5")


@pytest.fixture
def guarded(media_dir, tmp_path, host):
    """The player's server allowing only the host site to embed it."""
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "guarded.sqlite"), "EMBED_ORIGINS": host.url})
    with LiveServer(app) as server:
        yield server


def without_csp(route):
    response = route.fetch()
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"}
    route.fulfill(response=response, headers=headers)


RECORD = """() => { window.received = [];
  addEventListener('message', (e) => received.push([e.origin, e.data && e.data.command])); }"""


def test_messages_from_other_origins_are_ignored(browser, guarded, host):
    foreign = HostSite()
    with LiveServer(foreign.app) as server:
        foreign.url = server.url
        # A browser that did not enforce frame-ancestors would let the foreign
        # page frame the player; the player itself must still refuse it.
        context = browser.new_context()
        context.set_default_timeout(30_000)
        context.route(f"{guarded.url}/embed/**", without_csp)
        try:
            page = context.new_page()
            url = api_page(foreign, guarded.url, "foreign.html")
            frame = open_frame(page, url)
            frame.evaluate(RECORD)
            page.evaluate("""() => { const w = document.querySelector('iframe').contentWindow;
              for (const command of ['play', 'pause', 'play'])
                w.postMessage({channel: 'accessible-player', command}, '*');
              w.postMessage({channel: 'accessible-player', command: 'setVolume', value: 0.1},
                            '*'); }""")
            # The helper's own 'hello' may come in too; the four sent above are what count.
            frame.wait_for_function("() => received.filter(([, c]) => c !== 'hello').length === 4")
            assert media(frame, "[m.paused, m.volume]") == [True, 1]
            assert page.evaluate("events") == []
            assert frame.locator(STATE).is_visible()

            # A sibling frame of the allowed origin is not the parent either.
            allowed = context.new_page()
            frame = open_frame(allowed, host.page("allowed.html", (
                iframe(f"{guarded.url}/embed/lecture?api=1")
                + '<iframe title="Sibling" srcdoc="<p>Sibling</p>"></iframe>'
                + API_SCRIPT.format(server=guarded.url))))
            wait_event(allowed, "e.name === 'ready'")
            frame.evaluate(RECORD)
            allowed.evaluate("""() => {
              const sibling = document.querySelectorAll('iframe')[1].contentWindow;
              sibling.eval(`parent.frames[0].postMessage(
                {channel: 'accessible-player', command: 'play'}, '*')`); }""")
            frame.wait_for_function("() => received.filter(([, c]) => c === 'play').length === 1")
            assert media(frame, "m.paused") is True
            # The parent, on the allowed origin, is obeyed.
            allowed.evaluate("embed.play()")
            wait_media(frame, "!m.paused")
        finally:
            context.close()


def test_other_origins_cannot_frame_it_when_origins_are_set(page, guarded, host):
    foreign = HostSite()
    with LiveServer(foreign.app) as server:
        foreign.url = server.url
        page.goto(foreign.page("blocked.html", iframe(f"{guarded.url}/embed/lecture",
                                                      extra=' onload="this.dataset.loaded = 1"')))
        page.wait_for_selector("iframe[data-loaded]")
        frame = page.locator("iframe").element_handle().content_frame()
        assert frame.query_selector("#player") is None
        # The host site named in PLAYER_EMBED_ORIGINS may.
        open_frame(page, host.page("permitted.html", iframe(f"{guarded.url}/embed/lecture")))


# -- the watch page's embed code ------------------------------------------------------------

def test_copy_button_copies_and_says_copied(page, context, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/watch/lecture")
    button = page.get_by_role("button", name="Copy the embed code")
    button.click()
    status = page.locator("#embed-copied")
    page.wait_for_function("() => document.getElementById('embed-copied').textContent === 'Copied'")
    assert status.get_attribute("role") == "status"
    assert page.evaluate("navigator.clipboard.readText()") == \
        page.locator("#embed-code").input_value()
    assert_axe_clean(page, ".watch-embed")


# -- the README's examples ----------------------------------------------------------------

@pytest.fixture
def demo_server(tmp_path):
    from tests.test_embed import demo_app

    with LiveServer(demo_app(tmp_path)) as server:
        yield server


def readme_page(host, server, name: str, example: str) -> str:
    return host.page(name, readme_example(example).replace(EXAMPLE_ORIGIN, server.url),
                     title="Welcome")


def test_readme_iframe_with_parameters(page, demo_server, host):
    frame = open_frame(page, readme_page(host, demo_server, "readme-iframe.html",
                                         "iframe-parameters"))
    wait_media(frame, "Math.abs(m.currentTime - 20) < 0.5")
    assert frame.locator(STATE).get_attribute("data-captions") == "uk"
    assert frame.locator("#transcript").is_visible()
    axe_clean_with_frames(page)


def test_readme_inline_component(page, demo_server, host):
    page.goto(readme_page(host, demo_server, "readme-inline.html", "inline"))
    page.wait_for_selector("[data-player-src][data-state=ready][data-captions=en]")
    page.get_by_role("button", name="Play", exact=True).click()
    wait_media(page, "m.currentTime > 1")
    assert page.locator(".ap-captions").inner_text().strip() != ""
    assert_axe_clean(page)


def test_readme_postmessage_example(page, demo_server, host):
    frame = open_frame(page, readme_page(host, demo_server, "readme-api.html", "postmessage"))
    wait_media(frame, "!m.paused && m.currentTime > 10.5")
    assert frame.locator(STATE).get_attribute("data-captions") == "uk"
    page.wait_for_function("() => /^Lesson at 1\\d s$/.test(document.title)")


def test_a_320_by_480_transcript_keeps_a_few_lines_while_a_cue_has_focus(
        page, demo_server, host):
    """Focus in a cue stops auto-scroll, and "Resume auto-scroll" takes a row of
    its own: the transcript still shows three lines, the focused cue among them."""
    frame = open_frame(page, host.page("narrow-transcript.html", iframe(
        f"{demo_server.url}/embed/welcome?transcript=1", title="Welcome to Accessible Player",
        width=320, height=480), title="Welcome"))
    transcript = frame.locator("#transcript")
    transcript.locator(".ap-transcript-tools").wait_for()
    cue = transcript.locator(".ap-transcript-cue").nth(2)
    cue.focus()
    frame.get_by_role("button", name="Resume auto-scroll", exact=True).wait_for()
    body = transcript.locator(".ap-transcript-body")
    line = float(body.evaluate("(el) => getComputedStyle(el).lineHeight").removesuffix("px"))
    box, focused = body.bounding_box(), cue.bounding_box()
    assert box["height"] >= 3 * line, (box, line)
    assert box["y"] <= focused["y"]
    assert focused["y"] + focused["height"] <= box["y"] + box["height"]
    # All of it inside the frame, above the links.
    links = frame.locator(".ap-embed-links").bounding_box()
    assert box["y"] + box["height"] <= links["y"]
    assert frame.evaluate("document.documentElement.scrollHeight") <= 480
