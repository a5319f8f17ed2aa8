"""Caption files: validation as browsers read them, conversion, cue text.

The validator follows the W3C WebVTT parsing algorithm, so a file is judged by
what a browser would show from it: anything the algorithm accepts (a byte
order mark, CR or CRLF line endings, omitted hours, NOTE, STYLE and REGION
blocks, the editor's draft's ATTRIBUTES block, cue identifiers and settings)
is never an error, while anything that makes a browser drop the file or a
cue is. Problems that browsers tolerate but that an author should fix are
warnings.

Nothing here knows about Flask; the cue text model carries text, never
markup, so whoever renders it escapes it.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..errors import PlayerError
from ..languages import WELL_FORMED_TAG

#: Track kinds of the HTML ``<track>`` element.
KINDS = ("captions", "subtitles", "descriptions", "chapters", "metadata")
#: Caption file formats :func:`convert` reads.
FORMATS = ("vtt", "srt", "sbv")

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


class CaptionError(PlayerError, ValueError):
    """A caption file that cannot be read or converted.

    :param message: what went wrong, with line numbers.
    :param problems: the problems found, each with its line and column.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Problem:
    """One finding in a caption file. Lines and columns start at 1."""

    line: int
    column: int
    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class Text:
    """Text of a cue, with character references already decoded."""

    text: str


@dataclass(frozen=True)
class Timestamp:
    """A ``<00:00:01.000>`` timestamp inside a cue (karaoke-style timing)."""

    seconds: float


@dataclass
class Span:
    """A cue span: ``c``, ``i``, ``b``, ``u``, ``ruby``, ``rt``, ``v`` or ``lang``.

    ``annotation`` is the voice name of a ``v`` span and the language of a
    ``lang`` span.
    """

    tag: str
    classes: tuple[str, ...] = ()
    annotation: str = ""
    children: list[Node] = field(default_factory=list)


Node = Text | Timestamp | Span


@dataclass
class Cue:
    """A cue as a browser would create it.

    :param line: the line of the cue's timing line.
    """

    identifier: str
    start: float
    end: float
    settings: str
    raw_text: str
    line: int

    @cached_property
    def nodes(self) -> list[Node]:
        """The parsed cue text, see :func:`parse_cue_text`."""
        return parse_cue_text(self.raw_text)

    @property
    def plain_text(self) -> str:
        """The text a viewer reads, without markup; lines stay separate."""
        if "<" not in self.raw_text and "&" not in self.raw_text:
            return self.raw_text
        return nodes_text(self.nodes)

    @property
    def speakers(self) -> list[str]:
        """Voice names from ``<v>`` spans, in order of appearance."""
        if "<v" not in self.raw_text:
            return []
        return _speakers(self.nodes)


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


# -- cue text ---------------------------------------------------------------

_SPAN_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt", "v", "lang"})
# Classes end up in class attributes when a cue is rendered; anything but a
# plain CSS identifier is dropped rather than trusted to later escaping.
_CLASS_NAME = re.compile(r"[A-Za-z_][\w-]*")
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
_TAG_NAME_AND_CLASSES = re.compile(r"([^\t\n\f .]*)((?:\.[^\t\n\f .]*)*)")
_DIGITS = "0123456789"


def parse_cue_text(raw: str) -> list[Node]:
    """Parse cue text by the WebVTT cue text parsing rules.

    Known spans become :class:`Span` nodes, character references are decoded
    into :class:`Text`, and unknown tags are dropped while their text stays,
    so markup never survives as markup:

    >>> parse_cue_text("<script>alert(1)</script>&lt;b&gt;")
    [Text(text='alert(1)'), Text(text='<b>')]

    :param raw: the cue text as written in the file.
    :returns: the top-level nodes.
    """
    root = Span("")
    stack = [root]
    current = root
    pos = 0
    length = len(raw)
    while pos < length:
        lt = raw.find("<", pos)
        if lt != pos:
            stop = length if lt < 0 else lt
            chunk = raw[pos:stop]
            current.children.append(Text(html.unescape(chunk) if "&" in chunk else chunk))
            pos = stop
            continue
        gt = raw.find(">", pos + 1)
        stop = length if gt < 0 else gt
        body = raw[pos + 1 : stop]
        pos = stop + 1
        if not body:
            continue
        first = body[0]
        if first == "/":
            name = body[1:]
            if name == current.tag and len(stack) > 1:
                stack.pop()
            elif name == "ruby" and current.tag == "rt" and len(stack) > 2:
                del stack[-2:]
            current = stack[-1]
        elif first in _DIGITS:
            seconds = _timestamp_tag(body)
            if seconds is not None:
                current.children.append(Timestamp(seconds))
        else:
            span = _start_tag(body)
            if span is None or (span.tag == "rt" and current.tag != "ruby"):
                continue
            current.children.append(span)
            stack.append(span)
            current = span
    return root.children


def _start_tag(body: str) -> Span | None:
    """Read ``name.class.class annotation`` into a span, or None if unknown."""
    match = _TAG_NAME_AND_CLASSES.match(body)
    assert match is not None
    name = match.group(1)
    if name not in _SPAN_TAGS:
        return None
    classes = tuple(c for c in match.group(2).split(".") if _CLASS_NAME.fullmatch(c))
    annotation = ""
    if name in ("v", "lang"):
        annotation = _ASCII_WHITESPACE.sub(" ", body[match.end() :]).strip(" ")
        if "&" in annotation:
            annotation = html.unescape(annotation)
    return Span(name, classes, annotation)


def _timestamp_tag(body: str) -> float | None:
    parsed = _collect_timestamp(body, 0)
    if parsed is None or parsed[1] != len(body):
        return None
    return parsed[0]


def nodes_text(nodes: Sequence[Node]) -> str:
    """The plain text of parsed cue text; ruby text follows its base in brackets."""
    parts: list[str] = []
    _gather_text(nodes, parts)
    return "".join(parts)


def _gather_text(nodes: Sequence[Node], parts: list[str]) -> None:
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.text)
        elif isinstance(node, Span):
            if node.tag == "rt":
                parts.append("(")
                _gather_text(node.children, parts)
                parts.append(")")
            else:
                _gather_text(node.children, parts)


def _speakers(nodes: Sequence[Node]) -> list[str]:
    found: list[str] = []

    def visit(children: Sequence[Node]) -> None:
        for node in children:
            if isinstance(node, Span):
                if node.tag == "v" and node.annotation and node.annotation not in found:
                    found.append(node.annotation)
                visit(node.children)

    visit(nodes)
    return found


def cue_plain_text(raw: str) -> str:
    """The text of a cue without markup, entities decoded.

    >>> cue_plain_text("<v Ann>Tom &amp; <i>Jerry</i>")
    'Tom & Jerry'
    """
    if "<" not in raw and "&" not in raw:
        return raw
    return nodes_text(parse_cue_text(raw))


def cue_speakers(raw: str) -> list[str]:
    """Voice names of a cue's ``<v>`` spans, in order, without repeats."""
    if "<v" not in raw:
        return []
    return _speakers(parse_cue_text(raw))


# -- timestamps ---------------------------------------------------------------


def _digits_end(s: str, pos: int) -> int:
    n = len(s)
    while pos < n and s[pos] in _DIGITS:
        pos += 1
    return pos


# Hours with more digits than this are hundreds of millions of years past any
# media; refusing them also keeps int() away from its digit limit.
_MAX_HOUR_DIGITS = 10


def _collect_timestamp(s: str, pos: int) -> tuple[float, int, int] | None:
    """The WebVTT "collect a timestamp" algorithm.

    :returns: seconds, the position after the timestamp, and the number of
        digits of its hours field (0 when the hours are omitted); None when
        browsers reject it.
    """
    n = len(s)
    j = _digits_end(s, pos)
    if j == pos or j - pos > _MAX_HOUR_DIGITS:
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


_LOOSE_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d+):(\d+)(?:([.,])(\d*))?", re.ASCII)


def _explain_timestamp(token: str) -> str:
    """Why browsers reject a timestamp, with a corrected form when one is clear."""
    match = _LOOSE_TIMESTAMP.fullmatch(token)
    shown = _preview(token)
    if match is None:
        return (
            f"Timestamp '{shown}' is not valid: timestamps look like 00:00:01.000"
            " (hours:minutes:seconds.milliseconds)"
        )
    hours, minutes, seconds, separator, fraction = match.groups()
    if max(len(hours or ""), len(minutes), len(seconds)) > _MAX_HOUR_DIGITS:
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


# -- decoding -------------------------------------------------------------------

_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
)


def _decode(data: bytes) -> tuple[str, Problem | None]:
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
_SPEAKER_LABEL = re.compile(r"(?:[-\u2013\u2014] ?)?([^\W\d_][\w'.]*(?: [^\W\d_][\w'.]*){0,2}):\s")
_DIALOGUE_DASH = ("- ", "\u2013 ", "\u2014 ")
_SETTING_TOKEN = re.compile(r"[^\t\n\f\r ]+")
_PERCENTAGE = re.compile(r"\d+(?:\.\d+)?%", re.ASCII)
_LINE_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
# Browsers read a fractional line number; the syntax allows whole ones only.
_LINE_FRACTION = re.compile(r"-?\d+\.\d+", re.ASCII)
_WHITESPACE = " \t\f"
# A line of an ATTRIBUTES block: a name of ASCII letters, digits and "_", a colon, a value.
_ATTRIBUTE = re.compile(r"[A-Za-z_][0-9A-Za-z_]*:.*", re.ASCII)


def _timing_like(line: str) -> list[re.Match[str]] | None:
    """The first two time-like words of a line that starts with one, if any."""
    stamps = list(_TIMING_LIKE.finditer(line, 0))[:2]
    if len(stamps) == 2 and not line[: stamps[0].start()].strip():
        return stamps
    return None


def _preview(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


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


class _Scanner:
    """One pass over the lines, block by block, as the WebVTT parser reads them."""

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

    def add(self, line: int, column: int, severity: str, code: str, message: str) -> None:
        self.problems.append(Problem(line, column, severity, code, message))

    def run(self) -> list[Cue]:
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
                    self._check_settings(timing, timing_index + 1)
            elif style or region:
                block = "STYLE" if style else "REGION"
                if region:
                    self._read_region(buffer, start + 1)
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
                found = f"it is '{_preview(first)}'" if after.isprintable() and not (
                    after.isspace()) else f"'WEBVTT' is followed by U+{ord(after):04X}"
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
                index += 1
                if not line or index >= end:
                    break
        else:
            index += 1
        while index < end and not lines[index]:
            index += 1
        return index

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
                f"The first line is '{_preview(first)}', but 'WEBVTT' must be in capital"
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
        parsed = _collect_timestamp(line, pos)
        if parsed is None:
            return _timestamp_failure(line, pos, "start")
        start, pos, start_hours = parsed
        after = _skip_whitespace(line, pos)
        spaced = after > pos
        pos = after
        if not line.startswith("-->", pos):
            return _Failure(
                pos + 1,
                f"Expected '-->' after the start time, but found '{_token(line, pos)}'."
                " Browsers drop this cue.",
            )
        pos += 3
        after = _skip_whitespace(line, pos)
        spaced = spaced and after > pos
        pos = after
        end_column = pos + 1
        parsed = _collect_timestamp(line, pos)
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
            self.add(
                number, pos + 1, "warning", "timing-spacing",
                "Put a space between the end time and the cue settings. Browsers accept"
                " it without, but it is not valid WebVTT.",
            )
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
        lost = f" Its text will not show: '{_preview(text)}'." if text else ""
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
                f"'{_preview(first)}' does not start a comment: write NOTE followed by a space,"
                " a tab or a line break. Browsers ignore this block all the same, but it is"
                " not valid WebVTT.",
            )
            return
        for index in range(start, min(start + 2, stop)):
            line = lines[index]
            stamps = _timing_like(line)
            if stamps is not None:
                between = line[stamps[0].end() : stamps[1].start()].strip()
                found = f"it has '{between}' where '-->' must be" if between else (
                    "'-->' is missing between the times"
                )
                text = " / ".join(x for x in lines[index + 1 : stop] if x.strip())
                lost = f": '{_preview(text)}'" if text else ""
                self.add(
                    index + 1, stamps[0].end() + 1, "error", "broken-timing-line",
                    f"This looks like a cue timing line, but {found}. Browsers skip the"
                    f" whole cue, so its text will not show{lost}.",
                )
                return
        text = _preview(" / ".join(x for x in lines[start:stop] if x.strip()))
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
                    f"'{_preview(line)}' is not an attribute: write a name, a colon and a value,"
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

    def _read_region(self, buffer: list[str], first: int) -> None:
        """Check a REGION block's settings, ``buffer[0]`` being line ``first``
        (from 0), and remember its id for the cues' ``region`` settings."""
        region_id = ""
        seen: set[str] = set()  # over the whole block: a setting may not repeat on a later line
        for number, line in enumerate(buffer, first + 1):
            for column, token, name, value in self._settings(line, number, 1, _REGION_SETTINGS,
                                                             _REGION_CHECKS, seen):
                check = _REGION_CHECKS[name]
                hint = check(value) if check else ""
                if hint:
                    self.add(
                        number, column, "warning", "bad-region-setting-value",
                        f"'{_preview(token)}' has a value browsers ignore: {hint}.",
                    )
                elif name == "id":
                    region_id = value
        # Line ``first`` (counting from 1) is the REGION line itself.
        if not region_id:
            self.add(
                first, 1, "warning", "region-without-id",
                "This REGION has no id setting (such as id:speaker1), so no cue can be"
                " placed in it.",
            )
        elif region_id in self.region_ids:
            self.add(
                first, 1, "warning", "duplicate-region-id",
                f"A region with the id '{_preview(region_id)}' is already defined; region ids"
                " must be unique (cues use the last one).",
            )
        else:
            self.region_ids.add(region_id)

    def _settings(self, text: str, number: int, first_column: int, kind: _SettingKind,
                  known: Mapping[str, object],
                  seen: set[str]) -> Iterator[tuple[int, str, str, str]]:
        """The well-formed, known settings in ``text`` (line ``number``, its
        first character at ``first_column``) as (column, token, name, value);
        malformed, unknown and repeated ones (names in ``seen``, which this
        adds to) are reported here."""
        for match in _SETTING_TOKEN.finditer(text):
            token = match.group()
            column = first_column + match.start()
            name, colon, value = token.partition(":")
            if not colon or not name or not value:
                self.add(
                    number, column, "warning", f"bad-{kind.code}",
                    f"'{_preview(token)}' is not a {kind.noun}: settings are written name:value,"
                    f" as in {kind.example}. Browsers ignore it.",
                )
                continue
            if name not in known:
                self.add(
                    number, column, "warning", f"unknown-{kind.code}",
                    f"'{_preview(name)}' is not a {kind.noun} (those are {kind.names})."
                    " Browsers ignore it.",
                )
                continue
            if name in seen:
                self.add(
                    number, column, "warning", f"duplicate-{kind.code}",
                    f"The {kind.noun} '{name}' appears twice; write each setting once.",
                )
            seen.add(name)
            yield column, token, name, value

    def _check_settings(self, timing: _Timing, number: int) -> None:
        applied: dict[str, tuple[int, str]] = {}
        for column, token, name, value in self._settings(
                timing.settings, number, timing.settings_column, _CUE_SETTINGS, _SETTING_CHECKS,
                set()):
            hint = _SETTING_CHECKS[name](value, self.region_ids)
            if hint:
                self.add(
                    number, column, "warning", "bad-setting-value",
                    f"'{token}' has a value browsers ignore: {hint}.",
                )
                continue
            if name == "line" and _LINE_FRACTION.fullmatch(value.partition(",")[0]):
                self.add(
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
            self.add(
                number, column, "warning", "region-ignored",
                f"'{token}' has no effect: a cue with {' and '.join(placed)} is placed on its"
                " own, outside any region. Remove one or the other.",
            )


def _timestamp_failure(line: str, pos: int, which: str) -> _Failure:
    token = _token(line, pos)
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


# An id is any word: whitespace ends it, and "-->" ends the whole block.
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


# -- checks across cues ---------------------------------------------------------


def _check_cues(
    cues: list[Cue],
    end_columns: list[int],
    kind: str,
    duration: float | None,
    add: Callable[..., None],
) -> None:
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
                    f"The cue identifier '{_preview(cue.identifier)}' is already used on"
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
            tag = _TAG_NAME_AND_CLASSES.match(body)
            name = tag.group(1)
            if gt < 0 or not name and not body.startswith("/"):
                add(
                    line, column, "warning", "hidden-text",
                    f"Browsers read '{_preview(raw[pos:stop])}' as a tag and do not show it."
                    " Write &lt; for a less-than sign.",
                )
            elif body[0] in _DIGITS:
                seconds = _timestamp_tag(body)
                if seconds is None:
                    add(
                        line, column, "warning", "bad-cue-timestamp",
                        f"Browsers hide '<{_preview(body)}>': it is not a timestamp, which"
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
            elif body[0] != "/" and name not in _SPAN_TAGS:
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
            f"Browsers ignore the tag <{_preview(name)}>{times}: cue text has only <c>, <i>,"
            " <b>, <u>, <ruby>, <rt>, <v> and <lang>. Its text still shows; remove the tag"
            " or use a STYLE block.",
        )


def _annotation_problem(name: str, body: str, annotation: str) -> tuple[str, str] | None:
    """What is wrong with the annotation of a known start tag, as (code, message)."""
    shown = f"<{_preview(body)}>"
    if name not in ("v", "lang"):
        if not annotation:
            return None
        hint = f" To name a speaker, write <v {_preview(annotation)}>." if name == "c" else ""
        return "unexpected-annotation", (
            f"Browsers ignore '{_preview(annotation)}' in '{shown}': only <v> and <lang> take"
            f" words after the tag name.{hint}"
        )
    if not annotation:
        need = ("a speaker's name, as in <v Anna>, so players and the transcript can say who"
                " is speaking") if name == "v" else "a language tag, as in <lang en>"
        return "missing-annotation", f"'{shown}' needs {need}."
    if name == "lang" and WELL_FORMED_TAG.fullmatch(html.unescape(annotation)) is None:
        return "bad-language-tag", (
            f"'{_preview(annotation)}' in '{shown}' is not a language tag; write one such as"
            " en, pt-BR or zh-Hant."
        )
    return None


def _check_empty(cues: list[Cue], problems: list[Problem]) -> None:
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


# -- public entry points -----------------------------------------------------------


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
        text, problem = _decode(data)
        if problem is not None:
            problems.append(problem)
    if not text.strip():
        problems.append(Problem(
            1, 1, "error", "empty",
            "The file is empty" + (" apart from blank space" if text else "")
            + ". It needs a 'WEBVTT' line and at least one cue.",
        ))
        return Report([], problems)
    scanner = _Scanner(text, problems)
    cues = scanner.run()
    _check_cues(cues, scanner.end_columns, kind, duration, scanner.add)
    _check_empty(cues, problems)
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


# -- conversion ------------------------------------------------------------------

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
        return token if html.unescape(token) != token else _ESCAPES["&"] + token[1:]
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
    text, problem = _decode(data)
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
                (at for at in range(index, min(index + 2, stop)) if _timing_like(lines[at])),
                None,
            )
            if broken is not None:
                problems.append(Problem(
                    broken + 1, 1, "error", "bad-timing",
                    f"'{_preview(lines[broken])}' looks like a timing line but is not one;"
                    f" {name} timing lines look like {example}.",
                ))
            elif current is not None:
                # A blank line inside cue text: most players keep the text.
                current.text.extend((i + 1, lines[i]) for i in range(index, stop))
            else:
                problems.append(Problem(
                    index + 1, 1, "error", "not-a-cue",
                    f"'{_preview(line)}' is not part of any {name} cue.",
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
                f"The timing line '{_preview(line)}' cannot be read; {name} timing lines"
                f" look like {example}.",
            ))
        elif any(int(match.group(g)) > 59 for g in (2, 3, 6, 7)):
            problems.append(Problem(
                index + 1, 1, "error", "bad-timing",
                f"The timing line '{_preview(line)}' has minutes or seconds over 59.",
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


def _convert(data: bytes, fmt: str, *, in_order: bool = True) -> tuple[str, list[int]]:
    """Convert to WebVTT; also return the source line of every output line.

    :param in_order: sort cues by start time, as WebVTT requires; the
        validator keeps the source order to report cues out of order.
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
    """
    return _convert(data, fmt)[0]


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
        text, sources = _convert(data, fmt, in_order=False)
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
