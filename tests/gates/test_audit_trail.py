"""The audit trail: every service writes its event in its own transaction;
the trail is append-only and hash-chained, and ``verify_audit`` names the
first event that no longer matches."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from core.audit import GENESIS_HASH, audit_verify, compute_hash
from core.errors import DomainError
from core.models import AuditEvent
from gates import services
from gates.models import GateCondition
from tests.factories import UseCaseFactory, classify
from tests.gates.helpers import (
    approve_all,
    artifact_type,
    assess_all,
    audit_actions,
    isolate,
    make_open_review,
    named_file,
    upload_required,
)
from usecases import services as usecase_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def trail(lead, sponsor, business_unit) -> list[AuditEvent]:
    """Six events: a review opened and five uploads (on a use case not yet
    classified, so nothing comes before them)."""
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, risk_classified=False)
    make_open_review(use_case, lead)
    for position in (1, 2, 3, 4, 1):
        services.artifact_upload(
            use_case=use_case,
            by=sponsor,
            artifact_type=artifact_type(1, position),
            file=named_file("evidence.txt", f"evidence {position}\n".encode()),
        )
    return list(AuditEvent.objects.order_by("seq"))


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def raw_sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_it_writes_an_event_for_every_service_of_a_journey(lead, sponsor, business_unit, techlead):
    use_case = usecase_services.usecase_create(
        by=lead,
        title="Invoice matching",
        summary="Match invoices to orders.",
        business_unit=business_unit,
        sponsor=sponsor,
    )
    classify(use_case)
    held = make_open_review(use_case, lead)
    services.gate_decide(review=held, by=lead, decision="hold", rationale="Budget freeze.")
    services.usecase_resume(use_case=use_case, by=lead, note="Budget released.")
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    approve_all(review)
    services.gate_decide(
        review=review,
        by=lead,
        decision="conditional_go",
        rationale="Go with a follow-up.",
        conditions=[
            {
                "description": "Name a data owner",
                "owner": techlead,
                "due_date": timezone.localdate(),
            }
        ],
    )
    condition = GateCondition.objects.get(review=review)
    services.condition_close(condition=condition, by=techlead, note="Dana owns the data.")

    assert audit_actions(use_case) == [
        "usecase.created",
        "risk.answered",
        "risk.decided",
        "review.opened",
        "gate.decided",
        "usecase.resumed",
        "review.opened",
        *["artifact.uploaded"] * 4,
        *["criterion.assessed"] * 5,
        "review.submitted",
        *["approval.recorded"] * 2,
        "gate.decided",
        "condition.closed",
    ]
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 22))
    assert [e.actor.username for e in events] == [
        "lead", "sponsor", "risk", "lead", "lead", "lead", "lead",
        *["sponsor"] * 4, *["sponsor"] * 5, "sponsor",
        "lead", "sponsor",
        "lead", "techlead",
    ]  # fmt: skip
    assert events[0].summary == "Created “Invoice matching” in Discovery"
    assert events[5].summary == "Resumed from hold: Budget released."
    assert events[-2].summary == "Gate 1: Conditional Go; moved to POC"
    assert events[-1].summary == "Closed condition: Name a data owner"
    assert verify() == "Audit trail intact: 21 events verified.\n"


def test_it_chains_each_event_to_the_one_before(trail):
    assert trail[0].prev_hash == GENESIS_HASH
    for before, event in zip(trail, trail[1:], strict=False):
        assert event.prev_hash == before.hash
    assert all(event.hash == compute_hash(event) for event in trail)
    assert audit_verify() == (6, None)


def test_it_names_the_event_whose_content_was_altered(trail):
    raw_sql("UPDATE gates_auditevent SET summary='x' WHERE seq=3")

    with pytest.raises(CommandError) as caught:
        verify()

    assert str(caught.value) == (
        f"Audit trail broken at event #3 (id {trail[2].pk}): content does not match its hash. "
        "2 events before it verified."
    )


@pytest.mark.postgres("the tampering is written in raw SQL with jsonb_set and ::jsonb")
def test_it_detects_an_altered_payload(trail):
    raw_sql(
        "UPDATE gates_auditevent SET payload = jsonb_set(payload::jsonb, '{size}', '1') WHERE seq=2"
    )

    checked, broken = audit_verify()

    assert (checked, broken.seq, broken.reason) == (1, 2, "content does not match its hash")


def test_it_detects_an_altered_event_whose_hash_was_recomputed(trail):
    forged = AuditEvent.objects.get(seq=3)
    forged.summary = "Nothing happened here"
    raw_sql(
        "UPDATE gates_auditevent SET summary=%s, hash=%s WHERE seq=3",
        [forged.summary, compute_hash(forged)],
    )

    with pytest.raises(CommandError) as caught:
        verify()

    assert str(caught.value) == (
        f"Audit trail broken at event #4 (id {trail[3].pk}): previous-hash link does not "
        "match the event before it. 3 events before it verified."
    )


def test_it_detects_a_deleted_event(trail):
    raw_sql("DELETE FROM gates_auditevent WHERE seq=3")

    with pytest.raises(CommandError) as caught:
        verify()

    assert str(caught.value) == (
        f"Audit trail broken at event #4 (id {trail[3].pk}): sequence gap: expected 3. "
        "2 events before it verified."
    )


def test_it_detects_a_deleted_first_event(trail):
    raw_sql("DELETE FROM gates_auditevent WHERE seq=1")

    checked, broken = audit_verify()

    assert (checked, broken.seq, broken.reason) == (0, 2, "sequence gap: expected 1")


def test_it_refuses_to_change_a_stored_event(trail):
    event = trail[2]
    original = event.summary
    event.summary = "rewritten"

    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(seq=3).update(summary="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()
    # bulk_update raises inside its own atomic block: keep it from poisoning the test's.
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["summary"])

    assert AuditEvent.objects.get(seq=3).summary == original
    assert AuditEvent.objects.count() == 6
    assert audit_verify() == (6, None)


def test_it_writes_no_event_for_a_refused_action(lead, sponsor, outsider, use_case):
    review = make_open_review(use_case, lead)
    before = list(AuditEvent.objects.values_list("seq", flat=True))
    refused = [
        lambda: services.review_submit(review=review, by=sponsor),
        lambda: services.approval_record(review=review, approver=sponsor, decision="approve"),
        lambda: services.gate_decide(review=review, by=lead, decision="go"),
        lambda: services.gate_decide(review=review, by=lead, decision="kill", rationale=""),
        lambda: services.criterion_assess(
            review=review, criterion=review.criteria.first(), by=outsider, status="met"
        ),
        lambda: services.artifact_upload(
            use_case=use_case,
            by=outsider,
            artifact_type=artifact_type(1),
            file=named_file("a.txt", b"a\n"),
        ),
        lambda: make_open_review(use_case, lead),
        lambda: services.usecase_resume(use_case=use_case, by=lead),
    ]

    for attempt in refused:
        with pytest.raises(DomainError):
            attempt()

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == before
    assert audit_verify() == (len(before), None)
