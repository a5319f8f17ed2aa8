"""Errors raised by the player's domain modules, each with the HTTP answer it gets."""

from __future__ import annotations

from collections.abc import Mapping


class PlayerError(Exception):
    """Base error of the player; a subclass names the HTTP answer it gets.

    ``status`` and ``code`` are class attributes: the HTTP status and the
    ``code`` of the JSON error body. The message is ``str(error)``. An
    instance may carry more: ``details`` (machine-readable facts for the JSON
    error body), ``fields`` (form field name → message, for the fields at
    fault) and ``headers`` (such as ``Retry-After``).

    The base answer is a 500: an error no subclass gave an answer to is a
    fault on this side, so it is logged and the client is told only that
    something went wrong. Subclasses for what a client can fix say so with a
    4xx status.

    :param details: machine-readable facts for the JSON error body.
    :param headers: header fields to send with the answer.
    """

    status: int = 500
    code: str = "server_error"
    details: Mapping[str, object] | None = None
    fields: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None

    def __init__(self, *args: object, details: Mapping[str, object] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(*args)
        if details is not None:
            self.details = details
        if headers is not None:
            self.headers = headers

    def error_details(self) -> dict:
        """The ``details`` of the JSON error body: ``details``, and the
        ``fields`` at fault under ``"fields"`` when there are any."""
        details = dict(self.details or {})
        if self.fields:
            details["fields"] = dict(self.fields)
        return details
