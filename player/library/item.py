"""A catalog item and its tracks, as the scan builds them and the database
keeps them; :meth:`Item.to_public` is ITEM in the API.

The database keeps each item as the JSON of :meth:`Item.to_dict`; rows
written by older versions lack keys added since (a track's ``source``,
``approved`` and ``etag``, an item's ``renditions``), which
:meth:`Item.from_dict` fills with what those versions meant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..renditions.record import item_fields
from .track_sources import key_of
from .urls import absolute_url, media_base_url, rendition_url


@dataclass
class Track:
    """A WebVTT sidecar of an item: offered to players, or rejected for its errors."""

    file: str
    kind: str
    srclang: str
    label: str
    #: How many cues it has.
    cues: int
    #: Each problem the check found: line, column, severity, code, message.
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: ``author``, or the job that drafted it: ``aligned``, ``automatic``.
    source: str = "author"
    #: The author's tracks always; drafts once a publisher approves them.
    approved: bool = True
    #: The entity tag of its bytes in the storage.
    etag: str | None = None

    @property
    def key(self) -> str:
        """Its key within its item: ``"en.captions"``, a draft's ``"en.captions.automatic"``."""
        return key_of(self.srclang, self.kind, self.source)

    def count(self, severity: str) -> int:
        """How many of its problems are of ``severity`` (``error``, ``warning``)."""
        return sum(1 for p in self.problems if p["severity"] == severity)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        """A track from the database's JSON, or from a row an older version wrote."""
        return cls(file=data["file"], kind=data["kind"], srclang=data["srclang"],
                   label=data["label"], cues=data["cues"], problems=data["problems"],
                   source=data.get("source", "author"), approved=data.get("approved", True),
                   etag=data.get("etag"))


@dataclass
class Item:
    """A media file of the library with what the scan found of it."""

    id: str
    #: The media file's name in the storage.
    file: str
    title: str
    description: str
    language: str
    #: ``video`` or ``audio``.
    kind: str
    mime: str
    duration: float | None
    width: int | None
    height: int | None
    size: int
    mtime: float
    #: The poster image's file name.
    poster: str | None = None
    tracks: list[Track] = field(default_factory=list)
    rejected_tracks: list[Track] = field(default_factory=list)
    #: The HLS rendition record of its metadata (see :mod:`player.renditions.record`).
    renditions: dict[str, Any] | None = None

    def all_tracks(self) -> list[Track]:
        """Its offered tracks, then its rejected ones."""
        return [*self.tracks, *self.rejected_tracks]

    def to_dict(self) -> dict[str, Any]:
        """What the database keeps: JSON-ready, keys in field order."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        """An item from :meth:`to_dict`, or from a row an older version wrote."""
        return cls(
            id=data["id"], file=data["file"], title=data["title"],
            description=data["description"], language=data["language"], kind=data["kind"],
            mime=data["mime"], duration=data["duration"], width=data.get("width"),
            height=data.get("height"), size=data["size"], mtime=data["mtime"],
            poster=data.get("poster"),
            tracks=[Track.from_dict(t) for t in data["tracks"]],
            rejected_tracks=[Track.from_dict(t) for t in data.get("rejected_tracks", [])],
            renditions=data.get("renditions"),
        )

    def to_public(self) -> dict[str, Any]:
        """The public JSON of the item (ITEM in the API): every URL absolute.

        With HLS renditions ready, ``sources`` lists the master playlist before
        the original file, and ``renditions`` and ``audio_only`` describe them.
        Call inside a request (or with ``SERVER_NAME`` set).
        """
        item_id = self.id
        original = [{
            "url": (media_base_url(self.file)
                    or absolute_url("files.media_file", item_id=item_id, name=self.file)),
            "type": self.mime,
        }]
        return {
            "id": item_id,
            "title": self.title,
            "description": self.description,
            "language": self.language,
            "kind": self.kind,
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
            **item_fields(self, original, rendition_url),
            "tracks": [
                {
                    "url": absolute_url("files.media_file", item_id=item_id, name=t.file),
                    "kind": t.kind,
                    "srclang": t.srclang,
                    "label": t.label,
                    "source": t.source,
                    "approved": t.approved,
                    "cues": t.cues,
                    "warnings": t.count("warning"),
                }
                for t in self.tracks
            ],
            "rejected_tracks": [
                {
                    "kind": t.kind, "srclang": t.srclang, "label": t.label,
                    "errors": [p for p in t.problems if p["severity"] == "error"],
                }
                for t in self.rejected_tracks
            ],
            "poster": (
                absolute_url("files.media_file", item_id=item_id, name=self.poster)
                if self.poster else None
            ),
            "transcript": {
                "html": absolute_url("pages.transcript", item_id=item_id),
                "txt": absolute_url("pages.transcript_text", item_id=item_id),
                "json": absolute_url("api.transcript", item_id=item_id),
            },
            "watch_url": absolute_url("pages.watch", item_id=item_id),
            "embed_url": absolute_url("embed.embed_page", item_id=item_id),
        }
