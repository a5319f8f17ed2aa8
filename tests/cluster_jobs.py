"""A job kind for tests/test_cluster.py, registered in the cluster with
``PLAYER_JOBS_HANDLERS``: long enough for a test to kill the worker running it."""

from __future__ import annotations

import time

#: Steps of a slow job, a quarter of a second each.
STEPS = 16


def slow(job) -> dict:
    """Take four seconds, saying how far along it is; returns the attempt that finished."""
    for step in range(STEPS):
        job.progress(step / STEPS, f"step {step + 1} of {STEPS}")
        time.sleep(0.25)
    return {"finished_by_attempt": job.attempt}
