"""Timing a script against real speech (espeak-ng, sentence starts known from
the synthesis), the CLI commands, and the built-in recogniser."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from player.captions import validate
from player.produce import align, decode, make_cues, parse_script, to_webvtt
from player.produce.asr import LanguageRefused, PocketSphinxEngine, check_language, transcribe
from player.produce.audio import speech_segments
from tests.speechgen import NEWS, speak

SKIPPED = "Scientists say a bright comet will pass close to the moon next spring."


@pytest.fixture(scope="module")
def news(tmp_path_factory) -> tuple[Path, list]:
    """Four sentences of the news script, spoken with known pauses."""
    path = tmp_path_factory.mktemp("speech") / "news.wav"
    return path, speak(NEWS[:4], path)


def _first_word_starts(result, timeline) -> list[float]:
    """The aligned start of each sentence's first word."""
    words = result.words
    starts = []
    at = 0
    for spoken in timeline:
        count = len(spoken.text.split())
        starts.append(words[at].start)
        at += count
    return starts


def test_alignment_times_sentences_within_the_targets(news):
    path, timeline = news
    script = "\n\n".join(s.text for s in timeline)
    result = align(decode(str(path)), parse_script(script), "en")
    assert not result.rough and not result.skipped
    assert len(result.words) == sum(len(s.text.split()) for s in timeline)
    errors = [abs(a - s.start) for a, s in
              zip(_first_word_starts(result, timeline), timeline, strict=True)]
    assert statistics.median(errors) <= 0.2, errors
    assert max(errors) <= 0.5, errors
    cues = make_cues(result.words)
    assert abs(cues[0].start - timeline[0].start) <= 0.2
    report = validate(to_webvtt(cues))
    assert report.ok and not report.problems, report.problems


def test_words_missing_from_the_dictionary_are_interpolated_not_dropped(tmp_path):
    path = tmp_path / "name.wav"
    timeline = speak([("The reporter Zorblat Okonkwo is waiting at the harbour this morning.",
                       0.5)], path)
    audio = decode(str(path))
    result = align(audio, parse_script(timeline[0].text), "en")
    texts = [w.text for w in result.words]
    assert texts == timeline[0].text.split()
    unknown = [w for w in result.words if w.interpolated]
    assert [w.text for w in unknown] == ["Zorblat", "Okonkwo"]
    reporter, after = result.words[1], result.words[4]
    assert reporter.end <= unknown[0].start < unknown[0].end <= unknown[1].start
    assert unknown[1].end <= after.start
    # Within the stretch of speech they are in, not in the silence around it.
    [segment] = [s for s in speech_segments(audio) if s.start - 0.1 <= unknown[0].start <= s.end]
    assert unknown[1].end <= segment.end + 0.1
    assert result.summary()["interpolated_words"] == 2


@pytest.mark.slow
def test_a_skipped_paragraph_is_reported_and_the_rest_still_fits(news):
    path, timeline = news
    paragraphs = [s.text for s in timeline]
    script = "\n\n".join(paragraphs[:2] + [SKIPPED] + paragraphs[2:])
    result = align(decode(str(path)), parse_script(script), "en")
    assert [p.text for p in result.skipped] == [SKIPPED]
    assert result.summary()["skipped_paragraphs"][0]["line"] == 5
    assert "not found" in result.note
    assert not result.rough
    errors = [abs(a - s.start) for a, s in
              zip(_first_word_starts(result, timeline), timeline, strict=True)]
    assert max(errors) <= 0.5, errors


def test_a_language_without_a_model_gets_rough_timing_within_the_speech(news):
    path, timeline = news
    audio = decode(str(path))
    script = "\n\n".join(s.text for s in timeline)
    result = align(audio, parse_script(script), "uk")
    assert result.rough and "Rough timing" in result.note
    segments = speech_segments(audio)
    for word in result.words:
        assert any(s.start - 0.01 <= word.start and word.end <= s.end + 0.01 for s in segments)
    assert validate(to_webvtt(make_cues(result.words))).ok


def test_the_built_in_engine_refuses_other_languages_and_drafts_english(news):
    engine = PocketSphinxEngine()
    with pytest.raises(LanguageRefused, match="No speech engine here recognises"):
        check_language(engine, "uk", "uk")
    with pytest.raises(LanguageRefused, match="drafts are made in that language only"):
        check_language(engine, "en", "fr")
    path, _ = news
    audio = decode(str(path))
    heard = transcribe(type(audio)(audio.slice(0, 3.2)), "en", engine)
    assert heard.words and heard.engine == "pocketsphinx"
    assert all(0 <= w.start < w.end <= 3.3 for w in heard.words)


def test_cli_align_writes_captions_the_checker_accepts(runner, news, tmp_path):
    path, timeline = news
    script = tmp_path / "script.txt"
    script.write_text("ANNA: " + timeline[0].text + "\n\n" + "\n\n".join(
        s.text for s in timeline[1:]), encoding="utf-8")
    out = tmp_path / "out.vtt"
    result = runner.invoke(args=["align", str(path), str(script), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "cues written" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT") and "<v ANNA>Good evening" in text
    check = runner.invoke(args=["check-captions", str(out)])
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output, check.output


def test_cli_transcribe_refuses_a_language_it_has_no_model_for(runner, news, tmp_path):
    path, _ = news
    out = tmp_path / "out.vtt"
    result = runner.invoke(args=["transcribe", str(path), "-o", str(out), "--language", "uk"])
    assert result.exit_code != 0
    assert "No speech engine here recognises" in result.output
    assert not out.exists()


def test_the_engine_is_chosen_by_configuration_with_clear_refusals():
    from player.produce.asr import FasterWhisperEngine, WhisperCppEngine, engine_from
    from player.produce.sphinx import EngineUnavailable

    assert engine_from({}).name == "pocketsphinx"
    with pytest.raises(EngineUnavailable, match="use one of pocketsphinx"):
        engine_from({"ASR_ENGINE": "deepspeech"})
    with pytest.raises(EngineUnavailable, match="needs PLAYER_ASR_MODEL"):
        engine_from({"ASR_ENGINE": "faster-whisper"})
    assert engine_from({"ASR_ENGINE": "whispercpp", "ASR_MODEL": "m.bin"}).name == "whispercpp"
    # English-only Whisper models are never asked for another language.
    assert not FasterWhisperEngine("/models/small.en").speaks("fr")
    assert FasterWhisperEngine("/models/small").speaks("fr")
    assert not WhisperCppEngine("ggml-base.en.bin").speaks("uk")


@pytest.mark.parametrize("name, module, package", [
    ("faster-whisper", "faster_whisper", "faster-whisper"),
    ("whispercpp", "pywhispercpp", "pywhispercpp")])
def test_an_optional_engine_runs_when_installed_or_says_how_to_install(name, module, package,
                                                                       news):
    import importlib.util
    import os

    from player.produce.asr import engine_from
    from player.produce.sphinx import EngineUnavailable

    path, _ = news
    audio = decode(str(path))
    model = os.environ.get("PLAYER_ASR_MODEL")
    engine = engine_from({"ASR_ENGINE": name, "ASR_MODEL": model or "missing-model"})
    if importlib.util.find_spec(module) is None:
        with pytest.raises(EngineUnavailable, match=f"pip install {package}"):
            engine.recognise(audio, "en")
        return
    if not model:
        pytest.skip(f"{module} is installed; set PLAYER_ASR_MODEL to a local model to test it")
    heard = transcribe(audio, "en", engine)
    assert heard.words and all(w.start < w.end for w in heard.words)


def test_the_demo_video_aligned_from_its_script_passes_the_checker_without_warnings(
        runner, demo_media, tmp_path):
    reference = validate((demo_media / "welcome.en.vtt").read_text(encoding="utf-8"))
    script = tmp_path / "welcome.txt"
    script.write_text("\n\n".join(c.plain_text.replace("\n", " ") for c in reference.cues),
                      encoding="utf-8")
    out = tmp_path / "welcome.en.vtt"
    result = runner.invoke(args=["align", str(demo_media / "welcome.mp4"), str(script),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    check = runner.invoke(args=["check-captions", "--duration", "60.2", str(out)])
    assert "0 errors, 0 warnings in 1 file" in check.output, check.output
    aligned = validate(out.read_text(encoding="utf-8")).cues
    errors = sorted(abs(a.start - r.start) for a, r in zip(aligned, reference.cues, strict=True))
    assert errors[len(errors) // 2] <= 0.2 and errors[-1] <= 0.5, errors
