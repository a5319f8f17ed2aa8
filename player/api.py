"""The JSON API."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import HTTPException, Unauthorized

from . import jobs
from .jobs import views as jobs_views
from .library.catalog import all_items, find_item, get_storage
from .web.auth import request_publisher

bp = Blueprint("api", __name__, url_prefix="/api")
# The publisher pages show an item's jobs with these (templates/publish/_jobs.html).
bp.record_once(lambda state: jobs_views.init_app(state.app))


def _for_publisher() -> bool:
    """Whether a public read comes from a publisher, who is shown more (an
    item's jobs). A bad token there gets the public answer, not an error."""
    try:
        return request_publisher() is not None
    except HTTPException:
        return False


def _private(response: Response, public: Response | None = None) -> Response:
    """Mark an answer made for one publisher: no cache keeps it (its jobs
    change as they run). Given the public answer to the same URL, it keeps
    that answer's entity tag: jobs are not a new version of an item, so a
    publisher's If-Match (a DELETE's, say) holds to what anyone reads there."""
    response.cache_control.private = True
    response.cache_control.no_store = True
    response.vary.update(("Authorization", "Cookie"))
    if public is not None:
        response.set_etag(hashlib.blake2b(public.get_data(), digest_size=16).hexdigest())
    return response


def _public(response: Response) -> Response:
    """Mark the answer anyone gets: it varies with the credentials sent,
    which bring a publisher's answer instead (RFC 9110 §12.5.5), so no cache
    hands it to a request that carries a token."""
    response.vary.update(("Authorization", "Cookie"))
    return response


@bp.get("/media")
def media_list():
    items = [item.to_public() for item in all_items()]
    if not _for_publisher():
        return _public(jsonify({"items": items}))
    public = jsonify({"items": items})
    found = jobs.by_media()
    for item in items:
        item["jobs"] = [job.to_public() for job in found.get(item["id"], [])]
    return _private(jsonify({"items": items}), public)


@bp.get("/media/<item_id>")
def media_item(item_id: str):
    item = find_item(item_id).to_public()
    if not _for_publisher():
        return _public(jsonify(item))
    public = jsonify(item)
    item["jobs"] = [job.to_public() for job in jobs.for_media(item_id)]
    return _private(jsonify(item), public)


@bp.get("/media/<item_id>/transcript")
def transcript(item_id: str):
    from .transcripts.tracks import transcript_json

    return jsonify(transcript_json(find_item(item_id), get_storage(),
                                   request.args.get("lang") or None))


@bp.get("/jobs/<int:job_id>")
def job_status(job_id: int):
    if request_publisher() is None:
        raise Unauthorized(
            "This needs a publisher token ('Authorization: Bearer <token>', from"
            " `player create-publisher NAME`) or a signed-in publisher session.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "publishing"}))
    job = jobs.get(job_id)
    if job is None:
        abort(404, f"There is no job with the id {job_id}.")
    return _private(jsonify(job.to_public()))
