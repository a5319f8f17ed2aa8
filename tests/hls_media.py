"""HLS for the player's browser tests: renditions of a library's video, the
item's JSON offering them, hls.js for the page, and switches that put the
player on one path or the other.

``offer_hls(monkeypatch, media_dir, item_id)`` makes the renditions with
ffmpeg and has ITEM list the master playlist first, as the server does for an
item whose renditions are made; ``route_hls`` serves them to a browser.
``hlsjs()`` is ``npm pack hls.js@HLSJS_VERSION`` in a cache folder, with its
SRI hash; ``route_hlsjs`` serves it. ``use_path(page, path, integrity)``:
"native" leaves Chromium to play HLS itself; "hlsjs" makes ``canPlayType``
answer "" for HLS, as a browser without HLS does, so the player brings hls.js.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import tarfile
from pathlib import Path

from tests.mediagen import ffmpeg_exe

HLSJS_VERSION = "1.7.4"
HLS_TYPE = "application/vnd.apple.mpegurl"
#: The two paths every HLS browser test runs on.
PATHS = ["native", "hlsjs"]

#: An init script: this browser "cannot" play HLS itself.
NO_NATIVE_HLS = """
(() => {
  const own = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? '' : own.call(this, type);
  };
})();
"""


def make_renditions(source: Path, out: Path, heights: tuple[int, ...] = (240, 360),
                    bitrates: tuple[int, ...] = (200, 600)) -> Path:
    """HLS of ``source`` in ``out``: fMP4 segments of 4 s, one rendition per
    height (kbit/s from ``bitrates``) sharing a mono AAC audio group, which
    is also the audio-only rendition. Returns the master playlist."""
    master = out / "master.m3u8"
    if master.exists():
        return master
    out.mkdir(parents=True, exist_ok=True)
    split = f"split={len(heights)}" + "".join(f"[s{i}]" for i in range(len(heights)))
    scales = ";".join(f"[s{i}]scale=-2:{height}[v{i}]" for i, height in enumerate(heights))
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
            "-filter_complex", f"[0:v]{split};{scales}"]
    for i in range(len(heights)):
        args += ["-map", f"[v{i}]"]
    args += ["-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-force_key_frames", "expr:gte(t,n_forced*4)", "-sc_threshold", "0"]
    for i, rate in enumerate(bitrates):
        args += [f"-b:v:{i}", f"{rate}k", f"-maxrate:v:{i}", f"{rate * 11 // 10}k",
                 f"-bufsize:v:{i}", f"{rate * 2}k"]
    streams = " ".join(f"v:{i},agroup:aud,name:{h}p" for i, h in enumerate(heights))
    args += ["-c:a", "aac", "-b:a", "48k", "-ac", "1",
             "-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod",
             "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
             "-hls_segment_filename", str(out / "%v/seg%03d.m4s"),
             "-master_pl_name", "master.m3u8",
             "-var_stream_map", f"{streams} a:0,agroup:aud,name:audio", str(out / "%v/index.m3u8")]
    subprocess.run(args, check=True, capture_output=True, timeout=300)
    return master



def offer_hls(monkeypatch, media_dir: Path, item_id: str, **ladder) -> Path:
    """Renditions of ``item_id``'s video, listed in its ITEM JSON (every page
    and the API) as the server lists them, at /hls/<item_id>/ on the site
    (:func:`route_hls` serves them). Returns their folder."""
    import player.api
    import player.embed
    import player.pages
    from player.library import catalog

    source = next(p for p in media_dir.iterdir() if p.stem == item_id and p.suffix == ".mp4")
    folder = media_dir.parent / f"hls-{item_id}"
    master = make_renditions(source, folder, **ladder)
    renditions = []
    for line in master.read_text().splitlines():
        if line.startswith("#EXT-X-STREAM-INF:") and "RESOLUTION=" in line:
            parts = line.split(":", 1)[1].split(",")
            attrs = dict(part.split("=", 1) for part in parts if "=" in part)
            renditions.append({"height": int(attrs["RESOLUTION"].split("x")[1]),
                               "bandwidth": int(attrs["BANDWIDTH"]), "codecs": ""})
    original = catalog.public_item

    def public_item(item: dict) -> dict:
        public = original(item)
        if item["id"] == item_id:
            base = public["watch_url"].split("/watch/")[0] + f"/hls/{item_id}/"
            public["sources"].insert(0, {"url": base + "master.m3u8", "type": HLS_TYPE})
            public["renditions"] = renditions
            public["audio_only"] = {"url": base + "audio/index.m3u8", "bandwidth": 48_000}
        return public

    for module in (player.api, player.embed, player.pages):
        monkeypatch.setattr(module, "public_item", public_item)
    return folder


_TYPES = {".m3u8": HLS_TYPE, ".mp4": "video/mp4", ".m4s": "video/iso.segment"}


def route_hls(target, folder: Path, item_id: str) -> None:
    """Serve ``folder`` at /hls/<item_id>/ to the pages of ``target`` (a
    Playwright page or context), whatever server they talk to."""
    def serve(route) -> None:
        name = route.request.url.split(f"/hls/{item_id}/", 1)[1].split("?")[0]
        path = folder / name
        if ".." in name or not path.is_file():
            route.fulfill(status=404, body="")
            return
        route.fulfill(status=200, body=path.read_bytes(), headers={
            "Content-Type": _TYPES.get(path.suffix, "application/octet-stream"),
            "Access-Control-Allow-Origin": "*"})

    target.route(f"**/hls/{item_id}/**", serve)


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




def route_hlsjs(target, cache: Path) -> str:
    """Serve hls.js at /hlsjs/hls.min.js to ``target``'s pages; returns its SRI hash.
    (Served by Playwright, it comes as it is: a fulfilled request is not decompressed.)"""
    data, integrity = hlsjs(cache)
    target.route("**/hlsjs/hls.min.js", lambda route: route.fulfill(
        status=200, body=data, headers={"Content-Type": "text/javascript"}))
    return integrity


def serve_on(app, monkeypatch, media_dir: Path, cache: Path, item_id: str, **ladder) -> str:
    """The renditions of ``item_id`` and hls.js (compressed, as a server or
    CDN sends it) served by ``app`` itself, so that a throttled network
    carries them as it would in use; returns hls.js's SRI hash for :func:`use_path`."""
    from flask import send_from_directory

    folder = offer_hls(monkeypatch, media_dir, item_id, **ladder)
    app.add_url_rule(f"/hls/{item_id}/<path:name>", f"hls_{item_id}",
                     lambda name: send_from_directory(folder, name, max_age=0))
    data, integrity = hlsjs(cache)
    packed = gzip.compress(data, 6)
    app.add_url_rule("/hlsjs/hls.min.js", "hlsjs", lambda: (packed, 200, {
        "Content-Type": "text/javascript", "Content-Encoding": "gzip"}))
    return integrity


def use_path(target, path: str, integrity: str) -> None:
    """Put the players of ``target`` (a page or a context: every frame) on
    ``path`` ("native" or "hlsjs"), hls.js named to each as /hlsjs/hls.min.js."""
    target.add_init_script(
        "document.addEventListener('readystatechange', () =>"
        " document.querySelectorAll('[data-player]').forEach((el) => Object.assign(el.dataset,"
        f" {{hlsjs: '/hlsjs/hls.min.js', hlsjsIntegrity: '{integrity}'}})), {{once: true}});")
    if path == "hlsjs":
        target.add_init_script(NO_NATIVE_HLS)


def stream_on(target, path: str, monkeypatch, media_dir: Path, cache: Path,
              items: tuple[str, ...], **ladder) -> None:
    """Everything above at once: ``items`` offer HLS to ``target``'s pages,
    whose players go on ``path``."""
    for item_id in items:
        route_hls(target, offer_hls(monkeypatch, media_dir, item_id, **ladder), item_id)
    use_path(target, path, route_hlsjs(target, cache))


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


#: The renditions of :func:`heavy_video`.
HEAVY_LADDER = {"heights": (240, 360, 480), "bitrates": (200, 500, 1000)}


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
