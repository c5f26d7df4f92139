"""The domain-event listener, subscribed in ``NotificationsConfig.ready``.

``core.events`` calls it after the emitting transaction commits. It writes
the inbox rows at once (durable, whatever the broker does) and asks a worker
to send the e-mails; if the broker is down, the periodic
``notifications.deliver_pending_emails`` sends them later.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_delivery() -> None:
    from notifications.tasks import deliver_pending_emails

    def send() -> None:
        try:
            deliver_pending_emails.delay()
        except Exception:  # a broker outage never breaks the action
            logger.warning(
                "notifications: could not enqueue e-mail delivery; the periodic task will "
                "send them",
                exc_info=True,
            )

    transaction.on_commit(send)


def on_event(event: str, data: dict[str, Any]) -> None:
    from notifications.rules import EVENT_HANDLERS

    handler = EVENT_HANDLERS.get(event)
    if handler is None:
        return
    if handler(**data):
        enqueue_delivery()
