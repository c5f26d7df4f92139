"""Celery tasks: thin, idempotent wrappers over the services. The beat
schedule is ``CELERY_BEAT_SCHEDULE`` in config/settings.py."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from operations import services

logger = logging.getLogger(__name__)

__all__ = ["recertification_schedule"]

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="operations.recertification_schedule", **RETRY)
def recertification_schedule() -> int:
    """Daily: open the recertifications coming due. A rerun opens nothing
    (a use case with an open review is skipped)."""
    opened = services.recertification_schedule()
    logger.info("operations: %s recertification(s) opened on schedule", opened)
    return opened
