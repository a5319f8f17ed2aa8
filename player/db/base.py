"""What both backends share: choosing one, their errors, and transactions.

A connection is either a :class:`sqlite3.Connection` (rows are
:class:`sqlite3.Row`) or a :class:`player.db.postgresql.Connection`, whose
rows read the same way, by position or by column name. Only this package
looks at which one it holds.
"""

from __future__ import annotations

import sqlite3
from types import ModuleType
from typing import Any


class DatabaseError(Exception):
    """PostgreSQL refused a statement or could not be reached (SQLite raises
    :class:`sqlite3.Error` instead; catch :data:`Error` for either)."""


class DatabaseIntegrityError(DatabaseError):
    """PostgreSQL refused a row that breaks a constraint, such as a taken unique name."""


#: Catch these for any failure of either backend.
Error = (sqlite3.Error, DatabaseError)
#: Catch these for a constraint (a unique name taken, a missing key) on either backend.
IntegrityError = (sqlite3.IntegrityError, DatabaseIntegrityError)

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
