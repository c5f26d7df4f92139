"""The domain-event listener, subscribed in ``IntegrationsConfig.ready``.

``core.events`` calls it after the emitting transaction commits, at least
once per event: the delivery rows are keyed on the outbox row (the event's
occurrence), so hearing an event again writes nothing new.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from core import events
from integrations import services
from integrations.catalogue import EVENT_TYPES
from integrations.tasks import enqueue_send


def occurrence_key(event: str, data: dict[str, Any]) -> tuple[str, Any]:
    occurrence = events.current_occurrence()
    if occurrence is not None:
        return f"event-{occurrence.id}", occurrence.occurred_at
    # Handed over without the outbox: the event's content is its identity.
    digest = hashlib.sha256(
        json.dumps([event, data], sort_keys=True, default=str).encode()
    ).hexdigest()[:32]
    return f"event-{digest}", timezone.now()


def on_event(event: str, data: dict[str, Any]) -> None:
    if event not in EVENT_TYPES:
        return
    key, occurred_at = occurrence_key(event, data)
    if services.deliveries_record(event=event, occurrence=key, occurred_at=occurred_at, data=data):
        enqueue_send()
