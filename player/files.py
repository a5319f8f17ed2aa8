"""Media, track and poster bytes.

Only names the catalog knows are served, so no part of the URL is ever
joined onto a filesystem path.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app
from flask_cors import CORS

from .catalog import find_item

bp = Blueprint("files", __name__)

_EXPOSED = ["Content-Range", "Accept-Ranges", "Content-Length", "ETag", "Last-Modified"]


@bp.get("/files/<item_id>/<name>")
def media_file(item_id: str, name: str):
    from .streaming import send_media

    item = find_item(item_id)
    media_dir = Path(current_app.config["MEDIA_DIR"])
    if name == item["file"]:
        return send_media(media_dir / name, item["mime"],
                          cache_control=f"public, max-age={current_app.config['MEDIA_MAX_AGE']}")
    if name == item.get("poster"):
        mime = {".png": "image/png", ".webp": "image/webp"}.get(Path(name).suffix.lower(),
                                                                 "image/jpeg")
        return send_media(media_dir / name, mime, cache_control="public, max-age=3600")
    for track in item["tracks"]:
        if track["file"] == name:
            return send_media(media_dir / name, "text/vtt; charset=utf-8",
                              cache_control="public, max-age=300")
    abort(404, f"The media item '{item_id}' has no file named '{name}'.")


def init_app(app: Flask) -> None:
    """Public, read-only resources get CORS; nothing with cookies does."""
    origins = app.config["CORS_ORIGINS"]
    if isinstance(origins, str) and origins != "*":
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    # A literal "*" keeps responses identical for every origin, so shared
    # caches and CDNs can store one copy.
    public = {"origins": origins, "supports_credentials": False, "send_wildcard": origins == "*"}
    CORS(
        app,
        resources={
            r"/files/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/static/player/*": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/api/media$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/api/media/[^/]+$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/api/media/[^/]+/transcript$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/api/search$": {**public, "methods": ["GET", "HEAD", "OPTIONS"]},
            r"/oembed$": {**public, "methods": ["GET", "OPTIONS"]},
        },
        expose_headers=_EXPOSED,
        allow_headers=["Range", "Content-Type", "If-None-Match", "If-Range",
                       "If-Modified-Since"],
        max_age=86400,
    )
