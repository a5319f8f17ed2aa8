"""Errors raised by the player's domain modules."""

from __future__ import annotations


class PlayerError(Exception):
    """Base error."""
