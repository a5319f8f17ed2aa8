"""Helpers for the publishing tests: publishers, sign-in, and folder snapshots."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from player import db
from player.web import auth

GOOD_VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n"
# Two errors: a timing line with '->' (line 3) and a cue ending before it starts (line 6).
BROKEN_VTT = (b"WEBVTT\n\n00:00:00.000 -> 00:00:01.000\nHi\n\n"
              b"00:00:02.000 --> 00:00:01.000\nBackwards\n")
# Valid, but both too fast to read and too long a line: two warnings.
WARNING_VTT = (b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n"
               b"This caption line is much much longer than forty-two characters for sure\n")
GOOD_SRT = (b"1\n00:00:00,000 --> 00:00:01,500\nHello from SubRip.\n\n"
            b"2\n00:00:01,500 --> 00:00:02,500\nBye.\n")


def create_publisher(app, name: str = "pat") -> str:
    """Add a publisher straight to the app's database; returns their token."""
    conn = db.connect(app.config["DATABASE"])
    try:
        return auth.create_publisher(conn, name)
    finally:
        conn.close()


def revoke(app, name: str = "pat") -> None:
    conn = db.connect(app.config["DATABASE"])
    try:
        auth.revoke_publisher(conn, name)
    finally:
        conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client, name: str, secret: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_from(client.get("/publish/login").text)
    response = client.post("/publish/login",
                           data={"csrf_token": token, "name": name, "secret": secret})
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/publish/").text)


def folder_state(media_dir: Path) -> dict[str, bytes]:
    """Every file of the library with its bytes, the upload area included
    (its lock file aside, which is not a temporary file)."""
    return {
        str(p.relative_to(media_dir)): p.read_bytes()
        for p in sorted(media_dir.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def temp_files(media_dir: Path) -> list[str]:
    folder = media_dir / ".uploads"
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock") if folder.exists() else []


def sparse_wav(path: Path, size: int) -> Path:
    """A valid PCM WAV of ``size`` bytes (8 kHz, 16-bit mono silence) that
    takes no disk space."""
    rate = 8000
    header = (b"RIFF" + struct.pack("<I", size - 8) + b"WAVE"
              + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
              + b"data" + struct.pack("<I", size - 44))
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(size)
    return path
