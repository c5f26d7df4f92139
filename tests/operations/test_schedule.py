"""The daily schedule opens recertifications coming due; reruns open nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gates.models import GateReview, ReviewTrigger
from operations import services, tasks
from tests.factories import UseCaseFactory, UserFactory
from tests.gates.helpers import advance
from tests.operations.helpers import in_operation
from usecases.models import OrgRole, Status, UseCase

pytestmark = pytest.mark.django_db


def test_it_opens_at_the_notice_window_once(operating, lead, settings):
    settings.RECERTIFICATION_NOTICE_DAYS = 30
    today = timezone.localdate()
    due = operating.recertification_due_on
    assert services.recertification_schedule(today=due - datetime.timedelta(days=31)) == 0
    assert services.recertification_schedule(today=due - datetime.timedelta(days=30)) == 1
    review = GateReview.objects.get(use_case=operating)
    assert review.trigger == ReviewTrigger.SCHEDULED
    assert review.planned_date == due
    assert review.trigger_detail == f"Recertification due on {due.isoformat()}"
    assert review.chair == lead
    assert services.recertification_schedule(today=due - datetime.timedelta(days=30)) == 0
    assert services.recertification_schedule(today=today) == 0
    assert GateReview.objects.filter(use_case=operating).count() == 1


def test_a_past_due_date_plans_for_today(use_case, sponsor, lead):
    in_operation(use_case, sponsor, due_in_days=-3)
    assert tasks.recertification_schedule() == 1
    assert GateReview.objects.get(use_case=use_case).planned_date == timezone.localdate()


def test_one_refusal_does_not_stop_the_rest(business_unit, sponsor, techlead, lead):
    first = in_operation(
        UseCaseFactory(business_unit=business_unit, sponsor=sponsor), sponsor, due_in_days=5
    )
    second = in_operation(
        UseCaseFactory(business_unit=business_unit, sponsor=sponsor), sponsor, due_in_days=6
    )
    held = in_operation(
        UseCaseFactory(business_unit=business_unit, sponsor=sponsor), sponsor, due_in_days=4
    )
    UseCase.objects.filter(pk=held.pk).update(status=Status.ON_HOLD)
    assert services.recertification_schedule() == 2
    assert set(GateReview.objects.values_list("use_case_id", flat=True)) == {first.pk, second.pk}


def test_the_chair_of_the_last_decided_review_chairs_it(
    request, sponsor, techlead, cio, business_unit, settings
):
    # A lead with a lower id than the chair of the use case's gates.
    first_lead = UserFactory(username="lead0", org_roles=[OrgRole.PROGRAM_LEAD])
    lead = request.getfixturevalue("lead")
    assert first_lead.pk < lead.pk
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    advance(use_case, lead, sponsor, 4)
    settings.RECERTIFICATION_NOTICE_DAYS = 400
    assert services.recertification_schedule() == 1
    assert GateReview.objects.filter(use_case=use_case).latest("id").chair == lead


def test_without_a_decided_review_the_lowest_id_lead_chairs(operating, lead):
    second = UserFactory(username="lead2", org_roles=[OrgRole.PROGRAM_LEAD])
    assert services.recertification_chair(operating) == lead
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    assert services.recertification_chair(operating) == second


def test_beat_runs_the_schedule_daily(settings):
    from config.celery import app

    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "operations.recertification_schedule"
    ]
    assert entry["schedule"].hour == {5}
    assert "operations.recertification_schedule" in app.tasks
