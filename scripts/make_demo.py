"""Generate the demo items shipped in ``media/``.

Run ``python scripts/make_demo.py [--out DIR]`` (default: the repository's
``media/`` folder). Everything is derived from the narration written below,
so running it again gives byte-identical text tracks and metadata.

How the timings are made: each narration segment is spoken by ``espeak-ng``
(voice ``en-us``, 160 words a minute) into a WAV file whose silent edges are
trimmed, and its length is measured in samples. Segments are joined with
short pauses, so every cue time comes from measured speech, not from a guess.
A segment is written as a few caption-sized phrases (each with its Ukrainian
translation, so both languages share cue timings); a phrase's share of the
segment is proportional to the length of that phrase spoken on its own.
Every caption cue is checked against the limits viewers can read: at most
two lines of at most 42 characters, at most 20 characters a second.

Slides are drawn by ffmpeg's ``drawtext`` filter (the ffmpeg bundled with
``imageio-ffmpeg`` has it) with DejaVu Sans from Debian's
``fonts-dejavu-core``: one slide per chapter, 640x360, text of 40 px and
more, light text on a dark background.

Files written (the sidecar convention of DESIGN.md)::

    welcome.mp4                  H.264 + AAC mono, 640x360
    welcome.json                 title, description, language, track labels
    welcome.en.vtt               captions, English
    welcome.uk.subtitles.vtt     subtitles, Ukrainian
    welcome.en.descriptions.vtt  text descriptions, one cue per slide
    welcome.en.chapters.vtt      chapters, one cue per slide
    welcome.jpg                  poster (the first slide)
    audio-tour.m4a               audio only, AAC mono
    audio-tour.json
    audio-tour.en.vtt

Track labels in the JSON files are keyed ``"<srclang>.<kind>"`` with the
kind always spelled out, even for the default kind: ``"en.captions"``,
``"uk.subtitles"``, ``"en.descriptions"``, ``"en.chapters"``.

Needs ``espeak-ng`` on ``PATH``, the ``imageio-ffmpeg`` package and the
DejaVu fonts in ``/usr/share/fonts/truetype/dejavu/``.
"""
from __future__ import annotations

import argparse
import array
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

REPO_MEDIA_DIR = Path(__file__).resolve().parent.parent / "media"

VOICE = "en-us"
WORDS_PER_MINUTE = 160
SAMPLE_RATE = 22050
# espeak-ng's quietest speech sits well above this; below it is silence.
SILENCE_THRESHOLD = 64

LEAD_IN = 0.5
SEGMENT_PAUSE = 0.4
CHAPTER_PAUSE = 1.0
TAIL = 0.6

FPS = 10
WIDTH, HEIGHT = 640, 360
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HEADING_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"
BODY_FONT = FONT_DIR / "DejaVuSans.ttf"
HEADING_SIZE = 48
BODY_SIZE = 40
BACKGROUND = "0x0B1F3A"
HEADING_COLOUR = "0xFFD83D"
KEY_COLOUR = "0xFFD83D"
TEXT_COLOUR = "0xFFFFFF"
MARGIN = 40
KEY_COLUMN = 210
HEADING_BASELINE = 72
BODY_BASELINE = 152
BODY_LINE_HEIGHT = 58

MAX_LINE_CHARS = 42
MAX_LINES = 2
MAX_CHARS_PER_SECOND = 20.0
MIN_CUE_SECONDS = 1.0
MAX_CUE_SECONDS = 7.0
DESCRIPTION_CHARS_PER_SECOND = 15.0


@dataclass(frozen=True)
class Phrase:
    """One caption cue's worth of narration.

    :param en: the English text, spoken and shown as a caption
    :param uk: its Ukrainian translation, shown as a subtitle
    :param settings: WebVTT cue settings for both, e.g. a place on screen
    """

    en: str
    uk: str | None = None
    settings: str = ""


@dataclass(frozen=True)
class Segment:
    """Phrases spoken in one breath by one call to espeak-ng."""

    phrases: tuple[Phrase, ...]

    @property
    def text(self) -> str:
        return " ".join(phrase.en for phrase in self.phrases)


@dataclass(frozen=True)
class Chapter:
    """One slide of the video and the narration heard while it shows.

    :param title: the chapter's name in the chapters track
    :param heading: the slide's heading
    :param rows: the slide's body as ``(key, text)`` rows; an empty key
        puts the text at the left margin
    :param description: what the slide shows, for the descriptions track
    :param segments: the narration
    """

    title: str
    heading: str
    rows: tuple[tuple[str, str], ...]
    description: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Cue:
    """A WebVTT cue; times in milliseconds, lines already broken."""

    start_ms: int
    end_ms: int
    text: str
    settings: str = ""


@dataclass(frozen=True)
class Narration:
    """The spoken audio of an item and where each phrase and chapter lies.

    Times are in samples at :data:`SAMPLE_RATE`.
    """

    samples: array.array
    phrases: tuple[tuple[int, int, Phrase], ...]
    chapters: tuple[tuple[int, int], ...]


def _segment(*phrases: tuple[str, ...] | str) -> Segment:
    return Segment(
        tuple(
            Phrase(*phrase) if isinstance(phrase, tuple) else Phrase(phrase)
            for phrase in phrases
        )
    )


# Captions placed clear of the slides' text. The "Read along" slide's rows
# fill its left side under the title, so one cue goes to the top right,
# where the title is not (line 0, its end at 97 % of the width, 40 % wide).
TOP_RIGHT = "line:0 position:97% align:end size:40%"
# The last slide's phrases roll up like live captions in a region along the
# bottom: three lines, each new cue pushing the older ones up.
ROLL_UP = "region:rollup"
ROLL_UP_REGION = (
    "REGION\nid:rollup\nwidth:90%\nlines:3\n"
    "regionanchor:50%,100%\nviewportanchor:50%,92%\nscroll:up"
)


WELCOME_CHAPTERS = (
    Chapter(
        title="Welcome",
        heading="Accessible Player",
        rows=(("", "A one-minute tour"), ("", "Captions, transcript"), ("", "Keyboard shortcuts")),
        description="Title slide: Accessible Player, a one-minute tour.",
        segments=(
            _segment(
                (
                    "Hello, and welcome to Accessible Player.",
                    "Вітаю! Ласкаво просимо до Accessible Player.",
                ),
                ("I am the player you are watching now,", "Я — плеєр, який ви зараз бачите,"),
                (
                    "and this short tour shows what I can do.",
                    "і цей короткий огляд покаже, що я вмію.",
                ),
            ),
        ),
    ),
    Chapter(
        title="Captions, transcript and descriptions",
        heading="Read along",
        rows=(("", "Captions: EN, UK"), ("", "Searchable transcript"), ("", "Text descriptions")),
        description="Read along: captions in English and Ukrainian,"
        " transcript, descriptions.",
        segments=(
            _segment(
                (
                    "What I say appears as captions in English or Ukrainian.",
                    "Мої слова з’являються в субтитрах англійською чи українською.",
                ),
            ),
            _segment(
                (
                    "The transcript holds the same words, and you can search it.",
                    "Транскрипт містить ті самі слова, і в ньому є пошук.",
                ),
                (
                    "Each line jumps to its moment.",
                    "Кожен рядок веде до свого моменту.",
                    TOP_RIGHT,
                ),
            ),
            _segment(
                (
                    "Text descriptions tell you what is on the screen.",
                    "Текстові описи розповідають, що на екрані.",
                ),
            ),
        ),
    ),
    Chapter(
        title="Play and seek",
        heading="Play and seek",
        rows=(("Space, K", "play / pause"), ("← →", "5 seconds"), ("J  L", "10 seconds")),
        description="Play and seek: Space or K; arrows, 5 seconds;"
        " J and L, 10 seconds.",
        segments=(
            _segment(
                (
                    "Now, the keyboard. Press Space or K to play or pause.",
                    "Тепер клавіатура. Пробіл або K — пуск чи пауза.",
                ),
            ),
            _segment(
                (
                    "Left and right arrows seek five seconds,",
                    "Стрілки вліво і вправо — на п’ять секунд,",
                ),
                ("and J and L seek ten seconds.", "а J і L — на десять секунд."),
            ),
        ),
    ),
    Chapter(
        title="Volume and speed",
        heading="Volume and speed",
        rows=(("↑ ↓", "volume"), ("M", "mute"), ("<  >", "slower / faster")),
        description="Volume and speed: up and down arrows; M, mute;"
        " less and greater, slower and faster.",
        segments=(
            _segment(
                (
                    "Up and down arrows change the volume, and M mutes.",
                    "Стрілки вгору і вниз змінюють гучність, а M вимикає звук.",
                ),
            ),
            _segment(
                ("Less-than and greater-than keys", "Клавіші «менше» і «більше»"),
                ("slow me down or speed me up.", "змінюють швидкість."),
            ),
        ),
    ),
    Chapter(
        title="Show and hide",
        heading="Show and hide",
        rows=(("C", "captions"), ("D", "descriptions"), ("T", "transcript"), ("F", "full screen")),
        description="Show and hide: C captions, D descriptions,"
        " T transcript, F full screen.",
        segments=(
            _segment(
                ("C turns captions on or off,", "C вмикає або вимикає субтитри,"),
                ("D does the same for descriptions,", "D робить те саме для описів,"),
                ("T shows or hides the transcript,", "T показує або ховає транскрипт,"),
                ("and F switches to full screen.", "а F розгортає на весь екран."),
            ),
        ),
    ),
    Chapter(
        title="All shortcuts",
        heading="All shortcuts",
        rows=(("?", "list of keys"), ("", "Enjoy watching!")),
        description="All shortcuts: the question mark lists the keys."
        " Enjoy watching!",
        segments=(
            _segment(
                (
                    "Press the question mark to see every shortcut.",
                    "Знак питання покаже всі клавіші.",
                    ROLL_UP,
                ),
            ),
            _segment(
                (
                    "Shortcuts only work while the player has focus,",
                    "Клавіші діють, лише коли плеєр у фокусі,",
                    ROLL_UP,
                ),
                (
                    "and you can turn them off. Enjoy watching!",
                    "і їх можна вимкнути. Приємного перегляду!",
                    ROLL_UP,
                ),
            ),
        ),
    ),
)

WELCOME_METADATA = {
    "title": "Welcome to Accessible Player",
    "description": "The player introduces itself in about a minute: captions,"
    " the transcript, text descriptions and every keyboard shortcut.",
    "language": "en",
    "tracks": {
        "en.captions": "English captions",
        "uk.subtitles": "Українська (subtitles)",
        "en.descriptions": "English descriptions",
        "en.chapters": "Chapters",
    },
}

AUDIO_TOUR_SEGMENTS = (
    _segment("This is the audio tour, a recording without pictures."),
    _segment("When you only listen, the transcript is your guide."),
    _segment("It follows along as I speak and marks the current line."),
    _segment("Select any line to jump there,", "or search the transcript for a word."),
    _segment("You can download it as plain text, too."),
    _segment("Every keyboard shortcut from the video", "works here as well."),
)

AUDIO_TOUR_METADATA = {
    "title": "Audio tour: listening with a transcript",
    "description": "A short recording without pictures about following,"
    " searching and downloading the transcript while you listen.",
    "language": "en",
    "tracks": {"en.captions": "English captions"},
}


def synthesize(text: str, path: Path) -> array.array:
    """Speak ``text`` with espeak-ng and return its samples, silence trimmed.

    :param text: the words to speak
    :param path: where espeak-ng writes its WAV file
    """
    subprocess.run(
        ["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(path), text],
        check=True,
    )
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
            raise ValueError(f"espeak-ng wrote an unexpected WAV format to {path}")
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    loud = [i for i, sample in enumerate(samples) if abs(sample) > SILENCE_THRESHOLD]
    if not loud:
        raise ValueError(f"espeak-ng produced silence for {text!r}")
    return samples[loud[0] : loud[-1] + 1]


def silence(seconds: float) -> array.array:
    return array.array("h", bytes(2 * round(seconds * SAMPLE_RATE)))


def narrate(chapters: Sequence[Sequence[Segment]], workdir: Path) -> Narration:
    """Speak every segment and lay them out on one timeline.

    Chapter boundaries fall on the video frame nearest before the middle of
    the pause between chapters, so slide changes, chapter cues and
    description cues coincide; the last chapter ends with the audio, which
    is padded to a whole number of frames.

    :param chapters: the segments of each chapter, in order
    :param workdir: a folder for espeak-ng's WAV files
    """
    spoken: dict[str, array.array] = {}

    def speak(text: str) -> array.array:
        if text not in spoken:
            spoken[text] = synthesize(text, workdir / f"speech-{len(spoken)}.wav")
        return spoken[text]

    samples = silence(LEAD_IN)
    phrase_times: list[tuple[int, int, Phrase]] = []
    chapter_edges: list[tuple[int, int]] = []
    for chapter_index, segments in enumerate(chapters):
        if chapter_index:
            samples.extend(silence(CHAPTER_PAUSE))
        chapter_start = len(samples)
        for segment_index, segment in enumerate(segments):
            if segment_index:
                samples.extend(silence(SEGMENT_PAUSE))
            start = len(samples)
            audio = speak(segment.text)
            samples.extend(audio)
            weights = [len(speak(phrase.en)) for phrase in segment.phrases]
            total = sum(weights)
            done = 0
            for phrase, weight in zip(segment.phrases, weights, strict=True):
                phrase_start = start + done * len(audio) // total
                done += weight
                phrase_times.append((phrase_start, start + done * len(audio) // total, phrase))
        chapter_edges.append((chapter_start, len(samples)))
    samples.extend(silence(TAIL))
    samples_per_frame = SAMPLE_RATE // FPS
    samples.extend(array.array("h", bytes(2 * (-len(samples) % samples_per_frame))))

    boundaries = [0]
    for (_, previous_end), (next_start, _) in itertools.pairwise(chapter_edges):
        middle = (previous_end + next_start) // 2
        boundaries.append(middle - middle % samples_per_frame)
    boundaries.append(len(samples))
    return Narration(
        samples=samples,
        phrases=tuple(phrase_times),
        chapters=tuple(itertools.pairwise(boundaries)),
    )


def to_ms(sample: int) -> int:
    return (sample * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


def wrap(text: str, width: int = MAX_LINE_CHARS) -> str:
    """Break a cue's text into at most two balanced lines.

    A break after punctuation is preferred, and a one-letter word (common
    in Ukrainian: "і", "а", "в") is never left at the end of a line.

    >>> wrap("and every line jumps to its moment.")
    'and every line jumps to its moment.'
    """
    if len(text) <= width:
        return text
    words = text.split(" ")
    best: tuple[float, str] | None = None
    for index in range(1, len(words)):
        first, second = " ".join(words[:index]), " ".join(words[index:])
        if len(first) > width or len(second) > width or len(words[index - 1]) == 1:
            continue
        score = abs(len(first) - len(second)) - (20 if first[-1] in ",.;:!?" else 0)
        if best is None or score < best[0]:
            best = (score, f"{first}\n{second}")
    if best is None:
        raise ValueError(f"cannot fit {text!r} into two lines of {width} characters")
    return best[1]


def check_readable(cue: Cue, where: str) -> None:
    """Refuse a cue that breaks the caption limits in the module docstring."""
    lines = cue.text.split("\n")
    seconds = (cue.end_ms - cue.start_ms) / 1000
    characters = sum(len(line) for line in lines)
    problems = []
    if len(lines) > MAX_LINES or max(len(line) for line in lines) > MAX_LINE_CHARS:
        problems.append(f"more than {MAX_LINES} lines of {MAX_LINE_CHARS} characters")
    if not MIN_CUE_SECONDS <= seconds <= MAX_CUE_SECONDS:
        problems.append(f"lasts {seconds:.3f} s")
    if characters / seconds > MAX_CHARS_PER_SECOND:
        problems.append(f"{characters / seconds:.1f} characters a second")
    if problems:
        raise ValueError(f"{where}: cue {cue.text!r}: {', '.join(problems)}")


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02}:{minutes:02}:{seconds:02}.{millis:03}"


def write_vtt(path: Path, cues: Sequence[Cue], *, check: bool = True) -> None:
    """Write ``cues``, after the REGION block when a cue rolls up in it."""
    if check:
        for cue in cues:
            check_readable(cue, path.name)
    blocks = [ROLL_UP_REGION] if any(ROLL_UP in cue.settings for cue in cues) else []
    blocks += [
        f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}"
        + (f" {cue.settings}" if cue.settings else "")
        + f"\n{cue.text}"
        for cue in cues
    ]
    path.write_text("WEBVTT\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8", newline="\n")


def write_json(path: Path, data: dict[str, object]) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )


def write_wav(path: Path, samples: array.array) -> None:
    data = samples
    if sys.byteorder == "big":
        data = array.array("h", samples)
        data.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(data.tobytes())


def phrase_cues(narration: Narration, language: str) -> list[Cue]:
    """One cue per phrase. A cue rolling up in a region stays until the
    next one in that region ends, so it is pushed up rather than replaced."""
    cues = [
        Cue(to_ms(start), to_ms(end), wrap(getattr(phrase, language)), phrase.settings)
        for start, end, phrase in narration.phrases
    ]
    for index, (cue, following) in enumerate(itertools.pairwise(cues)):
        if ROLL_UP in cue.settings and ROLL_UP in following.settings:
            cues[index] = Cue(cue.start_ms, following.end_ms, cue.text, cue.settings)
    return cues


def ffmpeg(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        cwd=cwd,
    )


def render_slide(chapter: Chapter, index: int, workdir: Path) -> Path:
    """Draw one chapter's slide into a PNG and check no text ran off it.

    Each line of text goes through a file, so no text needs escaping for
    the filter graph; ``expansion=none`` keeps ``%`` literal. Positions are
    baselines, so arrows and letters in one row line up.
    """
    texts: list[tuple[str, Path, int, int, int, str]] = [
        ("heading", HEADING_FONT, HEADING_SIZE, MARGIN, HEADING_BASELINE, HEADING_COLOUR)
    ]
    values = [chapter.heading]
    for row, (key, text) in enumerate(chapter.rows):
        y = BODY_BASELINE + row * BODY_LINE_HEIGHT
        if key:
            texts.append((f"key{row}", BODY_FONT, BODY_SIZE, MARGIN, y, KEY_COLOUR))
            values.append(key)
        x = MARGIN + (KEY_COLUMN if key else 0)
        texts.append((f"row{row}", BODY_FONT, BODY_SIZE, x, y, TEXT_COLOUR))
        values.append(text)
    filters = []
    for (name, font, size, x, y, colour), value in zip(texts, values, strict=True):
        text_file = f"slide{index}-{name}.txt"
        (workdir / text_file).write_text(value, encoding="utf-8")
        filters.append(
            f"drawtext=fontfile={font}:textfile={text_file}:expansion=none"
            f":fontsize={size}:fontcolor={colour}:x={x}:y={y}-max_glyph_a"
        )
    png = workdir / f"slide{index}.png"
    ffmpeg(
        "-f", "lavfi", "-i", f"color=c={BACKGROUND}:s={WIDTH}x{HEIGHT}",
        "-vf", ",".join(filters), "-frames:v", "1", png.name,
        cwd=workdir,
    )
    check_margins(png, MARGIN // 2)
    return png


def check_margins(png: Path, margin: int) -> None:
    """Raise if anything but background was drawn near the slide's edges."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", str(png),
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        check=True,
        capture_output=True,
    )
    pixels = result.stdout
    background = pixels[0]
    for y in range(HEIGHT):
        row = pixels[y * WIDTH : (y + 1) * WIDTH]
        edge = row if y < margin or y >= HEIGHT - margin else row[:margin] + row[-margin:]
        if any(value != background for value in edge):
            raise ValueError(f"{png.name}: text runs into the margin at line {y}")


def make_welcome(out: Path, workdir: Path) -> None:
    narration = narrate([chapter.segments for chapter in WELCOME_CHAPTERS], workdir)
    chapter_ms = [(to_ms(start), to_ms(end)) for start, end in narration.chapters]

    write_vtt(out / "welcome.en.vtt", phrase_cues(narration, "en"))
    write_vtt(out / "welcome.uk.subtitles.vtt", phrase_cues(narration, "uk"))
    descriptions = []
    for chapter, (start, end) in zip(WELCOME_CHAPTERS, chapter_ms, strict=True):
        text = wrap(chapter.description)
        reading_ms = round(1000 * len(text) / DESCRIPTION_CHARS_PER_SECOND)
        descriptions.append(Cue(start, min(end, start + max(reading_ms, 2000)), text))
    write_vtt(out / "welcome.en.descriptions.vtt", descriptions)
    # A chapter cue spans its whole chapter, so the caption limits do not apply.
    write_vtt(
        out / "welcome.en.chapters.vtt",
        [
            Cue(start, end, chapter.title)
            for chapter, (start, end) in zip(WELCOME_CHAPTERS, chapter_ms, strict=True)
        ],
        check=False,
    )
    write_json(out / "welcome.json", WELCOME_METADATA)

    slides = [render_slide(chapter, i, workdir) for i, chapter in enumerate(WELCOME_CHAPTERS)]
    ffmpeg("-i", str(slides[0]), "-q:v", "4", str(out / "welcome.jpg"))

    wav = workdir / "welcome.wav"
    write_wav(wav, narration.samples)
    samples_per_frame = SAMPLE_RATE // FPS
    inputs: list[str] = []
    graph = []
    for index, (slide, (start, end)) in enumerate(zip(slides, narration.chapters, strict=True)):
        frames = (end - start) // samples_per_frame
        inputs += ["-loop", "1", "-framerate", str(FPS), "-i", str(slide)]
        graph.append(f"[{index}:v]trim=end_frame={frames}[s{index}]")
    joined = "".join(f"[s{index}]" for index in range(len(slides)))
    graph.append(f"{joined}concat=n={len(slides)}:v=1:a=0,format=yuv420p[v]")
    keyframes = ",".join(f"{start_ms / 1000:.3f}" for start_ms, _ in chapter_ms)
    ffmpeg(
        *inputs,
        "-i", str(wav),
        "-filter_complex", ";".join(graph),
        "-map", "[v]", "-map", f"{len(slides)}:a",
        "-c:v", "libx264", "-preset", "slow", "-tune", "stillimage", "-crf", "28",
        "-r", str(FPS), "-g", str(10 * FPS), "-force_key_frames", keyframes,
        "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-ar", "44100",
        "-metadata", f"title={WELCOME_METADATA['title']}",
        "-metadata:s:a:0", "language=eng",
        "-map_metadata", "-1", "-fflags", "+bitexact",
        "-movflags", "+faststart",
        str(out / "welcome.mp4"),
    )


def make_audio_tour(out: Path, workdir: Path) -> None:
    narration = narrate([AUDIO_TOUR_SEGMENTS], workdir)
    write_vtt(out / "audio-tour.en.vtt", phrase_cues(narration, "en"))
    write_json(out / "audio-tour.json", AUDIO_TOUR_METADATA)
    wav = workdir / "audio-tour.wav"
    write_wav(wav, narration.samples)
    ffmpeg(
        "-i", str(wav),
        "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-ar", "44100",
        "-metadata", f"title={AUDIO_TOUR_METADATA['title']}",
        "-metadata:s:a:0", "language=eng",
        "-map_metadata", "-1", "-fflags", "+bitexact",
        "-movflags", "+faststart",
        str(out / "audio-tour.m4a"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_MEDIA_DIR, help="folder to write into")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        parser.error("espeak-ng is not on PATH (Debian: apt-get install espeak-ng)")
    if not (HEADING_FONT.is_file() and BODY_FONT.is_file()):
        parser.error(
            f"DejaVu fonts missing in {FONT_DIR} (Debian: apt-get install fonts-dejavu-core)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        try:
            make_welcome(args.out, workdir)
            make_audio_tour(args.out, workdir)
        except ValueError as error:
            parser.exit(1, f"make_demo: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
