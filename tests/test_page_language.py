"""The pages speak the language ``?hl=`` asks for (English and Ukrainian),
keep it on the site's own links, and mark the items' own text with the
items' language (WCAG 2.2 3.1.1 and 3.1.2). The demo library is used: an
English video with Ukrainian subtitles, descriptions and chapters."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from player import create_app
from player.web.i18n import CATALOGS, pick_language, plural_category, translate, words


@pytest.fixture
def demo_client(tmp_path, demo_media):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(demo_media),
                      "DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "x"})
    return app.test_client()


def page(client, url: str, method: str = "get") -> tuple[int, str, list[tuple[str, str]]]:
    """Status, HTML, and every run of text with the language it is in."""
    answer = getattr(client, method)(url)
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


def test_transcript_page_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/welcome/transcript?hl=uk")
    assert status == 200 and '<html lang="uk">' in html
    assert lang_of(runs, "Завантажити як текст") == "uk"
    assert lang_of(runs, "Повна стенограма цього відео (тривалість — 1 хвилина).") == "uk"
    assert lang_of(runs, "Дивитися «") == "uk"
    assert lang_of(runs, "Мова стенограми:") == "uk"
    assert lang_of(runs, "Welcome to Accessible Player") == "en"
    assert lang_of(runs, "Title slide: Accessible Player") == "en"
    hrefs = links(html)
    assert "/watch/welcome?hl=uk" in hrefs
    assert "/watch/welcome/transcript?lang=uk&hl=uk" in hrefs
    assert "/watch/welcome?t=0.5&hl=uk" in hrefs
    # Downloads are files, not pages: no language to keep.
    assert "/watch/welcome/transcript.txt?timestamps=0" in hrefs


def test_search_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/search?hl=uk&q=keyboard")
    assert status == 200 and '<html lang="uk">' in html
    assert lang_of(runs, "Слова для пошуку") == "uk"
    # "у" takes the locative: "у 1 записі", "у 2 записах".
    assert re.search(r"\d+ збіг(и|ів)? у \d+ запис(і|ах) за запитом «keyboard»", html)
    assert lang_of(runs, "Welcome to Accessible Player") == "en"
    assert lang_of(runs, "від початку:") == "uk"
    assert '<input type="hidden" name="hl" value="uk">' in html
    hits = [href for href in links(html) if href.startswith("/watch/welcome?t=")]
    assert hits and all(href.endswith("&hl=uk") for href in hits)
    assert "/watch/welcome?hl=uk" in links(html)


def test_a_search_too_long_is_refused_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/search?hl=uk&q=" + "a" * 201)
    assert status == 400
    assert lang_of(runs, "Запит має 201 символ; можна щонайбільше 200.") == "uk"


def test_error_pages_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/nothing-here?hl=uk")
    assert status == 404 and '<html lang="uk">' in html
    assert lang_of(runs, "Не знайдено") == "uk"
    assert lang_of(runs, "Немає медіазапису з ідентифікатором «nothing-here».") == "uk"
    assert lang_of(runs, "Перейти до бібліотеки") == "uk"
    assert "/?hl=uk" in links(html)
    status, html, runs = page(demo_client, "/no/such/page?hl=uk")
    assert status == 404 and lang_of(runs, "Такої адреси на сервері немає.") == "uk"
    # The item's title is left out of the Ukrainian reason: it is English.
    status, html, runs = page(demo_client, "/watch/welcome/transcript?lang=fr&hl=uk")
    assert status == 404 and lang_of(runs, "Цей запис не має субтитрів мовою «fr».") == "uk"
    assert "Welcome to Accessible Player" not in html.split("<main", 1)[1]


def test_more_error_pages_in_ukrainian(demo_client):
    status, html, runs = page(demo_client, "/watch/welcome?hl=uk", method="delete")
    assert status == 405 and '<html lang="uk">' in html
    assert lang_of(runs, "Метод не дозволено") == "uk"
    status, html, runs = page(demo_client, "/files/welcome/nothing.mp4?hl=uk")
    assert status == 404
    assert lang_of(runs, "Медіазапис «welcome» не має файлу з назвою «nothing.mp4».") == "uk"


def test_an_error_without_a_translation_stays_english_and_says_so(tmp_path, demo_media):
    from flask import abort

    app = create_app({"TESTING": True, "MEDIA_DIR": str(demo_media),
                      "DATABASE": str(tmp_path / "demo.sqlite"), "SECRET_KEY": "x"})
    app.add_url_rule("/busy", "busy", lambda: abort(409, "The item is being scanned."))
    status, html, runs = page(app.test_client(), "/busy?hl=uk")
    assert status == 409 and '<html lang="uk">' in html
    assert lang_of(runs, "Conflict") == "en"
    assert lang_of(runs, "The item is being scanned.") == "en"
    assert lang_of(runs, "Перейти до бібліотеки") == "uk"


@pytest.mark.parametrize("url", ["/", "/search?q=keyboard", "/watch/welcome/transcript",
                                 "/watch/nothing-here", "/?hl=xx", "/search?q=keyboard&hl=xx"])
def test_other_pages_english_by_default(demo_client, url):
    status, html, runs = page(demo_client, url)
    assert status in (200, 404) and '<html lang="en">' in html
    assert lang_of(runs, "Library") == "en"
    assert not any("hl=" in href for href in links(html))
    # English titles on an English page need no lang of their own.
    assert "<h1 lang=" not in html and "<h2 lang=" not in html


def test_publisher_pages_stay_english(demo_client):
    status, html, runs = page(demo_client, "/publish/login?hl=uk")
    assert status == 200 and '<html lang="en">' in html
    assert lang_of(runs, "Library") == "en"
    assert not any("hl=" in href for href in links(html))


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


UKRAINIAN_FORMS = {
    # n: minutes, seconds, items, matches, "in … items"
    1: ("1 хвилина", "1 секунда", "1 запис", "1 збіг", "у 1 записі"),
    2: ("2 хвилини", "2 секунди", "2 записи", "2 збіги", "у 2 записах"),
    5: ("5 хвилин", "5 секунд", "5 записів", "5 збігів", "у 5 записах"),
    11: ("11 хвилин", "11 секунд", "11 записів", "11 збігів", "у 11 записах"),
    21: ("21 хвилина", "21 секунда", "21 запис", "21 збіг", "у 21 записі"),
    22: ("22 хвилини", "22 секунди", "22 записи", "22 збіги", "у 22 записах"),
    25: ("25 хвилин", "25 секунд", "25 записів", "25 збігів", "у 25 записах"),
    112: ("112 хвилин", "112 секунд", "112 записів", "112 збігів", "у 112 записах"),
}


@pytest.mark.parametrize("n", UKRAINIAN_FORMS)
def test_ukrainian_plural_forms(n):
    keys = ("{n} minutes", "{n} seconds", "{n} items", "{n} matches", "in {n} items")
    assert tuple(translate("uk", key, n=n) for key in keys) == UKRAINIAN_FORMS[n]
    minutes, seconds = UKRAINIAN_FORMS[n][:2]
    if n < 60:
        assert words(n * 60 + n, "uk") == f"{minutes} {seconds}"


def test_english_counts_keep_their_plurals():
    assert [translate("en", "{n} matches", n=n) for n in (1, 2, 21)] == [
        "1 match", "2 matches", "21 matches"]
    assert translate("en", "in {n} items", n=1) == "in 1 item"


def test_large_numbers_are_grouped_as_each_language_writes_them():
    key = ("More than {n} matches for “{query}”, too many to count; the first {items} found "
           "are shown. Add words to narrow the search.")
    assert translate("en", key, n=20000, query="a", items="50 items").startswith(
        "More than 20,000 matches")
    assert translate("uk", key, n=20000, query="a", items="50 записів").startswith(
        "Понад 20\u00a0000 збігів")


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
