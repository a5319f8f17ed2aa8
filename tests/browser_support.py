"""Fixtures for tests that drive real Chromium: a live server and axe-core.

Loaded through ``pytest_plugins`` in conftest.py. Chromium is Debian's package
(``apt-get install chromium``); its absence is a failure, never a skip.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


def _closing_bodies(app):
    """``app`` with every response body closed even when the client hangs up.

    Werkzeug's development server skips ``close()`` on a response whose client
    reset the connection (media elements cancel range requests all the time),
    which leaves the media file to the garbage collector and a ResourceWarning.
    A generator's ``finally`` runs when the server drops it.
    """
    def wrapped(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()

        return chunks()

    return wrapped


class LiveServer:
    """A WSGI app served on a random loopback port in a background thread."""

    def __init__(self, app, host: str = "127.0.0.1"):
        self.server = make_server(host, 0, _closing_bodies(app), threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def chromium_executable() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (CI does).")
    return path


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable(), args=CHROMIUM_FLAGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


def axe_violations(page, context=None) -> list[dict]:
    """Run axe-core (the copy the axe-playwright-python wheel carries)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return results.response["violations"]


def assert_axe_clean(page, context=None) -> None:
    violations = axe_violations(page, context)
    summary = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe found {len(violations)} violation(s):\n{summary}"
