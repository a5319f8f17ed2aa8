"""The caption editor with the library in a bucket (S3 API on loopback),
on SQLite and on PostgreSQL: a save writes the object through the storage
seam, keeps the version it replaced, refuses a stale If-Match, and a revert
brings the old text back."""

from __future__ import annotations

import pytest

from player import create_app
from player.library.catalog import get_storage
from tests.conftest import CAPTIONS_EN
from tests.publish_support import bearer, create_publisher
from tests.s3_support import (  # noqa: F401
    mirror,
    s3_app_config,
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage_for,
)

pytestmark = pytest.mark.databases("sqlite", "postgresql")

API = "/api/media/clip/tracks/en.captions"


@pytest.fixture
def app(s3_server, s3_bucket, s3_env, media_dir, tmp_path, database_url):  # noqa: F811
    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    return create_app(s3_app_config(s3_server, s3_bucket, tmp_path, DATABASE=database_url))


def test_save_stale_save_and_revert_in_a_bucket(app, client):
    headers = bearer(create_publisher(app))
    first = client.get(API, headers=headers)
    assert first.status_code == 200 and first.text == CAPTIONS_EN
    edited = CAPTIONS_EN.replace("Hello and welcome.", "Welcome, from the bucket.")
    saved = client.put(API, data=edited.encode(),
                       headers={**headers, "If-Match": first.headers["ETag"]})
    assert saved.status_code == 200, saved.text
    with app.app_context():
        assert get_storage().read_bytes("clip.en.vtt").decode() == edited
    assert client.get("/api/media/clip/transcript").json[0]["text"] == (
        "Welcome, from the bucket.")

    stale = client.put(API, data=b"WEBVTT\n\n00:00.000 --> 00:01.000\nLost\n",
                       headers={**headers, "If-Match": first.headers["ETag"]})
    assert stale.status_code == 412
    with app.app_context():
        assert get_storage().read_bytes("clip.en.vtt").decode() == edited

    listed = client.get(f"{API}/versions", headers=headers).json["versions"]
    assert [v["action"] for v in listed] == ["edit", "earlier"]
    reverted = client.post(f"{API}/versions/{listed[1]['id']}/revert",
                           headers={**headers, "If-Match": saved.headers["ETag"]})
    assert reverted.status_code == 200
    with app.app_context():
        assert get_storage().read_bytes("clip.en.vtt").decode() == CAPTIONS_EN
    assert client.get("/api/media/clip/transcript").json[0]["text"] == "Hello and welcome."
