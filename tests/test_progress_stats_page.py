"""The publisher's statistics page in Chromium: charts with text
alternatives, and axe-core with and without data."""

from __future__ import annotations

import shutil

import pytest

from player import create_app
from tests.browser_support import assert_axe_clean
from tests.publish_support import create_publisher
from tests.test_progress_api import make_lecture, put, run_script

pytestmark = pytest.mark.browser


@pytest.fixture
def app(media_dir, media_cache, tmp_path):
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")
    return create_app({
        "TESTING": True, "MEDIA_DIR": str(media_dir),
        "DATABASE": str(tmp_path / "player.sqlite"), "SECRET_KEY": "test-secret",
    })


def sign_in(page, server, token: str) -> None:
    page.goto(f"{server.url}/publish/login")
    page.fill("#name", "pat")
    page.fill("#secret", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{server.url}/publish/")


def test_statistics_page_with_data(page, live_server, app):
    client = app.test_client()
    run_script(client)
    put(client, duration=236.0)
    sign_in(page, live_server, create_publisher(app))
    page.goto(f"{live_server.url}/publish/stats/lecture")
    chart = page.get_by_role("img", name="Retention curve for “lecture”")
    assert chart.is_visible()
    assert "75.0 % at the start" in page.locator("#retention-desc").text_content()
    page.get_by_text("Retention as a table").click()
    table = page.get_by_role("table", name="Plays still watching at each percent of “lecture”")
    assert table.locator("tbody tr").count() == 101
    assert table.locator("tbody tr").nth(25).locator("th, td").all_inner_texts() == [
        "25 %", "0:50", "4", "100.0 %"]
    usage = page.get_by_role("table", name="Share of viewing time, by track")
    assert usage.locator("tbody tr").all_inner_texts() == [
        "Captions: en\t29.2 %", "Captions: uk\t20.8 %", "Descriptions\t29.2 %"]
    reports = page.get_by_role("table", name="Players that reported a different duration")
    assert "236.0 s" in reports.text_content()
    assert_axe_clean(page)


def test_statistics_page_without_plays(page, live_server, app):
    sign_in(page, live_server, create_publisher(app))
    page.goto(f"{live_server.url}/publish/stats/lecture")
    assert page.get_by_text("Nobody has played this item yet").is_visible()
    assert_axe_clean(page)
