"""WebVTT timestamps: reading them as browsers do, and writing them.

The lowest layer of the package: it imports nothing from its siblings.
"""

from __future__ import annotations

#: The digits WebVTT reads: ASCII only, whatever ``str.isdigit`` accepts.
DIGITS = "0123456789"

# Hours with more digits than this are hundreds of millions of years past any
# media; refusing them also keeps int() away from its digit limit.
MAX_HOUR_DIGITS = 10


def _digits_end(s: str, pos: int) -> int:
    n = len(s)
    while pos < n and s[pos] in DIGITS:
        pos += 1
    return pos


def collect_timestamp(s: str, pos: int) -> tuple[float, int, int] | None:
    """The WebVTT "collect a timestamp" algorithm.

    :returns: seconds, the position after the timestamp, and the number of
        digits of its hours field (0 when the hours are omitted); None when
        browsers reject it.
    """
    n = len(s)
    j = _digits_end(s, pos)
    if j == pos or j - pos > MAX_HOUR_DIGITS:
        return None
    first = s[pos:j]
    v1 = int(first)
    in_hours = len(first) != 2 or v1 > 59
    if j >= n or s[j] != ":":
        return None
    k = _digits_end(s, j + 1)
    if k - j != 3:
        return None
    v2 = int(s[j + 1 : k])
    pos = k
    if in_hours or (pos < n and s[pos] == ":"):
        if pos >= n or s[pos] != ":":
            return None
        k = _digits_end(s, pos + 1)
        if k - pos != 3:
            return None
        v3 = int(s[pos + 1 : k])
        pos = k
        hour_digits = len(first)
    else:
        v1, v2, v3 = 0, v1, v2
        hour_digits = 0
    if pos >= n or s[pos] != ".":
        return None
    k = _digits_end(s, pos + 1)
    if k - pos != 4:
        return None
    v4 = int(s[pos + 1 : k])
    if v2 > 59 or v3 > 59:
        return None
    return (((v1 * 60 + v2) * 60 + v3) * 1000 + v4) / 1000, k, hour_digits


def timestamp_tag(body: str) -> float | None:
    """The seconds of a cue text timestamp tag's body (``00:01.500``), or None if invalid."""
    parsed = collect_timestamp(body, 0)
    if parsed is None or parsed[1] != len(body):
        return None
    return parsed[0]


def format_timestamp(seconds: float) -> str:
    """Write seconds as a WebVTT timestamp.

    >>> format_timestamp(3723.5)
    '01:02:03.500'
    """
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
