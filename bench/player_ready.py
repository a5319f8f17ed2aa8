"""Time from navigation to a usable player on the demo watch page.

Chromium opens ``/watch/welcome`` 20 times, each in a fresh browser context
(an empty cache, as on a first visit), and the median time from the start of
navigation to the player's "ready" (the ``ap:ready`` event: metadata known,
controls enabled, time shown) is printed. The baseline, measured in the same
run the same way, is the same page with the player's scripts blocked: the
time until the native ``<video>`` has its metadata. The ratio says what the
player's modules cost on top of what the browser must do anyway. The app
runs on Werkzeug's threaded server on loopback::

    python bench/player_ready.py [--loads 20]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Both moments are taken in the page, on its own clock (performance.now()
# counts from the start of navigation). Media events do not bubble; capture
# listeners on document still see them.
RECORD = """
window.__bench = {};
document.addEventListener('ap:ready', () => { window.__bench.ready ??= performance.now(); }, true);
document.addEventListener('loadedmetadata',
  () => { window.__bench.metadata ??= performance.now(); }, true);
"""


def measure(browser, url: str, key: str, block_player: bool) -> float:
    context = browser.new_context()
    context.add_init_script(RECORD)
    if block_player:
        context.route("**/static/player/*", lambda route: route.abort())
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"() => window.__bench && window.__bench.{key} !== undefined",
                           timeout=30_000)
    elapsed = page.evaluate(f"window.__bench.{key}")
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from player import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "MEDIA_DIR": str(REPO / "media"),
                          "DATABASE": str(Path(tmp) / "bench.sqlite"), "SECRET_KEY": "bench"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/watch/welcome"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox"], headless=True)
                measure(browser, url, "ready", False)  # warm the server and the disk cache
                player, native = [], []
                # Interleaved, so drift in machine load hits both alike.
                for _ in range(args.loads):
                    player.append(measure(browser, url, "ready", False))
                    native.append(measure(browser, url, "metadata", True))
                browser.close()
        finally:
            server.shutdown()

    p50, n50 = statistics.median(player), statistics.median(native)
    print(f"loads: {args.loads} each, fresh context (empty cache) per load")
    print(f"player ready (navigation -> ap:ready):            median {p50:6.1f} ms"
          f"  (min {min(player):.1f}, max {max(player):.1f})")
    print(f"baseline, native metadata (player scripts blocked): median {n50:6.1f} ms"
          f"  (min {min(native):.1f}, max {max(native):.1f})")
    print(f"ratio player / native: {p50 / n50:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
