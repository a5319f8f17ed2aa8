"""The demo library as shipped, copied for tests.

Tests never read the checkout's ``media/`` folder directly: a publisher who
follows the README uploads into that folder (the default ``PLAYER_MEDIA_DIR``),
and the suite must pass all the same. Only the files ``scripts/make_demo.py``
writes are copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHECKOUT_MEDIA = Path(__file__).resolve().parent.parent / "media"

DEMO_FILES = (
    "welcome.mp4",
    "welcome.json",
    "welcome.en.vtt",
    "welcome.uk.subtitles.vtt",
    "welcome.en.descriptions.vtt",
    "welcome.en.chapters.vtt",
    "welcome.jpg",
    "audio-tour.m4a",
    "audio-tour.json",
    "audio-tour.en.vtt",
)


def copy_demo(folder: Path) -> Path:
    """Copy the shipped demo files (and nothing else) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        shutil.copy2(CHECKOUT_MEDIA / name, folder / name)
    return folder
