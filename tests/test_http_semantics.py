"""RFC 9110 on the routes that are not media bytes: pages, the JSON API,
oEmbed, caption files and the server as a whole.

Media bytes (ranges, and the same preconditions from the file's validators)
are tested case by case in test_streaming.py.
"""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.browser_support import LiveServer
from tests.test_streaming import IMF_FIXDATE

#: GET answers built per request, each with the status a plain GET gets.
DYNAMIC = [
    "/",
    "/watch/clip",
    "/watch/clip?t=1",
    "/watch/clip/transcript",
    "/watch/clip/transcript.txt",
    "/embed/clip",
    "/search?q=hello",
    "/api/media",
    "/api/media/clip",
    "/api/media/clip/transcript",
    "/api/search?q=hello",
    "/api/openapi.json",
    "/oembed?url=http://localhost/watch/clip",
]
STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e]+"')


def fetch(client, url: str, method: str = "GET", headers: dict[str, str] | None = None):
    """The answer, its body read and the file behind it closed."""
    response = client.open(url, method=method, headers=headers or {})
    response.get_data()
    response.close()
    return response


def plain_get(client, url: str):
    response = fetch(client, url)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert STRONG_ETAG.fullmatch(etag), etag
    return response, etag


@pytest.mark.parametrize("url", DYNAMIC)
def test_head_has_the_headers_of_get_and_no_body(client, url):
    """RFC 9110 §9.3.2."""
    get, _ = plain_get(client, url)
    head = fetch(client, url, "HEAD")
    assert head.status_code == 200
    assert head.data == b""

    def fields(response):
        return {k: v for k, v in response.headers.items() if k != "Date"}

    assert fields(head) == fields(get)


@pytest.mark.parametrize("url", DYNAMIC)
def test_the_entity_tag_is_stable_and_revalidates_to_304(client, url):
    """RFC 9110 §13.1.2: If-None-Match compares weakly, takes lists and "*"."""
    get, etag = plain_get(client, url)
    assert plain_get(client, url)[1] == etag
    for value in (etag, "W/" + etag, f'"other", {etag}', f'"other",,{etag}', "*"):
        for method in ("GET", "HEAD"):
            answer = fetch(client, url, method, {"If-None-Match": value})
            assert answer.status_code == 304, (method, value)
            assert answer.data == b""
            assert answer.headers["ETag"] == etag
            assert "Content-Type" not in answer.headers
            for name in ("Cache-Control", "Vary", "Access-Control-Allow-Origin"):
                assert answer.headers.get(name) == get.headers.get(name), name
    assert fetch(client, url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("url", DYNAMIC)
def test_if_match_compares_strongly(client, url):
    """RFC 9110 §13.1.1: "*" and the current strong tag pass; others are 412."""
    _, etag = plain_get(client, url)
    for value in (etag, "*", f'"other", {etag}'):
        assert fetch(client, url, headers={"If-Match": value}).status_code == 200, value
    for value in ('"other"', "W/" + etag):
        answer = fetch(client, url, headers={"If-Match": value})
        assert answer.status_code == 412, value
        if url.startswith(("/api/", "/oembed")):
            assert answer.get_json()["error"]["code"] == "precondition_failed"
    # If-Match is evaluated first and wins over If-None-Match (§13.2.2).
    answer = fetch(client, url, headers={"If-Match": '"other"', "If-None-Match": etag})
    assert answer.status_code == 412


def test_date_conditions_are_ignored_without_last_modified(client):
    """RFC 9110 §13.1.3-4: no modification date, nothing to compare with."""
    response, _ = plain_get(client, "/api/media")
    assert "Last-Modified" not in response.headers
    old, future = "Sun, 06 Nov 1994 08:49:37 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"
    assert fetch(client, "/api/media", headers={"If-Unmodified-Since": old}).status_code == 200
    assert fetch(client, "/api/media", headers={"If-Modified-Since": future}).status_code == 200


@pytest.mark.parametrize("url", ["/api/media/nope", "/watch/nope", "/oembed?url=x"])
def test_preconditions_are_ignored_when_the_answer_is_an_error(client, url):
    """RFC 9110 §13.2.1: only a request that would succeed is conditional."""
    plain = fetch(client, url).status_code
    assert plain >= 400
    for headers in ({"If-None-Match": "*"}, {"If-Match": '"other"'}):
        assert fetch(client, url, headers=headers).status_code == plain


def test_the_body_changes_the_entity_tag(client):
    _, before = plain_get(client, "/oembed?url=http://localhost/watch/clip")
    _, after = plain_get(client, "/oembed?url=http://localhost/watch/clip&maxwidth=300")
    assert before != after


# Also on PostgreSQL + S3, where media files answer with a redirect to the bucket.
@pytest.mark.databases("sqlite", "postgresql")
def test_every_answer_has_a_date(client):
    """RFC 9110 §6.6.1: an origin server with a clock sends Date on 2xx, 3xx
    and 4xx answers. Without a server in front (the test client) the app
    sends it."""
    _, etag = plain_get(client, "/api/media")
    media = fetch(client, "/api/media/clip").get_json()["sources"][0]["url"]
    answers = [
        fetch(client, "/api/media"),
        fetch(client, "/api/media", headers={"If-None-Match": etag}),
        fetch(client, "/api/media", headers={"If-Match": '"other"'}),
        fetch(client, "/nothing-here"),
        fetch(client, "/watch/clip", "POST"),
        fetch(client, "/api/media", "OPTIONS"),
        fetch(client, media),
        fetch(client, media, headers={"Range": "bytes=0-1"}),
        fetch(client, media, headers={"Range": "bytes=999999999-"}),
        fetch(client, media, headers={"If-None-Match": "*"}),
        fetch(client, media, headers={"If-Match": '"other"'}),
        fetch(client, media, "HEAD"),
    ]
    for answer in answers:
        assert IMF_FIXDATE.fullmatch(answer.headers["Date"]), answer.status


def test_a_server_in_front_sends_the_one_date(app):
    """Werkzeug's development server (``player run``) adds Date without
    looking for one, so the app leaves it to the server: a second Date line
    would break the field, which takes one value (RFC 9110 §5.3)."""
    with LiveServer(app) as server:
        address = urlsplit(server.url)
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            for method, target in [("GET", "/api/media"), ("GET", "/watch/clip"),
                                   ("GET", "/files/clip/clip.mp4"), ("GET", "/nothing-here"),
                                   ("GET", "/static/player/player.css"), ("OPTIONS", "*")]:
                conn.request(method, target)
                answer = conn.getresponse()
                answer.read()
                dates = answer.msg.get_all("Date")
                assert len(dates) == 1 and IMF_FIXDATE.fullmatch(dates[0]), (target, dates)
                conn.close()
        finally:
            conn.close()


@pytest.mark.parametrize("url", [
    "/", "/watch/clip", "/embed/clip", "/api/media", "/api/media/clip/transcript",
    "/oembed?url=http://localhost/watch/clip", "/files/clip/clip.en.vtt",
    "/files/clip/clip.mp4", "/static/player/player.js",
])
@pytest.mark.parametrize("method", ["PATCH", "TRACE", "CONNECT"])
def test_unsupported_methods_are_405_with_allow(client, url, method):
    """RFC 9110 §15.5.6: a 405 lists the methods the resource supports."""
    answer = fetch(client, url, method)
    assert answer.status_code == 405
    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= allowed
    assert method not in allowed
    assert IMF_FIXDATE.fullmatch(answer.headers["Date"])


@pytest.mark.parametrize("url", ["/watch/clip", "/api/media/clip", "/files/clip/clip.mp4"])
def test_options_names_the_allowed_methods(client, url):
    """RFC 9110 §9.3.7."""
    answer = fetch(client, url, "OPTIONS")
    assert answer.status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in answer.headers["Allow"].split(",")}
    assert answer.headers["Content-Length"] == "0"
    # No content, so no media type (RFC 9110 §8.3).
    assert "Content-Type" not in answer.headers


def test_options_star_asks_about_the_server(app):
    """RFC 9110 §9.3.7: "OPTIONS *" applies to the server, not a resource."""
    environ = EnvironBuilder(method="OPTIONS").get_environ()
    environ["PATH_INFO"] = "*"
    body, status, headers = run_wsgi_app(app.wsgi_app, environ)
    assert status == "200 OK"
    assert b"".join(body) == b""
    assert headers["Content-Length"] == "0" and "Content-Type" not in headers
    assert {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"} == {
        m.strip() for m in headers["Allow"].split(",")}


@pytest.mark.parametrize(("url", "content_type"), [
    ("/files/clip/clip.en.vtt", "text/vtt; charset=utf-8"),
    ("/watch/clip/transcript.txt", "text/plain; charset=utf-8"),
    ("/watch/clip", "text/html; charset=utf-8"),
    ("/api/media", "application/json"),
    ("/oembed?url=http://localhost/watch/clip", "application/json"),
])
def test_text_types_name_their_charset(client, url, content_type):
    assert fetch(client, url).headers["Content-Type"] == content_type


def test_caption_files_are_conditional_like_media(client):
    """The caption file carries its own validators and revalidates to a 304
    that keeps Cache-Control (RFC 9110 §15.4.5)."""
    url = "/files/clip/clip.en.vtt"
    first = fetch(client, url)
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = fetch(client, url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert again.headers["ETag"] == first.headers["ETag"]
    since = fetch(client, url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def test_media_answers_vary_by_origin_when_only_some_origins_may_read(media_dir, tmp_path):
    """With a list of origins the CORS headers depend on Origin, so every
    answer says so, the ones without CORS headers too (RFC 9110 §12.5.5)."""
    from player import create_app

    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "vary.sqlite"),
                      "CORS_ORIGINS": "https://a.example, https://b.example"})
    client = app.test_client()
    url = "/files/clip/clip.mp4"
    answers = {}
    for origin in (None, "https://a.example", "https://c.example"):
        answer = fetch(client, url, headers={"Origin": origin} if origin else {})
        assert answer.headers["Vary"] == "Origin", origin
        answers[origin] = answer.headers.get("Access-Control-Allow-Origin")
    assert answers == {None: None, "https://a.example": "https://a.example",
                       "https://c.example": None}
