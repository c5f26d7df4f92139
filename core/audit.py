"""The append-only, hash-chained audit trail.

Every service writes its event with ``audit_record`` inside its own
transaction, so a change and its audit row commit or roll back together.
Each event stores the hash of the one before it; ``verify_audit`` walks the
chain and names the first event whose stored hash no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer.
_ADVISORY_LOCK_KEY = 7_201_226


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "use_case_id": event.use_case_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _lock_chain() -> None:
    # Appends serialize on one transaction-scoped lock so two writers never
    # read the same head and fork the chain. SQLite serializes writers itself.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def audit_record(
    *,
    actor: Any,
    action: str,
    summary: str,
    use_case: Any = None,
    obj: Any = None,
    payload: dict | None = None,
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    _lock_chain()
    head = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    event = AuditEvent(
        seq=(head["seq"] + 1) if head else 1,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        use_case=use_case,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        payload=json.loads(json.dumps(payload or {}, default=str)),
        prev_hash=head["hash"] if head else GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int
    reason: str


def audit_verify(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the whole chain in order; return (events checked, first break)."""
    checked = 0
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return checked, ChainBreak(
                event.seq, event.pk, f"sequence gap: expected {expected_seq}"
            )
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(
                event.seq, event.pk, "previous-hash link does not match the event before it"
            )
        if compute_hash(event) != event.hash:
            return checked, ChainBreak(event.seq, event.pk, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    return checked, None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq
