"""Every page and player state works under the Content-Security-Policy, and
Chromium reports no violation of it."""

from __future__ import annotations

import pytest

from tests.publish_support import create_publisher
from tests.test_browser_publish import sign_in

pytestmark = pytest.mark.browser

# Collected in the page before any of its scripts run, so no report is missed.
WATCH_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture
def watched(page):
    page.add_init_script(WATCH_FOR_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text else None)
    return page, console


def violations(page, console) -> list[str]:
    return page.evaluate("window.__cspViolations || []") + console


@pytest.mark.parametrize("path", ["/", "/watch/clip", "/watch/song", "/watch/clip/transcript",
                                  "/search?q=hello", "/search?q=zzzz", "/watch/missing",
                                  "/embed/clip?transcript=1", "/embed/song", "/embed/missing",
                                  "/publish/login", "/?hl=uk"])
def test_pages_load_with_no_violation(watched, live_server, path):
    page, console = watched
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert violations(page, console) == []


def test_player_states_with_no_violation(watched, live_server):
    page, console = watched
    page.goto(f"{live_server.url}/watch/clip")
    page.wait_for_selector("[data-player-ready], .ap-player[data-state]", timeout=15000)
    page.focus(".ap-player button")
    for key in ("k", "k", "c", "ArrowRight"):
        page.keyboard.press(key)
        page.wait_for_timeout(150)
    # Menus and the settings dialog load their modules on demand.
    for selector in (".ap-player button[aria-haspopup]", ".ap-player button[aria-label*='etting']"):
        buttons = page.locator(selector)
        if buttons.count():
            buttons.first.click()
            page.wait_for_timeout(300)
            page.keyboard.press("Escape")
    page.locator("#embed-copy").click()
    page.wait_for_timeout(300)
    assert violations(page, console) == []


def test_publisher_pages_with_no_violation(watched, live_server, app):
    page, console = watched
    sign_in(page, live_server, create_publisher(app))
    for path in ("/publish/", "/publish/upload", "/publish/media/clip", "/publish/stats/clip",
                 "/publish/audit"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert violations(page, console) == []
