"""Validators, preconditions and Date for the responses views build in memory.

Pages, API answers and oEmbed are small and made per request, so a digest of
the body is their strong entity tag: a client revalidating gets a 304 without
the body (RFC 9110 §13.1.2) and ``If-Match`` holds or fails (§13.1.1) as it
does for media files, whose validators :mod:`player.web.streaming` takes from the
file itself. Both evaluate the preconditions with the same function.

They change whenever the library does, so caches keep them only to
revalidate (``no-cache``, RFC 9111 §5.2.2.4), which the entity tag makes a
304. (:mod:`player.web.security` keeps publishers' answers out of shared caches.)

Views that change a resource take :func:`preconditions`, which holds the
request to the entity tag a GET of the same URL gives at that moment, so a
client that read one version never deletes or replaces a newer one.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable
from typing import TypeVar

from flask import Response, current_app, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import PreconditionFailed
from werkzeug.http import http_date
from werkzeug.test import run_wsgi_app

from .errors import http_error_response
from .streaming import needs_date, parse_entity_tags, parse_http_date, precondition_status

F = TypeVar("F", bound=Callable)

#: The preconditions of a method other than GET and HEAD; If-Modified-Since
#: and If-Range only apply to those two (RFC 9110 §13.1.3, §13.1.5).
_UNSAFE_CONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
_BODY_FIELDS = ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING", "HTTP_RANGE")


def finish_response(response: Response) -> Response:
    """Give a complete 200 answer to GET or HEAD an entity tag and a
    Cache-Control when it has none, and answer its preconditions; an answer
    without content (204, 304, an empty OPTIONS answer) no Content-Type. Date is
    left to the server in front, and added here when there is none (see
    :func:`~player.web.streaming.needs_date`).

    Preconditions only apply where the request would otherwise succeed
    (RFC 9110 §13.2.1), hence 200 answers only; streamed bodies (media
    files) evaluate their own.
    """
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and response.is_sequence):
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"
        response = _conditional(response)
    if response.status_code in (204, 304) or (
            request.method == "OPTIONS" and response.is_sequence and not response.get_data()):
        # No content, so no media type to name (RFC 9110 §8.3; Flask's
        # default text/html would describe nothing).
        response.headers.pop("Content-Type", None)
    if needs_date(request.environ):
        response.headers.setdefault("Date", http_date())
    else:
        # The server sends its own; one from Werkzeug's make_conditional
        # (static files) would be a second.
        response.headers.pop("Date", None)
    return response


def _conditional(response: Response) -> Response:
    if "ETag" not in response.headers:
        response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
    status = _status(response.headers)
    if status == 304:
        # Werkzeug sends no body and drops the Content-* fields, keeping
        # ETag, Cache-Control, Vary, Expires and Content-Location (§15.4.5).
        response.status_code = 304
    elif status == 412:
        return http_error_response(PreconditionFailed(
            "The resource no longer matches the If-Match or If-Unmodified-Since condition;"
            " fetch it again."))
    return response


def preconditions(view: F) -> F:
    """Evaluate ``If-Match``, ``If-None-Match`` and ``If-Unmodified-Since``
    before ``view`` acts, as RFC 9110 §13.1.1-4 asks of an origin server,
    against the representation a GET of the same URL selects now; a 412 when
    one fails. Put it under the view's access check, whose 401 or 403 comes
    first (§13.2.1).

    A URL whose GET is a 404 names nothing, and the view answers that; one
    with no GET at all has no representation, so no entity tag matches it.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if any(name in request.environ for name in _UNSAFE_CONDITIONS) and _fails():
            return http_error_response(PreconditionFailed(
                "The resource is not in the state the If-Match, If-None-Match or"
                " If-Unmodified-Since condition expects; fetch it again."))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _fails() -> bool:
    status, headers = _current_representation()
    if status == 404:
        return False
    if status != 200:
        return "HTTP_IF_MATCH" in request.environ
    # finish_response gives every in-memory 200 answer to GET an entity tag.
    return _status(headers) is not None


def _status(headers: Headers) -> int | None:
    """The request's preconditions evaluated against the ETag and
    Last-Modified in ``headers``, which this app wrote."""
    (tag,) = parse_entity_tags(headers["ETag"]) or ()
    modified = headers.get("Last-Modified")
    return precondition_status(
        request.environ, tag.opaque, weak=tag.weak,
        last_modified=parse_http_date(modified) if modified else None)


def _current_representation() -> tuple[int, Headers]:
    """Status and headers of a GET of this request's URL, made by the app
    itself (its WSGI middleware aside) without the request's body, range or
    conditions."""
    environ = {key: value for key, value in request.environ.items()
               if (key.isupper() or key.startswith("wsgi."))
               and not key.startswith("HTTP_IF_") and key not in _BODY_FIELDS}
    environ.update({"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()})
    app = current_app._get_current_object()
    body, status, headers = run_wsgi_app(functools.partial(type(app).wsgi_app, app), environ)
    if hasattr(body, "close"):
        body.close()
    return int(status.split(" ", 1)[0]), headers

