"""HLS for the player's browser tests: renditions of a library's videos,
made by the app's own transcode (player.renditions), hls.js for the page,
and a switch that puts the player on one path or the other.

``stream_on(context, path, ...)`` gives items their renditions (so ITEM lists
the master playlist first) and names hls.js to the pages (``PLAYER_HLSJS_URL``,
served to the browser by Playwright), for apps created after it. ``hlsjs()`` is
``npm pack hls.js@VERSION`` in a cache folder, with its SRI hash.
``use_path(target, path)``: "native" leaves Chromium to play HLS itself;
"hlsjs" makes ``canPlayType`` answer "" for HLS, as a browser without HLS
does, so the player brings hls.js. ``serve_on(app, cache)`` has an app serve
hls.js itself, compressed, for tests and benches on a throttled network.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import tarfile
from pathlib import Path

from player import create_app
from player.renditions import hlsjs as hlsjs_module
from player.renditions import make_renditions
from tests.mediagen import ffmpeg_exe

HLSJS_VERSION = hlsjs_module.VERSION
#: The two paths every HLS browser test runs on.
PATHS = ["native", "hlsjs"]
#: Where the pages of :func:`stream_on` and :func:`serve_on` load hls.js from.
HLSJS_PATH = "/hlsjs-test/hls.min.js"

#: An init script: this browser "cannot" play HLS itself.
NO_NATIVE_HLS = """
(() => {
  const own = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? '' : own.call(this, type);
  };
})();
"""


def give_renditions(media_dir: Path, work: Path, items: tuple[str, ...]) -> None:
    """Make the renditions of ``items`` in ``media_dir``, as the renditions
    job does; an app on that folder created afterwards lists them in ITEM."""
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "t",
                      "DATABASE": str(work / "renditions.sqlite"),
                      "RENDITIONS_PRESET": "ultrafast"})
    for item_id in items:
        make_renditions(app, item_id)


def hlsjs(cache: Path) -> tuple[bytes, str]:
    """hls.js's minified build from the npm registry, and its SRI hash."""
    target = cache / f"hls.js-{HLSJS_VERSION}.min.js"
    if not target.exists():
        subprocess.run(["npm", "pack", f"hls.js@{HLSJS_VERSION}", "--silent"], cwd=cache,
                       check=True, capture_output=True, timeout=300)
        with tarfile.open(cache / f"hls.js-{HLSJS_VERSION}.tgz") as tar:
            target.write_bytes(tar.extractfile("package/dist/hls.min.js").read())
    data = target.read_bytes()
    return data, "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()




def use_path(target, path: str) -> None:
    """Put the players of ``target`` (a page or a context: every frame) on
    ``path``: "native" or "hlsjs"."""
    if path == "hlsjs":
        target.add_init_script(NO_NATIVE_HLS)


def stream_on(target, path: str, monkeypatch, media_dir: Path, cache: Path,
              items: tuple[str, ...]) -> None:
    """``items`` stream, and hls.js is named to the pages, in apps created
    from now on; ``target``'s players go on ``path``."""
    give_renditions(media_dir, media_dir.parent, items)
    data, integrity = hlsjs(cache)
    monkeypatch.setenv("PLAYER_HLSJS_URL", HLSJS_PATH)
    monkeypatch.setenv("PLAYER_HLSJS_INTEGRITY", integrity)
    target.route("**" + HLSJS_PATH, lambda route: route.fulfill(
        status=200, body=data, headers={"Content-Type": "text/javascript"}))
    use_path(target, path)


def serve_on(app, cache: Path) -> None:
    """``app`` serves hls.js itself, compressed, as a server or CDN sends it
    (what a throttled network carries), and names it to its pages."""
    data, integrity = hlsjs(cache)
    packed = gzip.compress(data, 6)
    app.add_url_rule(HLSJS_PATH, "hlsjs_test", lambda: (packed, 200, {
        "Content-Type": "text/javascript", "Content-Encoding": "gzip"}))
    app.config.update(HLSJS_URL=HLSJS_PATH, HLSJS_INTEGRITY=integrity)


def heavy_video(cache: Path, seconds: int = 40, size: str = "854x480", kbits: int = 1500) -> Path:
    """A video as a newsroom uploads it, heavy for a slow phone: noisy
    picture (854x480 at about 1.5 Mbit/s unless asked otherwise) with its
    sound, faststart (its index first)."""
    dest = cache / f"heavy-{size}-{kbits}-{seconds}.mp4"
    if not dest.exists():
        tmp = dest.with_name("." + dest.name)
        subprocess.run([
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-vf", "noise=alls=24:allf=t", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-b:v", f"{kbits}k", "-maxrate", f"{kbits * 11 // 10}k",
            "-bufsize", f"{kbits * 2}k", "-g", "40", "-c:a", "aac", "-b:a", "96k",
            "-movflags", "+faststart", "-f", "mp4", str(tmp)],
            check=True, capture_output=True, timeout=300)
        tmp.replace(dest)
    return dest


def clip_360(cache: Path, seconds: int = 30) -> Path:
    """A light 640x360 video (a test pattern and a tone), enough for two renditions."""
    dest = cache / f"clip-360-{seconds}.mp4"
    if not dest.exists():
        tmp = dest.with_name("." + dest.name)
        subprocess.run([
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=10:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "36", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(tmp)],
            check=True, capture_output=True, timeout=300)
        tmp.replace(dest)
    return dest


def throttle(page, kbits: float, latency_ms: float = 40):
    """Limit the page's network to ``kbits`` kbit/s each way (DevTools
    protocol), as a slow phone's would be; call again to change it."""
    session = getattr(page, "_throttle", None)
    if session is None:
        session = page._throttle = page.context.new_cdp_session(page)
        session.send("Network.enable")
    rate = kbits * 1000 / 8
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms,
        "downloadThroughput": rate, "uploadThroughput": rate})
