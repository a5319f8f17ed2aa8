"""Media, track and poster bytes.

Only names the catalog knows are served, so no part of the URL is ever
joined onto a filesystem path. The bytes never pass through the app's own
reads: a local file goes to the server's ``sendfile`` by the path the
storage gives, and a storage without local files gives the client a URL to
fetch them from itself (a CDN's under ``MEDIA_BASE_URL``, else one the
storage signs). Caption tracks are the exception: small, and loaded in CORS
mode, they are sent by the app from such a storage.

Behind nginx, ``ACCEL_REDIRECT`` (``PLAYER_ACCEL_REDIRECT=/_protected/``)
hands local files to nginx instead: the answer is headers only, with
``X-Accel-Redirect: /_protected/<name>``, and nginx sends the bytes from an
``internal`` location whose ``alias`` is the media folder, ranges and
preconditions included, at its own speed and with no app thread or process
held. The app still decides which names are served, their Content-Type and
Cache-Control (nginx keeps both from the app's answer) and CORS (nginx
repeats the app's ``Access-Control-*`` fields, see docs/nginx.conf).
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from .. import db
from ..web import cors
from ..web.streaming import (
    media_response,
    needs_date,
    parse_range_header,
    precondition_status,
    resolve_ranges,
    send_media,
)
from .catalog import find_item, get_storage
from .item import Item
from .storage import Storage

bp = Blueprint("files", __name__)

TABLE_FRESH_SECONDS = 1.0
#: Every method some route of the app answers.
_SERVER_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"


def served_files(item: Item, media_max_age: int) -> dict[str, tuple[str, str]]:
    """The names an item serves, each with its Content-Type and Cache-Control.

    Tracks that failed validation are absent, so players never get them.
    """
    files = {item.file: (item.mime, f"public, max-age={media_max_age}")}
    if item.poster:
        mime = {".png": "image/png", ".webp": "image/webp"}.get(
            Path(item.poster).suffix.lower(), "image/jpeg")
        files[item.poster] = (mime, "public, max-age=3600")
    for track in item.tracks:
        files[track.file] = ("text/vtt; charset=utf-8", "public, max-age=300")
    return files


#: The Content-Type of caption tracks, which the app sends itself.
TRACK_TYPE = "text/vtt"
#: Seconds a client may use a URL the storage signs for it.
CLIENT_URL_SECONDS = 3600
#: Seconds one signed URL is handed out again before a new one is signed:
#: signing costs a millisecond of CPU (more than the rest of the answer), and
#: every URL handed out is still valid for CLIENT_URL_SECONDS minus this,
#: far longer than a client keeps the redirect (60 s).
SIGNED_REUSE_SECONDS = 300
#: The Cache-Control of a redirect to the storage: the URL expires.
REDIRECT_CACHE_CONTROL = "private, max-age=60"


class SignedUrls:
    """Recently signed URLs of one storage, per name, handed out again for
    :data:`SIGNED_REUSE_SECONDS` (see there)."""

    KEPT = 10_000

    def __init__(self, app: Flask):
        self.config = app.config
        self.storage = get_storage(app)
        self._urls: dict[str, tuple[float, str | None]] = {}

    def get(self, name: str) -> str | None:
        """Where a client fetches ``name``: under ``MEDIA_BASE_URL``, or a
        URL the storage signs; None when the storage has none.

        :raises player.library.storage.InvalidKey: if ``name`` is not a plain name.
        """
        base_url = self.config.get("MEDIA_BASE_URL")
        if base_url:
            return f"{base_url.rstrip('/')}/{quote(name)}"
        now = time.monotonic()
        kept = self._urls.get(name)
        if kept is not None and now < kept[0]:
            return kept[1]
        url = self.storage.url_for_client(name, CLIENT_URL_SECONDS)
        if len(self._urls) >= self.KEPT:
            self._urls.clear()
        self._urls[name] = (now + SIGNED_REUSE_SECONDS, url)
        return url


def signed_urls(app: Flask) -> SignedUrls:
    """The app's :class:`SignedUrls`."""
    urls = app.extensions.get("signed_urls")
    if urls is None:
        urls = app.extensions["signed_urls"] = SignedUrls(app)
    return urls


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
        if mime.startswith(TRACK_TYPE):
            return _track_response(storage, name, mime, cache_control)
        url = signed_urls(current_app).get(name)
        if url is None:
            abort(404, f"The file '{name}' cannot be sent from this storage.")
        response = redirect(url, 307)
        # The URL expires, so no cache may keep the redirect for long.
        response.headers["Cache-Control"] = REDIRECT_CACHE_CONTROL
        return response
    accel = current_app.config.get("ACCEL_REDIRECT")
    if accel:
        return Response(b"", 200, accel_headers(accel, name, mime, cache_control))
    return send_media(path, mime, cache_control=cache_control)


def accel_headers(prefix: str, name: str, mime: str, cache_control: str
                  ) -> list[tuple[str, str]]:
    """The headers of an answer that has nginx send ``name`` from the
    internal location ``prefix`` (see the module docstring).

    >>> accel_headers("/_protected/", "a talk.mp4", "video/mp4", "public, max-age=60")[0]
    ('X-Accel-Redirect', '/_protected/a%20talk.mp4')
    """
    return [("X-Accel-Redirect", prefix.rstrip("/") + "/" + quote(name)),
            ("Content-Type", mime), ("Cache-Control", cache_control),
            # A range is for nginx to answer: the app's answer has no bytes.
            ("Accept-Ranges", "bytes"), ("Content-Length", "0")]


def _track_response(storage: Storage, name: str, mime: str, cache_control: str) -> Response:
    """A caption track the storage cannot send itself, sent by the app.

    Tracks are small and <track> loads them in CORS mode, so they are not
    redirected: the app's own CORS answer (which origins may read them) and
    Content-Type apply whatever the bucket's settings say, and no redirect
    from another origin makes the browser send ``Origin: null``. They answer
    preconditions and a single range as media files do; several ranges get
    the whole track (RFC 9110 §14.2 lets a server ignore Range).

    :raises NotFound: if the track is gone from the storage.
    """
    try:
        # Stat first: were the track replaced in between, Last-Modified is
        # older than the bytes, so the next request sees it change.
        entry = storage.stat(name)
        data = storage.read_bytes(name)
    except FileNotFoundError:
        abort(404, f"The file '{name}' is no longer in the library.")
    # A digest of the bytes: the same on every app server, whatever the storage.
    etag = hashlib.blake2b(data, digest_size=16).hexdigest()
    now = int(time.time())
    last_modified = min(int(entry.mtime), now)
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"',
               "Last-Modified": http_date(last_modified)}
    environ = request.environ
    status = precondition_status(environ, etag, last_modified=last_modified)
    if status == 412:
        return _empty(412, headers)
    if status == 304:
        return _empty(304, {**headers, "Cache-Control": cache_control})
    # A date is a strong validator once its second is over (RFC 9110 §8.8.2.2).
    byte_range = _single_range(environ, etag, last_modified if last_modified < now else None,
                               len(data))
    if byte_range is False:
        return _empty(416, {**headers, "Content-Range": f"bytes */{len(data)}"})
    headers["Cache-Control"] = cache_control
    if byte_range is None:
        return Response(data, 200, headers, content_type=mime)
    headers["Content-Range"] = byte_range.content_range(len(data))
    return Response(data[byte_range.start:byte_range.end + 1], 206, headers, content_type=mime)


def _empty(status: int, headers: dict[str, str]) -> Response:
    response = Response(b"", status, headers)
    # An empty answer has no content whose type could be named.
    del response.headers["Content-Type"]
    return response


def _single_range(environ, etag: str, strong_date: int | None, length: int):
    """The one range a GET asks for: ``None`` for the whole body, ``False``
    when it cannot be satisfied."""
    header = environ.get("HTTP_RANGE")
    if environ["REQUEST_METHOD"] != "GET" or header is None or length == 0:
        return None
    if_range = environ.get("HTTP_IF_RANGE")
    # If-Range holds only for the same strong entity tag, or exactly the
    # date of a strong Last-Modified.
    valid = {f'"{etag}"'} | ({http_date(strong_date)} if strong_date is not None else set())
    if if_range is not None and if_range.strip(" \t") not in valid:
        return None
    specs = parse_range_header(header)
    if specs is None or len(specs) != 1:
        return None
    ranges = resolve_ranges(specs, length)
    return ranges[0] if ranges else False


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
        self.accel = app.config.get("ACCEL_REDIRECT") or None
        self.signed = signed_urls(app)
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
                for item in map(Item.from_dict, db.catalog(conn)):
                    for name, served in served_files(item, self.max_age).items():
                        files[(item.id, name)] = served
                self._files, self._version = files, version
        return self._files

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/files/") and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            parts = path[len("/files/"):].split("/")
            served = self._table().get(tuple(parts)) if len(parts) == 2 else None
            path = self.storage.local_path(parts[1]) if served is not None else None
            if served is not None and path is None and not served[0].startswith(TRACK_TYPE):
                return self._redirect(environ, start_response, parts[1])
            if path is not None and self.accel:
                headers = accel_headers(self.accel, parts[1], served[0], served[1])
                headers += cors.media_headers(self.origins, environ.get("HTTP_ORIGIN"))
                start_response("200 OK", headers)
                return [b""]
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


    def _redirect(self, environ, start_response, name: str):
        """The view's 307 to where the client fetches ``name`` itself, without Flask."""
        try:
            url = self.signed.get(name)
        except Exception:
            url = None
        if url is None:
            # The view says why, in the app's own error answer.
            return self.wsgi_app(environ, start_response)
        # What the view's answer has too (the security hooks' nosniff, and
        # Date unless a server in front sends it), as local media answers do.
        headers = [("Location", url), ("Cache-Control", REDIRECT_CACHE_CONTROL),
                   ("Content-Length", "0"), ("X-Content-Type-Options", "nosniff"),
                   *cors.media_headers(self.origins, environ.get("HTTP_ORIGIN"))]
        if needs_date(environ):
            headers.append(("Date", http_date()))
        start_response("307 Temporary Redirect", headers)
        return [b""]


def init_app(app: Flask) -> None:
    """Answer ``GET``/``HEAD`` of media files before Flask does (:class:`MediaFastPath`)."""
    app.wsgi_app = MediaFastPath(app, app.wsgi_app)
