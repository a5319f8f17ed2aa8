"""Commands shown in the README run and print what it says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLAYER = str(Path(sys.executable).with_name("player"))


def test_check_captions_example_prints_what_the_readme_shows():
    block = re.search(r"```\n\$ (player check-captions [^\n]+)\n(.*?)```", README, re.S)
    command, expected = block.group(1), block.group(2)
    run = subprocess.run([PLAYER, *command.split()[1:]], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.stdout == expected
    assert run.returncode == 1


def test_player_scan_reports_problems(tmp_path, media_cache):
    from tests.mediagen import make_media

    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(make_media("mp3", media_cache), media / "talk.mp3")
    (media / "notes.mp4").write_text("not a video")
    env = {**os.environ, "PLAYER_MEDIA_DIR": str(media),
           "PLAYER_DATABASE": str(tmp_path / "db.sqlite")}
    run = subprocess.run([PLAYER, "scan"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "notes.mp4: not playable: this is a text file" in run.stderr
    assert run.stdout.startswith("1 item(s) in ")


def test_flask_app_option_runs_the_same_commands(tmp_path, demo_media):
    env = {**os.environ, "PLAYER_MEDIA_DIR": str(demo_media),
           "PLAYER_DATABASE": str(tmp_path / "db.sqlite")}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "player", "scan"], cwd=tmp_path,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("2 item(s) in ")


def test_ci_runs_the_readme_test_command():
    block = re.search(r"<!-- test-command -->\n```\n(.+?)\n```", README, re.S)
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert block.group(1) in ci_lines


def test_publisher_commands_run_as_written(tmp_path):
    block = re.search(r"<!-- publisher-commands -->\n```\n(.*?)```", README, re.S).group(1)
    env = {**os.environ, "PLAYER_DATABASE": str(tmp_path / "db.sqlite"),
           "PLAYER_MEDIA_DIR": str(tmp_path / "media"), "PLAYER_SECRET_KEY": "readme"}
    (tmp_path / "media").mkdir()
    ran = []
    for line in block.splitlines():
        words = line.split("#", 1)[0].split()
        assert words[0] == "player"
        run = subprocess.run([PLAYER, *words[1:]], cwd=tmp_path, env=env, capture_output=True,
                             text=True, input="correct horse battery\ncorrect horse battery\n",
                             timeout=60)
        assert run.returncode == 0, (line, run.stdout, run.stderr)
        ran.append((words[1], run.stdout))
    listing = dict(ran)["list-publishers"]
    assert re.search(r"^alice\b.*admin$", listing, re.M), listing
    assert re.search(r"^bob\b.*admin$", listing, re.M), listing
