"""Celery tasks: thin, idempotent wrappers over the services.

Each takes nothing (or ids), acknowledges late, and retries database errors
with a backoff whose maximum (10 minutes) stays well below the broker's
visibility timeout (1 hour), so a waiting retry is never redelivered. The
unique delivery keys and the claimed e-mail rows make a rerun, a duplicated
beat or a redelivered task harmless. The beat schedule is
``CELERY_BEAT_SCHEDULE`` in config/settings.py.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from core import events
from notifications import services, sweeps

logger = logging.getLogger(__name__)

__all__ = ["deliver_pending_emails", "enqueue_delivery", "send_daily_digests", "sweep"]

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
    counts = sweeps.sweep()
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


def enqueue_delivery() -> None:
    """Ask a worker to send the pending e-mails once the current transaction
    commits: once for an outbox batch, however many of its events notified
    (``core.events.on_commit_once``). A broker outage never breaks the
    action: the periodic ``deliver_pending_emails`` sends them later."""
    events.on_commit_once(_send_pending_emails)


def _send_pending_emails() -> None:
    try:
        deliver_pending_emails.delay()
    except Exception:
        logger.warning(
            "notifications: could not enqueue e-mail delivery; the periodic task will send them",
            exc_info=True,
        )
