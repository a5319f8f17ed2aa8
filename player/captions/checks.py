"""Checks over the cues a scan found: times, overlaps, readability, markup, speakers.

The scanner (:mod:`.vtt`) reads a file line by line as a browser does; these
checks look at the cues it found, one against another and against the media.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ..languages import WELL_FORMED_TAG
from .model import SPAN_TAGS, TAG_NAME_AND_CLASSES, Cue, Problem, bare_ampersands, preview
from .timestamps import DIGITS, format_timestamp, timestamp_tag

# Readability limits shared by the DCMP captioning key, the BBC subtitle
# guidelines and Netflix's timed text style guide.
MAX_CHARS_PER_SECOND = 20
MAX_LINE_LENGTH = 42
MAX_LINES = 2

# Durations from probing are rounded (ffmpeg prints centiseconds), so a cue
# that ends a few milliseconds after the probed end is not worth a warning.
_DURATION_TOLERANCE = 0.05

_READ_KINDS = frozenset({"captions", "subtitles"})
# Chapter titles and metadata are not caption cue text, so their markup is not checked.
_MARKUP_KINDS = frozenset({"captions", "subtitles", "descriptions"})

_SPEAKER_LABEL = re.compile(r"(?:[-\u2013\u2014] ?)?([^\W\d_][\w'.]*(?: [^\W\d_][\w'.]*){0,2}):\s")
_DIALOGUE_DASH = ("- ", "\u2013 ", "\u2014 ")
# What follows an "&" that starts no character reference, to quote it.
_AMPERSAND_WORD = re.compile(r"&#?[0-9A-Za-z]*;?", re.ASCII)


def check_cues(
    cues: list[Cue],
    end_columns: list[int],
    kind: str,
    duration: float | None,
    add: Callable[..., None],
) -> None:
    """Check cues against each other, the media's length and the readability limits.

    :param end_columns: where each cue's end time is written on its timing line.
    :param kind: the track kind, which decides the checks that apply.
    :param duration: the media's length in seconds, if known.
    :param add: where problems go, as (line, column, severity, code, message).
    """
    readable = kind in _READ_KINDS
    previous_start = -1.0
    identifiers: dict[str, int] = {}
    for cue, end_column in zip(cues, end_columns, strict=True):
        start, end = cue.start, cue.end
        if end <= start:
            add(
                cue.line, end_column, "error", "end-before-start",
                f"The cue ends ({format_timestamp(end)}) "
                + ("when it starts" if end == start else "before it starts")
                + f" ({format_timestamp(start)}), so it never shows."
                " The end time must be after the start time.",
            )
        if start < previous_start:
            add(
                cue.line, 1, "warning", "out-of-order",
                f"This cue starts at {format_timestamp(start)}, before the cue above it"
                f" ({format_timestamp(previous_start)}). Browsers sort cues, but cues must"
                " be in order of start time.",
            )
        previous_start = max(previous_start, start)
        if cue.identifier:
            if cue.identifier in identifiers:
                add(
                    cue.line - 1, 1, "warning", "duplicate-identifier",
                    f"The cue identifier '{preview(cue.identifier)}' is already used on"
                    f" line {identifiers[cue.identifier]}; identifiers must be unique.",
                )
            else:
                identifiers[cue.identifier] = cue.line - 1
        if duration is not None and end > duration + _DURATION_TOLERANCE:
            media_end = format_timestamp(duration)
            if start >= duration:
                detail = f"starts after the media ends ({media_end}), so it never shows"
            else:
                detail = f"ends after the media ends ({media_end}), so it is cut short"
            add(cue.line, 1, "warning", "past-duration", f"This cue {detail}.")
        raw = cue.raw_text
        if not raw.strip():
            add(cue.line, 1, "warning", "empty-cue", "This cue has no text.")
            continue
        if readable:
            _check_readability(cue, add)
    if readable:
        _check_overlaps(cues, add)
    if kind in _MARKUP_KINDS:
        _check_markup(cues, add)
    if kind == "captions":
        _check_voices(cues, add)


def _check_markup(cues: list[Cue], add: Callable[..., None]) -> None:
    """Find tags in cue text that browsers drop, taking text with them or not,
    annotations missing, misplaced or malformed, and cue timestamps outside
    their cue or out of order.

    An unknown tag is reported once, where it first appears, with a count.
    """
    unknown: dict[str, list[tuple[int, int]]] = {}
    for cue in cues:
        raw = cue.raw_text
        if "&" in raw:
            for pos in bare_ampersands(raw):
                line = cue.line + 1 + raw.count("\n", 0, pos)
                column = pos - raw.rfind("\n", 0, pos)
                add(line, column, "warning", "unescaped-ampersand", _ampersand_message(raw, pos))
        if "<" not in raw:
            continue
        previous = cue.start
        pos = raw.find("<")
        while pos >= 0:
            gt = raw.find(">", pos + 1)
            stop = len(raw) if gt < 0 else gt + 1
            body = raw[pos + 1 : stop - 1 if gt >= 0 else stop]
            line = cue.line + 1 + raw.count("\n", 0, pos)
            column = pos - raw.rfind("\n", 0, pos)
            tag = TAG_NAME_AND_CLASSES.match(body)
            name = tag.group(1)
            if gt < 0 or not name and not body.startswith("/"):
                add(
                    line, column, "warning", "hidden-text",
                    f"Browsers read '{preview(raw[pos:stop])}' as a tag and do not show it."
                    " Write &lt; for a less-than sign.",
                )
            elif body[0] in DIGITS:
                seconds = timestamp_tag(body)
                if seconds is None:
                    add(
                        line, column, "warning", "bad-cue-timestamp",
                        f"Browsers hide '<{preview(body)}>': it is not a timestamp, which"
                        " looks like <00:00:01.500>. Write &lt; for a less-than sign.",
                    )
                elif not previous < seconds < cue.end:
                    add(
                        line, column, "warning", "cue-timestamp-order",
                        f"The timestamp <{body}> must come after the cue's start"
                        f" ({format_timestamp(cue.start)}) and any earlier timestamp in it,"
                        f" and before its end ({format_timestamp(cue.end)}).",
                    )
                else:
                    previous = seconds
            elif body[0] != "/" and name not in SPAN_TAGS:
                unknown.setdefault(name, []).append((line, column))
            elif body[0] != "/":
                found = _annotation_problem(name, body, body[tag.end() :].strip("\t\n\f "))
                if found:
                    add(line, column, "warning", *found)
            pos = raw.find("<", stop)
    for name, places in unknown.items():
        line, column = places[0]
        times = f" (it is used {len(places)} times)" if len(places) > 1 else ""
        add(
            line, column, "warning", "unknown-tag",
            f"Browsers ignore the tag <{preview(name)}>{times}: cue text has only <c>, <i>,"
            " <b>, <u>, <ruby>, <rt>, <v> and <lang>. Its text still shows; remove the tag"
            " or use a STYLE block.",
        )


def _ampersand_message(raw: str, pos: int) -> str:
    """Why the ``&`` at ``pos`` is not valid, and how to write what was meant."""
    match = _AMPERSAND_WORD.match(raw, pos)
    assert match is not None
    word = match.group()
    shown = html.unescape(word)
    if shown != word:
        # HTML's old rules still read some names without their ";".
        return (
            f"Browsers show '{word}' as '{preview(shown)}', but that is not a complete character"
            " reference, so it is not valid WebVTT. End the reference with ';', or write"
            " '&amp;' for an ampersand."
        )
    if word.endswith(";") and len(word) > 2:
        return (
            f"'{word}' is not a character reference HTML knows; browsers show it as written,"
            f" but it is not valid WebVTT. Write '&amp;{word[1:]}' to show it that way."
        )
    return (
        "Write '&amp;' for an ampersand: in cue text '&' must start a character reference"
        " such as &amp; or &#38;. Browsers show a bare '&', but it is not valid WebVTT."
    )


def _annotation_problem(name: str, body: str, annotation: str) -> tuple[str, str] | None:
    """What is wrong with the annotation of a known start tag, as (code, message)."""
    shown = f"<{preview(body)}>"
    if name not in ("v", "lang"):
        if not annotation:
            return None
        hint = f" To name a speaker, write <v {preview(annotation)}>." if name == "c" else ""
        return "unexpected-annotation", (
            f"Browsers ignore '{preview(annotation)}' in '{shown}': only <v> and <lang> take"
            f" words after the tag name.{hint}"
        )
    if not annotation:
        need = ("a speaker's name, as in <v Anna>, so players and the transcript can say who"
                " is speaking") if name == "v" else "a language tag, as in <lang en>"
        return "missing-annotation", f"'{shown}' needs {need}."
    if name == "lang" and WELL_FORMED_TAG.fullmatch(html.unescape(annotation)) is None:
        return "bad-language-tag", (
            f"'{preview(annotation)}' in '{shown}' is not a language tag; write one such as"
            " en, pt-BR or zh-Hant."
        )
    return None


def check_empty(cues: list[Cue], problems: list[Problem]) -> None:
    """Add a warning to ``problems`` when the file has no cues and no error says why."""
    # When errors dropped the cues, the errors already say so.
    if not cues and not any(p.severity == "error" for p in problems):
        problems.append(Problem(
            1, 1, "warning", "no-cues", "The file has no cues, so there is nothing to show."
        ))


def _check_readability(cue: Cue, add: Callable[..., None]) -> None:
    text = cue.plain_text
    text_lines = text.split("\n")
    # A tag may span lines; then a text line's number in the file is unknown.
    exact = len(text_lines) == cue.raw_text.count("\n") + 1
    for offset, text_line in enumerate(text_lines):
        length = len(text_line.rstrip())
        if length > MAX_LINE_LENGTH:
            add(
                cue.line + 1 + (offset if exact else 0), MAX_LINE_LENGTH + 1, "warning",
                "line-too-long",
                f"This caption line is {length} characters long; keep lines to"
                f" {MAX_LINE_LENGTH} characters so they fit the screen at large text sizes.",
            )
    shown = [t for t in text_lines if t.strip()]
    if len(shown) > MAX_LINES:
        add(
            cue.line + 1 + (MAX_LINES if exact else 0), 1, "warning", "too-many-lines",
            f"This cue has {len(shown)} lines; keep captions to {MAX_LINES} lines so they do"
            " not cover the picture.",
        )
    seconds = cue.end - cue.start
    if seconds > 0:
        characters = len(" ".join(t.strip() for t in shown))
        speed = characters / seconds
        if speed > MAX_CHARS_PER_SECOND:
            add(
                cue.line, 1, "warning", "reading-speed",
                f"Reading speed is {speed:.0f} characters per second ({characters} characters"
                f" in {seconds:.2f} s); keep it at or under {MAX_CHARS_PER_SECOND} so viewers"
                " can read the whole caption. Show the cue longer or shorten the text.",
            )


def _positioned(cue: Cue) -> bool:
    """Cues placed with settings may overlap on purpose, e.g. two speakers."""
    settings = cue.settings
    return "line:" in settings or "position:" in settings or "region:" in settings


def _check_overlaps(cues: list[Cue], add: Callable[..., None]) -> None:
    latest: Cue | None = None
    for cue in sorted(cues, key=lambda c: c.start):
        # A cue without text covers nothing.
        if cue.end <= cue.start or not cue.raw_text.strip():
            continue
        if (
            latest is not None
            and cue.start < latest.end
            and not (_positioned(cue) or _positioned(latest))
        ):
            add(
                cue.line, 1, "warning", "overlap",
                f"This cue ({format_timestamp(cue.start)}) starts before the cue on line"
                f" {latest.line} ends ({format_timestamp(latest.end)}), so both show at once."
                " Make the earlier cue end first, or place them with line or position"
                " settings.",
            )
        if latest is None or cue.end > latest.end:
            latest = cue


def _check_voices(cues: list[Cue], add: Callable[..., None]) -> None:
    names: list[str] = []
    first_line = 0
    for cue in cues:
        raw = cue.raw_text
        if "<v" in raw and cue.speakers:
            return
        text_lines = raw.split("\n")
        dashes = sum(1 for t in text_lines if t.startswith(_DIALOGUE_DASH))
        if dashes >= 2 and not first_line:
            first_line = cue.line
        if ":" in raw:
            for text_line in text_lines:
                match = _SPEAKER_LABEL.match(text_line)
                if (
                    match
                    and all(word[0].isupper() for word in match.group(1).split())
                    and match.group(1) not in names
                ):
                    names.append(match.group(1))
                    if len(names) == 2 and not first_line:
                        first_line = cue.line
    if not first_line:
        return
    if len(names) >= 2:
        found = "speaker labels such as " + ", ".join(f"'{n}:'" for n in names[:3])
    else:
        found = "dialogue dashes ('- ') for several speakers"
    add(
        first_line, 1, "warning", "missing-voice-tags",
        f"These captions have {found} but no <v> voice tags. Mark speakers as"
        " <v Name>text so players and the transcript can say who is speaking.",
    )
