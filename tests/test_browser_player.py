"""The player in Chromium: its states, what screen readers are told, captions,
preferences, languages, and the page without JavaScript."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from player import create_app
from tests.browser_media import (  # noqa: F401  (fixtures)
    CAPTIONS_EN,
    CLIP,
    SUBTITLES_UK,
    Valve,
    media_dir,
    no_script_errors,
    seek,
    starve,
)
from tests.browser_support import LiveServer

pytestmark = pytest.mark.browser

STATUS = "#player > [role=status]"
MEDIA = "document.querySelector('#player video')"
PROGRESS = "/api/media/clip/progress"
# Notes each moment a menu or dialog shows while extras.css, their styles, does not apply.
UNSTYLED = """
window.__unstyled = [];
new MutationObserver(() => {
  const shown = document.querySelector(
    '.ap-player [role=menu]:not([hidden]), .ap-player dialog[open]');
  const styled = [...document.styleSheets].some(
    (sheet) => (sheet.href || '').endsWith('/extras.css'));
  if (shown && !styled) window.__unstyled.push(shown.outerHTML.slice(0, 80));
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def failing(name: str):
    """Predicate for Playwright's "requestfailed" event: the player's file ``name`` failed."""
    return lambda request: request.url.endswith(f"/static/player/{name}")


def open_player(page, server, path="/watch/clip", state="ready"):
    page.goto(server.url + path)
    page.wait_for_selector(f"#player[data-state={state}]")


def status_text(page):
    return page.locator(STATUS).text_content()


# Also on PostgreSQL + S3: the video then plays from the bucket through a redirect.
@pytest.mark.databases("sqlite", "postgresql")
def test_ready_shows_the_time_and_says_nothing(page, live_server):
    open_player(page, live_server)
    assert page.locator(".ap-time [aria-hidden=true]").text_content() == "0:00 / 0:30"
    assert page.locator(".ap-time .ap-sr").text_content() == "0 seconds of 30 seconds"
    assert page.locator(".ap-stage").get_attribute("aria-busy") is None
    assert status_text(page) == ""
    assert page.locator(".ap-wait").is_hidden()
    assert page.get_by_role("button", name="Play", exact=True).is_visible()
    assert page.evaluate("document.querySelector('#player video').controls") is False
    assert page.js_errors == []


def test_the_player_arrives_as_one_module_and_its_plugins(page, live_server):
    """The server inlines the player's imports: the page fetches the entry
    and the plugins it loads, never a module that is already inside."""
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    open_player(page, live_server)
    page.wait_for_load_state("networkidle")
    base = live_server.url + "/static/player/"
    modules = [url[len(base):] for url in fetched if url.startswith(base) and url.endswith(".js")]
    assert modules[0] == "player.js"
    assert set(modules) <= {"player.js", "transcript.js", "descriptions.js", "progress.js"}
    assert len(modules) == len(set(modules))


def test_what_comes_as_the_viewer_reaches_the_player_and_without_it(page, live_server):
    """Menu lists, what shortcut keys do, the dialogs' content and the styles
    of menus and dialogs come when the pointer or focus first reaches the
    player, not with the page; when they cannot come, the rest still works,
    and the next try fetches them again."""
    later = re.compile(r"/static/player/(menu\.js|keys\.js|settings\.js|extras\.css)$")
    asked = []

    def offline(route) -> None:
        asked.append(route.request.url.rsplit("/", 1)[1])
        route.abort()

    page.route(later, offline)
    open_player(page, live_server)
    page.wait_for_load_state("networkidle")
    assert asked == []
    captions = page.get_by_role("button", name="CC: Captions", exact=True)
    captions.click()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => !document.querySelector('#player video').paused")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    assert {"menu.js", "keys.js", "settings.js"} <= set(asked)
    assert captions.get_attribute("aria-expanded") == "false"
    page.unroute(later)
    captions.click()
    expect(page.get_by_role("menu", name="Captions")).to_be_visible()
    assert captions.get_attribute("aria-expanded") == "true"


def test_menus_wait_for_their_styles_and_work_without_them(page, live_server):
    """extras.css styles what menu.js and settings.js build: while it is on
    its way no menu or dialog shows (an unstyled list would sit inside the
    control bar with its checked item unmarked); when it cannot load (a
    host's CSP, a network fault) the menu still opens and works plainly, and
    the next use fetches it again."""
    extras = "**/static/player/extras.css"
    fetched = []
    page.on("request", lambda request: request.url.endswith("/extras.css") and fetched.append(1))
    page.add_init_script(UNSTYLED)
    page.route(extras, lambda route: route.abort())
    open_player(page, live_server)
    captions = page.get_by_role("button", name="CC: Captions", exact=True)
    gone = "() => !document.querySelector('link[href$=\"/extras.css\"]')"
    with page.expect_event("requestfailed", failing("extras.css")):
        page.hover("#player")
    page.wait_for_function(gone)
    with page.expect_event("requestfailed", failing("extras.css")):
        captions.click()
    expect(captions).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(captions).to_have_attribute("aria-expanded", "false")
    expect(captions).to_be_focused()
    page.wait_for_function(gone)
    page.evaluate("window.__unstyled = []")
    page.unroute(extras)
    valve = Valve()
    page.route(extras, valve.handle)
    captions.click()
    page.wait_for_function("() => document.querySelector('link[href$=\"/extras.css\"]')")
    menu = page.get_by_role("menu", name="Captions")
    assert not menu.is_visible()
    valve.open()
    expect(menu).to_be_visible()
    assert menu.evaluate("list => getComputedStyle(list).position") == "absolute"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings", exact=True).click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    assert page.evaluate("window.__unstyled") == []
    assert len(fetched) == 3


def test_reports_start_at_a_later_play_when_their_code_failed_at_the_first(page, live_server):
    """progress-report.js comes with the first play; when it cannot, the
    next play fetches it again, and its first report holds what played
    before, from the very start."""
    reporter = "**/static/player/progress-report.js"
    page.route(reporter, lambda route: route.abort())
    open_player(page, live_server)
    with page.expect_event("requestfailed", failing("progress-report.js")):
        page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => {MEDIA}.currentTime > 1")
    page.get_by_role("button", name="Pause", exact=True).click()
    first_pause = page.evaluate(f"{MEDIA}.currentTime")
    page.unroute(reporter)
    with page.expect_request(lambda r: r.url.endswith(PROGRESS) and r.method == "PUT") as request:
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function(f"() => {MEDIA}.currentTime > 2.5")
        page.get_by_role("button", name="Pause", exact=True).click()
    report = request.value.post_data_json
    assert report["seq"] == 1
    # From the first play's start to beyond where it paused.
    assert min(start for start, _ in report["played"]) == 0
    assert max(end for _, end in report["played"]) > first_pause


def test_forgotten_history_stays_out_of_reports_from_a_late_reporter(page, live_server):
    """Forgetting erases what was played so far; when progress-report.js
    arrives only after that, what it reports starts after it too."""
    valve = Valve()
    page.route("**/static/player/progress-report.js", valve.handle)
    reports = []
    page.on("request", lambda r: r.url.endswith(PROGRESS) and r.method in ("PUT", "POST")
            and reports.append(r.post_data_json))
    open_player(page, live_server)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => {MEDIA}.currentTime > 1")
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Settings", exact=True).click()
    page.get_by_role("button", name="Forget my viewing history").click()
    expect(page.get_by_text("Your viewing history has been forgotten.")).to_be_visible()
    page.keyboard.press("Escape")
    assert valve.held
    valve.open()
    seek(page, 20)
    with page.expect_request(lambda r: r.url.endswith(PROGRESS) and r.method == "PUT") as request:
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function(f"() => {MEDIA}.currentTime > 21")
        page.get_by_role("button", name="Pause", exact=True).click()
    assert request.value.post_data_json in reports
    viewer = page.evaluate("JSON.parse(localStorage.getItem('ap-player')).viewer")
    for report in reports:
        assert report["viewer"] == viewer
        assert all(start >= 20 for start, _ in report["played"]), report


def test_transcript_search_code_that_cannot_load_is_tried_again(page, live_server):
    """transcript-search.js comes as the search box is focused: when it
    cannot, that is no script error, and the next search fetches it again."""
    search_code = "**/static/player/transcript-search.js"
    page.route(search_code, lambda route: route.abort())
    open_player(page, live_server)
    search = page.get_by_label("Search transcript")
    with page.expect_event("requestfailed", failing("transcript-search.js")):
        search.focus()
    search.press("Enter")
    page.unroute(search_code)
    search.fill("the")
    search.press("Enter")
    expect(page.locator("#transcript mark.ap-match-current")).to_have_count(1)
    # The failed fetch was no script error (the autouse fixture checks at the end).
    page.evaluate("new Promise((resolve) => setTimeout(resolve))")


@pytest.fixture
def resume_server(media_dir, tmp_path):
    """A server that offers to resume this 30-second clip from 3 s in."""
    app = create_app({
        "TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test-secret",
        "DATABASE": str(tmp_path / "resume.sqlite"),
        "RESUME_MIN_DURATION": 10, "RESUME_MIN_SECONDS": 3, "FINISHED_TAIL_SECONDS": 2,
    })
    with LiveServer(app) as server:
        yield server


@pytest.mark.parametrize("missing", ["extras.css", "progress-offer.js"])
def test_the_resume_offer_needs_only_its_own_code(page, resume_server, missing):
    """The offer is styled by player.css, so it shows, styled, whether or
    not extras.css loads; when its own code cannot load there is no offer,
    and no script error either."""
    open_player(page, resume_server)
    seek(page, 14)
    with page.expect_response(lambda r: r.url.endswith(PROGRESS) and r.request.method == "PUT"):
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_function(f"() => {MEDIA}.currentTime > 15")
        page.get_by_role("button", name="Pause", exact=True).click()
    page.route(f"**/static/player/{missing}", lambda route: route.abort())
    offer = page.locator(".ap-resume")
    if missing == "extras.css":
        page.reload()
        expect(offer).to_be_visible()
        assert offer.evaluate("box => getComputedStyle(box).paddingTop") != "0px"
    else:
        with page.expect_event("requestfailed", failing(missing)):
            page.reload()
        page.wait_for_selector("#player[data-state=ready][data-resume=resume]")
        page.evaluate("new Promise((resolve) => setTimeout(resolve))")
        assert offer.count() == 0


def test_slow_load_says_please_wait_then_becomes_ready(page, live_server):
    valve = Valve()
    page.route(CLIP, valve.handle)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector("#player[data-state=loading]")
    assert page.locator(".ap-stage").get_attribute("aria-busy") == "true"
    assert page.locator(".ap-wait").is_visible()
    assert page.locator(".ap-wait").inner_text() == "Please wait"
    expect(page.locator(STATUS)).to_have_text("Loading, please wait")
    valve.open()
    page.wait_for_selector("#player[data-state=ready]")
    assert page.locator(".ap-stage").get_attribute("aria-busy") is None
    assert page.locator(".ap-wait").is_hidden()


def test_missing_source_is_an_alert_with_retry_download_and_transcript(page, live_server):
    page.route(CLIP, lambda route: route.fulfill(status=404, body="gone"))
    open_player(page, live_server, state="error")
    alert = page.get_by_role("alert")
    assert alert.text_content() == "No media source currently available"
    assert page.locator(".ap-controls").is_hidden()
    download = page.get_by_role("link", name="Download the media")
    assert download.get_attribute("href").endswith("/files/clip/clip.mp4")
    transcript = page.get_by_role("link", name="Read the transcript")
    assert transcript.get_attribute("href") == live_server.url + "/watch/clip/transcript"

    page.unroute(CLIP)
    page.get_by_role("button", name="Try again", exact=True).click()
    page.wait_for_selector("#player[data-state=ready]")
    assert page.locator("#player [role=alert]").text_content() == ""


def test_a_stall_while_playing_is_announced_once(page, live_server, media_dir):
    valve = starve(page, CLIP, media_dir / "clip.mp4")
    open_player(page, live_server)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector("#player[data-buffering]")
    assert page.locator(".ap-wait").inner_text() == "Please wait"
    expect(page.locator(STATUS)).to_have_text("Buffering")
    announcements = page.evaluate("""() => new Promise(resolve => {
        const said = [];
        const region = document.querySelector('#player > [role=status]');
        new MutationObserver(() => region.textContent && said.push(region.textContent))
          .observe(region, {childList: true, characterData: true, subtree: true});
        setTimeout(() => resolve(said), 1500);
    })""")
    assert announcements == []
    valve.open()
    page.wait_for_function(
        "() => !document.querySelector('#player').hasAttribute('data-buffering')")


# Also on PostgreSQL + S3: the video then plays from the bucket through a redirect.
@pytest.mark.databases("sqlite", "postgresql")
def test_seek_slider_speaks_in_words_and_stays_quiet_while_focused_in_play(page, live_server):
    open_player(page, live_server)
    slider = page.get_by_role("slider", name="Seek")
    seek(page, 12.5)
    assert slider.get_attribute("aria-valuetext") == "12 seconds of 30 seconds"

    slider.focus()
    page.keyboard.press("k")
    page.wait_for_function("() => document.querySelector('#player video').currentTime > 14.2")
    assert slider.get_attribute("aria-valuetext") == "12 seconds of 30 seconds"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("k")
    now = page.evaluate("document.querySelector('#player video').currentTime")
    assert slider.get_attribute("aria-valuetext").startswith(f"{int(now)} seconds of")
    volume = page.get_by_role("slider", name="Volume")
    assert volume.get_attribute("aria-valuetext") == "Volume 100%"


def test_ukrainian_interface_and_spoken_times(page, live_server):
    open_player(page, live_server, "/watch/clip?hl=uk")
    player = page.locator("#player")
    # The page is Ukrainian too (?hl=), so the player needs no lang of its own.
    assert page.locator("html").get_attribute("lang") == "uk"
    assert player.evaluate("el => el.closest('[lang]').lang") == "uk"
    assert player.get_attribute("aria-label") == "Відеопрогравач: A test clip"
    assert page.get_by_role("button", name="Відтворити", exact=True).is_visible()
    seek(page, 22)
    assert page.get_by_role("slider", name="Позиція відтворення").get_attribute(
        "aria-valuetext") == "22 секунди, усього 30 секунд"
    phrases = page.evaluate("""async () => {
        const {I18n} = await import('/static/player/i18n.js');
        const {timePhrase} = await import('/static/player/timefmt.js');
        const uk = await I18n.load('uk-UA'), en = await I18n.load('en');
        const say = (i18n, s) => timePhrase(s, (k, v) => i18n.t(k, v));
        return [[1, 2, 5, 11, 21, 24, 60, 65, 3661].map(s => say(uk, s)),
                [0, 1, 65, 3600].map(s => say(en, s))];
    }""")
    assert phrases == [
        ["1 секунда", "2 секунди", "5 секунд", "11 секунд", "21 секунда", "24 секунди",
         "1 хвилина", "1 хвилина 5 секунд", "1 година 1 хвилина 1 секунда"],
        ["0 seconds", "1 second", "1 minute 5 seconds", "1 hour"],
    ]


def test_every_ui_string_has_a_ukrainian_translation(page, live_server):
    player_dir = Path(__file__).resolve().parents[1] / "static" / "player"
    used = set()
    for module in player_dir.glob("*.js"):
        used.update(re.findall(r"\bt\(\s*'((?:[^'\\]|\\.)*)'", module.read_text(encoding="utf-8")))
    page.goto(live_server.url + "/")
    translated = page.evaluate(
        "import('/static/player/i18n/uk.js').then(m => Object.keys(m.default))")
    assert sorted(used - set(translated)) == []


# Also on PostgreSQL + S3: tracks from the app, the video from the bucket.
@pytest.mark.databases("sqlite", "postgresql")
def test_switching_caption_language_changes_the_rendered_cue(page, live_server):
    open_player(page, live_server)
    seek(page, 6)
    captions = page.locator(".ap-captions")
    expect(captions).to_have_text(CAPTIONS_EN[1])
    assert captions.get_attribute("aria-hidden") == "true"

    page.get_by_role("button", name="CC: Captions", exact=True).click()
    page.get_by_role("menuitemradio", name="Українська (subtitles)", exact=True).click()
    expect(captions).to_have_text(SUBTITLES_UK[1])
    assert page.locator("#player").get_attribute("data-captions") == "uk"
    modes = page.evaluate(
        "[...document.querySelector('#player video').textTracks].map(t => t.mode)")
    assert "showing" not in modes

    page.get_by_role("button", name="CC: Captions", exact=True).click()
    page.get_by_role("menuitemradio", name="Off", exact=True).click()
    assert captions.text_content() == ""
    assert page.locator("#player").get_attribute("data-captions") is None


def cue_style(page):
    return page.evaluate("""() => {
        const s = getComputedStyle(document.querySelector('.ap-captions .ap-cue'));
        return {color: s.color, background: s.backgroundColor, size: parseFloat(s.fontSize),
                font: s.fontFamily, shadow: s.textShadow, variant: s.fontVariantCaps};
    }""")


def test_caption_style_changes_the_cue_and_survives_a_reload(page, live_server):
    open_player(page, live_server)
    page.wait_for_selector(".ap-captions .ap-cue")
    before = cue_style(page)
    assert (before["color"], before["background"]) == ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0.75)")

    page.get_by_role("button", name="Settings", exact=True).click()
    dialog = page.get_by_role("dialog", name="Settings")
    for label, value in [("Text size", "200%"), ("Text colour", "Yellow"),
                         ("Background colour", "Blue"), ("Background opacity", "100%"),
                         ("Font family", "Small capitals"), ("Character edge", "Uniform")]:
        dialog.get_by_label(label).select_option(value)
    preview = page.evaluate("getComputedStyle(document.querySelector('.ap-preview .ap-cue')).color")
    assert preview == "rgb(255, 255, 0)"
    dialog.get_by_role("button", name="Close", exact=True).click()

    def assert_changed(style):
        assert style["color"] == "rgb(255, 255, 0)"
        assert style["background"] == "rgb(0, 0, 255)"
        assert style["size"] == pytest.approx(before["size"] * 2)
        assert style["variant"] == "small-caps"
        assert style["shadow"] != "none"

    assert_changed(cue_style(page))
    page.reload()
    page.wait_for_selector("#player[data-state=ready] .ap-captions .ap-cue")
    assert_changed(cue_style(page))

    page.get_by_role("button", name="Settings", exact=True).click()
    dialog.get_by_role("button", name="Reset to defaults", exact=True).click()
    reset_note = dialog.locator(".ap-style [role=status]")
    assert reset_note.text_content() == "Caption settings reset to the defaults."
    assert dialog.get_by_label("Text colour").input_value() == "White"
    assert cue_style(page) == before


def test_start_time_and_share_link(page, live_server):
    open_player(page, live_server, "/watch/clip?t=12")
    now = page.evaluate("document.querySelector('#player video').currentTime")
    assert now == pytest.approx(12, abs=0.5)
    share = page.locator("[data-share-for=player]")
    expect(share).to_have_attribute("href", live_server.url + "/watch/clip?t=12")
    assert share.text_content() == "Link to this video (0:12)"
    seek(page, 0)
    expect(share).to_have_attribute("href", live_server.url + "/watch/clip")
    assert share.text_content() == "Link to this video"


def test_share_link_has_the_start_time_when_the_media_got_there_first(page, live_server):
    """The #t= media fragment can put the video at the start time before the
    player's script runs (a slow script here); the share link still says it."""

    def slow_script(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/static/player/player.js", slow_script)
    open_player(page, live_server, "/watch/clip?t=12")
    share = page.locator("[data-share-for=player]")
    expect(share).to_have_attribute("href", live_server.url + "/watch/clip?t=12")


def test_share_link_follows_playback(page, live_server):
    """The link's code arrives at the first play (share.js); from then on the
    link carries the second playback has reached."""
    open_player(page, live_server)
    share = page.locator("[data-share-for=player]")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => {MEDIA}.currentTime >= 2")
    page.get_by_role("button", name="Pause", exact=True).click()
    at = int(page.evaluate(f"{MEDIA}.currentTime"))
    expect(share).to_have_attribute("href", f"{live_server.url}/watch/clip?t={at}")
    assert share.text_content() == f"Link to this video (0:{at:02})"


def test_preferences_are_remembered(page, live_server):
    open_player(page, live_server)
    page.get_by_role("slider", name="Volume").fill("40")
    page.get_by_role("button", name="Playback speed: 1×", exact=True).click()
    page.get_by_role("menuitemradio", name="1.5×", exact=True).click()
    page.get_by_role("button", name="CC: Captions", exact=True).click()
    page.get_by_role("menuitemradio", name="Українська (subtitles)", exact=True).click()
    page.get_by_role("button", name="AD: Descriptions", exact=True).click()

    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    media = page.evaluate("(({volume, playbackRate}) => ({volume, playbackRate}))"
                          "(document.querySelector('#player video'))")
    assert media == {"volume": 0.4, "playbackRate": 1.5}
    assert page.get_by_role("slider", name="Volume").get_attribute("aria-valuetext") == "Volume 40%"
    speed = page.get_by_role("button", name="Playback speed: 1.5×", exact=True)
    assert speed.inner_text() == "1.5×"
    assert page.locator("#player").get_attribute("data-captions") == "uk"
    descriptions = page.get_by_role("button", name="AD: Descriptions", exact=True)
    assert descriptions.get_attribute("aria-pressed") == "true"
    assert page.evaluate("[...document.querySelector('#player video').textTracks]"
                         ".find(t => t.kind === 'descriptions').mode") == "hidden"


def test_transcript_button_shows_and_hides_the_transcript(page, live_server):
    open_player(page, live_server)
    transcript = page.locator("#transcript")
    button = page.get_by_role("button", name="Transcript", exact=True)
    assert transcript.is_visible() and button.get_attribute("aria-pressed") == "true"
    button.click()
    assert transcript.is_hidden() and button.get_attribute("aria-pressed") == "false"
    page.reload()
    page.wait_for_selector("#player[data-state=ready]")
    assert transcript.is_hidden()
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Transcript", exact=True).press("t")
    # The first shortcut acts once keys.js (fetched as focus came in) is here.
    expect(transcript).to_be_visible()


def test_audio_player(page, live_server):
    open_player(page, live_server, "/watch/song")
    assert page.locator("#player").get_attribute("aria-label") == "Audio player: A steady tone"
    assert page.locator(".ap-time [aria-hidden=true]").text_content() == "0:00 / 0:03"
    expect(page.locator(".ap-captions")).to_have_text("A steady tone plays.")
    assert page.get_by_role("button", name="Full screen", exact=True).count() == 0
    assert page.get_by_role("button", name="Picture in picture", exact=True).count() == 0


@pytest.mark.parametrize("viewport, scale", [((320, 640), 1), ((640, 400), 2)],
                         ids=["320px", "200%-zoom"])
def test_narrow_and_zoomed_screens_lose_nothing(browser, live_server, viewport, scale):
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=scale)
    page = context.new_page()
    open_player(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    controls = page.locator(".ap-controls button:visible, .ap-controls input, .ap-time")
    for i in range(controls.count()):
        box = controls.nth(i).bounding_box()
        assert 0 <= box["x"] <= box["x"] + box["width"] <= width, controls.nth(i).inner_html()
        if controls.nth(i).get_attribute("class") != "ap-time":
            assert box["width"] >= 24 and box["height"] >= 24
    page.get_by_role("button", name="Captions").click()
    menu = page.get_by_role("menu", name="Captions").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= width
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings").bounding_box()
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width
    context.close()


def test_player_built_from_item_json_on_another_origin(page, live_server):
    html = (f'<!doctype html><html lang="en"><title>Host</title><main>'
            f'<div id="embedded" data-captions="en"'
            f' data-player-src="{live_server.url}/api/media/clip"></div></main>'
            f'<script type="module" src="{live_server.url}/static/player/player.js"></script>'
            ).encode()

    def host_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    with LiveServer(host_page, host="localhost") as host:
        page.goto(host.url + "/")
        page.wait_for_selector("#embedded[data-state=ready]")
        video = page.locator("#embedded video")
        assert video.get_attribute("crossorigin") == "anonymous"
        assert video.locator("track").count() == 4
        page.wait_for_function("() => document.querySelector('#embedded .ap-captions').textContent"
                               f" === {CAPTIONS_EN[0]!r}")
        assert page.locator("#embedded .ap-time [aria-hidden=true]").text_content() == "0:00 / 0:30"
        assert page.js_errors == []


def test_without_javascript_the_native_player_and_tracks_remain(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/watch/clip")
    video = page.locator("#player video")
    assert video.get_attribute("controls") is not None
    assert video.locator("track[kind=captions][default]").count() == 1
    assert page.locator(".ap-controls").count() == 0
    share = page.get_by_role("link", name="Link to this video")
    assert share.get_attribute("href") == live_server.url + "/watch/clip"
    context.close()
