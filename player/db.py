"""The database seam: every SQL statement of the application lives here.

SQLite in WAL mode with a busy timeout, so readers never block the writer and
concurrent writers wait instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app, g

SCHEMA = """
CREATE TABLE IF NOT EXISTS probe_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS track_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    duration REAL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan_problems (
    path TEXT NOT NULL,
    message TEXT NOT NULL
);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection configured for concurrent use by several workers."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def init_app(app: Flask) -> None:
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(app.config["DATABASE"])
    try:
        init_schema(conn)
    finally:
        conn.close()
    app.teardown_appcontext(close_db)


class Transaction:
    """``with Transaction(conn):`` runs the block in one immediate transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


# -- probe and track caches ------------------------------------------------

def cached_probe(conn: sqlite3.Connection, path: str, size: int, mtime_ns: int) -> dict | None:
    row = conn.execute(
        "SELECT result FROM probe_cache WHERE path = ? AND size = ? AND mtime_ns = ?",
        (path, size, mtime_ns),
    ).fetchone()
    return json.loads(row["result"]) if row else None


def store_probe(conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, result: dict) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO probe_cache (path, size, mtime_ns, result) VALUES (?, ?, ?, ?)",
        (path, size, mtime_ns, json.dumps(result)),
    )


def cached_track(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, duration: float | None
) -> dict | None:
    row = conn.execute(
        "SELECT result FROM track_cache WHERE path = ? AND size = ? AND mtime_ns = ?"
        " AND duration IS ?",
        (path, size, mtime_ns, duration),
    ).fetchone()
    return json.loads(row["result"]) if row else None


def store_track(
    conn: sqlite3.Connection, path: str, size: int, mtime_ns: int, duration: float | None,
    result: dict,
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO track_cache (path, size, mtime_ns, duration, result)"
        " VALUES (?, ?, ?, ?, ?)",
        (path, size, mtime_ns, duration, json.dumps(result)),
    )


def forget_missing_paths(conn: sqlite3.Connection, existing: set[str]) -> None:
    for table in ("probe_cache", "track_cache"):
        stale = [
            row["path"] for row in conn.execute(f"SELECT path FROM {table}")
            if row["path"] not in existing
        ]
        conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in stale])


# -- the catalog -------------------------------------------------------------

def replace_catalog(
    conn: sqlite3.Connection, items: Iterable[dict], problems: Iterable[tuple[str, str]]
) -> None:
    """Swap the whole catalog in one transaction, so readers see the old or the new."""
    with Transaction(conn):
        conn.execute("DELETE FROM items")
        conn.executemany(
            "INSERT INTO items (id, position, data) VALUES (?, ?, ?)",
            [(item["id"], n, json.dumps(item)) for n, item in enumerate(items)],
        )
        conn.execute("DELETE FROM scan_problems")
        conn.executemany("INSERT INTO scan_problems (path, message) VALUES (?, ?)", problems)


def catalog(conn: sqlite3.Connection) -> list[dict]:
    return [json.loads(r["data"]) for r in conn.execute("SELECT data FROM items ORDER BY position")]


def catalog_item(conn: sqlite3.Connection, item_id: str) -> dict | None:
    row = conn.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
    return json.loads(row["data"]) if row else None


def scan_problems(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [(r["path"], r["message"]) for r in conn.execute("SELECT path, message FROM scan_problems")]
