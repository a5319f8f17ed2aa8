"""``player worker`` (runs background jobs) and ``player jobs`` (lists or prunes them)."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from .model import STATES


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Run the jobs that are due now, then exit instead of waiting for more.")
@click.option("--poll", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds between looks at the queue when it is empty.")
@click.option("--grace", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="On SIGTERM or Ctrl-C, seconds the running job may still take before"
                   " it is given back to the queue at its next progress report.")
@with_appcontext
def worker_command(once: bool, poll: float, grace: float) -> None:
    """Run background jobs (poster frames and the like) from the queue.

    On SIGTERM or Ctrl-C the worker takes no more jobs, lets the running one
    finish (or gives it back to the queue after --grace seconds) and exits 0.
    Run one worker per machine; on SQLite, run one in all.
    """
    from .runner import Worker

    try:
        worker = Worker(current_app._get_current_object(), grace=grace, say=click.echo)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def stop(signum, frame):
        click.echo(f"{signal.Signals(signum).name}: taking no more jobs; stopping.", err=True)
        worker.request_stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    click.echo(f"Worker {worker.name} running jobs from {_where(current_app)}.")
    count = worker.run(once=once, poll=poll)
    click.echo(f"Worker {worker.name} stopped after {count} job(s).")


def _where(app) -> str:
    target = app.config["DATABASE"]
    # Never print a password from a PostgreSQL URL.
    return "PostgreSQL" if db.is_postgresql(target) else str(target)


@click.command("jobs")
@click.option("--state", "states", type=click.Choice(STATES), multiple=True,
              help="Only jobs in this state (repeat for several).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="How many of the latest jobs to list.")
@click.option("--prune", is_flag=True,
              help="Instead of listing, forget done jobs older than PLAYER_JOBS_KEEP_DAYS"
                   " (7) and failed ones older than PLAYER_JOBS_KEEP_FAILED_DAYS (30), as a"
                   " running worker does every hour.")
@with_appcontext
def jobs_command(states: tuple[str, ...], limit: int, prune: bool) -> None:
    """List the latest background jobs: id, kind, item, state, progress, message."""
    from .queue import keep_days, list_jobs, worker_running
    from .queue import prune as prune_jobs

    try:
        done_days, failed_days = keep_days(current_app.config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    conn = db.connect(current_app.config["DATABASE"])
    try:
        if prune:
            counts = prune_jobs(current_app.config, conn=conn)
            click.echo(f"Forgot {counts['done']} done job(s) older than {done_days:g} day(s)"
                       f" and {counts['failed']} failed job(s) older than {failed_days:g}"
                       " day(s).")
            return
        found = list_jobs(states, limit=limit, conn=conn)
        running = worker_running(conn=conn)
    finally:
        conn.close()
    rows = [("ID", "KIND", "MEDIA", "STATE", "PROGRESS", "MESSAGE")]
    rows += [(str(j.id), j.kind, j.media_id or "-", j.state, f"{j.progress:.0%}", j.message)
             for j in found]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)]
        click.echo("  ".join([*cells, row[5]]))
    if not found:
        click.echo("No jobs" + (f" in state {', '.join(states)}." if states else "."))
    if not running and any(j.active for j in found):
        click.echo("No background worker is running: jobs wait until one starts"
                   " (`player worker`).", err=True)
