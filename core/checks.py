"""Deployment checks (``manage.py check --deploy``) of what the settings
cannot tell alone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

SHARED_CACHE = "stagegate.W001"


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With a broker (``REDIS_URL``), the site runs as a deployment, most
    often with several web processes; a cache in each process's memory then
    counts the rate limits per process, and the bulk import's confirmation
    misses the checked file another process kept."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.REDIS_URL or not backend.endswith("LocMemCache"):
        return []
    return [
        checks.Warning(
            "Django's cache is in each process's memory while REDIS_URL is set.",
            hint=(
                "With more than one web process, set CACHE_IN_REDIS=1: else each "
                "process counts the rate limits on its own, and the bulk import's "
                "“Import” misses the file another process checked."
            ),
            id=SHARED_CACHE,
        )
    ]
