"""Celery tasks: thin, idempotent wrappers over the services.

Each takes nothing (or ids), acknowledges late, and retries database errors
with a backoff whose maximum (10 minutes) stays well below the broker's
visibility timeout (1 hour), so a waiting retry is never redelivered. The
unique delivery keys and the claimed e-mail rows make a rerun, a duplicated
beat or a redelivered task harmless.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from notifications import services
from notifications.schedule import BEAT_SCHEDULE

logger = logging.getLogger(__name__)

__all__ = ["BEAT_SCHEDULE", "deliver_pending_emails", "send_daily_digests", "sweep"]

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="notifications.sweep", **RETRY)
def sweep() -> dict[str, int]:
    from notifications.handlers import enqueue_delivery
    from notifications.rules import sweep as run_sweep

    counts = run_sweep()
    logger.info("notifications: sweep offered %s", counts)
    if any(counts.values()):
        enqueue_delivery()
    return counts


@shared_task(name="notifications.deliver_pending_emails", **RETRY)
def deliver_pending_emails() -> dict[str, int]:
    report = services.emails_deliver_pending()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@shared_task(name="notifications.send_daily_digests", **RETRY)
def send_daily_digests() -> dict[str, int]:
    report = services.digests_send()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
