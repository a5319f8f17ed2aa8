"""Cross-origin reads: which resources of the whole app other origins may
fetch, with which methods and headers.

Public, read-only resources (media bytes, the player's scripts, the media
API, search, oEmbed) and the progress reports of the inline player get CORS;
nothing that carries cookies does (:mod:`player.web.security` strips it from
any response that sets a cookie or is made for a signed-in publisher). No
answer allows credentials: the viewer travels in a header or a body field,
never in a cookie.

``CORS_ORIGINS`` is ``"*"`` (any origin, with a literal ``*`` so every
origin gets the same bytes and a shared cache keeps one copy) or a
comma-separated list of origins.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, Response, request
from flask_cors import CORS

#: Response headers a page on another origin may read.
EXPOSED = ["Content-Range", "Accept-Ranges", "Content-Length", "ETag", "Last-Modified"]
_EXPOSE = ("Access-Control-Expose-Headers", ", ".join(EXPOSED))
_VIEWER_HEADERS = ["Content-Type", "X-Player-Viewer", "X-Player-Viewer-Token"]
_VARY_ORIGIN = ("Vary", "Origin")


def allowed_origins(value) -> str | list[str]:
    """``CORS_ORIGINS`` as ``"*"`` or a list of origins.

    >>> allowed_origins("https://a.example, https://b.example")
    ['https://a.example', 'https://b.example']
    >>> allowed_origins("*")
    '*'
    """
    if isinstance(value, str) and value != "*":
        return [o.strip() for o in value.split(",") if o.strip()]
    return value


def resources(origins: str | list[str]) -> dict[str, dict]:
    """The CORS table of the app: a path pattern for each resource other
    origins may use, with what they may do there."""
    public = {"origins": origins, "supports_credentials": False, "send_wildcard": origins == "*"}
    return {
        r"/files/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/static/player/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        # HLS renditions, fetched by hls.js on the host page's origin, and
        # hls.js itself, loaded there with its integrity hash (CORS mode).
        r"/hls/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/hlsjs/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/api/media$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/api/media/[^/]+$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/api/media/[^/]+/transcript$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/api/search$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
        r"/oembed$": {**public, "methods": ["GET", "OPTIONS"]},
        # The inline player on another origin reports progress; the viewer
        # is a header or body field, never a cookie, so no credentials.
        r"/api/media/[^/]+/progress$": {**public, "methods": ["GET", "PUT", "POST", "OPTIONS"],
                                        "allow_headers": _VIEWER_HEADERS},
        r"/api/viewer/history$": {**public, "methods": ["DELETE", "OPTIONS"],
                                  "allow_headers": _VIEWER_HEADERS},
    }


def media_headers(origins: str | list[str], origin: str | None) -> list[tuple[str, str]]:
    """The CORS headers of a media file's answer to a request from
    ``origin``, for the files fast path, which answers without Flask.

    >>> media_headers(["https://a.example"], "https://b.example")
    [('Vary', 'Origin')]
    """
    if origins == "*":
        return [("Access-Control-Allow-Origin", "*"), _EXPOSE]
    if origin in origins:
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), _EXPOSE]
    # The answer differs by Origin, so a shared cache must know it even
    # when this one carries no CORS headers (RFC 9110 §12.5.5).
    return [_VARY_ORIGIN] if origins else []


def cors_hook(app: Flask) -> Callable[[Response], Response]:
    """Set up flask-cors with the app's table and hand back its after-request
    hook, for :func:`player.web.init_app` to place in the pipeline.

    flask-cors also makes the app's error answers carry the CORS headers.

    :raises RuntimeError: when flask-cors did not add exactly one hook.
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    before = list(hooks)
    CORS(
        app,
        resources=resources(allowed_origins(app.config["CORS_ORIGINS"])),
        expose_headers=EXPOSED,
        allow_headers=["Range", "Content-Type", "If-None-Match", "If-Range",
                       "If-Modified-Since", "If-Match", "If-Unmodified-Since"],
        max_age=86400,
    )
    added = [hook for hook in hooks if hook not in before]
    if len(added) != 1 or len(hooks) != len(before) + 1:
        raise RuntimeError("flask-cors was expected to add one after-request hook")
    hooks.remove(added[0])
    return added[0]


def vary_hook(app: Flask) -> Callable[[Response], Response] | None:
    """With listed origins, an after-request hook that says ``Vary: Origin``
    on every resource of the table; None with ``"*"``.

    The answers then differ by ``Origin``, also those that carry no CORS
    header (another origin, or none): each says so, so a shared cache never
    hands one origin's answer to another (RFC 9110 §12.5.5). flask-cors says
    so only for some of them.
    """
    origins = allowed_origins(app.config["CORS_ORIGINS"])
    if origins == "*":
        return None
    patterns = [re.compile(pattern) for pattern in resources(origins)]

    def vary(response: Response) -> Response:
        if any(p.match(request.path) for p in patterns):
            response.vary.add("Origin")
        return response

    return vary
