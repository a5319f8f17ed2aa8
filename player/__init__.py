"""Accessible Player: media with captions, transcripts and descriptions."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """Find ``templates`` or ``static``: inside the package once installed
    from a wheel, beside it in a source checkout."""
    installed = PACKAGE_DIR / name
    if installed.is_dir():
        return str(installed)
    return str(PACKAGE_DIR.parent / name)


def _load_secret_key(instance_path: str) -> str:
    """Read the instance folder's secret key, creating it on first run.

    The key is written with mode 0600 and never to the repository.
    """
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class MissingSecretKey(RuntimeError):
    """A shared database without ``PLAYER_SECRET_KEY``: each server would make up its own."""


def _refuse_shared_without_key(database: str) -> None:
    """Refuse to make up a per-machine key when the database is shared.

    Several app servers on one PostgreSQL must sign sessions, CSRF tokens and
    viewer ids with one key: a key generated into each machine's instance
    folder would log publishers out (and lose viewers' resume points) every
    time a request lands on another server.

    :raises MissingSecretKey: if ``database`` is a PostgreSQL URL.
    """
    from .db.base import is_postgresql

    if is_postgresql(database):
        raise MissingSecretKey(
            "PLAYER_SECRET_KEY is not set. With a shared PostgreSQL database"
            " (PLAYER_DATABASE=postgresql://...) every app server must use the same secret"
            " key: set PLAYER_SECRET_KEY to one long random value on all of them, e.g. the"
            " output of: python3 -c 'import secrets; print(secrets.token_hex(32))'")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    Settings come, in increasing priority, from the defaults below, the
    instance folder's ``config.py``, ``PLAYER_*`` environment variables and
    ``test_config``.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
    )
    app.config.from_mapping(
        MEDIA_DIR="media",
        DATABASE=None,
        SECRET_KEY=None,
        PUBLIC_URL=None,
        MAX_UPLOAD_BYTES=2 * 1024**3,
        CORS_ORIGINS="*",
        EMBED_ORIGINS=None,
        VIEWER_SECRET=None,
        SITE_NAME="Accessible Player",
        SCAN_ON_START=True,
        MEDIA_MAX_AGE=3600,
        PROXY_FIX=0,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PLAYER")
    else:
        app.config.from_prefixed_env("PLAYER")
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    app.config["MEDIA_DIR"] = str(Path(app.config["MEDIA_DIR"]).resolve())
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = os.path.join(app.instance_path, "player.sqlite")
    if not app.config["SECRET_KEY"]:
        _refuse_shared_without_key(app.config["DATABASE"])
        app.config["SECRET_KEY"] = _load_secret_key(app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_BYTES"])

    from . import api, cli, db, embed, pages, progress, timecodes, web
    from .library import files
    from .library import scan as library
    from .produce import views as produce
    from .publish import history
    from .publish import views as publish
    from .renditions import views as renditions
    from .search import views as search_views
    from .web import assets
    from .web import errors as errors_web
    from .web import i18n as ui_text

    db.init_app(app)
    errors_web.init_app(app)
    files.init_app(app)
    web.init_app(app)
    assets.init_app(app)
    for blueprint in (pages.bp, api.bp, files.bp, search_views.bp, publish.bp, history.bp,
                      embed.bp, produce.bp):
        app.register_blueprint(blueprint)
    renditions.init_app(app)
    progress.init_app(app)
    library.init_app(app)
    app.add_template_filter(timecodes.clock, "clock")
    app.add_template_filter(ui_text.words, "duration_words")
    ui_text.init_app(app)
    cli.init_app(app)
    if int(app.config["PROXY_FIX"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N trusted proxies, take scheme, host and client address from
        # their X-Forwarded-* headers (Secure cookies, absolute URLs).
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_prefix=hops)
    return app
