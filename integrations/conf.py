"""The integrations app's settings, read at call time from
``django.conf.settings`` (defined, with their defaults, in config/settings.py)
so that a test can override them. Their meaning: integrations/README.md."""

from __future__ import annotations

from django.conf import settings


def _at_least(name: str, minimum: int = 1) -> int:
    value = int(getattr(settings, name))
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def max_attempts() -> int:
    return _at_least("WEBHOOKS_MAX_ATTEMPTS")


def retry_base_seconds() -> int:
    return _at_least("WEBHOOKS_RETRY_BASE_SECONDS")


def retry_max_seconds() -> int:
    return _at_least("WEBHOOKS_RETRY_MAX_SECONDS")


def timeout_seconds() -> int:
    return _at_least("WEBHOOKS_TIMEOUT_SECONDS")


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")
