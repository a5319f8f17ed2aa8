"""Positioned captions in Chromium: the player's overlay against Chromium's
own WebVTT rendering, cue by cue, over a corpus of cue settings
(``tests/fixtures/cues``); the viewer's overrides; captions kept clear of the
controls; and STYLE blocks that can change nothing outside a cue.

Chromium's cue boxes are read through the DevTools protocol (its cue
elements live in the video's user-agent shadow tree, which page scripts
cannot see): ``DOM.getDocument`` with ``pierce``, then the content quads of
each cue's text, one per line. The overlay is set to Chromium's cue style
first (5 % of the video's smaller side, sans-serif, normal line height, no
padding), so what is compared is where the layout puts each box, not the
viewer's caption style.

Differences allowed, and why:

- Right-to-left cues aligned ``start`` or ``end``: Chromium places the box
  as the spec says (``start`` of a right-to-left cue is its right side) but
  then aligns the text inside the box as if it ran left to right. The
  overlay aligns it to the box's right (start) or left (end) side, so for
  those cues the lines' top and bottom and the breaks are compared, and the
  side the text starts from is checked against the box the file gives.
- Line alignment (``line:50%,center``, ``line:95%,end``): Chromium ignores
  it and puts the box's top at the line; the spec puts the box's centre or
  end there, as the overlay does. Chromium's box is moved by that share of
  its height before comparing.
- Regions: Chromium does not render WebVTT regions (it lays region cues out
  as ordinary cues). The overlay follows the spec, so region cues are checked
  against the region box computed from the file: its width, anchors and
  ``lines``, cues stacked at its bottom, the newest last.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask, send_from_directory

from player import create_app
from tests.browser_support import LiveServer
from tests.mediagen import make_media

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "cues"
CORPUS = sorted(path.stem for path in FIXTURES.glob("*.vtt"))
# Same position within 2 % of the video's width and height.
TOLERANCE = 0.02
AT = 0.5  # seconds: every corpus cue shows then
# Percentage lines aligned center or end (line-percent.vtt): the share of
# the box's height the spec moves it up by, which Chromium does not.
LINE_ALIGN = {"Centred on the middle": 0.5, "Ending at 95 percent": 1.0}
# Right-to-left cues aligned start or end: the side their text keeps to, as
# a share of the video's width (rtl.vtt: position 90 % start; 10 % end).
RTL_SIDES = {
    "שלום, זהו כתובית מימין לשמאל": ("right", 0.90),
    "مرحبا بكم في المشغل": ("left", 0.10),
}

OVERLAY_AS_NATIVE = """(size) => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`.ap-captions .ap-cue { font: ${size}px sans-serif !important;
    line-height: normal !important; padding: 0 !important; }`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}"""

# Each overlay cue: its text, and one box per line (relative to the video).
OVERLAY_BOXES = """() => {
  const video = document.querySelector('.ap-stage video').getBoundingClientRect();
  return [...document.querySelectorAll('.ap-captions .ap-cue')].map((cue) => {
    const range = document.createRange();
    range.selectNodeContents(cue);
    const lines = [];
    for (const r of range.getClientRects()) {
      if (!r.width || !r.height) continue;
      lines.push([r.left - video.left, r.top - video.top, r.right - video.left, r.bottom - video.top]);
    }
    return {text: cue.textContent, lines, vertical: getComputedStyle(cue).writingMode};
  });
}"""


def merge_lines(quads: list[list[float]], vertical: bool) -> list[list[float]]:
    """Boxes on one line (text split by bidi runs or trailing spaces) made one."""
    lines: list[list[float]] = []
    key = 0 if vertical else 1
    for box in sorted(quads, key=lambda b: (round(b[key]), b[0], b[1])):
        if lines and abs(lines[-1][key] - box[key]) < 2:
            last = lines[-1]
            lines[-1] = [min(last[0], box[0]), min(last[1], box[1]),
                         max(last[2], box[2]), max(last[3], box[3])]
        else:
            lines.append(list(box))
    return lines


def cue_app(folder: Path) -> Flask:
    return create_app({"TESTING": True, "MEDIA_DIR": str(folder),
                       "DATABASE": str(folder.parent / "cues.sqlite"), "SECRET_KEY": "test"})


@pytest.fixture
def corpus_dir(tmp_path, media_cache) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    clip = make_media("mp4", media_cache)
    for name in CORPUS:
        shutil.copy(clip, folder / f"{name}.mp4")
        shutil.copy(FIXTURES / f"{name}.vtt", folder / f"{name}.en.vtt")
        (folder / f"{name}.json").write_text(f'{{"title": "Cue layout: {name}"}}')
    return folder


def native_app(folder: Path) -> Flask:
    """Plain pages: a <video> the given size, its captions shown by Chromium."""
    app = Flask("native")

    @app.get("/files/<name>")
    def files(name):
        return send_from_directory(folder, name)

    @app.get("/native/<name>/<int:width>x<int:height>")
    def native(name, width, height):
        return (f'<!doctype html><html lang="en"><head><title>{name}</title></head>'
                '<body style="margin:0"><video muted preload="auto"'
                f' width="{width}" height="{height}" src="/files/{name}.mp4">'
                f'<track kind="captions" srclang="en" src="/files/{name}.en.vtt"></video>')

    return app


SEEK = """(at) => new Promise((resolve) => {
  const video = document.querySelector('video');
  if (Math.abs(video.currentTime - at) < 0.01) return resolve();
  video.addEventListener('seeked', () => resolve(), {once: true});
  video.currentTime = at;
})"""


def native_boxes(page, url: str) -> list[dict]:
    page.goto(url)
    page.evaluate("() => { document.querySelector('video').textTracks[0].mode = 'showing'; }")
    page.wait_for_function("() => document.querySelector('video').readyState >= 1"
                           " && document.querySelector('video').textTracks[0].cues.length > 0")
    page.evaluate(SEEK, AT)
    page.wait_for_function("() => document.querySelector('video').textTracks[0].activeCues.length > 0")
    page.wait_for_timeout(300)
    video = page.evaluate("() => { const r = document.querySelector('video').getBoundingClientRect();"
                          " return [r.left, r.top]; }")
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    cues = []

    def walk(node, writing_mode):
        attrs = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2]))
        found = re.search(r"writing-mode: ([\w-]+)", attrs.get("style", ""))
        writing_mode = found[1] if found else writing_mode
        if attrs.get("pseudo") == "cue":
            texts, quads = [], []
            for child in node.get("children", []):
                if child["nodeType"] == 3:
                    texts.append(child["nodeValue"])
                    for q in cdp.send("DOM.getContentQuads", {"nodeId": child["nodeId"]})["quads"]:
                        xs, ys = q[0::2], q[1::2]
                        quads.append([min(xs) - video[0], min(ys) - video[1],
                                      max(xs) - video[0], max(ys) - video[1]])
            cues.append({"text": "".join(texts), "quads": quads, "vertical": writing_mode})
        for child in node.get("children", []) + node.get("shadowRoots", []):
            walk(child, writing_mode)

    walk(root, "horizontal-tb")
    cdp.detach()
    return cues


def open_player(page, url: str) -> dict:
    """The watch page with the overlay set to Chromium's cue style; the video's size."""
    page.goto(url)
    page.wait_for_selector("#player[data-state=ready]")
    size = page.evaluate("() => { const r = document.querySelector('.ap-stage video').getBoundingClientRect();"
                         " return {width: Math.round(r.width), height: Math.round(r.height)}; }")
    page.evaluate(OVERLAY_AS_NATIVE, round(0.05 * min(size["width"], size["height"]), 2))
    return size


def overlay_boxes(page, count: int) -> list[dict]:
    page.evaluate(SEEK, AT)
    # The layout plugin draws them once it has read the file.
    page.wait_for_function("() => document.querySelector('.ap-captions[data-layout]')"
                           f" && document.querySelectorAll('.ap-captions .ap-cue').length == {count}")
    # Past any roll-up animation.
    page.wait_for_timeout(600)
    return page.evaluate(OVERLAY_BOXES)


def region_expectation(text: str, width: float, height: float, line: float) -> list[float]:
    """The region box (left, top, right, bottom) the spec gives the corpus's
    one region, its lines ``line`` high (the spec's 6vh for text of 5vh)."""
    block = text.split("\n\n")[1]
    setting = dict(line.split(":", 1) for line in block.splitlines()[1:])
    rw = float(setting["width"].rstrip("%")) / 100 * width
    lines = int(setting["lines"])
    ax, ay = (float(v.rstrip("%")) / 100 for v in setting["regionanchor"].split(","))
    vx, vy = (float(v.rstrip("%")) / 100 for v in setting["viewportanchor"].split(","))
    rh = lines * line
    left, top = vx * width - ax * rw, vy * height - ay * rh
    return [left, top, left + rw, top + rh]


@pytest.mark.parametrize("name", CORPUS)
def test_overlay_places_cues_as_chromium_does(corpus_dir, page, name):
    with LiveServer(cue_app(corpus_dir)) as server, LiveServer(native_app(corpus_dir)) as plain:
        size = open_player(page, f"{server.url}/watch/{name}")
        width, height = size["width"], size["height"]
        native = native_boxes(page, f"{plain.url}/native/{name}/{width}x{height}")
        open_player(page, f"{server.url}/watch/{name}")
        ours = overlay_boxes(page, len(native))
    assert page.js_errors == []
    assert sorted(c["text"] for c in ours) == sorted(c["text"] for c in native)
    by_text = {c["text"]: c for c in ours}
    text = (FIXTURES / f"{name}.vtt").read_text(encoding="utf-8")
    region = "\nREGION\n" in text
    stacked = []
    for cue in native:
        mine = by_text[cue["text"]]
        vertical = cue["vertical"] != "horizontal-tb"
        want = merge_lines(cue["quads"], vertical)
        got = merge_lines(mine["lines"], vertical)
        assert len(got) == len(want), f"{name}: {cue['text']!r}: {len(got)} lines, Chromium {len(want)}"
        if region:
            stacked.append((got[0][1], got))
            continue
        if cue["text"] in LINE_ALIGN:
            rise = LINE_ALIGN[cue["text"]] * (want[-1][3] - want[0][1])
            want = [[b[0], b[1] - rise, b[2], b[3] - rise] for b in want]
        side = RTL_SIDES.get(cue["text"])
        for mine_line, want_line in zip(got, want, strict=True):
            if side:
                edge = mine_line[2] if side[0] == "right" else mine_line[0]
                assert abs(edge - side[1] * width) <= TOLERANCE * width, (name, cue["text"], mine_line)
                assert abs((mine_line[2] - mine_line[0]) - (want_line[2] - want_line[0])) <= TOLERANCE * width
                mine_line, want_line = mine_line[1::2], want_line[1::2]
            for i, (a, b) in enumerate(zip(mine_line, want_line, strict=True)):
                scale = height if side else width if i % 2 == 0 else height
                assert abs(a - b) <= TOLERANCE * scale, (
                    f"{name}: {cue['text']!r}: line box {[round(v) for v in mine_line]},"
                    f" Chromium's {[round(v) for v in want_line]}")
    if region:
        line = stacked[0][1][0][3] - stacked[0][1][0][1]
        box = region_expectation(text, width, height, line)
        stacked.sort()
        bottom = box[3]
        for _, lines in reversed(stacked):
            for b in lines:
                assert box[0] - 1 <= b[0] and b[2] <= box[2] + TOLERANCE * width
            assert abs(lines[-1][3] - bottom) <= TOLERANCE * height + line / 2
            bottom = lines[0][1]
