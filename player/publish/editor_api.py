"""The caption editor's operations in the bearer-token API, under
``/api/media/<id>/tracks/<key>``: read a track's text with its entity tag,
replace it with ``If-Match``, check a text, list the versions, read one,
and revert. The pages' editor (:mod:`.editor`) does the same with the
session; both go through :mod:`.versions`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import db
from ..library.catalog import find_item, get_storage
from ..web.auth import publisher_required
from ..web.conditional import preconditions
from . import editor, versions

bp = Blueprint("editor_api", __name__)

VTT_TYPE = "text/vtt; charset=utf-8"


@bp.get("/api/media/<item_id>/tracks/<track_key>")
@publisher_required
def get_track(item_id: str, track_key: str):
    item = find_item(item_id)
    track = editor.find_track(item, track_key)
    data, etag = versions.read_track(get_storage(), track)
    response = Response(data, content_type=VTT_TYPE)
    response.headers["ETag"] = versions.quoted(etag)
    return response


@bp.put("/api/media/<item_id>/tracks/<track_key>")
@publisher_required
@preconditions
def put_track(item_id: str, track_key: str):
    item = find_item(item_id)
    track = editor.find_track(item, track_key)
    saved = editor.save_text(item, track, editor.request_text(), request.headers.get("If-Match"))
    return editor.saved_answer(item, track, saved)


@bp.post("/api/media/<item_id>/tracks/<track_key>/check")
@publisher_required
def check_track(item_id: str, track_key: str):
    item = find_item(item_id)
    return editor.check_answer(item, editor.find_track(item, track_key), editor.request_text())


@bp.get("/api/media/<item_id>/tracks/<track_key>/versions")
@publisher_required
def list_versions(item_id: str, track_key: str):
    item = find_item(item_id)
    track = editor.find_track(item, track_key)
    _, etag = versions.read_track(get_storage(), track)
    return jsonify({"versions": [v.as_json(etag)
                                 for v in versions.history(db.get_db(), item, track)]})


@bp.get("/api/media/<item_id>/tracks/<track_key>/versions/<int:number>")
@publisher_required
def get_version(item_id: str, track_key: str, number: int):
    item = find_item(item_id)
    track = editor.find_track(item, track_key)
    body = versions.version_text(db.get_db(), item, track, number)
    return Response(body, content_type=VTT_TYPE)


@bp.post("/api/media/<item_id>/tracks/<track_key>/versions/<int:number>/revert")
@publisher_required
def revert_version(item_id: str, track_key: str, number: int):
    item = find_item(item_id)
    track = editor.find_track(item, track_key)
    saved = editor.revert_to(item, track, number, request.headers.get("If-Match"))
    return editor.saved_answer(item, track, saved)
