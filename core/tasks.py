"""Celery tasks of core: thin wrappers over the audit checkpoint and the
event outbox."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from core import events
from core.audit import audit_checkpoint


@shared_task(name="core.audit_checkpoint", ignore_result=True)
def checkpoint_audit_head() -> str | None:
    """The beat's checkpoint of the audit chain's head (see core.audit)."""
    checkpoint = audit_checkpoint(reason="scheduled")
    return checkpoint.head if checkpoint else None


@shared_task(
    name="core.deliver_outbox",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_outbox() -> int:
    """Deliver the outbox's due events: after each commit that wrote one, and
    from beat every minute for what a crashed process left behind."""
    return events.outbox_deliver()
