"""Transcripts made from cues: readable paragraphs, descriptions, chapters.

The model holds parsed cue text (see :func:`player.captions.parse_cue_text`),
never markup, so a page renders it with ordinary escaping and a cue full of
``<script>`` shows as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..captions import Cue, Node, Span, Text, nodes_text
from ..timecodes import clock

#: A silence this long (seconds) between two cues starts a new paragraph.
PAUSE = 2.0


@dataclass(frozen=True)
class Segment:
    """One cue, or one speaker's part of a cue with several ``<v>`` voices.

    :param kind: the kind of track it came from (``captions``,
        ``subtitles`` or ``descriptions``).
    :param nodes: the parsed cue text, for rendering italics and the like.
    """

    start: float
    end: float
    text: str
    speaker: str | None
    kind: str
    nodes: tuple[Node, ...] = ()


@dataclass
class Paragraph:
    """Consecutive segments of one speaker (or one description)."""

    kind: str
    speaker: str | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return self.segments[-1].end

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Chapter:
    """A chapter cue, shown as a heading above the paragraphs it covers."""

    title: str
    start: float
    end: float


@dataclass
class Transcript:
    """Headings and paragraphs in reading order."""

    blocks: list[Chapter | Paragraph] = field(default_factory=list)

    @property
    def segments(self) -> list[Segment]:
        return [s for b in self.blocks if isinstance(b, Paragraph) for s in b.segments]


def _voice_runs(
    nodes: Sequence[Node], speaker: str | None, runs: list[tuple[str | None, list[Node]]]
) -> None:
    """Split nodes where the speaker changes; a ``<v>`` inside a span is followed."""
    for node in nodes:
        if isinstance(node, Span) and node.tag == "v":
            _voice_runs(node.children, node.annotation or speaker, runs)
        elif isinstance(node, Span) and _has_voice(node):
            inner: list[tuple[str | None, list[Node]]] = []
            _voice_runs(node.children, speaker, inner)
            for inner_speaker, parts in inner:
                wrapped = Span(node.tag, node.classes, node.annotation, parts)
                _add_run(runs, inner_speaker, wrapped)
        else:
            _add_run(runs, speaker, node)


def _has_voice(span: Span) -> bool:
    return any(
        isinstance(child, Span) and (child.tag == "v" or _has_voice(child))
        for child in span.children
    )


def _add_run(runs: list[tuple[str | None, list[Node]]], speaker: str | None, node: Node) -> None:
    # Line breaks and spaces between two voices belong to neither.
    blank = isinstance(node, Text) and not node.text.strip()
    if runs and (runs[-1][0] == speaker or blank):
        runs[-1][1].append(node)
    elif not blank:
        runs.append((speaker, [node]))


def cue_segments(cue: Cue, kind: str) -> list[Segment]:
    """The segments of one cue: one per speaker, empty text left out."""
    if "<" not in cue.raw_text and "&" not in cue.raw_text:
        text = " ".join(cue.raw_text.split())
        if not text:
            return []
        return [Segment(cue.start, cue.end, text, None, kind, (Text(text),))]
    runs: list[tuple[str | None, list[Node]]] = []
    _voice_runs(cue.nodes, None, runs)
    segments = []
    for speaker, nodes in runs:
        text = " ".join(nodes_text(nodes).split())
        if text:
            segments.append(Segment(cue.start, cue.end, text, speaker, kind, tuple(nodes)))
    return segments


def build_transcript(
    captions: Iterable[Cue] = (),
    *,
    kind: str = "captions",
    descriptions: Iterable[Cue] = (),
    chapters: Iterable[Cue] = (),
    pause: float = PAUSE,
) -> Transcript:
    """Merge cues into a transcript.

    Captions become paragraphs that break where the speaker changes or the
    speech pauses; each description is a paragraph of its own, placed at its
    time; chapters become headings.

    :param captions: cues of a captions or subtitles track.
    :param kind: ``"captions"`` or ``"subtitles"``, as the track says.
    :param descriptions: cues of a descriptions track.
    :param chapters: cues of a chapters track.
    :param pause: seconds of silence that start a new paragraph.
    """
    # Sort by time; at equal times a description comes before the speech it
    # sets the scene for. Python's sort is stable, so ties keep file order.
    events = sorted(
        [(cue.start, 0, cue, "descriptions") for cue in descriptions]
        + [(cue.start, 1, cue, kind) for cue in captions],
        key=lambda event: (event[0], event[1]),
    )
    headings = sorted(
        (
            Chapter(" ".join(cue.plain_text.split()), cue.start, cue.end)
            for cue in chapters
        ),
        key=lambda chapter: chapter.start,
    )
    blocks: list[Chapter | Paragraph] = []
    paragraph: Paragraph | None = None
    next_heading = 0
    for start, _, cue, event_kind in events:
        while next_heading < len(headings) and headings[next_heading].start <= start:
            blocks.append(headings[next_heading])
            next_heading += 1
            paragraph = None
        for segment in cue_segments(cue, event_kind):
            if (
                paragraph is None
                or event_kind == "descriptions"
                or paragraph.kind != event_kind
                or paragraph.speaker != segment.speaker
                or segment.start - paragraph.end >= pause
            ):
                paragraph = Paragraph(event_kind, segment.speaker)
                blocks.append(paragraph)
            paragraph.segments.append(segment)
    blocks.extend(headings[next_heading:])
    return Transcript(blocks)


def to_text(
    model: Transcript, timestamps: bool = False, *, description_label: str = "Description"
) -> str:
    """Write the transcript as plain text, one paragraph per line.

    :param timestamps: start each paragraph and heading with its time.
    :param description_label: the word that marks a description.
    """
    out: list[str] = []
    for block in model.blocks:
        prefix = f"[{clock(block.start)}] " if timestamps else ""
        if isinstance(block, Chapter):
            heading = prefix + block.title
            out.extend([heading, "=" * len(heading), ""])
        elif block.kind == "descriptions":
            out.extend([f"{prefix}[{description_label}] {block.text}", ""])
        else:
            speaker = f"{block.speaker}: " if block.speaker else ""
            out.extend([f"{prefix}{speaker}{block.text}", ""])
    return "\n".join(out)


def to_json(model: Transcript) -> list[dict]:
    """The transcript as ``[{start, end, speaker, text, kind, paragraph}]``,
    in reading order.

    Chapter headings are entries of kind ``"chapters"`` (paragraph None);
    entries with the same ``paragraph`` number form one paragraph, as the
    HTML transcript shows them.
    """
    entries = []
    paragraphs = 0
    for block in model.blocks:
        if isinstance(block, Chapter):
            entries.append({
                "start": round(block.start, 3), "end": round(block.end, 3),
                "speaker": None, "text": block.title, "kind": "chapters", "paragraph": None,
            })
            continue
        for segment in block.segments:
            entries.append({
                "start": round(segment.start, 3), "end": round(segment.end, 3),
                "speaker": segment.speaker, "text": segment.text, "kind": segment.kind,
                "paragraph": paragraphs,
            })
        paragraphs += 1
    return entries
