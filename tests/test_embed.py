"""The embed page, GET /embed/<id>, and the watch page's embed code, over HTTP.

The library here (also used by the embed browser tests) has a two-minute
video, so start times such as ``t=1m30s`` fall inside it, with English
captions, Ukrainian subtitles, descriptions and a poster, and a short captioned song.
"""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import player.embed
from player import create_app
from player.embed import image_size
from player.progress.viewer import sign_viewer
from tests.demo import copy_demo
from tests.html_support import parse_html
from tests.mediagen import ffmpeg_exe, make_media

README = Path(__file__).resolve().parent.parent / "README.md"
#: The player's server in the README's examples.
EXAMPLE_ORIGIN = "https://media.example.org"
LECTURE_SECONDS = 120
CAPTIONS_EN = [f"English caption number {i}." for i in range(LECTURE_SECONDS // 10)]
SUBTITLES_UK = [f"Український субтитр номер {i}." for i in range(LECTURE_SECONDS // 10)]
DESCRIPTIONS = ["A test pattern of coloured bars.", "The same bars, a minute later."]
LECTURE_TITLE = 'The "embed" lecture & <friends>'


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                   check=True, capture_output=True, timeout=120)


def lecture_video(media_cache: Path) -> Path:
    """Two minutes at 160x90 and 5 frames a second: under a second to encode."""
    dest = media_cache / "embed-lecture.mp4"
    if not dest.exists():
        tmp = dest.with_name(".embed-lecture.mp4")
        seconds = LECTURE_SECONDS
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=5:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=16000:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "45", "-pix_fmt", "yuv420p",
                "-g", "10", "-c:a", "aac", "-b:a", "16k", "-ac", "1", "-movflags", "+faststart",
                "-f", "mp4", str(tmp))
        tmp.replace(dest)
    return dest


def image(media_cache: Path, name: str, size: str) -> Path:
    """A one-frame picture; the format follows ``name``'s suffix."""
    dest = media_cache / name
    if not dest.exists():
        tmp = dest.with_name("." + name)
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}", "-frames:v", "1",
                "-update", "1", "-f", "image2", str(tmp))
        tmp.replace(dest)
    return dest


def vtt(lines: list[str], every: float = 10) -> str:
    def stamp(seconds: float) -> str:
        return f"00:{int(seconds) // 60:02d}:{seconds % 60:06.3f}"

    return "WEBVTT\n\n" + "\n".join(f"{stamp(i * every)} --> {stamp(i * every + every)}\n{text}\n"
                                     for i, text in enumerate(lines))


def make_embed_library(folder: Path, media_cache: Path) -> Path:
    folder.mkdir()
    shutil.copy(lecture_video(media_cache), folder / "lecture.mp4")
    (folder / "lecture.json").write_text(
        '{"title": "The \\"embed\\" lecture & <friends>", "description": "Two minutes."}',
        encoding="utf-8")
    (folder / "lecture.en.vtt").write_text(vtt(CAPTIONS_EN), encoding="utf-8")
    (folder / "lecture.uk.subtitles.vtt").write_text(vtt(SUBTITLES_UK), encoding="utf-8")
    (folder / "lecture.en.descriptions.vtt").write_text(vtt(DESCRIPTIONS, every=60),
                                                        encoding="utf-8")
    shutil.copy(image(media_cache, "embed-poster.jpg", "320x180"), folder / "lecture.jpg")
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    (folder / "song.json").write_text('{"title": "A steady tone"}')
    (folder / "song.en.vtt").write_text(vtt(["A steady tone plays."], every=3), encoding="utf-8")
    return folder


def readme_example(name: str) -> str:
    """The code block after ``<!-- example: NAME -->`` in the README's
    "Embedding" section: the examples there are tested as written."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Embedding\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "README.md has no '## Embedding' section"
    block = re.search(rf"<!-- example: {name} -->\n```[\w-]*\n(.*?)```", section.group(1), re.S)
    assert block, f"the README's Embedding section has no example {name!r}"
    return block.group(1)


def demo_app(tmp_path, **config):
    """The app serving a copy of the demo media (the README's examples use it)."""
    folder = tmp_path / "demo"
    copy_demo(folder)
    return create_app({"TESTING": True, "MEDIA_DIR": str(folder), "SECRET_KEY": "test",
                       "DATABASE": str(tmp_path / "demo.sqlite"), **config})


@pytest.fixture
def media_dir(tmp_path, media_cache):
    return make_embed_library(tmp_path / "media", media_cache)


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.text
    return parse_html(response.text)


def media_of(doc):
    return (doc.find_all("video") or doc.find_all("audio"))[0]


def default_tracks(doc) -> list[str]:
    return [t.attrs["srclang"] for t in doc.find_all("track") if "default" in t.attrs]


# -- the page -----------------------------------------------------------------------------

def test_the_embed_page_is_the_player_and_links_out(client):
    response = client.get("/embed/lecture")
    doc = parse_html(response.text)
    assert doc.find("html").attrs["lang"] == "en"
    assert doc.find("title").text == f"{LECTURE_TITLE} – Accessible Player"
    # Only the player: none of the site's header, navigation or skip links.
    assert not doc.find_all("nav") and not doc.find_all("header")
    assert doc.find("h1").text == LECTURE_TITLE
    wrapper = doc.find(id="player")
    assert "data-player" in wrapper.attrs and "data-embed" in wrapper.attrs
    video = media_of(doc)
    assert video.tag == "video"
    assert video.attrs["crossorigin"] == "anonymous"
    assert video.attrs["poster"].endswith("/files/lecture/lecture.jpg")
    assert {"muted", "autoplay", "loop", "data-start"}.isdisjoint(video.attrs)
    assert sorted((t.attrs["srclang"], t.attrs["kind"]) for t in doc.find_all("track")) == [
        ("en", "captions"), ("en", "descriptions"), ("uk", "subtitles")]
    assert default_tracks(doc) == ["en"]
    assert not doc.find_all(id="transcript")
    # Links leave the frame: framed, the site's other pages refuse to load.
    assert doc.find("base").attrs["target"] == "_blank"
    links = doc.find("footer").find_all("a")
    assert [a.text for a in links] == ["Watch on Accessible Player (opens in a new tab)",
                                       "Read the transcript (opens in a new tab)"]
    assert links[0].attrs["href"] == "http://localhost/watch/lecture"
    assert links[1].attrs["href"] == "http://localhost/watch/lecture/transcript"
    scripts = [s.attrs["src"] for s in doc.find_all("script")]
    assert scripts == ["/static/player/player.js", "/static/player/embed.js"]


def test_audio_embeds_an_audio_element(client):
    doc = page(client, "/embed/song")
    audio = media_of(doc)
    assert audio.tag == "audio" and "poster" not in audio.attrs
    assert default_tracks(doc) == ["en"]


def test_an_unknown_item_is_a_404_page_that_may_show_in_the_frame(client):
    response = client.get("/embed/nothing-here")
    assert response.status_code == 404
    assert "nothing-here" in response.text
    assert response.headers["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors *"
    # The message alone: the site's header, navigation and footer do not fit a frame.
    doc = parse_html(response.text)
    assert not doc.find_all("header") and not doc.find_all("nav") and not doc.find_all("footer")
    assert doc.find("h1").text == "Not Found"
    assert doc.find("base").attrs["target"] == "_blank"
    assert [a.attrs["href"] for a in doc.find_all("a")] == ["/"]


def test_errors_outside_embeds_keep_the_site_around_them(client):
    doc = parse_html(client.get("/watch/nothing-here").text)
    assert doc.find_all("header") and doc.find_all("footer")


def test_the_players_title_names_its_region(client):
    for path in ("/embed/lecture", "/watch/lecture", "/embed/song"):
        wrapper = page(client, path).find(id="player")
        assert wrapper.attrs["data-title"] in (LECTURE_TITLE, "A steady tone"), path


@pytest.mark.parametrize("query, start", [
    ("t=1m30s", 90), ("t=90", 90), ("start=90", 90), ("t=1:30", 90), ("start=75&t=90", 75),
    ("t=soon", None), ("t=-5", None), ("t=500", None), ("start=abc&t=30", 30),
])
def test_start_time(client, query, start):
    video = media_of(page(client, f"/embed/lecture?{query}"))
    source = video.find("source").attrs["src"]
    if start is None:
        assert "data-start" not in video.attrs
        assert "#t=" not in source
    else:
        assert float(video.attrs["data-start"]) == start
        assert source.endswith(f"#t={float(start)}")


@pytest.mark.parametrize("query, end", [
    ("end=100", 100), ("t=90&end=1m40s", 100), ("t=90&end=80", None), ("t=90&end=90", None),
    ("end=500", None), ("end=later", None),
])
def test_end_time(client, query, end):
    wrapper = page(client, f"/embed/lecture?{query}").find(id="player")
    if end is None:
        assert "data-end" not in wrapper.attrs
    else:
        assert float(wrapper.attrs["data-end"]) == end


@pytest.mark.parametrize("captions, shown", [
    ("uk", "uk"), ("UK", "uk"), ("uk-UA", "uk"), ("en", "en"), ("fr", "en"), ("", "en"),
])
def test_captions_language(client, captions, shown):
    assert default_tracks(page(client, f"/embed/lecture?captions={captions}")) == [shown]


@pytest.mark.parametrize("query, muted, autoplay", [
    ("muted=1", True, False),
    ("autoplay=1", False, False),
    ("muted=1&autoplay=1", True, True),
    ("muted=true&autoplay=true", True, True),
    ("muted=yes&autoplay=1", False, False),
    ("muted=0&autoplay=1", False, False),
])
def test_autoplay_only_when_muted(client, query, muted, autoplay):
    video = media_of(page(client, f"/embed/lecture?{query}"))
    assert ("muted" in video.attrs) is muted
    assert ("autoplay" in video.attrs) is autoplay


def test_loop(client):
    assert "loop" in media_of(page(client, "/embed/lecture?loop=1")).attrs
    # With an end, the page's script loops between start and end instead.
    doc = page(client, "/embed/lecture?loop=1&t=10&end=20")
    assert "loop" not in media_of(doc).attrs
    assert "data-loop" in doc.find(id="player").attrs


def test_transcript_parameter(client):
    doc = page(client, "/embed/lecture?transcript=1")
    section = doc.find("section", id="transcript")
    assert section.attrs["data-transcript-for"] == "player"
    cues = [a.text for a in section.find_all("a", class_="ap-transcript-cue")
            if "data-kind" not in a.attrs]
    assert cues == CAPTIONS_EN
    assert not page(client, "/embed/lecture?transcript=0").find_all(id="transcript")


def test_transcript_follows_the_captions_language(client):
    doc = page(client, "/embed/lecture?transcript=1&captions=uk")
    body = doc.find("div", class_="ap-transcript-body")
    assert body.attrs["lang"] == "uk"
    assert [a.text for a in body.find_all("a") if "data-kind" not in a.attrs] == SUBTITLES_UK
    links = doc.find("footer").find_all("a")
    assert links[1].attrs["href"] == "http://localhost/watch/lecture/transcript?lang=uk"


@pytest.mark.parametrize("hl, lang", [("uk", "uk"), ("uk-UA", "uk"), ("en", "en"), ("xx", "en"),
                                      ("<b>", "en")])
def test_interface_language(client, hl, lang):
    doc = page(client, f"/embed/lecture?hl={hl}")
    assert doc.find("html").attrs["lang"] == lang
    watch = doc.find("footer").find_all("a")[0].text
    assert watch == {"uk": "Дивитися на Accessible Player (відкривається в новій вкладці)",
                     "en": "Watch on Accessible Player (opens in a new tab)"}[lang]


def test_english_parts_are_marked_english_on_a_ukrainian_page(client):
    doc = page(client, "/embed/lecture?hl=uk&transcript=1")
    # The page's own words are Ukrainian; the item's are marked English.
    assert "lang" not in doc.find("div", class_="ap-embed-transcript").attrs
    assert doc.find("h2", id="transcript-heading").text == "Стенограма"
    assert doc.find("div", class_="ap-transcript-body").attrs["lang"] == "en"
    assert doc.find("h1").attrs["lang"] == "en"


def test_api_parameter_passes_the_allowed_origins(media_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "EMBED_ORIGINS": "https://a.example, https://b.example:8443/"})
    client = app.test_client()
    wrapper = page(client, "/embed/lecture?api=1").find(id="player")
    assert wrapper.attrs["data-embed-origins"] == "https://a.example https://b.example:8443"
    assert "data-embed-api" in wrapper.attrs
    assert "data-embed-api" not in page(client, "/embed/lecture").find(id="player").attrs


def test_viewer_token_goes_to_the_player(client):
    token = sign_viewer("alice@example.org", "host-secret", 2_000_000_000)
    wrapper = page(client, f"/embed/lecture?viewer_token={token}").find(id="player")
    assert wrapper.attrs["data-viewer-token"] == token
    # Only the shape is checked here: the progress API verifies every request.
    forged = token.rpartition(".")[0] + ".c2lnbmF0dXJl"
    wrapper = page(client, f"/embed/lecture?viewer_token={forged}").find(id="player")
    assert wrapper.attrs["data-viewer-token"] == forged
    assert "viewer_token" not in repr(player.embed.parse_options({"viewer_token": token},
                                                                 {"tracks": []}))


@pytest.mark.parametrize("value", [
    "alice", "v1.YWxpY2U.2000000000", "v2.YWxpY2U.2000000000.c2ln", "v1.YWxpY2U.soon.c2ln",
    'v1.YWxp"><script>.2000000000.c2ln', "v1." + "A" * 401 + ".2000000000.c2ln",
])
def test_what_is_not_a_viewer_token_is_ignored(client, value):
    plain = client.get("/embed/lecture").text
    assert client.get("/embed/lecture", query_string={"viewer_token": value}).text == plain


def test_oembed_never_passes_a_viewer_token_on(client):
    token = sign_viewer("alice@example.org", "host-secret", 2_000_000_000)
    body = client.get("/oembed", query_string={
        "url": f"http://localhost/embed/lecture?t=30&viewer_token={token}"}).get_json()
    src = parse_html(body["html"]).find("iframe").attrs["src"]
    assert src == "http://localhost/embed/lecture?t=30"


def test_unknown_parameters_change_nothing(client):
    plain = client.get("/embed/lecture").text
    assert client.get("/embed/lecture?foo=bar&rel=0&modestbranding=1").text == plain
    assert client.get("/embed/lecture?t=&end=&captions=&hl=&muted=&loop=maybe").text == plain


def test_embed_url_in_item_json(client):
    item = client.get("/api/media/lecture").get_json()
    assert item["embed_url"] == "http://localhost/embed/lecture", (
        "ITEM's embed_url should name the embed page (player/library/catalog.py)")


# -- the watch page -----------------------------------------------------------------------

def snippet_of(doc) -> str:
    textarea = doc.find("textarea", id="embed-code")
    return "".join(c for c in textarea.children if isinstance(c, str))


def test_watch_page_offers_the_embed_code(client):
    doc = page(client, "/watch/lecture")
    section = doc.find("section", class_="watch-embed")
    textarea = section.find("textarea", id="embed-code")
    assert "readonly" in textarea.attrs
    assert section.find("label").attrs["for"] == "embed-code"
    button = section.find("button", id="embed-copy")
    # Shown by the script: without it there is nothing to press.
    assert "hidden" in button.attrs and button.attrs["type"] == "button"
    assert section.find(id="embed-copied").attrs["role"] == "status"

    code = parse_html(snippet_of(doc))
    wrapper = code.find("div")
    assert re.fullmatch(r"position:relative;padding-top:calc\(56\.25% \+ \d+px\)",
                        wrapper.attrs["style"])
    frame = wrapper.find("iframe")
    assert frame.attrs["src"] == "http://localhost/embed/lecture"
    assert frame.attrs["title"] == LECTURE_TITLE
    assert frame.attrs["allow"] == "fullscreen; picture-in-picture"
    # allow="fullscreen" is the current way; the legacy allowfullscreen beside it makes
    # Chromium warn on the host page that one overrides the other.
    assert "allowfullscreen" not in frame.attrs
    assert set(frame.attrs["sandbox"].split()) >= {"allow-scripts", "allow-same-origin",
                                                   "allow-popups"}


def test_readme_embed_code_is_the_watch_pages(tmp_path):
    client = demo_app(tmp_path, PUBLIC_URL=EXAMPLE_ORIGIN).test_client()
    assert snippet_of(page(client, "/watch/welcome")) + "\n" == readme_example("iframe-snippet")


def test_audio_embed_code_is_a_fixed_height(client):
    frame = parse_html(snippet_of(page(client, "/watch/song"))).find("iframe")
    assert re.fullmatch(r"width:100%;height:\d+px;border:0", frame.attrs["style"])
    assert frame.attrs["title"] == "A steady tone"
    # The compact audio player's height at 320 px wide, which fits every wider frame.
    height = player.embed.AUDIO_NARROW_HEIGHT
    assert frame.attrs["style"] == f"width:100%;height:{height}px;border:0"


def test_watch_page_advertises_oembed(client):
    doc = page(client, "/watch/lecture")
    links = [link for link in doc.find_all("link") if link.attrs.get("rel") == "alternate"]
    assert len(links) == 1
    link = links[0]
    assert link.attrs["type"] == "application/json+oembed"
    assert link.attrs["title"] == LECTURE_TITLE
    href = link.attrs["href"]
    # oEmbed 1.0 §2.2: arguments are URL-encoded, the watch URL's ":" and "/" too.
    assert href == "http://localhost/oembed?url=http%3A%2F%2Flocalhost%2Fwatch%2Flecture&format=json"
    body = client.get(href).get_json()
    assert body["type"] == "video" and body["title"] == LECTURE_TITLE


# -- pieces -------------------------------------------------------------------------------

def test_module_examples():
    assert doctest.testmod(player.embed).failed == 0


@pytest.mark.parametrize("name", ["size.png", "size.jpg", "size.webp"])
def test_image_size_reads_the_header(media_cache, name):
    assert image_size(image(media_cache, name, "124x46").read_bytes()) == (124, 46)


def test_image_size_of_something_else(media_cache):
    assert image_size(make_media("mp3", media_cache).read_bytes()) is None
    # A missing poster reads as nothing (see test_storage for the oEmbed answer).
    assert image_size(b"") is None
    truncated = image(media_cache, "size.jpg", "124x46").read_bytes()[:4]
    assert image_size(truncated) is None
