"""Publisher accounts: bearer tokens for the API, a login form and a session
cookie for the publisher pages, and a CSRF token on every form.

A token is shown once, when it is created, and only its SHA-256 digest is
stored: tokens are 256 random bits, so a fast hash is enough and a stolen
database gives nothing to replay. Passwords, which people choose, are stored
with werkzeug's salted scrypt hash instead.

The API accepts only ``Authorization: Bearer``, never the session cookie, so a
page on another site cannot make a logged-in browser write through the API.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import click
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.cli import with_appcontext
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from .. import db
from ..errors import PlayerError

#: Every token starts with this, so a leaked one is easy to recognise in logs
#: and secret scanners, and the login form can tell a token from a password.
TOKEN_PREFIX = "apt_"
MIN_PASSWORD_LENGTH = 12
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"

# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_hex(16))

F = TypeVar("F", bound=Callable)


class AuthError(PlayerError):
    """A publisher account operation that cannot be done, with the reason."""


@dataclass(frozen=True)
class Publisher:
    """A publisher account: its row id and its name."""

    id: int
    name: str


# -- accounts (no Flask) ------------------------------------------------------

def new_token() -> str:
    """A new random API token, with the prefix that marks it as one."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The form a token is stored and looked up in: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_publisher(conn: sqlite3.Connection, name: str) -> str:
    """Add a publisher and return their token, which is stored only hashed.

    :raises AuthError: if the name is not allowed or already taken.
    """
    if not NAME_RE.match(name):
        raise AuthError(
            f"'{name}' is not a valid publisher name: use 1 to 64 letters, digits,"
            " '.', '_' or '-', starting with a letter or digit.")
    token = new_token()
    try:
        db.insert_publisher(conn, name, hash_token(token))
    except db.IntegrityError:
        raise AuthError(f"There is already a publisher called '{name}'.") from None
    return token


def revoke_publisher(conn: sqlite3.Connection, name: str) -> None:
    """Revoke a publisher's token, password and sessions at once.

    :raises AuthError: if there is no active publisher by that name.
    """
    if not db.revoke_publisher(conn, name):
        raise AuthError(f"There is no active publisher called '{name}'.")


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    """Let a publisher sign in to the pages with a password as well as the token.

    :raises AuthError: if the password is too short or there is no such active publisher.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if not db.set_publisher_password(conn, name, generate_password_hash(password)):
        raise AuthError(f"There is no active publisher called '{name}'.")


def _active(row: sqlite3.Row | None) -> Publisher | None:
    if row is None or row["revoked_at"] is not None:
        return None
    return Publisher(row["id"], row["name"])


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
    """Refuse the request with 403 unless ``value`` is the session's CSRF token."""
    expected = session.get("csrf")
    if not expected or not value or not hmac.compare_digest(expected, value):
        abort(403, "The form had expired or did not come from this site."
                   " Go back, reload the page and submit it again.")


def log_in(publisher: Publisher) -> None:
    """Start a fresh session for ``publisher``, with a new CSRF token."""
    session.clear()
    session["publisher_id"] = publisher.id
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    """End the session: nothing of it is kept."""
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
    publisher_id = session.get("publisher_id")
    if publisher_id is None:
        return None
    publisher = _active(db.publisher_by_id(db.get_db(), publisher_id))
    if publisher is None:
        session.clear()
        abort(403, "This publisher account has been revoked.")
    return publisher


def publisher_required(view: F) -> F:
    """Let only a signed-in publisher through.

    Under ``/api/`` that means a valid bearer token (401 without one, 403 for a
    bad or revoked one). On pages it means the session: a GET without one is
    sent to the login form, anything else is refused with 401, and an unsafe
    request must carry the CSRF token, except multipart forms, whose token is
    checked by :func:`player.publish.views.receive_form` before any file is stored.
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
        g.publisher = publisher
        if request.method not in SAFE_METHODS and request.mimetype != "multipart/form-data":
            check_csrf(request.form.get(CSRF_FIELD))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


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
    SameSite=Lax unless configured otherwise; ``csrf_token()`` in templates."""
    app.session_interface = _SessionInterface()
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.jinja_env.globals["csrf_token"] = csrf_token


# -- command line ---------------------------------------------------------------

def _connect() -> sqlite3.Connection:
    return db.connect(current_app.config["DATABASE"])


@click.command("create-publisher")
@click.argument("name")
@with_appcontext
def create_publisher_command(name: str) -> None:
    """Add a publisher and print their API token (shown this once only).
    \f
    :raises click.ClickException: when the name is not allowed or already taken.
    """
    conn = _connect()
    try:
        token = create_publisher(conn, name)
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
    """List publishers, whether each is active, and whether a password is set."""
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
        click.echo(f"{row['name']}\t{status}\tcreated {row['created_at']}\t{password}")


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


COMMANDS = (create_publisher_command, revoke_publisher_command, list_publishers_command,
            set_password_command)
