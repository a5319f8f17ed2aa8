"""HLS renditions with the library in S3-compatible object storage: ffmpeg
reads the source from a presigned URL, the renditions land beside the
library in the bucket with their Content-Type and Cache-Control, playlists
come from the app and segments from the bucket, and the library's listing
never shows them."""

from __future__ import annotations

from urllib.parse import urljoin

import m3u8
import pytest
import requests

from player import create_app, db
from player.library import nested
from player.library.catalog import find_item, get_storage
from player.library.scan import scan
from player.renditions import make_renditions
from tests.conftest import CAPTIONS_EN
from tests.mediagen import make_media
from tests.s3_support import (  # noqa: F401
    PREFIX,
    s3_app_config,
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage_for,
)
from tests.test_renditions import get, make_talk


@pytest.fixture
def app(s3_server, s3_bucket, s3_env, media_cache, tmp_path):
    storage = s3_storage_for(s3_server, s3_bucket)
    with make_talk(media_cache).open("rb") as talk:
        storage.write("talk.mp4", talk)
    storage.write("talk.en.vtt", CAPTIONS_EN.encode())
    with make_media("mp3", media_cache).open("rb") as song:
        storage.write("song.mp3", song)
    return create_app(s3_app_config(s3_server, s3_bucket, tmp_path,
                                    RENDITIONS_PRESET="ultrafast"))


def test_renditions_in_a_bucket(app, s3_server, s3_bucket):
    make_renditions(app, "talk")
    client = app.test_client()
    item = client.get("/api/media/talk").get_json()
    assert [r["height"] for r in item["renditions"]] == [240, 360]
    master_url = item["sources"][0]["url"]

    # Playlists come from the app, so their relative URIs lead back to it.
    master = get(client, master_url)
    assert master.status_code == 200 and master.headers["Cache-Control"] == "public, max-age=10"
    variant_url = urljoin(master_url, m3u8.loads(master.text).playlists[0].uri)
    variant = get(client, variant_url)
    assert variant.status_code == 200
    playlist = m3u8.loads(variant.text)

    # Segments are the bucket's to send: a redirect to a presigned URL.
    segment = get(client, urljoin(variant_url, playlist.segments[0].uri))
    assert segment.status_code == 307
    assert segment.headers["Cache-Control"] == "private, max-age=60"
    answer = requests.get(segment.headers["Location"], timeout=10)
    assert answer.status_code == 200 and answer.content[4:8] in (b"styp", b"moof")
    # Stored with the object, so the bucket (or a CDN before it) answers with them.
    assert answer.headers["Content-Type"] == "video/mp4"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    keys = s3_server.keys(s3_bucket, f"{PREFIX}.renditions/talk/")
    assert any(k.endswith("/master.m3u8") for k in keys)
    assert any(k.endswith("/v360-init.mp4") for k in keys)
    storage = get_storage(app)
    assert {e.name for e in storage.list()} == {"talk.mp4", "talk.en.vtt", "talk.json",
                                                "song.mp3"}
    with app.app_context():
        result = scan(storage, db.get_db())
    assert result.problems == []


def test_a_cdn_before_the_bucket_serves_every_rendition_file(s3_server, s3_bucket, s3_env,
                                                              media_cache, tmp_path):
    storage = s3_storage_for(s3_server, s3_bucket)
    with make_media("mp3", media_cache).open("rb") as song:
        storage.write("song.mp3", song)
    base = f"{s3_server.endpoint_url}/{s3_bucket}/{PREFIX.rstrip('/')}"
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path, MEDIA_BASE_URL=base))
    make_renditions(app, "song")
    item = app.test_client().get("/api/media/song").get_json()
    master_url = item["sources"][0]["url"]
    assert master_url.startswith(f"{base}/.renditions/song/t-")
    # The bucket answers for the CDN here: every URI resolves under the base URL.
    s3_server.client.put_bucket_policy(Bucket=s3_bucket, Policy=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",'
        f' "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{s3_bucket}/*"}}]}}'))
    master = requests.get(master_url, timeout=10)
    assert master.headers["Cache-Control"] == "public, max-age=10"
    audio_url = urljoin(master_url, m3u8.loads(master.text).playlists[0].uri)
    assert audio_url == item["audio_only"]["url"]
    audio = m3u8.loads(requests.get(audio_url, timeout=10).text)
    segment = requests.get(urljoin(audio_url, audio.segments[0].uri), timeout=10)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "audio/mp4"
    with app.app_context():
        from player.publish import uploads

        uploads.delete_item(storage, find_item("song"))
    assert nested.versions(storage, "song") == []
    assert s3_server.keys(s3_bucket, f"{PREFIX}.renditions/") == []
