"""The wheel is a working install: templates and static files travel with it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.demo import copy_demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, cwd=out,
    )
    (built,) = out.glob("accessible_player-*.whl")
    return built


def test_wheel_carries_templates_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("player/__init__.py", "player/templates/watch.html",
                   "player/templates/base.html", "player/static/player/player.js",
                   "player/static/player/player.css"):
        assert needed in names, f"{needed} missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "media/")) for n in names)


def test_installed_wheel_serves_pages_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import player, sys\n"
        "assert player.__file__.startswith(sys.argv[1]), player.__file__\n"
        "app = player.create_app({'MEDIA_DIR': sys.argv[2], 'DATABASE': 'db.sqlite',"
        " 'SECRET_KEY': 'x'})\n"
        "c = app.test_client()\n"
        "page = c.get('/watch/welcome')\n"
        "assert page.status_code == 200 and b'<video' in page.data, page.status_code\n"
        "js = c.get('/static/player/player.js')\n"
        "assert js.status_code == 200 and b'import' in js.data, js.status_code\n"
        "js.close()\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(target), str(copy_demo(tmp_path / "media"))],
        cwd=elsewhere, capture_output=True, text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
