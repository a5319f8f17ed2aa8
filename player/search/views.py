"""Transcript search: the results page and its JSON twin."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from .. import db
from ..library.catalog import Item, absolute_url
from ..web.i18n import message_in, request_language
from .index import MAX_COUNTED, SearchQueryError, SearchResults, search

bp = Blueprint("search", __name__)


def seconds_param(value: float) -> str:
    """A time for a ``?t=`` parameter: ``12.5``, ``3``, never ``3.000``."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


@bp.get("/search")
def page():
    text = request.args.get("q", "")
    try:
        results = search(db.get_db(), text) if text.strip() else None
    except SearchQueryError as exc:
        error, error_lang = message_in(request_language(), str(exc))
        return render_template("search.html", query=text, results=None,
                               error=error, error_lang=error_lang), 400
    # Titles are marked with their item's language where the page speaks
    # another: looked up for the items shown, not the whole catalog.
    languages = {}
    for item in results.items if results else ():
        entry = db.catalog_item(db.get_db(), item.media_id)
        languages[item.media_id] = Item.from_dict(entry).language if entry else None
    return render_template("search.html", query=text, results=results, error=None,
                           seconds_param=seconds_param, max_counted=MAX_COUNTED,
                           item_languages=languages)


def _json(results: SearchResults | None) -> dict:
    if results is None:
        return {"query": "", "total": 0, "total_items": 0, "complete": True, "results": []}
    return {
        "query": results.query.text,
        "total": results.total_hits,
        "total_items": results.total_items,
        "complete": results.complete,
        "results": [
            {
                "media_id": item.media_id,
                "title": item.title,
                "total": item.total,
                "exact": item.exact,
                "watch_url": absolute_url("pages.watch", item_id=item.media_id),
                "hits": [
                    {
                        "start": hit.start, "end": hit.end, "text": hit.text,
                        "html": str(hit.html), "kind": hit.kind, "lang": hit.lang,
                        "url": absolute_url("pages.watch", item_id=item.media_id,
                                            t=seconds_param(hit.start)),
                    }
                    for hit in item.hits
                ],
            }
            for item in results.items
        ],
    }


@bp.get("/api/search")
def api():
    text = request.args.get("q", "")
    results = search(db.get_db(), text) if text.strip() else None
    return jsonify(_json(results))
