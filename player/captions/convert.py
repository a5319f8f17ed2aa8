"""SubRip (.srt) and YouTube SBV (.sbv) files: telling the format, converting to WebVTT."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import CaptionError, Problem, is_character_reference, preview
from .timestamps import format_timestamp
from .vtt import decode, timing_like

#: Caption file formats :func:`convert` reads.
FORMATS = ("vtt", "srt", "sbv")

_SRT_TIMING = re.compile(
    r"[ \t]*(\d+):(\d\d?):(\d\d?)[,.](\d+)[ \t]*-->[ \t]*"
    r"(\d+):(\d\d?):(\d\d?)[,.](\d+)(?:[ \t].*)?",
    re.ASCII,
)
_SBV_TIMING = re.compile(
    r"[ \t]*(\d+):(\d\d?):(\d\d?)\.(\d+),(\d+):(\d\d?):(\d\d?)\.(\d+)[ \t]*",
    re.ASCII,
)
# The tags conversion keeps; WebVTT needs each closed within its cue.
_KEPT_TAG = re.compile(r"<(/?)([biu])>")
# SubRip's own markup: <b>, <i>, <u> carry over; <font> and ASS override codes
# such as {\an8} have no WebVTT equivalent; any other <, > or & is text.
_SRT_MARKUP = re.compile(
    r"<(/?)([biu])\s*>|</?font\b[^<>]*>|\{\\[^{}]*\}"
    r"|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);|[&<>]",
    re.IGNORECASE,
)
_SBV_MARKUP = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);|[&<>]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def detect_format(data: bytes, filename: str | None = None) -> str:
    """Tell a caption file's format by its extension, else by its content.

    :returns: ``"vtt"``, ``"srt"`` or ``"sbv"``.
    :raises CaptionError: if neither the name nor the content says.
    """
    if filename:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension in FORMATS:
            return extension
    head = data[:4096].decode("utf-8", "replace").lstrip("\ufeff")
    if head.startswith("WEBVTT"):
        return "vtt"
    lines = [line.strip() for line in head.replace("\r", "\n").split("\n") if line.strip()]
    if lines and _SBV_TIMING.fullmatch(lines[0]):
        return "sbv"
    if len(lines) >= 2 and lines[0].isdigit() and _SRT_TIMING.fullmatch(lines[1]):
        return "srt"
    if lines and _SRT_TIMING.fullmatch(lines[0]):
        return "srt"
    raise CaptionError(
        "Cannot tell the caption format: the file is not WebVTT (no 'WEBVTT' line),"
        " SubRip (.srt) or YouTube SBV (.sbv)."
    )


@dataclass
class _SourceCue:
    start_ms: int
    end_ms: int
    line: int
    text: list[tuple[int, str]] = field(default_factory=list)


def _convert_srt_markup(match: re.Match[str]) -> str:
    if match.group(2):
        return f"<{match.group(1)}{match.group(2).lower()}>"
    return _convert_text(match)


def _convert_text(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 1:
        return _ESCAPES[token]
    if token.startswith("&"):
        # Tools that wrote "&amp;" meant "&"; WebVTT decodes it the same way.
        # Anything else ("&foo;", "&notit;") is text, escaped so it checks clean.
        return token if is_character_reference(token) else _ESCAPES["&"] + token[1:]
    return "" if token.startswith(("{", "</font", "<font")) else token


# An ASS override "{\anN}" places a SubRip cue by numpad position: 7-9 at
# the top, 4-6 in the middle, 1-3 at the bottom (WebVTT's default); 1, 4, 7
# on the left and 3, 6, 9 on the right.
_NUMPAD = re.compile(r"\{[^{}]*\\an([1-9])[^{}]*\}")


def _placement(cue: _SourceCue) -> str:
    """WebVTT cue settings for the cue's first ``{\\anN}``, so a caption moved
    off burnt-in text stays off it."""
    found = _NUMPAD.search("\n".join(raw for _, raw in cue.text))
    if not found:
        return ""
    n = int(found.group(1))
    row = " line:0" if n >= 7 else " line:50%,center" if n >= 4 else ""
    return row + {1: " align:left", 0: " align:right"}.get(n % 3, "")


def _millis(groups: Sequence[str]) -> int:
    # _odd_fraction has made sure the fraction is milliseconds, three digits.
    hours, minutes, seconds, millis = groups
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def _decode_strict(data: bytes) -> str:
    """The text of a file to convert, decoded as UTF-8.

    :raises CaptionError: if the bytes are not UTF-8.
    """
    text, problem = decode(data)
    if problem is not None:
        raise CaptionError(f"line {problem.line}: {problem.message}", [problem])
    return text.lstrip("\ufeff")


def _srt_timing_line(line: str) -> bool:
    """A line meant as SubRip timing: it starts with a digit and has an arrow."""
    return "-->" in line and line.lstrip()[:1].isdigit()


def _read_source(text: str, fmt: str) -> tuple[list[_SourceCue], list[Problem]]:
    """Read SRT or SBV cues with the line each piece came from."""
    timing = _SRT_TIMING if fmt == "srt" else _SBV_TIMING
    example = "00:00:01,000 --> 00:00:04,000" if fmt == "srt" else "0:00:01.000,0:00:04.000"
    name = "SubRip" if fmt == "srt" else "SBV"
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[_SourceCue] = []
    problems: list[Problem] = []
    current: _SourceCue | None = None
    index, n = 0, len(lines)

    def starts_cue(at: int) -> bool:
        line = lines[at]
        if fmt == "sbv":
            return timing.fullmatch(line) is not None
        if _srt_timing_line(line):
            return True
        return line.strip().isdigit() and at + 1 < n and _srt_timing_line(lines[at + 1])

    while index < n:
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        if not starts_cue(index):
            stop = index
            while stop < n and lines[stop].strip() and not starts_cue(stop):
                stop += 1
            broken = next(
                (at for at in range(index, min(index + 2, stop)) if timing_like(lines[at])),
                None,
            )
            if broken is not None:
                problems.append(Problem(
                    broken + 1, 1, "error", "bad-timing",
                    f"'{preview(lines[broken])}' looks like a timing line but is not one;"
                    f" {name} timing lines look like {example}.",
                ))
            elif current is not None:
                # A blank line inside cue text: most players keep the text.
                current.text.extend((i + 1, lines[i]) for i in range(index, stop))
            else:
                problems.append(Problem(
                    index + 1, 1, "error", "not-a-cue",
                    f"'{preview(line)}' is not part of any {name} cue.",
                ))
            index = stop
            continue
        if fmt == "srt" and not _srt_timing_line(line):
            index += 1
            line = lines[index]
        match = timing.fullmatch(line)
        current = None
        if match is None:
            problems.append(Problem(
                index + 1, 1, "error", "bad-timing",
                f"The timing line '{preview(line)}' cannot be read; {name} timing lines"
                f" look like {example}.",
            ))
        elif any(int(match.group(g)) > 59 for g in (2, 3, 6, 7)):
            problems.append(Problem(
                index + 1, 1, "error", "bad-timing",
                f"The timing line '{preview(line)}' has minutes or seconds over 59.",
            ))
        elif (odd := _odd_fraction(line, match, index + 1)) is not None:
            problems.append(odd)
        else:
            current = _SourceCue(
                _millis(match.groups()[:4]), _millis(match.groups()[4:8]), index + 1
            )
            cues.append(current)
        index += 1
        while index < n and lines[index].strip() and not starts_cue(index):
            if current is not None:
                current.text.append((index + 1, lines[index]))
            index += 1
    if not cues and not problems:
        problems.append(Problem(1, 1, "error", "not-a-cue", f"The file has no {name} cues."))
    return cues, problems


def _odd_fraction(line: str, match: re.Match[str], number: int) -> Problem | None:
    """An SRT or SBV time whose fraction of a second is not three digits.

    Players disagree on ``00:00:01,5``: some read half a second, others
    (ffmpeg among them) 5 milliseconds, so neither reading is safe to pick.
    """
    for first in (1, 5):
        digits = match.group(first + 3)
        if len(digits) == 3:
            continue
        stamp = line[match.start(first) : match.end(first + 3)]
        separator = line[match.start(first + 3) - 1]
        hours, minutes, seconds = (int(match.group(g)) for g in range(first, first + 3))
        whole = f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}"
        if len(digits) < 3:
            message = (
                f"The time '{stamp}' has {len(digits)} digit{'s' if len(digits) > 1 else ''}"
                f" after the '{separator}', which players read differently: as"
                f" {whole}{digits.ljust(3, '0')} or as {whole}{digits.zfill(3)}. Write the"
                " milliseconds with three digits."
            )
        else:
            message = (
                f"The time '{stamp}' has {len(digits)} digits after the '{separator}'; write"
                f" the milliseconds with three digits, as in {whole}{digits[:3]}."
            )
        return Problem(number, match.start(first) + 1, "error", "ambiguous-time", message)
    return None


def _close_tags(texts: list[str]) -> list[str]:
    """Make the kept tags of one cue's lines valid WebVTT: drop end tags that
    close nothing open and close what is left open at the end, which is how
    browsers read them anyway."""
    open_tags: list[str] = []

    def keep(match: re.Match[str]) -> str:
        closing, name = match.groups()
        if not closing:
            open_tags.append(name)
        elif open_tags and open_tags[-1] == name:
            open_tags.pop()
        else:
            return ""
        return match.group()

    texts = [_KEPT_TAG.sub(keep, text) for text in texts]
    if open_tags:
        texts[-1] += "".join(f"</{name}>" for name in reversed(open_tags))
    return texts


def convert_with_sources(
    data: bytes, fmt: str, *, in_order: bool = True
) -> tuple[str, list[int]]:
    """Convert to WebVTT like :func:`convert`, with the source line of every output line.

    :param in_order: sort cues by start time, as WebVTT requires; the
        validator keeps the source order to report cues out of order.
    :raises CaptionError: if the bytes are not UTF-8 or a cue cannot be read.
    :raises ValueError: if ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown caption format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    if not data.strip():
        raise CaptionError("line 1: The file is empty.", [
            Problem(1, 1, "error", "empty", "The file is empty.")
        ])
    text = _decode_strict(data)
    if fmt == "vtt":
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return "\n".join(lines), list(range(1, len(lines) + 1))
    cues, problems = _read_source(text, fmt)
    if problems:
        shown = " ".join(f"line {p.line}: {p.message}" for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise CaptionError(shown + more, problems)
    pattern, markup = (
        (_SRT_MARKUP, _convert_srt_markup) if fmt == "srt" else (_SBV_MARKUP, _convert_text)
    )
    if in_order:
        cues.sort(key=lambda cue: cue.start_ms)
    out = ["WEBVTT", ""]
    sources = [1, 1]
    for cue in cues:
        settings = _placement(cue) if fmt == "srt" else ""
        out.append(
            f"{format_timestamp(cue.start_ms / 1000)} --> {format_timestamp(cue.end_ms / 1000)}"
            + settings
        )
        sources.append(cue.line)
        converted = [(number, pattern.sub(markup, raw).strip()) for number, raw in cue.text]
        converted = [(number, text) for number, text in converted if text]
        closed = _close_tags([text for _, text in converted])
        for (number, _), text in zip(converted, closed, strict=True):
            if text:
                out.append(text)
                sources.append(number)
        out.append("")
        sources.append(sources[-1])
    return "\n".join(out), sources


def convert(data: bytes, fmt: str) -> str:
    """Convert a caption file to WebVTT text.

    SubRip's ``<b>``, ``<i>`` and ``<u>`` are kept, each closed within its
    cue; ``{\\anN}`` placement becomes ``line`` and ``align`` settings,
    ``<font>`` and other style codes are dropped; other ``<``,
    ``>`` and ``&`` become text. Cues are sorted by start time. A time must
    give milliseconds with three digits: players read ``00:00:01,5`` as
    either 1.5 s or 1.005 s, so it is refused.

    :param data: the file's bytes, UTF-8 with or without a byte order mark.
    :param fmt: ``"srt"``, ``"sbv"`` or ``"vtt"`` (only decoded and given LF
        line endings).
    :returns: WebVTT text; validate it like any other file.
    :raises CaptionError: if the bytes are not UTF-8 or a cue cannot be read;
        ``problems`` holds each with its line.
    :raises ValueError: if ``fmt`` is not one of :data:`FORMATS`.
    """
    return convert_with_sources(data, fmt)[0]
