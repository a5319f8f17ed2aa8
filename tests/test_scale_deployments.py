"""The README's three deployments. The laptop's is the quick start's
command (run by tests/test_browser_demo.py); the cluster's settings are
those scripts/cluster gives its servers (tests/test_cluster.py); the one
server's runs here: gunicorn as its command says, behind Debian's nginx with
docs/nginx.conf, media bytes sent by nginx through ``X-Accel-Redirect``
(ranges included) with the app's headers."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CAPTIONS_EN
from tests.gunicorn_support import REPO, gunicorn_process, raw_request
from tests.mediagen import make_media
from tests.test_slow_clients import NGINX_WRAPPER, free_port

README = (REPO / "README.md").read_text(encoding="utf-8")
NGINX_CONF = (REPO / "docs" / "nginx.conf").read_text(encoding="utf-8")


def readme_block(marker: str) -> str:
    """The code block after ``<!-- marker -->`` in the README."""
    match = re.search(rf"<!-- {marker} -->\n```[a-z]*\n(.*?)```", README, re.S)
    assert match, f"the README has no block marked {marker}"
    return match.group(1)


def command_of(block: str) -> tuple[dict[str, str], list[str]]:
    """The environment and argv of a shell command line (with ``\\`` continuations)."""
    words = shlex.split(block.replace("\\\n", " "))
    env = dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=\S*", word))
    return env, [word for word in words if not re.fullmatch(r"[A-Z_]+=\S*", word)]


def test_the_laptop_needs_no_setting():
    block = readme_block("deploy-laptop")
    assert block == readme_block("demo-command")
    assert "PLAYER_" not in block


def test_the_readme_shows_docs_nginx_conf_word_for_word():
    assert readme_block("nginx-config") == NGINX_CONF


def test_one_server_command_hands_media_to_nginx():
    env, argv = command_of(readme_block("deploy-one-server"))
    assert env["PLAYER_ACCEL_REDIRECT"] == "/_protected/"
    assert argv[0] == "gunicorn" and argv[-1] == "player:create_app()"
    # The alias nginx sends from is the media folder the app serves.
    alias = re.search(r"location /_protected/ \{[^}]*alias (\S+);", NGINX_CONF).group(1)
    assert alias == env["PLAYER_MEDIA_DIR"].rstrip("/") + "/"
    bind = argv[argv.index("-b") + 1]
    assert re.search(rf"server {re.escape(bind)};", NGINX_CONF)


@pytest.fixture
def library(media_cache) -> Iterator[Path]:
    """A media folder nginx's unprivileged workers may read."""
    folder = Path(tempfile.mkdtemp(prefix="player-nginx-media-"))
    folder.chmod(0o755)
    shutil.copy(make_media("mp4", media_cache), folder / "clip.mp4")
    (folder / "clip.en.vtt").write_text(CAPTIONS_EN, encoding="utf-8")
    shutil.copy(make_media("mp3", media_cache), folder / "Two words.mp3")
    for path in folder.iterdir():
        path.chmod(0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def start_nginx(state: Path, app: tuple[str, int], media: Path) -> tuple[subprocess.Popen, int]:
    """Debian's nginx with docs/nginx.conf in front of ``app``, on a free port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("nginx is missing: apt-get install -y nginx (.ci/run does)")
    port = free_port()
    config = (NGINX_CONF.replace("127.0.0.1:8000", f"{app[0]}:{app[1]}")
              .replace("listen 80;", f"listen 127.0.0.1:{port};")
              .replace("alias /srv/media/;", f"alias {media}/;"))
    state.mkdir()
    (state / "nginx.conf").write_text(NGINX_WRAPPER.format(state=state, config=config))
    process = subprocess.Popen([binary, "-p", str(state), "-c", str(state / "nginx.conf"),
                                "-e", str(state / "error.log")])
    deadline = time.monotonic() + 20
    while True:
        try:
            raw_request(("127.0.0.1", port), "GET", "/api/media", ())
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail((state / "error.log").read_text())
            time.sleep(0.1)


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_ranges_through_x_accel_redirect(library, tmp_path):
    readme_env, argv = command_of(readme_block("deploy-one-server"))
    options = argv[1:-1]
    bind = options.index("-b")
    options = [*options[:bind], *options[bind + 2:]]
    env = {**os.environ, **readme_env, "PLAYER_MEDIA_DIR": str(library),
           "PLAYER_DATABASE": str(tmp_path / "player.sqlite"),
           "PLAYER_SECRET_KEY": "one-server-test", "PLAYER_PUBLIC_URL": "http://127.0.0.1"}
    with gunicorn_process(options, env, tmp_path / "gunicorn.log") as (_, app):
        nginx, port = start_nginx(tmp_path / "nginx", app, library)
        try:
            # Straight from gunicorn: headers only, and where nginx finds the bytes.
            status, headers, body = raw_request(app, "GET", "/files/two-words/Two%20words.mp3",
                                                ())
            fields = dict(headers)
            assert (status, body) == (200, b"")
            assert fields["X-Accel-Redirect"] == "/_protected/Two%20words.mp3"
            size = (library / "clip.mp4").stat().st_size
            data = (library / "clip.mp4").read_bytes()
            origin = {"Origin": "https://news.example"}
            status, headers, body = get(port, "/files/clip/clip.mp4",
                                        {"Range": "bytes=100-1123", **origin})
            assert status == 206
            assert headers["content-range"] == f"bytes 100-1123/{size}"
            assert body == data[100:1124]
            assert headers["content-type"] == "video/mp4"
            assert headers["cache-control"] == "public, max-age=3600"
            assert headers["access-control-allow-origin"] == "*"
            assert "x-accel-redirect" not in headers
            # nginx answers the preconditions and the last bytes too.
            status, headers, _ = get(port, "/files/clip/clip.mp4",
                                     {"If-None-Match": headers["etag"]})
            assert status == 304
            status, headers, body = get(port, "/files/clip/clip.mp4", {"Range": "bytes=-10"})
            assert (status, body) == (206, data[-10:])
            # A name with a space, and a track with its own type and caching.
            spaced = (library / "Two words.mp3").read_bytes()
            status, headers, body = get(port, "/files/two-words/Two%20words.mp3",
                                        {"Range": "bytes=0-99"})
            assert (status, body, headers["content-type"]) == (206, spaced[:100], "audio/mpeg")
            status, headers, body = get(port, "/files/clip/clip.en.vtt", {})
            assert status == 200 and body.decode() == CAPTIONS_EN
            assert headers["content-type"] == "text/vtt; charset=utf-8"
            assert headers["cache-control"] == "public, max-age=300"
            # The internal location is not reachable from outside, nor other names.
            assert get(port, "/_protected/clip.mp4", {})[0] == 404
            assert get(port, "/files/clip/clip.json", {})[0] == 404
        finally:
            nginx.terminate()
            nginx.wait(15)
