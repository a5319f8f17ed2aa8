"""The app's CPU per media request: object storage (a redirect) against a
local folder (``sendfile``), and the bytes the app still sends per view.

The same file, a 200 s WAV, is served by the real app under gunicorn (one
``player.worker.KeepAliveWorker`` worker, 8 threads), once from a media
folder and once from a bucket of moto's S3 server started here. wrk asks
both for random 64 KiB ranges of it over kept-alive connections, as a
player filling its buffer does; from the bucket the app answers each with a
307 to a presigned URL (wrk does not follow it: the bytes are the bucket's
or the CDN's to send), from the folder with a 206 whose body goes out with
``sendfile``. It prints requests/s, the app's CPU time per request (from
/proc) and the bytes the app sent per request, and the ratio of CPU per
request, S3 / local.

Then one simulated ten-minute view from the bucket, as the player makes it:
the watch page, the item, its caption track, the media request, a resume
point and a progress report every ten seconds; the bytes the app sent for
it, without and with ``PLAYER_MEDIA_BASE_URL`` (a CDN: the media URL then
points at it and the app sends no redirect). Static assets (scripts,
styles) are cacheable for a year and counted apart::

    python bench/media_cpu.py
    python bench/media_cpu.py --seconds 2 --rounds 1 --connections 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.progress_bench import (  # noqa: E402
    MEDIA_ID,
    find_or_install,
    free_port,
    make_media,
    server_cpu_seconds,
    stop,
)

RANGE = 64 * 1024
BUCKET = "bench-media"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
VIEW_MINUTES = 10

WRK_SCRIPT = """
local size, range = 0, 0
function init(args)
  path = args[1]
  size = tonumber(args[2])
  range = tonumber(args[3])
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end
function request()
  local first = math.random(0, size - range)
  return wrk.format("GET", path, {["Range"] = "bytes=" .. first .. "-" .. (first + range - 1)})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout))
end
"""


def start_app(workdir: Path, name: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(workdir / f"{name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "player.worker.KeepAliveWorker", "-w", "1",
         "--threads", "8", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--no-control-socket", "player:create_app()"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PLAYER_SECRET_KEY": "bench-secret", "PYTHONPATH": str(REPO),
             "PLAYER_DATABASE": str(workdir / f"{name}.sqlite"), **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn ({name}) exited:\n{(workdir / f'{name}.log').read_text()}")
        try:
            status, _, _ = fetch(port, "GET", f"/api/media/{MEDIA_ID}")
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    stop([process])
    sys.exit(f"gunicorn ({name}) did not answer within 60 s")


def fetch(port: int, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, int, bytes]:
    """Status, the bytes the server sent (status line, fields, body) and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2 + sum(
            len(k) + len(v) + 4 for k, v in response.getheaders())
        return response.status, head + len(data), data
    finally:
        connection.close()


def start_s3(workdir: Path, media: Path) -> tuple[subprocess.Popen, str]:
    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        sys.exit("moto_server is missing: pip install 'moto[server]' (the test extra)")
    port = free_port()
    process = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=open(workdir / "moto.log", "wb"),
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    import boto3

    client = boto3.session.Session().client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
        aws_secret_access_key="bench")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"moto_server did not start:\n{(workdir / 'moto.log').read_text()}")
            time.sleep(0.2)
    for path in media.iterdir():
        client.upload_file(str(path), BUCKET, f"library/{path.name}")
    return process, url


def run_wrk(wrk: str, script: Path, port: int, path: str, size: int, args) -> dict:
    done = subprocess.run(
        [wrk, "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s", "--timeout",
         "10s", "-s", str(script), f"http://127.0.0.1:{port}", "--", path, str(size),
         str(RANGE)], capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


VIEWS = 5


def one_view(process: subprocess.Popen, port: int, number: int = 0) -> dict[str, float]:
    """The bytes the app sends for one view, by part, and the app's CPU time
    (ms) for the view's pages and for its progress reports."""
    sent: dict[str, float] = {}
    cpu = server_cpu_seconds([process])
    status, n, page = fetch(port, "GET", f"/watch/{MEDIA_ID}")
    assert status == 200, status
    sent["watch page"] = n
    before_assets = server_cpu_seconds([process])
    sent["static assets (cached for a year)"] = sum(
        fetch(port, "GET", asset)[1]
        for asset in sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode()))))
    assets_cpu = server_cpu_seconds([process]) - before_assets
    status, n, body = fetch(port, "GET", f"/api/media/{MEDIA_ID}")
    sent["item"] = n
    item = json.loads(body)
    sent["caption track"] = sum(fetch(port, "GET", urlsplit(t["url"]).path)[1]
                                for t in item["tracks"])
    source = urlsplit(item["sources"][0]["url"])
    sent["media (the app's part)"] = (fetch(port, "GET", source.path)[1]
                                      if source.port == port else 0)
    viewer = {"X-Player-Viewer": f"bench-viewer-one-view-{number:04d}",
              "Content-Type": "application/json"}
    sent["resume point"] = fetch(port, "GET", f"/api/media/{MEDIA_ID}/progress",
                                 headers=viewer)[1]
    pages_cpu = server_cpu_seconds([process]) - cpu - assets_cpu
    cpu = server_cpu_seconds([process])
    reports = 0
    for seq in range(1, VIEW_MINUTES * 6 + 1):
        body = json.dumps({"session": "bench-one-view", "seq": seq, "event": "heartbeat",
                           "position": min(seq * 10, 199), "duration": 200,
                           "played": [[(seq - 1) * 10 % 190, (seq - 1) * 10 % 190 + 10]]})
        reports += fetch(port, "PUT", f"/api/media/{MEDIA_ID}/progress", body.encode(),
                         viewer)[1]
    sent[f"progress answers ({VIEW_MINUTES * 6})"] = reports
    sent["cpu pages"] = pages_cpu * 1000
    sent["cpu assets"] = assets_cpu * 1000
    sent["cpu reports"] = (server_cpu_seconds([process]) - cpu) * 1000
    return sent


def views(process: subprocess.Popen, port: int) -> dict[str, float]:
    """:func:`one_view`, averaged over VIEWS views (the CPU clock ticks in 10 ms)."""
    total: dict[str, float] = {}
    for number in range(VIEWS):
        for key, value in one_view(process, port, number).items():
            total[key] = total.get(key, 0) + value / VIEWS
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each storage")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = find_or_install("wrk", "wrk")
    with tempfile.TemporaryDirectory(prefix="media-cpu-bench-") as tmp:
        workdir = Path(tmp)
        make_media(workdir / "media")
        (workdir / "media" / f"{MEDIA_ID}.en.vtt").write_text(
            "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nWelcome to the lecture.\n")
        size = (workdir / "media" / f"{MEDIA_ID}.wav").stat().st_size
        script = workdir / "ranges.lua"
        script.write_text(WRK_SCRIPT)
        moto, s3 = start_s3(workdir, workdir / "media")
        s3_env = {**CREDENTIALS, "PLAYER_STORAGE": f"s3://{BUCKET}/library",
                  "PLAYER_S3_ENDPOINT_URL": s3,
                  "PLAYER_MEDIA_DIR": str(workdir / "no-media-folder")}
        servers = {}
        try:
            servers["local"] = start_app(workdir, "local",
                                         {"PLAYER_MEDIA_DIR": str(workdir / "media")})
            servers["S3"] = start_app(workdir, "s3", s3_env)
            path = f"/files/{MEDIA_ID}/{MEDIA_ID}.wav"
            for name, (_, port) in servers.items():
                status, _, _ = fetch(port, "GET", path, headers={"Range": "bytes=0-9"})
                assert status == (206 if name == "local" else 307), (name, status)
            runs: dict[str, list[dict]] = {name: [] for name in servers}
            for _ in range(args.rounds):
                for name, (process, port) in servers.items():
                    cpu = server_cpu_seconds([process])
                    result = run_wrk(wrk, script, port, path, size, args)
                    result["cpu_us"] = ((server_cpu_seconds([process]) - cpu)
                                        / result["requests"] * 1e6)
                    runs[name].append(result)
            view = views(*servers["S3"])
            stop([servers.pop("S3")[0]])
            servers["CDN"] = start_app(workdir, "cdn", {
                **s3_env, "PLAYER_MEDIA_BASE_URL": "https://cdn.example/library"})
            cdn_view = views(*servers["CDN"])
        finally:
            stop([process for process, _ in servers.values()])
            moto.terminate()
            moto.wait(10)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    print(f"gunicorn 1 x KeepAliveWorker x 8 threads; wrk {args.connections} connections;"
          f" random {RANGE // 1024} KiB ranges of a {size / 1e6:.1f} MB file;"
          f" {args.rounds} rounds of {args.seconds} s, medians shown")
    print(f"{'storage':22} {'requests/s':>10} {'app CPU us/request':>19}"
          f" {'bytes sent/request':>19}")
    for name, label in (("local", "local folder (sendfile)"), ("S3", "S3 (307 redirect)")):
        per_request = median(name, "bytes") / max(1, median(name, "requests"))
        print(f"{label:22} {median(name, 'per_second'):10.0f} {median(name, 'cpu_us'):19.0f}"
              f" {per_request:19.0f}")
    ratio = median("S3", "cpu_us") / median("local", "cpu_us")
    print(f"ratio of app CPU per media request, S3 / local: {ratio:.2f}x")
    errors = sum(r["errors"] for rs in runs.values() for r in rs)
    print(f"errors: {errors}")
    for title, parts in ((f"one {VIEW_MINUTES}-minute view from S3, presigned redirect", view),
                         (f"one {VIEW_MINUTES}-minute view from S3 behind a CDN", cdn_view)):
        static = parts.pop("static assets (cached for a year)")
        pages_cpu, reports_cpu = parts.pop("cpu pages"), parts.pop("cpu reports")
        assets_cpu = parts.pop("cpu assets")
        total = sum(parts.values())
        print(f"{title}: the app sends {total:.0f} bytes"
              f" ({', '.join(f'{k} {v:.0f}' for k, v in parts.items())});"
              f" static assets {static:.0f} bytes on a first visit; app CPU"
              f" {pages_cpu:.1f} ms for the pages, {assets_cpu:.1f} ms for the assets,"
              f" {reports_cpu:.1f} ms for the {VIEW_MINUTES * 6} reports")
    return 1 if errors else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
