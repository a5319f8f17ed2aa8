"""The media library: the storage seam, scanning, probing, the catalog and the file routes."""
