"""The player's weight next to Plyr 3.8.4's, both measured as gzip -9.

Ours is what Chromium actually fetches from ``/static/player/`` when it opens
the demo watch page (``media/welcome``) in English: the entry module, every
module it imports, the plugins it loads (transcript, descriptions, progress)
and the stylesheet. Each file is compressed on its own, as a server
compressing responses would send it. The Ukrainian catalog, fetched only for
Ukrainian pages, is listed apart. Plyr's is ``plyr.min.js`` plus
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
PLUGINS = {"transcript.js", "descriptions.js", "progress.js"}
TARGET_RATIO = 1 / 3


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def plyr_files(workdir: Path) -> dict[str, bytes]:
    subprocess.run(["npm", "pack", "plyr@3.8.4", "--silent"], cwd=workdir, check=True,
                   capture_output=True, timeout=300)
    with tarfile.open(next(workdir.glob("plyr-3.8.4.tgz"))) as tar:
        return {name: tar.extractfile(f"package/dist/{name}").read()
                for name in ("plyr.min.js", "plyr.css")}


def fetched_by_watch_page(workdir: Path) -> list[str]:
    """Paths under static/ that Chromium requests for the demo watch page."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from player import create_app

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
            browser.close()
    finally:
        server.shutdown()
    return sorted(set(fetched))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        plyr = plyr_files(workdir)
        ours = fetched_by_watch_page(workdir)

    rows = [(path, (STATIC / path).read_bytes()) for path in ours]
    width = max(len(p) for p, _ in rows) + 2
    print(f"{'file':<{width}}{'bytes':>8}{'gzip -9':>9}")
    for path, data in rows:
        print(f"{path:<{width}}{len(data):>8}{gz(data):>9}")
    core = sum(gz(d) for p, d in rows if Path(p).name not in PLUGINS)
    plugins = sum(gz(d) for p, d in rows if Path(p).name in PLUGINS)
    total = core + plugins
    plyr_total = sum(gz(d) for d in plyr.values())
    extra = [p.relative_to(STATIC).as_posix() for p in sorted((STATIC / "player/i18n").glob("*.js"))
             if p.relative_to(STATIC).as_posix() not in ours]

    print()
    for name, data in plyr.items():
        print(f"Plyr 3.8.4 {name:<14}{len(data):>8}{gz(data):>9}")
    print(f"\nPlyr 3.8.4 total (gzip -9):            {plyr_total:>7} B")
    print(f"ours, player without plugins:          {core:>7} B  ({core / plyr_total:.2f} of Plyr)")
    print(f"ours, plugins (transcript, descriptions, progress): {plugins} B")
    print(f"ours, total as the watch page loads it: {total:>6} B"
          f"  ({total / plyr_total:.2f} of Plyr)")
    for path in extra:
        print(f"only for that language: {path} {gz((STATIC / path).read_bytes())} B")
    ratio = total / plyr_total
    met = ratio <= TARGET_RATIO
    print(f"\nratio {ratio:.3f}; target at most {TARGET_RATIO:.3f}: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
