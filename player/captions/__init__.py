"""Caption files: WebVTT decoding and checks, SRT/SBV conversion, the caption linter."""
