"""Times for people: clock form for eyes, words for ears."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """``226`` → ``"3:46"``; ``3723`` → ``"1:02:03"``.

    >>> clock(5), clock(226.9), clock(3723)
    ('0:05', '3:46', '1:02:03')
    """
    total = int(max(0.0, seconds or 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def words(seconds: float | None) -> str:
    """``65`` → ``"1 minute 5 seconds"``.

    >>> words(0), words(1), words(65), words(3600)
    ('0 seconds', '1 second', '1 minute 5 seconds', '1 hour')
    """
    total = int(max(0.0, seconds or 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
        if value:
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return " ".join(parts) or "0 seconds"
