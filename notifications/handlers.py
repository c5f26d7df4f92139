"""The domain-event listener, subscribed in ``NotificationsConfig.ready``.

``core.events`` calls it after the emitting transaction commits. It writes
the inbox rows at once (durable, whatever the broker does) and asks a worker
to send the e-mails (``tasks.enqueue_delivery``); if the broker is down, the
periodic ``notifications.deliver_pending_emails`` sends them later.
"""

from __future__ import annotations

from typing import Any

from notifications.rules import EVENT_HANDLERS
from notifications.tasks import enqueue_delivery


def on_event(event: str, data: dict[str, Any]) -> None:
    handler = EVENT_HANDLERS.get(event)
    if handler is None:
        return
    if handler(**data):
        enqueue_delivery()
