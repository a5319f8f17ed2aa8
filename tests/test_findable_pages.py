"""Pages a new user can find and read: the way to the publisher pages and to
each item's statistics, short page titles, skip-link targets."""

from __future__ import annotations

import re

import pytest

from tests.publish_support import create_publisher, log_in


@pytest.mark.parametrize("path", ["/", "/watch/clip", "/search?q=hello", "/watch/clip/transcript",
                                  "/?hl=uk"])
def test_every_viewer_page_links_to_the_publisher_pages_from_its_footer(client, path):
    footer = re.search(r"<footer.*?</footer>", client.get(path).text, re.S).group(0)
    assert re.search(r'<a [^>]*href="/publish/"[^>]*>(Publish|Публікувати)</a>', footer), footer


def test_publisher_library_rows_link_to_editor_statistics_and_watch_page(app, client):
    log_in(client, "pat", create_publisher(app))
    html = client.get("/publish/").text
    row = re.search(r'<tr id="item-clip">.*?</tr>', html, re.S).group(0)
    for href, text in (("/publish/media/clip", "Edit"), ("/publish/stats/clip", "Statistics"),
                       ("/watch/clip", "Watch")):
        link = re.search(rf'<a href="{href}">{text}<span class="visually-hidden">([^<]*)</span>',
                         row)
        assert link, (href, row)
        # Each link's name says which item it is about, for a list of links read alone.
        assert "A short clip" in link.group(1)
    assert client.get("/publish/stats/clip").status_code == 200


def test_sign_in_hint_shows_commands_as_code_not_markdown(client):
    html = client.get("/publish/login").text
    hint = re.search(r'<p class="field-hint" id="secret-hint">(.*?)</p>', html, re.S).group(1)
    assert "`" not in hint
    assert "<code>player create-publisher</code>" in hint
    assert "<code>player set-password</code>" in hint


@pytest.mark.parametrize("query, title", [
    ("zzzzqq", "No matches for “zzzzqq”. Search – Accessible Player"),
    ("zzzzqq&hl=uk", "Немає збігів за запитом «zzzzqq». Шукати – Accessible Player"),
    ("hello", "1 match in 1 item for “hello”. Search – Accessible Player"),
])
def test_search_page_title_names_the_outcome_without_the_advice(client, query, title):
    html = client.get(f"/search?q={query}").text
    assert re.search(r"<title>(.*?)</title>", html).group(1) == title


def test_skip_to_transcript_target_takes_focus(client):
    html = client.get("/watch/clip").text
    assert 'href="#transcript"' in html
    section = re.search(r'<section [^>]*id="transcript"[^>]*>', html).group(0)
    assert 'tabindex="-1"' in section
