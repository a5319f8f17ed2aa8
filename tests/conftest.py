from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from player import create_app, db
from player.progress import writer as progress_writer
from tests.mediagen import make_media
from tests.pg_support import Cluster, server_bin_dir
from tests.s3_support import PREFIX, mirror, s3_bucket, s3_env, s3_server, s3_storage_for  # noqa: F401

pytest_plugins = ["tests.browser_support"]

CAPTIONS_EN = """WEBVTT

00:00:00.000 --> 00:00:01.500
Hello and welcome.

00:00:01.500 --> 00:00:03.000
This clip has captions.
"""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "databases(*names): run the tests that use the database once per"
        " backend named (without it: SQLite only)")


def pytest_generate_tests(metafunc):
    """Run tests that use the database once per backend their module names
    (``pytestmark = pytest.mark.databases("sqlite", "postgresql")``).

    TEST_DATABASES=sqlite (a comma-separated list) narrows that, e.g. on a
    machine without PostgreSQL.
    """
    if "database_backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("databases")
    names = list(marker.args) if marker else ["sqlite"]
    wanted = os.environ.get("TEST_DATABASES")
    if wanted:
        names = [n for n in names if n in wanted.split(",")]
    if names != ["sqlite"]:
        metafunc.parametrize("database_backend", names, indirect=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the session, with a migrated template database."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL is missing (Debian: apt-get install postgresql; .ci/run does)")
    cluster = Cluster(bin_dir).start()
    try:
        cluster.make_template()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def database_backend(request) -> str:
    """``sqlite`` or ``postgresql`` (see :func:`pytest_generate_tests`)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def make_database(request, database_backend, tmp_path):
    """``make(name)`` gives the DATABASE setting of a fresh database of the
    test's backend: a SQLite file, or a PostgreSQL database dropped afterwards
    (with the current schema, unless ``make(name, empty=True)``)."""
    cluster = (request.getfixturevalue("postgres_cluster")
               if database_backend == "postgresql" else None)
    made: list[str] = []

    def make(name: str = "player", empty: bool = False) -> str:
        if cluster is None:
            return str(tmp_path / f"{name}.sqlite")
        made.append(cluster.create_database(empty=empty))
        return made[-1]

    yield make
    for url in made:
        # Writers of the test's apps write what they hold while the database is there.
        for writer in list(progress_writer._WRITERS):
            if writer.database == url:
                writer.close(10)
        db.release(url)
        cluster.drop_database(url)


@pytest.fixture
def database_url(make_database) -> str:
    """The DATABASE setting of the app fixtures: a fresh database."""
    return make_database()


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
def storage_for(request, database_backend):
    """``storage_for(folder)`` gives the library a test's app reads: the
    folder itself (SQLite run), or a new bucket holding a copy of the folder's
    files (``postgresql`` run: PostgreSQL + S3, the two deployments the
    behaviour suite must pass on). Changes to the folder afterwards reach only
    the folder: tests write through the storage instead."""
    from player.library.storage import LocalStorage

    def make(folder: Path):
        if database_backend != "postgresql":
            return LocalStorage(folder)
        server = request.getfixturevalue("s3_server")
        request.getfixturevalue("s3_env")
        bucket = server.new_bucket()
        request.addfinalizer(lambda: server.drop_bucket(bucket))
        storage = s3_storage_for(server, bucket)
        mirror(storage, folder)
        return storage

    return make


@pytest.fixture
def make_app(storage_for, tmp_path):
    """``make_app(folder, **config)``: an app of the test's database backend
    whose library is :func:`storage_for` ``(folder)``."""

    def make(folder: Path, **config):
        storage = storage_for(folder)
        settings = {"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "test-secret"}
        if getattr(storage, "bucket", None):
            settings.update(STORAGE=f"s3://{storage.bucket}/{PREFIX.rstrip('/')}",
                            S3_ENDPOINT_URL=storage.endpoint_url,
                            # Unused, and so absent: nothing may fall back to a folder.
                            MEDIA_DIR=str(tmp_path / "no-media-folder"))
        return create_app({**settings, **config})

    return make


@pytest.fixture
def app(make_app, media_dir, database_url):
    """SQLite + the ``media_dir`` folder, or PostgreSQL + a bucket holding a
    copy of it; tests change the library through the ``library`` fixture."""
    return make_app(media_dir, DATABASE=database_url)


@pytest.fixture
def library(app):
    """The app's library storage (the folder, or the bucket on the
    ``postgresql`` run): ``write(name, data)``, ``read_bytes(name)``,
    ``exists(name)``, ``delete(name)``, ``list()``."""
    from player.library.catalog import get_storage

    return get_storage(app)


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


class Fetched:
    """What a viewer's browser ends up with: status, headers and bytes."""

    def __init__(self, status_code: int, headers, data: bytes):
        self.status_code, self.headers, self.data = status_code, headers, data


@pytest.fixture
def fetch(client):
    """``fetch(url, headers=None)`` GETs ``url`` from the app and, when the
    app redirects to the bucket (PostgreSQL + S3 run), follows the redirect as
    a browser does, so media tests hold for both storages."""
    import requests

    def get(url: str, headers: dict | None = None) -> Fetched:
        with client.get(url, headers=headers or {}) as response:
            location = response.headers.get("Location", "")
            if response.status_code in (302, 307) and location.startswith("http://127.0.0.1"):
                remote = requests.get(location, headers=headers or {}, timeout=10)
                return Fetched(remote.status_code, remote.headers, remote.content)
            return Fetched(response.status_code, response.headers, response.get_data())

    return get
