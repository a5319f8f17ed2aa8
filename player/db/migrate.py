"""Schema versions: numbered SQL files per backend, applied in order.

``migrations/<backend>/NNNN_what.sql`` takes the schema from version
NNNN - 1 to NNNN. :func:`upgrade` applies the files a database lacks, each
in a transaction of its own with the new version recorded in the table
``schema_migrations``, so a failed step leaves the previous version intact
and a later run starts where it stopped. Several processes may start at
once: on SQLite the transaction holds the write lock, on PostgreSQL an
advisory lock, and each re-reads the version under it.

Version 1 is the schema of the release before versions existed, written so
that it adopts a database that release made (``CREATE ... IF NOT EXISTS``):
such a database counts as version 0 and keeps every row.

Rules for new files: only add (tables, columns, indexes) or move data
forward; never ``DROP`` or delete anything a user made, since a database
cannot go back to an older release's file; write the same step for each
backend under the same number.
"""

from __future__ import annotations

import contextvars
import re
import time
from dataclasses import dataclass
from pathlib import Path

import click

from ..errors import PlayerError
from .base import Connection, Transaction, backend, connect

MIGRATIONS = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")

_VERSIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)

#: Set while ``player db upgrade`` loads the app: the schema is upgraded
#: even when ``AUTO_UPGRADE`` is off.
force_upgrade: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "force_upgrade", default=False)


class SchemaError(PlayerError, RuntimeError):
    """The database's schema is older than this release's and may not be upgraded now."""


@dataclass(frozen=True)
class Migration:
    """One step: the schema version it makes, its name and its file."""

    version: int
    name: str
    path: Path

    def __str__(self) -> str:
        return f"{self.version:04d} {self.name.replace('_', ' ')}"


def migrations(backend_name: str) -> list[Migration]:
    """A backend's steps in version order.

    :raises RuntimeError: if the numbers do not run 1, 2, 3... without a gap.
    """
    steps = []
    for path in sorted((MIGRATIONS / backend_name).iterdir()):
        match = _FILE.match(path.name)
        if match:
            steps.append(Migration(int(match[1]), match[2], path))
    if [m.version for m in steps] != list(range(1, len(steps) + 1)):
        raise RuntimeError(f"the {backend_name} migrations are not numbered 1, 2, 3...:"
                           f" {[m.path.name for m in steps]}")
    return steps


def latest_version(conn: Connection) -> int:
    """The schema version this release makes on ``conn``'s backend."""
    return len(migrations(backend(conn).NAME))


def schema_version(conn: Connection) -> int:
    """The database's schema version; 0 for a database from before versions (or empty)."""
    if not backend(conn).table_exists(conn, "schema_migrations"):
        return 0
    return conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0


def upgrade(conn: Connection) -> list[Migration]:
    """Apply the steps the database lacks, in order; the ones applied.

    :raises player.db.Error: if a step fails; it is rolled back, the steps
        before it stay applied.
    """
    impl = backend(conn)
    impl.prepare(conn)
    steps = migrations(impl.NAME)
    if schema_version(conn) >= len(steps):
        return []
    applied = []
    for step in steps:
        with Transaction(conn):
            impl.lock(conn, "migrate")
            conn.execute(_VERSIONS_TABLE)
            if schema_version(conn) >= step.version:
                continue
            impl.run_script(conn, step.path.read_text(encoding="utf-8"))
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at)"
                         " VALUES (?, ?, ?)",
                         (step.version, step.name,
                          time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())))
        applied.append(step)
    return applied


def check(conn: Connection) -> None:
    """Refuse a schema older than this release's.

    :raises SchemaError: if it is older.
    """
    have, want = schema_version(conn), latest_version(conn)
    if have < want:
        raise SchemaError(
            f"The database schema is at version {have}; this release needs version {want}."
            " Automatic upgrades are off (PLAYER_AUTO_UPGRADE=0): run `player db upgrade`.")


# -- command line ---------------------------------------------------------------

@click.group("db")
def db_command() -> None:
    """The database: schema versions and upgrades."""


@db_command.command("upgrade")
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Bring the database schema up to date, keeping every row.

    Runs even when automatic upgrades at start-up are off (PLAYER_AUTO_UPGRADE=0).
    """
    from flask.cli import ScriptInfo

    token = force_upgrade.set(True)
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
    finally:
        force_upgrade.reset(token)
    conn = connect(app.config["DATABASE"])
    try:
        # Start-up upgraded already, unless the app was loaded before this command.
        for step in [*app.extensions.get("db_upgrade", []), *upgrade(conn)]:
            click.echo(f"Applied {step}.")
        have, want = schema_version(conn), latest_version(conn)
    finally:
        conn.close()
    if have > want:
        click.echo(f"The database schema is at version {have}, newer than this release"
                   f" knows ({want}); nothing to do.")
    else:
        click.echo(f"The database schema is at version {have}, up to date.")
