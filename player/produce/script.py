"""A plain script as a publisher pastes it: paragraphs separated by blank
lines, each optionally starting with a speaker's ``NAME:`` prefix::

    ANNA: Good evening. Tonight, the river.

    Reporter: The water rose overnight...

A paragraph without a prefix keeps the speaker of the one before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import PlayerError

# A speaker is one to three capitalised words before a colon at the start of
# a paragraph ("ANNA:", "Dr. Lee:"), not a time ("10:30") or a sentence.
_SPEAKER = re.compile(r"^\s*([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2}):\s+(?=\S)")
#: Longest script accepted, in characters (about three hours of speech).
MAX_SCRIPT_CHARS = 200_000


class ScriptError(PlayerError, ValueError):
    """The script cannot be used."""

    status = 422
    code = "unprocessable"


@dataclass
class Word:
    """A word of the script as shown (with its punctuation), where it is,
    and once timed, when it is spoken.

    :param line: the script line the word is on, for messages.
    :param review: the engine was unsure of it (transcription only).
    """

    text: str
    paragraph: int
    line: int
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    review: bool = False
    interpolated: bool = False


@dataclass
class Paragraph:
    """A paragraph of the script and its words."""

    index: int
    line: int
    speaker: str | None
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The paragraph's text on one line."""
        return " ".join(w.text for w in self.words)


def parse_script(text: str) -> list[Paragraph]:
    """Paragraphs and words of a script.

    >>> [(p.speaker, p.text) for p in parse_script("ANNA: Hi there.\\n\\nBye.")]
    [('ANNA', 'Hi there.'), ('ANNA', 'Bye.')]

    :raises ScriptError: if it is empty, too long, or not text.
    """
    if len(text) > MAX_SCRIPT_CHARS:
        raise ScriptError(f"The script has {len(text)} characters; at most"
                          f" {MAX_SCRIPT_CHARS} can be timed at once.")
    if "\x00" in text:
        raise ScriptError("The script is not plain text: send a .txt file, UTF-8.")
    paragraphs: list[Paragraph] = []
    speaker: str | None = None
    current: Paragraph | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None:
            match = _SPEAKER.match(line)
            if match:
                speaker, line = match.group(1), line[match.end():]
            current = Paragraph(len(paragraphs), number, speaker)
            paragraphs.append(current)
        current.words.extend(Word(token, current.index, number, current.speaker)
                             for token in line.split())
    paragraphs = [p for p in paragraphs if p.words]
    if not paragraphs:
        raise ScriptError("The script is empty: paste or upload the words that are spoken.")
    return paragraphs


_STRIP = re.compile(r"[^\w']+")


def spoken_forms(token: str) -> list[str]:
    """The dictionary words a shown word is spoken as: lower case, without
    punctuation, hyphenated words apart.

    >>> spoken_forms("Less-than"), spoken_forms("“Player's,”"), spoken_forms("—")
    (['less', 'than'], ["player's"], [])
    """
    words = []
    for part in re.split(r"[-\u2013\u2014/]+", token.lower()):
        part = _STRIP.sub("", part).strip("'_")
        if part:
            words.append(part)
    return words
