"""Align and transcribe as background jobs: the API's 202, the job's result,
the draft track beside the author's, and the publisher page's forms."""

from __future__ import annotations

import io
import json

import pytest

from player import jobs
from tests.publish_support import bearer, create_publisher, csrf_from, log_in
from tests.speechgen import NEWS, speak

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture(scope="module")
def news_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("speech") / "news.wav"
    return path, speak(NEWS[:2], path)


@pytest.fixture
def news_app(app, library, news_wav):
    """The test library plus a spoken news item with the author's captions
    (in the folder, or in the bucket on the postgresql run)."""
    path, _ = news_wav
    library.write("news.wav", path.read_bytes())
    library.write("news.json", json.dumps({"title": "News", "language": "en"}).encode())
    library.write("news.en.vtt",
                  b"WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nThe author's own captions.\n")
    with app.app_context():
        from player import db
        from player.library import scan
        scan.scan(library, db.get_db())
    return app


def _run_job(app, client, token, job_id: int) -> dict:
    assert jobs.run_one(app)
    response = client.get(f"/api/jobs/{job_id}", headers=bearer(token))
    assert response.status_code == 200
    return response.json


def test_align_api_answers_202_and_the_job_adds_an_aligned_draft(news_app, client,
                                                                  news_wav, library):
    token = create_publisher(news_app)
    _, timeline = news_wav
    script = "ANNA: " + "\n\n".join(s.text for s in timeline)
    author = library.read_bytes("news.en.vtt")
    response = client.post("/api/media/news/align", headers=bearer(token), data={
        "text": (io.BytesIO(script.encode()), "script.txt"), "srclang": "en"})
    assert response.status_code == 202, response.text
    job = response.json["job"]
    assert (job["kind"], job["media_id"], job["state"]) == ("align", "news", "queued")
    assert response.headers["Location"].endswith(f"/api/jobs/{job['id']}")

    done = _run_job(news_app, client, token, job["id"])
    assert done["state"] == "done", done
    result = done["result"]
    assert result["track"] == "en.captions.aligned" and result["cues"] >= 2
    assert result["skipped_paragraphs"] == [] and result["rough_timing"] is False
    assert result["warnings"] == 0
    tracks = {t["label"]: t for t in client.get("/api/media/news").json["tracks"]}
    assert tracks["English (aligned)"]["source"] == "aligned"
    assert tracks["English (aligned)"]["approved"] is False
    assert tracks["English captions"]["source"] == "author"
    assert library.read_bytes("news.en.vtt") == author
    draft = library.read_bytes("news.en.captions.aligned.vtt").decode()
    assert "<v ANNA>Good evening" in draft


def test_align_api_refuses_a_request_it_cannot_do(news_app, client):
    token = create_publisher(news_app)
    response = client.post("/api/media/news/align", headers=bearer(token),
                           data={"text": "  ", "srclang": "en"})
    assert response.status_code == 422
    assert "Paste the script" in response.json["error"]["message"]
    response = client.post("/api/media/news/align", headers=bearer(token),
                           data={"text": "Hello.", "kind": "chapters"})
    assert response.status_code == 422 and response.json["error"]["details"]["field"] == "kind"
    assert client.post("/api/media/news/align", data={"text": "Hi."}).status_code == 401


def test_transcribe_refuses_another_language_and_drafts_marked_words(news_app, client):
    token = create_publisher(news_app)
    response = client.post("/api/media/news/transcribe", headers=bearer(token),
                           data={"srclang": "uk"})
    assert response.status_code == 422
    assert "drafts are made in that language only" in response.json["error"]["message"]

    response = client.post("/api/media/news/transcribe", headers=bearer(token), data={})
    assert response.status_code == 202, response.text
    done = _run_job(news_app, client, token, response.json["job"]["id"])
    assert done["state"] == "done", done
    result = done["result"]
    assert result["track"] == "en.captions.automatic" and result["engine"] == "pocketsphinx"
    assert isinstance(result["review_words"], int) and result["words"] > 0
    labels = [t["label"] for t in client.get("/api/media/news").json["tracks"]]
    assert labels == ["English captions", "English (automatic)"]


def test_the_item_page_starts_alignment_and_shows_field_errors(news_app, client, news_wav):
    token = create_publisher(news_app)
    log_in(client, "pat", token)
    page = client.get("/publish/media/news")
    assert page.status_code == 200
    assert 'id="produce-heading"' in page.text and 'for="align-text"' in page.text
    csrf = csrf_from(page.text)
    response = client.post("/publish/media/news/align",
                           data={"csrf_token": csrf, "text": "", "srclang": "en"})
    assert response.status_code == 422
    assert 'id="align-text-error"' in response.text and 'aria-invalid="true"' in response.text
    _, timeline = news_wav
    response = client.post("/publish/media/news/align", data={
        "csrf_token": csrf, "text": timeline[0].text, "srclang": "en", "kind": "captions"})
    assert response.status_code == 303
    page = client.get("/publish/media/news")
    assert "Timing a script" in page.text
    # Without the CSRF token nothing is queued.
    assert client.post("/publish/media/news/transcribe", data={}).status_code == 403
