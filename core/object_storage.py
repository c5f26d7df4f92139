"""The object store: django-storages' S3 backend, imported only where the
settings choose it (``S3_BUCKET``), able to stream an object from one GET
and to sign a download for the address browsers reach the store at
(``core.storage.stored_file_response``)."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from core.storage import MISSING_OBJECT_CODES, is_storage_unavailable, store_answer

# The logger of the store's outages (core.api_errors.STORAGE_OUTAGE).
logger = logging.getLogger("core.storage")

# boto3 sessions are not to be used from two threads at once to make
# clients: each thread's connection is made from the storage's one session
# under this lock. (Once made, a connection's objects still use the
# session's resource factory from every thread; that only reads.)
_CONNECTING = threading.Lock()

# How much of an object is read from the store at a time: a download sends
# it on in pieces this size, a check hashes it in pieces this size.
CHUNK_BYTES = 1024 * 1024


class ObjectStream:
    """An object's content as one GET answers it: ``size`` is known before
    the first byte, the bytes come ``chunk_size`` at a time as they are
    iterated, and ``close`` lets the connection go (a download its client
    left half-way).

    A store that stops answering part-way through the body (after
    S3_READ_TIMEOUT_SECONDS) is one warning naming the object and the bytes
    sent; its error goes on, so that the server ends the connection and the
    client sees a download short of its Content-Length, not a complete one."""

    def __init__(self, answer: dict[str, Any], chunk_size: int, name: str) -> None:
        self.size: int = answer["ContentLength"]
        self.name = name
        self._body = answer["Body"]
        self._chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in self._body.iter_chunks(self._chunk_size):
                sent += len(chunk)
                yield chunk
        except Exception as error:
            if is_storage_unavailable(error):
                logger.warning(
                    "Object store stopped answering part-way through %s, after %d of %d "
                    "bytes: %s; the download ends short",
                    self.name,
                    sent,
                    self.size,
                    error,
                )
            raise

    def close(self) -> None:
        self._body.close()


def _made_once(kept: threading.local, make: Callable[[], Any]) -> Any:
    """This thread's connection in ``kept``; ``make`` (which keeps it
    there) under the lock the first time."""
    connection = getattr(kept, "connection", None)
    if connection is None:
        with _CONNECTING:
            connection = make()
    return connection


class ObjectStorage(S3Storage):
    """S3 (AWS, MinIO, Ceph...) through django-storages, with
    ``public_endpoint_url``: the store's address as browsers reach it, when it
    is not the one the application uses (MinIO at ``http://minio:9000``
    inside a compose network, ``http://localhost:9000`` outside it)."""

    def get_default_settings(self) -> dict[str, Any]:
        return {
            **super().get_default_settings(),
            "public_endpoint_url": None,
            # boto3's own unless given: 60 s to connect, 60 s a read, 3 tries (standard mode).
            "connect_timeout": None,
            "read_timeout": None,
            "max_attempts": None,
        }

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        bounds: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("connect_timeout", "read_timeout")
            if getattr(self, name)
        }
        if self.max_attempts:
            bounds["retries"] = {"mode": "standard", "total_max_attempts": self.max_attempts}
        if bounds:
            self.client_config = self.client_config.merge(Config(**bounds))
        # A file read through ``open`` comes through s3transfer, which tries
        # a GET that timed out or was cut short five times, each time with
        # the client's own tries (``max_attempts``): here it tries once, so
        # such a read waits no longer than any other call to the store.
        self.transfer_config = copy.copy(self.transfer_config)
        self.transfer_config.num_download_attempts = 1

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_browser_client", None)
        state.pop("_session", None)
        return state

    def _create_session(self) -> Any:
        """One boto3 session for the storage, where django-storages makes one
        for each thread's connection: a session loads the S3 API's
        description anew (about 80 ms of CPU), a connection made from a
        session that has it about 15 ms."""
        session = self.__dict__.get("_session")
        if session is None:
            session = self.__dict__["_session"] = super()._create_session()
        return session

    @property
    def connection(self) -> Any:
        """This thread's connection, as django-storages keeps it."""
        return _made_once(self._connections, lambda: super(ObjectStorage, self).connection)

    @property
    def unsigned_connection(self) -> Any:
        """This thread's connection for unsigned links (``querystring_auth``
        off)."""
        return _made_once(
            self._unsigned_connections, lambda: super(ObjectStorage, self).unsigned_connection
        )

    @property
    def bucket(self) -> Any:
        """The bucket, one for each thread as django-storages keeps its
        connection: a boto3 resource is not to be shared between threads
        (gunicorn's threads, the storage commands' ``--jobs``), where
        django-storages keeps one bucket for them all."""
        bucket = getattr(self._connections, "bucket", None)
        if bucket is None:
            bucket = self._connections.bucket = self.connection.Bucket(self.bucket_name)
        return bucket

    def _signing_client(self) -> Any:
        """The client that signs download links: the storage's own, or one
        for the public address (signing is local: it never calls the store)."""
        if not self.public_endpoint_url:
            return self.connection.meta.client
        client = self.__dict__.get("_browser_client")
        if client is None:
            with _CONNECTING:
                client = self._create_session().client(
                    "s3",
                    region_name=self.region_name,
                    use_ssl=self.use_ssl,
                    endpoint_url=self.public_endpoint_url,
                    config=self.client_config,
                    verify=self.verify,
                )
            self.__dict__["_browser_client"] = client
        return client

    def _key(self, name: str) -> str:
        """The object's key for a stored ``name``: under the location."""
        return self._normalize_name(clean_name(name))

    def download_url(self, name: str, *, filename: str, content_type: str, expire: int) -> str:
        """A GET of the object, signed for ``expire`` seconds, that the store
        answers as an attachment named ``filename`` of ``content_type``,
        never to be cached."""
        return self._signing_client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket_name,
                "Key": self._key(name),
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=expire,
        )

    def names(self) -> Iterator[str]:
        """Every name the storage holds, as ``save`` returned it: the bucket
        listed under the storage's location, a thousand names a request
        (where asking ``exists`` name by name is a request each)."""
        prefix = self._normalize_name("")
        prefix = f"{prefix.rstrip('/')}/" if prefix else ""
        pages = self.connection.meta.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket_name, Prefix=prefix
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                yield entry["Key"].removeprefix(prefix)

    def stream(self, name: str, chunk_size: int = CHUNK_BYTES) -> ObjectStream:
        """The object's content, streamed from one GET (``open`` asks the
        store about the object twice, then fetches it whole into a temporary
        file). A missing object raises ``FileNotFoundError`` here, before
        the first chunk; a store that does not answer, or refuses, raises
        its error here too."""
        try:
            answer = self.connection.meta.client.get_object(
                Bucket=self.bucket_name, Key=self._key(name)
            )
        except ClientError as error:
            if store_answer(error)[0] in MISSING_OBJECT_CODES:
                raise FileNotFoundError(f"File does not exist: {name}") from error
            raise
        return ObjectStream(answer, chunk_size, name)

    def read_chunks(self, name: str, chunk_size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The object's content in chunks, from one GET (``stream``)."""
        return iter(self.stream(name, chunk_size))

    def confirm_missing(self, name: str) -> None:
        """Ask for ``name`` again in a way whose refusal has a body: a HEAD
        answers 404 for a bucket that is not there as for an object that is
        not, a listing answers ``NoSuchBucket`` (raised, as any refusal)."""
        self.connection.meta.client.list_objects_v2(
            Bucket=self.bucket_name, Prefix=self._key(name), MaxKeys=1
        )
