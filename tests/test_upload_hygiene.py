"""Small things an upload must get right: the files' modes, control
characters in text, the message for a broken WAV, and file parts sent
without a file name."""

from __future__ import annotations

import io
import os
import stat
import struct
from pathlib import Path

import pytest

from tests.mediagen import make_media
from tests.publish_support import GOOD_VTT, bearer, create_publisher, log_in, temp_files

BOUNDARY = "hygiene-boundary"


@pytest.fixture
def headers(app):
    return bearer(create_publisher(app))


@pytest.fixture
def umask():
    """Sets the process's umask for one test, as a service manager would."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- modes: the operator's umask, not 0600 ------------------------------------------------

@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o002, 0o664), (0o027, 0o640)])
def test_uploaded_and_rewritten_files_follow_the_umask(app, client, headers, media_dir,
                                                       media_cache, umask, mask, expected):
    umask(mask)
    response = client.post("/api/media", headers=headers, data={
        "title": "Modes", "file": (make_media("mp4", media_cache).open("rb"), "m.mp4"),
        "poster": (make_media("png", media_cache).open("rb"), "p.png"),
        "captions": (io.BytesIO(GOOD_VTT), "c.vtt")})
    assert response.status_code == 201, response.get_json()
    # A track added through the API, and a sidecar rewritten by an edit.
    response = client.post("/api/media/clip/tracks", headers=headers, data={
        "srclang": "de", "file": (io.BytesIO(GOOD_VTT), "de.vtt")})
    assert response.status_code == 201
    csrf = log_in(client, "pat2", create_publisher(app, "pat2"))
    response = client.post("/publish/media/clip", content_type="multipart/form-data", data={
        "csrf_token": csrf, "title": "Edited", "description": ""})
    assert response.status_code == 303
    written = ["modes.mp4", "modes.png", "modes.en.vtt", "modes.json", "clip.de.vtt",
               "clip.json"]
    assert {name: oct(mode(media_dir / name)) for name in written} == {
        name: oct(expected) for name in written}


# -- control characters never reach a title, a label or a page ------------------------------

@pytest.mark.parametrize("disposition,title", [
    ('filename="talk\x00.mp3"', "talk"),
    ('filename="\x1b[31mred\x1b[0m.mp3"', "[31mred[0m"),
    # RFC 2231 encoding, as curl and browsers may send a name with odd characters.
    ("filename*=UTF-8''line%0Abreak%0D%00.mp3", "linebreak"),
    ("filename*=UTF-8''tab%09here%7F%C2%85.mp3", "tabhere"),
    ('filename="quote\\"d\x01.mp3"', 'quote"d'),
])
def test_control_characters_in_a_file_name_do_not_reach_the_title(
        client, headers, media_cache, disposition, title):
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; {disposition}"
            "\r\n\r\n").encode() + make_media("mp3", media_cache).read_bytes()
    body += f"\r\n--{BOUNDARY}--\r\n".encode()
    response = post_raw(client, headers, "/api/media", body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == title


def test_a_file_without_a_name_or_title_is_untitled(client, headers, media_cache):
    response = post_raw(client, headers, "/api/media", raw_form(
        ("file", make_media("mp3", media_cache).read_bytes(), None)))
    assert response.status_code == 201
    assert (response.get_json()["title"], response.get_json()["id"]) == ("Untitled", "untitled")


def raw_form(*parts: tuple[str, bytes, str | None]) -> bytes:
    """A multipart body by hand: (field, bytes, file name or None for a text field)."""
    body = b""
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").encode()
        body += data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def post_raw(client, headers, url: str, body: bytes):
    return client.post(url, headers=headers, data=body,
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def test_control_characters_in_text_fields_are_dropped(client, headers, media_cache):
    body = raw_form(("title", b"Title\x00 with\x1b NUL\r\nand more\t!", None),
                    ("description", b"Line one\r\nLine\x00 two\rthree\x07\tend", None),
                    ("language", b"en\x00", None),
                    ("file", make_media("mp3", media_cache).read_bytes(), "a.mp3"))
    response = post_raw(client, headers, "/api/media", body)
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["title"] == "Title with NUL and more !"
    assert item["description"] == "Line one\nLine two\nthree\tend"
    assert item["language"] == "en"
    body = raw_form(("srclang", b"de", None), ("label", "Deutsch\x00\u0085 (SDH)\n".encode(), None),
                    ("file", GOOD_VTT, "de.vtt"))
    response = post_raw(client, headers, "/api/media/clip/tracks", body)
    assert response.status_code == 201
    assert response.get_json()["label"] == "Deutsch (SDH)"


def test_control_characters_in_the_edit_form_are_dropped(app, client, media_dir):
    csrf = log_in(client, "pat", create_publisher(app))
    response = client.post("/publish/media/clip", content_type="multipart/form-data", data={
        "csrf_token": csrf, "title": "Clip\x00\x08 edited\n", "description": "One\x00\r\ntwo",
        "label-en.captions": "English\x1b[1m"})
    assert response.status_code == 303
    item = client.get("/api/media/clip").get_json()
    assert item["title"] == "Clip edited"
    assert item["description"] == "One\ntwo"
    assert item["tracks"][0]["label"] == "English[1m"
    assert "\x00" not in (media_dir / "clip.json").read_text()


# -- a broken WAV says what is wrong, without empty brackets --------------------------------

def wav(body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body


@pytest.mark.parametrize("data", [
    wav(b"fmt " + struct.pack("<I", 16) + b"\x01\x00"),  # a format chunk cut short
    wav(b"\xff" * 40),                                    # no format chunk at all
    b"RIFF\x00\x00\x00\x00WAVE",                          # nothing after the header
])
def test_a_broken_wav_has_a_message_without_empty_brackets(client, headers, data):
    response = client.post("/api/media", headers=headers, data={
        "file": (io.BytesIO(data), "broken.wav")})
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert message.startswith("The media file cannot be read: the WAV file is damaged")
    assert "()" not in message and '("' not in message and message.endswith(".")


# -- a file part without a file name ---------------------------------------------------------

def test_a_media_file_without_a_file_name_is_taken(client, headers, media_cache, media_dir):
    mp3 = make_media("mp3", media_cache).read_bytes()
    png = make_media("png", media_cache).read_bytes()
    response = post_raw(client, headers, "/api/media", raw_form(
        ("title", b"No names", None), ("file", mp3, None), ("poster", png, None),
        ("captions", GOOD_VTT, None)))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert item["poster"] and [t["srclang"] for t in item["tracks"]] == ["en"]
    assert (media_dir / "no-names.mp3").read_bytes() == mp3
    assert temp_files(media_dir) == []


def test_a_track_without_a_file_name_is_taken(client, headers):
    response = post_raw(client, headers, "/api/media/clip/tracks", raw_form(
        ("srclang", b"fr", None), ("file", GOOD_VTT, None)))
    assert response.status_code == 201


def test_an_empty_file_part_without_a_name_is_no_file(client, headers, media_dir):
    response = post_raw(client, headers, "/api/media", raw_form(
        ("title", b"Nothing", None), ("file", b"", None)))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["details"]["fields"] == {"file": "Choose an audio or video file to upload."}
    assert temp_files(media_dir) == []


@pytest.mark.parametrize("field,data", [("title", "Café".encode("latin-1")),
                                        ("description", b"\xff\xfe\x00b"),
                                        ("label", b"\xc3")])
def test_text_that_is_not_utf8_gets_a_message_to_act_on(client, headers, field, data):
    response = post_raw(client, headers, "/api/media/clip/tracks", raw_form(
        (field, data, None), ("file", GOOD_VTT, "t.vtt")))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"].startswith(f"The form field '{field}' is not UTF-8 text.")
    assert f"curl -F '{field}=@FILE'" in error["message"]
    assert error["details"]["fields"] == {field: error["message"]}
