"""The publisher pages' word on background jobs: each item's jobs with a
labelled progress bar and a status line, the library's count of waiting
jobs, and the notice when no worker is running."""

from __future__ import annotations

import pytest

from player import jobs
from tests.html_support import Element, parse_html
from tests.jobs_support import HANDLERS
from tests.publish_support import create_publisher, log_in

pytestmark = pytest.mark.databases("sqlite", "postgresql")

NO_WORKER = ("No background worker is running: jobs wait until one starts"
             " (player worker).")


@pytest.fixture
def app(make_app, media_dir, database_url):
    return make_app(media_dir, **{
        "DATABASE": database_url, "JOBS_HANDLERS": HANDLERS,
    })


@pytest.fixture
def signed_in(app, client):
    log_in(client, "pat", create_publisher(app))
    return client


def page(client, path: str) -> Element:
    response = client.get(path)
    assert response.status_code == 200
    return parse_html(response.text)


def having(node: Element, attribute: str) -> list[Element]:
    """The elements under ``node`` that carry ``attribute``."""
    return [el for el in node.iter() if attribute in el.attrs]


def test_an_item_page_shows_each_job_with_a_labelled_bar_and_a_live_status(app, signed_in):
    with app.app_context():
        failed = jobs.enqueue("test-refuse", "clip")
        jobs.run_one(app)
        waiting = jobs.enqueue("test-steps", "clip")
    doc = page(signed_in, "/publish/media/clip")
    [section] = having(doc, "data-jobs")
    assert section.tag == "section" and section.find("h2").text == "Background jobs"
    boxes = having(section, "data-job-url")
    assert [box.attrs["data-job-state"] for box in boxes] == ["failed", "queued"]
    for box, job, status in [
            (boxes[0], failed, "Failed: The file is not a video: upload an MP4 or WebM."),
            (boxes[1], waiting, "Waiting: It runs when a background worker takes it.")]:
        bar = box.find("progress")
        label = doc.find("label", **{"for": bar.attrs["id"]})
        assert label.text == job.kind.replace("test-", "Test ").replace("-", " ").capitalize()
        line = box.find(id=bar.attrs["aria-describedby"])
        assert line.attrs["role"] == "status" and line.text == status
        assert box.attrs["data-job-url"] == f"/api/jobs/{job.id}"
    assert [n.text for n in having(section, "data-jobs-no-worker")] == [NO_WORKER]
    assert [s for s in doc.find_all("script") if "js/jobs" in s.attrs.get("src", "")]


def test_the_notice_goes_when_a_worker_is_running_or_nothing_waits(app, signed_in):
    with app.app_context():
        jobs.enqueue("test-steps", "clip")
    worker = jobs.Worker(app)
    worker.beat(force=True)
    try:
        doc = page(signed_in, "/publish/media/clip")
        assert having(doc, "data-job-url")
        assert having(doc, "data-jobs-no-worker") == []
        assert NO_WORKER not in page(signed_in, "/publish/").text
    finally:
        worker.close()
    jobs.run_one(app)
    doc = page(signed_in, "/publish/media/clip")
    assert doc.find_all(data_job_state="done")
    assert having(doc, "data-jobs-no-worker") == []
    # An item that never had a job shows no section.
    assert having(page(signed_in, "/publish/media/song"), "data-jobs") == []


def test_the_library_page_counts_waiting_jobs(app, signed_in):
    assert "background job" not in page(signed_in, "/publish/").text
    with app.app_context():
        jobs.enqueue("test-steps", "clip")
        jobs.enqueue("test-echo", "clip")
        jobs.enqueue("test-echo", "song")
    summary = page(signed_in, "/publish/").find(class_="pub-jobs-summary").text
    assert summary == ("3 background jobs waiting or running for 2 items: each item's page"
                       f" shows its own. {NO_WORKER}")


def test_the_app_works_with_no_worker(app, client, signed_in):
    with app.app_context():
        jobs.enqueue("poster", "clip")
    for path in ("/", "/watch/clip", "/api/media/clip", "/publish/", "/publish/media/clip"):
        assert client.get(path).status_code == 200, path
