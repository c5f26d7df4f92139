"""What ``/readyz`` checks, with django-health-check's probes.

The database (``SELECT 1``), the storage artifacts and packs are written to
(a file saved, read back and deleted), and, when a broker is configured
(``REDIS_URL``), Redis (a ``PING``) and the Celery workers (a broadcast ping
that the first worker to answer within ``READYZ_WORKER_TIMEOUT`` ends, then
the queues that worker consumes: the default queue must be among them). The
embedded default has no broker: its tasks run in the web process, so there
is no worker to ask.

Each check is django-health-check's, named the same (the answer's keys),
with where its service is in its name in the log (``Storage(s3://bucket/
prefix/ at http://host:port)``: which store, disk or server did not
answer). The storage check says a store or disk that fails as unavailable,
as the others do, not as an unknown error with a traceback at every probe.
"""

from __future__ import annotations

import abc
import datetime
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import storages
from django.db import connections
from health_check import checks as probes
from health_check.contrib import celery as celery_probes
from health_check.contrib import redis as redis_probes
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from redis.asyncio import Redis as RedisClient

from core.storage import is_storage_unavailable, storage_described


def url_described(url: str) -> str:
    """Where a service's URL points, without its user and password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


class _Named(abc.ABC):
    """A check's name in the log: its class and where its service is."""

    @abc.abstractmethod
    def where(self) -> str:
        """Where the check's service is, without credentials."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where()})"


class Database(_Named, probes.Database):
    def where(self) -> str:
        config = connections[self.alias].settings_dict
        if not config.get("HOST"):
            return str(config["NAME"])
        return f"{config['HOST']}:{config.get('PORT') or 5432}/{config['NAME']}"


class Storage(_Named, probes.Storage):
    """A file saved, read back and deleted. A disk that refuses (a root that
    is not a directory, no permission, no space) or an object store that
    does not answer or refuses the application (``core.storage``) is
    unavailable; the file is deleted afterwards whatever happened, as far as
    the storage lets it."""

    def where(self) -> str:
        return storage_described(storages[self.alias])

    def run(self) -> None:
        file_name = self.get_file_name()
        try:
            file_name = self.check_save(file_name, self.get_file_content())
            self.check_delete(file_name)
        except Exception as error:
            # The test file of a failed check, if it was written at all: the
            # failure is what the probe reports, not this.
            with suppress(Exception):
                self.storage.delete(file_name)
            if isinstance(error, HealthCheckException):
                raise
            if isinstance(error, OSError | BotoCoreError | ClientError) or is_storage_unavailable(
                error
            ):
                raise ServiceUnavailable("Storage unavailable") from error
            raise


class Redis(_Named, redis_probes.Redis):
    def where(self) -> str:
        return url_described(settings.REDIS_URL)


class Ping(_Named, celery_probes.Ping):
    def where(self) -> str:
        return f"the workers of {url_described(self.app.conf.broker_url)}"


def _redis_client() -> RedisClient:
    return RedisClient.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def readiness_checks() -> list[Any]:
    """The probes for this configuration, in the order the answer lists them."""
    checks: list[Any] = [Database, Storage]
    if settings.REDIS_URL:
        checks.append((Redis, {"client_factory": _redis_client}))
        checks.append(
            (
                Ping,
                {
                    "timeout": datetime.timedelta(seconds=settings.READYZ_WORKER_TIMEOUT),
                    # The first worker to answer ends the wait; without a
                    # limit every probe took the whole timeout.
                    "limit": 1,
                },
            )
        )
    return checks
