"""Poster frames for videos published without one (the ``poster`` job)."""

from __future__ import annotations


def run(job):
    """Placeholder until the poster job lands."""
    return None
