"""The publishing API: uploads of every format, rejections, tracks, deletion."""

from __future__ import annotations

import errno
import io
import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from player import create_app, db
from player.library.catalog import get_storage
from player.library.storage import LocalStorage
from player.progress import views as progress_api
from player.publish import uploads
from tests.browser_support import LiveServer
from tests.mediagen import ffmpeg_duration, make_media
from tests.pg_support import table_columns
from tests.publish_support import (
    BROKEN_VTT,
    GOOD_SRT,
    GOOD_VTT,
    WARNING_VTT,
    bearer,
    create_publisher,
    temp_files,
)
from tests.s3_support import assert_kept_aside, storage_state, storage_temp_files

pytestmark = pytest.mark.databases("sqlite", "postgresql")

# name -> (kind, Content-Type) the library must find by content.
FORMATS = {
    "mp4": ("video", "video/mp4"),
    "m4a": ("audio", "audio/mp4"),
    "webm_vp8_vorbis": ("video", "video/webm"),
    "webm_vp9_opus": ("video", "video/webm"),
    "mkv": ("video", "video/x-matroska"),
    "mp3": ("audio", "audio/mpeg"),
    "ogg_vorbis": ("audio", "audio/ogg"),
    "opus": ("audio", "audio/ogg"),
    "flac": ("audio", "audio/flac"),
    "wav": ("audio", "audio/wav"),
}

# name -> (status, words the message must contain)
BAD_FILES = {
    "text_as_mp4": (415, "text file"),
    "png": (415, "PNG image"),
    "empty": (415, "empty"),
    "truncated_mp4": (422, "truncated"),
    "mp4_header_garbage": (422, "damaged"),
}


@pytest.fixture
def headers(app):
    return bearer(create_publisher(app))


def post_media(client, headers, path: Path, filename: str | None = None, **fields):
    data = {"title": "", "description": "", "language": "en", **fields,
            "file": (path.open("rb"), filename or path.name)}
    return client.post("/api/media", headers=headers, data=data)


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_becomes_an_item(client, fetch, headers, media_cache, library, name):
    path = make_media(name, media_cache)
    response = post_media(client, headers, path, title=f"Clip {name}",
                          description="Made by ffmpeg.")
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    kind, mime = FORMATS[name]
    assert item["id"] == f"clip-{name}"
    assert item["title"] == f"Clip {name}"
    assert item["description"] == "Made by ffmpeg."
    assert item["kind"] == kind
    assert item["sources"][0]["type"] == mime
    assert item["duration"] == pytest.approx(ffmpeg_duration(path), abs=0.1)
    assert response.headers["Location"].endswith(f"/api/media/{item['id']}")
    assert client.get(f"/api/media/{item['id']}").get_json() == item
    served = fetch(item["sources"][0]["url"])
    assert served.status_code == 200 and served.data == path.read_bytes()
    assert storage_temp_files(library) == []


def test_format_is_judged_by_content_not_name(client, headers, media_cache, library):
    mp3 = make_media("mp3", media_cache)
    response = post_media(client, headers, mp3, filename="interview.mp4", title="Interview")
    assert response.status_code == 201
    item = response.get_json()
    assert item["kind"] == "audio" and item["sources"][0]["type"] == "audio/mpeg"
    assert library.read_bytes("interview.mp3") == mp3.read_bytes()
    assert not library.exists("interview.mp4")


def test_title_defaults_to_the_file_name(client, headers, media_cache):
    response = post_media(client, headers, make_media("m4a", media_cache),
                          filename="Morning_news-part-1.m4a")
    assert response.status_code == 201
    assert response.get_json()["title"] == "Morning news part 1"
    assert response.get_json()["id"] == "morning-news-part-1"


def test_ids_are_unique(client, headers, media_cache, library):
    library.write("Same Title.mp3", make_media("mp3", media_cache).read_bytes())
    path = make_media("m4a", media_cache)
    ids = [post_media(client, headers, path, title="Same title").get_json()["id"]
           for _ in range(3)]
    assert ids == ["same-title-2", "same-title-3", "same-title-4"]
    # A leftover sidecar also keeps its stem from being reused.
    library.write("orphan.en.vtt", GOOD_VTT)
    assert post_media(client, headers, path, title="Orphan").get_json()["id"] == "orphan-2"


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_rejected_and_leave_nothing(client, headers, media_cache, library, name):
    before = storage_state(library)
    catalog = client.get("/api/media").get_json()
    response = post_media(client, headers, make_media(name, media_cache), title="Bad")
    status, words = BAD_FILES[name]
    assert response.status_code == status
    error = response.get_json()["error"]
    assert words in error["message"]
    assert error["details"]["reason"]
    if status == 415:
        assert error["code"] == "unsupported_media_type"
        for accepted in ("MP4", "WebM", "MP3", "Ogg", "FLAC", "WAV"):
            assert accepted in error["message"]
        assert error["details"]["accepted_formats"]
    else:
        assert error["code"] == "unprocessable"
    assert storage_state(library) == before
    assert storage_temp_files(library) == []
    assert client.get("/api/media").get_json() == catalog


def test_missing_file_and_bad_fields_are_400(client, headers, library, media_cache):
    response = client.post("/api/media", headers=headers,
                           data={"title": "x" * 201, "language": "English"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"title", "language", "file"}
    response = post_media(client, headers, make_media("mp3", media_cache), language="en_GB!")
    assert response.status_code == 400
    assert storage_temp_files(library) == []


def test_a_body_that_is_not_multipart_is_415(client, headers):
    response = client.post("/api/media", headers=headers, json={"title": "x"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("content_type", [
    "multipart/form-data; boundary=\"\u00e9t\u00e9\"", "multipart/form-data; boundary=" + "x" * 201,
    "multipart/form-data; boundary=\"ends with space \"",
])
def test_a_bad_boundary_is_400(client, headers, content_type):
    response = client.post("/api/media", headers={**headers, "Content-Type": content_type},
                           data=b"--x--\r\n")
    assert response.status_code == 400
    assert "boundary" in response.get_json()["error"]["message"]


def test_a_malformed_body_is_400_and_leaves_nothing(client, headers, library):
    before = storage_state(library)
    body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
            b"\r\n" + b"\0" * 5000)
    response = client.post("/api/media", headers=headers, data=body,
                           content_type="multipart/form-data; boundary=b0undary")
    assert response.status_code == 400
    assert "not valid multipart/form-data" in response.get_json()["error"]["message"]
    assert storage_state(library) == before


def test_multipart_without_its_boundary_says_so(client, headers):
    response = client.post("/api/media", headers={**headers, "Content-Type": "multipart/form-data"},
                           data=b"--x--\r\n")
    assert response.status_code == 400
    assert "needs its boundary parameter" in response.get_json()["error"]["message"]


def test_a_body_with_no_part_says_why(client, headers):
    response = client.post("/api/media", headers=headers, data=b"title=x&file=y",
                           content_type="multipart/form-data; boundary=b0undary")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "The request body is not valid multipart/form-data: no part begins with the"
        " boundary its Content-Type names.")


def raw_post(url: str, head: str, body: bytes) -> tuple[int, dict]:
    """POST over a socket with exactly the header lines given."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"POST /api/media HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}"
                     "Connection: close\r\n\r\n".encode() + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head_text, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_text.split()[1]), json.loads(payload)


def test_a_body_of_unknown_length_is_411_and_a_bad_length_400(app, headers, library):
    """RFC 9112 §6.3: no Content-Length and no chunked framing leaves the
    body's end unknown; RFC 9110 §15.5.12 has 411 for that."""
    before = storage_state(library)
    head = (f"Authorization: {headers['Authorization']}\r\n"
            "Content-Type: multipart/form-data; boundary=b0undary\r\n")
    body = b"--b0undary--\r\n"
    with LiveServer(app) as server:
        status, unknown = raw_post(server.url, head, body)
        assert status == 411
        assert unknown["error"]["code"] == "length_required"
        assert "Content-Length" in unknown["error"]["message"]
        status, bad = raw_post(server.url, head + "Content-Length: abc\r\n", body)
    assert status == 400
    assert "'abc' is not a number of bytes" in bad["error"]["message"]
    assert storage_state(library) == before


@pytest.fixture
def small_app(make_app, media_dir, database_url):
    return make_app(media_dir, DATABASE=database_url, SECRET_KEY="t", MAX_UPLOAD_BYTES=20_000)


def multipart_body(path: Path, boundary: str = "b0undary") -> bytes:
    return (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBig\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()


def test_too_large_with_content_length_is_413_saying_the_limit(small_app, media_cache):
    client = small_app.test_client()
    headers = bearer(create_publisher(small_app))
    before = storage_state(get_storage(small_app))
    response = post_media(client, headers, make_media("wav", media_cache))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert "19.5 KiB" in error["message"] and "20,000 bytes" in error["message"]
    assert error["details"]["limit_bytes"] == 20_000
    assert storage_state(get_storage(small_app)) == before


def test_too_large_without_content_length_is_cut_off(small_app, media_cache):
    """A chunked body has no Content-Length to check up front: reading stops at the limit."""
    client = small_app.test_client()
    headers = bearer(create_publisher(small_app))
    before = storage_state(get_storage(small_app))
    body = multipart_body(make_media("wav", media_cache))
    read = []

    class Chunked(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            read.append(len(data))
            return data

    response = client.post(
        "/api/media", headers=headers, input_stream=Chunked(body),
        content_type="multipart/form-data; boundary=b0undary",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert "20,000 bytes" in response.get_json()["error"]["message"]
    assert sum(read) <= 20_000 + 256 * 1024
    assert storage_state(get_storage(small_app)) == before


def test_a_client_that_disconnects_leaves_nothing(client, headers, media_cache, library):
    before = storage_state(library)
    body = multipart_body(make_media("wav", media_cache))
    response = client.post(
        "/api/media", headers=headers, input_stream=io.BytesIO(body[: len(body) // 2]),
        content_type="multipart/form-data; boundary=b0undary",
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )
    assert response.status_code == 400
    assert storage_state(library) == before


def test_a_full_disk_is_507_and_leaves_nothing(monkeypatch, client, headers, media_cache,
                                              library):
    before = storage_state(library)
    written = uploads.TempFile.write

    def write(self, data):
        if self.size + len(data) > 1000:
            raise OSError(errno.ENOSPC, "No space left on device")
        written(self, data)

    monkeypatch.setattr(uploads.TempFile, "write", write)
    response = post_media(client, headers, make_media("wav", media_cache))
    assert response.status_code == 507
    assert "no room left" in response.get_json()["error"]["message"]
    assert storage_state(library) == before


def test_poster_and_captions_in_the_same_step(client, fetch, headers, media_cache, library):
    png = make_media("png", media_cache)
    response = client.post("/api/media", headers=headers, data={
        "title": "With extras", "language": "en",
        "file": (make_media("mp4", media_cache).open("rb"), "clip.mp4"),
        "poster": (png.open("rb"), "poster.png"),
        "captions": (io.BytesIO(GOOD_SRT), "captions.srt"),
    })
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert fetch(item["poster"]).data == png.read_bytes()
    [track] = item["tracks"]
    assert (track["kind"], track["srclang"], track["cues"]) == ("captions", "en", 2)
    with client.get(track["url"]) as served:
        vtt = served.text
    assert vtt.startswith("WEBVTT") and "Hello from SubRip." in vtt


@pytest.mark.parametrize("field,payload,status,words", [
    ("captions", BROKEN_VTT, 422, "line 3"),
    ("poster", b"not an image at all", 415, "JPEG, PNG or WebP"),
])
def test_bad_extras_reject_the_whole_upload(client, headers, media_cache, library,
                                            field, payload, status, words):
    before = storage_state(library)
    response = client.post("/api/media", headers=headers, data={
        "title": "Extras", "file": (make_media("mp4", media_cache).open("rb"), "clip.mp4"),
        field: (io.BytesIO(payload), "extra.bin"),
    })
    assert response.status_code == status
    error = response.get_json()["error"]
    assert words in error["message"]
    assert field in error["details"]["fields"]
    if field == "captions":
        assert [p["line"] for p in error["details"]["problems"]] == [3, 6]
        # The library is as it was; the media file waits, outside it, for
        # corrected captions (see test_upload_pending.py).
        pending_id = error["details"]["pending_upload"]["id"]
        kept = assert_kept_aside(library, before)
        assert kept == [f"kept-{pending_id}.json", f"kept-{pending_id}.media"]
        return
    assert storage_state(library) == before


# -- tracks ---------------------------------------------------------------------------

def post_track(client, headers, item_id, data: bytes, name="track.vtt", **fields):
    return client.post(f"/api/media/{item_id}/tracks", headers=headers,
                       data={"kind": "captions", "srclang": "en", **fields,
                             "file": (io.BytesIO(data), name)})


def test_add_replace_and_delete_a_track(client, headers, library):
    response = post_track(client, headers, "song", GOOD_VTT, label="Lyrics")
    assert response.status_code == 201
    track = response.get_json()
    assert (track["id"], track["label"], track["cues"], track["replaced"]) == (
        "en.captions", "Lyrics", 1, False)
    with client.get(track["url"]) as served:
        assert served.data == GOOD_VTT
    # Location names the new resource (RFC 9110 §15.3.2): the track, which
    # the publisher can read, edit (PUT) and delete there.
    location = response.headers["Location"]
    assert location == "http://localhost/api/media/song/tracks/en.captions"
    with client.get(location, headers=headers) as resource:
        assert resource.status_code == 200 and resource.data == GOOD_VTT
    [listed] = client.get("/api/media/song").get_json()["tracks"]
    assert listed["label"] == "Lyrics"

    response = post_track(client, headers, "song", GOOD_SRT, name="new.srt", label="Lyrics")
    assert response.status_code == 200
    assert response.get_json()["replaced"] is True
    with client.get(track["url"]) as served:
        assert "Hello from SubRip." in served.text
    assert sorted(e.name for e in library.list() if e.name.startswith("song.")) == [
        "song.en.vtt", "song.json", "song.mp3"]

    assert client.delete("/api/media/song/tracks/en.captions", headers=headers).status_code == 204
    assert client.get("/api/media/song").get_json()["tracks"] == []
    assert not library.exists("song.en.vtt")
    assert client.delete("/api/media/song/tracks/en.captions", headers=headers).status_code == 404
    assert storage_temp_files(library) == []


def test_a_track_with_errors_is_refused_with_line_numbers(client, headers, library):
    before = storage_state(library)
    response = post_track(client, headers, "clip", BROKEN_VTT)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "2 errors" in error["message"] and "line 3" in error["message"]
    problems = error["details"]["problems"]
    assert [(p["line"], p["severity"]) for p in problems] == [(3, "error"), (6, "error")]
    # The existing English captions are untouched.
    assert storage_state(library) == before


def test_a_track_with_warnings_is_kept_and_the_warnings_listed(client, headers):
    response = post_track(client, headers, "song", WARNING_VTT, srclang="uk", kind="subtitles")
    assert response.status_code == 201
    codes = [p["code"] for p in response.get_json()["problems"]]
    assert codes == ["reading-speed", "line-too-long"]
    [track] = client.get("/api/media/song").get_json()["tracks"]
    assert track["kind"] == "subtitles" and track["warnings"] == 2


def test_track_fields_are_checked(client, headers):
    response = post_track(client, headers, "song", GOOD_VTT, kind="karaoke", srclang="??")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["details"]["fields"]) == {"kind", "srclang"}
    assert post_track(client, headers, "nothing-here", GOOD_VTT).status_code == 404


def test_deleting_an_item_removes_exactly_its_files(client, headers, media_cache, library):
    library.write("clip.extended.m4a", make_media("m4a", media_cache).read_bytes())
    library.write("clip.extended.en.vtt", GOOD_VTT)
    library.write("clip.en.srt", GOOD_SRT)
    library.write("clip.png", make_media("png", media_cache).read_bytes())
    client.get("/api/media")
    assert client.delete("/api/media/clip", headers=headers).status_code == 204
    assert sorted(e.name for e in library.list()) == [
        "clip.extended.en.vtt", "clip.extended.m4a", "song.mp3"]
    assert client.get("/api/media/clip").status_code == 404
    assert client.delete("/api/media/clip", headers=headers).status_code == 404


def test_deleting_an_item_forgets_its_progress(app, client, headers):
    body = {"viewer": "viewer-a-0123456789", "session": "session-1", "position": 1.5,
            "duration": 3.0}
    for item_id in ("clip", "song"):
        assert client.put(f"/api/media/{item_id}/progress", json=body).status_code == 202
    assert progress_api.flush(app)

    def rows(item_id: str) -> int:
        """Rows about ``item_id`` in every progress table, whatever their names."""
        conn = db.connect(app.config["DATABASE"])
        try:
            return sum(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE media_id = ?",
                                    (item_id,)).fetchone()[0]
                       for table, columns in table_columns(conn).items()
                       if table.startswith("progress") and "media_id" in columns)
        finally:
            conn.close()

    assert rows("clip") > 0
    assert client.delete("/api/media/clip", headers=headers).status_code == 204
    assert rows("clip") == 0 and rows("song") > 0


# -- temporary files ----------------------------------------------------------------------

# Folder-only from here: these drive LocalStorage's staging folder and its file locks.
def test_cleanup_removes_only_files_whose_writer_is_gone(media_dir):
    storage = LocalStorage(media_dir)
    live = uploads.TempFile(storage, "file", "live.mp4")
    live.write(b"still arriving")
    (media_dir / ".uploads" / "upload-dead.part").write_bytes(b"left by a killed worker")
    assert storage.cleanup_uploads() == ["upload-dead.part"]
    assert temp_files(media_dir) == [live.name]
    assert live.read_all() == b"still arriving"
    live.discard()
    assert temp_files(media_dir) == []


def test_stale_temporary_files_are_removed_at_start(media_dir, tmp_path):
    folder = media_dir / ".uploads"
    folder.mkdir()
    (folder / "upload-1234.part").write_bytes(b"\0" * 1000)
    create_app({"TESTING": True, "MEDIA_DIR": str(media_dir),
                "DATABASE": str(tmp_path / "again.sqlite"), "SECRET_KEY": "t"})
    assert temp_files(media_dir) == []


def test_format_size():
    assert uploads.format_size(2 * 1024**3) == "2 GiB"
    assert uploads.format_size(150 * 1024**2) == "150 MiB"
    assert uploads.format_size(999) == "999 bytes"


def test_uploads_of_one_title_at_once_get_distinct_ids(media_dir, media_cache):
    import threading

    storage = LocalStorage(media_dir)
    data = make_media("mp3", media_cache).read_bytes()
    ids, errors = [], []

    def upload():
        temp = uploads.TempFile(storage, "file", "same.mp3")
        try:
            temp.write(data)
            info = uploads.check_media(temp)
            ids.append(uploads.add_media(storage, temp, info, title="Same", description="",
                                         language="en"))
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            temp.discard()

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(ids) == ["same", "same-2", "same-3", "same-4"]
    assert sorted(p.name for p in media_dir.glob("same*.mp3")) == [
        "same-2.mp3", "same-3.mp3", "same-4.mp3", "same.mp3"]
    assert temp_files(media_dir) == []
