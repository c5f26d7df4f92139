"""Recording an incident of a use case in operation opens a recertification early."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates.models import GateReview, ReviewTrigger
from operations import services
from operations.models import Incident
from tests.factories import UserFactory
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


def record(use_case, by, **fields):
    data = {
        "title": "Wrong triage of an urgent claim",
        "severity": "high",
        "occurred_on": timezone.localdate(),
        "description": "A claim marked routine was urgent.",
    }
    data.update(fields)
    return services.incident_record(use_case=use_case, by=by, **data)


def test_an_incident_opens_a_recertification_early(operating, contributor, lead):
    incident = record(operating, contributor)
    review = incident.review
    assert review.is_recertification and review.trigger == ReviewTrigger.INCIDENT
    assert review.trigger_detail.startswith("High incident on ")
    assert review.chair == lead
    event = AuditEvent.objects.get(action="operation.incident_recorded")
    assert event.payload["opened"] is True and event.payload["severity"] == "high"
    second = record(operating, lead, title="Another", severity="low")
    assert second.review == review
    assert GateReview.objects.filter(use_case=operating).count() == 1


def test_the_operating_owner_records_even_off_the_team(operating, lead):
    owner = UserFactory(username="owner")
    UseCase.objects.filter(pk=operating.pk).update(operating_owner=owner)
    operating.refresh_from_db()
    assert record(operating, owner).reported_by == owner


@pytest.mark.parametrize("who", ["outsider", "executive", "cio"])
def test_others_may_not_record(operating, request, who):
    with pytest.raises(PermissionRefused):
        record(operating, request.getfixturevalue(who))
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"occurred_on": timezone.localdate() + datetime.timedelta(days=1)}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_input_changes_nothing(operating, lead, fields, field):
    with pytest.raises(InvalidInput) as bad:
        record(operating, lead, **fields)
    assert bad.value.field == field
    assert not Incident.objects.exists()
    assert not GateReview.objects.exists()


def test_only_in_operation(use_case, lead):
    with pytest.raises(TransitionRefused):
        record(use_case, lead)
