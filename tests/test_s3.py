"""The library in S3-compatible object storage, against a real S3 API on
loopback (moto's server, reached through boto3 as any service would be):
streamed multipart uploads and what a failure leaves, the scan of a bucket,
item locks across app servers, and media that reaches viewers by redirect."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from player import create_app, db
from player.library.catalog import get_storage
from player.library.s3 import ObjectStoreError, S3Storage, content_type, parse_storage_url
from player.library.scan import scan
from player.library.storage import StorageError
from tests.browser_support import LiveServer
from tests.conftest import CAPTIONS_EN
from tests.mediagen import make_media
from tests.publish_support import GOOD_SRT, bearer, create_publisher, sparse_wav
from tests.s3_support import (  # noqa: F401  (fixtures)
    CREDENTIALS,
    PREFIX,
    mirror,
    s3_app,
    s3_app_config,
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage,
    s3_storage_for,
)

MiB = 1024 * 1024


@pytest.fixture
def app(s3_app):
    return s3_app


def multipart_body(path, boundary: str = "b0undary") -> bytes:
    return (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBig\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()


# -- the setting ---------------------------------------------------------------------------------

def test_the_setting_names_a_bucket_and_prefix():
    assert parse_storage_url("s3://media/library/news/") == ("media", "library/news/")
    assert parse_storage_url("s3://media") == ("media", "")
    for bad in ("s3://", "s3:///prefix", "http://media/x", "s3://media/x?versionId=1"):
        with pytest.raises(StorageError, match="s3://bucket"):
            parse_storage_url(bad)


def test_the_app_builds_its_storage_from_the_setting(s3_app, s3_server, s3_bucket):
    storage = get_storage(s3_app)
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == (s3_bucket, PREFIX)
    assert storage.endpoint_url == s3_server.endpoint_url
    assert storage.location("clip.mp4") == f"s3://{s3_bucket}/{PREFIX}clip.mp4"
    items = s3_app.test_client().get("/api/media").get_json()["items"]
    assert [item["id"] for item in items] == ["clip", "song"]


def test_settings_come_from_the_environment(s3_server, s3_bucket, s3_env, media_dir,
                                            tmp_path, monkeypatch):
    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    monkeypatch.setenv("PLAYER_STORAGE", f"s3://{s3_bucket}/library")
    monkeypatch.setenv("PLAYER_S3_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("PLAYER_MEDIA_BASE_URL", "https://cdn.example/library")
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "env.sqlite"),
                      "SECRET_KEY": "t"})
    storage = get_storage(app)
    assert isinstance(storage, S3Storage) and storage.bucket == s3_bucket
    item = app.test_client().get("/api/media/clip").get_json()
    assert item["sources"][0]["url"] == "https://cdn.example/library/clip.mp4"


def test_a_missing_bucket_is_file_not_found(s3_server, s3_env):
    storage = S3Storage("no-such-bucket-here", endpoint_url=s3_server.endpoint_url)
    with pytest.raises(FileNotFoundError):
        storage.list()


def test_an_unreachable_service_is_an_os_error(s3_env):
    storage = S3Storage("bucket", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ObjectStoreError):
        storage.write("x.vtt", b"WEBVTT\n")


# -- writing -------------------------------------------------------------------------------------

def parts_of(server, bucket):
    """``{key: [part sizes]}`` of the multipart uploads in progress."""
    found = {}
    for upload in server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", ()):
        parts = server.client.list_parts(Bucket=bucket, Key=upload["Key"],
                                         UploadId=upload["UploadId"]).get("Parts", ())
        found[upload["Key"]] = [part["Size"] for part in parts]
    return found


def test_an_upload_streams_to_the_bucket_in_parts(s3_storage, s3_server, s3_bucket):
    data = bytes(range(256)) * (11 * MiB // 256)
    upload = s3_storage.begin_upload()
    for start in range(0, 6 * MiB, MiB):
        upload.write(data[start:start + MiB])
    # One part has left memory for the bucket, before the upload is complete.
    in_progress = parts_of(s3_server, s3_bucket)
    assert list(in_progress.values()) == [[5 * MiB]]
    assert next(iter(in_progress)).startswith(PREFIX + ".uploads/upload-")
    assert len(upload._writer._buffer) == MiB  # the rest of the part, in memory
    for start in range(6 * MiB, len(data), MiB):
        upload.write(data[start:start + MiB])
    with upload.open() as reader:
        reader.seek(5 * MiB - 3)
        assert reader.read(6) == data[5 * MiB - 3:5 * MiB + 3]
    assert "big.mp4" not in [e.name for e in s3_storage.list()]
    entry = upload.commit("big.mp4")
    upload.discard()
    assert entry == s3_storage.stat("big.mp4") and entry.size == len(data)
    assert s3_storage.read_bytes("big.mp4") == data
    assert s3_server.leftovers(s3_bucket) == []


def test_a_discarded_upload_aborts_its_multipart_upload(s3_storage, s3_server, s3_bucket):
    upload = s3_storage.begin_upload()
    upload.write(b"\0" * (6 * MiB))
    assert len(parts_of(s3_server, s3_bucket)) == 1
    upload.discard()
    assert parts_of(s3_server, s3_bucket) == {}
    assert s3_server.leftovers(s3_bucket) == []


def test_a_big_write_is_one_multipart_upload_to_its_key(s3_storage, s3_server, s3_bucket):
    data = b"WEBVTT\n\n" + b"x" * (11 * MiB)
    entry = s3_storage.write("clip.fr.vtt", io.BytesIO(data))
    assert entry.etag.endswith("-3")  # three parts: 5 + 5 + 1 MiB
    assert s3_storage.read_bytes("clip.fr.vtt") == data
    head = s3_server.client.head_object(Bucket=s3_bucket, Key=PREFIX + "clip.fr.vtt")
    assert head["ContentType"] == "text/vtt; charset=utf-8"
    assert s3_server.leftovers(s3_bucket) == []


def test_a_big_write_that_fails_leaves_the_old_object_and_no_parts(s3_storage, s3_server,
                                                                    s3_bucket):
    old = s3_storage.read_bytes("clip.en.vtt")

    def chunks():
        yield b"WEBVTT\n\n" + b"x" * (6 * MiB)
        raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        s3_storage.write("clip.en.vtt", chunks())
    assert s3_storage.read_bytes("clip.en.vtt") == old
    assert s3_server.leftovers(s3_bucket) == []


def test_uploads_past_the_copy_limit_are_copied_in_parts(s3_server, s3_bucket, s3_env):
    storage = s3_storage_for(s3_server, s3_bucket, copy_limit=6 * MiB, copy_part_size=5 * MiB)
    data = bytes(range(251)) * (12 * MiB // 251)
    upload = storage.begin_upload()
    upload.write(data)
    entry = upload.commit("big.wav")
    assert entry.etag.endswith("-3") and entry == storage.stat("big.wav")
    assert storage.read_bytes("big.wav") == data
    head = s3_server.client.head_object(Bucket=s3_bucket, Key=PREFIX + "big.wav")
    assert head["ContentType"] == content_type("big.wav") == "audio/wav"
    assert s3_server.leftovers(s3_bucket) == []


def test_same_size_rewrites_in_one_second_change_the_modification_time(s3_storage):
    # LastModified has whole seconds; caches key on size and mtime_ns.
    first = s3_storage.write("clip.en.vtt", b"WEBVTT\n\nA")
    second = s3_storage.write("clip.en.vtt", b"WEBVTT\n\nB")
    assert first.size == second.size and first.mtime_ns != second.mtime_ns
    assert int(second.mtime) == second.mtime_ns // 10**9


def test_cleanup_takes_only_abandoned_uploads(s3_storage, s3_server, s3_bucket, s3_env):
    streaming = s3_storage.begin_upload()
    streaming.write(b"\0" * (6 * MiB))
    staged = s3_storage.begin_upload()
    staged.write(b"staged")
    staged.read_all()
    assert s3_storage.cleanup_uploads() == []  # both are in use
    assert len(s3_server.leftovers(s3_bucket)) == 2
    later = s3_storage_for(s3_server, s3_bucket, stale_upload_seconds=-60)
    assert later.cleanup_uploads() == sorted([streaming.name, staged.name])
    assert s3_server.leftovers(s3_bucket) == []
    staged.discard()
    streaming.discard()


# -- the scan ------------------------------------------------------------------------------------

def test_the_scan_lists_the_bucket_with_the_sidecar_convention(
        s3_server, s3_bucket, s3_env, media_cache, tmp_path):
    client = s3_server.client

    def put(name, data):
        client.put_object(Bucket=s3_bucket, Key=PREFIX + name, Body=data)

    put("talk.mp4", make_media("mp4", media_cache).read_bytes())
    put("talk.json", json.dumps({"title": "A talk", "language": "en"}).encode())
    put("talk.uk.subtitles.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nPryvit.\n")
    put("talk.en.srt", GOOD_SRT)
    put("talk.png", make_media("png", media_cache).read_bytes())
    put(".hidden.mp4", b"not listed")
    put("nested/deeper.mp4", b"not the library")
    client.put_object(Bucket=s3_bucket, Key="elsewhere.mp4", Body=b"outside the prefix")
    # Pages of two keys: the listing follows every continuation.
    storage = s3_storage_for(s3_server, s3_bucket, list_page_size=2)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path, STORAGE=storage,
                                   SCAN_ON_START=False))
    with app.app_context():
        result = scan(storage, db.get_db())
    assert result.problems == []
    [item] = result.items
    assert (item.id, item.title, item.poster) == ("talk", "A talk", "talk.png")
    assert sorted((t.srclang, t.kind) for t in item.tracks) == [
        ("en", "captions"), ("uk", "subtitles")]
    # The SRT became a WebVTT sidecar in the bucket.
    assert storage.read_bytes("talk.en.vtt").startswith(b"WEBVTT")
    names = [entry.name for entry in storage.list()]
    assert names == ["talk.en.srt", "talk.en.vtt", "talk.json", "talk.mp4", "talk.png",
                     "talk.uk.subtitles.vtt"]
    head = client.head_object(Bucket=s3_bucket, Key=PREFIX + "talk.mp4")
    entry = storage.stat("talk.mp4")
    assert entry.etag == head["ETag"].strip('"')
    assert entry.mtime == head["LastModified"].timestamp()
    assert entry.size == head["ContentLength"]


def test_probing_reads_headers_with_ranged_gets(s3_storage, monkeypatch, tmp_path):
    from player.library.probe import probe

    with sparse_wav(tmp_path / "long.wav", 6 * MiB).open("rb") as wav:
        s3_storage.write("long.wav", wav)
    asked = []
    real = S3Storage._get_range

    def counted(self, key, object_key, start, length, etag):
        asked.append(length)
        return real(self, key, object_key, start, length, etag)

    monkeypatch.setattr(S3Storage, "_get_range", counted)
    result = probe(s3_storage, "long.wav")
    assert result.kind == "audio" and result.duration > 0
    assert asked and sum(asked) <= 256 * 1024


# -- publishing through the app ------------------------------------------------------------------

def test_an_upload_through_the_api_lands_in_the_bucket(client, app, s3_server, s3_bucket,
                                                       media_cache):
    headers = bearer(create_publisher(app))
    response = client.post("/api/media", headers=headers, data={
        "title": "Bucket clip", "language": "en",
        "file": (make_media("mp4", media_cache).open("rb"), "upload.mp4"),
        "poster": (make_media("png", media_cache).open("rb"), "poster.png"),
        "captions": (io.BytesIO(GOOD_SRT), "captions.srt"),
    })
    assert response.status_code == 201, response.get_json()
    keys = s3_server.keys(s3_bucket, PREFIX + "bucket-clip")
    assert keys == [PREFIX + name for name in ("bucket-clip.en.vtt", "bucket-clip.json",
                                               "bucket-clip.mp4", "bucket-clip.png")]
    assert s3_server.leftovers(s3_bucket) == []
    item = client.get("/api/media/bucket-clip").get_json()
    assert [t["srclang"] for t in item["tracks"]] == ["en"]
    assert "Hello from SubRip." in client.get("/watch/bucket-clip/transcript.txt").text
    assert client.delete("/api/media/bucket-clip", headers=headers).status_code == 204
    assert s3_server.keys(s3_bucket, PREFIX + "bucket-clip") == []
    assert s3_server.leftovers(s3_bucket) == []


def test_a_big_upload_streams_through_and_is_copied_into_place(client, app, s3_server,
                                                                s3_bucket, tmp_path):
    headers = bearer(create_publisher(app))
    body = multipart_body(sparse_wav(tmp_path / "big.wav", 11 * MiB))
    response = client.post("/api/media", headers=headers, input_stream=io.BytesIO(body),
                           content_type="multipart/form-data; boundary=b0undary",
                           environ_overrides={"CONTENT_LENGTH": str(len(body))})
    assert response.status_code == 201, response.get_json()
    head = s3_server.client.head_object(Bucket=s3_bucket, Key=PREFIX + "big.wav")
    assert head["ContentLength"] == 11 * MiB and head["ContentType"] == "audio/wav"
    assert s3_server.leftovers(s3_bucket) == []


def test_an_upload_cut_off_midway_leaves_no_object_and_no_parts(client, app, s3_server,
                                                               s3_bucket, tmp_path):
    headers = bearer(create_publisher(app))
    before = s3_server.keys(s3_bucket)
    body = multipart_body(sparse_wav(tmp_path / "big.wav", 8 * MiB))
    # The client goes away after 7 MiB: one 5 MiB part was sent already.
    response = client.post(
        "/api/media", headers=headers, input_stream=io.BytesIO(body[: 7 * MiB]),
        content_type="multipart/form-data; boundary=b0undary",
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )
    assert response.status_code == 400
    assert s3_server.keys(s3_bucket) == before
    assert s3_server.leftovers(s3_bucket) == []


def test_an_upload_over_the_limit_leaves_no_object_and_no_parts(
        s3_server, s3_bucket, s3_env, media_dir, tmp_path):
    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path, MAX_UPLOAD_BYTES=7 * MiB))
    headers = bearer(create_publisher(app))
    before = s3_server.keys(s3_bucket)
    body = multipart_body(sparse_wav(tmp_path / "big.wav", 9 * MiB))
    response = app.test_client().post(
        "/api/media", headers=headers, input_stream=io.BytesIO(body),
        content_type="multipart/form-data; boundary=b0undary",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert s3_server.keys(s3_bucket) == before
    assert s3_server.leftovers(s3_bucket) == []


# -- locks across app servers --------------------------------------------------------------------

def test_a_lock_holds_across_app_servers_while_its_holder_lives(s3_server, s3_bucket, s3_env):
    # Two storages with clients of their own, as on two machines, and a
    # lifetime short enough that only renewals keep the lock.
    first = s3_storage_for(s3_server, s3_bucket, lock_ttl=1)
    second = s3_storage_for(s3_server, s3_bucket, lock_ttl=1)
    order = []

    def other():
        with second.lock("clip"):
            order.append(("second", time.monotonic()))

    with first.lock("clip"):
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(3)  # three lifetimes: the holder's renewals keep it
        order.append(("first", time.monotonic()))
    thread.join(10)
    assert [who for who, _ in order] == ["first", "second"]
    assert s3_server.leftovers(s3_bucket) == []


def test_the_lock_of_a_holder_that_died_is_broken(s3_server, s3_bucket, s3_env, caplog):
    storage = s3_storage_for(s3_server, s3_bucket)
    # What a process killed while holding the lock leaves: a lock nobody renews.
    dead = {"owner": "gone", "host": "elsewhere", "pid": 1, "ttl": 1, "renewal": 1}
    s3_server.client.put_object(Bucket=s3_bucket, Key=PREFIX + ".locks/clip",
                                Body=json.dumps(dead).encode())
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="player.library.s3"):
        with storage.lock("clip"):
            waited = time.monotonic() - started
            body = s3_server.client.get_object(Bucket=s3_bucket,
                                               Key=PREFIX + ".locks/clip")["Body"].read()
            assert json.loads(body)["owner"] != "gone"
    assert 1 <= waited < 10
    assert "broke the stale lock" in caplog.text
    assert s3_server.leftovers(s3_bucket) == []


def test_a_live_lock_is_not_broken(s3_server, s3_bucket, s3_env):
    storage = s3_storage_for(s3_server, s3_bucket)
    alive = {"owner": "busy", "host": "elsewhere", "pid": 1, "ttl": 60, "renewal": 1}
    s3_server.client.put_object(Bucket=s3_bucket, Key=PREFIX + ".locks/clip",
                                Body=json.dumps(alive).encode())
    taken = threading.Event()

    def take():
        with storage.lock("clip"):
            taken.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert not taken.wait(2.5)
    s3_server.client.delete_object(Bucket=s3_bucket, Key=PREFIX + ".locks/clip")
    assert taken.wait(5)
    thread.join(5)


# -- media reaches viewers without the app -------------------------------------------------------

def test_files_redirect_to_the_bucket_and_ranges_work(app, s3_server, media_dir):
    data = (media_dir / "clip.mp4").read_bytes()
    with LiveServer(app) as server:
        response = requests.get(server.url + "/files/clip/clip.mp4",
                                headers={"Range": "bytes=0-99", "Origin": "https://news.example"},
                                timeout=10)
        redirect = response.history[0]
        assert redirect.status_code == 307
        assert redirect.headers["Cache-Control"] == "private, max-age=60"
        assert redirect.headers["Access-Control-Allow-Origin"] == "*"
        assert response.url.startswith(s3_server.endpoint_url + "/")
        assert response.status_code == 206 and response.content == data[:100]
        assert response.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
        assert response.headers["Content-Type"] == "video/mp4"
        # The bucket's CORS rule lets a player on another origin read it.
        assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://news.example")
        assert "Content-Range" in response.headers["Access-Control-Expose-Headers"]
        tail = requests.get(server.url + "/files/clip/clip.mp4",
                            headers={"Range": "bytes=-10"}, timeout=10)
        assert tail.status_code == 206 and tail.content == data[-10:]


def test_tracks_are_sent_by_the_app(app, client):
    response = client.get("/files/clip/clip.en.vtt", headers={"Origin": "https://news.example"})
    assert response.status_code == 200
    assert response.text == CAPTIONS_EN
    assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    etag = response.headers["ETag"]
    again = client.get("/files/clip/clip.en.vtt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    since = client.get("/files/clip/clip.en.vtt",
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    part = client.get("/files/clip/clip.en.vtt", headers={"Range": "bytes=0-5"})
    assert part.status_code == 206 and part.data == b"WEBVTT"
    assert part.headers["Content-Range"] == f"bytes 0-5/{len(CAPTIONS_EN)}"
    stale = client.get("/files/clip/clip.en.vtt", headers={"Range": "bytes=0-5",
                                                           "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.text == CAPTIONS_EN
    unsatisfiable = client.get("/files/clip/clip.en.vtt", headers={"Range": "bytes=9999-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["Content-Range"] == f"bytes */{len(CAPTIONS_EN)}"
    assert client.get("/files/clip/clip.en.vtt",
                      headers={"If-Match": '"other"'}).status_code == 412
    # A publisher's change is seen at once, by every app server alike.
    get_storage(app).write("clip.en.vtt", CAPTIONS_EN.replace("welcome", "goodbye").encode())
    changed = client.get("/files/clip/clip.en.vtt", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "goodbye" in changed.text
    assert changed.headers["ETag"] != etag


def test_item_sources_point_at_the_app_which_redirects(client):
    item = client.get("/api/media/clip").get_json()
    assert item["sources"][0]["url"] == "http://localhost/files/clip/clip.mp4"
    assert item["tracks"][0]["url"] == "http://localhost/files/clip/clip.en.vtt"


def test_a_cdn_base_url_takes_the_place_of_presigned_urls(s3_server, s3_bucket, s3_env,
                                                          media_dir, tmp_path):
    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path,
                                   MEDIA_BASE_URL="https://cdn.example/library/"))
    client = app.test_client()
    item = client.get("/api/media/clip").get_json()
    assert item["sources"][0]["url"] == "https://cdn.example/library/clip.mp4"
    # Tracks stay with the app, for its CORS answer.
    assert item["tracks"][0]["url"] == "http://localhost/files/clip/clip.en.vtt"
    response = client.get("/files/clip/clip.mp4")
    assert response.status_code == 307
    assert response.headers["Location"] == "https://cdn.example/library/clip.mp4"
    assert client.get("/files/clip/clip.en.vtt").text == CAPTIONS_EN
    assert 'src="https://cdn.example/library/clip.mp4"' in client.get("/watch/clip").text


def test_a_cdn_base_url_quotes_names(media_dir, tmp_path):
    (media_dir / "clip.mp4").rename(media_dir / "my clip.mp4")
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "t",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "MEDIA_BASE_URL": "https://cdn.example"})
    item = app.test_client().get("/api/media/my-clip").get_json()
    assert item["sources"][0]["url"] == "https://cdn.example/my%20clip.mp4"


def _sigv4_query_signature(url: str, secret: str) -> str:
    """The SigV4 signature a presigned GET ``url`` must carry, computed here
    from the specification (query-string authentication, unsigned payload)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "X-Amz-Signature"]
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                               for k, v in sorted(query))
    canonical = "\n".join(["GET", quote(parts.path, safe="/-_.~"), canonical_query,
                           f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"])
    fields = dict(query)
    scope = fields["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", fields["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_presigned_urls_are_short_lived_and_signed(app, s3_storage):
    """moto serves presigned URLs without checking them, so the expiry is
    checked here as S3 checks it: the URL names its lifetime and when it was
    signed, and the signature covers both."""
    url = s3_storage.url_for_client("clip.mp4", 120)
    fields = dict(parse_qsl(urlsplit(url).query))
    assert fields["X-Amz-Expires"] == "120"
    signed = datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - signed).total_seconds()) < 60
    assert fields["X-Amz-Credential"].startswith(CREDENTIALS["AWS_ACCESS_KEY_ID"] + "/")
    assert fields["X-Amz-Signature"] == _sigv4_query_signature(
        url, CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    # The app's redirect uses a lifetime of an hour, and is cached for less.
    location = app.test_client().get("/files/clip/clip.mp4").headers["Location"]
    assert dict(parse_qsl(urlsplit(location).query))["X-Amz-Expires"] == "3600"
    assert requests.get(location, timeout=10).content == s3_storage.read_bytes("clip.mp4")
