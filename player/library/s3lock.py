"""Locks on S3-compatible object storage, held as objects across app servers,
and the errors of talking to such a service."""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

#: Seconds a lock lives without being renewed; its holder renews it every
#: third of that, so only a holder that died (or hung that long) loses it.
LOCK_TTL = 30
NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
#: Answers to a conditional request whose condition did not hold. AWS gives
#: 409 ConditionalRequestConflict when two conditional writes race.
CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class ObjectStoreError(OSError):
    """The object store refused or could not be reached; the message says which call."""


def error_code(exc: ClientError) -> str:
    """The S3 error code of a failed call, such as ``"NoSuchKey"``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    """The HTTP status of a failed call; 0 when there was none."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_conflict(exc: ClientError) -> bool:
    """Whether a conditional request failed because its condition did not hold."""
    return error_code(exc) in CONFLICT or http_status(exc) in (409, 412)


class ObjectLock:
    """One item's lock, held as an object, across app servers.

    S3 has no locks, but it has conditional writes: a PUT with
    ``If-None-Match: *`` creates the object only if there is none, and exactly
    one of several racing writers succeeds. The lock object says who holds it
    and for how long without renewal; the holder renews it (a PUT with
    ``If-Match`` its own ETag) from a background thread every third of that,
    and deletes it (``If-Match`` again) on release.

    A waiter polls. It may break a lock that was not renewed for longer than
    its lifetime: its holder died. Age is measured on the service's clock
    (its ``Date`` answer against the object's LastModified), so clocks of app
    servers that disagree do not matter. Breaking is a PUT with ``If-Match``
    the stale ETag, so of several waiters only one takes it over, and every
    renewal writes a new count, so a lock renewed meanwhile has a new ETag
    and cannot be taken.
    """

    def __init__(self, storage, object_key: str) -> None:
        self._storage = storage
        self._object_key = object_key
        self._ttl = storage.lock_ttl
        self._owner = uuid.uuid4().hex
        self._count = 0
        self._etag: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _body(self) -> bytes:
        self._count += 1
        return json.dumps({"owner": self._owner, "host": socket.gethostname(),
                           "pid": os.getpid(), "ttl": self._ttl,
                           "renewal": self._count}).encode()

    def _put(self, **condition) -> str | None:
        """A conditional PUT of the lock; its ETag, or None if the condition failed."""
        storage = self._storage
        try:
            response = storage.client.put_object(
                Bucket=storage.bucket, Key=self._object_key, Body=self._body(),
                ContentType="application/json", **condition)
        except ClientError as exc:
            if is_conflict(exc):
                return None
            raise ObjectStoreError(errno.EIO, f"writing a lock failed: {exc}",
                                   self._object_key) from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(errno.EIO, f"writing a lock failed: {exc}",
                                   self._object_key) from exc
        return response["ETag"]

    def acquire(self) -> None:
        """Take the lock, waiting (with backoff) while another holder has it.

        :raises ObjectStoreError: if the service cannot be written.
        """
        delay = 0.02
        while True:
            self._etag = self._put(IfNoneMatch="*")
            if self._etag is None:
                stale = self._stale_etag()
                if stale is not None:
                    self._etag = self._put(IfMatch=stale)
                    if self._etag is not None:
                        log.warning("broke the stale lock %s", self._object_key)
            if self._etag is not None:
                break
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="s3-lock-renewal",
                                         daemon=True)
        self._renewer.start()

    def _stale_etag(self) -> str | None:
        """The lock's ETag if it outlived its lifetime, else None."""
        storage = self._storage
        try:
            response = storage.client.get_object(Bucket=storage.bucket, Key=self._object_key)
            body = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND or http_status(exc) == 404:
                return None  # released meanwhile: try again at once
            raise ObjectStoreError(errno.EIO, f"reading a lock failed: {exc}",
                                   self._object_key) from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(errno.EIO, f"reading a lock failed: {exc}",
                                   self._object_key) from exc
        try:
            ttl = float(json.loads(body)["ttl"])
        except (ValueError, KeyError, TypeError):
            ttl = self._ttl  # not written by this code: judged by our own lifetime
        date = response["ResponseMetadata"].get("HTTPHeaders", {}).get("date")
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
        age = (now - response["LastModified"]).total_seconds()
        return response["ETag"] if age > ttl else None

    def _renew(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            try:
                etag = self._put(IfMatch=self._etag)
            except ObjectStoreError as exc:
                log.warning("could not renew the lock %s: %s", self._object_key, exc)
                continue
            if etag is None:
                log.error("the lock %s was taken over while held", self._object_key)
                return
            self._etag = etag

    def release(self) -> None:
        """Stop renewing and delete the lock, if it is still ours."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        storage = self._storage
        try:
            storage.client.delete_object(Bucket=storage.bucket, Key=self._object_key,
                                         IfMatch=self._etag)
        except ClientError as exc:
            if error_code(exc) == "NotImplemented" or http_status(exc) == 501:
                # A service without conditional deletes: the lock is ours
                # unless it was broken while held, which the renewal logged.
                storage.client.delete_object(Bucket=storage.bucket, Key=self._object_key)
            elif not (is_conflict(exc) or error_code(exc) in NOT_FOUND):
                log.warning("could not release the lock %s: %s", self._object_key, exc)
        except BotoCoreError as exc:
            log.warning("could not release the lock %s: %s", self._object_key, exc)
