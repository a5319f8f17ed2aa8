"""The demo played in Chromium from S3-compatible object storage: the video
comes from the bucket through the app's redirect to a presigned URL (another
origin, so ``crossorigin`` playback needs the bucket's CORS rule), and the
captions come from the app."""

from __future__ import annotations

import html
import json

import pytest
from flask import Flask

from player import create_app
from player.captions import validate
from tests.browser_support import LiveServer
from tests.demo import copy_demo
from tests.s3_support import (  # noqa: F401  (fixtures)
    mirror,
    s3_app_config,
    s3_bucket,
    s3_env,
    s3_server,
    s3_storage_for,
)

# PostgreSQL + S3: the cluster deployment, in a real browser.
pytestmark = [pytest.mark.browser, pytest.mark.databases("postgresql")]

MEDIA = "document.querySelector('video')"


@pytest.fixture
def demo_on_s3(s3_server, s3_bucket, s3_env, tmp_path, database_url):
    """The shipped demo library in a bucket, and an app serving it from PostgreSQL."""
    folder = copy_demo(tmp_path / "demo")
    mirror(s3_storage_for(s3_server, s3_bucket), folder)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path, DATABASE=database_url))
    with LiveServer(app) as server:
        yield server, folder


def media_responses(page, endpoint: str) -> list[tuple[int, str]]:
    """(status, Content-Range) of each answer the bucket gives the page."""
    seen: list[tuple[int, str]] = []
    page.on("response", lambda response: seen.append(
        (response.status, response.headers.get("content-range", "")))
        if response.url.startswith(endpoint + "/") else None)
    return seen


def wait_for_cues(page) -> list[tuple[float, str]]:
    page.wait_for_function(
        f"() => [...{MEDIA}.textTracks].some(t => t.kind === 'captions' && t.cues"
        " && t.cues.length > 0)", timeout=15000)
    return page.evaluate(
        f"[...[...{MEDIA}.textTracks].find(t => t.kind === 'captions').cues]"
        ".map(c => [c.startTime, c.text])")


def play_until(page, seconds: float) -> None:
    page.evaluate(f"{MEDIA}.muted = true; {MEDIA}.play()")
    page.wait_for_function(f"() => {MEDIA}.currentTime > {seconds}", timeout=20000)


def test_the_watch_page_plays_the_demo_from_the_bucket_with_captions(demo_on_s3, s3_server,
                                                                     page):
    server, folder = demo_on_s3
    from_bucket = media_responses(page, s3_server.endpoint_url)
    item = json.loads(page.request.get(server.url + "/api/media/welcome").text())
    page.goto(server.url + "/watch/welcome")
    page.wait_for_selector("#player[data-state=ready]", timeout=15000)
    assert page.evaluate(f"{MEDIA}.duration") == pytest.approx(item["duration"], abs=0.1)
    assert page.evaluate(f"{MEDIA}.crossOrigin") == "anonymous"
    # The element plays from the presigned URL the app redirected it to.
    assert page.evaluate(f"{MEDIA}.currentSrc").startswith(server.url + "/files/welcome/")
    play_until(page, 1.5)
    cues = wait_for_cues(page)
    expected = validate((folder / "welcome.en.vtt").read_text(encoding="utf-8")).cues
    assert [text for _, text in cues] == [cue.raw_text for cue in expected]
    page.wait_for_selector(".ap-captions .ap-cue", timeout=10000)
    assert page.locator(".ap-captions").text_content().strip() != ""
    # Ranged answers came from the bucket; the app relayed no media bytes.
    assert from_bucket and all(status in (200, 206) for status, _ in from_bucket)
    assert any(status == 206 and content_range for status, content_range in from_bucket)
    assert page.js_errors == []
    page.goto("about:blank")


def embedder(video_url: str, track_url: str) -> Flask:
    """A page on another origin with a plain <video crossorigin>."""
    app = Flask("embedder")

    @app.get("/")
    def index():
        return (
            '<!doctype html><html lang="en"><head><title>Embedder</title></head><body>'
            '<video crossorigin="anonymous" muted preload="auto"'
            f' src="{html.escape(video_url)}">'
            f'<track default kind="captions" srclang="en" label="English captions"'
            f' src="{html.escape(track_url)}"></video></body></html>'
        )

    return app


def test_another_origin_plays_the_bucket_video_with_the_apps_captions(demo_on_s3, s3_server,
                                                                      page):
    server, folder = demo_on_s3
    from_bucket = media_responses(page, s3_server.endpoint_url)
    item = json.loads(page.request.get(server.url + "/api/media/welcome").text())
    track = next(t for t in item["tracks"] if t["kind"] == "captions" and t["srclang"] == "en")
    assert track["url"].startswith(server.url + "/files/")
    with LiveServer(embedder(item["sources"][0]["url"], track["url"]), host="localhost") as site:
        page.goto(site.url)
        cues = wait_for_cues(page)
        play_until(page, 1.5)
        # A CORS-mode video whose bytes were opaque would not give its frames
        # to a canvas: reading one back proves the bucket's CORS answer held.
        readable = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " const c = document.createElement('canvas'); c.width = 8; c.height = 8;"
            " const g = c.getContext('2d'); g.drawImage(v, 0, 0, 8, 8);"
            " try { g.getImageData(0, 0, 1, 1); return true; } catch (e) { return false; } }")
        page.goto("about:blank")
    assert readable is True
    assert len(cues) == track["cues"]
    assert from_bucket and any(status == 206 for status, _ in from_bucket)
