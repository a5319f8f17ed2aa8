"""Small parts of every page a new user noticed missing: an icon (so no
visit logs a 404 for /favicon.ico), one link past the transcript's lines,
and artwork on a library card that has no poster."""

from __future__ import annotations

from tests.html_support import parse_html


def test_favicon_is_named_by_every_page(client):
    """The ICO (tests/test_favicon.py reads it) and the SVG, for browsers that read SVG icons."""
    with client.get("/static/favicon.svg") as static:
        assert static.status_code == 200 and static.mimetype == "image/svg+xml"
    for path in ("/", "/watch/clip", "/watch/clip/transcript", "/embed/clip", "/nowhere",
                 "/embed/nowhere"):
        link = [el for el in parse_html(client.get(path).text).find_all("link")
                if el.attrs.get("rel") == "icon"]
        assert [el.attrs["href"] for el in link] == ["/favicon.ico", "/static/favicon.svg"], path


def test_the_transcript_has_one_link_past_its_lines(client):
    for path in ("/watch/clip", "/watch/clip/transcript", "/embed/clip?transcript=1"):
        section = parse_html(client.get(path).text).find(id="transcript")
        links = section.find_all("a")
        assert links[0].attrs["href"] == "#transcript-end", path
        # The embed page opens its links in new tabs; this one stays.
        assert links[0].attrs["target"] == "_self"
        assert links[0].text == "Skip the transcript"
        end = section.find(id="transcript-end")
        assert end.attrs["tabindex"] == "-1" and end.text == "End of the transcript"
        # After every line.
        assert section.children.index(end) > section.children.index(section.find(
            class_="ap-transcript-body"))


def test_no_link_past_an_empty_transcript(client):
    section = parse_html(client.get("/watch/song").text).find(id="transcript")
    assert section.find_all(id="transcript-end") == [] and section.find_all("a") == []


def test_a_card_without_a_poster_has_neutral_artwork(client):
    doc = parse_html(client.get("/").text)
    song = next(card for card in doc.find_all("li") if "media-card" in card.classes
                and "song" in card.find("a").attrs["href"])
    art = song.find(class_="media-art")
    assert "media-poster" in art.classes
    assert art.find("svg").attrs["aria-hidden"] == "true"
