"""The errors of uploads and changes to the library, each with its HTTP
answer and what a person needs to fix the request."""

from __future__ import annotations

from ..errors import PlayerError


class UploadError(PlayerError):
    """An upload or change that is refused, with what a person needs to fix it.

    :param message: the whole reason, as a sentence.
    :param fields: form field name → message, for the fields at fault.
    :param details: extra machine-readable facts for the JSON error body.
    :param problems: caption problems (line, column, severity, code, message).
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None,
                 details: dict | None = None, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details or {}
        self.problems = problems or []


class TooLarge(UploadError):
    """The body, or a file in it, is over its limit."""

    status = 413
    code = "too_large"


class Unsupported(UploadError):
    """The file is not in a format the library accepts, or the body is not multipart."""

    status = 415
    code = "unsupported_media_type"


class LengthRequired(UploadError):
    """The body comes with no length: neither Content-Length nor chunked."""

    status = 411
    code = "length_required"


class Unprocessable(UploadError):
    """The file looks like an accepted format but cannot be read, or has errors."""

    status = 422
    code = "unprocessable"


class NoSpace(UploadError):
    """The storage has no room left for the upload."""

    status = 507
    code = "insufficient_storage"


class Disconnected(UploadError):
    """The client went away mid-upload; nobody is left to read a reply."""


class TookTooLong(UploadError):
    """The upload was staged for longer than any upload takes, and dropped."""

    status = 408
    code = "request_timeout"


class ItemGone(PlayerError, LookupError):
    """The item a change was meant for was deleted meanwhile; nothing was changed."""

    status = 404
    code = "not_found"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"There is no media item with the id '{item_id}'.")


def format_size(size: int) -> str:
    """A size for people, in binary units.

    >>> format_size(2 * 1024**3), format_size(1536), format_size(10)
    ('2 GiB', '1.5 KiB', '10 bytes')
    """
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{size} bytes"
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def too_large(limit: int, what: str = "The upload") -> TooLarge:
    """The :class:`TooLarge` error for ``what`` over ``limit`` bytes, to raise."""
    return TooLarge(
        f"{what} is too large: the limit is {format_size(limit)} ({limit:,} bytes).",
        fields={"file": f"{what} is too large: the limit is {format_size(limit)}."},
        details={"limit_bytes": limit},
    )
