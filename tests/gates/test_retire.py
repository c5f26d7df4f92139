"""Retire: the end of a use case in operation, with its decommissioning
checklist answered step by step; terminal and read-only afterwards."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Decision, DecommissioningStep, GateReview, ReviewStatus
from tests.factories import UseCaseFactory
from tests.gates.helpers import RETIRE_EXIT, advance, artifact_type, text_file
from tests.gates.recertification import checklist, recertification_open
from usecases import services as usecase_services
from usecases.models import Status
from usecases.rules import RETIRED_MESSAGE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    from tests.gates.helpers import isolate

    isolate(settings, tmp_path)


@pytest.fixture
def review(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    return recertification_open(use_case, lead, sponsor)


def _retire(review, lead, answers, rationale="Replaced by the new platform."):
    return services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.RETIRE,
        rationale=rationale,
        decommissioning=answers,
        **RETIRE_EXIT,
    )


def _unchanged(review):
    review.refresh_from_db()
    review.use_case.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert review.decommissioning == []
    assert review.use_case.status == Status.ACTIVE
    assert review.use_case.recertification_due_on is not None


def test_it_retires_with_the_checklist(review, lead):
    first = DecommissioningStep.objects.order_by("order").first()
    answers = checklist(s1={"status": "not_applicable", "note": "No external users."})
    _retire(review, lead, answers)
    review.refresh_from_db()
    use_case = review.use_case
    use_case.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED
    assert review.decision == Decision.RETIRE
    assert use_case.status == Status.RETIRED
    assert use_case.is_retired
    assert use_case.recertification_due_on is None
    steps = list(DecommissioningStep.objects.filter(is_active=True).order_by("order"))
    assert [entry["step"] for entry in review.decommissioning] == [s.pk for s in steps]
    assert review.decommissioning[0] == {
        "step": first.pk,
        "text": first.text,
        "status": "not_applicable",
        "note": "No external users.",
    }
    assert all(entry["status"] == "done" for entry in review.decommissioning[1:])


def test_the_audit_trail_records_the_checklist(review, lead):
    _retire(review, lead, checklist())
    event = (
        AuditEvent.objects.filter(use_case=review.use_case, action="gate.decided")
        .order_by("seq")
        .last()
    )
    assert event.summary == "Recertification: Retire; retired"
    review.refresh_from_db()
    assert event.payload["decision"] == "retire"
    assert event.payload["decommissioning"] == review.decommissioning
    assert event.payload["recertification_due_on"] is None
    assert event.payload["exit_reason"] == {
        "code": "replaced",
        "label": "Replaced by a better solution",
    }
    assert event.payload["lessons_learned"] == RETIRE_EXIT["lessons_learned"]


def test_a_retired_use_case_is_read_only(review, lead, sponsor):
    _retire(review, lead, checklist())
    use_case = review.use_case
    use_case.refresh_from_db()
    with pytest.raises(TransitionRefused) as upload:
        services.artifact_upload(
            use_case=use_case, by=sponsor, artifact_type=artifact_type(1), file=text_file()
        )
    assert upload.value.message == RETIRED_MESSAGE
    with pytest.raises(TransitionRefused) as opening:
        services.review_open(use_case=use_case, by=lead)
    assert opening.value.message == RETIRED_MESSAGE
    with pytest.raises(TransitionRefused) as editing:
        usecase_services.usecase_update(use_case=use_case, by=sponsor, title="Renamed")
    assert editing.value.message == RETIRED_MESSAGE
    use_case.refresh_from_db()
    assert use_case.title != "Renamed"


def test_retire_needs_a_rationale(review, lead):
    with pytest.raises(InvalidInput) as refused:
        _retire(review, lead, checklist(), rationale=" ")
    assert refused.value.field == "rationale"
    _unchanged(review)


def test_it_refuses_a_missing_step(review, lead):
    answers = checklist()
    missing = DecommissioningStep.objects.get(pk=answers.pop()["step"])
    with pytest.raises(InvalidInput) as refused:
        _retire(review, lead, answers)
    assert refused.value.field == "decommissioning"
    assert f"“{missing.text}” is not answered" in refused.value.message
    _unchanged(review)


def test_it_refuses_not_applicable_without_a_note(review, lead):
    step = DecommissioningStep.objects.order_by("order")[1]
    with pytest.raises(InvalidInput) as refused:
        _retire(review, lead, checklist(s2={"status": "not_applicable", "note": "  "}))
    assert refused.value.field == "decommissioning"
    assert refused.value.message == (
        f"Decommissioning step “{step.text}” is not applicable: say why in its note."
    )
    _unchanged(review)


def test_it_refuses_an_unknown_step(review, lead):
    # One review for every case: each refusal leaves it as it was.
    for step in (999_999, "abc", None, -1, 2**70):
        answers = [*checklist(), {"step": step, "status": "done", "note": ""}]
        with pytest.raises(InvalidInput) as refused:
            _retire(review, lead, answers)
        assert refused.value.field == "decommissioning"
        assert refused.value.message.startswith("Unknown decommissioning step")
        _unchanged(review)


def test_it_refuses_a_step_answered_twice(review, lead):
    answers = checklist()
    answers.append(dict(answers[0]))
    with pytest.raises(InvalidInput) as refused:
        _retire(review, lead, answers)
    assert "answered more than once" in refused.value.message
    _unchanged(review)


def test_it_refuses_an_inactive_step_and_needs_only_the_active_ones(review, lead, admin_user):
    answers = checklist()
    retired_step = DecommissioningStep.objects.get(pk=answers[-1]["step"])
    retired_step.is_active = False
    services.decommissioning_step_change(by=admin_user, step=retired_step, fields=["is_active"])
    with pytest.raises(InvalidInput) as refused:
        _retire(review, lead, answers)
    assert refused.value.message == (
        f"Decommissioning step “{retired_step.text}” is no longer in use."
    )
    _unchanged(review)
    _retire(review, lead, answers[:-1])
    review.refresh_from_db()
    assert retired_step.pk not in [entry["step"] for entry in review.decommissioning]


def test_it_refuses_a_bad_answer(review, lead):
    for answer in (
        {"status": "maybe", "note": ""},
        {"status": "done", "note": "x" * 1001},
        {"status": "done", "note": 5},
    ):
        with pytest.raises(InvalidInput) as refused:
            _retire(review, lead, checklist(s1=answer))
        assert refused.value.field == "decommissioning"
        _unchanged(review)
    for answers in ("done", [1, 2], {"step": 1}):
        with pytest.raises(InvalidInput):
            _retire(review, lead, answers)
        _unchanged(review)


def test_it_refuses_retire_on_gate_2(lead, sponsor, techlead, cio, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    advance(use_case, lead, sponsor, 1)
    review = services.review_open(use_case=use_case, by=lead)
    assert review.gate_number == 2
    with pytest.raises(TransitionRefused) as refused:
        _retire(review, lead, checklist())
    assert refused.value.message == "Retire cannot be recorded at Gate 2."
    assert refused.value.reasons == ["Retire ends a use case in operation; Kill is for gates 1-4."]
    review.refresh_from_db()
    use_case.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert use_case.status == Status.ACTIVE


def test_only_retire_carries_the_checklist(review, lead):
    with pytest.raises(InvalidInput) as refused:
        services.gate_decide(
            review=review,
            by=lead,
            decision=Decision.HOLD,
            rationale="Wait.",
            decommissioning=checklist(),
        )
    assert refused.value.field == "decommissioning"
    _unchanged(review)


def test_only_the_chair_retires(review, sponsor):
    from core.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        _retire(review, sponsor, checklist())
    _unchanged(review)
    assert GateReview.objects.get(pk=review.pk).decision == ""
