"""Schema versions: a database made before them upgrades in place with every
row; ``player db upgrade``; automatic upgrades at start-up and turning them
off; several processes upgrading at once."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from player import create_app, db
from player.db import auth as db_auth
from player.db import migrate
from tests.pg_support import table_columns

pytestmark = pytest.mark.databases("sqlite", "postgresql")

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
#: The settings the v0 data was made with (viewer keys depend on the secret).
V0_CONFIG = {"SECRET_KEY": "v0-secret", "SCAN_ON_START": False,
             # The v0 sessions are old: nothing folds them during the test.
             "RAW_RETENTION_DAYS": 100_000}
V0_VIEWER = "viewer-a-0123456789"


#: The v0 schema's blocks that the release added at start-up, oldest first,
#: by the first words of their marking comment, and the rows of their tables.
STEPS = [("-- Created at start-up by the progress package",
          ("INSERT INTO progress_live ", "INSERT INTO progress_duration_votes ")),
         ("-- Added at start-up by the publisher roles step",
          ("INSERT INTO publisher_sessions ", "INSERT INTO audit_log ",
           "UPDATE publishers SET role"))]
#: The databases that release made, as it grew: name -> start-up steps taken.
V0_STAGES = {"v0": 2, "v0-before-roles": 1, "v0-before-running-totals": 0}


def make_v0_database(path: Path, steps: int = len(STEPS)) -> None:
    """A SQLite database as the release before schema versions left it, full
    of rows (as it was before its last start-up steps, unless ``steps`` is all)."""
    schema = (FIXTURES / "schema_v0_sqlite.sql").read_text(encoding="utf-8")
    data = (FIXTURES / "data_v0_sqlite.sql").read_text(encoding="utf-8")
    if steps < len(STEPS):
        schema = schema.split(STEPS[steps][0])[0]
    for _, rows in STEPS[steps:]:
        data = "\n".join(line for line in data.splitlines() if not line.startswith(rows))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(schema)
    conn.executescript(data)
    conn.commit()
    conn.close()


def dump(conn) -> dict[str, list[tuple]]:
    """Every row of every table (FTS5's own tables aside: their content is search_cues')."""
    tables = {}
    for table in table_columns(conn):
        if table.startswith("search_cues_") or table == "schema_migrations":
            continue
        columns = ('rowid, text, start, "end"' if table == "search_cues" else "*")
        tables[table] = sorted(tuple(r) for r in conn.execute(f"SELECT {columns} FROM {table}"))
    return tables


@pytest.mark.parametrize("stage", V0_STAGES)
def test_a_database_from_before_versions_upgrades_with_every_row(tmp_path, media_dir, stage):
    database = tmp_path / "v0.sqlite"
    make_v0_database(database, V0_STAGES[stage])
    conn = db.connect(database)
    before = dump(conn)
    assert db.schema_version(conn) == 0
    conn.close()
    # Every table of the old schema has rows, so every one is checked.
    assert [t for t, rows in before.items() if not rows] == []
    if V0_STAGES[stage] < 1:
        before.update(progress_live=[], progress_duration_votes=[])
    if V0_STAGES[stage] < 2:
        # Every account from before roles becomes an admin.
        before.update(audit_log=[], publisher_sessions=[], publishers=[
            (*row, "admin") for row in before["publishers"]])
    before.update(jobs=[], job_workers=[])  # version 3: the job queue starts empty
    before.update(track_versions=[])  # version 4: no track has an earlier version yet
    before.update(rate_counts=[])  # version 5: shared rate limits start with no counts

    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": str(database),
                      **V0_CONFIG})
    applied = [str(step) for step in app.extensions["db_upgrade"]]
    assert applied[:2] == ["0001 baseline", "0002 publisher roles sessions audit"]
    assert applied == [str(step) for step in migrate.migrations("sqlite")]
    conn = db.connect(database)
    try:
        assert db.schema_version(conn) == migrate.latest_version(conn)
        assert dump(conn) == before
    finally:
        conn.close()

    # And the app reads them: the catalog, publishers, sessions, statistics, search.
    client = app.test_client()
    assert [i["id"] for i in client.get("/api/media").get_json()["items"]] == ["clip", "song"]
    pat = {"Authorization": "Bearer apt_v0-token-for-tests"}
    stats = client.get("/api/media/clip/stats", headers=pat).get_json()
    assert stats["sessions"] == {"raw": 1, "folded": 0}
    assert [(r["reported"], r["count"]) for r in stats["duration_reports"]] == [(203.5, 2)]
    song = client.get("/api/media/song/stats", headers=pat).get_json()
    assert song["sessions"] == {"raw": 0, "folded": 1}
    revoked = client.get("/api/media/clip/stats",
                         headers={"Authorization": "Bearer apt_v0-revoked-token"})
    assert revoked.status_code == 403
    resume = client.get("/api/media/clip/progress", headers={"X-Player-Viewer": V0_VIEWER})
    assert resume.get_json()["resume_at"] == 83.0
    hits = client.get("/api/search?q=welcome").get_json()["results"]
    assert [h["text"] for r in hits for h in r["hits"]] == ["Hello and welcome."]
    with app.app_context():
        conn = db.get_db()
        assert db.scan_problems(conn) == [
            ("notes.mp4", "not playable: this is a text file, not audio or video")]
        assert db.login_failures(conn, ["address 192.0.2.7"], 0) == {
            "address 192.0.2.7": (1, 1735725907.1813414)}
        assert db.cached_probe(conn, "/srv/media/song.mp3", 12308,
                               1735725000513221351)["duration"] == 3.024
        assert db.cached_track(conn, "/srv/media/clip.en.vtt", 112, 1735725000307359591,
                               200.0) == {"ok": True, "cues": 2, "problems": []}
        assert db.progress_reported_duration(conn, "song") == 3.1
        votes = db.progress_duration_votes(conn, ["song"])["song"]
        assert votes == ({"3f9a1c0d2b7e4a65": (3.1, 1735725700.0)} if V0_STAGES[stage] else {})
        entries = [(e["actor"], e["action"]) for e in db_auth.audit_entries(conn, None, None,
                                                                             None, 10)]
        assert entries == ([("pat", "item.create"), ("command line", "publisher.create")]
                           if V0_STAGES[stage] == 2 else [])
        assert db.catalog_version(conn) == 7
    conn = db.connect(database)
    roles = {p["name"]: p["role"] for p in db.list_publishers(conn)}
    conn.close()
    assert roles == {"old": "editor" if V0_STAGES[stage] == 2 else "admin", "pat": "admin"}


def test_a_new_database_gets_the_whole_schema_and_upgrades_once(make_database):
    conn = db.connect(make_database("new", empty=True))
    try:
        assert db.schema_version(conn) == 0
        applied = db.upgrade(conn)
        assert [s.version for s in applied] == list(range(1, migrate.latest_version(conn) + 1))
        assert db.schema_version(conn) == migrate.latest_version(conn)
        assert db.upgrade(conn) == []
        tables = set(table_columns(conn))
        assert {"items", "publishers", "progress_sessions", "search_tracks", "search_cues",
                "schema_migrations"} <= tables
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [tuple(r) for r in rows] == [(s.version, s.name) for s in applied]
    finally:
        conn.close()


def test_processes_starting_at_once_upgrade_once(make_database):
    target = make_database("racing", empty=True)
    results, errors = [], []
    start = threading.Barrier(4)

    def upgrade():
        conn = db.connect(target)
        try:
            start.wait()
            results.append([s.version for s in db.upgrade(conn)])
        except Exception as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # Each step once, by whichever process got to it first.
    assert sorted(step for applied in results for step in applied) == [
        step.version for step in migrate.migrations("sqlite")]  # numbered alike on both


def test_with_automatic_upgrades_off_an_old_schema_is_refused(tmp_path, media_dir):
    database = tmp_path / "v0.sqlite"
    make_v0_database(database)
    with pytest.raises(db.SchemaError, match="run `player db upgrade`"):
        create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "DATABASE": str(database),
                    "AUTO_UPGRADE": False, **V0_CONFIG})
    conn = db.connect(database)
    assert db.schema_version(conn) == 0
    conn.close()


def player_command(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from player.cli import main; main()", *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_player_db_upgrade_works_when_start_up_upgrades_are_off(make_database, media_dir,
                                                                 tmp_path):
    env = {"PLAYER_DATABASE": make_database("cli", empty=True),
           "PLAYER_MEDIA_DIR": str(media_dir), "PLAYER_SECRET_KEY": "cli-secret",
           "PLAYER_AUTO_UPGRADE": "0", "PLAYER_SCAN_ON_START": "false"}
    refused = player_command("list-publishers", env=env)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("Error: The database schema is at version 0;")
    assert "run `player db upgrade`" in refused.stderr
    upgraded = player_command("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    latest = len(migrate.migrations("sqlite"))
    assert upgraded.stdout.splitlines() == [
        *(f"Applied {step}." for step in migrate.migrations("sqlite")),
        f"The database schema is at version {latest}, up to date."]
    again = player_command("db", "upgrade", env=env)
    assert again.stdout.splitlines() == [
        f"The database schema is at version {latest}, up to date."]
    listed = player_command("list-publishers", env=env)
    assert listed.returncode == 0, listed.stderr


def test_every_backend_has_the_same_steps():
    steps = {name: [(m.version, m.name) for m in migrate.migrations(name)]
             for name in ("sqlite", "postgresql")}
    assert steps["sqlite"] == steps["postgresql"]


def test_no_step_drops_or_deletes_anything():
    forbidden = re.compile(r"\b(DROP\s+(TABLE|COLUMN|SCHEMA|DATABASE|INDEX)|TRUNCATE|DELETE\s+FROM)"
                           r"\b", re.IGNORECASE)
    for path in sorted(migrate.MIGRATIONS.glob("*/*.sql")):
        code = "\n".join(line.split("--")[0] for line in path.read_text().splitlines())
        assert not forbidden.search(code), f"{path.name} drops or deletes rows"
