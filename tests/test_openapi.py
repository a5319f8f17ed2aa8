"""``/api/openapi.json`` describes the whole JSON API, and real responses
match it: checked directly here and by schemathesis against a live server."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest

from tests.browser_support import LiveServer
from tests.mediagen import make_media
from tests.publish_support import BROKEN_VTT, WARNING_VTT, bearer, create_publisher

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Two refusals schemathesis does not expect by default but the HTTP and oEmbed
# specifications call for: 413 for a body over a size limit (a progress
# report with many long numbers), and oEmbed's 501 for a format it lacks.
SCHEMATHESIS_CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]

[[operations]]
include-path = "/oembed"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", 501]
"""


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def json_api_rules(app) -> set[tuple[str, str]]:
    """(path template, method) of every JSON endpoint the app serves."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/oembed"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((re.sub(r"<(?:\w+:)?\w+>", "{}", rule.rule), method.lower()))
    return operations


def test_every_json_endpoint_is_described_and_nothing_else(app, spec):
    described = {
        (re.sub(r"\{\w+\}", "{}", path), method)
        for path, operations in spec["paths"].items() for method in operations
    }
    assert described == json_api_rules(app)


def test_the_document_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    assert spec["servers"] == [{"url": "http://localhost"}]
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "default" in operation["responses"]
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"])


def check(spec: dict, response, path: str, method: str) -> None:
    """Validate a real response against what the document says for it."""
    responses = spec["paths"][path][method]["responses"]
    described = responses.get(str(response.status_code)) or responses["default"]
    if "content" not in described:
        assert response.data == b""
        return
    schema = described["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for({**schema, "components": spec["components"]})
    errors = [e.message for e in validator.iter_errors(response.get_json())]
    assert not errors, f"{method.upper()} {path} {response.status_code}: {errors}"


def test_real_responses_match_the_document(app, client, spec, media_cache):
    headers = bearer(create_publisher(app))
    media = "/api/media"
    item = "/api/media/{item_id}"
    tracks = "/api/media/{item_id}/tracks"
    one_track = "/api/media/{item_id}/tracks/{track}"
    check(spec, client.get(media), media, "get")
    check(spec, client.get("/api/media/clip"), item, "get")
    check(spec, client.get("/api/media/missing"), item, "get")
    check(spec, client.get("/api/media/clip/transcript"),
          "/api/media/{item_id}/transcript", "get")
    check(spec, client.get("/api/search?q=hello"), "/api/search", "get")
    check(spec, client.get("/api/openapi.json"), "/api/openapi.json", "get")
    oembed = "/oembed"
    check(spec, client.get("/oembed?url=http://localhost/watch/clip&maxwidth=320"), oembed, "get")
    check(spec, client.get("/oembed?url=https://elsewhere.example/watch/clip"), oembed, "get")
    check(spec, client.get("/oembed?url=http://localhost/watch/nothing"), oembed, "get")
    check(spec, client.get("/oembed?url=http://localhost/watch/clip&format=xml"), oembed, "get")

    uploads = [
        ({"file": (make_media("webm_vp8_vorbis", media_cache).open("rb"), "a.webm"),
          "poster": (make_media("png", media_cache).open("rb"), "p.png")}, 201),
        ({"file": (make_media("png", media_cache).open("rb"), "a.mp4")}, 415),
        ({"file": (make_media("truncated_mp4", media_cache).open("rb"), "a.mp4")}, 422),
        ({"file": (make_media("mp3", media_cache).open("rb"), "a.mp3"),
          "captions": (io.BytesIO(BROKEN_VTT), "c.vtt")}, 422),
        ({"title": "no file"}, 400),
    ]
    for data, status in uploads:
        response = client.post(media, headers=headers, data=data,
                               content_type="multipart/form-data")
        assert response.status_code == status
        check(spec, response, media, "post")
    check(spec, client.post(media), media, "post")
    check(spec, client.post(media, headers={"Authorization": "Bearer nope"}), media, "post")

    for data, status in [(WARNING_VTT, 201), (WARNING_VTT, 200), (BROKEN_VTT, 422)]:
        response = client.post("/api/media/a/tracks", headers=headers, data={
            "kind": "subtitles", "srclang": "uk", "file": (io.BytesIO(data), "t.vtt")})
        assert response.status_code == status
        check(spec, response, tracks, "post")
    check(spec, client.delete("/api/media/a/tracks/uk.subtitles", headers=headers),
          one_track, "delete")
    check(spec, client.delete("/api/media/a/tracks/uk.subtitles", headers=headers),
          one_track, "delete")
    check(spec, client.delete("/api/media/a", headers=headers), item, "delete")
    check(spec, client.delete("/api/media/a", headers=headers), item, "delete")


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_contradiction(app, tmp_path, media_dir,
                                                                 media_cache):
    """Every check schemathesis has, public and write endpoints alike, except
    "schema-valid data is accepted": no schema can say which bytes are playable
    media, so random files are rightly refused with 415."""
    shutil.copy(make_media("m4a", media_cache), media_dir / "talk.m4a")
    token = create_publisher(app)
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    with LiveServer(app) as server:
        result = subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(config), "run",
             f"{server.url}/api/openapi.json",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "--header", f"Authorization: Bearer {token}",
             "--max-examples", "15", "--seed", "20261127", "--generation-database", "none",
             "--no-color", "--request-timeout", "30"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    failures = result.stdout.partition("=== FAILURES ===")[2][:20000]
    assert result.returncode == 0, failures + result.stdout[-3000:]
    assert re.search(r"\d+ generated, \d+ passed", result.stdout), result.stdout[-3000:]


@pytest.mark.parametrize("tag", ["en", "EN", "pt-BR", "zh-Hant-TW", "X-Private", "I-KLINGON",
                                 "en-x-foo", "EN-Y-ABC", "de-CH-1996", "sgn-BE-FR", "en-",
                                 "e", "123", "en_US", "en-x-", "a" * 9, "en\n"])
def test_the_captions_pattern_is_the_servers_rule(spec, tag):
    from player.languages import WELL_FORMED_TAG

    schema = spec["components"]["schemas"]["ProgressReport"]["properties"]["captions"]
    pattern = next(s["pattern"] for s in schema.get("anyOf", schema.get("oneOf", [schema]))
                   if "pattern" in s)
    # ECMA 262 regular expressions (JSON Schema's) read the body of this pattern as
    # Python's re does; ECMA's "$" matches at the very end only, as fullmatch does.
    assert pattern.startswith("^") and pattern.endswith("$")
    assert bool(re.fullmatch(pattern[1:-1], tag)) == bool(WELL_FORMED_TAG.fullmatch(tag))


def test_a_resume_offer_is_a_string_or_null(spec):
    offer = spec["components"]["schemas"]["ResumePoint"]["properties"]["offer"]
    assert offer["enum"] == ["resume", "watch_again", None]
