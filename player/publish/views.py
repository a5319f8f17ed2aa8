"""Publisher pages (``/publish/...``) and the publishing API (writes under ``/api/media``).

Pages and API share one implementation of each change; they differ only in
how a refusal is shown: a GOV.UK-style error summary on the page, the JSON
error body under ``/api/``. Every change rescans the library before it
answers, so the catalog, the API and the pages agree at once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from .. import db, openapi
from ..library import scan as library
from ..library.catalog import (
    absolute_url,
    all_items,
    find_item,
    get_storage,
    site_url,
)
from ..library.item import Item, Track
from ..library.probe import EXTENSIONS
from ..library.sources import counts_as_captions
from ..library.sources import find_track as find_track_by_key
from ..progress import views as progress_api
from ..renditions import enqueue_stale
from ..web import auth
from ..web.auth import publisher_required
from ..web.conditional import preconditions
from ..web.i18n import words as duration_words
from ..web.security import guard_session_writes
from . import editor, editor_api, history, uploads
from . import pending as pending_uploads
from .errors import LengthRequired
from .pending import CaptionsToFix
from .sweeper import SWEEP_SECONDS, Sweeper, longest_upload_seconds
from .uploads import UploadError

bp = Blueprint("publish", __name__)
# Every unsafe request of a page must come from this site with its CSRF token.
bp.before_request(guard_session_writes)
bp.register_blueprint(editor.bp)
bp.register_blueprint(editor_api.bp)

MAX_PROBLEMS_SHOWN = 100
_SWEEPER = "player.upload_sweeper"


@bp.record_once
def _setup(state) -> None:
    app = state.app
    auth.init_app(app)
    app.config.setdefault("UPLOAD_SWEEP_SECONDS", SWEEP_SECONDS)
    app.config.setdefault("UPLOAD_KEEP_SECONDS", pending_uploads.KEEP_SECONDS)
    # Longer than any upload takes; by default derived from the upload limit.
    app.config.setdefault("UPLOAD_STALE_SECONDS", None)
    stale = app.config["UPLOAD_STALE_SECONDS"]
    sweeper = Sweeper(
        get_storage(app), every=float(app.config["UPLOAD_SWEEP_SECONDS"]),
        stale_after=float(stale) if stale else longest_upload_seconds(
            int(app.config["MAX_UPLOAD_BYTES"])),
        keep_for=float(app.config["UPLOAD_KEEP_SECONDS"]), logger=app.logger)
    app.extensions[_SWEEPER] = sweeper
    sweeper.sweep()


@bp.teardown_app_request
def _sweep_uploads(exc: BaseException | None = None) -> None:
    # On the way out rather than in: the progress fast path answers reports
    # itself only while the app has no before-request hook, and a sweep need
    # not come before any answer.
    current_app.extensions[_SWEEPER].maybe_sweep()


# -- shared steps ------------------------------------------------------------------

@bp.app_template_filter("pub_date")
def _pub_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")


def _limit() -> int:
    return int(current_app.config["MAX_UPLOAD_BYTES"])


def _keep_for() -> float:
    return float(current_app.config["UPLOAD_KEEP_SECONDS"])


def _refresh() -> None:
    enqueue_stale(library.scan(get_storage(), db.get_db()).items)


def receive_form() -> uploads.ReceivedForm:
    """Stream the request's multipart body to temporary files.

    On a page, the form's CSRF token, which must come before any file part,
    was checked before the view ran (:func:`guard_session_writes`).
    """
    _check_length()
    try:
        stream = request.stream
    except RequestEntityTooLarge:
        raise uploads.too_large(_limit()) from None
    return uploads.receive_form(
        stream, request.headers.get("Content-Type", ""),
        storage=get_storage(), limit=_limit(),
    )


def _check_length() -> None:
    """A body needs a length, or chunked framing that ends it (RFC 9112 §6)."""
    sent = request.headers.get("Content-Length")
    if sent is not None and not (sent.isascii() and sent.isdigit()):
        raise UploadError(f"The Content-Length header {sent!r} is not a number of bytes.")
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if (sent is None and not chunked
            and not request.environ.get("wsgi.input_terminated")):
        raise LengthRequired("Send the upload with a Content-Length header (or with chunked"
                             " Transfer-Encoding); the server does not read a body of"
                             " unknown length.")


def _field_errors(checks: dict[str, str | None]) -> None:
    errors = {name: message for name, message in checks.items() if message}
    if errors:
        raise UploadError(" ".join(errors.values()), fields=errors)


def _length(value: str, limit: int, what: str) -> str | None:
    return f"{what} must be {limit} characters or fewer." if len(value) > limit else None


def _side_file(form: uploads.ReceivedForm, name: str) -> uploads.TempFile | None:
    temp = form.file(name)
    if temp is not None and temp.size > uploads.MAX_SIDE_FILE_BYTES:
        what = "The poster" if name.endswith("poster") else "The caption file"
        error = uploads.too_large(uploads.MAX_SIDE_FILE_BYTES, what)
        error.fields = {name: error.message}
        raise error
    return temp


def create_item(form: uploads.ReceivedForm) -> str:
    """Check an upload and put it in the library; returns the new id.

    :raises CaptionsToFix: if only the caption file is at fault: the media
        file (and poster) are kept as a pending upload, to finish with a
        corrected caption file alone.
    :raises UploadError: for anything else at fault; nothing is kept.
    """
    title = form.line("title")
    description = form.value("description").strip()
    language = form.line("language") or "en"
    media = form.file("file")
    _field_errors({
        "title": _length(title, uploads.MAX_TITLE, "The title"),
        "description": _length(description, uploads.MAX_DESCRIPTION, "The description"),
        "language": uploads.check_language(language),
        "file": None if media is not None else "Choose an audio or video file to upload.",
    })
    assert media is not None
    info = uploads.check_media(media)
    poster = _side_file(form, "poster")
    if poster is not None:
        uploads.poster_extension(poster)
    captions_file = form.file("captions")
    captions = None
    try:
        if captions_file is not None:
            _side_file(form, "captions")
            captions = uploads.prepare_track(
                captions_file, kind="captions", srclang=language, label="",
                duration=info.duration, field_name="captions")
    except UploadError as exc:
        try:
            raise pending_uploads.keep(
                get_storage(), media, poster, title=title, description=description,
                language=language, error=exc, captions=captions_file,
                keep_for=_keep_for()) from None
        except NotImplementedError:
            raise exc from None  # a storage that cannot keep uploads
    item_id = uploads.add_media(
        get_storage(), media, info, title=title, description=description, language=language,
        poster=poster, captions=captions)
    _refresh()
    return item_id


def finish_pending(pending_id: str, form: uploads.ReceivedForm) -> str:
    """Finish a pending upload with the form's corrected caption file; returns the new id.

    :raises PendingGone: if there is no such pending upload.
    :raises CaptionsToFix: if the caption file is missing or still has errors.
    """
    def add(media, info, pending, poster, captions) -> str:
        return uploads.add_media(
            get_storage(), media, info, title=pending.title, description=pending.description,
            language=pending.language, poster=poster, captions=captions)

    captions = _side_file(form, "captions") if form.file("captions") else None
    item_id = pending_uploads.finish(get_storage(), pending_id, captions, add,
                                     keep_for=_keep_for())
    _refresh()
    return item_id


def save_track(item: Item, form: uploads.ReceivedForm) -> uploads.StoredTrack:
    """Check an uploaded caption file and store it; returns where, and whether
    it replaced one.

    :raises ItemGone: if the item was deleted meanwhile.
    """
    kind = form.line("kind") or "captions"
    srclang = form.line("srclang") or item.language
    label = form.line("label")
    temp = _side_file(form, "file")
    _field_errors({
        "kind": uploads.check_kind(kind),
        "srclang": uploads.check_language(srclang),
        "label": _length(label, uploads.MAX_LABEL, "The label"),
        "file": None if temp is not None else "Choose a WebVTT, SRT or SBV file.",
    })
    assert temp is not None
    track = uploads.prepare_track(temp, kind=kind, srclang=srclang, label=label,
                                  duration=item.duration)
    stored = uploads.store_track(get_storage(), item, track)
    _refresh()
    return stored


def remove_item(item: Item) -> None:
    """Delete the item's files, then its viewers' progress and statistics
    (after the rescan: from then on, reports still queued for it are dropped)."""
    uploads.delete_item(get_storage(), item)
    _refresh()
    try:
        progress_api.forget_media(item.id)
    except TimeoutError:
        # The item is gone either way; its statistics go when the writer gets there.
        current_app.logger.warning("progress of %s will be deleted later", item.id)


def _find_track(item: Item, key: str) -> Track:
    track = find_track_by_key(item, key)
    if track is None:
        abort(404, f"The media item '{item.id}' has no track '{key}'.")
    return track


def remove_track(item: Item, track: Track) -> None:
    uploads.delete_track(get_storage(), item, track)
    _refresh()


# -- the JSON API -----------------------------------------------------------------------

def _created(item_id: str):
    item = find_item(item_id)
    history.item_created(item)
    response = jsonify(item.to_public())
    response.status_code = 201
    response.headers["Location"] = absolute_url("api.media_item", item_id=item_id)
    return response


def _with_link(exc: CaptionsToFix) -> CaptionsToFix:
    """``exc`` with the URL to send the corrected caption file to, in its
    message and in ``details.pending_upload.url``."""
    url = absolute_url("publish.api_finish_upload", pending_id=exc.pending.id)
    exc.details["pending_upload"]["url"] = url
    message = (f"{exc.cause.message} The media file was kept for"
               f" {duration_words(exc.keep_for)}: to finish, send"
               f" only the corrected caption file, as the multipart field 'captions', in a"
               f" POST to {url}.")
    exc.message = message
    exc.args = (message,)
    return exc


@bp.post("/api/media")
@publisher_required
@preconditions
def api_create():
    try:
        with receive_form() as form:
            item_id = create_item(form)
    except CaptionsToFix as exc:
        raise _with_link(exc) from None
    return _created(item_id)


@bp.post("/api/uploads/<pending_id>")
@publisher_required
@preconditions
def api_finish_upload(pending_id: str):
    try:
        with receive_form() as form:
            item_id = finish_pending(pending_id, form)
    except CaptionsToFix as exc:
        raise _with_link(exc) from None
    return _created(item_id)


@bp.delete("/api/uploads/<pending_id>")
@publisher_required
@preconditions
def api_discard_upload(pending_id: str):
    if not pending_uploads.discard(get_storage(), pending_id):
        raise pending_uploads.PendingGone(pending_id)
    return "", 204


@bp.delete("/api/media/<item_id>")
@publisher_required
@preconditions
def api_delete(item_id: str):
    item = find_item(item_id)
    history.check_delete_item(item)
    remove_item(item)
    history.item_deleted(item)
    return "", 204


@bp.post("/api/media/<item_id>/tracks")
@publisher_required
@preconditions
def api_add_track(item_id: str):
    item = find_item(item_id)
    with receive_form() as form:
        stored = save_track(item, form)
    track = stored.track
    key = f"{track.srclang}.{track.kind}"
    history.track_saved(item, key, track.label, stored.replaced)
    url = absolute_url("files.media_file", item_id=item_id, name=stored.name)
    response = jsonify({
        "id": key, "url": url, "kind": track.kind, "srclang": track.srclang,
        "label": track.label, "cues": track.cues, "problems": track.problems,
        "replaced": stored.replaced,
    })
    response.status_code = 200 if stored.replaced else 201
    # The track resource (read, PUT, DELETE); `url` is its public file.
    response.headers["Location"] = absolute_url("publish.editor_api.get_track", item_id=item_id,
                                                track_key=key)
    return response


@bp.delete("/api/media/<item_id>/tracks/<track_key>")
@publisher_required
@preconditions
def api_delete_track(item_id: str, track_key: str):
    item = find_item(item_id)
    track = _find_track(item, track_key)
    history.check_delete_track(item, track_key)
    remove_track(item, track)
    history.track_deleted(item, track_key, track.label)
    return "", 204


@bp.get("/api/openapi.json")
def openapi_json():
    examples = [item.id for item in all_items()[:3]]
    return jsonify(openapi.document(site_url(), _limit(), examples))


# -- accessibility status ------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One WCAG 1.2 need of an item and whether it is met.

    ``state`` is ``"met"``, ``"missing"``, ``"errors"`` or ``"not-needed"``.
    """

    key: str
    name: str
    state: str
    text: str
    link: str | None = None
    link_text: str | None = None


def _valid(item: Item, *kinds: str) -> list[Track]:
    # A draft not yet approved by a publisher is not captions a viewer can rely on.
    return [t for t in item.tracks if t.kind in kinds and counts_as_captions(t)]


def _broken(item: Item, *kinds: str) -> list[Track]:
    return [t for t in item.rejected_tracks if t.kind in kinds]


def accessibility_checks(item: Item, described_version: str | None = None) -> list[Check]:
    """What the item has and lacks for WCAG 1.2 (prerecorded media).

    Captions (1.2.2) and audio description (1.2.3, 1.2.5) apply to video; a
    transcript (1.2.1, 1.2.8) applies to all media and is built from the
    captions or subtitles.
    """
    edit = url_for("publish.edit", item_id=item.id)

    def add(kind: str) -> str:
        return url_for("publish.edit", item_id=item.id, kind=kind) + "#add-track"

    is_video = item.kind == "video"
    checks = []
    if not is_video:
        checks.append(Check("captions", "Captions", "not-needed",
                            "Not needed for audio; the transcript covers it."))
    elif _valid(item, "captions"):
        labels = ", ".join(t.label for t in _valid(item, "captions"))
        checks.append(Check("captions", "Captions", "met", f"Present and valid: {labels}."))
    elif _broken(item, "captions"):
        checks.append(Check("captions", "Captions", "errors",
                            "The captions file has errors, so players do not offer it.",
                            edit + "#tracks", "Fix the captions"))
    else:
        checks.append(Check("captions", "Captions", "missing", "No captions.",
                            add("captions"), "Add captions"))

    if not is_video:
        checks.append(Check("descriptions", "Audio description", "not-needed",
                            "Not needed for audio."))
    elif _valid(item, "descriptions"):
        checks.append(Check("descriptions", "Audio description", "met",
                            "Text descriptions track present."))
    elif described_version:
        checks.append(Check("descriptions", "Audio description", "met",
                            f"Described version: {described_version}.",
                            url_for("publish.edit", item_id=described_version),
                            "Open the described version"))
    elif _broken(item, "descriptions"):
        checks.append(Check("descriptions", "Audio description", "errors",
                            "The descriptions file has errors, so players do not offer it.",
                            edit + "#tracks", "Fix the descriptions"))
    else:
        checks.append(Check("descriptions", "Audio description", "missing",
                            "No descriptions track or described version.",
                            add("descriptions"), "Add descriptions"))

    if _valid(item, "captions", "subtitles"):
        checks.append(Check("transcript", "Transcript", "met", "Available.",
                            url_for("pages.transcript", item_id=item.id),
                            "Read the transcript"))
    else:
        checks.append(Check("transcript", "Transcript", "missing",
                            "Made from the captions, so it needs a valid captions file.",
                            add("captions"), "Add captions for a transcript"))
    return checks


def _checks_for(item: Item) -> list[Check]:
    metadata = uploads.read_metadata(get_storage(), Path(item.file).stem)
    described = metadata.get("described_version")
    return accessibility_checks(item, described if isinstance(described, str) else None)


# -- pages ------------------------------------------------------------------------------

SORTS = {
    "title": lambda row: row["item"].title.casefold(),
    "kind": lambda row: (row["item"].kind, row["item"].title.casefold()),
    "duration": lambda row: (row["item"].duration or 0, row["item"].title.casefold()),
    "status": lambda row: (row["todo"], row["item"].title.casefold()),
    "added": lambda row: (row["item"].mtime, row["item"].title.casefold()),
}
NEEDS = {
    "": "Any status",
    "todo": "Needs work",
    "captions": "Needs captions",
    "descriptions": "Needs audio description",
    "transcript": "Needs a transcript",
    "complete": "Complete",
}
KINDS = {"": "Audio and video", "video": "Video", "audio": "Audio"}


def _render_error(template: str, exc: UploadError, **context):
    errors = exc.fields or {context.pop("default_field", "file"): exc.message}
    return render_template(template, errors=errors, problems=exc.problems[:MAX_PROBLEMS_SHOWN],
                           problems_total=len(exc.problems), **context), exc.status


@bp.route("/publish/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next", "")
    if not next_url.startswith("/publish") or next_url.startswith("//"):
        next_url = url_for("publish.library")
    if request.method == "GET":
        return render_template("publish/login.html", errors={}, values={}, next=next_url)
    name = request.form.get("name", "").strip()
    secret = request.form.get("secret", "")
    errors = {}
    if not name:
        errors["name"] = "Enter your publisher name."
    if not secret:
        errors["secret"] = "Enter your password or publishing token."
    status = 400
    wait = 0
    if not errors:
        conn, address, now = db.get_db(), request.remote_addr or "", time.time()
        wait = auth.login_wait(conn, address, name, now)
        if wait:
            minutes = math.ceil(wait / 60)
            errors["secret"] = (f"Too many failed sign-ins. Try again in {minutes} minute"
                                f"{'' if minutes == 1 else 's'}.")
            status = 429
        elif (publisher := auth.check_credentials(conn, name, secret)) is not None:
            auth.record_login_success(conn, address, name)
            auth.log_in(publisher)
            return redirect(next_url, 303)
        else:
            auth.record_login_failure(conn, address, name, now)
            errors["secret"] = ("The name, password or token is not right, or the account"
                                " has been revoked.")
            status = 403
    page = render_template("publish/login.html", errors=errors, values={"name": name},
                           next=next_url)
    return page, status, {"Retry-After": str(wait)} if wait else {}


@bp.post("/publish/logout")
def logout():
    auth.log_out()
    flash("You have signed out.")
    return redirect(url_for("publish.login"), 303)


@bp.get("/publish/", endpoint="library")
@publisher_required
def library_page():
    sort = request.args.get("sort", "title")
    sort = sort if sort in SORTS else "title"
    order = "desc" if request.args.get("order") == "desc" else "asc"
    needs = request.args.get("needs", "")
    needs = needs if needs in NEEDS else ""
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    query = request.args.get("q", "").strip()

    rows = []
    for item in all_items():
        checks = _checks_for(item)
        todo = [c.key for c in checks if c.state in ("missing", "errors")]
        rows.append({"item": item, "checks": checks, "todo": len(todo), "todo_keys": todo})
    total = len(rows)
    if kind:
        rows = [r for r in rows if r["item"].kind == kind]
    if query:
        rows = [r for r in rows if query.casefold() in r["item"].title.casefold()]
    if needs == "todo":
        rows = [r for r in rows if r["todo"]]
    elif needs == "complete":
        rows = [r for r in rows if not r["todo"]]
    elif needs:
        rows = [r for r in rows if needs in r["todo_keys"]]
    rows.sort(key=SORTS[sort], reverse=order == "desc")

    def sort_url(column: str) -> str:
        flip = "desc" if column == sort and order == "asc" else "asc"
        filters = {k: v for k, v in (("needs", needs), ("kind", kind), ("q", query)) if v}
        return url_for("publish.library", sort=column, order=flip, **filters)

    return render_template(
        "publish/library.html", rows=rows, total=total, sort=sort, order=order, needs=needs,
        kind=kind, query=query, needs_choices=NEEDS, kind_choices=KINDS, sort_url=sort_url,
        sort_names={"title": "Title", "kind": "Kind", "duration": "Duration",
                    "status": "Accessibility", "added": "Added"},
        problems=library_problems())


def library_problems() -> list[tuple[str, str]]:
    return db.scan_problems(db.get_db())


def _upload_context() -> dict:
    limit = _limit()
    return {"limit": limit, "limit_text": uploads.format_size(limit),
            "formats": uploads.accepted_formats(),
            "accept": ",".join(["audio/*", "video/*", *EXTENSIONS]),
            "too_large_message": uploads.too_large(limit, "The file").message}


@bp.route("/publish/upload", methods=["GET", "POST"])
@publisher_required
def upload():
    if request.method == "GET":
        return render_template("publish/upload.html", errors={}, values={}, **_upload_context())
    values: dict[str, str] = {}
    try:
        with receive_form() as form:
            values = {k: form.value(k) for k in ("title", "description", "language")}
            item_id = create_item(form)
    except CaptionsToFix as exc:
        return _pending_page(exc.pending, exc.status)
    except UploadError as exc:
        return _render_error("publish/upload.html", exc, values=values, **_upload_context())
    return _uploaded(item_id)


def _uploaded(item_id: str):
    item = find_item(item_id)
    history.item_created(item)
    flash(f"Uploaded “{item.title}”.")
    return redirect(url_for("publish.edit", item_id=item_id), 303)


def _pending_page(pending: pending_uploads.Pending, status: int = 200):
    """The page of a pending upload: the caption file's errors, what is
    kept, and a form for the corrected caption file alone."""
    keep_for = _keep_for()
    return render_template(
        "publish/pending.html", pending=pending,
        errors={"captions": pending.message} if pending.message else {},
        problems=pending.problems[:MAX_PROBLEMS_SHOWN], problems_total=pending.problems_total,
        size_text=uploads.format_size(pending.size),
        keep_text=duration_words(keep_for),
        expires_at=pending_uploads.utc_timestamp(pending.kept_at + keep_for),
        side_limit_text=uploads.format_size(uploads.MAX_SIDE_FILE_BYTES)), status


@bp.route("/publish/upload/<pending_id>", methods=["GET", "POST"])
@publisher_required
def pending_upload(pending_id: str):
    if request.method == "GET":
        return _pending_page(pending_uploads.find(get_storage(), pending_id))
    try:
        with receive_form() as form:
            item_id = finish_pending(pending_id, form)
    except CaptionsToFix as exc:
        return _pending_page(exc.pending, exc.status)
    return _uploaded(item_id)


@bp.post("/publish/upload/<pending_id>/discard")
@publisher_required
def discard_upload(pending_id: str):
    if not pending_uploads.discard(get_storage(), pending_id):
        raise pending_uploads.PendingGone(pending_id)
    flash("The kept upload has been discarded.")
    return redirect(url_for("publish.upload"), 303)


def _edit_context(item: Item) -> dict:
    metadata = uploads.read_metadata(get_storage(), Path(item.file).stem)
    others = [i for i in all_items() if i.id != item.id and i.kind == "video"]
    return {
        "item": item, "public": item.to_public(), "checks": _checks_for(item),
        "described_version": metadata.get("described_version") or "",
        "other_items": others, "kinds": library.TRACK_KINDS,
        "chosen_kind": request.args.get("kind", "captions"),
        "limit_text": uploads.format_size(uploads.MAX_SIDE_FILE_BYTES),
    }


@bp.route("/publish/media/<item_id>", methods=["GET", "POST"])
@publisher_required
def edit(item_id: str):
    item = find_item(item_id)
    if request.method == "GET":
        return render_template("publish/edit.html", errors={}, track_errors={}, values={},
                               track_values={}, **_edit_context(item))
    values: dict[str, str] = {}
    try:
        with receive_form() as form:
            values = {k: v[0] for k, v in form.fields.items() if v}
            _update(item, form)
    except UploadError as exc:
        return _render_error("publish/edit.html", exc, values=values, track_errors={},
                             track_values={}, default_field="title", **_edit_context(item))
    history.item_updated(item, find_item(item_id))
    flash("Your changes have been saved.")
    return redirect(url_for("publish.edit", item_id=item_id), 303)


def _update(item: Item, form: uploads.ReceivedForm) -> None:
    title = form.line("title")
    description = form.value("description").strip()
    described = form.line("described_version")
    # Labels missing from the form stay as they are; an empty one means the default.
    labels = {t.key: form.line(f"label-{t.key}")
              for t in item.all_tracks()
              if f"label-{t.key}" in form.fields}
    known = {i.id for i in all_items()} - {item.id}
    checks = {
        "title": _length(title, uploads.MAX_TITLE, "The title")
        or (None if title else "Enter a title."),
        "description": _length(description, uploads.MAX_DESCRIPTION, "The description"),
        "described_version": None if not described or described in known
        else "Choose a described version from the list.",
    }
    for key, label in labels.items():
        checks[f"label-{key}"] = _length(label, uploads.MAX_LABEL, "A track label")
    _field_errors(checks)
    poster = _side_file(form, "poster")
    uploads.update_item(
        get_storage(), item, title=title, description=description, labels=labels,
        poster=poster, remove_poster=form.value("remove_poster") == "1",
        described_version=described or None)
    _refresh()


@bp.post("/publish/media/<item_id>/tracks")
@publisher_required
def add_track(item_id: str):
    item = find_item(item_id)
    values: dict[str, str] = {}
    try:
        with receive_form() as form:
            values = {k: form.value(k) for k in ("kind", "srclang", "label")}
            stored = save_track(item, form)
    except UploadError as exc:
        errors = exc.fields or {"file": exc.message}
        context = _edit_context(item)
        return render_template(
            "publish/edit.html", errors={}, values={}, track_errors=errors,
            track_values=values, problems=exc.problems[:MAX_PROBLEMS_SHOWN],
            problems_total=len(exc.problems), **context), exc.status
    track = stored.track
    key = f"{track.srclang}.{track.kind}"
    history.track_saved(item, key, track.label, stored.replaced)
    warnings = sum(1 for p in track.problems if p["severity"] == "warning")
    verb = "replaced" if stored.replaced else "added"
    note = f" with {warnings} warning{'s' if warnings != 1 else ''}: see below" if warnings else ""
    flash(f"Track “{track.label}” {verb}{note}.")
    return redirect(url_for("publish.edit", item_id=item_id) + f"#track-{key}", 303)


@bp.route("/publish/media/<item_id>/delete", methods=["GET", "POST"])
@publisher_required
def delete(item_id: str):
    item = find_item(item_id)
    history.check_delete_item(item)
    if request.method == "GET":
        return render_template("publish/delete.html", item=item, track=None)
    remove_item(item)
    history.item_deleted(item)
    flash(f"Deleted “{item.title}”.")
    return redirect(url_for("publish.library"), 303)


@bp.route("/publish/media/<item_id>/tracks/<track_key>/delete", methods=["GET", "POST"])
@publisher_required
def delete_track(item_id: str, track_key: str):
    item = find_item(item_id)
    track = _find_track(item, track_key)
    history.check_delete_track(item, track_key)
    if request.method == "GET":
        return render_template("publish/delete.html", item=item, track=track,
                               track_key=track_key)
    remove_track(item, track)
    history.track_deleted(item, track_key, track.label)
    flash(f"Deleted the track “{track.label}”.")
    return redirect(url_for("publish.edit", item_id=item_id) + "#tracks", 303)
