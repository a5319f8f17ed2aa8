"""S3-compatible object storage: the second implementation of the storage seam.

``PLAYER_STORAGE=s3://bucket/prefix`` keeps the library in a bucket of any
service that speaks the S3 API (AWS S3, MinIO, Ceph RGW, Garage, R2), with
``PLAYER_S3_ENDPOINT_URL`` for a service other than AWS and credentials
from the standard ``AWS_*`` variables (or any other source boto3 reads).

How each promise of :class:`~player.library.storage.Storage` is kept:

- Objects are ``PREFIX/NAME``; only names directly under the prefix are the
  library. ``PREFIX/.uploads/`` holds staged uploads and ``PREFIX/.locks/``
  the item locks; both are hidden names, so listing never shows them.
- Listing is ListObjectsV2, page by page. The entity tag is the object's
  ETag; the modification time is LastModified.
- A write of a few megabytes is one PUT, which S3 makes visible whole or not
  at all. A bigger one is a multipart upload straight to its key, completed
  only when every part arrived and aborted when anything fails, so the old
  object stays and no parts are left behind.
- An upload streams into a multipart upload of a staged object, one part in
  memory at a time. Publishing checks the bytes before they get a name, so
  the staged object is completed when first read, and :meth:`Upload.commit`
  copies it to its key inside the service (no byte passes through the app)
  and deletes it. A discarded upload aborts its multipart upload or deletes
  its staged object.
- Item locks are objects written with ``If-None-Match: *``, which the
  service accepts for one writer only (see :class:`_Lock`).
- Viewers fetch media from the bucket with presigned URLs
  (:meth:`S3Storage.url_for_client`); the app never relays the bytes.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .s3kept import KEPT_PREFIX, LOCKS, STAGING, KeptUpload, cleanup_kept, keep_as
from .s3lock import (
    LOCK_TTL,
    NOT_FOUND,
    ObjectLock,
    ObjectStoreError,
    error_code,
    http_status,
    is_conflict,
)
from .storage import Entry, Storage, StorageError, Upload, check_key, extension_of

log = logging.getLogger(__name__)

MiB = 1024 * 1024
#: Bytes per part of a multipart upload: the memory one upload holds. S3
#: needs at least 5 MiB for every part but the last, and allows 10,000 parts,
#: so 8 MiB parts carry objects up to 78 GiB.
PART_SIZE = 8 * MiB
#: The largest object a single CopyObject may copy; bigger ones are copied
#: in parts (UploadPartCopy).
COPY_LIMIT = 5 * 1024 * MiB
COPY_PART_SIZE = 512 * MiB
#: Staged uploads older than this are taken as abandoned by
#: :meth:`S3Storage.cleanup_uploads`. Unlike a local file lock, nothing tells
#: whether the app server writing one is still alive, so only age does.
STALE_UPLOAD_SECONDS = 24 * 3600
#: Bytes one read of :meth:`S3Storage.open`'s reader asks for at least:
#: probing seeks between box headers, and each miss costs a request.
READ_BLOCK = 64 * 1024

_UPLOAD_PREFIX = "upload-"

#: Content-Type stored with each object, so a CDN or a presigned URL gives
#: browsers the right one.
CONTENT_TYPES = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".m4a": "audio/mp4",
    ".webm": "video/webm", ".mkv": "video/x-matroska", ".mka": "audio/x-matroska",
    ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".flac": "audio/flac", ".wav": "audio/wav",
    ".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8",
    ".sbv": "text/plain; charset=utf-8", ".json": "application/json",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
}


def content_type(key: str) -> str:
    """The Content-Type stored with the object ``key``, by its extension.

    >>> content_type("talk.en.vtt"), content_type("talk.bin")
    ('text/vtt; charset=utf-8', 'application/octet-stream')
    """
    return CONTENT_TYPES.get(extension_of(key), "application/octet-stream")


def parse_storage_url(url: str) -> tuple[str, str]:
    """The bucket and key prefix of ``s3://bucket/prefix``: the prefix ends
    in a slash, or is empty for the whole bucket.

    >>> parse_storage_url("s3://media-bucket/library/news")
    ('media-bucket', 'library/news/')
    >>> parse_storage_url("s3://media-bucket")
    ('media-bucket', '')

    :raises StorageError: if ``url`` is not an ``s3://`` URL with a bucket.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise StorageError(f"PLAYER_STORAGE={url!r} is not a bucket: write it as"
                           " s3://bucket or s3://bucket/prefix.")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def _strip(etag: str) -> str:
    return etag.strip('"')


def _entry(name: str, size: int, last_modified: datetime, etag: str) -> Entry:
    # LastModified has whole seconds, so two versions written within one
    # second would look the same to caches keyed on size and mtime_ns (the
    # probe and caption caches are). The nanoseconds are therefore taken from
    # the ETag: the same for every app server, different for different bytes.
    etag = _strip(etag)
    seconds = int(last_modified.timestamp())
    fraction = int.from_bytes(hashlib.sha1(etag.encode()).digest()[:4], "big") % 10**9
    return Entry(name, size, last_modified.timestamp(), seconds * 10**9 + fraction, etag)


_SESSION_LOCK = threading.Lock()
_SESSIONS: dict[int, boto3.session.Session] = {}


def _session() -> boto3.session.Session:
    """This process's boto3 session: it loads the service's description
    once, which costs more than the rest of making a client. A session is
    not thread-safe, so clients are made from it under a lock."""
    with _SESSION_LOCK:
        session = _SESSIONS.get(os.getpid())
        if session is None:
            session = _SESSIONS[os.getpid()] = boto3.session.Session()
        return session


class S3Storage(Storage):
    """A bucket (or a prefix of one) as the library.

    :param bucket: the bucket's name.
    :param prefix: the key prefix of the library's objects, ``""`` or ending in ``/``.
    :param endpoint_url: the service's URL, for anything but AWS S3 itself.
    :param client: a boto3 S3 client to use instead of making one.
    :param part_size: bytes per part of multipart uploads (at least 5 MiB).
    :param lock_ttl: seconds a lock lives without renewal.
    :param copy_limit: the largest upload committed with one CopyObject;
        bigger ones are copied in parts of ``copy_part_size``.
    :param stale_upload_seconds: age past which :meth:`cleanup_uploads`
        takes a staged upload as abandoned.
    :param list_page_size: keys per ListObjectsV2 page (S3 gives at most 1,000).
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 client=None, part_size: int = PART_SIZE, lock_ttl: float = LOCK_TTL,
                 copy_limit: int = COPY_LIMIT, copy_part_size: int = COPY_PART_SIZE,
                 stale_upload_seconds: float = STALE_UPLOAD_SECONDS,
                 list_page_size: int = 1000) -> None:
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.part_size = part_size
        self.lock_ttl = lock_ttl
        self.copy_limit = copy_limit
        self.copy_part_size = copy_part_size
        self.stale_upload_seconds = stale_upload_seconds
        self.list_page_size = list_page_size
        self._given_client = client
        self._client = client
        self._client_pid = os.getpid()
        self._client_lock = threading.Lock()
        self._conditional_writes_checked = False

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None, **options) -> S3Storage:
        """The storage ``s3://bucket/prefix`` names.

        :raises StorageError: if ``url`` is not such a URL.
        """
        bucket, prefix = parse_storage_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url or None, **options)

    def __repr__(self) -> str:
        return f"S3Storage({self.location()!r})"

    # -- the client -------------------------------------------------------------------

    @property
    def client(self):
        """The boto3 S3 client of this process (thread-safe; made on first use)."""
        # A client made before gunicorn forks would share its pooled
        # connections with every worker, so each process makes its own.
        if self._client is None or (self._given_client is None
                                    and self._client_pid != os.getpid()):
            with self._client_lock:
                if self._client is None or self._client_pid != os.getpid():
                    self._client = self._make_client()
                    self._client_pid = os.getpid()
        return self._client

    def _make_client(self):
        session = _session()
        options = {}
        if self.endpoint_url:
            # Services other than AWS are reached by path (endpoint/bucket/key):
            # their buckets rarely have a DNS name of their own.
            options["s3"] = {"addressing_style": "path"}
        config = Config(signature_version="s3v4", retries={"mode": "standard"},
                        max_pool_connections=32, **options)
        region = session.region_name or ("us-east-1" if self.endpoint_url else None)
        with _SESSION_LOCK:
            return session.client("s3", endpoint_url=self.endpoint_url, region_name=region,
                                  config=config)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, method: str, key: str = "", **params):
        """Call the client's ``method``; a missing object or bucket becomes
        FileNotFoundError, any other failure ObjectStoreError."""
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **params)
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND or http_status(exc) == 404:
                raise FileNotFoundError(errno.ENOENT, f"no such object ({error_code(exc)})",
                                        self.location(key)) from None
            raise ObjectStoreError(errno.EIO, f"{what} failed: {exc}",
                                   self.location(key)) from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(errno.EIO, f"{what} failed: {exc}",
                                   self.location(key)) from exc

    # -- reading ----------------------------------------------------------------------

    def list(self) -> list[Entry]:
        """Every object directly under the prefix, by name; hidden names and
        deeper keys (``PREFIX/a/b``) are left out.

        :raises FileNotFoundError: if the bucket does not exist.
        :raises ObjectStoreError: if the service fails.
        """
        entries = []
        token = None
        while True:
            params = {"Prefix": self.prefix, "Delimiter": "/", "MaxKeys": self.list_page_size}
            if token:
                params["ContinuationToken"] = token
            page = self._call("listing the bucket", "list_objects_v2", **params)
            for item in page.get("Contents", ()):
                name = item["Key"][len(self.prefix):]
                if not name or name.startswith(".") or "/" in name:
                    continue
                entries.append(_entry(name, item["Size"], item["LastModified"], item["ETag"]))
            if not page.get("IsTruncated"):
                break
            token = page["NextContinuationToken"]
        entries.sort(key=lambda e: e.name)
        return entries

    def stat(self, key: str) -> Entry:
        """The entry of one object (a HEAD request).

        :raises FileNotFoundError: if there is no such object.
        :raises ObjectStoreError: if the service fails.
        """
        head = self._call("reading an object's headers", "head_object", key, Key=self._key(key))
        return _entry(key, head["ContentLength"], head["LastModified"], head["ETag"])

    def open(self, key: str) -> BinaryIO:
        """A seekable reader that fetches the bytes it is asked for with
        ranged GETs, pinned to the object's current version: a reader of an
        object replaced meanwhile fails rather than mixing two versions.

        :raises FileNotFoundError: if there is no such object.
        :raises ObjectStoreError: if the service fails.
        """
        entry = self.stat(key)
        raw = _ObjectReader(self, self._key(key), entry.size, entry.etag, key)
        return io.BufferedReader(raw, buffer_size=READ_BLOCK)  # type: ignore[return-value]

    def read_bytes(self, key: str) -> bytes:
        """The whole object, in one GET.

        :raises FileNotFoundError: if there is no such object.
        :raises ObjectStoreError: if the service fails.
        """
        response = self._call("reading an object", "get_object", key, Key=self._key(key))
        return self._read_body(response, key)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """At most ``length`` bytes from ``start``, in one ranged GET.

        :raises FileNotFoundError: if there is no such object.
        :raises ObjectStoreError: if the service fails.
        """
        if length <= 0:
            self.stat(key)
            return b""
        return self._get_range(key, self._key(key), start, length, None)

    def _get_range(self, key: str, object_key: str, start: int, length: int,
                   etag: str | None) -> bytes:
        params = {"Key": object_key, "Range": f"bytes={start}-{start + length - 1}"}
        if etag is not None:
            params["IfMatch"] = f'"{etag}"'
        try:
            response = self.client.get_object(Bucket=self.bucket, **params)
        except ClientError as exc:
            if error_code(exc) == "InvalidRange" or http_status(exc) == 416:
                return b""  # starts at or past the end
            if etag is not None and is_conflict(exc):
                raise ObjectStoreError(errno.EIO, "the object was replaced while being read",
                                       self.location(key)) from None
            if error_code(exc) in NOT_FOUND or http_status(exc) == 404:
                raise FileNotFoundError(errno.ENOENT, "no such object",
                                        self.location(key)) from None
            raise ObjectStoreError(errno.EIO, f"reading a range failed: {exc}",
                                   self.location(key)) from exc
        except BotoCoreError as exc:
            raise ObjectStoreError(errno.EIO, f"reading a range failed: {exc}",
                                   self.location(key)) from exc
        return self._read_body(response, key)

    def _read_body(self, response: dict, key: str) -> bytes:
        body = response["Body"]
        try:
            return body.read()
        except (BotoCoreError, OSError) as exc:
            raise ObjectStoreError(errno.EIO, f"reading an object failed: {exc}",
                                   self.location(key)) from exc
        finally:
            body.close()

    # -- writing ----------------------------------------------------------------------

    def begin_upload(self) -> Upload:
        """A new staged upload under ``PREFIX/.uploads/``; nothing is sent
        before its first part is full."""
        return _S3Upload(self)

    def write(self, key: str, data: bytes | Iterable[bytes] | BinaryIO) -> Entry:
        """Store ``data`` as ``key`` atomically: one PUT when it fits in a
        part, else a multipart upload to the key, aborted if anything fails.

        :raises InvalidKey: if ``key`` is not a plain name.
        :raises ObjectStoreError: if the service refuses; the old object then stays.
        """
        check_key(key)
        writer = _PartWriter(self, self._key(key), key)
        try:
            for chunk in _chunks(data):
                writer.write(chunk)
            etag = writer.finish()
        except BaseException:
            writer.abort()
            raise
        return self._written(key, etag, writer.size)

    def _written(self, key: str, etag: str, size: int) -> Entry:
        """The entry of what was just written as ``key`` with ``etag``."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key),
                                           IfMatch=f'"{_strip(etag)}"')
        except (ClientError, BotoCoreError):
            # Replaced by another writer since: this write's entry is all
            # that is known of it, with the time it was made.
            return _entry(key, size, datetime.now(UTC), etag)
        return _entry(key, head["ContentLength"], head["LastModified"], head["ETag"])

    def _copy(self, source: str, key: str, size: int, source_etag: str) -> Entry:
        """Copy the object ``source`` (a full key) to the library's ``key``
        inside the service; a multipart copy past :attr:`copy_limit`."""
        target = self._key(key)
        copy_source = {"Bucket": self.bucket, "Key": source}
        if size <= self.copy_limit:
            response = self._call(
                "copying an upload into place", "copy_object", key, Key=target,
                CopySource=copy_source, CopySourceIfMatch=f'"{source_etag}"',
                MetadataDirective="REPLACE", ContentType=content_type(key))
            result = response["CopyObjectResult"]
            return _entry(key, size, result["LastModified"], result["ETag"])
        upload_id = self._call("starting a copy", "create_multipart_upload", key, Key=target,
                               ContentType=content_type(key))["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, size, self.copy_part_size), 1):
                end = min(start + self.copy_part_size, size) - 1
                response = self._call(
                    "copying a part", "upload_part_copy", key, Key=target, UploadId=upload_id,
                    PartNumber=number, CopySource=copy_source,
                    CopySourceRange=f"bytes={start}-{end}", CopySourceIfMatch=f'"{source_etag}"')
                parts.append({"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]})
            etag = self._call("finishing a copy", "complete_multipart_upload", key, Key=target,
                              UploadId=upload_id, MultipartUpload={"Parts": parts})["ETag"]
        except BaseException:
            self._abort(target, upload_id)
            raise
        return self._written(key, etag, size)

    def take_upload(self, name: str) -> Upload:
        """The kept upload ``name``, its lock held (see :mod:`.s3kept`).

        :raises FileNotFoundError: if there is none.
        :raises ObjectStoreError: if the service fails.
        """
        return KeptUpload(self, name)

    def _reader(self, object_key: str, size: int, etag: str, name: str) -> BinaryIO:
        """A buffered reader of one version (``etag``) of the object ``object_key``."""
        raw = _ObjectReader(self, object_key, size, etag, name)
        return io.BufferedReader(raw, buffer_size=READ_BLOCK)  # type: ignore[return-value]

    def _abort(self, object_key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=object_key,
                                               UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            # The bucket's lifecycle rule or cleanup_uploads takes it later.
            log.warning("could not abort the multipart upload of %s: %s", object_key, exc)

    def delete(self, key: str) -> bool:
        """Remove the object; returns whether there was one.

        :raises ObjectStoreError: if the service fails.
        """
        # DELETE succeeds whether or not the object exists, so a HEAD asks first.
        if not self.exists(key):
            return False
        self._call("deleting an object", "delete_object", key, Key=self._key(key))
        return True

    # -- locks and leftovers ----------------------------------------------------------

    @contextmanager
    def lock(self, item_id: str) -> Iterator[None]:
        """Hold the item's lock object ``PREFIX/.locks/ID`` across threads,
        processes and machines (see :class:`_Lock`).

        :raises StorageError: if the service ignores conditional writes, so
            no lock could hold.
        :raises ObjectStoreError: if the service fails.
        """
        self._check_conditional_writes()
        held = ObjectLock(self, self.prefix + LOCKS + check_key(item_id))
        held.acquire()
        try:
            yield
        finally:
            held.release()

    def _check_conditional_writes(self) -> None:
        """Refuse to lock on a service that ignores ``If-None-Match``: two app
        servers would then both believe they hold one item's lock."""
        if self._conditional_writes_checked:
            return
        key = f"{self.prefix}{LOCKS}.check-{uuid.uuid4().hex}"
        try:
            self._call("writing a lock", "put_object", Key=key, Body=b"", IfNoneMatch="*")
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=b"", IfNoneMatch="*")
            except ClientError as exc:
                if not is_conflict(exc):
                    raise ObjectStoreError(errno.EIO, f"writing a lock failed: {exc}",
                                           self.location()) from exc
            else:
                raise StorageError(
                    f"The object store at {self.endpoint_url or 'AWS S3'} ignores conditional"
                    " writes (If-None-Match), so item locks cannot hold across app servers;"
                    " use a service that supports them.")
        finally:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            except (ClientError, BotoCoreError):
                pass
        self._conditional_writes_checked = True

    def cleanup_uploads(self, *, stale_after: float | None = None,
                        keep_for: float | None = None) -> list[str]:
        """Abort the multipart uploads and delete the staged objects under
        ``PREFIX/.uploads/`` idle longer than ``stale_after`` seconds (by
        default :attr:`stale_upload_seconds`), and delete locks long past
        their lifetime; returns the uploads' names.

        Nothing tells whether the app server writing a staged upload is still
        alive, so only its idle time counts. Kept uploads (:meth:`take_upload`)
        go by ``keep_for`` instead (see :func:`~.s3kept.cleanup_kept`).

        :raises ObjectStoreError: if the service fails.
        """
        staging = self.prefix + STAGING
        idle = self.stale_upload_seconds if stale_after is None else stale_after
        cutoff = time.time() - idle
        removed: list[str] = []
        params = {"Prefix": staging}
        while True:
            page = self._call("listing uploads", "list_multipart_uploads", **params)
            for upload in page.get("Uploads", ()):
                if self._last_activity(upload) < cutoff:
                    self._abort(upload["Key"], upload["UploadId"])
                    removed.append(upload["Key"][len(staging):])
            if not page.get("IsTruncated"):
                break
            params = {"Prefix": staging, "KeyMarker": page["NextKeyMarker"],
                      "UploadIdMarker": page["NextUploadIdMarker"]}
        staged = list(self._list_all(staging))
        records = [item for item in staged
                   if item["Key"][len(staging):].startswith(KEPT_PREFIX)]
        dropped, kept = cleanup_kept(self, records, keep_for)
        removed += dropped
        kept.update(item["Key"] for item in records)
        for item in staged:
            if item["Key"] in kept:
                continue
            if item["LastModified"].timestamp() < cutoff:
                self._call("deleting an upload", "delete_object", Key=item["Key"])
                removed.append(item["Key"][len(staging):])
        # A lock's holder renews it while it lives; one this old was left by
        # a holder that died, and the next taker would break it anyway.
        lock_cutoff = time.time() - max(10 * self.lock_ttl, 600)
        for item in self._list_all(self.prefix + LOCKS):
            if item["LastModified"].timestamp() < lock_cutoff:
                self._call("deleting a lock", "delete_object", Key=item["Key"])
        return sorted(set(removed))

    def _last_activity(self, upload: dict) -> float:
        """When a multipart upload last received a part (or began)."""
        started = upload["Initiated"].timestamp()
        if started >= time.time() - self.stale_upload_seconds:
            return started
        # A slow client may still be sending the parts of an upload begun
        # long ago (and some services report a made-up start time), so its
        # newest part tells whether it is alive.
        latest = started
        params = {"Key": upload["Key"], "UploadId": upload["UploadId"]}
        try:
            while True:
                page = self.client.list_parts(Bucket=self.bucket, **params)
                for part in page.get("Parts", ()):
                    latest = max(latest, part["LastModified"].timestamp())
                if not page.get("IsTruncated"):
                    return latest
                params["PartNumberMarker"] = page["NextPartNumberMarker"]
        except (ClientError, BotoCoreError):
            return latest

    def _list_all(self, prefix: str) -> Iterator[dict]:
        token = None
        while True:
            params = {"Prefix": prefix}
            if token:
                params["ContinuationToken"] = token
            page = self._call("listing the bucket", "list_objects_v2", **params)
            yield from page.get("Contents", ())
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    # -- clients ----------------------------------------------------------------------

    def local_path(self, key: str) -> None:
        """``None``: no object is on a local disk (see :meth:`url_for_client`).

        :raises InvalidKey: if ``key`` is not a plain name.
        """
        check_key(key)
        return None

    def url_for_client(self, key: str, expires: int = 3600) -> str:
        """A presigned GET URL of the object, valid for ``expires`` seconds.
        Signing is local: no request is made.

        :raises InvalidKey: if ``key`` is not a plain name.
        """
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=int(expires))

    def location(self, key: str = "") -> str:
        """``s3://bucket/prefix/key`` (the storage's own URL for an empty key)."""
        if key:
            return f"s3://{self.bucket}/{self.prefix}{check_key(key)}"
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def _chunks(data: bytes | Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
    elif hasattr(data, "read"):
        while chunk := data.read(PART_SIZE):  # type: ignore[union-attr]
            yield chunk
    else:
        yield from data  # type: ignore[misc]


class _ObjectReader(io.RawIOBase):
    """Ranged GETs of one version of one object, as a seekable raw file."""

    def __init__(self, storage: S3Storage, object_key: str, size: int, etag: str,
                 key: str) -> None:
        super().__init__()
        self._storage = storage
        self._object_key = object_key
        self._size = size
        self._etag = etag
        self._key = key
        self._position = 0
        self.name = storage.location(key)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        position = base + offset
        if position < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._position = position
        return position

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self._size - self._position)
        if wanted <= 0:
            return 0
        data = self._storage._get_range(self._key, self._object_key, self._position, wanted,
                                        self._etag)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)


class _PartWriter:
    """Bytes on their way to one object key: kept in memory up to one part,
    then sent as the parts of a multipart upload started on the first full one."""

    def __init__(self, storage: S3Storage, object_key: str, key: str) -> None:
        self._storage = storage
        self._object_key = object_key
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        view = memoryview(data)
        while view:
            room = self._storage.part_size - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
            if len(self._buffer) == self._storage.part_size:
                # The full part is sent as it is, so memory holds one part
                # and the chunk being added, never two parts.
                part, self._buffer = self._buffer, bytearray()
                self._send_part(part)

    def _send_part(self, part: bytes | bytearray) -> None:
        storage = self._storage
        if self._upload_id is None:
            self._upload_id = storage._call(
                "starting an upload", "create_multipart_upload", self._key,
                Key=self._object_key, ContentType=content_type(self._key))["UploadId"]
        number = len(self._parts) + 1
        response = storage._call("sending a part", "upload_part", self._key,
                                 Key=self._object_key, UploadId=self._upload_id,
                                 PartNumber=number, Body=part)
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def finish(self) -> str:
        """Make the object; returns its ETag (without quotes)."""
        storage = self._storage
        if self._upload_id is None:
            response = storage._call("writing an object", "put_object", self._key,
                                     Key=self._object_key, Body=bytes(self._buffer),
                                     ContentType=content_type(self._key))
        else:
            if self._buffer:
                self._send_part(self._buffer)
            response = storage._call("finishing an upload", "complete_multipart_upload",
                                     self._key, Key=self._object_key, UploadId=self._upload_id,
                                     MultipartUpload={"Parts": self._parts})
            self._upload_id = None
        self._buffer = bytearray()
        return _strip(response["ETag"])

    def abort(self) -> None:
        """Drop the parts sent so far; safe to call more than once."""
        self._buffer = bytearray()
        if self._upload_id is not None:
            self._storage._abort(self._object_key, self._upload_id)
            self._upload_id = None


class _S3Upload(Upload):
    """A staged object under ``PREFIX/.uploads/``, streamed in parts."""

    def __init__(self, storage: S3Storage) -> None:
        self._storage = storage
        self.name = f"{_UPLOAD_PREFIX}{uuid.uuid4().hex}.part"
        self._object_key = storage.prefix + STAGING + self.name
        self._writer: _PartWriter | None = _PartWriter(storage, self._object_key, self.name)
        self._etag: str | None = None  # set once the staged object exists
        self._done = False
        self.size = 0

    def write(self, data: bytes) -> None:
        if self._writer is None:
            raise ValueError("write to a finished upload")
        self._writer.write(data)
        self.size += len(data)

    def _finish(self) -> str:
        """Complete the staged object (once) and return its ETag."""
        if self._done:
            raise ValueError("the upload was committed or discarded")
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                self._etag = writer.finish()
            except BaseException:
                writer.abort()
                raise
        assert self._etag is not None
        return self._etag

    def open(self) -> BinaryIO:
        """A reader of the staged object: the upload is complete from then on."""
        return self._storage._reader(self._object_key, self.size, self._finish(), self.name)

    def read_all(self) -> bytes:
        with self.open() as reader:
            return reader.read()

    def commit(self, key: str) -> Entry:
        check_key(key)
        etag = self._finish()
        entry = self._storage._copy(self._object_key, key, self.size, etag)
        self._done = True
        self._delete_staged()
        return entry

    def keep(self, name: str) -> None:
        check_key(name)
        keep_as(self._storage, name, self._object_key, self.size, self._finish())
        self._done = True

    def _delete_staged(self) -> None:
        try:
            self._storage.client.delete_object(Bucket=self._storage.bucket,
                                               Key=self._object_key)
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not delete the staged upload %s: %s", self._object_key, exc)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        elif self._etag is not None and not self._done:
            self._delete_staged()
        self._done = True


__all__ = ["CONTENT_TYPES", "ObjectStoreError", "S3Storage", "content_type",
           "parse_storage_url"]
