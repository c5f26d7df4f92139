"""Recertification reminders (due, then overdue: once per due date) and the
notice that a drift breach or an incident opened one early."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gates.models import GateReview
from notifications.models import Kind, Notification
from notifications.sweeps import sweep
from operations import services as operations
from tests.factories import UserFactory
from tests.operations.helpers import in_operation, measure
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


def rows(kind: str) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("recipient__username", "id")
        .values_list("recipient__username", "period")
    )


@pytest.fixture
def operating(clock, use_case, sponsor, lead, settings):
    settings.RECERTIFICATION_NOTICE_DAYS = 30
    owner = UserFactory(username="owner")
    return in_operation(use_case, owner, due_in_days=40)


def test_due_then_overdue_once_per_due_date(operating, clock, lead):
    due = operating.recertification_due_on.isoformat()
    sweep()
    assert rows(Kind.RECERTIFICATION_DUE) == []
    clock(10)  # 30 days before the due date
    sweep()
    sweep()
    assert rows(Kind.RECERTIFICATION_DUE) == [("owner", due), ("sponsor", due)]
    # The schedule opened the review: its chair hears too, still once per due date.
    operations.recertification_schedule()
    clock(20)
    sweep()
    sweep()
    assert rows(Kind.RECERTIFICATION_DUE) == [("lead", due), ("owner", due), ("sponsor", due)]
    assert rows(Kind.RECERTIFICATION_OVERDUE) == []
    clock(41)
    sweep()
    clock(45)
    sweep()
    assert rows(Kind.RECERTIFICATION_OVERDUE) == [
        ("lead", due),
        ("owner", due),
        ("sponsor", due),
    ]
    subject = Notification.objects.filter(kind=Kind.RECERTIFICATION_OVERDUE).first().subject
    assert subject == f"Recertification overdue: “{operating.title}”"


def test_a_new_due_date_is_a_new_period(operating, clock):
    clock(10)
    sweep()
    later = operating.recertification_due_on + datetime.timedelta(days=5)
    UseCase.objects.filter(pk=operating.pk).update(recertification_due_on=later)
    clock(15)
    sweep()
    periods = {p for _, p in rows(Kind.RECERTIFICATION_DUE)}
    assert periods == {operating.recertification_due_on.isoformat(), later.isoformat()}


def test_a_breach_that_opens_one_tells_owner_chair_and_sponsors(
    operating, clock, contributor, django_capture_on_commit_callbacks
):
    from readiness import services as readiness

    kpi = readiness.kpi_create(
        use_case=operating,
        by=contributor,
        name="Accuracy",
        kind="leading",
        target="95",
        direction="higher",
        unit="%",
    )
    operations.kpi_drift_set(kpi=kpi, by=contributor, operator=">=", threshold="91")
    with django_capture_on_commit_callbacks(execute=True):
        measure(kpi, contributor, "80")
    with django_capture_on_commit_callbacks(execute=True):
        measure(kpi, contributor, "79")  # joins: nothing new
    review = GateReview.objects.get(use_case=operating)
    opened = Notification.objects.filter(kind=Kind.RECERTIFICATION_OPENED)
    assert sorted(opened.values_list("recipient__username", flat=True)) == [
        "lead",
        "owner",
        "sponsor",
    ]
    first = opened.first()
    assert first.link == review.get_absolute_url()
    assert "a drift breach" in first.subject
    assert "Accuracy 80% breaks Accuracy ≥ 91%" in first.body
    # The review-opened notice names it a Recertification, not "Gate 5".
    notice = Notification.objects.filter(kind=Kind.REVIEW_OPENED).first()
    assert notice.subject.startswith("Recertification review opened")


def test_an_incident_recorder_is_not_told_of_their_own_action(
    operating, clock, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        operations.incident_record(
            use_case=operating,
            by=sponsor,
            title="Outage",
            severity="medium",
            occurred_on=timezone.localdate(),
            description="Down for an hour.",
        )
    assert sorted(
        Notification.objects.filter(kind=Kind.RECERTIFICATION_OPENED).values_list(
            "recipient__username", flat=True
        )
    ) == ["lead", "owner"]
