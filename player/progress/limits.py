"""Flood limits on progress reports: token buckets in each process, and on
a shared database counts that every app server adds to.

A viewer id is whatever 16 to 64 characters a client sends, so a limit per
viewer alone stops nothing: a client that makes up a new id for every report
(or a new ``session`` for every report) is a new viewer every time. So:

- reports are limited per viewer *and* per client address (the address
  Werkzeug's ProxyFix gives behind a proxy; IPv6 by its /64, which one
  subscriber usually holds whole); a refused report is answered 429;
- *new* play sessions, which are what grows the database and the statistics,
  are limited per client address and per item. A report that would start a
  session beyond either limit is answered "not stored" (the player then
  stops reporting for that page) and counts nowhere, so a flood of made-up
  viewers neither fills the database nor makes the statistics up.

A session counts as known while this process has seen it within
``RECENT_SECONDS``; reports of known sessions take no new-session token, so a
viewer already watching keeps being stored while a flood is turned away.

The buckets live in each process (pure: the caller passes the clock), so the
hot path never waits for the database. Alone, they would let W processes
(gunicorn workers, app servers) take W times each rate. With a shared
PostgreSQL database (or ``PROGRESS_SHARED_LIMITS`` on), :class:`SharedCounts`
also counts what every process took per key in fixed windows of
``PROGRESS_SHARED_WINDOW`` seconds, in the table ``rate_counts``: a
background thread of each process adds its counts and reads the totals back
every ``PROGRESS_SHARED_SYNC_SECONDS``, and a key whose total across servers
reached ``burst + per_second x window`` (what one bucket lets through in a
window) is refused everywhere until the window ends. Only keys a process
counts a tenth of their limit for in a window are written: a viewer
reporting every ten seconds never is, so ordinary traffic adds no writes,
and a flood is stopped within one sync of reaching its limit. Should the
database fail, the buckets still hold.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .model import TokenBucket

#: How long a session stays known after its last report: players report every
#: 10 s while playing, and a paused one says nothing until it plays again.
RECENT_SECONDS = 30 * 60.0
#: Sessions remembered at most; beyond, the least recently seen are forgotten
#: (and count as new again, should they report).
RECENT_KEPT = 50_000
#: The key of reports whose client address is unknown (a Unix socket without
#: a proxy in front): they share one set of limits.
UNKNOWN_ADDRESS = "unknown"

#: The settings, with their defaults. Rates are per second, per process.
DEFAULTS = {
    # A player reports every 10 s; an address may be a household or an office.
    "PROGRESS_ADDRESS_BURST": 300,
    "PROGRESS_ADDRESS_PER_SECOND": 30.0,
    # A session is a page load that played: a class pressing play together
    # fits the burst; then one new session every two seconds per address.
    "PROGRESS_NEW_SESSIONS_BURST": 60,
    "PROGRESS_NEW_SESSIONS_PER_SECOND": 0.5,
    # All addresses together, per item: 36,000 new plays an hour per worker.
    "PROGRESS_ITEM_NEW_SESSIONS_BURST": 600,
    "PROGRESS_ITEM_NEW_SESSIONS_PER_SECOND": 10.0,
    # Counts shared across servers: None means "when the database is PostgreSQL".
    "PROGRESS_SHARED_LIMITS": None,
    "PROGRESS_SHARED_WINDOW": 10.0,
    "PROGRESS_SHARED_SYNC_SECONDS": 0.5,
}

log = logging.getLogger(__name__)

#: What a report that would start a session beyond the limits is answered.
NOT_COUNTED = "too_many_new_sessions"


def address_key(remote_addr: str | None) -> str:
    """The key a client address is limited by.

    IPv4 as it is (also when written as IPv4-mapped IPv6); IPv6 by its /64.

    >>> address_key("203.0.113.9"), address_key("::ffff:203.0.113.9")
    ('203.0.113.9', '203.0.113.9')
    >>> address_key("2001:db8:1:2:a:b:c:d"), address_key("2001:DB8:1:2::1")
    ('2001:db8:1:2::/64', '2001:db8:1:2::/64')
    >>> address_key(""), address_key(None), address_key("unix:/run/x")
    ('unknown', 'unknown', 'unknown')
    """
    try:
        ip = ipaddress.ip_address((remote_addr or "").split("%", 1)[0])
    except ValueError:
        return UNKNOWN_ADDRESS
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


class RecentSessions:
    """The sessions seen lately, least recently seen first."""

    def __init__(self, window: float = RECENT_SECONDS, kept: int = RECENT_KEPT):
        self.window = window
        self.kept = kept
        self._seen: dict[tuple, float] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def touch(self, key: tuple, now: float) -> bool:
        """Whether ``key`` was seen within the window; if so it is seen again now."""
        last = self._seen.pop(key, None)
        if last is None or now - last >= self.window:
            return False
        self._seen[key] = now
        return True

    def add(self, key: tuple, now: float) -> None:
        """Remember ``key`` as seen now, forgetting the oldest beyond ``kept``."""
        self._seen[key] = now
        if len(self._seen) > self.kept:
            # A tenth at a time, so this runs once per many additions.
            for old in list(itertools.islice(self._seen, len(self._seen) - self.kept * 9 // 10)):
                del self._seen[old]

    def forget(self, key: tuple) -> None:
        """Forget ``key``: it counts as new when next seen."""
        self._seen.pop(key, None)


@dataclass(frozen=True)
class Refused:
    """A report over a rate limit: who it is over (``viewer`` or ``address``)
    and the seconds until a token is there."""

    by: str
    wait: float


#: The settings prefix of each kind of limit the servers share.
SHARED_KINDS = {"viewer": "PROGRESS_RATE", "address": "PROGRESS_ADDRESS",
                "new": "PROGRESS_NEW_SESSIONS", "item": "PROGRESS_ITEM_NEW_SESSIONS"}


def shared(config: Mapping) -> bool:
    """Whether the limits are shared through the database (see the module docstring)."""
    value = config.get("PROGRESS_SHARED_LIMITS")
    if value is None:
        from ..db import is_postgresql

        return is_postgresql(config.get("DATABASE"))
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


class SharedCounts:
    """What every process took per key in fixed windows, summed in the database.

    The caller holds ``lock`` around :meth:`refused`, :meth:`add` and
    :meth:`give_back`; a daemon thread per process (started on first use, and
    again in a forked child) runs :meth:`sync` every ``sync_seconds``.

    :param limits: kind of limit -> most a key may take in one window, all
        servers together.
    """

    #: Windows of counts kept in the table before they are deleted.
    KEEP_WINDOWS = 3

    def __init__(self, database: str, limits: Mapping[str, int], window: float,
                 sync_seconds: float, lock: threading.Lock,
                 clock: Callable[[], float] = time.time):
        self.database = database
        self.limits = dict(limits)
        self.share_from = {kind: max(2, most // 10) for kind, most in self.limits.items()}
        self.window_seconds = float(window)
        self.sync_seconds = float(sync_seconds)
        self.lock = lock
        self.clock = clock
        self.syncs = 0
        self._window = -1
        self._mine: dict[tuple[str, str], int] = {}
        self._unsent: dict[tuple[str, str], int] = {}
        self._totals: dict[tuple[str, str], int] = {}
        self._pid = 0
        self._conn = None
        self._forgot = -1

    def _roll(self) -> tuple[int, float]:
        now = self.clock()
        window = int(now // self.window_seconds)
        if window != self._window:
            self._window = window
            self._mine, self._unsent, self._totals = {}, {}, {}
        return window, now

    def refused(self, keys: Iterable[tuple[str, str]]) -> float:
        """Seconds until the window ends if a key's total reached its limit, else 0."""
        window, now = self._roll()
        for key in keys:
            total = self._totals.get(key)
            if total is not None and total + self._unsent.get(key, 0) >= self.limits[key[0]]:
                return (window + 1) * self.window_seconds - now
        return 0.0

    def add(self, keys: Iterable[tuple[str, str]]) -> None:
        """Count one take of each key (to be written once it is a tenth of its limit)."""
        self._roll()
        if self._pid != os.getpid():
            self._start()
        for key in keys:
            mine = self._mine[key] = self._mine.get(key, 0) + 1
            if key in self._unsent or key in self._totals:
                self._unsent[key] = self._unsent.get(key, 0) + 1
            elif mine >= self.share_from[key[0]]:
                self._unsent[key] = mine

    def give_back(self, keys: Iterable[tuple[str, str]]) -> None:
        """Undo an :meth:`add` not yet written (one written stays counted)."""
        for key in keys:
            if self._mine.get(key, 0) > 0:
                self._mine[key] -= 1
            if self._unsent.get(key, 0) > 0:
                self._unsent[key] -= 1

    def _start(self) -> None:
        self._pid, self._conn = os.getpid(), None
        # The thread holds a weak reference, so it ends with the app that made it.
        threading.Thread(target=_sync_loop, args=(weakref.ref(self), self.sync_seconds),
                         name="progress-shared-limits", daemon=True).start()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass  # a connection that broke is closed already

    def sync(self) -> None:
        """Write this process's new counts and read back the totals (one round trip).

        :raises player.db.DatabaseError: if the database cannot be reached;
            the counts are kept for the next sync.
        """
        from .. import db
        from ..db import rates

        with self.lock:
            window, _ = self._roll()
            unsent, self._unsent = self._unsent, {}
            if not self._mine:
                return  # nothing taken this window: no query at all
        try:
            if self._conn is None:
                self._conn = db.connect(self.database)
            totals = rates.rate_sync(self._conn, window, unsent, self.limits)
            if self._forgot < window - self.KEEP_WINDOWS:
                rates.rate_forget(self._conn, window - self.KEEP_WINDOWS)
                self._forgot = window
        except Exception:
            with self.lock:
                if self._window == window:
                    for key, n in unsent.items():
                        self._unsent[key] = self._unsent.get(key, 0) + n
            raise
        with self.lock:
            self.syncs += 1
            if self._window == window:
                self._totals.update(totals)


def _sync_loop(ref: weakref.ref, seconds: float) -> None:
    pid = os.getpid()
    while True:
        time.sleep(seconds)
        counts = ref()
        if counts is None or counts._pid != pid:
            return
        try:
            counts.sync()
        except Exception as exc:  # the buckets still hold; try again next time
            log.warning("could not share the progress flood limits: %s", exc)
            counts._close()
        del counts


class Limits:
    """Every flood limit of one process, behind one lock.

    The buckets' sizes and rates are the settings ``PROGRESS_RATE_*`` (per
    viewer) and those of :data:`DEFAULTS`; with :func:`shared` limits, the
    same rates hold across servers too (:class:`SharedCounts`).
    """

    def __init__(self, config: Mapping):
        def bucket(prefix: str) -> TokenBucket:
            return TokenBucket(float(config[prefix + "_BURST"]),
                               float(config[prefix + "_PER_SECOND"]))

        self.viewers = bucket("PROGRESS_RATE")
        self.addresses = bucket("PROGRESS_ADDRESS")
        self.new_by_address = bucket("PROGRESS_NEW_SESSIONS")
        self.new_by_item = bucket("PROGRESS_ITEM_NEW_SESSIONS")
        self.recent = RecentSessions()
        self.lock = threading.Lock()
        self.shared: SharedCounts | None = None
        if shared(config):
            window = float(config.get("PROGRESS_SHARED_WINDOW") or 10.0)
            self.shared = SharedCounts(
                config["DATABASE"],
                {kind: int(float(config[prefix + "_BURST"])
                           + float(config[prefix + "_PER_SECOND"]) * window)
                 for kind, prefix in SHARED_KINDS.items()},
                window, float(config.get("PROGRESS_SHARED_SYNC_SECONDS") or 0.5), self.lock)

    def take(self, viewer: str, address: str, now: float) -> Refused | None:
        """Spend one report of the viewer's and one of the address's; None when allowed.

        A refused report spends nothing.
        """
        with self.lock:
            wait = self.viewers.take(viewer, now)
            if wait:
                return Refused("viewer", wait)
            wait = self.addresses.take(address, now)
            if wait:
                self.viewers.give_back(viewer)
                return Refused("address", wait)
            if self.shared is not None:
                keys = (("viewer", viewer), ("address", address))
                wait = self.shared.refused(keys)
                if wait:
                    self.viewers.give_back(viewer)
                    self.addresses.give_back(address)
                    by = "viewer" if self.shared.refused(keys[:1]) else "address"
                    return Refused(by, wait)
                self.shared.add(keys)
        return None

    def give_back(self, viewer: str, address: str) -> None:
        """Undo a :meth:`take` for a report not queued after all."""
        with self.lock:
            self.viewers.give_back(viewer)
            self.addresses.give_back(address)
            if self.shared is not None:
                self.shared.give_back((("viewer", viewer), ("address", address)))

    def admit_session(self, session: tuple[str, str, str], address: str, now: float
                      ) -> bool | None:
        """Whether a report of ``session`` (viewer, item, session) may be stored.

        True when it starts a session (a new-session token of the address and
        one of the item spent), None when the session is known, False when it
        would start one beyond the limits (nothing spent).
        """
        with self.lock:
            if self.recent.touch(session, now):
                return None
            if self.new_by_address.take(address, now):
                return False
            if self.new_by_item.take(session[1], now):
                self.new_by_address.give_back(address)
                return False
            if self.shared is not None:
                keys = (("new", address), ("item", session[1]))
                if self.shared.refused(keys):
                    self.new_by_address.give_back(address)
                    self.new_by_item.give_back(session[1])
                    return False
                self.shared.add(keys)
            self.recent.add(session, now)
            return True

    def withdraw_session(self, session: tuple[str, str, str], address: str) -> None:
        """Undo an :meth:`admit_session` that started a session not queued after all."""
        with self.lock:
            self.recent.forget(session)
            self.new_by_address.give_back(address)
            self.new_by_item.give_back(session[1])
            if self.shared is not None:
                self.shared.give_back((("new", address), ("item", session[1])))
