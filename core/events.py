"""Domain events, delivered after commit.

Services call ``emit_on_commit`` inside their transaction; listeners (the
notifications app, for one) subscribe at start-up in their ``AppConfig.ready``.
A listener runs only once the change is committed, and a failing listener is
logged and never undoes or breaks the action that emitted the event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# The events, by name: producers emit and consumers match these constants, so
# a renamed event breaks an import instead of silently reaching nobody.
REVIEW_OPENED = "review.opened"  # review_id
REVIEW_SUBMITTED = "review.submitted"  # review_id
APPROVAL_RECORDED = "approval.recorded"  # review_id, approver_id, pending
GATE_DECIDED = "gate.decided"  # review_id, condition_ids
PACK_READY = "pack.ready"  # pack_id, requested_by_id
PACK_FAILED = "pack.failed"  # pack_id, requested_by_id, reason

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def deliver(event: str, data: dict[str, Any]) -> None:
    for listener in list(_listeners):
        try:
            listener(event, data)
        except Exception:
            logger.exception("Listener %r failed for event %s", listener, event)


def emit_on_commit(event: str, **data: Any) -> None:
    transaction.on_commit(lambda: deliver(event, data))
