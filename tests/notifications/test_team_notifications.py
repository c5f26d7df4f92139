"""Notifications that matter: the use case's team hears when a review opens
and when it is decided, and nobody hears of their own action."""

from __future__ import annotations

from django.core import mail

from gates import services
from notifications.models import Kind, Notification
from tests.gates.helpers import approve_all, assess_all, upload_required


def kinds_for(user, *, since_opening: bool = False) -> list[str]:
    # Leaves out the risk classification the fixtures' use case went through
    # before the test (test_risk_api.py covers those notifications).
    rows = Notification.objects.filter(recipient=user).exclude(
        kind__in=[Kind.RISK_CLASSIFICATION_PROPOSED, Kind.RISK_CLASSIFICATION_DECIDED]
    )
    if since_opening:
        rows = rows.exclude(kind=Kind.REVIEW_OPENED)
    return list(rows.values_list("kind", flat=True))


def test_the_team_hears_that_a_review_opened_but_not_the_lead_who_opened_it(
    use_case, lead, sponsor, techlead, contributor, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_open(use_case=use_case, by=lead)

    for member in (sponsor, techlead, contributor):
        assert kinds_for(member) == [Kind.REVIEW_OPENED], member.username
    assert kinds_for(lead) == [] and kinds_for(outsider) == []
    row = Notification.objects.get(recipient=sponsor, kind=Kind.REVIEW_OPENED)
    assert row.subject == "Gate 1 (to POC) review opened for “Claims triage assistant”"
    assert "Lena Lead opened the Gate 1 (to POC) review" in row.body
    assert row.link == f"/reviews/{review.pk}/"
    assert sorted(m.to[0] for m in mail.outbox if "review opened" in m.subject) == [
        "contrib@example.com",
        "sponsor@example.com",
        "techlead@example.com",
    ]


def test_the_sponsor_who_submits_is_not_asked_to_approve_their_own_submission(
    use_case, lead, sponsor, django_capture_on_commit_callbacks
):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    assert review.approvers.filter(user=sponsor).exists()  # the sponsor holds a seat

    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(review=review, by=sponsor)

    assert kinds_for(sponsor, since_opening=True) == []
    assert kinds_for(lead) == [Kind.APPROVAL_REQUESTED]
    assert "sponsor@example.com" not in [m.to[0] for m in mail.outbox if "Approval" in m.subject]


def test_the_team_hears_the_decision_but_not_the_chair_who_made_it(
    use_case, lead, sponsor, techlead, contributor, django_capture_on_commit_callbacks
):
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    approve_all(review)

    with django_capture_on_commit_callbacks(execute=True):
        services.gate_decide(review=review, by=lead, decision="go", rationale="Evidence holds.")

    for member in (sponsor, techlead, contributor):
        assert kinds_for(member, since_opening=True) == [Kind.GATE_DECIDED], member.username
    assert Kind.GATE_DECIDED not in kinds_for(lead)
    decided = [m.to[0] for m in mail.outbox if "decided" in m.subject and "Risk" not in m.subject]
    assert sorted(decided) == ["contrib@example.com", "sponsor@example.com", "techlead@example.com"]
