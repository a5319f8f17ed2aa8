"""Publisher accounts: bearer tokens for the API, a login form and a session
cookie for the publisher pages, and a CSRF token on every form.

A token is shown once, when it is created, and only its SHA-256 digest is
stored: tokens are 256 random bits, so a fast hash is enough and a stolen
database gives nothing to replay. Passwords, which people choose, are stored
with werkzeug's salted scrypt hash instead.

The API accepts only ``Authorization: Bearer``, never the session cookie, so a
page on another site cannot make a logged-in browser write through the API.

A signed-in session is a row in the database as well as a signed cookie: the
cookie names the row (by a random id stored only hashed), so signing out, a
new password or a revoked account ends it on the server, whoever holds a copy
of the cookie. A session ends after :data:`SESSION_IDLE_SECONDS` without a
request and :data:`SESSION_MAX_SECONDS` after sign-in, whichever comes first.

Publishers have a role: an ``admin`` manages publishers and may delete
anything; an ``editor`` uploads and edits, and deletes only what they uploaded.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import math
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import click
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.cli import with_appcontext
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, db
from ..db import auth as db_auth
from ..errors import PlayerError

#: Every token starts with this, so a leaked one is easy to recognise in logs
#: and secret scanners, and the login form can tell a token from a password.
TOKEN_PREFIX = "apt_"
MIN_PASSWORD_LENGTH = 12
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
#: A script may send the token in this header instead of the form field.
CSRF_HEADER = "X-CSRF-Token"
#: How much of a multipart body is read, before its first file part, to find
#: the token: forms put it first, so a few hundred bytes are enough.
CSRF_PEEK_BYTES = 64 * 1024
_CSRF_MAX_LENGTH = 256
CSRF_MESSAGE = ("The form had expired or did not come from this site."
                " Go back, reload the page and submit it again.")

ROLES = ("admin", "editor")
#: A session ends after this long without a request...
SESSION_IDLE_SECONDS = 12 * 3600
#: ...and this long after sign-in, however busy.
SESSION_MAX_SECONDS = 7 * 24 * 3600
# A session's last use is written at most this often: idle time is measured
# to the minute, and a busy page costs no database write per request.
_SESSION_TOUCH_SECONDS = 60

# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_hex(16))

F = TypeVar("F", bound=Callable)


class AuthError(PlayerError):
    """A publisher account operation that cannot be done, with the reason."""


class RequestRefused(PlayerError):
    """A write a signed-in browser did not mean to send: a missing or wrong
    CSRF token, or a request that another site made."""

    status = 403
    code = "forbidden"


class NotAllowed(PlayerError):
    """The publisher's role does not allow this."""

    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class Publisher:
    """A publisher account: its row id, its name and its role."""

    id: int
    name: str
    role: str = "editor"

    @property
    def is_admin(self) -> bool:
        """Whether this publisher manages publishers and may delete anything."""
        return self.role == "admin"


# -- accounts (no Flask) ------------------------------------------------------

def new_token() -> str:
    """A new random API token, with the prefix that marks it as one."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The form a token is stored and looked up in: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AuthError(f"'{role}' is not a role: use one of {', '.join(ROLES)}.")


def create_publisher(conn: sqlite3.Connection, name: str, role: str | None = None, *,
                     by: Publisher | None = None) -> str:
    """Add a publisher and return their token, which is stored only hashed.

    :param role: ``"admin"`` or ``"editor"``; by default the first active
        account is an admin, so a new site can be managed, and later ones
        editors, so nobody gets more power than asked for.
    :param by: who does it, for the audit log; None for the command line.
    :raises AuthError: if the name or role is not allowed, or the name is taken.
    """
    if not NAME_RE.match(name):
        raise AuthError(
            f"'{name}' is not a valid publisher name: use 1 to 64 letters, digits,"
            " '.', '_' or '-', starting with a letter or digit.")
    if role is None:
        role = "editor" if db_auth.auth_count_admins(conn) else "admin"
    _check_role(role)
    token = new_token()
    try:
        db_auth.auth_insert_publisher(conn, name, hash_token(token), role)
    except db.IntegrityError:
        raise AuthError(f"There is already a publisher called '{name}'.") from None
    audit.record(conn, by, audit.PUBLISHER_CREATE, publisher=name, role=role)
    return token


def _active_row(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = db.publisher_by_name(conn, name)
    if row is None or row["revoked_at"] is not None:
        raise AuthError(f"There is no active publisher called '{name}'.")
    return row


def revoke_publisher(conn: sqlite3.Connection, name: str, *,
                     by: Publisher | None = None) -> None:
    """Revoke a publisher's token, password and sessions at once.

    :raises AuthError: if there is no active publisher by that name.
    """
    row = _active_row(conn, name)
    if not db.revoke_publisher(conn, name):
        raise AuthError(f"There is no active publisher called '{name}'.")
    db_auth.auth_end_sessions(conn, row["id"])
    audit.record(conn, by, audit.PUBLISHER_REVOKE, publisher=name)


def set_password(conn: sqlite3.Connection, name: str, password: str, *,
                 by: Publisher | None = None) -> None:
    """Let a publisher sign in to the pages with a password as well as the
    token; every session they had open ends.

    :raises AuthError: if the password is too short or there is no such active publisher.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    row = _active_row(conn, name)
    if not db.set_publisher_password(conn, name, generate_password_hash(password)):
        raise AuthError(f"There is no active publisher called '{name}'.")
    db_auth.auth_end_sessions(conn, row["id"])
    audit.record(conn, by, audit.PUBLISHER_PASSWORD, publisher=name)


def set_role(conn: sqlite3.Connection, name: str, role: str, *,
             by: Publisher | None = None) -> None:
    """Make a publisher an admin or an editor.

    :raises AuthError: if the role is not one of :data:`ROLES`, there is no
        such active publisher, or it would leave no active admin.
    """
    _check_role(role)
    row = _active_row(conn, name)
    if row["role"] == "admin" and role != "admin" and db_auth.auth_count_admins(conn) <= 1:
        raise AuthError(f"'{name}' is the only admin: make another publisher an admin first.")
    db_auth.auth_set_role(conn, name, role)
    audit.record(conn, by, audit.PUBLISHER_ROLE, publisher=name, role=role)


def end_sessions(conn: sqlite3.Connection, name: str, *, by: Publisher | None = None) -> None:
    """Sign a publisher out everywhere: every session of theirs ends.

    :raises AuthError: if there is no active publisher by that name.
    """
    db_auth.auth_end_sessions(conn, _active_row(conn, name)["id"])
    audit.record(conn, by, audit.PUBLISHER_SIGN_OUT_ALL, publisher=name)


def _active(row: sqlite3.Row | None) -> Publisher | None:
    if row is None or row["revoked_at"] is not None:
        return None
    return Publisher(row["id"], row["name"], row["role"])


def publisher_for_token(conn: sqlite3.Connection, token: str) -> Publisher | None:
    """The active publisher holding ``token``, or ``None``."""
    digest = hash_token(token)
    row = db.publisher_by_token_hash(conn, digest)
    # The lookup is by digest, so timing reveals nothing about the token;
    # the comparison guards against a collation or index surprise.
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        return None
    return _active(row)


def check_credentials(conn: sqlite3.Connection, name: str, secret: str) -> Publisher | None:
    """The active publisher called ``name`` if ``secret`` is their token or password."""
    row = db.publisher_by_name(conn, name)
    if secret.startswith(TOKEN_PREFIX):
        ok = row is not None and hmac.compare_digest(row["token_hash"], hash_token(secret))
    else:
        stored = row["password_hash"] if row is not None else None
        ok = check_password_hash(stored or _DUMMY_PASSWORD_HASH, secret) and stored is not None
    return _active(row) if ok else None


# -- guessing -----------------------------------------------------------------

# Failed sign-ins counted over a sliding window, in the database so every
# worker process sees them: a few per name from one address (a person
# mistyping), more per address across names (one machine trying many).
LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20


def _login_keys(address: str, name: str) -> tuple[str, str]:
    return (f"name {address} {name.casefold()}", f"address {address}")


def login_wait(conn: sqlite3.Connection, address: str, name: str, now: float) -> int:
    """Seconds until ``address`` may try ``name`` again; 0 when it may now."""
    by_name, by_address = _login_keys(address, name)
    counts = db.login_failures(conn, [by_name, by_address], now - LOGIN_WINDOW_SECONDS)
    wait = 0.0
    for key, limit in ((by_name, MAX_FAILURES_PER_NAME), (by_address, MAX_FAILURES_PER_ADDRESS)):
        count, earliest = counts.get(key, (0, now))
        if count >= limit:
            wait = max(wait, earliest + LOGIN_WINDOW_SECONDS - now)
    return math.ceil(wait)


def record_login_failure(conn: sqlite3.Connection, address: str, name: str, now: float) -> None:
    """Count a wrong password against both the name and the address; failures
    older than the login window are forgotten."""
    db.record_login_failure(conn, list(_login_keys(address, name)), now,
                            forget_before=now - LOGIN_WINDOW_SECONDS)


def record_login_success(conn: sqlite3.Connection, address: str, name: str) -> None:
    """A right answer forgives that name's mistakes (not the address's)."""
    db.clear_login_failures(conn, _login_keys(address, name)[0])


# -- requests -----------------------------------------------------------------

def current_publisher() -> Publisher | None:
    """The publisher this request was authenticated as, or None."""
    return g.get("publisher")


def csrf_token() -> str:
    """The session's CSRF token, made on first use; forms put it in ``csrf_token``."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(value: str | None) -> None:
    """Refuse the request unless ``value`` is the session's CSRF token.

    :raises RequestRefused: (403) when it is not.
    """
    expected = session.get("csrf")
    if not expected or not value or not hmac.compare_digest(
            expected.encode("utf-8"), value.encode("utf-8", "replace")):
        raise RequestRefused(CSRF_MESSAGE)


def request_csrf_token() -> str | None:
    """The CSRF token this request carries, read without buffering an upload.

    The :data:`CSRF_HEADER` header when it is sent (then nothing else counts);
    else the ``csrf_token`` field of a form: of a URL-encoded body, or of a
    multipart body when it comes before any file part (forms put it first).
    A multipart body is read only up to that field, at most
    :data:`CSRF_PEEK_BYTES`, and those bytes are put back for the view.
    Never the query string, which ends up in logs and ``Referer`` headers.
    """
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get(CSRF_FIELD)
    if request.mimetype == "multipart/form-data":
        return _multipart_token()
    return None


class _Prefixed(io.RawIOBase):
    """A body stream with bytes already read from it put back in front."""

    def __init__(self, prefix: bytes, rest):
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _multipart_token() -> str | None:
    _, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > 200 or not boundary.isascii():
        return None
    environ = request.environ
    # The view has not opened the body yet: read the raw input, within its
    # Content-Length (past it a keep-alive connection would block), and put
    # back what was read, so the view's own stream sees the whole body.
    length = request.content_length
    if length is None and not environ.get("wsgi.input_terminated"):
        return None
    budget = min(length, CSRF_PEEK_BYTES) if length is not None else CSRF_PEEK_BYTES
    source = request.__dict__.get("stream", environ["wsgi.input"])
    decoder = MultipartDecoder(boundary.encode("ascii"))
    read = bytearray()
    token: bytearray | None = None
    in_token = False
    try:
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                want = min(4096, budget - len(read))
                chunk = source.read(want) if want > 0 else b""
                read += chunk
                decoder.receive_data(chunk or None)
                if not chunk:
                    return None
            elif isinstance(event, Field):
                in_token = event.name == CSRF_FIELD
                token = bytearray() if in_token else None
            elif isinstance(event, Data) and in_token and token is not None:
                token += event.data
                if len(token) > _CSRF_MAX_LENGTH:
                    return None
                if not event.more_data:
                    return token.decode("ascii", "replace")
            elif isinstance(event, File | Epilogue):
                return None
    except (ValueError, OSError):
        return None
    finally:
        if "stream" in request.__dict__:
            request.stream = _Prefixed(bytes(read), source)  # type: ignore[misc]
        else:
            environ["wsgi.input"] = _Prefixed(bytes(read), source)


def log_in(publisher: Publisher) -> None:
    """Start a fresh session for ``publisher``, with a new CSRF token; the
    server keeps it, so it can be ended."""
    session.clear()
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    db_auth.auth_start_session(db.get_db(), hash_token(session_id), publisher.id, now,
                          idle_before=now - SESSION_IDLE_SECONDS,
                          started_before=now - SESSION_MAX_SECONDS)
    session["publisher_id"] = publisher.id
    session["session_id"] = session_id
    session["csrf"] = secrets.token_urlsafe(32)
    audit.record(db.get_db(), publisher, audit.SIGN_IN)


def log_out() -> None:
    """End the session, on the server too: a copy of the cookie opens nothing."""
    session_id = session.get("session_id")
    if isinstance(session_id, str):
        conn = db.get_db()
        row = db_auth.auth_session(conn, hash_token(session_id))
        db_auth.auth_end_session(conn, hash_token(session_id))
        if row is not None:
            audit.record(conn, Publisher(row["publisher_id"], row["name"], row["role"]),
                         audit.SIGN_OUT)
    session.clear()


def _bearer_publisher() -> Publisher:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized(
            "This needs a publisher token: send 'Authorization: Bearer <token>'."
            " Create one with `player create-publisher NAME`.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "publishing"}),
        )
    if scheme.lower() != "bearer" or not token.strip():
        abort(403, "The Authorization header must be 'Bearer <token>'.")
    publisher = publisher_for_token(db.get_db(), token.strip())
    if publisher is None:
        abort(403, "This token is not valid or has been revoked.")
    return publisher


def _session_publisher() -> Publisher | None:
    """The publisher of the session cookie, if its session is still open on
    the server; an ended or expired one is forgotten.

    :raises Forbidden: (403) when the account has been revoked.
    """
    publisher_id = session.get("publisher_id")
    if publisher_id is None:
        return None
    conn = db.get_db()
    session_id = session.get("session_id")
    row = (db_auth.auth_session(conn, hash_token(session_id))
           if isinstance(session_id, str) else None)
    now = time.time()
    if row is not None and row["publisher_id"] != publisher_id:
        row = None  # another publisher's session: not this cookie's to end
    if (row is None or row["revoked_at"] is not None
            or now - row["seen_at"] > SESSION_IDLE_SECONDS
            or now - row["started_at"] > SESSION_MAX_SECONDS):
        if row is not None:
            db_auth.auth_end_session(conn, row["id_hash"])
        if _active(db.publisher_by_id(conn, publisher_id)) is None:
            session.clear()
            abort(403, "This publisher account has been revoked.")
        session.clear()
        return None
    if now - row["seen_at"] > _SESSION_TOUCH_SECONDS:
        db_auth.auth_touch_session(conn, row["id_hash"], now)
    return Publisher(row["publisher_id"], row["name"], row["role"])


def request_publisher() -> Publisher | None:
    """The publisher of this request's bearer token, or else of its session;
    None when it has neither (for reads that publishers and others both make).

    :raises Forbidden: (403) for a bad or revoked token, or a revoked account.
    """
    if request.headers.get("Authorization"):
        return _bearer_publisher()
    return _session_publisher()


def session_write_checked() -> None:
    """Note that this request's CSRF token and origin were checked
    (by :func:`player.web.security.guard_session_writes`)."""
    g.session_write_checked = True


def publisher_required(view: F) -> F:
    """Let only a signed-in publisher through.

    Under ``/api/`` that means a valid bearer token (401 without one, 403 for a
    bad or revoked one). On pages it means the session: a GET without one is
    sent to the login form, anything else is refused with 401. An unsafe
    request on a page must have passed the CSRF and origin check, which runs
    before the view (:func:`player.web.security.guard_session_writes`); a
    view that request reached without it is refused, so a route added where
    the check does not run fails closed.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if request.path.startswith("/api/"):
            g.publisher = _bearer_publisher()
            return view(*args, **kwargs)
        publisher = _session_publisher()
        if publisher is None:
            if request.method in SAFE_METHODS:
                return redirect(url_for("publish.login", next=request.full_path.rstrip("?")))
            abort(401, "Sign in as a publisher first.")
        if request.method not in SAFE_METHODS and not g.get("session_write_checked"):
            raise RequestRefused(CSRF_MESSAGE)
        g.publisher = publisher
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require_admin() -> Publisher:
    """The current publisher, who must be an admin.

    :raises NotAllowed: (403) for an editor.
    """
    publisher = current_publisher()
    if publisher is None or not publisher.is_admin:
        raise NotAllowed("Only an admin can do this.")
    return publisher


class _SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS,
    and open no signed session for a request that sent no session cookie.

    Behind a TLS-terminating proxy the request only looks like HTTPS once
    ProxyFix trusts ``X-Forwarded-Proto``; ``SESSION_COOKIE_SECURE = True``
    forces the flag regardless.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request):
        # Nearly every request (media, tracks, progress reports) has no
        # session cookie: an empty session then, without building the
        # signing serializer, which costs more than the rest of a small
        # request.
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Sessions only for those who have a cookie, which is HttpOnly and
    SameSite=Lax unless configured otherwise, and whose signature is not
    honoured past a session's longest life; ``csrf_token()`` in templates."""
    app.session_interface = _SessionInterface()
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    longest = timedelta(seconds=SESSION_MAX_SECONDS)
    lifetime = app.config.get("PERMANENT_SESSION_LIFETIME")
    if not isinstance(lifetime, timedelta) or lifetime > longest:
        app.config["PERMANENT_SESSION_LIFETIME"] = longest
    app.jinja_env.globals["csrf_token"] = csrf_token


# -- command line ---------------------------------------------------------------

def _connect() -> sqlite3.Connection:
    return db.connect(current_app.config["DATABASE"])


@click.command("create-publisher")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES),
              help="An admin manages publishers and may delete anything; an editor uploads"
                   " and edits, and deletes only what they uploaded. Default: admin for the"
                   " first publisher, editor after that.")
@with_appcontext
def create_publisher_command(name: str, role: str | None) -> None:
    """Add a publisher and print their API token (shown this once only).
    \f
    :raises click.ClickException: when the name is not allowed or already taken.
    """
    conn = _connect()
    try:
        token = create_publisher(conn, name, role)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"Publisher '{name}' created. Their token, shown this once only:", err=True)
    click.echo(token)


@click.command("revoke-publisher")
@click.argument("name")
@with_appcontext
def revoke_publisher_command(name: str) -> None:
    """Revoke a publisher: their token, password and open sessions stop working.
    \f
    :raises click.ClickException: when there is no such active publisher.
    """
    conn = _connect()
    try:
        revoke_publisher(conn, name)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"Publisher '{name}' revoked.")


@click.command("list-publishers")
@with_appcontext
def list_publishers_command() -> None:
    """List publishers, whether each is active, whether a password is set, and their role."""
    conn = _connect()
    try:
        rows = db.list_publishers(conn)
    finally:
        conn.close()
    if not rows:
        click.echo("No publishers yet. Add one with `player create-publisher NAME`.")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        password = "password set" if row["password_hash"] else "token only"
        click.echo(f"{row['name']}\t{status}\tcreated {row['created_at']}\t{password}"
                   f"\t{row['role']}")


@click.command("set-password")
@click.argument("name")
@click.password_option(
    help=f"At least {MIN_PASSWORD_LENGTH} characters; asked for when not given.")
@with_appcontext
def set_password_command(name: str, password: str) -> None:
    """Let a publisher sign in to the publisher pages with a password.
    \f
    :raises click.ClickException: when the password is too short or there is no such
        active publisher.
    """
    conn = _connect()
    try:
        set_password(conn, name, password)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"Password set for '{name}'.")


@click.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role_command(name: str, role: str) -> None:
    """Make a publisher an admin or an editor.
    \f
    :raises click.ClickException: when there is no such active publisher, or
        it would leave no active admin.
    """
    conn = _connect()
    try:
        set_role(conn, name, role)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"'{name}' is now an {role}.")


@click.command("end-sessions")
@click.argument("name")
@with_appcontext
def end_sessions_command(name: str) -> None:
    """Sign a publisher out everywhere: every session of theirs ends at once.
    \f
    :raises click.ClickException: when there is no such active publisher.
    """
    conn = _connect()
    try:
        end_sessions(conn, name)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"Every session of '{name}' has ended.")


COMMANDS = (create_publisher_command, revoke_publisher_command, list_publishers_command,
            set_password_command, set_role_command, end_sessions_command)
