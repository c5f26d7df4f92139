"""The team hears when a review opens, is returned for rework or is decided;
nobody is notified of their own action; a return is news once per round, and
so is the approval request of each resubmission."""

from __future__ import annotations

from django.core import mail

from gates import services
from notifications import rules
from notifications.models import Kind, Notification
from tests.gates.helpers import assess_all, upload_required


def kinds_for(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def returned_to(user) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user, kind=Kind.REVIEW_RETURNED).order_by("id")
    )


def test_the_team_and_the_chair_hear_of_a_return_but_not_who_returned_it(
    gate1_review,
    lead,
    sponsor,
    techlead,
    contributor,
    outsider,
    django_capture_on_commit_callbacks,
):
    services.approval_record(
        review=gate1_review, approver=sponsor, decision="reject", comment="Add the baseline."
    )
    Notification.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=gate1_review, by=sponsor, reason="Add the baseline.")

    for person in (lead, techlead, contributor):
        assert kinds_for(person) == [Kind.REVIEW_RETURNED], person.username
    assert kinds_for(sponsor) == [] and kinds_for(outsider) == []
    row = returned_to(lead)[0]
    assert row.subject == (
        "Gate 1 (to POC) review of “Claims triage assistant” returned for rework (round 1)"
    )
    assert "Sam Sponsor returned the Gate 1 (to POC) review" in row.body
    assert "Reason: Add the baseline." in row.body
    assert row.link == f"/reviews/{gate1_review.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "contrib@example.com",
        "lead@example.com",
        "techlead@example.com",
    ]


def test_the_chair_who_returns_it_is_not_told(
    gate1_review, lead, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=gate1_review, by=lead, reason="Rework the costs.")

    assert returned_to(lead) == []
    assert [n.period for n in returned_to(sponsor)] == ["round-1"]


def test_each_round_is_news_once(gate1_review, lead, sponsor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=gate1_review, by=lead, reason="Round one.")
    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(review=gate1_review, by=sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=gate1_review, by=lead, reason="Round two.")
    # The same event delivered twice (a retried delivery) adds nothing.
    assert rules.on_review_returned(review_id=gate1_review.pk, returned_by_id=lead.pk, round=2) == 0

    assert [n.period for n in returned_to(sponsor)] == ["round-1", "round-2"]


def test_a_resubmitted_review_asks_the_approvers_again(
    gate1_review, lead, sponsor, django_capture_on_commit_callbacks
):
    assert kinds_for(lead) == [Kind.APPROVAL_REQUESTED]
    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=gate1_review, by=lead, reason="Rework the costs.")

    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(review=gate1_review, by=sponsor)

    requests = Notification.objects.filter(recipient=lead, kind=Kind.APPROVAL_REQUESTED)
    assert sorted(requests.values_list("period", flat=True)) == ["", "round-1"]


def test_nobody_is_told_of_their_own_opening_return_or_decision(
    use_case, lead, sponsor, techlead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_return(review=review, by=lead, reason="Rework the costs.")
    services.review_submit(review=review, by=sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        services.gate_decide(review=review, by=lead, decision="hold", rationale="Budget freeze.")

    own = {Kind.REVIEW_OPENED, Kind.REVIEW_RETURNED, Kind.GATE_DECIDED}
    assert not Notification.objects.filter(recipient=lead, kind__in=own).exists()
    for member in (sponsor, techlead):
        kinds = set(kinds_for(member)) & own
        assert kinds == own, member.username
