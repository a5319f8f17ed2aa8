"""Caption files: WebVTT validation as browsers read it, SRT/SBV conversion, cue text.

Other packages import from here, never from the modules inside. The modules,
each importing only those above it:

- :mod:`.timestamps`: reading and writing WebVTT timestamps;
- :mod:`.model`: cues, cue text nodes and problems, and the cue text parser;
- :mod:`.settings`: cue settings and REGION blocks;
- :mod:`.vtt`: decoding and the scanner that reads a file block by block;
- :mod:`.checks`: checks over the cues, such as overlaps and reading speed;
- :mod:`.convert`: telling SubRip and SBV files apart and converting them;
- :mod:`.validate`: :func:`validate` and :func:`validate_file`, and their report;
- :mod:`.lint`: the ``player check-captions`` command.

Nothing here knows about Flask; the cue text model carries text, never
markup, so whoever renders it escapes it.
"""

from __future__ import annotations

from .checks import MAX_CHARS_PER_SECOND, MAX_LINE_LENGTH, MAX_LINES
from .convert import FORMATS, convert, detect_format
from .lint import check_captions
from .model import (
    KINDS,
    CaptionError,
    Cue,
    Node,
    Problem,
    Span,
    Text,
    Timestamp,
    cue_plain_text,
    cue_speakers,
    nodes_text,
    parse_cue_text,
)
from .timestamps import format_timestamp
from .validate import Report, kind_from_filename, validate, validate_file

__all__ = [
    "FORMATS",
    "KINDS",
    "MAX_CHARS_PER_SECOND",
    "MAX_LINES",
    "MAX_LINE_LENGTH",
    "CaptionError",
    "Cue",
    "Node",
    "Problem",
    "Report",
    "Span",
    "Text",
    "Timestamp",
    "check_captions",
    "convert",
    "cue_plain_text",
    "cue_speakers",
    "detect_format",
    "format_timestamp",
    "kind_from_filename",
    "nodes_text",
    "parse_cue_text",
    "validate",
    "validate_file",
]
