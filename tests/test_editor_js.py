"""The caption editor's WebVTT reading, writing and merging (static/js/editor-vtt.js,
editor-merge.js), run in node as the browser runs them: a file the editor did not
change is written back as it was, each block's lines are where the checker's
problems point, and a conflict lines up the cues both versions share."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from player.captions import validate

SCRIPTS = Path(__file__).resolve().parents[1] / "static" / "js"

FILE = """WEBVTT Kind: captions

STYLE
::cue { color: yellow }

NOTE made by hand

intro
00:00:01.000 --> 00:00:04.000 line:0 align:start
<v.loud Ana>Hello <i>there</i> &amp; welcome.

00:00:05.000 --> 00:00:07.500
<v Bo>Two lines,
one cue.</v>

NOTE between cues

00:00:08.000 -> 00:00:09.000
A broken timing line.

00:00:10.000 --> 00:00:12.000
<v Ana>One</v> <v Bo>Two</v>
"""


def run(script: str) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (Debian: apt-get install nodejs)")
    source = (f"import * as vtt from {json.dumps((SCRIPTS / 'editor-vtt.js').as_uri())};\n"
              f"import * as merge from {json.dumps((SCRIPTS / 'editor-merge.js').as_uri())};\n"
              f"const out = (() => {{ {script} }})();\n"
              "process.stdout.write(JSON.stringify(out));\n")
    done = subprocess.run([node, "--input-type=module", "-e", source], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_unchanged_file_is_written_back_as_it_was():
    out = run(f"const doc = vtt.parseVtt({json.dumps(FILE)});"
              " return {text: vtt.serialize(doc).text, lines: vtt.serialize(doc).lines,"
              " blocks: doc.blocks};")
    assert out["text"] == FILE
    blocks = out["blocks"]
    assert [b["type"] for b in blocks] == ["cue", "cue", "raw", "raw", "cue"]
    assert blocks[0] == {"type": "cue", "id": "intro", "start": "00:00:01.000",
                         "end": "00:00:04.000", "settings": "line:0 align:start",
                         "speaker": "Ana", "voice": ".loud", "closed": False,
                         "text": "Hello <i>there</i> &amp; welcome."}
    # Two voices in one cue stay in the text; no speaker is made up.
    assert blocks[4]["speaker"] == "" and blocks[4]["text"] == "<v Ana>One</v> <v Bo>Two</v>"
    # Each block's first and last line, as the checker counts them.
    report = validate(FILE)
    assert [p.line for p in report.errors] == [out["lines"][3][0]]
    assert out["lines"][0] == [8, 10] and out["lines"][1] == [12, 14]
    assert (blocks[1]["speaker"], blocks[1]["closed"]) == ("Bo", True)


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:01:05.200", 65.2), ("1:05.2", 65.2), ("65.2", 65.2), ("01:02:03,5", 3723.5),
    ("5", 5), ("00:61.000", None), ("1:2:3:4", None), ("", None), ("abc", None),
])
def test_times_are_read_loosely_and_written_as_webvtt_wants(text, seconds):
    out = run(f"const s = vtt.parseTime({json.dumps(text)});"
              " return Number.isFinite(s) ? [s, vtt.formatTime(s)] : null;")
    if seconds is None:
        assert out is None
    else:
        assert out[0] == pytest.approx(seconds)
        assert validate(f"WEBVTT\n\n{out[1]} --> 99:00:00.000\nx\n").ok


def test_placement_and_readability():
    out = run("const s = vtt.withPlacement('align:start line:80%', 'top');"
              " return [s, vtt.placementOf(s), vtt.withPlacement(s, 'bottom'),"
              " vtt.readability({start: '00:00:00.000', end: '00:00:02.000',"
              " text: '<i>Twenty characters.</i>\\nok'})];")
    assert out[:3] == ["line:0 align:start", "top", "align:start"]
    assert out[3] == {"rate": 10, "longest": 18, "lines": 2}


def test_a_conflict_lines_up_shared_cues_and_merges_the_chosen_side():
    theirs = FILE.replace("<v Bo>Two lines,", "<v Bo>Their two lines,")
    mine = FILE.replace("A broken timing line.", "Mine.").replace("one cue.", "my cue.")
    out = run(f"const a = vtt.parseVtt({json.dumps(theirs)}).blocks;"
              f" const b = vtt.parseVtt({json.dumps(mine)}).blocks;"
              " const parts = merge.alignBlocks(a, b);"
              " const shape = parts.map(p => p.same ? ['same', p.same.length]"
              " : ['hunk', p.theirs.length, p.yours.length]);"
              " const text = (c) => vtt.serialize({header: 'WEBVTT', blocks:"
              " merge.mergeBlocks(parts, c)}).text;"
              " return {shape, theirs: text(['theirs', 'theirs']), mine: text(['yours', 'yours']),"
              " mixed: text(['theirs', 'yours'])};")
    assert out["shape"] == [["same", 1], ["hunk", 1, 1], ["same", 1], ["hunk", 1, 1],
                            ["same", 1]]
    assert "Their two lines,\none cue.</v>" in out["theirs"] and "A broken" in out["theirs"]
    assert "Two lines,\nmy cue.</v>" in out["mine"] and "Mine." in out["mine"]
    assert "Their two lines,\none cue.</v>" in out["mixed"] and "Mine." in out["mixed"]
