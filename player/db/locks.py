"""Locks that several app servers share through the database.

On PostgreSQL a named lock is a session-level advisory lock, held by the
connection that took it until it lets go or closes (a server killed with
``kill -9`` loses its connections, and its locks with them). On SQLite the
database is on one machine, where the callers' own file locks already
serialize the work, so these hold nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .base import Connection, backend

#: Second keys in the application's advisory lock space (the first key is
#: :data:`player.db.postgresql.LOCK_SPACE`); kept apart from that module's
#: transaction-scoped locks.
SESSION_LOCKS = {"scan": 16}


def _keys(name: str) -> tuple[int, int]:
    from .postgresql import LOCK_SPACE

    return LOCK_SPACE, SESSION_LOCKS[name]


@contextmanager
def holding(conn: Connection, name: str) -> Iterator[None]:
    """Hold the named lock for the block, waiting for another holder to let go.

    :raises player.db.DatabaseError: if PostgreSQL cannot be asked.
    """
    if backend(conn).NAME != "postgresql":
        yield
        return
    conn.run("SELECT pg_advisory_lock(%s, %s)", _keys(name))
    try:
        yield
    finally:
        _unlock(conn, name)


@contextmanager
def trying(conn: Connection, name: str) -> Iterator[bool]:
    """Hold the named lock for the block if nobody holds it; yields whether it does.

    :raises player.db.DatabaseError: if PostgreSQL cannot be asked.
    """
    if backend(conn).NAME != "postgresql":
        yield True
        return
    got = bool(conn.run("SELECT pg_try_advisory_lock(%s, %s)", _keys(name)).fetchone()[0])
    try:
        yield got
    finally:
        if got:
            _unlock(conn, name)


def _unlock(conn: Connection, name: str) -> None:
    if conn.raw is None or conn.raw.closed:
        return  # gone with its connection
    conn.rollback()  # a failed transaction refuses every statement, the unlock too
    conn.run("SELECT pg_advisory_unlock(%s, %s)", _keys(name))
