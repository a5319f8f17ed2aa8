"""The database seam: every SQL statement of the application lives in this package.

The ``DATABASE`` setting (``PLAYER_DATABASE``) chooses the backend: a file
path (by default ``player.sqlite`` in the instance folder) is SQLite
(:mod:`.sqlite`); ``postgresql://user:pass@host:port/db`` is PostgreSQL
through psycopg 3 with a connection pool (:mod:`.postgresql`). The rest of
the application sees one interface: :func:`connect` and :func:`get_db` give
a connection, :class:`Transaction` wraps a transaction, and the query
functions (:mod:`.queries`) take the connection first. Rows read by
position or column name on both backends; catch :data:`Error` (or
:data:`IntegrityError`) for a failure of either.

The schema is versioned (:mod:`.migrate`): :func:`init_app` brings the
database up to date at start-up unless ``AUTO_UPGRADE`` is off, and
``player db upgrade`` does it on demand.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from flask import Flask, current_app, g

from . import migrate
from . import sqlite as _sqlite
from .base import (
    Connection,
    DatabaseError,
    DatabaseIntegrityError,
    Error,
    IntegrityError,
    Transaction,
    connect,
    is_postgresql,
)
from .migrate import SchemaError, force_upgrade, schema_version, upgrade
from .queries import (
    cached_probe,
    cached_track,
    catalog,
    catalog_item,
    catalog_version,
    clear_login_failures,
    forget_missing_paths,
    insert_publisher,
    list_publishers,
    login_failures,
    progress_batch_state,
    progress_delete_media,
    progress_delete_media_live,
    progress_delete_sessions,
    progress_drop_live,
    progress_drop_live_of_viewer,
    progress_duration_reports,
    progress_duration_votes,
    progress_erase_viewer,
    progress_expired_sessions,
    progress_fill_duration,
    progress_folded,
    progress_forget_erasures,
    progress_forget_votes,
    progress_item_durations,
    progress_live_tallies,
    progress_log_duration,
    progress_reported_duration,
    progress_resume_point,
    progress_save_folded,
    progress_save_live,
    progress_save_sessions,
    progress_save_votes,
    progress_sessions_of,
    progress_sessions_states,
    progress_set_player_duration,
    progress_viewers_with_plays,
    publisher_by_id,
    publisher_by_name,
    publisher_by_token_hash,
    record_login_failure,
    replace_catalog,
    revoke_publisher,
    scan_problems,
    search_counts,
    search_forget_track,
    search_hits,
    search_store_track,
    search_tracks,
    set_publisher_password,
    store_probe,
    store_track,
)

__all__ = [
    "Connection", "DatabaseError", "DatabaseIntegrityError", "Error", "IntegrityError",
    "SEARCH_TRACK_SHIFT", "SchemaError", "Transaction", "cached_probe", "cached_track",
    "catalog", "catalog_item", "catalog_version", "clear_login_failures", "close_db",
    "connect", "force_upgrade", "forget_missing_paths", "get_db", "init_app", "init_schema",
    "insert_publisher", "is_postgresql", "list_publishers", "login_failures",
    "progress_batch_state", "progress_delete_media", "progress_delete_media_live",
    "progress_delete_sessions", "progress_drop_live", "progress_drop_live_of_viewer",
    "progress_duration_reports", "progress_duration_votes", "progress_erase_viewer",
    "progress_expired_sessions", "progress_fill_duration", "progress_folded",
    "progress_forget_erasures", "progress_forget_votes", "progress_item_durations",
    "progress_live_tallies", "progress_log_duration", "progress_reported_duration",
    "progress_resume_point", "progress_save_folded", "progress_save_live",
    "progress_save_sessions", "progress_save_votes", "progress_sessions_of",
    "progress_sessions_states", "progress_set_player_duration", "progress_viewers_with_plays",
    "publisher_by_id", "publisher_by_name", "publisher_by_token_hash", "record_login_failure",
    "release", "replace_catalog", "revoke_publisher", "scan_problems", "schema_version",
    "search_counts", "search_forget_track", "search_hits", "search_store_track",
    "search_tracks", "set_publisher_password", "store_probe", "store_track", "upgrade",
    "writer_lock_file",
]

#: Cues of one track share the high bits of their key (both backends).
SEARCH_TRACK_SHIFT = _sqlite.SEARCH_TRACK_SHIFT


# One SQLite connection per thread, kept between requests: opening one costs
# more than serving a 64 KiB byte range. PostgreSQL connections come from
# the process's pool instead, one per request.
_local = threading.local()


def get_db() -> Connection:
    """This request's connection to the app's database, opened on first use.

    :raises DatabaseError: if PostgreSQL has no connection to spare in time.
    """
    target = current_app.config["DATABASE"]
    if is_postgresql(target):
        conn = g.get("db")
        if conn is None:
            from . import postgresql

            conn = g.db = postgresql.pooled(
                target, current_app.config.get("DATABASE_POOL_SIZE") or postgresql.POOL_SIZE)
        return conn
    conn = getattr(_local, "conn", None)
    if conn is None or _local.path != target:
        if conn is not None:
            conn.close()
        conn = _sqlite.connect(target)
        _local.conn, _local.path = conn, target
    g.db = conn
    return conn


def close_db(exc: BaseException | None = None) -> None:
    """End the request: never leave a transaction open on a kept connection,
    and give a pooled one back."""
    conn = g.pop("db", None)
    if conn is None:
        return
    if isinstance(conn, sqlite3.Connection):
        if conn.in_transaction:
            conn.rollback()
    else:
        conn.close()


def init_schema(conn: Connection) -> None:
    """Create the schema, or bring an older one up to date (see :func:`upgrade`)."""
    upgrade(conn)


def writer_lock_file(target: str) -> str | None:
    """The file a SQLite database's writers in several processes take turns
    on (with ``flock``); None for PostgreSQL, where writers run side by side
    and the statements lock what they read to write back."""
    return None if is_postgresql(target) else str(target) + ".writer-lock"


def release(target: str) -> None:
    """Close this process's pooled connections to ``target`` (PostgreSQL only)."""
    if is_postgresql(target):
        from . import postgresql

        postgresql.release(target)


def init_app(app: Flask) -> None:
    """Bring the schema up to date (unless ``AUTO_UPGRADE`` is off) and end
    each request's use of the database.

    :raises SchemaError: if the schema is older than this release and
        ``AUTO_UPGRADE`` is off: run ``player db upgrade`` first.
    """
    target = app.config["DATABASE"]
    if not is_postgresql(target):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(target)
    try:
        if _auto_upgrade(app) or force_upgrade.get():
            app.extensions["db_upgrade"] = upgrade(conn)
        else:
            migrate.check(conn)
    finally:
        conn.close()
    app.teardown_appcontext(close_db)


def _auto_upgrade(app: Flask) -> bool:
    value = app.config.get("AUTO_UPGRADE", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)
