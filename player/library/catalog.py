"""Catalog look-ups for views, and the URLs the catalog hands out."""

from __future__ import annotations

from flask import Flask, abort, current_app

from .. import db
from .backends import for_app
from .item import Item, Track
from .scan import is_valid_id
from .storage import Storage
from .urls import absolute_url, media_base_url, rendition_url, site_url

__all__ = ["Item", "Track", "absolute_url", "all_items", "find_item", "get_storage",
           "media_base_url", "rendition_url", "site_url"]


def get_storage(app: Flask | None = None) -> Storage:
    """The library's storage, of ``app`` or else of the current app.

    :raises StorageError: if the app's ``STORAGE`` setting is not usable.
    """
    return for_app(app if app is not None else current_app)


def all_items() -> list[Item]:
    """Every catalog item, by title."""
    return [Item.from_dict(data) for data in db.catalog(db.get_db())]


def find_item(item_id: str) -> Item:
    """The catalog entry for ``item_id``.

    :raises NotFound: naming the id, if there is no such item.
    """
    data = db.catalog_item(db.get_db(), item_id) if is_valid_id(item_id) else None
    if data is None:
        abort(404, f"There is no media item with the id '{item_id}'.")
    return Item.from_dict(data)
