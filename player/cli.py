"""The ``player`` command: ``player run``, ``player scan`` and friends.

``main`` is a FlaskGroup, so every command also works as ``flask --app player``.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .db.migrate import db_command as _db_command


def _create_app() -> Flask:
    from . import create_app
    from .db import SchemaError

    try:
        return create_app()
    except SchemaError as exc:
        # A message to act on, not a traceback.
        raise click.ClickException(str(exc)) from None


@click.command("scan")
@with_appcontext
def scan_command() -> None:
    """Rescan the media folder and report every problem found.

    Videos without a poster get a poster frame job, once per file.
    """
    from . import db
    from .library.backends import for_app
    from .library.poster import request_missing
    from .library.scan import scan
    from .renditions import enqueue_stale

    storage = for_app(current_app)
    conn = db.connect(current_app.config["DATABASE"])
    try:
        result = scan(storage, conn)
        posters = request_missing(result.items, conn)
    finally:
        conn.close()
    for path, message in result.problems:
        click.echo(f"{path}: {message}", err=True)
    click.echo(
        f"{len(result.items)} item(s) in {storage.location()};"
        f" {result.probed} file(s) probed, {result.validated} track(s) validated,"
        f" {len(result.problems)} problem(s)."
    )
    if posters:
        click.echo(f"{len(posters)} video(s) without a poster: poster frames queued for"
                   " `player worker`.")
    queued = enqueue_stale(result.items)
    if queued:
        click.echo(f"{queued} item(s) queued for streaming renditions; `player worker` makes them.")


def init_app(app: Flask) -> None:
    """Register every command of the ``player`` CLI: the one place they are listed."""
    from .captions import check_captions
    from .jobs.cli import jobs_command, worker_command
    from .produce.cli import COMMANDS as produce_commands
    from .progress.views import fold_progress_command
    from .publish.history import audit_command
    from .renditions.hlsjs import fetch_command as fetch_hlsjs
    from .web.auth import COMMANDS as publisher_commands

    for command in (scan_command, _db_command, check_captions, fold_progress_command,
                    *publisher_commands, audit_command, worker_command, jobs_command,
                    fetch_hlsjs, *produce_commands):
        app.cli.add_command(command)


main = FlaskGroup(
    create_app=_create_app,
    help="Accessible Player: serve audio and video with captions, transcripts and descriptions.",
)
# Also on the group itself, so that `player db upgrade` runs before the app
# is built: building it upgrades the schema, even with PLAYER_AUTO_UPGRADE=0.
main.add_command(_db_command)
