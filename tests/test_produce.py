"""Caption production without the job queue: cue segmentation, track
sources, drafts that never replace a person's work, and what counts as
captions in the accessibility status."""

from __future__ import annotations

import json

import pytest

from player import db
from player.captions import validate
from player.library import scan, sources
from player.library.catalog import find_item
from player.library.storage import parse_track_name, track_name
from player.produce.drafts import store_draft
from player.produce.script import Word, parse_script
from player.produce.segment import LONG_PAUSE, MIN_DURATION, make_cues, to_webvtt
from player.publish import uploads
from player.publish.views import accessibility_checks

DRAFT_VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.500\nA drafted caption.\n"


def timed(text: str, start: float = 0.0, rate: float = 0.32, speaker: str | None = None,
          paragraph: int = 0) -> list[Word]:
    """Words spoken one after another, ``rate`` seconds each."""
    words = []
    for token in text.split():
        words.append(Word(token, paragraph, 1, speaker, round(start, 3), round(start + rate, 3)))
        start += rate
    return words


# -- segmentation ------------------------------------------------------------------------

def test_cues_follow_the_captioning_rules_and_pass_the_checker():
    words = timed("So tonight we look at the river, which rose again overnight in the north"
                  " of the valley and flooded the road to the old mill before dawn. Farmers"
                  " moved their animals to higher ground, and the council opened the school"
                  " hall for families who had to leave their homes.", rate=0.36)
    cues = make_cues(words)
    assert len(cues) > 2
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(line) <= 42 for line in cue.lines), cue.lines
        for line in cue.lines[:-1]:
            # Never a line ending on an article, nor one starting with a full stop.
            assert line.split()[-1].lower() not in ("a", "an", "the"), cue.lines
        assert not any(line.startswith((".", ",")) for line in cue.lines)
        assert cue.end - cue.start >= MIN_DURATION - 1e-6
        assert cue.chars / (cue.end - cue.start) <= 20
    text = to_webvtt(cues)
    report = validate(text)
    assert report.ok and not report.problems, report.problems


def test_a_new_speaker_starts_a_new_cue_with_a_voice_tag():
    words = (timed("Good evening.", 0.0, speaker="ANNA")
             + timed("Thank you, Anna.", 1.0, speaker="SIOBHAN", paragraph=1))
    cues = make_cues(words)
    assert [c.speaker for c in cues] == ["ANNA", "SIOBHAN"]
    text = to_webvtt(cues)
    assert "<v ANNA>Good evening." in text and "<v SIOBHAN>Thank you, Anna." in text
    assert cues[0].end <= cues[1].start
    assert not validate(text).problems


def test_no_cue_spans_a_long_pause_and_short_cues_stay_up_long_enough():
    words = timed("Yes.", 0.0) + timed("And then, much later, the answer.", 0.32 + LONG_PAUSE + 2)
    cues = make_cues(words)
    assert [c.lines for c in cues] == [["Yes."], ["And then, much later, the answer."]]
    assert cues[0].end - cues[0].start >= MIN_DURATION
    assert cues[0].end <= cues[1].start


def test_uncertain_words_are_marked_for_review_in_the_cue_text():
    words = timed("the river rose")
    words[1].review = True
    text = to_webvtt(make_cues(words))
    assert "the <c.review>river</c> rose" in text
    assert validate(text).ok


def test_script_speakers_carry_over_paragraphs():
    paragraphs = parse_script(
        "ANNA: Good evening.\n\nMore from me.\n\nBob Lee: Hi.\n10:30 is late.")
    assert [(p.speaker, p.line) for p in paragraphs] == [
        ("ANNA", 1), ("ANNA", 3), ("Bob Lee", 5)]
    assert paragraphs[2].text == "Hi. 10:30 is late."


# -- track sources -----------------------------------------------------------------------

def test_the_naming_rule_puts_drafts_beside_the_authors_track():
    assert track_name("talk", "en", "captions", "automatic") == "talk.en.captions.automatic.vtt"
    assert track_name("talk", "en", "captions") == "talk.en.vtt"
    parsed = parse_track_name("talk", "talk.en.captions.aligned.vtt", "en")
    assert (parsed.srclang, parsed.kind, parsed.source) == ("en", "captions", "aligned")
    assert parse_track_name("talk", "talk.en.vtt", "en").source == "author"
    assert sources.parse_key("en.captions.automatic") == ("en", "captions", "automatic")


def _rescan(app):
    with app.app_context():
        scan.scan(app.config["MEDIA_DIR"], db.get_db())


def _status(item: dict) -> dict:
    return {c.key: c.state for c in accessibility_checks(item)}


def test_drafts_do_not_count_as_captions_until_approved(app, media_dir):
    (media_dir / "clip.en.vtt").unlink()
    (media_dir / "clip.en.captions.automatic.vtt").write_text(DRAFT_VTT, encoding="utf-8")
    _rescan(app)
    with app.test_request_context():
        item = find_item("clip")
        [track] = item.tracks
        assert (track.source, track.approved) == ("automatic", False)
        assert track.label == "English (automatic)"
        public = item.to_public()["tracks"][0]
        assert (public["source"], public["approved"]) == ("automatic", False)
        assert _status(item)["captions"] == "missing"
        assert _status(item)["transcript"] == "missing"

        approval = sources.approve("clip", "en.captions.automatic", by="pat")
        assert approval.key == "en.captions.automatic"
        item = find_item("clip")
        assert item.tracks[0].approved is True
        assert _status(item)["captions"] == "met"
    metadata = json.loads((media_dir / "clip.json").read_text())
    assert metadata["drafts"]["en.captions.automatic"]["approved_by"] == "pat"


def test_a_job_never_replaces_an_authors_track(app, media_dir):
    author = (media_dir / "clip.en.vtt").read_bytes()
    with app.test_request_context():
        draft = store_draft(find_item("clip"), "en", "captions", "automatic", DRAFT_VTT)
        assert draft.file == "clip.en.captions.automatic.vtt"
        item = find_item("clip")
        assert [(t.file, t.source) for t in item.tracks] == [
            ("clip.en.vtt", "author"), ("clip.en.captions.automatic.vtt", "automatic")]
        # The author's track stays the one that counts, and the one players pick first.
        assert "A short clip" not in _status(item)["captions"]
        assert accessibility_checks(item)[0].text == "Present and valid: English captions."
        assert uploads.find_track(item, "en", "captions").file == "clip.en.vtt"
    assert (media_dir / "clip.en.vtt").read_bytes() == author


def test_a_draft_a_person_edited_or_approved_is_not_overwritten(app, media_dir):
    with app.test_request_context():
        store_draft(find_item("clip"), "en", "captions", "aligned", DRAFT_VTT)
        # An untouched draft is simply made again.
        store_draft(find_item("clip"), "en", "captions", "aligned", DRAFT_VTT.replace("A", "The"))
        path = media_dir / "clip.en.captions.aligned.vtt"
        path.write_text(DRAFT_VTT.replace("drafted", "corrected"), encoding="utf-8")
        with pytest.raises(sources.HumanWorkKept, match="edited"):
            store_draft(find_item("clip"), "en", "captions", "aligned", DRAFT_VTT)
        assert "corrected" in path.read_text()

        (media_dir / "clip.en.captions.automatic.vtt").unlink(missing_ok=True)
        store_draft(find_item("clip"), "en", "captions", "automatic", DRAFT_VTT)
        sources.approve("clip", "clip.en.captions.automatic.vtt", by="pat")
        with pytest.raises(sources.HumanWorkKept, match="approved"):
            store_draft(find_item("clip"), "en", "captions", "automatic", DRAFT_VTT)


def test_an_uploaded_track_replaces_the_authors_not_the_draft(app, media_dir, client):
    from tests.publish_support import bearer, create_publisher

    token = create_publisher(app)
    with app.test_request_context():
        store_draft(find_item("clip"), "en", "captions", "automatic", DRAFT_VTT)
    new = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nThe author's new words.\n"
    response = client.post("/api/media/clip/tracks", headers=bearer(token), data={
        "file": (__import__("io").BytesIO(new), "clip.en.vtt"), "kind": "captions",
        "srclang": "en"})
    assert response.status_code == 200, response.text
    assert (media_dir / "clip.en.vtt").read_bytes() == new
    assert (media_dir / "clip.en.captions.automatic.vtt").read_text() == DRAFT_VTT
    # The draft is deleted by its own key, the author's track stays.
    response = client.delete("/api/media/clip/tracks/en.captions.automatic",
                             headers=bearer(token))
    assert response.status_code == 204, response.text
    assert not (media_dir / "clip.en.captions.automatic.vtt").exists()
    assert (media_dir / "clip.en.vtt").exists()
    assert "drafts" not in json.loads((media_dir / "clip.json").read_text()) or \
        "en.captions.automatic" not in json.loads((media_dir / "clip.json").read_text())["drafts"]
