"""Captions and transcripts in Chromium: hostile cue text, tracks on another
origin, and accessible transcript pages."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

from player import create_app
from player.captions import validate
from tests.browser_support import LiveServer, assert_axe_clean
from tests.demo import CHECKOUT_MEDIA, copy_demo
from tests.mediagen import make_media

pytestmark = pytest.mark.browser


# Every payload would set window.__xss or the page title if it ran.
XSS_CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:00.300
<script>window.__xss = 1</script>

00:00:00.300 --> 00:00:00.600
&lt;script&gt;window.__xss = 2&lt;/script&gt;

00:00:00.600 --> 00:00:00.900
<img src=x onerror="window.__xss = 3">Image payload

00:00:00.900 --> 00:00:01.200
&lt;img src=x onerror="window.__xss = 4"&gt;

00:00:01.200 --> 00:00:01.500
javascript:window.__xss = 5

00:00:01.500 --> 00:00:01.800
<v <img src=x onerror="window.__xss = 6">>Voice payload

00:00:01.800 --> 00:00:02.100
<lang en" onmouseover="window.__xss = 7>Lang payload</lang>

00:00:02.100 --> 00:00:02.400
<c.x" onmouseover="window.__xss = 8>Class payload</c>

00:00:02.400 --> 00:00:02.700
&#60;svg onload=&#34;document.title = 'pwned'&#34;&#62;

00:00:02.700 --> 00:00:02.800
&amp;lt;b&amp;gt;double-encoded&amp;lt;/b&amp;gt;

00:00:02.800 --> 00:00:02.900
<i>&lt;/i&gt;&lt;script&gt;window.__xss = 9&lt;/script&gt;</i>

00:00:02.900 --> 00:00:03.000
<ruby>R<rt><iframe src="javascript:parent.__xss = 10"></iframe></rt></ruby>
"""
XSS_DESCRIPTIONS = """WEBVTT

00:00:00.100 --> 00:00:00.200
&lt;a href="javascript:window.__xss = 11"&gt;click&lt;/a&gt;
"""
XSS_CHAPTERS = """WEBVTT

00:00:00.000 --> 00:00:03.000
&lt;script&gt;document.title = 'pwned'&lt;/script&gt;
"""

# Text a viewer must be able to read, exactly as written by the payload's author.
VISIBLE = [
    "window.__xss = 1",
    "<script>window.__xss = 2</script>",
    "Image payload",
    '<img src=x onerror="window.__xss = 4">',
    "javascript:window.__xss = 5",
    '<img src=x onerror="window.__xss = 6":',
    "Voice payload",
    "Lang payload",
    "Class payload",
    "<svg onload=\"document.title = 'pwned'\">",
    "&lt;b&gt;double-encoded&lt;/b&gt;",
    "</i><script>window.__xss = 9</script>",
    '<a href="javascript:window.__xss = 11">click</a>',
    "<script>document.title = 'pwned'</script>",
]

# Elements and attributes no cue may produce.
DANGER_JS = """section => {
  const bad = section.querySelectorAll('script, img, svg, iframe, object, embed, style, link');
  const handlers = [...section.querySelectorAll('*')].flatMap(el =>
      [...el.attributes].filter(a => a.name.startsWith('on') || /javascript:/i.test(a.value))
        .map(a => el.tagName + ' ' + a.name));
  return {elements: bad.length, handlers};
}"""


@pytest.fixture
def xss_app(tmp_path, media_cache):
    folder = tmp_path / "xss-media"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "xss.mp4")
    (folder / "xss.json").write_text(json.dumps({"title": "Hostile captions"}))
    for kind, text in [("captions", XSS_CAPTIONS), ("descriptions", XSS_DESCRIPTIONS),
                       ("chapters", XSS_CHAPTERS)]:
        report = validate(text, kind=kind)
        assert report.ok, report.errors
        name = "xss.en.vtt" if kind == "captions" else f"xss.en.{kind}.vtt"
        (folder / name).write_text(text, encoding="utf-8")
    return create_app({"TESTING": True, "MEDIA_DIR": str(folder),
                       "DATABASE": str(tmp_path / "xss.sqlite"), "SECRET_KEY": "test"})


def watch_for_payloads(page) -> list[str]:
    dialogs: list[str] = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


def assert_nothing_ran(page, title: str, dialogs: list[str]) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.title() == title
    assert dialogs == []


def test_hostile_cue_text_is_shown_and_never_runs(xss_app, page):
    dialogs = watch_for_payloads(page)
    with LiveServer(xss_app) as server:
        page.goto(f"{server.url}/watch/xss/transcript")
        section = page.locator("#transcript")
        # Every part of every cue (the skip link before them is the page's own words).
        for link in section.locator(".ap-transcript-body").locator("a, span, h3").all():
            link.hover()
        assert_nothing_ran(page, "Transcript: Hostile captions – Accessible Player", dialogs)
        assert section.evaluate(DANGER_JS) == {"elements": 0, "handlers": []}
        text = section.inner_text()
        for payload in VISIBLE:
            assert payload in text
        assert section.locator(".ap-transcript-chapter").inner_text() == (
            "<script>document.title = 'pwned'</script>")
        # The voice tag ends at the first ">", so the rest is the cue's text.
        assert section.locator(".ap-transcript-speaker").inner_text() == (
            '<img src=x onerror="window.__xss = 6":')
        assert_axe_clean(page)

        page.goto(f"{server.url}/search?q=xss")
        results = page.locator(".search-results")
        assert results.locator("mark").first.inner_text().casefold() == "xss"
        assert results.evaluate(DANGER_JS) == {"elements": 0, "handlers": []}
        assert "<script>window.__xss = 2</script>" in results.inner_text()
        assert_nothing_ran(page, page.title(), dialogs)
        assert "pwned" not in page.title()

        # The player renders cues itself; play through every cue.
        page.goto(f"{server.url}/watch/xss")
        page.evaluate("""() => new Promise(resolve => {
            const media = document.querySelector('video');
            media.muted = true;
            media.addEventListener('ended', resolve, {once: true});
            media.play();
        })""")
        assert page.evaluate("window.__xss") is None
        assert "pwned" not in page.title()
        assert dialogs == []


def embedder(video_url: str, track_url: str) -> Flask:
    """A page on another origin that embeds the media with a plain <video>."""
    app = Flask("embedder")

    @app.get("/")
    def index():
        return (
            '<!doctype html><html lang="en"><head><title>Embedder</title></head><body>'
            '<video crossorigin="anonymous" muted preload="metadata"'
            f' src="{html.escape(video_url)}">'
            f'<track default kind="captions" srclang="en" label="English captions"'
            f' src="{html.escape(track_url)}"></video></body></html>'
        )

    return app


def leave(page) -> None:
    """Navigate away, so no media request is in flight when a server stops."""
    page.goto("about:blank")


def demo_app(tmp_path: Path, **config):
    return create_app({"TESTING": True, "MEDIA_DIR": str(copy_demo(tmp_path / "media")),
                       "DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "test", **config})


def captions_of(page, server) -> tuple[str, dict]:
    """The welcome video's source URL and English captions track, as ITEM gives them."""
    item = json.loads(page.request.get(server.url + "/api/media/welcome").text())
    track = next(t for t in item["tracks"] if t["kind"] == "captions" and t["srclang"] == "en")
    return item["sources"][0]["url"], track


def test_demo_captions_load_on_another_origin(tmp_path, page):
    with LiveServer(demo_app(tmp_path)) as media:
        video_url, track = captions_of(page, media)
        with LiveServer(embedder(video_url, track["url"]), host="localhost") as site:
            page.goto(site.url)
            page.wait_for_function(
                "() => { const t = document.querySelector('video').textTracks[0];"
                " return t.cues !== null && t.cues.length > 0; }")
            cues = page.evaluate(
                "() => Array.from(document.querySelector('video').textTracks[0].cues,"
                " c => [c.startTime, c.text])")
            leave(page)
    text = (CHECKOUT_MEDIA / track["url"].rsplit("/", 1)[1]).read_text(encoding="utf-8")
    expected = validate(text).cues
    assert len(cues) == track["cues"] == len(expected)
    assert [c[1] for c in cues] == [cue.raw_text for cue in expected]
    assert [c[0] for c in cues] == pytest.approx([cue.start for cue in expected])


def test_without_cors_the_other_origin_gets_no_cues(tmp_path, page):
    app = demo_app(tmp_path, CORS_ORIGINS="https://only-this.example")
    with LiveServer(app) as media:
        video_url, track = captions_of(page, media)
        with LiveServer(embedder(video_url, track["url"]), host="localhost") as site:
            page.goto(site.url)
            # HTMLTrackElement.ERROR: the browser refused the cross-origin track.
            page.wait_for_function("() => document.querySelector('track').readyState === 3")
            assert page.evaluate("document.querySelector('video').textTracks[0].cues.length") == 0
            leave(page)


@pytest.mark.parametrize("query", ["", "?lang=uk"])
def test_demo_transcript_page_is_accessible(tmp_path, page, query):
    with LiveServer(demo_app(tmp_path)) as server:
        page.goto(f"{server.url}/watch/welcome/transcript{query}")
        assert page.get_by_role("heading", level=1).inner_text() == "Welcome to Accessible Player"
        assert page.get_by_role("heading", level=3).count() == 6
        assert_axe_clean(page)
        first = page.locator(".ap-transcript-cue").first
        first.focus()
        first.press("Enter")
        page.wait_for_url("**/watch/welcome?t=*")
    assert page.js_errors == []
