"""GET /oembed, checked against the oEmbed 1.0 specification (https://oembed.com):
section 2.2 (the request and its errors), 2.3.4 (the response's fields and
types), 2.3.4.4 (the video type) and 2.3.4.5 (the rich type, for audio), for
the demo items that ship in media/ and for awkward titles."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from player import create_app
from player.embed import CONTROLS_HEIGHT
from tests.demo import copy_demo
from tests.html_support import parse_html
from tests.test_embed import (
    EXAMPLE_ORIGIN,
    LECTURE_TITLE,
    demo_app,
    make_embed_library,
    readme_example,
)

SANDBOX_TOKENS = {
    "allow-downloads", "allow-forms", "allow-modals", "allow-orientation-lock",
    "allow-pointer-lock", "allow-popups", "allow-popups-to-escape-sandbox", "allow-presentation",
    "allow-same-origin", "allow-scripts", "allow-top-navigation",
    "allow-top-navigation-by-user-activation", "allow-top-navigation-to-custom-protocols",
}
OPTIONAL_TEXT = ("title", "author_name", "author_url", "provider_name", "provider_url")


def check_oembed(body: dict, maxwidth: int | None = None, maxheight: int | None = None,
                 kind: str = "video") -> None:
    """Everything oEmbed 1.0 requires of a "video" response, or for audio
    (``kind``) of a "rich" one, which requires the same fields."""
    assert body["type"] == ("rich" if kind == "audio" else "video")
    assert body["version"] == "1.0"
    assert isinstance(body["html"], str) and body["html"]
    for name in ("width", "height"):
        assert type(body[name]) is int and body[name] > 0, name
    if maxwidth:
        assert body["width"] <= maxwidth
    if maxheight:
        assert body["height"] <= maxheight
    for name in OPTIONAL_TEXT:
        if name in body:
            assert isinstance(body[name], str), name
    if "cache_age" in body:
        assert type(body["cache_age"]) is int
    thumbnail = {"thumbnail_url", "thumbnail_width", "thumbnail_height"} & body.keys()
    assert thumbnail in (set(), {"thumbnail_url", "thumbnail_width", "thumbnail_height"})
    if thumbnail:
        assert isinstance(body["thumbnail_url"], str)
        assert type(body["thumbnail_width"]) is int and type(body["thumbnail_height"]) is int
        assert not maxwidth or body["thumbnail_width"] <= maxwidth
        assert not maxheight or body["thumbnail_height"] <= maxheight
    # The html: one iframe of the stated size, named, sandboxed without the
    # right to navigate the host page or submit forms.
    frames = parse_html(body["html"]).find_all("iframe")
    assert len(frames) == 1
    frame = frames[0].attrs
    assert (frame["width"], frame["height"]) == (str(body["width"]), str(body["height"]))
    assert frame["title"]
    tokens = set(frame["sandbox"].split())
    assert tokens <= SANDBOX_TOKENS
    assert {"allow-scripts", "allow-same-origin"} <= tokens
    assert not tokens & {"allow-top-navigation", "allow-forms",
                         "allow-top-navigation-by-user-activation"}
    assert frame["allow"] == "fullscreen; picture-in-picture"


@pytest.fixture
def media_dir(tmp_path):
    folder = tmp_path / "media"
    copy_demo(folder)
    return folder


def oembed(client, status: int = 200, **params):
    response = client.get("/oembed", query_string=params)
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    return response.get_json()


def frame_of(body: dict) -> dict:
    return parse_html(body["html"]).find("iframe").attrs


@pytest.mark.parametrize("url", [
    "http://localhost/watch/welcome",
    "http://localhost/embed/welcome",
    "https://localhost/watch/welcome",
    "HTTP://LOCALHOST:80/watch/welcome",
])
def test_demo_video(client, url):
    body = oembed(client, url=url)
    check_oembed(body)
    assert body["title"] == "Welcome to Accessible Player"
    assert body["provider_name"] == "Accessible Player"
    assert body["provider_url"] == "http://localhost/"
    # 640x360 media: the picture keeps its shape above the controls.
    assert (body["width"], body["height"]) == (640, 360 + CONTROLS_HEIGHT)
    assert frame_of(body)["src"] == "http://localhost/embed/welcome"
    assert frame_of(body)["title"] == "Welcome to Accessible Player"
    assert body["thumbnail_url"] == "http://localhost/files/welcome/welcome.jpg"
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (640, 360)
    with client.get("/files/welcome/welcome.jpg") as thumbnail:
        assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"


def test_demo_audio(client):
    body = oembed(client, url="http://localhost/watch/audio-tour", format="json")
    check_oembed(body, kind="audio")
    assert body["title"] == "Audio tour: listening with a transcript"
    assert body["width"] == 640 and body["height"] < 300
    narrow = oembed(client, url="http://localhost/watch/audio-tour", maxwidth="320")
    assert narrow["width"] == 320 and body["height"] < narrow["height"] <= 320
    assert "thumbnail_url" not in body
    assert frame_of(body)["src"] == "http://localhost/embed/audio-tour"


@pytest.mark.parametrize("item", ["welcome", "audio-tour"])
@pytest.mark.parametrize("maxwidth, maxheight", [
    (320, None), (None, 300), (400, 250), (1000, 1000), (120, 90), (1, 1), (2000, None),
])
def test_maxima_are_respected(client, item, maxwidth, maxheight):
    params = {k: v for k, v in (("maxwidth", maxwidth), ("maxheight", maxheight)) if v}
    body = oembed(client, url=f"http://localhost/watch/{item}", **params)
    check_oembed(body, maxwidth, maxheight, "audio" if item == "audio-tour" else "video")
    assert body["width"] <= 640
    if item == "welcome" and body["height"] > CONTROLS_HEIGHT:
        # Within a pixel of 16:9 above the controls.
        picture = body["height"] - CONTROLS_HEIGHT
        assert abs(picture * 16 / 9 - body["width"]) <= 2


def test_a_thumbnail_larger_than_the_maxima_is_left_out(client):
    body = oembed(client, url="http://localhost/watch/welcome", maxwidth=480)
    check_oembed(body, 480)
    assert "thumbnail_url" not in body
    assert (body["width"], body["height"]) == (480, 270 + CONTROLS_HEIGHT)


def test_embed_parameters_in_the_url_are_kept(client):
    body = oembed(client, url="http://localhost/embed/welcome?captions=uk&transcript=1&utm=x")
    assert frame_of(body)["src"] == "http://localhost/embed/welcome?captions=uk&transcript=1"
    body = oembed(client, url="http://localhost/watch/welcome?t=20")
    assert frame_of(body)["src"] == "http://localhost/embed/welcome?t=20"


@pytest.mark.parametrize("fmt", ["xml", "JSON", "jsonp"])
def test_formats_other_than_json_are_not_implemented(client, fmt):
    body = oembed(client, 501, url="http://localhost/watch/welcome", format=fmt)
    assert body["error"]["code"] == "not_implemented"


@pytest.mark.parametrize("url", [
    "https://elsewhere.example/watch/welcome",
    "http://localhost:8080/watch/welcome",
    "ftp://localhost/watch/welcome",
    "javascript:alert(1)",
    "/watch/welcome",
    "http://localhost:99999/watch/welcome",
    "not a url",
])
def test_urls_that_are_not_ours_are_not_found(client, url):
    """oEmbed 1.0 §2.2: 404 when the provider has no response for the URL."""
    body = oembed(client, 404, url=url)
    assert body["error"]["code"] == "not_found"
    assert "watch or embed URL" in body["error"]["message"]


def test_a_missing_url_is_a_bad_request(client):
    assert oembed(client, 400)["error"]["message"].startswith("Give the URL")


@pytest.mark.parametrize("params", [{"maxwidth": "wide"}, {"maxheight": "0"},
                                    {"maxwidth": "-5"}, {"maxheight": "1e3"}])
def test_bad_maxima_are_bad_requests(client, params):
    oembed(client, 400, url="http://localhost/watch/welcome", **params)


@pytest.mark.parametrize("params", [{"maxwidth": "2059841878"},
                                    {"maxheight": "99999999999999999999"},
                                    {"maxwidth": "1000000", "maxheight": "0001000000"}])
def test_generous_maxima_are_respected_not_refused(client, params):
    body = oembed(client, 200, url="http://localhost/watch/welcome", **params)
    unconstrained = oembed(client, 200, url="http://localhost/watch/welcome")
    assert (body["width"], body["height"]) == (unconstrained["width"], unconstrained["height"])


@pytest.mark.parametrize("url", [
    "http://localhost/watch/no-such-item",
    "http://localhost/embed/no-such-item",
    "http://localhost/search?q=welcome",
    "http://localhost/watch/welcome/transcript",
    "http://localhost/",
])
def test_our_urls_without_media_are_not_found(client, url):
    oembed(client, 404, url=url)


def test_cors_lets_other_sites_read_it(client):
    response = client.get("/oembed", query_string={"url": "http://localhost/watch/welcome"},
                          headers={"Origin": "https://blog.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_public_url_decides_what_is_ours(media_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "PUBLIC_URL": "https://media.example.org/player/"})
    client = app.test_client()
    body = oembed(client, url="https://media.example.org/player/watch/welcome")
    check_oembed(body)
    assert body["provider_url"] == "https://media.example.org/player/"
    assert frame_of(body)["src"] == "https://media.example.org/player/embed/welcome"
    oembed(client, 404, url="http://localhost/watch/welcome")
    oembed(client, 404, url="https://media.example.org/watch/welcome")


def test_titles_are_escaped_in_the_html(tmp_path, media_cache):
    folder = make_embed_library(tmp_path / "library", media_cache)
    app = create_app({"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite")})
    body = oembed(app.test_client(), url="http://localhost/watch/lecture", maxwidth=400)
    check_oembed(body, 400)
    assert body["title"] == LECTURE_TITLE
    assert "<friends>" not in body["html"] and '"embed"' not in body["html"]
    assert frame_of(body)["title"] == LECTURE_TITLE
    # A 320x180 poster fits in 400 pixels.
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (320, 180)


def test_the_readme_example(tmp_path):
    client = demo_app(tmp_path, PUBLIC_URL=EXAMPLE_ORIGIN).test_client()
    method, url = readme_example("oembed-request").split()
    assert method == "GET" and url.startswith(EXAMPLE_ORIGIN + "/oembed?")
    parts = urlsplit(url)
    body = client.get(parts.path, query_string=parts.query).get_json()
    check_oembed(body)
    assert body == json.loads(readme_example("oembed-response"))
