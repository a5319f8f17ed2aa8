"""A throwaway PostgreSQL cluster for tests: ``initdb`` into a temporary
folder, a server on a free loopback port, one fresh database per test.

The server binaries come from Debian's ``postgresql`` package
(``/usr/lib/postgresql/<version>/bin``) or from ``PATH``. ``initdb``
refuses to run as root, so under root the cluster belongs to the
``postgres`` user and every server command runs as that user.

Durability is switched off (``fsync``, ``full_page_writes``,
``synchronous_commit``): the cluster dies with the test session, and a test
database is made from a template in a few milliseconds that way.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

#: The database every test database is copied from, migrated once.
TEMPLATE = "player_template"
#: Copies of it kept ready.
READY = 2


def server_bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, newest version first; None if absent."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                        reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def free_port() -> int:
    """A loopback port nothing listens on (as of now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL server of its own, started by :meth:`start` and gone after :meth:`stop`."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.folder: Path | None = None
        self.port = 0
        self._names = itertools.count(1)
        self._user: pwd.struct_passwd | None = None
        self._helper: threading.Thread | None = None
        self._work = threading.Condition()
        self._ready: list[str | Exception] = []
        self._used: list[str] = []
        self._stopping = False

    # -- the server ------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user.pw_name, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True,
                              timeout=120, cwd=self.folder)

    def start(self) -> Cluster:
        """Create the cluster and start its server.

        :raises subprocess.CalledProcessError: if ``initdb`` or ``pg_ctl`` fails.
        """
        self.folder = Path(tempfile.mkdtemp(prefix="player-pg-"))
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.port = free_port()
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-c port={self.port}",
            f"-k {self.folder}", "-c fsync=off", "-c full_page_writes=off",
            "-c synchronous_commit=off", "-c max_connections=200",
        ])
        try:
            self._run("pg_ctl", "start", "-w", "-D", str(data), "-l",
                      str(self.folder / "server.log"), "-o", options)
        except subprocess.CalledProcessError as exc:
            log = (self.folder / "server.log")
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}") from exc
        return self

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        if self.folder is None:
            return
        with self._work:
            self._stopping = True
            self._work.notify_all()
        if self._helper is not None:
            self._helper.join(60)
        self._run("pg_ctl", "stop", "-D", str(self.folder / "data"), "-m", "immediate",
                  check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    # -- databases ----------------------------------------------------------------

    def url(self, database: str) -> str:
        """The URL of one of the cluster's databases."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def make_template(self) -> None:
        """Create the template database with the application's schema, once,
        and start keeping copies of it ready (see :meth:`create_database`)."""
        from player import db

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        conn = db.connect(self.url(TEMPLATE))
        try:
            db.upgrade(conn)
        finally:
            conn.close()
        self._helper = threading.Thread(target=self._keep_ready, name="pg-databases",
                                        daemon=True)
        self._helper.start()

    def _copy(self, template: str) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        # FILE_COPY copies the files: with fsync off, faster than WAL_LOG for a small database.
        self._admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return self.url(name)

    def _keep_ready(self) -> None:
        # Copies are made, and used ones dropped, while tests run: a test
        # waits for neither unless it outpaces this thread.
        while True:
            with self._work:
                while not self._stopping and not self._used and len(self._ready) >= READY:
                    self._work.wait()
                if self._stopping:
                    return
                # A test waiting for a copy comes before tidying up.
                used = self._used.pop() if self._used and self._ready else None
            try:
                if used is not None:
                    self._admin(f"DROP DATABASE IF EXISTS {used} WITH (FORCE)")
                    continue
                url = self._copy(TEMPLATE)
            except Exception as exc:  # the test that waits reports it
                url = exc
            with self._work:
                self._ready.append(url)
                self._work.notify_all()

    def create_database(self, empty: bool = False) -> str:
        """A new database with the current schema (or none, if ``empty``); its URL.

        :raises Exception: what PostgreSQL refused a copy of the template with.
        """
        if empty or self._helper is None:
            return self._copy("template0" if empty else TEMPLATE)
        with self._work:
            while not self._ready:
                self._work.notify_all()
                self._work.wait()
            url = self._ready.pop(0)
            self._work.notify_all()
        if isinstance(url, Exception):
            raise url
        return url

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (later, connections and all)."""
        with self._work:
            self._used.append(url.rsplit("/", 1)[1])
            self._work.notify_all()


def table_columns(conn) -> dict[str, list[str]]:
    """Every table of the app's database and its columns, on either backend."""
    if not isinstance(conn, sqlite3.Connection):
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
        tables: dict[str, list[str]] = {}
        for table, column in rows:
            tables.setdefault(table, []).append(column)
        return tables
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        " AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'search_cues_%' ORDER BY name")]
    names += [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'")]
    return {name: [c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')]
            for name in sorted(names)}
