"""Transcript pages, downloads and JSON (player.transcripts.tracks and its views)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from player import create_app
from player.library.item import Item, Track
from player.transcripts.tracks import TranscriptLanguageError, choose_tracks
from tests.html_support import parse_html
from tests.mediagen import make_media

CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:00.500
<v Anna>Hello <i>there</i>.

00:00:00.500 --> 00:00:01.000
<v Anna>How are you?

00:00:01.000 --> 00:00:01.400
<v Bohdan>Fine, <b>thanks</b>.

00:00:02.000 --> 00:00:02.900
<v Anna>Good to hear &amp; see you.
"""
DESCRIPTIONS = """WEBVTT

00:00:01.200 --> 00:00:01.500
Anna waves.
"""
CHAPTERS = """WEBVTT

00:00:00.000 --> 00:00:01.500
Greetings

00:00:01.500 --> 00:00:03.000
Farewell
"""
SUBTITLES_UK = """WEBVTT

00:00:00.000 --> 00:00:01.000
Привіт! Як справи?

00:00:01.000 --> 00:00:02.000
Дякую, добре.
"""
MARKUP = """WEBVTT

00:00:00.000 --> 00:00:01.000
<i>Italic</i>, <b>bold</b>, <u>underlined</u>, <c.loud>classed</c>

00:00:01.000 --> 00:00:02.000
<ruby>漢<rt>kan</rt></ruby> and <lang uk>слово</lang> and <lang en" onclick="x">odd</lang>

00:00:02.000 --> 00:00:03.000
<script>alert(1)</script> &lt;b&gt;not bold&lt;/b&gt; <00:00:02.500>later
"""

# (href, data-start, data-end, data-kind, text) of every cue link, in order.
EXPECTED_CUES = [
    ("/watch/talk?t=0", "0", "0.5", None, "Hello there."),
    ("/watch/talk?t=0.5", "0.5", "1", None, "How are you?"),
    ("/watch/talk?t=1", "1", "1.4", None, "Fine, thanks."),
    ("/watch/talk?t=1.2", "1.2", "1.5", "descriptions", "Anna waves."),
    ("/watch/talk?t=2", "2", "2.9", None, "Good to hear & see you."),
]

TEXT_PLAIN = """A talk
======

Greetings
=========

Anna: Hello there. How are you?

Bohdan: Fine, thanks.

[Description] Anna waves.

Farewell
========

Anna: Good to hear & see you.
"""

TEXT_TIMED = """A talk
======

[0:00] Greetings
================

[0:00] Anna: Hello there. How are you?

[0:01] Bohdan: Fine, thanks.

[0:01] [Description] Anna waves.

[0:01] Farewell
===============

[0:02] Anna: Good to hear & see you.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path, media_cache) -> Path:
    """``talk``: captions with voices, descriptions, chapters and Ukrainian
    subtitles; ``bare``: audio without any track."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "talk.mp4")
    write(folder, "talk.json", json.dumps({"title": "A talk", "language": "en"}))
    write(folder, "talk.en.vtt", CAPTIONS)
    write(folder, "talk.en.descriptions.vtt", DESCRIPTIONS)
    write(folder, "talk.en.chapters.vtt", CHAPTERS)
    write(folder, "talk.uk.subtitles.vtt", SUBTITLES_UK)
    shutil.copy(make_media("mp3", media_cache), folder / "bare.mp3")
    return folder


def make_client(folder: Path, tmp_path: Path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(folder),
                      "DATABASE": str(tmp_path / "t.sqlite"), "SECRET_KEY": "test"})
    return app, app.test_client()


@pytest.fixture
def client(library, tmp_path):
    return make_client(library, tmp_path)[1]


def cue_links(doc) -> list[tuple]:
    return [
        (a.attrs["href"], a.attrs["data-start"], a.attrs["data-end"], a.attrs.get("data-kind"),
         a.text)
        for a in doc.find_all("a", class_="ap-transcript-cue")
    ]


def test_transcript_page_is_complete_without_javascript(client):
    response = client.get("/watch/talk/transcript")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    doc = parse_html(response.text)
    assert doc.find("h1").text == "A talk"
    assert doc.find("title").text.startswith("Transcript: A talk")
    section = doc.find("section", id="transcript")
    assert section.classes == ["ap-transcript"]
    assert section.attrs["aria-labelledby"] == "transcript-heading"
    assert section.attrs["data-transcript-for"] == "player"
    assert section.find("h2", id="transcript-heading").text == "Transcript"
    body = section.find("div", class_="ap-transcript-body")
    assert body.attrs["lang"] == "en"
    assert [(h.tag, h.text, h.attrs["data-start"]) for h in
            body.find_all(class_="ap-transcript-chapter")] == [
        ("h3", "Greetings", "0"), ("h3", "Farewell", "1.5")]
    assert cue_links(body) == EXPECTED_CUES
    paragraphs = body.find_all("p", class_="ap-transcript-para")
    assert [p.text for p in paragraphs] == [
        "Anna: Hello there. How are you?",
        "Bohdan: Fine, thanks.",
        "Description: Anna waves.",
        "Anna: Good to hear & see you.",
    ]
    assert [s.text for s in body.find_all("span", class_="ap-transcript-speaker")] == [
        "Anna:", "Bohdan:", "Anna:"]
    assert "ap-transcript-description" in paragraphs[2].classes
    assert paragraphs[2].find("span", class_="ap-transcript-label").text == "Description:"
    # Reading order: every heading and paragraph in time order.
    order = [el.text for el in body.iter() if el.tag in ("h3", "p")]
    assert order == ["Greetings", *[p.text for p in paragraphs[:3]], "Farewell",
                     paragraphs[3].text]


def test_cue_markup_becomes_elements_only_where_safe(library, tmp_path):
    write(library, "talk.en.vtt", MARKUP)
    client = make_client(library, tmp_path)[1]
    body = parse_html(client.get("/watch/talk/transcript").text).find(
        class_="ap-transcript-body")
    first, second, third = [a for a in body.find_all("a", class_="ap-transcript-cue")
                            if "data-kind" not in a.attrs]
    assert [(el.tag, el.text) for el in first.iter()] == [
        ("i", "Italic"), ("b", "bold"), ("u", "underlined")]
    assert first.text == "Italic, bold, underlined, classed"
    assert [(el.tag, el.attrs, el.text) for el in second.iter()] == [
        ("ruby", {}, "漢kan"), ("rt", {}, "kan"), ("span", {"lang": "uk"}, "слово")]
    assert second.text.endswith("and odd")
    assert list(third.iter()) == []
    assert third.text == "alert(1) <b>not bold</b> later"
    assert "<script" not in client.get("/watch/talk/transcript").text


def test_every_cue_link_opens_the_watch_page_at_its_time(client):
    doc = parse_html(client.get("/watch/talk/transcript").text)
    for href, *_ in cue_links(doc):
        assert client.get(href).status_code == 200


def test_text_download_with_and_without_timestamps(client):
    doc = parse_html(client.get("/watch/talk/transcript").text)
    links = {a.text: a.attrs["href"] for a in doc.find("ul", class_="transcript-links")
             .find_all("a")}
    plain = client.get(links["Download as text"])
    timed = client.get(links["Download as text with times"])
    assert plain.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert plain.headers["Content-Disposition"] == 'inline; filename="talk-transcript.txt"'
    assert plain.text == TEXT_PLAIN
    assert timed.text == TEXT_TIMED
    assert client.get("/watch/talk/transcript.txt").text == TEXT_TIMED


def test_json_is_a_list_of_entries_in_reading_order(client):
    doc = parse_html(client.get("/watch/talk/transcript").text)
    href = doc.find("a", download="talk-transcript.json").attrs["href"]
    response = client.get(href)
    assert response.status_code == 200
    entries = response.get_json()
    assert all(set(e) == {"start", "end", "speaker", "text", "kind", "paragraph"}
               for e in entries)
    assert [(e["kind"], e["speaker"], e["text"], e["start"], e["end"], e["paragraph"])
            for e in entries] == [
        ("chapters", None, "Greetings", 0.0, 1.5, None),
        ("captions", "Anna", "Hello there.", 0.0, 0.5, 0),
        ("captions", "Anna", "How are you?", 0.5, 1.0, 0),
        ("captions", "Bohdan", "Fine, thanks.", 1.0, 1.4, 1),
        ("descriptions", None, "Anna waves.", 1.2, 1.5, 2),
        ("chapters", None, "Farewell", 1.5, 3.0, None),
        ("captions", "Anna", "Good to hear & see you.", 2.0, 2.9, 3),
    ]


def test_item_transcript_urls_serve_all_three_forms(client):
    urls = client.get("/api/media/talk").get_json()["transcript"]
    assert client.get(urls["html"]).mimetype == "text/html"
    assert client.get(urls["txt"]).mimetype == "text/plain"
    assert client.get(urls["json"]).mimetype == "application/json"


def test_transcript_in_another_language(client):
    doc = parse_html(client.get("/watch/talk/transcript").text)
    switch = doc.find("p", class_="transcript-languages")
    link = switch.find("a", hreflang="uk")
    assert (link.text, link.attrs["lang"]) == ("Українська", "uk")
    assert switch.find("strong").text == "English"

    doc = parse_html(client.get(link.attrs["href"]).text)
    body = doc.find(class_="ap-transcript-body")
    assert body.attrs["lang"] == "uk"
    assert [a.text for a in body.find_all("a", class_="ap-transcript-cue")
            if "data-kind" not in a.attrs] == ["Привіт! Як справи?", "Дякую, добре."]
    # English descriptions alongside Ukrainian subtitles say which language they are in.
    description = body.find("p", class_="ap-transcript-description")
    assert description.attrs["lang"] == "en"
    downloads = doc.find("ul", class_="transcript-links").find_all("a")
    assert all("lang=uk" in a.attrs["href"] for a in downloads[1:])
    assert client.get("/api/media/talk/transcript?lang=uk").get_json()[1]["text"] == (
        "Привіт! Як справи?")
    assert "Дякую, добре." in client.get("/watch/talk/transcript.txt?lang=uk").text


@pytest.mark.parametrize("url", [
    "/watch/talk/transcript?lang=fr",
    "/watch/talk/transcript.txt?lang=fr",
    "/api/media/talk/transcript?lang=fr",
    "/watch/nope/transcript",
    "/api/media/nope/transcript",
])
def test_missing_language_or_item_is_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "not_found"


def test_item_without_tracks_says_so(client):
    doc = parse_html(client.get("/watch/bare/transcript").text)
    body = doc.find(class_="ap-transcript-body")
    assert body.text == "There is no transcript yet: this item has no captions or subtitles."
    assert [a.text for a in doc.find("ul", class_="transcript-links").find_all("a")] == [
        "Listen to “bare”"]
    assert client.get("/api/media/bare/transcript").get_json() == []
    assert client.get("/watch/bare/transcript.txt").text.endswith(
        "There is no transcript yet: this item has no captions or subtitles.\n")


def test_subtitles_make_the_transcript_when_captions_are_rejected(library, tmp_path):
    write(library, "talk.en.vtt", "WEBVTT\n\n00:00:00.000 -> 00:00:01.000\nBroken timing\n")
    client = make_client(library, tmp_path)[1]
    page = client.get("/watch/talk/transcript").text
    assert "Broken timing" not in page
    assert "Привіт! Як справи?" in page
    assert parse_html(page).find(class_="ap-transcript-body").attrs["lang"] == "uk"


def test_a_replaced_track_shows_its_new_text(library, tmp_path):
    app, client = make_client(library, tmp_path)
    assert "Hello" in client.get("/watch/talk/transcript").text
    path = write(library, "talk.en.vtt", CAPTIONS.replace("Hello", "Greetings to you"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert app.test_cli_runner().invoke(args=["scan"]).exit_code == 0
    page = client.get("/watch/talk/transcript").text
    assert "Greetings to you" in page and "Hello" not in page


def track(kind: str, lang: str) -> Track:
    return Track(file=f"x.{lang}.{kind}.vtt", kind=kind, srclang=lang, label=lang, cues=1)


def item(language: str, tracks: list[Track]) -> Item:
    return Item(id="x", file="x.mp4", title="x", description="", language=language,
                kind="video", mime="video/mp4", duration=10.0, width=None, height=None,
                size=1, mtime=0.0, tracks=tracks)


@pytest.mark.parametrize(("tracks", "language", "expected"), [
    ([track("captions", "uk"), track("captions", "en")], "en", ("captions", "en")),
    ([track("captions", "uk"), track("captions", "de")], "en", ("captions", "uk")),
    ([track("subtitles", "en"), track("captions", "de")], "en", ("captions", "de")),
    ([track("subtitles", "de"), track("subtitles", "en-GB")], "en", ("subtitles", "en-GB")),
    ([track("descriptions", "en"), track("chapters", "en")], "en", None),
])
def test_the_body_prefers_captions_in_the_item_language(tracks, language, expected):
    chosen = choose_tracks(item(language, tracks))
    assert (chosen.text and (chosen.text.kind, chosen.text.srclang)) == expected


def test_descriptions_and_chapters_follow_the_body_language():
    tracks = [track("subtitles", "uk"), track("descriptions", "en"),
              track("descriptions", "uk"), track("chapters", "en")]
    chosen = choose_tracks(item("en", tracks), "uk")
    assert chosen.language == "uk"
    assert chosen.descriptions.srclang == "uk"
    assert chosen.chapters.srclang == "en"
    with pytest.raises(TranscriptLanguageError, match="'x' has no captions or subtitles"):
        choose_tracks(item("en", tracks), "de")


def test_demo_transcripts_are_complete(tmp_path, demo_media):
    client = make_client(demo_media, tmp_path)[1]
    for item in client.get("/api/media").get_json()["items"]:
        doc = parse_html(client.get(item["transcript"]["html"]).text)
        entries = client.get(item["transcript"]["json"]).get_json()
        links = doc.find_all("a", class_="ap-transcript-cue")
        chapters = doc.find_all(class_="ap-transcript-chapter")
        assert links, item["id"]
        assert len(links) + len(chapters) == len(entries)
        assert [a.text for a in links] == [e["text"] for e in entries if e["kind"] != "chapters"]
        assert all(a.attrs["href"] == f"/watch/{item['id']}?t={a.attrs['data-start']}"
                   for a in links)
