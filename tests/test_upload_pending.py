"""A caption error does not throw the media upload away: the media file is
kept, outside the library, and only a corrected caption file is sent to
finish the upload, through the API or the publisher's form. On PostgreSQL + S3
the media file waits in the bucket (``player.library.s3kept``)."""

from __future__ import annotations

import io
import re
import threading

import pytest

from player.publish import pending as pending_uploads
from player.publish import uploads
from tests.mediagen import make_media
from tests.publish_support import (
    BROKEN_VTT,
    GOOD_SRT,
    GOOD_VTT,
    WARNING_VTT,
    bearer,
    create_publisher,
    csrf_from,
    log_in,
)
from tests.s3_support import storage_temp_files
from tests.test_openapi import check

pytestmark = pytest.mark.databases("sqlite", "postgresql")

GOOD_SBV = b"0:00:00.000,0:00:01.500\nHello from SBV.\n"
# One error only: the third cue ends before it starts (line 9, column 18).
ONE_ERROR_VTT = (b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nOne\n\n00:00:01.000 --> 00:00:02.000\n"
                 b"Two\n\n00:00:04.000 --> 00:00:03.000\nThree\n")


@pytest.fixture
def headers(app):
    return bearer(create_publisher(app, "api"))


def library_files(library) -> dict[str, bytes]:
    return {entry.name: library.read_bytes(entry.name) for entry in library.list()}


def kept_uploads(library) -> list[str]:
    """The kept uploads (a folder keeps each as one file, a bucket as its
    bytes and a record naming them: the records are counted)."""
    return [name for name in storage_temp_files(library) if name.startswith("kept-")]


def upload_with_captions(client, headers, media_cache, captions: bytes = BROKEN_VTT,
                         name: str = "mp4", poster: bool = False, **fields):
    data = {"title": "Kept talk", "description": "Said twice.", "language": "en", **fields,
            "file": (make_media(name, media_cache).open("rb"), f"talk.{name}"),
            "captions": (io.BytesIO(captions), "talk.vtt")}
    if poster:
        data["poster"] = (make_media("png", media_cache).open("rb"), "cover.png")
    return client.post("/api/media", headers=headers, data=data)


def finish(client, headers, url: str, captions: bytes | None, name: str = "fixed.vtt"):
    data = {} if captions is None else {"captions": (io.BytesIO(captions), name)}
    return client.post(url, headers=headers, data=data, content_type="multipart/form-data")


def pending_of(response) -> dict:
    return response.get_json()["error"]["details"]["pending_upload"]


# -- the API ---------------------------------------------------------------------------------

@pytest.mark.parametrize("corrected,name,cues", [(GOOD_VTT, "fixed.vtt", 1),
                                                 (GOOD_SRT, "fixed.srt", 2),
                                                 (GOOD_SBV, "fixed.sbv", 1)])
def test_the_media_is_kept_and_only_corrected_captions_finish_it(
        client, headers, media_cache, library, corrected, name, cues):
    before = library_files(library)
    response = upload_with_captions(client, headers, media_cache, poster=True)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unprocessable"
    assert [p["line"] for p in error["details"]["problems"]] == [3, 6]
    kept = pending_of(response)
    assert re.fullmatch(r"http://localhost/api/uploads/[A-Za-z0-9_-]{24}", kept["url"])
    assert kept["url"].endswith(kept["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", kept["expires_at"])
    assert error["message"].startswith("The caption file has 2 errors, so it was not saved.")
    assert (f"The media file was kept for 24 hours: to finish, send only the corrected"
            f" caption file, as the multipart field 'captions', in a POST to {kept['url']}."
            ) in error["message"]
    assert library_files(library) == before
    assert client.get("/api/media/kept-talk").status_code == 404

    response = finish(client, headers, kept["url"], corrected, name)
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert response.headers["Location"] == "http://localhost/api/media/kept-talk"
    assert (item["id"], item["title"], item["description"]) == (
        "kept-talk", "Kept talk", "Said twice.")
    assert [(t["kind"], t["srclang"], t["cues"]) for t in item["tracks"]] == [
        ("captions", "en", cues)]
    assert item["poster"]
    assert library.read_bytes("kept-talk.mp4") == make_media("mp4", media_cache).read_bytes()
    assert library.read_bytes("kept-talk.png") == make_media("png", media_cache).read_bytes()
    assert storage_temp_files(library) == []
    # Finished once: the id names nothing now.
    again = finish(client, headers, kept["url"], GOOD_VTT)
    assert again.status_code == 404
    assert "finished already" in again.get_json()["error"]["message"]


def test_captions_still_wrong_keep_it_again_with_the_new_problems(
        client, headers, media_cache, library):
    kept = pending_of(upload_with_captions(client, headers, media_cache, name="mp3"))
    response = finish(client, headers, kept["url"], ONE_ERROR_VTT)
    assert response.status_code == 422
    assert pending_of(response)["id"] == kept["id"]
    assert [p["line"] for p in response.get_json()["error"]["details"]["problems"]] == [9]
    response = finish(client, headers, kept["url"], None)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["fields"] == {
        "captions": "Choose the corrected caption file."}
    assert pending_of(response)["id"] == kept["id"]
    # Warnings do not stop it, as in a one-step upload.
    response = finish(client, headers, kept["url"], WARNING_VTT)
    assert response.status_code == 201
    assert response.get_json()["tracks"][0]["warnings"] == 2


def test_a_caption_file_too_large_keeps_the_media_too(app, client, headers, media_cache,
                                                      library, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_SIDE_FILE_BYTES", 100)
    response = upload_with_captions(client, headers, media_cache, GOOD_VTT * 3)
    assert response.status_code == 413
    kept = pending_of(response)
    assert finish(client, headers, kept["url"], GOOD_VTT * 3).status_code == 413
    assert finish(client, headers, kept["url"], GOOD_VTT).status_code == 201


def test_the_language_of_the_upload_is_the_captions(client, headers, media_cache):
    kept = pending_of(upload_with_captions(client, headers, media_cache, language="uk"))
    item = finish(client, headers, kept["url"], GOOD_VTT).get_json()
    assert (item["language"], item["tracks"][0]["srclang"]) == ("uk", "uk")


def test_other_faults_keep_nothing(client, headers, media_cache, library):
    # A media file the player cannot play, or a bad poster, is not kept: only
    # the caption file can be sent alone.
    response = client.post("/api/media", headers=headers, data={
        "file": (make_media("truncated_mp4", media_cache).open("rb"), "t.mp4"),
        "captions": (io.BytesIO(BROKEN_VTT), "c.vtt")})
    assert response.status_code == 422
    assert "pending_upload" not in response.get_json()["error"]["details"]
    response = client.post("/api/media", headers=headers, data={
        "file": (make_media("mp4", media_cache).open("rb"), "t.mp4"),
        "poster": (io.BytesIO(b"not an image"), "p.png"),
        "captions": (io.BytesIO(BROKEN_VTT), "c.vtt")})
    assert response.status_code == 415
    assert storage_temp_files(library) == []


def test_discarding_a_kept_upload(client, headers, media_cache, library):
    kept = pending_of(upload_with_captions(client, headers, media_cache, poster=True))
    assert len(kept_uploads(library)) == 3
    assert client.delete(kept["url"], headers=headers).status_code == 204
    assert storage_temp_files(library) == []
    assert client.delete(kept["url"], headers=headers).status_code == 404
    assert finish(client, headers, kept["url"], GOOD_VTT).status_code == 404


@pytest.mark.parametrize("pending_id", ["nothing-kept-under-this-id", "short", "x" * 65,
                                        "..%2F..%2Fclip.mp4", "kept-clip"])
def test_unknown_ids_are_404(client, headers, pending_id):
    url = f"/api/uploads/{pending_id}"
    assert finish(client, headers, url, GOOD_VTT).status_code == 404
    assert client.delete(url, headers=headers).status_code == 404


def test_a_kept_upload_needs_a_publisher(client, headers, media_cache):
    kept = pending_of(upload_with_captions(client, headers, media_cache))
    assert finish(client, {}, kept["url"], GOOD_VTT).status_code == 401
    assert finish(client, bearer("nope"), kept["url"], GOOD_VTT).status_code == 403
    assert client.delete(kept["url"]).status_code == 401
    assert finish(client, headers, kept["url"], GOOD_VTT).status_code == 201


def test_two_finishes_at_once_make_one_item(app, headers, media_cache, library):
    kept = pending_of(upload_with_captions(app.test_client(), headers, media_cache))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(
        finish(app.test_client(), headers, kept["url"], GOOD_VTT).status_code))
        for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [201, 404, 404]
    assert sorted(n for n in library_files(library) if n.startswith("kept-talk")) == [
        "kept-talk.en.vtt", "kept-talk.json", "kept-talk.mp4"]


def test_a_storage_that_cannot_keep_answers_as_before(client, headers, media_cache,
                                                      library, monkeypatch):
    def cannot(*args, **kwargs):
        raise NotImplementedError

    monkeypatch.setattr(pending_uploads, "keep", cannot)
    response = upload_with_captions(client, headers, media_cache)
    assert response.status_code == 422
    assert "pending_upload" not in response.get_json()["error"]["details"]
    assert storage_temp_files(library) == []


def test_the_answers_match_the_openapi_document(app, client, headers, media_cache):
    spec = client.get("/api/openapi.json").get_json()
    media, pending = "/api/media", "/api/uploads/{pending_id}"
    response = upload_with_captions(client, headers, media_cache)
    check(spec, response, media, "post")
    url = pending_of(response)["url"]
    check(spec, finish(client, headers, url, BROKEN_VTT), pending, "post")
    check(spec, finish(client, headers, url, None), pending, "post")
    check(spec, finish(client, headers, url, GOOD_VTT), pending, "post")
    check(spec, finish(client, headers, url, GOOD_VTT), pending, "post")
    check(spec, client.delete(url, headers=headers), pending, "delete")
    kept = pending_of(upload_with_captions(client, headers, media_cache, name="mp3"))
    check(spec, client.delete(kept["url"], headers=headers), pending, "delete")
    schema = spec["components"]["schemas"]["PendingUpload"]
    assert set(schema["required"]) == set(kept)


# -- the publisher's pages --------------------------------------------------------------------

@pytest.fixture
def csrf(app, client):
    return log_in(client, "pat", create_publisher(app, "pat"))


def form_upload(client, csrf, media_cache, captions: bytes = BROKEN_VTT):
    return client.post("/publish/upload", data={
        "csrf_token": csrf, "title": "Kept talk", "description": "", "language": "en",
        "file": (make_media("mp4", media_cache).open("rb"), "talk.mp4"),
        "poster": (io.BytesIO(b""), ""), "captions": (io.BytesIO(captions), "talk.vtt")})


def pending_url(html: str) -> str:
    match = re.search(r'data-pending-url="(/publish/upload/[A-Za-z0-9_-]+)"', html)
    assert match, "the page has no form for the corrected captions"
    return match.group(1)


def test_the_form_asks_only_for_corrected_captions(client, csrf, media_cache, library):
    before = library_files(library)
    response = form_upload(client, csrf, media_cache)
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Upload media: correct the captions" in html
    assert '<a href="#captions">The caption file has 2 errors' in html
    assert "<strong>Line 3, column 13</strong> (error)" in html
    assert "<strong>Line 6, column 18</strong> (error)" in html
    assert "<h2>Your media file is kept</h2>" in html
    assert "“talk.mp4” (" in html and "You do not need to choose or send it again" in html
    assert "kept for 24 hours" in html
    url = pending_url(html)
    assert f'<form method="post" enctype="multipart/form-data" action="{url}"' in html
    # One file field, for the captions, tied to its error; no media field.
    assert re.findall(r'<input type="file" id="(\w+)"', html) == ["captions"]
    assert re.search(r'<input type="file" id="captions" name="captions"[^>]*'
                     r'aria-describedby="captions-hint captions-error" aria-invalid="true"', html)
    assert library_files(library) == before

    # The page can be loaded again (after a reload, or later).
    again = client.get(url)
    assert again.status_code == 200
    assert '<a href="#captions">The caption file has 2 errors' in again.text

    response = client.post(url, data={
        "csrf_token": csrf, "captions": (io.BytesIO(ONE_ERROR_VTT), "fixed.vtt")})
    assert response.status_code == 422
    assert "<strong>Line 9, column 18</strong> (error)" in response.text
    assert "Line 3, column 13" not in response.text
    assert "“fixed.vtt”" in response.text

    response = client.post(url, data={
        "csrf_token": csrf, "captions": (io.BytesIO(GOOD_SRT), "fixed.srt")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/publish/media/kept-talk"
    assert "Uploaded “Kept talk”." in client.get("/publish/media/kept-talk").text
    assert library.read_bytes("kept-talk.en.vtt").startswith(b"WEBVTT")
    assert storage_temp_files(library) == []
    assert client.get(url).status_code == 404


def test_the_form_without_a_file_says_so(client, csrf, media_cache):
    url = pending_url(form_upload(client, csrf, media_cache).text)
    response = client.post(url, data={"csrf_token": csrf, "captions": (io.BytesIO(b""), "")})
    assert response.status_code == 400
    assert '<a href="#captions">Choose the corrected caption file.</a>' in response.text
    assert pending_url(response.text) == url


def test_the_forms_need_the_token(client, csrf, media_cache, library):
    url = pending_url(form_upload(client, csrf, media_cache).text)
    response = client.post(url, data={"captions": (io.BytesIO(GOOD_VTT), "f.vtt")})
    assert response.status_code == 403
    assert client.post(f"{url}/discard").status_code == 403
    assert len(kept_uploads(library)) == 2


def test_discarding_from_the_page(client, csrf, media_cache, library):
    html = form_upload(client, csrf, media_cache).text
    url = pending_url(html)
    assert f'action="{url}/discard"' in html
    response = client.post(f"{url}/discard", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/publish/upload"
    assert "The kept upload has been discarded." in client.get("/publish/upload").text
    assert storage_temp_files(library) == []
    assert client.post(f"{url}/discard", data={"csrf_token": csrf}).status_code == 404


def test_the_pages_need_a_signed_in_publisher(app, client, media_cache):
    csrf = log_in(client, "pat", create_publisher(app, "pat"))
    url = pending_url(form_upload(client, csrf, media_cache).text)
    stranger = app.test_client()
    assert stranger.get(url).status_code == 302
    assert stranger.post(url, data={"captions": (io.BytesIO(GOOD_VTT), "f.vtt")}
                         ).status_code == 401


def test_a_token_from_the_page_is_the_apis(app, client, csrf, media_cache, headers):
    # The page and the API name the same kept upload.
    url = pending_url(form_upload(client, csrf, media_cache).text)
    pending_id = url.rsplit("/", 1)[1]
    response = finish(app.test_client(), headers, f"/api/uploads/{pending_id}", GOOD_VTT)
    assert response.status_code == 201
    assert csrf_from(client.get("/publish/upload").text)
