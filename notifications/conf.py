"""The notifications app's settings, each read at call time from
``django.conf.settings`` (defined, with its default, in config/settings.py),
so a test can override it with pytest-django's ``settings`` fixture.

Each setting and its meaning: see notifications/README.md.
"""

from __future__ import annotations

from django.conf import settings


def _at_least(name: str, value: int, minimum: int = 1) -> int:
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be a positive number, not {value}")
    return value


def reminder_after_days() -> int:
    return _at_least(
        "NOTIFICATIONS_REMINDER_AFTER_DAYS", settings.NOTIFICATIONS_REMINDER_AFTER_DAYS
    )


def reminder_every_days() -> int:
    return _at_least(
        "NOTIFICATIONS_REMINDER_EVERY_DAYS", settings.NOTIFICATIONS_REMINDER_EVERY_DAYS
    )


def escalate_after_days() -> int:
    return _at_least(
        "NOTIFICATIONS_ESCALATE_AFTER_DAYS", settings.NOTIFICATIONS_ESCALATE_AFTER_DAYS
    )


def condition_due_soon_days() -> int:
    return _at_least(
        "NOTIFICATIONS_CONDITION_DUE_SOON_DAYS", settings.NOTIFICATIONS_CONDITION_DUE_SOON_DAYS
    )


def condition_overdue_every_days() -> int:
    return _at_least(
        "NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS",
        settings.NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS,
    )


def sweep_connections() -> int:
    return _at_least("NOTIFICATIONS_SWEEP_CONNECTIONS", settings.NOTIFICATIONS_SWEEP_CONNECTIONS)


def digest_hour() -> int:
    hour = _at_least("NOTIFICATIONS_DIGEST_HOUR", settings.NOTIFICATIONS_DIGEST_HOUR, minimum=0)
    return min(hour, 23)


def email_max_attempts() -> int:
    return _at_least("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS)


def email_retry_base_seconds() -> int:
    return _at_least(
        "NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS", settings.NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS
    )


def email_retry_max_seconds() -> int:
    return _at_least(
        "NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS", settings.NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS
    )


def email_sending_timeout_minutes() -> int:
    return _at_least(
        "NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES",
        settings.NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES,
    )


def batch_size() -> int:
    return _at_least("NOTIFICATIONS_BATCH_SIZE", settings.NOTIFICATIONS_BATCH_SIZE)


def inbox_page_size() -> int:
    return _at_least("NOTIFICATIONS_INBOX_PAGE_SIZE", settings.NOTIFICATIONS_INBOX_PAGE_SIZE)


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")
