"""hls.js for browsers without HLS: ``player fetch-hlsjs`` takes the pinned
release from the npm registry only when it matches the registry's published
hash, the app serves it at a stable URL, and the player element names it
with its Subresource Integrity hash; ``PLAYER_HLSJS_URL`` overrides it.

The reference copy is ``npm pack hls.js@VERSION`` in a temporary folder,
as bench/player_size.py gets Plyr.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from player.renditions import hlsjs, make_renditions
from tests.test_renditions import hls_app, hls_dir  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def packed(tmp_path_factory) -> Path:
    """``npm pack hls.js@VERSION``: the tarball the registry publishes."""
    folder = tmp_path_factory.mktemp("npm")
    run = subprocess.run(["npm", "pack", f"hls.js@{hlsjs.VERSION}", "--silent"], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"npm pack failed (is the npm registry reachable?): {run.stderr}"
    return folder / run.stdout.strip().splitlines()[-1]


def packed_script(tarball: Path) -> bytes:
    with tarfile.open(tarball) as archive:
        return archive.extractfile("package/dist/hls.min.js").read()


def sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.fixture
def app(hls_app, tmp_path):
    hls_app.instance_path = str(tmp_path / "instance")
    return hls_app


def test_the_readme_command_fetches_hlsjs_and_the_app_serves_it(app, packed):
    command = re.search(r"<!-- hlsjs-command -->\n```\n(.+?)\n```",
                        (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    words = command.split()
    assert words[:2] == ["player", "fetch-hlsjs"]
    result = app.test_cli_runner().invoke(args=words[1:])
    assert result.exit_code == 0, result.output
    expected = packed_script(packed)
    assert sha384(expected) in result.output

    client = app.test_client()
    response = client.get(f"/hlsjs/{hlsjs.VERSION}/hls.min.js",
                          headers={"Origin": "https://host.example"})
    assert response.status_code == 200 and response.data == expected
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.mimetype == "text/javascript"
    response.close()
    assert client.get("/hlsjs/0.0.1/hls.min.js").status_code == 404


def test_the_player_names_hlsjs_with_its_hash_when_the_item_streams(app, packed):
    result = app.test_cli_runner().invoke(args=["fetch-hlsjs", "--tarball", str(packed)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    # No stream yet: nothing to load hls.js for.
    assert "data-hlsjs" not in client.get("/watch/talk").text
    make_renditions(app, "talk")
    for url in ("/watch/talk", "/embed/talk"):
        page = client.get(url).text
        url_attr = re.search(r'data-hlsjs="([^"]+)"', page).group(1)
        integrity = re.search(r'data-hlsjs-integrity="([^"]+)"', page).group(1)
        assert url_attr == f"http://localhost/hlsjs/{hlsjs.VERSION}/hls.min.js"
        assert integrity == sha384(packed_script(packed))


def get(client, headers: dict) -> tuple[int, dict, bytes]:
    response = client.get(f"/hlsjs/{hlsjs.VERSION}/hls.min.js", headers=headers)
    try:
        return response.status_code, response.headers, response.get_data()
    finally:
        response.close()


def test_hlsjs_is_sent_gzipped_to_clients_that_accept_it(app, packed):
    result = app.test_cli_runner().invoke(args=["fetch-hlsjs", "--tarball", str(packed)])
    assert result.exit_code == 0, result.output
    script = packed_script(packed)
    client = app.test_client()
    gz = {"Accept-Encoding": "gzip, deflate, br"}

    status, headers, packed_body = get(client, gz)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert headers["Content-Type"].startswith("text/javascript")
    assert int(headers["Content-Length"]) == len(packed_body) < len(script) / 2
    # The page's integrity hash is of the decoded bytes: it holds for this body.
    assert gzip.decompress(packed_body) == script
    with app.test_request_context():
        assert sha384(gzip.decompress(packed_body)) == hlsjs.source(app)["integrity"]

    status, headers, plain_body = get(client, {})
    assert status == 200 and "Content-Encoding" not in headers and plain_body == script
    assert "Accept-Encoding" in headers["Vary"]
    plain_tag = headers["ETag"]
    for refused in ("gzip;q=0", "identity", "br"):
        status, headers, body = get(client, {"Accept-Encoding": refused})
        assert "Content-Encoding" not in headers and body == script, refused

    # One ETag per encoding: a validator of one never answers for the other.
    gz_tag = get(client, gz)[1]["ETag"]
    assert gz_tag != plain_tag
    assert get(client, {**gz, "If-None-Match": gz_tag})[0] == 304
    assert get(client, {"If-None-Match": plain_tag})[0] == 304
    status, headers, body = get(client, {**gz, "If-None-Match": plain_tag})
    assert status == 200 and gzip.decompress(body) == script
    assert get(client, {"If-None-Match": gz_tag})[2] == script

    # Ranges count the bytes of the representation sent, gzipped or not.
    status, headers, body = get(client, {**gz, "Range": "bytes=10-99"})
    assert status == 206 and headers["Content-Encoding"] == "gzip"
    assert body == packed_body[10:100]
    assert headers["Content-Range"] == f"bytes 10-99/{len(packed_body)}"
    status, headers, body = get(client, {"Range": "bytes=10-99"})
    assert status == 206 and body == script[10:100]
    assert headers["Content-Range"] == f"bytes 10-99/{len(script)}"
    # If-Range with the other encoding's tag: the whole representation.
    status, headers, body = get(client, {**gz, "Range": "bytes=10-99", "If-Range": plain_tag})
    assert status == 200 and body == packed_body

    # A copy fetched before the gzipped one was kept: gzipped once, then kept.
    kept = Path(app.instance_path) / "hlsjs" / f"hls-{hlsjs.VERSION}.min.js.gz"
    kept.unlink()
    status, headers, body = get(client, gz)
    assert status == 200 and gzip.decompress(body) == script and kept.is_file()


def test_a_tarball_that_is_not_the_registrys_is_refused(app, packed, tmp_path):
    data = bytearray(packed.read_bytes())
    # A changed byte in the gzip stream: still a tarball npm could have made.
    tampered = tmp_path / "hls.js-tampered.tgz"
    with tarfile.open(packed) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            content = source.extractfile(member).read() if member.isfile() else None
            if member.name == "package/dist/hls.min.js":
                content = content.replace(b"Hls", b"Hlz", 1)
                member.size = len(content)
            target.addfile(member, io.BytesIO(content) if content is not None else None)
    assert tampered.read_bytes() != bytes(data)
    result = app.test_cli_runner().invoke(args=["fetch-hlsjs", "--tarball", str(tampered)])
    assert result.exit_code != 0
    assert "does not match the registry's integrity hash" in result.output
    assert not (Path(app.instance_path) / "hlsjs").exists()
    make_renditions(app, "talk")
    assert "data-hlsjs" not in app.test_client().get("/watch/talk").text


def test_an_operators_copy_overrides_the_fetched_one(app):
    app.config.update(HLSJS_URL="https://js.example/hls@1.7.4/hls.min.js",
                      HLSJS_INTEGRITY="sha384-abc")
    make_renditions(app, "talk")
    response = app.test_client().get("/watch/talk")
    page = response.text
    assert 'data-hlsjs="https://js.example/hls@1.7.4/hls.min.js"' in page
    assert 'data-hlsjs-integrity="sha384-abc"' in page
