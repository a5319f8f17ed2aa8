"""Which storage an app uses: the media folder, or S3-compatible object storage.

Apart from :mod:`.storage` so that the two implementations can both be chosen
here without the interface module importing one of its own implementations.
"""

from __future__ import annotations

from .storage import APP_KEY, LocalStorage, Storage, StorageError


def for_app(app) -> Storage:
    """The storage of a Flask app: its ``STORAGE`` setting when that is a
    :class:`Storage`, a bucket when it is ``s3://bucket/prefix`` (reached at
    ``S3_ENDPOINT_URL`` when set), else its media folder (``MEDIA_DIR``).

    :raises StorageError: if ``STORAGE`` is set to anything else.
    """
    storage = app.extensions.get(APP_KEY)
    if storage is not None:
        return storage
    configured = app.config.get("STORAGE")
    if configured is None or configured == "":
        configured = LocalStorage(app.config["MEDIA_DIR"])
    elif isinstance(configured, str) and configured.startswith("s3://"):
        # Imported here: boto3 takes a while to load, and the media folder needs none of it.
        from .s3 import S3Storage

        configured = S3Storage.from_url(configured,
                                        endpoint_url=app.config.get("S3_ENDPOINT_URL"))
    elif not isinstance(configured, Storage):
        raise StorageError(f"PLAYER_STORAGE={configured!r} is not a storage: set it to"
                           " s3://bucket/prefix for S3-compatible object storage, or leave it"
                           " unset to keep the library in the media folder (PLAYER_MEDIA_DIR).")
    # setdefault: of two threads that get here first, both use the first storage.
    return app.extensions.setdefault(APP_KEY, configured)
