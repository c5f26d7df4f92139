"""Every write of the integrations app.

- ``endpoint_create`` / ``endpoint_update`` / ``endpoint_delete`` /
  ``endpoint_test``: administrators' actions, audited
  (``webhook.created``, ``.updated``, ``.deleted``, ``.test_sent``). Their
  callers ask ``tasks.enqueue_send`` for a worker after the commit.
- ``deliveries_record``: the event listener's write: one delivery per
  subscribed endpoint and event occurrence (a UNIQUE key, so an event the
  outbox delivers again sends nothing twice).
- ``deliveries_send_due``: the worker's. Due rows are claimed with
  ``FOR UPDATE SKIP LOCKED`` and leased (the attempt counted, the next
  attempt pushed past the request's timeout) in a short transaction; the
  request is made outside it. A worker that dies mid-request leaves the row
  pending, due again when the lease ends: the rows are the truth, and the one
  case where a receiver can get a delivery twice (the delivery id tells).
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from integrations import conf, formats, payloads, rules
from integrations.catalogue import EVENT_TYPES, PING
from integrations.models import (
    DeliveryStatus,
    EndpointFormat,
    WebhookDelivery,
    WebhookEndpoint,
    new_secret,
)

logger = logging.getLogger(__name__)

NAME_MAX = 100
URL_MAX = 500
SEND_BATCH = 50


def _ensure_admin(by: Any) -> None:
    refusal = rules.manage_refusal(by)
    if refusal is not None:
        raise refusal


def _clean(*, name: Any, url: Any, format: Any, event_types: Any, active: Any) -> dict[str, Any]:
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidInput(_("Give the endpoint a name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(
            _("The name is at most %(max)d characters.") % {"max": NAME_MAX}, field="name"
        )
    url = str(url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(
            _("The URL must start with http:// or https:// (not %(scheme)s).")
            % {"scheme": parts.scheme or _("no scheme")},
            field="url",
        )
    if not parts.hostname or any(ch.isspace() for ch in url) or len(url) > URL_MAX:
        raise InvalidInput(
            _("Enter a full web address, such as https://hooks.example.com/stagegate."),
            field="url",
        )
    if format not in EndpointFormat.values:
        raise InvalidInput(
            _("The format must be one of: %(formats)s.")
            % {"formats": ", ".join(EndpointFormat.values)},
            field="format",
        )
    if not isinstance(event_types, list | tuple) or not all(
        isinstance(name_, str) for name_ in event_types
    ):
        raise InvalidInput(_("Choose the events as a list of names."), field="event_types")
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)},
            field="event_types",
        )
    if not event_types:
        raise InvalidInput(_("Choose at least one event."), field="event_types")
    return {
        "name": name,
        "url": url,
        "format": format,
        # In the catalogue's order, each once.
        "event_types": [name_ for name_ in EVENT_TYPES if name_ in set(event_types)],
        "active": bool(active),
    }


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    # Never the secret: the audit trail is read more widely than this page.
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "format": endpoint.format,
        "event_types": endpoint.event_types,
        "active": endpoint.active,
    }


@transaction.atomic
def endpoint_create(
    *,
    by: Any,
    name: str,
    url: str,
    format: str = EndpointFormat.JSON,
    event_types: Sequence[str],
    active: bool = True,
) -> WebhookEndpoint:
    _ensure_admin(by)
    values = _clean(name=name, url=url, format=format, event_types=event_types, active=active)
    endpoint = WebhookEndpoint.objects.create(created_by=by, secret=new_secret(), **values)
    audit_record(
        actor=by,
        action="webhook.created",
        summary=f"Webhook endpoint “{endpoint.name}” registered",
        obj=endpoint,
        payload=_snapshot(endpoint),
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    by: Any,
    endpoint: WebhookEndpoint,
    name: str,
    url: str,
    format: str,
    event_types: Sequence[str],
    active: bool,
    rotate_secret: bool = False,
) -> WebhookEndpoint:
    _ensure_admin(by)
    values = _clean(name=name, url=url, format=format, event_types=event_types, active=active)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _snapshot(endpoint)
    for key, value in values.items():
        setattr(endpoint, key, value)
    if rotate_secret:
        endpoint.secret = new_secret()
    endpoint.save()
    changes = {k: [before[k], v] for k, v in _snapshot(endpoint).items() if before[k] != v}
    if rotate_secret:
        changes["secret"] = ["rotated", "rotated"]
    audit_record(
        actor=by,
        action="webhook.updated",
        summary=f"Webhook endpoint “{endpoint.name}” changed",
        obj=endpoint,
        payload={"changes": changes},
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, by: Any, endpoint: WebhookEndpoint) -> None:
    _ensure_admin(by)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    audit_record(
        actor=by,
        action="webhook.deleted",
        summary=f"Webhook endpoint “{endpoint.name}” removed",
        obj=endpoint,
        payload=_snapshot(endpoint),
    )
    endpoint.delete()


@transaction.atomic
def endpoint_test(*, by: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``ping`` to this endpoint (active or not: testing one before
    switching it on is the point)."""
    _ensure_admin(by)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    now = timezone.now()
    occurrence = f"ping-{uuid.uuid4()}"
    payload = payloads.build(
        event=PING,
        occurrence=occurrence,
        occurred_at=now,
        data={"endpoint": endpoint.name, "requested_by": by.get_username()},
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=PING,
        occurrence=occurrence,
        payload=payload,
        next_attempt_at=now,
    )
    audit_record(
        actor=by,
        action="webhook.test_sent",
        summary=f"Test message queued for webhook endpoint “{endpoint.name}”",
        obj=endpoint,
        payload={"delivery_id": str(delivery.delivery_id)},
    )
    return delivery


# --- Deliveries -------------------------------------------------------------------


def subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    # Few rows: matched here rather than with a JSON containment query, which
    # SQLite (the embedded default) answers differently.
    return [e for e in WebhookEndpoint.objects.filter(active=True) if event in e.event_types]


def deliveries_record(
    *,
    event: str,
    occurrence: str,
    occurred_at: datetime.datetime,
    data: dict[str, Any],
) -> int:
    """One pending delivery per active endpoint subscribed to ``event``.
    Idempotent: the same occurrence again writes nothing. Returns how many
    endpoints it was offered to."""
    if event not in EVENT_TYPES:
        return 0
    endpoints = subscribed_endpoints(event)
    if not endpoints:
        return 0
    payload = payloads.build(event=event, occurrence=occurrence, occurred_at=occurred_at, data=data)
    if payload is None:
        return 0
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                occurrence=occurrence,
                payload=payload,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    return len(endpoints)


def retry_delay(attempts: int) -> datetime.timedelta:
    """After the n-th failed attempt: base, 2×base, 4×base ... at most the maximum."""
    return datetime.timedelta(
        seconds=min(conf.retry_base_seconds() * 2 ** (attempts - 1), conf.retry_max_seconds())
    )


def _lease() -> datetime.timedelta:
    # Longer than one request can take (``_post``: the timeout to connect and
    # to each read, the answer read until the timeout has passed once more),
    # so a live worker's row is never claimed by another; short enough that a
    # dead worker's comes back soon. Renewed as each row of a batch is sent.
    return datetime.timedelta(seconds=3 * conf.timeout_seconds() + 60)


def _still_ours(row: WebhookDelivery):
    """The claimed row, as long as no other worker has claimed it since (a
    claim counts an attempt)."""
    return WebhookDelivery.objects.filter(
        pk=row.pk, attempts=row.attempts, status=DeliveryStatus.PENDING
    )


def _renew(row: WebhookDelivery) -> bool:
    """Extend the lease of a claimed row just before it is sent: the rows of
    a batch are sent one after the other, and the last would otherwise be
    sent after its lease, by this worker and by another that claimed it.
    False when the row is no longer this worker's (its lease ran out and
    another worker took it): it is not sent."""
    return bool(_still_ours(row).update(next_attempt_at=timezone.now() + _lease()))


@dataclass
class SendReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list)


def _claim(now: datetime.datetime, batch: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            # An inactive endpoint's events wait; its test message goes.
            .filter(Q(endpoint__active=True) | Q(event=PING))
            .order_by("next_attempt_at", "id")[:batch]
        )
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + _lease()
        WebhookDelivery.objects.bulk_update(rows, ["attempts", "next_attempt_at"])
    return rows


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Send one delivery. Returns (HTTP status or None, error or "")."""
    endpoint = delivery.endpoint
    body = formats.body_for(endpoint.format, delivery.payload)
    timestamp = str(int(timezone.now().timestamp()))
    headers = formats.headers_for(
        secret=endpoint.secret,
        event=delivery.event,
        delivery_id=str(delivery.delivery_id),
        timestamp=timestamp,
        body=body,
    )
    timeout = conf.timeout_seconds()
    try:
        # Streamed: a 2xx answer's body is never read, an error's only its
        # first bytes, until the timeout has passed since the answer began
        # (``requests``' timeout bounds each read, not the whole answer: a
        # receiver that sends a byte at a time would hold the worker).
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            excerpt = _first_bytes(response, ERROR_EXCERPT_BYTES, time.monotonic() + timeout)
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:2000]
    text = " ".join(excerpt.decode(response.encoding or "utf-8", errors="replace").split())
    return response.status_code, f"HTTP {response.status_code}: {text}".strip()[:2000]


# The part of an error answer kept on the delivery (``last_error``).
ERROR_EXCERPT_BYTES = 300


def _first_bytes(response: requests.Response, size: int, deadline: float) -> bytes:
    """Up to ``size`` bytes of the answer's body, read until ``deadline``."""
    got = b""
    while len(got) < size and time.monotonic() < deadline:
        # Decoded as ``response.text`` would be (a gzip answer's text).
        chunk = response.raw.read1(size - len(got), decode_content=True)
        if not chunk:
            break
        got += chunk
    return got


def _send(rows: list[WebhookDelivery], report: SendReport) -> None:
    """Send the rows this worker claimed, one after the other, each while it
    is still this worker's (``_renew``)."""
    for row in rows:
        if not _renew(row):
            continue
        status, error = _post(row)
        now = timezone.now()
        update: dict[str, Any] = {"response_status": status, "updated_at": now}
        if not error:
            update |= {
                "status": DeliveryStatus.DELIVERED,
                "delivered_at": now,
                "next_attempt_at": None,
            }
            report.delivered += 1
        elif row.attempts >= conf.max_attempts():
            update |= {
                "status": DeliveryStatus.FAILED,
                "last_error": error,
                "next_attempt_at": None,
            }
            report.failed += 1
        else:
            update |= {"last_error": error, "next_attempt_at": now + retry_delay(row.attempts)}
            report.retrying += 1
        # Conditional on the claim: a worker whose lease ran out and whose
        # row another worker took since writes nothing.
        _still_ours(row).update(**update)
        report.ids.append(row.pk)


def deliveries_send_due(*, batch: int = SEND_BATCH) -> SendReport:
    """Send every due delivery, a batch at a time. A 2xx answer delivers it;
    anything else (an error status, a timeout, a refused connection) is
    retried with exponential backoff until ``WEBHOOKS_MAX_ATTEMPTS``, then the
    delivery is failed. Every attempt leaves its status and error on the row."""
    report = SendReport()
    while True:
        rows = _claim(timezone.now(), batch)
        _send(rows, report)
        if len(rows) < batch:
            return report
