"""Transcript search: the index, queries, the results page and the API."""

from __future__ import annotations

import io
import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from player import db
from player.library.scan import scan
from player.search import index as search
from tests.browser_support import LiveServer, assert_axe_clean
from tests.html_support import parse_html
from tests.mediagen import make_media
from tests.publish_support import bearer, create_publisher

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CLIP_EN = """WEBVTT

00:00:00.000 --> 00:00:00.400
Press Space or K to play.

00:00:00.400 --> 00:00:00.800
Subtitles in Ukrainian.

00:00:00.800 --> 00:00:01.200
The space bar or the K key.

00:00:01.200 --> 00:00:01.600
Café au lait, naïve résumé.

00:00:01.600 --> 00:00:02.000
&lt;script&gt;alert("x")&lt;/script&gt; &amp; more

00:00:02.000 --> 00:00:02.400
<v Narrator>Use the keyboard.
"""
CLIP_UK = """WEBVTT

00:00:00.000 --> 00:00:00.500
Вітаю! Ласкаво просимо.

00:00:00.500 --> 00:00:01.000
Мої слова з’являються в субтитрах.

00:00:01.000 --> 00:00:01.500
Старий за́мок на горі.

00:00:01.500 --> 00:00:02.000
Їжак біжить.
"""
CLIP_DESCRIPTIONS = "WEBVTT\n\n00:00:02.500 --> 00:00:02.900\nA keyboard appears.\n"
CLIP_CHAPTERS = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nKeyboard shortcuts\n"
SONG_CUES = 12
SONG_EN = "WEBVTT\n\n" + "".join(
    f"00:00:00.{n:02d}0 --> 00:00:00.{n + 1:02d}0\nKeyboard line {n}.\n\n"
    for n in range(SONG_CUES)
)


@pytest.fixture
def library_folder(tmp_path, media_cache) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text(json.dumps({"title": "Clip", "language": "en"}))
    for name, text in [("clip.en.vtt", CLIP_EN), ("clip.uk.subtitles.vtt", CLIP_UK),
                       ("clip.en.descriptions.vtt", CLIP_DESCRIPTIONS),
                       ("clip.en.chapters.vtt", CLIP_CHAPTERS), ("song.en.vtt", SONG_EN)]:
        (folder / name).write_text(text, encoding="utf-8")
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    return folder


@pytest.fixture
def app(make_app, library_folder, database_url):
    return make_app(library_folder, DATABASE=database_url, SECRET_KEY="test")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conn(app):
    connection = db.connect(app.config["DATABASE"])
    yield connection
    connection.close()


def hit_texts(client, q: str) -> list[str]:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200, response.text
    return [hit["text"] for item in response.get_json()["results"] for hit in item["hits"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("space k", ["Press Space or K to play.", "The space bar or the K key."]),
    ('"space or k"', ["Press Space or K to play."]),
    ('"Space or K" play', ["Press Space or K to play."]),
    ('"k to"', ["Press Space or K to play."]),
    ("subtit*", ["Subtitles in Ukrainian."]),
    ("subtit", []),
    ('"space ba"*', ["The space bar or the K key."]),
    # One letter is too short a prefix (it would match most words): a whole word.
    ("k*", ["Press Space or K to play.", "The space bar or the K key."]),
    ("narrator", []),
])
def test_words_phrases_and_prefixes(client, query, expected):
    assert hit_texts(client, query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("вітаю", "Вітаю! Ласкаво просимо."),
    ("ВІТАЮ", "Вітаю! Ласкаво просимо."),
    ('"ласкаво просимо"', "Вітаю! Ласкаво просимо."),
    ("субтит*", "Мої слова з’являються в субтитрах."),
    ("з'являються", "Мої слова з’являються в субтитрах."),
    ("з’являються", "Мої слова з’являються в субтитрах."),
    ("замок", "Старий за́мок на горі."),
    ("за́мок", "Старий за́мок на горі."),
    ("ЗАМОК горі", "Старий за́мок на горі."),
    ("їжак", "Їжак біжить."),
    (unicodedata.normalize("NFD", "ЇЖАК"), "Їжак біжить."),
    ("cafe", "Café au lait, naïve résumé."),
    ("CAFÉ naive", "Café au lait, naïve résumé."),
    (unicodedata.normalize("NFD", "résumé"), "Café au lait, naïve résumé."),
])
def test_ukrainian_and_diacritics(client, query, expected):
    assert hit_texts(client, query) == [expected]


def test_ukrainian_letters_are_not_folded_into_others(client):
    # ї and і are different letters in Ukrainian, not one letter with and without a mark.
    assert hit_texts(client, "іжак") == []


# Queries full of FTS5 syntax; the ones that mention "space" are still
# searches for the word.
NASTY = [
    '"', '""', '"""', "*", "**", "(", ")", "()", "NEAR", "NEAR(space k)", "space NEAR/2 k",
    "-space", "space -k", "space:", "text:space", "{text}: space", "^space", "space^",
    "AND", "OR", "NOT", "space AND NOT k", "space OR", "+", "'", "\\", "%", "_", "\x00",
    "space\x02k\x03", "🙂", "'; DROP TABLE search_cues; --", '"space or', 'space*"', "*space",
    "a*", "s*", "space * k", "[space]", "space,k", "k.", "😀space", "space)", "(space",
]
STILL_FIND_SPACE = [
    "-space", "space -k", "space:", "^space", "space^", "space OR", "space\x02k\x03",
    '"space or', 'space*"', "*space", "space * k", "[space]", "space,k", "😀space", "space)",
    "(space",
]


@pytest.mark.parametrize(("typed", "fts"), [
    ("screen reader", '"screen" "reader"'),
    ('"screen reader"', '"screen reader"'),
    ("subtit*", '"subtit"*'),
    ('"space ba"*', '"space ba"*'),
    ("k*", '"k"'),
    ("NEAR(a b)", '"NEAR" "a" "b"'),
    ("text:word", '"text" "word"'),
    ("-x ^y", '"-x" "y"'),
    ('"unclosed phrase', '"unclosed phrase"'),
    ("e-mail з'являються", '"e-mail" "з\'являються"'),
    ("word WORD word", '"word" "WORD"'),
    ('*** ( ) "" ^', ""),
])
def test_queries_become_quoted_fts_strings(typed, fts):
    assert search.parse_query(typed).fts == fts


def test_queries_have_at_most_a_dozen_terms():
    query = search.parse_query(" ".join(f"w{n}" for n in range(30)))
    assert len(query.terms) == search.MAX_TERMS


@pytest.mark.parametrize("query", NASTY)
def test_fts_syntax_never_breaks_a_search(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.text
    results = response.get_json()["results"]
    assert all(set(r) >= {"media_id", "title", "hits"} for r in results)
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    if query in STILL_FIND_SPACE:
        assert "Press Space or K to play." in hit_texts(client, query)
    # The index is intact afterwards.
    assert hit_texts(client, "space") == ["Press Space or K to play.",
                                          "The space bar or the K key."]


def test_matches_are_marked_in_escaped_text(client):
    (item,) = client.get("/api/search?q=script").get_json()["results"]
    (hit,) = item["hits"]
    assert hit["text"] == '<script>alert("x")</script> & more'
    assert hit["html"] == ("&lt;<mark>script</mark>&gt;alert(&#34;x&#34;)&lt;/<mark>script</mark>"
                           "&gt; &amp; more")
    page = client.get("/search?q=script").text
    assert "<script" not in page
    assert hit["html"] in page


def test_results_are_grouped_per_item_most_matches_first(client):
    body = client.get("/api/search?q=keyboard").get_json()
    assert [(r["media_id"], r["title"], r["total"], len(r["hits"])) for r in body["results"]] == [
        ("song", "song", SONG_CUES, search.HITS_PER_ITEM),
        ("clip", "Clip", 3, 3),
    ]
    assert body["total"] == SONG_CUES + 3
    assert body["total_items"] == 2
    song, clip = body["results"]
    assert [h["text"] for h in song["hits"]] == [
        f"Keyboard line {n}." for n in range(search.HITS_PER_ITEM)]
    assert [(h["kind"], h["text"]) for h in clip["hits"]] == [
        ("chapters", "Keyboard shortcuts"),
        ("captions", "Use the keyboard."),
        ("descriptions", "A keyboard appears."),
    ]
    assert clip["watch_url"] == "http://localhost/watch/clip"
    assert [h["url"] for h in clip["hits"]] == [
        "http://localhost/watch/clip?t=0", "http://localhost/watch/clip?t=2",
        "http://localhost/watch/clip?t=2.5"]
    assert all(h["start"] < h["end"] for r in body["results"] for h in r["hits"])


def test_results_page_links_each_hit_to_its_moment(client):
    response = client.get("/search?q=keyboard")
    assert response.status_code == 200
    doc = parse_html(response.text)
    status = doc.find(id="search-status")
    assert status.attrs["role"] == "status"
    assert status.text == "15 matches in 2 items for “keyboard”."
    assert doc.find("title").text.startswith("15 matches in 2 items")
    assert doc.find("input", id="search-q").attrs["value"] == "keyboard"
    api = client.get("/api/search?q=keyboard").get_json()["results"]
    items = doc.find("ol", class_="search-results").find_all("li", class_="search-item")
    assert [li.find("h2").text for li in items] == [r["title"] for r in api]
    for li, result in zip(items, api, strict=True):
        links = li.find("ul", class_="search-hits").find_all("a")
        assert [a.attrs["href"] for a in links] == [
            f"/watch/{result['media_id']}?t={h['url'].split('t=')[1]}" for h in result["hits"]]
        assert all(m.text.casefold() == "keyboard" for a in links for m in a.find_all("mark"))
        assert all(len(a.find_all("mark")) == 1 for a in links)
    song = items[0].find("p", class_="search-item-count")
    assert song.text.startswith("12 matches, the first 10 shown.")
    assert song.find("a").attrs["href"] == "/watch/song/transcript"


def test_no_match_and_no_words(client):
    doc = parse_html(client.get("/search?q=zebra").text)
    assert doc.find(id="search-status").text.startswith("No matches for “zebra”.")
    assert not doc.find_all("ol")
    doc = parse_html(client.get("/search?q=***").text)
    assert doc.find(id="search-status").text == (
        "Nothing to search for: type a word with letters or digits.")
    assert client.get("/api/search?q=***").get_json()["results"] == []


@pytest.mark.parametrize("url", ["/search", "/search?q=", "/search?q=%20%20"])
def test_empty_query_shows_just_the_form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    doc = parse_html(response.text)
    assert doc.find(id="search-status").text == ""
    assert doc.find("form", role="search").find("input").attrs["name"] == "q"
    assert not doc.find_all("ol")
    assert client.get("/api" + url).get_json()["results"] == []


def test_too_long_query_is_refused_with_a_reason(client):
    query = "word " * 50
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 400
    doc = parse_html(page.text)
    assert doc.find(id="search-status").text == (
        f"The search is {len(query.strip())} characters long; use at most 200.")
    assert doc.find("input", id="search-q").attrs["aria-invalid"] == "true"
    api = client.get("/api/search", query_string={"q": query})
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"


def test_search_api_allows_other_origins(client):
    response = client.get("/api/search?q=space", headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unchanged_tracks_are_not_indexed_again(app, library, conn):
    items = scan(library, conn).items
    assert search.sync(conn, library, items) == 0
    assert len(db.search_tracks(conn)) == 5


def rescan(app, library):
    conn = db.connect(app.config["DATABASE"])
    try:
        scan(library, conn)
    finally:
        conn.close()


def write_later(library, name: str, text: str) -> None:
    """Change a file so a rescan sees it changed, even within the folder's
    timestamp resolution."""
    library.write(name, text.encode())
    if hasattr(library, "root"):
        path = library.root / name
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_changed_track_is_indexed_again(app, client, library):
    write_later(library, "clip.en.vtt",
                CLIP_EN.replace("Subtitles in Ukrainian.", "Captions in Welsh."))
    rescan(app, library)
    assert hit_texts(client, "subtitles") == []
    assert hit_texts(client, "welsh") == ["Captions in Welsh."]


def test_tracks_that_go_away_leave_the_index(app, client, library, conn):
    library.delete("clip.uk.subtitles.vtt")
    write_later(library, "clip.en.descriptions.vtt",
                "WEBVTT\n\n00:00:02.500 -> 00:00:02.900\nA keyboard appears.\n")
    library.delete("song.mp3")
    rescan(app, library)
    assert hit_texts(client, "вітаю") == []
    assert hit_texts(client, "keyboard") == ["Keyboard shortcuts", "Use the keyboard."]
    assert sorted(Path(p).name for p in db.search_tracks(conn)) == [
        "clip.en.chapters.vtt", "clip.en.vtt"]


def test_uploaded_track_is_searchable(app, client):
    token = create_publisher(app)
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nПісня про клавіатуру.\n".encode()
    response = client.post(
        "/api/media/song/tracks", headers=bearer(token),
        data={"file": (io.BytesIO(vtt), "song.uk.vtt"), "kind": "subtitles",
              "srclang": "uk"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.text
    assert hit_texts(client, "клавіатуру") == ["Пісня про клавіатуру."]


@pytest.mark.browser
def test_results_page_is_accessible(app, page):
    with LiveServer(app) as server:
        page.goto(f"{server.url}/search?q=keyboard")
        status = page.get_by_role("status")
        assert status.inner_text() == "15 matches in 2 items for “keyboard”."
        assert status.get_attribute("id") == "search-status"
        assert_axe_clean(page)
        page.goto(f"{server.url}/search?q=zebra")
        assert_axe_clean(page)
        page.goto(f"{server.url}/search")
        page.get_by_label("Words to find").fill('"space or k"')
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.get_by_role("status").inner_text() == "1 match in 1 item for “\"space or k\"”."
        page.get_by_role("link", name="Press Space or K to play.").press("Enter")
        page.wait_for_url("**/watch/clip?t=0")
    assert page.js_errors == []


def test_very_common_words_are_counted_only_so_far(client, conn, monkeypatch):
    # Index order: the clip's chapters, descriptions and captions (one match
    # each), then the song (twelve); counting stops at the sixth match, and
    # the song's ten hits shown are a better lower bound than three.
    results = search.search(conn, "keyboard", max_counted=5)
    assert not results.complete
    assert [(i.media_id, i.total, i.exact, len(i.hits)) for i in results.items] == [
        ("clip", 3, True, 3), ("song", search.HITS_PER_ITEM, False, search.HITS_PER_ITEM)]

    monkeypatch.setattr("player.search.views.search",
                        lambda conn, q: search.search(conn, q, max_counted=5))
    monkeypatch.setattr("player.search.views.MAX_COUNTED", 5)
    doc = parse_html(client.get("/search?q=keyboard").text)
    assert doc.find(id="search-status").text == (
        "More than 5 matches for “keyboard”, too many to count; the first 2 items found are"
        " shown. Add words to narrow the search.")
    counts = [p.text for p in doc.find_all("p", class_="search-item-count")]
    assert counts[0] == "3 matches"
    assert counts[1].startswith("At least 10 matches, the first 10 shown.")
    body = client.get("/api/search?q=keyboard").get_json()
    assert (body["complete"], [r["exact"] for r in body["results"]]) == (False, [True, False])


def test_every_page_links_to_search_and_marks_the_current_page(client):
    library = client.get("/").text
    assert '<a href="/search">Search transcripts</a>' in library
    search = client.get("/search").text
    assert '<a href="/search" aria-current="page">Search transcripts</a>' in search
    assert '<a href="/">Library</a>' in search
