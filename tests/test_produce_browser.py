"""The item page's "Make captions" forms in Chromium, keyboard only: an
empty script's error, then a script queued and its job shown; axe-clean."""

from __future__ import annotations

import pytest

from tests.browser_support import assert_axe_clean
from tests.publish_support import create_publisher

pytestmark = pytest.mark.browser


def test_time_a_script_from_the_keyboard(page, live_server, app):
    token = create_publisher(app)
    page.goto(f"{live_server.url}/publish/login")
    page.fill("#name", "pat")
    page.fill("#secret", token)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/publish/")
    page.goto(f"{live_server.url}/publish/media/clip")
    assert page.locator("#produce-heading").inner_text() == "Make captions"
    assert_axe_clean(page)

    # Enter in the language field submits the form, with no script yet.
    page.locator("#align-srclang").focus()
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert summary.evaluate("node => node === document.activeElement")
    assert page.title().startswith("Error: ")
    assert "Paste the script" in page.locator("#align-text-error").inner_text()
    assert page.locator("#align-text").get_attribute("aria-invalid") == "true"
    assert_axe_clean(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    textarea = page.locator("#align-text")
    assert textarea.evaluate("node => node === document.activeElement")

    page.keyboard.type("ANNA: This clip has captions.")
    page.keyboard.press("Tab")  # the file input
    page.keyboard.press("Tab")  # the language
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/publish/media/clip#produce-heading")
    assert "Timing the script" in page.content()
    assert page.locator("label:has-text('Timing a script')").count() == 1
    assert_axe_clean(page)
    assert page.js_errors == []
