"""Resume in Chromium: play to 40 %, close the page, come back.

The library is the player tests' 30-second clip; the resume thresholds are
scaled down to suit it (resumable from 10 s long, offered from 3 s in,
finished within the last 2 s). The same walk goes through the watch page, the
embed page on its own, and the embed page in an iframe on a page of another
origin (another port), where the player keeps its anonymous id in the frame's
localStorage.

On another *site* (``localhost`` framing ``127.0.0.1``) the frame is a third
party. Chromium as Playwright starts it (third-party storage partitioning
switched off) denies it storage altogether, so an anonymous id lasts only as
long as the page there, and that case is not tested; an ordinary Chromium
gives the frame partitioned storage even with third-party cookies blocked.
What is tested there is the host's signed viewer token, which needs no
storage and carries the place from one browser to another.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from player.progress.viewer import sign_viewer
from tests.browser_media import Valve, make_player_library
from tests.browser_support import LiveServer, assert_axe_clean
from tests.test_browser_embed import HostSite

pytestmark = pytest.mark.browser

MEDIA = "#player video"
READY = "#player[data-state=ready][data-resume]"
VIEWER_SECRET = "host-and-player-share-this"
# Everything the player's status region says, in order, kept across the page's life.
RECORD_STATUS = """
window.__said = [];
new MutationObserver(() => {
  const status = document.querySelector('#player > [role=status]');
  const text = status && status.textContent;
  if (text && text !== window.__said[window.__said.length - 1]) window.__said.push(text);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture
def media_dir(tmp_path, media_cache):
    return make_player_library(tmp_path / "media", media_cache)


@pytest.fixture
def app(make_app, media_dir, database_url):
    return make_app(media_dir, **{
        "DATABASE": database_url, "VIEWER_SECRET": VIEWER_SECRET,
        "RESUME_MIN_DURATION": 10, "RESUME_MIN_SECONDS": 3, "FINISHED_TAIL_SECONDS": 2,
    })


def serve_host(hostname: str) -> Iterator[HostSite]:
    site = HostSite()
    with LiveServer(site.app, host=hostname) as server:
        site.url = server.url
        yield site


@pytest.fixture
def host():
    """The site owner's pages: another origin on the player's site."""
    yield from serve_host("127.0.0.1")


@pytest.fixture
def other_site():
    """The site owner's pages on another site, framing the player as a third party."""
    yield from serve_host("localhost")


def new_page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    # Init scripts run in every frame, so this records inside iframes too.
    page.add_init_script(RECORD_STATUS)
    return page


def open_watch(context, server, path="/watch/clip"):
    page = new_page(context)
    page.goto(server.url + path)
    page.wait_for_selector(READY)
    return page


def open_embed(context, server, host: HostSite | None = None, **params: str):
    """The embed page, on its own or in an iframe on ``host``'s page, once
    the player knows whether to offer resuming; returns the page and the
    frame the player is in."""
    page = new_page(context)
    src = f"{server.url}/embed/clip" + (f"?{urlencode(params)}" if params else "")
    if host is None:
        page.goto(src)
        frame = page.main_frame
    else:
        page.goto(host.page("lesson.html", (
            f'<iframe src="{src}" title="A test clip" width="640" height="468"'
            ' allow="fullscreen; picture-in-picture"></iframe>')))
        frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector(READY)
    return page, frame


def play_from(page, seconds: float, until: float) -> float:
    """Seek, play until ``until`` has passed, and return where playback is."""
    page.evaluate("""async ([from, until]) => {
      const m = document.querySelector('#player video');
      m.currentTime = from;
      await new Promise(r => m.addEventListener('seeked', r, {once: true}));
      await m.play();
      await new Promise(r => {
        const check = () => m.currentTime >= until || m.ended ? r() : setTimeout(check, 50);
        check();
      });
    }""", [seconds, until])
    return page.evaluate("document.querySelector('#player video').currentTime")


def viewer_id(page) -> str:
    return page.evaluate("JSON.parse(localStorage.getItem('ap-player')).viewer")


def server_answer(server, viewer: str = "", token: str = "") -> dict:
    header = {"X-Player-Viewer-Token": token} if token else {"X-Player-Viewer": viewer}
    return requests.get(f"{server.url}/api/media/clip/progress", headers=header,
                        timeout=10).json()


def wait_for_server(server, viewer: str, check, token: str = "") -> dict:
    """The beacon leaves as the page closes; wait for the server to have it
    (the browser sends it when it can: on a busy machine, seconds later)."""
    deadline = time.monotonic() + 20
    while True:
        answer = server_answer(server, viewer, token)
        if check(answer):
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"the server never got the report: {answer}")
        time.sleep(0.05)


def resume_by_keyboard(page, frame, answer: dict, stopped: float) -> str:
    """In ``frame`` (the page itself or its player iframe): the offer shows,
    is announced once, passes axe, is the first Tab stop inside the player,
    and Enter resumes within a second of ``stopped``. Returns what was said."""
    offer = frame.locator(".ap-resume")
    offer.wait_for()
    assert frame.get_attribute("#player", "data-resume") == "resume"
    label = f"Resume from 0:{int(answer['resume_at']):02d}"
    assert offer.get_by_role("button", name=label).is_visible()
    assert offer.get_by_role("button", name="Start over").is_visible()
    spoken = f"You stopped at 0:{int(answer['resume_at']):02d}. {label}, or start over."
    frame.wait_for_function("(spoken) => window.__said.includes(spoken)", arg=spoken)
    # Said once; on a busy machine a slow load is announced first, as it should be.
    said = frame.evaluate("window.__said")
    assert [words for words in said if words != "Loading, please wait"] == [spoken], said
    assert_axe_clean(frame)
    frame.focus("#player")
    page.keyboard.press("Tab")
    assert frame.evaluate("document.activeElement.textContent") == label
    page.keyboard.press("Enter")
    frame.wait_for_function(f"() => !document.querySelector('{MEDIA}').paused")
    assert abs(frame.evaluate(f"document.querySelector('{MEDIA}').currentTime") - stopped) <= 1
    assert offer.count() == 0
    return spoken


# Also on PostgreSQL + S3: the report goes to PostgreSQL, the video comes from the bucket.
@pytest.mark.databases("sqlite", "postgresql")
def test_resume_offer_after_closing_the_page(context, live_server):
    page = open_watch(context, live_server)
    assert page.get_attribute("#player", "data-resume") == "none"
    stopped = play_from(page, 11.0, until=12.0)    # 40 % of 30 s
    viewer = viewer_id(page)
    page.close(run_before_unload=True)
    # The pagehide beacon is the last word: it says at least where we stopped.
    answer = wait_for_server(live_server, viewer, lambda a: (a["position"] or 0) >= stopped)
    assert answer["offer"] == "resume" and answer["resume_at"] - stopped < 1

    page = open_watch(context, live_server)
    spoken = resume_by_keyboard(page, page, answer, stopped)
    assert page.evaluate("document.activeElement.id") == "player"
    assert page.evaluate("window.__said").count(spoken) == 1
    assert page.js_errors == []


def test_the_offer_in_a_frame_sized_to_the_picture_is_in_sight(browser, live_server):
    """At 320 by 180 the controls lie over the picture (embed.js): the offer
    stacks above them there, nothing covers its buttons, and the keyboard
    walk is the same as anywhere."""
    phone = browser.new_context(viewport={"width": 320, "height": 180})
    try:
        page, _ = open_embed(phone, live_server)
        stopped = play_from(page, 11.0, until=12.0)
        viewer = viewer_id(page)
        page.close(run_before_unload=True)
        answer = wait_for_server(live_server, viewer, lambda a: (a["position"] or 0) >= stopped)
        page, _ = open_embed(phone, live_server)
        page.locator(".ap-resume").wait_for()
        assert page.evaluate("document.body.classList.contains('ap-overlay')")
        for button in page.locator(".ap-resume button").all():
            # The button itself is what a pointer at its middle reaches (the
            # links over the picture lie under it).
            assert button.evaluate("""(b) => { const r = b.getBoundingClientRect();
                return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b
                  && r.top >= 0 && r.bottom <= innerHeight; }"""), button.text_content()
        resume_by_keyboard(page, page, answer, stopped)
        assert page.js_errors == []
    finally:
        phone.close()


def test_what_played_while_the_reporter_loaded_is_reported(context, live_server):
    """Reporting (progress-report.js) comes with the first play: its first
    report holds what played before it arrived, from the very start."""
    page = new_page(context)
    valve = Valve()
    page.route("**/static/player/progress-report.js", valve.handle)
    page.goto(live_server.url + "/watch/clip")
    page.wait_for_selector(READY)
    play_from(page, 0.0, until=2.0)
    assert valve.held
    with page.expect_request(lambda r: r.url.endswith("/api/media/clip/progress")
                             and r.method == "PUT") as request:
        valve.open()
        page.evaluate("document.querySelector('#player video').pause()")
    report = request.value.post_data_json
    assert report["seq"] == 1
    assert min(start for start, _ in report["played"]) == 0
    assert max(end for _, end in report["played"]) >= 2.0
    assert page.js_errors == []


def test_offer_is_dismissed_with_escape_and_traps_nothing(context, live_server):
    page = open_watch(context, live_server)
    play_from(page, 14.0, until=15.0)
    page.evaluate("document.querySelector('#player video').pause()")
    viewer = viewer_id(page)
    wait_for_server(live_server, viewer, lambda a: a["offer"] == "resume")
    page.close(run_before_unload=True)

    page = open_watch(context, live_server)
    page.locator(".ap-resume").wait_for()
    page.focus("#player")
    stops = []
    for _ in range(4):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(
            "document.activeElement.closest('.ap-resume') ? document.activeElement.textContent"
            " : document.activeElement.closest('.ap-controls') ? 'controls' : 'elsewhere'"))
    assert stops == ["Resume from 0:15", "Start over", "Dismiss", "controls"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Escape")
    assert page.locator(".ap-resume").count() == 0
    assert page.evaluate("document.activeElement.id") == "player"
    assert page.evaluate("document.querySelector('#player video').currentTime") == 0


def test_start_time_in_the_url_wins_over_resume(context, live_server):
    page = open_watch(context, live_server)
    play_from(page, 11.0, until=12.0)
    viewer = viewer_id(page)
    page.close(run_before_unload=True)
    wait_for_server(live_server, viewer, lambda a: a["offer"] == "resume")

    page = open_watch(context, live_server, "/watch/clip?t=5")
    assert page.get_attribute("#player", "data-resume") == "none"
    assert page.locator(".ap-resume").count() == 0
    assert page.evaluate("document.querySelector('#player video').currentTime") == 5


def test_no_resume_offer_after_finishing(context, live_server):
    page = open_watch(context, live_server)
    play_from(page, 28.5, until=30.0)
    page.wait_for_function("() => document.querySelector('#player video').ended")
    viewer = viewer_id(page)
    page.close(run_before_unload=True)
    wait_for_server(live_server, viewer, lambda a: a["reason"] == "finished")

    page = open_watch(context, live_server)
    assert page.get_attribute("#player", "data-resume") == "watch_again"
    offer = page.locator(".ap-resume")
    offer.wait_for()
    assert offer.get_by_role("button", name="Watch again").is_visible()
    assert page.get_by_role("button", name="Resume from", exact=False).count() == 0
    assert_axe_clean(page)
    offer.get_by_role("button", name="Watch again").click()
    page.wait_for_function("() => !document.querySelector('#player video').paused")
    assert page.evaluate("document.querySelector('#player video').currentTime") < 2


@pytest.mark.databases("sqlite", "postgresql")  # the erasure on PostgreSQL
def test_forget_my_viewing_history(context, live_server):
    page = open_watch(context, live_server)
    play_from(page, 11.0, until=12.0)
    page.evaluate("document.querySelector('#player video').pause()")
    viewer = viewer_id(page)
    wait_for_server(live_server, viewer, lambda a: a["offer"] == "resume")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("button", name="Forget my viewing history").click()
    page.get_by_text("Your viewing history has been forgotten.").wait_for()
    assert server_answer(live_server, viewer)["reason"] == "no_history"
    assert viewer_id(page) != viewer
    assert_axe_clean(page)


# -- through the embed page -------------------------------------------------------------

@pytest.mark.parametrize("framed", [False, True], ids=["embed-page", "cross-origin-iframe"])
def test_resume_through_the_embed_page(context, live_server, host, framed):
    where = host if framed else None
    page, frame = open_embed(context, live_server, where)
    assert frame.get_attribute("#player", "data-resume") == "none"
    stopped = play_from(frame, 11.0, until=12.0)
    viewer = viewer_id(frame)
    page.close(run_before_unload=True)
    answer = wait_for_server(live_server, viewer, lambda a: (a["position"] or 0) >= stopped)
    assert answer["offer"] == "resume" and answer["resume_at"] - stopped < 1

    page, frame = open_embed(context, live_server, where)
    assert viewer_id(frame) == viewer
    resume_by_keyboard(page, frame, answer, stopped)

    # Played to the end, the next visit offers to watch again, not to resume.
    play_from(frame, 28.5, until=30.0)
    frame.wait_for_function(f"() => document.querySelector('{MEDIA}').ended")
    page.close(run_before_unload=True)
    wait_for_server(live_server, viewer, lambda a: a["reason"] == "finished")
    page, frame = open_embed(context, live_server, where)
    assert frame.get_attribute("#player", "data-resume") == "watch_again"
    frame.locator(".ap-resume").get_by_role("button", name="Watch again").wait_for()
    assert frame.get_by_role("button", name="Resume from", exact=False).count() == 0
    assert page.js_errors == []


def test_signed_viewer_resumes_on_another_site_and_in_another_browser(
        browser, live_server, other_site):
    token = sign_viewer("alice@example.org", VIEWER_SECRET, int(time.time()) + 3600)
    laptop, phone = browser.new_context(), browser.new_context()
    try:
        page, frame = open_embed(laptop, live_server, other_site, viewer_token=token)
        stopped = play_from(frame, 11.0, until=12.0)
        page.close(run_before_unload=True)
        answer = wait_for_server(live_server, "", lambda a: (a["position"] or 0) >= stopped,
                                 token=token)

        # Nothing in the phone's storage: the token alone finds the place.
        page, frame = open_embed(phone, live_server, other_site, viewer_token=token)
        frame.locator(".ap-resume").wait_for()
        label = f"Resume from 0:{int(answer['resume_at']):02d}"
        frame.get_by_role("button", name=label).click()
        frame.wait_for_function(f"() => !document.querySelector('{MEDIA}').paused")
        assert abs(frame.evaluate(f"document.querySelector('{MEDIA}').currentTime")
                   - stopped) <= 1
        assert page.js_errors == []

        # The same browser without the token is someone else, with no history.
        page, frame = open_embed(phone, live_server, other_site)
        assert frame.get_attribute("#player", "data-resume") == "none"

        # A token altered after signing is refused (alice's place would be
        # offered if it were believed), not replaced by an anonymous id.
        version, subject, expires, signature = token.split(".")
        forged = ".".join([version, subject, str(int(expires) + 86400), signature])
        page, frame = open_embed(phone, live_server, other_site, viewer_token=forged)
        assert frame.get_attribute("#player", "data-resume") == "none"
        assert frame.get_attribute("#player", "data-viewer-token") == forged
        assert page.js_errors == []
    finally:
        laptop.close()
        phone.close()
