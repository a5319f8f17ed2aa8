"""Caption validation speed next to webvtt-py's bare parse, in the same run.

Generates 3-hour caption files of about 3,000 cues (voices, italics, cue
settings, notes, a few long lines) and times, per file:

- ``player.captions.validate`` on the file's bytes, against ``webvtt.read``
  on the same file (target: within 3x);
- ``player.captions.validate_file`` on the SubRip version (conversion and
  validation), against ``webvtt.from_srt``.

Run: ``python bench/captions_bench.py [--files N] [--repeat R]``. The issue's
library size is ``--files 1000``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import webvtt  # noqa: E402

from player.captions import format_timestamp, validate, validate_file  # noqa: E402

HOURS = 3
WORDS = (
    "the a captions player viewer screen reader keyboard transcript search moment"
    " description chapter speaker voice we you they said will can make show read"
    " listen watch every morning station train river city light music quiet loud"
).split()
SPEAKERS = ["Anna", "Bohdan", "Narrator", "Olena Kovalenko"]


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def make_vtt(seed: int) -> str:
    """A 3-hour track: about 3,000 cues of one or two lines, 2-3 s each."""
    rng = random.Random(seed)
    out = ["WEBVTT - generated", "", "NOTE generated for the benchmark", ""]
    t = 0.0
    index = 0
    while t < HOURS * 3600 - 5:
        length = rng.uniform(2.0, 3.0)
        gap = rng.uniform(0.2, 1.4)
        index += 1
        if index % 10 == 0:
            out.append(f"cue-{index}")
        settings = " line:-2 align:center" if index % 25 == 0 else ""
        out.append(f"{format_timestamp(t)} --> {format_timestamp(t + length)}{settings}")
        first = sentence(rng, 3, 6)
        if index % 4 == 0:
            first = f"<v {rng.choice(SPEAKERS)}>{first}"
        if index % 7 == 0:
            first = first + " <i>" + sentence(rng, 1, 2) + "</i>"
        out.append(first)
        if index % 2 == 0:
            out.append(sentence(rng, 2, 5))
        out.append("")
        t += length + gap
    return "\n".join(out)


def to_srt(vtt: str) -> str:
    """The same cues as SubRip, through webvtt-py's writer."""
    return "\n".join(
        f"{number}\n{cue.start.replace('.', ',')} --> {cue.end.replace('.', ',')}\n{cue.text}\n"
        for number, cue in enumerate(webvtt.from_string(vtt), start=1)
    )


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5, help="how many distinct files")
    parser.add_argument("--repeat", type=int, default=5, help="runs per file; the best counts")
    args = parser.parse_args()

    rows: dict[str, list[tuple[float, float]]] = {"vtt": [], "srt": []}
    cue_counts = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.files):
            text = make_vtt(seed)
            vtt_path = Path(folder) / f"track{seed}.vtt"
            vtt_path.write_text(text, encoding="utf-8")
            srt_path = vtt_path.with_suffix(".srt")
            srt_path.write_text(to_srt(text), encoding="utf-8")

            report = validate(vtt_path.read_bytes())
            assert report.ok, report.errors[:3]
            baseline = webvtt.read(str(vtt_path))
            assert len(baseline) == len(report.cues)
            cue_counts.append(len(report.cues))

            ours = best_of(args.repeat, lambda p=vtt_path: validate(p.read_bytes()))
            theirs = best_of(args.repeat, lambda p=vtt_path: webvtt.read(str(p)))
            rows["vtt"].append((ours, theirs))
            ours = best_of(
                args.repeat, lambda p=srt_path: validate_file(p.read_bytes(), p.name)
            )
            theirs = best_of(args.repeat, lambda p=srt_path: webvtt.from_srt(str(p)))
            rows["srt"].append((ours, theirs))

    print(
        f"{args.files} generated file(s), {HOURS} h each,"
        f" {min(cue_counts)}-{max(cue_counts)} cues; best of {args.repeat} runs per file"
    )
    labels = {
        "vtt": ("validate (WebVTT)", "webvtt.read"),
        "srt": ("validate_file (SRT: convert + validate)", "webvtt.from_srt"),
    }
    for key, (ours_label, theirs_label) in labels.items():
        ours = statistics.mean(o for o, _ in rows[key]) * 1000
        theirs = statistics.mean(t for _, t in rows[key]) * 1000
        print(
            f"{ours_label:42} {ours:8.1f} ms/file | {theirs_label:16} {theirs:8.1f} ms/file"
            f" | ratio {ours / theirs:.2f}x (target <= 3x)"
        )


if __name__ == "__main__":
    main()
