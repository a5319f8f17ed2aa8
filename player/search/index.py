"""Search across the library's transcripts: an FTS5 index of cue text.

Every cue of every track players are offered (captions, subtitles,
descriptions and chapter titles) is a row of the ``search_cues`` FTS5 table;
``search_tracks`` says which item, kind and language each track is, and the
file's size and modification time when it was indexed, so a scan re-reads
only tracks that changed (see :func:`sync`). Cues come from the library's
one parse of each file (:mod:`player.library.cues`).

The tokenizer is ``unicode61 remove_diacritics 2``: words are runs of
letters and digits in any script, matched without regard to case (Cyrillic
and Greek included) or to Latin diacritics (``cafe`` finds ``café``), and
combining marks such as the stress accents of Ukrainian learning material
are ignored (``замок`` finds ``за́мок``). Text and queries are NFC-normalised
first, so decomposed input behaves like the precomposed letters: Ukrainian
``й``, ``ї`` and ``ґ`` are letters of their own, not accented variants, and
stay distinct from ``и``, ``і`` and ``г``.

The ``trigram`` tokenizer was considered and not chosen: it finds any
substring, but in the SQLite this runs on it cannot ignore diacritics, finds
nothing for queries under three characters, matches inside unrelated words
(``cat`` in ``education``) and makes the index about three times larger.
Prefix queries (``subtit*``) cover the usual reason for substring search.

Queries are written the way people write them: words (all must occur in a
cue), ``"quoted phrases"`` and ``prefix*``. :func:`parse_query` turns them
into an FTS5 expression made only of quoted strings, so no input can reach
FTS5 as syntax: ``NEAR``, ``AND``, ``-``, ``:``, ``^`` and parentheses are
searched for as text or ignored.
"""

from __future__ import annotations

import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from .. import db
from ..errors import PlayerError
from ..library import cues
from ..library.storage import Entry, Storage, as_storage

if TYPE_CHECKING:
    from ..library.item import Item

#: Track kinds whose cues are indexed.
INDEXED_KINDS = ("captions", "subtitles", "descriptions", "chapters")
#: Longest query accepted, in characters.
MAX_QUERY_LENGTH = 200
#: Words or phrases of a query beyond this many are ignored.
MAX_TERMS = 12
#: Items in one answer, best first.
MAX_ITEMS = 50
#: Hits shown per item; the count of all of them is given too.
HITS_PER_ITEM = 10
#: Matches counted at most. A word found more often than this is one of the
#: commonest (like "the"); counting every match would make the search as slow
#: as reading every file, and the exact number helps nobody.
MAX_COUNTED = 20_000
#: A prefix shorter than this is searched as a whole word, since ``a*``
#: would merge the posting lists of most of the vocabulary.
MIN_PREFIX = 2

# Highlight markers: control characters, which are removed from cue text
# before indexing, so a marker in the output was put there by FTS5.
_OPEN, _CLOSE = "\x02", "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A quoted phrase (an unclosed quote runs to the end), or a run of characters
# that are not spaces, brackets or list punctuation; either with a trailing
# star. Hyphens, apostrophes and dots stay inside a run, so "e-mail" and
# "з'являються" are searched as the adjacent words they are.
_CHUNK = re.compile(r'"([^"]*)"?(\*?)|([^\s"()\[\]{}<>,;:!?^+*=|~]+)(\*?)')
_MAX_CUES = (1 << db.SEARCH_TRACK_SHIFT) - 1


class SearchQueryError(PlayerError, ValueError):
    """A query that cannot be searched for, with a message for the person who typed it."""

    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Term:
    """A word or phrase of a query; ``prefix`` when its last word may continue."""

    text: str
    prefix: bool = False

    @property
    def fts(self) -> str:
        """The term as an FTS5 string, with ``*`` for a prefix."""
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


@dataclass(frozen=True)
class Query:
    """A parsed query; every term must match the same cue."""

    text: str
    terms: tuple[Term, ...]

    @property
    def fts(self) -> str:
        """The FTS5 ``MATCH`` expression: quoted strings only."""
        return " ".join(term.fts for term in self.terms)


@dataclass(frozen=True)
class Hit:
    """A matching cue; ``html`` is its escaped text with matches in ``<mark>``."""

    start: float
    end: float
    text: str
    html: Markup
    kind: str
    lang: str


@dataclass
class ItemHits:
    """The hits of one catalog item, in time order.

    :param total: the item's matching cues; a lower bound unless ``exact``.
    """

    media_id: str
    title: str
    total: int
    exact: bool = True
    hits: list[Hit] = field(default_factory=list)


@dataclass
class SearchResults:
    """An answer: items by number of matching cues, most first.

    :param complete: False when there were more matches than were counted
        (:data:`MAX_COUNTED`): only items with the first of them (in index
        order) are in the answer, and the totals are lower bounds.
    """

    query: Query
    items: list[ItemHits]
    total_hits: int
    total_items: int
    complete: bool = True


def _has_word(text: str) -> bool:
    # The characters unicode61 keeps in tokens: letters, numbers, private use.
    return any(ch.isalnum() or unicodedata.category(ch) == "Co" for ch in text)


def _last_word_length(text: str) -> int:
    length = 0
    for ch in reversed(text):
        if ch.isalnum() or unicodedata.category(ch) == "Co":
            length += 1
        elif unicodedata.category(ch) != "Mn":
            break
    return length


def _term(text: str) -> Term | None:
    text = " ".join(text.split())
    stripped = text.rstrip("*")
    if not _has_word(stripped):
        return None
    return Term(stripped, stripped != text and _last_word_length(stripped) >= MIN_PREFIX)


def parse_query(text: str) -> Query:
    """Read what someone typed into a safe FTS5 query.

    ``"..."`` is a phrase, a trailing ``*`` makes a prefix, anything else is
    words. Every term becomes a quoted FTS5 string, so operators and column
    filters are searched for as words and other syntax characters are
    dropped by the tokenizer:

    >>> parse_query('"screen reader" NEAR(subtit* -x:y^').fts
    '"screen reader" "NEAR" "subtit"* "-x" "y"'

    :raises SearchQueryError: if the query is longer than :data:`MAX_QUERY_LENGTH`.
    """
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text or "")).strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            f"The search is {len(text)} characters long; use at most {MAX_QUERY_LENGTH}.")
    terms: list[Term] = []
    for match in _CHUNK.finditer(text):
        phrase, phrase_star, word, word_star = match.groups()
        term = _term(phrase + phrase_star if phrase is not None else word + word_star)
        if term is not None and term not in terms:
            terms.append(term)
    return Query(text, tuple(terms[:MAX_TERMS]))


def cue_search_text(text: str) -> str:
    """Cue text as it is indexed and shown in results: one line, NFC, no controls."""
    return unicodedata.normalize("NFC", " ".join(_CONTROL.sub(" ", text).split()))


def _mark(marked: str) -> tuple[str, Markup]:
    """Plain text and HTML from FTS5 ``highlight()`` output: escape, then mark."""
    plain = marked.replace(_OPEN, "").replace(_CLOSE, "")
    html = str(escape(marked)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return plain, Markup(html)


def search(conn: sqlite3.Connection, query: Query | str, *, max_items: int = MAX_ITEMS,
           hits_per_item: int = HITS_PER_ITEM, max_counted: int = MAX_COUNTED) -> SearchResults:
    """Find cues that contain every term of ``query``.

    Items come most matching cues first (title breaks ties), each with its
    first ``hits_per_item`` hits in time order and the count of all of them
    (see :class:`SearchResults` for queries with very many matches).

    :raises SearchQueryError: if ``query`` is a string that is too long.
    """
    if isinstance(query, str):
        query = parse_query(query)
    if not query.terms:
        return SearchResults(query, [], 0, 0)
    rows = db.search_counts(conn, query.fts, max_counted + 1)
    complete = sum(row["hits"] for row in rows) <= max_counted
    # Counting stopped inside the last track reached, so that one is partial.
    partial_track = None if complete else max(row["track_id"] for row in rows)
    items: dict[str, ItemHits] = {}
    tracks: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        item = items.setdefault(row["media_id"], ItemHits(row["media_id"], row["title"], 0))
        item.total += row["hits"]
        item.exact = item.exact and row["track_id"] != partial_track
        tracks.setdefault(row["media_id"], []).append(row)
    ranked = sorted(items.values(), key=lambda i: (-i.total, i.title.casefold(), i.media_id))
    for item in ranked[:max_items]:
        for track in tracks[item.media_id]:
            for hit in db.search_hits(conn, query.fts, track["track_id"], hits_per_item,
                                      _OPEN, _CLOSE):
                text, html = _mark(hit["marked"])
                item.hits.append(Hit(hit["start"], hit["end"], text, html, track["kind"],
                                     track["lang"]))
        if not item.exact:
            item.total = max(item.total, len(item.hits))
        item.hits.sort(key=lambda h: (h.start, INDEXED_KINDS.index(h.kind)))
        del item.hits[hits_per_item:]
    return SearchResults(query, ranked[:max_items], sum(i.total for i in ranked), len(ranked),
                         complete)


def _track_cues(storage: Storage, entry: Entry, kind: str,
                duration: float | None) -> list[tuple[float, float, str]]:
    report = cues.track_report(storage, entry.name, kind=kind, duration=duration, entry=entry)
    found = []
    for cue in report.cues[:_MAX_CUES]:
        text = cue_search_text(cue.plain_text)
        if text:
            found.append((cue.start, cue.end, text))
    return found


def indexed_tracks(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """The tracks in the index, by location, for :func:`index_item`."""
    return db.search_tracks(conn)


def index_item(
    conn: sqlite3.Connection, storage: Storage, item: Item,
    indexed: dict[str, sqlite3.Row] | None = None, entries: dict[str, Entry] | None = None,
) -> int:
    """(Re)index the item's offered tracks that are new or whose file changed.

    Each track is written in a short transaction of its own, so a large first
    indexing never holds the write lock for long.

    :param indexed: :func:`indexed_tracks`, when the caller indexes many items.
    :param entries: the library's entries by name, when the caller has just
        listed it; tracks missing from it are looked up.
    :returns: the number of tracks indexed.
    """
    indexed = indexed_tracks(conn) if indexed is None else indexed
    count = 0
    for track in item.tracks:
        kind, lang = track.kind, track.srclang
        if kind not in INDEXED_KINDS:
            continue
        location = storage.location(track.file)
        entry = (entries or {}).get(track.file)
        if entry is None:
            try:
                entry = storage.stat(track.file)
            except FileNotFoundError:
                continue
        row = indexed.get(location)
        if row is not None and (row["media_id"], row["kind"], row["lang"], row["size"],
                                row["mtime_ns"]) == (item.id, kind, lang, entry.size,
                                                     entry.mtime_ns):
            continue
        try:
            found = _track_cues(storage, entry, kind, item.duration)
        except FileNotFoundError:
            continue
        # One short transaction per track: the old rows go as the new arrive.
        with db.Transaction(conn):
            if row is not None:
                db.search_forget_track(conn, row["id"])
            db.search_store_track(conn, location, item.id, kind, lang, entry.size,
                                  entry.mtime_ns, found)
        count += 1
    return count


def forget_absent(conn: sqlite3.Connection, storage: Storage, items: Iterable[Item]) -> None:
    """Drop tracks no longer offered (deleted, renamed, now failing
    validation, or of a removed item) from the index."""
    wanted = {storage.location(track.file)
              for item in items for track in item.tracks if track.kind in INDEXED_KINDS}
    with db.Transaction(conn):
        for location, row in indexed_tracks(conn).items():
            if location not in wanted:
                db.search_forget_track(conn, row["id"])


def sync(conn: sqlite3.Connection, storage: Storage | str | os.PathLike,
         items: Iterable[Item]) -> int:
    """Bring the index in line with the catalog ``items``.

    Tracks that are new or whose file changed are (re)indexed (see
    :func:`index_item`); tracks no longer offered are dropped. Searches only
    show tracks of items in the catalog.

    :param storage: the library, or the path of a media folder.
    :returns: the number of tracks indexed.
    """
    storage = as_storage(storage)
    items = list(items)
    forget_absent(conn, storage, items)
    indexed = indexed_tracks(conn)
    return sum(index_item(conn, storage, item, indexed) for item in items)
