"""Renditions as background jobs: queued on upload, on publisher changes and
by ``player scan``; run by the worker with progress; a failure is a job a
publisher reads (ffmpeg's reason), the item playing on from its file."""

from __future__ import annotations

import io

from player import db, jobs
from player.renditions import JOB_KIND
from tests.publish_support import GOOD_VTT, bearer, create_publisher
from tests.test_renditions import hls_app, hls_dir, make_talk, renditions_app  # noqa: F401


def renditions_jobs(app, media_id: str) -> list:
    with app.app_context():
        return [job for job in jobs.for_media(media_id) if job.kind == JOB_KIND]


def test_an_upload_is_queued_and_the_worker_makes_its_renditions(hls_app, media_cache):
    client = hls_app.test_client()
    api = bearer(create_publisher(hls_app))
    with make_talk(media_cache).open("rb") as talk:
        response = client.post("/api/media", headers=api, data={
            "title": "Uploaded talk", "file": (talk, "uploaded.mp4")})
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert [s["type"] for s in item["sources"]] == ["video/mp4"]  # plays at once
    [queued] = renditions_jobs(hls_app, item["id"])
    assert queued.state == "queued"

    while jobs.run_one(hls_app):
        pass
    [done] = renditions_jobs(hls_app, item["id"])
    assert done.state == "done" and done.progress == 1
    assert done.result["heights"] == [240, 360]
    job = client.get(f"/api/jobs/{done.id}", headers=api).get_json()
    assert job["state"] == "done" and job["kind"] == JOB_KIND
    item = client.get(f"/api/media/{item['id']}").get_json()
    assert item["sources"][0]["type"] == "application/vnd.apple.mpegurl"

    # A new track: the captions in the stream are remade, not the media.
    response = client.post(f"/api/media/{item['id']}/tracks", headers=api, data={
        "kind": "captions", "srclang": "de", "file": (io.BytesIO(GOOD_VTT), "de.vtt")})
    assert response.status_code == 201
    assert [j.state for j in renditions_jobs(hls_app, item["id"])] == ["done", "queued"]
    assert jobs.run_one(hls_app)
    master = client.get(client.get(f"/api/media/{item['id']}").get_json()["sources"][0]["url"])
    assert 'LANGUAGE="de"' in master.text
    master.close()


def test_player_scan_queues_what_has_no_renditions(hls_app):
    result = hls_app.test_cli_runner().invoke(args=["scan"])
    assert result.exit_code == 0, result.output
    assert "3 item(s) queued for streaming renditions" in result.output
    assert {i: len(renditions_jobs(hls_app, i)) for i in ("talk", "song", "tiny")} == {
        "talk": 1, "song": 1, "tiny": 1}
    # Queued once: a second scan finds the same jobs waiting.
    hls_app.test_cli_runner().invoke(args=["scan"])
    assert len(renditions_jobs(hls_app, "talk")) == 1


def test_a_failed_transcode_is_a_job_with_ffmpegs_reason(hls_dir, tmp_path):
    app = renditions_app(hls_dir, tmp_path / "db.sqlite", RENDITIONS_PRESET="no-such-preset")
    api = bearer(create_publisher(app))
    with app.app_context():
        job = jobs.enqueue(JOB_KIND, media_id="talk")
    assert jobs.run_one(app)
    client = app.test_client()
    public = client.get(f"/api/jobs/{job.id}", headers=api).get_json()
    assert public["state"] == "failed" and public["attempts"] == 1  # not retried
    assert public["message"].startswith("The streaming versions could not be made; the item"
                                        " still plays from its original file.")
    assert "no-such-preset" in public["message"]
    item = client.get("/api/media/talk").get_json()
    assert [s["type"] for s in item["sources"]] == ["video/mp4"]
    # The same file is not queued again by every scan.
    app.test_cli_runner().invoke(args=["scan"])
    with app.app_context():
        assert db.catalog_item(db.get_db(), "talk")["renditions"]["error"]
    assert [j.state for j in renditions_jobs(app, "talk")] == ["failed"]
