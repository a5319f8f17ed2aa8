"""Times as people write them in URLs (``90``, ``1m30s``, ``1:30``), and in clock form."""

from __future__ import annotations

import math
import re

_UNITS = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$", re.ASCII)


def parse_time(value: str, duration: float | None = None) -> float:
    """Seconds for a start time; 0 for anything unusable.

    >>> parse_time("1m30s")
    90.0
    >>> parse_time("1:02:03")
    3723.0
    >>> parse_time("-5"), parse_time("soon"), parse_time("500", 60.0)
    (0.0, 0.0, 0.0)

    Digits of other scripts are not a time: ``float`` would read them.

    >>> parse_time("\u0661:\u0663\u0660"), parse_time("\uff19\uff10")
    (0.0, 0.0)
    """
    value = (value or "").strip().lower()
    seconds: float | None = None
    if re.fullmatch(r"\d+(?::[0-5]?\d){1,2}(?:\.\d+)?", value, re.ASCII):
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + float(part)
    elif value and (m := _UNITS.match(value)):
        hours, minutes, secs = m.groups()
        seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return 0.0
    if duration is not None and seconds >= duration:
        return 0.0
    return seconds


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
