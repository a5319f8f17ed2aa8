"""The audit log records who created, changed and deleted each item and track
and who managed which account; ``/publish/audit`` and ``player audit`` show it."""

from __future__ import annotations

import io
import json

import pytest

from player import audit, db
from player.web import auth
from tests.mediagen import make_media
from tests.publish_support import GOOD_SRT, GOOD_VTT, bearer, log_in

pytestmark = pytest.mark.databases("sqlite", "postgresql")


def add(app, name: str, role: str | None = None) -> str:
    conn = db.connect(app.config["DATABASE"])
    try:
        return auth.create_publisher(conn, name, role)
    finally:
        conn.close()


def log(app, **filters) -> list[audit.Entry]:
    conn = db.connect(app.config["DATABASE"])
    try:
        return list(reversed(audit.entries(conn, limit=1000, **filters)))
    finally:
        conn.close()


def summary(app, **filters) -> list[tuple]:
    return [(e.actor, e.action, e.item_id, e.track) for e in log(app, **filters)
            if not e.action.startswith("session.")]


def test_every_change_through_the_api_is_recorded(app, client, media_cache):
    ada = bearer(add(app, "ada"))
    ed = bearer(add(app, "ed", "editor"))
    em = bearer(add(app, "em", "editor"))
    created = client.post("/api/media", headers=ed, data={
        "title": "Ed's <b>clip</b>", "file": (make_media("mp3", media_cache).open("rb"), "a.mp3")})
    item = created.get_json()["id"]
    for data in ({"kind": "captions", "srclang": "fr", "file": (io.BytesIO(GOOD_VTT), "a.vtt")},
                 {"kind": "captions", "srclang": "fr", "file": (io.BytesIO(GOOD_SRT), "a.srt")}):
        assert client.post(f"/api/media/{item}/tracks", headers=ada, data=data).status_code < 300
    assert client.delete(f"/api/media/{item}/tracks/fr.captions", headers=em).status_code == 403
    assert client.delete(f"/api/media/{item}/tracks/fr.captions", headers=ada).status_code == 204
    assert client.delete(f"/api/media/{item}", headers=ed).status_code == 204
    assert summary(app) == [
        ("command line", "publisher.create", None, None),
        ("command line", "publisher.create", None, None),
        ("command line", "publisher.create", None, None),
        ("ed", "item.create", item, None),
        ("ada", "track.create", item, "fr.captions"),
        ("ada", "track.replace", item, "fr.captions"),
        ("ada", "track.delete", item, "fr.captions"),
        ("ed", "item.delete", item, None),
    ]
    entries = log(app, item_id=item)
    assert entries[0].details == {"title": "Ed's <b>clip</b>"}
    assert entries[-1].details["title"] == "Ed's <b>clip</b>"
    assert entries[1].details["label"]


def test_every_change_through_the_pages_is_recorded(app, client, media_cache):
    csrf = log_in(client, "pat", add(app, "pat"))
    uploaded = client.post("/publish/upload", data={
        "csrf_token": csrf, "title": "Paged",
        "file": (make_media("mp3", media_cache).open("rb"), "p.mp3")})
    item = uploaded.headers["Location"].rsplit("/", 1)[1]
    client.post(f"/publish/media/{item}", content_type="multipart/form-data",
                data={"csrf_token": csrf, "title": "Paged again", "description": "New words"})
    client.post(f"/publish/media/{item}/tracks", data={
        "csrf_token": csrf, "kind": "subtitles", "srclang": "de",
        "file": (io.BytesIO(GOOD_VTT), "de.vtt")})
    client.post(f"/publish/media/{item}/tracks/de.subtitles/delete", data={"csrf_token": csrf})
    client.post(f"/publish/media/{item}/delete", data={"csrf_token": csrf})
    client.post("/publish/logout", data={"csrf_token": csrf})
    entries = [e for e in log(app) if e.actor == "pat"]
    assert [(e.action, e.track) for e in entries] == [
        ("session.sign-in", None), ("item.create", None), ("item.update", None),
        ("track.create", "de.subtitles"), ("track.delete", "de.subtitles"),
        ("item.delete", None), ("session.sign-out", None)]
    assert entries[2].details == {"title": "Paged again", "changed": ["title", "description"]}


def test_refused_writes_record_nothing(app, client):
    add(app, "ada")
    ed = bearer(add(app, "ed", "editor"))
    before = log(app)
    assert client.delete("/api/media/clip", headers=ed).status_code == 403
    assert client.delete("/api/media/clip", headers=bearer("apt_bad")).status_code == 403
    assert client.post("/publish/media/clip/delete").status_code == 401
    assert log(app) == before


def test_account_commands_are_recorded(app, runner):
    for args in (["create-publisher", "ada"], ["create-publisher", "ed", "--role", "editor"],
                 ["set-role", "ed", "admin"], ["set-password", "ed", "--password", "x" * 12],
                 ["end-sessions", "ed"], ["revoke-publisher", "ed"]):
        assert runner.invoke(args=args).exit_code == 0, args
    assert [(e.actor, e.action, e.details.get("publisher"), e.details.get("role"))
            for e in log(app)] == [
        ("command line", "publisher.create", "ada", "admin"),
        ("command line", "publisher.create", "ed", "editor"),
        ("command line", "publisher.role", "ed", "admin"),
        ("command line", "publisher.password", "ed", None),
        ("command line", "publisher.sign-out-everywhere", "ed", None),
        ("command line", "publisher.revoke", "ed", None),
    ]


def test_the_audit_command(app, client, runner, media_cache):
    empty = runner.invoke(args=["audit"])
    assert empty.exit_code == 0 and "no entries yet" in empty.stderr and empty.stdout == ""
    ada = bearer(add(app, "ada"))
    assert client.delete("/api/media/song", headers=ada).status_code == 204
    assert client.delete("/api/media/clip/tracks/en.captions", headers=ada).status_code == 204
    lines = runner.invoke(args=["audit"]).stdout.splitlines()
    assert len(lines) == 3
    fields = [line.split("\t") for line in lines]
    assert [f[1:5] for f in fields] == [
        ["command line", "publisher.create", "-", "-"],
        ["ada", "item.delete", "song", "-"],
        ["ada", "track.delete", "clip", "en.captions"]]
    assert all(f[0].endswith("Z") and len(f[0]) == 20 for f in fields)
    assert json.loads(fields[2][5])["label"] == "English captions"
    only = runner.invoke(args=["audit", "--item", "clip"]).stdout.splitlines()
    assert only == lines[2:]
    by = runner.invoke(args=["audit", "--publisher", "ada", "--limit", "1"]).stdout.splitlines()
    assert by == lines[2:]
    none = runner.invoke(args=["audit", "--publisher", "nobody"])
    assert none.stdout == "" and "no entries that match" in none.stderr


@pytest.fixture
def browsing(app, client):
    log_in(client, "pat", add(app, "pat"))
    return client


def test_the_activity_page(app, browsing, runner):
    conn = db.connect(app.config["DATABASE"])
    for n in range(60):
        audit.record(conn, None, audit.ITEM_UPDATE, item_id="clip",
                     title=f"<script>alert({n})</script>", changed=["title"])
    audit.record(conn, None, audit.ITEM_DELETE, item_id="song", title="A song")
    conn.close()
    page = browsing.get("/publish/audit")
    assert page.status_code == 200
    assert "private" in page.headers["Cache-Control"]
    assert '<a href="/publish/audit" aria-current="page">Activity</a>' in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(59)" in page.text
    assert page.text.count("<tr>") == 1 + 50
    assert "Older activity" in page.text
    older = browsing.get("/publish/audit?before=" + page.text.split("before=")[1].split('"')[0])
    assert older.status_code == 200 and "Older activity" not in older.text
    filtered = browsing.get("/publish/audit?item=song")
    assert filtered.text.count("<tr>") == 2 and "A song" in filtered.text
    nothing = browsing.get("/publish/audit?publisher=nobody&before=junk")
    assert nothing.status_code == 200 and "No activity matches these filters" in nothing.text


def test_the_activity_page_needs_a_publisher(client):
    response = client.get("/publish/audit")
    assert response.status_code == 302
    assert response.headers["Location"] == "/publish/login?next=/publish/audit"
