"""Validating a caption file: the entry points, and the report they return.

A file is judged by what a browser would show from it: whatever keeps a
browser from showing the file or a cue is an error; what browsers tolerate
but an author should fix is a warning. SubRip and SBV files are converted to
WebVTT first and their problems point at lines of the original file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import check_cues, check_empty
from .convert import convert_with_sources, detect_format
from .model import KINDS, CaptionError, Cue, Problem
from .vtt import Scanner, decode


@dataclass
class Report:
    """What :func:`validate` found: the cues browsers would show, and problems."""

    cues: list[Cue]
    problems: list[Problem]
    format: str = "vtt"

    @property
    def errors(self) -> list[Problem]:
        """Problems that keep the file or a cue from showing."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems browsers tolerate but an author should fix."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing would keep a browser from showing the captions."""
        return not any(p.severity == "error" for p in self.problems)


def validate(
    data: bytes | str, *, kind: str = "captions", duration: float | None = None
) -> Report:
    """Check a WebVTT file the way browsers read it.

    :param data: the file's bytes, or text already decoded.
    :param kind: the track kind; readability checks apply to captions and
        subtitles only.
    :param duration: the media's length in seconds, to find cues past its end.
    :returns: the cues browsers would show and every problem, ordered by line.
    :raises ValueError: if ``kind`` is not a track kind.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown track kind {kind!r}; expected one of {', '.join(KINDS)}.")
    problems: list[Problem] = []
    if isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
    else:
        text, problem = decode(data)
        if problem is not None:
            problems.append(problem)
    if not text.strip():
        problems.append(Problem(
            1, 1, "error", "empty",
            "The file is empty" + (" apart from blank space" if text else "")
            + ". It needs a 'WEBVTT' line and at least one cue.",
        ))
        return Report([], problems)
    scanner = Scanner(text, problems)
    cues = scanner.run()
    check_cues(cues, scanner.end_columns, kind, duration, scanner.add)
    check_empty(cues, problems)
    problems.sort(key=lambda p: (p.line, p.column))
    return Report(cues, problems)


def kind_from_filename(filename: str) -> str:
    """The track kind a sidecar name gives: ``talk.en.chapters.vtt`` is chapters.

    >>> kind_from_filename("talk.uk.subtitles.vtt"), kind_from_filename("talk.en.vtt")
    ('subtitles', 'captions')
    """
    parts = filename.rsplit("/", 1)[-1].split(".")
    for part in reversed(parts[1:-1]):
        if part in KINDS:
            return part
    return "captions"


def validate_file(
    data: bytes,
    filename: str | None = None,
    *,
    kind: str | None = None,
    duration: float | None = None,
) -> Report:
    """Validate a caption file of any supported format.

    SubRip and SBV files are converted first; problems point at lines of the
    original file (columns at the start of the line for problems found after
    conversion, since it moves text around).

    :param kind: the track kind; by default taken from the file name.
    :raises ValueError: if ``kind`` is not a track kind.
    """
    kind = kind or (kind_from_filename(filename) if filename else "captions")
    try:
        fmt = detect_format(data, filename)
    except CaptionError as exc:
        return Report([], [Problem(1, 1, "error", "unknown-format", str(exc))], "unknown")
    if fmt == "vtt":
        return validate(data, kind=kind, duration=duration)
    try:
        text, sources = convert_with_sources(data, fmt, in_order=False)
    except CaptionError as exc:
        return Report([], list(exc.problems), fmt)
    report = validate(text, kind=kind, duration=duration)

    def source(line: int) -> int:
        return sources[min(line, len(sources)) - 1]

    problems = [
        Problem(source(p.line), 1, p.severity, p.code, p.message) for p in report.problems
    ]
    for cue in report.cues:
        cue.line = source(cue.line)
    problems.sort(key=lambda p: p.line)
    return Report(report.cues, problems, fmt)
