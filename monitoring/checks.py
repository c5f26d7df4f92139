"""What ``/readyz`` checks, with django-health-check's probes.

The database (``SELECT 1``), the storage artifacts and packs are written to
(a file saved, read back and deleted), and, when a broker is configured
(``REDIS_URL``), Redis (a ``PING``) and the Celery workers (a broadcast ping
that the first worker to answer within ``READYZ_WORKER_TIMEOUT`` ends, then
the queues that worker consumes: the default queue must be among them). The
embedded default has no broker: its tasks run in the web process, so there
is no worker to ask.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from health_check.checks import Database, Storage
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from redis.asyncio import Redis as RedisClient


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
