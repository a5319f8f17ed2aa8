"""The errors of the database seam, for either backend."""

from __future__ import annotations

import sqlite3


class DatabaseError(Exception):
    """PostgreSQL refused a statement or could not be reached (SQLite raises
    :class:`sqlite3.Error` instead; catch :data:`Error` for either)."""


class DatabaseIntegrityError(DatabaseError):
    """PostgreSQL refused a row that breaks a constraint, such as a taken unique name."""


#: Catch these for any failure of either backend.
Error = (sqlite3.Error, DatabaseError)
#: Catch these for a constraint (a unique name taken, a missing key) on either backend.
IntegrityError = (sqlite3.IntegrityError, DatabaseIntegrityError)
