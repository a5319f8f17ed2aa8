"""The demo library as shipped, copied for tests.

Tests never read the checkout's ``media/`` folder directly: a publisher who
follows the README uploads into that folder (the default ``PLAYER_MEDIA_DIR``),
and the suite must pass all the same. Only the files ``scripts/make_demo.py``
writes are copied.
"""

from __future__ import annotations

import json
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


# What the app adds to an item's STEM.json once it has made the item's
# streams (``player run`` does, in the checkout): not part of the demo as shipped.
APP_RECORDS = ("renditions",)


def shipped(path: Path) -> bytes:
    """A demo file as ``scripts/make_demo.py`` wrote it: a sidecar without
    the records the app has added since (same formatting as the script's)."""
    data = path.read_bytes()
    if path.suffix != ".json":
        return data
    meta = json.loads(data)
    if not any(key in meta for key in APP_RECORDS):
        return data
    for key in APP_RECORDS:
        meta.pop(key, None)
    return (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def copy_demo(folder: Path) -> Path:
    """Copy the shipped demo files (and nothing else) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        source = CHECKOUT_MEDIA / name
        if name.endswith(".json"):
            (folder / name).write_bytes(shipped(source))
            shutil.copystat(source, folder / name)
        else:
            shutil.copy2(source, folder / name)
    return folder
