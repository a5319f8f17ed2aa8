"""Validators, preconditions and Date for the responses views build in memory.

Pages, API answers and oEmbed are small and made per request, so a digest of
the body is their strong entity tag: a client revalidating gets a 304 without
the body (RFC 9110 §13.1.2) and ``If-Match`` holds or fails (§13.1.1) as it
does for media files, whose validators :mod:`player.streaming` takes from the
file itself. Both evaluate the preconditions with the same function.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, request
from werkzeug.exceptions import PreconditionFailed
from werkzeug.http import http_date

from .errors_web import http_error_response
from .streaming import needs_date, precondition_status


def finish_response(response: Response) -> Response:
    """Give a complete 200 answer to GET or HEAD an entity tag when it has
    none, and answer its preconditions. Date is left to the server in front,
    and added here when there is none (see :func:`~player.streaming.needs_date`).

    Preconditions only apply where the request would otherwise succeed
    (RFC 9110 §13.2.1), hence 200 answers only; streamed bodies (media
    files) evaluate their own.
    """
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and response.is_sequence):
        response = _conditional(response)
    if needs_date(request.environ):
        response.headers.setdefault("Date", http_date())
    else:
        # The server sends its own; one from Werkzeug's make_conditional
        # (static files) would be a second.
        response.headers.pop("Date", None)
    return response


def _conditional(response: Response) -> Response:
    etag, weak = response.get_etag()
    if etag is None:
        etag, weak = hashlib.blake2b(response.get_data(), digest_size=16).hexdigest(), False
        response.set_etag(etag)
    modified = response.last_modified
    status = precondition_status(request.environ, etag, weak=weak,
                                 last_modified=int(modified.timestamp()) if modified else None)
    if status == 304:
        # Werkzeug sends no body and drops the Content-* fields, keeping
        # ETag, Cache-Control, Vary, Expires and Content-Location (§15.4.5).
        response.status_code = 304
    elif status == 412:
        return http_error_response(PreconditionFailed(
            "The resource no longer matches the If-Match or If-Unmodified-Since condition;"
            " fetch it again."))
    return response


def init_app(app: Flask) -> None:
    """Run :func:`finish_response` on every response, before the CORS and
    security headers are added, so a 304 or 412 gets them too."""
    app.after_request(finish_response)
