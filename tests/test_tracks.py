"""Track files over HTTP: type, labels, CORS, caching, and rejected tracks.
On PostgreSQL + S3 the app still sends tracks itself, read from the bucket."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.html_support import parse_html
from tests.mediagen import make_media
from tests.publish_support import create_publisher, log_in

CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello and welcome.\n"
SUBTITLES = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nВітаю, ласкаво просимо.\n"
DESCRIPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nA blue test card.\n"
CHAPTERS = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nThe only chapter\n"
# Line 3 is a timing line with "->": browsers drop the cue, so the file has no cues.
BROKEN = "WEBVTT\n\n00:00:00.000 -> 00:00:01.000\nKaputt\n"

EXPECTED_TRACKS = {
    ("captions", "en", "English captions"),
    ("subtitles", "uk", "Українська (subtitles)"),
    ("descriptions", "en", "Audio description"),
    ("chapters", "en", "English chapters"),
}


pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def folder(tmp_path, media_cache) -> Path:
    """The library's files (copied to a bucket on the postgresql run)."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text(json.dumps({
        "title": "Clip", "language": "en", "tracks": {"en.descriptions": "Audio description"}}))
    for name, text in [("clip.en.vtt", CAPTIONS), ("clip.uk.subtitles.vtt", SUBTITLES),
                       ("clip.en.descriptions.vtt", DESCRIPTIONS),
                       ("clip.en.chapters.vtt", CHAPTERS), ("clip.de.vtt", BROKEN)]:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def app(make_app, folder, database_url):
    return make_app(folder, DATABASE=database_url)


def fetch(client, url: str, method: str = "get", **kwargs):
    """The response, its body read and its file closed."""
    with client.open(url, method=method.upper(), **kwargs) as response:
        response.get_data()
        return response


def item(client) -> dict:
    return client.get("/api/media/clip").get_json()


def test_item_lists_tracks_with_kind_language_and_label(client):
    clip = item(client)
    assert {(t["kind"], t["srclang"], t["label"]) for t in clip["tracks"]} == EXPECTED_TRACKS
    assert all(t["url"].startswith("http://localhost/files/clip/") for t in clip["tracks"])


def test_every_track_is_served_as_utf8_webvtt(client, library):
    for track in item(client)["tracks"]:
        name = track["url"].rsplit("/", 1)[1]
        response = fetch(client, track["url"])
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data == library.read_bytes(name)
        head = fetch(client, track["url"], "head")
        assert head.status_code == 200 and head.data == b""
        assert head.headers["Content-Length"] == str(len(response.data))


def test_tracks_load_from_any_origin_by_default(client):
    url = item(client)["tracks"][0]["url"]
    response = fetch(client, url, headers={"Origin": "https://blog.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # No credentials: a crossorigin="anonymous" media element needs none.
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = fetch(client, url, "options", headers={
        "Origin": "https://blog.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "range"
    # A page may make its range requests conditional, as a bucket's CORS rule allows.
    conditional = fetch(client, url, "options", headers={
        "Origin": "https://blog.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-match,if-unmodified-since,range"})
    assert set(conditional.headers["Access-Control-Allow-Headers"].lower().split(", ")) == {
        "if-match", "if-unmodified-since", "range"}


def test_cors_can_be_limited_to_listed_origins(make_app, folder, make_database):
    client = make_app(folder, DATABASE=make_database("cors"),
                      CORS_ORIGINS="https://a.example, https://b.example").test_client()
    url = item(client)["tracks"][0]["url"]
    allowed = fetch(client, url, headers={"Origin": "https://b.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in allowed.headers["Vary"]
    refused = fetch(client, url, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 200
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_tracks_are_cached_and_revalidated(client, library):
    url = next(t["url"] for t in item(client)["tracks"] if t["kind"] == "captions")
    first = fetch(client, url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age=" in first.headers["Cache-Control"]
    assert "ETag" in first.headers["Access-Control-Expose-Headers"]
    again = fetch(client, url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    since = fetch(client, url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304

    library.write("clip.en.vtt", CAPTIONS.replace("welcome", "goodbye").encode())
    path = library.local_path("clip.en.vtt")
    if path is not None:  # a second later, as a file changed within the second may not look
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    changed = fetch(client, url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"goodbye" in changed.data


def test_track_ranges(client):
    url = item(client)["tracks"][0]["url"]
    response = fetch(client, url, headers={"Range": "bytes=0-5"})
    assert response.status_code == 206
    assert response.data == b"WEBVTT"


def test_rejected_track_is_not_offered(client, library):
    clip = item(client)
    assert "de" not in {t["srclang"] for t in clip["tracks"]}
    (rejected,) = clip["rejected_tracks"]
    assert (rejected["kind"], rejected["srclang"]) == ("captions", "de")
    assert [e["line"] for e in rejected["errors"]] == [3]
    assert client.get("/files/clip/clip.de.vtt").status_code == 404
    watch = parse_html(client.get("/watch/clip").text)
    sources = [t.attrs["src"] for t in watch.find_all("track")]
    assert len(sources) == len(clip["tracks"])
    assert not any(src.endswith("clip.de.vtt") for src in sources)
    assert "Kaputt" not in client.get("/watch/clip/transcript").text


def test_scan_and_publisher_library_say_why_a_track_is_rejected(app, client):
    result = app.test_cli_runner().invoke(args=["scan"])
    assert result.exit_code == 0
    line = next(x for x in result.stderr.splitlines() if x.startswith("clip.de.vtt: "))
    assert "track not offered to players: 1 error(s), first at line 3" in line
    log_in(client, "pat", create_publisher(app))
    page = parse_html(client.get("/publish/").text)
    reasons = [li.text for li in page.find_all("li") if li.text.startswith("clip.de.vtt:")]
    assert reasons == [line]


@pytest.mark.parametrize("name", ["clip.de.vtt", "clip.fr.vtt", "..%2Fclip.en.vtt", "clip.json"])
def test_only_offered_files_are_served(client, name):
    assert client.get(f"/files/clip/{name}").status_code == 404
