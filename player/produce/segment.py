"""Timed words into cues people can read, by the captioning guidelines
(DCMP Captioning Key, BBC subtitle guidelines): at most two lines of 42
characters, lines broken at clause and phrase boundaries, a new cue for each
new speaker, at least about 1.5 s on screen, a reading rate the checker
accepts, and no cue across a long pause.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..captions import MAX_CHARS_PER_SECOND, MAX_LINE_LENGTH, MAX_LINES, format_timestamp
from .script import Word

#: A pause at least this long ends a cue.
LONG_PAUSE = 1.2
#: The shortest time a cue stays up, when the next cue leaves room.
MIN_DURATION = 1.5
#: Held this long after the last word, when there is room: eyes lag the voice.
HOLD = 0.5
#: How far a cue may run into the next one's speech (delaying it) so that
#: a fast talker's words can still be read; viewers accept a short lag.
LAG = 0.3
# Reading rate aimed for, a little under the checker's limit.
_TARGET_RATE = MAX_CHARS_PER_SECOND - 2
_MAX_CHARS = MAX_LINE_LENGTH * MAX_LINES
_ARTICLES = frozenset("a an the".split())
# Words a line should not end on: they lean on the next word.
_LEANING = _ARTICLES | frozenset(
    "to of in on at by for with from into my your his her its our their this that these"
    " those i we you he she they is are was were be and or but if as so not no mr mrs ms"
    " dr".split())
# Words a new line or cue reads well starting with: a clause or phrase begins.
_OPENERS = frozenset(
    "and but or so because although though while when where which who whom whose that"
    " if unless until after before since then to in on at for with from what how why".split())


@dataclass
class Cue:
    """A caption: when, who, and its text already broken into lines."""

    start: float
    end: float
    lines: list[str]
    speaker: str | None = None

    @property
    def chars(self) -> int:
        """Characters as the checker counts them for the reading rate."""
        return len(" ".join(self.lines))


def _bare(word: Word) -> str:
    return word.text.lower().strip("\"'“”‘’()[]")


def _ends_sentence(word: Word) -> bool:
    return word.text.rstrip("\"'”’)]").endswith((".", "!", "?", "…"))


def _ends_clause(word: Word) -> bool:
    return word.text.rstrip("\"'”’)]").endswith((",", ";", ":", "—", "–"))


def _break_cost(words: list[Word], index: int) -> float:
    """How bad a break after ``words[index]`` reads (0 is a sentence end)."""
    word = words[index]
    if _ends_sentence(word):
        return 0.0
    if _ends_clause(word):
        return 1.0
    if _bare(word) in _LEANING:
        return 12.0 if _bare(word) in _ARTICLES else 6.0
    if index + 1 < len(words) and _bare(words[index + 1]) in _OPENERS:
        return 2.5
    return 5.0


def _text(words: list[Word]) -> str:
    return " ".join(_shown(w) for w in words)


def _shown(word: Word) -> str:
    escaped = word.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<c.review>{escaped}</c>" if word.review else escaped


def break_lines(words: list[Word]) -> list[str] | None:
    """The words on one line, or two lines broken where it reads best; ``None``
    when they do not fit two lines of :data:`MAX_LINE_LENGTH`."""
    plain = " ".join(w.text for w in words)
    if len(plain) <= MAX_LINE_LENGTH:
        return [_text(words)]
    best: tuple[float, int] | None = None
    for index in range(len(words) - 1):
        first = len(" ".join(w.text for w in words[: index + 1]))
        second = len(plain) - first - 1
        if first > MAX_LINE_LENGTH or second > MAX_LINE_LENGTH:
            continue
        # Prefer a good boundary, then lines of even length (a pyramid reads easiest).
        cost = _break_cost(words, index) + abs(first - second) / 12
        if best is None or cost < best[0]:
            best = (cost, index)
    if best is None:
        return None
    return [_text(words[: best[1] + 1]), _text(words[best[1] + 1:])]


def _blocks(words: list[Word]) -> list[list[Word]]:
    """Runs of words no cue may span: split at each new speaker or paragraph
    and at each long pause."""
    blocks: list[list[Word]] = []
    for word in words:
        if blocks:
            last = blocks[-1][-1]
            if (word.speaker == last.speaker and word.paragraph == last.paragraph
                    and word.start - last.end < LONG_PAUSE):
                blocks[-1].append(word)
                continue
        blocks.append([word])
    return blocks


def _cue_cost(words: list[Word], first: int, last: int) -> float | None:
    """The cost of one cue of ``words[first..last]``, or ``None`` if it cannot be one."""
    chunk = words[first: last + 1]
    length = len(" ".join(w.text for w in chunk))
    if length > _MAX_CHARS or (length > MAX_LINE_LENGTH and break_lines(chunk) is None):
        return None if len(chunk) > 1 else 50.0
    cost = _break_cost(words, last) if last + 1 < len(words) else 0.0
    # The cue can show until the next word is spoken, or a little after the last.
    until = words[last + 1].start if last + 1 < len(words) else chunk[-1].end + HOLD + LAG
    shown = max(0.01, until - chunk[0].start + LAG)
    if shown < MIN_DURATION:
        cost += 4.0
    rate = length / shown
    if rate > _TARGET_RATE:
        cost += (rate - _TARGET_RATE) * 3
    return cost + 2.0  # each cue costs a little, so cues are not needlessly short


def _split(words: list[Word]) -> list[list[Word]]:
    """The cheapest way to cut a block into cues (dynamic programming)."""
    count = len(words)
    best: list[tuple[float, int]] = [(0.0, -1)] + [(float("inf"), -1)] * count
    for end in range(1, count + 1):
        for start in range(end - 1, -1, -1):
            if len(" ".join(w.text for w in words[start:end])) > _MAX_CHARS and end - start > 1:
                break
            cost = _cue_cost(words, start, end - 1)
            if cost is not None and best[start][0] + cost < best[end][0]:
                best[end] = (best[start][0] + cost, start)
    cuts, end = [], count
    while end > 0:
        start = best[end][1]
        cuts.append(words[start:end])
        end = start
    return cuts[::-1]


def make_cues(words: list[Word], duration: float | None = None) -> list[Cue]:
    """Readable cues of timed words, in order, without overlaps.

    Each cue shows from its first word until its last word ends plus a short
    hold, longer when its reading rate needs it or it would be under
    :data:`MIN_DURATION`, but never into the next cue.
    """
    timed = [w for w in words if w.start is not None and w.end is not None]
    cues: list[Cue] = []
    for block in _blocks(timed):
        for chunk in _split(block):
            lines = break_lines(chunk) or [_text(chunk)]
            cues.append(Cue(chunk[0].start, chunk[-1].end, lines, chunk[0].speaker))
    limit = duration if duration else float("inf")
    for number, cue in enumerate(cues):
        cue.start = round(cue.start, 3)
        after = cues[number + 1] if number + 1 < len(cues) else None
        following = after.start if after else limit
        readable = cue.start + cue.chars / (MAX_CHARS_PER_SECOND - 0.5)
        wanted = max(cue.end + HOLD, cue.start + MIN_DURATION, readable)
        end = max(cue.end, min(wanted, following, limit))
        if after is not None and end < readable:
            # Too fast to read: run a little into the next cue's speech, delaying it.
            end = min(readable, following + LAG, after.end - 0.5, limit)
            after.start = max(after.start, end)
        cue.end = round(max(cue.end, end), 3)
    return cues


def to_webvtt(cues: list[Cue], note: str = "") -> str:
    """A WebVTT file of the cues, speakers as ``<v NAME>``."""
    parts = ["WEBVTT", ""]
    if note:
        parts += ["NOTE " + note.replace("-->", "->").replace("\n", " "), ""]
    for cue in cues:
        parts.append(f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}")
        lines = list(cue.lines)
        if cue.speaker:
            name = cue.speaker.replace(">", "").replace("&", "and")
            lines[0] = f"<v {name}>{lines[0]}"
        parts.extend(lines)
        parts.append("")
    return "\n".join(parts)
