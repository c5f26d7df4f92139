"""condition_close and usecase_resume: follow-ups of a Conditional Go and a
Hold."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ConditionStatus, GateCondition
from tests.gates.helpers import KILL_EXIT, isolate, make_open_review, ready_for_decision
from usecases.models import Stage, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def condition(lead, sponsor, techlead, use_case) -> GateCondition:
    review = ready_for_decision(use_case, lead, sponsor)
    services.gate_decide(
        review=review,
        by=lead,
        decision="conditional_go",
        rationale="Go, once the load test is done.",
        conditions=[
            {
                "description": "Run a load test at 2x volume",
                "owner": techlead,
                "due_date": timezone.localdate() + datetime.timedelta(days=14),
            }
        ],
    )
    return GateCondition.objects.get(review=review)


@pytest.mark.parametrize("who", ["techlead", "lead"])
def test_it_lets_the_owner_or_a_lead_close_a_condition_with_a_note(request, condition, who):
    person = request.getfixturevalue(who)

    services.condition_close(condition=condition, by=person, note="  Passed at 2.4x.  ")

    condition.refresh_from_db()
    assert condition.status == ConditionStatus.CLOSED
    assert (condition.closed_note, condition.closed_by) == ("Passed at 2.4x.", person)
    assert condition.closed_at is not None
    event = AuditEvent.objects.get(action="condition.closed")
    assert (event.actor, event.object_id) == (person, str(condition.pk))
    assert event.payload == {"note": "Passed at 2.4x."}


@pytest.mark.parametrize("who", ["sponsor", "contributor", "outsider", "executive"])
def test_it_refuses_anyone_else(request, condition, who):
    with pytest.raises(PermissionRefused) as caught:
        services.condition_close(condition=condition, by=request.getfixturevalue(who), note="Done.")

    assert caught.value.message == "Only the condition's owner or a program lead closes it."
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.OPEN
    assert not AuditEvent.objects.filter(action="condition.closed").exists()


@pytest.mark.parametrize("note", ["", "   "])
def test_it_requires_a_note(techlead, condition, note):
    with pytest.raises(InvalidInput) as caught:
        services.condition_close(condition=condition, by=techlead, note=note)

    assert caught.value.message == "A note saying how the condition was met is required."
    assert caught.value.field == "note"
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.OPEN


def test_it_refuses_closing_a_condition_twice(lead, techlead, condition):
    services.condition_close(condition=condition, by=techlead, note="Passed.")

    with pytest.raises(TransitionRefused) as caught:
        services.condition_close(condition=condition, by=lead, note="Again.")

    assert caught.value.message == "This condition is already closed."
    condition.refresh_from_db()
    assert (condition.closed_note, condition.closed_by) == ("Passed.", techlead)
    assert AuditEvent.objects.filter(action="condition.closed").count() == 1


def test_it_refuses_closing_a_condition_of_a_killed_use_case(lead, techlead, use_case, condition):
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
    review = make_open_review(use_case, lead)
    services.gate_decide(review=review, by=lead, decision="kill", rationale="Stopped.", **KILL_EXIT)

    with pytest.raises(TransitionRefused) as caught:
        services.condition_close(condition=condition, by=techlead, note="Passed.")

    assert caught.value.message == "This use case was killed at a gate; it is read-only."
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.OPEN


# --- Resume -------------------------------------------------------------------


@pytest.fixture
def held(lead, use_case):
    review = make_open_review(use_case, lead)
    services.gate_decide(review=review, by=lead, decision="hold", rationale="Budget freeze.")
    use_case.refresh_from_db()
    assert use_case.status == Status.ON_HOLD
    return use_case


def test_it_resumes_a_use_case_on_hold(lead, held):
    services.usecase_resume(use_case=held, by=lead, note="  Budget released.  ")

    held.refresh_from_db()
    assert (held.status, held.stage) == (Status.ACTIVE, Stage.DISCOVERY)
    event = AuditEvent.objects.get(action="usecase.resumed")
    assert (event.actor, event.use_case) == (lead, held)
    assert event.summary == "Resumed from hold: Budget released."
    assert event.payload == {"note": "Budget released."}


@pytest.mark.parametrize("who", ["sponsor", "executive", "buhead", "outsider"])
def test_it_lets_only_a_program_lead_resume(request, held, who):
    with pytest.raises(PermissionRefused) as caught:
        services.usecase_resume(use_case=held, by=request.getfixturevalue(who))

    assert caught.value.message == "Only a program lead resumes a use case on hold."
    held.refresh_from_db()
    assert held.status == Status.ON_HOLD


def test_it_refuses_resuming_an_active_use_case(lead, use_case):
    with pytest.raises(TransitionRefused) as caught:
        services.usecase_resume(use_case=use_case, by=lead)

    assert caught.value.message == "Only a use case on hold can be resumed."
    assert not AuditEvent.objects.filter(action="usecase.resumed").exists()
