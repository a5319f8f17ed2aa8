"""Poster frames for videos published without a poster: the ``poster`` job.

A video uploaded without a poster, or found without one by ``player scan``,
gets a ``poster`` job (:func:`request`). The worker running it asks ffmpeg
for a still about 10 % into the video, skipping frames that are nearly
black (a fade-in, a title card's dark lead-in), and stores it as
``STEM.jpg`` through the storage, where the scan finds it as it finds a
poster a publisher uploaded. A poster that appeared meanwhile wins: the job
then stores nothing.

ffmpeg is the ``FFMPEG`` setting if given, else the binary the
``imageio-ffmpeg`` package ships, else ``ffmpeg`` on the PATH. It reads the
video where it is: a local path, or a presigned URL on object storage
(with HTTP range requests, so only the bytes around the frame travel).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context

from .. import db, jobs
from .backends import for_app
from .item import Item
from .storage import POSTER_EXTENSIONS, Storage, poster_name, stem_of

log = logging.getLogger(__name__)

KIND = "poster"
#: Where in the video to look for a frame, as fractions of its length, in order.
CANDIDATES = (0.10, 0.25, 0.50, 0.75)
#: A frame whose mean brightness (0-255) is below this counts as black.
BLACK_BELOW = 24
#: The poster is at most this wide (its height follows the video's shape).
MAX_WIDTH = 1280
FFMPEG_SECONDS = 120


class NoFfmpeg(jobs.JobFailed):
    """No ffmpeg binary was found."""


def request(item_id: str, file: str, *,
            conn: db.Connection | None = None) -> jobs.Job | None:
    """Queue a poster frame for the video ``file`` of item ``item_id`` (or
    find the one waiting). Outside an app context nothing is queued (None).

    :raises player.db.Error: if the database refuses the job.
    """
    if not has_app_context():
        return None
    return jobs.enqueue(KIND, item_id, {"file": file}, conn=conn)


def request_after_upload(item_id: str, file: str) -> None:
    """Queue a poster frame for a video just uploaded without a poster. A
    database that refuses the job is logged: the upload itself succeeded."""
    try:
        request(item_id, file)
    except db.Error:
        log.exception("no poster job queued for %s", item_id)


def request_missing(items: list[Item], conn: db.Connection) -> list[jobs.Job]:
    """Queue a poster frame for each video of ``items`` (catalog entries)
    that has no poster and whose file never had a poster job (so a rescan
    does not try a video ffmpeg cannot read again and again); the jobs queued."""
    queued = []
    for item in items:
        if item.kind != "video" or item.poster:
            continue
        payload = {"file": item.file}
        if any(job.kind == KIND and job.payload == payload
               for job in jobs.for_media(item.id, conn=conn)):
            continue
        job = request(item.id, item.file, conn=conn)
        if job is not None:
            queued.append(job)
    return queued


def ffmpeg_exe() -> str:
    """The ffmpeg binary to run: the setting, imageio-ffmpeg's, or the PATH's."""
    configured = current_app.config.get("FFMPEG") if has_app_context() else None
    if configured:
        return str(configured)
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        pass
    # Found on the PATH when run; if it is not there either, _ffmpeg says what to do.
    return "ffmpeg"


def _ffmpeg(args: list[str], source_name: str) -> bytes:
    """Run ffmpeg; its output.

    :raises JobFailed: if ffmpeg cannot be run or cannot read the video.
    """
    exe = ffmpeg_exe()
    try:
        # Its own session, so Ctrl-C stops the worker first (see transcode.run).
        run = subprocess.run([exe, "-hide_banner", "-nostdin", "-loglevel", "error", *args],
                             capture_output=True, timeout=FFMPEG_SECONDS, check=False,
                             start_new_session=True)
    except OSError as exc:
        raise NoFfmpeg(f"ffmpeg cannot be run from {exe} ({exc.strerror or exc}): install"
                       " the imageio-ffmpeg package or ffmpeg (Debian: apt-get install"
                       " ffmpeg), or set PLAYER_FFMPEG to its path; or upload a poster"
                       " image.") from exc
    if run.returncode != 0 or not run.stdout:
        detail = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise jobs.JobFailed(
            f"ffmpeg could not take a frame from {source_name}"
            f" ({detail[-1] if detail else 'no frame came out'}): upload a poster image"
            " for it instead.")
    return run.stdout


def brightness(source: str, at: float, source_name: str) -> float:
    """The mean brightness (0-255) of the frame at ``at`` seconds.

    :raises JobFailed: if ffmpeg cannot read the video.
    """
    gray = _ffmpeg(["-ss", f"{at:.3f}", "-i", source, "-frames:v", "1", "-an",
                    "-vf", "scale=32:18,format=gray", "-f", "rawvideo", "pipe:1"],
                   source_name)
    return sum(gray) / len(gray)


def frame_jpeg(source: str, at: float, source_name: str) -> bytes:
    """The frame at ``at`` seconds as a JPEG at most :data:`MAX_WIDTH` wide.

    :raises JobFailed: if ffmpeg cannot read the video.
    """
    return _ffmpeg(["-ss", f"{at:.3f}", "-i", source, "-frames:v", "1", "-an",
                    "-vf", f"scale='min({MAX_WIDTH},iw)':-2", "-q:v", "3",
                    "-c:v", "mjpeg", "-f", "image2", "pipe:1"], source_name)


def choose_time(source: str, duration: float | None, source_name: str, report=None) -> float:
    """The first candidate moment whose frame is not nearly black (else the
    brightest one), in seconds.

    :raises JobFailed: if ffmpeg cannot read the video.
    """
    if not duration or duration <= 0:
        return 0.0
    seen = []
    for step, fraction in enumerate(CANDIDATES):
        at = duration * fraction
        level = brightness(source, at, source_name)
        if report is not None:
            report(0.1 + 0.6 * (step + 1) / len(CANDIDATES),
                   f"Looking for a frame that is not black ({fraction:.0%} in).")
        if level >= BLACK_BELOW:
            return at
        seen.append((level, at))
    return max(seen)[1]


@contextmanager
def _readable(storage: Storage, key: str) -> Iterator[str]:
    """A path or URL ffmpeg can read the object ``key`` from."""
    local = storage.local_path(key)
    if local is not None:
        yield local
        return
    url = storage.url_for_client(key, expires=FFMPEG_SECONDS * (len(CANDIDATES) + 2))
    if url is None:
        raise jobs.JobFailed(f"{storage.location(key)} has neither a local path nor a URL"
                             " ffmpeg could read it from; upload a poster image instead.")
    yield url


def _existing_poster(storage: Storage, stem: str) -> str | None:
    for extension in POSTER_EXTENSIONS:
        name = poster_name(stem, extension)
        if storage.exists(name):
            return name
    return None


def run(job: jobs.JobContext) -> dict:
    """The ``poster`` job: store a frame of the video as ``STEM.jpg``.

    :raises JobFailed: if ffmpeg is missing or cannot read the video.
    """
    key = job.payload["file"]
    storage = for_app(current_app)
    stem = stem_of(key)
    if not storage.exists(key):
        return {"message": f"{key} is no longer in the library; nothing to do."}
    existing = _existing_poster(storage, stem)
    if existing:
        return {"message": f"It has a poster already ({existing}).", "poster": existing}
    conn = db.get_db()
    data = db.catalog_item(conn, job.media_id)
    item = Item.from_dict(data) if data else None
    duration = item.duration if item and item.file == key else None
    job.progress(0.05, "Reading the video.")
    with _readable(storage, key) as source:
        at = choose_time(source, duration, key, job.progress)
        job.progress(0.8, "Saving the poster.")
        image = frame_jpeg(source, at, key)
    name = poster_name(stem, ".jpg")
    with storage.lock(job.media_id):
        # A publisher may have uploaded a poster (or deleted the item) meanwhile.
        if not storage.exists(key) or _existing_poster(storage, stem):
            return {"message": "A poster appeared while the frame was made; kept that one."}
        storage.write(name, image)
    from .scan import scan

    scan(storage, conn)
    return {"message": f"Poster frame taken {at:.1f} s in.", "poster": name,
            "at": round(at, 3), "bytes": len(image)}
