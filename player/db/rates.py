"""The statements of the flood-limit counts that app servers share
(:class:`player.progress.limits.SharedCounts`), table ``rate_counts``
(schema version 5)."""

from __future__ import annotations

from collections.abc import Mapping

from .base import Connection, Transaction, backend

#: One count: (kind of limit, key).
Key = tuple[str, str]

_SYNC_POSTGRESQL = """
WITH added AS (
    INSERT INTO rate_counts (kind, key, window_number, count)
    SELECT d.kind, d.key, %(window)s, d.n
    FROM unnest(%(kinds)s::text[], %(keys)s::text[], %(counts)s::int8[]) AS d(kind, key, n)
    ORDER BY d.kind, d.key
    ON CONFLICT (kind, key, window_number)
    DO UPDATE SET count = rate_counts.count + excluded.count
    RETURNING kind, key, count
)
SELECT kind, key, count FROM added
UNION ALL
SELECT r.kind, r.key, r.count FROM rate_counts AS r
JOIN unnest(%(limit_kinds)s::text[], %(limits)s::int8[]) AS l(kind, most) ON r.kind = l.kind
WHERE r.window_number = %(window)s AND r.count >= l.most
"""


def rate_sync(conn: Connection, window: int, added: Mapping[Key, int],
              limits: Mapping[str, int]) -> dict[Key, int]:
    """Add this process's counts of ``window`` and read the totals back.

    Returns the total of every key added, and of every key whose total
    (from any server) reached its kind's limit; in one round trip on
    PostgreSQL. Keys are written in order, so servers adding overlapping
    keys at once queue rather than deadlock.

    :raises player.db.DatabaseError: if the database refuses.
    """
    ordered = sorted(added.items())
    if backend(conn).NAME == "postgresql":
        rows = conn.run(_SYNC_POSTGRESQL, {
            "window": window, "kinds": [k for (k, _), _ in ordered],
            "keys": [key for (_, key), _ in ordered], "counts": [n for _, n in ordered],
            "limit_kinds": list(limits), "limits": list(limits.values())}).fetchall()
    else:
        with Transaction(conn):
            for (kind, key), n in ordered:
                conn.execute(
                    "INSERT INTO rate_counts (kind, key, window_number, count) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (kind, key, window_number)"
                    " DO UPDATE SET count = count + excluded.count", (kind, key, window, n))
            rows = []
            for kind, most in limits.items():
                rows += conn.execute(
                    "SELECT kind, key, count FROM rate_counts WHERE window_number = ?"
                    " AND kind = ? AND count >= ?", (window, kind, most)).fetchall()
            rows += [conn.execute("SELECT kind, key, count FROM rate_counts WHERE kind = ?"
                                  " AND key = ? AND window_number = ?",
                                  (kind, key, window)).fetchone() for (kind, key), _ in ordered]
    totals: dict[Key, int] = {}
    for kind, key, count in rows:
        totals[(kind, key)] = max(int(count), totals.get((kind, key), 0))
    return totals


def rate_forget(conn: Connection, before_window: int) -> None:
    """Delete the counts of windows before ``before_window``."""
    conn.execute("DELETE FROM rate_counts WHERE window_number < ?", (before_window,))
