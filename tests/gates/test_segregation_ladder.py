"""No single person, whatever roles the admin gave them, takes a use case
through a gate alone: one seat per person, the chair only in the program-lead
seat, no sponsor or contributor in an independent seat, and a minimum of
distinct approvers per gate."""

from __future__ import annotations

import pytest

from core.errors import DomainError, InvalidInput, TransitionRefused
from gates import services
from gates.models import ApproverRoleKind, GateReview, GateTemplate
from tests.factories import UseCaseFactory, UserFactory
from usecases.models import MemberRole, OrgRole, Stage, UseCase, UseCaseMember

GATE_STAGES = {1: Stage.DISCOVERY, 2: Stage.POC, 3: Stage.PILOT, 4: Stage.PRODUCTION}


@pytest.fixture
def solo(db, business_unit):
    """Every organisation role there is, head of the business unit, and every
    role on the use case's team."""
    person = UserFactory(
        username="solo",
        first_name="Sol",
        last_name="Everyrole",
        org_roles=[OrgRole.PROGRAM_LEAD, OrgRole.CIO_CTO, OrgRole.RISK_COMPLIANCE],
    )
    business_unit.head = person
    business_unit.save()
    return person


@pytest.fixture
def solo_use_case(solo, business_unit):
    use_case = UseCaseFactory(
        business_unit=business_unit,
        sponsor=solo,
        technical_lead=solo,
        regulatory_constraints=["eu_ai_act"],  # the risk seat applies at Gate 3
        # Nobody in risk and compliance exists here: the seats name who is missing.
        risk_classified=False,
    )
    UseCaseMember.objects.create(use_case=use_case, user=solo, role=MemberRole.CONTRIBUTOR)
    return use_case


def at_gate(use_case: UseCase, number: int) -> UseCase:
    # Test set-up only: the stage a gate starts from. Products move it only
    # through gate decisions (tested in test_gate_decide).
    UseCase.objects.filter(pk=use_case.pk).update(stage=GATE_STAGES[number])
    use_case.refresh_from_db()
    return use_case


def seats_of(number: int) -> list[str]:
    return [r.role for r in GateTemplate.objects.get(number=number).approver_roles.all()]


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_one_person_cannot_open_a_review_they_alone_approve(solo, solo_use_case, number):
    use_case = at_gate(solo_use_case, number)

    with pytest.raises(TransitionRefused) as by_default:
        services.review_open(use_case=use_case, by=solo)
    with pytest.raises(InvalidInput) as named:
        services.review_open(
            use_case=use_case, by=solo, approvers={role: [solo] for role in seats_of(number)}
        )

    for caught in (by_default, named):
        assert caught.value.message == "These approvers would not keep the gate's duties apart."
        assert any("votes only in the program-lead seat" in r for r in caught.value.reasons)
        minimum = GateTemplate.objects.get(number=number).min_approvers
        assert f"This gate needs at least {minimum} distinct approvers; 1 is named." in (
            caught.value.reasons
        )
    assert not GateReview.objects.exists()


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_it_takes_as_many_independent_people_as_the_gate_asks(solo, solo_use_case, number):
    """The chair keeps the program-lead seat; each other seat needs a person of
    its own, independent of the team where the seat is independent."""
    use_case = at_gate(solo_use_case, number)
    others = {
        role: [UserFactory(username=f"seat-{role}")]
        for role in seats_of(number)
        if role != ApproverRoleKind.PROGRAM_LEAD
    }

    review = services.review_open(use_case=use_case, by=solo, approvers=others)

    people = {row.user_id for row in review.approvers.all()}
    assert len(people) == 1 + len(others)
    assert (
        len(people) >= review.min_approvers == GateTemplate.objects.get(number=number).min_approvers
    )
    assert {tuple(row.roles) for row in review.approvers.all()} == {
        (role,) for role in seats_of(number)
    }


def test_a_sponsor_named_for_an_independent_seat_is_refused(lead, solo_use_case, sponsor):
    use_case = at_gate(solo_use_case, 3)
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    cio = UserFactory(username="cio-2")

    with pytest.raises(InvalidInput) as caught:
        services.review_open(
            use_case=use_case,
            by=lead,
            approvers={
                ApproverRoleKind.CIO_CTO: [cio],
                ApproverRoleKind.BUSINESS_UNIT_HEAD: [sponsor],
                ApproverRoleKind.RISK_COMPLIANCE: [UserFactory(username="risk-2")],
            },
        )

    assert (
        "Sam Sponsor is this use case's business unit sponsor, so cannot fill the independent "
        "seat Business unit head." in caught.value.reasons
    )


def test_the_api_refuses_a_lead_naming_himself_for_every_seat(api_as, lead, use_case):
    """The finding that started this: the lead as CIO and BU head of a Gate 3."""
    at_gate(use_case, 3)
    response = api_as(lead).post(
        f"/api/v1/use-cases/{use_case.pk}/reviews/",
        {
            "approvers": {
                ApproverRoleKind.CIO_CTO: [lead.pk],
                ApproverRoleKind.BUSINESS_UNIT_HEAD: [lead.pk],
            }
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "These approvers would not keep the gate's duties apart."
    assert any("votes only in the program-lead seat" in r for r in body["reasons"])
    assert not GateReview.objects.exists()


def test_go_needs_the_minimum_of_distinct_approvals(lead, sponsor, use_case):
    """A review opened before the minimum rose keeps its snapshot; Go waits for
    the minimum it was opened with."""
    from tests.gates.helpers import make_submitted_review

    review = make_submitted_review(use_case, lead, sponsor)
    GateReview.objects.filter(pk=review.pk).update(min_approvers=3)
    for row in review.approvers.select_related("user"):
        services.approval_record(review=review, approver=row.user, decision="approve")

    with pytest.raises(DomainError) as caught:
        services.gate_decide(review=review, by=lead, decision="go", rationale="Holds.")

    assert caught.value.reasons == [
        "Gate 1 needs the approval of at least 3 distinct people; 2 have approved."
    ]
