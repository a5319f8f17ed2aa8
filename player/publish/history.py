"""Who did what to the library: the audit log's page (``/publish/audit``), its
command (``player audit``), the entries the publishing views add after each
change, and the ownership rule they check before a delete.
"""

from __future__ import annotations

import click
from flask import Blueprint, current_app, render_template, request, url_for
from flask.cli import with_appcontext

from .. import audit, db
from ..library.item import Item
from ..web import security
from ..web.auth import NotAllowed, current_publisher, publisher_required

bp = Blueprint("history", __name__)
bp.before_request(security.guard_session_writes)

PAGE_SIZE = 50


# -- what the publishing views call --------------------------------------------------

def _record(action: str, **fields) -> None:
    """Add an entry for the signed-in publisher; a change already made is not
    undone when the log cannot be written, but the loss is logged."""
    try:
        audit.record(db.get_db(), current_publisher(), action, **fields)
    except db.Error:
        current_app.logger.exception("audit entry lost: %s %s", action, fields)


def item_created(item: Item) -> None:
    """Record an upload."""
    _record(audit.ITEM_CREATE, item_id=item.id, title=item.title)


def item_updated(before: Item, after: Item) -> None:
    """Record an edit, naming what changed between the two catalog entries."""
    changed = [name for name in ("title", "description", "poster")
               if getattr(before, name) != getattr(after, name)]
    labels = {t.file: t.label for t in before.tracks}
    if any(labels.get(t.file, t.label) != t.label for t in after.tracks):
        changed.append("track labels")
    _record(audit.ITEM_UPDATE, item_id=after.id, title=after.title, changed=changed)


def item_deleted(item: Item) -> None:
    """Record a deleted item."""
    _record(audit.ITEM_DELETE, item_id=item.id, title=item.title)


def track_saved(item: Item, key: str, label: str, replaced: bool) -> None:
    """Record an uploaded track (``key`` such as ``fr.captions``)."""
    _record(audit.TRACK_REPLACE if replaced else audit.TRACK_CREATE, item_id=item.id,
            track=key, title=item.title, label=label)


def track_deleted(item: Item, key: str, label: str) -> None:
    """Record a deleted track."""
    _record(audit.TRACK_DELETE, item_id=item.id, track=key, title=item.title, label=label)


def check_delete_item(item: Item) -> None:
    """Let an admin, or the publisher who uploaded the item, delete it.

    :raises NotAllowed: (403) for anyone else.
    """
    publisher = current_publisher()
    if publisher is None or not audit.may_delete_item(db.get_db(), publisher, item.id):
        raise NotAllowed(f"Only an admin or the publisher who uploaded “{item.title}”"
                         " can delete it.")


def check_delete_track(item: Item, key: str) -> None:
    """Let an admin, the item's uploader or the track's delete the track.

    :raises NotAllowed: (403) for anyone else.
    """
    publisher = current_publisher()
    if publisher is None or not audit.may_delete_track(db.get_db(), publisher, item.id, key):
        raise NotAllowed(f"Only an admin or the publisher who uploaded this track or"
                         f" “{item.title}” can delete the track.")


# -- the page and the command ------------------------------------------------------------

def _positive(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**62 else None


@bp.get("/publish/audit")
@publisher_required
def audit_page():
    conn = db.get_db()
    item_id = request.args.get("item", "").strip() or None
    actor = request.args.get("publisher", "").strip() or None
    before = _positive(request.args.get("before"))
    rows = audit.entries(conn, item_id=item_id, actor=actor, before=before, limit=PAGE_SIZE + 1)
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        older = url_for("history.audit_page", item=item_id, publisher=actor, before=rows[-1].id)
    return render_template("publish/audit.html", entries=rows, item_id=item_id or "",
                           actor=actor or "", actors=audit.actors(conn), older=older)


@click.command("audit")
@click.option("--item", "item_id", help="Only the entries about this media item id.")
@click.option("--publisher", "actor", help="Only what this publisher did.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True,
              help="How many entries, the newest.")
@with_appcontext
def audit_command(item_id: str | None, actor: str | None, limit: int) -> None:
    """Print the audit log, oldest first: when (UTC), who, what, item, track, details."""
    conn = db.connect(current_app.config["DATABASE"])
    try:
        rows = audit.entries(conn, item_id=item_id, actor=actor, limit=limit)
    finally:
        conn.close()
    if not rows:
        click.echo("The audit log has no entries" + (" that match." if item_id or actor
                                                     else " yet."), err=True)
    for entry in reversed(rows):
        click.echo(entry.line())
