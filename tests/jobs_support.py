"""Job handlers for the queue's tests, and a `player worker` process to run them.

Worker processes find the handlers through the ``JOBS_HANDLERS`` setting
(:data:`HANDLERS`), as a site would register kinds of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from player import jobs

ROOT = Path(__file__).resolve().parent.parent
PLAYER = str(Path(sys.executable).with_name("player"))

HANDLERS = {
    "test-echo": "tests.jobs_support:echo",
    "test-record": "tests.jobs_support:record",
    "test-slow-first": "tests.jobs_support:slow_first",
    "test-steps": "tests.jobs_support:steps",
    "test-crash": "tests.jobs_support:crash",
    "test-refuse": "tests.jobs_support:refuse",
}


def echo(job: jobs.JobContext) -> dict:
    """Gives back its payload, and what it was told about itself."""
    return {"payload": job.payload, "media_id": job.media_id, "attempt": job.attempt}


def record(job: jobs.JobContext) -> dict:
    """Appends ``<job id> <pid>`` to the file the payload names (one write,
    so lines of several processes never mix), taking a moment as real work does."""
    line = f"{job.id} {os.getpid()}\n".encode()
    fd = os.open(job.payload["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    time.sleep(job.payload.get("sleep", 0.02))
    return {"pid": os.getpid()}


def slow_first(job: jobs.JobContext) -> dict:
    """First attempt: writes the marker file the payload names, then hangs
    (to be killed). Later attempts finish at once."""
    if job.attempt == 1:
        Path(job.payload["marker"]).write_text(str(os.getpid()))
        time.sleep(600)
    return {"attempt": job.attempt}


def steps(job: jobs.JobContext) -> dict:
    """Reports progress ``payload["steps"]`` times, ``payload["pause"]`` s apart,
    touching the marker file (if named) once it has begun."""
    count = int(job.payload.get("steps", 3))
    for step in range(count):
        job.progress(step / count, f"Step {step + 1} of {count}")
        if step == 0 and job.payload.get("marker"):
            Path(job.payload["marker"]).write_text("started")
        time.sleep(float(job.payload.get("pause", 0)))
    return {"steps": count, "message": f"All {count} steps done."}


def crash(job: jobs.JobContext) -> None:
    """Always fails in a way worth retrying."""
    raise OSError(f"disk not ready (attempt {job.attempt})")


def refuse(job: jobs.JobContext) -> None:
    """Fails for good, with a message for the publisher."""
    raise jobs.JobFailed("The file is not a video: upload an MP4 or WebM.")


def worker_env(database: str, media_dir: Path, **settings: object) -> dict[str, str]:
    """The environment of a `player worker` process on this checkout."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLAYER_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "PLAYER_DATABASE": database,
        "PLAYER_MEDIA_DIR": str(media_dir),
        "PLAYER_SECRET_KEY": "test-secret",
        "PLAYER_JOBS_HANDLERS": json.dumps(HANDLERS),
    })
    env.update({f"PLAYER_{k}": json.dumps(v) if not isinstance(v, str) else v
                for k, v in settings.items()})
    return env


def app_worker_env(app, **settings: object) -> dict[str, str]:
    """The environment of a `player worker` of ``app``'s deployment: its
    database and its library (the folder, or the bucket and its endpoint)."""
    for name in ("STORAGE", "S3_ENDPOINT_URL"):
        if app.config.get(name):
            settings.setdefault(name, app.config[name])
    return worker_env(app.config["DATABASE"], Path(app.config["MEDIA_DIR"]), **settings)


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """Start `player worker` with its output in ``log``, in a process group of
    its own (as a terminal starts it: Ctrl-C there signals the whole group)."""
    with open(log, "ab") as out:
        return subprocess.Popen([PLAYER, "worker", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Wait until ``predicate()`` is true.

    :raises AssertionError: if it is still false after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
