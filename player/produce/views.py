"""Starting align and transcribe jobs: the JSON API (bearer token) and the
publisher's item page (a form to time a script, a button to draft from speech).

- ``POST /api/media/<id>/align`` (multipart ``text`` file or field, ``srclang``,
  ``kind``) and ``POST /api/media/<id>/transcribe`` (``srclang``) answer 202
  ``{"job": JOB}``; the finished job adds a draft track beside the author's.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..errors import PlayerError
from ..languages import is_language_tag
from ..library.catalog import absolute_url, find_item
from ..library.item import Item
from ..web.auth import current_publisher, publisher_required
from ..web.security import guard_session_writes
from . import asr
from .drafts import ALIGN_KINDS
from .script import MAX_SCRIPT_CHARS, ScriptError, parse_script

bp = Blueprint("produce", __name__)
# Every unsafe request of a page must come from this site with its CSRF token.
bp.before_request(guard_session_writes)

#: Bytes of a script file read at most: UTF-8 of the longest script accepted.
MAX_SCRIPT_BYTES = MAX_SCRIPT_CHARS * 4


class RequestInvalid(PlayerError, ValueError):
    """An align or transcribe request is missing something or has a bad value."""

    status = 422
    code = "unprocessable"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, details={"field": field})
        self.field = field


def _script_text() -> str:
    """The script from the ``text`` file part or field.

    :raises RequestInvalid: when there is none, or it is not UTF-8 text.
    """
    upload = request.files.get("text")
    if upload is not None and upload.filename:
        data = upload.read(MAX_SCRIPT_BYTES + 1)
        if len(data) > MAX_SCRIPT_BYTES:
            raise RequestInvalid(f"The script file is larger than {MAX_SCRIPT_BYTES} bytes.",
                                 "text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RequestInvalid(f"The script file is not UTF-8 text (byte {exc.start + 1}"
                                 " is not); save it as UTF-8 plain text.", "text") from None
    else:
        text = request.form.get("text", "")
    if not text.strip():
        raise RequestInvalid("Paste the script, or choose a plain-text file of it.", "text")
    return text


def _language(item: Item) -> str:
    srclang = (request.form.get("srclang") or "").strip() or item.language
    if not is_language_tag(srclang):
        raise RequestInvalid("Enter a language code such as 'en', 'uk' or 'pt-BR'.", "srclang")
    return srclang


def _by() -> str | None:
    publisher = current_publisher()
    return publisher.name if publisher is not None else None


def enqueue_align(item: Item):
    """Check an align request and queue its job.

    :raises RequestInvalid: for a bad field; :raises ScriptError: for a bad script.
    """
    from .. import jobs

    text = _script_text()
    kind = (request.form.get("kind") or "captions").strip()
    if kind not in ALIGN_KINDS:
        raise RequestInvalid(f"A script is timed as {' or '.join(ALIGN_KINDS)}, not '{kind}'.",
                             "kind")
    srclang = _language(item)
    try:
        parse_script(text)
    except ScriptError as exc:
        raise RequestInvalid(str(exc), "text") from None
    return jobs.enqueue("align", item.id, {"text": text, "srclang": srclang, "kind": kind,
                                              "by": _by()})


def enqueue_transcribe(item: Item):
    """Check a transcribe request (the item's language, an engine that has
    it) and queue its job.

    :raises LanguageRefused: naming the language and what to do.
    """
    from flask import current_app

    from .. import jobs

    srclang = _language(item)
    asr.check_language(asr.engine_from(current_app.config), srclang, item.language)
    return jobs.enqueue("transcribe", item.id, {"srclang": srclang, "by": _by()})


def _accepted(job):
    from flask import jsonify

    response = jsonify({"job": job.to_public()})
    response.status_code = 202
    response.headers["Location"] = absolute_url("api.job_status", job_id=job.id)
    return response


@bp.post("/api/media/<item_id>/align")
@publisher_required
def api_align(item_id: str):
    return _accepted(enqueue_align(find_item(item_id)))


@bp.post("/api/media/<item_id>/transcribe")
@publisher_required
def api_transcribe(item_id: str):
    return _accepted(enqueue_transcribe(find_item(item_id)))


def _page_with_errors(item: Item, errors: dict, values: dict, status: int):
    from ..publish.views import _edit_context

    # The page's own error summary lists them (and takes focus), linking to the fields.
    return render_template("publish/edit.html", errors=errors, track_errors={}, values={},
                           track_values={}, produce_errors=errors, produce_values=values,
                           **_edit_context(item)), status


@bp.post("/publish/media/<item_id>/align")
@publisher_required
def align_page(item_id: str):
    item = find_item(item_id)
    try:
        enqueue_align(item)
    except RequestInvalid as exc:
        values = {k: request.form.get(k, "") for k in ("text", "srclang", "kind")}
        return _page_with_errors(item, {f"align-{exc.field}": str(exc)}, values, 422)
    flash("Timing the script against the sound; its progress shows under “Make captions”."
          " The draft appears as a track when it is done.")
    return redirect(url_for("publish.edit", item_id=item_id) + "#produce-heading", 303)


@bp.post("/publish/media/<item_id>/transcribe")
@publisher_required
def transcribe_page(item_id: str):
    item = find_item(item_id)
    try:
        enqueue_transcribe(item)
    except (RequestInvalid, asr.LanguageRefused) as exc:
        return _page_with_errors(item, {"transcribe-srclang": str(exc)}, {}, 422)
    flash("Drafting captions from speech; its progress shows under “Make captions”.")
    return redirect(url_for("publish.edit", item_id=item_id) + "#produce-heading", 303)
