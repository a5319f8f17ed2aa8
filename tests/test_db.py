"""The database seam on both backends: rows, errors, transactions, pooled
connections, several servers writing at once, and PostgreSQL's search
against SQLite's."""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import sys
import threading
import time

import pytest

from player import db, progress
from player.db import postgresql
from player.library.scan import scan
from player.progress.model import parse_report
from player.progress.viewer import identify
from player.search import index as search
from tests.publish_support import create_publisher
from tests.test_progress_api import make_lecture
from tests.test_search import CLIP_CHAPTERS, CLIP_DESCRIPTIONS, CLIP_EN, CLIP_UK, SONG_EN

pytestmark = pytest.mark.databases("sqlite", "postgresql")


@pytest.fixture
def conn(database_url):
    connection = db.connect(database_url)
    db.upgrade(connection)
    yield connection
    connection.close()


def test_rows_read_by_position_and_by_name(conn):
    db.insert_publisher(conn, "pat", "hash-1")
    row = db.publisher_by_name(conn, "pat")
    assert row["name"] == row[1] == "pat" and row["revoked_at"] is None
    assert list(row.keys())[:3] == ["id", "name", "token_hash"]
    assert dict(conn.execute("SELECT name, token_hash FROM publishers")) == {"pat": "hash-1"}
    assert conn.execute("SELECT COUNT(*) FROM publishers WHERE name LIKE 'p%'").fetchone()[0] == 1


def test_errors_of_either_backend_are_caught_alike(conn):
    db.insert_publisher(conn, "pat", "hash-1")
    with pytest.raises(db.IntegrityError):
        db.insert_publisher(conn, "pat", "hash-2")
    with pytest.raises(db.Error):
        conn.execute("SELECT no_such_column FROM publishers")
    # The connection is still usable after both.
    assert [r["name"] for r in db.list_publishers(conn)] == ["pat"]


def test_a_transaction_commits_or_rolls_back_as_a_whole(conn):
    with pytest.raises(KeyError):
        with db.Transaction(conn):
            db.insert_publisher(conn, "ann", "hash-a")
            raise KeyError("a bug")
    assert not conn.in_transaction and db.publisher_by_name(conn, "ann") is None
    with db.Transaction(conn):
        db.insert_publisher(conn, "ann", "hash-a")
        db.insert_publisher(conn, "bob", "hash-b")
    assert [r["name"] for r in db.list_publishers(conn)] == ["ann", "bob"]


def test_publishers_sort_by_code_point_on_both_backends(conn):
    for name in ("bob", "Zed", "ann", "Émile"):
        db.insert_publisher(conn, name, f"hash-{name}")
    assert [r["name"] for r in db.list_publishers(conn)] == ["Zed", "ann", "bob", "Émile"]


def test_each_request_borrows_a_connection_and_gives_it_back(app, database_backend):
    seen = []
    for _ in range(30):
        with app.test_request_context():
            conn = db.get_db()
            assert db.get_db() is conn
            seen.append(conn)
            conn.execute("SELECT 1")
            db.Transaction(conn).__enter__()  # left open on purpose
        if database_backend == "sqlite":
            assert not conn.in_transaction
        else:
            assert conn.raw is None  # back in the pool, rolled back
    if database_backend == "postgresql":
        # The 30 requests, one after another, needed a connection or two.
        stats = postgresql._pools[app.config["DATABASE"]].get_stats()
        assert stats["pool_size"] <= 2 and stats.get("returns_bad", 0) == 0


@pytest.mark.databases("postgresql")
def test_a_pooled_connection_the_server_dropped_is_replaced(app, client, postgres_cluster):
    assert client.get("/api/search?q=welcome").status_code == 200
    admin = db.connect(postgres_cluster.url("postgres"))
    try:
        name = app.config["DATABASE"].rsplit("/", 1)[1]
        admin.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  " WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
    finally:
        admin.close()
    assert client.get("/api/search?q=welcome").status_code == 200
    assert client.get("/api/media/clip").status_code == 200


@pytest.mark.databases("postgresql")
def test_a_connection_dropped_in_a_reference_cycle_closes_quietly(database_url):
    """A connection nobody closed (one kept per thread by an app that is
    gone) is closed when collected, even together with what held it, and
    psycopg has no open connection to warn about."""
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        for _ in range(5):
            holder = {"conn": db.connect(database_url)}
            holder["self"] = holder
            del holder
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []


def test_only_sqlite_writers_take_turns_on_a_lock_file(database_url):
    lock = db.writer_lock_file(database_url)
    assert (lock is None) == db.is_postgresql(database_url)


# -- several servers ---------------------------------------------------------------------

@pytest.fixture
def two_servers(make_app, media_dir, media_cache, database_url):
    """Two apps on one database, as two app servers behind a balancer would be."""
    shutil.copy(make_lecture(media_cache), media_dir / "lecture.flac")
    return [make_app(media_dir, DATABASE=database_url) for _ in range(2)]


def held_together(writers, release: threading.Event) -> None:
    """Keep each writer busy until ``release``, so their queues are written at once."""
    started = []
    for writer in writers:
        ready = threading.Event()
        started.append(ready)
        writer.submit(lambda conn, ready=ready: (ready.set(), release.wait(30)))
    assert all(ready.wait(30) for ready in started)


def write_at_once(servers, reports: list[tuple[int, str, dict]]) -> None:
    """Queue ``(server, viewer, report)`` on the servers' writers, then let
    them all write at the same moment."""
    writers = [app.extensions["progress_writer"] for app in servers]
    release = threading.Event()
    if db.is_postgresql(servers[0].config["DATABASE"]):
        # SQLite's writers take turns on one lock: they cannot both hold a transaction.
        for writer in writers:
            writer.linger = 0  # each writes the moment it is released
        held_together(writers, release)
    for server, viewer, fields in reports:
        key = identify(viewer, None, secret=None, pepper="test-secret").key
        assert writers[server].put(progress.PendingReport("lecture", key, parse_report(fields),
                                                          time.time()))
    release.set()
    assert all(writer.flush(60) for writer in writers)


def test_two_servers_writing_at_once_lose_no_report(two_servers):
    """Reports queued on two servers and written at the same moment: every
    second played is counted, whichever commits first, in the sessions
    (reports of the same sessions on both) and in the item's running totals
    (reports of different viewers on each)."""
    token = {"Authorization": "Bearer " + create_publisher(two_servers[0])}
    stats = [app.test_client().get("/api/media/lecture/stats", headers=token)
             for app in two_servers]
    assert [s.json["plays"] for s in stats] == [0, 0]  # running totals start here
    seq = 0

    def heartbeat(session: str) -> dict:
        nonlocal seq
        seq += 1
        return {"session": session, "seq": seq, "position": seq * 0.5,
                "played": [[seq * 0.5 - 0.5, seq * 0.5]]}

    viewer = "viewer-a-0123456789"
    for _ in range(2):  # new sessions, then sessions that exist
        write_at_once(two_servers, [(n % 2, viewer, heartbeat(f"session-{n % 3}"))
                                    for n in range(120)])
    others = [f"viewer-{n}-0123456789" for n in range(6)]
    write_at_once(two_servers, [(n % 2, others[n % 6], heartbeat(f"session-b{n % 6}"))
                                for n in range(120)])
    conn = db.connect(two_servers[0].config["DATABASE"])
    try:
        states = [json.loads(r["state"]) for r in db.progress_sessions_of(conn, "lecture")]
    finally:
        conn.close()
    assert len(states) == 9 and sum(s["watched"] for s in states) == 360 * 0.5
    running = two_servers[1].test_client().get("/api/media/lecture/stats", headers=token).json
    conn = db.connect(two_servers[0].config["DATABASE"])
    conn.execute("DELETE FROM progress_live")
    conn.close()
    afresh = two_servers[0].test_client().get("/api/media/lecture/stats", headers=token).json
    assert running == afresh and running["plays"] == 9


# -- search: PostgreSQL answers as SQLite does -----------------------------------------------

QUERIES = [
    "space k", '"space or k"', '"Space or K" play', '"k to"', "subtit*", "subtit", '"space ba"*',
    "k*", "keyboard", "вітаю", "ВІТАЮ", '"ласкаво просимо"', "субтит*", "з'являються",
    "замок", "за́мок", "їжак", "іжак", "cafe", "CAFÉ naive", "script", "line 1*", '"line 1"',
    "keyboard line", "the", "a", "welsh", '"the k"', "or the", '"the space bar or the k key"',
]


def test_postgresql_finds_and_marks_what_sqlite_does(tmp_path, library_files, postgres_cluster):
    answers = {}
    for backend, target in (("sqlite", str(tmp_path / "s.sqlite")),
                            ("postgresql", postgres_cluster.create_database())):
        conn = db.connect(target)
        try:
            db.upgrade(conn)
            scan(library_files, conn)
            answers[backend] = {
                q: [(i.media_id, i.total, i.exact,
                     [(h.start, h.kind, h.lang, h.text, str(h.html)) for h in i.hits])
                    for i in search.search(conn, q, max_counted=8).items]
                for q in QUERIES}
        finally:
            conn.close()
            if backend == "postgresql":
                postgres_cluster.drop_database(target)
    assert answers["postgresql"] == answers["sqlite"]
    assert answers["sqlite"]['"space or k"'][0][3][0][4] == "Press <mark>Space or K</mark> to play."


@pytest.fixture
def library_files(tmp_path, media_cache):
    from tests.mediagen import make_media

    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    shutil.copy(make_media("mp3", media_cache), folder / "song.mp3")
    for name, text in [("clip.en.vtt", CLIP_EN), ("clip.uk.subtitles.vtt", CLIP_UK),
                       ("clip.en.descriptions.vtt", CLIP_DESCRIPTIONS),
                       ("clip.en.chapters.vtt", CLIP_CHAPTERS), ("song.en.vtt", SONG_EN)]:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


WORDS = [
    "Café au lait, naïve résumé.", "Старий за́мок на горі. Їжак йде, ґанок.",
    "e-mail example.com 2.0 v1.2.3 h264 don't l'été", "日本語のテキスト 中文", "हिंदी भाषा",
    "ภาษาไทย", "مرحبا بالعالم ٣٤", "😀space ★ stars İstanbul Óbuda ŹLE", "x\u200by zero\u00a0width",
    "tab\tnew\nline_under_score", "\ue000private use\U000f0001",
]


def test_postgresql_cuts_words_where_sqlite_does(postgres_cluster):
    """Words are cut where FTS5's unicode61 tokenizer cuts them and fold to
    the same lexemes, but in two ways PostgreSQL does better: it keeps
    pointed Hebrew and Arabic words whole (FTS5 splits them at every vowel
    point: مَرْحَبًا is five words there), and unaccent folds more (ё to е,
    ł to l, the Greek tonos, ligatures), so this text avoids both."""
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE VIRTUAL TABLE t USING fts5(x,"
                   " tokenize = 'unicode61 remove_diacritics 2')")
    memory.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    target = postgres_cluster.create_database()
    conn = db.connect(target)
    try:
        for n, text in enumerate(WORDS, 1):
            memory.execute("INSERT INTO t (rowid, x) VALUES (?, ?)", (n, text))
            expected = [r[0] for r in memory.execute(
                "SELECT term FROM v WHERE doc = ? ORDER BY offset", (n,))]
            folded = [postgresql._fold(m.group()) for m in postgresql.words(text)]
            assert postgresql._lexemes(conn, folded) == expected, text
    finally:
        conn.close()
        postgres_cluster.drop_database(target)
