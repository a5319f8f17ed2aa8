"""Media, track and poster bytes.

Only names the catalog knows are served, so no part of the URL is ever
joined onto a filesystem path. The bytes never pass through the app's own
reads: a local file goes to the server's ``sendfile`` by the path the
storage gives, and a storage without local files gives the client a URL to
fetch them from itself.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, redirect
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from .. import db
from ..web import cors
from ..web.streaming import media_response, needs_date, send_media
from .catalog import find_item, get_storage

bp = Blueprint("files", __name__)

TABLE_FRESH_SECONDS = 1.0
#: Every method some route of the app answers.
_SERVER_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"


def served_files(item: dict, media_max_age: int) -> dict[str, tuple[str, str]]:
    """The names an item serves, each with its Content-Type and Cache-Control.

    Tracks that failed validation are absent, so players never get them.
    """
    files = {item["file"]: (item["mime"], f"public, max-age={media_max_age}")}
    if item.get("poster"):
        mime = {".png": "image/png", ".webp": "image/webp"}.get(
            Path(item["poster"]).suffix.lower(), "image/jpeg")
        files[item["poster"]] = (mime, "public, max-age=3600")
    for track in item["tracks"]:
        files[track["file"]] = ("text/vtt; charset=utf-8", "public, max-age=300")
    return files


#: Seconds a client may use a URL the storage signs for it.
CLIENT_URL_SECONDS = 3600


@bp.get("/files/<item_id>/<name>")
def media_file(item_id: str, name: str):
    """Send one file of an item, with ranges and conditional requests.

    :raises NotFound: if the item does not serve a file of that name.
    """
    item = find_item(item_id)
    served = served_files(item, current_app.config["MEDIA_MAX_AGE"])
    if name not in served:
        abort(404, f"The media item '{item_id}' has no file named '{name}'.")
    mime, cache_control = served[name]
    storage = get_storage()
    path = storage.local_path(name)
    if path is None:
        url = storage.url_for_client(name, CLIENT_URL_SECONDS)
        if url is None:
            abort(404, f"The file '{name}' cannot be sent from this storage.")
        response = redirect(url, 307)
        # The URL expires, so no cache may keep the redirect for long.
        response.headers["Cache-Control"] = "private, max-age=60"
        return response
    return send_media(path, mime, cache_control=cache_control)


class MediaFastPath:
    """WSGI middleware that answers ``GET``/``HEAD /files/<id>/<name>`` itself.

    A 64 KiB byte range is cheap to send, so Flask's per-request work
    (routing, contexts, sessions) would dominate it. The answer is the same
    as the view's; anything unusual (an unknown name, a preflight, other
    methods) falls through to Flask, which gives the proper error page.
    The name table is reloaded when the catalog version changes, checked at
    most every TABLE_FRESH_SECONDS per thread. A stale table is harmless: a
    name it lacks falls through to Flask, which reads the catalog itself, and
    a file gone since is a NotFound that falls through too.
    """

    def __init__(self, app: Flask, wsgi_app):
        self.wsgi_app = wsgi_app
        self.database = app.config["DATABASE"]
        self.storage = get_storage(app)
        self.max_age = app.config["MEDIA_MAX_AGE"]
        self.origins = cors.allowed_origins(app.config["CORS_ORIGINS"])
        self._local = threading.local()
        self._lock = threading.Lock()
        self._version = -1
        self._files: dict[tuple[str, str], tuple[str, str]] = {}

    def _table(self) -> dict[tuple[str, str], tuple[str, str]]:
        now = time.monotonic()
        if now < getattr(self._local, "fresh_until", 0.0):
            return self._files
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = db.connect(self.database)
        self._local.fresh_until = now + TABLE_FRESH_SECONDS
        version = db.catalog_version(conn)
        if version != self._version:
            with self._lock:
                files = {}
                for item in db.catalog(conn):
                    for name, served in served_files(item, self.max_age).items():
                        files[(item["id"], name)] = served
                self._files, self._version = files, version
        return self._files

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/files/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            parts = path[len("/files/"):].split("/")
            served = self._table().get(tuple(parts)) if len(parts) == 2 else None
            # A file the storage cannot hand over locally is Flask's to redirect.
            path = self.storage.local_path(parts[1]) if served is not None else None
            if path is not None:
                try:
                    response = media_response(environ, path, served[0],
                                              cache_control=served[1], bare=True)
                except NotFound:
                    return self.wsgi_app(environ, start_response)
                # A plain list or Headers, as media_response chose: both extend.
                response.headers.extend(cors.media_headers(self.origins,
                                                           environ.get("HTTP_ORIGIN")))
                return response(environ, start_response)
        if path == "*" and environ.get("REQUEST_METHOD") == "OPTIONS":
            # "OPTIONS *" asks about the server as a whole (RFC 9110 §9.3.7),
            # which no route answers.
            headers = [("Allow", _SERVER_METHODS), ("Content-Length", "0")]
            if needs_date(environ):
                headers.append(("Date", http_date()))
            start_response("200 OK", headers)
            return []
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Answer ``GET``/``HEAD`` of media files before Flask does (:class:`MediaFastPath`)."""
    app.wsgi_app = MediaFastPath(app, app.wsgi_app)
