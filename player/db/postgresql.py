"""PostgreSQL, the shared backend: ``PLAYER_DATABASE=postgresql://user:pass@host:port/db``.

Connections
    Request threads borrow a connection from one pool per process and
    database (:func:`pooled`; :func:`player.db.get_db` keeps it for the
    request); long-lived users (the progress writer, the media fast path,
    commands) open their own (:func:`connect`). Either is a
    :class:`Connection`: in autocommit mode, as SQLite connections are here,
    until a transaction begins. Its ``execute`` takes the ``?`` placeholders
    of the statements both backends share (:mod:`player.db.queries`); the
    statements of this module are written with psycopg's ``%s`` and run
    through :meth:`Connection.run`.

Concurrency
    SQLite has one writer at a time; here several app servers write at once,
    in READ COMMITTED transactions. A statement that reads a row to write it
    back computed in Python locks what it reads: a batch first locks every
    viewer it has reports of with a transaction-scoped advisory lock
    (:func:`lock_viewers`), which an erasure takes too, so only one
    transaction at a time reads, adds or changes a viewer's sessions; the
    sessions are then read ``FOR UPDATE``; and an item's running totals and
    duration votes are guarded by an advisory lock per item
    (:func:`lock_media`), which the writer, folding, statistics and deletion
    take. So no report is lost between two servers, none outlives an
    erasure it preceded, and no total misses one. Whole-table rewrites (the
    catalog) and folding take a named advisory lock (:func:`lock`). Every
    transaction takes its locks in one order (named lock, viewers, session
    rows by id, items, each set by key), so writers queue instead of
    deadlocking; should PostgreSQL still find a deadlock, it aborts one
    transaction and the writer's retry of each report alone settles it.

Search
    Cues are in ``search_cues`` with a ``tsvector`` per cue and a GIN index.
    Words are cut as SQLite's ``unicode61`` tokenizer cuts them (runs of
    letters, digits and marks; see :func:`words`), not by PostgreSQL's text
    parser, which reads ``example.com``, ``2.0`` or ``e-mail`` as one token
    where the SQLite index has two; each word is lower-cased and stripped of
    combining marks here and of diacritics by the ``unaccent`` extension,
    and stored at its position like the ``simple`` configuration stores words
    (no stemming, no stop words). Queries go through the same steps, so
    ``"phrases"`` become ``<->`` chains and ``prefix*`` a ``:*`` lexeme, and
    the highlighting marks what FTS5's ``highlight()`` marks, computed from
    the positions the ``tsvector`` records.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import threading
import unicodedata
import weakref
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from .errors import DatabaseError, DatabaseIntegrityError

NAME = "postgresql"
#: As on SQLite: a cue's id is its track's id shifted left by this, plus its
#: position in the track, so one track's cues are one range of the primary key.
SEARCH_TRACK_SHIFT = 20
#: Connections a process's pool holds at most, unless ``DATABASE_POOL_SIZE`` says.
POOL_SIZE = 20

#: The first key of every advisory lock the application takes, so that its
#: locks never meet another application's on a shared server ("play").
LOCK_SPACE = 0x706C6179
#: Viewer locks have a key space of their own: (VIEWER_LOCK_SPACE, hash of the key).
VIEWER_LOCK_SPACE = LOCK_SPACE + 1
#: And so do items' progress totals: (MEDIA_LOCK_SPACE, hash of the media id).
MEDIA_LOCK_SPACE = LOCK_SPACE + 2
#: Named locks, the second key in LOCK_SPACE.
LOCKS = {"migrate": 1, "catalog": 2, "fold": 3}


# -- rows and connections ------------------------------------------------------------

class Row(tuple):
    """A result row read by position or by column name, like :class:`sqlite3.Row`."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                key = self._index[key]
            except KeyError:
                raise IndexError(f"No item with that key: {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


@functools.lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor: psycopg.Cursor) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(column.name for column in description))


@functools.lru_cache(maxsize=1024)
def _native(sql: str) -> str:
    """A statement written for sqlite3 (``?`` placeholders) in psycopg's terms."""
    return sql.replace("%", "%%").replace("?", "%s")


def _translate(exc: psycopg.Error) -> DatabaseError:
    cls = DatabaseIntegrityError if isinstance(exc, psycopg.IntegrityError) else DatabaseError
    error = cls(str(exc).strip() or type(exc).__name__)
    error.sqlstate = getattr(exc, "sqlstate", None)
    return error


class Connection:
    """A psycopg connection as the rest of the application uses a sqlite3 one.

    ``execute`` and ``executemany`` take statements with ``?`` placeholders
    and return cursors whose rows are :class:`Row`; ``close`` hands a pooled
    connection back to its pool. Every psycopg error comes out as a
    :class:`~player.db.base.DatabaseError`.
    """

    def __init__(self, raw: psycopg.Connection, pool: ConnectionPool | None = None):
        self.raw: psycopg.Connection | None = raw
        self._pool = pool
        # A connection of its own kept per thread (the media fast path keeps
        # one) is closed when its owner goes, as a sqlite3 one would be. The
        # finalizer holds the psycopg connection, so that the two are never
        # collected together with the connection's own finalizer first (it
        # warns when it finds itself open).
        self._finalizer = weakref.finalize(self, _close_quietly, raw) if pool is None else None
        if self._finalizer is not None:
            # Not at exit: finalizers then run before atexit functions
            # registered earlier, such as the progress writer's final write,
            # which would find its connection closed and drop its queue.
            self._finalizer.atexit = False

    def execute(self, sql: str, params: Sequence | dict = ()) -> psycopg.Cursor:
        """Run a statement written with ``?`` placeholders.

        :raises DatabaseError: if PostgreSQL refuses it.
        """
        return self.run(_native(sql), params)

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence]) -> psycopg.Cursor:
        """Run a ``?`` statement once per parameter sequence, pipelined.

        :raises DatabaseError: if PostgreSQL refuses one.
        """
        cursor = self.raw.cursor()
        try:
            cursor.executemany(_native(sql), seq_of_params)
        except psycopg.Error as exc:
            raise _translate(exc) from exc
        return cursor

    def run(self, sql: str, params: Sequence | dict | None = None) -> psycopg.Cursor:
        """Run a statement written with psycopg's ``%s`` placeholders.

        :raises DatabaseError: if PostgreSQL refuses it.
        """
        try:
            return self.raw.execute(sql, params)
        except psycopg.Error as exc:
            raise _translate(exc) from exc

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and not yet rolled back)."""
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def commit(self) -> None:
        """Commit the open transaction, if there is one."""
        if self.in_transaction:
            self.run("COMMIT")

    def rollback(self) -> None:
        """Roll the open transaction back, if there is one."""
        if self.in_transaction:
            self.run("ROLLBACK")

    def close(self) -> None:
        """Close the connection, or roll back and give it back to its pool."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        if self._pool is None:
            self._finalizer.detach()
            raw.close()
            return
        if not raw.closed and raw.info.transaction_status != TransactionStatus.IDLE:
            try:
                raw.execute("ROLLBACK")
            except psycopg.Error:
                pass  # the pool finds the connection broken and replaces it
        self._pool.putconn(raw)

def _close_quietly(raw: psycopg.Connection) -> None:
    try:
        raw.close()
    except Exception:
        pass  # a connection the server dropped, or one already closed


def connect(url: str) -> Connection:
    """A connection of its own, for a user that keeps it.

    :raises DatabaseError: if the server cannot be reached or refuses the login.
    """
    try:
        raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
    except psycopg.Error as exc:
        raise _translate(exc) from exc
    return Connection(raw)


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()
# Pools a forked child inherited: their connections and threads are the
# parent's, so the child never touches them, not even to close them.
_inherited: list[ConnectionPool] = []


def pooled(url: str, size: int = POOL_SIZE) -> Connection:
    """A connection borrowed from this process's pool for ``url``; ``close()`` returns it.

    :raises DatabaseError: if no connection is free or can be made within 30 seconds.
    """
    pool = _pools.get(url)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(url)
            if pool is None:
                pool = _pools[url] = ConnectionPool(
                    url, min_size=1, max_size=max(1, int(size)), open=True,
                    name="player", kwargs={"autocommit": True, "row_factory": _row_factory},
                    # A connection that broke while idle (a server restart)
                    # is replaced before a request gets it.
                    check=ConnectionPool.check_connection)
    try:
        return Connection(pool.getconn(), pool)
    except psycopg.Error as exc:
        raise _translate(exc) from exc


def release(url: str) -> None:
    """Close this process's pool for ``url``, if it has one."""
    with _pools_lock:
        pool = _pools.pop(url, None)
    if pool is not None:
        pool.close()


def _release_all() -> None:
    for url in list(_pools):
        release(url)


def _forget_pools_in_child() -> None:
    global _pools_lock
    _inherited.extend(_pools.values())
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_in_child)
atexit.register(_release_all)


# -- transactions, locks, migrations ------------------------------------------------

def prepare(conn: Connection) -> None:
    """Nothing to prepare: the server keeps its own settings."""


def begin(conn: Connection) -> None:
    """Start a write transaction."""
    conn.run("BEGIN")


def commit(conn: Connection) -> None:
    """Commit the open transaction."""
    conn.run("COMMIT")


def rollback(conn: Connection) -> None:
    """Roll the open transaction back."""
    conn.run("ROLLBACK")


def lock(conn: Connection, name: str) -> None:
    """Take the named advisory lock (see :data:`LOCKS`) until the transaction ends."""
    conn.run("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACE, LOCKS[name]))


def _lock_key(text: str) -> int:
    # A signed 32-bit key that every process and server computes alike
    # (Python's hash() differs between processes).
    return zlib.crc32(text.encode("utf-8")) - (1 << 31)


def _lock_all(conn: Connection, space: int, names: Iterable[str]) -> None:
    # In key order, so that two transactions locking overlapping sets never
    # wait for each other.
    keys = sorted({_lock_key(name) for name in names})
    if keys:
        conn.run("SELECT pg_advisory_xact_lock(%s, k)"
                 " FROM unnest(%s::int4[]) WITH ORDINALITY AS l(k, n) ORDER BY n",
                 (space, keys))


def lock_viewers(conn: Connection, viewers: Iterable[str]) -> None:
    """Lock viewers until the transaction ends (a new session, an erasure)."""
    _lock_all(conn, VIEWER_LOCK_SPACE, viewers)


def lock_media(conn: Connection, media_ids: Iterable[str]) -> None:
    """Lock items' progress totals and votes until the transaction ends."""
    _lock_all(conn, MEDIA_LOCK_SPACE, media_ids)


def run_script(conn: Connection, script: str) -> None:
    """Run a script of several statements (no parameters) in the open transaction."""
    conn.run(script)


def table_exists(conn: Connection, name: str) -> bool:
    """Whether the database has a table of that name."""
    return conn.run("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


# -- caches and the catalog ----------------------------------------------------------

def cached_track(
    conn: Connection, path: str, size: int, mtime_ns: int, duration: float | None
) -> str | None:
    """PostgreSQL's :func:`player.db.queries.cached_track`."""
    row = conn.run(
        "SELECT result FROM track_cache WHERE path = %s AND size = %s AND mtime_ns = %s"
        " AND duration IS NOT DISTINCT FROM %s::float8",
        (path, size, mtime_ns, duration),
    ).fetchone()
    return row[0] if row else None


def scan_problems(conn: Connection) -> list[tuple[str, str]]:
    """PostgreSQL's :func:`player.db.queries.scan_problems`."""
    return [(r[0], r[1]) for r in conn.run("SELECT path, message FROM scan_problems ORDER BY id")]


# -- progress -----------------------------------------------------------------------

_SESSIONS_FOR_UPDATE = (
    "SELECT s.viewer, s.media_id, s.session, s.state FROM progress_sessions AS s"
    " JOIN unnest(%s::text[], %s::text[], %s::text[]) AS k(viewer, media_id, session)"
    " ON s.viewer = k.viewer AND s.media_id = k.media_id AND s.session = k.session"
    " ORDER BY s.id FOR UPDATE OF s"
)


def _columns(keys: Sequence[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str]]:
    return [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]


def progress_batch_state(
    conn: Connection, media_ids: list[str], keys: list[tuple[str, str, str]]
) -> tuple[dict[str, tuple[float | None, float | None]], dict[tuple[str, str, str], dict],
           dict[str, float]]:
    """PostgreSQL's :func:`player.db.queries.progress_batch_state`."""
    # The first statement of a progress batch: its commit need not wait for
    # the log to reach the disk. What an app server acknowledged survives
    # that server dying (the database has it); only a crash of PostgreSQL
    # itself could lose the last few hundred milliseconds of positions
    # (three wal_writer_delay), a price a viewer's resume point can pay and
    # what lets many servers wait for their commits cheaply.
    conn.run("SET LOCAL synchronous_commit TO off")
    # The viewers first, every one of the batch: no other server's batch can
    # then add or change one of their sessions until this one commits, so
    # what the next statement does not find is not there. (Locking only the
    # viewers of sessions not found, after locking the rows found, let two
    # servers each hold what the other waited for whenever a viewer's new
    # session appeared between their reads: PostgreSQL broke such deadlocks
    # dozens of times a second in bench/progress_pg.py.) Then the sessions,
    # then the items, whose totals the batch updates. Erasures and durations
    # are read last, under those locks, so an erasure or a deletion
    # committed now is seen.
    lock_viewers(conn, (key[0] for key in keys))
    states = {(v, m, s): json.loads(state)
              for v, m, s, state in conn.run(_SESSIONS_FOR_UPDATE, _columns(keys))}
    lock_media(conn, media_ids)
    durations, erased = conn.run(
        "SELECT (SELECT coalesce(json_object_agg(i.id, json_build_array("
        "  i.data::json -> 'duration', d.duration)), '{}')"
        "  FROM items AS i LEFT JOIN progress_durations AS d ON d.media_id = i.id"
        "  WHERE i.id = ANY(%s::text[])),"
        " (SELECT coalesce(json_object_agg(viewer, erased_at), '{}')"
        "  FROM progress_erasures WHERE viewer = ANY(%s::text[]))",
        (media_ids, list({key[0] for key in keys})),
    ).fetchone()
    return ({media_id: (probed, reported) for media_id, (probed, reported) in durations.items()},
            states, erased)


def progress_item_durations(
    conn: Connection, media_id: str
) -> tuple[float | None, float | None] | None:
    """PostgreSQL's :func:`player.db.queries.progress_item_durations`."""
    row = conn.run(
        "SELECT i.data::json -> 'duration', d.duration FROM items AS i"
        " LEFT JOIN progress_durations AS d ON d.media_id = i.id WHERE i.id = %s",
        (media_id,),
    ).fetchone()
    return (row[0], row[1]) if row else None


def progress_save_sessions(
    conn: Connection, rows: list[tuple[str, str, str, float, float, bool, dict]],
) -> None:
    """PostgreSQL's :func:`player.db.queries.progress_save_sessions`."""
    # In key order, so that two servers' batches touching the same sessions
    # take the row locks in the same order and never deadlock.
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2]))
    conn.run(
        "INSERT INTO progress_sessions"
        " (viewer, media_id, session, started_at, updated_at, position, at_end, state)"
        " SELECT v, m, s, t, t, p, e, st FROM unnest(%s::text[], %s::text[], %s::text[],"
        " %s::float8[], %s::float8[], %s::int4[], %s::text[]) AS r(v, m, s, t, p, e, st)"
        " ON CONFLICT (viewer, media_id, session) DO UPDATE SET"
        " updated_at = excluded.updated_at, position = excluded.position,"
        " at_end = excluded.at_end, state = excluded.state",
        ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
         [float(r[3]) for r in rows], [float(r[4]) for r in rows], [int(r[5]) for r in rows],
         [json.dumps(r[6], separators=(",", ":")) for r in rows]),
    )


def progress_expired_sessions(conn: Connection, before: float, limit: int) -> list[Row]:
    """PostgreSQL's :func:`player.db.queries.progress_expired_sessions`."""
    # One folder at a time, and the sessions it folds locked: a report
    # written meanwhile either lands before (the session is no longer
    # expired and stays) or after (it starts a new session).
    lock(conn, "fold")
    rows = conn.run(
        "SELECT id, media_id, viewer, state FROM"
        " (SELECT id, media_id, viewer, state, updated_at FROM progress_sessions"
        "  WHERE updated_at < %s ORDER BY updated_at, id LIMIT %s FOR UPDATE) AS s"
        " ORDER BY media_id, updated_at, id",
        (before, limit),
    ).fetchall()
    lock_media(conn, {row[1] for row in rows})
    return rows


def progress_live_tallies(conn: Connection, media_ids: list[str]
                          ) -> dict[str, tuple[str, str]]:
    """PostgreSQL's :func:`player.db.queries.progress_live_tallies`."""
    lock_media(conn, media_ids)
    rows = conn.run("SELECT media_id, basis, tally FROM progress_live"
                    " WHERE media_id = ANY(%s::text[])", (media_ids,))
    return {row[0]: (row[1], row[2]) for row in rows}


def progress_drop_live_of_viewer(conn: Connection, viewer: str) -> None:
    """PostgreSQL's :func:`player.db.queries.progress_drop_live_of_viewer`."""
    # The erasure's locks, in the writer's order (viewer, sessions, items),
    # before the items are known for certain: a session another server adds
    # meanwhile is then either seen here or written after the erasure.
    lock_viewers(conn, [viewer])
    conn.run("SELECT id FROM progress_sessions WHERE viewer = %s ORDER BY id FOR UPDATE",
             (viewer,))
    media_ids = [row[0] for row in conn.run(
        "SELECT DISTINCT media_id FROM progress_sessions WHERE viewer = %s", (viewer,))]
    lock_media(conn, media_ids)
    conn.run("DELETE FROM progress_live WHERE media_id = ANY(%s::text[])", (media_ids,))


def progress_viewers_with_plays(conn: Connection, pairs: list[tuple[str, str]]
                                ) -> set[tuple[str, str]]:
    """PostgreSQL's :func:`player.db.queries.progress_viewers_with_plays`."""
    rows = conn.run(
        "SELECT DISTINCT s.viewer, s.media_id FROM progress_sessions AS s"
        " JOIN unnest(%s::text[], %s::text[]) AS p(viewer, media_id)"
        " ON s.viewer = p.viewer AND s.media_id = p.media_id"
        " WHERE (s.state::json ->> 'watched')::float8 > 0",
        ([p[0] for p in pairs], [p[1] for p in pairs]))
    return {(row[0], row[1]) for row in rows}


def progress_duration_votes(conn: Connection, media_ids: list[str]) -> list[Row]:
    """PostgreSQL's :func:`player.db.queries.progress_duration_votes`."""
    lock_media(conn, media_ids)
    return conn.run(
        "SELECT media_id, voter, duration, voted_at FROM progress_duration_votes"
        " WHERE media_id = ANY(%s::text[])", (media_ids,)).fetchall()


# -- search ---------------------------------------------------------------------------

#: Longest lexeme PostgreSQL stores, in bytes; longer words are not indexed.
MAX_LEXEME_BYTES = 2046
#: Highest position a tsvector records; words after it are not indexed.
MAX_POSITION = 16383


@functools.cache
def _word_pattern() -> re.Pattern:
    # unicode61 with remove_diacritics keeps letters, numbers, private-use
    # characters and non-spacing marks in words ([^\W_] is what str.isalnum
    # accepts). The marks outside \w are collected once; they all live in
    # the first two planes and the variation selectors of plane 14.
    ranges: list[list[int]] = []
    for cp in (*range(0x20000), *range(0xE0000, 0xE1000)):
        ch = chr(cp)
        if unicodedata.category(ch) == "Mn" and not ch.isalnum():
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    marks = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b != a else "")
                    for a, b in ranges)
    private = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
    return re.compile(f"(?:[^\\W_]|[{marks}{private}])+")


def words(text: str) -> list[re.Match]:
    """The words of ``text`` as SQLite's ``unicode61`` tokenizer finds them."""
    return list(_word_pattern().finditer(text))


def _fold(word: str) -> str:
    word = word.lower()
    if word.isascii():
        return word
    return "".join(ch for ch in word if unicodedata.category(ch) != "Mn")


# Words as unaccent leaves them: its rules never change, so each process asks
# the server once per word. Bounded, since queries bring arbitrary words.
_unaccented: dict[str, str] = {}
_UNACCENTED_LIMIT = 100_000


def _lexemes(conn: Connection, folded: list[str]) -> list[str]:
    """The lexemes of folded words: without diacritics (``unaccent``), lower case."""
    todo = list({w for w in folded if not w.isascii() and w not in _unaccented})
    if todo:
        if len(_unaccented) > _UNACCENTED_LIMIT:
            _unaccented.clear()
        for word, plain in conn.run("SELECT w, unaccent(w) FROM unnest(%s::text[]) AS w",
                                    (todo,)):
            _unaccented[word] = plain.lower() or word
    return [w if w.isascii() else _unaccented.get(w, w) for w in folded]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(lexemes: list[str]) -> str:
    positions: dict[str, list[str]] = {}
    for n, lexeme in enumerate(lexemes[:MAX_POSITION], 1):
        if lexeme and len(lexeme.encode("utf-8")) <= MAX_LEXEME_BYTES:
            positions.setdefault(lexeme, []).append(str(n))
    return " ".join(f"{_quote(lexeme)}:{','.join(ns)}" for lexeme, ns in positions.items())


_FTS_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')

Terms = list[tuple[list[str], bool]]


def _query(conn: Connection, fts_query: str) -> tuple[str, Terms]:
    """The tsquery for an FTS5 expression of quoted strings (each a phrase,
    ``*`` after it a prefix), and its terms as lexemes for highlighting."""
    terms: Terms = []
    for match in _FTS_TERM.finditer(fts_query):
        folded = [_fold(m.group()) for m in words(match.group(1).replace('""', '"'))]
        if folded:
            terms.append((folded, bool(match.group(2))))
    flat = _lexemes(conn, [w for folded, _ in terms for w in folded])
    phrases: Terms = []
    for folded, prefix in terms:
        phrases.append((flat[:len(folded)], prefix))
        flat = flat[len(folded):]
    parts = []
    for lexemes, prefix in phrases:
        quoted = [_quote(lexeme) for lexeme in lexemes]
        if prefix:
            quoted[-1] += ":*"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts), phrases


def _highlight(text: str, lexemes: list, terms: Terms, open_mark: str, close_mark: str) -> str:
    """``text`` with each match between marks, as FTS5's ``highlight()`` puts them.

    ``lexemes`` is the cue's tsvector as ``[lexeme, [positions]]`` pairs. Every
    instance of every term is found; instances that overlap are merged into
    one mark, ones that merely touch are not.
    """
    at = {n: lexeme for lexeme, positions in lexemes for n in positions}
    found = words(text)
    spans: list[tuple[int, int]] = []
    for phrase, prefix in terms:
        last = len(phrase) - 1
        for first in range(len(found) - last):
            for j, want in enumerate(phrase):
                have = at.get(first + j + 1)
                if have is None or not (have == want or (prefix and j == last
                                                         and have.startswith(want))):
                    break
            else:
                spans.append((first, first + last))
    spans.sort()
    merged: list[list[int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    out, done = [], 0
    for first, last in merged:
        start, end = found[first].start(), found[last].end()
        out += [text[done:start], open_mark, text[start:end], close_mark]
        done = end
    out.append(text[done:])
    return "".join(out)


def search_forget_track(conn: Connection, track_id: int) -> None:
    """PostgreSQL's :func:`player.db.queries.search_forget_track`."""
    first = track_id << SEARCH_TRACK_SHIFT
    conn.run("DELETE FROM search_cues WHERE id BETWEEN %s AND %s",
             (first, first + (1 << SEARCH_TRACK_SHIFT) - 1))
    conn.run("DELETE FROM search_tracks WHERE id = %s", (track_id,))


def search_store_track(
    conn: Connection, path: str, media_id: str, kind: str, lang: str, size: int,
    mtime_ns: int, cues: Iterable[tuple[float, float, str]],
) -> int:
    """PostgreSQL's :func:`player.db.queries.search_store_track`."""
    track_id = conn.run(
        "INSERT INTO search_tracks (path, media_id, kind, lang, size, mtime_ns)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (path, media_id, kind, lang, size, mtime_ns),
    ).fetchone()[0]
    cues = list(cues)
    folded = [[_fold(m.group()) for m in words(text)] for _, _, text in cues]
    flat = _lexemes(conn, [w for cue in folded for w in cue])
    vectors = []
    for cue in folded:
        vectors.append(_tsvector(flat[:len(cue)]))
        flat = flat[len(cue):]
    first = track_id << SEARCH_TRACK_SHIFT
    conn.run(
        'INSERT INTO search_cues (id, start, "end", text, words)'
        " SELECT * FROM unnest(%s::int8[], %s::float8[], %s::float8[], %s::text[],"
        " %s::text[]::tsvector[])",
        ([first + n for n in range(len(cues))], [float(c[0]) for c in cues],
         [float(c[1]) for c in cues], [c[2] for c in cues], vectors),
    )
    return track_id


def search_counts(conn: Connection, fts_query: str, limit: int) -> list[Row]:
    """PostgreSQL's :func:`player.db.queries.search_counts`."""
    # Matches are counted in id order, as FTS5 counts them in rowid order,
    # so that a limited count stops at the same cue on both backends.
    tsquery, _ = _query(conn, fts_query)
    if not tsquery:
        return []
    return conn.run(
        "SELECT t.id AS track_id, t.media_id, t.kind, t.lang, m.hits,"
        " i.data::json ->> 'title' AS title"
        f" FROM (SELECT id >> {SEARCH_TRACK_SHIFT} AS track_id, count(*) AS hits FROM"
        "       (SELECT id FROM search_cues WHERE words @@ %s::tsquery ORDER BY id LIMIT %s)"
        "       AS c GROUP BY 1) AS m"
        " JOIN search_tracks AS t ON t.id = m.track_id"
        " JOIN items AS i ON i.id = t.media_id",
        (tsquery, limit),
    ).fetchall()


def search_hits(
    conn: Connection, fts_query: str, track_id: int, limit: int, open_mark: str,
    close_mark: str,
) -> list[dict]:
    """PostgreSQL's :func:`player.db.queries.search_hits`."""
    tsquery, terms = _query(conn, fts_query)
    if not tsquery:
        return []
    first = track_id << SEARCH_TRACK_SHIFT
    rows = conn.run(
        'SELECT start, "end", text, (SELECT coalesce(json_agg(json_build_array('
        " u.lexeme, u.positions)), '[]') FROM unnest(c.words) AS u) AS lexemes"
        " FROM search_cues AS c WHERE words @@ %s::tsquery AND id BETWEEN %s AND %s"
        " ORDER BY id LIMIT %s",
        (tsquery, first, first + (1 << SEARCH_TRACK_SHIFT) - 1, limit),
    )
    return [{"start": start, "end": end,
             "marked": _highlight(text, lexemes, terms, open_mark, close_mark)}
            for start, end, text, lexemes in rows]
