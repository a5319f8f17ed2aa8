"""WebVTT files as browsers read them: decoding, the block scanner, timing lines.

The scanner follows the W3C WebVTT parsing algorithm, so a file is judged by
what a browser would show from it: anything the algorithm accepts (a byte
order mark, CR or CRLF line endings, omitted hours, NOTE, STYLE and REGION
blocks, the editor's draft's ATTRIBUTES block, cue identifiers and settings)
is never an error, while anything that makes a browser drop the file or a
cue is. Problems that browsers tolerate but that an author should fix are
warnings. Cue settings and REGION blocks are checked in :mod:`.settings`,
checks across cues in :mod:`.checks`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .model import Cue, Problem, character_name, find_invisible, preview
from .settings import check_cue_settings, read_region
from .timestamps import MAX_HOUR_DIGITS, collect_timestamp, format_timestamp

# -- decoding -------------------------------------------------------------------

_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
)


def decode(data: bytes) -> tuple[str, Problem | None]:
    """Decode as a browser does (UTF-8, bad bytes replaced) and say why not UTF-8."""
    for bom, codec, label in _UNICODE_BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace"), Problem(
                1, 1, "error", "not-utf8",
                f"The file is encoded as {label}, as its byte order mark shows. WebVTT files"
                " must be UTF-8: some browsers read this one anyway, but those that follow"
                " the standard load no captions from it. Save the file as UTF-8.",
            )
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        codec, label = utf16
        return data.decode(codec, "replace"), Problem(
            1, 1, "error", "not-utf8",
            f"The file looks like {label} text without a byte order mark. WebVTT files must"
            " be UTF-8, and browsers load no captions from this one. Save the file as UTF-8.",
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        bad = exc.start
    text = data.decode("utf-8", "replace")
    before = data[:bad].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    affected = sum(1 for text_line in normalized.split("\n") if "\ufffd" in text_line)
    where = "1 line" if affected == 1 else f"{affected} lines"
    return text, Problem(
        line, column, "error", "not-utf8",
        f"The file is not UTF-8: it looks like {_guess_single_byte(data)}. Caption files"
        f" must be UTF-8, so browsers show characters such as the byte 0x{data[bad]:02X} here"
        f" as '\ufffd' ({where} affected). Save the file as UTF-8.",
    )


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    # ASCII text in UTF-16 has a zero byte in every other position.
    if odd > half * 0.4 and even < half * 0.1:
        return "utf-16-le", "UTF-16 (little-endian)"
    if even > half * 0.4 and odd < half * 0.1:
        return "utf-16-be", "UTF-16 (big-endian)"
    return None


def _guess_single_byte(data: bytes) -> str:
    """Name the legacy encoding a non-UTF-8 caption file most likely uses."""
    high = [i for i, byte in enumerate(data) if byte >= 0x80]
    high_set = set(high)
    neighbours = sum(1 for i in high if i - 1 in high_set or i + 1 in high_set)
    # Cyrillic words in a single-byte encoding are runs of high bytes, while
    # Western European text has one accented letter here and there.
    if high and neighbours / len(high) > 0.5:
        return "Windows-1251 (Cyrillic)"
    return "Windows-1252 (Western European, also called Latin-1)"


# -- the WebVTT scanner ------------------------------------------------------------

# Digits in WebVTT are ASCII digits, hence re.ASCII on every numeric pattern.
_FAST_TIMING = re.compile(
    r"(?:(\d{2,10}):)?([0-5]\d):([0-5]\d)\.(\d\d\d)[ \t]+-->[ \t]+"
    r"(?:(\d{2,10}):)?([0-5]\d):([0-5]\d)\.(\d\d\d)(?:[ \t]+(.*))?",
    re.ASCII,
)
_TIMING_LIKE = re.compile(r"\d+:\d+(?::\d+)?(?:[.,]\d+)?", re.ASCII)
_WHITESPACE = " \t\f"
# A line of an ATTRIBUTES block: a name of ASCII letters, digits and "_", a colon, a value.
_ATTRIBUTE = re.compile(r"[A-Za-z_][0-9A-Za-z_]*:.*", re.ASCII)


def timing_like(line: str) -> list[re.Match[str]] | None:
    """The first two time-like words of a line that starts with one, if any."""
    stamps = list(_TIMING_LIKE.finditer(line, 0))[:2]
    if len(stamps) == 2 and not line[: stamps[0].start()].strip():
        return stamps
    return None


def _is_block_keyword(line: str, keyword: str) -> bool:
    """``STYLE`` or ``REGION`` with nothing but whitespace after it."""
    return line.startswith(keyword) and not line[len(keyword) :].strip("\t\n\f\r ")


def _block_keyword(line: str) -> str:
    """``NOTE``, ``STYLE`` or ``REGION`` when ``line`` starts such a block."""
    if _is_keyword_line(line, "NOTE"):
        return "NOTE"
    for keyword in ("STYLE", "REGION"):
        if _is_block_keyword(line, keyword):
            return keyword
    return ""


def _is_keyword_line(line: str, keyword: str) -> bool:
    """``NOTE`` alone or followed by a space or a tab, and then anything."""
    return line.startswith(keyword) and (
        len(line) == len(keyword) or line[len(keyword)] in " \t"
    )


# Blocks that are not cues but still end only at a blank line.
_KEPT_BLOCKS = frozenset({"NOTE", "STYLE", "REGION"})


@dataclass
class _Timing:
    start: float
    end: float
    settings: str
    end_column: int
    settings_column: int


@dataclass
class _Failure:
    """Why a timing line failed, and where."""

    column: int
    message: str


class Scanner:
    """One pass over a file's lines, block by block, as the WebVTT parser reads them.

    :param text: the decoded file.
    :param problems: the list the scan adds its problems to.
    """

    def __init__(self, text: str, problems: list[Problem]) -> None:
        if "\0" in text:
            text = text.replace("\0", "\ufffd")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.end = len(self.lines) - 1 if self.lines[-1] == "" else len(self.lines)
        self.problems = problems
        self.cues: list[Cue] = []
        # Where each cue's end time is written, to point at it when it is wrong.
        self.end_columns: list[int] = []
        self.region_ids: set[str] = set()
        # Ids of REGION blocks that browsers ignore as part of the header.
        self.header_region_ids: set[str] = set()

    def add(self, line: int, column: int, severity: str, code: str, message: str) -> None:
        """Record a problem at ``line`` and ``column`` (both from 1)."""
        self.problems.append(Problem(line, column, severity, code, message))

    def run(self) -> list[Cue]:
        """Read the file block by block; return its cues and record every problem."""
        index = self._signature()
        if index is None:
            return self.cues
        lines, end = self.lines, self.end
        while index < end and not lines[index]:
            index += 1
        seen_cue = False
        after_break = False
        # What the block before was, to explain a line with "-->" that
        # ended it: a cue, a comment, a style sheet or a region.
        previous_block = ""
        blocks = 0
        while index < end:
            start = index
            count = 0
            previous = index
            buffer: list[str] = []
            timing: _Timing | None = None
            timing_index = -1
            failure: _Failure | None = None
            failed_at = -1
            lost_from = 0
            seen_arrow = False
            style = region = False
            broke = False
            # Lines that look blank but hold spaces or tabs, so they end nothing.
            spaced: list[int] = []
            while True:
                line = lines[index]
                index += 1
                count += 1
                if "-->" in line:
                    if count == 1 or (count == 2 and not seen_arrow):
                        seen_arrow = True
                        previous = index
                        parsed = self._timing(line, index)
                        if isinstance(parsed, _Failure):
                            failure, failed_at = parsed, index - 1
                            # Lines collected from here on are the text that is lost.
                            lost_from = len(buffer)
                        else:
                            timing = parsed
                            timing_index = index - 1
                            identifier = buffer[0] if buffer else ""
                            buffer = []
                            seen_cue = True
                    else:
                        index = previous
                        broke = True
                        break
                elif not line:
                    break
                else:
                    if count == 2 and not seen_cue and len(buffer) == 1:
                        if _is_block_keyword(buffer[0], "STYLE"):
                            style, buffer = True, []
                        elif _is_block_keyword(buffer[0], "REGION"):
                            region, buffer = True, []
                    if not line.strip(_WHITESPACE):
                        spaced.append(index - 1)
                    buffer.append(line)
                    previous = index
                if index >= end:
                    break
            block = ""
            if timing is not None:
                block = "cue"
                # A line with "-->" before it was meant as its identifier,
                # and is reported as such.
                if after_break and previous_block != "identifier":
                    self.add(
                        timing_index + 1, 1, "warning", "missing-blank-line",
                        "There is no blank line before this cue. Browsers accept it, but a"
                        " blank line must separate cues; without it the line above may be"
                        " shown as text of the previous cue.",
                    )
                if timing_index == start + 1 and _is_keyword_line(identifier, "NOTE"):
                    self.add(
                        timing_index + 1, 1, "warning", "arrow-in-note",
                        "A comment (NOTE) must not contain '-->'. Browsers read this line as"
                        " the timing of a cue, so the comment becomes a cue; to comment a cue"
                        " out, remove its '-->'.",
                    )
                self.cues.append(Cue(
                    identifier, timing.start, timing.end, timing.settings,
                    "\n".join(buffer), timing_index + 1,
                ))
                self.end_columns.append(timing.end_column)
                if timing.settings:
                    check_cue_settings(timing.settings, timing.settings_column, timing_index + 1,
                                       self.region_ids, self.add, self.header_region_ids)
            elif style or region:
                block = "STYLE" if style else "REGION"
                if region:
                    read_region(buffer, start + 1, self.region_ids, self.add)
            elif failure is not None:
                inside, whole = "", False
                if failed_at == start + 1:
                    # On the second line of a block, "-->" makes browsers
                    # read the whole block as a failed cue.
                    inside, whole = _block_keyword(lines[start]), True
                elif after_break and failed_at == start:
                    # Further down, it ended the block above.
                    inside = previous_block
                if self._failed_cue(failure, failed_at, inside, whole, broke,
                                    buffer[lost_from:]) == "arrow-in-identifier":
                    block = "identifier"
            else:
                if _is_keyword_line(lines[start], "NOTE"):
                    block = "NOTE"
                self._null_block(start, index, seen_cue, blocks == 0)
            if spaced:
                kept = timing is None and (failure is not None or block in _KEPT_BLOCKS)
                self._spaced_lines(spaced, timing_index,
                                   index - 1 if broke and kept else None)
            after_break = broke
            previous_block = block
            blocks += 1
            while index < end and not lines[index]:
                index += 1
        return self.cues

    def _signature(self) -> int | None:
        """Check the ``WEBVTT`` line and skip the header; None when nothing follows."""
        lines, end = self.lines, self.end
        first = lines[0]
        if first.startswith("WEBVTT"):
            if len(first) > 6 and first[6] not in " \t":
                after = first[6]
                # An invisible character is named, since the line looks right.
                found = f"it is '{preview(first)}'" if after.isprintable() and not (
                    after.isspace()) else f"'WEBVTT' is followed by {character_name(after)}"
                self.add(
                    1, 7, "error", "bad-signature",
                    "The first line must be 'WEBVTT' alone or followed by a space or a tab,"
                    f" but {found}. Browsers will not load this file.",
                )
            header = 0
        else:
            header = self._missing_signature()
            if header is None:
                return 0
        index = header + 1
        if index >= end:
            return None
        if lines[index]:
            # The header block: metadata lines up to a blank line, which
            # browsers ignore; a timing line ends it early.
            while True:
                line = lines[index]
                if "-->" in line:
                    self.add(
                        index + 1, 1, "warning", "missing-blank-line",
                        "There is no blank line between the WEBVTT header and this cue."
                        " Browsers accept it, but the header must end with a blank line.",
                    )
                    break
                keyword = _block_keyword(line)
                if keyword in ("STYLE", "REGION"):
                    self._block_in_header(keyword, index, header)
                index += 1
                if not line or index >= end:
                    break
        else:
            index += 1
        while index < end and not lines[index]:
            index += 1
        return index

    def _block_in_header(self, keyword: str, index: int, header: int) -> None:
        """Report a STYLE or REGION block (its keyword at line index ``index``)
        with no blank line before it inside the header, so browsers read it as
        header text; remember a region's id to explain the cues that use it."""
        where = ("put a blank line after the WEBVTT line" if index == header + 1
                 else "put a blank line before it")
        self.add(
            index + 1, 1, "warning", "block-in-header",
            f"Browsers read this {keyword} block as part of the WEBVTT header and ignore it;"
            f" {where}.",
        )
        if keyword == "REGION":
            block: list[str] = []
            for line in self.lines[index + 1 : self.end]:
                if not line or "-->" in line or _block_keyword(line):
                    break
                block.append(line)
            # Its problems are beside the point while browsers ignore it.
            read_region(block, index + 1, self.header_region_ids, lambda *problem: None)

    def _missing_signature(self) -> int | None:
        """Report a file that does not start with WEBVTT; return its header line if any."""
        lines = self.lines
        first = lines[0]
        message = (
            "The file must start with 'WEBVTT' on its first line."
            " Browsers will not load this file."
        )
        header = None
        for index in range(min(self.end, 20)):
            if lines[index].strip():
                if lines[index].strip().startswith("WEBVTT"):
                    header = index
                break
        if header is not None:
            message = (
                "'WEBVTT' must be the very first text in the file, with no blank lines or"
                " spaces before it. Browsers will not load this file."
            )
        elif first[:6].upper() == "WEBVTT":
            header = 0
            message = (
                f"The first line is '{preview(first)}', but 'WEBVTT' must be in capital"
                " letters. Browsers will not load this file."
            )
        elif (
            first.strip().isdigit() and self.end > 1 and "-->" in lines[1] and "," in lines[1]
        ):
            message = (
                "This looks like a SubRip (SRT) file, not WebVTT: it has no 'WEBVTT' line"
                " and its times use commas. Convert it to WebVTT; browsers will not load it."
            )
        self.add(1, 1, "error", "missing-signature", message)
        return header

    def _timing(self, line: str, number: int) -> _Timing | _Failure:
        match = _FAST_TIMING.fullmatch(line)
        if match is not None:
            g = match.group
            start = (
                ((int(g(1) or 0) * 60 + int(g(2))) * 60 + int(g(3))) * 1000 + int(g(4))
            ) / 1000
            end = (
                ((int(g(5) or 0) * 60 + int(g(6))) * 60 + int(g(7))) * 1000 + int(g(8))
            ) / 1000
            settings = g(9) or ""
            # Without hours, the end time starts at its minutes.
            end_column = match.start(5 if g(5) else 6) + 1
            return _Timing(
                start, end, settings.rstrip(_WHITESPACE), end_column,
                match.start(9) + 1 if settings else 0,
            )
        return self._timing_slow(line, number)

    def _timing_slow(self, line: str, number: int) -> _Timing | _Failure:
        """The spec's "collect cue timings and settings", with reasons on failure."""
        pos = _skip_whitespace(line, 0)
        start_column = pos + 1
        parsed = collect_timestamp(line, pos)
        if parsed is None:
            return _timestamp_failure(line, pos, "start")
        start, pos, start_hours = parsed
        after = _skip_whitespace(line, pos)
        spaced = after > pos
        pos = after
        if not line.startswith("-->", pos):
            token = _token(line, pos)
            if find_invisible(token[:1]) == 0:
                # Quoted, it would look like the space that belongs there.
                found = f"{character_name(token[0])}{_NOT_A_SPACE}"
            else:
                found = f"'{preview(token)}'"
            return _Failure(
                pos + 1,
                f"Expected '-->' after the start time, but found {found}."
                " Browsers drop this cue.",
            )
        pos += 3
        after = _skip_whitespace(line, pos)
        spaced = spaced and after > pos
        pos = after
        end_column = pos + 1
        parsed = collect_timestamp(line, pos)
        if parsed is None:
            return _timestamp_failure(line, pos, "end")
        end, pos, end_hours = parsed
        for digits, column, value in (
            (start_hours, start_column, start), (end_hours, end_column, end)
        ):
            if digits == 1:
                self.add(
                    number, column, "warning", "one-digit-hours",
                    f"Timestamp '{line[column - 1 : column + 10]}' has a one-digit hour;"
                    f" write two digits ({format_timestamp(value)}). Browsers accept it,"
                    " but it is not valid WebVTT and other tools may reject it.",
                )
        if not spaced:
            self.add(
                number, 1, "warning", "timing-spacing",
                "Put a space on each side of '-->'. Browsers accept it without, but it is"
                " not valid WebVTT and other tools may reject it.",
            )
        if start_column > 1:
            self.add(
                number, 1, "warning", "timing-spacing",
                "Remove the spaces before the start time. Browsers accept them, but it is"
                " not valid WebVTT and other tools may reject it.",
            )
        settings_column = _skip_whitespace(line, pos)
        settings = line[settings_column:].rstrip(_WHITESPACE)
        if settings and settings_column == pos:
            if find_invisible(line[pos]) == 0:
                message = (f"The end time is followed by {character_name(line[pos])}"
                           f"{_NOT_A_SPACE}. Browsers accept the timing, but it is not valid"
                           " WebVTT.")
            else:
                message = ("Put a space between the end time and the cue settings. Browsers"
                           " accept it without, but it is not valid WebVTT.")
            self.add(number, pos + 1, "warning", "timing-spacing", message)
        return _Timing(start, end, settings, end_column, settings_column + 1 if settings else 0)

    def _failed_cue(
        self, failure: _Failure, index: int, inside: str, whole: bool, broke: bool,
        buffer: list[str],
    ) -> str:
        """Explain a line with "-->" that browsers cannot read as a timing line,
        and return the problem's code.

        :param inside: what the line belongs to for its author: ``"cue"``,
            ``"NOTE"``, ``"STYLE"`` or ``"REGION"``; empty when it starts a block.
        :param whole: whether browsers drop that whole block with it, rather
            than end the block at the line above.
        :param broke: whether a timing line follows at once.
        :param buffer: the lines after it that browsers drop with it.
        """
        line = self.lines[index]
        number = index + 1
        column = line.find("-->") + 1
        text = " / ".join(b for b in buffer if b.strip())
        lost = f" Its text will not show: '{preview(text)}'." if text else ""
        timing_like = _TIMING_LIKE.match(line.lstrip(_WHITESPACE)) is not None
        if inside == "NOTE" or _is_keyword_line(line, "NOTE"):
            code = "arrow-in-note"
            self.add(
                number, column, "warning", code,
                "A comment (NOTE) must not contain '-->'. Browsers read this line as a cue"
                " timing line and skip the block.",
            )
        elif inside in ("STYLE", "REGION"):
            what = "style sheet" if inside == "STYLE" else "region definition"
            effect = (f"they ignore the whole {what}" if whole
                      else f"the {what} ends at the line above and the rest is ignored")
            escape = " (inside a CSS string, write '--\\>')" if inside == "STYLE" else ""
            code = f"arrow-in-{inside.lower()}"
            self.add(
                number, column, "warning", code,
                f"A {inside} block must not contain '-->'. Browsers read this line as a cue"
                f" timing line, so {effect}. Remove the '-->'{escape}.",
            )
        elif inside == "cue" and not timing_like:
            code = "arrow-in-text"
            self.add(
                number, column, "error", code,
                "This line contains '-->', so browsers end the cue above here and read this"
                " line as the timing of a new cue, which fails: this line and the lines after"
                " it up to the next blank line will not show. Write '--&gt;' to show an arrow.",
            )
        elif broke and not inside and not buffer and not timing_like:
            code = "arrow-in-identifier"
            self.add(
                number, column, "warning", code,
                "A cue identifier must not contain '-->'. Browsers read this line as a timing"
                " line and drop it, so the cue below shows without its identifier.",
            )
        else:
            code = "bad-timestamp"
            self.add(number, failure.column, "error", code, failure.message + lost)
        return code

    def _null_block(self, start: int, stop: int, seen_cue: bool, first_block: bool) -> None:
        """Diagnose a block browsers ignore: a comment, attributes, or text no cue owns."""
        lines = self.lines
        first = lines[start]
        if _is_keyword_line(first, "NOTE"):
            return
        for keyword in ("STYLE", "REGION"):
            if not _is_block_keyword(first, keyword):
                continue
            if seen_cue:
                self.add(
                    start + 1, 1, "warning", "ignored-block",
                    f"Browsers ignore a {keyword} block after the first cue. Move it above"
                    " the first cue.",
                )
            return
        if first == "ATTRIBUTES":
            self._read_attributes(start, stop, first_block)
            return
        if not any(line.strip(_WHITESPACE) for line in lines[start:stop]):
            self.add(
                start + 1, 1, "warning", "blank-line-with-spaces",
                "This line looks blank but holds spaces or tabs. Browsers skip it, but a"
                " blank line must hold nothing. Make it empty.",
            )
            return
        if first.startswith("NOTE"):
            # Meant as a comment, and ignored like one, so nothing is lost.
            self.add(
                start + 1, 5, "warning", "bad-comment",
                f"'{preview(first)}' does not start a comment: write NOTE followed by a space,"
                " a tab or a line break. Browsers ignore this block all the same, but it is"
                " not valid WebVTT.",
            )
            return
        for index in range(start, min(start + 2, stop)):
            line = lines[index]
            stamps = timing_like(line)
            if stamps is not None:
                between = line[stamps[0].end() : stamps[1].start()].strip()
                found = f"it has '{between}' where '-->' must be" if between else (
                    "'-->' is missing between the times"
                )
                text = " / ".join(x for x in lines[index + 1 : stop] if x.strip())
                lost = f": '{preview(text)}'" if text else ""
                self.add(
                    index + 1, stamps[0].end() + 1, "error", "broken-timing-line",
                    f"This looks like a cue timing line, but {found}. Browsers skip the"
                    f" whole cue, so its text will not show{lost}.",
                )
                return
        text = preview(" / ".join(x for x in lines[start:stop] if x.strip()))
        if seen_cue:
            self.add(
                start + 1, 1, "error", "orphan-text",
                f"The text '{text}' belongs to no cue, so it never shows: a blank line ends"
                " a cue. Remove the blank line above it or give it its own timing line.",
            )
        else:
            self.add(
                start + 1, 1, "warning", "stray-text",
                f"Browsers ignore the text '{text}' before the first cue. Start comments"
                " with 'NOTE'.",
            )

    def _read_attributes(self, start: int, stop: int, first_block: bool) -> None:
        """Check an ATTRIBUTES block (line index ``start``), which may give the
        track's kind, language and label; browsers ignore it."""
        if not first_block:
            self.add(
                start + 1, 1, "warning", "misplaced-attributes",
                "An ATTRIBUTES block must be the first block after the WEBVTT line, and a file"
                " has at most one. Browsers ignore it; move it up or remove it.",
            )
        for index in range(start + 1, stop):
            line = self.lines[index]
            if line and _ATTRIBUTE.fullmatch(line) is None:
                self.add(
                    index + 1, 1, "warning", "bad-attribute",
                    f"'{preview(line)}' is not an attribute: write a name, a colon and a value,"
                    " as in 'kind: captions'.",
                )

    def _spaced_lines(self, spaced: list[int], timing: int, last: int | None) -> None:
        """Report lines (indexes ``spaced``) of one block that look blank but
        hold spaces or tabs, where that changes what browsers read.

        :param timing: the index of the timing line of the block's cue, or -1.
        :param last: the index of the last line of a comment, style sheet,
            region or broken cue that a cue follows without a blank line.
        """
        for at in spaced:
            if 0 <= timing < at:
                effect = ("so it does not end the cue: browsers show it and the lines after it"
                          " as part of the cue")
            elif timing >= 0:
                effect = "so browsers read it as the identifier of the cue below"
            elif at == last:
                effect = "so it is not the blank line that must come before the cue below"
            else:
                # Inside a comment, style sheet or region it ends nothing and
                # harms nothing; the spec suggests it for blank lines in CSS.
                continue
            self.add(at + 1, 1, "warning", "blank-line-with-spaces",
                     f"This line looks blank but holds spaces or tabs, {effect}. Make it empty.")


# Said of a character that looks like a space, or like nothing, in a timing line.
_NOT_A_SPACE = (", which browsers do not read as a space: write a plain space instead,"
                " or remove it")


def _timestamp_failure(line: str, pos: int, which: str) -> _Failure:
    token = _token(line, pos)
    hidden = find_invisible(token)
    if hidden >= 0:
        # Quoting the timestamp would hide the character that spoils it.
        where = "starts with" if hidden == 0 else "contains"
        return _Failure(
            pos + hidden + 1,
            f"Timestamp '{preview(token)}' is not valid: it {where}"
            f" {character_name(token[hidden])}{_NOT_A_SPACE}. Browsers drop this cue.",
        )
    if token:
        message = _explain_timestamp(token)
    elif which == "start":
        message = "The start time is missing before '-->'"
    else:
        message = "The end time is missing after '-->'"
    return _Failure(pos + 1, message + ". Browsers drop this cue.")


def _skip_whitespace(line: str, pos: int) -> int:
    n = len(line)
    while pos < n and line[pos] in _WHITESPACE:
        pos += 1
    return pos


def _token(line: str, pos: int) -> str:
    """The word at ``pos``, stopping at whitespace or an arrow."""
    stop = pos
    n = len(line)
    while stop < n and line[stop] not in _WHITESPACE and not line.startswith("-->", stop):
        stop += 1
    return line[pos:stop]


_LOOSE_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d+):(\d+)(?:([.,])(\d*))?", re.ASCII)


def _explain_timestamp(token: str) -> str:
    """Why browsers reject a timestamp, with a corrected form when one is clear."""
    match = _LOOSE_TIMESTAMP.fullmatch(token)
    shown = preview(token)
    if match is None:
        return (
            f"Timestamp '{shown}' is not valid: timestamps look like 00:00:01.000"
            " (hours:minutes:seconds.milliseconds)"
        )
    hours, minutes, seconds, separator, fraction = match.groups()
    if max(len(hours or ""), len(minutes), len(seconds)) > MAX_HOUR_DIGITS:
        return f"Timestamp '{shown}' is not valid: a number in it is far too large"
    if hours is None and len(minutes) != 2:
        reason = "minutes need two digits"
    elif hours is not None and len(minutes) != 2:
        reason = "minutes need two digits"
    elif len(seconds) != 2:
        reason = "seconds need two digits"
    elif separator is None:
        reason = "the milliseconds are missing"
    elif separator == ",":
        reason = "it has a comma before the milliseconds, and WebVTT needs a dot"
    elif len(fraction) != 3:
        reason = "milliseconds need three digits"
    elif int(minutes) > 59:
        reason = "minutes must be 59 or less"
    elif int(seconds) > 59:
        reason = "seconds must be 59 or less"
    else:
        reason = "hours need two digits when minutes and seconds follow"
    millis = int((fraction or "").ljust(3, "0")[:3])
    total = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis
    return f"Timestamp '{shown}' is not valid: {reason} ({format_timestamp(total / 1000)})"
