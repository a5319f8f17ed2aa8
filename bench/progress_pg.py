"""Progress writes on PostgreSQL against SQLite: the same app, the same load.

The harness of bench/progress_bench.py (its wrk scripts, viewers and
gunicorn setup: two instances of one gthread worker, 8 threads each, sharing
a port) runs once with a fresh SQLite file and once with a fresh database on
a throwaway PostgreSQL server started here (Debian's ``postgresql``;
``initdb`` runs as the ``postgres`` user under root). Durability is alike:
SQLite runs in WAL mode with ``synchronous=NORMAL`` (a power cut loses the
last commits, never the file), PostgreSQL with ``synchronous_commit=off``
(the same promise), fsync on for both. For each backend, in alternating
rounds:

- as fast as the viewers can go: writes/s;
- paced at ``--rate`` writes/s (1,000 by default): p50 and p99 latency.

It prints both, the ratio PostgreSQL / SQLite, the CPU each write cost (the
app servers', and PostgreSQL's own processes' on its side, from /proc), so
writes per second per core, and what the database holds afterwards: rows
and bytes per play session, scaled to a million views (a view is one play
session). Every acknowledged write is checked to be in the database once
the servers have stopped the orderly way. Targets: PostgreSQL at least 0.7x
SQLite's writes/s, p99 under 50 ms at 1,000 writes/s; exit status 1 when
one is missed::

    python bench/progress_pg.py
    python bench/progress_pg.py --seconds 5 --rounds 1

The flood limits are raised as in progress_bench.py; with PostgreSQL they are
also shared between the servers (as in production), which for viewers
below a tenth of each limit writes nothing: that cost is not in these numbers
because ordinary traffic does not have it.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.progress_bench import (  # noqa: E402
    MEDIA_ID,
    PACING,
    REPORT_SECONDS,
    WRK_SCRIPT,
    find_or_install,
    free_port,
    make_media,
    run_wrk,
    server_cpu_seconds,
    stop,
    wait_for,
)

TARGET_RATIO = 0.7
TARGET_P99_MS = 50
PACED_RATE = 1000


class PostgreSQL:
    """A throwaway PostgreSQL server in ``folder``."""

    def __init__(self, folder: Path):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
        if not found:
            sys.exit("PostgreSQL is missing: apt-get install -y postgresql")
        self.bin = found[0].parent
        self.folder = folder
        self.folder.mkdir()
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user is not None:
            os.chown(folder, self.user.pw_uid, self.user.pw_gid)
        self.port = free_port()

    def run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if done.returncode:
            sys.exit(f"{args[0]} failed: {done.stderr}")

    def start(self) -> str:
        data = self.folder / "data"
        self.run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
        self.run("pg_ctl", "start", "-w", "-D", str(data), "-l", str(self.folder / "log"),
                 "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.folder}"
                       " -c synchronous_commit=off -c max_connections=200")
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        return self.url("bench")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.folder / "data"), "-m", "fast")

    def wal_bytes(self) -> int:
        """Write-ahead log written so far, in bytes."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            return int(conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')"
                                    ).fetchone()[0])

    def cpu_seconds(self) -> float:
        """CPU time of the postmaster and every backend so far."""
        pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        ticks = 0
        for child in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children")
                                 .read_text().split())]:
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue  # a backend that ended meanwhile
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def start_servers(workdir: Path, database: str, port: int, threads: int
                  ) -> list[subprocess.Popen]:
    """progress_bench.py's servers, with ``database`` as PLAYER_DATABASE."""
    env = {
        **os.environ,
        "PLAYER_MEDIA_DIR": str(workdir / "media"),
        "PLAYER_DATABASE": database,
        "PLAYER_SECRET_KEY": "bench-secret",
        **{f"PLAYER_PROGRESS_{name}_{part}": "1000000"
           for name in ("RATE", "ADDRESS", "NEW_SESSIONS", "ITEM_NEW_SESSIONS")
           for part in ("BURST", "PER_SECOND")},
        "PYTHONPATH": str(REPO),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    servers = []
    for _ in range(2):
        servers.append(subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--reuse-port",
             "--worker-class", "gthread", "--workers", "1", "--threads", str(threads),
             "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning",
             "--no-control-socket", "player:create_app()"],
            cwd=workdir, env=env))
        wait_for(port, servers)
    return servers


def stored(database: str) -> tuple[int, int, int]:
    """Reports, play sessions and the bytes of the sessions' table (with
    indexes), once vacuumed: without the old versions of updated rows,
    which (auto)vacuum makes room of for new ones."""
    from player import db

    conn = db.connect(database)
    try:
        states = [row[0] for row in conn.execute("SELECT state FROM progress_sessions")]
        if db.is_postgresql(database):
            conn.execute("VACUUM (FULL, ANALYZE) progress_sessions")
            size = conn.execute("SELECT pg_total_relation_size('progress_sessions')"
                                ).fetchone()[0]
        else:
            try:
                size = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE"
                                    " '%progress_sessions%'").fetchone()[0] or 0
            except db.Error:  # a SQLite built without dbstat: the whole file
                size = (conn.execute("PRAGMA page_count").fetchone()[0]
                        * conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    reports = round(sum(json.loads(s)["watched"] for s in states) / REPORT_SECONDS)
    return reports, len(states), int(size)


def measure(backend: str, database: str, workdir: Path, args, wrk: str,
            pg: PostgreSQL | None) -> dict:
    port = free_port()
    servers = start_servers(workdir, database, port, args.threads)
    url, path = f"http://127.0.0.1:{port}", f"/api/media/{MEDIA_ID}/progress"
    flat, paced = workdir / "heartbeat.lua", workdir / "paced.lua"
    runs: dict[str, list[dict]] = {"flat": [], "paced": []}
    acknowledged = 0
    try:
        warm = run_wrk(wrk, flat, url, path, 2, args.connections, args.wrk_threads)
        # wrk counts an answer that is not 2xx or 3xx (a 503 "queue full") as an error.
        acknowledged += warm["requests"] - warm["errors"]
        for _ in range(args.rounds):
            for kind, script, rate in (("flat", flat, 0), ("paced", paced, args.rate)):
                app_cpu = server_cpu_seconds(servers)
                db_cpu = pg.cpu_seconds() if pg else 0.0
                wal = pg.wal_bytes() if pg else 0
                result = run_wrk(wrk, script, url, path, args.seconds, args.connections,
                                 args.wrk_threads, rate)
                result["app_cpu"] = server_cpu_seconds(servers) - app_cpu
                result["db_cpu"] = (pg.cpu_seconds() - db_cpu) if pg else 0.0
                result["wal"] = (pg.wal_bytes() - wal) if pg else 0
                runs[kind].append(result)
                acknowledged += result["requests"] - result["errors"]
    finally:
        stop(servers)
    reports, sessions, size = stored(database)

    def median(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    flat_requests = sum(r["requests"] for r in runs["flat"])
    return {
        "backend": backend,
        "writes": median("flat", "per_second"),
        "p50": median("paced", "p50_us") / 1000, "p99": median("paced", "p99_us") / 1000,
        "paced": median("paced", "per_second"),
        "app_cpu_us": sum(r["app_cpu"] for r in runs["flat"]) / flat_requests * 1e6,
        "db_cpu_us": sum(r["db_cpu"] for r in runs["flat"]) / flat_requests * 1e6,
        "wal_per_write": sum(r["wal"] for r in runs["flat"]) / flat_requests,
        "errors": sum(r["errors"] for rs in runs.values() for r in rs) + warm["errors"],
        "acknowledged": acknowledged, "stored": reports, "sessions": sessions, "bytes": size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each kind")
    parser.add_argument("--connections", type=int, default=200, help="simulated viewers")
    parser.add_argument("--rate", type=float, default=PACED_RATE,
                        help="writes/s the viewers offer in the paced rounds")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()
    wrk = find_or_install("wrk", "wrk")
    results = []
    with tempfile.TemporaryDirectory(prefix="progress-pg-bench-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)
        make_media(workdir / "media")
        (workdir / "heartbeat.lua").write_text(WRK_SCRIPT)
        (workdir / "paced.lua").write_text(WRK_SCRIPT + PACING)
        results.append(measure("SQLite", str(workdir / "player.sqlite"), workdir, args, wrk,
                               None))
        pg = PostgreSQL(workdir / "pg")
        url = pg.start()
        try:
            results.append(measure("PostgreSQL", url, workdir, args, wrk, pg))
        finally:
            pg.stop()
    sqlite, postgres = results
    print(f"gunicorn 2 x 1 gthread worker x {args.threads} threads; wrk {args.connections}"
          f" connections; {args.rounds} rounds of {args.seconds} s, medians shown;"
          f" {os.cpu_count()} cores")
    print(f"{'':11} {'writes/s':>9} {'p50 ms':>7} {'p99 ms':>7} (at {args.rate:.0f}/s)"
          f" {'app CPU us':>10} {'db CPU us':>9} {'writes/s/core':>13}")
    for r in results:
        per_core = 1e6 / (r["app_cpu_us"] + r["db_cpu_us"])
        r["per_core"] = per_core
        print(f"{r['backend']:11} {r['writes']:9.0f} {r['p50']:7.1f} {r['p99']:7.1f}"
              f"{'':14} {r['app_cpu_us']:10.0f} {r['db_cpu_us']:9.0f} {per_core:13.0f}")
    ratio = postgres["writes"] / sqlite["writes"]
    print(f"PostgreSQL write-ahead log: {postgres['wal_per_write']:.0f} bytes per write")
    print(f"ratio PostgreSQL / SQLite: {ratio:.2f}x (target at least {TARGET_RATIO}x)")
    for r in results:
        per_session = r["bytes"] / max(1, r["sessions"])
        print(f"{r['backend']}: {r['sessions']} play sessions in {r['bytes']} bytes"
              f" ({per_session:.0f} bytes each): a million views is 1,000,000 rows,"
              f" {per_session * 1e6 / 1e9:.2f} GB; {r['stored']} of {r['acknowledged']}"
              f" acknowledged reports stored; {r['errors']} errors")
    checks = {
        f"PostgreSQL at least {TARGET_RATIO}x SQLite's writes/s": ratio >= TARGET_RATIO,
        f"PostgreSQL p99 under {TARGET_P99_MS} ms at {args.rate:.0f} writes/s":
            postgres["p99"] < TARGET_P99_MS,
        f"the offered {args.rate:.0f} writes/s all served":
            postgres["paced"] >= 0.98 * args.rate,
        "no errors": sqlite["errors"] == postgres["errors"] == 0,
        "no acknowledged write lost": all(r["stored"] >= r["acknowledged"] for r in results),
    }
    for check, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
