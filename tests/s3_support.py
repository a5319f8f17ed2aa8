"""A real S3 API on loopback for the tests of the object storage.

moto's standalone server (``moto_server``, from the ``moto[server]`` test
extra) speaks the S3 REST API, multipart uploads, conditional writes and
presigned URLs included. It is started once per test session on a free port
and reached through boto3 like any S3-compatible service; nothing of boto3 is
patched. Each test gets a bucket of its own.

To run an HTTP test module with the library in a bucket, import the fixtures
and let its ``app`` be ``s3_app``::

    from tests.s3_support import s3_app, s3_bucket, s3_env, s3_server  # noqa: F401

    @pytest.fixture
    def app(s3_app):
        return s3_app

``s3_app`` holds the files of ``media_dir`` in a bucket (copied when the test
starts) and is configured the way an operator would: ``STORAGE`` is
``s3://bucket/library`` and ``S3_ENDPOINT_URL`` the server's URL. A test that
changes ``media_dir`` afterwards changes nothing in the bucket: it writes
through :func:`player.library.catalog.get_storage` instead.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from player import create_app
from player.library.s3 import S3Storage

STARTUP_TIMEOUT = 30
#: The library's prefix in the test buckets.
PREFIX = "library/"
#: What a bucket of presigned media needs, as the README shows it: any page
#: may read the bytes (the app decides who gets a URL), ranges included, and
#: a player on another origin may read the range and length fields.
BUCKET_CORS = {
    "CORSRules": [{
        "AllowedOrigins": ["*"],
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": ["Range", "If-Match", "If-None-Match", "If-Modified-Since",
                           "If-Range"],
        "ExposeHeaders": ["Content-Range", "Accept-Ranges", "Content-Length", "ETag",
                          "Last-Modified"],
        "MaxAgeSeconds": 86400,
    }],
}
#: Credentials the server accepts (it accepts any); set for every test that
#: builds a storage from settings, as an operator sets them.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def moto_server_executable() -> str:
    """The ``moto_server`` of this Python's environment.

    :raises pytest.fail.Exception: when moto's server is not installed.
    """
    beside = Path(sys.executable).with_name("moto_server")
    path = str(beside) if beside.exists() else shutil.which("moto_server")
    if path is None:
        pytest.fail("moto_server is not installed: pip install 'moto[server]' (the test extra).")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    """A running S3 API: its URL, and a client of it for the tests' own checks."""

    endpoint_url: str
    client: object

    def new_bucket(self) -> str:
        """Make an empty bucket with :data:`BUCKET_CORS`; returns its name."""
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client.create_bucket(Bucket=name)
        self.client.put_bucket_cors(Bucket=name, CORSConfiguration=BUCKET_CORS)
        return name

    def drop_bucket(self, name: str) -> None:
        """Empty the bucket (objects and unfinished uploads) and delete it."""
        client = self.client
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", ()):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", ()):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in the bucket under ``prefix``, hidden ones included."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def leftovers(self, bucket: str, prefix: str = PREFIX) -> list[str]:
        """Staged uploads, unfinished multipart uploads and lock objects: what
        a storage must not leave behind once its work is done."""
        hidden = [key for key in self.keys(bucket, prefix) if key[len(prefix):].startswith(".")]
        uploads = self.client.list_multipart_uploads(Bucket=bucket).get("Uploads", ())
        return hidden + [f"multipart:{upload['Key']}" for upload in uploads]


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for the whole session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with open(log, "wb") as out:
        # Without its blanket CORS answer the server answers cross-origin
        # requests by the bucket's CORS rules alone, as S3 does.
        process = subprocess.Popen(
            [moto_server_executable(), "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true"},
            stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(port):
            if process.poll() is not None:
                pytest.fail(f"moto_server exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer within {STARTUP_TIMEOUT} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="test-key", aws_secret_access_key="test-secret",
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
        yield S3Server(endpoint, client)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_env(monkeypatch) -> dict[str, str]:
    """The standard AWS variables set as an operator would set them, and no
    configuration file of the machine's user read."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    return dict(CREDENTIALS)


@pytest.fixture
def s3_bucket(s3_server) -> Iterator[str]:
    """A new bucket with the CORS configuration presigned media needs."""
    name = s3_server.new_bucket()
    yield name
    s3_server.drop_bucket(name)


def s3_storage_for(server: S3Server, bucket: str, **options) -> S3Storage:
    """An S3Storage of ``bucket``'s library prefix, with 5 MiB parts (the
    least S3 allows) so tests reach multipart uploads with little data."""
    options.setdefault("part_size", 5 * 1024 * 1024)
    return S3Storage(bucket, PREFIX, endpoint_url=server.endpoint_url, **options)


def mirror(storage, folder: Path) -> None:
    """Write every file directly in ``folder`` to ``storage`` under its name."""
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            with path.open("rb") as source:
                storage.write(path.name, source)


@pytest.fixture
def s3_storage(s3_server, s3_bucket, s3_env, media_dir) -> S3Storage:
    """The files of ``media_dir`` in a bucket of their own."""
    storage = s3_storage_for(s3_server, s3_bucket)
    mirror(storage, media_dir)
    return storage


def s3_app_config(server: S3Server, bucket: str, tmp_path: Path, **config) -> dict:
    """Settings of an app whose library is ``s3://bucket/library``."""
    return {
        "TESTING": True,
        "STORAGE": f"s3://{bucket}/{PREFIX.rstrip('/')}",
        "S3_ENDPOINT_URL": server.endpoint_url,
        # Unused, and so absent: nothing may fall back to a folder.
        "MEDIA_DIR": str(tmp_path / "no-media-folder"),
        "DATABASE": str(tmp_path / "player.sqlite"),
        "SECRET_KEY": "test-secret",
        **config,
    }


@pytest.fixture
def s3_app(s3_server, s3_bucket, s3_env, media_dir, tmp_path):
    """The app of conftest's ``app``, with the library in a bucket."""
    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    return create_app(s3_app_config(s3_server, s3_bucket, tmp_path))


def _bucket_keys(storage: S3Storage) -> list[str]:
    pages = storage.client.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket, Prefix=storage.prefix)
    return sorted(item["Key"][len(storage.prefix):] for page in pages
                  for item in page.get("Contents", ()))


def storage_state(storage) -> dict[str, bytes]:
    """Every file of a library (folder or bucket) with its bytes, the upload
    area included, locks aside (they are not temporary files)."""
    if not isinstance(storage, S3Storage):
        root = storage.root
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and p.name != ".lock"}
    return {key: storage.client.get_object(Bucket=storage.bucket,
                                           Key=storage.prefix + key)["Body"].read()
            for key in _bucket_keys(storage) if not key.startswith(".locks/")}


def storage_temp_files(storage) -> list[str]:
    """The staged uploads of a library (names under ``.uploads/``), and on a
    bucket its unfinished multipart uploads too: what a finished or refused
    upload must not leave behind."""
    if not isinstance(storage, S3Storage):
        folder = storage.root / ".uploads"
        return (sorted(p.name for p in folder.iterdir() if p.name != ".lock")
                if folder.exists() else [])
    staged = [key[len(".uploads/"):] for key in _bucket_keys(storage)
              if key.startswith(".uploads/")]
    uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", ())
    return staged + [f"multipart:{upload['Key']}" for upload in uploads]


def assert_kept_aside(storage, before: dict[str, bytes]) -> list[str]:
    """Check that a refused upload changed nothing of the library (``before``
    is its :func:`storage_state`) and kept its media aside: a ``kept-`` record
    and bytes under ``.uploads/``, which a bucket leaves where the upload
    staged them. Returns the ``kept-`` names."""
    kept = [name for name in storage_temp_files(storage) if name.startswith("kept-")]
    staged = [name for name in storage_temp_files(storage) if not name.startswith("kept-")]
    assert len(staged) == (2 if getattr(storage, "bucket", None) else 0)
    after = storage_state(storage)
    assert sorted(key for key in after if key.startswith(".uploads/")) == sorted(
        f".uploads/{name}" for name in kept + staged)
    assert {k: v for k, v in after.items() if not k.startswith(".uploads/")} == before
    return kept
