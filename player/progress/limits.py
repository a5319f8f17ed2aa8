"""Flood limits on progress reports, kept in each process (pure: the caller
passes the clock).

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

Each gunicorn worker keeps its own limits, so with W workers up to W times
each rate gets through; the limits stop floods orders of magnitude above
what players send, and keeping them off the database is worth that factor.
"""

from __future__ import annotations

import ipaddress
import itertools
import threading
from collections.abc import Mapping
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
}

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


class Limits:
    """Every flood limit of one process, behind one lock.

    The buckets' sizes and rates are the settings ``PROGRESS_RATE_*`` (per
    viewer) and those of :data:`DEFAULTS`.
    """

    def __init__(self, config: Mapping):
        def bucket(prefix: str) -> TokenBucket:
            return TokenBucket(float(config[prefix + "_BURST"]),
                               float(config[prefix + "_PER_SECOND"]))

        self.viewers = TokenBucket(float(config["PROGRESS_RATE_BURST"]),
                                   float(config["PROGRESS_RATE_PER_SECOND"]))
        self.addresses = bucket("PROGRESS_ADDRESS")
        self.new_by_address = bucket("PROGRESS_NEW_SESSIONS")
        self.new_by_item = bucket("PROGRESS_ITEM_NEW_SESSIONS")
        self.recent = RecentSessions()
        self.lock = threading.Lock()

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
        return None

    def give_back(self, viewer: str, address: str) -> None:
        """Undo a :meth:`take` for a report not queued after all."""
        with self.lock:
            self.viewers.give_back(viewer)
            self.addresses.give_back(address)

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
            self.recent.add(session, now)
            return True

    def withdraw_session(self, session: tuple[str, str, str], address: str) -> None:
        """Undo an :meth:`admit_session` that started a session not queued after all."""
        with self.lock:
            self.recent.forget(session)
            self.new_by_address.give_back(address)
            self.new_by_item.give_back(session[1])
