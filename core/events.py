"""Domain events, through a transactional outbox.

Services call ``emit_on_commit`` inside their transaction: it writes the
event to the outbox (``OutboxEvent``) in that same transaction, so the event
exists exactly when the change does. After the commit a worker delivers it
(``deliver_outbox``: at once through Celery, eagerly in the embedded default,
and every minute from beat for anything a crashed process left behind).
Listeners (the notifications app, for one) subscribe at start-up in their
``AppConfig.ready``; delivery is at least once, so they are idempotent (the
notifications' delivery keys). A failing listener never undoes the action:
its event is retried with a backoff and the error kept on the row.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation

from core.models import OutboxEvent

logger = logging.getLogger(__name__)

# The events, by name: producers emit and consumers match these constants, so
# a renamed event breaks an import instead of silently reaching nobody.
REVIEW_OPENED = "review.opened"  # review_id, opened_by_id
REVIEW_SUBMITTED = "review.submitted"  # review_id
REVIEW_RETURNED = "review.returned"  # review_id, returned_by_id, round
RISK_CLASSIFICATION_PROPOSED = "risk.proposed"  # classification_id
RISK_CLASSIFICATION_DECIDED = "risk.decided"  # classification_id
APPROVAL_RECORDED = "approval.recorded"  # review_id, approver_id, pending
# A seat of a submitted review given to someone new (the chair's reassignment).
APPROVAL_REQUESTED = "approval.requested"  # review_id, approver_id, user_id, requested_at
GATE_DECIDED = "gate.decided"  # review_id, condition_ids
PACK_READY = "pack.ready"  # pack_id, requested_by_id
PACK_FAILED = "pack.failed"  # pack_id, requested_by_id, reason
# A use case in operation: a monitored KPI broke its drift bound, or someone
# recorded an incident; ``review_id`` is the recertification it opened or
# joined (None when none could open), ``opened`` whether it opened it.
DRIFT_BREACH_RECORDED = "operation.drift_breach"  # breach_id, use_case_id, review_id, opened, by_id
INCIDENT_RECORDED = (
    "operation.incident_recorded"  # incident_id, use_case_id, review_id, opened, by_id
)
# Deadlines the notifications sweep finds, each emitted once per occurrence
# (when the sweep creates its first notification): a condition due soon, a
# condition overdue (again each overdue period), a recertification due within
# the notice days, a recertification overdue.
CONDITION_DUE = "condition.due"  # condition_id, period ("due-soon")
CONDITION_OVERDUE = "condition.overdue"  # condition_id, period ("overdue-<n>")
RECERTIFICATION_DUE = "recertification.due"  # use_case_id, due_on (ISO date)
RECERTIFICATION_OVERDUE = "recertification.overdue"  # use_case_id, due_on

OUTBOX_BATCH = 200
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []

# Who hands delivery to a worker after a commit (core.tasks registers the
# Celery task at start-up); without one, delivery runs in-process.
_kick: list[Callable[[], None]] = []


def subscribe(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The outbox row being delivered: one occurrence of an event, the same
    on every redelivery, so a listener can key what it writes on it."""

    id: int
    occurred_at: datetime.datetime


_current: contextvars.ContextVar[Occurrence | None] = contextvars.ContextVar(
    "core_events_current", default=None
)


def current_occurrence() -> Occurrence | None:
    """The occurrence a listener is hearing of, or None outside the outbox
    (an event handed to ``deliver`` directly)."""
    return _current.get()


def deliver(event: str, data: dict[str, Any], *, occurrence: Occurrence | None = None) -> None:
    """Hand one event to every listener now; a listener's error propagates,
    so the outbox keeps the event for a retry."""
    token = _current.set(occurrence)
    try:
        for listener in list(_listeners):
            listener(event, data)
    finally:
        _current.reset(token)


def set_delivery_kick(kick: Callable[[], None]) -> None:
    _kick[:] = [kick]


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # A translatable label (a choice's) goes out in English: each listener
    # writes to its readers in their own language.
    with translation.override(settings.LANGUAGE_CODE):
        return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# While the outbox delivers a batch: the after-commit work its listeners ask
# for (a worker's kick), each to run once when the batch commits.
_batch_followups: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "core_events_batch_followups", default=None
)


def on_commit_once(work: Callable[[], None]) -> None:
    """``transaction.on_commit(work)``; while the outbox delivers a batch (up
    to OUTBOX_BATCH events in one transaction), once for the whole batch
    however many of its events ask. A worker's kick (the outbox's, the
    e-mails', the webhooks') is asked for by each event that has something
    for it, and one kick serves them all: the worker reads everything due.
    ``work`` is one module-level function, so the same ask is the same object."""
    followups = _batch_followups.get()
    if followups is None:
        transaction.on_commit(work)
    elif work not in followups:
        followups.append(work)


def emit_on_commit(event: str, **data: Any) -> None:
    """Write ``event`` to the outbox in the caller's transaction; ask for its
    delivery once that transaction commits."""
    OutboxEvent.objects.create(name=event, data=_json_safe(data))
    on_commit_once(kick_delivery)


def kick_delivery() -> None:
    """Hand delivery to a worker now. Never raises: with the broker down, the
    periodic delivery picks the events up."""
    try:
        if _kick:
            _kick[0]()
        else:
            outbox_deliver()
    except Exception:
        logger.warning("events: could not start delivery; the periodic run will", exc_info=True)


def _retry_delay(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(
        seconds=min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
    )


def outbox_deliver(batch: int = OUTBOX_BATCH) -> int:
    """Deliver the due events of the outbox, oldest first, each to every
    listener. Rows are claimed with ``SKIP LOCKED``, so two workers never
    deliver the same event at once. Returns how many were delivered."""
    delivered = 0
    while True:
        delivered_now, claimed = _deliver_batch(batch)
        delivered += delivered_now
        if claimed < batch:
            return delivered


def outbox_drain(*, timeout: float, poll: float = 0.2) -> bool:
    """Deliver until no due event waits, including those another process
    (a worker) has claimed: its batch is waited for until it commits. True
    once none waits; False if ``timeout`` seconds pass first. An event whose
    listener failed waits for its retry and is not due, so it does not hold
    this up."""
    deadline = time.monotonic() + timeout
    while True:
        outbox_deliver()
        due = OutboxEvent.objects.filter(
            delivered_at__isnull=True, next_attempt_at__lte=timezone.now()
        )
        if not due.exists():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def outbox_failed() -> int:
    """How many events wait for a retry after a listener failed on them."""
    return OutboxEvent.objects.filter(delivered_at__isnull=True, attempts__gt=0).count()


def _deliver_batch(batch: int) -> tuple[int, int]:
    """One transaction: claim up to ``batch`` due events and deliver each.
    The work their listeners ask for (``on_commit_once``) is registered once
    for the commit; an event whose savepoint is undone after asking leaves a
    kick that finds nothing to do, which is harmless. Returns how many events
    were delivered and how many claimed."""
    followups: list[Callable[[], None]] = []
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, next_attempt_at__lte=timezone.now())
            .order_by("id")[:batch]
        )
        token = _batch_followups.set(followups)
        try:
            delivered = _deliver_rows(rows)
        finally:
            # Before the commit: what runs after it asks for itself.
            _batch_followups.reset(token)
        for work in followups:
            transaction.on_commit(work)
    return delivered, len(rows)


def _deliver_rows(rows: list[OutboxEvent]) -> int:
    delivered = 0
    for row in rows:
        try:
            # A savepoint per event: a listener's database error undoes
            # its own writes only.
            with transaction.atomic():
                deliver(
                    row.name,
                    row.data,
                    occurrence=Occurrence(row.pk, row.created_at),
                )
        except Exception as error:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.next_attempt_at = timezone.now() + _retry_delay(row.attempts)
            logger.exception("events: delivering %s #%s failed", row.name, row.pk)
        else:
            row.attempts += 1
            row.delivered_at = timezone.now()
            row.last_error = ""
            delivered += 1
        row.save(update_fields=["attempts", "delivered_at", "last_error", "next_attempt_at"])
    return delivered
