"""The ``player`` command: ``player run``, ``player scan`` and friends.

``main`` is a FlaskGroup, so every command also works as ``flask --app player``.
"""

from __future__ import annotations

import atexit
import threading

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, get_debug_flag, with_appcontext
from flask.cli import run_command as flask_run
from werkzeug.serving import is_running_from_reloader

from .db.migrate import db_command as _db_command
from .sigterm import before_sigterm


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
    from .library.scan import scan

    storage = for_app(current_app)
    conn = db.connect(current_app.config["DATABASE"])
    try:
        result = scan(storage, conn)
        posters, renditions = _queue_jobs(result.items, conn)
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
        click.echo(f"{posters} video(s) without a poster: poster frames queued for"
                   " `player worker`.")
    if renditions:
        click.echo(f"{renditions} item(s) queued for streaming renditions; `player worker`"
                   " makes them.")


def _queue_jobs(items, conn) -> tuple[int, int]:
    """Queue what the library's items lack (a video's poster frame, streaming
    renditions); how many of each. A job already waiting is not queued twice."""
    from .library.poster import request_missing
    from .renditions import enqueue_stale

    return len(request_missing(items, conn)), enqueue_stale(items)


def _run_jobs_too(app: Flask) -> None:
    """The development server's own job worker: a thread that runs the
    queue's jobs (posters, renditions, alignment) beside the server, after
    queueing what the library lacks, so the demo streams and makes captions
    with nothing else to start. On exit it takes no more jobs and gives the
    running one back to the queue."""
    from . import db
    from .jobs.runner import Worker
    from .library.catalog import all_items

    with app.app_context():
        conn = db.connect(app.config["DATABASE"])
        try:
            posters, renditions = _queue_jobs(all_items(), conn)
        finally:
            conn.close()
    # The server stops at once, so the running job is given back at once.
    worker = Worker(app, grace=0.0)
    thread = threading.Thread(target=worker.run, name="player-jobs", daemon=True)
    thread.start()

    def stop() -> None:
        # The job's next progress report (ffmpeg's come twice a second) gives
        # it back; its tools stop and its temporary files go with it.
        worker.request_stop()
        thread.join(STOP_SECONDS)

    # At exit (Ctrl-C), and before SIGTERM ends the process on the spot.
    atexit.register(stop)
    before_sigterm(stop)
    click.echo(f" * Background jobs run in this process too ({posters + renditions} queued"
               " now); --no-jobs leaves them to `player worker`")


#: How long ``player run`` waits, when it stops, for its running job to be given back.
STOP_SECONDS = 5.0


def _run_command() -> click.Command:
    """Flask's ``run`` with ``--jobs/--no-jobs``: see :func:`_run_jobs_too`."""

    def run(jobs: bool, **options):
        ctx = click.get_current_context()
        reload = options.get("reload")
        if reload is None:
            reload = get_debug_flag()
        # With the reloader, the server (and so the worker) is the child process.
        if jobs and (not reload or is_running_from_reloader()):
            _run_jobs_too(ctx.ensure_object(ScriptInfo).load_app())
        return ctx.invoke(flask_run, **options)

    jobs = click.Option(["--jobs/--no-jobs"], default=True, envvar="PLAYER_RUN_JOBS",
                        show_default=True,
                        help="Run background jobs (posters, renditions, alignment) in this"
                             " process too.")
    return click.Command("run", callback=run, params=[*flask_run.params, jobs],
                         help=flask_run.help, short_help=flask_run.short_help)


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
# `player run` runs the job queue too; `flask --app player run` stays Flask's own.
main.add_command(_run_command())
# Also on the group itself, so that `player db upgrade` runs before the app
# is built: building it upgrades the schema, even with PLAYER_AUTO_UPGRADE=0.
main.add_command(_db_command)
