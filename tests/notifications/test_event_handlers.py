"""Domain events → inbox rows and e-mails, delivered after commit."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.core import mail

from core.events import deliver
from gates import services
from notifications import rules
from notifications.models import EmailStatus, Kind, Notification
from tests.gates.helpers import approve_all, assess_all, upload_required

# The fixtures' use case was classified through the services before the test
# (test_risk_api.py covers those notifications).
RISK_KINDS = [Kind.RISK_CLASSIFICATION_PROPOSED, Kind.RISK_CLASSIFICATION_DECIDED]


def kinds_for(user) -> list[str]:
    # The review's opening reaches the team too (test_team_notifications.py).
    rows = Notification.objects.filter(recipient=user).exclude(
        kind__in=[Kind.REVIEW_OPENED, *RISK_KINDS]
    )
    return list(rows.values_list("kind", flat=True))


def test_it_asks_the_named_approvers_when_a_review_is_submitted(
    use_case, lead, sponsor, techlead, outsider, django_capture_on_commit_callbacks
):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    # The technical lead submits: the sponsor, a named approver, is asked too
    # (test_team_notifications.py: who submits is not asked).
    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(review=review, by=techlead)

    assert kinds_for(lead) == [Kind.APPROVAL_REQUESTED]
    assert kinds_for(sponsor) == [Kind.APPROVAL_REQUESTED]
    assert kinds_for(techlead) == [] and kinds_for(outsider) == []
    row = Notification.objects.get(recipient=sponsor, kind=Kind.APPROVAL_REQUESTED)
    assert row.link == f"/reviews/{review.pk}/"
    assert row.email_status == EmailStatus.SENT
    by_address = {m.to[0]: m for m in mail.outbox if m.subject.startswith("Approval")}
    assert set(by_address) == {"lead@example.com", "sponsor@example.com"}
    message = by_address["sponsor@example.com"]
    assert (
        message.subject == "Approval requested: Gate 1 (to POC) review of “Claims triage assistant”"
    )
    assert "Claims triage assistant" in message.body
    assert "Gate 1 (to POC)" in message.body
    assert f"https://stagegate.example.com/reviews/{review.pk}/" in message.body
    assert "https://stagegate.example.com/inbox/preferences/" in message.body


def test_nothing_is_sent_before_commit(
    use_case, lead, sponsor, techlead, django_capture_on_commit_callbacks
):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.review_submit(review=review, by=techlead)
    assert Notification.objects.count() == 0 and mail.outbox == []
    for callback in callbacks:
        callback()
    assert Notification.objects.filter(kind=Kind.APPROVAL_REQUESTED).count() == 2


def test_it_tells_the_chair_of_each_approval_but_not_of_their_own(
    gate1_review, lead, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(review=gate1_review, approver=sponsor, decision="approve")
    row = Notification.objects.get(kind=Kind.APPROVAL_RECORDED)
    assert row.recipient == lead
    assert "Sam Sponsor" in row.subject and "1 approval still pending" in row.body
    assert [m.to for m in mail.outbox] == [["lead@example.com"]]

    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(review=gate1_review, approver=lead, decision="approve")
    assert Notification.objects.filter(kind=Kind.APPROVAL_RECORDED).count() == 1


def test_the_count_still_pending_is_as_of_the_approval_not_of_delivery(
    gate1_review, lead, sponsor, django_capture_on_commit_callbacks
):
    # Both approvals commit before any handler runs (one import, one batch):
    # the chair still reads what was pending when the sponsor approved.
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(review=gate1_review, approver=sponsor, decision="approve")
        services.approval_record(review=gate1_review, approver=lead, decision="approve")
    row = Notification.objects.get(kind=Kind.APPROVAL_RECORDED)
    assert "1 approval still pending" in row.body
    assert "Every named approver has now decided" not in row.body


def test_a_changed_decision_is_news_again(
    gate1_review, clock, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(review=gate1_review, approver=sponsor, decision="approve")
    clock(0.1)
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_record(
            review=gate1_review, approver=sponsor, decision="reject", comment="Numbers are off."
        )
    rows = Notification.objects.filter(kind=Kind.APPROVAL_RECORDED).order_by("id")
    assert [("Rejected" in r.subject) for r in rows] == [False, True]
    assert "Numbers are off." in rows[1].body


def test_a_decision_reaches_the_team_and_approvers_and_conditions_their_owner(
    clock,
    use_case,
    lead,
    sponsor,
    techlead,
    contributor,
    buhead,
    outsider,
    django_capture_on_commit_callbacks,
):
    clock(0)
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_open(use_case=use_case, by=lead)
        upload_required(review, sponsor)
        assess_all(review, sponsor)
        services.review_submit(review=review, by=sponsor)
        approve_all(review)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.gate_decide(
            review=review,
            by=lead,
            decision="conditional_go",
            rationale="Good enough with one fix.",
            conditions=[
                {
                    "description": "Anonymise the training data",
                    "owner": techlead,
                    "due_date": datetime.date(2025, 3, 20),
                }
            ],
        )
    decided = Notification.objects.filter(kind=Kind.GATE_DECIDED)
    assert set(decided.values_list("recipient__username", flat=True)) == {
        "sponsor",
        "techlead",
        "contrib",
    }
    assert "Conditional Go" in decided.first().subject
    assert "moves to POC" in decided.first().body
    condition = Notification.objects.get(kind=Kind.CONDITION_ASSIGNED)
    assert condition.recipient == techlead
    assert "Anonymise the training data" in condition.body and "20 Mar 2025" in condition.body
    assert not Notification.objects.filter(
        kind__in=[Kind.GATE_DECIDED, Kind.CONDITION_ASSIGNED],
        recipient__in=[lead, buhead, outsider],
    ).exists()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "contrib@example.com",
        "sponsor@example.com",
        "techlead@example.com",
        "techlead@example.com",
    ]


def test_a_replayed_event_creates_nothing_twice(gate1_review):
    deliver("review.submitted", {"review_id": gate1_review.pk})
    deliver("review.submitted", {"review_id": gate1_review.pk})
    # The lead, once; the sponsor submitted it and is not asked.
    assert Notification.objects.filter(kind=Kind.APPROVAL_REQUESTED).count() == 1
    assert mail.outbox == []


def test_pack_events_reach_whoever_asked(
    gate1_review, sponsor, monkeypatch, django_capture_on_commit_callbacks
):
    pack = SimpleNamespace(pk=41, requested_by_id=sponsor.pk, review=gate1_review, status="ready")
    monkeypatch.setattr(rules, "load_pack", lambda pack_id: pack if pack_id == 41 else None)
    with django_capture_on_commit_callbacks(execute=True):
        deliver("pack.ready", {"pack_id": 41, "requested_by_id": sponsor.pk})
        deliver("pack.failed", {"pack_id": 41, "requested_by_id": sponsor.pk})
        deliver("pack.ready", {"pack_id": 99, "requested_by_id": sponsor.pk})
    rows = Notification.objects.filter(object_type="pack").order_by("kind")
    assert [(r.kind, r.recipient_id, r.object_id) for r in rows] == [
        (Kind.PACK_FAILED, sponsor.pk, 41),
        (Kind.PACK_READY, sponsor.pk, 41),
    ]
    assert rows[1].link == gate1_review.get_absolute_url()
    assert "Claims triage assistant" in rows[1].subject
    assert {m.subject for m in mail.outbox} == {r.subject for r in rows}


def test_a_pack_event_without_the_reporting_model_is_ignored(gate1_review, sponsor):
    # reporting.GatePack may not exist yet, or the pack was deleted.
    deliver("pack.ready", {"pack_id": 12345, "requested_by_id": sponsor.pk})
    assert not Notification.objects.filter(object_type="pack").exists()


def test_an_unknown_or_malformed_event_never_breaks_the_caller(gate1_review):
    deliver("something.else", {"x": 1})
    deliver("review.submitted", {"review_id": 987654})
    deliver("gate.decided", {"review_id": gate1_review.pk, "condition_ids": []})  # undecided
    assert not Notification.objects.exclude(
        kind__in=[Kind.APPROVAL_REQUESTED, Kind.REVIEW_OPENED, *RISK_KINDS]
    ).exists()
