from __future__ import annotations

import pytest

pytestmark = pytest.mark.databases("sqlite", "postgresql")


def test_media_list_and_item(client):
    items = client.get("/api/media").get_json()["items"]
    assert [i["id"] for i in items] == ["clip", "song"]
    clip = client.get("/api/media/clip").get_json()
    assert clip["title"] == "A short clip"
    assert clip["kind"] == "video"
    assert clip["duration"] == pytest.approx(items[0]["duration"])
    (source,) = clip["sources"]
    assert source["type"] == "video/mp4" and source["url"].startswith("http://localhost/")
    (track,) = clip["tracks"]
    assert (track["kind"], track["srclang"], track["label"]) == (
        "captions", "en", "English captions")
    assert set(clip["transcript"]) == {"html", "txt", "json"}
    assert clip["watch_url"] == "http://localhost/watch/clip"


def test_source_and_track_urls_serve_bytes(client, fetch, media_dir):
    clip = client.get("/api/media/clip").get_json()
    media = fetch(clip["sources"][0]["url"])
    assert media.status_code == 200
    assert media.data == (media_dir / "clip.mp4").read_bytes()
    with client.get(clip["tracks"][0]["url"]) as track:
        assert track.headers["Content-Type"] == "text/vtt; charset=utf-8"
        assert track.data.startswith(b"WEBVTT")


def test_public_url_setting_makes_urls_absolute_there(app, client):
    app.config["PUBLIC_URL"] = "https://media.example.org/"
    clip = client.get("/api/media/clip").get_json()
    assert clip["sources"][0]["url"].startswith("https://media.example.org/files/clip/")


def test_unknown_id_is_json_404_under_api(client):
    response = client.get("/api/media/nope")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found" and "nope" in error["message"]


def test_unknown_id_is_html_404_on_pages(client):
    response = client.get("/watch/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html" and b"nope" in response.data


@pytest.mark.parametrize("path", [
    "/files/clip/../clip.json",
    "/files/clip/..%2fclip.json",
    "/files/clip/%2e%2e%2fclip.json",
    "/files/clip/clip.json",
    "/files/clip/%2Fetc%2Fpasswd",
    "/files/..%2F..%2Fetc/passwd",
    "/files/clip//etc/passwd",
    "/api/media/..%2f..%2fetc%2fpasswd",
    "/api/media/%2e%2e",
    "/watch/..%2fclip",
    "/watch/%2Fetc%2Fpasswd",
])
def test_path_traversal_is_404(client, path):
    with client.get(path) as response:
        response.get_data()
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.is_json
    assert b"root:" not in response.data


def test_media_responses_allow_cross_origin_range_requests(client, fetch):
    url = client.get("/api/media/clip").get_json()["sources"][0]["url"]
    headers = {"Origin": "https://host.example", "Range": "bytes=0-1"}
    response = fetch(url, headers=headers)
    assert response.status_code == 206 and len(response.data) == 2
    # The app answers "*", a bucket echoes the origin: both let the page read it.
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://host.example")
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in ("Content-Range", "Accept-Ranges", "Content-Length"):
        assert name in exposed
    preflight = client.options(url, headers={
        "Origin": "https://host.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    assert "range" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_watch_page_has_native_player_with_tracks(client):
    html = client.get("/watch/clip").get_data(as_text=True)
    assert "<video controls" in html and 'kind="captions"' in html and 'srclang="en"' in html
    assert "<h1>A short clip</h1>" in html


def test_library_page_lists_items(client):
    html = client.get("/").get_data(as_text=True)
    assert "A short clip" in html and "/watch/song" in html


def test_proxy_fix_setting_trusts_forwarded_scheme_and_host(media_dir, tmp_path):
    from player import create_app

    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "PROXY_FIX": 1,
                      "DATABASE": str(tmp_path / "proxied.sqlite"), "SECRET_KEY": "x"})
    item = app.test_client().get("/api/media/clip", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "media.example.org"}).get_json()
    assert item["watch_url"] == "https://media.example.org/watch/clip"
