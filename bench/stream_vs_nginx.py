"""Media streaming throughput: the app under gunicorn against nginx.

One large file (200 MB by default, a valid WAV so the library accepts it) is
served by the real app under gunicorn and by Debian's nginx as the baseline,
both on loopback and started by this script. Each server is asked for the
whole file and for the same 1,000 random 64 KiB ranges, in alternating
rounds, and the median throughputs are compared::

    python bench/stream_vs_nginx.py            # defaults: 200 MB, 1000 ranges
    python bench/stream_vs_nginx.py --size-mb 50 --rounds 5

The client is curl (C, keep-alive, ``--parallel`` for the ranges), so the
client costs the same for both servers and little next to either. Each
timing has the cost of starting curl and making one tiny request subtracted,
measured the same way against the same server. nginx and curl are installed
from Debian with apt-get when missing. Targets: whole file at least 0.8x
nginx, random ranges at least 0.3x nginx; the exit status is 1 when one is
missed. gunicorn runs as the README's production command line does: 2
workers of the project's own class (``player.worker.KeepAliveWorker``, gthread
that answers a kept-alive connection's next request on the same thread) with
4 threads each; ``--worker-class gthread`` measures gunicorn's stock worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
MEDIA_ID = "bench"
TARGETS = {"whole": 0.8, "ranges": 0.3}
STARTUP_TIMEOUT = 60


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen


def find_or_install(program: str, package: str, *extra_paths: str) -> str:
    """The path of ``program``, installing Debian's ``package`` if needed."""
    found = shutil.which(program) or next((p for p in extra_paths if os.access(p, os.X_OK)), None)
    if found:
        return found
    print(f"{program} not found; installing the Debian package {package}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    found = shutil.which(program) or next((p for p in extra_paths if os.access(p, os.X_OK)), None)
    if not found:
        sys.exit(f"{program} is still missing after installing {package}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_wav(path: Path, size: int) -> None:
    """A WAV of random 16-bit stereo samples, ``size`` bytes in all."""
    frame_bytes = 4
    frames = (size - 44) // frame_bytes
    block = 1 << 20
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(48_000)
        written = 0
        while written < frames:
            count = min(block // frame_bytes, frames - written)
            wav.writeframesraw(os.urandom(count * frame_bytes))
            written += count


def start_gunicorn(media_dir: Path, state: Path, port: int, args) -> subprocess.Popen:
    env = {
        **os.environ,
        "PLAYER_MEDIA_DIR": str(media_dir),
        "PLAYER_DATABASE": str(state / "player.sqlite"),
        "PLAYER_SECRET_KEY": "bench-secret",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
        "player:create_app()",
    ]
    with open(state / "gunicorn.log", "wb") as log:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


# tcp_nopush (in Debian's stock nginx.conf) is left out: with it, every
# range answered on a kept-alive connection waits about 40 ms for a delayed
# ACK here, which would make the baseline absurdly slow.
NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    types {{ audio/wav wav; }}
    default_type application/octet-stream;
    client_body_temp_path {state}/client_body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def start_nginx(nginx: str, root: Path, state: Path, port: int, workers: int) -> subprocess.Popen:
    conf = state / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, state=state, port=port, root=root))
    with open(state / "nginx.log", "wb") as log:
        return subprocess.Popen(
            [nginx, "-p", str(state), "-c", str(conf), "-e", str(state / "error.log")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for(process: subprocess.Popen, port: int, path: str, name: str) -> bytes:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} exited with {process.returncode}; see its log")
        try:
            status, body = get(port, path)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return body
        sys.exit(f"{name} answered {status} for {path}: {body[:300]!r}")
    sys.exit(f"{name} did not answer within {STARTUP_TIMEOUT} s")


def run_curl(
    curl: str, transfers: list[tuple[str, str | None]], parallel: int
) -> tuple[float, list[str]]:
    """Fetch every (url, range) with one curl process; return the wall time
    and each transfer's "status size"."""
    lines = []
    for url, byte_range in transfers:
        lines.append(f'url = "{url}"')
        if byte_range is not None:
            lines.append(f'range = "{byte_range}"')
        lines += ['output = "/dev/null"', 'write-out = "%{http_code} %{size_download}\\n"', "next"]
    config = "\n".join(lines[:-1]) + "\n"
    command = [curl, "--silent", "--show-error", "--config", "-"]
    if parallel > 1:
        command += ["--parallel", "--parallel-max", str(parallel)]
    started = time.perf_counter()
    done = subprocess.run(command, input=config, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"curl failed with exit status {done.returncode}: {done.stderr.strip()}")
    return elapsed, done.stdout.split("\n")[:-1]


def measure(
    curl: str, url: str, transfers: list[tuple[str, str | None]], parallel: int, expected: str
) -> float:
    """Seconds for ``transfers``, less the fixed cost of one tiny request."""
    overhead, _ = run_curl(curl, [(url, "0-0")], 1)
    elapsed, results = run_curl(curl, transfers, parallel)
    wrong = [r for r in results if r != expected]
    if len(results) != len(transfers) or wrong:
        sys.exit(f"unexpected answers from {url}: {wrong[:5]} ({len(results)} answers)")
    return max(elapsed - overhead, 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--ranges", type=int, default=1000)
    parser.add_argument("--range-kib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--whole-repeats", type=int, default=3,
                        help="whole-file fetches timed together in each round")
    parser.add_argument("--parallel", type=int, default=4, help="concurrent range requests")
    parser.add_argument("--workers", type=int, default=2, help="for gunicorn and nginx alike")
    parser.add_argument("--worker-class", default="player.worker.KeepAliveWorker")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=9110)
    args = parser.parse_args()

    nginx = find_or_install("nginx", "nginx", "/usr/sbin/nginx")
    curl = find_or_install("curl", "curl")
    size = args.size_mb * 1_000_000
    range_size = args.range_kib * 1024

    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        base = Path(tmp)
        # nginx's workers run as an unprivileged user when started as root.
        base.chmod(0o755)
        media, gunicorn_state, nginx_state = (base / "media", base / "gunicorn", base / "nginx")
        for folder in (media, gunicorn_state, nginx_state):
            folder.mkdir()
        file_name = f"{MEDIA_ID}.wav"
        print(f"writing a {args.size_mb} MB WAV ...", flush=True)
        make_wav(media / file_name, size)
        size = (media / file_name).stat().st_size

        app_port, nginx_port = free_port(), free_port()
        servers: list[Server] = []
        try:
            app = start_gunicorn(media, gunicorn_state, app_port, args)
            servers.append(Server("gunicorn", "", app))
            web = start_nginx(nginx, media, nginx_state, nginx_port, args.workers)
            servers.append(Server("nginx", f"http://127.0.0.1:{nginx_port}/{file_name}", web))
            item = json.loads(wait_for(app, app_port, f"/api/media/{MEDIA_ID}", "gunicorn"))
            servers[0].url = (
                f"http://127.0.0.1:{app_port}" + urlsplit(item["sources"][0]["url"]).path
            )
            wait_for(web, nginx_port, f"/{file_name}", "nginx")
            run_bench(curl, servers, size, range_size, args)
        except SystemExit:
            # What the servers said, for a run that failed.
            for log in (gunicorn_state / "gunicorn.log", nginx_state / "error.log"):
                if log.exists():
                    tail = log.read_text(errors="replace").splitlines()[-20:]
                    print(f"--- {log.name} (last lines) ---", *tail, sep="\n", file=sys.stderr)
            raise
        finally:
            for server in servers:
                server.process.terminate()
            for server in servers:
                try:
                    server.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait()


def run_bench(curl: str, servers: list[Server], size: int, range_size: int, args) -> None:
    rng = random.Random(args.seed)
    starts = [rng.randrange(0, size - range_size) for _ in range(args.ranges)]
    samples = set()
    for server in servers:
        url = urlsplit(server.url)
        status, body = get(url.port, url.path, {"Range": f"bytes={starts[0]}-{starts[0] + 9}"})
        if status != 206 or len(body) != 10:
            sys.exit(f"{server.name} did not answer a range request correctly ({status})")
        samples.add(body)
    if len(samples) != 1:
        sys.exit("the two servers disagree about the file's bytes")

    whole: dict[str, list[float]] = {s.name: [] for s in servers}
    ranged: dict[str, list[float]] = {s.name: [] for s in servers}
    for round_number in range(args.rounds):
        # Alternate which server goes first so neither always meets a warm cache.
        order = servers if round_number % 2 == 0 else servers[::-1]
        for server in order:
            # One whole file takes a tenth of a second; a few in a row make
            # the timing less subject to the scheduler's moods.
            transfers = [(server.url, None)] * args.whole_repeats
            seconds = measure(curl, server.url, transfers, 1, f"200 {size}")
            whole[server.name].append(args.whole_repeats * size / seconds / 1e6)
            transfers = [(server.url, f"{s}-{s + range_size - 1}") for s in starts]
            seconds = measure(curl, server.url, transfers, args.parallel, f"206 {range_size}")
            ranged[server.name].append(len(starts) * range_size / seconds / 1e6)

    print(
        f"\nfile {size / 1e6:.0f} MB, fetched whole {args.whole_repeats} times a round; "
        f"{args.ranges} ranges of {range_size // 1024} KiB, "
        f"{args.parallel} at a time; median of {args.rounds} rounds; client: curl"
    )
    print(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads; "
        f"nginx: {args.workers} workers, sendfile on\n"
    )
    print(f"{'':8} {'gunicorn MB/s':>14} {'nginx MB/s':>12} {'ratio':>7} {'target':>7}")
    failed = False
    for label, results in (("whole", whole), ("ranges", ranged)):
        app_rate = statistics.median(results["gunicorn"])
        nginx_rate = statistics.median(results["nginx"])
        ratio = app_rate / nginx_rate
        target = TARGETS[label]
        failed |= ratio < target
        verdict = "ok" if ratio >= target else "MISSED"
        print(
            f"{label:8} {app_rate:14.0f} {nginx_rate:12.0f} {ratio:6.2f}x {target:5.1f}x {verdict}"
        )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
