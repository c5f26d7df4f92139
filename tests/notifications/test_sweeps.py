"""The scheduled rules against a frozen clock: each fires when it should, not
before, and a rerun in the same period sends nothing new."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from gates import services
from gates.models import GateCondition
from notifications.models import Kind, Notification
from notifications.services import emails_deliver_pending
from notifications.sweeps import sweep
from tests.factories import UseCaseFactory, UserFactory
from usecases.models import OrgRole, UseCase


def sweep_and_send() -> dict[str, int]:
    counts = sweep()
    emails_deliver_pending()
    return counts


def rows(kind: str) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("id")
        .values_list("recipient__username", "period")
    )


def test_approval_reminders_and_escalation_follow_the_calendar(gate1_review, clock, lead):
    clock(1)
    sweep_and_send()
    assert rows(Kind.APPROVAL_REMINDER) == [] and mail.outbox == []

    clock(2)
    sweep_and_send()
    assert sorted(rows(Kind.APPROVAL_REMINDER)) == [
        ("lead", "reminder-1"),
        ("sponsor", "reminder-1"),
    ]
    assert len(mail.outbox) == 2
    reminder = next(m for m in mail.outbox if m.to == ["sponsor@example.com"])
    assert "Claims triage assistant" in reminder.subject and "Gate 1 (to POC)" in reminder.subject
    assert "waited 2 days" in reminder.body
    assert f"https://stagegate.example.com/reviews/{gate1_review.pk}/" in reminder.body

    clock(3.9)
    sweep_and_send()
    assert len(rows(Kind.APPROVAL_REMINDER)) == 2 and len(mail.outbox) == 2

    clock(4)
    sweep_and_send()
    assert sorted(p for _, p in rows(Kind.APPROVAL_REMINDER)) == [
        "reminder-1",
        "reminder-1",
        "reminder-2",
        "reminder-2",
    ]
    assert rows(Kind.APPROVAL_ESCALATION) == []

    clock(5)
    sweep_and_send()
    assert rows(Kind.APPROVAL_ESCALATION) == [("lead", "escalation")]
    escalation = Notification.objects.get(kind=Kind.APPROVAL_ESCALATION)
    # The chair's own pending approval is not escalated to the chair.
    assert "waits for: Sam Sponsor." in escalation.body
    assert "Lena Lead" not in escalation.body
    assert mail.outbox[-1].to == ["lead@example.com"]
    assert len(mail.outbox) == 5

    clock(6)
    sweep_and_send()
    assert len(rows(Kind.APPROVAL_ESCALATION)) == 1
    assert len(rows(Kind.APPROVAL_REMINDER)) == 6


def test_a_rerun_sends_nothing_new(gate1_review, clock):
    clock(5)
    first = sweep_and_send()
    count, sent = Notification.objects.count(), len(mail.outbox)
    assert first["approval_reminders"] == 2 and first["approval_escalations"] == 1
    for _ in range(3):
        sweep_and_send()
    assert Notification.objects.count() == count
    assert len(mail.outbox) == sent


def test_decided_approvals_are_not_reminded(gate1_review, clock, sponsor, lead):
    clock(1)
    services.approval_record(review=gate1_review, approver=sponsor, decision="approve")
    clock(6)
    sweep()
    assert rows(Kind.APPROVAL_REMINDER) == [("lead", "reminder-3")]
    # Only the chair is pending: there is nobody to escalate to the chair.
    assert rows(Kind.APPROVAL_ESCALATION) == []


def test_thresholds_are_settings(gate1_review, clock, settings):
    settings.NOTIFICATIONS_REMINDER_AFTER_DAYS = 3
    settings.NOTIFICATIONS_REMINDER_EVERY_DAYS = 1
    settings.NOTIFICATIONS_ESCALATE_AFTER_DAYS = 10
    clock(2)
    sweep()
    assert rows(Kind.APPROVAL_REMINDER) == []
    clock(4)
    sweep()
    assert {p for _, p in rows(Kind.APPROVAL_REMINDER)} == {"reminder-2"}
    assert rows(Kind.APPROVAL_ESCALATION) == []


def _condition(review, owner, due: datetime.date) -> GateCondition:
    return GateCondition.objects.create(
        review=review, description="Sign the data processing agreement", owner=owner, due_date=due
    )


def test_conditions_due_soon_then_overdue(gate1_review, clock, techlead):
    condition = _condition(gate1_review, techlead, datetime.date(2025, 3, 20))  # T0 + 17 days
    clock(9)  # 12 March: due in 8 days
    sweep()
    assert rows(Kind.CONDITION_DUE_SOON) == []
    clock(10)  # 13 March: due in 7 days
    sweep()
    assert rows(Kind.CONDITION_DUE_SOON) == [("techlead", "due-soon")]
    note = Notification.objects.get(kind=Kind.CONDITION_DUE_SOON)
    assert "due in 7 days" in note.subject and "Claims triage assistant" in note.subject
    assert "Sign the data processing agreement" in note.body
    clock(17)
    sweep()
    assert rows(Kind.CONDITION_OVERDUE) == []
    clock(18)  # a day late
    sweep()
    assert rows(Kind.CONDITION_OVERDUE) == [("techlead", "overdue-1")]
    clock(24)
    sweep()
    assert len(rows(Kind.CONDITION_OVERDUE)) == 1
    clock(25)  # a week later, again
    sweep()
    assert rows(Kind.CONDITION_OVERDUE)[-1] == ("techlead", "overdue-2")
    condition.status = "closed"
    condition.save()
    clock(40)
    sweep()
    assert len(rows(Kind.CONDITION_OVERDUE)) == 2


def test_overdue_and_stalled_use_cases_reach_sponsor_and_chair(gate1_review, clock, lead):
    # Gate 1 review open since T0, so the chair is the program lead to tell.
    clock(22)  # > 21 days idle: stalled; Discovery's norm is 28 days
    sweep()
    use_case = UseCase.objects.get(pk=gate1_review.use_case_id)
    period = use_case.last_activity_at.strftime("idle-%Y%m%dT%H%M%S")
    assert sorted(rows(Kind.USECASE_STALLED)) == [("lead", period), ("sponsor", period)]
    assert rows(Kind.USECASE_OVERDUE) == []
    clock(29)
    sweep()
    overdue = Notification.objects.filter(kind=Kind.USECASE_OVERDUE)
    assert sorted(overdue.values_list("recipient__username", flat=True)) == ["lead", "sponsor"]
    assert "at most 28 days" in overdue.first().body
    assert overdue.first().link == gate1_review.use_case.get_absolute_url()
    assert len(rows(Kind.USECASE_STALLED)) == 2  # not repeated in the same idle spell


def test_a_use_case_without_reviews_goes_to_every_program_lead(clock, business_unit, sponsor):
    clock(0)
    other_lead = UserFactory(username="lead2", org_roles=[OrgRole.PROGRAM_LEAD])
    first_lead = UserFactory(username="lead1", org_roles=[OrgRole.PROGRAM_LEAD])
    UserFactory(username="gone", org_roles=[OrgRole.PROGRAM_LEAD], is_active=False)
    UseCaseFactory(title="Invoice matching", business_unit=business_unit, sponsor=sponsor)
    clock(22)
    sweep()
    assert sorted(u for u, _ in rows(Kind.USECASE_STALLED)) == ["lead1", "lead2", "sponsor"]
    assert first_lead and other_lead


@pytest.mark.parametrize("status", ["on_hold", "killed"])
def test_held_and_killed_use_cases_are_left_alone(clock, business_unit, sponsor, lead, status):
    clock(0)
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor)
    UseCase.objects.filter(pk=use_case.pk).update(status=status)
    clock(60)
    sweep()
    assert not Notification.objects.filter(object_type="usecase").exists()
