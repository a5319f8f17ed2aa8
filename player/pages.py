"""Viewer pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from .library.catalog import all_items, find_item, get_storage
from .timecodes import parse_time

bp = Blueprint("pages", __name__)


@bp.get("/")
def library():
    items = [item.to_public() for item in all_items()]
    return render_template("library.html", items=items)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon as an ICO file (static/favicon.svg drawn at 16, 32 and
    48 pixels by scripts/make_favicon.py), where browsers look for it when a
    response names none (JSON, plain text) and where those that read no SVG
    icon find it, so no visit logs a 404 for it."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/watch/<item_id>")
def watch(item_id: str):
    from .transcripts.tracks import build_transcript, choose_tracks

    raw = find_item(item_id)
    item = raw.to_public()
    start = parse_time(request.args.get("t", ""), item["duration"])
    return render_template("watch.html", item=item, start=start,
                           transcript=build_transcript(raw, get_storage()),
                           transcript_tracks=choose_tracks(raw))


@bp.get("/watch/<item_id>/transcript")
def transcript(item_id: str):
    from .transcripts.tracks import build_transcript, choose_tracks, transcript_languages

    raw = find_item(item_id)
    lang = request.args.get("lang") or None
    tracks = choose_tracks(raw, lang)
    model = build_transcript(raw, get_storage(), lang)
    return render_template("transcript.html", item=raw.to_public(), transcript=model,
                           transcript_tracks=tracks, languages=transcript_languages(raw),
                           lang=lang)


@bp.get("/watch/<item_id>/transcript.txt")
def transcript_text(item_id: str):
    from .transcripts.tracks import transcript_text as text

    raw = find_item(item_id)
    timestamps = request.args.get("timestamps", "1") != "0"
    lang = request.args.get("lang") or None
    body = text(raw, get_storage(), timestamps=timestamps, lang=lang)
    name = f"{raw.id}-transcript{'.' + lang if lang else ''}.txt"
    return Response(body, mimetype="text/plain", headers={
        "Content-Disposition": f'inline; filename="{name}"'})
