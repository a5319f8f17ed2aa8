from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from player import create_app
from tests.mediagen import make_media

pytest_plugins = ["tests.browser_support"]

CAPTIONS_EN = """WEBVTT

00:00:00.000 --> 00:00:01.500
Hello and welcome.

00:00:01.500 --> 00:00:03.000
This clip has captions.
"""


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory) -> Path:
    """Generated media, made once per test session."""
    return tmp_path_factory.mktemp("media-cache")


@pytest.fixture
def media_dir(tmp_path, media_cache) -> Path:
    """A small library: a captioned video and an audio item."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(CAPTIONS_EN, encoding="utf-8")
    (folder / "clip.json").write_text('{"title": "A short clip", "description": "Testing."}')
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    return folder


@pytest.fixture
def app(media_dir, tmp_path):
    return create_app({
        "TESTING": True,
        "MEDIA_DIR": str(media_dir),
        "DATABASE": str(tmp_path / "player.sqlite"),
        "SECRET_KEY": "test-secret",
    })


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory) -> Path:
    """A copy of the shipped demo library, for tests that only read it."""
    from tests.demo import copy_demo

    return copy_demo(tmp_path_factory.mktemp("demo") / "media")
