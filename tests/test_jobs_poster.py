"""The first job kind: a poster frame for a video published without a
poster, taken by ffmpeg from a frame that is not black, stored through the
storage (a folder or a bucket) and shown on the library and watch pages."""

from __future__ import annotations

import subprocess

import pytest

from player import create_app, jobs
from player.library import poster as poster_frames
from player.library.catalog import get_storage
from tests.html_support import parse_html
from tests.mediagen import ffmpeg_exe, make_media
from tests.publish_support import bearer, create_publisher
from tests.s3_support import s3_bucket, s3_env, s3_server  # noqa: F401

TITLE = "Harbour at dawn"


@pytest.fixture(autouse=True)
def no_renditions(monkeypatch):
    # Uploads and scans also queue HLS renditions; these tests count poster jobs alone.
    monkeypatch.setenv("PLAYER_RENDITIONS", "0")


@pytest.fixture
def app(media_dir, database_url):
    # Renditions are jobs too, queued by the same uploads and scans: off here,
    # so that each job run is the poster frame under test.
    return create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": database_url,
                       "SECRET_KEY": "test-secret", "RENDITIONS": False})


@pytest.fixture
def token(app) -> str:
    return create_publisher(app)


@pytest.fixture(scope="session")
def black_start(media_cache):
    """A 5 s video whose first second is black, then a test pattern."""
    path = media_cache / "black-start.mp4"
    if not path.exists():
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "color=c=black:size=160x90:rate=15:duration=1",
             "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15:duration=4",
             "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
            check=True)
    return path


def upload(client, token, path, title=TITLE, **files):
    data = {"file": (path.open("rb"), path.name), "title": title}
    data.update({name: (p.open("rb"), p.name) for name, p in files.items()})
    response = client.post("/api/media", headers=bearer(token), data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.text
    return response.get_json()


def jpeg_brightness(data: bytes) -> float:
    gray = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
         "-vf", "scale=32:18,format=gray", "-f", "rawvideo", "pipe:1"],
        input=data, capture_output=True, check=True).stdout
    return sum(gray) / len(gray)


def test_an_upload_without_a_poster_gets_a_frame_shown_with_its_title(
        app, client, token, media_cache):
    item = upload(client, token, make_media("mp4", media_cache))
    assert item["poster"] is None
    [job] = client.get(f"/api/media/{item['id']}", headers=bearer(token)).get_json()["jobs"]
    assert (job["kind"], job["state"]) == ("poster", "queued")
    # With no worker the item plays without a poster.
    watch = client.get(f"/watch/{item['id']}")
    assert watch.status_code == 200 and "poster=" not in watch.text

    assert jobs.run_one(app)
    done = client.get(f"/api/jobs/{job['id']}", headers=bearer(token)).get_json()
    assert done["state"] == "done" and done["progress"] == 1
    assert done["result"]["poster"] == "harbour-at-dawn.jpg"
    assert done["message"].startswith("Poster frame taken 0.3 s in")  # 10 % of 3 s
    stored = get_storage(app).read_bytes("harbour-at-dawn.jpg")
    assert stored[:3] == b"\xff\xd8\xff" and jpeg_brightness(stored) > 24

    poster_url = client.get(f"/api/media/{item['id']}").get_json()["poster"]
    assert poster_url.endswith("/harbour-at-dawn.jpg")
    with client.get(poster_url) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    card = next(img for img in parse_html(client.get("/").text).find_all("img")
                if img.attrs.get("src") == poster_url)
    assert card.attrs["alt"] == f"Video still: {TITLE}"
    video = parse_html(client.get(f"/watch/{item['id']}").text).find("video")
    assert video.attrs["poster"] == poster_url


def test_a_black_opening_is_skipped(app, client, token, black_start):
    item = upload(client, token, black_start, title="Fade in")
    source = str(get_storage(app).local_path(item["sources"][0]["url"].rsplit("/", 1)[1]))
    # 10 % in is still black, so the frame comes from later.
    assert poster_frames.brightness(source, 0.5, "fade-in.mp4") < 24
    assert jobs.run_one(app)
    with app.app_context():
        [job] = jobs.for_media("fade-in")
    assert job.state == "done" and job.result["at"] == pytest.approx(1.25, abs=0.01)
    assert jpeg_brightness(get_storage(app).read_bytes("fade-in.jpg")) > 24


def test_uploads_with_a_poster_and_audio_get_no_poster_job(app, client, token, media_cache):
    with_poster = upload(client, token, make_media("mp4", media_cache), title="Posted",
                         poster=make_media("png", media_cache))
    audio = upload(client, token, make_media("mp3", media_cache), title="Sound")
    for item in (with_poster, audio):
        assert client.get(f"/api/media/{item['id']}", headers=bearer(token)).get_json()[
            "jobs"] == []


def test_player_scan_queues_a_poster_frame_once_per_file(app, media_dir):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["scan"])
    assert first.exit_code == 0, first.output
    assert "1 video(s) without a poster: poster frames queued for `player worker`." in (
        first.output)
    assert "without a poster" not in runner.invoke(args=["scan"]).output
    app.config["FFMPEG"] = "/bin/false"  # runs, and makes no frame
    assert jobs.run_one(app)
    with app.app_context():
        [job] = jobs.for_media("clip")
    assert job.state == "failed"
    assert job.message == ("ffmpeg could not take a frame from clip.mp4 (no frame came out):"
                           " upload a poster image for it instead.")
    # A file ffmpeg cannot read is not tried again at every scan.
    assert "without a poster" not in runner.invoke(args=["scan"]).output


def test_a_poster_uploaded_meanwhile_is_kept(app, media_dir, media_cache):
    app.test_cli_runner().invoke(args=["scan"])
    (media_dir / "clip.png").write_bytes(make_media("png", media_cache).read_bytes())
    assert jobs.run_one(app)
    with app.app_context():
        [job] = jobs.for_media("clip")
    assert (job.state, job.message) == ("done", "It has a poster already (clip.png).")
    assert not (media_dir / "clip.jpg").exists()


def test_a_missing_ffmpeg_fails_with_what_to_do(app):
    app.config["FFMPEG"] = "/nonexistent/ffmpeg"
    app.test_cli_runner().invoke(args=["scan"])
    assert jobs.run_one(app)
    with app.app_context():
        [job] = jobs.for_media("clip")
    assert job.state == "failed" and job.attempts == 1
    assert job.message.startswith("ffmpeg cannot be run from /nonexistent/ffmpeg (")
    assert "PLAYER_FFMPEG" in job.message


def test_the_poster_frame_goes_to_the_bucket(s3_server, s3_bucket, s3_env,  # noqa: F811
                                             media_dir, tmp_path, media_cache):
    from tests.s3_support import mirror, s3_app_config, s3_storage_for

    mirror(s3_storage_for(s3_server, s3_bucket), media_dir)
    app = create_app(s3_app_config(s3_server, s3_bucket, tmp_path, RENDITIONS=False))
    client = app.test_client()
    item = upload(client, create_publisher(app), make_media("mp4", media_cache))
    storage = get_storage(app)
    assert storage.local_path("harbour-at-dawn.mp4") is None  # read through a URL
    assert jobs.run_one(app)
    assert storage.read_bytes("harbour-at-dawn.jpg")[:3] == b"\xff\xd8\xff"
    assert client.get(f"/api/media/{item['id']}").get_json()["poster"]


def test_the_app_stays_usable_with_no_worker(app, client, token, media_cache):
    item = upload(client, token, make_media("mp4", media_cache))
    for path in ("/", f"/watch/{item['id']}", f"/embed/{item['id']}",
                 f"/api/media/{item['id']}", f"/watch/{item['id']}/transcript"):
        assert client.get(path).status_code == 200, path
    with app.app_context():
        assert [job.state for job in jobs.for_media(item["id"])] == ["queued"]
