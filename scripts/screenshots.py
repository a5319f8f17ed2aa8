"""Screenshots of the demo watch page in the player's states, for reviewing
how it looks: loading, ready, playing with captions, captions menu, settings,
shortcuts, error, 320 px wide and forced colours. Needs the test extra
(Playwright) and Debian's chromium::

    python scripts/screenshots.py docs/screenshots
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from player import create_app
    from tests.browser_support import CHROMIUM_FLAGS, LiveServer

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"MEDIA_DIR": str(REPO / "media"), "DATABASE": f"{tmp}/shots.sqlite",
                          "SECRET_KEY": "screenshots"})
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                         args=CHROMIUM_FLAGS)
            shoot(browser, server.url, out)
            browser.close()


def shoot(browser, base: str, out: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    ready = "#player[data-state=ready]"

    # The media never answers: the player stays loading.
    page.route("**/files/welcome/welcome.mp4", lambda route: None)
    page.goto(base + "/watch/welcome")
    page.wait_for_selector("#player[data-state=loading]")
    page.wait_for_timeout(700)
    page.screenshot(path=out / "1-loading.png")
    page.unroute("**/files/welcome/welcome.mp4")

    page.goto(base + "/watch/welcome?t=12")
    page.wait_for_selector(ready)
    page.screenshot(path=out / "2-ready.png")

    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector(".ap-cue")
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.screenshot(path=out / "3-playing-captions.png")

    page.get_by_role("button", name="Captions").click()
    page.screenshot(path=out / "4-captions-menu.png")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Settings").click()
    page.wait_for_selector(".ap-style")
    page.screenshot(path=out / "5-settings.png")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Keyboard shortcuts").click()
    page.wait_for_selector(".ap-dialog table")
    page.screenshot(path=out / "6-shortcuts.png")
    page.keyboard.press("Escape")

    page.route("**/files/welcome/welcome.mp4", lambda route: route.fulfill(status=404))
    page.goto(base + "/watch/welcome")
    page.wait_for_selector("#player[data-state=error]")
    page.screenshot(path=out / "7-error.png")
    page.unroute("**/files/welcome/welcome.mp4")

    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(base + "/watch/welcome")
    page.wait_for_selector(ready)
    page.screenshot(path=out / "8-320px.png", full_page=True)

    page.set_viewport_size({"width": 1100, "height": 900})
    page.emulate_media(forced_colors="active")
    page.goto(base + "/watch/welcome?t=12")
    page.wait_for_selector(ready)
    page.screenshot(path=out / "9-forced-colors.png")
    page.close()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
