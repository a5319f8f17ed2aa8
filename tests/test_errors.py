"""The player's own errors: each names its HTTP answer, and one handler gives
it, in JSON under /api/ and as the error page elsewhere."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import player
from player.errors import PlayerError
from player.progress.store import UnknownMedia
from player.progress.viewer import ViewerError, ViewerTokenError, identify
from player.web.assets import AssetError


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_every_player_error_names_a_status_and_a_code():
    for module in pkgutil.walk_packages(player.__path__, "player."):
        importlib.import_module(module.name)
    errors = _all_subclasses(PlayerError)
    assert {UnknownMedia, AssetError, ViewerTokenError} <= errors
    for error in errors | {PlayerError}:
        assert isinstance(error.status, int) and 400 <= error.status < 600, error
        assert isinstance(error.code, str) and error.code, error


def test_a_refused_host_token_is_a_viewer_error_answered_with_403():
    with pytest.raises(ViewerTokenError) as refused:
        identify("a" * 20, "v1.x.1.y", secret="secret", pepper="p")
    assert isinstance(refused.value, ViewerError)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert refused.value.error_details() == {"viewer": "malformed"}
    with pytest.raises(ViewerError) as missing:
        identify(None, None, secret=None, pepper="p")
    assert not isinstance(missing.value, ViewerTokenError)
    assert missing.value.status == 400


class Teapot(PlayerError):
    status = 418
    code = "teapot"


@pytest.fixture
def raising_app(app):
    """The app with a page and an API route that raise ``app.config["RAISE"]``."""
    def fail():
        raise app.config["RAISE"]

    app.add_url_rule("/api/test-error", "api_test_error", fail)
    app.add_url_rule("/test-error", "test_error", fail)
    return app


def test_the_handler_answers_json_under_the_api(raising_app):
    raising_app.config["RAISE"] = Teapot("Short and stout.", details={"spout": 1},
                                         headers={"Retry-After": "7"})
    response = raising_app.test_client().get("/api/test-error")
    assert response.status_code == 418
    assert response.json == {"error": {"code": "teapot", "message": "Short and stout.",
                                       "details": {"spout": 1}}}
    assert response.headers["Retry-After"] == "7"


def test_the_handler_lists_the_fields_at_fault_in_the_details(raising_app):
    error = Teapot("Fill in the name.", details={"limit": 3})
    error.fields = {"name": "Fill in the name."}
    raising_app.config["RAISE"] = error
    response = raising_app.test_client().get("/api/test-error")
    assert response.json["error"]["details"] == {"limit": 3,
                                                 "fields": {"name": "Fill in the name."}}


def test_the_handler_answers_the_error_page_elsewhere(raising_app):
    raising_app.config["RAISE"] = Teapot("Short and stout.", headers={"Retry-After": "7"})
    response = raising_app.test_client().get("/test-error")
    assert response.status_code == 418
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>I&#39;m a teapot</h1>" in page and "<p>Short and stout.</p>" in page
    assert response.headers["Retry-After"] == "7"


def test_an_error_without_an_answer_of_its_own_is_logged_and_not_shown(raising_app, caplog):
    raising_app.config["RAISE"] = PlayerError("secret internals")
    response = raising_app.test_client().get("/api/test-error")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "unhandled error on /api/test-error" in caplog.text
    assert "secret internals" in caplog.text
