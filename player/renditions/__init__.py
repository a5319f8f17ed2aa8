"""HLS renditions: a ladder of fMP4 video renditions with aligned keyframes,
an audio-only rendition, and the item's captions as segmented WebVTT, made
by a background job and stored beside the library.

Modules: :mod:`.transcode` (ffmpeg), :mod:`.mp4` (reading what it wrote),
:mod:`.playlists` (writing and checking playlists), :mod:`.build` (making
and storing a set), :mod:`.record` (what an item's metadata and ITEM say of
it), :mod:`.tasks` (the job), :mod:`.views` (serving), :mod:`.hlsjs`
(hls.js for browsers without HLS).
"""

from __future__ import annotations

from .record import item_fields, needs_job, state
from .tasks import JOB_KIND, enqueue_stale, make_renditions, run
from .transcode import LADDER, TranscodeError, find_ffmpeg, ladder_for

__all__ = ["JOB_KIND", "LADDER", "TranscodeError", "enqueue_stale", "find_ffmpeg",
           "item_fields", "ladder_for", "make_renditions", "needs_job", "run", "state"]
