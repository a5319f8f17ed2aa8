"""The README's job commands run as written, against a library with a
video that has no poster."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tests.jobs_support import PLAYER, ROOT
from tests.mediagen import make_media

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_job_commands_run_as_written(tmp_path, media_cache):
    block = re.search(r"<!-- job-commands -->\n```\n(.*?)```", README, re.S).group(1)
    commands = [line.split() for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands] == [["player", "worker"], ["player", "jobs"]]
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(make_media("mp4", media_cache), media / "harbour.mp4")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLAYER_")}
    env.update(PYTHONPATH=str(ROOT), PLAYER_MEDIA_DIR=str(media),
               PLAYER_DATABASE=str(tmp_path / "db.sqlite"), PLAYER_SECRET_KEY="readme",
               PLAYER_RENDITIONS="0")  # the poster job alone, no HLS renditions

    def player(*args: str) -> subprocess.CompletedProcess:
        run = subprocess.run([PLAYER, *args], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return run

    assert "1 video(s) without a poster" in player("scan").stdout
    queued = player("jobs").stdout.splitlines()
    assert queued[1].split()[1:4] == ["poster", "harbour", "queued"]
    worked = player(*commands[0][1:])
    assert "stopped after 1 job(s)" in worked.stdout
    assert (media / "harbour.jpg").read_bytes()[:2] == b"\xff\xd8"
    failed = player(*commands[1][1:])
    assert failed.stdout.splitlines() == ["ID  KIND  MEDIA  STATE  PROGRESS  MESSAGE",
                                          "No jobs in state failed."]
