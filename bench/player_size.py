"""The player's weight next to Plyr 3.8.4's, both measured as gzip -9.

Ours is what the server sends (comments and indentation stripped by
player/web/assets.py) for what Chromium fetches from ``/static/player/`` when it
opens the demo watch page (``media/welcome``) in English and waits, without
touching it, until the network is idle: the entry module, every module it
imports, the plugins it loads and the stylesheet. Each file is compressed on
its own, as the server compresses responses. Files fetched only later are
listed too: those for what a viewer reaching for the player needs next
(menus, shortcut keys, dialogs and their styles, fetched when the pointer
or focus first comes to it: measured by moving the pointer there, with
their total), and the rest, with the total of every file the player can
fetch (progress reports at the first play, the resume offer, transcript
search, another language). Plyr's is ``plyr.min.js`` plus
``plyr.css`` from ``npm pack plyr@3.8.4`` (fetched by this script into a
temporary folder), measured the same way in the same run. Target: at most a
third of Plyr's; the exit status is 1 when it is missed::

    python bench/player_size.py
"""

from __future__ import annotations

import gzip
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "static"
# Scripts for the host page, not part of the player.
HOST_SIDE = {"embed-api.js"}
TARGET_RATIO = 1 / 3


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def plyr_files(workdir: Path) -> dict[str, bytes]:
    subprocess.run(["npm", "pack", "plyr@3.8.4", "--silent"], cwd=workdir, check=True,
                   capture_output=True, timeout=300)
    with tarfile.open(next(workdir.glob("plyr-3.8.4.tgz"))) as tar:
        return {name: tar.extractfile(f"package/dist/{name}").read()
                for name in ("plyr.min.js", "plyr.css")}


def served(workdir: Path) -> tuple[dict[str, bytes], set[str], dict[str, bytes]]:
    """What the server sends for each player file (minified and bundled,
    before compression): first the files Chromium fetches for the demo watch
    page, then the names of those it fetches next as the pointer comes to
    the player, then every file the player can fetch."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from player import create_app
    from player.web.assets import AssetCache

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    app = create_app({"TESTING": True, "MEDIA_DIR": str(REPO / "media"),
                      "DATABASE": str(workdir / "bench.sqlite"), "SECRET_KEY": "bench"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    fetched: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                         args=["--no-sandbox"], headless=True)
            page = browser.new_page()
            page.on("response", lambda r: r.ok and r.url.startswith(base + "/static/player/")
                    and fetched.append(r.url[len(base + "/static/"):]))
            page.goto(base + "/watch/welcome")
            page.wait_for_selector("#player[data-state=ready]")
            page.wait_for_load_state("networkidle")
            at_load = set(fetched)
            page.hover("#player")
            # The page is idle already, so wait for these responses to stop.
            count = -1
            while count != len(fetched):
                count = len(fetched)
                page.wait_for_timeout(1000)
            browser.close()
    finally:
        server.shutdown()
    cache = AssetCache()
    entry = STATIC / "player/player.js"
    inlined = cache.get(entry).parts - {entry.resolve()}
    # Every file a page can fetch: the entry, what it loads or imports on
    # demand, and the stylesheet; not the modules already inside the entry.
    everything = sorted(p.relative_to(STATIC).as_posix()
                        for p in (STATIC / "player").rglob("*") if p.suffix in (".js", ".css")
                        and p.name not in HOST_SIDE and p.resolve() not in inlined)
    body = {path: cache.get(STATIC / path).body for path in everything}
    return ({p: body[p] for p in sorted(at_load)}, set(fetched) - at_load, body)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        plyr = plyr_files(workdir)
        ours, reached, everything = served(workdir)

    width = max(len(p) for p in everything) + 2
    print(f"{'file':<{width}}{'source':>8}{'served':>8}{'gzip -9':>9}  loaded by the watch page"
          " (yes; as the pointer comes to the player; on demand)")
    for path, data in everything.items():
        print(f"{path:<{width}}{(STATIC / path).stat().st_size:>8}{len(data):>8}{gz(data):>9}"
              f"  {'yes' if path in ours else 'pointer' if path in reached else 'on demand'}")
    total = sum(gz(d) for d in ours.values())
    near = total + sum(gz(everything[p]) for p in reached)
    whole = sum(gz(d) for p, d in everything.items() if "i18n/" not in p or p.endswith("/en.js"))
    plyr_total = sum(gz(d) for d in plyr.values())

    print()
    for name, data in plyr.items():
        print(f"Plyr 3.8.4 {name:<14}{len(data):>8}{gz(data):>9}")
    print(f"\nPlyr 3.8.4 total (gzip -9):            {plyr_total:>7} B")
    print(f"ours, total as the watch page loads it: {total:>6} B"
          f"  ({total / plyr_total:.2f} of Plyr)")
    print(f"ours, once the pointer reaches the player: {near:>4} B"
          f"  ({near / plyr_total:.2f} of Plyr)")
    print(f"ours, every file it can fetch (English): {whole:>5} B"
          f"  ({whole / plyr_total:.2f} of Plyr)")
    ratio = total / plyr_total
    met = ratio <= TARGET_RATIO
    print(f"\nratio {ratio:.3f}; target at most {TARGET_RATIO:.3f}: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
