"""Staged uploads left behind are cleared while the server runs, not only
when it starts: those whose writer has gone, those idle for longer than any
upload takes, and pending uploads kept too long. (The same through gunicorn
with a killed worker and a stalled client: test_upload_gunicorn.py.)"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from player import create_app
from player.library.storage import LocalStorage
from player.publish import uploads
from player.publish.sweeper import Sweeper, longest_upload_seconds
from tests.mediagen import make_media
from tests.publish_support import bearer, create_publisher, folder_state, temp_files
from tests.s3_support import (  # noqa: F401  (fixtures)
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage,
    storage_temp_files,
)

LOG = logging.getLogger("test")


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def storage(media_dir) -> LocalStorage:
    return LocalStorage(media_dir)


def staged(media_dir, name: str):
    return media_dir / ".uploads" / name


# -- the storage's clean-up by age ---------------------------------------------------------

def test_an_idle_part_whose_writer_holds_it_goes_only_past_the_longest_upload(storage,
                                                                             media_dir):
    live = uploads.TempFile(storage, "file", "live.mp4")
    live.write(b"arriving")
    stuck = uploads.TempFile(storage, "file", "stuck.mp4")
    stuck.write(b"the client stopped sending")
    age(staged(media_dir, stuck.name), 7200)
    age(staged(media_dir, live.name), 60)
    assert storage.cleanup_uploads() == []
    assert storage.cleanup_uploads(stale_after=3600) == [stuck.name]
    assert temp_files(media_dir) == [live.name]
    # The stuck writer's later moves fail softly: it finds its file gone.
    with pytest.raises(uploads.TookTooLong):
        stuck.commit("stuck.mp4")
    stuck.discard()
    assert not (media_dir / "stuck.mp4").exists()
    assert live.read_all() == b"arriving"
    live.discard()


def test_a_part_whose_writer_is_gone_goes_at_any_age(storage, media_dir):
    folder = media_dir / ".uploads"
    folder.mkdir()
    for name in ("upload-new.part", "upload-old.part", "lock-clip"):
        (folder / name).write_bytes(b"left by a killed worker")
    age(folder / "upload-old.part", 10**6)
    assert sorted(storage.cleanup_uploads(stale_after=10**7)) == [
        "upload-new.part", "upload-old.part"]
    assert temp_files(media_dir) == []


def test_kept_uploads_go_when_kept_too_long_and_not_taken(storage, media_dir):
    for name in ("fresh", "old", "taken"):
        temp = uploads.TempFile(storage, "file", f"{name}.mp4")
        temp.write(name.encode())
        temp.keep(name)
    age(staged(media_dir, "kept-old"), 7200)
    age(staged(media_dir, "kept-taken"), 7200)
    taken = uploads.TempFile.take(storage, "taken")
    assert storage.cleanup_uploads(stale_after=60) == []
    assert storage.cleanup_uploads(keep_for=3600) == ["kept-old"]
    assert temp_files(media_dir) == ["kept-fresh", "kept-taken"]
    assert taken.read_all() == b"taken"
    taken.keep("taken")
    # Keeping it again starts its time again.
    assert storage.cleanup_uploads(keep_for=3600) == []
    with pytest.raises(FileNotFoundError):
        uploads.TempFile.take(storage, "old")


def test_on_a_bucket_kept_uploads_go_when_kept_too_long_and_not_taken(s3_storage):
    """The same on S3, where a kept upload is its staged bytes and a record
    whose age (the service's LastModified) cannot be set: time passes instead."""
    storage = s3_storage
    for name in ("old", "taken"):
        temp = uploads.TempFile(storage, "file", f"{name}.mp4")
        temp.write(name.encode())
        temp.keep(name)
    time.sleep(3)
    fresh = uploads.TempFile(storage, "file", "fresh.mp4")
    fresh.write(b"fresh")
    fresh.keep("fresh")
    taken = uploads.TempFile.take(storage, "taken")
    # However idle, the bytes of a kept upload are not an abandoned upload.
    assert storage.cleanup_uploads(stale_after=-1) == []
    assert len(storage_temp_files(storage)) == 6  # three records and their bytes
    # The clean-up waits for whoever has taken one, then finds it kept again.
    swept: list[list[str]] = []
    sweep = threading.Thread(target=lambda: swept.append(storage.cleanup_uploads(keep_for=2)))
    sweep.start()
    time.sleep(0.5)
    assert sweep.is_alive()
    assert taken.read_all() == b"taken"
    taken.keep("taken")
    sweep.join(30)
    assert swept == [["kept-old"]]
    assert sorted(n for n in storage_temp_files(storage) if n.startswith("kept-")) == [
        "kept-fresh", "kept-taken"]
    assert len(storage_temp_files(storage)) == 4
    with pytest.raises(FileNotFoundError):
        uploads.TempFile.take(storage, "old")
    # Committed, it is in the library and nothing of it is left aside.
    uploads.TempFile.take(storage, "fresh").commit("fresh.mp4")
    assert storage.read_bytes("fresh.mp4") == b"fresh"
    left = storage_temp_files(storage)
    assert len(left) == 2 and "kept-taken" in left


# -- the sweeper ---------------------------------------------------------------------------

def test_the_longest_upload_follows_the_limit():
    assert longest_upload_seconds(2 * 1024**3) == 2 * 1024**3 / (64 * 1024)
    assert longest_upload_seconds(1024) == 3600
    assert longest_upload_seconds(10 * 1024**3, rate=1024**2) == 10240


def test_a_sweeper_sweeps_once_per_period_whatever_the_threads(storage, media_dir):
    sweeper = Sweeper(storage, every=0.3, stale_after=3600, keep_for=3600, logger=LOG)
    (media_dir / ".uploads").mkdir()
    dead = staged(media_dir, "upload-dead.part")
    dead.write_bytes(b"x")
    assert sweeper.maybe_sweep() is None and dead.exists()
    time.sleep(0.35)
    results = []
    threads = [threading.Thread(target=lambda: results.append(sweeper.maybe_sweep()))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [None] * 7 + [["upload-dead.part"]]
    assert not dead.exists()


def test_a_forked_child_sweeps_with_a_fresh_lock(storage):
    sweeper = Sweeper(storage, every=0, stale_after=3600, keep_for=3600, logger=LOG)
    # As after a fork while another thread of the parent held the lock.
    assert sweeper._lock.acquire()
    sweeper._pid = -1
    assert sweeper.maybe_sweep() == []


def app_with(media_dir, tmp_path, **config):
    return create_app({"TESTING": True, "MEDIA_DIR": str(media_dir),
                       "DATABASE": str(tmp_path / "sweep.sqlite"), "SECRET_KEY": "t", **config})


def test_the_running_app_clears_a_killed_writers_part(media_dir, tmp_path):
    app = app_with(media_dir, tmp_path, UPLOAD_SWEEP_SECONDS=0.3)
    client = app.test_client()
    (media_dir / ".uploads").mkdir(exist_ok=True)
    dead = staged(media_dir, "upload-killed.part")
    dead.write_bytes(b"\0" * 4096)
    assert client.get("/api/media").status_code == 200
    assert dead.exists(), "not before the period is over"
    time.sleep(0.35)
    # Any request that Flask answers will do: a page, the API, a sign-in form.
    assert client.get("/publish/login").status_code == 200
    assert not dead.exists()


def test_the_running_app_clears_expired_pending_uploads(media_dir, tmp_path, media_cache):
    from tests.publish_support import BROKEN_VTT

    app = app_with(media_dir, tmp_path, UPLOAD_SWEEP_SECONDS=0, UPLOAD_KEEP_SECONDS=600)
    client = app.test_client()
    response = client.post("/api/media", headers=bearer(create_publisher(app)), data={
        "file": (make_media("mp3", media_cache).open("rb"), "a.mp3"),
        "captions": (BROKEN_VTT, "c.vtt")}, content_type="multipart/form-data")
    assert response.status_code == 422
    kept = temp_files(media_dir)
    assert len(kept) == 2
    client.get("/api/media")
    assert temp_files(media_dir) == kept
    for name in kept:
        age(staged(media_dir, name), 601)
    client.get("/api/media")
    assert temp_files(media_dir) == []


def test_the_settings_and_their_defaults(media_dir, tmp_path):
    sweeper = app_with(media_dir, tmp_path).extensions["player.upload_sweeper"]
    assert (sweeper.every, sweeper.keep_for) == (300, 24 * 3600)
    assert sweeper.stale_after == 2 * 1024**3 / (64 * 1024)
    sweeper = app_with(media_dir, tmp_path, MAX_UPLOAD_BYTES=100 * 1024**3).extensions[
        "player.upload_sweeper"]
    assert sweeper.stale_after == 100 * 1024**3 / (64 * 1024)
    sweeper = app_with(media_dir, tmp_path, UPLOAD_STALE_SECONDS=90, UPLOAD_SWEEP_SECONDS=5,
                       UPLOAD_KEEP_SECONDS=60).extensions["player.upload_sweeper"]
    assert (sweeper.stale_after, sweeper.every, sweeper.keep_for) == (90, 5, 60)


def test_an_upload_dropped_for_its_age_is_refused_and_leaves_nothing(
        app, client, media_dir, media_cache, monkeypatch):
    before = folder_state(media_dir)
    check = uploads.check_media

    def slow_check(temp):
        # A sweep in another thread finds this upload older than any may be.
        LocalStorage(media_dir).cleanup_uploads(stale_after=-1)
        return check(temp)

    monkeypatch.setattr(uploads, "check_media", slow_check)
    response = client.post("/api/media", headers=bearer(create_publisher(app)), data={
        "title": "Slow", "file": (make_media("mp3", media_cache).open("rb"), "slow.mp3")})
    assert response.status_code == 408
    assert "Send it again" in response.get_json()["error"]["message"]
    assert folder_state(media_dir) == before


def test_on_a_bucket_a_kept_upload_dropped_while_taken_can_be_taken_again(s3_storage):
    """A taker that fails before committing, keeping or discarding (here it
    just lets go) leaves no lock behind that keeps the upload for good."""
    temp = uploads.TempFile(s3_storage, "file", "talk.mp4")
    temp.write(b"talk")
    temp.keep("talk")
    taken = s3_storage.take_upload("talk")
    del taken
    again = uploads.TempFile.take(s3_storage, "talk")
    assert again.read_all() == b"talk"
    again.discard()
    assert storage_temp_files(s3_storage) == []
