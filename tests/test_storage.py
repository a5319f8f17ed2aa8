"""The storage seam: the promises every storage keeps (run against the media
folder and against a bucket of a real S3 API), the naming rule, STEM.json,
and what the app does with a storage that has no local files."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from player import create_app
from player.library import cues
from player.library.storage import (
    Entry,
    InvalidKey,
    LocalStorage,
    MetadataError,
    Storage,
    TrackName,
    caption_sources,
    converted_name,
    group_sidecars,
    is_poster,
    parse_track_name,
    read_metadata,
    track_name,
    write_metadata,
)
from tests.mediagen import make_media
from tests.publish_support import temp_files
from tests.s3_support import (  # noqa: F401  (fixtures)
    PREFIX,
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage,
)


class Backend:
    """One implementation of the seam, with a way around it for the checks:
    what is really stored, and what the storage left behind."""

    name: str
    storage: Storage

    def raw(self, name: str) -> bytes:
        """The stored bytes of ``name``, read without the storage."""
        raise NotImplementedError

    def put_raw(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name`` without the storage, as an operator would."""
        raise NotImplementedError

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def leftovers(self) -> list[str]:
        """Staged uploads and locks still there."""
        raise NotImplementedError


class LocalBackend(Backend):
    name = "local"

    def __init__(self, media_dir):
        self.folder = media_dir
        self.storage = LocalStorage(media_dir)

    def raw(self, name):
        return (self.folder / name).read_bytes()

    def put_raw(self, name, data):
        (self.folder / name).write_bytes(data)

    def has(self, name):
        return (self.folder / name).exists()

    def leftovers(self):
        return temp_files(self.folder)


class S3Backend(Backend):
    name = "s3"

    def __init__(self, server, bucket, storage):
        self.server, self.bucket, self.storage = server, bucket, storage

    def raw(self, name):
        return self.server.client.get_object(Bucket=self.bucket, Key=PREFIX + name)["Body"].read()

    def put_raw(self, name, data):
        self.server.client.put_object(Bucket=self.bucket, Key=PREFIX + name, Body=data)

    def has(self, name):
        return PREFIX + name in self.server.keys(self.bucket, PREFIX)

    def leftovers(self):
        return self.server.leftovers(self.bucket)


@pytest.fixture(params=["local", "s3"])
def backend(request, media_dir) -> Backend:
    """Each implementation of the seam over the files of ``media_dir``."""
    if request.param == "local":
        return LocalBackend(media_dir)
    storage = request.getfixturevalue("s3_storage")
    return S3Backend(request.getfixturevalue("s3_server"), storage.bucket, storage)


@pytest.fixture
def storage(backend) -> Storage:
    return backend.storage


# -- the promises of every storage ------------------------------------------------------------

def test_listing_gives_the_library_by_name(backend, storage, media_dir):
    entries = storage.list()
    assert [e.name for e in entries] == ["clip.en.vtt", "clip.json", "clip.mp4", "song.mp3"]
    clip = entries[2]
    assert clip.size == (media_dir / "clip.mp4").stat().st_size
    assert storage.stat("clip.mp4") == clip


def test_a_missing_object_is_file_not_found(storage):
    for call in (storage.stat, storage.read_bytes, storage.open):
        with pytest.raises(FileNotFoundError):
            call("nothing.mp4")
    with pytest.raises(FileNotFoundError):
        storage.read_range("nothing.mp4", 0, 10)
    assert not storage.exists("nothing.mp4") and storage.exists("clip.mp4")


def test_the_entity_tag_changes_with_the_bytes(storage):
    before = storage.stat("clip.en.vtt")
    time.sleep(0.01)
    after = storage.write("clip.en.vtt", b"WEBVTT\n")
    assert after.etag != before.etag and after == storage.stat("clip.en.vtt")


def test_reading_whole_or_a_range(storage, media_dir):
    data = (media_dir / "clip.mp4").read_bytes()
    assert storage.read_bytes("clip.mp4") == data
    assert storage.read_range("clip.mp4", 4, 8) == data[4:12]
    assert storage.read_range("clip.mp4", len(data) - 2, 100) == data[-2:]
    assert storage.read_range("clip.mp4", len(data), 100) == b""
    with storage.open("clip.mp4") as reader:
        reader.seek(100)
        assert reader.read(10) == data[100:110]
        assert reader.seek(0, os.SEEK_END) == len(data)
        reader.seek(-5, os.SEEK_END)
        assert reader.read() == data[-5:]


@pytest.mark.parametrize("source", [
    lambda: b"WEBVTT\n\nabc",
    lambda: [b"WEBVTT", b"\n\n", b"abc"],
    lambda: io.BytesIO(b"WEBVTT\n\nabc"),
], ids=["bytes", "chunks", "file"])
def test_writes_take_bytes_chunks_or_a_file(backend, storage, source):
    # Made anew for each storage: a file is used up by one write.
    entry = storage.write("clip.fr.vtt", source())
    assert backend.raw("clip.fr.vtt") == b"WEBVTT\n\nabc"
    assert entry == storage.stat("clip.fr.vtt")
    assert backend.leftovers() == []


def test_a_failed_write_leaves_the_old_object(backend, storage):
    old = backend.raw("clip.en.vtt")

    def chunks():
        yield b"WEBVTT\n\nhalf"
        raise OSError("the client went away")

    with pytest.raises(OSError):
        storage.write("clip.en.vtt", chunks())
    assert backend.raw("clip.en.vtt") == old
    assert backend.leftovers() == []


def test_delete_says_whether_there_was_an_object(backend, storage):
    assert storage.delete("song.mp3") is True
    assert not backend.has("song.mp3")
    assert storage.delete("song.mp3") is False


@pytest.mark.parametrize("key", ["", "../secret", "a/b.vtt", ".uploads", ".lock-clip", "a\0b"])
def test_keys_are_plain_names(storage, key):
    with pytest.raises(InvalidKey):
        storage.read_bytes(key)
    with pytest.raises(InvalidKey):
        storage.local_path(key)
    with pytest.raises(InvalidKey):
        storage.write(key, b"x")
    assert isinstance(InvalidKey("x"), ValueError)


def test_an_upload_is_invisible_until_committed(backend, storage):
    upload = storage.begin_upload()
    upload.write(b"WEBVTT\n\n")
    upload.write(b"00:00.000 --> 00:01.000\nHi\n")
    assert upload.size == 35 and upload.read_all().startswith(b"WEBVTT")
    with upload.open() as reader:
        reader.seek(8)
        assert reader.read(9) == b"00:00.000"
    assert "clip.de.vtt" not in [e.name for e in storage.list()]
    entry = upload.commit("clip.de.vtt")
    upload.discard()
    assert entry.size == 35 and backend.has("clip.de.vtt")
    assert entry == storage.stat("clip.de.vtt")
    assert backend.leftovers() == []


def test_a_discarded_upload_leaves_nothing(backend, storage):
    before = [e.name for e in storage.list()]
    upload = storage.begin_upload()
    upload.write(b"x" * 1000)
    upload.discard()
    read = storage.begin_upload()
    read.write(b"y" * 1000)
    assert read.read_all() == b"y" * 1000
    read.discard()
    read.discard()
    assert [e.name for e in storage.list()] == before
    assert backend.leftovers() == []


def test_the_lock_of_an_item_excludes_other_threads(backend, storage):
    order = []

    def other():
        with storage.lock("clip"):
            order.append("other")

    with storage.lock("clip"):
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.2)  # time enough for the other thread to take it, were it free
        order.append("first")
        with storage.lock("song"):  # other items are not held up
            order.append("song")
    thread.join(5)
    assert order == ["first", "song", "other"]
    # Lock files go with their holder.
    assert backend.leftovers() == []


def test_metadata_is_read_in_one_place(backend, storage):
    assert read_metadata(storage, "clip") == {"title": "A short clip", "description": "Testing."}
    assert read_metadata(storage, "song") == {}
    write_metadata(storage, "song", {"title": "Песня"})
    assert backend.raw("song.json").decode("utf-8") == '{\n  "title": "Песня"\n}\n'
    backend.put_raw("song.json", b"[1, 2]")
    with pytest.raises(MetadataError, match="expected a JSON object"):
        read_metadata(storage, "song")
    backend.put_raw("song.json", b"{\xff")
    with pytest.raises(MetadataError, match="not valid JSON"):
        read_metadata(storage, "song")


# -- LocalStorage ---------------------------------------------------------------------------

@pytest.fixture
def local(media_dir) -> LocalStorage:
    return LocalStorage(media_dir)


def test_the_folder_listing_leaves_out_hidden_files_and_folders(local, media_dir):
    (media_dir / ".hidden.mp4").write_bytes(b"x")
    (media_dir / "folder.mp4").mkdir()
    entries = local.list()
    assert [e.name for e in entries] == ["clip.en.vtt", "clip.json", "clip.mp4", "song.mp3"]
    clip = entries[2]
    st = (media_dir / "clip.mp4").stat()
    assert (clip.size, clip.mtime, clip.mtime_ns) == (st.st_size, st.st_mtime, st.st_mtime_ns)
    assert local.stat("clip.mp4") == clip


def test_a_missing_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalStorage(tmp_path / "nowhere").list()


def test_bytes_reach_clients_by_a_local_path(local, media_dir):
    assert local.local_path("clip.mp4") == str(media_dir / "clip.mp4")
    assert local.url_for_client("clip.mp4") is None
    assert local.location() == str(media_dir)
    assert local.location("clip.mp4") == str(media_dir / "clip.mp4")


def test_cleanup_removes_stale_lock_files_but_reports_uploads_only(local, media_dir):
    folder = media_dir / ".uploads"
    folder.mkdir()
    (folder / "lock-clip").write_bytes(b"")
    (folder / "upload-1.part").write_bytes(b"x")
    assert local.cleanup_uploads() == ["upload-1.part"]
    assert temp_files(media_dir) == []


# -- the naming rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("talk.vtt", TrackName("fr", "captions")),
    ("talk.en.vtt", TrackName("en", "captions")),
    ("talk.pt-BR.subtitles.vtt", TrackName("pt-BR", "subtitles")),
    ("talk.descriptions.vtt", TrackName("fr", "descriptions")),
    ("talk.en.chapters.vtt", TrackName("en", "chapters")),
    ("talk.en.karaoke.vtt", None),
    ("talk.english!.vtt", None),
    ("talk.a.b.c.vtt", None),
])
def test_track_names(name, expected):
    assert parse_track_name("talk", name, "fr") == expected


def test_built_names_parse_back():
    for kind in ("captions", "subtitles", "descriptions", "chapters"):
        name = track_name("talk", "uk", kind)
        assert parse_track_name("talk", name, "en") == TrackName("uk", kind)
    assert caption_sources("talk.uk.vtt") == ["talk.uk.srt", "talk.uk.sbv"]
    assert converted_name("talk.uk.sbv") == "talk.uk.vtt"
    assert is_poster("talk", "talk.webp") and not is_poster("talk", "talk.JPG")


def test_sidecars_go_to_the_longest_stem():
    names = ["talk.mp4", "talk.en.mp4", "talk.en.vtt", "talk.en.fr.vtt", "talk.json",
             "talkative.mp3", "talkative.json"]
    media = ["talk.mp4", "talk.en.mp4", "talkative.mp3"]
    assert group_sidecars(names, media) == {
        "talk": ["talk.json"],
        "talk.en": ["talk.en.vtt", "talk.en.fr.vtt"],
        "talkative": ["talkative.json"],
    }


# -- a storage without local files --------------------------------------------------------------

class SignedURLStorage(LocalStorage):
    """Bytes the server cannot send itself, as in an object store."""

    def local_path(self, key: str) -> None:
        return None

    def url_for_client(self, key: str, expires: int = 3600) -> str:
        return f"https://bucket.example/{key}?expires={expires}"


def test_files_redirect_to_the_storage_url_when_there_is_no_local_path(media_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(tmp_path / "unused"),
                      "STORAGE": SignedURLStorage(media_dir),
                      "DATABASE": str(tmp_path / "db.sqlite"), "SECRET_KEY": "t"})
    client = app.test_client()
    assert [i["id"] for i in client.get("/api/media").get_json()["items"]] == ["clip", "song"]
    response = client.get("/files/clip/clip.mp4", headers={"Range": "bytes=0-99"})
    assert response.status_code == 307
    assert response.headers["Location"] == "https://bucket.example/clip.mp4?expires=3600"
    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert "Hello and welcome." in client.get("/watch/clip/transcript.txt").text


def test_a_storage_setting_that_is_not_a_storage_is_refused(media_dir, tmp_path):
    from player.library.storage import StorageError

    with pytest.raises(StorageError, match="PLAYER_STORAGE"):
        create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "STORAGE": "ftp://bucket",
                    "DATABASE": str(tmp_path / "db.sqlite"), "SECRET_KEY": "t"})


def test_oembed_without_a_readable_poster_has_no_thumbnail(client, media_dir, media_cache, app):
    from player import db
    from player.library.scan import scan

    (media_dir / "clip.png").write_bytes(make_media("png", media_cache).read_bytes())
    with app.app_context():
        scan(media_dir, db.get_db())
    url = "/oembed?url=http://localhost/watch/clip"
    assert "thumbnail_url" in client.get(url).get_json()
    os.unlink(media_dir / "clip.png")
    body = client.get(url).get_json()
    assert body["type"] == "video" and "thumbnail_url" not in body


# -- one parse per caption file -------------------------------------------------------------------

def test_a_changed_caption_file_is_read_again(client, media_dir):
    assert "Hello and welcome." in client.get("/watch/clip/transcript.txt").text
    time.sleep(0.01)
    (media_dir / "clip.en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nChanged.\n")
    text = client.get("/watch/clip/transcript.txt").text
    assert "Changed." in text and "Hello and welcome." not in text


def test_the_cache_is_keyed_by_location_and_entity_tag(storage):
    cues.clear()
    entry = storage.stat("clip.en.vtt")
    first = cues.track_report(storage, "clip.en.vtt", kind="captions", duration=3.0)
    assert cues.track_report(storage, "clip.en.vtt", kind="captions", duration=3.0,
                             entry=entry) is first
    moved = Entry(entry.name, entry.size, entry.mtime, entry.mtime_ns, entry.etag + "-new")
    assert cues.track_report(storage, "clip.en.vtt", kind="captions", duration=3.0,
                             entry=moved) is not first
