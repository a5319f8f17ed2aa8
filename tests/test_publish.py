"""The publisher pages: library status, upload form, editing, tracks, deletion."""

from __future__ import annotations

import io
import json
import re

import pytest

from player import db
from player.library import scan as scanning
from tests.mediagen import make_media
from tests.publish_support import (
    BROKEN_VTT,
    GOOD_SRT,
    GOOD_VTT,
    WARNING_VTT,
    create_publisher,
    log_in,
)
from tests.s3_support import assert_kept_aside, storage_state, storage_temp_files

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def csrf(app, client):
    """Sign the client in; the session's CSRF token."""
    return log_in(client, "pat", create_publisher(app))


def row(html: str, item_id: str) -> str:
    match = re.search(rf'<tr id="item-{item_id}">.*?</tr>', html, re.S)
    assert match, f"no row for {item_id}"
    return match.group(0)


def titles(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/publish/media/[^"]+">([^<]+)</a>', html)


# -- the library page ------------------------------------------------------------------

def test_library_shows_each_items_wcag_status(client, csrf):
    html = client.get("/publish/").text
    clip = row(html, "clip")
    assert "Captions:</strong>\n            Done" in clip
    assert "Audio description:</strong>\n            Missing" in clip
    assert 'href="/publish/media/clip?kind=descriptions#add-track">Add descriptions' in clip
    assert "Transcript:</strong>\n            Done" in clip
    song = row(html, "song")
    assert "Captions:</strong>\n            Not needed" in song
    assert "Transcript:</strong>\n            Missing" in song
    assert ('href="/publish/media/song?kind=captions#add-track">'
            "Add captions for a transcript") in song
    assert "3:00" not in song and "3 seconds" in song


def test_a_rejected_caption_file_shows_as_errors(client, csrf, library):
    library.write("clip.en.vtt", BROKEN_VTT)
    with client.application.app_context():
        scanning.scan(library, db.get_db())
    clip = row(client.get("/publish/").text, "clip")
    assert "Captions:</strong>\n            Has errors" in clip
    assert "Fix the captions" in clip and "(has errors)" in clip


@pytest.mark.parametrize("query,expected", [
    ("", ["A short clip", "song"]),
    ("?needs=descriptions", ["A short clip"]),
    ("?needs=transcript", ["song"]),
    ("?needs=todo", ["A short clip", "song"]),
    ("?needs=complete", []),
    ("?kind=audio", ["song"]),
    ("?q=SHORT", ["A short clip"]),
    ("?sort=title&order=desc", ["song", "A short clip"]),
    ("?sort=kind", ["song", "A short clip"]),
    ("?needs=nonsense&sort=nonsense", ["A short clip", "song"]),
])
def test_library_filters_and_sorts_without_javascript(client, csrf, query, expected):
    response = client.get(f"/publish/{query}")
    assert response.status_code == 200
    assert titles(response.text) == expected


def test_sort_by_status_puts_the_most_work_first_or_last(client, csrf, library):
    library.delete("clip.en.vtt")
    with client.application.app_context():
        scanning.scan(library, db.get_db())
    assert titles(client.get("/publish/?sort=status&order=desc").text) == ["A short clip", "song"]
    assert titles(client.get("/publish/?sort=status").text) == ["song", "A short clip"]


def test_sort_links_keep_filters_and_say_the_order(client, csrf):
    html = client.get("/publish/?sort=duration&order=asc&kind=video").text
    assert ('<th scope="col" aria-sort="ascending">'
            '<a href="/publish/?sort=duration&amp;order=desc&amp;kind=video">Duration') in html
    assert "sorted by duration (ascending)" in html


# -- uploading through the form ------------------------------------------------------------

def test_upload_form_creates_the_item_and_goes_to_it(client, csrf, media_cache, library):
    response = client.post("/publish/upload", data={
        "csrf_token": csrf, "title": "Lecture one", "description": "Week 1", "language": "en",
        "file": (make_media("webm_vp9_opus", media_cache).open("rb"), "lecture.webm"),
        "poster": (io.BytesIO(b""), ""), "captions": (io.BytesIO(GOOD_SRT), "lecture.srt"),
    })
    assert response.status_code == 303
    assert response.headers["Location"] == "/publish/media/lecture-one"
    page = client.get("/publish/media/lecture-one").text
    assert "Uploaded “Lecture one”." in page
    assert library.exists("lecture-one.webm")
    assert library.read_bytes("lecture-one.en.vtt").decode().startswith("WEBVTT")
    assert storage_temp_files(library) == []


@pytest.mark.parametrize("name,status", [("png", 415), ("truncated_mp4", 422)])
def test_upload_form_errors_use_an_error_summary(client, csrf, media_cache, library,
                                                 name, status):
    before = storage_state(library)
    response = client.post("/publish/upload", data={
        "csrf_token": csrf, "title": "Kept title",
        "file": (make_media(name, media_cache).open("rb"), "x.mp4")})
    assert response.status_code == status
    html = response.text
    assert "<title>Error: Upload media" in html
    summary = re.search(r'<div class="error-summary".*?</div>\s*</div>', html, re.S).group(0)
    assert 'tabindex="-1" autofocus' in summary and 'role="alert"' in summary
    assert '<a href="#file">' in summary
    assert re.search(r'<input type="file" id="file" name="file"[^>]*'
                     r'aria-describedby="file-hint file-error" aria-invalid="true"', html)
    assert '<p class="field-error" id="file-error">' in html
    assert 'value="Kept title"' in html
    assert storage_state(library) == before


def test_upload_form_shows_caption_errors_with_line_numbers(client, csrf, media_cache,
                                                            library):
    before = storage_state(library)
    response = client.post("/publish/upload", data={
        "csrf_token": csrf, "title": "Captioned",
        "file": (make_media("mp4", media_cache).open("rb"), "x.mp4"),
        "captions": (io.BytesIO(BROKEN_VTT), "x.vtt")})
    assert response.status_code == 422
    assert '<a href="#captions">The caption file has 2 errors' in response.text
    assert "<strong>Line 3, column 13</strong> (error)" in response.text
    assert "<strong>Line 6, column 18</strong> (error)" in response.text
    # Nothing reaches the library; the media file is kept aside for corrected
    # captions (see test_upload_pending.py).
    kept = assert_kept_aside(library, before)
    assert [name.rsplit(".", 1)[1] for name in kept] == ["json", "media"]


def test_upload_form_too_large_says_the_limit(app, client, csrf, media_cache):
    app.config["MAX_UPLOAD_BYTES"] = app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post("/publish/upload", data={
        "csrf_token": csrf, "file": (make_media("wav", media_cache).open("rb"), "x.wav")})
    assert response.status_code == 413
    assert "the limit is 9.8 KiB (10,000 bytes)" in response.text
    assert 'data-max-bytes="10000"' in response.text


# -- editing -------------------------------------------------------------------------

def test_edit_title_description_labels_and_poster(client, csrf, media_cache, library):
    png = make_media("png", media_cache)
    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "Renamed clip", "description": "New words",
        "label-en.captions": "English (CC)", "poster": (png.open("rb"), "p.png")})
    assert response.status_code == 303
    assert "Your changes have been saved." in client.get(response.headers["Location"]).text
    item = client.get("/api/media/clip").get_json()
    assert (item["title"], item["description"]) == ("Renamed clip", "New words")
    assert item["tracks"][0]["label"] == "English (CC)"
    assert library.read_bytes("clip.png") == png.read_bytes()
    metadata = json.loads(library.read_bytes("clip.json").decode())
    assert metadata["tracks"] == {"en.captions": "English (CC)"}

    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "Renamed clip", "description": "",
        "label-en.captions": "", "remove_poster": "1"}, content_type="multipart/form-data")
    assert response.status_code == 303
    item = client.get("/api/media/clip").get_json()
    assert item["poster"] is None and item["tracks"][0]["label"] == "English captions"


def test_edit_errors_are_shown_by_their_fields(client, csrf, library):
    before = storage_state(library)
    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "", "description": "d", "described_version": "nope",
        "poster": (io.BytesIO(b"GIF89a not allowed"), "p.gif")})
    assert response.status_code == 400
    assert '<a href="#title">Enter a title.</a>' in response.text
    assert '<a href="#described_version">' in response.text
    assert storage_state(library) == before
    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "T", "poster": (io.BytesIO(b"GIF89a not allowed"), "p.gif")})
    assert response.status_code == 415
    assert '<a href="#poster">The poster must be a JPEG, PNG or WebP image.</a>' in response.text


def test_a_described_version_meets_the_audio_description_need(client, csrf, media_cache,
                                                              library):
    library.write("clip-described.mp4", make_media("mp4", media_cache).read_bytes())
    with client.application.app_context():
        scanning.scan(library, db.get_db())
    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "A short clip", "described_version": "clip-described"},
        content_type="multipart/form-data")
    assert response.status_code == 303
    clip = row(client.get("/publish/").text, "clip")
    assert "Audio description:</strong>\n            Done" in clip


# -- tracks -----------------------------------------------------------------------------

def post_track(client, csrf, item_id, data, **fields):
    return client.post(f"/publish/media/{item_id}/tracks", data={
        "csrf_token": csrf, "kind": "captions", "srclang": "en", "label": "", **fields,
        "file": (io.BytesIO(data), "t.vtt")})


def test_track_errors_are_listed_with_line_numbers_and_block_the_track(client, csrf, library):
    before = storage_state(library)
    response = post_track(client, csrf, "clip", BROKEN_VTT)
    assert response.status_code == 422
    html = response.text
    assert '<a href="#track-file">The caption file has 2 errors' in html
    assert re.search(r'id="track-file"[^>]*aria-describedby="track-file-hint track-file-error"',
                     html)
    assert "<strong>Line 3, column 13</strong> (error)" in html
    assert storage_state(library) == before


def test_track_warnings_are_shown_and_the_track_kept(client, csrf, library):
    response = post_track(client, csrf, "song", WARNING_VTT, label="Lyrics")
    assert response.status_code == 303
    assert response.headers["Location"] == "/publish/media/song#track-en.captions"
    page = client.get("/publish/media/song").text
    assert "Track “Lyrics” added with 2 warnings: see below." in page
    assert "It has 2 warnings worth fixing" in page
    assert "<strong>Line 3, column 1</strong> (warning)" in page
    assert client.get("/api/media/song").get_json()["tracks"][0]["label"] == "Lyrics"


def test_replacing_a_track_swaps_the_file(client, csrf, library):
    response = post_track(client, csrf, "clip", GOOD_VTT)
    assert response.status_code == 303
    assert "replaced" in client.get("/publish/media/clip").text
    assert library.read_bytes("clip.en.vtt") == GOOD_VTT
    assert storage_temp_files(library) == []


def test_deleting_a_track_asks_first(client, csrf, library):
    page = client.get("/publish/media/clip/tracks/en.captions/delete")
    assert page.status_code == 200
    assert "Delete the track “English captions” from “A short clip”?" in page.text
    assert library.exists("clip.en.vtt")
    response = client.post("/publish/media/clip/tracks/en.captions/delete",
                           data={"csrf_token": csrf})
    assert response.status_code == 303
    assert not library.exists("clip.en.vtt")
    assert client.get("/publish/media/clip/tracks/en.captions/delete").status_code == 404


def test_deleting_an_item_asks_first(client, csrf, library):
    page = client.get("/publish/media/clip/delete")
    assert "Delete “A short clip”?" in page.text and "This cannot be undone." in page.text
    assert library.exists("clip.mp4")
    response = client.post("/publish/media/clip/delete", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/publish/"
    assert "Deleted “A short clip”." in client.get("/publish/").text
    assert sorted(entry.name for entry in library.list()) == ["song.mp3"]


def test_unknown_items_are_404(client, csrf):
    for path in ("/publish/media/nope", "/publish/media/nope/delete",
                 "/publish/media/clip/tracks/xx.captions/delete"):
        assert client.get(path).status_code == 404
