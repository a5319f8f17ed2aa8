"""Who is watching, without accounts.

A viewer is either *anonymous*, a random id the player keeps in
``localStorage`` (which, unlike cookies, also works inside third-party
iframes), or *host-supplied*: an embedding site that knows who is signed in
passes a token it signed with the shared ``PLAYER_VIEWER_SECRET``, so resume
follows that person across devices.

A host token is four dot-separated fields::

    v1.<subject>.<expires>.<signature>

``subject`` is the host's user id, UTF-8 then base64url without padding;
``expires`` is a Unix time in whole seconds; ``signature`` is the base64url
(no padding) HMAC-SHA256, keyed with the shared secret, of the text
``v1.<subject>.<expires>``, that is, everything before the last dot.
:func:`sign_viewer` makes one. A token that is unsigned, altered, expired or
presented to a server without a secret is rejected, never trusted.

The database never sees the ids themselves: :func:`viewer_key` turns them into
a keyed hash, so a leaked database does not reveal a host's user ids, and the
two kinds of id can never collide.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from ..errors import PlayerError

TOKEN_VERSION = "v1"
MAX_SUBJECT_BYTES = 256
_ANONYMOUS_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
_EXPIRES_RE = re.compile(r"[0-9]{1,12}")


class ViewerError(PlayerError, ValueError):
    """A viewer id or token that cannot be used.

    :param reason: a short machine-readable word: ``missing``, ``malformed``,
        ``bad_signature``, ``expired`` or ``not_configured``.
    """

    status = 400
    code = "bad_request"

    def __init__(self, reason: str, message: str):
        super().__init__(message, details={"viewer": reason})
        self.reason = reason
        self.message = message


class ViewerTokenError(ViewerError):
    """A host viewer token that is refused: the request says who it is for,
    but the credential it shows is not accepted."""

    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class Viewer:
    """A verified viewer: ``key`` is what the database stores."""

    key: str
    kind: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL_RE.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=8)
def _keyed(key: str) -> hmac.HMAC:
    """An HMAC-SHA256 keyed with ``key``, to copy: every report needs one,
    and copying skips setting the key up again."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


def _signature(secret: str, signed_part: str) -> bytes:
    mac = _keyed(secret).copy()
    mac.update(signed_part.encode("ascii"))
    return mac.digest()


def looks_like_token(value: str) -> bool:
    """Whether ``value`` has a host token's shape, signature unchecked.

    The shape is ``v1.<b64url>.<expires>.<b64url>``.
    """
    parts = value.split(".")
    return (len(parts) == 4 and parts[0] == TOKEN_VERSION and _EXPIRES_RE.fullmatch(parts[2])
            is not None and all(_B64URL_RE.fullmatch(p) for p in (parts[1], parts[3]))
            # Base64url of MAX_SUBJECT_BYTES, without padding.
            and len(parts[1]) <= -(-MAX_SUBJECT_BYTES * 4 // 3))


def sign_viewer(subject: str, secret: str, expires_at: int) -> str:
    """Make a host viewer token, as an embedding site's server would.

    :param subject: the host's stable id for the person (not shown to anyone).
    :param secret: the ``PLAYER_VIEWER_SECRET`` shared with this server.
    :param expires_at: Unix time after which the token is refused.
    :raises ValueError: if ``subject`` is empty or over ``MAX_SUBJECT_BYTES``
        bytes of UTF-8.
    """
    encoded = subject.encode("utf-8")
    if not encoded or len(encoded) > MAX_SUBJECT_BYTES:
        raise ValueError(f"subject must be 1 to {MAX_SUBJECT_BYTES} bytes of UTF-8")
    signed_part = f"{TOKEN_VERSION}.{_b64encode(encoded)}.{int(expires_at)}"
    return f"{signed_part}.{_b64encode(_signature(secret, signed_part))}"


def verify_viewer(token: str, secret: str | None, now: float | None = None) -> str:
    """Check a host viewer token and return its subject.

    :raises ViewerTokenError: if the server has no secret, or the token is
        malformed, wrongly signed or expired.
    """
    if not secret:
        raise ViewerTokenError(
            "not_configured",
            "This server accepts no host-supplied viewer ids (PLAYER_VIEWER_SECRET is not set).",
        )
    parts = token.split(".")
    if not looks_like_token(token):
        raise ViewerTokenError("malformed", "The viewer token is not a signed v1 token.")
    signed_part, _, signature_text = token.rpartition(".")
    try:
        signature = _b64decode(signature_text)
        subject_bytes = _b64decode(parts[1])
    except (ValueError, binascii.Error):
        raise ViewerTokenError("malformed", "The viewer token is not valid base64url.") from None
    # Compared before anything else is believed, and in constant time, so the
    # answer time says nothing about how much of a forged signature was right.
    if not hmac.compare_digest(signature, _signature(secret, signed_part)):
        raise ViewerTokenError("bad_signature", "The viewer token's signature does not match.")
    if int(parts[2]) <= (time.time() if now is None else now):
        raise ViewerTokenError("expired",
                               "The viewer token has expired; the host must issue a new one.")
    try:
        subject = subject_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ViewerTokenError("malformed", "The viewer token's subject is not UTF-8.") from None
    if not subject or len(subject_bytes) > MAX_SUBJECT_BYTES:
        raise ViewerTokenError("malformed", "The viewer token's subject is empty or too long.")
    return subject


def is_anonymous_id(value: object) -> bool:
    """Whether ``value`` looks like an id the player made.

    That is 16 to 64 of ``A-Z a-z 0-9 _ -``; ``crypto.randomUUID()`` qualifies.
    """
    return isinstance(value, str) and bool(_ANONYMOUS_RE.fullmatch(value))


def viewer_key(kind: str, ident: str, pepper: str) -> str:
    """The pseudonymous key stored for a viewer.

    >>> viewer_key("anonymous", "x" * 16, "k") == viewer_key("host", "x" * 16, "k")
    False
    """
    mac = _keyed(pepper).copy()
    mac.update(f"{kind}:{ident}".encode())
    return mac.hexdigest()[:32]


def identify(
    anonymous_id: object, token: object, *, secret: str | None, pepper: str,
    now: float | None = None,
) -> Viewer:
    """Resolve what a request says about its viewer.

    A host token, when present, decides alone: a bad token is an error even
    if an anonymous id came with it, so a host's mistake is seen, not hidden.

    :raises ViewerError: if neither is usable; :class:`ViewerTokenError`
        if a host token came and is refused.
    """
    if token is not None:
        if not isinstance(token, str):
            raise ViewerTokenError("malformed", "The viewer token must be a string.")
        subject = verify_viewer(token, secret, now)
        return Viewer(viewer_key("host", subject, pepper), "host")
    if anonymous_id is None:
        raise ViewerError("missing", "The request does not say which viewer it is for.")
    if not is_anonymous_id(anonymous_id):
        raise ViewerError(
            "malformed", "The viewer id must be 16 to 64 letters, digits, '-' or '_'.")
    return Viewer(viewer_key("anonymous", anonymous_id, pepper), "anonymous")
