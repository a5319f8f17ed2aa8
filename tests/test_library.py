from __future__ import annotations

import pytest

from player import db
from player.library.scan import scan, slugify
from tests.mediagen import make_media

pytestmark = pytest.mark.databases("sqlite", "postgresql")


def _scan(storage, database_url):
    conn = db.connect(database_url)
    db.init_schema(conn)
    return conn, scan(storage, conn)


@pytest.fixture
def store(storage_for, media_dir):
    """The library of ``media_dir``: the folder, or a bucket on the postgresql run."""
    return storage_for(media_dir)


def test_slugify_gives_url_safe_ids():
    assert slugify("Welcome to the Player") == "welcome-to-the-player"
    assert slugify("Café.Intro") == "cafe-intro"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("★★★") == "item"


def test_scan_builds_items_with_sidecars(store, database_url):
    conn, result = _scan(store, database_url)
    items = {item.id: item for item in result.items}
    assert set(items) == {"clip", "song"}
    clip = items["clip"]
    assert clip.title == "A short clip"
    assert clip.kind == "video" and clip.mime == "video/mp4"
    assert [(t.srclang, t.kind, t.label) for t in clip.tracks] == [
        ("en", "captions", "English captions")]
    assert items["song"].kind == "audio"
    assert result.problems == []


def test_rescan_of_unchanged_library_probes_nothing(store, database_url):
    conn, first = _scan(store, database_url)
    assert first.probed == 2 and first.validated == 1
    second = scan(store, conn)
    assert second.probed == 0 and second.validated == 0
    assert [i.id for i in second.items] == [i.id for i in first.items]


def test_changed_file_is_probed_again(store, database_url):
    conn, _ = _scan(store, database_url)
    store.write("clip.en.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nChanged\n")
    again = scan(store, conn)
    assert again.probed == 0 and again.validated == 1


def test_colliding_ids_are_reported_not_merged(store, database_url, media_cache):
    store.write("Clip.webm", make_media("webm_vp8_vorbis", media_cache).read_bytes())
    _, result = _scan(store, database_url)
    assert sum(1 for i in result.items if i.id == "clip") == 1
    (path, message), = [p for p in result.problems if "already taken" in p[1]]
    assert path in ("Clip.webm", "clip.mp4") and "'clip'" in message


def test_files_that_are_not_media_are_reported_and_scan_goes_on(store, database_url,
                                                                 media_cache):
    store.write("notes.mp4", b"this is a text file, not a video")
    store.write("empty.mp3", b"")
    store.write("picture.webm", make_media("png", media_cache).read_bytes())
    _, result = _scan(store, database_url)
    assert {i.id for i in result.items} == {"clip", "song"}
    reported = dict(result.problems)
    assert set(reported) == {"notes.mp4", "empty.mp3", "picture.webm"}
    assert "empty" in reported["empty.mp3"]
    assert "PNG" in reported["picture.webm"]


def test_track_with_errors_is_not_offered(store, database_url):
    store.write("clip.uk.subtitles.vtt",
                "WEBVTTX\n\n00:00.000 --> 00:01.000\nПривіт\n".encode())
    _, result = _scan(store, database_url)
    clip = next(i for i in result.items if i.id == "clip")
    assert [t.srclang for t in clip.tracks] == ["en"]
    assert [t.srclang for t in clip.rejected_tracks] == ["uk"]
    (path, message), = result.problems
    assert path == "clip.uk.subtitles.vtt" and "line 1" in message


def test_srt_sidecar_is_converted_on_scan(store, database_url):
    store.write("song.en.srt", b"1\r\n00:00:00,500 --> 00:00:01,500\r\nLa la la\r\n")
    _, result = _scan(store, database_url)
    assert store.read_bytes("song.en.vtt").startswith(b"WEBVTT")
    song = next(i for i in result.items if i.id == "song")
    assert [t.file for t in song.tracks] == ["song.en.vtt"]


# Folder-only: a missing folder has no bucket counterpart (a missing bucket is in test_s3).
def test_missing_media_folder_is_a_problem_not_a_crash(tmp_path, database_url):
    _, result = _scan(tmp_path / "nowhere", database_url)
    assert result.items == [] and "does not exist" in result.problems[0][1]


def test_a_scan_holds_no_write_lock_while_it_probes_or_indexes(media_dir, tmp_path, monkeypatch):
    """Probing a large new library takes minutes: meanwhile other processes
    (progress reports, uploads) must be able to write at once."""
    import sqlite3

    from player.library import scan as library
    from player.search import index as search

    database = tmp_path / "lock.sqlite"
    conn = db.connect(str(database))
    db.init_schema(conn)
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    writes = []

    def try_to_write():
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
        other.execute("COMMIT")
        writes.append(True)

    real_probe, real_cues = library.probe, search._track_cues
    monkeypatch.setattr(library, "probe", lambda *args: (try_to_write(), real_probe(*args))[1])
    monkeypatch.setattr(search, "_track_cues", lambda *args: (try_to_write(),
                                                              real_cues(*args))[1])
    result = scan(media_dir, conn)
    assert result.probed == 2 and len(writes) == 3  # two files probed, one track indexed
    assert {i.id for i in result.items} == {"clip", "song"}
