"""The caption editor: its page, the JSON it talks to, a track's history and revert.

Pages (signed-in publishers, ``/publish/media/<id>/tracks/<key>/...``):

- ``edit``: the editor (``static/js/editor.js``); without JavaScript it
  says so and links to the history and the upload form;
- ``text``: GET the track's text and entity tag as JSON; PUT a new text
  with ``If-Match`` (412 when someone saved meanwhile, 422 with each error's
  line when the text has errors; nothing is written then);
- ``check``: POST a text, get the checker's problems, nothing stored;
- ``versions``: the history page, a version's text, and revert.

Writes from the pages carry the session's CSRF token (``X-CSRF-Token`` or
the form field), as every publisher page's do. The bearer-token API has the
same operations under ``/api/media/<id>/tracks/<key>`` (:mod:`.editor_api`).
Every change goes through :mod:`.versions`, then rescans the library so the
catalog, the search index and the transcripts have the new text at once.
"""

from __future__ import annotations

import functools
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from .. import db
from ..captions import MAX_CHARS_PER_SECOND, MAX_LINE_LENGTH, MAX_LINES
from ..errors import PlayerError
from ..library import cues, sources
from ..library import scan as library
from ..library.catalog import find_item, get_storage
from ..library.item import Item, Track
from ..web.auth import current_publisher, publisher_required
from ..web.errors import error_response
from . import history, versions
from .uploads import MAX_SIDE_FILE_BYTES

bp = Blueprint("editor", __name__)

#: Words a second an audio description is spoken at: a describer's usual
#: pace, about 160 words a minute, is a little faster than this estimate,
#: which leaves room for a slower synthetic voice.
DESCRIPTION_WORDS_PER_SECOND = 2.5
#: Kinds whose cues are speech a description must not talk over.
DIALOGUE_KINDS = ("captions", "subtitles")
# A track's new text comes as WebVTT; text/plain is what many tools send for it.
TEXT_TYPES = ("text/vtt", "text/plain")


# -- shared steps ------------------------------------------------------------------

def find_track(item: Item, key: str) -> Track:
    """The item's track (offered or rejected) ``key`` (``en.captions``, a
    draft's ``en.captions.automatic``).

    :raises NotFound: naming the track, if the item has none such.
    """
    track = sources.find_track(item, key)
    if track is None:
        abort(404, f"The media item '{item.id}' has no track '{key}'.")
    return track


def refresh() -> None:
    """Rescan the library, so every cache sees the new text."""
    library.scan(get_storage(), db.get_db())


def request_text() -> str:
    """The request body as text: a WebVTT file, UTF-8.

    :raises versions.TrackTooLarge: past the caption file limit.
    :raises UnsupportedMediaType: when the Content-Type names something else.
    :raises BadRequest: when it is not UTF-8.
    """
    sent = request.mimetype
    if sent and sent not in TEXT_TYPES:
        raise UnsupportedMediaType(
            f"Send the captions as WebVTT text (Content-Type: text/vtt), not {sent}.")
    length = request.content_length
    if length is not None and length > MAX_SIDE_FILE_BYTES:
        raise versions.TrackTooLarge()
    data = request.get_data(cache=False)
    if len(data) > MAX_SIDE_FILE_BYTES:
        raise versions.TrackTooLarge()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        abort(400, f"The text is not UTF-8 (byte {exc.start + 1} is not); send WebVTT as UTF-8.")


def text_answer(item: Item, track: Track) -> Response:
    """The track's text and entity tag as JSON, the tag in ``ETag`` too."""
    data, etag = versions.read_track(get_storage(), track)
    listed = versions.history(db.get_db(), item, track)
    response = jsonify({
        "text": data.decode("utf-8", "replace"), "etag": versions.quoted(etag),
        "kind": track.kind, "srclang": track.srclang, "label": track.label,
        "version": listed[0].id if listed and listed[0].etag == etag else None,
    })
    response.headers["ETag"] = versions.quoted(etag)
    return response


def check_answer(item: Item, track: Track, text: str) -> Response:
    """The checker's problems with ``text`` as the track's, nothing stored."""
    report, problems = versions.check_text(text, kind=track.kind,
                                           duration=item.duration)
    return jsonify({"ok": report.ok, "cues": len(report.cues), "problems": problems})


def saved_answer(item: Item, track: Track, saved: versions.Saved, status: int = 200) -> Response:
    """The answer to a save or revert: the new entity tag and version."""
    response = jsonify({"etag": versions.quoted(saved.etag), "version": saved.version,
                        "problems": saved.problems})
    response.status_code = status
    response.headers["ETag"] = versions.quoted(saved.etag)
    return response


def save_text(item: Item, track: Track, text: str, if_match: str | None) -> versions.Saved:
    """Save a new text of the track, record it, and rescan."""
    saved = versions.save(get_storage(), db.get_db(), item, track, text, if_match=if_match,
                          publisher=current_publisher())
    if saved.version is not None:
        refresh()
        history.track_saved(item, track.key, track.label, True)
    return saved


def revert_to(item: Item, track: Track, number: int, if_match: str | None) -> versions.Saved:
    """Make an old version the track's text again, record it, and rescan."""
    saved = versions.revert(get_storage(), db.get_db(), item, track, number,
                            if_match=if_match, publisher=current_publisher())
    if saved.version is not None:
        refresh()
        history.track_saved(item, track.key, track.label, True)
    return saved


def _json_errors(view):
    """Answer a refusal of a JSON endpoint of the pages in JSON, as the API
    does, so the editor can show its message (and its problems)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except PlayerError as exc:
            if exc.status >= 500:
                raise
            response = error_response(exc.status, str(exc), exc.error_details(), exc.code)
            for name, value in (exc.headers or {}).items():
                response.headers[name] = value
            return response
        except HTTPException as exc:
            if exc.code is None or exc.code >= 500:
                raise
            return error_response(exc.code, exc.description or exc.name)

    return wrapped


# -- the page ------------------------------------------------------------------------

def _dialogue(item: Item, track: Track) -> list[list[float]]:
    """Start and end of each cue of speech a description must fit between:
    the captions (else subtitles) in the description's language, else in any."""
    candidates = [t for t in item.all_tracks()
                  if t.kind in DIALOGUE_KINDS]
    candidates.sort(key=lambda t: (t.srclang != track.srclang,
                                   DIALOGUE_KINDS.index(t.kind)))
    if not candidates:
        return []
    chosen = candidates[0]
    try:
        report = cues.track_report(get_storage(), chosen.file, kind=chosen.kind,
                                   duration=item.duration)
    except FileNotFoundError:
        return []
    return [[round(c.start, 3), round(c.end, 3)] for c in report.cues]


@bp.get("/publish/media/<item_id>/tracks/<track_key>/edit")
@publisher_required
def page(item_id: str, track_key: str):
    item = find_item(item_id)
    track = find_track(item, track_key)
    public = item.to_public()
    config = {
        "text": url_for(".text", item_id=item_id, track_key=track_key),
        "check": url_for(".check", item_id=item_id, track_key=track_key),
        "versions": url_for(".versions_page", item_id=item_id, track_key=track_key),
        "watch": public["watch_url"],
        "approve": url_for(".approve", item_id=item_id, track_key=track_key),
        "kind": track.kind,
        "duration": item.duration,
        "maxCharsPerSecond": MAX_CHARS_PER_SECOND,
        "maxLineLength": MAX_LINE_LENGTH,
        "maxLines": MAX_LINES,
        "wordsPerSecond": DESCRIPTION_WORDS_PER_SECOND,
        "dialogue": _dialogue(item, track) if track.kind == "descriptions" else [],
    }
    return render_template(
        "publish/editor.html", item=item, track=track, track_key=track_key,
        source=public["sources"][0], editor_config=json.dumps(config, separators=(",", ":")),
        rejected=track in item.rejected_tracks)


@bp.get("/publish/media/<item_id>/tracks/<track_key>/text")
@publisher_required
@_json_errors
def text(item_id: str, track_key: str):
    item = find_item(item_id)
    return text_answer(item, find_track(item, track_key))


@bp.put("/publish/media/<item_id>/tracks/<track_key>/text")
@publisher_required
@_json_errors
def save(item_id: str, track_key: str):
    item = find_item(item_id)
    track = find_track(item, track_key)
    saved = save_text(item, track, request_text(), request.headers.get("If-Match"))
    return saved_answer(item, track, saved)


@bp.post("/publish/media/<item_id>/tracks/<track_key>/check")
@publisher_required
@_json_errors
def check(item_id: str, track_key: str):
    item = find_item(item_id)
    return check_answer(item, find_track(item, track_key), request_text())


@bp.post("/publish/media/<item_id>/tracks/<track_key>/approve")
@publisher_required
@_json_errors
def approve(item_id: str, track_key: str):
    """Approve a draft as the publisher reviewed it: ``If-Match`` names the
    text they saw, so a draft changed since is not approved unseen."""
    item = find_item(item_id)
    track = find_track(item, track_key)
    _, etag = versions.read_track(get_storage(), track)
    if_match = request.headers.get("If-Match")
    if if_match is None:
        raise versions.IfMatchRequired(etag)
    if not versions.if_match_holds(if_match, etag):
        raise versions.TrackChanged(etag, None)
    done = sources.approve(item_id, track.key, current_publisher().name)
    return jsonify({"key": done.key, "approved": done.approved})


# -- history ------------------------------------------------------------------------

def _versions_context(item: Item, track: Track, track_key: str) -> dict:
    _, etag = versions.read_track(get_storage(), track)
    return {"item": item, "track": track, "track_key": track_key, "etag": etag,
            "versions": versions.history(db.get_db(), item, track)}


@bp.get("/publish/media/<item_id>/tracks/<track_key>/versions")
@publisher_required
def versions_page(item_id: str, track_key: str):
    item = find_item(item_id)
    track = find_track(item, track_key)
    return render_template("publish/versions.html", errors={},
                           **_versions_context(item, track, track_key))


@bp.get("/publish/media/<item_id>/tracks/<track_key>/versions/<int:number>")
@publisher_required
def version_text(item_id: str, track_key: str, number: int):
    item = find_item(item_id)
    track = find_track(item, track_key)
    body = versions.version_text(db.get_db(), item, track, number)
    return Response(body, mimetype="text/plain")


@bp.post("/publish/media/<item_id>/tracks/<track_key>/versions/<int:number>/revert")
@publisher_required
def revert(item_id: str, track_key: str, number: int):
    item = find_item(item_id)
    track = find_track(item, track_key)
    etag = request.form.get("etag", "")
    try:
        saved = revert_to(item, track, number, versions.quoted(etag) if etag else None)
    except (versions.TrackChanged, versions.TrackInvalid, versions.IfMatchRequired) as exc:
        context = _versions_context(item, track, track_key)
        return render_template("publish/versions.html", errors={"versions": str(exc)},
                               **context), exc.status
    if saved.version is None:
        flash(f"Version {number} is already the track’s text; nothing changed.")
    else:
        flash(f"Reverted to version {number}: it is now version {saved.version}.")
    return redirect(url_for(".versions_page", item_id=item_id, track_key=track_key), 303)
