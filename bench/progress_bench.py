"""Progress writes under load: the app under gunicorn, 200 simulated viewers.

The real app runs under gunicorn on loopback with a 200 s item in a fresh
SQLite database. wrk (Debian's package, installed with apt-get when missing)
keeps 200 keep-alive connections busy, one simulated viewer each, and every
request is a heartbeat a player would send: the viewer's next ten seconds
played, its position, captions on. The same requests go, in alternating
rounds, to

``PUT /api/media/<id>/progress``
    the real thing: parsing and validation, the viewer's keyed hash, the flood
    limit and the item's duration, then the report is queued for the
    process's writer thread and answered ``202`` at once; the writer commits
    the queue in batches (read-modify-write of the play sessions) within
    about ten milliseconds, on its own thread. Such reports are taken at the
    WSGI level (``player.progress.fastpath.ReportFastPath``), with the headers
    Flask's CORS and security hooks give the view's answers;
the same endpoint with ``Sec-GPC: 1``
    the baseline: the app answers "not stored" after the same parsing and
    validation, on the same path with the same headers, without touching
    the database. The difference between the two is the database.

Two kinds of round: as fast as the 200 viewers can go (throughput, and the
ratio to the baseline), and paced, the viewers offering 2,000 writes/s between
them (latency at that load; wrk's LuaJIT spaces the requests out). It prints
writes/s, p50 and p99 latency, and the CPU time gunicorn spent per request,
the writer threads' included (read from /proc: the server's own time, though
other load on the machine still inflates it, by half in some runs). It then
stops gunicorn the orderly way (SIGTERM) and checks that every acknowledged
write is in the database: the workers write their queues as they exit. A
killed worker (SIGKILL) would lose the reports of its last ten milliseconds or
so, which this does not measure. Targets: at least 2,000 writes/s, p99 under
50 ms at 2,000 writes/s, at least 0.7x the baseline; the exit status is 1 when
one is missed::

    python bench/progress_bench.py
    python bench/progress_bench.py --seconds 5 --rounds 1 --threads 16

A simulated viewer reports a hundred times more often than a real player, so
the flood limits are raised for the run; their checks still run on
every request. Two gunicorn instances of one gthread worker each (one per
core, 8 threads each by default) share the port with SO_REUSEPORT; both
endpoints run on these same servers, so neither gets a setting of its own.
Four, 16 or 32 threads per worker measured within the noise of 8 for both
endpoints (more threads only added thread switches).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA_ID = "lecture"
MEDIA_SECONDS = 200
REPORT_SECONDS = 10
TARGET_WRITES = 2000
TARGET_P99_MS = 50
TARGET_RATIO = 0.7

# Each wrk thread simulates its share of the viewers; each viewer plays on
# from where its last report stopped and starts a new session at the end.
WRK_SCRIPT = """
local counter = 0
function setup(thread)
  thread:set("tid", setup_count or 0)
  setup_count = (setup_count or 0) + 1
end
function init(args)
  path = args[1]
  viewers = tonumber(args[2])
  interval = tonumber(args[3])
  headers = {["Content-Type"] = "application/json"}
  if args[4] == "gpc" then headers["Sec-GPC"] = "1" end
end
function request()
  local v = counter % viewers
  local k = math.floor(counter / viewers)
  counter = counter + 1
  local per_session = math.floor((MEDIA - 1) / STEP)
  local start = (k % per_session) * STEP
  local session = math.floor(k / per_session)
  local body = string.format(
    '{"viewer":"bench-viewer-%02d-%06d","session":"bench-%02d-%06d-%06d","seq":%d,' ..
    '"event":"heartbeat","position":%d,"duration":MEDIA,"rate":1,"captions":"en",' ..
    '"descriptions":false,"played":[[%d,%d]]}',
    tid, v, tid, v, session, k, start + STEP, start, start + STEP)
  return wrk.format("PUT", path, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout + e.status))
end
""".replace("MEDIA", str(MEDIA_SECONDS)).replace("STEP", str(REPORT_SECONDS))

# Appended for the paced runs: each wrk thread hands out send times one
# interval apart (args[3], in ms) to whichever of its connections is free, so
# the offered rate stays fixed however fast the server answers, and a slow
# server is not rewarded with fewer requests. LuaJIT's ffi gives the clock.
PACING = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local next_slot = 0
function delay()
  ffi.C.clock_gettime(1, clock)
  local now = tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
  local slot = math.max(next_slot, now)
  next_slot = slot + interval
  return slot - now
end
"""


def find_or_install(program: str, package: str) -> str:
    found = shutil.which(program)
    if found:
        return found
    print(f"{program} not found; installing the Debian package {package}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    return shutil.which(program) or sys.exit(f"{program} still missing after installing {package}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_media(folder: Path) -> None:
    """A silent 8 kHz WAV: the probe reads its exact duration from the header."""
    folder.mkdir()
    with wave.open(str(folder / f"{MEDIA_ID}.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 8000 * MEDIA_SECONDS)


def start_gunicorn(workdir: Path, port: int, instances: int, threads: int
                   ) -> list[subprocess.Popen]:
    """``instances`` gunicorn servers of one gthread worker each, all bound
    to ``port`` with SO_REUSEPORT, so the kernel spreads connections evenly.

    The workers of one gunicorn share one listening socket, and whichever
    wakes first takes most of a burst of new connections: with wrk opening
    all 200 at once, one worker often got nearly all of them and the other
    core sat idle, which made rounds differ by a factor of two.
    """
    env = {
        **os.environ,
        "PLAYER_MEDIA_DIR": str(workdir / "media"),
        "PLAYER_DATABASE": str(workdir / "player.sqlite"),
        "PLAYER_SECRET_KEY": "bench-secret",
        "PLAYER_PROGRESS_RATE_BURST": "1000000",
        "PLAYER_PROGRESS_RATE_PER_SECOND": "1000000",
        # All 200 viewers come from one address, which the limits per
        # address and new sessions per item would stop; their checks still run.
        **{f"PLAYER_PROGRESS_{name}_{part}": "1000000"
           for name in ("ADDRESS", "NEW_SESSIONS", "ITEM_NEW_SESSIONS")
           for part in ("BURST", "PER_SECOND")},
        "PYTHONPATH": str(REPO),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    servers = []
    for _ in range(instances):
        servers.append(subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--reuse-port",
             "--worker-class", "gthread", "--workers", "1", "--threads", str(threads),
             "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning",
             "player:create_app()"],
            cwd=workdir, env=env))
        # One at a time: each scans the library into the database on start.
        wait_for(port, servers)
    return servers


def wait_for(port: int, servers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(server.poll() is not None for server in servers):
            stop(servers)
            sys.exit("gunicorn exited during startup")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/api/media/{MEDIA_ID}")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(servers)
    sys.exit("gunicorn did not answer within 60 s")


def stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(30)


def run_wrk(wrk: str, script: Path, url: str, path: str, seconds: int, connections: int,
            wrk_threads: int, rate: float = 0, gpc: bool = False) -> dict:
    """One wrk run; ``rate`` > 0 paces it (with the pacing script) at that
    many requests/s; ``gpc`` sends ``Sec-GPC: 1``."""
    interval = 1000 * wrk_threads / rate if rate else 0
    proc = subprocess.run(
        [wrk, "-t", str(wrk_threads), "-c", str(connections), "-d", f"{seconds}s",
         "--timeout", "10s", "-s", str(script), url, "--", path,
         str(connections // wrk_threads), str(interval), "gpc" if gpc else "-"],
        capture_output=True, text=True, check=True)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def server_cpu_seconds(servers: list[subprocess.Popen]) -> float:
    """CPU time used so far by the gunicorn masters and their workers."""
    ticks = 0
    for master in servers:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
        for pid in [master.pid, *map(int, children.split())]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def stored_reports(database: Path) -> int:
    """Reports in the database: each added REPORT_SECONDS of watching."""
    conn = sqlite3.connect(database)
    try:
        states = conn.execute("SELECT state FROM progress_sessions").fetchall()
    finally:
        conn.close()
    return round(sum(json.loads(s)["watched"] for (s,) in states) / REPORT_SECONDS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each kind")
    parser.add_argument("--connections", type=int, default=200, help="simulated viewers")
    parser.add_argument("--rate", type=float, default=TARGET_WRITES,
                        help="writes/s the viewers offer in the paced rounds")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn instances of one worker each")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()
    wrk = find_or_install("wrk", "wrk")

    with tempfile.TemporaryDirectory(prefix="progress-bench-") as tmp:
        workdir = Path(tmp)
        make_media(workdir / "media")
        flat_out = workdir / "heartbeat.lua"
        flat_out.write_text(WRK_SCRIPT)
        paced = workdir / "paced-heartbeat.lua"
        paced.write_text(WRK_SCRIPT + PACING)
        port = free_port()
        servers = start_gunicorn(workdir, port, args.workers, args.threads)
        url = f"http://127.0.0.1:{port}"
        path = f"/api/media/{MEDIA_ID}/progress"
        runs: dict[str, list[dict]] = {"warm-up": [], "progress": [], "no-db": [], "paced": [],
                                       "paced-no-db": []}

        def run(kind: str, script: Path, rate: float = 0, gpc: bool = False) -> None:
            cpu = server_cpu_seconds(servers)
            result = run_wrk(wrk, script, url, path, args.seconds, args.connections,
                             args.wrk_threads, rate, gpc)
            result["cpu_us"] = (server_cpu_seconds(servers) - cpu) / result["requests"] * 1e6
            runs[kind].append(result)

        try:
            runs["warm-up"].append(
                run_wrk(wrk, flat_out, url, path, 2, args.connections, args.wrk_threads))
            run_wrk(wrk, flat_out, url, path, 2, args.connections, args.wrk_threads, gpc=True)
            for _ in range(args.rounds):
                run("progress", flat_out)
                run("no-db", flat_out, gpc=True)
                run("paced", paced, args.rate)
                run("paced-no-db", paced, args.rate, gpc=True)
        finally:
            stop(servers)
        # Counted once gunicorn has stopped: what the workers still held in
        # their queues was written as they exited.
        stored = stored_reports(workdir / "player.sqlite")

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    errors = sum(r["errors"] for rounds in runs.values() for r in rounds)
    writes, base = median("progress", "per_second"), median("no-db", "per_second")
    paced_rate, paced_p99 = median("paced", "per_second"), median("paced", "p99_us") / 1000
    ratio = writes / base
    acknowledged = sum(r["requests"] for kind in ("warm-up", "progress", "paced")
                       for r in runs[kind])
    lost = acknowledged - min(stored, acknowledged)
    print(f"gunicorn {args.workers} x 1 gthread worker x {args.threads} threads; wrk"
          f" {args.connections} connections; {args.rounds} rounds of {args.seconds} s,"
          " medians shown")
    def line(label: str, kind: str, unit: str) -> str:
        return (f"  {label:22} {median(kind, 'per_second'):7.0f} {unit:9}"
                f" p50 {median(kind, 'p50_us') / 1000:5.1f} ms"
                f"  p99 {median(kind, 'p99_us') / 1000:6.1f} ms"
                f"  server CPU {median(kind, 'cpu_us'):4.0f} us/request")

    print(f"as fast as {args.connections} viewers can go:")
    print(line("PUT progress (SQLite)", "progress", "writes/s"))
    print(line("same with Sec-GPC: 1", "no-db", "req/s"))
    print(f"  ratio {ratio:.2f}x the no-database endpoint (CPU per request:"
          f" {median('no-db', 'cpu_us') / median('progress', 'cpu_us'):.2f}x)")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{args.connections} viewers offering {args.rate:.0f} writes/s between them:")
    print(line("PUT progress (SQLite)", "paced", "writes/s"))
    # Not a target: what the same stack does at that pace without the database.
    print(line("same with Sec-GPC: 1", "paced-no-db", "req/s"))
    print(f"errors: {errors}; acknowledged writes {acknowledged}, in the database {stored}"
          f" ({'none lost' if not lost else f'{lost} LOST'})")
    checks = {
        f"at least {TARGET_WRITES} writes/s": writes >= TARGET_WRITES,
        f"p99 under {TARGET_P99_MS} ms at {args.rate:.0f} writes/s": paced_p99 < TARGET_P99_MS,
        f"the offered {args.rate:.0f} writes/s all served": paced_rate >= 0.98 * args.rate,
        f"at least {TARGET_RATIO}x the no-database endpoint": ratio >= TARGET_RATIO,
        "no errors": errors == 0,
        "no acknowledged write lost": lost == 0,
    }
    for check, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    # A SIGTERM (timeout, a CI runner) unwinds like Ctrl-C, so gunicorn is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
