"""Times for people: clock form for eyes, words for ears."""

from __future__ import annotations

from .web.i18n import translate


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


def words(seconds: float | None, lang: str = "en") -> str:
    """``65`` → ``"1 minute 5 seconds"``, in ``lang`` (a :mod:`player.web.i18n`
    catalog language).

    >>> words(0), words(1), words(65), words(3600)
    ('0 seconds', '1 second', '1 minute 5 seconds', '1 hour')
    >>> words(65, "uk"), words(3 * 3600 + 22 * 60 + 25, "uk")
    ('1 хвилина 5 секунд', '3 години 22 хвилини 25 секунд')
    """
    total = int(max(0.0, seconds or 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [translate(lang, key, n=value)
             for value, key in ((hours, "{n} hours"), (minutes, "{n} minutes"),
                                (secs, "{n} seconds"))
             if value]
    return " ".join(parts) or translate(lang, "{n} seconds", n=0)
