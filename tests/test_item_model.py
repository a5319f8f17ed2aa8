"""The typed catalog item (:class:`player.library.item.Item`): what the
database keeps of it, rows older versions wrote, and ITEM, the public JSON
every player and embedder reads, which must not change by a byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from player import create_app
from player.library.item import Item, Track
from tests.publish_support import create_publisher, log_in

FIXTURES = Path(__file__).parent / "fixtures"

#: A catalog row as this version's scan writes it: a draft, a rejected track,
#: a rendition record made of the file as it is.
ROW = {
    "id": "talk", "file": "talk.mp4", "title": "A talk", "description": "About things.",
    "language": "en", "kind": "video", "mime": "video/mp4", "duration": 12.5, "width": 1280,
    "height": 720, "size": 4096, "mtime": 1735725000.25, "poster": "talk.png",
    "tracks": [
        {"file": "talk.en.vtt", "kind": "captions", "srclang": "en", "label": "English captions",
         "cues": 3, "problems": [
             {"line": 4, "column": 1, "severity": "warning", "code": "too-fast",
              "message": "Fast."},
             {"line": 9, "column": 1, "severity": "warning", "code": "too-long",
              "message": "Long."}],
         "source": "author", "approved": True, "etag": "\"e1\""},
        {"file": "talk.en.captions.automatic.vtt", "kind": "captions", "srclang": "en",
         "label": "English (automatic)", "cues": 2, "problems": [], "source": "automatic",
         "approved": False, "etag": "\"e2\""},
    ],
    "rejected_tracks": [
        {"file": "talk.fr.vtt", "kind": "captions", "srclang": "fr", "label": "Français",
         "cues": 0, "problems": [
             {"line": 1, "column": 1, "severity": "error", "code": "no-header",
              "message": "No WEBVTT."},
             {"line": 3, "column": 2, "severity": "warning", "code": "too-long",
              "message": "Long."}],
         "source": "author", "approved": True, "etag": "\"e3\""},
    ],
    "renditions": {
        "source": {"name": "talk.mp4", "size": 4096, "mtime": 1735725000.25},
        "media": "m-0123456789ab", "text": "t-0123456789ab", "tracks": "f",
        "boundaries": [0.0], "duration": 12.5,
        "video": [{"height": 360, "width": 640, "bandwidth": 800000,
                   "average_bandwidth": 600000, "codecs": "avc1.64001e", "frame_rate": 25.0,
                   "playlist": "360.m3u8"}],
        "audio": {"bandwidth": 130000, "average_bandwidth": 128000, "codecs": "mp4a.40.2",
                  "playlist": "audio.m3u8"},
    },
}

#: ITEM of ROW on http://player.test, written out by hand, keys in order.
ROW_PUBLIC = (
    '{"id": "talk", "title": "A talk", "description": "About things.", "language": "en",'
    ' "kind": "video", "duration": 12.5, "width": 1280, "height": 720,'
    ' "sources": [{"url": "http://player.test/hls/talk/t-0123456789ab/master.m3u8",'
    ' "type": "application/vnd.apple.mpegurl"},'
    ' {"url": "http://player.test/files/talk/talk.mp4", "type": "video/mp4"}],'
    ' "renditions": [{"height": 360, "width": 640, "bandwidth": 930000,'
    ' "average_bandwidth": 728000, "codecs": "avc1.64001e,mp4a.40.2", "frame_rate": 25.0}],'
    ' "audio_only": {"url": "http://player.test/hls/talk/m-0123456789ab/audio.m3u8",'
    ' "type": "application/vnd.apple.mpegurl", "bandwidth": 130000,'
    ' "average_bandwidth": 128000, "codecs": "mp4a.40.2"},'
    ' "tracks": [{"url": "http://player.test/files/talk/talk.en.vtt", "kind": "captions",'
    ' "srclang": "en", "label": "English captions", "source": "author", "approved": true,'
    ' "cues": 3, "warnings": 2},'
    ' {"url": "http://player.test/files/talk/talk.en.captions.automatic.vtt",'
    ' "kind": "captions", "srclang": "en", "label": "English (automatic)",'
    ' "source": "automatic", "approved": false, "cues": 2, "warnings": 0}],'
    ' "rejected_tracks": [{"kind": "captions", "srclang": "fr", "label": "Fran\\u00e7ais",'
    ' "errors": [{"line": 1, "column": 1, "severity": "error", "code": "no-header",'
    ' "message": "No WEBVTT."}]}],'
    ' "poster": "http://player.test/files/talk/talk.png",'
    ' "transcript": {"html": "http://player.test/watch/talk/transcript",'
    ' "txt": "http://player.test/watch/talk/transcript.txt",'
    ' "json": "http://player.test/api/media/talk/transcript"},'
    ' "watch_url": "http://player.test/watch/talk",'
    ' "embed_url": "http://player.test/embed/talk"}'
)


@pytest.fixture
def url_app(tmp_path):
    return create_app({"TESTING": True, "MEDIA_DIR": str(tmp_path / "media"),
                       "DATABASE": str(tmp_path / "db.sqlite"), "SECRET_KEY": "test",
                       "SCAN_ON_START": False, "PUBLIC_URL": "http://player.test"})


def test_the_database_row_round_trips_to_the_same_json():
    text = json.dumps(ROW)
    item = Item.from_dict(json.loads(text))
    assert isinstance(item.tracks[0], Track) and isinstance(item.rejected_tracks[0], Track)
    assert json.dumps(item.to_dict()) == text


def test_to_public_is_item_json_byte_for_byte(url_app):
    with url_app.test_request_context():
        assert json.dumps(Item.from_dict(ROW).to_public()) == ROW_PUBLIC


def test_rows_written_before_drafts_and_renditions_still_read(url_app):
    """The catalog of a database from before drafts, entity tags and renditions."""
    sql = (FIXTURES / "data_v0_sqlite.sql").read_text(encoding="utf-8")
    rows = [json.loads(line.split(", '", 1)[1].rsplit("')", 1)[0])
            for line in sql.splitlines() if line.startswith("INSERT INTO items")]
    assert [r["id"] for r in rows] == ["clip", "song"]
    assert "source" not in rows[0]["tracks"][0] and "renditions" not in rows[0]
    clip = Item.from_dict(rows[0])
    [track] = clip.tracks
    assert (track.source, track.approved, track.etag, track.key) == (
        "author", True, None, "en.captions")
    assert clip.renditions is None and clip.rejected_tracks == []
    with url_app.test_request_context():
        public = clip.to_public()
    assert public["sources"] == [{"url": "http://player.test/files/clip/clip.mp4",
                                  "type": "video/mp4"}]
    assert public["tracks"] == [{
        "url": "http://player.test/files/clip/clip.en.vtt", "kind": "captions",
        "srclang": "en", "label": "English captions", "source": "author", "approved": True,
        "cues": 2, "warnings": 0}]
    assert (public["renditions"], public["audio_only"], public["rejected_tracks"]) == (
        [], None, [])


# -- the demo, through the API -----------------------------------------------------------

def _cues(path: Path) -> int:
    return path.read_text(encoding="utf-8").count(" --> ")


def _expected_demo(media: Path) -> dict[str, dict]:
    """ITEM of each demo item, from its files (titles, labels, cues) and what
    scripts/make_demo.py makes (a 640x360 video of 60.2 s, a 22.5 s audio tour)."""
    base = "http://player.test"
    found = {}
    for item_id, kind, mime, file, duration, size, poster, tracks in [
        ("welcome", "video", "video/mp4", "welcome.mp4", 60.2, (640, 360), "welcome.jpg",
         [("welcome.en.chapters.vtt", "chapters", "en", "en.chapters"),
          ("welcome.en.descriptions.vtt", "descriptions", "en", "en.descriptions"),
          ("welcome.en.vtt", "captions", "en", "en.captions"),
          ("welcome.uk.subtitles.vtt", "subtitles", "uk", "uk.subtitles")]),
        ("audio-tour", "audio", "audio/mp4", "audio-tour.m4a", 22.5, (None, None), None,
         [("audio-tour.en.vtt", "captions", "en", "en.captions")]),
    ]:
        meta = json.loads((media / f"{item_id}.json").read_text(encoding="utf-8"))
        found[item_id] = {
            "id": item_id, "title": meta["title"], "description": meta["description"],
            "language": meta["language"], "kind": kind, "duration": duration,
            "width": size[0], "height": size[1],
            "sources": [{"url": f"{base}/files/{item_id}/{file}", "type": mime}],
            "renditions": [], "audio_only": None,
            "tracks": [{"url": f"{base}/files/{item_id}/{name}", "kind": track_kind,
                        "srclang": lang, "label": meta["tracks"][key], "source": "author",
                        "approved": True, "cues": _cues(media / name), "warnings": 0}
                       for name, track_kind, lang, key in tracks],
            "rejected_tracks": [],
            "poster": f"{base}/files/{item_id}/{poster}" if poster else None,
            "transcript": {"html": f"{base}/watch/{item_id}/transcript",
                           "txt": f"{base}/watch/{item_id}/transcript.txt",
                           "json": f"{base}/api/media/{item_id}/transcript"},
            "watch_url": f"{base}/watch/{item_id}", "embed_url": f"{base}/embed/{item_id}",
        }
    return found


def _json_text(value) -> bytes:
    """How the API writes JSON: sorted keys, compact, ASCII, a final newline."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n").encode()


def test_the_api_answers_the_demo_as_before(tmp_path, demo_media):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(demo_media), "SECRET_KEY": "test",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "PUBLIC_URL": "http://player.test"})
    expected = _expected_demo(demo_media)
    client = app.test_client()
    listing = client.get("/api/media")
    # The catalog is by title: "Audio tour…" before "Welcome…".
    assert listing.data == _json_text({"items": [expected["audio-tour"], expected["welcome"]]})
    for item_id, item in expected.items():
        assert client.get(f"/api/media/{item_id}").data == _json_text(item)
    # A publisher is shown each item's jobs too, and nothing else changes.
    log_in(client, "pat", create_publisher(app, "pat"))
    for item_id, item in expected.items():
        assert client.get(f"/api/media/{item_id}").data == _json_text({**item, "jobs": []})
