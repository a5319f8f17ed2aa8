"""In Chromium: the forms a signed-in publisher really submits pass the CSRF
and origin check (the browser sends Origin and Sec-Fetch-Site), what they do
shows on the Activity page, and that page passes axe."""

from __future__ import annotations

import pytest

from tests.browser_support import assert_axe_clean
from tests.publish_support import create_publisher
from tests.test_browser_publish import sign_in


@pytest.fixture
def token(app):
    return create_publisher(app)


def test_a_real_delete_passes_and_is_listed(page, live_server, token, media_dir):
    requests = []
    page.on("request", lambda r: requests.append(r) if r.method == "POST" else None)
    sign_in(page, live_server, token)
    page.goto(f"{live_server.url}/publish/media/clip/tracks/en.captions/delete")
    page.click("button:has-text('Yes, delete this track')")
    page.wait_for_url(f"{live_server.url}/publish/media/clip#tracks")
    assert not (media_dir / "clip.en.vtt").exists()
    sent = requests[-1].all_headers()
    assert sent["origin"] == live_server.url and sent["sec-fetch-site"] == "same-origin"

    page.click("a:has-text('Activity')")
    page.wait_for_url(f"{live_server.url}/publish/audit")
    rows = page.locator("tbody tr")
    cells = [rows.first.locator("th, td").nth(n).text_content() for n in range(5)]
    assert cells[1:4] == ["pat", "deleted a track of", "clip: all its activity"]
    assert "en.captions" in cells[4] and "A short clip" in cells[4]
    assert "signed in" in rows.nth(1).inner_text()
    assert_axe_clean(page)
    page.fill("#item", "clip")
    page.click("button:has-text('Apply filters')")
    assert page.locator("tbody tr").count() == 1
    assert_axe_clean(page)
