"""What the publisher pages show of the queue: template globals for an
item's jobs, the queue's size and whether a worker is running."""

from __future__ import annotations

from flask import Flask

from .model import Job
from .queue import for_media, waiting_counts, worker_running
from .registry import LABELS

#: What a publisher reads for each state.
STATE_WORDS = {"queued": "Waiting", "running": "Running", "done": "Done", "failed": "Failed"}


def job_label(job: Job) -> str:
    """A job's name for people: "Poster frame"."""
    return LABELS.get(job.kind) or job.kind.replace("-", " ").replace("_", " ").capitalize()


def job_status(job: Job) -> str:
    """One sentence on where a job is: "Running: Reading the video."

    How far it is stays out: the progress bar shows it, and a live region
    read out at every percent would drown the page.
    """
    words = STATE_WORDS.get(job.state, job.state)
    message = job.message.strip()
    if job.state == "queued" and not message:
        message = "It runs when a background worker takes it."
    return f"{words}: {message}" if message else f"{words}."


def item_jobs(item_id: str) -> list[Job]:
    """The latest job of each kind an item has had, oldest first."""
    latest: dict[str, Job] = {}
    for job in for_media(item_id):
        latest[job.kind] = job
    return sorted(latest.values(), key=lambda job: job.id)


def queue_summary() -> dict:
    """How many jobs wait or run, on how many items, and whether a worker runs."""
    counts = waiting_counts()
    return {"job_count": sum(counts.values()), "item_count": len([k for k in counts if k]),
            "worker_running": worker_running() if counts else True}


def init_app(app: Flask) -> None:
    """Make the helpers above available to templates."""
    for function in (job_label, job_status, item_jobs, queue_summary, worker_running):
        app.add_template_global(function)
