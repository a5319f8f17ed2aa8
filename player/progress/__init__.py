"""Playback progress: the pure model, viewer identity, and its HTTP views."""
