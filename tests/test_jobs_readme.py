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
    assert [c[:2] for c in commands] == [["player", "worker"], ["player", "jobs"],
                                         ["player", "jobs"]]
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(make_media("mp4", media_cache), media / "harbour.mp4")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLAYER_")}
    env.update(PYTHONPATH=str(ROOT), PLAYER_MEDIA_DIR=str(media),
               PLAYER_DATABASE=str(tmp_path / "db.sqlite"), PLAYER_SECRET_KEY="readme",
               # Renditions are jobs of their own, tested where they are made.
               PLAYER_RENDITIONS="0")

    def player(*args: str) -> subprocess.CompletedProcess:
        run = subprocess.run([PLAYER, *args], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return run

    assert "1 video(s) without a poster" in player("scan").stdout
    queued = [line.split()[1:4] for line in player("jobs").stdout.splitlines()[1:]]
    assert ["poster", "harbour", "queued"] in queued
    worked = player(*commands[0][1:])
    assert re.search(r"job \d+ poster: done: Poster frame taken", worked.stdout), worked.stdout
    assert f"stopped after {len(queued)} job(s)" in worked.stdout
    assert (media / "harbour.jpg").read_bytes()[:2] == b"\xff\xd8"
    failed = player(*commands[1][1:])
    assert failed.stdout.splitlines() == ["ID  KIND  MEDIA  STATE  PROGRESS  MESSAGE",
                                          "No jobs in state failed."]
    # The poster job just finished: the default retention keeps it.
    pruned = player(*commands[2][1:])
    assert pruned.stdout == ("Forgot 0 done job(s) older than 7 day(s) and 0 failed job(s)"
                             " older than 30 day(s).\n")
    assert ["poster", "harbour", "done"] in [
        line.split()[1:4] for line in player("jobs").stdout.splitlines()[1:]]
