"""Time to the first frame, and bytes fetched in the first 30 s, of a video
as uploaded (progressive) and as HLS renditions, on a throttled network.

A heavy upload, as a newsroom's 720p often is (1280x720 of noisy picture,
about 4 Mbit/s with its sound, faststart) and its renditions, as the app's
renditions job makes them (player.renditions: 240p to 720p and an audio
group), are served by the app, hls.js compressed as a CDN would send it;
Chromium opens the watch page with the network throttled through the
DevTools protocol (Network.emulateNetworkConditions) at 400 kbit/s and at 2 Mbit/s, in a fresh
context each time (nothing cached), and plays at once. Three ways side by side
in the same run, each on its own throttled connection: the file alone (no
renditions offered), HLS as Chromium plays it itself, and HLS through hls.js
(fetched on demand, compressed, counted in the bytes and the time) as a
browser without HLS plays it. For each: the first frame shown (ms from the
request for the page; requestVideoFrameCallback), the bytes the page fetched in
its first ``--seconds`` (encoded, as they crossed the network, the page's
own files included), the times playback stopped for want of data and where it
got to. A page that shows no frame in that time is waited for as long again
for its first. Then the ratios of the file's first frame to each stream's
(where the file shows none even then, at least twice the time watched over
the stream's). Target: at 400 kbit/s, the first frame at least 3x sooner than the
file's on both stream paths (Chromium's own player is the one it takes by
default); exit status 1 when it is missed::

    python bench/hls_first_frame.py [--seconds 30] [--size 1280x720] [--kbits 4000]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPEEDS = (400, 2000)
WAYS = ("file", "native", "hlsjs")
TARGET = 3.0
#: Records the first frame shown and the stalls once playing, from the page's start.
WATCH = """
window.__bench = {first: null, waits: 0, played: false};
document.addEventListener('readystatechange', () => {
  const v = document.querySelector('#player video');
  if (!v) return;
  v.muted = true;
  v.autoplay = true;
  v.requestVideoFrameCallback(() => { window.__bench.first = performance.now(); });
  v.addEventListener('playing', () => { window.__bench.played = true; });
  v.addEventListener('waiting', () => { if (window.__bench.played) window.__bench.waits++; });
}, {once: true});
"""
FILE_ONLY = ("document.addEventListener('readystatechange', () =>"
             " document.querySelector('source[type$=mpegurl]')?.remove(), {once: true});")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long each page is watched (default 30)")
    parser.add_argument("--size", default="1280x720",
                        help="the upload's picture (default 1280x720)")
    parser.add_argument("--kbits", type=int, default=4000,
                        help="the upload's video bitrate in kbit/s (default 4000)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from player import create_app
    from player.renditions import make_renditions
    from tests.browser_support import CHROMIUM_FLAGS, LiveServer, chromium_executable
    from tests.hls_media import heavy_video, serve_on

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results: dict[tuple[int, str], dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "media"
        folder.mkdir()
        duration = max(40, int(args.seconds) + 10)
        shutil.copy(heavy_video(work, duration, args.size, args.kbits), folder / "film.mp4")
        app = create_app({"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "bench",
                          "DATABASE": str(work / "bench.sqlite"), "RENDITIONS_PRESET": "ultrafast"})
        made = make_renditions(app, "film")
        serve_on(app, work)
        size = (folder / "film.mp4").stat().st_size
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_executable(),
                                         args=CHROMIUM_FLAGS, headless=True)
            for kbits in SPEEDS:
                # The three ways at once, each in its own context and on its own throttled line.
                contexts = {way: browser.new_context() for way in WAYS}
                pages = {way: measure_start(contexts[way], server.url, way, kbits)
                         for way in WAYS}
                deadline = time.monotonic() + args.seconds
                while time.monotonic() < deadline:
                    pages["file"].wait_for_timeout(250)
                for way in WAYS:
                    results[kbits, way] = measure_end(pages[way], args.seconds)
                # The file may show nothing in that time: its first frame is
                # waited for as long again, so that the ratio is a measure.
                for way in WAYS:
                    if results[kbits, way]["first"] is None:
                        results[kbits, way]["first"] = late_first_frame(pages[way], args.seconds)
                    contexts[way].close()
            browser.close()

    print(f"A {size / 1e6:.1f} MB upload ({size * 8 / 1e3 / duration:.0f} kbit/s) against its HLS"
          f" renditions ({', '.join(f'{h}p' for h in made['heights'])});"
          f" each page watched {args.seconds:.0f} s, throttled, nothing cached.")
    print(f"{'network':>9}  {'way':<8}{'first frame':>12}{'bytes':>11}{'stalls':>8}"
          f"{'played to':>11}")
    ok = True
    for kbits in SPEEDS:
        for way in WAYS:
            r = results[kbits, way]
            first = f"{r['first']:.0f} ms" if r["first"] else "none"
            print(f"{kbits:>5} kb/s  {way:<8}{first:>12}{r['bytes']:>11}{r['waits']:>8}"
                  f"{r['at']:>9.1f} s")
        for way in ("native", "hlsjs"):
            ratio, at_least = first_frame_ratio(results[kbits, "file"]["first"],
                                                results[kbits, way]["first"], 2 * args.seconds)
            bytes_ratio = results[kbits, "file"]["bytes"] / max(1, results[kbits, way]["bytes"])
            target = f" (target >= {TARGET:.0f}x)" if kbits == 400 else ""
            print(f"{kbits:>5} kb/s  first frame, file/{way}: {'>' if at_least else ''}"
                  f"{ratio:.2f}x{target}; bytes in {args.seconds:.0f} s, file/{way}:"
                  f" {bytes_ratio:.2f}x")
            if target and ratio < TARGET:
                ok = False
    print("target: " + ("met" if ok else "missed"))
    return 0 if ok else 1


def late_first_frame(page, seconds: float) -> float | None:
    """The first frame's time on ``page`` (ms from its start), waiting up to
    ``seconds`` more for it; None if it still does not come."""
    try:
        page.wait_for_function("() => window.__bench.first !== null", timeout=seconds * 1000)
    except Exception:  # noqa: BLE001  (Playwright's timeout: no frame in that time either)
        return None
    return page.evaluate("window.__bench.first")


def first_frame_ratio(file_ms: float | None, stream_ms: float | None,
                      seconds: float) -> tuple[float, bool]:
    """How many times sooner the stream's first frame came than the file's,
    and whether that is a lower bound (the file showed none in ``seconds``).

    >>> first_frame_ratio(30000, 5000, 30)
    (6.0, False)
    >>> first_frame_ratio(None, 5000, 30)
    (6.0, True)
    >>> first_frame_ratio(30000, None, 30)
    (0.0, False)
    """
    if not stream_ms:
        return 0.0, False
    if not file_ms:
        return seconds * 1000 / stream_ms, True
    return file_ms / stream_ms, False


def measure_start(context, base: str, way: str, kbits: int):
    """Open the film's watch page in ``context`` throttled to ``kbits``; returns the page."""
    from tests.hls_media import throttle, use_path

    page = context.new_page()
    if way == "file":
        page.add_init_script(FILE_ONLY)
    else:
        use_path(page, way)
    page.add_init_script(WATCH)
    throttle(page, kbits)
    # Per request: bytes received in time, and the total when it finished.
    page._got, page._done, page._start = {}, {}, []
    cdp = page._throttle
    cdp.on("Network.requestWillBeSent", lambda e: page._start.append(e["timestamp"]))
    cdp.on("Network.dataReceived", lambda e: page._got.setdefault(e["requestId"], []).append(
        (e["timestamp"], e["encodedDataLength"])))
    cdp.on("Network.loadingFinished", lambda e: page._done.__setitem__(
        e["requestId"], (e["timestamp"], e["encodedDataLength"])))
    page.goto(base + "/watch/film", wait_until="commit")
    return page


def measure_end(page, seconds: float) -> dict:
    """What ``page`` showed and fetched in its first ``seconds``."""
    result = page.evaluate("""() => ({...window.__bench,
        at: document.querySelector('#player video').currentTime})""")
    end = min(page._start) + seconds
    total = 0
    for request, chunks in page._got.items():
        got = sum(n for stamp, n in chunks if stamp <= end)
        done = page._done.get(request)
        # Some responses report their bytes only as they finish.
        total += max(got, done[1] if done and done[0] <= end else 0)
    result["bytes"] = total
    return result


if __name__ == "__main__":
    sys.exit(main())
