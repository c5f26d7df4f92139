"""The notifications app's settings, each read at call time with its default,
so a deployment sets them in config/settings.py (from the environment) and a
test overrides them with pytest-django's ``settings`` fixture.

Each setting, its default and meaning: see notifications/README.md.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, int | str] = {
    "NOTIFICATIONS_REMINDER_AFTER_DAYS": 2,
    "NOTIFICATIONS_REMINDER_EVERY_DAYS": 2,
    "NOTIFICATIONS_ESCALATE_AFTER_DAYS": 5,
    "NOTIFICATIONS_CONDITION_DUE_SOON_DAYS": 7,
    "NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS": 7,
    "NOTIFICATIONS_DIGEST_HOUR": 7,
    "NOTIFICATIONS_EMAIL_MAX_ATTEMPTS": 8,
    "NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS": 60,
    "NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS": 3600,
    "NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES": 15,
    "NOTIFICATIONS_BATCH_SIZE": 1000,
    "NOTIFICATIONS_INBOX_PAGE_SIZE": 25,
}


def setting(name: str) -> int:
    value = int(getattr(settings, name, DEFAULTS[name]))
    if value < (0 if name == "NOTIFICATIONS_DIGEST_HOUR" else 1):
        raise ValueError(f"{name} must be a positive number, not {value}")
    return value


def reminder_after_days() -> int:
    return setting("NOTIFICATIONS_REMINDER_AFTER_DAYS")


def reminder_every_days() -> int:
    return setting("NOTIFICATIONS_REMINDER_EVERY_DAYS")


def escalate_after_days() -> int:
    return setting("NOTIFICATIONS_ESCALATE_AFTER_DAYS")


def condition_due_soon_days() -> int:
    return setting("NOTIFICATIONS_CONDITION_DUE_SOON_DAYS")


def condition_overdue_every_days() -> int:
    return setting("NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS")


def digest_hour() -> int:
    return min(setting("NOTIFICATIONS_DIGEST_HOUR"), 23)


def email_max_attempts() -> int:
    return setting("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS")


def email_retry_base_seconds() -> int:
    return setting("NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS")


def email_retry_max_seconds() -> int:
    return setting("NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS")


def email_sending_timeout_minutes() -> int:
    return setting("NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES")


def batch_size() -> int:
    return setting("NOTIFICATIONS_BATCH_SIZE")


def inbox_page_size() -> int:
    return setting("NOTIFICATIONS_INBOX_PAGE_SIZE")


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
