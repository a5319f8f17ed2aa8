"""Cue settings and REGION blocks: the settings browsers apply, and why others are ignored."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from .model import character_name, find_invisible, preview

#: Where a checker reports a problem: line, column, severity, code, message.
Add = Callable[[int, int, str, str, str], None]

_SETTING_TOKEN = re.compile(r"[^\t\n\f\r ]+")
_PERCENTAGE = re.compile(r"\d+(?:\.\d+)?%", re.ASCII)
_LINE_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
# Browsers read a fractional line number; the syntax allows whole ones only.
_LINE_FRACTION = re.compile(r"-?\d+\.\d+", re.ASCII)


def _percentage_ok(value: str) -> bool:
    return _PERCENTAGE.fullmatch(value) is not None and float(value[:-1]) <= 100


def _check_vertical(value: str, regions: set[str]) -> str:
    return "" if value in ("rl", "lr") else "vertical is rl or lr"


def _check_line(value: str, regions: set[str]) -> str:
    position, _, align = value.partition(",")
    hint = "line is a line number (line:-1) or a percentage up to 100% (line:90%)"
    if position.endswith("%"):
        if not _percentage_ok(position):
            return hint
    elif _LINE_NUMBER.fullmatch(position) is None:
        return hint
    if "," in value and align not in ("start", "center", "end"):
        return "the alignment after the comma is start, center or end"
    return ""


def _check_position(value: str, regions: set[str]) -> str:
    position, _, align = value.partition(",")
    if not _percentage_ok(position):
        return "position is a percentage from 0% to 100%"
    if "," in value and align not in ("line-left", "center", "line-right"):
        return "the alignment after the comma is line-left, center or line-right"
    return ""


def _check_size(value: str, regions: set[str]) -> str:
    return "" if _percentage_ok(value) else "size is a percentage from 0% to 100%"


def _check_align(value: str, regions: set[str]) -> str:
    if value in ("start", "center", "end", "left", "right"):
        return ""
    if value == "middle":
        return "write align:center ('middle' is an old name browsers no longer read)"
    return "align is start, center, end, left or right"


def _check_region(value: str, regions: set[str]) -> str:
    if value in regions:
        return ""
    return "no REGION block above the first cue defines this id"


def _check_region_width(value: str) -> str:
    return "" if _percentage_ok(value) else "width is a percentage from 0% to 100%"


def _check_region_lines(value: str) -> str:
    return "" if value.isascii() and value.isdigit() else "lines is a whole number, as in lines:3"


def _check_anchor(value: str) -> str:
    x, comma, y = value.partition(",")
    if comma and _percentage_ok(x) and _percentage_ok(y):
        return ""
    return "an anchor is two percentages from 0% to 100%, as in 0%,100%"


def _check_scroll(value: str) -> str:
    return "" if value == "up" else "scroll is up or left out"


@dataclass(frozen=True)
class _SettingKind:
    """How the checker names one kind of setting in its messages."""

    code: str
    noun: str
    example: str
    names: str


_CUE_SETTINGS = _SettingKind("setting", "cue setting", "align:start",
                             "vertical, line, position, size, align and region")
_REGION_SETTINGS = _SettingKind("region-setting", "region setting", "width:40%",
                                "id, width, lines, regionanchor, viewportanchor and scroll")

_REGION_CHECKS: dict[str, Callable[[str], str] | None] = {
    # An id is any word: whitespace ends it, and "-->" ends the whole block.
    "id": None,
    "width": _check_region_width,
    "lines": _check_region_lines,
    "regionanchor": _check_anchor,
    "viewportanchor": _check_anchor,
    "scroll": _check_scroll,
}


_SETTING_CHECKS: dict[str, Callable[[str, set[str]], str]] = {
    "vertical": _check_vertical,
    "line": _check_line,
    "position": _check_position,
    "size": _check_size,
    "align": _check_align,
    "region": _check_region,
}


def read_region(buffer: list[str], first: int, region_ids: set[str], add: Add) -> None:
    """Check a REGION block's settings and remember its id in ``region_ids``.

    :param buffer: the block's lines after the ``REGION`` line.
    :param first: the ``REGION`` line's number (from 1); ``buffer[0]`` is the line after it.
    :param region_ids: the ids defined so far, for the cues' ``region`` settings.
    :param add: where problems go.
    """
    region_id = ""
    seen: set[str] = set()  # over the whole block: a setting may not repeat on a later line
    for number, line in enumerate(buffer, first + 1):
        for column, token, name, value in _settings(line, number, 1, _REGION_SETTINGS,
                                                    _REGION_CHECKS, seen, add):
            check = _REGION_CHECKS[name]
            hint = check(value) if check else ""
            if hint and _hidden(token, column, number, _REGION_SETTINGS,
                                "bad-region-setting-value", add):
                continue
            if hint:
                add(
                    number, column, "warning", "bad-region-setting-value",
                    f"'{preview(token)}' has a value browsers ignore: {hint}.",
                )
            elif name == "id":
                region_id = value
    # Line ``first`` (counting from 1) is the REGION line itself.
    if not region_id:
        add(
            first, 1, "warning", "region-without-id",
            "This REGION has no id setting (such as id:speaker1), so no cue can be"
            " placed in it.",
        )
    elif region_id in region_ids:
        add(
            first, 1, "warning", "duplicate-region-id",
            f"A region with the id '{preview(region_id)}' is already defined; region ids"
            " must be unique (cues use the last one).",
        )
    else:
        region_ids.add(region_id)


def _settings(text: str, number: int, first_column: int, kind: _SettingKind,
              known: Mapping[str, object], seen: set[str],
              add: Add) -> Iterator[tuple[int, str, str, str]]:
    """The well-formed, known settings in ``text`` (line ``number``, its
    first character at ``first_column``) as (column, token, name, value);
    malformed, unknown and repeated ones (names in ``seen``, which this
    adds to) are reported here."""
    for match in _SETTING_TOKEN.finditer(text):
        token = match.group()
        column = first_column + match.start()
        name, colon, value = token.partition(":")
        malformed = not colon or not name or not value
        if (malformed or name not in known) and _hidden(
                token, column, number, kind, f"{'bad' if malformed else 'unknown'}-{kind.code}",
                add):
            continue
        if malformed:
            add(
                number, column, "warning", f"bad-{kind.code}",
                f"'{preview(token)}' is not a {kind.noun}: settings are written name:value,"
                f" as in {kind.example}. Browsers ignore it.",
            )
            continue
        if name not in known:
            add(
                number, column, "warning", f"unknown-{kind.code}",
                f"'{preview(name)}' is not a {kind.noun} (those are {kind.names})."
                " Browsers ignore it.",
            )
            continue
        if name in seen:
            add(
                number, column, "warning", f"duplicate-{kind.code}",
                f"The {kind.noun} '{name}' appears twice; write each setting once.",
            )
        seen.add(name)
        yield column, token, name, value


def _hidden(token: str, column: int, number: int, kind: _SettingKind, code: str,
            add: Add) -> bool:
    """Report a setting browsers ignore because of a character one cannot see,
    naming the character, since quoting it would hide it; False if there is none."""
    at = find_invisible(token)
    if at < 0:
        return False
    name = character_name(token[at])
    if not any(char.isprintable() for char in token):
        message = (f"{name} is not a {kind.noun}, and browsers do not read it as a space."
                   " Remove it, or write a plain space instead.")
    else:
        where = "starts with" if at == 0 else "contains"
        message = (f"Browsers ignore '{preview(token)}': it {where} {name}, which they do"
                   f" not read as a space, so it is not a {kind.noun}. Write a plain space"
                   " instead, or remove the character.")
    add(number, column + at, "warning", code, message)
    return True


def check_cue_settings(settings: str, first_column: int, number: int, region_ids: set[str],
                       add: Add, header_region_ids: Collection[str] = ()) -> None:
    """Report the cue settings browsers ignore, and a region that other settings override.

    :param settings: the settings part of the cue's timing line.
    :param first_column: the column (from 1) where ``settings`` starts.
    :param number: the timing line's number (from 1).
    :param region_ids: the ids of the regions defined above the first cue.
    :param add: where problems go.
    :param header_region_ids: the ids of REGION blocks browsers ignore
        because no blank line ends the header before them.
    """
    applied: dict[str, tuple[int, str]] = {}
    for column, token, name, value in _settings(
            settings, number, first_column, _CUE_SETTINGS, _SETTING_CHECKS, set(), add):
        hint = _SETTING_CHECKS[name](value, region_ids)
        if hint and name == "region" and value in header_region_ids:
            hint = ("the REGION block that defines this id is in the WEBVTT header,"
                    " where browsers ignore it")
        if hint and _hidden(token, column, number, _CUE_SETTINGS, "bad-setting-value", add):
            continue
        if hint:
            add(
                number, column, "warning", "bad-setting-value",
                f"'{token}' has a value browsers ignore: {hint}.",
            )
            continue
        if name == "line" and _LINE_FRACTION.fullmatch(value.partition(",")[0]):
            add(
                number, column, "warning", "fractional-line",
                f"'{token}' is not valid WebVTT: a line number is a whole number, as in"
                " line:-1. Browsers accept it, but other tools may not; use a percentage"
                " (line:85%) to place a cue between lines.",
            )
        if name != "size" or float(value[:-1]) != 100:
            applied[name] = (column, token)
    # A cue placed by line, size or vertical leaves its region.
    placed = [applied[name][1] for name in ("vertical", "line", "size") if name in applied]
    if "region" in applied and placed:
        column, token = applied["region"]
        add(
            number, column, "warning", "region-ignored",
            f"'{token}' has no effect: a cue with {' and '.join(placed)} is placed on its"
            " own, outside any region. Remove one or the other.",
        )
