"""Saving tracks from the caption editor over HTTP: versions with who and
when, revert, If-Match (412 for a stale tag, 428 without one), 422 with
file:line messages and nothing written, and every cache seeing the new text
at once; sign-in and CSRF for the pages, bearer tokens for the API. On both
database backends."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import CAPTIONS_EN
from tests.publish_support import bearer, create_publisher, log_in
from tests.s3_support import storage_state

pytestmark = pytest.mark.databases("sqlite", "postgresql")

PAGE = "/publish/media/clip/tracks/en.captions"
API = "/api/media/clip/tracks/en.captions"
EDITED = CAPTIONS_EN.replace("Hello and welcome.", "Hello, and welcome to the edit.")
# Cue 2 (its timing on line 6) ends before it starts.
BROKEN = CAPTIONS_EN.replace("00:00:01.500 --> 00:00:03.000", "00:00:01.500 --> 00:00:01.000")


@pytest.fixture
def token(app):
    return create_publisher(app)


@pytest.fixture
def csrf(client, token):
    """A signed-in client; the session's CSRF token."""
    return log_in(client, "pat", token)


def put_page(client, csrf, text: str, etag: str | None, **headers):
    sent = {"X-CSRF-Token": csrf, "Content-Type": "text/vtt", **headers}
    if etag is not None:
        sent["If-Match"] = etag
    return client.put(f"{PAGE}/text", data=text.encode("utf-8"), headers=sent)


def current(client, csrf) -> tuple[str, str]:
    answer = client.get(f"{PAGE}/text")
    assert answer.status_code == 200
    assert answer.headers["ETag"] == answer.json["etag"]
    return answer.json["text"], answer.headers["ETag"]


def test_the_track_text_is_tagged_with_a_digest_of_its_bytes(client, csrf, library):
    text, etag = current(client, csrf)
    assert text == CAPTIONS_EN
    digest = hashlib.blake2b(library.read_bytes("clip.en.vtt"), digest_size=16)
    assert etag == f'"{digest.hexdigest()}"'
    assert client.get(f"{PAGE}/text", headers={"If-None-Match": etag}).status_code == 304


def test_a_save_keeps_the_previous_version_and_every_cache_sees_the_new_text(
        client, csrf, library):
    assert "welcome" in client.get("/api/search?q=welcome").text
    _, etag = current(client, csrf)
    saved = put_page(client, csrf, EDITED, etag)
    assert saved.status_code == 200, saved.text
    assert saved.json["version"] == 2 and saved.headers["ETag"] == saved.json["etag"] != etag
    assert library.read_bytes("clip.en.vtt").decode() == EDITED
    # The transcript, the search index and the catalog, at once.
    transcript = client.get("/api/media/clip/transcript").json
    assert transcript[0]["text"] == "Hello, and welcome to the edit."
    hits = client.get("/api/search?q=edit").json["results"]
    assert [h["text"] for r in hits for h in r["hits"]] == ["Hello, and welcome to the edit."]
    assert client.get("/api/media/clip").json["tracks"][0]["cues"] == 2
    # Saved again unchanged: no new version.
    again = put_page(client, csrf, EDITED, saved.json["etag"])
    assert again.status_code == 200 and again.json["version"] is None

    page = client.get(f"{PAGE}/versions")
    assert page.status_code == 200
    assert "2 versions, newest first" in page.text
    assert ">pat<" in page.text and "(before the editor)" in page.text
    assert "Revert to version 1" in page.text and "Revert to version 2" not in page.text
    assert client.get(f"{PAGE}/versions/1").text == CAPTIONS_EN
    audit = client.get("/publish/audit").text
    assert "replaced a track of" in audit and "en.captions" in audit


def test_a_stale_if_match_is_412_with_a_clear_message_and_nothing_written(
        client, csrf, library):
    _, etag = current(client, csrf)
    assert put_page(client, csrf, EDITED, etag).status_code == 200
    before = storage_state(library)
    late = put_page(client, csrf, EDITED.replace("edit.", "other edit."), etag)
    assert late.status_code == 412
    error = late.json["error"]
    assert error["message"].startswith("Someone else saved this track after you opened it,"
                                       " so your changes were not saved.")
    assert error["details"]["etag"] == current(client, csrf)[1]
    assert error["details"]["version"] == 2
    assert storage_state(library) == before
    assert len(client.get(f"{API}/versions",
                          headers=bearer(create_publisher(client.application, "sam")))
               .json["versions"]) == 2


def test_without_if_match_a_save_is_428(client, csrf, library):
    before = storage_state(library)
    answer = put_page(client, csrf, EDITED, None)
    assert answer.status_code == 428
    assert "If-Match" in answer.json["error"]["message"]
    assert answer.json["error"]["details"]["etag"] == current(client, csrf)[1]
    assert storage_state(library) == before


def test_a_text_with_errors_is_422_with_file_and_line_and_nothing_written(
        client, csrf, library):
    _, etag = current(client, csrf)
    before = storage_state(library)
    answer = put_page(client, csrf, BROKEN, etag)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["message"].startswith("The track has 1 error, so it was not saved.")
    assert error["details"]["messages"] == [
        "clip.en.vtt:6:18: error: The cue ends (00:00:01.000) before it starts (00:00:01.500),"
        " so it never shows. The end time must be after the start time."]
    assert [p["line"] for p in error["details"]["problems"]] == [6]
    assert storage_state(library) == before
    assert "No versions yet" in client.get(f"{PAGE}/versions").text


def test_the_check_endpoint_reports_problems_by_line_and_stores_nothing(client, csrf,
                                                                         library):
    before = storage_state(library)
    answer = client.post(f"{PAGE}/check", data=BROKEN.encode(),
                         headers={"X-CSRF-Token": csrf, "Content-Type": "text/vtt"})
    assert answer.status_code == 200
    assert answer.json["ok"] is False and answer.json["cues"] == 2
    assert [(p["line"], p["severity"], p["code"]) for p in answer.json["problems"]] == [
        (6, "error", "end-before-start")]
    assert storage_state(library) == before


def test_revert_from_the_versions_page(client, csrf, library):
    _, etag = current(client, csrf)
    assert put_page(client, csrf, EDITED, etag).status_code == 200
    _, etag = current(client, csrf)
    answer = client.post(f"{PAGE}/versions/1/revert",
                         data={"csrf_token": csrf, "etag": etag.strip('"')})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    assert "Reverted to version 1: it is now version 3." in page.text
    assert "reverted" in page.text
    assert library.read_bytes("clip.en.vtt").decode() == CAPTIONS_EN
    assert client.get("/api/media/clip/transcript").json[0]["text"] == "Hello and welcome."
    # A revert form from before that is refused, with the reason on the page.
    stale = client.post(f"{PAGE}/versions/2/revert",
                        data={"csrf_token": csrf, "etag": etag.strip('"')})
    assert stale.status_code == 412
    assert "Someone else saved this track after you opened it" in stale.text
    assert library.read_bytes("clip.en.vtt").decode() == CAPTIONS_EN


def test_the_api_reads_saves_lists_and_reverts_with_a_token(client, app, token, library):
    headers = bearer(token)
    text = client.get(API, headers=headers)
    assert text.status_code == 200 and text.content_type == "text/vtt; charset=utf-8"
    assert text.text == CAPTIONS_EN
    saved = client.put(API, data=EDITED.encode(),
                       headers={**headers, "If-Match": text.headers["ETag"]})
    assert saved.status_code == 200 and saved.json["version"] == 2
    listed = client.get(f"{API}/versions", headers=headers).json["versions"]
    assert [(v["id"], v["actor"], v["action"], v["current"]) for v in listed] == [
        (2, "pat", "edit", True), (1, "(before the editor)", "earlier", False)]
    assert listed[0]["at"].endswith("Z") and listed[0]["etag"] == saved.json["etag"]
    assert client.get(f"{API}/versions/1", headers=headers).text == CAPTIONS_EN
    assert client.get(f"{API}/versions/9", headers=headers).status_code == 404
    reverted = client.post(f"{API}/versions/1/revert",
                           headers={**headers, "If-Match": saved.json["etag"]})
    assert reverted.status_code == 200 and reverted.json["version"] == 3
    assert library.read_bytes("clip.en.vtt").decode() == CAPTIONS_EN
    stale = client.post(f"{API}/versions/2/revert",
                        headers={**headers, "If-Match": saved.json["etag"]})
    assert stale.status_code == 412
    check = client.post(f"{API}/check", data=BROKEN.encode(), headers=headers)
    assert check.json["problems"][0]["line"] == 6
    # DELETE of the track now answers If-Match against the track's text.
    gone = client.delete(API, headers={**headers, "If-Match": saved.json["etag"]})
    assert gone.status_code == 412 and library.exists("clip.en.vtt")


def test_an_api_save_keeps_every_precondition_and_takes_webvtt_text(client, token, library):
    headers = bearer(token)
    etag = client.get(API, headers=headers).headers["ETag"]
    # RFC 9110 §13.2.2: If-None-Match naming the current tag fails an unsafe method.
    both = client.put(API, data=EDITED.encode(),
                      headers={**headers, "If-Match": etag, "If-None-Match": etag})
    assert both.status_code == 412
    json_body = client.put(API, data=b"{}", content_type="application/json",
                           headers={**headers, "If-Match": etag})
    assert json_body.status_code == 415
    assert json_body.json["error"]["message"] == (
        "Send the captions as WebVTT text (Content-Type: text/vtt), not application/json.")
    assert library.read_bytes("clip.en.vtt").decode() == CAPTIONS_EN
    saved = client.put(API, data=EDITED.encode(), content_type="text/vtt; charset=utf-8",
                       headers={**headers, "If-Match": etag})
    assert saved.status_code == 200


def test_saving_a_fixed_rejected_track_offers_it_to_players(client, csrf, library):
    library.write("clip.en.vtt", BROKEN.encode())
    client.application.test_cli_runner().invoke(args=["scan"])
    assert client.get("/api/media/clip").json["tracks"] == []
    page = client.get(f"{PAGE}/edit")
    assert page.status_code == 200 and "players do not offer it" in page.text
    _, etag = current(client, csrf)
    assert put_page(client, csrf, CAPTIONS_EN, etag).status_code == 200
    assert client.get("/api/media/clip").json["tracks"][0]["srclang"] == "en"


def test_the_item_page_links_each_track_to_the_editor(client, csrf):
    page = client.get("/publish/media/clip").text
    assert f'href="{PAGE}/edit">Edit in the caption editor' in page
    editor = client.get(f"{PAGE}/edit")
    assert editor.status_code == 200
    assert 'data-config="' in editor.text and "js/editor.js" in editor.text
    assert 'data-ed-media src="http://localhost/files/clip/clip.mp4"' in editor.text
    assert client.get("/publish/media/clip/tracks/fr.captions/edit").status_code == 404


def test_pages_need_a_session_and_the_api_a_token(client, app, library):
    before = storage_state(library)
    page = client.get(f"{PAGE}/edit")
    assert page.status_code == 302 and "/publish/login" in page.headers["Location"]
    assert client.put(f"{PAGE}/text", data=EDITED.encode()).status_code == 401
    assert client.put(API, data=EDITED.encode(), headers={"If-Match": "*"}).status_code == 401
    refused = client.put(API, data=EDITED.encode(),
                         headers={"If-Match": "*", "Authorization": "Bearer nope"})
    assert refused.status_code == 403
    assert client.get(f"{API}/versions").status_code == 401
    assert storage_state(library) == before


@pytest.mark.parametrize("refusal", ["no token", "wrong token", "cross-site", "other origin"])
def test_page_writes_without_the_csrf_token_or_from_another_site_are_refused(
        client, csrf, library, refusal):
    _, etag = current(client, csrf)
    before = storage_state(library)
    headers = {
        "no token": {},
        "wrong token": {"X-CSRF-Token": "not-the-token"},
        "cross-site": {"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"},
        "other origin": {"X-CSRF-Token": csrf, "Origin": "https://elsewhere.example"},
    }[refusal]
    answer = client.put(f"{PAGE}/text", data=EDITED.encode(),
                        headers={**headers, "If-Match": etag, "Content-Type": "text/vtt"})
    assert answer.status_code == 403
    check = client.post(f"{PAGE}/check", data=EDITED.encode(), headers=headers)
    assert check.status_code == 403
    form = {"etag": etag.strip('"')}
    if "X-CSRF-Token" in headers:
        form["csrf_token"] = headers.pop("X-CSRF-Token")
    revert = client.post(f"{PAGE}/versions/1/revert", data=form, headers=headers)
    assert revert.status_code == 403
    assert storage_state(library) == before
    assert client.get(f"{PAGE}/versions").status_code == 200, "the session is still open"


def test_a_draft_is_edited_apart_from_the_authors_track_and_approved_as_seen(
        client, app, csrf, library):
    draft = "/publish/media/clip/tracks/en.captions.automatic"
    library.write("clip.en.captions.automatic.vtt",
                  CAPTIONS_EN.replace("Hello", "Yellow").encode())
    app.test_cli_runner().invoke(args=["scan"])
    page = client.get(f"{draft}/edit")
    assert page.status_code == 200
    assert "Save and approve" in page.text and "A draft (automatic)" in page.text
    assert 'href="/publish/media/clip/tracks/en.captions.automatic/edit"' in client.get(
        "/publish/media/clip").text

    answer = client.get(f"{draft}/text")
    assert answer.json["text"].startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nYellow")
    saved = client.put(f"{draft}/text", data=CAPTIONS_EN.encode(), headers={
        "X-CSRF-Token": csrf, "If-Match": answer.headers["ETag"]})
    assert saved.status_code == 200
    # The author's track is untouched and has no versions of the draft's.
    assert library.read_bytes("clip.en.vtt").decode() == CAPTIONS_EN
    assert "No versions yet" in client.get(f"{PAGE}/versions").text
    assert "2 versions" in client.get(f"{draft}/versions").text

    approve = f"{draft}/approve"
    assert client.post(approve, headers={"X-CSRF-Token": csrf}).status_code == 428
    stale = client.post(approve, headers={"X-CSRF-Token": csrf,
                                          "If-Match": answer.headers["ETag"]})
    assert stale.status_code == 412
    assert client.post(approve, headers={"If-Match": saved.headers["ETag"]}).status_code == 403
    done = client.post(approve, headers={"X-CSRF-Token": csrf,
                                         "If-Match": saved.headers["ETag"]})
    assert done.status_code == 200 and done.json == {"key": "en.captions.automatic",
                                                     "approved": True}
    tracks = client.get("/api/media/clip").json["tracks"]
    assert [(t["source"], t["approved"]) for t in tracks if t["kind"] == "captions"] == [
        ("author", True), ("automatic", True)]
    assert "Save and approve" not in client.get(f"{draft}/edit").text
