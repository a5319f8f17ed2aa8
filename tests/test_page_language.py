"""The pages speak the language ``?hl=`` asks for (English and Ukrainian),
keep it on the site's own links, and mark the items' own text with the
items' language (WCAG 2.2 3.1.1 and 3.1.2). The demo library is used: an
English video with Ukrainian subtitles, descriptions and chapters."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from player import create_app
from player.timefmt import words
from player.ui_text import CATALOGS, pick_language, plural_category, translate

DEMO = Path(__file__).resolve().parents[1] / "media"


@pytest.fixture
def demo_client(tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(DEMO),
                      "DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "x"})
    return app.test_client()


def page(client, url: str) -> tuple[int, str, list[tuple[str, str]]]:
    """Status, HTML, and every run of text with the language it is in."""
    answer = client.get(url)
    html = answer.get_data(as_text=True)
    runs: list[tuple[str, str]] = []

    class Runs(HTMLParser):
        def __init__(self):
            super().__init__()
            self.langs: list[tuple[str, str]] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("meta", "link", "input", "img", "br", "source", "track"):
                return
            inherited = self.langs[-1][1] if self.langs else ""
            self.langs.append((tag, dict(attrs).get("lang") or inherited))
            self.skip += tag in ("script", "style", "textarea", "title")

        def handle_endtag(self, tag):
            while self.langs:
                name, _ = self.langs.pop()
                self.skip -= name in ("script", "style", "textarea", "title")
                if name == tag:
                    break

        def handle_data(self, data):
            if data.strip() and not self.skip:
                runs.append((self.langs[-1][1] if self.langs else "", data.strip()))

    Runs().feed(html)
    return answer.status_code, html, runs


def lang_of(runs, text: str) -> str:
    """The language in force where ``text`` stands on the page."""
    for lang, data in runs:
        if text in data:
            return lang
    raise AssertionError(f"{text!r} is not on the page")


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def test_watch_page_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/welcome?hl=uk")
    assert status == 200
    assert '<html lang="uk">' in html
    for text in ("Перейти до програвача", "Перейти до стенограми", "Бібліотека",
                 "Пошук у стенограмах", "Поділитися", "Посилання на це відео", "Стенограма",
                 "Опис:", "Вбудовування", "Код для вбудовування", "1 хвилина"):
        assert lang_of(runs, text) == "uk", text
    # The item's own words stay marked as English.
    assert lang_of(runs, "Welcome to Accessible Player") == "en"
    assert lang_of(runs, "The player introduces itself") == "en"
    assert lang_of(runs, "Hello, and welcome to Accessible Player.") == "en"
    assert lang_of(runs, "Title slide: Accessible Player") == "en"
    # No English UI text is left.
    for english in ("Skip to", "Share", "Transcript", "Description:", "Embed code", "Library"):
        assert all(english not in data or lang == "en" for lang, data in runs), english


def test_links_keep_the_language_but_shared_links_do_not(demo_client):
    _, html, _ = page(demo_client, "/watch/welcome?hl=uk")
    hrefs = links(html)
    assert "/?hl=uk" in hrefs and "/search?hl=uk" in hrefs
    assert "/watch/welcome?t=0.5&hl=uk" in hrefs
    # The share link and the oEmbed discovery link are for other people.
    assert "http://localhost/watch/welcome" in hrefs
    assert all("hl" not in href for href in hrefs if "oembed" in href or "/files/" in href)
    assert "hl=uk" not in re.search(r'<textarea[^>]*>(.*?)</textarea>', html, re.S).group(1)


def test_library_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/?hl=uk")
    assert status == 200 and '<html lang="uk">' in html
    assert lang_of(runs, "2 записи, і до кожного є стенограма") == "uk"
    assert lang_of(runs, "Тривалість") == "uk"
    assert lang_of(runs, "22 секунди") == "uk"
    assert lang_of(runs, "Welcome to Accessible Player") == "en"
    assert "http://localhost/watch/welcome?hl=uk" in links(html)
    assert "http://localhost/watch/welcome/transcript?hl=uk" in links(html)


def test_transcript_page_and_search_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/welcome/transcript?hl=uk")
    assert status == 200 and '<html lang="uk">' in html
    assert lang_of(runs, "Завантажити як текст") == "uk"
    assert lang_of(runs, "Повна стенограма цього відео тривалістю 1 хвилина.") == "uk"
    assert lang_of(runs, "Дивитися «") == "uk"
    status, html, runs = page(demo_client, "/search?hl=uk&q=keyboard")
    assert status == 200 and '<html lang="uk">' in html
    assert lang_of(runs, "Слова для пошуку") == "uk"
    assert re.search(r"\d+ збіг(и|ів)? у \d+ запис", html)
    assert lang_of(runs, "Welcome to Accessible Player") == "en"
    assert '<input type="hidden" name="hl" value="uk">' in html


def test_error_page_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/nothing-here?hl=uk")
    assert status == 404 and '<html lang="uk">' in html
    assert lang_of(runs, "Не знайдено") == "uk"
    assert lang_of(runs, "Перейти до бібліотеки") == "uk"
    # The reason is only in English, and marked so.
    assert lang_of(runs, "There is no media item") == "en"


@pytest.mark.parametrize("url", ["/watch/welcome", "/watch/welcome?hl=xx", "/watch/welcome?hl="])
def test_english_by_default(demo_client, url):
    status, html, runs = page(demo_client, url)
    assert status == 200 and '<html lang="en">' in html
    assert lang_of(runs, "Skip to player") == "en"
    assert lang_of(runs, "Transcript") == "en"
    assert not any("hl=" in href for href in links(html))
    # English text on an English page needs no lang of its own.
    assert '<h1 lang=' not in html


def test_region_and_case_do_not_matter(demo_client):
    assert '<html lang="uk">' in demo_client.get("/?hl=UK-ua").get_data(as_text=True)
    assert pick_language("uk-UA") == "uk"


@pytest.mark.parametrize(("n", "expected"), [
    (1, "1 хвилина"), (2, "2 хвилини"), (5, "5 хвилин"), (11, "11 хвилин"),
    (21, "21 хвилина"), (22, "22 хвилини"), (25, "25 хвилин"), (112, "112 хвилин"),
])
def test_ukrainian_plural_forms(n, expected):
    assert translate("uk", "{n} minutes", n=n) == expected


def test_durations_in_words():
    assert words(3661, "uk") == "1 година 1 хвилина 1 секунда"
    assert words(7384, "uk") == "2 години 3 хвилини 4 секунди"
    assert words(0, "uk") == "0 секунд"
    assert words(3661) == "1 hour 1 minute 1 second"


def test_every_ukrainian_plural_entry_has_each_form():
    for key, entry in CATALOGS["uk"].items():
        if isinstance(entry, dict):
            assert set(entry) >= {"one", "few", "many", "other"}, key
            for n in (1, 2, 5):
                assert "{n}" in entry[plural_category("uk", n)], key
