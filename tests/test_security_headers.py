"""Who may frame our pages and read our responses: nosniff everywhere,
frame-ancestors per page, and CORS only on public read endpoints."""

from __future__ import annotations

import doctest
import re

import pytest
from flask import make_response

import player.web.security
from player import create_app
from player.web.security import ConfigError, _needs_publisher
from tests.publish_support import bearer, create_publisher, log_in
from tests.test_embed import readme_example

ORIGIN = {"Origin": "https://host.example"}
VIEWER = "a" * 32

PUBLIC_READS = [
    "/api/media",
    "/api/media/clip",
    "/api/media/clip/transcript",
    "/api/search?q=hello",
    "/files/clip/clip.mp4",
    "/files/clip/clip.en.vtt",
    "/static/player/player.js",
    "/static/player/player.css",
    "/static/player/embed-api.js",
    "/oembed?url=http://localhost/watch/clip",
]
PAGES = ["/", "/watch/clip", "/watch/clip/transcript", "/search?q=hello", "/publish/login",
         "/watch/no-such-item"]


def fetch(client, method: str, url: str, **kwargs):
    response = client.open(url, method=method, **kwargs)
    response.close()
    return response


def ancestors(response) -> str:
    """The ``frame-ancestors`` directive of a response's policy (its last)."""
    return response.headers["Content-Security-Policy"].split("; ")[-1]


def cors_headers(response) -> list[str]:
    return [name for name in response.headers.keys() if name.startswith("Access-Control-")]


# Also on PostgreSQL + S3, where media files answer with a redirect to the bucket.
@pytest.mark.databases("sqlite", "postgresql")
@pytest.mark.parametrize("url", [*PUBLIC_READS, *PAGES, "/embed/clip", "/embed/missing",
                                 "/api/media/missing", "/publish/"])
def test_nosniff_everywhere(client, url):
    assert fetch(client, "GET", url).headers["X-Content-Type-Options"] == "nosniff"


def test_embed_pages_may_be_framed_anywhere_by_default(client):
    assert ancestors(fetch(client, "GET", "/embed/clip")) == \
        "frame-ancestors *"


@pytest.mark.parametrize("url", PAGES + ["/publish/", "/publish/upload", "/api/media/clip"])
def test_other_pages_only_by_this_site(client, url):
    policy = fetch(client, "GET", url).headers["Content-Security-Policy"]
    assert policy.split("; ")[-1] == "frame-ancestors 'self'"


@pytest.mark.parametrize("setting, policy", [
    ("https://www.example.org", "frame-ancestors 'self' https://www.example.org"),
    ("https://www.example.org, http://localhost:8000/",
     "frame-ancestors 'self' https://www.example.org http://localhost:8000"),
    (["https://a.example", "https://b.example"], "frame-ancestors 'self' https://a.example https://b.example"),
    ("*", "frame-ancestors *"),
    ("", "frame-ancestors *"),
])
def test_embed_origins_setting(media_dir, tmp_path, setting, policy):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite"), "EMBED_ORIGINS": setting})
    client = app.test_client()
    assert ancestors(fetch(client, "GET", "/embed/clip")) == policy
    assert ancestors(fetch(client, "GET", "/watch/clip")) == \
        "frame-ancestors 'self'"


def test_embed_origins_from_the_environment(media_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYER_EMBED_ORIGINS", "https://www.example.org https://blog.example.org")
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite")})
    assert ancestors(fetch(app.test_client(), "GET", "/embed/clip")) == \
        "frame-ancestors 'self' https://www.example.org https://blog.example.org"


def test_the_readme_example(media_dir, tmp_path, monkeypatch):
    command = readme_example("embed-origins")
    name, value = re.match(r'(PLAYER_\w+)="([^"]*)" player run$', command.strip()).groups()
    monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite")})
    policy = fetch(app.test_client(), "GET", "/embed/clip").headers["Content-Security-Policy"]
    policy = policy.split("; ")[-1]
    assert policy == "frame-ancestors 'self' " + value


@pytest.mark.parametrize("setting", ["www.example.org", "https://a.example/path",
                                     "https://a.example; script-src *", "'self'"])
def test_a_mistyped_embed_origin_stops_the_app(media_dir, tmp_path, setting):
    with pytest.raises(ConfigError, match="PLAYER_EMBED_ORIGINS"):
        create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                    "DATABASE": str(tmp_path / "db.sqlite"), "EMBED_ORIGINS": setting})


def test_a_policy_set_by_a_view_keeps_its_directives(app):
    @app.get("/test-policy")
    def with_policy():
        response = make_response("policy")
        response.headers["Content-Security-Policy"] = "default-src 'self';"
        return response

    policy = fetch(app.test_client(), "GET", "/test-policy").headers["Content-Security-Policy"]
    assert policy == "default-src 'self'; frame-ancestors 'self'"


# -- CORS -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", PUBLIC_READS)
def test_public_reads_have_cors(client, url):
    response = fetch(client, "GET", url, headers=ORIGIN)
    assert response.status_code in (200, 206), url
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_media_bytes_expose_range_headers(client):
    response = fetch(client, "GET", "/files/clip/clip.mp4",
                     headers={**ORIGIN, "Range": "bytes=0-9"})
    assert response.status_code == 206
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "content-range" in exposed and "accept-ranges" in exposed


@pytest.mark.parametrize("url", PAGES + ["/embed/clip", "/publish/"])
def test_pages_have_no_cors(client, url):
    assert cors_headers(fetch(client, "GET", url, headers=ORIGIN)) == []


def publisher_rules(app):
    """(method, url) of every route that needs a publisher or lives under /publish."""
    values = {"item_id": "clip", "track_key": "en.captions", "pending_id": "k" * 24, "number": 1}
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not (_needs_publisher(view) or rule.rule.startswith("/publish")):
            continue
        url = rule.build(values, append_unknown=False)[1]
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_publisher_route_is_found(app):
    rules = publisher_rules(app)
    for expected in [("POST", "/api/media"), ("DELETE", "/api/media/clip"),
                     ("POST", "/api/media/clip/tracks"),
                     ("DELETE", "/api/media/clip/tracks/en.captions"),
                     ("GET", "/api/media/clip/stats"), ("GET", "/publish/"),
                     ("POST", "/publish/login")]:
        assert expected in rules


def test_publisher_routes_never_have_cors(app, client):
    for method, url in publisher_rules(app):
        response = fetch(client, method, url, headers=ORIGIN)
        assert cors_headers(response) == [], (method, url, response.status_code)
        preflight = fetch(client, "OPTIONS", url, headers={
            **ORIGIN, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert cors_headers(preflight) == [], ("preflight", method, url)


def test_signed_in_publishers_get_no_cors_either(app, client):
    token = create_publisher(app, "pat")
    headers = {**ORIGIN, **bearer(token)}
    stats = fetch(client, "GET", "/api/media/clip/stats", headers=headers)
    assert stats.status_code == 200 and cors_headers(stats) == []
    deleted = fetch(client, "DELETE", "/api/media/song", headers=headers)
    assert deleted.status_code == 204 and cors_headers(deleted) == []

    from player import db
    from player.web import auth
    conn = db.connect(app.config["DATABASE"])
    try:
        auth.set_password(conn, "pat", "correct horse battery")
    finally:
        conn.close()
    log_in(client, "pat", "correct horse battery")
    library = fetch(client, "GET", "/publish/", headers=ORIGIN)
    assert library.status_code == 200 and cors_headers(library) == []


def test_cookies_never_travel_with_cors(app):
    # A public resource (matched by /files/*) that, wrongly, sets a cookie.
    @app.get("/files/test/cookie/jar")
    def cookie_jar():
        response = make_response("crumbs")
        response.set_cookie("crumb", "1")
        return response

    response = fetch(app.test_client(), "GET", "/files/test/cookie/jar", headers=ORIGIN)
    assert "Set-Cookie" in response.headers
    assert cors_headers(response) == []


def test_progress_is_open_to_other_origins_without_credentials(client):
    preflight = fetch(client, "OPTIONS", "/api/media/clip/progress", headers={
        **ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-player-viewer"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "x-player-viewer" in allowed
    assert "Access-Control-Allow-Credentials" not in preflight.headers

    report = {"viewer": VIEWER, "session": "session-1", "seq": 1, "position": 1.0, "duration": 3.0,
              "played": [[0, 1.0]], "event": "pause"}
    saved = client.put("/api/media/clip/progress", json=report, headers=ORIGIN)
    assert saved.status_code == 202, saved.text
    assert saved.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in saved.headers
    resume = fetch(client, "GET", "/api/media/clip/progress",
                   headers={**ORIGIN, "X-Player-Viewer": VIEWER})
    assert resume.headers["Access-Control-Allow-Origin"] == "*"

    forget = fetch(client, "OPTIONS", "/api/viewer/history", headers={
        **ORIGIN, "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "x-player-viewer"})
    assert "DELETE" in forget.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in forget.headers


def test_module_examples():
    assert doctest.testmod(player.web.security).failed == 0


@pytest.mark.parametrize("setting", ["https://a.example", "https://a.example, https://b.example"])
def test_answers_that_depend_on_origin_say_so(media_dir, tmp_path, setting):
    """With listed origins a public read's CORS headers depend on Origin, so
    every answer, with or without them, names Origin in Vary (RFC 9110
    §12.5.5): a shared cache must not give one origin's copy to another."""
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "vary.sqlite"), "CORS_ORIGINS": setting})
    client = app.test_client()
    for url in ("/api/media", "/api/media/clip/transcript", "/static/player/player.css"):
        for origin in (None, "https://a.example", "https://c.example"):
            response = client.get(url, headers={"Origin": origin} if origin else {})
            assert "origin" in response.vary, (url, origin)
    assert "origin" not in client.get("/watch/clip").vary


def test_wildcard_answers_do_not_vary_on_origin(client):
    # One copy serves every origin, so caches may share it.
    for origin in (None, "https://a.example"):
        response = client.get("/api/media", headers={"Origin": origin} if origin else {})
        assert "origin" not in response.vary


PAGE_POLICY = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
               "object-src 'none'", "base-uri 'none'", "form-action 'self'")


@pytest.mark.parametrize("url", [*PAGES, "/embed/clip", "/embed/missing", "/publish/login",
                                 "/watch/missing"])
def test_every_page_has_a_content_security_policy(client, url):
    directives = fetch(client, "GET", url).headers["Content-Security-Policy"].split("; ")
    for directive in PAGE_POLICY:
        assert directive in directives, (url, directives)
    # No inline script or style element and no eval: nothing else widens them.
    assert not any("unsafe-inline" in d or "unsafe-eval" in d for d in directives
                   if d.startswith(("script-src", "style-src ", "default-src")))


@pytest.mark.parametrize("url", [*PAGES, "/embed/clip", "/publish/login"])
def test_pages_carry_no_inline_script_or_style_element(client, url):
    html = fetch(client, "GET", url).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
    assert "<style" not in html, url
    assert not re.search(r"\son[a-z]+=", html), url


def test_media_from_a_cdn_is_allowed_by_the_policy(media_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "MEDIA_BASE_URL": "https://cdn.example.org/library"})
    directives = fetch(app.test_client(), "GET", "/watch/clip").headers[
        "Content-Security-Policy"].split("; ")
    assert "media-src 'self' blob: https://cdn.example.org" in directives
    assert "img-src 'self' data: https://cdn.example.org" in directives


@pytest.mark.parametrize("url", [u for u in PUBLIC_READS if u.startswith("/api/")])
def test_json_answers_carry_only_frame_ancestors(client, url):
    policy = fetch(client, "GET", url).headers["Content-Security-Policy"]
    assert policy.startswith("frame-ancestors")
