"""Jobs in the JSON API: ``GET /api/jobs/<id>`` for publishers, and ITEM's
``jobs``, shown to publishers only, matching the OpenAPI document."""

from __future__ import annotations

import pytest

from player import jobs
from tests.publish_support import bearer, create_publisher, log_in, revoke
from tests.test_openapi import check

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def queued(app) -> jobs.Job:
    with app.app_context():
        return jobs.enqueue("poster", "clip", {"why": "test"})


def test_a_publisher_reads_a_job_by_token(app, client, queued):
    spec = client.get("/api/openapi.json").get_json()
    headers = bearer(create_publisher(app))
    response = client.get(f"/api/jobs/{queued.id}", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": queued.id, "kind": "poster", "media_id": "clip", "state": "queued",
        "progress": 0, "message": "", "attempts": 0, "created": queued.to_public()["created"],
        "updated": queued.to_public()["updated"], "result": None}
    # One publisher's answer: no shared cache keeps it.
    assert "private" in response.headers["Cache-Control"]
    check(spec, response, "/api/jobs/{job_id}", "get")

    missing = client.get("/api/jobs/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["message"] == "There is no job with the id 999999."
    check(spec, missing, "/api/jobs/{job_id}", "get")
    assert client.get("/api/jobs/abc", headers=headers).get_json()["error"]["code"]


def test_others_are_refused(app, client, queued):
    anonymous = client.get(f"/api/jobs/{queued.id}")
    assert anonymous.status_code == 401
    assert "publisher token" in anonymous.get_json()["error"]["message"]
    assert anonymous.headers["WWW-Authenticate"].lower().startswith("bearer")
    token = create_publisher(app)
    revoke(app)
    revoked = client.get(f"/api/jobs/{queued.id}", headers=bearer(token))
    assert revoked.status_code == 403


def test_a_signed_in_publisher_reads_a_job_with_the_session(app, client, queued):
    log_in(client, "pat", create_publisher(app))
    response = client.get(f"/api/jobs/{queued.id}")
    assert response.status_code == 200 and response.get_json()["state"] == "queued"


def test_item_lists_its_jobs_for_publishers_only(app, client, queued):
    spec = client.get("/api/openapi.json").get_json()
    public = client.get("/api/media/clip")
    assert public.status_code == 200 and "jobs" not in public.get_json()
    # A cache keeps the public answer apart from a request that carries credentials.
    for answer in (public, client.get("/api/media")):
        varies = answer.headers["Vary"].replace(" ", "").split(",")
        assert {"Authorization", "Cookie"} <= set(varies)
    assert all("jobs" not in item for item in client.get("/api/media").get_json()["items"])
    # A bad token gets the public answer, as no token does.
    assert "jobs" not in client.get("/api/media/clip", headers=bearer("nope")).get_json()

    headers = bearer(create_publisher(app))
    mine = client.get("/api/media/clip", headers=headers)
    assert [job["id"] for job in mine.get_json()["jobs"]] == [queued.id]
    assert "private" in mine.headers["Cache-Control"]
    assert "no-store" in mine.headers["Cache-Control"]
    # Jobs are not a new version of the item: the entity tag is the public one's.
    assert mine.headers["ETag"] == public.headers["ETag"]
    assert {"Authorization", "Cookie"} <= set(mine.headers["Vary"].replace(" ", "").split(","))
    check(spec, mine, "/api/media/{item_id}", "get")
    listing = client.get("/api/media", headers=headers)
    check(spec, listing, "/api/media", "get")
    by_id = {item["id"]: item["jobs"] for item in listing.get_json()["items"]}
    assert by_id == {"clip": [queued.to_public()], "song": []}
