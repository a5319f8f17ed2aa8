"""The ``player check-captions`` linter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from player.captions import check_captions

FIXTURES = Path(__file__).parent / "fixtures" / "captions"


def run(*args: str):
    return CliRunner().invoke(check_captions, [str(a) for a in args])


def test_clean_file_exits_zero_with_a_summary():
    result = run(FIXTURES / "bom_crlf.vtt")
    assert result.exit_code == 0
    assert result.output == "0 errors, 0 warnings in 1 file\n"


def test_errors_and_warnings_in_linter_format():
    bad = FIXTURES / "timestamp_single_digit_seconds.vtt"
    long = FIXTURES / "line_too_long.vtt"
    srt = FIXTURES / "srt_end_before_start.srt"
    result = run(bad, long, srt)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(
        f"{bad}:6:1: error: Timestamp '00:00:0.000' is not valid: seconds need two digits"
    )
    assert lines[0].endswith(" [bad-timestamp]")
    assert lines[1].startswith(f"{long}:5:43: warning: This caption line is 58 characters")
    assert lines[2].startswith(f"{srt}:6:1: error: The cue ends (00:00:04.000) before it starts")
    assert lines[3:] == ["2 errors, 1 warning in 3 files"]


def test_warnings_alone_exit_zero():
    result = run(FIXTURES / "hours_one_digit.vtt", FIXTURES / "cues_overlapping.vtt")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "0 errors, 2 warnings in 2 files"


def test_duration_finds_cues_past_the_end():
    path = FIXTURES / "cue_past_media_end.vtt"
    assert run(path).exit_code == 0 and run(path).output == "0 errors, 0 warnings in 1 file\n"
    result = run(path, "--duration", "10")
    assert f"{path}:6:1: warning: This cue ends after the media ends" in result.output
    assert run(path, "--duration", "-1").exit_code == 2


def test_kind_comes_from_the_name_or_the_option(tmp_path):
    source = FIXTURES / "descriptions_long_text.en.descriptions.vtt"
    assert run(source).output == "0 errors, 0 warnings in 1 file\n"
    as_captions = run(source, "--kind", "captions")
    assert "[reading-speed]" in as_captions.output and as_captions.exit_code == 0
    renamed = tmp_path / "talk.en.vtt"
    shutil.copy(source, renamed)
    assert "[too-many-lines]" in run(renamed).output


def test_json_format():
    bad = FIXTURES / "end_before_start.vtt"
    result = run("--format", "json", bad, FIXTURES / "sbv_basic.sbv")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["errors"] == 1 and data["warnings"] == 0
    assert data["summary"] == "1 error, 0 warnings in 2 files"
    first, second = data["files"]
    assert first["file"] == str(bad) and first["ok"] is False and first["format"] == "vtt"
    assert first["problems"] == [{
        "line": 3, "column": 18, "severity": "error", "code": "end-before-start",
        "message": "The cue ends (00:00:03.000) before it starts (00:00:05.000), so it never"
                   " shows. The end time must be after the start time.",
    }]
    assert second["format"] == "sbv" and second["cues"] == 2 and second["problems"] == []


def test_missing_file_is_a_usage_error(tmp_path):
    result = run(tmp_path / "nope.vtt")
    assert result.exit_code == 2
    assert run().exit_code == 2


def test_registered_on_the_player_command(runner):
    result = runner.invoke(args=["check-captions", str(FIXTURES / "wrong_signature_webvttx.vtt")])
    assert result.exit_code == 1
    assert ":1:7: error: The first line must be 'WEBVTT' alone" in result.output


def test_region_settings_are_checked_one_by_one():
    path = FIXTURES / "region_settings_invalid.vtt"
    result = run(path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{path}:4:9: warning: 'width:140%' has a value browsers ignore: width is a percentage"
        " from 0% to 100%. [bad-region-setting-value]"
    )
    assert lines[-2] == (
        f"{path}:8:1: warning: This REGION has no id setting (such as id:speaker1), so no cue"
        " can be placed in it. [region-without-id]"
    )
    assert lines[-1] == "0 errors, 7 warnings in 1 file"
