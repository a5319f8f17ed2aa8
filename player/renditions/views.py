"""Serving renditions (``/hls/<id>/<folder>/<name>``) and what ITEM says of them.

Locally the files go out through ``sendfile`` with ranges and conditional
requests. From object storage, playlists are sent by the app (they are
small, and the relative URIs in them must resolve to URLs that work) and
segments are redirected to the storage (a presigned URL), as ``/files/``
does; with ``MEDIA_BASE_URL`` set, ITEM points at the CDN directly.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, redirect, request

from ..library import nested
from ..library.catalog import find_item, get_storage
from ..web.streaming import send_media
from . import build, hlsjs

bp = Blueprint("renditions", __name__)

#: Seconds a client may use a URL the storage signs for a segment.
CLIENT_URL_SECONDS = 3600


@bp.get("/hls/<item_id>/<folder>/<name>")
def rendition_file(item_id: str, folder: str, name: str) -> Response:
    """Send one rendition file of an item: a playlist (cached 10 s) or a
    segment (cached a year, immutable).

    :raises NotFound: if the item, the folder or the file is not there.
    """
    item = find_item(item_id)
    if not build.is_version(folder) or name.startswith(".") or "/" in name:
        abort(404, f"The media item '{item_id}' has no rendition file '{folder}/{name}'.")
    storage = get_storage()
    folder_storage = nested.nested(storage, item.id, folder)
    if folder_storage is None:
        abort(404, "This storage keeps no renditions.")
    mime, cache_control = build.content_type(name), build.cache_control(name)
    path = folder_storage.local_path(name)
    if path is not None:
        return send_media(path, mime, cache_control=cache_control)
    if name.endswith((".m3u8", ".vtt")):
        try:
            data = folder_storage.read_bytes(name)
        except FileNotFoundError:
            abort(404, f"The rendition file '{folder}/{name}' is not there.")
        response = Response(data, 200, content_type=mime)
        response.headers["Cache-Control"] = cache_control
        response.add_etag()
        return response.make_conditional(request)
    url = folder_storage.url_for_client(name, CLIENT_URL_SECONDS)
    if url is None:
        abort(404, f"The file '{name}' cannot be sent from this storage.")
    response = redirect(url, 307)
    # The URL expires, so no cache may keep the redirect for long.
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def init_app(app: Flask) -> None:
    """Settings' defaults, the ``/hls/`` route and hls.js's, and what templates need."""
    app.config.setdefault("RENDITIONS", True)
    app.config.setdefault("RENDITIONS_PRESET", "veryfast")
    app.config.setdefault("FFMPEG", None)
    app.config.setdefault("HLSJS_URL", None)
    app.config.setdefault("HLSJS_INTEGRITY", None)
    app.register_blueprint(bp)
    hlsjs.init_app(app)
