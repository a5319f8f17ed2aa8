"""The local cluster of ``scripts/cluster``: PostgreSQL, an S3 API, two
gunicorn app servers, a job worker and nginx in front, as real processes.

Upload on one server, watch on the other; progress written on one, read on
the other; ``kill -9`` of an app server under load through nginx loses no
upload answered 201 and no progress report answered 202 (with a shared
database a server answers a report once its batch is committed); the
cluster stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from player import db
from player.web import auth
from tests.conftest import CAPTIONS_EN
from tests.gunicorn_support import REPO
from tests.mediagen import make_media

START_SECONDS = 120
#: Reports a simulated viewer sends during the load: far above a player's,
#: so the flood limits are raised for this cluster.
LIMITS = {f"PLAYER_PROGRESS_{name}_{part}": "100000"
          for name in ("RATE", "ADDRESS", "NEW_SESSIONS", "ITEM_NEW_SESSIONS")
          for part in ("BURST", "PER_SECOND")}
#: Jobs as the tests need them: a slow kind to kill a worker in the middle
#: of, and a dead worker's lease running out in three seconds, not sixty.
JOBS = {"PLAYER_JOBS_HANDLERS": json.dumps({"slow": "tests.cluster_jobs:slow"}),
        "PLAYER_JOBS_LEASE_SECONDS": "3", "PLAYER_JOBS_BACKOFF_SECONDS": "1"}
CAPTIONS_FR = CAPTIONS_EN.replace("Hello and welcome.", "Bonjour et bienvenue au marché.")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, media_cache):
    media = tmp_path_factory.mktemp("cluster-media")
    (media / "clip.mp4").write_bytes(make_media("mp4", media_cache).read_bytes())
    (media / "clip.en.vtt").write_text(CAPTIONS_EN, encoding="utf-8")
    log = tmp_path_factory.mktemp("cluster") / "cluster.log"
    out = open(log, "w+")
    process = subprocess.Popen([sys.executable, "scripts/cluster", "--media", str(media)],
                               cwd=REPO, env={**os.environ, **LIMITS, **JOBS}, stdout=out,
                               stderr=subprocess.STDOUT, text=True)
    described = None
    deadline = time.monotonic() + START_SECONDS
    while described is None:
        text = log.read_text()
        for line in text.splitlines():
            if line.startswith("CLUSTER "):
                described = json.loads(line[len("CLUSTER "):])
        if described is None:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"scripts/cluster did not start:\n{text}")
            time.sleep(0.2)
    described["log"] = log
    described["process"] = process
    conn = db.connect(described["database"])
    try:
        described["token"] = auth.create_publisher(conn, "cluster-publisher")
    finally:
        conn.close()
    try:
        yield described
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        out.close()


def restarted_pid(cluster: dict, name: str, seconds: float = 60) -> int:
    """The pid of ``name`` once the cluster says it started it again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in cluster["log"].read_text().splitlines():
            if line.startswith("RESTARTED "):
                restarted = json.loads(line[len("RESTARTED "):])
                if name in restarted:
                    return restarted[name]
        time.sleep(0.2)
    pytest.fail(f"{name} was not started again:\n{cluster['log'].read_text()}")


def upload(base: str, token: str, title: str, media: bytes, captions: str | None = None,
           timeout: float = 60) -> requests.Response:
    files = {"file": ("clip.mp4", media, "video/mp4")}
    if captions:
        files["captions"] = ("clip.fr.vtt", captions.encode(), "text/vtt")
    return requests.post(f"{base}/api/media", headers={"Authorization": f"Bearer {token}"},
                         data={"title": title, "language": "fr"}, files=files, timeout=timeout)


def eventually(check, seconds: float = 1.0):
    """``check()``'s first true answer within ``seconds``; the last answer otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def test_upload_on_one_server_watch_on_the_other(cluster, media_cache):
    a, b = cluster["apps"]
    media = make_media("mp4", media_cache).read_bytes()
    created = upload(a, cluster["token"], "Marché du soir", media, CAPTIONS_FR)
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    # B has it within a second: the item, its captions, its transcript, a search hit.
    item = eventually(lambda: requests.get(f"{b}/api/media/{item_id}", timeout=10))
    assert item.status_code == 200, item.text
    # Their URLs are the site's (nginx's); asked of B itself here.
    track_path = urlsplit(item.json()["tracks"][0]["url"]).path
    vtt = requests.get(f"{b}{track_path}", timeout=10)
    assert vtt.status_code == 200 and "Bonjour et bienvenue" in vtt.text
    page = requests.get(f"{b}/watch/{item_id}/transcript", timeout=10)
    assert page.status_code == 200 and "Bonjour et bienvenue" in page.text
    hits = requests.get(f"{b}/api/search", params={"q": "marche"}, timeout=10).json()
    assert item_id in json.dumps(hits), hits
    # The media itself reaches the viewer from the bucket, not through the app.
    source_path = urlsplit(item.json()["sources"][0]["url"]).path
    source = requests.get(f"{b}{source_path}", allow_redirects=False, timeout=10)
    assert source.status_code == 307
    assert source.headers["Location"].startswith(cluster["s3"])
    ranged = requests.get(source.headers["Location"], headers={"Range": "bytes=0-99"},
                          timeout=10)
    assert (ranged.status_code, ranged.content) == (206, media[:100])


def report(viewer: str, seq: int) -> dict:
    # Each report starts a play session of its own, so the sessions stored
    # count the reports written.
    return {"viewer": viewer, "session": f"load-session-{seq:06d}", "seq": 1, "event": "heartbeat",
            "position": 1, "duration": 3, "played": [[0, 1]]}


def test_progress_written_on_one_server_is_read_on_the_other(cluster):
    a, b = cluster["apps"]
    viewer = {"X-Player-Viewer": "cluster-viewer-across-servers"}
    body = {"session": "across-1", "seq": 1, "event": "pause", "position": 2.5,
            "duration": 3, "played": [[0, 2.5]]}
    put = requests.put(f"{a}/api/media/clip/progress", json=body, headers=viewer, timeout=10)
    assert put.status_code == 202, put.text
    got = eventually(lambda: requests.get(f"{b}/api/media/clip/progress", headers=viewer,
                                          timeout=10).json()["position"])
    assert got == 2.5


def watched_reports(cluster: dict, viewers: list[str]) -> dict[str, int]:
    """Reports in the database per viewer (each started a session)."""
    from player.progress.viewer import identify

    names = {identify(v, None, secret=None, pepper=cluster["secret_key"]).key: v
             for v in viewers}
    conn = db.connect(cluster["database"])
    try:
        rows = conn.execute("SELECT viewer, count(*) FROM progress_sessions GROUP BY viewer"
                            ).fetchall()
    finally:
        conn.close()
    counts = dict.fromkeys(viewers, 0)
    for key, sessions in rows:
        if key in names:
            counts[names[key]] = sessions
    return counts


def test_kill_9_of_an_app_server_under_load_loses_nothing_acknowledged(cluster, media_cache):
    url = cluster["url"]
    media = make_media("mp4", media_cache).read_bytes()
    stop = threading.Event()
    acknowledged: dict[str, list[float]] = {}
    answered: list[tuple[str, float]] = []
    failures: list[str] = []

    def viewer_load(number: int) -> None:
        viewer = f"load-viewer-{number:04d}-under-kill"
        sent = acknowledged.setdefault(viewer, [])
        session = requests.Session()
        seq = 0
        while not stop.is_set():
            try:
                answer = session.put(f"{url}/api/media/clip/progress",
                                     json=report(viewer, seq),
                                     headers={"X-Player-Viewer": viewer}, timeout=10)
            except requests.RequestException as exc:
                failures.append(repr(exc))
                continue
            if answer.status_code == 202:
                sent.append(time.monotonic())
                seq += 1
            else:
                failures.append(f"{answer.status_code} {answer.text[:200]}")
            time.sleep(0.01)

    def upload_load() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                created = upload(url, cluster["token"], f"Under load {n}", media, timeout=30)
            except requests.RequestException:
                continue
            if created.status_code == 201:
                answered.append((created.json()["id"], time.monotonic()))

    threads = [threading.Thread(target=viewer_load, args=(n,)) for n in range(6)]
    threads.append(threading.Thread(target=upload_load))
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        killed_at = time.monotonic()
        os.killpg(cluster["pids"]["app1"], signal.SIGKILL)
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    restarted_pid(cluster, "app1")
    # Every upload answered 201 is in the catalog, served by the server that lived.
    survivor = cluster["apps"][1]
    assert answered, "no upload finished under load"
    for item_id, _ in answered:
        assert requests.get(f"{survivor}/api/media/{item_id}", timeout=10).status_code == 200
    # Every report answered 202 is in the database: with a shared database a
    # server answers a report once its batch is committed.
    stored = watched_reports(cluster, list(acknowledged))
    for viewer, times in acknowledged.items():
        assert sum(1 for t in times if t < killed_at - 0.5) > 0, failures[:5]
        assert stored[viewer] >= len(times), (viewer, stored[viewer], len(times))
    print(f"reports acknowledged {sum(map(len, acknowledged.values()))}, all stored")
    # Reports kept being acknowledged after the kill: nginx sent them to the other server.
    assert all(times and times[-1] > killed_at + 1 for times in acknowledged.values())


def cluster_app(cluster):
    """The app as the cluster's servers configure it, for the queue's own calls."""
    from player import create_app

    return create_app({"TESTING": True, "DATABASE": cluster["database"],
                       "SECRET_KEY": cluster["secret_key"], "SCAN_ON_START": False,
                       "MEDIA_DIR": str(REPO / "no-media-folder")})


def job_state(app, job_id: int):
    from player import jobs

    with app.app_context():
        return jobs.get(job_id)


def test_the_worker_makes_a_poster_while_the_servers_serve(cluster, media_cache):
    a, b = cluster["apps"]
    assert "worker" in cluster["pids"], cluster["log"].read_text()
    created = upload(a, cluster["token"], "Sans affiche", make_media("mp4", media_cache)
                     .read_bytes())
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    deadline = time.monotonic() + 60
    while True:
        started = time.monotonic()
        item = requests.get(f"{b}/api/media/{item_id}", timeout=10)
        # B answers at once while the worker works.
        assert item.status_code == 200 and time.monotonic() - started < 2
        if item.json().get("poster"):
            break
        assert time.monotonic() < deadline, item.json()
        time.sleep(0.2)
    poster = urlsplit(item.json()["poster"]).path
    assert requests.get(f"{b}{poster}", timeout=10).status_code in (200, 307)


def test_a_job_whose_worker_is_killed_finishes_on_restart(cluster):
    from player import jobs

    app = cluster_app(cluster)
    with app.app_context():
        job = jobs.enqueue("slow", None, {"test": "kill the worker"})
    deadline = time.monotonic() + 30
    while (state := job_state(app, job.id)).state != "running" or state.progress <= 0:
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    os.killpg(cluster["pids"]["worker"], signal.SIGKILL)
    restarted_pid(cluster, "worker")
    deadline = time.monotonic() + 60
    while (state := job_state(app, job.id)).state != "done":
        assert state.state in ("running", "queued") and time.monotonic() < deadline, state
        time.sleep(0.2)
    # Taken again once the dead worker's lease ran out, and run to its end.
    assert state.attempts >= 2
    assert state.result == {"finished_by_attempt": state.attempts}


def test_the_readme_cluster_settings_are_the_ones_it_runs_with(cluster):
    from tests.test_scale_deployments import readme_block

    command = readme_block("cluster-command").split()
    assert command[:2] == [".venv/bin/python", "scripts/cluster"]
    settings = {word.split("=", 1)[0] for word in readme_block("deploy-cluster").split()
                if "=" in word}
    # What the app server was started with, as the kernel keeps it.
    environ = Path(f"/proc/{cluster['pids']['app2']}/environ").read_bytes().split(b"\0")
    given = {item.split(b"=", 1)[0].decode() for item in environ if b"=" in item}
    # The local cluster has no CDN, the one optional setting.
    assert settings - given == {"PLAYER_MEDIA_BASE_URL"}


def test_sigterm_stops_every_part(cluster):
    process = cluster["process"]
    pids = dict(cluster["pids"])
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    assert "Stopped." in cluster["log"].read_text()
    for name, pid in pids.items():
        assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(
            f"/proc/{pid}/status").read_bytes().lower(), name
    assert not Path(cluster["folder"]).exists()
