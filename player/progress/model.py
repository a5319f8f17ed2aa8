"""Playback progress: reports, resume rules, played ranges and statistics.

Everything here is pure: no Flask, no SQL, no clock of its own. Callers pass
the catalog's duration, the time, and the rules from configuration.

Terms used throughout:

*position*
    where the player is, in seconds of media time.
*played ranges*
    the ``[start, end]`` stretches of media time the player actually played,
    which is what statistics are computed from (a seek is not watching).
*play*
    one page load's session that played something.
*watch time*
    seconds of media played, counting a stretch again when it is watched again.
*coverage*
    seconds of the media a play saw at least once; ``coverage / duration`` is
    its percent watched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from ..errors import PlayerError
from ..languages import WELL_FORMED_TAG

Range = tuple[float, float]

#: What a report may say happened; ``ended`` marks the play finished.
EVENTS = frozenset({"heartbeat", "play", "pause", "seek", "ended", "hidden", "pagehide", "tracks"})
MAX_RANGES_PER_REPORT = 64
#: A play that has jumped around more often than this is refused further
#: ranges rather than letting one session's row grow without bound.
MAX_SESSION_RANGES = 1000
MAX_RATE = 16.0
#: Points of the retention curve: 0 %, 1 %, ..., 100 %.
RETENTION_POINTS = 101
_SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _is_caption_language(code: str) -> bool:
    """Whether ``code`` can be the language of the captions a viewer chose:
    any well-formed BCP 47 tag, since a host page's own ``<track>`` may say
    ``EN`` or ``en-x-simple``, of a length RFC 5646 §4.4.1 asks tools to
    handle and then some.

    >>> _is_caption_language("pt-BR"), _is_caption_language("EN"), _is_caption_language("en_GB")
    (True, True, False)
    """
    return len(code) <= 64 and WELL_FORMED_TAG.fullmatch(code) is not None


class ProgressError(PlayerError, ValueError):
    """A progress report that cannot be stored, and the field at fault."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, details={"field": field})
        self.message = message
        self.field = field


#: The "last seconds" that count as finished are at most this share of the
#: item, so a short item is not finished a third of the way through.
MAX_TAIL_SHARE = 1 / 6


@dataclass(frozen=True)
class ResumeRules:
    """When to offer "Resume from ..." and when an item counts as finished.

    The bar scales with the item's length. An item is resumable from
    ``min_duration`` seconds long. Resume is offered once the viewer is past
    ``min_seconds`` or ``min_share`` percent of the item, whichever comes
    first, and past ``min_percent`` percent: 15 s into a one-minute clip,
    30 s into a ten-minute talk, 6 min into a two-hour film. An item is
    finished ("watch again") from ``finished_percent`` in, or within its last
    ``finished_tail_seconds``, those being at most a sixth of the item.
    """

    min_percent: float = 5.0
    min_seconds: float = 30.0
    finished_percent: float = 90.0
    finished_tail_seconds: float = 10.0
    min_duration: float = 10.0
    min_share: float = 25.0

    @classmethod
    def from_config(cls, config: Mapping) -> ResumeRules:
        """The rules an app's settings give.

        Reads ``RESUME_MIN_PERCENT``, ``RESUME_MIN_SECONDS``,
        ``FINISHED_PERCENT``, ``FINISHED_TAIL_SECONDS``,
        ``RESUME_MIN_DURATION`` and ``RESUME_MIN_SHARE``; missing keys keep
        the defaults.
        """
        default = cls()
        names = {
            "min_percent": "RESUME_MIN_PERCENT",
            "min_seconds": "RESUME_MIN_SECONDS",
            "finished_percent": "FINISHED_PERCENT",
            "finished_tail_seconds": "FINISHED_TAIL_SECONDS",
            "min_duration": "RESUME_MIN_DURATION",
            "min_share": "RESUME_MIN_SHARE",
        }
        return cls(**{
            attr: float(config.get(key, getattr(default, attr))) for attr, key in names.items()
        })

    def resume_from(self, duration: float) -> float:
        """The position from which resuming is offered.

        >>> rules = ResumeRules()
        >>> rules.resume_from(22), rules.resume_from(60), rules.resume_from(600)
        (5.5, 15.0, 30.0)
        >>> rules.resume_from(7200)
        360.0
        """
        return max(duration * self.min_percent / 100,
                   min(self.min_seconds, duration * self.min_share / 100))

    def finished_at(self, duration: float) -> float:
        """The position from which an item counts as finished.

        In an item too short to resume only the percent applies.

        >>> rules = ResumeRules()
        >>> rules.finished_at(300), rules.finished_at(80), rules.finished_at(60)
        (270.0, 70.0, 50.0)
        >>> round(rules.finished_at(22), 2), rules.finished_at(5)
        (18.33, 4.5)
        """
        by_percent = duration * self.finished_percent / 100
        if duration < self.min_duration:
            return by_percent
        tail = min(self.finished_tail_seconds, duration * MAX_TAIL_SHARE)
        return max(0.0, min(by_percent, duration - tail))

    def is_finished(self, position: float, duration: float) -> bool:
        """Whether ``position`` is at or past :meth:`finished_at`."""
        return position >= self.finished_at(duration)


@dataclass(frozen=True)
class ResumeOffer:
    """What the player should offer on load.

    ``offer`` is ``"resume"`` (with ``position``), ``"watch_again"`` or
    ``None``; ``reason`` says why, for the player and for people debugging.
    """

    offer: str | None
    position: float
    reason: str


def resume_offer(
    position: float | None, duration: float | None, ended: bool, rules: ResumeRules
) -> ResumeOffer:
    """Apply the resume rules to a viewer's last known position.

    >>> rules = ResumeRules()
    >>> resume_offer(83.0, 226.0, False, rules)
    ResumeOffer(offer='resume', position=83.0, reason='resume')
    >>> resume_offer(20.0, 226.0, False, rules).reason
    'too_early'
    >>> resume_offer(220.0, 226.0, False, rules).offer
    'watch_again'
    >>> resume_offer(16.0, 60.0, False, rules).offer
    'resume'
    """
    if position is None:
        return ResumeOffer(None, 0.0, "no_history")
    if duration is None:
        return ResumeOffer(None, 0.0, "unknown_duration")
    if duration < rules.min_duration:
        return ResumeOffer(None, 0.0, "too_short")
    if ended or rules.is_finished(position, duration):
        return ResumeOffer("watch_again", 0.0, "finished")
    if position < rules.resume_from(duration):
        return ResumeOffer(None, 0.0, "too_early")
    return ResumeOffer("resume", position, "resume")


# -- played ranges -----------------------------------------------------------

def merge_ranges(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sort ranges and join those that overlap or touch.

    >>> merge_ranges([(5, 8), (0, 2), (2, 3), (7, 9)])
    ((0, 3), (5, 9))
    """
    merged: list[list[float]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def clip_ranges(ranges: Iterable[Range], duration: float) -> tuple[Range, ...]:
    """Limit ranges to ``[0, duration]``, dropping what falls outside."""
    clipped = ((max(0.0, s), min(duration, e)) for s, e in ranges)
    return tuple((s, e) for s, e in clipped if e > s)


def total_length(ranges: Iterable[Range]) -> float:
    """The seconds ``ranges`` cover, counting any overlap twice."""
    return sum(end - start for start, end in ranges)


def duration_tolerance(duration: float) -> float:
    """How far a player's idea of the duration (or a position past the end)
    may stray from the catalog's before it counts as a disagreement: players
    round to frames and containers disagree about the last packet."""
    return max(1.0, duration * 0.01)


def durations_disagree(reported: float, authoritative: float) -> bool:
    """
    >>> durations_disagree(226.4, 226.0), durations_disagree(240.0, 226.0)
    (False, True)
    """
    return abs(reported - authoritative) > duration_tolerance(authoritative)


def agreed_duration(votes: Iterable[float], current: float | None, quorum: int
                    ) -> float | None:
    """The duration players agree on, from one vote per voter.

    Agreement is a majority of the votes, and at least ``quorum`` of them,
    within :func:`duration_tolerance` of their median; the agreed value is
    the median of those. Where the votes agree on nothing, ``current`` (what
    they agreed on before) stands; where they agree on about ``current``, it
    stands too, so that it does not move with every vote.

    >>> agreed_duration([70.0, 2.0, 70.2, 69.9], None, 3)
    70.0
    >>> agreed_duration([2.0, 2.0, 70.0], None, 3) is None
    True
    >>> agreed_duration([70.0, 70.2, 69.9, 70.1], 2.0, 3), agreed_duration([70.4], 70.0, 3)
    (70.05, 70.0)
    """
    values = sorted(votes)
    if len(values) < quorum:
        return current
    middle = _median(values)
    close = [v for v in values if not durations_disagree(v, middle)]
    if len(close) < quorum or 2 * len(close) <= len(values):
        return current
    agreed = _median(close)
    if current is not None and not durations_disagree(current, agreed):
        return current
    return agreed


def _median(ordered: list[float]) -> float:
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def report_end(report: Report, probed: float | None, agreed: float | None) -> float | None:
    """The end to check ``report`` against with :func:`check_within`.

    The probed duration, when the server could read it. Otherwise the
    report's own duration when it gives one (None here: :func:`check_within`
    then takes the report's), so that a wrong agreement never refuses an
    honest player's report, which would also keep it from being corrected;
    else the duration players agreed on.
    """
    if probed:
        return probed
    return None if report.duration is not None else agreed


# -- reports -----------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """One validated progress report from a player.

    ``played`` holds the ranges played since the previous report, merged.
    """

    session: str
    position: float
    duration: float | None
    rate: float
    captions: str | None
    descriptions: bool
    played: tuple[Range, ...]
    event: str
    seq: int


def _number(data: Mapping, name: str, *, required: bool = True) -> float | None:
    value = data.get(name)
    if value is None and not required:
        return None
    # bool is an int to Python, but "position": true is a client bug, not 1 s.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProgressError(f"'{name}' must be a number of seconds.", name)
    value = float(value)
    if not math.isfinite(value):
        raise ProgressError(f"'{name}' must be finite.", name)
    if value < 0:
        raise ProgressError(f"'{name}' must not be negative.", name)
    return value


def _ranges(value: object) -> tuple[Range, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProgressError("'played' must be a list of [start, end] pairs.", "played")
    if len(value) > MAX_RANGES_PER_REPORT:
        raise ProgressError(
            f"'played' may hold at most {MAX_RANGES_PER_REPORT} ranges per report.", "played")
    ranges = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProgressError("Each played range must be a [start, end] pair.", "played")
        start, end = (_number({"played": n}, "played") for n in pair)
        if end < start:
            raise ProgressError("A played range ends before it starts.", "played")
        ranges.append((start, end))
    return merge_ranges(r for r in ranges if r[1] > r[0])


def parse_report(data: object) -> Report:
    """Validate the shape of a report (a decoded JSON object).

    Whether positions lie past the end is checked separately, by
    :func:`check_within`, once the catalog's duration is known.

    :raises ProgressError: naming the first field that is wrong.
    """
    if not isinstance(data, dict):
        raise ProgressError("The report must be a JSON object.")
    session = data.get("session")
    if not isinstance(session, str) or not _SESSION_RE.fullmatch(session):
        raise ProgressError("'session' must be 8 to 64 letters, digits, '-' or '_'.", "session")
    position = _number(data, "position")
    duration = _number(data, "duration", required=False)
    if duration == 0:
        duration = None
    rate = _number(data, "rate", required=False)
    rate = 1.0 if rate is None else rate
    if not 0 < rate <= MAX_RATE:
        raise ProgressError(f"'rate' must be above 0 and at most {MAX_RATE:g}.", "rate")
    captions = data.get("captions")
    if captions is not None and (
            not isinstance(captions, str) or not _is_caption_language(captions)):
        raise ProgressError("'captions' must be null or a language tag such as 'en'.",
                            "captions")
    descriptions = data.get("descriptions", False)
    if not isinstance(descriptions, bool):
        raise ProgressError("'descriptions' must be true or false.", "descriptions")
    event = data.get("event", "heartbeat")
    if not isinstance(event, str) or event not in EVENTS:
        raise ProgressError(
            f"'event' must be one of: {', '.join(sorted(EVENTS))}.", "event")
    seq = data.get("seq", 0)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**53:
        raise ProgressError("'seq' must be a non-negative integer.", "seq")
    return Report(
        session=session, position=position, duration=duration, rate=rate,
        captions=captions.lower() if captions else None, descriptions=descriptions,
        played=_ranges(data.get("played")), event=event, seq=seq,
    )


def check_within(report: Report, duration: float | None) -> Report:
    """``report`` with its times checked against the item's ``duration``.

    Positions past the end are refused; the small overshoot players produce
    at the very end is pinned onto ``duration``. While the item's duration is
    not known (None), the duration the report itself gives is the end.

    :raises ProgressError: if the position or a range lies past the end.
    """
    if duration is None:
        duration = report.duration
    if duration is None:
        return report
    limit = duration + duration_tolerance(duration)
    if report.position > limit:
        raise ProgressError(
            f"'position' {report.position:g} lies past the end ({duration:g} s).", "position")
    if any(end > limit for _, end in report.played):
        raise ProgressError(f"A played range lies past the end ({duration:g} s).", "played")
    if report.position <= duration and all(end <= duration for _, end in report.played):
        # The usual report: nothing to pin (ranges never start below 0).
        return report
    return replace(report, position=min(report.position, duration),
                   played=clip_ranges(report.played, duration))


# -- one play session ----------------------------------------------------------

@dataclass
class SessionState:
    """What the server keeps of one play session, built up report by report.

    ``ended`` says the play reached the end at some point (a completion);
    ``at_end`` that its newest report was the end (nothing to resume).
    """

    position: float = 0.0
    seq: int = -1
    ended: bool = False
    at_end: bool = False
    rate: float = 1.0
    ranges: tuple[Range, ...] = ()
    watched: float = 0.0
    captions: dict[str, float] = field(default_factory=dict)
    descriptions: float = 0.0

    def to_json(self) -> dict:
        """The state as stored in the database (see :meth:`from_json`)."""
        return {
            "position": self.position, "seq": self.seq, "ended": self.ended,
            "at_end": self.at_end, "rate": self.rate,
            "ranges": [list(r) for r in self.ranges], "watched": self.watched,
            "captions": self.captions, "descriptions": self.descriptions,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> SessionState:
        """The state :meth:`to_json` stored."""
        return cls(
            position=data["position"], seq=data["seq"], ended=data["ended"],
            at_end=data["at_end"], rate=data["rate"],
            ranges=tuple((s, e) for s, e in data["ranges"]), watched=data["watched"],
            captions=dict(data["captions"]), descriptions=data["descriptions"],
        )


def apply_report(state: SessionState, report: Report) -> SessionState:
    """Fold a report into its session.

    Played time always adds up, whatever order reports arrive in; the position
    only moves forward in ``seq`` order, so a late heartbeat cannot overwrite
    the position a ``pagehide`` beacon sent after it.

    :raises ProgressError: if the session would hold too many separate ranges.
    """
    ranges = merge_ranges((*state.ranges, *report.played))
    if len(ranges) > MAX_SESSION_RANGES:
        raise ProgressError(
            "This play session holds too many separate played ranges; start a new session.",
            "played")
    played = total_length(report.played)
    captions = dict(state.captions)
    if report.captions and played:
        captions[report.captions] = captions.get(report.captions, 0.0) + played
    newer = report.seq >= state.seq
    return SessionState(
        position=report.position if newer else state.position,
        seq=max(report.seq, state.seq),
        ended=state.ended or report.event == "ended",
        at_end=report.event == "ended" if newer else state.at_end,
        rate=report.rate if newer else state.rate,
        ranges=ranges,
        watched=state.watched + played,
        captions=captions,
        descriptions=state.descriptions + (played if report.descriptions else 0.0),
    )


# -- statistics ----------------------------------------------------------------

def _retention_span(start: float, end: float, duration: float) -> range:
    """The percents ``p`` whose moment ``duration * p / 100`` lies in
    ``[start, end]``, computed with the same arithmetic the check would use so
    a range ending exactly at 40 % counts 40 % in."""
    low = max(0, math.ceil(start * 100 / duration) - 1)
    while low < RETENTION_POINTS and duration * low / 100 < start:
        low += 1
    high = min(RETENTION_POINTS - 1, math.floor(end * 100 / duration) + 1)
    while high >= 0 and duration * high / 100 > end:
        high -= 1
    return range(low, high + 1)


@dataclass
class Tally:
    """Additive totals of many sessions; raw sessions past the retention
    period are folded into one of these and deleted.

    ``viewers`` adds up the distinct viewers of each folded batch, so a person
    seen in two batches counts twice: exact only within the raw window.
    """

    sessions: int = 0
    plays: int = 0
    viewers: int = 0
    watched: float = 0.0
    percent_sum: float = 0.0
    completed: int = 0
    captions: dict[str, float] = field(default_factory=dict)
    descriptions: float = 0.0
    retention: list[int] = field(default_factory=lambda: [0] * RETENTION_POINTS)

    def __add__(self, other: Tally) -> Tally:
        captions = dict(self.captions)
        for lang, seconds in other.captions.items():
            captions[lang] = captions.get(lang, 0.0) + seconds
        return Tally(
            sessions=self.sessions + other.sessions,
            plays=self.plays + other.plays,
            viewers=self.viewers + other.viewers,
            watched=self.watched + other.watched,
            percent_sum=self.percent_sum + other.percent_sum,
            completed=self.completed + other.completed,
            captions=captions,
            descriptions=self.descriptions + other.descriptions,
            retention=[a + b for a, b in zip(self.retention, other.retention, strict=True)],
        )

    def to_json(self) -> dict:
        """The tally as stored in the database (see :meth:`from_json`)."""
        return {
            "sessions": self.sessions, "plays": self.plays, "viewers": self.viewers,
            "watched": self.watched, "percent_sum": self.percent_sum,
            "completed": self.completed, "captions": self.captions,
            "descriptions": self.descriptions, "retention": self.retention,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Tally:
        """The tally :meth:`to_json` stored."""
        return cls(**{**data, "captions": dict(data["captions"]),
                      "retention": list(data["retention"])})


def tally_sessions(
    sessions: Iterable[tuple[str, SessionState]], duration: float | None, rules: ResumeRules
) -> Tally:
    """Tally ``(viewer key, session)`` pairs into one :class:`Tally`.

    It counts plays, watch time, coverage, completions, track use and retention.

    A session that never played anything (opened, then closed) is not a play.
    A play is complete when it reported ``ended`` or its furthest played
    point reached the "finished" point of the resume rules.
    """
    tally = Tally()
    viewers = set()
    for viewer, state in sessions:
        if add_session(tally, state, duration, rules):
            viewers.add(viewer)
    tally.viewers = len(viewers)
    return tally


def add_session(tally: Tally, state: SessionState, duration: float | None,
                rules: ResumeRules, sign: int = 1) -> bool:
    """Add one session to ``tally`` (``sign=-1``: take it away again), all
    but ``viewers``, which depends on the other sessions; True if it is a play.

    Taking away exactly what adding gave is what keeps running totals (see
    :mod:`.store`) equal to totals computed afresh.
    """
    tally.sessions += sign
    if state.watched <= 0:
        return False
    tally.plays += sign
    tally.watched += sign * state.watched
    tally.descriptions += sign * state.descriptions
    captions = tally.captions
    for lang, seconds in state.captions.items():
        total = captions.get(lang, 0.0) + sign * seconds
        if sign < 0 and abs(total) < 1e-9:
            # Gone with its last session, not left behind as rounding noise.
            captions.pop(lang, None)
        else:
            captions[lang] = total
    if not duration:
        tally.completed += sign * state.ended
        return True
    ranges = clip_ranges(state.ranges, duration)
    tally.percent_sum += sign * min(100.0, total_length(ranges) / duration * 100)
    furthest = max((end for _, end in ranges), default=0.0)
    tally.completed += sign * (state.ended or rules.is_finished(furthest, duration))
    retention = tally.retention
    # A session's ranges are merged, so apart: no percent lies in two of them.
    for start, end in ranges:
        for point in _retention_span(start, end, duration):
            retention[point] += sign
    return True


@dataclass(frozen=True)
class Statistics:
    """The numbers a publisher reads; shares are fractions from 0 to 1."""

    duration: float | None
    plays: int
    unique_viewers: int
    total_watch_time: float
    average_watch_time: float
    average_percent_watched: float
    completion_rate: float
    captions_share: float
    captions_by_language: dict[str, float]
    descriptions_share: float
    retention: list[tuple[int, int, float]]
    sessions: int

    def to_json(self) -> dict:
        """The statistics as the API and the statistics page show them."""
        return {
            "duration": self.duration,
            "plays": self.plays,
            "unique_viewers": self.unique_viewers,
            "watch_time": {"total_seconds": self.total_watch_time,
                           "average_seconds": self.average_watch_time},
            "average_percent_watched": self.average_percent_watched,
            "completion_rate": self.completion_rate,
            "captions": {"share": self.captions_share, "by_language": self.captions_by_language},
            "descriptions": {"share": self.descriptions_share},
            "retention": [{"percent": p, "plays": n, "share": share}
                          for p, n, share in self.retention],
        }


def statistics(tally: Tally, duration: float | None) -> Statistics:
    """Turn totals into averages and shares (all zero when nothing played)."""
    plays = tally.plays

    def per_play(value: float) -> float:
        return value / plays if plays else 0.0

    def of_watched(value: float) -> float:
        return value / tally.watched if tally.watched else 0.0

    return Statistics(
        duration=duration,
        plays=plays,
        unique_viewers=tally.viewers,
        total_watch_time=tally.watched,
        average_watch_time=per_play(tally.watched),
        average_percent_watched=per_play(tally.percent_sum),
        completion_rate=per_play(tally.completed),
        captions_share=of_watched(sum(tally.captions.values())),
        captions_by_language={
            lang: of_watched(seconds) for lang, seconds in sorted(tally.captions.items())},
        descriptions_share=of_watched(tally.descriptions),
        retention=[(p, n, per_play(n)) for p, n in enumerate(tally.retention)],
        sessions=tally.sessions,
    )


# -- flood control ---------------------------------------------------------------

@dataclass
class TokenBucket:
    """A token bucket per key: ``burst`` reports at once, refilled at
    ``per_second``. The caller supplies the clock and any locking."""

    burst: float
    per_second: float
    max_keys: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float:
        """Spend one token for ``key``: 0 when allowed, else the seconds until one is there."""
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.per_second

    def give_back(self, key: str) -> None:
        """Return the token a :meth:`take` spent on something not done after all.

        The bucket is then as if that take had never been.
        """
        if key in self._buckets:
            tokens, last = self._buckets[key]
            self._buckets[key] = (min(self.burst, tokens + 1), last)

    def _forget_full(self, now: float) -> None:
        """Drop keys whose bucket has refilled: they are indistinguishable
        from keys never seen, so memory stays bounded by recent activity."""
        refill = self.burst / self.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
