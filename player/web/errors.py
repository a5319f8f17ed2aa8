"""One error handler for the whole app: JSON under /api/, HTML elsewhere."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from ..errors import PlayerError
from .i18n import message_in, request_language

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed", 413: "too_large",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "unprocessable",
    429: "too_many_requests", 500: "server_error", 501: "not_implemented",
}


def wants_json() -> bool:
    """Whether this request's errors are answered in JSON: the API and oEmbed."""
    return request.path.startswith("/api/") or request.path == "/oembed"


def error_response(status: int, message: str, details=None, code: str | None = None) -> Response:
    """The JSON error body ``{"error": {"code", "message", "details"}}`` with ``status``.

    :param code: the error code; by default the one for ``status``.
    """
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message,
                      "details": details if details is not None else {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def _answer(status: int, name: str, message: str, details: dict | None, code: str | None,
            headers: Iterable[tuple[str, str]]) -> Response:
    """The JSON error body under ``/api/``, else the error page in the
    visitor's language; with ``headers`` but those that describe the body."""
    if wants_json():
        response = error_response(status, message, details, code)
    else:
        lang = request_language()
        title, title_lang = message_in(lang, name)
        message, message_lang = message_in(lang, message)
        # Inside an embed's frame the site's header and footer would crowd out
        # the message: embeds get a page of the message alone.
        template = "embed_error.html" if request.path.startswith("/embed/") else "error.html"
        response = make_response(
            render_template(template, status=status, title=title, title_lang=title_lang,
                            message=message, message_lang=message_lang),
            status,
        )
    for field, value in headers:
        if field.lower() not in ("content-type", "content-length"):
            response.headers[field] = value
    return response


def http_error_response(exc: HTTPException) -> Response:
    """The error page, or JSON error under ``/api/``, for ``exc``."""
    return _answer(exc.code or 500, exc.name, exc.description or exc.name,
                   getattr(exc, "details", None), None, exc.get_headers() or [])


def player_error_response(exc: PlayerError) -> Response:
    """The answer ``exc`` names: its status, code, message, details and
    headers; a 500 is answered as any unexpected error is."""
    if exc.status == 500:
        return _handle_unexpected(exc)
    return _answer(exc.status, HTTP_STATUS_CODES.get(exc.status, "Unknown Error"), str(exc),
                   exc.error_details(), exc.code, (exc.headers or {}).items())


def _handle_unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error on %s", request.path)
    return http_error_response(
        InternalServerError("Something went wrong on our side. It has been logged."))


def init_app(app: Flask) -> None:
    """Register the handlers: HTTP errors, the player's own errors, and anything else."""
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(PlayerError, player_error_response)
    app.register_error_handler(Exception, _handle_unexpected)
