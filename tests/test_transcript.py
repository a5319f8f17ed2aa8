"""Transcripts built from cues (player.transcripts.model)."""

from __future__ import annotations

from pathlib import Path

from player.captions import Span, Text, validate
from player.transcripts.model import (
    Chapter,
    Paragraph,
    build_transcript,
    cue_segments,
    to_json,
    to_text,
)

FIXTURES = Path(__file__).parent / "fixtures" / "captions"


def cues(body: str, kind: str = "captions"):
    report = validate("WEBVTT\n\n" + body, kind=kind)
    assert report.ok, report.problems
    return report.cues


CAPTIONS = cues(
    "00:00:01.000 --> 00:00:02.000\n<v Anna>Hello there.\n\n"
    "00:00:02.000 --> 00:00:03.500\n<v Anna>How are you?\n\n"
    "00:00:03.500 --> 00:00:05.000\n<v Bohdan>Fine, thanks.\n\n"
    "00:00:08.000 --> 00:00:09.000\n<v Bohdan>After a pause.\n\n"
    "00:00:09.000 --> 00:00:10.000\nNobody in particular.\n"
)
DESCRIPTIONS = cues(
    "00:00:03.500 --> 00:00:04.000\nBohdan waves.\n\n"
    "00:00:07.000 --> 00:00:07.500\nA door closes.\n",
    "descriptions",
)
CHAPTERS = cues(
    "00:00:00.000 --> 00:00:06.000\nGreetings\n\n"
    "00:00:06.000 --> 00:00:20.000\nLater\n\n"
    "00:00:20.000 --> 00:00:30.000\nCredits\n",
    "chapters",
)


def shape(model):
    """Blocks as (kind, speaker, [texts]) and chapter titles, for comparing."""
    out = []
    for block in model.blocks:
        if isinstance(block, Chapter):
            out.append(("chapter", block.title))
        else:
            out.append((block.kind, block.speaker, [s.text for s in block.segments]))
    return out


def test_paragraphs_break_on_speaker_and_pause():
    model = build_transcript(CAPTIONS)
    assert shape(model) == [
        ("captions", "Anna", ["Hello there.", "How are you?"]),
        ("captions", "Bohdan", ["Fine, thanks."]),
        ("captions", "Bohdan", ["After a pause."]),
        ("captions", None, ["Nobody in particular."]),
    ]
    first = model.blocks[0]
    assert isinstance(first, Paragraph)
    assert (first.start, first.end) == (1.0, 3.5)
    assert [(s.start, s.end) for s in first.segments] == [(1.0, 2.0), (2.0, 3.5)]
    assert len(build_transcript(CAPTIONS, pause=10).blocks) == 3


def test_descriptions_interleave_and_chapters_head_their_part():
    model = build_transcript(CAPTIONS, descriptions=DESCRIPTIONS, chapters=CHAPTERS)
    assert shape(model) == [
        ("chapter", "Greetings"),
        ("captions", "Anna", ["Hello there.", "How are you?"]),
        ("descriptions", None, ["Bohdan waves."]),
        ("captions", "Bohdan", ["Fine, thanks."]),
        ("chapter", "Later"),
        ("descriptions", None, ["A door closes."]),
        ("captions", "Bohdan", ["After a pause."]),
        ("captions", None, ["Nobody in particular."]),
        ("chapter", "Credits"),
    ]
    assert model.blocks[-1] == Chapter("Credits", 20.0, 30.0)


def test_cue_with_several_voices_is_split():
    (cue,) = cues("00:00:01.000 --> 00:00:03.000\n<v Anna>Ready?\n<v Bohdan>Yes!\n")
    segments = cue_segments(cue, "captions")
    assert [(s.speaker, s.text, s.start, s.end) for s in segments] == [
        ("Anna", "Ready?", 1.0, 3.0), ("Bohdan", "Yes!", 1.0, 3.0),
    ]
    (cue,) = cues("00:00:01.000 --> 00:00:03.000\n<i><v Anna>Hi</v> <v Bohdan>Yo</v></i> then\n")
    segments = cue_segments(cue, "captions")
    assert [(s.speaker, s.text) for s in segments] == [
        ("Anna", "Hi"), ("Bohdan", "Yo"), (None, "then"),
    ]
    (italic,) = segments[0].nodes
    assert italic.tag == "i" and italic.children[0] == Text("Hi")


def test_segments_keep_formatting_nodes_and_skip_empty_cues():
    (styled, empty) = cues(
        "00:00:01.000 --> 00:00:02.000\n<v Anna>Say <i>this</i>\nnow\n\n"
        "00:00:02.000 --> 00:00:03.000\n<b> </b>\n"
    )
    (segment,) = cue_segments(styled, "subtitles")
    assert segment.text == "Say this now" and segment.kind == "subtitles"
    assert Span("i", children=[Text("this")]) in segment.nodes
    assert cue_segments(empty, "captions") == []


def test_cues_out_of_order_are_read_in_time_order():
    model = build_transcript(cues(
        "00:00:05.000 --> 00:00:06.000\nSecond.\n\n00:00:01.000 --> 00:00:02.000\nFirst.\n"
    ), pause=60)
    assert [s.text for s in model.segments] == ["First.", "Second."]


def test_to_text():
    model = build_transcript(CAPTIONS[:3], descriptions=DESCRIPTIONS[:1], chapters=CHAPTERS[:1])
    assert to_text(model) == (
        "Greetings\n=========\n\n"
        "Anna: Hello there. How are you?\n\n"
        "[Description] Bohdan waves.\n\n"
        "Bohdan: Fine, thanks.\n"
    )
    assert to_text(model, timestamps=True, description_label="Опис") == (
        "[0:00] Greetings\n================\n\n"
        "[0:01] Anna: Hello there. How are you?\n\n"
        "[0:03] [Опис] Bohdan waves.\n\n"
        "[0:03] Bohdan: Fine, thanks.\n"
    )


def test_to_json():
    model = build_transcript(CAPTIONS[2:3], descriptions=DESCRIPTIONS[:1], chapters=CHAPTERS[:1])
    assert to_json(model) == [
        {"start": 0.0, "end": 6.0, "speaker": None, "text": "Greetings", "kind": "chapters",
         "paragraph": None},
        {"start": 3.5, "end": 4.0, "speaker": None, "text": "Bohdan waves.",
         "kind": "descriptions", "paragraph": 0},
        {"start": 3.5, "end": 5.0, "speaker": "Bohdan", "text": "Fine, thanks.",
         "kind": "captions", "paragraph": 1},
    ]


def test_empty_transcript():
    model = build_transcript()
    assert model.blocks == [] and to_text(model) == "" and to_json(model) == []


def test_xss_payloads_stay_text():
    report = validate((FIXTURES / "xss_payloads.vtt").read_bytes())
    model = build_transcript(report.cues)
    texts = [entry["text"] for entry in to_json(model)]
    assert texts == [
        "alert(1)",
        "Image",
        "<script>alert(3)</script>",
        ">javascript:alert(5)",
        "<img src=x onerror=alert(7)>",
    ]
    assert [s.speaker for s in model.segments][3] == "<b onmouseover=alert(4)"
    for segment in model.segments:
        for node in segment.nodes:
            assert isinstance(node, Text | Span)
            assert not isinstance(node, Span) or node.tag == "c"
    assert "<script>alert(3)</script>" in to_text(model)
