"""The absolute URLs the catalog hands out: on ``PUBLIC_URL`` when the
operator set one, under ``MEDIA_BASE_URL`` for stored objects when set."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request, url_for


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


def rendition_url(item_id: str, folder: str, name: str) -> str:
    """The absolute URL of one of an item's rendition files: under
    ``MEDIA_BASE_URL`` when set, else the app's ``/hls/`` route."""
    return (media_base_url(f".renditions/{item_id}/{folder}/{name}")
            or absolute_url("renditions.rendition_file", item_id=item_id, folder=folder,
                            name=name))
