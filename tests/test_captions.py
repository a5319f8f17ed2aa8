"""Caption validation, conversion and cue text parsing (player.captions)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

import player.captions as captions_package
from player.captions import (
    CaptionError,
    Span,
    Text,
    Timestamp,
    convert,
    cue_plain_text,
    cue_speakers,
    detect_format,
    kind_from_filename,
    parse_cue_text,
    validate,
    validate_file,
)
from tests.demo import CHECKOUT_MEDIA, DEMO_FILES

FIXTURES = Path(__file__).parent / "fixtures" / "captions"

E, W = "error", "warning"

# fixture -> every problem expected, as (line, severity, code), in report order.
DEFECTS: dict[str, list[tuple[int, str, str]]] = {
    # the file does not load
    "wrong_signature_webvttx.vtt": [(1, E, "bad-signature")],
    "missing_signature.vtt": [(1, E, "missing-signature")],
    "lowercase_signature.vtt": [(1, E, "missing-signature")],
    "blank_line_before_signature.vtt": [(1, E, "missing-signature")],
    "srt_content_in_vtt_file.vtt": [
        (1, E, "missing-signature"), (2, E, "bad-timestamp"), (6, E, "bad-timestamp"),
    ],
    "empty.vtt": [(1, E, "empty")],
    "whitespace_only.vtt": [(1, E, "empty")],
    "utf16_with_bom.vtt": [(1, E, "not-utf8")],
    "utf16_without_bom.vtt": [(1, E, "not-utf8")],
    # text is garbled
    "latin1_encoded.vtt": [(4, E, "not-utf8")],
    "windows1251_encoded.vtt": [(4, E, "not-utf8")],
    # a cue is dropped or never shows
    "timestamp_single_digit_seconds.vtt": [(6, E, "bad-timestamp")],
    "timestamp_two_digit_milliseconds.vtt": [(3, E, "bad-timestamp")],
    "timestamp_without_milliseconds.vtt": [(3, E, "bad-timestamp")],
    "timestamp_minutes_over_59.vtt": [(3, E, "bad-timestamp")],
    "timestamp_seconds_over_59.vtt": [(3, E, "bad-timestamp")],
    "timestamp_comma_before_milliseconds.vtt": [(3, E, "bad-timestamp")],
    "timing_end_time_missing.vtt": [(3, E, "bad-timestamp")],
    "identifier_then_bad_timestamp.vtt": [(4, E, "bad-timestamp")],
    "end_before_start.vtt": [(3, E, "end-before-start")],
    "end_equals_start.vtt": [(3, E, "end-before-start")],
    "timing_arrow_missing.vtt": [(6, E, "broken-timing-line")],
    "timing_arrow_mangled.vtt": [(3, E, "broken-timing-line")],
    "arrow_in_cue_text.vtt": [(5, E, "arrow-in-text")],
    "blank_line_inside_cue_text.vtt": [(6, E, "orphan-text")],
    # browsers accept it, an author should fix it
    "hours_one_digit.vtt": [(3, W, "one-digit-hours")],
    "setting_unknown.vtt": [(3, W, "unknown-setting")],
    "setting_position_out_of_range.vtt": [(3, W, "bad-setting-value")],
    "setting_align_middle.vtt": [(3, W, "bad-setting-value")],
    "setting_without_value.vtt": [(3, W, "bad-setting")],
    "setting_region_undefined.vtt": [(3, W, "bad-setting-value")],
    "cues_out_of_order.vtt": [(6, W, "out-of-order")],
    "cues_overlapping.vtt": [(6, W, "overlap")],
    "cue_past_media_end.vtt": [(6, W, "past-duration")],
    "reading_speed_too_fast.vtt": [(3, W, "reading-speed"), (4, W, "line-too-long")],
    "line_too_long.vtt": [(5, W, "line-too-long")],
    "three_lines_in_cue.vtt": [(6, W, "too-many-lines")],
    "no_cues.vtt": [(1, W, "no-cues")],
    "speaker_labels_without_voice_tags.vtt": [(6, W, "missing-voice-tags")],
    "dialogue_dashes_without_voice_tags.vtt": [(3, W, "missing-voice-tags")],
    "missing_blank_line_between_cues.vtt": [(5, W, "missing-blank-line")],
    "missing_blank_line_after_header.vtt": [(2, W, "missing-blank-line")],
    "blank_line_with_spaces.vtt": [(5, W, "blank-line-with-spaces"), (6, W, "missing-blank-line")],
    "identifier_duplicated.vtt": [(7, W, "duplicate-identifier")],
    "style_block_after_cue.vtt": [(6, W, "ignored-block")],
    "text_before_first_cue.vtt": [(3, W, "stray-text")],
    "cue_without_text.vtt": [(3, W, "empty-cue")],
    "timing_without_spaces.vtt": [(3, W, "timing-spacing")],
    "note_containing_arrow.vtt": [(3, W, "arrow-in-note")],
    # WebVTT syntax that browsers read differently from what the author meant
    "note_arrow_on_second_line.vtt": [(4, W, "arrow-in-note")],
    "note_commenting_out_a_cue.vtt": [(4, W, "arrow-in-note"), (4, W, "empty-cue")],
    "style_containing_arrow.vtt": [(5, W, "arrow-in-style")],
    "region_containing_arrow.vtt": [(4, W, "arrow-in-region")],
    "identifier_with_arrow.vtt": [(3, W, "arrow-in-identifier")],
    "region_settings_invalid.vtt": [
        (4, W, "bad-region-setting-value"), (4, W, "bad-region-setting-value"),
        (5, W, "bad-region-setting-value"), (5, W, "bad-region-setting-value"),
        (6, W, "duplicate-region-setting"), (6, W, "unknown-region-setting"),
        (8, W, "region-without-id"),
    ],
    "setting_line_fraction.vtt": [(3, W, "fractional-line")],
    "cue_timestamps_outside_cue.vtt": [(4, W, "cue-timestamp-order"),
                                       (7, W, "cue-timestamp-order")],
    "unknown_tags.vtt": [(4, W, "unknown-tag")],
    "unescaped_less_than.vtt": [(4, W, "hidden-text")],
    "xss_payloads.vtt": [(4, W, "unknown-tag"), (7, W, "unknown-tag")],
    "signature_form_feed.vtt": [(1, E, "bad-signature")],
    "timing_indented.vtt": [(3, W, "timing-spacing")],
    "style_block_in_header.vtt": [(2, W, "block-in-header")],
    "region_block_in_header.vtt": [(2, W, "block-in-header"), (5, W, "bad-setting-value")],
    "ampersand_unescaped.vtt": [(4, W, "unescaped-ampersand"), (7, W, "unescaped-ampersand")],
}

# Files the WebVTT parsing algorithm (and so every browser) reads as written.
ACCEPTED = [
    "bom_crlf.vtt",
    "cr_line_endings.vtt",
    "hours_omitted.vtt",
    "hours_three_digits.vtt",
    "note_style_region_blocks.vtt",
    "cue_identifiers_and_settings.vtt",
    "header_metadata.vtt",
    "tab_after_signature.vtt",
    "no_final_newline.vtt",
    "signature_only_line.vtt",
    "voices_and_markup.vtt",
    "unicode_text.vtt",
    "chapters_long_titles.en.chapters.vtt",
    "descriptions_long_text.en.descriptions.vtt",
]


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def check(name: str):
    duration = 10.0 if name == "cue_past_media_end.vtt" else None
    return validate_file(read(name), name, duration=duration)


def test_fixture_files_cover_the_issue():
    names = {p.name for p in FIXTURES.iterdir()}
    assert set(DEFECTS) | set(ACCEPTED) <= names
    assert len(DEFECTS) >= 30


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_is_reported_at_its_line(name):
    report = check(name)
    assert [(p.line, p.severity, p.code) for p in report.problems] == DEFECTS[name]
    for problem in report.problems:
        assert problem.column >= 1
        assert problem.message[0] in "'" or problem.message[0].isupper()
        assert problem.message.endswith(".")
    assert report.ok == (not any(sev == E for _, sev, _ in DEFECTS[name]))


@pytest.mark.parametrize("name", ACCEPTED)
def test_files_browsers_accept_are_clean(name):
    report = check(name)
    assert report.problems == []
    assert report.ok and report.cues


def test_demo_tracks_pass_clean():
    tracks = [CHECKOUT_MEDIA / name for name in DEMO_FILES if name.endswith(".vtt")]
    assert tracks, "the demo library ships caption tracks"
    for path in tracks:
        report = validate_file(path.read_bytes(), path.name)
        assert report.problems == [], path.name


def test_message_names_the_fix():
    (problem,) = check("timestamp_single_digit_seconds.vtt").problems
    assert problem.column == 1
    assert problem.message.startswith(
        "Timestamp '00:00:0.000' is not valid: seconds need two digits (00:00:00.000)."
        " Browsers drop this cue."
    )
    assert "This cue is lost." in problem.message


@pytest.mark.parametrize(("name", "column", "words"), [
    ("wrong_signature_webvttx.vtt", 7, "'WEBVTTX'"),
    ("end_before_start.vtt", 18, "never shows"),
    ("timestamp_comma_before_milliseconds.vtt", 1, "comma"),
    ("timestamp_seconds_over_59.vtt", 18, "(00:01:00.000)"),
    ("timestamp_two_digit_milliseconds.vtt", 1, "three digits"),
    ("timing_arrow_mangled.vtt", 13, "'->'"),
    ("timing_arrow_missing.vtt", 13, "'This text is lost.'"),
    ("latin1_encoded.vtt", 4, "Windows-1252"),
    ("windows1251_encoded.vtt", 1, "Windows-1251"),
    ("utf16_with_bom.vtt", 1, "UTF-16 (little-endian)"),
    ("srt_content_in_vtt_file.vtt", 1, "SubRip"),
    ("setting_unknown.vtt", 31, "'colour'"),
    ("setting_align_middle.vtt", 31, "align:center"),
    ("line_too_long.vtt", 43, "58 characters"),
    ("speaker_labels_without_voice_tags.vtt", 1, "'ANNA:', 'BOHDAN:'"),
    ("signature_form_feed.vtt", 7, "followed by U+000C"),
    ("style_containing_arrow.vtt", 23, "the style sheet ends at the line above"),
    ("region_containing_arrow.vtt", 10, "ignore the whole region definition"),
    ("note_commenting_out_a_cue.vtt", 1, "the comment becomes a cue"),
    ("identifier_with_arrow.vtt", 6, "without its identifier"),
    ("region_settings_invalid.vtt", 9, "'width:140%'"),
    ("setting_line_fraction.vtt", 31, "'line:1.5'"),
    ("cue_timestamps_outside_cue.vtt", 19, "<00:00:06.000>"),
    ("unknown_tags.vtt", 1, "<font> (it is used 2 times)"),
    ("unescaped_less_than.vtt", 7, "'< five, and that is all.'"),
    ("style_block_in_header.vtt", 1, "put a blank line after the WEBVTT line"),
    ("ampersand_unescaped.vtt", 5, "Write '&amp;' for an ampersand"),
])
def test_first_problem_points_at_the_defect(name, column, words):
    problem = check(name).problems[0]
    assert problem.column == column
    assert words in problem.message


def test_region_in_header_is_explained_once_without_contradiction():
    header, setting = check("region_block_in_header.vtt").problems
    assert "REGION block as part of the WEBVTT header" in header.message
    assert setting.column == 31
    assert "defines this id is in the WEBVTT header" in setting.message
    assert "no REGION block" not in setting.message


def test_ampersands_point_at_the_reference_that_is_not_one():
    problems = check("ampersand_unescaped.vtt").problems
    assert [(p.line, p.column) for p in problems] == [(4, 5), (7, 33)]
    assert "Write '&amp;foo;' to show it that way." in problems[1].message


def test_validate_accepts_text_and_rejects_unknown_kinds():
    report = validate("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nHi\n")
    assert report.problems == [] and report.cues[0].start == 1.0
    with pytest.raises(ValueError):
        validate(b"WEBVTT\n", kind="karaoke")


def test_cue_fields():
    (cue,) = validate(read("cue_identifiers_and_settings.vtt")).cues[1:2]
    assert cue.identifier == "intro-2"
    assert (cue.start, cue.end, cue.line) == (4.0, 6.0, 8)
    assert cue.settings == "position:10%,line-left size:80% line:-1,end"
    assert cue.raw_text == "Placed."


def test_kind_decides_which_readability_checks_apply():
    text = read("descriptions_long_text.en.descriptions.vtt")
    assert validate(text, kind="descriptions").problems == []
    codes = {p.code for p in validate(text, kind="captions").problems}
    assert codes == {"line-too-long", "too-many-lines", "reading-speed"}
    chapters = read("chapters_long_titles.en.chapters.vtt")
    assert validate(chapters, kind="chapters").problems == []
    assert validate(chapters, kind="subtitles").problems != []


def test_positioned_cues_may_overlap():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000 line:0\nTop speaker.\n\n"
        "00:00:02.000 --> 00:00:05.000\nBottom speaker.\n"
    )
    assert validate(text).problems == []


def test_duration_checks():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:05.030\nEnds with the media.\n\n"
    assert validate(text, duration=5.0).problems == []
    late = validate(text + "00:00:06.000 --> 00:00:07.000\nAfter the end.\n", duration=5.0)
    (problem,) = late.problems
    assert problem.code == "past-duration" and "never shows" in problem.message


def test_huge_and_odd_input_does_not_crash():
    hours = "9" * 5000
    report = validate(f"WEBVTT\n\n{hours}:00:00.000 --> 00:00:01.000\nx\n\0\n")
    assert [p.code for p in report.problems] == ["bad-timestamp"]
    assert validate("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\0b\n").cues[0].raw_text == (
        "a\ufffdb"
    )
    assert validate("WEBVTT").problems[0].code == "no-cues"


def test_non_ascii_digits_are_not_times():
    report = validate("WEBVTT\n\n00:00:0\u0661.000 --> 00:00:02.000\nx\n")
    assert [p.code for p in report.problems] == ["bad-timestamp"]


# -- cue text -------------------------------------------------------------------


def test_parse_cue_text_builds_a_tree():
    nodes = parse_cue_text(
        "<v.loud  Roger \t Bingham>Hi <i>there</i> &amp; <c.a.b\"x>y</c>"
        "<00:00:01.000>z<ruby>\u6f22<rt>kan</ruby> <lang uk>\u0442\u0430\u043a</lang>"
    )
    (voice,) = nodes
    assert voice.tag == "v" and voice.classes == ("loud",)
    assert voice.annotation == "Roger Bingham"
    assert voice.children[:4] == [
        Text("Hi "), Span("i", children=[Text("there")]), Text(" & "),
        Span("c", ("a",), children=[Text("y")]),
    ]
    assert voice.children[4] == Timestamp(1.0)
    ruby = voice.children[6]
    assert ruby == Span("ruby", children=[Text("\u6f22"), Span("rt", children=[Text("kan")])])
    lang = Span("lang", annotation="uk", children=[Text("\u0442\u0430\u043a")])
    assert voice.children[-1] == lang


def test_parse_cue_text_follows_the_tree_rules():
    # rt only inside ruby, unknown and mismatched end tags ignored,
    # invalid timestamps dropped, tags are case-sensitive.
    assert parse_cue_text("<rt>a</rt>") == [Text("a")]
    assert parse_cue_text("<b>a</i>b</b>c") == [
        Span("b", children=[Text("a"), Text("b")]), Text("c"),
    ]
    assert parse_cue_text("<00:00:1.000>a<00:01.500>") == [Text("a"), Timestamp(1.5)]
    assert parse_cue_text("<I>a</I><b") == [Text("a"), Span("b")]
    assert parse_cue_text("a<>b</>c") == [Text("a"), Text("b"), Text("c")]


@pytest.mark.parametrize(("raw", "text"), [
    ("<script>alert(1)</script>", "alert(1)"),
    ("<img src=x onerror=alert(1)>", ""),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
    ("&#60;img src=x onerror=alert(1)&#x3E;", "<img src=x onerror=alert(1)>"),
    ("<a href=\"javascript:alert(1)\">go</a>", "go"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("Tom &amp; Jerry &lrm;&rlm;&nbsp;&copy", "Tom & Jerry \u200e\u200f\u00a0\u00a9"),
])
def test_markup_in_cues_becomes_text(raw, text):
    nodes = parse_cue_text(raw)
    assert cue_plain_text(raw) == text

    def walk(items):
        for node in items:
            assert isinstance(node, Text | Timestamp | Span)
            if isinstance(node, Span):
                assert node.tag in {"c", "i", "b", "u", "ruby", "rt", "v", "lang"}
                walk(node.children)

    walk(nodes)


def test_class_names_are_plain_identifiers():
    (span,) = parse_cue_text('<c.ok.x"onclick=alert(1).also-ok>t</c>')
    assert span.classes == ("ok", "also-ok")


def test_speakers():
    assert cue_speakers("<v Ann>Hi\n<v Bob>Yo</v> <v Ann>again") == ["Ann", "Bob"]
    assert cue_speakers("<v>no name</v> plain") == []
    (cue,) = validate("WEBVTT\n\n00:01.000 --> 00:02.000\n<v.x Ann &amp; Co>Hi\n").cues
    assert cue.speakers == ["Ann & Co"] and cue.plain_text == "Hi"


# -- conversion --------------------------------------------------------------------


def test_convert_srt_with_bom_crlf_and_markup():
    vtt = convert(read("srt_bom_crlf_markup.srt"), "srt")
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.500 line:0\n<i>Hello</i> &amp; welcome\nTop &lt;3\n\n"
        "00:00:04.000 --> 00:00:06.000\n<b>Bold</b>\nafter a blank line\n"
    )
    report = validate(vtt)
    assert report.problems == []
    assert [c.plain_text for c in report.cues] == [
        "Hello & welcome\nTop <3", "Bold\nafter a blank line",
    ]


def test_convert_sbv_escapes_text():
    vtt = convert(read("sbv_basic.sbv"), "sbv")
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\nHello &amp; welcome\n\n"
        "00:00:04.000 --> 00:00:06.500\nSecond &lt;cue&gt;\non two lines\n"
    )
    assert [c.plain_text for c in validate(vtt).cues][1] == "Second <cue>\non two lines"


def test_convert_srt_reads_one_digit_fields_and_keeps_arrows_as_text():
    vtt = convert(b"1\n0:0:1,500 --> 0:0:2,250\nGo --> there\n", "srt")
    assert vtt == "WEBVTT\n\n00:00:01.500 --> 00:00:02.250\nGo --&gt; there\n"


def test_convert_vtt_normalises_line_endings():
    assert convert(read("bom_crlf.vtt"), "vtt").startswith("WEBVTT\n\n00:00:01.000")


@pytest.mark.parametrize(("name", "lines", "code"), [
    ("srt_timing_broken.srt", [6, 10], "bad-timing"),
    ("sbv_timing_broken.sbv", [4], "bad-timing"),
    ("srt_latin1_encoded.srt", [3], "not-utf8"),
])
def test_unconvertible_files_raise_with_lines(name, lines, code):
    with pytest.raises(CaptionError) as info:
        convert(read(name), name.rsplit(".", 1)[1])
    assert [p.line for p in info.value.problems] == lines
    assert {p.code for p in info.value.problems} == {code}
    assert f"line {lines[0]}:" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_convert_rejects_empty_and_unknown_formats():
    with pytest.raises(CaptionError):
        convert(b"", "srt")
    with pytest.raises(CaptionError):
        convert(b"just some words\n", "srt")
    with pytest.raises(ValueError):
        convert(b"x", "ass")


def test_validate_file_points_at_lines_of_the_original():
    report = validate_file(read("srt_end_before_start.srt"), "talk.en.srt")
    assert report.format == "srt"
    assert [(p.line, p.code) for p in report.problems] == [(6, "end-before-start")]
    assert [c.line for c in report.cues] == [2, 6]
    broken = validate_file(read("srt_timing_broken.srt"), "talk.srt")
    assert [(p.line, p.code) for p in broken.problems] == [(6, "bad-timing"), (10, "bad-timing")]


def test_detect_format():
    assert detect_format(b"anything", "talk.en.SRT") == "srt"
    assert detect_format(read("srt_bom_crlf_markup.srt")) == "srt"
    assert detect_format(read("sbv_basic.sbv")) == "sbv"
    assert detect_format(read("bom_crlf.vtt")) == "vtt"
    assert detect_format(b"00:00:01,000 --> 00:00:02,000\nNo index\n") == "srt"
    with pytest.raises(CaptionError):
        detect_format(b"hello", "notes.txt")
    assert validate_file(b"hello", "notes.txt").problems[0].code == "unknown-format"


def test_kind_from_filename():
    assert kind_from_filename("media/talk.en.descriptions.vtt") == "descriptions"
    assert kind_from_filename("talk.chapters.vtt") == "chapters"
    assert kind_from_filename("talk.en.vtt") == "captions"
    assert kind_from_filename("chapters.vtt") == "captions"


# -- browsers agree ------------------------------------------------------------------

# Problems after which a browser loads nothing at all from the file.
FATAL = {"missing-signature", "bad-signature", "empty"}

#: The cues Chromium reads from the track at a URL, with the settings it
#: applied; none when the track fails to load.
READ_CUES = """async (url) => {
  const video = document.querySelector("video");
  const track = document.createElement("track");
  track.src = url;
  track.kind = "metadata";
  video.append(track);
  const result = await new Promise((resolve) => {
    track.onload = () => resolve("load");
    track.onerror = () => resolve("error");
    track.track.mode = "hidden";
  });
  const cues = result === "load" ? Array.from(track.track.cues, (c) => ({
    start: c.startTime, end: c.endTime, id: c.id, text: c.text, line: c.line,
    position: c.position, size: c.size, align: c.align, vertical: c.vertical,
    region: c.region ? c.region.id : null})) : [];
  track.remove();
  return cues;
}"""


def chromium_cues(page, files: Mapping[str, bytes]) -> dict[str, list[dict]]:
    """The cues Chromium reads (see :data:`READ_CUES`) from each of
    ``files``, file names mapped to WebVTT bytes, served as the app serves
    tracks."""
    from tests.browser_support import LiveServer

    def app(environ, start_response):
        name = environ["PATH_INFO"].lstrip("/")
        if name not in files:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<!doctype html><html lang=en><title>tracks</title><video></video></html>"]
        start_response("200 OK", [("Content-Type", "text/vtt; charset=utf-8")])
        return [files[name]]

    with LiveServer(app) as server:
        page.goto(server.url + "/")
        return {name: page.evaluate(READ_CUES, f"{server.url}/{name}") for name in files}


@pytest.mark.browser
def test_chromium_reads_exactly_the_cues_we_report(page):
    paths = sorted(FIXTURES.glob("*.vtt"))
    read = chromium_cues(page, {path.name: path.read_bytes() for path in paths})
    for path in paths:
        report = validate(path.read_bytes())
        codes = {p.code for p in report.problems}
        fatal = bool(codes & FATAL) or path.name == "utf16_without_bom.vtt"
        expected = [] if fatal else sorted(
            (c.start, c.end, c.identifier, c.raw_text) for c in report.cues
        )
        seen = sorted((c["start"], c["end"], c["id"], c["text"]) for c in read[path.name])
        assert seen == expected, path.name


# The modules of player/captions in layer order: each imports only the ones before it.
LAYERS = ["timestamps", "model", "settings", "vtt", "checks", "convert", "validate", "lint"]


def test_caption_modules_import_only_lower_layers_and_stay_small():
    folder = Path(captions_package.__file__).parent
    assert sorted(p.stem for p in folder.glob("*.py")) == sorted([*LAYERS, "__init__"])
    for index, name in enumerate(LAYERS):
        source = (folder / f"{name}.py").read_text(encoding="utf-8")
        assert source.count("\n") < 800, f"{name}.py has grown past 800 lines"
        siblings = {
            node.module.split(".")[0]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        }
        assert siblings <= set(LAYERS[:index]), f"{name}.py imports {siblings}"
    for name in captions_package.__all__:
        assert getattr(captions_package, name) is not None, name
