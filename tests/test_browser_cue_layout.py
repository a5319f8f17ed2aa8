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
      lines.push([r.left - video.left, r.top - video.top,
                  r.right - video.left, r.bottom - video.top]);
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
    page.wait_for_function(
        "() => document.querySelector('video').textTracks[0].activeCues.length > 0")
    page.wait_for_timeout(300)
    video = page.evaluate(
        "() => { const r = document.querySelector('video').getBoundingClientRect();"
        " return [r.left, r.top]; }")
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    cues = []

    def walk(node, writing_mode):
        pairs = node.get("attributes", [])
        attrs = dict(zip(pairs[::2], pairs[1::2], strict=True))
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
    size = page.evaluate(
        "() => { const r = document.querySelector('.ap-stage video').getBoundingClientRect();"
        " return {width: Math.round(r.width), height: Math.round(r.height)}; }")
    page.evaluate(OVERLAY_AS_NATIVE, round(0.05 * min(size["width"], size["height"]), 2))
    return size


def overlay_boxes(page, count: int) -> list[dict]:
    page.evaluate(SEEK, AT)
    # The layout plugin draws them once it has read the file.
    page.wait_for_function(
        "() => document.querySelector('.ap-captions[data-layout]')"
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
        assert len(got) == len(want), (
            f"{name}: {cue['text']!r}: {len(got)} lines, Chromium {len(want)}")
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
                assert abs(edge - side[1] * width) <= TOLERANCE * width, (cue["text"], mine_line)
                mine_width, want_width = mine_line[2] - mine_line[0], want_line[2] - want_line[0]
                assert abs(mine_width - want_width) <= TOLERANCE * width
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


# Three cues a second apart, for the timing offset.
TIMED = """WEBVTT

00:00:00.000 --> 00:00:01.000
One

00:00:01.000 --> 00:00:02.000
Two

00:00:02.000 --> 00:00:03.000
Three
"""

CUE_RECT = """() => [...document.querySelectorAll('.ap-captions .ap-cue')].map((cue) => {
  const r = cue.getBoundingClientRect();
  const v = document.querySelector('.ap-stage video').getBoundingClientRect();
  return {text: cue.textContent, top: (r.top - v.top) / v.height,
          bottom: (r.bottom - v.top) / v.height};
})"""


def add_item(folder: Path, media_cache: Path, name: str, captions: str) -> None:
    shutil.copy(make_media("mp4", media_cache), folder / f"{name}.mp4")
    (folder / f"{name}.en.vtt").write_text(captions, encoding="utf-8")
    (folder / f"{name}.json").write_text(f'{{"title": "Captions: {name}"}}')


def shown_at(page, at: float, count: int = 1) -> list[dict]:
    page.evaluate(SEEK, at)
    page.wait_for_function(
        "() => document.querySelector('.ap-captions[data-layout]')"
        f" && document.querySelectorAll('.ap-captions .ap-cue').length == {count}")
    page.wait_for_timeout(400)
    return page.evaluate(CUE_RECT)


def set_overrides(page, overrides: dict) -> None:
    page.evaluate("(o) => document.querySelector('#player').apPlayer"
                  ".then((p) => p.captions.setOverrides(o))", overrides)


def saved(page) -> dict:
    return page.evaluate("() => JSON.parse(localStorage.getItem('ap-player') || '{}')")


def test_placement_overrides_move_every_cue_and_are_restored(corpus_dir, media_cache, page):
    add_item(corpus_dir, media_cache, "timed", TIMED)
    with LiveServer(cue_app(corpus_dir)) as server:
        page.goto(f"{server.url}/watch/timed")
        page.wait_for_selector("#player[data-state=ready]")
        [cue] = shown_at(page, 0.5)
        assert cue["text"] == "One" and cue["bottom"] > 0.9
        set_overrides(page, {"placement": "top"})
        page.wait_for_timeout(400)
        [cue] = page.evaluate(CUE_RECT)
        assert cue["top"] < 0.02
        assert saved(page)["captionPlacement"] == "top"
        # Restored on the next visit, before the viewer sees the first cue move.
        page.reload()
        page.wait_for_selector("#player[data-state=ready]")
        [cue] = shown_at(page, 1.5)
        assert cue["text"] == "Two" and cue["top"] < 0.02

        # "Always at the bottom" over cues the file places at the top and across.
        page.goto(f"{server.url}/watch/line-numbers")
        page.wait_for_selector("#player[data-state=ready]")
        cues = shown_at(page, AT, 3)
        assert min(c["top"] for c in cues) < 0.02  # still at the top: saved placement
        set_overrides(page, {"placement": "bottom"})
        page.wait_for_timeout(400)
        cues = sorted(page.evaluate(CUE_RECT), key=lambda c: c["top"])
        assert cues[-1]["bottom"] > 0.9
        # Stacked upwards from the bottom, none on another.
        for upper, lower in zip(cues, cues[1:], strict=False):
            assert upper["bottom"] <= lower["top"] + 0.001
        set_overrides(page, {"placement": "authored"})
        page.wait_for_timeout(400)
        by_text = {c["text"]: c for c in page.evaluate(CUE_RECT)}
        assert by_text["On the first line, at the top"]["top"] < 0.02
        assert saved(page)["captionPlacement"] == "authored"
    assert page.js_errors == []


def test_saved_overrides_hold_for_the_first_cue_after_a_reload(corpus_dir, media_cache, page):
    add_item(corpus_dir, media_cache, "timed", TIMED)
    with LiveServer(cue_app(corpus_dir)) as server:
        page.goto(f"{server.url}/watch/timed")
        page.wait_for_selector("#player[data-state=ready]")
        set_overrides(page, {"placement": "top"})
        page.wait_for_function("() => JSON.parse(localStorage.getItem('ap-player') || '{}')"
                               ".captionPlacement === 'top'")
        # Reloaded, paused at 0:00 on the first cue, nothing played or sought:
        # the cue is at the top from the start.
        page.reload()
        page.wait_for_selector("#player[data-state=ready] .ap-captions .ap-cue")
        page.wait_for_function("() => { const c = document.querySelector('.ap-captions .ap-cue');"
                               " const v = document.querySelector('.ap-stage video');"
                               " return c.getBoundingClientRect().top"
                               " < v.getBoundingClientRect().top + v.clientHeight / 2; }")
        assert page.evaluate("() => document.querySelector('video').currentTime") == 0
        [cue] = page.evaluate(CUE_RECT)
        assert cue["text"] == "One" and cue["top"] < 0.5
        # A saved offset too: 1 s earlier, 0:00 shows the file's 0:01 cue.
        set_overrides(page, {"placement": "authored", "offset": -1})
        page.wait_for_function("() => JSON.parse(localStorage.getItem('ap-player') || '{}')"
                               ".captionOffset === -1")
        page.reload()
        page.wait_for_selector("#player[data-state=ready]")
        page.wait_for_function("() => document.querySelector('.ap-captions').textContent == 'Two'")
        assert page.evaluate("() => document.querySelector('video').currentTime") == 0
    assert page.js_errors == []


def test_timing_offset_shows_cues_later_or_earlier(corpus_dir, media_cache, page):
    add_item(corpus_dir, media_cache, "timed", TIMED)
    with LiveServer(cue_app(corpus_dir)) as server:
        page.goto(f"{server.url}/watch/timed")
        page.wait_for_selector("#player[data-state=ready]")
        assert [c["text"] for c in shown_at(page, 1.5)] == ["Two"]
        # Positive: later. At 1.5 s the track is read at 0.5 s.
        set_overrides(page, {"offset": 1})
        page.wait_for_function("() => document.querySelector('.ap-captions').textContent == 'One'")
        assert saved(page)["captionOffset"] == 1
        # Negative: earlier. At 0.5 s the track is read at 2.5 s.
        set_overrides(page, {"offset": -2})
        assert [c["text"] for c in shown_at(page, 0.5)] == ["Three"]
        # Clamped to ±10 s, in tenths.
        set_overrides(page, {"offset": 12.345})
        assert saved(page)["captionOffset"] == 10
        set_overrides(page, {"offset": -0.26})
        assert saved(page)["captionOffset"] == -0.3
        # While playing, cues change at their shifted times.
        set_overrides(page, {"offset": 0.5})
        page.evaluate(SEEK, 0)
        page.evaluate("() => document.querySelector('video').play()")
        page.wait_for_function("() => document.querySelector('video').currentTime > 1.6")
        page.evaluate("() => document.querySelector('video').pause()")
        now = page.evaluate("() => document.querySelector('video').currentTime")
        page.wait_for_timeout(200)
        expected = ["One", "Two", "Three"][int(now - 0.5)]
        assert page.locator(".ap-captions").text_content() == expected
    assert page.js_errors == []


@pytest.mark.parametrize("fullscreen", [False, True], ids=["page", "fullscreen"])
def test_bottom_cues_rise_above_an_open_menu_and_come_back(corpus_dir, media_cache, page,
                                                           fullscreen):
    add_item(corpus_dir, media_cache, "timed", TIMED)
    with LiveServer(cue_app(corpus_dir)) as server:
        for name, count in [("timed", 1), ("overlap", 3), ("wrap", 2)]:
            page.goto(f"{server.url}/watch/{name}")
            page.wait_for_selector("#player[data-state=ready]")
            if fullscreen:
                page.locator("#player").focus()
                page.keyboard.press("f")
                page.wait_for_function("() => document.fullscreenElement?.id == 'player'")
            before = shown_at(page, AT, count)
            page.locator(".ap-controls .ap-cc").click()
            menu = page.locator(".ap-menu-list:not([hidden])")
            menu.wait_for()
            page.wait_for_timeout(500)  # past the easing
            boxes = page.evaluate("""() => [...document.querySelectorAll('.ap-captions .ap-cue')]
                .map((c) => c.getBoundingClientRect().toJSON())""")
            covers = [menu.bounding_box(), page.locator(".ap-controls").bounding_box()]
            for box in boxes:
                for cover in covers:
                    apart = (box["bottom"] <= cover["y"]
                             or box["top"] >= cover["y"] + cover["height"]
                             or box["right"] <= cover["x"]
                             or box["left"] >= cover["x"] + cover["width"])
                    assert apart, (name, box, cover)
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
            after = page.evaluate(CUE_RECT)
            assert [round(c["bottom"], 3) for c in after] == [round(c["bottom"], 3) for c in before]
    assert page.js_errors == []


HOSTILE_STYLE = """WEBVTT

STYLE
@import url("/leak/import.css");
@font-face { font-family: leak; src: url("/leak/font.woff2"); }
::cue { color: lime; background-image: url("/leak/background.png"); font-family: leak, sans-serif; }
::cue(.loud), body, .ap-controls { display: none; color: red; }
::cue(b) { position: fixed; inset: 0; transform: scale(9); width: 100vw; }
::cue(#first) { text-shadow: 0 -2000px 0 red; outline: 900px solid red; }
::cue(v[voice="Esme"]) { color: rgb(1, 2, 3); }
::cue(:lang(en)) { font-style: italic; }
::cue(i) { background: image-set("/leak/set.png" 1x); color: var(--ap-focus); }
::cue { content: "</style><script>window.__xss = 1</script>"; }

first
00:00:00.000 --> 00:00:10.000
<v Esme>Esme</v> says <b>bold</b> <c.loud>loud</c> <i>words</i>
"""


def test_a_hostile_style_block_changes_nothing_outside_the_cue(corpus_dir, media_cache, page):
    add_item(corpus_dir, media_cache, "hostile", HOSTILE_STYLE)
    benign = re.sub(r"STYLE\n.*?\n\n", "", HOSTILE_STYLE, flags=re.S)
    add_item(corpus_dir, media_cache, "benign", benign)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    with LiveServer(cue_app(corpus_dir)) as server:
        shots = {}
        for name in ("benign", "hostile"):
            page.goto(f"{server.url}/watch/{name}")
            page.wait_for_selector("#player[data-state=ready]")
            shown_at(page, AT)
            page.wait_for_function("() => document.querySelector('.ap-captions').dataset.layout"
                                   f" == '{'webvtt' if name == 'hostile' else 'plain'}'")
            shots[name] = (page.locator(".ap-controls").screenshot(),
                           page.evaluate("""() => [getComputedStyle(document.body).display,
                               getComputedStyle(document.querySelector('.ap-controls')).display,
                               getComputedStyle(document.querySelector('.ap-controls')).color]"""))
        style = page.evaluate("""() => {
          const q = (s) => getComputedStyle(document.querySelector('.ap-captions ' + s));
          const box = document.querySelector('.ap-captions .ap-cuebox');
          return {cue: q('.ap-cue').color, voice: q('[data-k=v]').color,
                  italic: q('.ap-cue').fontStyle,
                  b: q('b').position, transform: q('b').transform, loud: q('[data-k=c]').display,
                  i: q('i').color, clip: getComputedStyle(box).overflow,
                  image: q('.ap-cue').backgroundImage};
        }""")
        assert page.evaluate("window.__xss") is None
        # The allowed properties of the allowed selectors apply; the rest do not.
        assert style == {"cue": "rgb(0, 255, 0)", "voice": "rgb(1, 2, 3)", "italic": "italic",
                         "b": "static", "transform": "none", "loud": "inline",
                         "i": "rgb(0, 255, 0)", "clip": "clip", "image": "none"}
        # Nothing outside the cue changed: the page, the controls look the same.
        assert shots["hostile"] == shots["benign"]
        # The viewer's own colour wins over the file's.
        page.evaluate("() => document.querySelector('#player')"
                      ".style.setProperty('--ap-cap-color', '255 255 0')")
        assert page.evaluate(
            "() => getComputedStyle(document.querySelector('.ap-captions .ap-cue')).color"
        ) == "rgb(255, 255, 0)"
    assert not [url for url in requests if "/leak/" in url]
    assert page.js_errors == []


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_region_rolls_up_eased_unless_reduced_motion_is_asked_for(corpus_dir, browser, motion):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion=motion)
    page = context.new_page()
    try:
        with LiveServer(cue_app(corpus_dir)) as server:
            page.goto(f"{server.url}/watch/regions")
            page.wait_for_selector("#player[data-state=ready]")
            shown_at(page, 0.1)
            page.evaluate(SEEK, 0.3)
            page.wait_for_function(
                "() => document.querySelectorAll('.ap-region .ap-cue').length == 2")
            rolling = page.evaluate(
                "() => document.getAnimations().map((a) => a.effect.target.className)")
            assert rolling == (["ap-region-lines"] if motion == "no-preference" else [])
            # The older cue sits above the newer one, both inside the region.
            lines = page.evaluate("""() => [...document.querySelectorAll('.ap-region .ap-cue')]
                .map((c) => c.getBoundingClientRect().top)""")
            assert lines == sorted(lines)
    finally:
        context.close()


REJECTED = """WEBVTT

REGION
id:fred
width:40%
regionanchor:0%,100%
viewportanchor:10%,90%

00:00:00.000 --> 00:00:05.000 region:fred line:0
Out of the region: an explicit line

00:00:00.000-->00:00:05.000 region:fred
In the region with no spaces around the arrow

00:00:00.000 --> 00:00:05.000 region:late
Defined too late for a region

00:00:00.000 --> 00:00:05.000 position:bogus,line-right align:left
A rejected position changes nothing

REGION
id:late
width:40%
"""


def test_cue_settings_are_read_as_the_webvtt_parser_reads_them(corpus_dir, media_cache, page):
    """A setting whose value the spec rejects changes nothing, an explicit
    line takes a cue out of its region, a REGION below the first cue defines
    nothing, and the arrow needs no spaces around it."""
    add_item(corpus_dir, media_cache, "rejected", REJECTED)
    with LiveServer(cue_app(corpus_dir)) as server:
        page.goto(f"{server.url}/watch/rejected")
        page.wait_for_selector("#player[data-state=ready]")
        shown_at(page, 0.5, count=4)
        in_region = page.evaluate(
            "() => [...document.querySelectorAll('.ap-region .ap-cue')].map((c) => c.textContent)")
        assert in_region == ["In the region with no spaces around the arrow"]
        # position:bogus,line-right is dropped whole: the cue keeps its width
        # (align:left, from the left edge) instead of shrinking to nothing.
        width = page.evaluate("""() => [...document.querySelectorAll('.ap-captions .ap-cue')]
            .find((c) => c.textContent.startsWith('A rejected')).getBoundingClientRect().width""")
        video = page.evaluate(
            "document.querySelector('.ap-stage video').getBoundingClientRect().width")
        assert width > 0.3 * video
    assert page.js_errors == []


KARAOKE = """WEBVTT

STYLE
::cue(:past) { color: rgb(200, 200, 200); }
::cue(:future) { color: rgb(255, 255, 0); }
::cue(ruby) { ruby-position: under; }
::cue(:lang(uk)) { font-style: italic; }

00:00:00.000 --> 00:00:03.000 line:0
<00:00:00.000>Sing <00:00:01.000>along <lang uk>разом</lang> <ruby>漢<rt>kan</rt></ruby>
"""


def test_timestamps_style_past_and_future_text_as_playback_moves(corpus_dir, media_cache, page):
    add_item(corpus_dir, media_cache, "karaoke", KARAOKE)
    colours = """() => [...document.querySelectorAll('.ap-captions [data-ts]')]
        .map((el) => [el.textContent.trim(), getComputedStyle(el).color])
        .filter(([text]) => text)"""
    with LiveServer(cue_app(corpus_dir)) as server:
        page.goto(f"{server.url}/watch/karaoke")
        page.wait_for_selector("#player[data-state=ready]")
        shown_at(page, 0.5)
        page.wait_for_function("() => document.querySelector('.ap-captions').dataset.layout"
                               " == 'webvtt'")
        past, future = "rgb(200, 200, 200)", "rgb(255, 255, 0)"
        assert page.evaluate(colours)[:2] == [["Sing", past], ["along", future]]
        shown_at(page, 1.5)
        assert page.evaluate(colours)[:2] == [["Sing", past], ["along", past]]
        marked = page.evaluate("""() => {
          const lang = document.querySelector('.ap-captions [lang=uk]');
          return [lang.textContent, getComputedStyle(lang).fontStyle,
                  getComputedStyle(document.querySelector('.ap-captions ruby')).rubyPosition,
                  document.querySelector('.ap-captions rt').textContent];
        }""")
        assert marked == ["разом", "italic", "under", "kan"]
    assert page.js_errors == []
