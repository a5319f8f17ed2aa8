"""tests/test_browser_player.py again, with the item offering HLS, on both
paths: Chromium's own HLS, and hls.js as a browser without it gets it.
What the player does must not depend on the path."""

from __future__ import annotations

import pytest

from tests.hls_media import PATHS, stream_on
from tests.test_browser_player import *  # noqa: F403  (its tests and fixtures)

ITEMS = ("clip",)


@pytest.fixture(autouse=True, params=PATHS)
def hls_path(request, context, monkeypatch, media_dir, media_cache):  # noqa: F405
    stream_on(context, request.param, monkeypatch, media_dir, media_cache, ITEMS)
    return request.param


# Not about the path, so not run again here: these starve or take away the
# uploaded file by its URL (a stream does not use it), or count the modules
# of a page without a stream (a stream's page loads stream.js too).
# test_browser_hls.py has the stream's own: no media, a stall, what loads.
del (test_the_player_arrives_as_one_module_and_its_plugins,  # noqa: F821
     test_slow_load_says_please_wait_then_becomes_ready,  # noqa: F821
     test_missing_source_is_an_alert_with_retry_download_and_transcript,  # noqa: F821
     test_a_stall_while_playing_is_announced_once)  # noqa: F821
