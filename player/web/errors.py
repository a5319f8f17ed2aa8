"""One error handler for the whole app: JSON under /api/, HTML elsewhere."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .i18n import message_in, request_language

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed", 413: "too_large",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "unprocessable",
    429: "too_many_requests", 500: "server_error", 501: "not_implemented",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/oembed"


def error_response(status: int, message: str, details=None, code: str | None = None):
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message,
                      "details": details if details is not None else {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def http_error_response(exc: HTTPException):
    """The error page, or JSON error under ``/api/``, for ``exc``."""
    status = exc.code or 500
    message = exc.description or exc.name
    if wants_json():
        response = error_response(status, message, getattr(exc, "details", None))
    else:
        lang = request_language()
        title, title_lang = message_in(lang, exc.name)
        message, message_lang = message_in(lang, message)
        response = make_response(
            render_template("error.html", status=status, title=title, title_lang=title_lang,
                            message=message, message_lang=message_lang),
            status,
        )
    for name, value in (exc.get_headers() or []):
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _handle_unexpected(exc: Exception):
    current_app.logger.exception("unhandled error on %s", request.path)
    return http_error_response(
        InternalServerError("Something went wrong on our side. It has been logged."))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(Exception, _handle_unexpected)
