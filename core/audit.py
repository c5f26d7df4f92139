"""The append-only, hash-chained audit trail, anchored outside the database.

Every service writes its event with ``audit_record`` inside its own
transaction, so a change and its audit row commit or roll back together.
Each event stores the hash of the one before it, and the hash is an HMAC
keyed with ``AUDIT_KEY``, a secret kept out of the database: someone who can
write to the database but does not hold the key cannot recompute the chain
after editing an event. Each event names its key by a fingerprint
(``key_id``), so the key can be rotated (``AUDIT_PREVIOUS_KEYS`` keeps old
keys for verification). Events written before the chain was keyed carry no
key id and a plain SHA-256; they may only form the chain's beginning.

The chain's head (sequence and hash) is checkpointed outside the database:
after every gate decision, on a beat schedule, and in every gate pack. A
checkpoint goes to the log and is appended to ``AUDIT_CHECKPOINT_FILE``.
Checking the chain against checkpoints catches a cut tail, which a chain
alone cannot show. ``verify_audit`` walks the
chain and names the first event whose stored hash no longer matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from core.locks import advisory_xact_lock
from core.models import AuditEvent

logger = logging.getLogger(__name__)

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
    if event.key_id:
        # Keyed events bind their key's name too; unkeyed ones hash as they
        # always did.
        body["key_id"] = event.key_id
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def key_fingerprint(key: str) -> str:
    """A short public name of a key: says which key hashed an event without
    revealing it."""
    return hmac.new(key.encode(), b"stagegate-audit-key-id", hashlib.sha256).hexdigest()[:12]


def _keys() -> dict[str, str]:
    """Every key that may have hashed an event, by fingerprint: the current
    one and those kept for verification after a rotation."""
    keys = [settings.AUDIT_KEY, *settings.AUDIT_PREVIOUS_KEYS]
    return {key_fingerprint(key): key for key in keys if key}


def current_key_id() -> str:
    return key_fingerprint(settings.AUDIT_KEY)


class UnknownAuditKey(Exception):
    pass


def compute_hash(event: AuditEvent) -> str:
    """The event's hash: an HMAC with the key it names, or a plain SHA-256 for
    an event written before the chain was keyed."""
    if not event.key_id:
        return hashlib.sha256(_canonical(event)).hexdigest()
    key = _keys().get(event.key_id)
    if key is None:
        raise UnknownAuditKey(event.key_id)
    return hmac.new(key.encode(), _canonical(event), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    # Appends serialize on one transaction-scoped lock so two writers never
    # read the same head and fork the chain.
    advisory_xact_lock(_ADVISORY_LOCK_KEY)


def _plain(payload: dict | None) -> dict:
    """The payload as JSON values; a translatable label (a choice's) is kept
    in English, whatever language the request is answered in."""
    with translation.override(settings.LANGUAGE_CODE):
        return json.loads(json.dumps(payload or {}, default=str))


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
        payload=_plain(payload),
        prev_hash=head["hash"] if head else GENESIS_HASH,
        key_id=current_key_id(),
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
    keyed = False
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return checked, ChainBreak(
                event.seq, event.pk, f"sequence gap: expected {expected_seq}"
            )
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(
                event.seq, event.pk, "previous-hash link does not match the event before it"
            )
        if event.key_id:
            keyed = True
        elif keyed:
            return checked, ChainBreak(
                event.seq, event.pk, "unkeyed event after keyed ones: written without the key"
            )
        try:
            content_matches = compute_hash(event) == event.hash
        except UnknownAuditKey:
            return checked, ChainBreak(
                event.seq,
                event.pk,
                f"hashed with an unknown key ({event.key_id}); add it to AUDIT_PREVIOUS_KEYS",
            )
        if not content_matches:
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


# --- Checkpoints: the head, kept outside the database ------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str = ""
    reason: str = ""

    @property
    def head(self) -> str:
        """``SEQ:HASH``, as a pack prints it and ``verify_audit --head`` takes it."""
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, head: str) -> Checkpoint:
        seq, _, digest = head.strip().partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ValueError(f"expected SEQ:HASH (a number, a colon, 64 hex digits), got {head!r}")
        return cls(seq=int(seq), hash=digest.lower())


def audit_head() -> Checkpoint | None:
    """The chain's newest event, as a checkpoint (None while the trail is empty)."""
    head = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    return Checkpoint(seq=head["seq"], hash=head["hash"]) if head else None


def audit_checkpoint(*, reason: str) -> Checkpoint | None:
    """Write the head outside the database: to the log and, appended, to
    ``AUDIT_CHECKPOINT_FILE``. Called after commit (a gate decision), by the
    beat schedule and when a pack is rendered."""
    head = audit_head()
    if head is None:
        return None
    checkpoint = Checkpoint(
        seq=head.seq, hash=head.hash, at=timezone.now().isoformat(), reason=reason
    )
    logger.info("audit checkpoint %s (%s)", checkpoint.head, reason)
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"seq": checkpoint.seq, "hash": checkpoint.hash, "at": checkpoint.at, "reason": reason}
        )
        # One short line per write in append mode: concurrent writers do not
        # interleave within a line.
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        # The log line above still holds it; a full disk must not fail the decision.
        logger.exception("audit checkpoint %s could not be appended to %s", checkpoint.head, path)
    return checkpoint


def read_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    """The checkpoints of the file, in the order written; lines that are not
    checkpoints are skipped."""
    path = Path(path or settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return []
    checkpoints = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
            checkpoints.append(
                Checkpoint(
                    seq=int(row["seq"]),
                    hash=str(row["hash"]),
                    at=str(row.get("at", "")),
                    reason=str(row.get("reason", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return checkpoints


def check_against(checkpoints: list[Checkpoint]) -> list[str]:
    """What the database contradicts: a checkpointed event that is gone (a cut
    tail) or whose hash differs (a rewritten chain). Empty when every
    checkpoint is found as recorded."""
    if not checkpoints:
        return []
    wanted = {c.seq for c in checkpoints}
    stored = dict(AuditEvent.objects.filter(seq__in=wanted).values_list("seq", "hash"))
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    problems = []
    for checkpoint in checkpoints:
        found = stored.get(checkpoint.seq)
        when = f" (checkpoint of {checkpoint.at})" if checkpoint.at else ""
        if found is None:
            problems.append(
                f"truncated: event #{checkpoint.seq}{when} is missing; the trail now ends at "
                f"#{newest}, so events #{newest + 1} to #{checkpoint.seq} or more were cut"
            )
        elif found != checkpoint.hash:
            problems.append(
                f"rewritten: event #{checkpoint.seq}{when} has hash {found[:16]}…, "
                f"the checkpoint says {checkpoint.hash[:16]}…"
            )
    return problems
