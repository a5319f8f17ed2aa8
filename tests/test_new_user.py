"""What a new user does, in order, in a copy of the checkout: follow the
README's publishing section with the default settings (uploads land in the
checkout's ``media/``), then run the tests that read the demo library."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.mediagen import make_media

ROOT = Path(__file__).resolve().parent.parent
PLAYER = str(Path(sys.executable).with_name("player"))
SRT = "1\n00:00:00,000 --> 00:00:01,500\nA talk begins.\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_checkout(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".git", ".venv", "instance", "__pycache__", ".pytest_cache", "*.egg-info", "build"))
    return target


def test_no_test_reads_the_checkouts_media_folder_but_through_the_demo_copy():
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name in ("demo.py", "test_new_user.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"""(parent|parents\[\d\]|ROOT|REPO)\s*/\s*["']media["']""", text):
            offenders.append(path.name)
    assert offenders == [], "use tests.demo.copy_demo or the demo_media fixture"


def test_uploads_go_to_an_ignored_folder():
    ignored = subprocess.run(["git", "check-ignore", "-q", "media/.uploads/upload-1.part"],
                             cwd=ROOT)
    assert ignored.returncode == 0


def test_tests_pass_after_following_the_publishing_section(tmp_path, media_cache):
    checkout = copy_checkout(tmp_path / "checkout")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    for name in list(env):
        if name.startswith("PLAYER_"):
            del env[name]
    made = subprocess.run([PLAYER, "create-publisher", "alice"], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    token = re.search(r"\S{20,}", made.stdout).group(0)

    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed after the server stops)
    server = subprocess.Popen([PLAYER, "run", "--port", str(port)], cwd=checkout, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(base + "/api/media", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        talk = make_media("mp4", media_cache)
        with open(talk, "rb") as media:
            answer = requests.post(
                base + "/api/media", headers={"Authorization": f"Bearer {token}"},
                data={"title": "A talk", "language": "en"},
                files={"file": ("talk.mp4", media), "captions": ("talk.en.srt", SRT)},
                timeout=60)
        assert answer.status_code == 201, answer.text
        track = requests.post(
            base + "/api/media/a-talk/tracks", headers={"Authorization": f"Bearer {token}"},
            data={"kind": "subtitles", "srclang": "uk", "label": "Українська"},
            files={"file": ("talk.uk.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nДоповідь.\n")},
            timeout=60)
        assert track.status_code == 201, track.text
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert (checkout / "media" / "a-talk.mp4").exists()

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not browser",
         "tests/test_captions.py", "tests/test_page_language.py", "tests/test_readme.py",
         "tests/test_demo_media.py", "tests/test_embed.py", "tests/test_oembed.py"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
