"""The media folder as the catalog.

A media file's id is its stem made URL-safe; sidecar files share the stem::

    welcome.mp4  welcome.json  welcome.en.vtt  welcome.uk.subtitles.vtt
    welcome.en.descriptions.vtt  welcome.en.chapters.vtt  welcome.jpg

Probe and validation results are cached in the database keyed by path, size
and modification time, so a rescan of an unchanged library probes nothing.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import db
from ..captions import CaptionError, convert, detect_format, validate
from ..languages import is_language_tag, track_label
from ..search import index as search
from .probe import EXTENSIONS, ProbeError, probe

TRACK_KINDS = ("captions", "subtitles", "descriptions", "chapters")
POSTER_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$")


def slugify(stem: str) -> str:
    """Make a URL-safe id from a file stem.

    >>> slugify("Welcome to the Player")
    'welcome-to-the-player'
    >>> slugify("Café.Intro")
    'cafe-intro'
    """
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-_")
    return text[:100].strip("-_") or "item"


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


@dataclass
class ScanResult:
    items: list[dict] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    probed: int = 0
    validated: int = 0


def _probe(path: Path, st: os.stat_result, conn: sqlite3.Connection, result: ScanResult) -> dict:
    key = str(path)
    cached = db.cached_probe(conn, key, st.st_size, st.st_mtime_ns)
    if cached is not None:
        return cached
    result.probed += 1
    try:
        info = probe(path)
        data = {
            "ok": True, "kind": info.kind, "mime": info.mime, "duration": info.duration,
            "container": info.container, "width": info.width, "height": info.height,
        }
    except ProbeError as exc:
        data = {"ok": False, "reason": exc.reason}
    db.store_probe(conn, key, st.st_size, st.st_mtime_ns, data)
    return data


def _validate_track(
    path: Path, kind: str, duration: float | None, conn: sqlite3.Connection, result: ScanResult
) -> dict:
    st = path.stat()
    key = str(path)
    cached = db.cached_track(conn, key, st.st_size, st.st_mtime_ns, duration)
    if cached is not None:
        return cached
    result.validated += 1
    report = validate(path.read_bytes(), kind=kind, duration=duration)
    data = {
        "ok": report.ok,
        "cues": len(report.cues),
        "problems": [
            {"line": p.line, "column": p.column, "severity": p.severity, "code": p.code,
             "message": p.message}
            for p in report.problems
        ],
    }
    db.store_track(conn, key, st.st_size, st.st_mtime_ns, duration, data)
    return data


def _parse_track_name(rest: str, default_lang: str) -> tuple[str, str] | None:
    """Split the part between stem and extension: "en", "uk.subtitles", "" ."""
    parts = [p for p in rest.split(".") if p]
    lang, kind = default_lang, "captions"
    if len(parts) == 1:
        if parts[0] in TRACK_KINDS:
            kind = parts[0]
        else:
            lang = parts[0]
    elif len(parts) == 2:
        lang, kind = parts
    elif parts:
        return None
    if kind not in TRACK_KINDS or not is_language_tag(lang):
        return None
    return lang, kind


def _read_metadata(path: Path, result: ScanResult) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        result.problems.append((path.name, f"metadata ignored: not valid JSON ({exc})"))
        return {}
    if not isinstance(data, dict):
        result.problems.append((path.name, "metadata ignored: expected a JSON object"))
        return {}
    return data


def _convert_sidecar(path: Path, result: ScanResult) -> Path | None:
    """Write a WebVTT copy of an SRT or SBV sidecar; the original stays."""
    target = path.with_suffix(".vtt")
    if target.exists():
        return None
    data = path.read_bytes()
    try:
        text = convert(data, detect_format(data, path.name))
    except CaptionError as exc:
        result.problems.append((path.name, f"not converted to WebVTT: {exc}"))
        return None
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


def scan(media_dir: str | Path, conn: sqlite3.Connection) -> ScanResult:
    """Walk the media folder and build the catalog.

    Never raises for bad files: each problem is reported with the file name
    and a reason.
    """
    media_dir = Path(media_dir)
    result = ScanResult()
    if not media_dir.is_dir():
        result.problems.append((str(media_dir), "the media folder does not exist"))
        db.replace_catalog(conn, [], result.problems)
        return result

    names = sorted(n for n in os.listdir(media_dir) if not n.startswith("."))
    for name in names:
        if name.lower().endswith((".srt", ".sbv")):
            converted = _convert_sidecar(media_dir / name, result)
            if converted is not None:
                names.append(converted.name)
    names = sorted(set(names))

    media_names = [n for n in names if Path(n).suffix.lower() in EXTENSIONS
                   and (media_dir / n).is_file()]
    stems = sorted({Path(n).stem for n in media_names}, key=len, reverse=True)
    sidecars: dict[str, list[str]] = {}
    for name in names:
        if name in media_names:
            continue
        for stem in stems:
            if name.startswith(stem + "."):
                sidecars.setdefault(stem, []).append(name)
                break

    seen_ids: dict[str, str] = {}
    existing: set[str] = set()
    # No transaction spans the loop: probing a large new library takes
    # minutes, and the write lock must not be held that long. Each cache
    # write commits alone; the catalog itself is swapped in one transaction.
    for name in media_names:
        path = media_dir / name
        stem = Path(name).stem
        item_id = slugify(stem)
        if item_id in seen_ids:
            result.problems.append((
                name,
                f"skipped: its id '{item_id}' is already taken by {seen_ids[item_id]};"
                " rename one of the files",
            ))
            continue
        st = path.stat()
        existing.add(str(path))
        probed = _probe(path, st, conn, result)
        if not probed["ok"]:
            result.problems.append((name, f"not playable: {probed['reason']}"))
            continue
        seen_ids[item_id] = name
        item = _build_item(media_dir, item_id, name, st, probed, sidecars.get(stem, []),
                           conn, result, existing)
        result.items.append(item)
    with db.Transaction(conn):
        db.forget_missing_paths(conn, existing)
    search.sync(conn, media_dir, result.items)
    result.items.sort(key=lambda i: i["title"].casefold())
    db.replace_catalog(conn, result.items, result.problems)
    return result


def _build_item(
    media_dir: Path, item_id: str, name: str, st: os.stat_result, probed: dict,
    sidecar_names: list[str], conn: sqlite3.Connection, result: ScanResult, existing: set[str],
) -> dict:
    stem = Path(name).stem
    meta = _read_metadata(media_dir / f"{stem}.json", result)
    language = meta.get("language") if isinstance(meta.get("language"), str) else "en"
    labels = meta.get("tracks") if isinstance(meta.get("tracks"), dict) else {}
    item = {
        "id": item_id,
        "file": name,
        "title": str(meta.get("title") or stem.replace("_", " ").replace("-", " ").strip()),
        "description": str(meta.get("description") or ""),
        "language": language,
        "kind": probed["kind"],
        "mime": probed["mime"],
        "duration": probed["duration"],
        "width": probed.get("width"),
        "height": probed.get("height"),
        "size": st.st_size,
        "mtime": st.st_mtime,
        "poster": None,
        "tracks": [],
        "rejected_tracks": [],
    }
    for side in sorted(sidecar_names):
        rest, ext = side[len(stem) + 1:], Path(side).suffix.lower()
        if ext in POSTER_EXTENSIONS and rest == ext[1:]:
            item["poster"] = side
            continue
        if ext != ".vtt":
            continue
        parsed = _parse_track_name(rest[: -len(ext)], language)
        if parsed is None:
            result.problems.append((side, "ignored: name it STEM.LANG.vtt or STEM.LANG.KIND.vtt"))
            continue
        lang, kind = parsed
        existing.add(str(media_dir / side))
        report = _validate_track(media_dir / side, kind, probed["duration"], conn, result)
        track = {
            "file": side,
            "kind": kind,
            "srclang": lang,
            "label": str(labels.get(f"{lang}.{kind}") or track_label(lang, kind)),
            "cues": report["cues"],
            "problems": report["problems"],
        }
        if report["ok"]:
            item["tracks"].append(track)
        else:
            item["rejected_tracks"].append(track)
            first = next(p for p in report["problems"] if p["severity"] == "error")
            errors = sum(1 for p in report["problems"] if p["severity"] == "error")
            result.problems.append((
                side,
                f"track not offered to players: {errors} error(s), first at line"
                f" {first['line']}: {first['message']}",
            ))
    return item


def init_app(app) -> None:
    """Scan once at startup so the catalog matches the folder."""
    if not app.config.get("SCAN_ON_START", True):
        return
    conn = db.connect(app.config["DATABASE"])
    try:
        result = scan(app.config["MEDIA_DIR"], conn)
    finally:
        conn.close()
    for path, message in result.problems:
        app.logger.warning("%s: %s", path, message)
