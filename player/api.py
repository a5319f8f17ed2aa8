"""The JSON API."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .library.catalog import all_items, find_item, get_storage, public_item

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/media")
def media_list():
    return jsonify({"items": [public_item(item) for item in all_items()]})


@bp.get("/media/<item_id>")
def media_item(item_id: str):
    return jsonify(public_item(find_item(item_id)))


@bp.get("/media/<item_id>/transcript")
def transcript(item_id: str):
    from .transcripts.tracks import transcript_json

    return jsonify(transcript_json(find_item(item_id), get_storage(),
                                   request.args.get("lang") or None))
