"""Django's cache as the application uses it (in Redis with
``CACHE_IN_REDIS=1``, else in each process's memory).

Where the cache only saves work (the dashboard's rendering, a review's pack
digest, the value panel), a cache that does not answer, or answers with an
error, is a miss: the work is done again (``read_through``, ``forget``),
counted in ``stagegate_cache_unavailable_total`` and logged at most once a
minute per process. A Redis that takes the connection and does not answer
costs each call its socket timeout (5 s), so after one timed out these calls
do without the cache in this process for ``SKIP_AFTER_TIMEOUT_SECONDS``,
each a miss counted as the others, before the cache is asked again.

Where it holds state (the rate limits' counts, the file a bulk import
checked), a Redis that cannot serve is an outage like the database's: a 503
that changes nothing (``core.api_errors.REDIS_OUTAGE``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import cache
from prometheus_client import Counter

logger = logging.getLogger("core.cache")

# Redis refused, timed out, is loading its data after a restart
# (BusyLoadingError is a ConnectionError), is a replica that takes no writes,
# or is out of memory (maxmemory with noeviction: "OOM").
REDIS_UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
)
# What Redis answers when its disk failed the last save and it takes no
# write until one succeeds (stop-writes-on-bgsave-error).
REFUSING_WRITES = ("MISCONF",)

UNAVAILABLE = Counter(
    "stagegate_cache_unavailable",
    "Reads and writes of the cache that Redis could not serve, done without it",
)
LOG_EVERY_SECONDS = 60
SKIP_AFTER_TIMEOUT_SECONDS = 15
SKIPPED = f"skipped: the cache timed out in the last {SKIP_AFTER_TIMEOUT_SECONDS} s"

_MISSING = object()


def is_redis_unavailable(exc: BaseException | None) -> bool:
    """Redis cannot serve for now: worth a retry, never a 500."""
    if isinstance(exc, REDIS_UNAVAILABLE):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).startswith(REFUSING_WRITES)


class _Warnings:
    """One warning a minute per process while the cache fails, with how many
    failures it stands for: an outage on a busy site is a line, not a flood.
    And after a timeout, until when the cache is not asked (``skipping``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.last = float("-inf")
        self.unsaid = 0
        self.skip_until = float("-inf")

    def skipping(self) -> bool:
        return time.monotonic() < self.skip_until

    def failed(self, what: str, key: str, error: BaseException | str) -> None:
        if isinstance(error, redis.TimeoutError):
            self.skip_until = time.monotonic() + SKIP_AFTER_TIMEOUT_SECONDS
        UNAVAILABLE.inc()
        with self.lock:
            self.unsaid += 1
            now = time.monotonic()
            if now - self.last < LOG_EVERY_SECONDS:
                return
            count, self.unsaid, self.last = self.unsaid, 0, now
        logger.warning(
            "Redis unavailable, %s %s without the cache (%s time(s) since the last such line): %s",
            what,
            key,
            count,
            error,
        )


warnings = _Warnings()


def read_through[T](key: str, compute: Callable[[], T], timeout: int) -> T:
    """The value kept under ``key``, else ``compute()``, kept for ``timeout``
    seconds; computed afresh, and not kept, while Redis cannot serve."""
    if warnings.skipping():
        warnings.failed("computed", key, SKIPPED)
        return compute()
    try:
        value: Any = cache.get(key, _MISSING)
    except redis.RedisError as error:
        warnings.failed("computed", key, error)
        return compute()
    if value is _MISSING:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except redis.RedisError as error:
            warnings.failed("kept nothing of", key, error)
    return value


def forget(key: str) -> None:
    """Drop what is kept under ``key``. While Redis cannot serve, it stays
    until it expires, and a warning says so."""
    if warnings.skipping():
        warnings.failed("could not drop", key, SKIPPED)
        return
    try:
        cache.delete(key)
    except redis.RedisError as error:
        warnings.failed("could not drop", key, error)
