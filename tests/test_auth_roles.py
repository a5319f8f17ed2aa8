"""Roles: an admin manages publishers and deletes anything; an editor uploads
and edits, and deletes only what they uploaded; accounts from before roles
are admins."""

from __future__ import annotations

import io
import sqlite3
import threading

import pytest

from player import create_app, db
from player.web import auth
from tests.mediagen import make_media
from tests.publish_support import GOOD_VTT, bearer, csrf_from, log_in
from tests.s3_support import storage_state

pytestmark = pytest.mark.databases("sqlite", "postgresql")


def add(app, name: str, role: str | None = None) -> str:
    conn = db.connect(app.config["DATABASE"])
    try:
        return auth.create_publisher(conn, name, role)
    finally:
        conn.close()


def role_of(app, name: str) -> str:
    conn = db.connect(app.config["DATABASE"])
    return conn.execute("SELECT role FROM publishers WHERE name = ?", (name,)).fetchone()[0]


# -- accounts --------------------------------------------------------------------------------

def test_the_first_publisher_is_an_admin_and_later_ones_editors(app, runner):
    first = runner.invoke(args=["create-publisher", "ada"])
    second = runner.invoke(args=["create-publisher", "ed"])
    third = runner.invoke(args=["create-publisher", "al", "--role", "admin"])
    fourth = runner.invoke(args=["create-publisher", "eve", "--role", "editor"])
    assert all(r.exit_code == 0 for r in (first, second, third, fourth))
    assert [role_of(app, n) for n in ("ada", "ed", "al", "eve")] == [
        "admin", "editor", "admin", "editor"]
    listing = runner.invoke(args=["list-publishers"]).output.splitlines()
    assert [(line.split("\t")[0], line.split("\t")[-1]) for line in listing] == [
        ("ada", "admin"), ("al", "admin"), ("ed", "editor"), ("eve", "editor")]
    bad = runner.invoke(args=["create-publisher", "x", "--role", "owner"])
    assert bad.exit_code != 0 and "owner" in bad.output


def test_set_role_keeps_an_admin(app, runner):
    add(app, "ada")
    add(app, "ed")
    assert runner.invoke(args=["set-role", "ed", "admin"]).exit_code == 0
    assert role_of(app, "ed") == "admin"
    assert runner.invoke(args=["set-role", "ada", "editor"]).exit_code == 0
    last = runner.invoke(args=["set-role", "ed", "editor"])
    assert last.exit_code != 0 and "only admin" in last.output
    assert role_of(app, "ed") == "admin"
    missing = runner.invoke(args=["set-role", "nobody", "admin"])
    assert missing.exit_code != 0 and "no active publisher" in missing.output


OLD_PUBLISHERS = """
CREATE TABLE publishers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at TEXT
);
"""


def test_accounts_from_before_roles_become_admins(media_dir, tmp_path):
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(OLD_PUBLISHERS)
    tokens = {name: auth.new_token() for name in ("old1", "old2")}
    old.executemany("INSERT INTO publishers (name, token_hash) VALUES (?, ?)",
                    [(n, auth.hash_token(t)) for n, t in tokens.items()])
    old.commit()
    old.close()
    config = {"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": str(path),
              "SECRET_KEY": "k"}
    app = create_app(config)
    create_app(config)  # the step again changes nothing
    conn = db.connect(path)
    db.init_schema(conn)
    assert [role_of(app, n) for n in tokens] == ["admin", "admin"]
    # Now a new account is an editor, and the old ones may delete anything.
    add(app, "new")
    assert role_of(app, "new") == "editor"
    client = app.test_client()
    assert client.delete("/api/media/song", headers=bearer(tokens["old1"])).status_code == 204


def test_two_processes_upgrading_at_once(tmp_path):
    path = tmp_path / "race.sqlite"
    old = sqlite3.connect(path)
    old.executescript(OLD_PUBLISHERS)
    old.close()
    errors = []

    def upgrade():
        conn = db.connect(path)
        try:
            db.init_schema(conn)
        except Exception as exc:  # noqa: BLE001 - any failure fails the test
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# -- what each role may delete ----------------------------------------------------------------

@pytest.fixture
def people(app):
    """An admin and two editors: name → API headers."""
    return {name: bearer(add(app, name, role))
            for name, role in (("ada", "admin"), ("ed", "editor"), ("em", "editor"))}


def upload(client, headers, media_cache, title: str) -> str:
    response = client.post("/api/media", headers=headers, data={
        "title": title, "file": (make_media("mp3", media_cache).open("rb"), "a.mp3")})
    assert response.status_code == 201, response.text
    return response.get_json()["id"]


def add_track(client, headers, item_id: str, lang: str = "fr") -> None:
    response = client.post(f"/api/media/{item_id}/tracks", headers=headers, data={
        "kind": "captions", "srclang": lang, "file": (io.BytesIO(GOOD_VTT), f"{lang}.vtt")})
    assert response.status_code in (200, 201), response.text


def test_an_editor_deletes_only_what_they_uploaded(app, client, people, media_cache, library):
    ed, em, ada = people["ed"], people["em"], people["ada"]
    mine = upload(client, ed, media_cache, "Ed's item")
    theirs = upload(client, em, media_cache, "Em's item")
    add_track(client, em, mine, "de")        # em's track on ed's item
    add_track(client, ed, theirs, "fr")      # ed's track on em's item
    add_track(client, em, theirs, "es")      # em's track on em's item
    before = storage_state(library)
    refused = [
        client.delete(f"/api/media/{theirs}", headers=ed),
        client.delete("/api/media/clip", headers=ed),           # in the folder before uploads
        client.delete(f"/api/media/{theirs}/tracks/es.captions", headers=ed),
        client.delete("/api/media/clip/tracks/en.captions", headers=ed),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
        assert "Only an admin" in response.get_json()["error"]["message"]
    assert storage_state(library) == before
    # Their own track on another's item, any track of their own item, their own item.
    assert client.delete(f"/api/media/{theirs}/tracks/fr.captions", headers=ed).status_code == 204
    assert client.delete(f"/api/media/{mine}/tracks/de.captions", headers=ed).status_code == 204
    assert client.delete(f"/api/media/{mine}", headers=ed).status_code == 204
    # An admin deletes anything.
    assert client.delete("/api/media/clip/tracks/en.captions", headers=ada).status_code == 204
    assert client.delete(f"/api/media/{theirs}", headers=ada).status_code == 204
    assert client.delete("/api/media/song", headers=ada).status_code == 204


def test_an_editor_may_edit_and_replace_but_not_delete_on_the_pages(
        app, people, media_cache, library):
    client = app.test_client()
    token = add(app, "pagey", "editor")
    csrf = log_in(client, "pagey", token)
    edited = client.post("/publish/media/clip", content_type="multipart/form-data",
                         data={"csrf_token": csrf, "title": "Edited by an editor"})
    assert edited.status_code == 303
    before = storage_state(library)
    for path in ("/publish/media/clip/delete", "/publish/media/clip/tracks/en.captions/delete"):
        assert client.get(path).status_code == 403
        response = client.post(path, data={"csrf_token": csrf})
        assert response.status_code == 403 and "Only an admin" in response.text
    assert storage_state(library) == before


def test_a_reused_id_does_not_inherit_its_owner(app, client, people, media_cache):
    ed, em = people["ed"], people["em"]
    first = upload(client, ed, media_cache, "Same title")
    assert client.delete(f"/api/media/{first}", headers=ed).status_code == 204
    second = upload(client, em, media_cache, "Same title")
    assert second == first
    assert client.delete(f"/api/media/{second}", headers=ed).status_code == 403
    assert client.delete(f"/api/media/{second}", headers=em).status_code == 204


def test_a_replaced_track_belongs_to_who_replaced_it(app, client, people, media_cache):
    ed, em = people["ed"], people["em"]
    item = upload(client, people["ada"], media_cache, "Admin's item")
    add_track(client, ed, item, "fr")
    add_track(client, em, item, "fr")
    assert client.delete(f"/api/media/{item}/tracks/fr.captions", headers=ed).status_code == 403
    assert client.delete(f"/api/media/{item}/tracks/fr.captions", headers=em).status_code == 204


def test_the_sign_in_form_still_works_for_editors(app, client):
    add(app, "ada")
    token = add(app, "ed")
    csrf = csrf_from(client.get("/publish/login").text)
    response = client.post("/publish/login", data={"csrf_token": csrf, "name": "ed",
                                                   "secret": token})
    assert response.status_code == 303
