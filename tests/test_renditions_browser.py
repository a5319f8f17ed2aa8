"""The audio-only rendition plays in an ``<audio>`` element in Chromium,
from another origin too (CORS on /hls/), and ends where the item ends."""

from __future__ import annotations

import pytest

from player.renditions import make_renditions
from tests.browser_support import LiveServer
from tests.test_browser_embed import host  # noqa: F401
from tests.test_renditions import hls_app, hls_dir  # noqa: F401

pytestmark = pytest.mark.browser

PLAY = """async (url) => {
  const audio = document.createElement('audio');
  audio.crossOrigin = 'anonymous';
  audio.src = url;
  document.body.append(audio);
  await audio.play();
  return audio.canPlayType('application/vnd.apple.mpegurl');
}"""


@pytest.mark.parametrize("item_id", ["talk", "song"])
def test_the_audio_only_rendition_plays_in_an_audio_element(page, host, hls_app, item_id):
    make_renditions(hls_app, item_id)
    with LiveServer(hls_app) as server:
        audio_url = hls_app.test_client().get(
            f"/api/media/{item_id}", base_url=server.url).get_json()["audio_only"]["url"]
        assert audio_url.startswith(server.url)
        # A page of another origin (another port), as an embedder's.
        page.goto(host.page("listen.html", "<p>Listening.</p>"))
        fetched = []
        page.on("requestfinished", lambda request: fetched.append(request.url))
        assert page.evaluate(PLAY, audio_url) != ""
        page.wait_for_function(
            "() => { const a = document.querySelector('body > audio');"
            " return a.currentTime > 1.5 && !a.error; }", timeout=20_000)
        state = page.evaluate(
            "() => { const a = document.querySelector('body > audio');"
            " return {duration: a.duration, error: a.error && a.error.message}; }")
    assert state["error"] is None
    assert abs(state["duration"] - (9 if item_id == "talk" else 3)) < 0.5, state
    assert any(url.endswith(".m4s") and "/audio-" in url for url in fetched), fetched
    assert not any("/v240-" in url or "/v360-" in url for url in fetched)
