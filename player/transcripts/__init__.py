"""Transcripts made from caption cues, and the tracks they are built from."""
