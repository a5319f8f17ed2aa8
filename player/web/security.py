"""Response headers that decide who may frame our pages and read our responses.

- ``X-Content-Type-Options: nosniff`` on everything, so a caption file or an
  upload is never run as a script or styled as CSS by a guessing browser.
- ``Content-Security-Policy``: on every page, scripts, styles, fonts and
  connections from this site only (no inline script or style element, no
  ``eval``), media and images also from the storage's own origin (a bucket
  or a CDN), no plugins, no ``<base href>``, forms posting only here (see
  :func:`content_policy`). ``frame-ancestors``: embed pages may be framed by
  the origins in ``PLAYER_EMBED_ORIGINS`` (any origin when it is unset);
  every other page, publisher pages above all, only by this site.
- ``Cache-Control: private`` on every answer to a publisher, so no shared
  cache keeps their pages or API answers.
- CORS comes from flask-cors (configured in :mod:`player.web.cors`); this module
  is the last word on it: responses of publisher endpoints and responses
  that set a cookie never carry CORS headers, and no response ever allows
  credentials, whatever the resource list says.

Before a view runs, :func:`guard_session_writes` refuses every unsafe request
authenticated by the session cookie (the publisher pages) that another site
could have made: a cross-site or same-site ``Sec-Fetch-Site``, an ``Origin``
that is not this site's, or no valid CSRF token, whatever the method and
content type. Bearer-token API requests carry no cookie authority and are
not checked, so scripts on other origins keep working.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session
from werkzeug.exceptions import HTTPException

from ..errors import PlayerError
from . import auth
from .auth import SAFE_METHODS, RequestRefused, publisher_required

_ORIGIN = re.compile(r"^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
_CORS_HEADERS = (
    "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers", "Access-Control-Max-Age",
)
# The code object of publisher_required's wrapper: a view whose chain of
# __wrapped__ functions includes it needs a publisher, whatever blueprint it is in.
_PUBLISHER_GUARD = publisher_required(lambda: None).__code__


class ConfigError(PlayerError, ValueError):
    """A setting has a value the app cannot use."""


def embed_origins(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The origins allowed to frame the embed page and talk to its API;
    empty means any.

    ``value`` is ``PLAYER_EMBED_ORIGINS``: origins separated by commas or
    spaces, or a list. A typo must not open the player to every site, so
    anything that is not an origin is an error rather than ignored.

    :raises ConfigError: when an entry is not an origin.

    >>> embed_origins("https://a.example, http://localhost:8000/")
    ('https://a.example', 'http://localhost:8000')
    >>> embed_origins(None), embed_origins("*")
    ((), ())
    >>> embed_origins("a.example")
    Traceback (most recent call last):
    ...
    player.web.security.ConfigError: PLAYER_EMBED_ORIGINS: 'a.example' is not an origin \
such as https://example.org
    """
    if not value:
        return ()
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    origins: list[str] = []
    for raw in items:
        origin = raw.strip().rstrip("/").lower()
        if not origin:
            continue
        if origin == "*":
            return ()
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"PLAYER_EMBED_ORIGINS: {raw.strip()!r} is not an origin such as https://example.org")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def frame_ancestors(embeddable: bool, origins: tuple[str, ...]) -> str:
    """The ``frame-ancestors`` directive for a page.

    >>> frame_ancestors(True, ()), frame_ancestors(False, ())
    ('frame-ancestors *', "frame-ancestors 'self'")
    >>> frame_ancestors(True, ("https://a.example",))
    "frame-ancestors 'self' https://a.example"
    """
    if not embeddable:
        return "frame-ancestors 'self'"
    return "frame-ancestors " + (" ".join(("'self'", *origins)) if origins else "*")


def content_policy(media_origins: Iterable[str] = (), script_origins: Iterable[str] = ()) -> str:
    """The page policy, without ``frame-ancestors`` (added per page).

    Style attributes stay allowed (``style-src-attr``): they cannot run code,
    and the player positions its menus and captions with them. Media origins
    may also be fetched from (hls.js fetches HLS segments); scripts may also
    come from ``script_origins`` (an hls.js served elsewhere, loaded with its
    integrity hash).

    >>> content_policy(["https://cdn.example"]).split("; ")[3]
    "img-src 'self' data: https://cdn.example"
    >>> content_policy([], ["https://js.example"]).split("; ")[1]
    "script-src 'self' https://js.example"
    """
    media = "".join(f" {origin}" for origin in sorted(set(media_origins)))
    scripts = "".join(f" {origin}" for origin in sorted(set(script_origins)))
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self'{scripts}",
        "style-src 'self'",
        f"img-src 'self' data:{media}",
        f"media-src 'self' blob:{media}",
        "style-src-attr 'unsafe-inline'",
        # The caption layout reads a track's file (its STYLE blocks) from where the media is.
        f"connect-src 'self'{media}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ))


def _media_origins(app: Flask) -> tuple[str, ...]:
    """Origins other than this site's that media and posters may come from:
    ``MEDIA_BASE_URL``'s, and the storage's for signed URLs."""
    cached = app.extensions.get("player.media_origins")
    if cached is not None:
        return cached
    origins = set()
    if app.config.get("MEDIA_BASE_URL"):
        origins.add(_origin(app.config["MEDIA_BASE_URL"]))
    from ..library.backends import for_app

    signed = for_app(app).url_for_client("policy-probe.mp4", 60)
    if signed:
        origins.add(_origin(signed))
    origins.discard(None)
    return app.extensions.setdefault("player.media_origins", tuple(sorted(origins)))


def _add_directive(response: Response, directive: str) -> None:
    policy = response.headers.get("Content-Security-Policy")
    if not policy:
        response.headers["Content-Security-Policy"] = directive
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {directive}"


def _target_view() -> Callable | None:
    """The view the request is for; for a CORS preflight, the view of the
    method it asks about (``OPTIONS /api/media`` asking for POST is about
    publishing, not the public list)."""
    method = request.method
    if method != "OPTIONS":
        return current_app.view_functions.get(request.endpoint or "")
    method = request.headers.get("Access-Control-Request-Method", "").upper() or method
    try:
        rule, _ = current_app.create_url_adapter(request).match(method=method, return_rule=True)
    except HTTPException:
        return current_app.view_functions.get(request.endpoint or "")
    return current_app.view_functions.get(rule.endpoint)


def _needs_publisher(view: Callable | None) -> bool:
    while view is not None:
        if getattr(view, "__code__", None) is _PUBLISHER_GUARD:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def _publisher_request() -> bool:
    return (request.path == "/publish" or request.path.startswith("/publish/")
            or _needs_publisher(_target_view()))


def _strip_cors(response: Response) -> None:
    for name in _CORS_HEADERS:
        response.headers.pop(name, None)


def add_headers(response: Response) -> Response:
    """The after-request hook: the headers above, on every response the app makes.

    It runs after the CORS hooks, so it has the last word on their headers.
    """
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    embeddable = request.endpoint == "embed.embed_page"
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        hlsjs = _origin(current_app.config.get("HLSJS_URL") or "")
        response.headers["Content-Security-Policy"] = content_policy(
            _media_origins(current_app), [hlsjs] if hlsjs else [])
    _add_directive(response, frame_ancestors(embeddable, current_app.config["EMBED_ORIGINS"]))
    response.headers.pop("Access-Control-Allow-Credentials", None)
    publisher = _publisher_request()
    if publisher:
        # Made for one signed-in publisher: no shared cache may keep it
        # (RFC 9111 §5.2.2.7), whatever else its Cache-Control says.
        response.cache_control.private = True
    if "Access-Control-Allow-Origin" in response.headers and (
            "Set-Cookie" in response.headers or publisher):
        _strip_cors(response)
    return response


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-case, without a default port.

    >>> _origin("HTTPS://Media.Example.org:443/x"), _origin("http://a:8000"), _origin("null")
    ('https://media.example.org', 'http://a:8000', None)
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def own_origins() -> set[str]:
    """This site's origins: the request's own, and ``PUBLIC_URL``'s when set."""
    origins = {_origin(request.host_url)}
    public = current_app.config.get("PUBLIC_URL")
    if public:
        origins.add(_origin(public))
    origins.discard(None)
    return origins  # type: ignore[return-value]


CROSS_SITE_MESSAGE = ("This request came from another site, so it was refused."
                      " To make this change, use the form on this site.")


def check_same_origin() -> None:
    """Refuse a request a browser says another site made.

    ``Sec-Fetch-Site: cross-site`` or ``same-site`` (a sibling origin on the
    same registrable domain, which ``SameSite=Lax`` cookies do not stop), or
    an ``Origin`` that is not one of :func:`own_origins` (``null`` included).
    A request without these headers (an old browser, a script) is left to
    the CSRF token.

    :raises RequestRefused: (403) when it came from elsewhere.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site in ("cross-site", "same-site"):
        raise RequestRefused(CROSS_SITE_MESSAGE)
    origin = request.headers.get("Origin")
    if origin is not None and _origin(origin) not in own_origins():
        raise RequestRefused(CROSS_SITE_MESSAGE)


def _session_write() -> bool:
    """Whether this request is an unsafe one that the session cookie would
    authorise: on a page (not under ``/api/``, whose writes need a bearer
    token), to the sign-in and sign-out forms or to a publisher's view with
    a signed-in session. A publisher's view without a session is answered
    401 by :func:`.auth.publisher_required` before anything happens."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return False
    if not _needs_publisher(current_app.view_functions.get(request.endpoint or "")):
        return True
    return session.get("publisher_id") is not None


def guard_session_writes() -> None:
    """The before-request check of every blueprint with publisher pages:
    an unsafe request the session cookie would authorise must come from this
    site and carry the session's CSRF token (:func:`.auth.request_csrf_token`).

    :raises RequestRefused: (403) when it does not.
    """
    if not _session_write():
        return
    check_same_origin()
    auth.check_csrf(auth.request_csrf_token())
    auth.session_write_checked()


def init_app(app: Flask) -> None:
    """Parse ``EMBED_ORIGINS`` once, so a bad value stops the start.

    :raises ConfigError: when ``EMBED_ORIGINS`` holds something that is not an origin.
    """
    app.config["EMBED_ORIGINS"] = embed_origins(app.config["EMBED_ORIGINS"])
