"""Resume in Chromium: play to 40 %, close the page, come back.

The library is the player tests' 30-second clip; the resume thresholds are
scaled down to suit it (resumable from 10 s long, offered from 3 s in,
finished within the last 2 s). The same walk through the embed page belongs
with the embed issue.
"""

from __future__ import annotations

import pytest
import requests

from player import create_app
from tests.browser_media import make_player_library
from tests.browser_support import assert_axe_clean

pytestmark = pytest.mark.browser

MEDIA = "#player video"
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
def app(media_dir, tmp_path):
    return create_app({
        "TESTING": True, "MEDIA_DIR": str(media_dir),
        "DATABASE": str(tmp_path / "player.sqlite"), "SECRET_KEY": "test-secret",
        "RESUME_MIN_DURATION": 10, "RESUME_MIN_SECONDS": 3, "FINISHED_TAIL_SECONDS": 2,
    })


def open_watch(context, server, path="/watch/clip"):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    page.add_init_script(RECORD_STATUS)
    page.goto(server.url + path)
    page.wait_for_selector("#player[data-state=ready][data-resume]")
    return page


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


def server_answer(server, viewer: str) -> dict:
    return requests.get(f"{server.url}/api/media/clip/progress",
                        headers={"X-Player-Viewer": viewer}, timeout=10).json()


def wait_for_server(server, viewer: str, check) -> dict:
    """The beacon leaves as the page closes; wait for the server to have it."""
    for _ in range(100):
        answer = server_answer(server, viewer)
        if check(answer):
            return answer
        requests.get(f"{server.url}/api/media/clip", timeout=10)
    pytest.fail(f"the server never got the report: {answer}")


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
    offer = page.locator(".ap-resume")
    offer.wait_for()
    assert page.get_attribute("#player", "data-resume") == "resume"
    label = f"Resume from 0:{int(answer['resume_at']):02d}"
    assert offer.get_by_role("button", name=label).is_visible()
    assert offer.get_by_role("button", name="Start over").is_visible()
    page.wait_for_function("window.__said.length > 0")
    spoken = f"You stopped at 0:{int(answer['resume_at']):02d}. {label}, or start over."
    assert page.evaluate("window.__said") == [spoken]
    assert_axe_clean(page)

    # Keyboard: the offer is the first stop inside the player.
    page.focus("#player")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == label
    page.keyboard.press("Enter")
    page.wait_for_function("!document.querySelector('#player video').paused")
    landed = page.evaluate("document.querySelector('#player video').currentTime")
    assert abs(landed - stopped) <= 1
    assert offer.count() == 0
    assert page.evaluate("document.activeElement.id") == "player"
    assert page.evaluate("window.__said").count(spoken) == 1
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
    page.wait_for_function("document.querySelector('#player video').ended")
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
    page.wait_for_function("!document.querySelector('#player video').paused")
    assert page.evaluate("document.querySelector('#player video').currentTime") < 2


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
