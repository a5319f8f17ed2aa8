"""Folders of objects kept beside the library: the storage seam for files
that belong to an item but are no sidecar of it, such as its HLS renditions.

A nested folder is a :class:`~player.library.storage.Storage` of its own,
under a hidden name of the library (``.renditions/ITEM/VERSION``), so the
library's listing never shows its objects and its keys stay plain names:

- the media folder: ``MEDIA_DIR/.renditions/ITEM/VERSION/NAME``, a
  :class:`~player.library.storage.LocalStorage` there;
- object storage: ``PREFIX/.renditions/ITEM/VERSION/NAME``, an
  :class:`~player.library.s3.S3Storage` with that prefix, on the same client.

Objects written here carry their Content-Type and Cache-Control (S3 keeps
both with the object, so a CDN or a presigned URL answers with them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .storage import Entry, LocalStorage, Storage, StorageError, check_key

#: The hidden folder of the library that holds every item's renditions.
RENDITIONS = ".renditions"


def _parts(parts: tuple[str, ...]) -> list[str]:
    if not parts:
        raise StorageError("a nested folder needs a name")
    return [check_key(part) for part in parts]


def nested(storage: Storage, *parts: str, create: bool = False) -> Storage | None:
    """The folder ``.renditions/PART/...`` of ``storage`` as a storage of its
    own, or ``None`` when ``storage`` keeps no folders (neither the media
    folder nor S3).

    :param create: make the folder if it is missing (a local folder must
        exist before it takes uploads; a bucket needs nothing made).
    :raises InvalidKey: if a part is not a plain name.
    """
    names = _parts(parts)
    if isinstance(storage, LocalStorage):
        root = Path(storage.root, RENDITIONS, *names)
        if create:
            os.makedirs(root, exist_ok=True)
        return LocalStorage(root)
    s3 = _s3_class()
    if s3 is not None and isinstance(storage, s3):
        prefix = storage.prefix + "/".join([RENDITIONS, *names]) + "/"
        return s3(storage.bucket, prefix, endpoint_url=storage.endpoint_url,
                  client=storage.client)
    return None


def _s3_class():
    # Only when boto3 is already loaded: a library kept in the media folder
    # never pays for importing it.
    import sys

    module = sys.modules.get("player.library.s3")
    return getattr(module, "S3Storage", None)


def put(folder: Storage, key: str, data: bytes, *, content_type: str,
        cache_control: str) -> Entry:
    """Write ``data`` as ``key`` in a nested folder, atomically, with the
    headers a CDN or a presigned URL should answer with.

    :raises OSError: if the storage refuses; the old object then stays.
    """
    s3 = _s3_class()
    if s3 is not None and isinstance(folder, s3):
        folder._call("writing an object", "put_object", key, Key=folder._key(key), Body=data,
                     ContentType=content_type, CacheControl=cache_control)
        return folder.stat(key)
    return folder.write(key, data)


def names(folder: Storage) -> list[str]:
    """The names of the objects in a nested folder (none when it is missing)."""
    try:
        return [entry.name for entry in folder.list()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def versions(storage: Storage, *parts: str) -> list[str]:
    """The sub-folders of the nested folder ``parts`` (an item's versions).

    :raises InvalidKey: if a part is not a plain name.
    """
    names_ = _parts(parts)
    if isinstance(storage, LocalStorage):
        try:
            with os.scandir(Path(storage.root, RENDITIONS, *names_)) as listing:
                return sorted(e.name for e in listing
                              if e.is_dir() and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []
    s3 = _s3_class()
    if s3 is not None and isinstance(storage, s3):
        prefix = storage.prefix + "/".join([RENDITIONS, *names_]) + "/"
        found: set[str] = set()
        token = None
        while True:
            params = {"Prefix": prefix, "Delimiter": "/"}
            if token:
                params["ContinuationToken"] = token
            page = storage._call("listing the bucket", "list_objects_v2", **params)
            for common in page.get("CommonPrefixes", ()):
                name = common["Prefix"][len(prefix):].rstrip("/")
                if name and not name.startswith("."):
                    found.add(name)
            if not page.get("IsTruncated"):
                return sorted(found)
            token = page["NextContinuationToken"]
    return []


def remove(storage: Storage, *parts: str) -> None:
    """Delete the nested folder ``parts`` and everything in it; nothing
    happens if it is missing.

    :raises InvalidKey: if a part is not a plain name.
    :raises OSError: if the storage refuses.
    """
    names_ = _parts(parts)
    if isinstance(storage, LocalStorage):
        try:
            shutil.rmtree(Path(storage.root, RENDITIONS, *names_))
        except FileNotFoundError:
            pass
        return
    s3 = _s3_class()
    if s3 is not None and isinstance(storage, s3):
        prefix = storage.prefix + "/".join([RENDITIONS, *names_]) + "/"
        keys = [item["Key"] for item in storage._list_all(prefix)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            storage._call("deleting objects", "delete_objects",
                          Delete={"Objects": batch, "Quiet": True})

