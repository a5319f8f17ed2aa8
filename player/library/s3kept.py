"""Kept uploads on S3-compatible object storage (see
:meth:`~player.library.storage.Upload.keep`): a media file whose caption
file had errors waits outside the library for a corrected one.

A kept upload ``NAME`` is two objects under ``PREFIX/.uploads/``: its bytes,
left where the upload staged them (``upload-<hex>.part``, never copied), and
a small record ``kept-NAME`` naming them. The record's LastModified is when
it was kept: keeping it again rewrites the record, one small PUT however
large the bytes. Whoever takes it back holds the lock object
``PREFIX/.locks/kept/NAME`` (an :class:`~.s3lock.ObjectLock`; no item id has
a slash, so it is never an item's lock) until they commit, discard or keep
it again, so a second taker waits, then finds it gone or kept again.

:func:`cleanup_kept` drops kept uploads whose record is older than the
time they are kept for, and tells the staged-upload clean-up which staged
objects are kept bytes, not abandoned ones.
"""

from __future__ import annotations

import errno
import json
import logging
import time
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from .s3lock import NOT_FOUND, ObjectLock, ObjectStoreError, error_code, http_status
from .storage import Entry, Upload, check_key

log = logging.getLogger(__name__)

STAGING = ".uploads/"
LOCKS = ".locks/"
KEPT_PREFIX = "kept-"


def _record_key(storage, name: str) -> str:
    return storage.prefix + STAGING + KEPT_PREFIX + check_key(name)


def _lock(storage, name: str) -> ObjectLock:
    """The lock of the kept upload ``name``, taken."""
    storage._check_conditional_writes()
    lock = ObjectLock(storage, storage.prefix + LOCKS + "kept/" + check_key(name))
    lock.acquire()
    return lock


def read_record(storage, name: str) -> dict | None:
    """The record of the kept upload ``name`` (``data``, ``size``, ``etag``
    and ``kept_at``, its LastModified in seconds), or None if there is none.

    :raises ObjectStoreError: if the service fails or the record is not one.
    """
    key = _record_key(storage, name)
    try:
        response = storage.client.get_object(Bucket=storage.bucket, Key=key)
        record = json.loads(response["Body"].read())
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND or http_status(exc) == 404:
            return None
        raise ObjectStoreError(errno.EIO, f"reading a kept upload failed: {exc}", key) from exc
    except (BotoCoreError, ValueError) as exc:
        raise ObjectStoreError(errno.EIO, f"reading a kept upload failed: {exc}", key) from exc
    return {"data": str(record["data"]), "size": int(record["size"]),
            "etag": str(record["etag"]), "kept_at": response["LastModified"].timestamp()}


def _write_record(storage, name: str, data_key: str, size: int, etag: str) -> None:
    body = json.dumps({"data": data_key, "size": size, "etag": etag}).encode()
    storage._call("keeping an upload", "put_object", name, Key=_record_key(storage, name),
                  Body=body, ContentType="application/json")


def _delete(storage, object_key: str) -> None:
    """Delete an object, logging (not raising) a failure: the staged-upload
    clean-up takes bytes no record names."""
    try:
        storage.client.delete_object(Bucket=storage.bucket, Key=object_key)
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not delete %s: %s", object_key, exc)


def keep_as(storage, name: str, data_key: str, size: int, etag: str) -> None:
    """Keep the staged object ``data_key`` (complete, with ``etag``) as the
    kept upload ``name``, from now, replacing any kept upload of that name.

    :raises InvalidKey: if ``name`` is not a plain name.
    :raises ObjectStoreError: if the service fails; nothing is kept then.
    """
    lock = _lock(storage, name)
    try:
        old = read_record(storage, name)
        _write_record(storage, name, data_key, size, etag)
        if old is not None and old["data"] != data_key:
            _delete(storage, old["data"])
    finally:
        lock.release()


class KeptUpload(Upload):
    """A kept upload taken back, holding its lock until it is committed,
    discarded or kept again. Its bytes can be read, not added to.

    :raises FileNotFoundError: if there is no kept upload ``name``, or it
        went while this waited for the lock.
    :raises ObjectStoreError: if the service fails.
    """

    def __init__(self, storage, name: str) -> None:
        self._storage = storage
        self._kept_name = check_key(name)
        self.name = KEPT_PREFIX + name
        self._lock: ObjectLock | None = _lock(storage, name)
        try:
            record = read_record(storage, name)
        except BaseException:
            self._release()
            raise
        if record is None:
            self._release()
            raise FileNotFoundError(errno.ENOENT, "the kept upload is gone",
                                    storage.location(KEPT_PREFIX + name))
        self._data_key, self.size, self._etag = record["data"], record["size"], record["etag"]

    def _release(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.release()

    def __del__(self) -> None:
        # Dropped unfinished (its taker failed before committing, keeping or
        # discarding it): the lock goes, or its renewal would hold it for good.
        if getattr(self, "_lock", None) is not None:
            log.warning("the kept upload %s was dropped while taken", self.name)
            self._release()

    def _check(self) -> None:
        if self._lock is None:
            raise ValueError("the kept upload was committed, kept or discarded")

    def write(self, data: bytes) -> None:
        raise ValueError("a kept upload on object storage cannot be added to")

    def open(self) -> BinaryIO:
        self._check()
        return self._storage._reader(self._data_key, self.size, self._etag, self.name)

    def commit(self, key: str) -> Entry:
        self._check()
        entry = self._storage._copy(self._data_key, key, self.size, self._etag)
        _delete(self._storage, _record_key(self._storage, self._kept_name))
        _delete(self._storage, self._data_key)
        self._release()
        return entry

    def keep(self, name: str) -> None:
        self._check()
        try:
            if check_key(name) == self._kept_name:
                # Its time starts again: the record is written anew.
                _write_record(self._storage, name, self._data_key, self.size, self._etag)
            else:
                keep_as(self._storage, name, self._data_key, self.size, self._etag)
                _delete(self._storage, _record_key(self._storage, self._kept_name))
        finally:
            self._release()

    def discard(self) -> None:
        if self._lock is not None:
            try:
                _delete(self._storage, _record_key(self._storage, self._kept_name))
                _delete(self._storage, self._data_key)
            finally:
                self._release()


def cleanup_kept(storage, records: list[dict], keep_for: float | None) -> tuple[list[str],
                                                                               set[str]]:
    """Drop the kept uploads among ``records`` (listed objects ``kept-NAME``)
    kept longer ago than ``keep_for`` seconds (none when ``None``) and not
    taken back since.

    :returns: the names of the records dropped, and the staged objects the
        others keep (which the staged-upload clean-up must leave alone).
    :raises ObjectStoreError: if the service fails.
    """
    removed: list[str] = []
    in_use: set[str] = set()
    cutoff = None if keep_for is None else time.time() - keep_for
    for item in records:
        name = item["Key"].rsplit("/", 1)[-1][len(KEPT_PREFIX):]
        record = read_record(storage, name)
        if record is None:
            continue
        if cutoff is None or record["kept_at"] >= cutoff:
            in_use.add(record["data"])
            continue
        # Whoever has it taken may keep it again: look once more under its lock.
        lock = _lock(storage, name)
        try:
            record = read_record(storage, name)
            if record is not None and record["kept_at"] < cutoff:
                _delete(storage, _record_key(storage, name))
                _delete(storage, record["data"])
                removed.append(KEPT_PREFIX + name)
            elif record is not None:
                in_use.add(record["data"])
        finally:
            lock.release()
    return removed, in_use
