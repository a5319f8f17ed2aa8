"""Caption production: how well a script is timed, and how many words the
built-in engine gets wrong.

Speech is made with espeak-ng from a known script, sentence by sentence,
with known pauses between them, so each sentence's start is known from the
synthesis. The script is aligned and cut into cues; for every cue that
begins a sentence, the error of its start time is measured (targets: median
<= 0.2 s, 95th percentile <= 0.5 s). The built-in "transcribe" engine then
drafts from the same sound, and its word error rate against the script is
printed (no target: it is reported as it is). Then the same on the demo
video (media/welcome.mp4), whose caption times were measured from its
synthesis (scripts/make_demo.py).

    python bench/align_bench.py            # the full run
    python bench/align_bench.py --quick    # three sentences, no demo

Exit status 1 when an alignment target is missed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from player.captions import validate  # noqa: E402
from player.produce import align, decode, make_cues, parse_script  # noqa: E402
from player.produce.asr import PocketSphinxEngine, transcribe  # noqa: E402
from player.produce.script import spoken_forms  # noqa: E402
from tests.speechgen import NEWS, speak  # noqa: E402

MEDIAN_TARGET, P95_TARGET = 0.2, 0.5
_SPEAKER = re.compile(r"^[A-Z]+: ")

#: More sentences for the full run: names the dictionary lacks, numbers, speakers.
MORE = [
    ("ANNA: Our reporter Siobhan Okonkwo is at the harbour.", 0.5),
    ("SIOBHAN: Thank you, Anna. The ferries are running again after the storm.", 0.5),
    ("Passengers waited for nearly three hours this morning.", 1.4),
    ("ANNA: And the sports results after the break.", 0.8),
]


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Substitutions, deletions and insertions over the reference's words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1] / max(1, len(reference))


def _words(text: str) -> list[str]:
    return [form for token in text.split() for form in spoken_forms(token)]


def _script(sentences: list[tuple[str, float]]) -> str:
    """Sentences as a script: a new paragraph after each long pause."""
    lines = []
    for text, pause in sentences:
        lines.append(text)
        lines.append("\n\n" if pause >= 1.0 else " ")
    return "".join(lines).strip()


def measure(media: str, script: str, starts: list[tuple[str, float]],
            transcribe_too: bool = True) -> dict:
    """Align ``script`` to ``media``; cue start errors at the known ``starts``
    (``(first words, time)``), and the built-in engine's word error rate."""
    audio = decode(media)
    began = time.perf_counter()
    result = align(audio, parse_script(script), "en")
    align_seconds = time.perf_counter() - began
    cues = make_cues(result.words, audio.duration)
    cue_starts = {round(c.start, 3) for c in cues}
    errors = []
    words = result.words
    for first, known in starts:
        # The aligned word that begins this sentence, then the cue it begins.
        key = _words(first)[:3]
        for index in range(len(words)):
            if _words(" ".join(w.text for w in words[index:index + 3]))[:3] == key:
                if round(words[index].start, 3) in cue_starts:
                    errors.append(abs(words[index].start - known))
                break
    out = {"cues": len(cues), "measured": len(errors), "align_seconds": align_seconds,
           "audio_seconds": audio.duration, "skipped": len(result.skipped),
           "interpolated": result.interpolated, "rough": result.rough}
    if errors:
        out["median"] = statistics.median(errors)
        out["p95"] = percentile(errors, 0.95)
    if transcribe_too:
        began = time.perf_counter()
        heard = transcribe(audio, "en", PocketSphinxEngine())
        out["transcribe_seconds"] = time.perf_counter() - began
        out["wer"] = word_error_rate(_words(script), _words(" ".join(w.text for w in heard.words)))
        out["review"] = heard.review
    return out


def report(name: str, numbers: dict) -> bool:
    """Print one run's figures; whether the alignment targets were met."""
    print(f"{name}: {numbers['audio_seconds']:.1f} s of speech, {numbers['cues']} cues,"
          f" aligned in {numbers['align_seconds']:.1f} s;"
          f" {numbers['interpolated']} words interpolated, {numbers['skipped']} paragraphs"
          f" skipped{', ROUGH timing' if numbers['rough'] else ''}")
    met = False
    if "median" in numbers:
        met = numbers["median"] <= MEDIAN_TARGET and numbers["p95"] <= P95_TARGET
        print(f"  cue start error over {numbers['measured']} sentence starts:"
              f" median {numbers['median']:.3f} s (target <= {MEDIAN_TARGET}),"
              f" p95 {numbers['p95']:.3f} s (target <= {P95_TARGET})"
              f"  {'ok' if met else 'MISS'}")
    else:
        print("  no cue began at a known sentence start  MISS")
    if "wer" in numbers:
        print(f"  built-in transcribe: word error rate {numbers['wer']:.1%}"
              f" ({numbers['review']} words marked for review,"
              f" {numbers['transcribe_seconds']:.1f} s)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three sentences, no demo video")
    args = parser.parse_args()
    sentences = NEWS[:3] if args.quick else NEWS + MORE
    ok = True
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "speech.wav"
        # The speaker prefixes are the script's, not spoken.
        timeline = speak([(_SPEAKER.sub("", text), pause) for text, pause in sentences], wav)
        script = _script(sentences)
        starts = [(s.text, s.start) for s in timeline]
        ok &= report("espeak-ng script", measure(str(wav), script, starts))
    if not args.quick:
        vtt = validate((REPO / "media" / "welcome.en.vtt").read_text(encoding="utf-8"))
        texts = [c.plain_text.replace("\n", " ") for c in vtt.cues]
        starts = [(t, c.start) for t, c in zip(texts, vtt.cues, strict=True)]
        ok &= report("demo video (media/welcome.mp4)",
                     measure(str(REPO / "media" / "welcome.mp4"), "\n\n".join(texts), starts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
