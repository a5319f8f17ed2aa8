"""HLS renditions: what ffmpeg makes of a real video and a real audio file,
checked with the ``m3u8`` parser, Apple's rules that hold offline, ffmpeg's
own view of each segment's first frame, and the HTTP answers a CDN relies on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import m3u8
import pytest

from player import create_app, db
from player.library import nested
from player.library.catalog import find_item, get_storage
from player.library.scan import scan
from player.renditions import TranscodeError, ladder_for, make_renditions, needs_job
from player.renditions.playlists import CAPTION_CHARACTERISTICS, TIMESTAMP_MAP
from tests.conftest import CAPTIONS_EN
from tests.mediagen import ffmpeg_exe, make_media

SUBTITLES_UK = ("WEBVTT\n\n00:00:00.500 --> 00:00:02.500\nПривіт\n\n"
                "00:00:05.000 --> 00:00:07.000\nДо побачення\n")
SEGMENT_RANGE = (3.9, 6.1)


def make_talk(cache: Path) -> Path:
    """9 s of 640x360 video at 15 fps with a tone: a ladder of 240p and 360p."""
    target = cache / "talk-360p.mp4"
    if not target.exists():
        subprocess.run([
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15:duration=9",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=9",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "32k", str(target)], check=True, timeout=120)
    return target


def fill_library(folder: Path, cache: Path) -> Path:
    """The talk with English captions and Ukrainian subtitles, a song, and a
    video lower than the lowest rung."""
    folder.mkdir()
    shutil.copy(make_talk(cache), folder / "talk.mp4")
    (folder / "talk.en.vtt").write_text(CAPTIONS_EN, encoding="utf-8")
    (folder / "talk.uk.subtitles.vtt").write_text(SUBTITLES_UK, encoding="utf-8")
    shutil.copy(make_media("mp3", cache), folder / "song.mp3")
    shutil.copy(make_media("mp4", cache), folder / "tiny.mp4")
    return folder


def renditions_app(media: Path, database: Path, **config):
    return create_app({"TESTING": True, "MEDIA_DIR": str(media), "SECRET_KEY": "t",
                       "DATABASE": str(database), "RENDITIONS_PRESET": "ultrafast", **config})


@pytest.fixture
def hls_dir(tmp_path, media_cache) -> Path:
    return fill_library(tmp_path / "media", media_cache)


@pytest.fixture
def hls_app(hls_dir, tmp_path):
    return renditions_app(hls_dir, tmp_path / "db.sqlite")


@pytest.fixture
def talk(hls_app):
    """The talk with its renditions made; its ITEM JSON."""
    make_renditions(hls_app, "talk")
    return hls_app.test_client().get("/api/media/talk").get_json()


@pytest.fixture(scope="module")
def streamed(tmp_path_factory, media_cache):
    """For tests that only read: an app whose talk has its renditions, made
    once for the module, and the talk's ITEM JSON."""
    folder = tmp_path_factory.mktemp("streamed")
    app = renditions_app(fill_library(folder / "media", media_cache), folder / "db.sqlite")
    make_renditions(app, "talk")
    return app, app.test_client().get("/api/media/talk").get_json()


def get(client, url: str, **kwargs):
    """GET an absolute URL of the app with the test client; the body is read
    and the response closed (a file sent with sendfile stays open until then)."""
    parts = urlsplit(url)
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), **kwargs)
    response.get_data()
    response.close()
    return response


def fetch_all(client, master_url: str) -> dict[str, bytes]:
    """Every file the master playlist leads to, by absolute URL."""
    found = {master_url: get(client, master_url).data}
    master = m3u8.loads(found[master_url].decode())
    for uri in [p.uri for p in master.playlists] + [m.uri for m in master.media if m.uri]:
        url = urljoin(master_url, uri)
        if url in found:
            continue
        found[url] = get(client, url).data
        media = m3u8.loads(found[url].decode())
        uris = [s.uri for s in media.segments]
        if media.segments and media.segments[0].init_section:
            uris.append(media.segments[0].init_section.uri)
        for name in uris:
            response = get(client, urljoin(url, name))
            assert response.status_code == 200, urljoin(url, name)
            found[urljoin(url, name)] = response.data
    return found


# -- the ladder -----------------------------------------------------------------------------

def test_the_ladder_never_goes_above_the_source():
    assert [r.height for r in ladder_for(1080)] == [240, 360, 480, 720, 1080]
    assert [r.height for r in ladder_for(719)] == [240, 360, 480]
    assert [r.height for r in ladder_for(240)] == [240]
    assert [r.height for r in ladder_for(91)] == [90]
    assert ladder_for(None) == []


def test_an_item_plays_progressively_until_its_renditions_are_made(hls_app):
    client = hls_app.test_client()
    item = client.get("/api/media/talk").get_json()
    assert [s["type"] for s in item["sources"]] == ["video/mp4"]
    assert item["renditions"] == [] and item["audio_only"] is None
    page = client.get("/watch/talk").text
    assert "data-hlsjs" not in page and "mpegurl" not in page


def test_item_json_lists_the_master_playlist_then_the_original(streamed):
    _, talk = streamed
    assert [s["type"] for s in talk["sources"]] == ["application/vnd.apple.mpegurl", "video/mp4"]
    assert talk["sources"][0]["url"].endswith("/master.m3u8")
    assert talk["sources"][1]["url"].endswith("/files/talk/talk.mp4")
    assert [(r["height"], r["width"]) for r in talk["renditions"]] == [(240, 426), (360, 640)]
    for rendition in talk["renditions"]:
        assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", rendition["codecs"])
        assert rendition["frame_rate"] == 15.0
        assert 0 < rendition["average_bandwidth"] <= rendition["bandwidth"]
    assert talk["renditions"][0]["bandwidth"] < talk["renditions"][1]["bandwidth"]
    audio = talk["audio_only"]
    assert audio["codecs"] == "mp4a.40.2" and audio["url"].endswith("/audio.m3u8")
    # AAC-LC at 64 kbit/s, mono; a little container overhead on top.
    assert 40_000 < audio["average_bandwidth"] < 90_000


def test_a_source_lower_than_the_ladder_gets_one_rendition_at_its_own_height(hls_app):
    make_renditions(hls_app, "tiny")
    item = hls_app.test_client().get("/api/media/tiny").get_json()
    assert [(r["height"], r["width"]) for r in item["renditions"]] == [(90, 160)]


# -- playlists ------------------------------------------------------------------------------

def test_every_playlist_parses_and_keeps_the_offline_rules(streamed):
    hls_app, talk = streamed
    client = hls_app.test_client()
    master_url = talk["sources"][0]["url"]
    files = fetch_all(client, master_url)
    master = m3u8.loads(files[master_url].decode())
    assert master.is_variant and master.is_independent_segments and int(master.version) >= 7

    video = [p for p in master.playlists if p.stream_info.resolution]
    assert [p.stream_info.resolution for p in video] == [(426, 240), (640, 360)]
    for variant in master.playlists:
        info = variant.stream_info
        assert info.bandwidth and info.average_bandwidth <= info.bandwidth
        assert info.subtitles == "subs"
        # The captions are WebVTT renditions; none are in the video (RFC 8216 4.3.4.2:
        # NONE on one variant is NONE on all).
        assert info.closed_captions == "NONE"
    for variant, public in zip(video, talk["renditions"], strict=True):
        assert variant.stream_info.codecs == public["codecs"]
        assert variant.stream_info.audio == "aud" and variant.stream_info.frame_rate == 15
    audio_only = [p for p in master.playlists if not p.stream_info.resolution]
    assert [p.stream_info.codecs for p in audio_only] == ["mp4a.40.2"]

    audio_group = [m for m in master.media if m.type == "AUDIO"]
    assert [(m.group_id, m.language, m.name, m.default, m.autoselect) for m in audio_group] == [
        ("aud", "en", "English", "YES", "YES")]
    subtitles = {m.language: m for m in master.media if m.type == "SUBTITLES"}
    assert set(subtitles) == {"en", "uk"}
    assert subtitles["en"].characteristics == CAPTION_CHARACTERISTICS
    assert (subtitles["en"].default, subtitles["en"].autoselect) == ("YES", "YES")
    assert subtitles["en"].name == "English captions"
    assert subtitles["uk"].characteristics is None and subtitles["uk"].default == "NO"

    for variant in [*master.playlists, *[m for m in master.media if m.uri]]:
        url = urljoin(master_url, variant.uri)
        playlist = m3u8.loads(files[url].decode())
        durations = [s.duration for s in playlist.segments]
        assert playlist.playlist_type == "vod" and playlist.is_endlist
        # Apple: EXT-X-TARGETDURATION is at least every EXTINF rounded.
        assert all(round(d) <= playlist.target_duration for d in durations), url
        assert abs(sum(durations) - 9) < 0.1
        for duration in durations[:-1]:
            assert SEGMENT_RANGE[0] <= duration <= SEGMENT_RANGE[1], url
        if url.endswith(".m3u8") and "captions" not in url and "subtitles" not in url:
            assert playlist.segments[0].init_section is not None
            assert int(playlist.version) >= 7  # fMP4 (EXT-X-MAP) needs version 7
        else:
            for segment in playlist.segments:
                text = files[urljoin(url, segment.uri)].decode()
                assert text.startswith(f"WEBVTT\n{TIMESTAMP_MAP}\n")


def test_captions_in_the_stream_hold_the_cues_of_their_segment(streamed):
    hls_app, talk = streamed
    client = hls_app.test_client()
    files = fetch_all(client, talk["sources"][0]["url"])
    segments = sorted((url, data.decode()) for url, data in files.items()
                      if url.endswith(".vtt") and "/uk-subtitles-" in url)
    assert len(segments) == 3
    assert "Привіт" in segments[0][1] and "До побачення" not in segments[0][1]
    # The cue from 5 s to 7 s shows in the second segment (4 s to 8 s) only.
    assert "00:00:05.000 --> 00:00:07.000\nДо побачення" in segments[1][1]
    assert "До побачення" not in segments[2][1]


def test_declared_bandwidth_covers_every_segment(streamed):
    hls_app, talk = streamed
    client = hls_app.test_client()
    master_url = talk["sources"][0]["url"]
    files = fetch_all(client, master_url)
    master = m3u8.loads(files[master_url].decode())
    audio_url = urljoin(master_url, next(m.uri for m in master.media if m.type == "AUDIO"))
    audio = m3u8.loads(files[audio_url].decode())
    audio_peak = max(len(files[urljoin(audio_url, s.uri)]) * 8 / s.duration
                     for s in audio.segments)
    for variant in master.playlists:
        if not variant.stream_info.resolution:
            continue
        url = urljoin(master_url, variant.uri)
        playlist = m3u8.loads(files[url].decode())
        peak = max(len(files[urljoin(url, s.uri)]) * 8 / s.duration for s in playlist.segments)
        assert peak + audio_peak <= variant.stream_info.bandwidth


# -- keyframes ------------------------------------------------------------------------------

_SHOWINFO = re.compile(r"n:\s*(\d+)\s+pts:\s*\d+\s+pts_time:([\d.]+).*?iskey:(\d)")


def first_frame(init: bytes, segment: bytes) -> tuple[float, bool]:
    """ffmpeg's own view of a segment's first frame: its time and whether it is a keyframe."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-copyts", "-i", "pipe:0",
         "-frames:v", "1", "-vf", "showinfo", "-f", "null", "-"],
        input=init + segment, capture_output=True, timeout=60, check=True)
    match = _SHOWINFO.search(result.stderr.decode("utf-8", "replace"))
    assert match, result.stderr.decode()[-2000:]
    return float(match[2]), match[3] == "1"


def test_every_segment_of_every_rendition_starts_on_a_keyframe_at_the_same_time(streamed):
    hls_app, talk = streamed
    client = hls_app.test_client()
    master_url = talk["sources"][0]["url"]
    files = fetch_all(client, master_url)
    master = m3u8.loads(files[master_url].decode())
    starts = {}
    for variant in master.playlists:
        if not variant.stream_info.resolution:
            continue
        url = urljoin(master_url, variant.uri)
        playlist = m3u8.loads(files[url].decode())
        init = files[urljoin(url, playlist.segments[0].init_section.uri)]
        frames = [first_frame(init, files[urljoin(url, s.uri)]) for s in playlist.segments]
        assert all(key for _, key in frames), (url, frames)
        starts[variant.stream_info.resolution] = [round(t, 3) for t, _ in frames]
        # The playlist's EXTINF add up to the same instants.
        elapsed = [0.0]
        for segment in playlist.segments[:-1]:
            elapsed.append(elapsed[-1] + segment.duration)
        assert [round(t, 3) for t in elapsed] == starts[variant.stream_info.resolution]
    assert len(starts) == 2 and len({tuple(s) for s in starts.values()}) == 1, starts


def test_a_video_without_sound_has_no_audio_group(hls_app, hls_dir, media_cache):
    shutil.copy(make_media("mp4_video_only", media_cache), hls_dir / "silent.mp4")
    with hls_app.app_context():
        scan(get_storage(hls_app), db.get_db())
    make_renditions(hls_app, "silent")
    client = hls_app.test_client()
    item = client.get("/api/media/silent").get_json()
    assert item["audio_only"] is None
    assert [r["codecs"].split(".")[0] for r in item["renditions"]] == ["avc1"]
    master = m3u8.loads(get(client, item["sources"][0]["url"]).text)
    assert [m.type for m in master.media] == []
    assert [p.stream_info.audio for p in master.playlists] == [None]


# -- audio items ----------------------------------------------------------------------------

def test_an_audio_item_gets_the_audio_only_rendition(hls_app):
    make_renditions(hls_app, "song")
    client = hls_app.test_client()
    item = client.get("/api/media/song").get_json()
    assert item["renditions"] == []
    assert item["audio_only"]["codecs"] == "mp4a.40.2"
    assert [s["type"] for s in item["sources"]] == ["application/vnd.apple.mpegurl", "audio/mpeg"]
    master = m3u8.loads(get(client, item["sources"][0]["url"]).text)
    assert [(p.stream_info.codecs, p.stream_info.resolution) for p in master.playlists] == [
        ("mp4a.40.2", None)]
    assert urljoin(item["sources"][0]["url"], master.playlists[0].uri) == item["audio_only"]["url"]


# -- HTTP -----------------------------------------------------------------------------------

def test_segments_are_cached_for_a_year_and_playlists_briefly(streamed):
    hls_app, talk = streamed
    client = hls_app.test_client()
    master_url = talk["sources"][0]["url"]
    master = get(client, master_url, headers={"Origin": "https://host.example"})
    assert master.status_code == 200
    assert master.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    assert master.headers["Cache-Control"] == "public, max-age=10"
    assert master.headers["Access-Control-Allow-Origin"] == "*"
    variant = urljoin(master_url, m3u8.loads(master.text).playlists[0].uri)
    playlist = m3u8.loads(get(client, variant).text)
    segment_url = urljoin(variant, playlist.segments[0].uri)
    segment = get(client, segment_url, headers={"Origin": "https://host.example"})
    assert segment.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert segment.headers["Content-Type"] == "video/mp4"
    assert segment.headers["Access-Control-Allow-Origin"] == "*"
    part = get(client, segment_url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert get(client, segment_url, headers={"If-None-Match": segment.headers["ETag"]}
               ).status_code == 304
    gone = segment_url.replace("-00000.m4s", "-00099.m4s")
    assert get(client, gone).status_code == 404
    assert client.get("/hls/talk/../talk.mp4").status_code == 404
    assert client.get("/hls/talk/m-0123456789ab/v240.m3u8").status_code == 404


def test_the_pages_list_the_stream_first_and_offer_the_file_to_download(streamed):
    hls_app, talk = streamed
    for url in ("/watch/talk", "/embed/talk"):
        page = hls_app.test_client().get(url).text
        stream = page.index('type="application/vnd.apple.mpegurl"')
        assert stream < page.index('type="video/mp4"')
        # A playlist is no file to keep: the download is the original.
        assert re.search(r'<a href="http://localhost/files/talk/talk.mp4" download>', page), url


# -- changes --------------------------------------------------------------------------------

def test_a_changed_track_remakes_the_captions_but_not_the_media(hls_app, hls_dir, talk):
    storage = get_storage(hls_app)
    before = nested.versions(storage, "talk")
    assert len(before) == 2
    (hls_dir / "talk.fr.subtitles.vtt").write_text(SUBTITLES_UK.replace("Привіт", "Bonjour"))
    with hls_app.app_context():
        scan(storage, db.get_db())
        item = find_item("talk")
    assert needs_job(item)
    make_renditions(hls_app, "talk")
    after = nested.versions(storage, "talk")
    media = [v for v in before if v.startswith("m-")]
    assert media == [v for v in after if v.startswith("m-")]  # not transcoded again
    assert set(after) != set(before) and len(after) == 2      # the old captions are gone
    client = hls_app.test_client()
    item = client.get("/api/media/talk").get_json()
    master = m3u8.loads(get(client, item["sources"][0]["url"]).text)
    assert sorted(m.language for m in master.media if m.type == "SUBTITLES") == ["en", "fr", "uk"]
    with hls_app.app_context():
        assert not needs_job(find_item("talk"))


def test_a_failed_transcode_says_why_and_the_item_still_plays(hls_dir, tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(hls_dir), "SECRET_KEY": "t",
                      "DATABASE": str(tmp_path / "db.sqlite"),
                      "RENDITIONS_PRESET": "no-such-preset"})
    with pytest.raises(TranscodeError) as failure:
        make_renditions(app, "talk")
    message = str(failure.value)
    # ffmpeg's own reason, from its last lines.
    assert "ffmpeg stopped" in message and "no-such-preset" in message
    item = app.test_client().get("/api/media/talk").get_json()
    assert [s["type"] for s in item["sources"]] == ["video/mp4"]
    assert item["renditions"] == []
    with app.app_context():
        item = find_item("talk")
        # Not tried again on every scan until the file changes.
        assert item.renditions["error"] == message and not needs_job(item)
    assert nested.versions(get_storage(app), "talk") == []


def test_deleting_an_item_deletes_its_renditions(hls_app, talk):
    from player.publish import uploads

    storage = get_storage(hls_app)
    with hls_app.app_context():
        uploads.delete_item(storage, find_item("talk"))
    assert nested.versions(storage, "talk") == []


def test_item_json_with_renditions_matches_the_openapi_document(streamed):
    hls_app, talk = streamed
    from tests.test_openapi import check

    client = hls_app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    check(spec, client.get("/api/media/talk"), "/api/media/{item_id}", "get")
    check(spec, client.get("/api/media"), "/api/media", "get")
