"""What both backends share: choosing one, their errors, and transactions.

A connection is either a :class:`sqlite3.Connection` (rows are
:class:`sqlite3.Row`) or a :class:`player.db.postgresql.Connection`, whose
rows read the same way, by position or by column name. Only this package
looks at which one it holds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import DatabaseError, DatabaseIntegrityError, Error, IntegrityError

__all__ = ["Connection", "DatabaseError", "DatabaseIntegrityError", "Error", "IntegrityError",
           "Transaction", "backend", "connect", "is_postgresql"]


Connection = Any
"""A connection of either backend (see the module docstring)."""


def is_postgresql(target: object) -> bool:
    """Whether a ``DATABASE`` setting names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def backend(conn: Connection) -> ModuleType:
    """The module that speaks ``conn``'s dialect: :mod:`.sqlite` or :mod:`.postgresql`."""
    if isinstance(conn, sqlite3.Connection):
        from . import sqlite

        return sqlite
    # Imported only when a PostgreSQL connection exists, so that the default
    # setup never loads psycopg.
    from . import postgresql

    return postgresql


def connect(target: str | Path) -> Connection:
    """Open a connection of its own to a SQLite file or a PostgreSQL URL.

    The caller closes it. SQLite connections are configured for concurrent
    use by several workers; WAL mode is a property of the file, set by
    :func:`player.db.upgrade`.

    :raises DatabaseError: if a PostgreSQL server cannot be reached.
    """
    if is_postgresql(target):
        from . import postgresql

        return postgresql.connect(target)
    from . import sqlite

    return sqlite.connect(target)


class Transaction:
    """``with Transaction(conn):`` runs the block in one transaction, which
    takes the write lock at once on SQLite, and rolls it back on an exception."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._backend = backend(conn)

    def __enter__(self) -> Connection:
        self._backend.begin(self.conn)
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if not exc_type:
            self._backend.commit(self.conn)
        elif self.conn.in_transaction:
            # SQLite may have rolled back already (a full disk, say); the
            # block's own exception is the one to see.
            self._backend.rollback(self.conn)
