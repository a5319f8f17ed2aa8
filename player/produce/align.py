"""Timing a script against the sound ("align").

English is force-aligned word by word with PocketSphinx, from the start of
the sound onwards. Words its dictionary lacks, and words spoken too unlike
their dictionary entry, are timed from their neighbours within the same
stretch of speech, never dropped. A paragraph nothing in the sound fits (a
run of words the aligner cannot place) was not spoken: it is reported and
left out, rather than squeezed into the neighbouring speech.
Languages without a model get rough timing: the text is spread over the
stretches of speech by its length, and the result says so.
"""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from . import sphinx
from .audio import Audio, Segment, speech_segments
from .script import Paragraph, Word, spoken_forms

Progress = Callable[[float, str], None]


@dataclass
class Alignment:
    """The script's words with times (those of skipped paragraphs have none).

    :param rough: timed by speech and silence alone, not word by word.
    :param skipped: paragraphs of the script not found in the sound.
    :param interpolated: words timed from their neighbours (not in the dictionary).
    """

    paragraphs: list[Paragraph]
    rough: bool = False
    skipped: list[Paragraph] = field(default_factory=list)
    interpolated: int = 0
    note: str = ""

    @property
    def words(self) -> list[Word]:
        """The timed words, in order."""
        return [w for p in self.paragraphs if p not in self.skipped
                for w in p.words if w.start is not None]

    def summary(self) -> dict:
        """The facts a job's result and the CLI report."""
        return {
            "words": len(self.words),
            "rough_timing": self.rough,
            "interpolated_words": self.interpolated,
            "skipped_paragraphs": [
                {"paragraph": p.index + 1, "line": p.line, "text": _preview(p.text)}
                for p in self.skipped
            ],
            "note": self.note,
        }


def _preview(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def has_model(language: str) -> bool:
    """Whether ``language`` is timed word by word (else roughly)."""
    return language.split("-")[0].lower() in sphinx.LANGUAGES


def align(audio: Audio, paragraphs: list[Paragraph], language: str,
          progress: Progress | None = None) -> Alignment:
    """Time the script's words against the sound.

    :param language: the script's language tag; see :func:`has_model`.
    :raises EngineUnavailable: if the English engine is missing.
    """
    report = progress or (lambda fraction, message: None)
    result = Alignment(paragraphs)
    if not has_model(language):
        rough_timing(audio, paragraphs)
        result.rough = True
        result.note = (f"Rough timing: there is no speech model for '{language}', so cues were"
                       " timed from pauses and text length; check them.")
        return result
    report(0.1, "Timing the script word by word")
    kept = list(paragraphs)
    fitted, _ = _force(audio, kept)
    if not fitted:
        report(0.3, "The script and the sound differ; finding the parts that were not spoken")
        heard = sphinx.recognise(audio, lambda f: report(0.3 + 0.5 * f, "Listening"))
        suspects = unspoken(paragraphs, heard)
        kept = [p for p in paragraphs if p not in suspects]
        report(0.85, "Timing the script word by word")
        fitted = bool(kept) and _force(audio, kept)[0]
        if fitted:
            kept = _restore(audio, paragraphs, kept, suspects)
            result.skipped = [p for p in paragraphs if p not in kept]
    if not fitted:
        rough_timing(audio, paragraphs)
        result.rough = True
        result.note = ("Rough timing: the script could not be matched to the sound word"
                       " by word, so cues were timed from pauses and text length; check"
                       " that the script is the one spoken.")
        return result
    result.skipped.sort(key=lambda p: p.index)
    result.interpolated = interpolate(audio, kept)
    if result.skipped:
        result.note = (f"{len(result.skipped)} paragraph(s) of the script were not found in"
                       " the sound and were left out; the first is paragraph"
                       f" {result.skipped[0].index + 1} (line {result.skipped[0].line}).")
    return result


#: The aligner gives up on a word spoken too unlike its dictionary entry (it
#: is then timed from its neighbours); this many in a row is text that was
#: not spoken, and past this share of all words the script is not the one.
_MAX_DROPPED_RUN = 8
_MAX_DROPPED_SHARE = 0.4
#: Paragraphs most of whose words nothing in the sound fits are not spoken.
_UNSPOKEN_SHARE = 0.75
#: At most this many suspects are tried back one by one (each is an alignment).
_MAX_RETRIES = 12


def _force(audio: Audio, paragraphs: list[Paragraph]) -> tuple[bool, list[Paragraph]]:
    """Force-align the words of ``paragraphs``: whether it fit, and the
    paragraphs that look unspoken (then the times are not to be used).

    Words the dictionary lacks get a rough pronunciation so their sound is
    not pushed onto their neighbours, and are timed from those neighbours
    afterwards (see :func:`interpolate`).
    """
    owners: list[Word] = []
    tokens: list[str] = []
    for paragraph in paragraphs:
        for word in paragraph.words:
            forms = spoken_forms(word.text)
            word.start = word.end = None
            word.interpolated = False
            if forms and all(f.replace("'", "").isalnum() for f in forms):
                owners.extend([word] * len(forms))
                tokens.extend(forms)
                # Timed from its neighbours afterwards: its pronunciation is a guess.
                word.interpolated = not all(sphinx.knows(f) for f in forms)
    if not tokens:
        return False, []
    times, stalled = _progressive(audio, tokens)
    unspoken = []
    for paragraph in paragraphs:
        indices = [i for i, owner in enumerate(owners) if owner.paragraph == paragraph.index]
        lost = sum(1 for i in indices if times[i] is None)
        if indices and (lost >= _UNSPOKEN_SHARE * len(indices)
                        or (stalled is not None and stalled in indices)):
            unspoken.append(paragraph)
    if stalled is not None or unspoken:
        return False, unspoken
    if sum(1 for t in times if t is None) > _MAX_DROPPED_SHARE * len(tokens):
        return False, []
    for word, timed in zip(owners, times, strict=True):
        if timed is None:
            word.interpolated = True
        elif not word.interpolated:
            word.start = timed[0] if word.start is None else word.start
            word.end = timed[1]
    for word in owners:
        # A word some of whose parts were given up on is timed whole from its neighbours.
        if word.interpolated:
            word.start = word.end = None
    return True, unspoken


def _progressive(audio: Audio, tokens: list[str]
                 ) -> tuple[list[tuple[float, float] | None], int | None]:
    """Align ``tokens`` from the start of the sound onwards: where the sound
    stops fitting, keep what fitted before it and go on from there; a word
    nothing fits from is given up on (``None``: to be interpolated).
    Also the index of the first of a run of :data:`_MAX_DROPPED_RUN` words
    given up on, where it stopped, if it did."""
    times: list[tuple[float, float] | None] = [None] * len(tokens)
    position, at, run = 0, 0.0, 0
    while position < len(tokens):
        timed, complete = sphinx.force_align(audio, tokens[position:], at)
        if complete:
            times[position:] = timed
            break
        # The last word that fitted may have swallowed sound of the next.
        trusted = timed[:-1]
        if trusted:
            times[position: position + len(trusted)] = trusted
            position += len(trusted)
            at = trusted[-1][1]
            run = 0
            continue
        position, run = position + 1, run + 1
        if run >= _MAX_DROPPED_RUN:
            return times, position - run
    return times, None


def _restore(audio: Audio, paragraphs: list[Paragraph], kept: list[Paragraph],
             suspects: list[Paragraph]) -> list[Paragraph]:
    """Put back each suspect paragraph the sound still fits with: recognition
    hears short paragraphs badly, so a low share alone does not prove one
    was skipped. Leaves the words of the returned paragraphs timed."""
    for suspect in suspects[:_MAX_RETRIES]:
        trial = [p for p in paragraphs if p in kept or p is suspect]
        fitted, unspoken = _force(audio, trial)
        if fitted and suspect not in unspoken:
            kept = trial
    _force(audio, kept)
    return kept


def unspoken(paragraphs: list[Paragraph], heard: list[sphinx.Recognised]) -> list[Paragraph]:
    """Paragraphs far less of whose words were heard than of the others'.

    Recognition gets many words wrong, but a spoken paragraph still shares a
    good part of its words, in order, with what was heard; one never spoken
    shares next to none.
    """
    tokens: list[str] = []
    owner: list[int] = []
    for number, paragraph in enumerate(paragraphs):
        for word in paragraph.words:
            for form in spoken_forms(word.text):
                tokens.append(form)
                owner.append(number)
    matcher = difflib.SequenceMatcher(None, tokens, [h.word for h in heard], autojunk=False)
    matched = [0] * len(paragraphs)
    for block in matcher.get_matching_blocks():
        for index in range(block.a, block.a + block.size):
            matched[owner[index]] += 1
    totals = [owner.count(n) for n in range(len(paragraphs))]
    shares = [m / t if t else 1.0 for m, t in zip(matched, totals, strict=True)]
    typical = statistics.median(shares) if shares else 0.0
    limit = max(0.1, 0.35 * typical)
    return [p for p, share, total in zip(paragraphs, shares, totals, strict=True)
            if total >= 3 and share < limit]




def _segment_of(segments, time: float):
    for seg in segments:
        if seg.start - 0.05 <= time <= seg.end + 0.05:
            return seg
    return None


def interpolate(audio: Audio, paragraphs: list[Paragraph]) -> int:
    """Time each word the aligner could not (not in the dictionary) from its
    timed neighbours, by its length, within the stretch of speech they are
    in; returns how many."""
    words = [w for p in paragraphs for w in p.words]
    segments = speech_segments(audio)
    count, index = 0, 0
    while index < len(words):
        if words[index].start is not None:
            index += 1
            continue
        run_end = index
        while run_end < len(words) and words[run_end].start is None:
            run_end += 1
        run = words[index:run_end]
        before = words[index - 1] if index > 0 else None
        after = words[run_end] if run_end < len(words) else None
        chars = sum(len(w.text) + 1 for w in run)
        need = 0.06 * chars
        if before is not None:
            low = before.end
        else:
            seg = _segment_of(segments, after.start) if after else None
            low = max(seg.start if seg else 0.0, (after.start if after else 0.0) - 2 * need)
        if after is not None:
            high = after.start
        else:
            seg = _segment_of(segments, before.end) if before else None
            high = min(audio.duration, max(seg.end if seg else 0.0, low + need))
        if high - low < need:
            # The aligner gave the neighbours the unknown words' sound; share it back.
            if before is not None:
                low = min(low, (before.start + before.end) / 2)
                before.end = low
            if after is not None:
                high = max(high, (after.start + after.end) / 2)
                after.start = high
        _spread(run, low, max(high, low + 0.01 * len(run)))
        for word in run:
            word.interpolated = True
        count += len(run)
        index = run_end
    return count


def _spread(words: list[Word], start: float, end: float) -> None:
    """Give ``words`` consecutive times between ``start`` and ``end`` by length."""
    total = sum(len(w.text) + 1 for w in words) or 1
    at = start
    for word in words:
        span = (end - start) * (len(word.text) + 1) / total
        word.start, word.end = round(at, 3), round(at + span, 3)
        at += span


def rough_timing(audio: Audio, paragraphs: list[Paragraph]) -> None:
    """Spread the words over the stretches of speech by their length, a
    stretch at a time, so pauses stay pauses."""
    words = [w for p in paragraphs for w in p.words]
    segments = speech_segments(audio) or [Segment(0.0, audio.duration)]
    speech = sum(s.end - s.start for s in segments)
    total = sum(len(w.text) + 1 for w in words) or 1
    per_char = speech / total
    queue = list(words)
    for number, seg in enumerate(segments):
        last = number == len(segments) - 1
        taken: list[Word] = []
        room = (seg.end - seg.start) / per_char
        while queue and (last or room > 0.5 * (len(queue[0].text) + 1)):
            word = queue.pop(0)
            room -= len(word.text) + 1
            taken.append(word)
        if taken:
            _spread(taken, seg.start, seg.end)
