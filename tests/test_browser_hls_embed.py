"""tests/test_browser_embed.py again, with the item offering HLS, on both
paths: Chromium's own HLS, and hls.js as a browser without it gets it.
What the player does must not depend on the path."""

from __future__ import annotations

import pytest

from tests.hls_media import PATHS, stream_on
from tests.test_browser_embed import *  # noqa: F403  (its tests and fixtures)

ITEMS = ("lecture", "talk")


@pytest.fixture(autouse=True, params=PATHS)
def hls_path(request, context, monkeypatch, media_dir, media_cache):  # noqa: F405
    stream_on(context, request.param, monkeypatch, media_dir, media_cache, ITEMS)
    return request.param


# Not run again here: it takes the uploaded file away by its URL (a stream
# does not use it; test_browser_hls.py has a stream that does not come).
del test_host_helper_hears_errors  # noqa: F821
