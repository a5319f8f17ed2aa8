"""An item's background jobs on the publisher page in Chromium: axe-clean
with no worker running, and kept current while a worker runs them, the
status line announcing each step once."""

from __future__ import annotations

import pytest

from player import create_app, jobs
from tests.browser_support import assert_axe_clean
from tests.jobs_support import HANDLERS
from tests.publish_support import create_publisher

pytestmark = pytest.mark.browser

# Records every text the job's status line (a polite live region) takes.
OBSERVE = """() => {
  window.__said = [];
  const node = document.querySelector("[data-job-status]");
  new MutationObserver(() => window.__said.push(node.textContent))
    .observe(node, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture
def app(media_dir, database_url):
    return create_app({
        "TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": database_url,
        "SECRET_KEY": "test-secret", "JOBS_HANDLERS": HANDLERS,
    })


def sign_in(page, live_server, token: str) -> None:
    page.goto(f"{live_server.url}/publish/login")
    page.fill("#name", "pat")
    page.fill("#secret", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/publish/")


def test_waiting_jobs_with_no_worker_are_axe_clean_then_follow_the_worker(
        app, page, live_server):
    with app.app_context():
        refused = jobs.enqueue("test-refuse", "clip")
        jobs.run_one(app)
        job = jobs.enqueue("test-steps", "clip", {"steps": 2})
    sign_in(page, live_server, create_publisher(app))
    notice = ("No background worker is running: jobs wait until one starts"
              " (player worker).")
    assert notice in page.locator(".pub-jobs-summary").inner_text()
    assert_axe_clean(page)

    page.goto(f"{live_server.url}/publish/media/clip")
    assert page.locator("[data-jobs-no-worker]").inner_text() == notice
    bar = page.get_by_role("progressbar", name="Test steps")
    assert bar.get_attribute("value") == "0"
    assert page.get_by_role("progressbar", name="Test refuse").is_visible()
    statuses = page.get_by_role("status").all_inner_texts()
    assert "Failed: The file is not a video: upload an MP4 or WebM." in statuses
    assert "Waiting: It runs when a background worker takes it." in statuses
    assert_axe_clean(page)

    # A worker runs it while the page is open: the bar fills, the notice
    # goes, and the status line says "Done" once.
    page.evaluate(OBSERVE.replace("[data-job-status]", f"#job-{job.id}-status"))
    assert jobs.run_one(app)
    page.wait_for_function(
        f"() => document.querySelector('#job-{job.id}').value === 100", timeout=10000)
    status = page.locator(f"#job-{job.id}-status")
    assert status.inner_text() == "Done: All 2 steps done."
    assert page.locator("[data-jobs-no-worker]").count() == 0
    assert page.evaluate("() => window.__said") == ["Done: All 2 steps done."]
    assert page.locator(f"#job-{refused.id}-status").inner_text().startswith("Failed:")
    assert_axe_clean(page)
    assert page.js_errors == []
