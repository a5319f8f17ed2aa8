"""The README's first command serves the demo, and it plays with captions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """``player run``, started the way the README says, in the checkout."""
    port = _free_port()
    script = Path(sys.executable).with_name("player")
    env = {**os.environ, "PLAYER_DATABASE": str(tmp_path_factory.mktemp("demo") / "db.sqlite")}
    proc = subprocess.Popen([str(script), "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urlopen(url + "/api/media", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"player run exited: {proc.stderr.read().decode()}")
                time.sleep(0.1)
        else:
            pytest.fail("player run did not answer within 10 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


def test_demo_plays_with_captions(demo_server, page):
    import json

    with urlopen(demo_server + "/api/media/welcome") as response:
        item = json.load(response)
    page.goto(demo_server + "/watch/welcome")
    page.wait_for_function("() => document.querySelector('video').readyState >= 1", timeout=15000)
    duration = page.evaluate("document.querySelector('video').duration")
    assert duration == pytest.approx(item["duration"], abs=0.1)
    page.wait_for_function(
        """() => [...document.querySelector('video').textTracks]
              .some(t => t.kind === 'captions' && t.cues && t.cues.length > 0)""",
        timeout=15000)
    first = page.evaluate(
        """() => [...document.querySelector('video').textTracks]
              .find(t => t.kind === 'captions').cues[0].text""")
    assert "welcome" in first.lower()
    assert page.js_errors == []


def test_the_demo_makes_its_streams_itself(demo_server, page):
    """``player run`` runs the job queue too: with nothing else started, the
    demo video gets its HLS renditions and plays them."""
    import json

    deadline = time.monotonic() + 90
    while True:
        with urlopen(demo_server + "/api/media/welcome") as response:
            item = json.load(response)
        if item["renditions"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [r["height"] for r in item["renditions"]], "no renditions within 90 s"
    assert item["sources"][0]["type"] == "application/vnd.apple.mpegurl"
    page.goto(demo_server + "/watch/welcome")
    page.wait_for_selector("#player[data-state=ready] .ap-quality")
    assert page.evaluate("document.querySelector('#player video').currentSrc").endswith(
        "/master.m3u8")
    assert page.js_errors == []

