"""hls.js for browsers that cannot play HLS themselves: where the player
loads it from, with its Subresource Integrity hash.

The repository holds only the project's own code, so hls.js is never in
it. Either the operator names a copy (``PLAYER_HLSJS_URL``, with
``PLAYER_HLSJS_INTEGRITY``), or ``player fetch-hlsjs`` fetches the pinned
version from the npm registry (with npm itself), checks the tarball against
the ``dist.integrity`` the registry publishes, and keeps ``hls.min.js`` in
the instance folder, which the app serves at ``/hlsjs/VERSION/hls.min.js``:
gzipped to clients that accept it (under a third of the size; the
integrity hash is of the decoded bytes, so it holds for both).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import click
from flask import Blueprint, Flask, abort, current_app, request, send_file
from flask.cli import with_appcontext
from markupsafe import Markup, escape

from ..library.catalog import absolute_url
from .record import HLS_TYPE

#: The hls.js release the player is tested with.
VERSION = "1.7.4"
PACKAGE = "hls.js"
#: The file of the package the player loads: the UMD build, which a
#: ``<script integrity=...>`` can load (an ``import()`` takes no hash).
BUILD = "dist/hls.min.js"
FOLDER = "hlsjs"

bp = Blueprint("hlsjs", __name__)


class FetchError(click.ClickException):
    """hls.js could not be fetched or did not match the registry's hash."""


def sri(data: bytes) -> str:
    """The Subresource Integrity value of ``data`` (SHA-384).

    >>> sri(b"")
    'sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb'
    """
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def matches_integrity(data: bytes, integrity: str) -> bool:
    """Whether ``data`` matches an npm ``dist.integrity`` (``sha512-BASE64``;
    of several hashes, any sha512 one)."""
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    return any(part == digest for part in integrity.split())


def _folder(app: Flask) -> Path:
    return Path(app.instance_path) / FOLDER


def _npm(args: list[str], cwd: str) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm was not found: install Node.js and npm, or serve hls.js yourself"
                         " and set PLAYER_HLSJS_URL and PLAYER_HLSJS_INTEGRITY.")
    result = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise FetchError(f"npm {args[0]} failed: {reason}")
    return result.stdout


def fetch(app: Flask, version: str = VERSION, tarball: str | None = None) -> dict:
    """Fetch hls.js ``version`` into the app's instance folder.

    :param tarball: a tarball already packed (``npm pack``) to use instead of
        fetching one; it is checked against the registry all the same.
    :returns: ``{"version", "integrity"}`` of the kept ``hls.min.js``.
    :raises FetchError: if npm fails, or the tarball is not the one the
        registry publishes (nothing is kept then).
    """
    spec = f"{PACKAGE}@{version}"
    with tempfile.TemporaryDirectory(prefix="player-hlsjs-") as work:
        published = json.loads(_npm(["view", spec, "dist", "--json"], work) or "null")
        if isinstance(published, list):
            published = published[-1] if published else None
        if not isinstance(published, dict) or not published.get("integrity"):
            raise FetchError(f"the registry publishes no integrity hash for {spec}")
        if tarball is None:
            name = _npm(["pack", spec, "--silent"], work).strip().splitlines()[-1]
            tarball = os.path.join(work, name)
        with open(tarball, "rb") as packed:
            data = packed.read()
        if not matches_integrity(data, published["integrity"]):
            raise FetchError(f"{tarball} does not match the registry's integrity hash for"
                             f" {spec} ({published['integrity']}); nothing was kept")
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            member = archive.extractfile(f"package/{BUILD}")
            if member is None:
                raise FetchError(f"{spec} has no {BUILD}")
            script = member.read()
    folder = _folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    described = {"version": version, "integrity": sri(script),
                 "registry_integrity": published["integrity"]}
    # Written aside, then renamed: a page never names a half-written file.
    for name, content in ((f"hls-{version}.min.js", script),
                          (f"hls-{version}.min.js.gz", _gzip(script)),
                          ("hls.json", json.dumps(described).encode())):
        _write(folder / name, content)
    return {"version": version, "integrity": described["integrity"]}


def _gzip(data: bytes) -> bytes:
    # mtime=0: the same script always gzips to the same bytes.
    return gzip.compress(data, compresslevel=9, mtime=0)


def _write(path: Path, content: bytes) -> None:
    staged = path.with_name(f".{path.name}.part")
    staged.write_bytes(content)
    os.replace(staged, path)


def _gzipped(plain: Path) -> Path:
    """The gzipped copy beside ``plain``, made now if a fetch before this
    release left none (or it is older than ``plain``)."""
    packed = plain.with_name(plain.name + ".gz")
    try:
        fresh = packed.stat().st_mtime_ns >= plain.stat().st_mtime_ns
    except FileNotFoundError:
        fresh = False
    if not fresh:
        _write(packed, _gzip(plain.read_bytes()))
    return packed


def source(app: Flask | None = None) -> dict | None:
    """Where pages load hls.js from: ``{"url", "integrity"}``, the
    operator's ``HLSJS_URL`` when set, else the fetched copy; ``None`` when
    there is neither (the player then falls back to the progressive file
    on browsers without HLS)."""
    app = app or current_app
    url = app.config.get("HLSJS_URL")
    if url:
        return {"url": url, "integrity": app.config.get("HLSJS_INTEGRITY") or ""}
    described = _kept(app)
    if described is None:
        return None
    return {"url": absolute_url("hlsjs.script", version=described["version"]),
            "integrity": described["integrity"]}


def attributes(item: dict) -> Markup:
    """The player element's ``data-hlsjs`` and ``data-hlsjs-integrity``
    attributes (each after a space) for ``item`` (ITEM JSON), when it
    streams and hls.js is available; else nothing."""
    sources = item.get("sources") or []
    if not sources or sources[0].get("type") != HLS_TYPE:
        return Markup("")
    found = source()
    if found is None:
        return Markup("")
    return Markup(' data-hlsjs="{}" data-hlsjs-integrity="{}"').format(
        escape(found["url"]), escape(found["integrity"]))


def _kept(app: Flask) -> dict | None:
    path = _folder(app) / "hls.json"
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = app.extensions.get("player.hlsjs")
    if cached is None or cached[0] != stamp:
        try:
            described = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        cached = app.extensions["player.hlsjs"] = (stamp, described)
    return cached[1]


@bp.get("/hlsjs/<version>/hls.min.js")
def script(version: str):
    """The fetched hls.js, cached for a year (its URL names its version);
    gzipped when the client accepts gzip. Each encoding has its own ETag,
    and ranges and preconditions apply to the bytes sent (RFC 9110: the
    content coding is part of the representation).

    :raises NotFound: if that version was not fetched.
    """
    described = _kept(current_app)
    if described is None or described.get("version") != version:
        abort(404, f"hls.js {version} was not fetched: run `player fetch-hlsjs`.")
    path = _folder(current_app) / f"hls-{version}.min.js"
    if not path.is_file():
        abort(404, f"hls.js {version} is missing from {path.parent}: run `player fetch-hlsjs`.")
    # x-gzip is the same coding under its old name (RFC 9110 §8.4.1.3).
    accepted = request.accept_encodings
    gzipped = max(accepted["gzip"], accepted["x-gzip"]) > 0
    # The integrity hash names the script's bytes: a refetch of other bytes is another tag.
    tag = f"hlsjs-{version}-{hashlib.sha256(described['integrity'].encode()).hexdigest()[:16]}"
    response = send_file(_gzipped(path) if gzipped else path, mimetype="text/javascript",
                         conditional=True, etag=tag + ("-gz" if gzipped else ""),
                         max_age=31536000)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@click.command("fetch-hlsjs")
@click.option("--version", "version", default=VERSION, show_default=True,
              help="The hls.js release to fetch.")
@click.option("--tarball", type=click.Path(exists=True, dir_okay=False),
              help="Use this `npm pack` tarball instead of fetching one (still checked"
                   " against the registry's hash).")
@with_appcontext
def fetch_command(version: str, tarball: str | None) -> None:
    """Fetch hls.js from the npm registry into the instance folder, for
    browsers that cannot play HLS themselves."""
    kept = fetch(current_app, version, tarball)
    click.echo(f"hls.js {kept['version']} kept in {_folder(current_app)}; pages load it"
               f" with integrity {kept['integrity']}.")


def init_app(app: Flask) -> None:
    """Serve the fetched copy, and give templates ``hlsjs_attributes(item)``."""
    app.register_blueprint(bp)
    app.add_template_global(attributes, "hlsjs_attributes")
