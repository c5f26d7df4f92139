"""Django's cache as the application uses it (in Redis with
``CACHE_IN_REDIS=1``, else in each process's memory).

Where the cache only saves work (the dashboard's rendering, a review's pack
digest, the value panel), a cache that does not answer is a miss: the work
is done again and a warning says so (``read_through``, ``forget``). Where it
holds state (the rate limits' counts, the file a bulk import checked), a
cache that does not answer is an outage like the database's: a 503 that
changes nothing (``core.api_errors.REDIS_OUTAGE``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import cache

logger = logging.getLogger("core.cache")

# Redis refused, timed out, or is loading its data after a restart
# (BusyLoadingError is a ConnectionError).
REDIS_UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)

_MISSING = object()


def _unavailable(what: str, key: str, error: BaseException) -> None:
    logger.warning("Redis unavailable, %s %s without the cache: %s", what, key, error)


def read_through[T](key: str, compute: Callable[[], T], timeout: int) -> T:
    """The value kept under ``key``, else ``compute()``, kept for ``timeout``
    seconds; computed afresh, and not kept, while the cache does not answer."""
    try:
        value: Any = cache.get(key, _MISSING)
    except REDIS_UNAVAILABLE as error:
        _unavailable("computed", key, error)
        return compute()
    if value is _MISSING:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except REDIS_UNAVAILABLE as error:
            _unavailable("not kept", key, error)
    return value


def forget(key: str) -> None:
    """Drop what is kept under ``key``. A cache that does not answer keeps
    it until it expires (the callers' timeouts are short)."""
    try:
        cache.delete(key)
    except REDIS_UNAVAILABLE as error:
        _unavailable("could not forget", key, error)
