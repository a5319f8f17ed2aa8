"""Changes to one item at once: an item is complete or absent, and answers
tell the truth.

Deleting an item while a change to it is in flight (a track upload through
the API or the form, an edit, a track deletion) leaves none of its files;
uploads of one track at once add it once and replace it after; and the scan
reports sidecar files left without their media file.
"""

from __future__ import annotations

import io
import threading

import pytest

from player import db
from player.library import scan as library
from player.library.catalog import get_storage
from player.library.item import Item, Track
from player.library.storage import LocalStorage
from player.publish import uploads
from tests.mediagen import make_media
from tests.publish_support import (
    GOOD_SRT,
    GOOD_VTT,
    WARNING_VTT,
    bearer,
    create_publisher,
    csrf_from,
    log_in,
)

WAIT = 30
GOOD_SBV = b"0:00:00.000,0:00:01.500\nHello from SBV.\n"


@pytest.fixture
def token(app) -> str:
    return create_publisher(app)


def clip_files(library) -> list[str]:
    """The clip's files in the library (a folder, or a bucket on the postgresql run)."""
    return sorted(e.name for e in library.list() if e.name.startswith("clip."))


#: Races through HTTP run on both deployments: on S3 the item's lock is an object.
both = pytest.mark.databases("sqlite", "postgresql")


def scan_problems(app) -> list[tuple[str, str]]:
    with app.app_context():
        return library.scan(get_storage(app), db.get_db()).problems


class Held:
    """Holds every call of ``uploads.NAME`` at its start until :meth:`release`."""

    def __init__(self, monkeypatch, name: str, parties: int = 1) -> None:
        self.arrived = threading.Barrier(parties + 1)
        self.go = threading.Event()
        original = getattr(uploads, name)

        def held(*args, **kwargs):
            self.arrived.wait(WAIT)
            assert self.go.wait(WAIT)
            return original(*args, **kwargs)

        monkeypatch.setattr(uploads, name, held)

    def wait_for_callers(self) -> None:
        self.arrived.wait(WAIT)

    def release(self) -> None:
        self.go.set()


def in_thread(fn, *args) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn(*args)))
    thread.start()
    return thread, out


# -- A: deleting an item while a change to it is in flight ---------------------------

def api_track(app, token: str, data: bytes = GOOD_VTT, srclang: str = "de",
              name: str = "t.vtt", kind: str = "captions"):
    return app.test_client().post("/api/media/clip/tracks", headers=bearer(token), data={
        "kind": kind, "srclang": srclang, "file": (io.BytesIO(data), name)})


def signed_in(app, token: str):
    client = app.test_client()
    return client, log_in(client, "pat", token)


def form_track(app, token: str, follow: bool = False):
    client, csrf = signed_in(app, token)
    return client.post("/publish/media/clip/tracks", follow_redirects=follow, data={
        "csrf_token": csrf, "kind": "captions", "srclang": "de",
        "file": (io.BytesIO(GOOD_VTT), "de.vtt")})


def form_edit(app, token: str):
    client, csrf = signed_in(app, token)
    return client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "Edited", "description": "",
        "label-en.captions": "Mine",
        "poster": (io.BytesIO(make_media("png", app.config["MEDIA_CACHE"]).read_bytes()),
                   "p.png")})


def api_delete_track(app, token: str):
    return app.test_client().delete("/api/media/clip/tracks/en.captions",
                                    headers=bearer(token))


def form_delete_track(app, token: str):
    client, _ = signed_in(app, token)
    csrf = csrf_from(client.get("/publish/media/clip/tracks/en.captions/delete").text)
    return client.post("/publish/media/clip/tracks/en.captions/delete",
                       data={"csrf_token": csrf})


CHANGES = {
    # name: (the request, the uploads function it reaches once the item is read)
    "api track upload": (api_track, "store_track"),
    "form track upload": (form_track, "store_track"),
    "form edit with a poster": (form_edit, "update_item"),
    "api track delete": (api_delete_track, "delete_track"),
    "form track delete": (form_delete_track, "delete_track"),
}


@both
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_that_loses_the_race_with_delete_leaves_nothing(
        app, token, library, media_cache, monkeypatch, change):
    app.config["MEDIA_CACHE"] = media_cache
    request, reaches = CHANGES[change]
    held = Held(monkeypatch, reaches)
    thread, out = in_thread(request, app, token)
    held.wait_for_callers()
    # The change has read the item and is about to write; the delete comes first.
    assert app.test_client().delete("/api/media/clip", headers=bearer(token)).status_code == 204
    held.release()
    thread.join(WAIT)
    [response] = out
    assert response.status_code == 404
    if response.is_json:
        assert response.get_json()["error"]["message"] == (
            "There is no media item with the id 'clip'.")
    assert clip_files(library) == []
    assert scan_problems(app) == []
    # The id is free again: the next upload of that title gets it.
    client = app.test_client()
    again = client.post("/api/media", headers=bearer(token), data={
        "title": "Clip", "file": (make_media("mp4", media_cache).open("rb"), "c.mp4")})
    assert again.status_code == 201 and again.get_json()["id"] == "clip"
    assert again.get_json()["tracks"] == []


@both
def test_a_delete_that_waits_for_the_change_removes_its_files_too(
        app, token, library, monkeypatch):
    # The other order: the track is being written under the item's lock when
    # the delete arrives; the delete waits, then removes the new track too.
    held = Held(monkeypatch, "_write_track")
    upload, uploaded = in_thread(api_track, app, token)
    held.wait_for_callers()
    delete, deleted = in_thread(
        lambda: app.test_client().delete("/api/media/clip", headers=bearer(token)))
    delete.join(0.5)
    assert delete.is_alive(), "the delete must wait for the item's lock"
    held.release()
    upload.join(WAIT)
    delete.join(WAIT)
    assert uploaded[0].status_code == 201
    assert deleted[0].status_code == 204
    assert clip_files(library) == []
    assert scan_problems(app) == []


def test_a_change_to_a_deleted_item_writes_nothing_at_the_library_level(media_dir):
    storage = LocalStorage(media_dir)  # a folder only: it calls the uploads module itself
    item = Item(id="clip", file="clip.mp4", title="clip", description="", language="en",
                kind="video", mime="video/mp4", duration=1.0, width=None, height=None,
                size=1, mtime=0.0)
    uploads.delete_item(storage, item)
    track = uploads.PreparedTrack("captions", "de", "Deutsch", GOOD_VTT, 1, [])
    for change in (lambda: uploads.store_track(storage, item, track),
                   lambda: uploads.update_item(storage, item, title="T", description="",
                                               labels={}),
                   lambda: uploads.delete_track(storage, item, Track(
                       file="clip.en.vtt", srclang="en", kind="captions", label="English",
                       cues=1))):
        with pytest.raises(uploads.ItemGone):
            change()
    assert clip_files(storage) == []


# -- B: uploads of one track at once ----------------------------------------------------

def race(monkeypatch, requests) -> list:
    """Run ``requests`` at once, all held until each has read the item."""
    held = Held(monkeypatch, "store_track", parties=len(requests))
    threads = [in_thread(request) for request in requests]
    held.wait_for_callers()
    held.release()
    for thread, _ in threads:
        thread.join(WAIT)
    return [out[0] for _, out in threads]


def answers(responses) -> list[tuple[int, bool]]:
    return sorted((r.status_code, r.get_json()["replaced"]) for r in responses)


@both
def test_three_uploads_of_one_track_add_it_once(app, token, library, monkeypatch):
    responses = race(monkeypatch, [lambda: api_track(app, token, srclang="fr")] * 3)
    assert answers(responses) == [(200, True), (200, True), (201, False)]
    assert {r.get_json()["url"] for r in responses} == {
        "http://localhost/files/clip/clip.fr.vtt"}
    assert clip_files(library) == ["clip.en.vtt", "clip.fr.vtt", "clip.json", "clip.mp4"]
    tracks = app.test_client().get("/api/media/clip").get_json()["tracks"]
    assert [t["srclang"] for t in tracks] == ["en", "fr"]


@both
def test_one_track_in_three_formats_at_once(app, token, library, monkeypatch):
    responses = race(monkeypatch, [
        lambda: api_track(app, token, GOOD_VTT, "fr", "fr.vtt"),
        lambda: api_track(app, token, GOOD_SRT, "fr", "fr.srt"),
        lambda: api_track(app, token, GOOD_SBV, "fr", "fr.sbv"),
    ])
    assert answers(responses) == [(200, True), (200, True), (201, False)]
    assert [n for n in clip_files(library) if ".fr." in n] == ["clip.fr.vtt"]


@both
def test_one_language_spelt_in_two_cases_is_one_track(app, token, library, monkeypatch):
    responses = race(monkeypatch, [lambda: api_track(app, token, srclang="pt-BR"),
                                   lambda: api_track(app, token, srclang="pt-br")])
    assert answers(responses) == [(200, True), (201, False)]
    first = next(r for r in responses if r.status_code == 201).get_json()
    second = next(r for r in responses if r.status_code == 200).get_json()
    # The replacement names the track as the library spells it.
    assert second["srclang"] == second["id"].split(".")[0] == first["srclang"]
    assert second["url"] == first["url"]
    assert len([n for n in clip_files(library) if ".pt-" in n.lower()]) == 1


@both
def test_the_form_and_the_api_at_once(app, token, library, monkeypatch):
    responses = race(monkeypatch, [lambda: form_track(app, token, follow=True),
                                   lambda: api_track(app, token)])
    api = next(r for r in responses if r.is_json)
    form = next(r for r in responses if not r.is_json)
    assert form.status_code == 200 and form.request.path == "/publish/media/clip"
    form_added = "Track “Deutsch (captions)” added." in form.text
    form_replaced = "Track “Deutsch (captions)” replaced." in form.text
    assert form_added != form_replaced
    # Exactly one of the two added the track; the other says it replaced it.
    assert [api.status_code == 201, form_added].count(True) == 1
    assert api.get_json()["replaced"] == form_added
    assert [n for n in clip_files(library) if ".de." in n] == ["clip.de.vtt"]


@both
def test_replacing_an_existing_track_at_once_replaces_it_each_time(app, token, monkeypatch):
    responses = race(monkeypatch, [lambda: api_track(app, token, WARNING_VTT, "en")] * 3)
    assert answers(responses) == [(200, True)] * 3


# -- the scan reports sidecars left without their media ---------------------------------

@pytest.mark.parametrize("name", ["talk.de.vtt", "talk.json", "talk.jpg", "talk.en.srt",
                                  "talk.v2.en.descriptions.vtt", "Talk.PNG"])
def test_the_scan_reports_a_sidecar_without_its_media(app, runner, media_dir, name):
    (media_dir / name).write_bytes(GOOD_SRT if name.endswith(".srt") else b"{}")
    result = runner.invoke(args=["scan"])
    assert f"{name}: {library.ORPHAN_PROBLEM}" in result.output
    assert "1 problem(s)" in result.output
    # An orphan SRT file is not converted into another orphan.
    assert [p.name for p in media_dir.iterdir() if p.name.lower().startswith("talk")] == [name]


def test_a_sidecar_with_its_media_is_no_orphan(app, runner, media_dir, media_cache):
    (media_dir / "notes.txt").write_text("not a sidecar")
    (media_dir / "song.json").write_text('{"title": "Song"}')
    result = runner.invoke(args=["scan"])
    assert "0 problem(s)" in result.output


def test_the_scan_waits_for_a_delete_under_way(app, media_dir):
    # Mid-delete, the media file is gone and a sidecar is not yet: the scan
    # waits for the item's lock and then finds nothing left over.
    storage = LocalStorage(media_dir)
    locked, done = threading.Event(), threading.Event()

    def delete() -> None:
        with storage.lock("clip"):
            (media_dir / "clip.mp4").unlink()
            locked.set()
            done.wait(WAIT)
            for name in ("clip.en.vtt", "clip.json"):
                (media_dir / name).unlink()

    deleter = threading.Thread(target=delete)
    deleter.start()
    assert locked.wait(WAIT)
    scanner, problems = in_thread(scan_problems, app)
    scanner.join(0.3)
    assert scanner.is_alive()
    done.set()
    deleter.join(WAIT)
    scanner.join(WAIT)
    assert problems == [[]]


# -- rescans at once ----------------------------------------------------------------------

def test_scans_at_once_run_one_after_the_other(app, media_dir):
    # Every change rescans; two at once both found the new track unindexed
    # and both added it (a 500 after the track was stored).
    (media_dir / "clip.fr.vtt").write_bytes(GOOD_VTT)
    (media_dir / "clip.de.vtt").write_bytes(GOOD_VTT)
    results = []
    threads = [threading.Thread(target=lambda: results.append(scan_problems(app)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert results == [[]] * 4


def test_a_scan_waits_for_the_scan_under_way(app, media_dir):
    storage = LocalStorage(media_dir)
    held, done = threading.Event(), threading.Event()

    def other_scan() -> None:
        with storage.lock(library.SCAN_LOCK):
            held.set()
            done.wait(WAIT)

    holder = threading.Thread(target=other_scan)
    holder.start()
    assert held.wait(WAIT)
    scanner, problems = in_thread(scan_problems, app)
    scanner.join(0.3)
    assert scanner.is_alive()
    done.set()
    holder.join(WAIT)
    scanner.join(WAIT)
    assert problems == [[]]
