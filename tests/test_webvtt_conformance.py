"""The caption checker and conversion against the W3C WebVTT syntax and parser.

Valid files (by the syntax, or read by the parser exactly as their author
meant) must get no error; invalid ones must get a problem at their line and
column. Converted SubRip, and every track the server sends, must itself be
valid WebVTT.
"""

from __future__ import annotations

import io
import json
import shutil

import pytest

from player import create_app
from player.captions import CaptionError, convert, validate, validate_file
from tests.mediagen import make_media
from tests.publish_support import bearer, create_publisher
from tests.test_captions import chromium_cues

H = "WEBVTT\n\n"


def cue(text: str = "Hello.", timing: str = "00:00:01.000 --> 00:00:03.000") -> str:
    return f"{timing}\n{text}\n"


# name -> file. Each is valid WebVTT, or valid by the current editor's draft.
VALID: dict[str, str | bytes] = {
    # file structure, signature, line terminators
    "bom_crlf": b"\xef\xbb\xbfWEBVTT\r\n\r\n00:00:01.000 --> 00:00:03.000\r\nHi\r\n",
    "bom_cr": b"\xef\xbb\xbfWEBVTT\r\r00:00:01.000 --> 00:00:03.000\rHi\r",
    "mixed_terminators": b"WEBVTT\r\n\n00:01.000 --> 00:02.000\rA\r\n\r\n"
    b"00:03.000 --> 00:04.000\nB",
    "header_after_space": "WEBVTT Interview with Ann\n\n" + cue(),
    "header_after_tab": "WEBVTT\t- made by hand\n\n" + cue(),
    "header_lines": "WEBVTT\nKind: captions\nLanguage: en\n\n" + cue(),
    "hls_timestamp_map": "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n" + cue(),
    "signature_then_eof_no_newline": H + "00:00:01.000 --> 00:00:03.000\nLast line",
    "many_blank_lines": "WEBVTT\n\n\n\n" + cue() + "\n\n\n" + cue("Bye.", "00:04.000 --> 00:05.000")
    + "\n\n",
    # timestamps
    "hours_omitted": H + cue(timing="00:01.000 --> 00:03.000"),
    "hours_three_digits": H + cue(timing="100:00:01.000 --> 100:00:03.000"),
    "hours_mixed_forms": H + cue(timing="59:59.000 --> 01:00:00.500"),
    "hours_max_fields": H + cue(timing="99:59:59.000 --> 99:59:59.999"),
    # identifiers
    "no_identifier": H + cue(),
    "identifier_with_spaces": H + "intro part 1\n" + cue(),
    "identifier_unicode": H + "cr\u00e9dit de transcription\n" + cue(),
    "identifier_numeric": H + "1\n" + cue() + "\n2\n" + cue("Two.", "00:04.000 --> 00:05.000"),
    "identifier_like_keywords": H + "NOTES\n" + cue() + "\nSTYLE\n"
    + cue("Two.", "00:04.000 --> 00:05.000"),
    # cue settings
    "settings_any_order": H + cue(timing="00:00:01.000 --> 00:00:03.000 size:50% align:end"
                                         " position:90% line:0 vertical:lr"),
    "line_minus_one": H + cue(timing="00:01.000 --> 00:03.000 line:-1"),
    "line_number_with_align": H + cue(timing="00:01.000 --> 00:03.000 line:-2,end"),
    "line_percent_with_align": H + cue(timing="00:01.000 --> 00:03.000 line:33.5%,center"),
    "line_percent_bounds": H + cue(timing="00:01.000 --> 00:02.000 line:0%,start") + "\n"
    + cue("B", "00:03.000 --> 00:04.000 line:100%"),
    "position_line_left": H + cue(timing="00:01.000 --> 00:03.000 position:10%,line-left"),
    "position_line_right": H + cue(timing="00:01.000 --> 00:03.000 position:100%,line-right"),
    "position_center": H + cue(timing="00:01.000 --> 00:03.000 position:0%,center"),
    "size_fraction": H + cue(timing="00:01.000 --> 00:03.000 size:33.333%"),
    "align_all_values": H + "\n".join(
        cue(value, f"00:0{i}.000 --> 00:0{i}.900 align:{value}")
        for i, value in enumerate(["start", "center", "end", "left", "right"], 1)),
    "vertical_both": H + cue(timing="00:01.000 --> 00:02.000 vertical:rl") + "\n"
    + cue("B", "00:03.000 --> 00:04.000 vertical:lr line:0"),
    "settings_tabs_and_spaces": H + cue(timing="00:01.000\t-->\t00:03.000\t align:start \tline:0 "),
    # regions, style sheets, comments, attributes
    "region_referenced": H + "REGION\nid:fred width:40% lines:3 regionanchor:0%,100%"
    " viewportanchor:10%,90% scroll:up\n\n"
    + cue(timing="00:01.000 --> 00:03.000 region:fred align:left position:20%"),
    "region_settings_on_lines": H + "REGION \t\nid:bill\nwidth:40%\nlines:0\n\n"
    + cue(timing="00:01.000 --> 00:03.000 region:bill size:100%"),
    "style_blank_line_filled_with_space": H + "STYLE\n::cue {\n \n  color: lime;\n}\n\n" + cue(),
    "style_note_style": H + "STYLE  \n::cue(b) { color: red }\n\nNOTE between style sheets\n\n"
    "STYLE\n::cue(.loud) { font-size: 2em }\n\n" + cue("<c.loud>Hi</c>"),
    "note_forms": H + "NOTE\nline one\n  indented \n\nNOTE one line\n\nNOTE\tafter a tab\n\n"
    + cue() + "\nNOTE between cues\n\n" + cue("Two.", "00:04.000 --> 00:05.000")
    + "\nNOTE at the end\n",
    "attributes_block": H + "ATTRIBUTES\nkind: subtitles\nlang: es-MX\nlabel:Espa\u00f1ol\n\n"
    "NOTE\nmade by hand\n\n" + cue(),
    # cue text
    "empty_payload_between_cues": H + cue("") + "\n" + cue("After.", "00:04.000 --> 00:05.000"),
    "nested_spans": H + cue("<b><i><u>deep</u></i> bold</b>"),
    "voice_with_classes_unclosed": H + cue("<v.loud Esme Weatherwax>It is a blue apple tree!"),
    "voices_closed": H + cue("<v Anna>Hi.</v>\n<v Bo>Hello.</v>"),
    "voice_annotation_reference": H + cue("<v Tom &amp; Jerry>Hi</v>"),
    "ruby_with_rt": H + cue("<ruby>\u6f22<rt>kan</rt>\u5b57<rt>ji</ruby>"),
    "lang_spans": H + cue("<i.foreign><lang en>playground</lang></i>"
                          " <lang zh-Hant-TW>\u4f60\u597d</lang>"),
    "color_classes": H + cue("<c.yellow.bg_blue>Yellow on blue</c>"),
    "inner_timestamps_in_order": H + cue("One <00:00:01.500>two <00:02.000>three <00:02.500>four"),
    "character_references": H + cue("&amp; &lt; &gt; &lrm;&rlm; &nbsp; &#169; &#xA9; &mdash;"),
    "escaped_arrow_and_plain_signs": H + cue("Go --&gt; there; 5 > 3 &amp; -> ok"),
    "text_line_of_no_break_spaces": H + cue("a\n\u00a0\nb"),
}

# name -> warnings the syntax justifies for an otherwise accepted file.
JUSTIFIED = {
    "empty_payload_between_cues": ["empty-cue"],
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_files_get_no_error_and_no_unjustified_warning(name):
    report = validate(VALID[name])
    assert [p.code for p in report.problems] == JUSTIFIED.get(name, []), report.problems
    assert report.ok and report.cues


def test_valid_files_mean_what_their_author_meant():
    cues = {name: validate(data).cues for name, data in VALID.items()}
    assert [c.raw_text for c in cues["mixed_terminators"]] == ["A", "B"]
    assert cues["signature_then_eof_no_newline"][0].raw_text == "Last line"
    assert cues["hours_three_digits"][0].start == 360001.0
    assert (cues["hours_mixed_forms"][0].start, cues["hours_mixed_forms"][0].end) == (3599, 3600.5)
    assert cues["identifier_with_spaces"][0].identifier == "intro part 1"
    assert [c.identifier for c in cues["identifier_like_keywords"]] == ["NOTES", "STYLE"]
    assert cues["settings_tabs_and_spaces"][0].settings == "align:start \tline:0"
    assert [c.raw_text for c in cues["empty_payload_between_cues"]] == ["", "After."]
    (voice,) = cues["voice_with_classes_unclosed"][0].nodes
    assert (voice.tag, voice.classes, voice.annotation) == ("v", ("loud",), "Esme Weatherwax")
    assert cues["voice_annotation_reference"][0].speakers == ["Tom & Jerry"]
    assert cues["ruby_with_rt"][0].plain_text == "\u6f22(kan)\u5b57(ji)"
    assert cues["character_references"][0].plain_text == (
        "& < > \u200e\u200f \u00a0 \u00a9 \u00a9 \u2014")
    assert cues["escaped_arrow_and_plain_signs"][0].plain_text == "Go --> there; 5 > 3 & -> ok"
    assert len(cues["note_forms"]) == 2 and len(cues["attributes_block"]) == 1


# name -> (file, [(line, column, code)]) for files browsers drop or misread.
ERRORS: dict[str, tuple[str | bytes, list[tuple[int, int, str]]]] = {
    "no_signature": ("00:00:01.000 --> 00:00:02.000\nHi\n", [(1, 1, "missing-signature")]),
    "signature_glued": ("WEBVTTX\n\n" + cue(), [(1, 7, "bad-signature")]),
    "signature_no_break_space": ("WEBVTT\u00a0x\n\n" + cue(), [(1, 7, "bad-signature")]),
    "signature_lowercase": ("webvtt\n\n" + cue(), [(1, 1, "missing-signature")]),
    "blank_line_before_signature": (b"\xef\xbb\xbf\nWEBVTT\n\n" + cue().encode(),
                                    [(1, 1, "missing-signature")]),
    "empty": ("", [(1, 1, "empty")]),
    "utf16": (("WEBVTT\n\n" + cue()).encode("utf-16"), [(1, 1, "not-utf8")]),
    "minutes_one_digit": (H + cue(timing="0:01.000 --> 00:02.000"), [(3, 1, "bad-timestamp")]),
    "millis_two_digits": (H + cue(timing="00:00:01.00 --> 00:00:02.000"),
                          [(3, 1, "bad-timestamp")]),
    "millis_four_digits": (H + cue(timing="00:00:01.000 --> 00:00:02.0000"),
                           [(3, 18, "bad-timestamp")]),
    "millis_comma": (H + cue(timing="00:00:01,000 --> 00:00:02,000"), [(3, 1, "bad-timestamp")]),
    "minutes_sixty": (H + cue(timing="00:60:00.000 --> 01:00:02.000"), [(3, 1, "bad-timestamp")]),
    "seconds_sixty_no_hours": (H + cue(timing="00:01.000 --> 00:60.000"),
                               [(3, 15, "bad-timestamp")]),
    "millis_missing": (H + cue(timing="00:00:01 --> 00:00:02"), [(3, 1, "bad-timestamp")]),
    "end_before_start": (H + cue(timing="00:00:05.000 --> 00:00:04.000"),
                         [(3, 18, "end-before-start")]),
    "end_equals_start": (H + cue(timing="00:05.000 --> 00:05.000"), [(3, 15, "end-before-start")]),
    "arrow_missing": (H + cue(timing="00:00:01.000 00:00:02.000"),
                      [(3, 13, "broken-timing-line")]),
    "arrow_in_cue_text": (H + cue("First line\nthen --> an arrow"), [(5, 6, "arrow-in-text")]),
    "blank_line_in_cue_text": (H + cue("First part\n\nSecond part"), [(6, 1, "orphan-text")]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_files_browsers_drop_or_misread_get_an_error_where_it_is(name):
    data, expected = ERRORS[name]
    report = validate(data)
    assert [(p.line, p.column, p.code) for p in report.errors] == expected
    assert not report.ok


# name -> (file, [(line, column, code)]): invalid by the syntax, tolerated
# by browsers, so warnings that point at the place.
WARNINGS: dict[str, tuple[str, list[tuple[int, int, str]]]] = {
    "style_after_cue": (H + cue() + "\nSTYLE\n::cue { color: red }\n",
                        [(6, 1, "ignored-block")]),
    "region_after_cue": (H + cue() + "\nREGION\nid:late\n", [(6, 1, "ignored-block")]),
    "one_digit_hours": (H + cue(timing="1:00:00.000 --> 1:00:01.000"),
                        [(3, 1, "one-digit-hours"), (3, 17, "one-digit-hours")]),
    "no_space_around_arrow": (H + cue(timing="00:01.000-->00:02.000"),
                              [(3, 1, "timing-spacing")]),
    "duplicate_identifier": (H + "a\n" + cue() + "\na\n" + cue("B", "00:04.000 --> 00:05.000"),
                             [(7, 1, "duplicate-identifier")]),
    "identifier_with_arrow": (H + "a --> b\n" + cue(), [(3, 3, "arrow-in-identifier")]),
    "setting_values": (H + cue(timing="00:01.000 --> 00:02.000 line:+1 position:50%,left"
                                      " size:120% align:middle vertical:tb"),
                       [(3, 25, "bad-setting-value"), (3, 33, "bad-setting-value"),
                        (3, 51, "bad-setting-value"), (3, 61, "bad-setting-value"),
                        (3, 74, "bad-setting-value")]),
    "line_percent_negative": (H + cue(timing="00:01.000 --> 00:02.000 line:-1%"),
                              [(3, 25, "bad-setting-value")]),
    "setting_twice": (H + cue(timing="00:01.000 --> 00:02.000 line:0 line:1"),
                      [(3, 32, "duplicate-setting")]),
    "region_undefined": (H + cue(timing="00:01.000 --> 00:02.000 region:nowhere"),
                         [(3, 25, "bad-setting-value")]),
    "region_left_by_line": (H + "REGION\nid:r\n\n" + cue(timing="00:01.000 --> 00:02.000"
                                                                " region:r line:0"),
                            [(6, 25, "region-ignored")]),
    "voice_without_name": (H + cue("<v>Who?</v>"), [(4, 1, "missing-annotation")]),
    "lang_without_tag": (H + cue("x <lang>y</lang>"), [(4, 3, "missing-annotation")]),
    "lang_malformed": (H + cue("<lang en_US>y</lang>"), [(4, 1, "bad-language-tag")]),
    "class_with_annotation": (H + cue("<c Bob>y</c>"), [(4, 1, "unexpected-annotation")]),
    "inner_timestamp_out_of_order": (H + cue("a <00:00:02.500>b <00:00:02.000>c"),
                                     [(4, 19, "cue-timestamp-order")]),
    "unknown_tag": (H + cue("<font color=red>red</font>"), [(4, 1, "unknown-tag")]),
    "spaces_line_in_cue": (H + cue("a\n \nb"), [(5, 1, "blank-line-with-spaces")]),
    "spaces_line_between_cues": (H + cue() + "\n \t\n\n" + cue("B", "00:04.000 --> 00:05.000"),
                                 [(6, 1, "blank-line-with-spaces")]),
    "spaces_line_before_cue": (H + "NOTE hi\n  \n" + cue(),
                               [(4, 1, "blank-line-with-spaces"), (5, 1, "missing-blank-line")]),
    "note_with_colon": (H + cue() + "\nNOTE: fix the timing\n", [(6, 5, "bad-comment")]),
    "attributes_not_first": (H + "NOTE x\n\nATTRIBUTES\nkind: captions\n\n" + cue(),
                             [(5, 1, "misplaced-attributes")]),
    "attribute_without_colon": (H + "ATTRIBUTES\nkind captions\n\n" + cue(),
                                [(4, 1, "bad-attribute")]),
    "style_in_header": ("WEBVTT\nSTYLE\n::cue { color: red }\n\n" + cue(),
                        [(2, 1, "block-in-header")]),
    "bare_ampersands": (H + cue("Tom & Jerry, &foo; and &amp"),
                        [(4, 5, "unescaped-ampersand"), (4, 14, "unescaped-ampersand"),
                         (4, 24, "unescaped-ampersand")]),
}


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_tolerated_syntax_errors_are_warnings_where_they_are(name):
    data, expected = WARNINGS[name]
    report = validate(data)
    assert [(p.line, p.column, p.code) for p in report.problems] == expected
    assert report.ok
    for problem in report.problems:
        assert problem.message.endswith(".") and len(problem.message) < 300


# name -> (file, [(line, column, severity, code, words)]): a character that
# looks like a space, or like nothing, spoils the syntax; a quote would not
# show it, so the message names it.
INVISIBLE: dict[str, tuple[str, list[tuple[int, int, str, str, str]]]] = {
    "no_break_spaces_around_arrow": (
        H + cue(timing="00:00:01.000\u00a0-->\u00a000:00:02.000"),
        [(3, 13, "error", "bad-timestamp", "but found U+00A0 NO-BREAK SPACE,")]),
    "line_tabulation_before_start": (
        H + cue(timing="\v00:00:01.000 --> 00:00:02.000"),
        [(3, 1, "error", "bad-timestamp", "it starts with U+000B LINE TABULATION,")]),
    "no_break_space_before_end": (
        H + cue(timing="00:00:01.000 -->\u00a000:00:02.000"),
        [(3, 17, "error", "bad-timestamp", "it starts with U+00A0 NO-BREAK SPACE,")]),
    "no_break_space_before_settings": (
        H + cue(timing="00:00:05.000 --> 00:00:06.000\u00a0align:start"),
        [(3, 30, "warning", "timing-spacing", "followed by U+00A0 NO-BREAK SPACE,"),
         (3, 30, "warning", "unknown-setting", "it starts with U+00A0 NO-BREAK SPACE,")]),
    "no_break_space_between_settings": (
        H + cue(timing="00:00:05.000 --> 00:00:06.000 align:start\u00a0line:0"),
        [(3, 42, "warning", "bad-setting-value", "it contains U+00A0 NO-BREAK SPACE,")]),
    "zero_width_space_as_setting": (
        H + cue(timing="00:00:05.000 --> 00:00:06.000 \u200b"),
        [(3, 31, "warning", "bad-setting", "U+200B ZERO WIDTH SPACE is not a cue setting")]),
}


@pytest.mark.parametrize("name", sorted(INVISIBLE))
def test_messages_name_characters_one_cannot_see(name):
    data, expected = INVISIBLE[name]
    problems = validate(data).problems
    assert [(p.line, p.column, p.severity, p.code) for p in problems] == [
        found[:4] for found in expected]
    for problem, (*_, words) in zip(problems, expected, strict=True):
        assert words in problem.message


def test_cli_names_file_line_and_column(tmp_path):
    from click.testing import CliRunner

    from player.captions import check_captions

    path = tmp_path / "talk.en.vtt"
    path.write_text(H + cue(timing="00:00:01.000 --> 00:00:02.0000"), encoding="utf-8")
    valid = tmp_path / "edge.en.vtt"
    valid.write_bytes(VALID["bom_crlf"])
    result = CliRunner().invoke(check_captions, [str(path), str(valid)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:3:18: error: Timestamp '00:00:02.0000' is not valid: milliseconds need three"
        " digits (00:00:02.000). Browsers drop this cue. Its text will not show: 'Hello.'."
        " [bad-timestamp]",
        "1 error, 0 warnings in 2 files",
    ]


# -- SubRip conversion ---------------------------------------------------------

SRT = (
    "\ufeff1\r\n00:00:04,000 --> 00:00:06,000 X1:10 X2:20\r\n<B>Bold</B> and <I >it\r\n"
    "still it</i></b>\r\n\r\n"
    "2\r\n0:0:1,000 --> 00:00:03,500\r\n{\\an8}<font color=\"#ff0000\">Top</font> & <u>un</u>"
    " <3\r\n\r\n"
    "3\r\n00:00:07.250 --> 00:00:09,000\r\nGo --> there &amp; back\r\n"
).encode("utf-8")


def test_srt_converts_to_valid_webvtt_in_start_order():
    vtt = convert(SRT, "srt")
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.500 line:0\nTop &amp; <u>un</u> &lt;3\n\n"
        "00:00:04.000 --> 00:00:06.000\n<b>Bold</b> and <i>it\nstill it</i>\n\n"
        "00:00:07.250 --> 00:00:09.000\nGo --&gt; there &amp; back\n"
    )
    report = validate(vtt)
    assert report.problems == []
    assert [c.plain_text for c in report.cues] == [
        "Top & un <3", "Bold and it\nstill it", "Go --> there & back"]


def test_srt_text_that_is_no_character_reference_converts_escaped():
    data = b"1\n00:00:01,000 --> 00:00:03,000\nTom & Jerry &notit; &foo; &amp; &#169;\n"
    vtt = convert(data, "srt")
    assert "Tom &amp; Jerry &amp;notit; &amp;foo; &amp; &#169;" in vtt
    report = validate(vtt)
    assert report.problems == []
    assert report.cues[0].plain_text == "Tom & Jerry &notit; &foo; & \u00a9"


@pytest.mark.parametrize(("code", "settings"), [
    ("an1", " align:left"), ("an2", ""), ("an3", " align:right"),
    ("an4", " line:50%,center align:left"), ("an5", " line:50%,center"),
    ("an9", " line:0 align:right"), ("fs20\\an8\\b1", " line:0"),
])
def test_srt_numpad_placement_becomes_cue_settings(code, settings):
    """A caption an author moved (often off burnt-in text) stays where it was put."""
    data = f"1\n00:00:01,000 --> 00:00:02,000\n{{\\{code}}}Moved\n".encode()
    vtt = convert(data, "srt")
    assert vtt == f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000{settings}\nMoved\n"
    assert validate(vtt).problems == []


def test_srt_report_keeps_source_lines_and_order():
    report = validate_file(SRT, "talk.en.srt")
    assert report.format == "srt"
    assert [(p.line, p.code) for p in report.problems] == [(7, "out-of-order")]
    assert [c.line for c in report.cues] == [2, 7, 11]


@pytest.mark.parametrize(("line", "column", "readings"), [
    ("1:2:3,4 --> 1:2:4,000", 1, "as 01:02:03,400 or as 01:02:03,004"),
    ("00:00:01,000 --> 00:00:02,25", 18, "as 00:00:02,250 or as 00:00:02,025"),
    ("00:00:01,000 --> 00:00:02,0000", 18, "as in 00:00:02,000"),
])
def test_srt_times_players_read_differently_are_errors(line, column, readings):
    data = f"1\n00:00:00,000 --> 00:00:00,500\nFine.\n\n2\n{line}\nSloppy.\n".encode()
    with pytest.raises(CaptionError) as info:
        convert(data, "srt")
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.code) == (6, column, "ambiguous-time")
    assert readings in problem.message and str(info.value).startswith("line 6: ")
    (reported,) = validate_file(data, "talk.srt").problems
    assert (reported.line, reported.column, reported.severity) == (6, column, "error")


def test_sbv_times_need_three_digit_milliseconds():
    with pytest.raises(CaptionError) as info:
        convert(b"0:00:01.5,0:00:02.000\nHi\n", "sbv")
    assert [(p.line, p.column, p.code) for p in info.value.problems] == [(1, 1, "ambiguous-time")]


# -- what the server sends --------------------------------------------------------


@pytest.fixture
def library(tmp_path, media_cache):
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.json").write_text(json.dumps({"title": "Clip", "language": "en"}))
    (folder / "clip.en.srt").write_bytes(SRT)
    (folder / "clip.uk.subtitles.vtt").write_bytes(VALID["bom_crlf"])
    (folder / "clip.en.chapters.vtt").write_text(VALID["attributes_block"], encoding="utf-8")
    return folder


@pytest.fixture
def app(library, tmp_path):
    return create_app({"TESTING": True, "MEDIA_DIR": str(library), "SECRET_KEY": "test",
                       "DATABASE": str(tmp_path / "conformance.sqlite")})


@pytest.fixture
def client(app):
    return app.test_client()


def served(client, url: str):
    with client.get(url) as response:
        return response.status_code, response.headers["Content-Type"], response.get_data()


def test_served_tracks_are_valid_utf8_webvtt(client):
    tracks = client.get("/api/media/clip").get_json()["tracks"]
    assert {t["kind"] for t in tracks} == {"captions", "subtitles", "chapters"}
    for track in tracks:
        status, content_type, body = served(client, track["url"])
        assert (status, content_type) == (200, "text/vtt; charset=utf-8")
        report = validate(body, kind=track["kind"])
        assert report.problems == [], track["url"]
        if track["kind"] == "captions":
            assert body == convert(SRT, "srt").encode("utf-8")


def test_uploaded_srt_is_served_as_valid_webvtt_or_refused_at_its_line(app, client):
    headers = bearer(create_publisher(app))
    sloppy = b"1\n00:00:01,5 --> 00:00:02,000\nHi\n"
    refused = client.post("/api/media/clip/tracks", headers=headers, data={
        "kind": "captions", "srclang": "fr", "file": (io.BytesIO(sloppy), "fr.srt")})
    assert refused.status_code == 422
    (problem,) = refused.get_json()["error"]["details"]["problems"]
    assert (problem["line"], problem["column"], problem["code"]) == (2, 1, "ambiguous-time")

    response = client.post("/api/media/clip/tracks", headers=headers, data={
        "kind": "captions", "srclang": "de", "file": (io.BytesIO(SRT), "de.srt")})
    assert response.status_code == 201
    status, content_type, body = served(client, response.get_json()["url"])
    assert (status, content_type) == (200, "text/vtt; charset=utf-8")
    assert validate(body).problems == []


# -- Chromium reads the valid files as we do -------------------------------------------

@pytest.mark.browser
def test_chromium_reads_every_valid_file_as_we_do(page):
    read = chromium_cues(page, {name: data if isinstance(data, bytes) else data.encode("utf-8")
                                for name, data in VALID.items()})
    for name, data in VALID.items():
        ours = [(c.start, c.end, c.identifier, c.raw_text) for c in validate(data).cues]
        theirs = [(c["start"], c["end"], c["id"], c["text"]) for c in read[name]]
        assert sorted(theirs) == sorted(ours), name
    # The settings we accept are the settings Chromium applies.
    (placed,) = read["position_line_left"]
    assert placed["position"] == 10
    assert [c["line"] for c in read["line_minus_one"]] == [-1]
    assert [c["line"] for c in read["line_number_with_align"]] == [-2]
    assert [c["line"] for c in read["line_percent_with_align"]] == [33.5]
    assert [c["align"] for c in read["align_all_values"]] == [
        "start", "center", "end", "left", "right"]
    assert [c["vertical"] for c in read["vertical_both"]] == ["rl", "lr"]
    (sized,) = read["size_fraction"]
    assert sized["size"] == pytest.approx(33.333)
