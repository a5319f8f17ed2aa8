"""Every query the application makes, for either backend.

Statements both backends understand as written are here, with sqlite3's
``?`` placeholders; the rest are asked of the backend's module
(:func:`~player.db.base.backend`), which writes them its own way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from .base import Connection, Transaction, backend


def _utc_now_text() -> str:
    # The form SQLite's CURRENT_TIMESTAMP gives, on both backends.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


# -- probe and track caches ------------------------------------------------

def cached_probe(conn: Connection, path: str, size: int, mtime_ns: int) -> dict | None:
    """The stored probe of a file, if it has not changed since (same size and mtime)."""
    row = conn.execute(
        "SELECT result FROM probe_cache WHERE path = ? AND size = ? AND mtime_ns = ?",
        (path, size, mtime_ns),
    ).fetchone()
    return json.loads(row["result"]) if row else None


def store_probe(conn: Connection, path: str, size: int, mtime_ns: int, result: dict) -> None:
    """Remember the probe of a file as of its size and mtime."""
    conn.execute(
        "INSERT INTO probe_cache (path, size, mtime_ns, result) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (path) DO UPDATE SET size = excluded.size,"
        " mtime_ns = excluded.mtime_ns, result = excluded.result",
        (path, size, mtime_ns, json.dumps(result)),
    )


def cached_track(
    conn: Connection, path: str, size: int, mtime_ns: int, duration: float | None
) -> dict | None:
    """The stored check of a caption file, if neither it nor its media's duration changed."""
    result = backend(conn).cached_track(conn, path, size, mtime_ns, duration)
    return json.loads(result) if result is not None else None


def store_track(
    conn: Connection, path: str, size: int, mtime_ns: int, duration: float | None,
    result: dict,
) -> None:
    """Remember the check of a caption file as of its size, mtime and media duration."""
    conn.execute(
        "INSERT INTO track_cache (path, size, mtime_ns, duration, result)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size,"
        " mtime_ns = excluded.mtime_ns, duration = excluded.duration,"
        " result = excluded.result",
        (path, size, mtime_ns, duration, json.dumps(result)),
    )


def forget_missing_paths(conn: Connection, existing: set[str]) -> None:
    """Drop cached probes and checks of files not in ``existing``."""
    for table in ("probe_cache", "track_cache"):
        stale = [
            row["path"] for row in conn.execute(f"SELECT path FROM {table}")
            if row["path"] not in existing
        ]
        if stale:
            conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in stale])


# -- the catalog -------------------------------------------------------------

def replace_catalog(
    conn: Connection, items: Iterable[dict], problems: Iterable[tuple[str, str]]
) -> None:
    """Swap the whole catalog in one transaction, so readers see the old or the new."""
    items, problems = list(items), list(problems)
    with Transaction(conn):
        backend(conn).lock(conn, "catalog")
        conn.execute("DELETE FROM items")
        if items:
            conn.executemany(
                "INSERT INTO items (id, position, data) VALUES (?, ?, ?)",
                [(item["id"], n, json.dumps(item)) for n, item in enumerate(items)],
            )
        conn.execute("DELETE FROM scan_problems")
        if problems:
            conn.executemany("INSERT INTO scan_problems (path, message) VALUES (?, ?)",
                             problems)
        conn.execute(
            'INSERT INTO catalog_version ("only", version) VALUES (1, 1)'
            ' ON CONFLICT ("only") DO UPDATE SET version = catalog_version.version + 1'
        )


def catalog_version(conn: Connection) -> int:
    """A number that changes whenever the catalog does, in any process."""
    row = conn.execute("SELECT version FROM catalog_version").fetchone()
    return row[0] if row else 0


def catalog(conn: Connection) -> list[dict]:
    """Every catalog item, in catalog order."""
    return [json.loads(r["data"]) for r in conn.execute("SELECT data FROM items ORDER BY position")]


def catalog_item(conn: Connection, item_id: str) -> dict | None:
    """One catalog item, or None if there is none by that id."""
    row = conn.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
    return json.loads(row["data"]) if row else None


def scan_problems(conn: Connection) -> list[tuple[str, str]]:
    """The problems the last scan found, ``(path, message)`` in the order found."""
    return backend(conn).scan_problems(conn)


# -- publishers ----------------------------------------------------------------

def insert_publisher(conn: Connection, name: str, token_hash: str) -> int:
    """Add a publisher; their id.

    :raises player.db.IntegrityError: if the name or the token hash is taken.
    """
    # fetchall() runs the statement to its end, so SQLite's implicit
    # transaction ends with it.
    rows = conn.execute("INSERT INTO publishers (name, token_hash) VALUES (?, ?) RETURNING id",
                        (name, token_hash)).fetchall()
    return int(rows[0][0])


def publisher_by_id(conn: Connection, publisher_id: int):
    """The publisher row with that id, or None."""
    return conn.execute("SELECT * FROM publishers WHERE id = ?", (publisher_id,)).fetchone()


def publisher_by_name(conn: Connection, name: str):
    """The publisher row with that name, or None."""
    return conn.execute("SELECT * FROM publishers WHERE name = ?", (name,)).fetchone()


def login_failures(conn: Connection, keys: list[str], since: float
                   ) -> dict[str, tuple[int, float]]:
    """For each key, failed sign-ins at or after ``since``: (count, earliest)."""
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT key, COUNT(*), MIN(at) FROM login_failures WHERE key IN ({marks}) AND at >= ?"
        " GROUP BY key", (*keys, since)).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def record_login_failure(conn: Connection, keys: list[str], at: float,
                         forget_before: float) -> None:
    """Count a failed sign-in under each key, forgetting failures before ``forget_before``."""
    with Transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE at < ?", (forget_before,))
        conn.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                         [(key, at) for key in keys])


def clear_login_failures(conn: Connection, key: str) -> None:
    """Forget the failed sign-ins counted under ``key``."""
    conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))


def publisher_by_token_hash(conn: Connection, token_hash: str):
    """The publisher row whose token hashes to ``token_hash``, or None."""
    return conn.execute(
        "SELECT * FROM publishers WHERE token_hash = ?", (token_hash,)).fetchone()


def list_publishers(conn: Connection) -> list:
    """Every publisher row, by name."""
    return conn.execute("SELECT * FROM publishers ORDER BY name").fetchall()


def revoke_publisher(conn: Connection, name: str) -> bool:
    """Mark the publisher revoked; False if there is no active one by that name."""
    cursor = conn.execute(
        "UPDATE publishers SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        (_utc_now_text(), name))
    return cursor.rowcount == 1


def set_publisher_password(conn: Connection, name: str, password_hash: str) -> bool:
    """Set an active publisher's password hash; False if there is no active one by that name."""
    cursor = conn.execute(
        "UPDATE publishers SET password_hash = ? WHERE name = ? AND revoked_at IS NULL",
        (password_hash, name))
    return cursor.rowcount == 1


# -- progress ------------------------------------------------------------------
# Play sessions (raw, per viewer; a viewer's newest session is where they
# resume), durations players reported, and the anonymous totals raw sessions
# are folded into once they expire.

def progress_batch_state(
    conn: Connection, media_ids: list[str], keys: list[tuple[str, str, str]]
) -> tuple[dict[str, tuple[float | None, float | None]], dict[tuple[str, str, str], dict],
           dict[str, float]]:
    """What a batch of reports builds on: for each of ``media_ids`` in the
    catalog its probed and player-reported durations, the stored state of
    each ``(viewer, media_id, session)`` that exists (decoded), and when each
    of the viewers last erased their history, if they did.

    Call inside the write transaction that saves the batch: on PostgreSQL
    the sessions and viewers read stay locked until it ends, so two servers
    writing reports of one viewer never lose one.
    """
    return backend(conn).progress_batch_state(conn, media_ids, keys)


def progress_item_durations(
    conn: Connection, media_id: str
) -> tuple[float | None, float | None] | None:
    """The probed and the player-reported duration of a catalog item, or
    None if there is no such item."""
    return backend(conn).progress_item_durations(conn, media_id)


def progress_save_sessions(
    conn: Connection, rows: list[tuple[str, str, str, float, float, bool, dict]],
) -> None:
    """Insert or update sessions, each ``(viewer, media_id, session, now,
    position, at_end, state)`` (``state`` a JSON-ready dict, stored as JSON
    text), in one statement. ``position`` and ``at_end`` repeat what
    ``state`` says, so resume look-ups need not decode it; a heartbeat
    changes no indexed column but ``updated_at``, so it rewrites one index,
    not three."""
    if rows:
        backend(conn).progress_save_sessions(conn, rows)


def progress_resume_point(conn: Connection, viewer: str, media_id: str):
    """The viewer's newest session of the item: where they stopped."""
    return conn.execute(
        "SELECT position, at_end, updated_at FROM progress_sessions"
        " WHERE viewer = ? AND media_id = ? ORDER BY updated_at DESC LIMIT 1",
        (viewer, media_id),
    ).fetchone()


def progress_reported_duration(conn: Connection, media_id: str) -> float | None:
    """The duration a player reported for an item probing could not measure, if any."""
    row = conn.execute(
        "SELECT duration FROM progress_durations WHERE media_id = ?", (media_id,)).fetchone()
    return row["duration"] if row else None


def progress_fill_duration(conn: Connection, media_id: str, duration: float, now: float) -> None:
    """Record the first duration a player reported for an item probing could
    not measure; later reports never replace it."""
    conn.execute(
        "INSERT INTO progress_durations (media_id, duration, reported_at) VALUES (?, ?, ?)"
        " ON CONFLICT (media_id) DO NOTHING",
        (media_id, duration, now),
    )


def progress_log_duration(
    conn: Connection, media_id: str, reported: float, authoritative: float,
    source: str, now: float, max_distinct: int = 20,
) -> None:
    """Count a player's report of a duration that disagrees with ours.

    Values are kept to a tenth of a second and at most ``max_distinct`` per
    item, so a client sending random durations cannot grow the table.
    """
    reported = round(reported, 1)
    updated = conn.execute(
        "UPDATE progress_duration_reports SET count = count + 1, last_at = ?,"
        " authoritative = ?, source = ? WHERE media_id = ? AND reported = ?",
        (now, authoritative, source, media_id, reported),
    ).rowcount
    if updated:
        return
    known = conn.execute(
        "SELECT COUNT(*) FROM progress_duration_reports WHERE media_id = ?", (media_id,)
    ).fetchone()[0]
    if known < max_distinct:
        # Another server may have added the value since the update above.
        conn.execute(
            "INSERT INTO progress_duration_reports"
            " (media_id, reported, authoritative, source, count, first_at, last_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (media_id, reported) DO UPDATE SET"
            " count = progress_duration_reports.count + 1, last_at = excluded.last_at,"
            " authoritative = excluded.authoritative, source = excluded.source",
            (media_id, reported, authoritative, source, now, now),
        )


def progress_duration_reports(conn: Connection, media_id: str) -> list:
    """The durations players reported for an item, most reported first."""
    return conn.execute(
        "SELECT reported, authoritative, source, count, first_at, last_at"
        " FROM progress_duration_reports WHERE media_id = ? ORDER BY count DESC, reported",
        (media_id,),
    ).fetchall()


def progress_sessions_of(conn: Connection, media_id: str) -> list:
    """Every raw session of an item: ``viewer`` and ``state`` (JSON text)."""
    return conn.execute(
        "SELECT viewer, state FROM progress_sessions WHERE media_id = ?", (media_id,)
    ).fetchall()


def progress_folded(conn: Connection, media_id: str) -> str | None:
    """An item's folded totals (JSON text), if any sessions were folded."""
    row = conn.execute(
        "SELECT tally FROM progress_folded WHERE media_id = ?", (media_id,)).fetchone()
    return row["tally"] if row else None


def progress_save_folded(conn: Connection, media_id: str, tally: str, now: float) -> None:
    """Store an item's folded totals (JSON text)."""
    conn.execute(
        "INSERT INTO progress_folded (media_id, tally, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (media_id) DO UPDATE SET tally = excluded.tally,"
        " updated_at = excluded.updated_at",
        (media_id, tally, now),
    )


def progress_expired_sessions(conn: Connection, before: float, limit: int) -> list:
    """The oldest ``limit`` sessions last updated before ``before``, by item.

    Call inside the write transaction that folds them: on PostgreSQL they
    stay locked until it ends, and one folder runs at a time.
    """
    return backend(conn).progress_expired_sessions(conn, before, limit)


def progress_delete_sessions(conn: Connection, ids: Iterable[int]) -> None:
    """Delete sessions by id."""
    ids = [(i,) for i in ids]
    if ids:
        conn.executemany("DELETE FROM progress_sessions WHERE id = ?", ids)


def progress_erase_viewer(conn: Connection, viewer: str, now: float) -> int:
    """Delete every session stored under a viewer key; returns how many.

    The erasure is marked with its time, so a report received before it but
    written after it (queued in another process) can be told apart and
    dropped; see :func:`progress_batch_state`. Call inside a write transaction.
    """
    backend(conn).lock_viewers(conn, [viewer])
    erased = conn.execute("DELETE FROM progress_sessions WHERE viewer = ?", (viewer,)).rowcount
    conn.execute(
        "INSERT INTO progress_erasures (viewer, erased_at) VALUES (?, ?)"
        " ON CONFLICT (viewer) DO UPDATE SET erased_at = excluded.erased_at",
        (viewer, now),
    )
    return erased


def progress_forget_erasures(conn: Connection, before: float) -> None:
    """Forget erasure marks older than ``before``."""
    conn.execute("DELETE FROM progress_erasures WHERE erased_at < ?", (before,))


def progress_delete_media(conn: Connection, media_id: str) -> None:
    """Forget all progress and statistics of a deleted media item.

    Call inside a write transaction: on PostgreSQL it waits for writers
    storing reports of the item, whose sessions it then deletes too.
    """
    backend(conn).lock_media(conn, [media_id])
    for table in ("progress_sessions", "progress_durations", "progress_duration_reports",
                  "progress_folded"):
        conn.execute(f"DELETE FROM {table} WHERE media_id = ?", (media_id,))


# -- search ---------------------------------------------------------------------
# Cue text of every offered track, in each backend's full-text index. A
# cue's key is its track's id shifted left by SEARCH_TRACK_SHIFT plus the
# cue's position in the track, so one track's cues form one key range.

def search_tracks(conn: Connection) -> dict:
    """Every indexed track by path."""
    return {row["path"]: row for row in conn.execute("SELECT * FROM search_tracks")}


def search_forget_track(conn: Connection, track_id: int) -> None:
    """Drop a track and its cues from the index."""
    backend(conn).search_forget_track(conn, track_id)


def search_store_track(
    conn: Connection, path: str, media_id: str, kind: str, lang: str, size: int,
    mtime_ns: int, cues: Iterable[tuple[float, float, str]],
) -> int:
    """Index a track's cues, ``(start, end, text)`` in file order; returns its id."""
    return backend(conn).search_store_track(conn, path, media_id, kind, lang, size, mtime_ns,
                                            cues)


def search_counts(conn: Connection, fts_query: str, limit: int) -> list:
    """Matching cues per track of a catalog item, with the item's title,
    counting at most ``limit`` matches (in index order).

    ``fts_query`` is an FTS5 expression made only of quoted strings, each
    optionally followed by ``*`` (see :func:`player.search.index.parse_query`);
    PostgreSQL reads the same expression.
    """
    return backend(conn).search_counts(conn, fts_query, limit)


def search_hits(
    conn: Connection, fts_query: str, track_id: int, limit: int, open_mark: str,
    close_mark: str,
) -> list:
    """The first ``limit`` matching cues of one track: ``start``, ``end``
    and ``marked``, the text with the matched words between ``open_mark``
    and ``close_mark``."""
    return backend(conn).search_hits(conn, fts_query, track_id, limit, open_mark, close_mark)


# -- progress: running totals and agreed durations ------------------------------------
# progress_live keeps each item's statistics of its raw sessions as running
# totals, which the progress writer updates with every batch, so reading the
# statistics costs the same however many sessions there are. ``basis`` names
# the duration and rules the totals were computed with; totals on another
# basis are recomputed from the raw sessions once.
#
# progress_duration_votes keeps, for items whose duration the server cannot
# read, the duration players reported, one vote per client address (a keyed
# hash, never the address); what enough of them agree on goes into
# progress_durations.
#
# On PostgreSQL the items read here are locked until the transaction ends
# (see player.db.postgresql), so two servers never add to one total at once.

def progress_live_tallies(conn: Connection, media_ids: list[str]
                          ) -> dict[str, tuple[str, str]]:
    """For each of ``media_ids`` that has running totals: ``(basis, tally JSON)``.

    Call inside the write transaction that updates them.
    """
    if not media_ids:
        return {}
    return backend(conn).progress_live_tallies(conn, media_ids)


def progress_save_live(conn: Connection, rows: list[tuple[str, str, str]]) -> None:
    """Insert or replace running totals, each ``(media_id, basis, tally JSON)``."""
    if rows:
        conn.executemany(
            "INSERT INTO progress_live (media_id, basis, tally) VALUES (?, ?, ?)"
            " ON CONFLICT (media_id) DO UPDATE SET basis = excluded.basis,"
            " tally = excluded.tally",
            rows)


def progress_drop_live(conn: Connection, media_ids: Iterable[str]) -> None:
    """Forget running totals, to be recomputed from the raw sessions when next read."""
    rows = [(media_id,) for media_id in media_ids]
    if rows:
        conn.executemany("DELETE FROM progress_live WHERE media_id = ?", rows)


def progress_drop_live_of_viewer(conn: Connection, viewer: str) -> None:
    """Forget the running totals of every item the viewer has sessions of.

    Call inside the write transaction that erases the viewer.
    """
    backend(conn).progress_drop_live_of_viewer(conn, viewer)


def progress_viewers_with_plays(conn: Connection, pairs: list[tuple[str, str]]
                                ) -> set[tuple[str, str]]:
    """Which ``(viewer, media_id)`` of ``pairs`` have a stored session that
    played something."""
    if not pairs:
        return set()
    return backend(conn).progress_viewers_with_plays(conn, pairs)


def progress_sessions_states(conn: Connection, media_id: str) -> list[tuple[str, str]]:
    """``(viewer, state JSON)`` of every raw session of an item."""
    return [(row[0], row[1]) for row in conn.execute(
        "SELECT viewer, state FROM progress_sessions WHERE media_id = ?", (media_id,))]


def progress_duration_votes(conn: Connection, media_ids: list[str]
                            ) -> dict[str, dict[str, tuple[float, float]]]:
    """For each of ``media_ids``: ``{voter: (duration, voted_at)}``.

    Call inside the write transaction that counts new votes.
    """
    votes: dict[str, dict[str, tuple[float, float]]] = {m: {} for m in media_ids}
    if media_ids:
        for media_id, voter, duration, voted_at in backend(conn).progress_duration_votes(
                conn, media_ids):
            votes[media_id][voter] = (duration, voted_at)
    return votes


def progress_save_votes(conn: Connection, media_id: str,
                        votes: list[tuple[str, float, float]], keep: int) -> None:
    """Record votes ``(voter, duration, voted_at)`` for an item, a voter's newest
    replacing their earlier one, and keep only the ``keep`` newest votes."""
    conn.executemany(
        "INSERT INTO progress_duration_votes (media_id, voter, duration, voted_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (media_id, voter) DO UPDATE SET"
        " duration = excluded.duration, voted_at = excluded.voted_at",
        [(media_id, *vote) for vote in votes])
    conn.execute(
        "DELETE FROM progress_duration_votes WHERE media_id = ? AND voter NOT IN"
        " (SELECT voter FROM progress_duration_votes WHERE media_id = ?"
        "  ORDER BY voted_at DESC, voter LIMIT ?)", (media_id, media_id, keep))


def progress_forget_votes(conn: Connection, before: float) -> None:
    """Forget votes older than ``before``."""
    conn.execute("DELETE FROM progress_duration_votes WHERE voted_at < ?", (before,))


def progress_set_player_duration(conn: Connection, media_id: str,
                                 duration: float | None, now: float) -> None:
    """Set the duration players agree on for an item (None: they agree on none)."""
    if duration is None:
        conn.execute("DELETE FROM progress_durations WHERE media_id = ?", (media_id,))
    else:
        conn.execute(
            "INSERT INTO progress_durations (media_id, duration, reported_at) VALUES (?, ?, ?)"
            " ON CONFLICT (media_id) DO UPDATE SET duration = excluded.duration,"
            " reported_at = excluded.reported_at", (media_id, duration, now))


def progress_delete_media_live(conn: Connection, media_id: str) -> None:
    """Forget the running totals and duration votes of a deleted media item."""
    for table in ("progress_live", "progress_duration_votes"):
        conn.execute(f"DELETE FROM {table} WHERE media_id = ?", (media_id,))
