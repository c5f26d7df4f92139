"""Celery tasks: a thin wrapper over ``services.deliveries_send_due``.

The rows are the truth: the task sends whatever is due, so it is enqueued
after each commit that wrote deliveries (at once) and run from beat every
``WEBHOOKS_DELIVER_SECONDS`` (retries whose backoff has run out, rows a dead
worker left leased, anything enqueued while the broker was down). Two runs at
once never send the same row (the claim); a duplicated beat costs a query.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from core import events
from integrations import services

logger = logging.getLogger(__name__)


@shared_task(
    name="integrations.send_due_webhooks",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def send_due_webhooks() -> dict[str, int]:
    report = services.deliveries_send_due()
    return {"delivered": report.delivered, "retrying": report.retrying, "failed": report.failed}


def enqueue_send() -> None:
    """Ask a worker to send once the current transaction commits: once for
    an outbox batch, however many of its events have a webhook
    (``core.events.on_commit_once``). A broker outage never breaks the
    action: the periodic run sends later."""
    events.on_commit_once(_send_due)


def _send_due() -> None:
    try:
        send_due_webhooks.delay()
    except Exception:
        logger.warning(
            "integrations: could not enqueue webhook delivery; the periodic task will",
            exc_info=True,
        )
