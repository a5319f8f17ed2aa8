"""Parsed captions: cues, cue text nodes, problems, and the cue text parser.

The cue text model carries text, never markup, so whoever renders it
escapes it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html.entities import html5

from ..errors import PlayerError
from .timestamps import DIGITS, timestamp_tag

#: Track kinds of the HTML ``<track>`` element.
KINDS = ("captions", "subtitles", "descriptions", "chapters", "metadata")


class CaptionError(PlayerError, ValueError):
    """A caption file that cannot be read or converted.

    :param message: what went wrong, with line numbers.
    :param problems: the problems found, each with its line and column.
    """

    status = 422
    code = "unprocessable"

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


def preview(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to ``limit`` characters, for quoting in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# Controls that Python's str.split() takes for spaces have no name in the
# Unicode database, only these aliases.
_CONTROL_NAMES = {
    "\t": "CHARACTER TABULATION",
    "\v": "LINE TABULATION",
    "\f": "FORM FEED",
    "\x1c": "INFORMATION SEPARATOR FOUR",
    "\x1d": "INFORMATION SEPARATOR THREE",
    "\x1e": "INFORMATION SEPARATOR TWO",
    "\x1f": "INFORMATION SEPARATOR ONE",
    "\x85": "NEXT LINE",
}


def character_name(char: str) -> str:
    """A character as ``U+00A0 NO-BREAK SPACE``, for a message to name it.

    >>> character_name("\u00a0"), character_name("\v")
    ('U+00A0 NO-BREAK SPACE', 'U+000B LINE TABULATION')
    """
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def find_invisible(text: str) -> int:
    """Where ``text`` first holds a character one cannot see or that looks
    like a space but is not U+0020, or -1.

    WebVTT syntax separates with ASCII spaces, tabs and form feeds only, and
    :func:`preview` folds every Unicode space into a plain one, so a message
    about syntax names such a character with :func:`character_name`.
    """
    for index, char in enumerate(text):
        # Python's "printable" leaves out exactly the controls, format
        # characters and separators other than U+0020.
        if not char.isprintable():
            return index
    return -1


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


# -- cue text ---------------------------------------------------------------

#: The cue span tags WebVTT knows; browsers drop any other tag and keep its text.
SPAN_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt", "v", "lang"})
# Classes end up in class attributes when a cue is rendered; anything but a
# plain CSS identifier is dropped rather than trusted to later escaping.
_CLASS_NAME = re.compile(r"[A-Za-z_][\w-]*")
_ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
#: A tag's name, then its ``.class`` parts.
TAG_NAME_AND_CLASSES = re.compile(r"([^\t\n\f .]*)((?:\.[^\t\n\f .]*)*)")
#: A character reference's shape: a name, a decimal or a hexadecimal number, then ";".
_REFERENCE = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*)|#[0-9]+|#[xX][0-9A-Fa-f]+);", re.ASCII)


def is_character_reference(text: str) -> bool:
    """Whether ``text`` is one HTML character reference, as WebVTT cue text allows.

    Names come from HTML's table and need their semicolon:

    >>> [is_character_reference(t) for t in ("&amp;", "&#x26;", "&foo;", "&amp")]
    [True, True, False, False]
    """
    match = _REFERENCE.fullmatch(text)
    return match is not None and _known(match)


def _known(reference: re.Match[str]) -> bool:
    """Whether a reference-shaped match names a character: numbers do, names in HTML's table."""
    name = reference.group(1)
    return name is None or name + ";" in html5


def bare_ampersands(raw: str) -> list[int]:
    """Where ``raw`` has an ``&`` that starts no character reference.

    Browsers show such an ``&`` as it is, but WebVTT cue text must write it
    ``&amp;``.

    >>> bare_ampersands("Tom & Jerry &amp; &lrm;&#38;&foo;")
    [4, 28]
    """
    found = []
    pos = raw.find("&")
    while pos >= 0:
        match = _REFERENCE.match(raw, pos)
        if match is None or not _known(match):
            found.append(pos)
        pos = raw.find("&", pos + 1)
    return found


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
        elif first in DIGITS:
            seconds = timestamp_tag(body)
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
    match = TAG_NAME_AND_CLASSES.match(body)
    assert match is not None
    name = match.group(1)
    if name not in SPAN_TAGS:
        return None
    classes = tuple(c for c in match.group(2).split(".") if _CLASS_NAME.fullmatch(c))
    annotation = ""
    if name in ("v", "lang"):
        annotation = _ASCII_WHITESPACE.sub(" ", body[match.end() :]).strip(" ")
        if "&" in annotation:
            annotation = html.unescape(annotation)
    return Span(name, classes, annotation)


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


