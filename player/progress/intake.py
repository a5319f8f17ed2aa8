"""A progress report as a request brings it: the body, the viewer, the
privacy signals and the flood limit, each checked before anything is queued.

Players report with ``PUT /api/media/<id>/progress``; ``POST`` is the same,
because ``navigator.sendBeacon`` (which outlives a closing tab) can only POST,
and a body sent as ``text/plain`` is read as JSON, because that is what a
beacon of a string sends (and it needs no CORS preflight). The viewer travels
in the body (``viewer`` or ``viewer_token``), since a beacon cannot set
headers, or in the ``X-Player-Viewer`` / ``X-Player-Viewer-Token`` headers.

The flood limits (see :mod:`.limits`) are token buckets kept in each
process, per viewer and per client address; with W gunicorn workers up to W
times the configured rates get through. The limits are there to stop floods,
which are orders of magnitude above a player's one report every ten seconds,
so that factor is accepted in exchange for keeping them off the database.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping

from flask import current_app, request

from ..errors import PlayerError
from .limits import Refused, address_key
from .model import ProgressError
from .viewer import Viewer, identify, viewer_key

#: Headers that carry the viewer. Reports may carry it in the body instead
#: (``viewer``, ``viewer_token``), since ``navigator.sendBeacon`` cannot set headers.
VIEWER_HEADER = "X-Player-Viewer"
VIEWER_TOKEN_HEADER = "X-Player-Viewer-Token"


class ReportTooLarge(PlayerError):
    """A report body over ``PROGRESS_MAX_BODY`` bytes."""

    status = 413
    code = "too_large"


class UnsupportedReportType(PlayerError):
    """A report body of a content type other than JSON or plain text."""

    status = 415
    code = "unsupported_media_type"


class NotJson(PlayerError):
    """A report body that is not JSON."""

    status = 400
    code = "bad_request"


class TooManyReports(PlayerError):
    """A viewer over the flood limit; ``Retry-After`` says when to try again."""

    status = 429
    code = "too_many_requests"


def privacy_reason(config: Mapping, environ: dict) -> str | None:
    """Why nothing may be stored for this request, if anything says so."""
    if not config["TRACKING"]:
        return "tracking_disabled"
    if environ.get("HTTP_SEC_GPC", "").strip() == "1":
        return "global_privacy_control"
    if environ.get("HTTP_DNT", "").strip() == "1":
        return "do_not_track"
    return None


#: Where the viewer's id and token are: a field of the body, else this WSGI
#: environ key (the header).
_VIEWER_SOURCES = (
    ("viewer", "HTTP_" + VIEWER_HEADER.upper().replace("-", "_")),
    ("viewer_token", "HTTP_" + VIEWER_TOKEN_HEADER.upper().replace("-", "_")),
)


def viewer_claims(body: dict, environ: dict) -> tuple[object, object]:
    """The anonymous id and the host token a request names (None where it names none).

    Each is taken from the body, else from its header.

    :raises ProgressError: if the body has one that is not a string.
    """
    found = []
    for field, key in _VIEWER_SOURCES:
        if field not in body:
            found.append(environ.get(key))
        elif isinstance(body[field], str):
            found.append(body[field])
        else:
            raise ProgressError(f"'{field}' must be a string.", field)
    return found[0], found[1]


def request_viewer(body: dict | None = None) -> Viewer:
    """The viewer a request names, in its body or else in its headers.

    :raises ProgressError: if the body names one with something not a string.
    :raises ViewerError: if it names none that can be used
        (:class:`~.viewer.ViewerTokenError` for a refused host token).
    """
    config = current_app.config
    return identify(*viewer_claims(body or {}, request.environ),
                    secret=config.get("VIEWER_SECRET"), pepper=config["SECRET_KEY"])


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


#: Made once: ``json.loads`` with any option builds a new decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode_json(raw: bytes) -> object:
    """A body as JSON, refusing NaN and the infinities.

    Bytes are decoded as ``json.loads`` decodes them: UTF-8, or UTF-16/32 by
    their pattern.

    :raises ValueError: or RecursionError, if it is not JSON.
    """
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def json_body() -> object:
    """The request body as JSON.

    It may come as ``application/json`` or, as ``navigator.sendBeacon``
    sends strings, as ``text/plain``.

    :raises ReportTooLarge: if it is over ``PROGRESS_MAX_BODY`` bytes.
    :raises UnsupportedReportType: if it is of another content type.
    :raises NotJson: if it is not JSON.
    """
    limit = int(current_app.config["PROGRESS_MAX_BODY"])
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if request.mimetype not in ("application/json", "text/plain", ""):
        raise UnsupportedReportType("Send the report as application/json or text/plain JSON.",
                                    details={"content_type": request.mimetype})
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    try:
        return decode_json(raw)
    except (ValueError, RecursionError) as exc:
        raise NotJson(f"The body is not valid JSON: {exc}") from exc


def _too_large(limit: int) -> ReportTooLarge:
    return ReportTooLarge(f"A progress report may be at most {limit} bytes.",
                          details={"limit": limit})


def client_address(environ: dict) -> str:
    """The key the request's client address is limited by (see :func:`.limits.address_key`).

    ``REMOTE_ADDR`` is the client's own, or behind trusted proxies what
    Werkzeug's ProxyFix (``PLAYER_PROXY_FIX``) took from ``X-Forwarded-For``.
    """
    return address_key(environ.get("REMOTE_ADDR"))


def voter(address: str, pepper: str) -> str:
    """Who a duration a player reports counts for: one vote per client address,
    kept as a keyed hash (the address itself is never stored)."""
    return viewer_key("address", address, pepper)


def too_many(refused: Refused) -> TooManyReports:
    """The 429 a report over a flood limit is answered."""
    retry = max(1, math.ceil(refused.wait))
    who = "viewer" if refused.by == "viewer" else "address"
    return TooManyReports(
        f"Too many progress reports from this {who}; try again in {retry} s.",
        details={"retry_after": retry}, headers={"Retry-After": str(retry)})


def limit_rate(viewer_key: str, address: str) -> None:
    """Take one of the viewer's and one of the address's tokens of the flood limits.

    :raises TooManyReports: if either has none left (then neither is spent).
    """
    refused = current_app.extensions["progress_limits"].take(viewer_key, address,
                                                            time.monotonic())
    if refused:
        raise too_many(refused)
