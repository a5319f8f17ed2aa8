"""Catalog look-ups for views, and the public JSON shape of an item."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, abort, current_app, request, url_for

from .. import db
from ..renditions.record import item_fields
from .backends import for_app
from .scan import is_valid_id
from .storage import Storage
from .track_sources import track_key


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL, on ``PUBLIC_URL`` when the operator set one.

    Embedders on other origins fetch items from the API, so every URL in it
    must be absolute.
    """
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def site_url() -> str:
    """The site's root URL, on ``PUBLIC_URL`` when the operator set one."""
    public = current_app.config.get("PUBLIC_URL")
    return public.rstrip("/") + "/" if public else request.host_url


def media_base_url(name: str) -> str | None:
    """The stored object ``name`` under the ``MEDIA_BASE_URL`` setting (a CDN
    in front of the storage), or ``None`` when it is not set."""
    base = current_app.config.get("MEDIA_BASE_URL")
    return f"{base.rstrip('/')}/{quote(name)}" if base else None


def get_storage(app: Flask | None = None) -> Storage:
    """The library's storage, of ``app`` or else of the current app.

    :raises StorageError: if the app's ``STORAGE`` setting is not usable.
    """
    return for_app(app if app is not None else current_app)


def all_items() -> list[dict]:
    """Every catalog item, by title."""
    return db.catalog(db.get_db())


def find_item(item_id: str) -> dict:
    """The catalog entry for ``item_id``.

    :raises NotFound: naming the id, if there is no such item.
    """
    item = db.catalog_item(db.get_db(), item_id) if is_valid_id(item_id) else None
    if item is None:
        abort(404, f"There is no media item with the id '{item_id}'.")
    return item


def track_id(track: dict) -> str:
    """A track's key within its item: ``"en.captions"``, a draft's ``"en.captions.automatic"``."""
    return track_key(track)


def rendition_url(item_id: str, folder: str, name: str) -> str:
    """The absolute URL of one of an item's rendition files: under
    ``MEDIA_BASE_URL`` when set, else the app's ``/hls/`` route."""
    return (media_base_url(f".renditions/{item_id}/{folder}/{name}")
            or absolute_url("renditions.rendition_file", item_id=item_id, folder=folder,
                            name=name))


def public_item(item: dict) -> dict:
    """The public JSON of an item (ITEM in the API): every URL absolute.

    With HLS renditions ready, ``sources`` lists the master playlist before
    the original file, and ``renditions`` and ``audio_only`` describe them.
    """
    item_id = item["id"]
    original = [{
        "url": (media_base_url(item["file"])
                or absolute_url("files.media_file", item_id=item_id, name=item["file"])),
        "type": item["mime"],
    }]
    return {
        "id": item_id,
        "title": item["title"],
        "description": item["description"],
        "language": item["language"],
        "kind": item["kind"],
        "duration": item["duration"],
        "width": item.get("width"),
        "height": item.get("height"),
        **item_fields(item, original, rendition_url),
        "tracks": [
            {
                "url": absolute_url("files.media_file", item_id=item_id, name=t["file"]),
                "kind": t["kind"],
                "srclang": t["srclang"],
                "label": t["label"],
                "source": t.get("source", "author"),
                "approved": t.get("approved", True),
                "cues": t["cues"],
                "warnings": sum(1 for p in t["problems"] if p["severity"] == "warning"),
            }
            for t in item["tracks"]
        ],
        "rejected_tracks": [
            {
                "kind": t["kind"], "srclang": t["srclang"], "label": t["label"],
                "errors": [p for p in t["problems"] if p["severity"] == "error"],
            }
            for t in item.get("rejected_tracks", [])
        ],
        "poster": (
            absolute_url("files.media_file", item_id=item_id, name=item["poster"])
            if item.get("poster") else None
        ),
        "transcript": {
            "html": absolute_url("pages.transcript", item_id=item_id),
            "txt": absolute_url("pages.transcript_text", item_id=item_id),
            "json": absolute_url("api.transcript", item_id=item_id),
        },
        "watch_url": absolute_url("pages.watch", item_id=item_id),
        "embed_url": absolute_url("embed.embed_page", item_id=item_id),
    }
