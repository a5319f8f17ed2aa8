"""No module outside the storage seam (player/library/storage.py, and
player/library/s3.py, its object storage) touches the library's files.

Two checks: a static one reads every module of ``player/`` for filesystem
calls, with a short list of modules allowed them for files that are not the
library's; and a dynamic one runs what viewers, publishers and the CLI do
through a storage that records every call, while an audit hook reports any
file operation on the media folder made from another module of the app.
"""

from __future__ import annotations

import ast
import io
import os
import sys
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

import pytest

import player
from player import create_app
from player.captions.vtt import Scanner
from player.library import cues
from player.library.storage import Entry, LocalStorage, Storage, Upload
from tests.mediagen import make_media
from tests.publish_support import GOOD_SRT, GOOD_VTT, bearer, create_publisher, csrf_from

PACKAGE = Path(player.__file__).resolve().parent
SEAM = PACKAGE / "library" / "storage.py"
#: The seam's modules: the interface with the media folder, object storage, and
#: the folders kept beside the library (renditions).
SEAMS = (SEAM, PACKAGE / "library" / "s3.py", PACKAGE / "library" / "s3lock.py",
         PACKAGE / "library" / "nested.py")

# -- static: no filesystem calls outside the seam ------------------------------------------------

#: Module functions that touch files, by module.
_MODULE_CALLS = {
    "os": {"stat", "lstat", "fstat", "listdir", "scandir", "replace", "rename", "renames",
           "unlink", "remove", "removedirs", "rmdir", "mkdir", "makedirs", "open", "fdopen",
           "walk", "chmod", "utime", "truncate", "link", "symlink", "access"},
    "os.path": {"exists", "lexists", "isfile", "isdir", "getsize", "getmtime", "samefile"},
    "io": {"open"},
    "shutil": None,  # every function
    "fcntl": None,
    "tempfile": None,
}
#: Methods of pathlib.Path that touch files. A Storage has methods of the
#: same names (stat, exists); it is always named ``storage``, so calls on
#: something of that name are its, not a path's.
_PATH_METHODS = {"read_bytes", "read_text", "write_bytes", "write_text", "unlink", "iterdir",
                 "glob", "rglob", "exists", "is_file", "is_dir", "mkdir", "rmdir", "touch",
                 "stat", "lstat", "rename", "symlink_to", "hardlink_to", "chmod", "samefile"}

#: Modules that touch files which are not the library's, and why. A key
#: ending in "/" covers a package.
ALLOWED = {
    "player/__init__.py": "the instance folder and its secret key; the template and static"
                          " folders",
    "player/db/": "the folder of the SQLite database file; the schema's migration files",
    "player/web/assets.py": "the player's static JavaScript and CSS files",
    "player/web/streaming.py": "sends the local file Storage.local_path names (sendfile needs"
                               " an open descriptor); it never makes a library path itself",
    "player/captions/lint.py": "`player check-captions FILE...` reads the files it is given",
    "player/progress/": "the progress writer's lock file beside the database",
    "player/renditions/build.py": "reads what ffmpeg wrote in its temporary work folder",
    "player/renditions/transcode.py": "ffmpeg's log in its temporary work folder",
    "player/renditions/hlsjs.py": "the hls.js copy `player fetch-hlsjs` keeps in the instance"
                                  " folder",
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def filesystem_calls(source: str) -> list[tuple[int, str]]:
    """``(line, call)`` for each call in ``source`` that touches files."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append((node.lineno, "open"))
        elif isinstance(func, ast.Attribute):
            owner = _dotted(func.value)
            if owner in _MODULE_CALLS and (_MODULE_CALLS[owner] is None
                                           or func.attr in _MODULE_CALLS[owner]):
                found.append((node.lineno, f"{owner}.{func.attr}"))
            elif func.attr in _PATH_METHODS and not (owner or "").endswith("storage"):
                found.append((node.lineno, f".{func.attr}()"))
            elif (func.attr == "open" and isinstance(func.value, ast.Call)
                  and _dotted(func.value.func) in ("Path", "pathlib.Path")):
                found.append((node.lineno, "Path(...).open"))
    return found


def test_the_static_check_finds_file_calls():
    source = ("import os\nopen('x')\nos.stat('x')\nos.path.exists('x')\nPath('x').read_bytes()\n"
              "Path('x').open()\nstorage.stat('x')\nself.storage.exists('x')\n'a'.replace('b', 'c')"
              "\nshutil.copy('a', 'b')\n")
    assert [call for _, call in filesystem_calls(source)] == [
        "open", "os.stat", "os.path.exists", ".read_bytes()", "Path(...).open", "shutil.copy"]


def _allowed(relative: str) -> bool:
    return any(relative == key or (key.endswith("/") and relative.startswith(key))
               for key in ALLOWED)


def test_no_module_outside_the_seam_touches_files():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = "player/" + path.relative_to(PACKAGE).as_posix()
        if path in SEAMS or _allowed(relative):
            continue
        for line, call in filesystem_calls(path.read_text(encoding="utf-8")):
            offenders.append(f"{relative}:{line}: {call}")
    assert offenders == [], ("go through player.library.storage, or, for a file that is not"
                             " the library's, add the module to ALLOWED with the reason")


def test_every_allowed_module_exists():
    for key in ALLOWED:
        assert (PACKAGE.parent / key).exists(), f"{key} is gone: drop it from ALLOWED"


# -- dynamic: the app through a recording storage ------------------------------------------------

class RecordingStorage(Storage):
    """A storage that counts every call and passes it on."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        #: Paths handed out for sendfile: the one way bytes leave without the seam.
        self.local_paths: set[str] = set()

    def list(self) -> list[Entry]:
        self.calls["list"] += 1
        return self.inner.list()

    def stat(self, key: str) -> Entry:
        self.calls["stat"] += 1
        return self.inner.stat(key)

    def exists(self, key: str) -> bool:
        self.calls["exists"] += 1
        return self.inner.exists(key)

    def open(self, key: str) -> BinaryIO:
        self.calls["open"] += 1
        return self.inner.open(key)

    def read_bytes(self, key: str) -> bytes:
        self.calls["read_bytes"] += 1
        return self.inner.read_bytes(key)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        self.calls["read_range"] += 1
        return self.inner.read_range(key, start, length)

    def begin_upload(self) -> Upload:
        self.calls["begin_upload"] += 1
        return self.inner.begin_upload()

    def write(self, key, data) -> Entry:
        self.calls["write"] += 1
        return self.inner.write(key, data)

    def delete(self, key: str) -> bool:
        self.calls["delete"] += 1
        return self.inner.delete(key)

    def lock(self, item_id: str) -> AbstractContextManager[None]:
        self.calls["lock"] += 1
        return self.inner.lock(item_id)

    def cleanup_uploads(self, **ages) -> list[str]:
        self.calls["cleanup_uploads"] += 1
        return self.inner.cleanup_uploads(**ages)

    def take_upload(self, name: str) -> Upload:
        self.calls["take_upload"] += 1
        return self.inner.take_upload(name)

    def local_path(self, key: str) -> str | None:
        self.calls["local_path"] += 1
        path = self.inner.local_path(key)
        if path is not None:
            self.local_paths.add(os.path.abspath(path))
        return path

    def url_for_client(self, key: str, expires: int = 3600) -> str | None:
        self.calls["url_for_client"] += 1
        return self.inner.url_for_client(key, expires)

    def location(self, key: str = "") -> str:
        return self.inner.location(key)


def test_the_recorder_passes_on_every_method_of_storage():
    public = {name for name in dir(Storage) if not name.startswith("_")}
    assert public <= set(vars(RecordingStorage))


class _Watch:
    """What the audit hook looks for: file operations under ``root``."""

    root: str | None = None
    storage: RecordingStorage | None = None
    violations: list[str] = []


_EVENTS = {"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir",
           "os.mkdir", "os.truncate", "os.utime", "os.chmod", "os.link", "os.symlink",
           "shutil.copyfile", "shutil.rmtree", "tempfile.mkstemp"}


def _nearest_app_frame() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(str(PACKAGE)):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _audit(event: str, args: tuple) -> None:
    root = _Watch.root
    if root is None or event not in _EVENTS:
        return
    for arg in args:
        if not isinstance(arg, str | bytes | os.PathLike):
            continue
        path = os.path.abspath(os.fsdecode(arg))
        if path != root and not path.startswith(root + os.sep):
            continue
        where = _nearest_app_frame()
        if where is None or where.startswith(tuple(f"{seam}:" for seam in SEAMS)):
            continue  # the test itself, or the seam
        storage = _Watch.storage
        if (where.startswith(str(PACKAGE / "web" / "streaming.py") + ":") and event == "open"
                and storage is not None and path in storage.local_paths):
            continue  # sending a file by the path the storage gave
        _Watch.violations.append(f"{event} {path} from {where}")


sys.addaudithook(_audit)


@pytest.fixture
def recording(media_dir, tmp_path):
    storage = RecordingStorage(LocalStorage(media_dir))
    _Watch.root, _Watch.storage, _Watch.violations = os.path.abspath(media_dir), storage, []
    yield storage
    _Watch.root = _Watch.storage = None


def test_viewers_publishers_and_the_cli_reach_files_only_through_the_storage(
        recording, media_dir, media_cache, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir), "STORAGE": recording,
                      "DATABASE": str(tmp_path / "db.sqlite"), "SECRET_KEY": "t"})
    client = app.test_client()
    token = create_publisher(app)
    api = bearer(token)

    # Publishing: an item with a poster and SRT captions, a WebVTT track, edits, deletions.
    response = client.post("/api/media", headers=api, data={
        "title": "Seam", "language": "en",
        "file": (make_media("mp4", media_cache).open("rb"), "seam.mp4"),
        "poster": (make_media("png", media_cache).open("rb"), "poster.png"),
        "captions": (io.BytesIO(GOOD_SRT), "captions.srt"),
    })
    assert response.status_code == 201, response.get_json()
    response = client.post("/api/media/clip/tracks", headers=api, data={
        "kind": "subtitles", "srclang": "uk", "file": (io.BytesIO(GOOD_VTT), "uk.vtt")})
    assert response.status_code == 201, response.get_json()
    client.post("/publish/login", data={"csrf_token": csrf_from(client.get("/publish/login").text),
                                       "name": "pat", "secret": token})
    csrf = csrf_from(client.get("/publish/media/clip").text)
    response = client.post("/publish/media/clip", data={
        "csrf_token": csrf, "title": "A short clip, edited", "description": "Edited.",
        "poster": (make_media("png", media_cache).open("rb"), "poster.png")})
    assert response.status_code == 303, response.text
    assert client.get("/publish/").status_code == 200

    # Viewing: pages, API, transcripts, search, embed, oEmbed, files.
    for url in ["/", "/api/media", "/api/media/clip", "/watch/clip", "/watch/clip/transcript",
                "/watch/clip/transcript.txt", "/api/media/clip/transcript?lang=uk",
                "/embed/clip?transcript=1", "/search?q=hello", "/api/search?q=hello",
                "/oembed?url=http://localhost/watch/clip", "/watch/seam"]:
        assert client.get(url).status_code == 200, url
    response = client.get("/files/clip/clip.mp4", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.data) == 100
    response.close()
    with app.test_request_context("/files/clip/clip.en.vtt"):
        view = app.view_functions["files.media_file"]("clip", "clip.en.vtt")
        assert view.status_code == 200
        view.close()

    assert client.delete("/api/media/clip/tracks/uk.subtitles", headers=api).status_code == 204
    assert client.delete("/api/media/seam", headers=api).status_code == 204
    result = app.test_cli_runner().invoke(args=["scan"])
    assert result.exit_code == 0 and f"2 item(s) in {media_dir}" in result.output

    assert _Watch.violations == []
    assert set(recording.calls) >= {"list", "stat", "open", "read_bytes", "read_range", "write",
                                    "delete", "lock", "begin_upload", "cleanup_uploads",
                                    "local_path"}


def test_the_watch_sees_a_module_that_goes_around_the_storage(recording, media_dir):
    from player.transcripts import model

    exec(compile("open(path, 'rb').close()", model.__file__, "exec"),
         {"path": str(media_dir / "clip.en.vtt")})
    assert len(_Watch.violations) == 1 and "transcripts/model.py" in _Watch.violations[0]
    _Watch.violations = []


# -- one parse per caption file ------------------------------------------------------------------

@pytest.fixture
def parses(monkeypatch):
    """The WebVTT files parsed, by their first cue's text."""
    counted: Counter[str] = Counter()
    real = Scanner.run

    def run(self):
        found = real(self)
        counted[found[0].plain_text if found else ""] += 1
        return found

    monkeypatch.setattr(Scanner, "run", run)
    cues.clear()
    return counted


def test_an_uploaded_track_is_parsed_once(parses, app, client):
    headers = bearer(create_publisher(app))
    response = client.post("/api/media/clip/tracks", headers=headers, data={
        "kind": "subtitles", "srclang": "de", "file": (io.BytesIO(GOOD_VTT), "de.vtt")})
    assert response.status_code == 201
    # The scan after the upload validated and indexed it; then viewers use it.
    assert "Hello there." in client.get("/api/media/clip/transcript?lang=de").text
    assert client.get("/api/search?q=there").get_json()["results"][0]["media_id"] == "clip"
    assert "Hello there." in client.get("/watch/clip/transcript.txt?lang=de").text
    assert parses["Hello there."] == 1


def test_a_track_found_by_the_scan_is_parsed_once(parses, media_dir, tmp_path):
    (media_dir / "song.en.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:01.000\nLa la la.\n", encoding="utf-8")
    app = create_app({"TESTING": True, "MEDIA_DIR": str(media_dir),
                      "DATABASE": str(tmp_path / "db.sqlite"), "SECRET_KEY": "t"})
    client = app.test_client()
    assert client.get("/api/search?q=la").get_json()["results"][0]["media_id"] == "song"
    assert "La la la." in client.get("/watch/song/transcript.txt").text
    assert "La la la." in client.get("/watch/song").text
    assert parses["La la la."] == 1
