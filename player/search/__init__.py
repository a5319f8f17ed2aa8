"""Search across the library's cue text: the index and its views."""
