"""The audit chain is keyed with a secret kept out of the database and its
head is checkpointed outside it: an auditor holding one gate pack proves the
trail up to that pack was neither cut nor rewritten."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.audit import (
    Checkpoint,
    audit_checkpoint,
    audit_head,
    audit_verify,
    compute_hash,
    current_key_id,
    key_fingerprint,
    read_checkpoints,
)
from core.models import AuditEvent
from tests.gates.helpers import make_open_review, pass_gate


def raw_sql(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trail(lead, sponsor, use_case, django_capture_on_commit_callbacks):
    """A use case through Gate 1: the decision checkpoints the head."""
    with django_capture_on_commit_callbacks(execute=True):
        pass_gate(use_case, lead, sponsor)
    return list(AuditEvent.objects.order_by("seq"))


def test_every_event_is_keyed_with_the_secret_outside_the_database(trail, settings):
    assert {event.key_id for event in trail} == {key_fingerprint(settings.AUDIT_KEY)}
    plain = hashlib.sha256(b"anything").hexdigest()
    assert all(event.hash != plain and event.hash == compute_hash(event) for event in trail)
    assert settings.AUDIT_KEY not in json.dumps([e.payload for e in trail])


def test_a_gate_decision_checkpoints_the_head_outside_the_database(trail, audit_checkpoint_file):
    checkpoints = read_checkpoints(audit_checkpoint_file)
    decided = [c for c in checkpoints if c.reason.startswith("Gate 1 decided")]
    assert decided, checkpoints
    event = AuditEvent.objects.get(seq=decided[-1].seq)
    assert event.action == "gate.decided" and event.hash == decided[-1].hash


def test_an_edit_recomputed_without_the_key_is_named(trail, settings):
    """A database writer recomputes the whole chain from the edited event on,
    with a key of their own: the first hash no longer matches."""
    settings.AUDIT_KEY = "a-key-the-writer-made-up"
    forged = trail[2]
    forged.summary = "Nothing happened here"
    prev = trail[1].hash
    for event in trail[2:]:
        event.prev_hash = prev
        event.key_id = current_key_id()
        event.hash = compute_hash(event)
        raw_sql(
            "UPDATE gates_auditevent SET summary=%s, prev_hash=%s, key_id=%s, hash=%s WHERE id=%s",
            [event.summary, event.prev_hash, event.key_id, event.hash, event.pk],
        )
        prev = event.hash
    settings.AUDIT_KEY = "insecure-development-audit-key-only-for-the-embedded-default"

    checked, broken = audit_verify()

    assert (checked, broken.seq) == (2, 3)
    assert "unknown key" in broken.reason
    with pytest.raises(CommandError, match="Audit trail broken at event #3"):
        verify()


def test_a_chain_rewritten_as_unkeyed_is_caught_by_its_checkpoints(trail, audit_checkpoint_file):
    """Rewriting every event as a pre-key (unkeyed) event makes a chain that
    holds together; the checkpoints kept outside the database do not agree."""
    prev = "0" * 64
    for event in trail:
        event.summary = event.summary.replace("Go", "Kill")
        event.prev_hash = prev
        event.key_id = ""
        event.hash = compute_hash(event)
        raw_sql(
            "UPDATE gates_auditevent SET summary=%s, prev_hash=%s, key_id='', hash=%s WHERE id=%s",
            [event.summary, event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash

    assert audit_verify()[1] is None  # the chain alone cannot tell
    with pytest.raises(CommandError) as caught:
        verify()
    assert "rewritten: event #" in str(caught.value)


def test_a_cut_tail_is_named(trail, audit_checkpoint_file):
    last = trail[-1].seq
    raw_sql("DELETE FROM gates_auditevent WHERE seq > %s", [last - 3])

    assert audit_verify() == (last - 3, None)  # what is left still chains
    with pytest.raises(CommandError) as caught:
        verify()
    message = str(caught.value)
    assert f"truncated: event #{last}" in message
    assert f"the trail now ends at #{last - 3}" in message


def test_a_head_printed_in_a_pack_anchors_the_trail(trail, tmp_path):
    head = audit_head()
    empty = tmp_path / "none.jsonl"

    assert "1 checkpoint matched" in verify("--head", head.head, "--checkpoints", str(empty))

    raw_sql("DELETE FROM gates_auditevent WHERE seq = %s", [head.seq])
    with pytest.raises(CommandError, match=f"truncated: event #{head.seq}"):
        verify("--head", head.head, "--checkpoints", str(empty))
    with pytest.raises(CommandError, match="--head: expected SEQ:HASH"):
        verify("--head", "12:abc")


def test_the_key_rotates_and_old_events_still_verify(trail, settings, lead, use_case):
    old_key = settings.AUDIT_KEY
    settings.AUDIT_KEY = "the-new-audit-key"
    settings.AUDIT_PREVIOUS_KEYS = [old_key]
    make_open_review(use_case, lead)  # written with the new key
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest.key_id == key_fingerprint("the-new-audit-key") != trail[0].key_id

    assert audit_verify() == (len(trail) + 1, None)

    settings.AUDIT_PREVIOUS_KEYS = []
    checked, broken = audit_verify()
    assert (checked, broken.seq) == (0, 1)
    assert "add it to AUDIT_PREVIOUS_KEYS" in broken.reason


def test_an_unkeyed_event_after_keyed_ones_is_named(trail):
    event = trail[-1]
    event.key_id = ""
    event.hash = compute_hash(event)
    raw_sql("UPDATE gates_auditevent SET key_id='', hash=%s WHERE id=%s", [event.hash, event.pk])

    checked, broken = audit_verify()

    assert broken.seq == event.seq
    assert broken.reason == "unkeyed event after keyed ones: written without the key"


def test_a_checkpoint_goes_to_the_file_and_the_log(trail, audit_checkpoint_file, caplog):
    with caplog.at_level("INFO", logger="core.audit"):
        checkpoint = audit_checkpoint(reason="scheduled")
    assert checkpoint == Checkpoint(
        seq=trail[-1].seq, hash=trail[-1].hash, at=checkpoint.at, reason="scheduled"
    )
    assert read_checkpoints(audit_checkpoint_file)[-1].head == checkpoint.head
    assert f"audit checkpoint {checkpoint.head} (scheduled)" in caplog.text


def test_the_beat_schedules_the_checkpoint_and_the_outbox(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"core.audit_checkpoint", "core.deliver_outbox"} <= tasks
